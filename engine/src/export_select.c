/*
 * export_select.c - which records an export holds: the patient's current
 * records (entered-in-error ones too) whose time falls in the chosen days of
 * the patient's time zone, the patient record always, and every plan an
 * exported dose refers to, so that the export can be imported on its own.
 */
#include <stdint.h>
#include <string.h>

#include "chart.h"
#include "error.h"
#include "exchange_internal.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "store_internal.h"
#include "timeutil.h"
#include "tz.h"
#include "write_internal.h"

/* [from, to] inclusive local days -> [*lo, *hi) UTC ms. */
static int bounds(int64_t *lo, int64_t *hi, const char *tzname, const char *from, const char *to)
{
	carelog__tz *tz = NULL;
	int64_t first = 0, last = 0;
	int rc;

	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (from == NULL && to == NULL)
		return 0;
	if ((from && (rc = carelog__date_parse(&first, from, "from")) < 0) ||
	    (to && (rc = carelog__date_parse(&last, to, "to")) < 0))
		return rc;
	if (from && to && last < first)
		return carelog__fail(CARELOG_EINVALID, "to %s is before from %s", to, from);
	if ((rc = carelog__tz_load(&tz, tzname ? tzname : "UTC")) < 0)
		return rc;
	if (from)
		*lo = carelog__tz_day_start(tz, first);
	if (to)
		*hi = carelog__tz_day_start(tz, last + 1);
	carelog__tz_free(tz);
	return 0;
}

static const char query[] =
	"SELECT json FROM records WHERE patient = ?1 AND kind <> 'patient' AND ("
	" (tms >= ?2 AND tms < ?3) OR (kind = 'plan' AND id IN ("
	"  SELECT json_extract(json, '$.plan') FROM records"
	"  WHERE patient = ?1 AND kind = 'dose' AND tms >= ?2 AND tms < ?3)))"
	" ORDER BY CASE kind WHEN 'caregiver' THEN 0 WHEN 'plan' THEN 1 ELSE 2 END, tms, id";

static int select_rows(json_t *out, carelog_store *s, const char *patient, int64_t lo, int64_t hi)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, query, -1, &st, NULL) != SQLITE_OK)
		return carelog__sql_fail(s->db, "export query failed");
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = carelog__json_parse_object((const char *)sqlite3_column_text(st, 0), "stored record");
		if (rec == NULL || json_array_append_new(out, rec) != 0) {
			sqlite3_finalize(st);
			return rec ? carelog__fail(CARELOG_ENOMEM, "out of memory") : carelog__last_code();
		}
	}
	rc = rc == SQLITE_DONE ? 0 : carelog__sql_fail(s->db, "export query failed");
	sqlite3_finalize(st);
	return rc;
}

int carelog__export_select(json_t **out, carelog_store *s, const char *patient, const char *from, const char *to)
{
	json_t *rec = NULL, *list = NULL;
	carelog__chart *c;
	int64_t lo, hi;
	int rc;

	*out = NULL;
	if ((rc = carelog__id_check(patient, "patient")) < 0)
		return rc;
	rc = carelog__current(&rec, s, patient);
	if (rc == CARELOG_ENOTFOUND ||
	    (rc == 0 && strcmp(json_string_value(json_object_get(rec, "kind")), "patient") != 0)) {
		json_decref(rec);
		return carelog__fail(CARELOG_ENOTFOUND, "no patient %s in this store", patient);
	}
	if (rc < 0)
		return rc;
	if ((rc = bounds(&lo, &hi, json_string_value(json_object_get(rec, "timezone")), from, to)) < 0 ||
	    (rc = carelog__chart_get(&c, s, patient)) < 0 || (rc = carelog__index_catchup(s, c)) < 0) {
		json_decref(rec);
		return rc;
	}
	if ((list = json_array()) == NULL)
		json_decref(rec);
	if (list == NULL || json_array_append_new(list, rec) != 0) {
		json_decref(list);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	if ((rc = select_rows(list, s, patient, lo, hi)) < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}
