/*
 * chart.c - opening, creating and writing charts (bare git repositories,
 * branch main). The write path: blobs, trees and the commit go into an
 * in-memory object backend (libgit2's mempack). A device's single write
 * then goes into the chart's write-ahead journal (journal.c), folded into
 * git now and then (carelog__chart_fold); any other write leaves the
 * mempack as one fsynced pack, then the ref moves by compare-and-swap and
 * is fsynced. Objects before ref: a crash at any instant leaves either the
 * old head or the new one, both complete.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <jansson.h>
#include <git2/sys/odb_backend.h>

#include "chart.h"
#include "journal.h"
#include "pack_write.h"
#include "error.h"
#include "pack_background.h"
#include "record_id.h"

/* libgit2 keeps a ref's lock file for microseconds; one older than this was
 * left by a writer that died holding it, and we hold the store lock. */
#define STALE_REF_LOCK_SECONDS 2
#define REF_LOCK_WAIT_MS 5000

int carelog__odb_add_mempack(git_odb_backend **out, git_odb *odb, int priority)
{
	git_odb_backend *mempack = NULL;
	int rc;
	*out = NULL;
	if ((rc = git_mempack_new(&mempack)) < 0)
		return carelog__git_fail(rc, "cannot set up an in-memory object store");
	/* the odb owns a backend once it is added, and frees it */
	if ((rc = git_odb_add_backend(odb, mempack, priority)) < 0) {
		mempack->free(mempack);
		return carelog__git_fail(rc, "cannot set up an in-memory object store");
	}
	*out = mempack;
	return 0;
}

static int attach_mempack(carelog__chart *c)
{
	int rc;
	if ((rc = git_repository_odb(&c->odb, c->repo)) < 0)
		return carelog__git_fail(rc, "cannot open chart objects");
	if ((rc = carelog__odb_add_mempack(&c->mempack, c->odb, 1000)) < 0)
		return rc;
	return carelog__odb_add_mempack(&c->jpack, c->odb, 999);
}

static void bg_abandon(carelog__chart *c);

static void chart_free(carelog__chart *c)
{
	if (c == NULL)
		return;
	bg_abandon(c);
	carelog__journal_close(c);
	git_odb_free(c->odb);
	git_repository_free(c->repo);
	free(c->pending.ids);
	free(c->dir);
	free(c);
}

