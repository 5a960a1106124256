/*
 * write_typed.c - the typed helpers of write.h: each builds the record's JSON
 * from its struct and hands it to the one write pipeline (write.c), so that
 * validation lives in one place (record_schema.c).
 */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"
#include "timeutil.h"
#include "write_internal.h"

static int check_struct(const void *p, unsigned int version, unsigned int expected, const char *what)
{
	if (p == NULL)
		return carelog__fail(CARELOG_EINVALID, "no %s given", what);
	if (version != expected)
		return carelog__fail(CARELOG_EINVALID, "%s version %u is not supported (expected %u)", what, version, expected);
	return 0;
}

#define BAD_TEXT "\001bad-text"

/* Text that is not UTF-8 cannot go into a record: the error names the
 * field, and the object is marked so that write() refuses it. */
static void set_str(json_t *o, const char *key, const char *v)
{
	json_t *str;
	if (v == NULL)
		return;
	if ((str = json_string(v)) == NULL) {
		carelog__fail(CARELOG_EINVALID, "%s is not valid UTF-8 text", key);
		json_object_set_new(o, BAD_TEXT, json_true());
		return;
	}
	json_object_set_new(o, key, str);
}

/* Hands a built record to the write pipeline, unless a field was refused. */
static int submit(char *out_id, carelog_store *s, json_t *o)
{
	if (json_object_get(o, BAD_TEXT)) {
		json_decref(o);
		return carelog__store_result(s, CARELOG_EINVALID);
	}
	return carelog__write_one(out_id, s, o);
}

static json_t *base(const char *kind, const char *patient, const char *at, const char *note)
{
	json_t *o = json_object();
	set_str(o, "kind", kind);
	set_str(o, "patient", patient);
	set_str(o, "time", at);
	set_str(o, "note", note);
	return o;
}

static int built(json_t *o)
{
	if (o == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	return 0;
}

int carelog_patient_add(char *out_id, carelog_store *s, const carelog_patient *p)
{
	json_t *o;
	int rc;
	if ((rc = check_struct(p, p ? p->version : 0, CARELOG_PATIENT_VERSION, "carelog_patient")) < 0)
		return carelog__store_result(s, rc);
	o = base("patient", NULL, NULL, NULL);
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "name", p->name);
	set_str(o, "born", p->born);
	if (p->has_weight_kg)
		json_object_set_new(o, "weight_kg", json_real(p->weight_kg));
	json_object_set_new(o, "asplenic", json_boolean(p->asplenic));
	set_str(o, "timezone", p->timezone);
	return submit(out_id, s, o);
}

int carelog_plan_add(char *out_id, carelog_store *s, const carelog_plan *p)
{
	json_t *o, *times, *taper;
	char today[CARELOG__DATE_BUFSIZE];
	int rc;
	if ((rc = check_struct(p, p ? p->version : 0, CARELOG_PLAN_VERSION, "carelog_plan")) < 0)
		return carelog__store_result(s, rc);
	/* a plan without a prescription time sits on the timeline where it starts */
	char start_time[CARELOG__DATE_BUFSIZE + 16];
	int64_t start_day;
	int start_ok = p->start && carelog__date_parse(&start_day, p->start, "start") == 0;
	if (start_ok)
		snprintf(start_time, sizeof(start_time), "%sT00:00:00Z", p->start);
	else
		carelog_error_clear(); /* a bad start is reported by validation, naming it */
	o = base("plan", p->patient, p->at ? p->at : start_ok ? start_time : NULL, p->note);
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "drug", p->drug);
	json_object_set_new(o, "dose", json_real(p->dose));
	set_str(o, "unit", p->unit);
	set_str(o, "route", p->route);
	if (p->ntimes) {
		times = json_array();
		for (size_t i = 0; i < p->ntimes; i++)
			json_array_append_new(times, json_string(p->times[i] ? p->times[i] : ""));
		json_object_set_new(o, "times", times);
	}
	if (p->start == NULL)
		carelog__date_format(today, carelog__now_ms() / 86400000);
	set_str(o, "start", p->start ? p->start : today);
	set_str(o, "end", p->end);
	if (p->window_minutes)
		json_object_set_new(o, "window_minutes", json_integer(p->window_minutes));
	if (p->ntaper) {
		taper = json_array();
		for (size_t i = 0; i < p->ntaper; i++)
			json_array_append_new(taper, json_pack("{s:s?, s:f}", "date", p->taper[i].date,
				"dose", p->taper[i].dose));
		json_object_set_new(o, "taper", taper);
	}
	return submit(out_id, s, o);
}

int carelog_dose_log(char *out_id, carelog_store *s, const carelog_dose *d)
{
	json_t *o;
	int rc;
	if ((rc = check_struct(d, d ? d->version : 0, CARELOG_DOSE_VERSION, "carelog_dose")) < 0)
		return carelog__store_result(s, rc);
	o = base("dose", d->patient, d->at, d->note);
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "drug", d->drug);
	json_object_set_new(o, "amount", json_real(d->amount));
	set_str(o, "unit", d->unit);
	set_str(o, "outcome", d->outcome);
	set_str(o, "plan", d->plan);
	return submit(out_id, s, o);
}

int carelog_symptom_log(char *out_id, carelog_store *s, const carelog_symptom *sy)
{
	json_t *o;
	int rc;
	if ((rc = check_struct(sy, sy ? sy->version : 0, CARELOG_SYMPTOM_VERSION, "carelog_symptom")) < 0)
		return carelog__store_result(s, rc);
	o = base("symptom", sy->patient, sy->at, sy->note);
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "code", sy->code);
	json_object_set_new(o, "severity", json_integer(sy->severity));
	return submit(out_id, s, o);
}

int carelog_measurement_log(char *out_id, carelog_store *s, const carelog_measurement *m)
{
	json_t *o;
	int rc;
	if ((rc = check_struct(m, m ? m->version : 0, CARELOG_MEASUREMENT_VERSION, "carelog_measurement")) < 0)
		return carelog__store_result(s, rc);
	o = base("measurement", m->patient, m->at, m->note);
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "code", m->code);
	json_object_set_new(o, "value", json_real(m->value));
	set_str(o, "unit", m->unit);
	if (m->has_low || m->has_high) {
		json_t *range = json_object();
		if (m->has_low)
			json_object_set_new(range, "low", json_real(m->low));
		if (m->has_high)
			json_object_set_new(range, "high", json_real(m->high));
		json_object_set_new(o, "range", range);
	}
	return submit(out_id, s, o);
}

int carelog_note_add(char *out_id, carelog_store *s, const char *patient, const char *text, const char *at)
{
	json_t *o = base("note", patient, at, NULL);
	int rc;
	if ((rc = built(o)) < 0)
		return carelog__store_result(s, rc);
	set_str(o, "text", text);
	return submit(out_id, s, o);
}
