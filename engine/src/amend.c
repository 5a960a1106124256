/*
 * amend.c - new versions of existing records: an amendment with some fields
 * changed, or a void (entered-in-error, with a reason). Both read the current
 * version under the store lock so that the new version's clock stamp follows
 * it, and both go through the one write pipeline.
 */
#include <string.h>

#include "chart.h"
#include "error.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "store_internal.h"
#include "write_internal.h"

/* Fields an amendment may not set: identity, the clock, what the writer
 * stamps, and status, which only a void changes. */
static const char *const fixed_fields[] = {
	"id", "kind", "patient", "status", "reason", "hlc", "device", "author", "entered", "loinc",
};

/* The current version of `id`, after bringing its chart's index up to date. */
int carelog__current(json_t **out, carelog_store *s, const char *id)
{
	char patient[CARELOG_ID_BUFSIZE], *text = NULL;
	carelog__chart *c;
	int rc;

	*out = NULL;
	if ((rc = carelog__id_check(id, "record")) < 0)
		return rc;
	rc = carelog__index_lookup(NULL, patient, NULL, s, id);
	if (rc == CARELOG_ENOTFOUND) {
		/* maybe written by another process or a sync since we last looked */
		if ((rc = carelog__index_catchup_all(s)) < 0)
			return rc;
		rc = carelog__index_lookup(NULL, patient, NULL, s, id);
	}
	if (rc < 0)
		return rc;
	if ((rc = carelog__chart_get(&c, s, patient)) < 0 || (rc = carelog__index_catchup(s, c)) < 0 ||
	    (rc = carelog__index_lookup(&text, NULL, NULL, s, id)) < 0)
		return rc;
	*out = carelog__json_parse_object(text, "stored record");
	free(text);
	return *out ? 0 : carelog__last_code();
}

/* A --set value: JSON when it parses as JSON, else the text itself; a field
 * that holds text keeps text ("note=123" stays the string "123"). */
static json_t *field_value(json_t *current, const carelog_field *f)
{
	json_t *v = json_loads(f->value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (v == NULL || (json_is_string(json_object_get(current, f->name)) && !json_is_string(v) && !json_is_null(v))) {
		json_decref(v);
		v = json_string(f->value);
	}
	return v;
}

int carelog__apply_fields(json_t *rec, const carelog_field *fields, size_t nfields)
{
	for (size_t i = 0; i < nfields; i++) {
		json_t *v;
		if (fields[i].name == NULL || fields[i].value == NULL)
			return carelog__fail(CARELOG_EINVALID, "field %zu has no name or value", i + 1);
		for (size_t k = 0; k < sizeof(fixed_fields) / sizeof(fixed_fields[0]); k++) {
			if (strcmp(fields[i].name, fixed_fields[k]) == 0)
				return carelog__fail(CARELOG_EINVALID, "field '%s' cannot be amended%s", fields[i].name,
					strcmp(fields[i].name, "status") == 0 || strcmp(fields[i].name, "reason") == 0
						? " (use void to mark a record entered-in-error)" : "");
		}
		if ((v = field_value(rec, &fields[i])) == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		if (json_is_null(v)) {
			json_object_del(rec, fields[i].name);
			json_decref(v);
		} else {
			json_object_set_new(rec, fields[i].name, v);
		}
		/* a new value or unit is what was typed: the old conversion is void */
		if (strcmp(fields[i].name, "value") == 0 || strcmp(fields[i].name, "unit") == 0)
			json_object_del(rec, "entered");
	}
	return 0;
}

static int rewrite(carelog_store *s, json_t *rec)
{
	json_object_del(rec, "hlc");
	json_object_set_new(rec, "device", json_string(s->device));
	json_object_set_new(rec, "author", json_string(s->author));
	return carelog__write_one(NULL, s, rec);
}

/* Takes the store lock and reads the current version of `id`, which must
 * be active (`refusal` says what cannot be done to a void one). On failure
 * the lock is released. */
static int lock_active(json_t **rec, carelog_store *s, const char *id, const char *refusal)
{
	int rc = carelog__lock(s);
	if (rc < 0)
		return rc;
	if ((rc = carelog__current(rec, s, id)) == 0 &&
	    strcmp(json_string_value(json_object_get(*rec, "status")), "active") != 0)
		rc = carelog__fail(CARELOG_EINVALID, "record %s is %s", id, refusal);
	if (rc < 0) {
		json_decref(*rec);
		*rec = NULL;
		carelog__unlock(s);
	}
	return rc;
}

int carelog_record_amend(carelog_store *s, const char *id, const carelog_field *fields, size_t nfields)
{
	json_t *rec = NULL;
	int rc;

	if (nfields == 0 || fields == NULL)
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "nothing to amend: give at least one field"));
	if ((rc = lock_active(&rec, s, id, "entered-in-error and cannot be amended")) < 0)
		return carelog__store_result(s, rc);
	if ((rc = carelog__apply_fields(rec, fields, nfields)) < 0)
		goto out;
	rc = rewrite(s, rec);
	rec = NULL;
out:
	json_decref(rec);
	carelog__unlock(s);
	return carelog__store_result(s, rc);
}

int carelog_record_void(carelog_store *s, const char *id, const char *reason)
{
	json_t *rec = NULL;
	int rc;

	if (reason == NULL || *reason == '\0')
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "a reason is required to void a record"));
	if ((rc = lock_active(&rec, s, id, "already entered-in-error")) < 0)
		return carelog__store_result(s, rc);
	json_object_set_new(rec, "status", json_string("entered-in-error"));
	json_object_set_new(rec, "reason", json_string(reason));
	rc = rewrite(s, rec);
	carelog__unlock(s);
	return carelog__store_result(s, rc);
}