static int chart_open_dir(carelog__chart **out, const char *dir, const char *patient)
{
	carelog__chart *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (c == NULL || (c->dir = strdup(dir)) == NULL) {
		free(c);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	snprintf(c->patient, sizeof(c->patient), "%s", patient);
	c->jfd = -1;
	if ((rc = git_repository_open_bare(&c->repo, dir)) < 0) {
		rc = carelog__git_fail(rc, "cannot open chart");
		carelog__fail_prefix("chart %s", patient);
		chart_free(c);
		return rc;
	}
	if ((rc = attach_mempack(c)) < 0) {
		chart_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int carelog__chart_exists(carelog_store *s, const char *patient)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s.git/HEAD", s->charts_dir, patient);
	return stat(path, &st) == 0;
}

int carelog__chart_get(carelog__chart **out, carelog_store *s, const char *patient)
{
	carelog__chart *c;
	char *dir;
	int rc;

	for (c = s->charts; c; c = c->next) {
		if (strcmp(c->patient, patient) == 0) {
			*out = c;
			return 0;
		}
	}
	if ((rc = carelog__id_check(patient, "patient")) < 0)
		return rc;
	if (!carelog__chart_exists(s, patient))
		return carelog__fail(CARELOG_ENOTFOUND, "no patient %s in store %s", patient, s->path);
	if ((dir = carelog__strdupf("%s/%s.git", s->charts_dir, patient)) == NULL)
		return CARELOG_ENOMEM;
	rc = chart_open_dir(&c, dir, patient);
	free(dir);
	if (rc < 0)
		return rc;
	c->store = s;
	c->journal_on = strcmp(s->role, "clinic") != 0;
	c->next = s->charts;
	s->charts = c;
	*out = c;
	return 0;
}

void carelog__charts_close(carelog_store *s)
{
	/* what this handle wrote goes into git, where git itself sees it; if
	 * that fails it stays in the journal, durable, for the next writer */
	int code = carelog_error_last()->code;
	char message[sizeof(s->errmsg)];
	snprintf(message, sizeof(message), "%s", carelog_error_last()->message);
	for (carelog__chart *c = s->charts; c; c = c->next)
		if (c->jmine)
			carelog__chart_settle(c);
	/* closing keeps the caller's last error */
	if (code)
		carelog__fail(code, "%s", message);
	else
		carelog_error_clear();
	while (s->charts) {
		carelog__chart *next = s->charts->next;
		chart_free(s->charts);
		s->charts = next;
	}
}

int carelog__chart_head(git_oid *out, carelog__chart *c)
{
	git_oid base;
	int rc = carelog__journal_refresh(c);
	if (rc < 0)
		return rc;
	if (carelog__journal_head(out, &base, c))
		return 0;
	rc = git_reference_name_to_id(out, c->repo, CARELOG__REF);
	if (rc == GIT_ENOTFOUND)
		return carelog__fail(CARELOG_ENOTFOUND, "chart %s has no records yet", c->patient);
	if (rc < 0)
		return carelog__git_fail(rc, "cannot read the chart head");
	return 0;
}

int carelog__oids_add(carelog__oids *l, const git_oid *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		git_oid *ids = realloc(l->ids, cap * sizeof(*ids));
		if (ids == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		l->ids = ids;
		l->cap = cap;
	}
	l->ids[l->n++] = *id;
	return 0;
}

int carelog__pack_insert(git_packbuilder *pb, const carelog__oids *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int rc = git_packbuilder_insert(pb, &l->ids[i], NULL);
		if (rc < 0)
			return carelog__git_fail(rc, "cannot add an object to a pack");
	}
	return 0;
}

/* Adds the trees a write created: the root and every directory above a
 * written file. Unchanged trees are not touched by the write. */
static int add_new_trees(carelog__oids *l, git_tree *root, const carelog__put *puts, size_t nputs)
{
	/* a batch's records share a few directories: look each up once */
	json_t *seen = json_object();
	int rc = seen ? carelog__oids_add(l, git_tree_id(root)) : carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < nputs && rc == 0; i++) {
		char dir[sizeof(puts[i].path)];
		snprintf(dir, sizeof(dir), "%s", puts[i].path);
		for (char *slash = strchr(dir, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
			git_tree_entry *e = NULL;
			*slash = '\0';
			if (json_object_get(seen, dir) == NULL) {
				json_object_set_new(seen, dir, json_true());
				if ((rc = git_tree_entry_bypath(&e, root, dir)) == 0)
					rc = carelog__oids_add(l, git_tree_entry_id(e));
				else if (rc == GIT_ENOTFOUND && puts[i].op == CARELOG__PUT_REMOVE)
					rc = 0; /* the removal emptied (and so dropped) this directory */
				else
					rc = carelog__git_fail(rc, "cannot read a new tree");
				git_tree_entry_free(e);
			}
			*slash = '/';
		}
	}
	json_decref(seen);
	return rc;
}

int carelog__pack_buf_write(git_odb *odb, git_packbuilder *pb, char name[GIT_OID_HEXSZ + 1])
{
	git_buf pack = { 0 };
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats = { 0 };
	int rc;

	if ((rc = git_packbuilder_write_buf(&pack, pb)) < 0 ||
	    (rc = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
	    (rc = wp->append(wp, pack.ptr, pack.size, &stats)) < 0 ||
	    (rc = wp->commit(wp, &stats)) < 0)
		rc = carelog__git_fail(rc, "cannot write a pack");
	if (rc == 0 && name) {
		/* a pack is named after its trailing checksum, as the indexer names it */
		git_oid sum;
		git_oid_fromraw(&sum, (const unsigned char *)pack.ptr + pack.size - GIT_OID_RAWSZ);
		git_oid_tostr(name, GIT_OID_HEXSZ + 1, &sum);
	}
	if (wp)
		wp->free(wp);
	git_buf_dispose(&pack);
	return rc;
}

int carelog__pack_write(carelog__chart *c, git_packbuilder *pb, char name[GIT_OID_HEXSZ + 1])
{
	int rc = carelog__pack_buf_write(c->odb, pb, name);
	if (rc == 0)
		c->packs_written++;
	return rc;
}

/* Writes the objects of `l` (a journal's) as one pack through libgit2's
 * packbuilder, with deltas, its delta search on one thread: a fold's
 * memory is what bounds a phone's write. (An import's packs are
 * pack_write.c's.) */
static int pack_with_deltas(carelog__chart *c, const carelog__oids *l)
{
	git_packbuilder *pb = NULL;
	int rc;
	if ((rc = git_packbuilder_new(&pb, c->repo)) < 0)
		rc = carelog__git_fail(rc, "cannot start a pack");
	else if ((git_packbuilder_set_threads(pb, 1), rc = carelog__pack_insert(pb, l)) == 0)
		rc = carelog__pack_write(c, pb, NULL);
	git_packbuilder_free(pb);
	return rc;
}

/* Waits for the pack being written in the background, if any; once it is
 * in place, the chart's odb is made to see it (the mempack lets go of its
 * objects next). */
static int bg_finish(carelog__chart *c)
{
	int rc, had = c->bg != NULL;
	rc = carelog__bg_pack_finish(c->bg);
	c->bg = NULL;
	if (c->bg_turn && *c->bg_turn == c)
		*c->bg_turn = NULL;
	if (rc == 0 && had) {
		c->packs_written++;
		if ((rc = git_odb_refresh(c->odb)) < 0)
			rc = carelog__git_fail(rc, "cannot see the new pack");
	}
	/* whichever chart's write finds out, the error names this one */
	return rc < 0 ? carelog__fail_prefix("chart %s", c->patient) : rc;
}

/* Writes the objects batch staging held back as one pack, then empties
 * the mempack. With deltas, unlike a single write's pack (pack_write.c):
 * this pack is settled and kept as it is, and whole objects made an
 * imported chart half as large again on disk and on the wire to every
 * clone (measured, 100,000 records: 33 MB against 20 MB; the sync bench's
 * clone sent 26 MB against 15).
 *
 * `in_background`: while the import goes on (held_back), the pack is
 * written on a thread of its own (pack_background.c), the trees and
 * commits kept in the mempack for the next commits to build on; the next
 * flush first waits for it. Otherwise (a ref is about to move, the chart
 * is reopened) every pack is in place when this returns. */
static int flush_pending(carelog__chart *c, int in_background)
{
	int rc = bg_finish(c);
	if (rc < 0)
		return rc;
	if (c->pending.n == 0) {
		if (!in_background)
			git_mempack_reset(c->mempack); /* the trees a background pack left there are in it */
		return 0;
	}
	if (in_background) {
		/* one background pack per import at a time: an import of many
		 * patients would otherwise hold a copy of every chart's window and
		 * run a packbuilder for each at once (10 patients, 100,000
		 * records: 120 MB peak RSS against 79 MB before the packs went to
		 * the background, and no faster) */
		carelog__chart *other = c->bg_turn ? *c->bg_turn : NULL;
		if (other && other != c && (rc = bg_finish(other)) < 0)
			return rc;
		if ((rc = carelog__bg_pack_start(&c->bg, c->dir, c->odb, c->mempack, c->pending.ids, c->pending.n)) == 0 &&
		    c->bg_turn)
			*c->bg_turn = c;
	} else {
		rc = carelog__pack_write_ids_deltas(c, c->pending.ids, c->pending.n);
		if (rc == 0)
			git_mempack_reset(c->mempack);
	}
	if (rc < 0)
		return carelog__fail_prefix("chart %s", c->patient);
	c->pending.n = c->pending_bytes = 0;
	return 0;
}

/* Batch staging has just appended a commit's objects to c->pending from
 * index `first` on: counts their bytes, and writes all that waits once it
 * makes a settled pack or is too much to hold. */
static int held_back(carelog__chart *c, size_t first)
{
	for (size_t i = first; i < c->pending.n; i++) {
		size_t len = 0;
		git_object_t type;
		/* from the mempack: a hash lookup */
		if (git_odb_read_header(&len, &type, c->odb, &c->pending.ids[i]) == 0)
			c->pending_bytes += len;
	}
	if (c->pending.n >= CARELOG__PACK_SETTLED_OBJECTS || c->pending_bytes >= CARELOG__DEFER_MAX_BYTES)
		return flush_pending(c, 1);
	return 0;
}

int carelog__chart_defer(carelog__chart *c, int on)
{
	int rc = on ? 0 : flush_pending(c, 0);
	c->defer = on;
	return rc;
}

static void bg_abandon(carelog__chart *c)
{
	carelog__bg_pack_abandon(c->bg); /* its pack, if written, names nothing reachable */
	c->bg = NULL;
	if (c->bg_turn && *c->bg_turn == c)
		*c->bg_turn = NULL;
}

void carelog__chart_share_background(carelog__chart *c, carelog__chart **turn)
{
	c->bg_turn = turn;
}

void carelog__chart_discard_pending(carelog__chart *c)
{
	bg_abandon(c);
	if (c->mempack)
		git_mempack_reset(c->mempack);
	c->pending.n = c->pending_bytes = 0;
	c->defer = 0;
}

/*
 * Writes the objects of one write (the commit, its new trees, the records'
 * blobs), which sit in the mempack, as one pack and its index in
 * objects/pack (pack_write.c: whole objects, fsynced with the directory),
 * or, when staging a batch, holds them back (defer_objects). Only these
 * objects: git_mempack_dump would pack the commit's whole tree, that is the
 * chart.
 */
static int flush_objects(carelog__chart *c, const git_oid *commit_id, const git_oid *tree_id,
	const carelog__put *puts, size_t nputs)
{
	/* batch staging collects straight into what waits */
	carelog__oids own = { 0 }, *l = c->defer ? &c->pending : &own;
	size_t first = l->n;
	git_tree *root = NULL;
	int rc;

	if ((rc = carelog__oids_add(l, commit_id)) < 0)
		goto out;
	if ((rc = git_tree_lookup(&root, c->repo, tree_id)) < 0) {
		rc = carelog__git_fail(rc, "cannot read the new tree");
		goto out;
	}
	if ((rc = add_new_trees(l, root, puts, nputs)) < 0)
		goto out;
	for (size_t i = 0; i < nputs && rc == 0; i++)
		if (puts[i].op == CARELOG__PUT_DATA)
			rc = carelog__oids_add(l, &puts[i].blob);
	if (rc == 0)
		rc = c->defer ? held_back(c, first)
			: c->journaling ? carelog__journal_append(c, &c->jparent, commit_id, l)
			: carelog__pack_write_ids(c, l->ids, l->n);
out:
	if (rc < 0 && c->defer)
		l->n = first; /* a failed commit's objects are never written */
	git_tree_free(root);
	free(own.ids);
	return rc;
}

static int ref_lock_is_stale(carelog__chart *c)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/" CARELOG__REF ".lock", c->dir);
	if (stat(path, &st) < 0)
		return 0;
	if (time(NULL) - st.st_mtime < STALE_REF_LOCK_SECONDS)
		return 0;
	return unlink(path) == 0;
}

/* Moves the ref from old_head to new_head. libgit2 takes the ref's lock file
 * (as git itself does, so a git server receiving a push into this chart
 * serialises with us), checks the current value, writes and fsyncs. */
static int move_ref(carelog__chart *c, const git_oid *new_head, const git_oid *old_head)
{
	git_reference *ref = NULL;
	int rc, waited = 0;

	for (;;) {
		rc = old_head
			? git_reference_create_matching(&ref, c->repo, CARELOG__REF, new_head, 1, old_head, NULL)
			: git_reference_create(&ref, c->repo, CARELOG__REF, new_head, 0, NULL);
		git_reference_free(ref);
		ref = NULL;
		if (rc != GIT_ELOCKED)
			break;
		if (!ref_lock_is_stale(c)) {
			if (waited >= REF_LOCK_WAIT_MS)
				break;
			struct timespec ts = { 0, 2000000L };
			nanosleep(&ts, NULL);
			waited += 2;
		}
	}
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || (rc == GIT_ENOTFOUND && old_head))
		return carelog__fail(CARELOG_EMOVED, "chart %s moved on during the write", c->patient);
	if (rc < 0)
		return carelog__git_fail(rc, "cannot move the chart head");
	return 0;
}

