/*
 * json_canon.c - canonical JSON on top of jansson. jansson prints reals with
 * "%.17g" by default; 15 significant digits round-trip any decimal a person or
 * a lab system typed, and whole numbers become integers so that 5 and 5.0
 * are the same record.
 */
#include "json_canon.h"

#include <math.h>

#include "carelog/common.h"
#include "error.h"

json_t *carelog__json_parse_object(const char *text, const char *what)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL) {
		carelog__fail(CARELOG_EINVALID, "%s is not valid JSON: %s at line %d column %d",
			what, err.text, err.line, err.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		carelog__fail(CARELOG_EINVALID, "%s is not a JSON object", what);
		return NULL;
	}
	return v;
}

void carelog__json_canonicalize(json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			if (json_is_real(child)) {
				double d = json_real_value(child);
				if (d == floor(d) && fabs(d) <= 9007199254740992.0)
					json_object_set_new(v, key, json_integer((json_int_t)d));
			} else {
				carelog__json_canonicalize(child);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (json_is_real(child)) {
				double d = json_real_value(child);
				if (d == floor(d) && fabs(d) <= 9007199254740992.0)
					json_array_set_new(v, i, json_integer((json_int_t)d));
			} else {
				carelog__json_canonicalize(child);
			}
		}
	}
}

char *carelog__json_dump(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	if (s == NULL)
		carelog__fail(CARELOG_ENOMEM, "out of memory printing a record");
	return s;
}

int carelog__json_number(double *out, const json_t *v)
{
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}
