/*
 * validate_blob.c - the check of one received record blob: what validate.c
 * does for every path a received commit adds or changes. It touches only
 * the repository it is given and the calling thread's error, so that
 * validate_pool.c can run it on threads of their own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record_id.h"
#include "record_schema.h"
#include "sync_internal.h"
#include "validate.h"

/* "refused: commit C: PATH: why" as the calling thread's error. */
static int refuse(const carelog__blob_check *b, const char *fmt, ...) CARELOG__PRINTF(2, 3);
static int refuse(const carelog__blob_check *b, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: %s: %s", b->commit, b->path, why);
}

/* A conflict file's record (at `want`) must be in the commit's tree. */
static int conflict_has_record(git_repository *repo, const carelog__blob_check *b, const char *want)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc;

	if ((rc = git_tree_lookup(&tree, repo, &b->tree)) < 0)
		return refuse(b, "its commit's tree cannot be read");
	if (git_tree_entry_bypath(&e, tree, want) < 0)
		rc = refuse(b, "a conflicting version of a record the chart does not hold as %s", want);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

static int check(git_repository *repo, const char *patient, carelog__blob_check *b)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;
	json_t *rec = NULL;
	const char *got;
	char want[128];
	int rc;

	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return carelog__git_fail(rc, "cannot open chart objects");
	if (git_odb_read_header(&size, &type, odb, &b->blob) < 0) {
		rc = refuse(b, "object %.12s is missing", git_oid_tostr_s(&b->blob));
		goto out;
	}
	if (type != GIT_OBJECT_BLOB) {
		rc = refuse(b, "not a file");
		goto out;
	}
	if (size > CARELOG__MAX_RECORD_BYTES) {
		rc = refuse(b, "%zu bytes, more than a record may hold (%d)", size, CARELOG__MAX_RECORD_BYTES);
		goto out;
	}
	if (git_odb_read(&obj, odb, &b->blob) < 0) {
		rc = refuse(b, "cannot be read");
		goto out;
	}
	if ((rc = carelog__record_from_file(&rec, git_odb_object_data(obj), git_odb_object_size(obj))) < 0) {
		if (rc != CARELOG_ENOMEM)
			rc = refuse(b, "%s", carelog_error_last()->message);
		goto out;
	}
	got = json_string_value(json_object_get(rec, "id"));
	if (strcmp(got, b->id) != 0) {
		rc = refuse(b, "holds record %s, not %s", got, b->id);
		goto out;
	}
	got = json_string_value(json_object_get(rec, "patient"));
	if (strcmp(got, patient) != 0) {
		rc = refuse(b, "a record of patient %s in the chart of %s", got, patient);
		goto out;
	}
	got = json_string_value(json_object_get(rec, "kind"));
	carelog__record_path(want, sizeof(want), got, b->id);
	if (!b->conflict && strcmp(want, b->path) != 0) {
		rc = refuse(b, "holds a %s record, which belongs at %s", got, want);
		goto out;
	}
	if (b->conflict && (rc = conflict_has_record(repo, b, want)) < 0)
		goto out;
	if (b->keep) {
		/* the record file is one line and its newline (carelog__record_from_file) */
		b->len = git_odb_object_size(obj) - 1;
		if ((b->text = malloc(b->len + 1)) == NULL) {
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(b->text, git_odb_object_data(obj), b->len);
		b->text[b->len] = '\0';
		b->rec = rec;
		rec = NULL;
	}
out:
	json_decref(rec);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

int carelog__blob_check_run(git_repository *repo, const char *patient, carelog__blob_check *b)
{
	int rc = check(repo, patient, b);

	if (rc < 0)
		carelog__blob_check_clear(b);
	b->rc = rc;
	return rc;
}

void carelog__blob_check_clear(carelog__blob_check *b)
{
	json_decref(b->rec);
	free(b->text);
	b->rec = NULL;
	b->text = NULL;
	b->len = 0;
	b->rc = 0;
	b->msg[0] = '\0';
}
