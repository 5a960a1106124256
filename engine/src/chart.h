/*
 * chart.h - one patient's chart: a bare git repository whose branch `main`
 * holds the records, one file per record. Writes put all new objects in one
 * pack (one fsync for the objects instead of one per object), then move the
 * ref by compare-and-swap against the head the write started from.
 */
#ifndef CARELOG_CHART_H
#define CARELOG_CHART_H

#include <git2.h>

#include "store_internal.h"

#define CARELOG__REF "refs/heads/main"

/* A change to a chart's tree at `path`. CARELOG__PUT_DATA (the zero
 * value): the file with content data/len, whose blob id `blob` receives once
 * written. CARELOG__PUT_BLOB: the file holding the existing blob `blob`.
 * CARELOG__PUT_REMOVE: no file at `path` any more. */
enum { CARELOG__PUT_DATA = 0, CARELOG__PUT_BLOB = 1, CARELOG__PUT_REMOVE = 2 };
typedef struct {
	char path[128];
	const char *data;
	size_t len;
	git_oid blob;
	int op;
} carelog__put;

/* Non-zero if the store holds a chart for `patient`. */
int carelog__chart_exists(carelog_store *s, const char *patient);

/* The open chart for `patient` (opened and cached on first use; owned by the
 * store). CARELOG_ENOTFOUND if the store has no such chart. */
int carelog__chart_get(carelog__chart **out, carelog_store *s, const char *patient);

/* Closes every cached chart. */
void carelog__charts_close(carelog_store *s);

/* The chart's head commit; CARELOG_ENOTFOUND if it has none. */
int carelog__chart_head(git_oid *out, carelog__chart *c);

/*
 * Writes `puts` on top of `old_head` (NULL: the chart has no commit yet) as
 * one commit, its new objects in one fsynced pack, then moves the ref from
 * old_head to the commit (fsynced). *new_head receives the commit, or
 * old_head when nothing changed. CARELOG_EMOVED if the ref was no longer at
 * old_head: the caller rebuilds on the new head and tries again.
 */
int carelog__chart_write(git_oid *new_head, carelog__chart *c, const git_oid *old_head,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device);

/* Writes `puts` on top of `parent` (NULL: none) as one commit whose objects
 * go out as one fsynced pack, without moving any ref. *commit receives it,
 * or `parent` when nothing changed. */
int carelog__chart_stage(git_oid *commit, carelog__chart *c, const git_oid *parent,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device);

/* As carelog__chart_stage with any number of parents (a merge has two);
 * the tree is the first parent's with `puts` applied. */
int carelog__chart_stage_parents(git_oid *commit, carelog__chart *c, const git_oid *parents, size_t nparents,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device);

/*
 * Batch staging (an import): with `on`, the objects of each staged commit
 * wait in memory and go out together, as one pack with deltas
 * (pack_write.c) once there are
 * CARELOG__PACK_SETTLED_OBJECTS of them (or CARELOG__DEFER_MAX_BYTES), on a
 * thread of their own while staging goes on (pack_background.h), and
 * always, every such thread joined, before a ref moves. The packs an import writes are then large
 * enough to be settled (never merged again) instead of being rewritten by
 * pack maintenance right after the import. Turning it off writes what waits.
 */
int carelog__chart_defer(carelog__chart *c, int on);
/* Drops the objects waiting in memory (a batch given up) and leaves batch
 * staging. */
void carelog__chart_discard_pending(carelog__chart *c);
/* The charts of one import share `turn` (NULL: c stops sharing): at most
 * one of them has a pack in the background at a time, and *turn names it
 * (NULL: none). The owner of `turn` must see every sharing chart stop
 * sharing, or freed, before `turn` goes. */
void carelog__chart_share_background(carelog__chart *c, carelog__chart **turn);
/* Moves the chart's ref from old_head (NULL: the chart has none yet) to
 * `commit`, fsynced, after writing any objects batch staging holds back.
 * CARELOG_EMOVED if the ref is no longer at old_head. */
int carelog__chart_publish(carelog__chart *c, const git_oid *commit, const git_oid *old_head);

/* A new, empty chart in a temporary directory under charts/ (not cached in
 * the store). Install it with carelog__chart_install or drop it with
 * carelog__chart_discard_temp. */
int carelog__chart_create_temp(carelog__chart **out, carelog_store *s, const char *patient);

/* A quarantine for what a sync fetches into chart `c`: a temporary chart
 * that sees c's objects (an alternate) and keeps what arrives apart until it
 * is checked. Accept moves its packs into c (each pack before its index,
 * then an fsync of the directory) and frees it; discard it with
 * carelog__chart_discard_temp to drop what arrived. */
