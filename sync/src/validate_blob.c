/*
 * validate_blob.c - the check of one received record blob: what validate.c
 * does for every path a received commit adds or changes. Reading it is
 * libgit2's and stays on the thread that owns the repository; checking the
 * record read touches only the blob's bytes and the calling thread's error,
 * so that validate_pool.c can run it on threads of its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "record_id.h"
#include "record_schema.h"
#include "store_internal.h"
#include "sync_internal.h"
#include "validate.h"

int carelog__refuse(const char *commit, const char *path, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: %s: %s", commit, path, why);
}

#define refuse(b, ...) carelog__refuse((b)->commit, (b)->path, __VA_ARGS__)

int carelog__blob_check_read(git_repository *repo, carelog__blob_check *b)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;
	int rc;

	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return b->rc = carelog__git_fail(rc, "cannot open chart objects");
	if (git_odb_read_header(&size, &type, odb, &b->blob) < 0)
		rc = refuse(b, "object %.12s is missing", git_oid_tostr_s(&b->blob));
	else if (type != GIT_OBJECT_BLOB)
		rc = refuse(b, "not a file");
	else if (size > CARELOG__MAX_RECORD_BYTES)
		rc = refuse(b, "%zu bytes, more than a record may hold (%d)", size, CARELOG__MAX_RECORD_BYTES);
	else if (git_odb_read(&b->obj, odb, &b->blob) < 0)
		rc = refuse(b, "cannot be read");
	git_odb_free(odb);
	return b->rc = rc;
}

static int check_record(const char *patient, carelog__blob_check *b)
{
	json_t *rec = NULL;
	const char *got;
	int rc;

	rc = carelog__record_from_file(&rec, git_odb_object_data(b->obj), git_odb_object_size(b->obj));
	if (rc < 0)
		return rc == CARELOG_ENOMEM ? rc : refuse(b, "%s", carelog_error_last()->message);
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
	carelog__record_path(b->want, sizeof(b->want), got, b->id);
	if (!b->conflict && strcmp(b->want, b->path) != 0) {
		rc = refuse(b, "holds a %s record, which belongs at %s", got, b->want);
		goto out;
	}
	if (b->keep) {
		b->rec = rec;
		rec = NULL;
	}
out:
	json_decref(rec);
	return rc;
}

int carelog__blob_check_record(const char *patient, carelog__blob_check *b)
{
	return b->rc = check_record(patient, b);
}

void carelog__blob_check_clear(carelog__blob_check *b)
{
	json_decref(b->rec);
	git_odb_object_free(b->obj);
	b->rec = NULL;
	b->obj = NULL;
	b->rc = 0;
	b->msg[0] = '\0';
}
