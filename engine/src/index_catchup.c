/*
 * index_catchup.c - bringing the SQLite index up to a chart's head by diffing
 * the tree it last indexed with the current one: unchanged subtrees are
 * skipped by id, unread (tree_diff.c), so the cost follows what changed (a sync, another process's
 * write, or everything after carelog.db was deleted).
 */
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "error.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "tree_diff.h"

/* The id in a record path "<kind>/<YYYY>/<MM>/<id>.json"; 0 if not one. */
static int path_id(char id[CARELOG_ID_BUFSIZE], const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (strlen(base) != 41 || strcmp(base + 36, ".json") != 0)
		return 0;
	memcpy(id, base, 36);
	id[36] = '\0';
	return carelog__id_valid(id);
}

static int index_blob(carelog_store *s, carelog__chart *c, const git_oid *blob_id)
{
	git_blob *blob = NULL;
	json_t *rec;
	char *text;
	size_t len;
	int rc;

	if ((rc = git_blob_lookup(&blob, c->repo, blob_id)) < 0)
		return carelog__git_fail(rc, "cannot read a record");
	len = (size_t)git_blob_rawsize(blob);
	if ((text = malloc(len + 1)) == NULL) {
		git_blob_free(blob);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	memcpy(text, git_blob_rawcontent(blob), len);
	git_blob_free(blob);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	text[len] = '\0';
	/* A file that is not a record is left out of the index; `check` names it. */
	rec = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	rc = json_is_object(rec) ? carelog__index_put(s, rec, text, blob_id) : 0;
	/* so is a record the index cannot hold (an unreadable time, a missing
	 * field); but a failing index (disk full, I/O, corrupt, locked, out of
	 * memory) fails the catch-up, which must not record a head whose rows
	 * it does not hold */
	if (rc < 0 && rc != CARELOG_EIO && rc != CARELOG_ECORRUPT && rc != CARELOG_ELOCKED && rc != CARELOG_ENOMEM) {
		carelog_error_clear();
		rc = 0;
	}
	json_decref(rec);
	free(text);
	return rc;
}

typedef struct {
	carelog_store *s;
	carelog__chart *c;
} apply_ctx;

static int apply_change(const carelog__tree_change *d, void *payload)
{
	apply_ctx *x = payload;
	char id[CARELOG_ID_BUFSIZE];
	if (!path_id(id, d->path))
		return 0;
	if (d->status == GIT_DELTA_DELETED)
		return carelog__index_delete(x->s, id);
	return index_blob(x->s, x->c, d->new_id);
}

static int catchup_once(carelog_store *s, carelog__chart *c)
{
	git_oid head, indexed;
	git_commit *old_commit = NULL, *new_commit = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	apply_ctx ax = { s, c };
	int rc, has_indexed;

	if ((rc = carelog__chart_head(&head, c)) < 0)
		return rc == CARELOG_ENOTFOUND ? 0 : rc;
	rc = carelog__index_head(&indexed, s, c->patient);
	if (rc == 0 && git_oid_equal(&head, &indexed))
		return 0;
	if ((rc = carelog__index_begin(s)) < 0)
		return rc;
	/* another process may have caught up while we waited for the write lock */
	rc = carelog__index_head(&indexed, s, c->patient);
	if (rc < 0 && rc != CARELOG_ENOTFOUND)
		goto out;
	has_indexed = rc == 0;
	rc = 0;
	if (has_indexed && git_oid_equal(&head, &indexed))
		goto out;
	if (has_indexed && git_commit_lookup(&old_commit, c->repo, &indexed) == 0)
		git_commit_tree(&old_tree, old_commit);
	if (has_indexed && old_tree == NULL) {
		/* the indexed head is gone (rewritten history): start this chart afresh */
		sqlite3_stmt *st = NULL;
		sqlite3_prepare_v2(s->db, "DELETE FROM records WHERE patient = ?1", -1, &st, NULL);
		sqlite3_bind_text(st, 1, c->patient, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : carelog__sql_fail(s->db, "cannot reset a chart");
		sqlite3_finalize(st);
		if (rc < 0)
			goto out;
	}
	if ((rc = git_commit_lookup(&new_commit, c->repo, &head)) < 0 ||
	    (rc = git_commit_tree(&new_tree, new_commit)) < 0) {
		rc = carelog__git_fail(rc, "cannot compare chart versions");
		goto out;
	}
	if ((rc = carelog__tree_diff(c->repo, old_tree ? git_tree_id(old_tree) : NULL, git_tree_id(new_tree),
		     apply_change, &ax)) < 0 ||
	    (rc = carelog__index_set_head(s, c->patient, &head)) < 0)
		goto out;
out:
	if (rc < 0)
		carelog__index_rollback(s);
	else if (s->txn_depth > 0)
		rc = carelog__index_commit(s);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(old_commit);
	git_commit_free(new_commit);
	return rc;
}

int carelog__index_catchup(carelog_store *s, carelog__chart *c)
{
	int rc = catchup_once(s, c);
	if (rc < 0 && rc != CARELOG_ENOMEM && rc != CARELOG_ELOCKED) {
		/* another process may have merged packs this handle still lists */
		if (carelog__chart_reopen(c) == 0)
			rc = catchup_once(s, c);
	}
	if (rc < 0)
		carelog__fail_prefix("chart %s", c->patient);
	return rc;
}

/* Index rows of a chart that is no longer in charts/ (moved away, or a
 * clinic withdrew it) are forgotten: the index only mirrors the charts.
 * Only a store that lost a chart writes here, so readers never wait. */
static int forget_missing_charts(carelog_store *s)
{
	sqlite3_stmt *st = NULL;
	json_t *gone = json_array();
	const char *const deletes[] = { "DELETE FROM records WHERE patient = ?1", "DELETE FROM charts WHERE patient = ?1" };
	size_t i;
	json_t *p;
	int rc = 0;

	if (gone == NULL || sqlite3_prepare_v2(s->db, "SELECT patient FROM charts", -1, &st, NULL) != SQLITE_OK) {
		json_decref(gone);
		return carelog__sql_fail(s->db, "cannot list indexed charts");
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *patient = (const char *)sqlite3_column_text(st, 0);
		if (!carelog__chart_exists(s, patient))
			json_array_append_new(gone, json_string(patient));
	}
	sqlite3_finalize(st);
	if (json_array_size(gone) && (rc = carelog__index_begin(s)) == 0) {
		json_array_foreach(gone, i, p) {
			for (size_t k = 0; k < 2 && rc == 0; k++) {
				sqlite3_stmt *del = NULL;
				if (sqlite3_prepare_v2(s->db, deletes[k], -1, &del, NULL) != SQLITE_OK)
					rc = carelog__sql_fail(s->db, "cannot forget a removed chart");
				sqlite3_bind_text(del, 1, json_string_value(p), -1, SQLITE_STATIC);
				if (rc == 0 && sqlite3_step(del) != SQLITE_DONE)
					rc = carelog__sql_fail(s->db, "cannot forget a removed chart");
				sqlite3_finalize(del);
			}
		}
		if (rc == 0)
			rc = carelog__index_commit(s);
		else
			carelog__index_rollback(s);
	}
	json_decref(gone);
	return rc;
}

int carelog__index_catchup_all(carelog_store *s)
{
	char **ids;
	size_t n;
	int rc = carelog__chart_list(&ids, &n, s);
	for (size_t i = 0; i < n && rc == 0; i++) {
		carelog__chart *c;
		if ((rc = carelog__chart_get(&c, s, ids[i])) == 0)
			rc = carelog__index_catchup(s, c);
	}
	carelog__chart_list_free(ids, n);
	return rc == 0 ? forget_missing_charts(s) : rc;
}
