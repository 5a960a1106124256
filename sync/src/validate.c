/*
 * validate.c - nothing received is trusted. Before a fetched or bundled
 * history is merged, every new commit is walked and every path it changes
 * is checked: a record path or a conflict path, a plain file whose size
 * (read from the object header first) is within bounds, holding a valid,
 * canonical record of this chart's patient with the id (and kind) its path
 * names. Records are never deleted, and a history with a root of its own is
 * not this chart's.
 *
 * The walk, the path rules and reading the blobs run on the caller's
 * thread; checking each record read is validate_blob.c's, on this thread
 * or, from the POOL_AFTER-th record blob on, on validate_pool.c's threads.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"
#include "sync_internal.h"
#include "tree_diff.h"
#include "validate.h"

#include "carelog/sync.h"

json_t *carelog__blob_record(git_repository *repo, const git_oid *blob_id)
{
	git_blob *blob = NULL;
	json_t *rec;
	char *text;
	size_t len;
	int rc;

	if ((rc = git_blob_lookup(&blob, repo, blob_id)) < 0) {
		carelog__git_fail(rc, "cannot read a record");
		return NULL;
	}
	len = (size_t)git_blob_rawsize(blob);
	if ((text = malloc(len + 1)) == NULL) {
		git_blob_free(blob);
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(text, git_blob_rawcontent(blob), len);
	git_blob_free(blob);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	rec = carelog__json_parse_object(text, "record");
	free(text);
	return rec;
}

/* Below this many record blobs (versions added or changed, over all the new
 * commits; conflict files not counted) a history is checked on the
 * caller's thread alone: threads are not worth starting for an incremental
 * sync's few records. The threads start at the POOL_AFTER-th. */
#define POOL_AFTER 512

typedef struct {
	git_repository *repo;
	const char *patient;
	git_tree *tree;          /* the commit's tree, to find a conflict's record */
	carelog__valid_record_cb each; /* told of every record blob accepted, or NULL */
	void *payload;
	int check_failed;        /* the error came from a blob's check or from `each`: told as it is */
	size_t blobs;            /* record blobs (not conflict files) met so far */
	carelog__check_pool *pool; /* checking threads, once the history proved large */
	char commit[GIT_OID_HEXSZ + 1];
} check_ctx;

#define BAD(x, path, ...) carelog__refuse((x)->commit, (path), __VA_ARGS__)

/* A blob's check is over (on this thread or another): its failure becomes
 * this thread's error, or `each` hears of the record it accepted. */
static int take_back(check_ctx *x, carelog__blob_check *b)
{
	int rc = b->rc;

	if (rc < 0) {
		if (b->msg[0] != '\0') /* checked on another thread */
			carelog__fail(rc, "%s", b->msg);
		x->check_failed = 1;
		return rc;
	}
	/* the record file is one line and its newline (carelog__record_from_file) */
	if (x->each && (rc = x->each(x->payload, b->path, &b->blob, b->rec, git_odb_object_data(b->obj),
			   git_odb_object_size(b->obj) - 1)) < 0) {
		x->check_failed = 1;
		return rc;
	}
	return 0;
}

/* Takes back the pool's finished checks, oldest first; all of them,
 * waiting for each, if `all`. */
static int take_back_done(check_ctx *x, int all)
{
	carelog__blob_check *b;
	int rc = 0;

	while (rc == 0 && (b = carelog__check_pool_oldest(x->pool, all)) != NULL) {
		rc = take_back(x, b);
		carelog__check_pool_release(x->pool);
	}
	return rc;
}

/* How many threads check records: $CARELOG_CHECK_THREADS when set to a
 * number (0: none; the tests set it to run several on any machine), else
 * one per CPU this process may run on but one: this thread walks, reads
 * and indexes meanwhile, busy itself (on 2 CPUs, a first sync of 100,000
 * records took as long with two checking threads as with one, measured
 * when the threads also read the blobs; not measured again since). At
 * most CARELOG__CHECK_THREADS_MAX. */
