/*
 * clinical_write.c - the records the clinic writes to tune the clinical
 * computations: a `target` range for a measurement code, and a `rule`
 * override. Both go through the one write pipeline (validation in
 * record_schema.c), so they sync like any record.
 */
#include <string.h>

#include "carelog/clinical.h"
#include "error.h"
#include "store_internal.h"
#include "write_internal.h"

/* Sets a string field; a string that is not UTF-8 is an error naming it. */
static int put_str(json_t *o, const char *key, const char *v)
{
	json_t *str;
	if (v == NULL)
		return 0;
	if ((str = json_string(v)) == NULL)
		return carelog__fail(CARELOG_EINVALID, "%s is not valid UTF-8 text", key);
	return json_object_set_new(o, key, str) == 0 ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");
}

static json_t *start(int *rc, const char *kind, unsigned version, unsigned expected, const void *p,
	const char *what, const char *patient, const char *at, const char *note)
{
	json_t *o;
	if (p == NULL || version != expected) {
		*rc = carelog__fail(CARELOG_EINVALID, p ? "%s version %u is not supported" : "no %s given", what, version);
		return NULL;
	}
	if ((o = json_object()) == NULL) {
		*rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		return NULL;
	}
	if ((*rc = put_str(o, "kind", kind)) < 0 || (*rc = put_str(o, "patient", patient)) < 0 ||
	    (*rc = put_str(o, "time", at)) < 0 || (*rc = put_str(o, "note", note)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int carelog_target_set(char *out_id, carelog_store *s, const carelog_target *t)
{
	int rc = 0;
	json_t *o = start(&rc, "target", t ? t->version : 0, CARELOG_TARGET_VERSION, t, "carelog_target",
		t ? t->patient : NULL, t ? t->at : NULL, t ? t->note : NULL);
	if (o == NULL)
		return carelog__store_result(s, rc);
	if ((rc = put_str(o, "code", t->code)) < 0 ||
	    (t->has_low && json_object_set_new(o, "low", json_real(t->low)) != 0) ||
	    (t->has_high && json_object_set_new(o, "high", json_real(t->high)) != 0)) {
		json_decref(o);
		return carelog__store_result(s, rc < 0 ? rc : carelog__fail(CARELOG_ENOMEM, "out of memory"));
	}
	return carelog__write_one(out_id, s, o);
}

int carelog_rule_set(char *out_id, carelog_store *s, const carelog_rule_override *r)
{
	int rc = 0;
	json_t *o = start(&rc, "rule", r ? r->version : 0, CARELOG_RULE_OVERRIDE_VERSION, r, "carelog_rule_override",
		r ? r->patient : NULL, r ? r->at : NULL, r ? r->note : NULL);
	if (o == NULL)
		return carelog__store_result(s, rc);
	if ((rc = put_str(o, "rule", r->rule)) < 0 || (rc = put_str(o, "severity", r->severity)) < 0 ||
	    (r->has_threshold && json_object_set_new(o, "threshold", json_real(r->threshold)) != 0) ||
	    json_object_set_new(o, "enabled", json_boolean(!r->off)) != 0 ||
	    (r->lookback_days && json_object_set_new(o, "lookback_days", json_integer(r->lookback_days)) != 0)) {
		json_decref(o);
		return carelog__store_result(s, rc < 0 ? rc : carelog__fail(CARELOG_ENOMEM, "out of memory"));
	}
	return carelog__write_one(out_id, s, o);
}