static int make_commit(git_oid *out, carelog__chart *c, const git_oid *tree_id, git_commit **parents,
	size_t nparents, const char *message, const char *author, const char *device)
{
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	char email[160];
	int rc;

	snprintf(email, sizeof(email), "%s@carelog", device);
	if ((rc = git_signature_new(&sig, author, email, (git_time_t)time(NULL), 0)) < 0 ||
	    (rc = git_tree_lookup(&tree, c->repo, tree_id)) < 0 ||
	    (rc = git_commit_create(out, c->repo, NULL, sig, sig, "UTF-8", message, tree,
			nparents, (const git_commit **)parents)) < 0)
		rc = carelog__git_fail(rc, "cannot create the commit");
	git_tree_free(tree);
	git_signature_free(sig);
	return rc;
}

int carelog__chart_stage_parents(git_oid *commit_out, carelog__chart *c, const git_oid *parent_ids, size_t nparents,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device)
{
	git_commit *parents[2] = { NULL, NULL };
	git_tree *base = NULL;
	git_tree_update *updates = NULL;
	git_oid tree_id, commit_id;
	int rc = 0;

	if (nparents > 2)
		return carelog__fail(CARELOG_EINVALID, "a chart commit has at most two parents");
	for (size_t i = 0; i < nparents; i++) {
		if ((rc = git_commit_lookup(&parents[i], c->repo, &parent_ids[i])) < 0) {
			rc = carelog__git_fail(rc, "cannot read the chart head");
			goto out;
		}
	}
	if (nparents && (rc = git_commit_tree(&base, parents[0])) < 0) {
		rc = carelog__git_fail(rc, "cannot read the chart head");
		goto out;
	}
	if ((updates = calloc(nputs ? nputs : 1, sizeof(*updates))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nputs; i++) {
		/* straight into the write buffer: git_odb_write would first look the
		 * new blob up in every pack and rescan the pack directory on the miss */
		if (puts[i].op == CARELOG__PUT_DATA &&
		    ((rc = git_odb_hash(&puts[i].blob, puts[i].data, puts[i].len, GIT_OBJECT_BLOB)) < 0 ||
		     (rc = c->mempack->write(c->mempack, &puts[i].blob, puts[i].data, puts[i].len, GIT_OBJECT_BLOB)) < 0)) {
			rc = carelog__git_fail(rc, "cannot write a record");
			goto out;
		}
		updates[i].action = puts[i].op == CARELOG__PUT_REMOVE ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		updates[i].id = puts[i].blob;
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = puts[i].path;
	}
	if ((rc = git_tree_create_updated(&tree_id, c->repo, base, nputs, updates)) < 0) {
		rc = carelog__git_fail(rc, "cannot build the chart tree");
		goto out;
	}
	if (nparents == 1 && git_oid_equal(&tree_id, git_tree_id(base))) {
		*commit_out = parent_ids[0]; /* every record was already there as it is */
		goto out;
	}
	if ((rc = make_commit(&commit_id, c, &tree_id, parents, nparents, message, author, device)) < 0 ||
	    (rc = flush_objects(c, &commit_id, &tree_id, puts, nputs)) < 0)
		goto out;
	*commit_out = commit_id;
out:
	/* batch staging keeps what waits (its next commits build on it); the
	 * objects of a failed commit are in no list and are never written */
	if (!c->defer)
		git_mempack_reset(c->mempack);
	free(updates);
	git_tree_free(base);
	git_commit_free(parents[0]);
	git_commit_free(parents[1]);
	return rc;
}

int carelog__chart_stage(git_oid *commit_out, carelog__chart *c, const git_oid *parent_id,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device)
{
	return carelog__chart_stage_parents(commit_out, c, parent_id, parent_id ? 1 : 0, puts, nputs,
		message, author, device);
}

int carelog__chart_publish(carelog__chart *c, const git_oid *commit, const git_oid *old_head)
{
	int rc;
	if (old_head && git_oid_equal(commit, old_head))
		return 0;
	/* earlier single writes into git first (old_head may be the journal's
	 * head), then objects before the ref */
	if ((rc = carelog__chart_defer(c, 0)) < 0 || (rc = carelog__chart_fold(c)) < 0)
		return rc;
	return move_ref(c, commit, old_head);
}

/* Merges `ref` (where a git push moved the ref while the journal held
 * writes) with the journal's head, as sync merges what it fetches, and
 * moves the ref from `ref` to the merge. */
static int fold_merge(carelog__chart *c, const git_oid *ref, const git_oid *jhead)
{
	carelog__put *puts = NULL;
	size_t nputs = 0;
	git_oid parents[2] = { *jhead, *ref }, merged;
	int rc = carelog__merge_puts(&puts, &nputs, c->repo, jhead, ref);
	if (rc == 0)
		rc = carelog__chart_stage_parents(&merged, c, parents, 2, puts, nputs, "merge a push into this device's writes",
			c->store ? c->store->author : "carelog", c->store ? c->store->device : "carelog");
	free(puts);
	return rc < 0 ? rc : move_ref(c, &merged, ref);
}

int carelog__chart_fold(carelog__chart *c)
{
	git_oid jhead, jbase, ref;
	int rc;

	for (int attempt = 0;; attempt++) {
		if ((rc = carelog__journal_refresh(c)) < 0 || !carelog__journal_head(&jhead, &jbase, c))
			return rc;
		/* objects before the ref, as for any write; with deltas (the
		 * packbuilder): a write rewrites the trees above its records, and
		 * whole they made a chart of single writes four times as large */
		if (attempt == 0 && (rc = pack_with_deltas(c, carelog__journal_objects(c))) < 0)
			return rc;
		if ((rc = git_reference_name_to_id(&ref, c->repo, CARELOG__REF)) < 0)
			return carelog__git_fail(rc, "cannot read the chart head");
		if (git_oid_equal(&ref, &jbase))
			rc = move_ref(c, &jhead, &jbase);
		else if (git_oid_equal(&ref, &jhead) || git_graph_descendant_of(c->repo, &ref, &jhead) == 1)
			rc = 0; /* folded already, by a fold cut short before it emptied the journal */
		else
			rc = fold_merge(c, &ref, &jhead);
		if (rc != CARELOG_EMOVED || attempt >= 3)
			break;
	}
	return rc < 0 ? rc : carelog__journal_clear(c);
}

int carelog__chart_settle(carelog__chart *c)
{
	int rc;
	if (c->store == NULL)
		return 0;
	if ((rc = carelog__lock(c->store)) == 0) {
		rc = carelog__chart_fold(c);
		carelog__unlock(c->store);
	}
	return rc;
}

/* A single write through the journal: staged on `old_head`, which must be
 * the chart's head (the journal's, else the ref), and appended. */
static int journal_write(git_oid *new_head, carelog__chart *c, const git_oid *old_head,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device)
{
	git_oid cur, base, ref;
	int rc;

	if ((rc = carelog__journal_refresh(c)) < 0)
		return rc;
	if ((rc = git_reference_name_to_id(&ref, c->repo, CARELOG__REF)) < 0)
		return carelog__git_fail(rc, "cannot read the chart head");
	if (carelog__journal_head(&cur, &base, c) && !git_oid_equal(&ref, &base)) {
		/* a git push moved the ref under the journal: merge it in first */
		if ((rc = carelog__chart_fold(c)) < 0)
			return rc;
		return carelog__fail(CARELOG_EMOVED, "chart %s moved on during the write", c->patient);
	}
	if (c->jcount == 0)
		cur = ref;
	if (!git_oid_equal(&cur, old_head))
		return carelog__fail(CARELOG_EMOVED, "chart %s moved on during the write", c->patient);
	c->journaling = 1;
	c->jparent = *old_head;
	rc = carelog__chart_stage(new_head, c, old_head, puts, nputs, message, author, device);
	c->journaling = 0;
	/* the write is durable in the journal; a fold failing must not fail it */
	if (rc == 0 && carelog__journal_full(c) && carelog__chart_fold(c) < 0)
		carelog_error_clear();
	return rc;
}

int carelog__chart_write(git_oid *new_head, carelog__chart *c, const git_oid *old_head,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device)
{
	int rc;
	if (c->journal_on && old_head && !c->defer)
		return journal_write(new_head, c, old_head, puts, nputs, message, author, device);
	rc = carelog__chart_stage(new_head, c, old_head, puts, nputs, message, author, device);
	return rc < 0 ? rc : carelog__chart_publish(c, new_head, old_head);
}

/* Settings git itself reads when a git server receives pushes into the
 * chart: keep pushed objects packed (as carelog writes them) and fsync. */
static int configure_new_chart(git_repository *repo)
{
	git_config *cfg = NULL;
	int rc;
	if ((rc = git_repository_config(&cfg, repo)) < 0 ||
	    (rc = git_config_set_int32(cfg, "receive.unpackLimit", 1)) < 0 ||
	    (rc = git_config_set_int32(cfg, "transfer.unpackLimit", 1)) < 0 ||
	    (rc = git_config_set_string(cfg, "core.fsync", "all")) < 0 ||
	    (rc = git_config_set_bool(cfg, "core.logAllRefUpdates", 0)) < 0)
		rc = carelog__git_fail(rc, "cannot configure the new chart");
	git_config_free(cfg);
	return rc;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char p[4096];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

void carelog__charts_sweep(carelog_store *s)
{
	DIR *d = opendir(s->charts_dir);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		/* ".new-<patient>-<pid>.git": a chart being made by a writer that died */
		const char *dash = strrchr(e->d_name, '-');
		char path[4200];
		long pid;
		if (strncmp(e->d_name, ".new-", 5) != 0 || dash == NULL)
			continue;
		pid = strtol(dash + 1, NULL, 10);
		if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->charts_dir, e->d_name);
		remove_tree(path);
	}
	closedir(d);
}

