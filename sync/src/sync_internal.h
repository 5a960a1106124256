/*
 * sync_internal.h - what sync/'s modules share: remotes, the checks every
 * received history passes, the record-aware merge, conflict paths.
 */
#ifndef CARELOG_SYNC_INTERNAL_H
#define CARELOG_SYNC_INTERNAL_H

#include <git2.h>
#include <jansson.h>
#include <zlib.h>

#include "chart.h"
#include "delta.h"
#include "pack_buf.h"
#include "hlc.h"
#include "record_id.h"
#include "store_internal.h"

/* A received record file is at most this big (the largest valid record, a
 * 10,000-character note, is well under it); its size is read from the
 * object header before the object itself. */
#define CARELOG__MAX_RECORD_BYTES (64 * 1024)
/* One chart's transfer may bring at most this many bytes. */
#define CARELOG__MAX_TRANSFER_BYTES (1024LL * 1024 * 1024)
/* Fetch, merge and push again at most this many times when the push is
 * refused because the remote moved on. */
#define CARELOG__SYNC_ATTEMPTS 5

#define CARELOG__INCOMING_REF "refs/carelog/incoming"

/* ssh_hostkey.c: 0 if `hk` is the key known for host (and port, when not
 * 22) in $CARELOG_SSH_KNOWN_HOSTS or ~/.ssh/known_hosts; else
 * CARELOG_EREMOTE saying whether the host is unknown or its key changed. */
int carelog__ssh_hostkey_check(const git_cert_hostkey *hk, const char *host, int port);

/* sync.c: takes <store>/sync.lock (flock, waiting up to the store's lock
 * timeout, then CARELOG_ELOCKED): syncs and bundle applications of one
 * store never interleave. *fd receives the lock's descriptor; close it to
 * release. */
int carelog__sync_lock(int *fd, carelog_store *s);

/* credential.c: asks git's credential helpers (`git credential fill`,
 * never prompting) for a user name and password for `url`. 0 and both set
 * (free with carelog__credential_wipe), or -1 and both NULL when git, a
 * helper or an answer is missing. */
int carelog__credential_fill(char **user, char **password, const char *url, const char *user_from_url);
/* Wipes the password and frees both (either may be NULL). */
void carelog__credential_wipe(char *user, char *password);

/* The first line of a git bundle, format v2 (bundle.c, bundle_apply.c). */
#define CARELOG__BUNDLE_SIGNATURE "# v2 git bundle"

/* remotes.c */
int carelog__remotes_load(json_t **out, carelog_store *s);
int carelog__remote_url(char **url, carelog_store *s, const char *name);
int carelog__url_is_path(const char *url);

/* thin_pack.c: fetches into quarantine q write their pack through a
 * receiver that completes a thin pack with every delta resolved in one
 * pass; the objects that land are those libgit2's own pack writer would
 * add. 0 or a carelog error. */
int carelog__thin_pack_receiver(carelog__chart *q);

/* thin_push.c: the pack a push of `tip` to a remote whose main is `known`
 * sends, thin as git's own push makes it: every commit reachable from
 * `tip` and not from `known`, every tree and blob they bring that neither
 * a parent (at the same path) nor `known`'s tree holds, each tree and blob
 * that `known`'s tree has a version of at its path as a REF_DELTA against
 * that version, which the remote holds (a git server completes a thin pack
 * on receipt: `index-pack --fix-thin`). 0 and *pack (malloc'd) of *len
 * bytes, *objects objects, *deltas of them deltas; 1 when the push is not
 * one to send thin (too large, or a tree entry of another type than trees
 * and blobs): send libgit2's own pack; or a carelog error. */
int carelog__thin_pack_build(unsigned char **pack, size_t *len, size_t *objects, size_t *deltas,
	git_repository *repo, const git_oid *known, const git_oid *tip);

/* What a thin push did, for the chart's result. */
typedef struct {
	int thin;             /* the pack sent was carelog's thin one */
	size_t objects, deltas;
	size_t bytes;         /* everything written to the remote: commands and pack */
} carelog__push_stats;

/* push_transport.c: a git_transport_cb (git_remote_callbacks.transport)
 * for pushes over git://, http(s):// and ssh://: libgit2's own smart
 * transport and subtransport, whose receive-pack stream sends the pack of
 * carelog__thin_pack_build instead of libgit2's when the push is one
 * update of a ref the remote has, from a commit `repo` holds (libgit2 1.5
 * sends no thin packs). Any other URL gets libgit2's transport for it
 * (git_transport_new). `stats` (zeroed first) says what was sent;
 * `thin` 0 turns the thin pack off. repo and stats outlive the push. */
int carelog__push_transport(git_transport **out, git_remote *owner, git_repository *repo, carelog__push_stats *stats,
	int thin);

/* validate.c: checks every commit reachable from `tip` and not from `known`
 * (NULL: the chart is new here, and the history must have one root): each
 * changed path a record or conflict path, each blob (size first) a valid,
 * canonical record of `patient` with the id its path names, no record
 * deleted, no new root when `known` is set. CARELOG_EREMOTE with a message
 * naming the commit and path on the first violation. */
int carelog__validate_history(git_repository *repo, const char *patient, const git_oid *tip, const git_oid *known);
/* The same, telling `each` (payload first) of every record blob it accepted
 * (not conflict files) once the blob passed every check: its path, id,
 * parsed record and text (`len` bytes, the newline left out, not
 * NUL-terminated). A negative return stops the walk and is returned as it
 * is, its error kept (a local failure, not a refusal). `each` runs on the
 * caller's thread, in walk order (a large history's records are checked
 * meanwhile on threads of validate_pool.c's, which make no libgit2 call
 * but reading the bytes of blobs this thread read). */
