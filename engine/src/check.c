/*
 * check.c - carelog_store_check: the history is readable, every record in
 * every chart head is valid, canonical and at its own path, and the index
 * holds exactly the chart heads' records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "error.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"

typedef struct {
	carelog_store *s;
	carelog__chart *c;
	carelog_problem_cb cb;
	void *payload;
	size_t problems;
	int stop;
	/* the head's records, sorted by id, to compare with the index */
	struct entry {
		char id[CARELOG_ID_BUFSIZE];
		git_oid blob;
	} *v;
	size_t n, cap;
} check_ctx;

static void problem(check_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(check_ctx *x, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->problems++;
	if (x->cb && x->cb(x->c ? x->c->patient : NULL, msg, x->payload) != 0)
		x->stop = 1;
}

/* A record file, or (conflict_of set) a conflict file holding a losing
 * version of record conflict_of, which the index does not hold. */
static void check_record(check_ctx *x, const char *path, const git_oid *blob_id, const char *conflict_of)
{
	git_blob *blob = NULL;
	json_t *rec = NULL;
	char want[96];
	const char *id, *kind;
	int rc;

	if (git_blob_lookup(&blob, x->c->repo, blob_id) < 0) {
		problem(x, "%s: cannot be read: %s", path, git_error_last() ? git_error_last()->message : "?");
		return;
	}
	rc = carelog__record_from_file(&rec, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	if (rc < 0) {
		problem(x, "%s: %s", path, carelog_error_last()->message);
		return;
	}
	id = json_string_value(json_object_get(rec, "id"));
	kind = json_string_value(json_object_get(rec, "kind"));
	carelog__record_path(want, sizeof(want), kind, id);
	if (conflict_of && strcmp(conflict_of, id) != 0)
		problem(x, "%s: holds record %s, not %s", path, id, conflict_of);
	else if (!conflict_of && strcmp(want, path) != 0)
		problem(x, "%s: record %s belongs at %s", path, id, want);
	if (strcmp(json_string_value(json_object_get(rec, "patient")), x->c->patient) != 0)
		problem(x, "%s: record of another patient", path);
	if (conflict_of)
		goto out;
	if (x->n == x->cap) {
		struct entry *nv = realloc(x->v, (x->cap = x->cap ? x->cap * 2 : 256) * sizeof(*nv));
		if (nv == NULL) {
			problem(x, "out of memory");
			goto out;
		}
		x->v = nv;
	}
	snprintf(x->v[x->n].id, CARELOG_ID_BUFSIZE, "%s", id);
	x->v[x->n].blob = *blob_id;
	x->n++;
out:
	json_decref(rec);
}

static int tree_cb(const char *root, const git_tree_entry *e, void *payload)
{
	check_ctx *x = payload;
	char path[512];
	if (x->stop)
		return -1;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB)
		problem(x, "%s: not a plain file", path);
	else {
		char of[CARELOG_ID_BUFSIZE];
		check_record(x, path, git_tree_entry_id(e), carelog__conflict_path_id(of, path) ? of : NULL);
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

/* The index must hold exactly the records of the head, blob for blob. */
static void compare_index(check_ctx *x)
{
	sqlite3_stmt *st = NULL;
	size_t i = 0;
	int rc;

	qsort(x->v, x->n, sizeof(*x->v), cmp_entry);
	sqlite3_prepare_v2(x->s->db, "SELECT id, blob FROM records WHERE patient = ?1 ORDER BY id", -1, &st, NULL);
	sqlite3_bind_text(st, 1, x->c->patient, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !x->stop) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		for (; i < x->n && strcmp(x->v[i].id, id) < 0; i++)
			problem(x, "record %s is in the chart but not in the index", x->v[i].id);
		if (i < x->n && strcmp(x->v[i].id, id) == 0) {
			if (sqlite3_column_bytes(st, 1) != GIT_OID_RAWSZ ||
			    memcmp(sqlite3_column_blob(st, 1), x->v[i].blob.id, GIT_OID_RAWSZ) != 0)
				problem(x, "record %s differs between the chart and the index", id);
			i++;
		} else {
			problem(x, "record %s is in the index but not in the chart", id);
		}
	}
	for (; i < x->n && !x->stop; i++)
		problem(x, "record %s is in the chart but not in the index", x->v[i].id);
	sqlite3_finalize(st);
}

/* Every commit of the history and its tree can be read. */
static void check_history(check_ctx *x)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc;
	/* from the chart's head: the journal's, when it holds unfolded writes */
	if (carelog__chart_head(&id, x->c) < 0 || git_revwalk_new(&walk, x->c->repo) < 0 ||
	    git_revwalk_push(walk, &id) < 0) {
		problem(x, "history cannot be walked: %s", git_error_last() ? git_error_last()->message : "?");
		git_revwalk_free(walk);
		return;
	}
	while ((rc = git_revwalk_next(&id, walk)) == 0 && !x->stop) {
		git_commit *commit = NULL;
		git_tree *tree = NULL;
		if (git_commit_lookup(&commit, x->c->repo, &id) < 0 || git_commit_tree(&tree, commit) < 0) {
			char hex[GIT_OID_HEXSZ + 1];
			problem(x, "commit %s cannot be read: %s", git_oid_tostr(hex, sizeof(hex), &id),
				git_error_last() ? git_error_last()->message : "?");
		}
		git_tree_free(tree);
		git_commit_free(commit);
	}
	if (rc < 0 && rc != GIT_ITEROVER)
		problem(x, "history cannot be walked: %s", git_error_last() ? git_error_last()->message : "?");
	git_revwalk_free(walk);
}

static void check_chart(check_ctx *x, const char *patient)
{
	git_oid head;
	git_commit *commit = NULL;
	git_tree *tree = NULL;

	x->n = 0;
	if (carelog__chart_get(&x->c, x->s, patient) < 0) {
		x->c = NULL;
		problem(x, "chart %s cannot be opened: %s", patient, carelog_error_last()->message);
		return;
	}
	if (carelog__index_catchup(x->s, x->c) < 0)
		problem(x, "index cannot catch up: %s", carelog_error_last()->message);
	if (carelog__chart_head(&head, x->c) < 0) {
		problem(x, "chart has no head");
		return;
	}
	check_history(x);
	if (git_commit_lookup(&commit, x->c->repo, &head) < 0 || git_commit_tree(&tree, commit) < 0) {
		problem(x, "head cannot be read: %s", git_error_last() ? git_error_last()->message : "?");
	} else {
		git_tree_walk(tree, GIT_TREEWALK_PRE, tree_cb, x);
		compare_index(x);
	}
	git_tree_free(tree);
	git_commit_free(commit);
}

int carelog_store_check(size_t *problems, carelog_store *s, carelog_problem_cb cb, void *payload)
{
	check_ctx x = { s, NULL, cb, payload, 0, 0, NULL, 0, 0 };
	char **ids = NULL;
	size_t n = 0;
	sqlite3_stmt *st = NULL;
	int rc = carelog__chart_list(&ids, &n, s);

	if (problems)
		*problems = 0;
	if (rc < 0)
		return carelog__store_result(s, rc);
	/* the index mirrors charts/: catching up also forgets removed charts */
	if (carelog__index_catchup_all(s) < 0)
		problem(&x, "index cannot catch up: %s", carelog_error_last()->message);
	for (size_t i = 0; i < n && !x.stop; i++)
		check_chart(&x, ids[i]);
	/* index rows of charts the store no longer has */
	x.c = NULL;
	sqlite3_prepare_v2(s->db, "SELECT DISTINCT patient FROM records", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW && !x.stop) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		if (!carelog__chart_exists(s, p))
			problem(&x, "the index has records of patient %s, who has no chart", p);
	}
	sqlite3_finalize(st);
	carelog__chart_list_free(ids, n);
	free(x.v);
	if (problems)
		*problems = x.problems;
	return 0;
}