static int temp_chart(carelog__chart **out, carelog_store *s, const char *patient);

int carelog__chart_create_temp(carelog__chart **out, carelog_store *s, const char *patient)
{
	*out = NULL;
	if (carelog__chart_exists(s, patient))
		return carelog__fail(CARELOG_EEXISTS, "patient %s already has a chart", patient);
	return temp_chart(out, s, patient);
}

int carelog__chart_see(carelog__chart *q, carelog__chart *c)
{
	char *objects;
	int rc;
	/* q reads c's objects from disk: what c's journal holds goes there first */
	if ((rc = carelog__chart_settle(c)) < 0)
		return rc;
	if ((objects = carelog__strdupf("%s/objects", c->dir)) == NULL)
		return CARELOG_ENOMEM;
	if ((rc = git_odb_add_disk_alternate(q->odb, objects)) < 0)
		rc = carelog__git_fail(rc, "cannot set up the quarantine");
	free(objects);
	return rc;
}

int carelog__chart_quarantine(carelog__chart **out, carelog_store *s, carelog__chart *c)
{
	int rc = temp_chart(out, s, c->patient);
	if (rc == 0 && (rc = carelog__chart_see(*out, c)) < 0) {
		carelog__chart_discard_temp(*out);
		*out = NULL;
	}
	return rc;
}

