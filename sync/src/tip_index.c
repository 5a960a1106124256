/*
 * tip_index.c - indexing a new chart's records while its history is being
 * checked. A first sync used to read, inflate and parse every record blob
 * twice: once to check it (validate.c), then once more to index the tip
 * (index_catchup.c), the second pass some 40% of a 100,000-record clone.
 * Fed by carelog__validate_history_each, this puts every accepted blob that
 * the tip's tree holds at its path into the index, so each blob is read
 * once; older versions are checked and left out, as the catch-up would.
 *
 * Every record of the tip is seen: following first parents back from the
 * tip, the commit where a path last took the tip's blob changes it against
 * its first parent (or is the root), and the check diffs each commit with
 * its first parent.
 */
#include <string.h>

#include "error.h"
#include "index.h"
#include "sync_internal.h"

int carelog__tip_index_init(carelog__tip_index *t, carelog_store *s, git_repository *repo, const git_oid *tip)
{
	git_commit *commit = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	t->s = s;
	t->repo = repo;
	if ((rc = git_commit_lookup(&commit, repo, tip)) < 0 || (rc = git_commit_tree(&t->tip, commit)) < 0)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s or its tree is missing", git_oid_tostr_s(tip));
	git_commit_free(commit);
	return rc;
}

void carelog__tip_index_free(carelog__tip_index *t)
{
	git_tree_free(t->dir);
	git_tree_free(t->tip);
	memset(t, 0, sizeof(*t));
}

/* The tip's tree at directory dir[0..n) into t->dir (NULL: none there).
 * The last one is kept: the check visits a commit's paths in tree order,
 * so consecutive records share their directory, and a month's directory
 * (thousands of entries) is looked up once per run of records in it
 * rather than once per record. */
static int tip_dir(carelog__tip_index *t, const char *dir, size_t n)
{
	git_tree_entry *e = NULL;
	int rc;

	if (t->have_dir && strlen(t->dir_path) == n && memcmp(t->dir_path, dir, n) == 0)
		return 0;
	git_tree_free(t->dir);
	t->dir = NULL;
	t->have_dir = 0;
	if (n >= sizeof(t->dir_path))
		return 0; /* no record directory is this long: nothing of the tip there */
	memcpy(t->dir_path, dir, n);
	t->dir_path[n] = '\0';
	rc = git_tree_entry_bypath(&e, t->tip, t->dir_path);
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
	} else if (rc == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if ((rc = git_tree_lookup(&t->dir, t->repo, git_tree_entry_id(e))) < 0)
			rc = carelog__git_fail(rc, "cannot read the new chart's tree");
	} else if (rc < 0) {
		rc = carelog__git_fail(rc, "cannot read the new chart's tree");
	}
	git_tree_entry_free(e);
	if (rc == 0)
		t->have_dir = 1;
	return rc;
}

int carelog__tip_index_record(void *payload, const char *path, const git_oid *blob, json_t *rec, const char *text,
	size_t len)
{
	carelog__tip_index *t = payload;
	const char *slash = strrchr(path, '/');
	const git_tree_entry *e;
	int rc;

	if (slash == NULL)
		return 0; /* record paths always have a directory (validate.c checked it) */
	if ((rc = tip_dir(t, path, (size_t)(slash - path))) < 0)
		return rc;
	e = t->dir ? git_tree_entry_byname(t->dir, slash + 1) : NULL;
	if (e == NULL || git_tree_entry_type(e) != GIT_OBJECT_BLOB || !git_oid_equal(git_tree_entry_id(e), blob))
		return 0; /* a version the tip does not hold */
	return carelog__index_put_text(t->s, rec, text, len, blob);
}