static int check_threads(void)
{
	const char *env = getenv("CARELOG_CHECK_THREADS");
	cpu_set_t set;
	long n = 0;

	if (env && *env) {
		char *end;
		n = strtol(env, &end, 10);
		if (*end != '\0' || n < 0)
			n = 0;
	} else {
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			n = CPU_COUNT(&set);
		if (n <= 0)
			n = sysconf(_SC_NPROCESSORS_ONLN);
		n--;
	}
	return n > CARELOG__CHECK_THREADS_MAX ? CARELOG__CHECK_THREADS_MAX : (int)(n > 0 ? n : 0);
}

/* Once a history has shown itself large, its records are checked on
 * threads of their own. Any failure to start them leaves the check on
 * this thread. */
static void maybe_start_pool(check_ctx *x)
{
	int n = check_threads();

	if (n > 0)
		x->pool = carelog__check_pool_start(x->patient, n);
}

/* A conflict file's record (b->want) must be in the commit's tree. */
static int check_conflict(check_ctx *x, carelog__blob_check *b)
{
	git_tree_entry *e = NULL;
	int rc;

	if ((rc = carelog__blob_check_read(x->repo, b)) < 0 || (rc = carelog__blob_check_record(x->patient, b)) < 0)
		return rc;
	if (git_tree_entry_bypath(&e, x->tree, b->want) < 0)
		return BAD(x, b->path, "a conflicting version of a record the chart does not hold as %s", b->want);
	git_tree_entry_free(e);
	return 0;
}

/* The blob at `path` must be a valid record of the patient, canonical, with
 * id `id` (and, for a conflict file, the kind of the record it shadows).
 * Read here; the record checked here or, handed to the pool, on its
 * threads, and taken back in walk order. */
static int check_blob(check_ctx *x, const char *path, const git_oid *blob_id, const char *id, int conflict)
{
	carelog__blob_check one, *b = &one;
	int rc;

	if (strlen(path) >= sizeof(b->path)) /* no record or conflict path is (check_delta): guards the copy */
		return BAD(x, path, "a path too long to be a record's");
	if (!conflict && ++x->blobs == POOL_AFTER)
		maybe_start_pool(x);
	if (x->pool && !conflict) {
		/* the ring is full: wait for the oldest check to come back */
		while ((b = carelog__check_pool_slot(x->pool)) == NULL) {
			rc = take_back(x, carelog__check_pool_oldest(x->pool, 1));
			carelog__check_pool_release(x->pool);
			if (rc < 0)
				return rc;
		}
	}
	memset(b, 0, sizeof(*b));
	memcpy(b->commit, x->commit, sizeof(b->commit));
	strcpy(b->path, path);
	snprintf(b->id, sizeof(b->id), "%s", id);
	git_oid_cpy(&b->blob, blob_id);
	b->conflict = conflict;
	b->keep = x->each != NULL && !conflict;
	if (conflict) {
		rc = check_conflict(x, b);
		carelog__blob_check_clear(b);
		return rc;
	}
	/* a blob that cannot be read is this thread's failure, told after the
	 * checks still out (finish_pool) */
	if ((rc = carelog__blob_check_read(x->repo, b)) < 0) {
		carelog__blob_check_clear(b);
		return rc;
	}
	if (x->pool) {
		carelog__check_pool_submit(x->pool);
		return take_back_done(x, 0);
	}
	carelog__blob_check_record(x->patient, b);
	rc = take_back(x, b);
	carelog__blob_check_clear(b);
	return rc;
}

static int check_delta(const carelog__tree_change *d, void *payload)
{
	check_ctx *x = payload;
	char id[CARELOG_ID_BUFSIZE];
	const char *path = d->path;
	int record = carelog__record_path_id(id, path);
	int conflict = !record && carelog__conflict_path_id(id, path);

	if (!record && !conflict)
		return BAD(x, path, "not a record path (<kind>/<YYYY>/<MM>/<id>.json of a known kind, the year and month of the id)");
	switch (d->status) {
	case GIT_DELTA_DELETED:
		if (record)
			return BAD(x, path, "deletes a record (records are never deleted, only marked entered-in-error)");
		return 0; /* a resolved conflict */
	case GIT_DELTA_ADDED:
	case GIT_DELTA_MODIFIED:
		if (d->new_mode != GIT_FILEMODE_BLOB)
			return BAD(x, path, "not a plain file (mode %o)", d->new_mode);
		if (conflict && d->status == GIT_DELTA_MODIFIED)
			return BAD(x, path, "changes a conflict file (they are named after their content)");
		if (conflict) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof(hex), d->new_id);
			if (strncmp(path + 47, hex, GIT_OID_HEXSZ) != 0)
				return BAD(x, path, "a conflict file not named after its content");
		}
		return check_blob(x, path, d->new_id, id, conflict);
	default:
		return BAD(x, path, "an unsupported change (%d)", (int)d->status);
	}
}