int carelog__chart_quarantine_accept(carelog__chart *c, carelog__chart *q)
{
	char *from = carelog__strdupf("%s/objects/pack", q->dir), *to = carelog__strdupf("%s/objects/pack", c->dir);
	DIR *d = from ? opendir(from) : NULL;
	struct dirent *e;
	int rc = 0;

	if (from == NULL || to == NULL)
		rc = CARELOG_ENOMEM;
	else if (d == NULL)
		rc = carelog__fail(CARELOG_EIO, "cannot read %s: %s", from, strerror(errno));
	/* each pack before its index: an index never names a missing pack */
	for (int pass = 0; rc == 0 && pass < 2; pass++) {
		const char *ext = pass == 0 ? ".pack" : ".idx";
		rewinddir(d);
		while (rc == 0 && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name), k = strlen(ext);
			char src[4096], dst[4096];
			if (n <= k || strcmp(e->d_name + n - k, ext) != 0 || strncmp(e->d_name, "pack-", 5) != 0)
				continue;
			snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
			snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
			if (rename(src, dst) < 0)
				rc = carelog__fail(CARELOG_EIO, "cannot move %s into the chart: %s", src, strerror(errno));
		}
		if (rc == 0)
			rc = carelog__fsync_dir(to);
	}
	if (d)
		closedir(d);
	free(from);
	free(to);
	carelog__chart_discard_temp(q);
	if (rc == 0 && git_odb_refresh(c->odb) < 0)
		rc = carelog__git_fail(-1, "cannot refresh the chart's objects");
	return rc;
}

