/*
 * query.c - reading: one record, its history (from the chart's history, the
 * truth), a patient's timeline and the patient list (from the index, after
 * catching it up).
 */
#include <stdlib.h>
#include <string.h>

#include "carelog/query.h"
#include "chart.h"
#include "error.h"
#include "index.h"
#include "json_canon.h"
#include "record.h"
#include "record_id.h"
#include "record_schema.h"
#include "timeutil.h"
#include "write_internal.h"

int carelog_record_get(carelog_record **out, carelog_store *s, const char *id)
{
	json_t *rec = NULL;
	char *text;
	int rc;

	*out = NULL;
	if ((rc = carelog__current(&rec, s, id)) < 0)
		return carelog__store_result(s, rc);
	text = carelog__json_dump(rec);
	json_decref(rec);
	if (text == NULL)
		return carelog__store_result(s, CARELOG_ENOMEM);
	*out = carelog__record_new(text, strlen(text), NULL);
	free(text);
	return carelog__store_result(s, *out ? 0 : carelog__last_code());
}

typedef struct {
	carelog__chart *c;
	carelog_record_list *list;
} history_ctx;

static int add_version(const git_oid *commit, const git_oid *blob_id, void *payload)
{
	history_ctx *h = payload;
	git_blob *blob = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	carelog_record *r;
	int rc = git_blob_lookup(&blob, h->c->repo, blob_id);
	if (rc < 0)
		return carelog__git_fail(rc, "cannot read a record version");
	git_oid_tostr(hex, sizeof(hex), commit);
	r = carelog__record_new(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), hex);
	git_blob_free(blob);
	return r ? carelog__record_list_push(&h->list, r) : carelog__last_code();
}

int carelog_record_history(carelog_record_list **out, carelog_store *s, const char *id)
{
	char patient[CARELOG_ID_BUFSIZE], kind[32], path[96];
	json_t *rec = NULL;
	history_ctx h = { NULL, NULL };
	int rc;

	*out = NULL;
	if ((rc = carelog__current(&rec, s, id)) < 0)
		return carelog__store_result(s, rc);
	snprintf(patient, sizeof(patient), "%s", json_string_value(json_object_get(rec, "patient")));
	snprintf(kind, sizeof(kind), "%s", json_string_value(json_object_get(rec, "kind")));
	json_decref(rec);
	carelog__record_path(path, sizeof(path), kind, id);
	if ((rc = carelog__chart_get(&h.c, s, patient)) == 0)
		rc = carelog__chart_versions(h.c, path, add_version, &h);
	if (rc < 0) {
		carelog_record_list_free(h.list);
		return carelog__store_result(s, rc);
	}
	*out = h.list;
	return 0;
}

static int each_row(sqlite3_stmt *st, carelog_record_cb cb, void *payload)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = (const char *)sqlite3_column_text(st, 0);
		carelog_record *r = carelog__record_new(json, (size_t)sqlite3_column_bytes(st, 0), NULL);
		if (r == NULL)
			return carelog__last_code();
		rc = cb(r, payload);
		carelog_record_free(r);
		if (rc != 0)
			return rc;
	}
	return rc == SQLITE_DONE ? 0 : carelog__sql_fail(sqlite3_db_handle(st), "query failed");
}

int carelog_timeline_foreach(carelog_store *s, const char *patient, const carelog_timeline_options *opts,
	carelog_record_cb cb, void *payload)
{
	static const char *const shown[] = { "plan", "dose", "symptom", "measurement", "note", "target", "rule" };
	carelog_timeline_options o = CARELOG_TIMELINE_OPTIONS_INIT;
	carelog__chart *c;
	sqlite3_stmt *st = NULL;
	int64_t since = INT64_MIN, until = INT64_MAX;
	int rc, kind_ok = 0;

	if (opts) {
		if (opts->version != CARELOG_TIMELINE_OPTIONS_VERSION)
			return carelog__store_result(s, carelog__fail(CARELOG_EINVALID,
				"carelog_timeline_options version %u is not supported", opts->version));
		o = *opts;
	}
	if (cb == NULL)
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "no callback given"));
	if ((rc = carelog__id_check(patient, "patient")) < 0 ||
	    (o.since && (rc = carelog__time_parse(&since, o.since, "since")) < 0) ||
	    (o.until && (rc = carelog__time_parse(&until, o.until, "until")) < 0))
		return carelog__store_result(s, rc);
	for (size_t i = 0; o.kind && i < sizeof(shown) / sizeof(shown[0]); i++)
		kind_ok |= strcmp(o.kind, shown[i]) == 0;
	if (o.kind && !kind_ok)
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID,
			"kind '%.40s' is not one of plan, dose, symptom, measurement, note, target, rule", o.kind));
	if ((rc = carelog__chart_get(&c, s, patient)) < 0 || (rc = carelog__index_catchup(s, c)) < 0)
		return carelog__store_result(s, rc);
	rc = sqlite3_prepare_v2(s->db,
		"SELECT json FROM records WHERE patient = ?1 AND tms >= ?2 AND tms < ?3"
		" AND kind IN ('plan', 'dose', 'symptom', 'measurement', 'note', 'target', 'rule')"
		" AND (?4 IS NULL OR kind = ?4) AND (?5 OR status = 'active')"
		" ORDER BY tms, id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return carelog__store_result(s, carelog__sql_fail(s->db, "timeline query failed"));
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, until);
	if (o.kind)
		sqlite3_bind_text(st, 4, o.kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, o.include_voided != 0);
	rc = each_row(st, cb, payload);
	sqlite3_finalize(st);
	return carelog__store_result(s, rc);
}

static int collect(const carelog_record *r, void *payload)
{
	carelog_record_list **l = payload;
	const char *json = carelog_record_json(r);
	carelog_record *copy = carelog__record_new(json, strlen(json), NULL);
	return copy ? carelog__record_list_push(l, copy) : carelog__last_code();
}

int carelog_timeline(carelog_record_list **out, carelog_store *s, const char *patient,
	const carelog_timeline_options *opts)
{
	carelog_record_list *l = NULL;
	int rc = carelog_timeline_foreach(s, patient, opts, collect, &l);
	*out = NULL;
	if (rc != 0) {
		carelog_record_list_free(l);
		return rc;
	}
	if (l == NULL && (l = carelog__record_list_new()) == NULL)
		return carelog__store_result(s, CARELOG_ENOMEM);
	*out = l;
	return 0;
}

int carelog_patient_list(carelog_record_list **out, carelog_store *s)
{
	carelog_record_list *l = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = carelog__index_catchup_all(s)) < 0)
		return carelog__store_result(s, rc);
	if (sqlite3_prepare_v2(s->db,
		"SELECT json FROM records WHERE kind = 'patient' ORDER BY json_extract(json, '$.name'), id",
		-1, &st, NULL) != SQLITE_OK)
		return carelog__store_result(s, carelog__sql_fail(s->db, "patient query failed"));
	rc = each_row(st, collect, &l);
	sqlite3_finalize(st);
	if (rc == 0 && l == NULL && (l = carelog__record_list_new()) == NULL)
		rc = CARELOG_ENOMEM;
	if (rc != 0) {
		carelog_record_list_free(l);
		return carelog__store_result(s, rc);
	}
	*out = l;
	return 0;
}