int carelog__chart_quarantine(carelog__chart **out, carelog_store *s, carelog__chart *c);
int carelog__chart_quarantine_accept(carelog__chart *c, carelog__chart *q);

/* Lets temporary chart `q` read chart c's objects (an alternate; c's
 * journal is folded first, under the store lock), as a quarantine does:
 * for a bundle, whose chart is known only once its pack has been read into
 * `q`. */
int carelog__chart_see(carelog__chart *q, carelog__chart *c);

/* Removes temporary charts left by writers that died (the caller holds the
 * store lock, so no live carelog writer is making one). */
void carelog__charts_sweep(carelog_store *s);

/* Renames a temporary chart into place (then fsyncs charts/), frees `temp`
 * and returns the store's handle on the installed chart. */
int carelog__chart_install(carelog__chart **out, carelog_store *s, carelog__chart *temp);

/* Removes a temporary chart and frees it. NULL does nothing. */
void carelog__chart_discard_temp(carelog__chart *c);

/*
 * Creates the chart of a new patient with `puts` as its first commit: built
 * in a temporary directory and renamed into place, so a crash never leaves a
 * half-made chart under charts/. CARELOG_EEXISTS if the chart exists.
 */
int carelog__chart_create(carelog__chart **out, carelog_store *s, const char *patient,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device);

/* The ids of every chart in the store (sorted; free each and the array). */
int carelog__chart_list(char ***ids, size_t *count, carelog_store *s);
void carelog__chart_list_free(char **ids, size_t count);

/* Reads the file at `path` in commit `at` (NULL: the head): malloc'd text,
 * NUL-terminated (free()), or CARELOG_ENOTFOUND. */
int carelog__chart_read(char **text, size_t *len, carelog__chart *c, const git_oid *at, const char *path);

/* Called for each version of a file, oldest first. */
typedef int (*carelog__version_cb)(const git_oid *commit, const git_oid *blob, void *payload);

/* Every distinct content `path` has had in the chart's history, oldest first. */
int carelog__chart_versions(carelog__chart *c, const char *path, carelog__version_cb cb, void *payload);

/* Writes what `pb` holds as a pack and its index into the chart, fsynced
 * (built in memory, then indexed in one piece: measured twice as fast as
 * git_packbuilder_write). `name`, if not NULL, receives the pack's name
 * (the hex after "pack-"). */
int carelog__pack_write(carelog__chart *c, git_packbuilder *pb, char name[GIT_OID_HEXSZ + 1]);

/* Appends `id` to `l`: 0, or CARELOG_ENOMEM (set). */
int carelog__oids_add(carelog__oids *l, const git_oid *id);
/* A new mempack (libgit2's in-memory backend) added to `odb` at
 * `priority`; the odb owns and frees it. 0, or a carelog error. */
int carelog__odb_add_mempack(git_odb_backend **out, git_odb *odb, int priority);
/* Writes the packbuilder's pack and its index into `odb`'s pack directory
 * (fsynced); `name` (may be NULL) receives the pack's checksum in hex. */
int carelog__pack_buf_write(git_odb *odb, git_packbuilder *pb, char name[GIT_OID_HEXSZ + 1]);
/* Adds every object of `l` to the packbuilder: 0, or a carelog error. */
int carelog__pack_insert(git_packbuilder *pb, const carelog__oids *l);
/* A pack of at least this many objects is settled: maintenance leaves it. */
#define CARELOG__PACK_SETTLED_OBJECTS 8192
/* Batch staging writes what waits once it holds this much object data. */
#define CARELOG__DEFER_MAX_BYTES (24u << 20)
/* Merges small packs (and any loose objects) when the chart has many,
 * keeping pack sizes geometric (pack_maintain.c). */
int carelog__chart_maintain(carelog__chart *c);


/*
 * Folds the chart's write-ahead journal (journal.h) into git: every
 * entry's objects as one pack, then refs/heads/main moved to the journal's
 * head (or, when a git push moved the ref meanwhile, to a merge of both, as
 * sync merges), then the journal emptied. The store lock must be held.
 * Nothing to do when the journal is empty.
 */
int carelog__chart_fold(carelog__chart *c);

/* carelog__chart_fold under the store lock (taken and let go here). */
int carelog__chart_settle(carelog__chart *c);

/* merge.c (sync/, in the same library): the record-aware merge of commits
 * `ours` and `theirs` as the changes (puts) to apply to ours's tree;
 * *nputs may be 0 when theirs brings nothing new. Free the array with
 * free(). */
int carelog__merge_puts(carelog__put **puts, size_t *nputs, git_repository *repo, const git_oid *ours,
	const git_oid *theirs);

/* Closes and reopens the chart's repository, so that it sees packs another
 * process added or removed. */
int carelog__chart_reopen(carelog__chart *c);
#endif