static int temp_chart(carelog__chart **out, carelog_store *s, const char *patient)
{
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository *repo = NULL;
	char *tmp;
	int rc;

	*out = NULL;
	carelog__charts_sweep(s);
	if ((tmp = carelog__strdupf("%s/.new-%s-%ld.git", s->charts_dir, patient, (long)getpid())) == NULL)
		return CARELOG_ENOMEM;
	remove_tree(tmp);
	init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	init.initial_head = "main";
	if ((rc = git_repository_init_ext(&repo, tmp, &init)) < 0)
		rc = carelog__git_fail(rc, "cannot create the chart");
	else if ((rc = configure_new_chart(repo)) == 0)
		rc = chart_open_dir(out, tmp, patient);
	git_repository_free(repo);
	if (rc < 0)
		remove_tree(tmp);
	free(tmp);
	return rc;
}

void carelog__chart_discard_temp(carelog__chart *c)
{
	if (c == NULL)
		return;
	bg_abandon(c); /* before its directory goes */
	remove_tree(c->dir);
	chart_free(c);
}

int carelog__chart_install(carelog__chart **out, carelog_store *s, carelog__chart *temp)
{
	char *dir = carelog__strdupf("%s/%s.git", s->charts_dir, temp->patient);
	char patient[CARELOG_ID_BUFSIZE];
	int rc = 0;

	*out = NULL;
	snprintf(patient, sizeof(patient), "%s", temp->patient);
	if (dir == NULL) {
		carelog__chart_discard_temp(temp);
		return CARELOG_ENOMEM;
	}
	if (rename(temp->dir, dir) < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot move the new chart into place at %s: %s", dir, strerror(errno));
		carelog__chart_discard_temp(temp);
	} else {
		chart_free(temp);
		if ((rc = carelog__fsync_dir(s->charts_dir)) == 0 && s->hook_program)
			rc = carelog__chart_hook_install(dir, s->hook_program);
		if (rc == 0)
			rc = carelog__chart_get(out, s, patient);
	}
	free(dir);
	return rc;
}

