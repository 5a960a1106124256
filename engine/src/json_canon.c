/*
 * json_canon.c - canonical JSON on top of jansson. jansson prints reals with
 * "%.17g" by default; 15 significant digits round-trip any decimal a person or
 * a lab system typed, and whole numbers become integers so that 5 and 5.0
 * are the same record.
 */
#include "json_canon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carelog/common.h"
#include "error.h"

json_t *carelog__json_parse_object(const char *text, const char *what)
{
	return carelog__json_parse_object_n(text, strlen(text), what);
}

json_t *carelog__json_parse_object_n(const char *text, size_t len, const char *what)
{
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
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

/* A real as it will be printed (15 significant digits), so that a value
 * like 2.9999999999999996, printed "3.0", becomes the integer 3 now rather
 * than on the next round trip. NULL when nothing changes. */
static json_t *canonical_number(const json_t *real)
{
	char buf[32];
	double d = json_real_value(real), r = d;
	/* below 1e15, 15 digits hold every whole number: round to what prints */
	if (fabs(d) < 1e15) {
		snprintf(buf, sizeof(buf), "%.15g", d);
		r = strtod(buf, NULL);
	}
	if (r == floor(r) && fabs(r) <= 9007199254740992.0)
		return json_integer((json_int_t)r);
	return r != d ? json_real(r) : NULL;
}

void carelog__json_canonicalize(json_t *v)
{
	const char *key;
	json_t *child, *repl;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			if (!json_is_real(child))
				carelog__json_canonicalize(child);
			else if ((repl = canonical_number(child)) != NULL)
				json_object_set_new(v, key, repl);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (!json_is_real(child))
				carelog__json_canonicalize(child);
			else if ((repl = canonical_number(child)) != NULL)
				json_array_set_new(v, i, repl);
		}
	}
}

#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

char *carelog__json_dump(json_t *v)
{
	char *s = json_dumps(v, CANONICAL_FLAGS);
	if (s == NULL)
		carelog__fail(CARELOG_ENOMEM, "out of memory printing a record");
	return s;
}

typedef struct {
	const char *text;
	size_t len, at;
	int differs;
} compare_ctx;

/* A json_dump_callback sink comparing what is printed with the text as it
 * comes, rather than printing it all into a buffer to strcmp it. */
static int compare_chunk(const char *buf, size_t size, void *data)
{
	compare_ctx *c = data;
	if (size > c->len - c->at || memcmp(c->text + c->at, buf, size) != 0) {
		c->differs = 1;
		return -1; /* stops the dump */
	}
	c->at += size;
	return 0;
}

int carelog__json_is_dump_of(json_t *v, const char *text, size_t len)
{
	compare_ctx c = { text, len, 0, 0 };
	if (json_dump_callback(v, compare_chunk, &c, CANONICAL_FLAGS) < 0 && !c.differs)
		return carelog__fail(CARELOG_ENOMEM, "out of memory printing a record");
	return !c.differs && c.at == len;
}

int carelog__json_number(double *out, const json_t *v)
{
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}
