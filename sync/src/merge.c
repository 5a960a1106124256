/*
 * merge.c - the record-aware merge of two chart histories. Against their
 * merge base, a path changed on one side only is taken from that side; a
 * record changed on both sides goes to the version with the later clock
 * stamp (then the larger device id, then the larger blob id, so that every
 * store decides alike), and the other version is kept as the conflict file
 * conflicts/<id>/<blob>.json; conflict files are a set, added by either
 * side and removed by a resolution. The result depends only on the versions
 * involved, never on which side is "ours", so stores that merge the same
 * histories in any order reach the same tree.
 *
 * A criss-cross history has several merge bases; as git's recursive
 * strategy does, they are merged first into a virtual base.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sync_internal.h"
#include "tree_diff.h"

/* Virtual bases nest at most this deep; below it the first base is used. */
#define MAX_BASE_DEPTH 6

typedef struct {
	carelog__put *v;
	size_t n, cap;
} put_list;

static int put_add(put_list *l, const char *path, const git_oid *blob, int op)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		carelog__put *nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		l->v = nv;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	snprintf(l->v[l->n].path, sizeof(l->v[l->n].path), "%s", path);
	if (blob)
		l->v[l->n].blob = *blob;
	l->v[l->n].op = op;
	l->n++;
	return 0;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

int carelog__version_order(json_t *ra, const git_oid *a, json_t *rb, const git_oid *b)
{
	int c = strcmp(jstr(ra, "hlc"), jstr(rb, "hlc"));
	if (c == 0)
		c = strcmp(jstr(ra, "device"), jstr(rb, "device"));
	if (c == 0)
		c = git_oid_cmp(a, b);
	return c;
}

/* carelog__version_order of two blobs. */
static int version_cmp(git_repository *repo, const git_oid *a, const git_oid *b, int *out)
{
	json_t *ra = carelog__blob_record(repo, a), *rb = carelog__blob_record(repo, b);
	if (ra == NULL || rb == NULL) {
		json_decref(ra);
		json_decref(rb);
		return carelog__last_code() ? carelog__last_code() : CARELOG_ERROR;
	}
	*out = carelog__version_order(ra, a, rb, b);
	json_decref(ra);
	json_decref(rb);
	return 0;
}

static int side_change(const carelog__tree_change *d, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1] = "";
	if (d->status != GIT_DELTA_DELETED)
		git_oid_tostr(hex, sizeof(hex), d->new_id);
	return json_object_set_new(payload, d->path, json_string(hex)) == 0 ? 0
		: carelog__fail(CARELOG_ENOMEM, "out of memory");
}