int carelog__chart_create(carelog__chart **out, carelog_store *s, const char *patient,
	carelog__put *puts, size_t nputs, const char *message, const char *author, const char *device)
{
	carelog__chart *c;
	git_oid head;
	int rc = carelog__chart_create_temp(&c, s, patient);
	if (rc < 0)
		return rc;
	if ((rc = carelog__chart_write(&head, c, NULL, puts, nputs, message, author, device)) < 0) {
		carelog__chart_discard_temp(c);
		return rc;
	}
	return carelog__chart_install(out, s, c);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int carelog__chart_list(char ***ids, size_t *count, carelog_store *s)
{
	DIR *d = opendir(s->charts_dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;

	*ids = NULL;
	*count = 0;
	if (d == NULL)
		return carelog__fail(CARELOG_EIO, "cannot read %s: %s", s->charts_dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char id[CARELOG_ID_BUFSIZE];
		if (len != 40 || strcmp(e->d_name + 36, ".git") != 0)
			continue;
		memcpy(id, e->d_name, 36);
		id[36] = '\0';
		if (!carelog__id_valid(id) || !carelog__chart_exists(s, id))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (nv == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[n] = strdup(id)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ids = v;
	*count = n;
	return 0;
nomem:
	closedir(d);
	carelog__chart_list_free(v, n);
	return carelog__fail(CARELOG_ENOMEM, "out of memory");
}

void carelog__chart_list_free(char **ids, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(ids[i]);
	free(ids);
}

int carelog__chart_read(char **text, size_t *len, carelog__chart *c, const git_oid *at, const char *path)
{
	git_oid head;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc;

	*text = NULL;
	if (at == NULL) {
		if ((rc = carelog__chart_head(&head, c)) < 0)
			return rc;
		at = &head;
	}
	if ((rc = git_commit_lookup(&commit, c->repo, at)) < 0 || (rc = git_commit_tree(&tree, commit)) < 0) {
		rc = carelog__git_fail(rc, "cannot read the chart");
		goto out;
	}
	if ((rc = git_tree_entry_bypath(&entry, tree, path)) < 0) {
		rc = rc == GIT_ENOTFOUND ? carelog__fail(CARELOG_ENOTFOUND, "no %s in chart %s", path, c->patient)
					 : carelog__git_fail(rc, "cannot read the chart");
		goto out;
	}
	if ((rc = git_blob_lookup(&blob, c->repo, git_tree_entry_id(entry))) < 0) {
		rc = carelog__git_fail(rc, "cannot read a record");
		goto out;
	}
	*len = (size_t)git_blob_rawsize(blob);
	if ((*text = malloc(*len + 1)) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*text, git_blob_rawcontent(blob), *len);
	(*text)[*len] = '\0';
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int carelog__chart_versions(carelog__chart *c, const char *path, carelog__version_cb cb, void *payload)
{
	git_revwalk *walk = NULL;
	git_oid commit_id, head, *seen = NULL;
	size_t nseen = 0, cap = 0;
	int rc;

	/* from the chart's head, which may be the journal's, not the ref */
	if ((rc = carelog__chart_head(&head, c)) < 0)
		return rc;
	if ((rc = git_revwalk_new(&walk, c->repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(walk, &head)) < 0) {
		rc = carelog__git_fail(rc, "cannot walk the chart history");
		goto out;
	}
	while ((rc = git_revwalk_next(&commit_id, walk)) == 0) {
		git_commit *commit = NULL;
		git_tree *tree = NULL;
		git_tree_entry *entry = NULL;
		int found = 0;
		if ((rc = git_commit_lookup(&commit, c->repo, &commit_id)) < 0 ||
		    (rc = git_commit_tree(&tree, commit)) < 0) {
			git_commit_free(commit);
			rc = carelog__git_fail(rc, "cannot read the chart history");
			goto out;
		}
		if (git_tree_entry_bypath(&entry, tree, path) == 0) {
			const git_oid *blob = git_tree_entry_id(entry);
			for (size_t i = 0; i < nseen && !found; i++)
				found = git_oid_equal(&seen[i], blob);
			if (!found) {
				if (nseen == cap) {
					git_oid *ns = realloc(seen, (cap = cap ? cap * 2 : 8) * sizeof(*seen));
					if (ns == NULL)
						rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
					else
						seen = ns;
				}
				if (rc == 0) {
					seen[nseen++] = *blob;
					rc = cb(&commit_id, blob, payload);
				}
			}
		}
		git_tree_entry_free(entry);
		git_tree_free(tree);
		git_commit_free(commit);
		if (rc != 0)
			goto out;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else if (rc < 0)
		rc = carelog__git_fail(rc, "cannot walk the chart history");
out:
	free(seen);
	git_revwalk_free(walk);
	return rc;
}

int carelog__chart_reopen(carelog__chart *c)
{
	int rc;
	/* what batch staging holds back lives in the mempack, which goes */
	if ((rc = carelog__chart_defer(c, 0)) < 0)
		return rc;
	git_odb_free(c->odb);
	git_repository_free(c->repo);
	c->odb = NULL;
	c->repo = NULL;
	c->mempack = NULL;
	if ((rc = git_repository_open_bare(&c->repo, c->dir)) < 0)
		return carelog__git_fail(rc, "cannot reopen chart");
	/* the journal's backend went with the odb: load the journal again */
	c->jpack = NULL;
	carelog__journal_forget(c);
	return attach_mempack(c);
}