typedef int (*carelog__valid_record_cb)(void *payload, const char *path, const git_oid *blob, json_t *rec,
	const char *text, size_t len);
int carelog__validate_history_each(git_repository *repo, const char *patient, const git_oid *tip,
	const git_oid *known, carelog__valid_record_cb each, void *payload);

/* merge.c: carelog__merge_puts is declared in chart.h (the engine's
 * journal fold merges with it too). */

/* merge.c: >0 if version a (record ra, blob a) wins over b: the later hlc
 * stamp, then the larger device id, then the larger blob id; every store
 * decides alike. */
int carelog__version_order(json_t *ra, const git_oid *a, json_t *rb, const git_oid *b);

/* clock.c: a clinic's clock against a device whose clock is wrong (the
 * file's comment says how). */
/* Calls cb for each record version in `to`'s tree that differs from
 * `from`'s (NULL: the empty tree) and is stamped more than
 * CARELOG__HLC_MAX_LEAD_MS after now_ms; only `device`'s versions unless
 * it is NULL. A negative return of cb stops the walk and is returned. */
typedef int (*carelog__clock_ahead_cb)(void *payload, const char *path, const char *id, const git_oid *blob,
	json_t *rec, const carelog__hlc *h);
int carelog__clock_ahead(git_repository *repo, const git_oid *from, const git_oid *to, int64_t now_ms,
	const char *device, carelog__clock_ahead_cb cb, void *payload);
/* The hook's check: CARELOG_EREMOTE, naming the tip, the path, the record,
 * its stamp, how far ahead it is and what this server's clock says, if a
 * version the push brings to the tip is ahead of this server's clock. */
int carelog__clock_check_push(git_repository *repo, const git_oid *old_tip, const git_oid *new_tip,
	const char *advice);
/* 1 and *clinic_ms if `text` (what the remote said) holds the hook's
 * statement of its clock; else 0. */
int carelog__clock_from_refusal(int64_t *clinic_ms, const char *text);
/* Under the store lock: this device's versions in the chart head's tree
 * that differ from `remote_tip`'s (NULL: all) and are stamped more than
 * CARELOG__HLC_MAX_LEAD_MS after clinic_ms get a new version each, stamped
 * skew_ms earlier (at most clinic_ms), the record decided again among its
 * open conflict versions; one commit, put into git (not left in the
 * journal), the index caught up. *n receives how
 * many (0: nothing written). */
int carelog__clock_restamp(size_t *n, carelog_store *s, carelog__chart *c, const git_oid *remote_tip,
	int64_t clinic_ms, int64_t skew_ms);
/* Before a push or a bundle: when the chart holds versions stamped ahead
 * of this device's clock (the index says) and no other device's version is
 * (so this clock is not behind), carelog__clock_restamp of this device's
 * own ones against its own clock (skew 0), their `time` left as it is,
 * leaving out a version stamped in the millisecond of another device's
 * version it amended (its stamp followed that version, not a wrong clock).
 * *n: how many. */
int carelog__clock_settle(size_t *n, carelog_store *s, carelog__chart *c, const git_oid *remote_tip);
/* "3 days 2 hours", "5 hours 12 minutes", "7 minutes" for |ms|. */
void carelog__clock_span(char *out, size_t outsz, int64_t ms);

/* Reads a blob as a parsed record (NULL on any failure, error set). */
json_t *carelog__blob_record(git_repository *repo, const git_oid *blob);

/* conflicts.c: the open conflicts in `commit`'s tree. */
int carelog__count_conflicts(size_t *n, git_repository *repo, const git_oid *commit);

/* integrate.c: under the store lock, brings `incoming` (checked, its
 * objects in the chart) into the chart's main: a fast-forward, or the
 * record-aware merge committed as "merge <source>" (again when a writer
 * moved the head meanwhile, bounded); then catches up the index. `incoming`
 * NULL only catches up. *new_head receives the chart's head. */
int carelog__integrate(git_oid *new_head, carelog_store *s, carelog__chart *c, const git_oid *incoming,
	const char *source);

/* tip_index.c: the records of a new chart's tip put into the index as
 * carelog__validate_history_each accepts them (carelog__tip_index_record is
 * its callback, the struct its payload), inside the caller's index
 * transaction. */
typedef struct {
	carelog_store *s;
	git_repository *repo;
	git_tree *tip;        /* the tip's tree */
	git_tree *dir;        /* the tip's tree at dir_path, NULL if none there */
	int have_dir;         /* dir and dir_path are set */
	char dir_path[256];
} carelog__tip_index;
int carelog__tip_index_init(carelog__tip_index *t, carelog_store *s, git_repository *repo, const git_oid *tip);
int carelog__tip_index_record(void *payload, const char *path, const git_oid *blob, json_t *rec, const char *text,
	size_t len);
void carelog__tip_index_free(carelog__tip_index *t);

/* integrate.c: checks the history of a temporary chart
 * (carelog__chart_create_temp) as carelog__validate_history(tmp, patient,
 * tip, NULL) does and puts it in place with main at `tip`, under the store
 * lock, in one pass over the records: inside the index transaction that
 * installs the chart, every record of the tip is indexed as its blob is
 * checked, so that a first sync reads, inflates and parses each blob once
 * rather than twice. `tmp` is consumed (discarded on failure); a refused
 * history (CARELOG_EREMOTE) leaves the index as it was; CARELOG_EMOVED if
 * the chart appeared in the store meanwhile. */
int carelog__install_new_chart(carelog__chart **out, carelog_store *s, carelog__chart *tmp, const git_oid *tip);

/* Counts record paths that differ between two commits' trees (either may
 * be NULL: the empty tree). */
int carelog__count_changed_records(size_t *n, git_repository *repo, const git_oid *a, const git_oid *b);

#endif