static int check_commit(check_ctx *x, git_commit *commit)
{
	git_commit *parent = NULL;
	int rc;

	if ((rc = git_commit_tree(&x->tree, commit)) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: its tree is missing", x->commit);
		goto out;
	}
	if (git_commit_parentcount(commit) > 0 && (rc = git_commit_parent(&parent, commit, 0)) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: its parent is missing", x->commit);
		goto out;
	}
	rc = carelog__tree_diff(x->repo, parent ? git_commit_tree_id(parent) : NULL, git_tree_id(x->tree), check_delta, x);
	if (rc < 0 && !x->check_failed && carelog__last_code() != CARELOG_EREMOTE && rc != CARELOG_ENOMEM)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: cannot read its tree: %s", x->commit,
			carelog_error_last()->message);
out:
	git_commit_free(parent);
	git_tree_free(x->tree);
	x->tree = NULL;
	return rc;
}

/* The walk is over with `rc`: the checks still out come back, in order.
 * A failure the walk met on this thread (a bad path, a missing tree) comes
 * after them in walk order, so an earlier blob's failure is the one told. */
static int finish_pool(check_ctx *x, int rc)
{
	char msg[1024];
	int code = carelog__last_code(), taken;

	if (rc == 0) {
		rc = take_back_done(x, 1);
	} else if (!x->check_failed) {
		snprintf(msg, sizeof(msg), "%s", carelog_error_last()->message);
		if ((taken = take_back_done(x, 1)) < 0)
			rc = taken;
		else
			carelog__fail(code, "%s", msg);
	}
	carelog__check_pool_stop(x->pool);
	x->pool = NULL;
	return rc;
}

int carelog__validate_history_each(git_repository *repo, const char *patient, const git_oid *tip,
	const git_oid *known, carelog__valid_record_cb each, void *payload)
{
	git_revwalk *walk = NULL;
	check_ctx x = { .repo = repo, .patient = patient, .each = each, .payload = payload };
	git_oid id;
	size_t roots = 0;
	int rc;

	if ((rc = git_revwalk_new(&walk, repo)) < 0 || (rc = git_revwalk_push(walk, tip)) < 0 ||
	    (known && (rc = git_revwalk_hide(walk, known)) < 0)) {
		rc = carelog__fail(CARELOG_EREMOTE, "refused: the received history cannot be walked: %s",
			git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL;
		git_oid_tostr(x.commit, sizeof(x.commit), &id);
		if ((rc = git_commit_lookup(&commit, repo, &id)) < 0) {
			rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s is missing or not a commit", x.commit);
			break;
		}
		if (git_commit_parentcount(commit) > 2)
			rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s has %u parents", x.commit,
				git_commit_parentcount(commit));
		else if (git_commit_parentcount(commit) == 0 && (known || ++roots > 1))
			rc = carelog__fail(CARELOG_EREMOTE,
				"refused: commit %.12s starts a history unrelated to chart %s", x.commit, patient);
		else
			rc = check_commit(&x, commit);
		git_commit_free(commit);
		if (rc < 0)
			break;
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else if (rc < 0 && !x.check_failed && carelog__last_code() != CARELOG_EREMOTE && rc != CARELOG_ENOMEM)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: the received history cannot be walked: %s",
			git_error_last() ? git_error_last()->message : "?");
	if (x.pool)
		rc = finish_pool(&x, rc);
out:
	git_revwalk_free(walk);
	return rc;
}

int carelog__validate_history(git_repository *repo, const char *patient, const git_oid *tip, const git_oid *known)
{
	return carelog__validate_history_each(repo, patient, tip, known, NULL, NULL);
}
