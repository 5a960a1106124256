/*
 * validate.c - nothing received is trusted. Before a fetched or bundled
 * history is merged, every new commit is walked and every path it changes
 * is checked: a record path or a conflict path, a plain file whose size
 * (read from the object header first) is within bounds, holding a valid,
 * canonical record of this chart's patient with the id (and kind) its path
 * names. Records are never deleted, and a history with a root of its own is
 * not this chart's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"
#include "sync_internal.h"
#include "tree_diff.h"

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

typedef struct {
	git_repository *repo;
	const char *patient;
	git_tree *tree;          /* the commit's tree, to find a conflict's record */
	carelog__valid_record_cb each; /* told of every record blob accepted, or NULL */
	void *payload;
	int each_rc;             /* what `each` failed with: its own error, not a refusal */
	char commit[GIT_OID_HEXSZ + 1];
	char why[512];
} check_ctx;

#define BAD(x, path, ...) (snprintf((x)->why, sizeof((x)->why), __VA_ARGS__), bad_path((x), (path)))

static int bad_path(check_ctx *x, const char *path)
{
	return carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: %s: %s", x->commit, path, x->why);
}

/* The blob at `path` must be a valid record of the patient, canonical, with
 * id `id` (and, for a conflict file, the kind of the record it shadows). */
static int check_blob(check_ctx *x, const char *path, const git_oid *blob_id, const char *id, int conflict)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;
	json_t *rec = NULL;
	int rc;

	if ((rc = git_repository_odb(&odb, x->repo)) < 0)
		return carelog__git_fail(rc, "cannot open chart objects");
	rc = git_odb_read_header(&size, &type, odb, blob_id);
	if (rc < 0) {
		rc = BAD(x, path, "object %.12s is missing", git_oid_tostr_s(blob_id));
		goto out;
	}
	if (type != GIT_OBJECT_BLOB) {
		rc = BAD(x, path, "not a file");
		goto out;
	}
	if (size > CARELOG__MAX_RECORD_BYTES) {
		rc = BAD(x, path, "%zu bytes, more than a record may hold (%d)", size, CARELOG__MAX_RECORD_BYTES);
		goto out;
	}
	if ((rc = git_odb_read(&obj, odb, blob_id)) < 0) {
		rc = BAD(x, path, "cannot be read");
		goto out;
	}
	if ((rc = carelog__record_from_file(&rec, git_odb_object_data(obj), git_odb_object_size(obj))) < 0) {
		if (rc != CARELOG_ENOMEM)
			rc = BAD(x, path, "%s", carelog_error_last()->message);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(rec, "id")), id) != 0) {
		rc = BAD(x, path, "holds record %s, not %s", json_string_value(json_object_get(rec, "id")), id);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(rec, "patient")), x->patient) != 0) {
		rc = BAD(x, path, "a record of patient %s in the chart of %s",
			json_string_value(json_object_get(rec, "patient")), x->patient);
		goto out;
	}
	char want[128];
	carelog__record_path(want, sizeof(want), json_string_value(json_object_get(rec, "kind")), id);
	if (!conflict && strcmp(want, path) != 0) {
		rc = BAD(x, path, "holds a %s record, which belongs at %s",
			json_string_value(json_object_get(rec, "kind")), want);
		goto out;
	}
	if (conflict) {
		git_tree_entry *e = NULL;
		if (git_tree_entry_bypath(&e, x->tree, want) < 0) {
			rc = BAD(x, path, "a conflicting version of a record the chart does not hold as %s", want);
			goto out;
		}
		git_tree_entry_free(e);
	}
	/* the record file is one line and its newline (carelog__record_from_file) */
	if (x->each && !conflict &&
	    (rc = x->each(x->payload, path, blob_id, rec, git_odb_object_data(obj), git_odb_object_size(obj) - 1)) < 0)
		x->each_rc = rc;
	else
		rc = 0;
out:
	json_decref(rec);
	git_odb_object_free(obj);
	git_odb_free(odb);
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
	if (rc < 0 && x->each_rc == 0 && carelog__last_code() != CARELOG_EREMOTE && rc != CARELOG_ENOMEM)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: cannot read its tree: %s", x->commit,
			carelog_error_last()->message);
out:
	git_commit_free(parent);
	git_tree_free(x->tree);
	x->tree = NULL;
	return rc;
}

int carelog__validate_history_each(git_repository *repo, const char *patient, const git_oid *tip,
	const git_oid *known, carelog__valid_record_cb each, void *payload)
{
	git_revwalk *walk = NULL;
	check_ctx x = { repo, patient, NULL, each, payload, 0, "", "" };
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
	else if (rc < 0 && x.each_rc == 0 && carelog__last_code() != CARELOG_EREMOTE && rc != CARELOG_ENOMEM)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: the received history cannot be walked: %s",
			git_error_last() ? git_error_last()->message : "?");
out:
	git_revwalk_free(walk);
	return rc;
}

int carelog__validate_history(git_repository *repo, const char *patient, const git_oid *tip, const git_oid *known)
{
	return carelog__validate_history_each(repo, patient, tip, known, NULL, NULL);
}