/* The changes from `base` to `side` as path -> blob hex ("" when deleted). */
static int side_changes(json_t **out, git_repository *repo, git_tree *base, git_tree *side)
{
	json_t *map = json_object();
	int rc;

	*out = NULL;
	if (map == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if ((rc = carelog__tree_diff(repo, base ? git_tree_id(base) : NULL, side ? git_tree_id(side) : NULL, side_change,
		     map)) < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

/* The puts that turn `ours` into the merge of ours and theirs over base. */
static int merge_trees(put_list *out, git_repository *repo, git_tree *base, git_tree *ours, git_tree *theirs)
{
	json_t *o = NULL, *t = NULL, *tv;
	const char *path;
	int rc;

	if ((rc = side_changes(&o, repo, base, ours)) < 0 || (rc = side_changes(&t, repo, base, theirs)) < 0)
		goto out;
	json_object_foreach(t, path, tv) {
		const char *th = json_string_value(tv), *oh;
		json_t *ov = json_object_get(o, path);
		char id[CARELOG_ID_BUFSIZE];
		git_oid tid, oid;

		if (th[0])
			git_oid_fromstr(&tid, th);
		if (ov == NULL) { /* theirs only */
			rc = put_add(out, path, th[0] ? &tid : NULL, th[0] ? CARELOG__PUT_BLOB : CARELOG__PUT_REMOVE);
		} else if (strcmp((oh = json_string_value(ov)), th) == 0) {
			rc = 0; /* the same change on both sides */
		} else if (oh[0] == '\0' || th[0] == '\0') {
			/* removed on one side, changed on the other: a conflict file is
			 * only ever added or removed, so this is a record, which the
			 * checks never let be removed; keep what exists */
			if (th[0])
				rc = put_add(out, path, &tid, CARELOG__PUT_BLOB);
		} else if (carelog__record_path_id(id, path)) {
			char cpath[128], lhex[GIT_OID_HEXSZ + 1];
			int c = 0;
			git_oid_fromstr(&oid, oh);
			if ((rc = version_cmp(repo, &tid, &oid, &c)) < 0)
				break;
			if (c > 0)
				rc = put_add(out, path, &tid, CARELOG__PUT_BLOB);
			git_oid_tostr(lhex, sizeof(lhex), c > 0 ? &oid : &tid);
			snprintf(cpath, sizeof(cpath), "conflicts/%s/%s.json", id, lhex);
			if (rc == 0)
				rc = put_add(out, cpath, c > 0 ? &oid : &tid, CARELOG__PUT_BLOB);
		} else {
			rc = 0; /* same path, same name-by-content: cannot differ */
		}
		if (rc < 0)
			break;
	}
out:
	json_decref(o);
	json_decref(t);
	return rc;
}

static int commit_tree(git_tree **out, git_repository *repo, const git_oid *commit_id)
{
	git_commit *commit = NULL;
	int rc;
	if ((rc = git_commit_lookup(&commit, repo, commit_id)) < 0 || (rc = git_commit_tree(out, commit)) < 0)
		rc = carelog__git_fail(rc, "cannot read a chart commit");
	git_commit_free(commit);
	return rc;
}

static int merged_tree(git_tree **out, git_repository *repo, const git_oid *a, const git_oid *b, int depth);

/* The base to merge a and b against: their merge base, or the virtual merge
 * of several. */
static int base_tree(git_tree **out, git_repository *repo, const git_oid *a, const git_oid *b, int depth)
{
	git_oidarray bases = { 0 };
	int rc = git_merge_bases(&bases, repo, a, b);

	*out = NULL;
	if (rc == GIT_ENOTFOUND)
		return carelog__fail(CARELOG_EREMOTE, "refused: the two histories share no commit (another chart's?)");
	if (rc < 0)
		return carelog__git_fail(rc, "cannot find the merge base");
	if (bases.count == 1 || depth >= MAX_BASE_DEPTH)
		rc = commit_tree(out, repo, &bases.ids[0]);
	else
		rc = merged_tree(out, repo, &bases.ids[0], &bases.ids[1], depth + 1);
	git_oidarray_dispose(&bases);
	return rc;
}

/* The merge of commits a and b as a tree (written to the object database;
 * a virtual base is never committed, so it never leaves the write buffer). */
static int merged_tree(git_tree **out, git_repository *repo, const git_oid *a, const git_oid *b, int depth)
{
	git_tree *base = NULL, *ta = NULL, *tb = NULL;
	git_tree_update *updates = NULL;
	put_list l = { 0 };
	git_oid id;
	int rc;

	if ((rc = base_tree(&base, repo, a, b, depth)) < 0 || (rc = commit_tree(&ta, repo, a)) < 0 ||
	    (rc = commit_tree(&tb, repo, b)) < 0 || (rc = merge_trees(&l, repo, base, ta, tb)) < 0)
		goto out;
	if ((updates = calloc(l.n ? l.n : 1, sizeof(*updates))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		updates[i].action = l.v[i].op == CARELOG__PUT_REMOVE ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
		updates[i].id = l.v[i].blob;
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = l.v[i].path;
	}
	if ((rc = git_tree_create_updated(&id, repo, ta, l.n, updates)) < 0 || (rc = git_tree_lookup(out, repo, &id)) < 0)
		rc = carelog__git_fail(rc, "cannot build a merge base");
out:
	free(updates);
	free(l.v);
	git_tree_free(base);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

int carelog__merge_puts(carelog__put **puts, size_t *nputs, git_repository *repo, const git_oid *ours,
	const git_oid *theirs)
{
	git_tree *base = NULL, *to = NULL, *tt = NULL;
	put_list l = { 0 };
	int rc;

	*puts = NULL;
	*nputs = 0;
	if ((rc = base_tree(&base, repo, ours, theirs, 0)) < 0 || (rc = commit_tree(&to, repo, ours)) < 0 ||
	    (rc = commit_tree(&tt, repo, theirs)) < 0 || (rc = merge_trees(&l, repo, base, to, tt)) < 0) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	git_tree_free(base);
	git_tree_free(to);
	git_tree_free(tt);
	*puts = l.v;
	*nputs = l.n;
	return rc;
}

static int count_change(const carelog__tree_change *d, void *payload)
{
	char id[CARELOG_ID_BUFSIZE];
	if (carelog__record_path_id(id, d->path))
		(*(size_t *)payload)++;
	return 0;
}

int carelog__count_changed_records(size_t *n, git_repository *repo, const git_oid *a, const git_oid *b)
{
	git_commit *ca = NULL, *cb = NULL;
	int rc = 0;

	*n = 0;
	if ((a && (rc = git_commit_lookup(&ca, repo, a)) < 0) || (b && (rc = git_commit_lookup(&cb, repo, b)) < 0))
		rc = carelog__git_fail(rc, "cannot read a chart commit");
	else
		rc = carelog__tree_diff(repo, ca ? git_commit_tree_id(ca) : NULL, cb ? git_commit_tree_id(cb) : NULL,
			count_change, n);
	git_commit_free(ca);
	git_commit_free(cb);
	return rc;
}
