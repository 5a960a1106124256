/*
 * record_schema.c - validating and normalizing one record, as
 * docs/records.md describes it for people.
 *
 * Every field is declared once in a small table (type, required, length or
 * value limits, allowed values, default); one generic pass checks and
 * normalizes what a table can say, and a short per-kind function checks the
 * rules that tie fields together (reason and status, plan dates, measurement
 * units). A normalized record is a fixed point: normalizing it again changes
 * nothing, so a record read back from a chart and rewritten is identical.
 */
#include "record_schema.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "carelog/clinical.h"
#include "carelog/common.h"
#include "error.h"
#include "hlc.h"
#include "json_canon.h"
#include "record_id.h"
#include "timeutil.h"

/* ------------------------------------------------------------------ */
/* Field tables                                                         */

enum ftype {
	T_TEXT,    /* string; no control characters; length in code points */
	T_ENUM,    /* string, one of `values` */
	T_ID,      /* string of the record id form */
	T_TIME,    /* RFC 3339, rewritten as canonical UTC */
	T_DATE,    /* YYYY-MM-DD */
	T_HLC,     /* clock stamp, rewritten in its canonical form */
	T_DRUG,    /* drug name, trimmed and lower-cased */
	T_NUMBER,  /* number within lo..hi */
	T_INTEGER, /* whole number within lo..hi (3.0 accepted as 3) */
	T_BOOL,
	T_ARRAY,   /* shape only; the kind's check does the rest */
	T_OBJECT   /* shape only; the kind's check does the rest */
};

#define F_REQUIRED 1u
#define F_MULTILINE 2u /* newline and tab allowed (note, text, reason) */
#define F_ABOVE_LO 4u  /* a number must be > lo rather than >= lo */

typedef struct {
	const char *name;
	enum ftype type;
	unsigned flags;
	double lo, hi;              /* text: length in code points; numbers: value */
	const char *const *values;  /* T_ENUM: allowed values, NULL-terminated */
	const char *fill;           /* default filled in when absent ("false" for T_BOOL) */
} field;

/* Limits used in several tables. */
#define MAX_AMOUNT 100000.0
#define NO_LO (-DBL_MAX)
#define NO_HI DBL_MAX

static const char *const kinds[] = {
	"patient", "caregiver", "plan", "dose", "symptom", "measurement", "note", "target", "rule", NULL
};
static const char *const statuses[] = { "active", "entered-in-error", NULL };
static const char *const roles[] = { "caregiver", "clinician", "clinic", NULL };
static const char *const dose_units[] = {
	"mg", "g", "mcg", "mL", "mg/kg", "mg/m2", "units", "tablet", NULL
};
static const char *const routes[] = {
	"oral", "iv", "sc", "im", "topical", "inhaled", "rectal", "nasogastric", NULL
};
static const char *const outcomes[] = { "given", "missed", "refused", "held", NULL };
static const char *const severities[] = { "info", "warning", "urgent", NULL };

/* name, type, flags, lo, hi, values, fill */
static const field common_fields[] = {
	{ "id", T_ID, F_REQUIRED, 0, 0, NULL, NULL },
	{ "kind", T_ENUM, F_REQUIRED, 0, 0, kinds, NULL },
	{ "patient", T_ID, F_REQUIRED, 0, 0, NULL, NULL },
	{ "time", T_TIME, F_REQUIRED, 0, 0, NULL, NULL },
	{ "status", T_ENUM, 0, 0, 0, statuses, "active" },
	{ "reason", T_TEXT, F_MULTILINE, 1, 500, NULL, NULL },
	{ "author", T_TEXT, F_REQUIRED, 1, 200, NULL, NULL },
	{ "device", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ "hlc", T_HLC, F_REQUIRED, 0, 0, NULL, NULL },
	{ "note", T_TEXT, F_MULTILINE, 0, 2000, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field patient_fields[] = {
	{ "name", T_TEXT, F_REQUIRED, 1, 200, NULL, NULL },
	{ "born", T_DATE, 0, 0, 0, NULL, NULL },
	{ "weight_kg", T_NUMBER, 0, 0.2, 500, NULL, NULL },
	{ "asplenic", T_BOOL, 0, 0, 0, NULL, "false" },
	{ "timezone", T_TEXT, 0, 1, 64, NULL, "UTC" },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field caregiver_fields[] = {
	{ "name", T_TEXT, F_REQUIRED, 1, 200, NULL, NULL },
	{ "role", T_ENUM, F_REQUIRED, 0, 0, roles, NULL },
	{ "contact", T_TEXT, 0, 0, 200, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field plan_fields[] = {
	{ "drug", T_DRUG, F_REQUIRED, 1, 100, NULL, NULL },
	{ "dose", T_NUMBER, F_REQUIRED | F_ABOVE_LO, 0, MAX_AMOUNT, NULL, NULL },
	{ "unit", T_ENUM, F_REQUIRED, 0, 0, dose_units, NULL },
	{ "route", T_ENUM, 0, 0, 0, routes, "oral" },
	{ "times", T_ARRAY, 0, 0, 0, NULL, NULL },
	{ "start", T_DATE, F_REQUIRED, 0, 0, NULL, NULL },
	{ "end", T_DATE, 0, 0, 0, NULL, NULL },
	{ "taper", T_ARRAY, 0, 0, 0, NULL, NULL },
	/* the default (60) lives in the reminder code, not in the record, so
	 * that changing it later applies to plans that never chose one */
	{ "window_minutes", T_INTEGER, 0, 5, 720, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field dose_fields[] = {
	{ "drug", T_DRUG, F_REQUIRED, 1, 100, NULL, NULL },
	{ "amount", T_NUMBER, F_REQUIRED, 0, MAX_AMOUNT, NULL, NULL },
	{ "unit", T_ENUM, F_REQUIRED, 0, 0, dose_units, NULL },
	{ "outcome", T_ENUM, 0, 0, 0, outcomes, "given" },
	{ "plan", T_ID, 0, 0, 0, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field symptom_fields[] = {
	{ "code", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ "severity", T_INTEGER, F_REQUIRED, 0, 10, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

/* value's plausible range, unit, loinc and code depend on the code: the
 * measurement check does them after the table has checked the types */
static const field measurement_fields[] = {
	{ "code", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ "value", T_NUMBER, F_REQUIRED, NO_LO, NO_HI, NULL, NULL },
	{ "unit", T_TEXT, 0, 1, 100, NULL, NULL },
	{ "loinc", T_TEXT, 0, 1, 100, NULL, NULL },
	{ "range", T_OBJECT, 0, 0, 0, NULL, NULL },
	{ "entered", T_OBJECT, 0, 0, 0, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field note_fields[] = {
	{ "text", T_TEXT, F_REQUIRED | F_MULTILINE, 1, 10000, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

/* A clinic's target range for one measurement code (clinical_ranges.c). */
static const field target_fields[] = {
	{ "code", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ "low", T_NUMBER, 0, NO_LO, NO_HI, NULL, NULL },
	{ "high", T_NUMBER, 0, NO_LO, NO_HI, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

/* A patient's override of one alert rule (clinical_rules.c). */
static const field rule_fields[] = {
	{ "rule", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ "threshold", T_NUMBER, 0, NO_LO, NO_HI, NULL, NULL },
	{ "severity", T_ENUM, 0, 0, 0, severities, NULL },
	{ "enabled", T_BOOL, 0, 0, 0, NULL, "true" },
	{ "lookback_days", T_INTEGER, 0, 1, 365, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

/* Objects nested in a record. */
static const field taper_step_fields[] = {
	{ "date", T_DATE, F_REQUIRED, 0, 0, NULL, NULL },
	{ "dose", T_NUMBER, F_REQUIRED, 0, MAX_AMOUNT, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field range_fields[] = {
	{ "low", T_NUMBER, 0, NO_LO, NO_HI, NULL, NULL },
	{ "high", T_NUMBER, 0, NO_LO, NO_HI, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

static const field entered_fields[] = {
	{ "value", T_NUMBER, F_REQUIRED, NO_LO, NO_HI, NULL, NULL },
	{ "unit", T_TEXT, F_REQUIRED, 1, 100, NULL, NULL },
	{ NULL, T_TEXT, 0, 0, 0, NULL, NULL }
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static int nomem(void)
{
	return carelog__fail(CARELOG_ENOMEM, "out of memory normalizing a record");
}

/* json_object_set_new that reports a failed allocation (v may be NULL). */
static int set_new(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return nomem();
	return 0;
}

/* The string value of obj[key], or NULL (only after the tables have checked
 * the field's type, so NULL means absent). */
static const char *get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const field *field_find(const field *fields, const char *name)
{
	for (; fields->name; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

static int in_list(const char *const *values, const char *s)
{
	for (; *values; values++)
		if (strcmp(*values, s) == 0)
			return 1;
	return 0;
}

/* "a, b, c" into buf, for messages that list what is accepted. */
static const char *join(char *buf, size_t n, const char *const *values)
{
	size_t used = 0;
	buf[0] = '\0';
	for (; *values && used < n; values++) {
		int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", *values);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Counts UTF-8 code points: jansson has already checked that strings are
 * valid UTF-8, so every byte that is not a continuation byte starts one. */
static size_t utf8_length(const char *s, size_t bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < bytes; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* Control characters would break the one-line-per-record import format and
 * terminals that show a chart; only free text may hold newlines and tabs.
 * json_string_length also catches an embedded NUL. */
static int check_controls(const json_t *v, const char *name, unsigned flags)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20)
			continue;
		if ((flags & F_MULTILINE) && (c == '\n' || c == '\t'))
			continue;
		if (c == '\n' || c == '\t')
			return carelog__fail(CARELOG_EINVALID,
				"%s contains a %s; only note, text and reason may hold newlines and tabs",
				name, c == '\n' ? "newline" : "tab");
		return carelog__fail(CARELOG_EINVALID, "%s contains the control character U+%04X",
			name, (unsigned)c);
	}
	return 0;
}

static int check_length(const json_t *v, const char *name, const field *f)
{
	size_t n = utf8_length(json_string_value(v), json_string_length(v));
	if (n == 0 && f->lo >= 1)
		return carelog__fail(CARELOG_EINVALID, "%s must not be empty", name);
	if (n > (size_t)f->hi)
		return carelog__fail(CARELOG_EINVALID, "%s is %zu characters long; at most %.0f are allowed",
			name, n, f->hi);
	return 0;
}

/* Rounds to 10 significant digits: a converted value keeps the precision of
 * any lab report while the binary noise of the factor (1/17.1, 5/9) goes.
 * Through text, so the result is the nearest double to a short decimal. */
static double round10(double x)
{
	char buf[40];
	if (x == 0 || !isfinite(x))
		return x;
	snprintf(buf, sizeof(buf), "%.10g", x);
	return strtod(buf, NULL);
}

/* canonical = typed * factor + offset. A result that is pure cancellation
 * noise (32 [degF] -> 3.5e-15) is zero. */
static double convert(const carelog__unit_conversion *c, double typed)
{
	double scaled = typed * c->factor;
	double r = scaled + c->offset;
	if (fabs(r) < 1e-12 * fmax(fabs(scaled), fabs(c->offset)))
		r = 0;
	return round10(r);
}

/* Formats "name" or "prefix.name" (taper[2].date) into buf. */
static const char *full_name(char *buf, size_t n, const char *prefix, const char *name)
{
	snprintf(buf, n, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", name);
	return buf;
}

/* ------------------------------------------------------------------ */
/* The generic pass                                                     */

/* Trims surrounding spaces, lower-cases and checks a drug name, so that
 * "Prednisone " and "prednisone" are the same drug in every query. */
static int normalize_drug(json_t *obj, const char *key, const char *name, const field *f)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t len = strlen(s), start = 0, n;
	char *buf;
	json_t *nv;

	while (start < len && s[start] == ' ')
		start++;
	while (len > start && s[len - 1] == ' ')
		len--;
	n = len - start;
	if (n == 0)
		return carelog__fail(CARELOG_EINVALID, "%s must not be empty", name);
	if (n > (size_t)f->hi)
		return carelog__fail(CARELOG_EINVALID, "%s is %zu characters long; at most %.0f are allowed",
			name, n, f->hi);
	for (size_t i = start; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '-'))
			return carelog__fail(CARELOG_EINVALID,
				"%s '%.100s' may only contain letters a-z, digits, spaces and '-'", name, s);
	}
	buf = malloc(n + 1);
	if (buf == NULL)
		return nomem();
	for (size_t i = 0; i < n; i++) {
		char c = s[start + i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	nv = strcmp(buf, s) != 0 ? json_string(buf) : NULL;
	free(buf);
	return nv ? set_new(obj, key, nv) : 0;
}

static int check_number(const json_t *v, const char *name, const field *f)
{
	double d = json_number_value(v);
	if (f->type == T_INTEGER && d != floor(d))
		return carelog__fail(CARELOG_EINVALID, "%s %.15g must be a whole number %.15g-%.15g",
			name, d, f->lo, f->hi);
	if ((f->flags & F_ABOVE_LO) && (d <= f->lo || d > f->hi))
		return carelog__fail(CARELOG_EINVALID, "%s %.15g must be more than %.15g and at most %.15g",
			name, d, f->lo, f->hi);
	if (d < f->lo || d > f->hi)
		return carelog__fail(CARELOG_EINVALID, "%s %.15g is out of range %.15g-%.15g",
			name, d, f->lo, f->hi);
	return 0;
}

/* Checks obj[f->name] against its declaration, fills its default when it is
 * absent and rewrites it in canonical form. `prefix` names the containing
 * object for nested fields ("taper[1]"), `where` says what the record is. */
static int check_field(json_t *obj, const field *f, const char *prefix, const char *where)
{
	char buf[96], list[256];
	json_t *v = json_object_get(obj, f->name);
	/* a top-level field is named as it is: no snprintf for each field of
	 * each record a sync checks */
	const char *name = prefix ? full_name(buf, sizeof(buf), prefix, f->name) : f->name;
	const char *s;
	int is_string;

	if (v == NULL) {
		if (f->flags & F_REQUIRED) {
			if (prefix)
				return carelog__fail(CARELOG_EINVALID, "%s is required", name);
			return carelog__fail(CARELOG_EINVALID, "%s is required in %s", name, where);
		}
		if (f->fill == NULL)
			return 0;
		return set_new(obj, f->name, f->type == T_BOOL ? json_boolean(strcmp(f->fill, "true") == 0)
			: json_string(f->fill));
	}

	is_string = f->type <= T_DRUG; /* the string types come first in enum ftype */
	if (is_string && !json_is_string(v))
		return carelog__fail(CARELOG_EINVALID, "%s must be a string, not %s", name, json_type_name(v));
	if ((f->type == T_NUMBER || f->type == T_INTEGER) && !json_is_number(v))
		return carelog__fail(CARELOG_EINVALID, "%s must be a %s, not %s", name,
			f->type == T_INTEGER ? "whole number" : "number", json_type_name(v));
	if (f->type == T_BOOL && !json_is_boolean(v))
		return carelog__fail(CARELOG_EINVALID, "%s must be true or false, not %s", name, json_type_name(v));
	if (f->type == T_ARRAY && !json_is_array(v))
		return carelog__fail(CARELOG_EINVALID, "%s must be an array, not %s", name, json_type_name(v));
	if (f->type == T_OBJECT && !json_is_object(v))
		return carelog__fail(CARELOG_EINVALID, "%s must be an object, not %s", name, json_type_name(v));
	if (is_string) {
		int rc = check_controls(v, name, f->flags);
		if (rc < 0)
			return rc;
	}
	s = json_string_value(v);

	switch (f->type) {
	case T_TEXT:
		return check_length(v, name, f);
	case T_ENUM:
		if (!in_list(f->values, s))
			return carelog__fail(CARELOG_EINVALID, "%s '%.100s' is not one of %s", name, s,
				join(list, sizeof(list), f->values));
		return 0;
	case T_ID:
		return carelog__id_check(s, name);
	case T_DATE: {
		int64_t days;
		return carelog__date_parse(&days, s, name);
	}
	case T_TIME: {
		int64_t ms;
		char out[CARELOG__TIME_BUFSIZE];
		int rc = carelog__time_parse(&ms, s, name);
		if (rc < 0)
			return rc;
		carelog__time_format(out, ms);
		return strcmp(out, s) == 0 ? 0 : set_new(obj, f->name, json_string(out));
	}
	case T_HLC: {
		carelog__hlc h;
		char out[CARELOG__HLC_BUFSIZE];
		int rc = carelog__hlc_parse(&h, s);
		if (rc < 0)
			return rc;
		/* a stamp is a write's wall time; none is before 1970, and the
		 * fixed-width form (whose string order is clock order) needs ms >= 0 */
		if (h.ms < 0)
			return carelog__fail(CARELOG_EINVALID, "%s '%s' is before 1970", name, s);
		carelog__hlc_format(out, &h);
		return strcmp(out, s) == 0 ? 0 : set_new(obj, f->name, json_string(out));
	}
	case T_DRUG:
		return normalize_drug(obj, f->name, name, f);
	case T_NUMBER:
	case T_INTEGER:
		return check_number(v, name, f);
	case T_BOOL:
	case T_ARRAY:
	case T_OBJECT:
		return 0;
	}
	return 0;
}

static int check_fields(json_t *obj, const field *fields, const char *prefix, const char *where)
{
	for (; fields->name; fields++) {
		int rc = check_field(obj, fields, prefix, where);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Unknown fields are errors, not ignored: a misspelt "severty" must not
 * silently drop what a parent typed. `extra` may be NULL. */
static int reject_unknown(json_t *obj, const field *fields, const field *extra, const char *where)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!field_find(fields, key) && !(extra && field_find(extra, key)))
			return carelog__fail(CARELOG_EINVALID, "unknown field '%.60s' in %s", key, where);
	}
	return 0;
}

/* A nested object (range, entered, a taper step): no unknown keys, then its
 * fields, named "<name>.<field>" in messages. */
static int check_nested(json_t *obj, const field *fields, const char *name)
{
	int rc = reject_unknown(obj, fields, NULL, name);
	return rc < 0 ? rc : check_fields(obj, fields, name, name);
}

/* ------------------------------------------------------------------ */
/* Rules across fields                                                  */

static int check_common(json_t *rec, const char *kind)
{
	const char *status = get_str(rec, "status");
	const char *reason = get_str(rec, "reason");
	const char *device = get_str(rec, "device");

	if (strcmp(kind, "patient") == 0 && strcmp(get_str(rec, "patient"), get_str(rec, "id")) != 0)
		return carelog__fail(CARELOG_EINVALID, "patient '%s' must equal id '%s' in a patient record",
			get_str(rec, "patient"), get_str(rec, "id"));
	if (strcmp(status, "entered-in-error") == 0 && reason == NULL)
		return carelog__fail(CARELOG_EINVALID, "reason is required when status is entered-in-error");
	if (strcmp(status, "entered-in-error") != 0 && reason != NULL)
		return carelog__fail(CARELOG_EINVALID,
			"reason is only allowed when status is entered-in-error (status is '%s')", status);
	/* a device id ends up in file names and sync messages */
	for (const char *p = device; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return carelog__fail(CARELOG_EINVALID,
				"device '%.100s' may only contain letters A-Z a-z, digits, '.', '_' and '-'", device);
	}
	return 0;
}

/* An IANA zone name. It becomes a path below the zoneinfo directory, so the
 * characters are restricted before any file is looked at. */
static int check_timezone(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	struct stat st;
	int n;

	if (strcmp(tz, "UTC") == 0)
		return 0;
	if (tz[0] == '/' || strstr(tz, "..") != NULL || strspn(tz,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/-") != strlen(tz))
		return carelog__fail(CARELOG_EINVALID,
			"timezone '%.64s' is not a time zone name like Europe/Paris (letters, digits, '_', '+', '-', '/')", tz);
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	/* without a zone database (some containers) a well-formed name is all
	 * that can be checked */
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return carelog__fail(CARELOG_EINVALID, "timezone '%.64s' is not a known time zone (none in %.200s)",
			tz, dir);
	return 0;
}

static int check_patient(json_t *rec)
{
	const char *born = get_str(rec, "born");
	if (born) {
		int64_t days, today;
		carelog__date_parse(&days, born, "born");
		/* "today" wherever the family is: the latest date on Earth is
		 * UTC+14, so a birth registered on its day is never refused */
		today = (carelog__now_ms() + 14 * 3600 * 1000LL) / 86400000LL;
		if (days > today)
			return carelog__fail(CARELOG_EINVALID, "born %s is after today", born);
	}
	return check_timezone(get_str(rec, "timezone"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Daily times "HH:MM", stored sorted so that equal plans are equal text. */
static int check_times(json_t *rec)
{
	json_t *arr = json_object_get(rec, "times"), *sorted;
	const char *t[12];
	size_t n, i;

	if (arr == NULL)
		return 0;
	n = json_array_size(arr);
	if (n < 1 || n > 12)
		return carelog__fail(CARELOG_EINVALID, "times must hold 1-12 times of day, not %zu", n);
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(arr, i);
		const char *s = json_string_value(e);
		if (s == NULL || strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' ||
		    s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9' ||
		    (s[0] == '2' && s[1] > '3'))
			return carelog__fail(CARELOG_EINVALID,
				"times[%zu] %s%.20s%s is not a time of day HH:MM (00:00-23:59)",
				i, s ? "'" : "", s ? s : json_type_name(e), s ? "'" : "");
		t[i] = s;
	}
	qsort(t, n, sizeof(t[0]), cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(t[i - 1], t[i]) == 0)
			return carelog__fail(CARELOG_EINVALID, "times lists %s twice", t[i]);
	sorted = json_array();
	if (sorted == NULL)
		return nomem();
	for (i = 0; i < n; i++)
		if (json_array_append_new(sorted, json_string(t[i])) != 0) {
			json_decref(sorted);
			return nomem();
		}
	return set_new(rec, "times", sorted);
}

/* Taper steps: from each date on the plan's dose is the step's dose. */
static int check_taper(json_t *rec, int64_t start, const int64_t *end)
{
	json_t *arr = json_object_get(rec, "taper");
	int64_t prev = 0;
	size_t i;

	if (arr == NULL)
		return 0;
	if (json_array_size(arr) == 0)
		return carelog__fail(CARELOG_EINVALID, "taper must hold at least one step (leave it out for none)");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *step = json_array_get(arr, i);
		char name[32];
		const char *date;
		int64_t days;
		int rc;

		snprintf(name, sizeof(name), "taper[%zu]", i);
		if (!json_is_object(step))
			return carelog__fail(CARELOG_EINVALID,
				"%s must be an object {\"date\": \"YYYY-MM-DD\", \"dose\": n}, not %s", name,
				json_type_name(step));
		if ((rc = check_nested(step, taper_step_fields, name)) < 0)
			return rc;
		date = get_str(step, "date");
		carelog__date_parse(&days, date, name);
		if (days < start)
			return carelog__fail(CARELOG_EINVALID, "%s.date %s is before start %s", name, date,
				get_str(rec, "start"));
		if (end && days > *end)
			return carelog__fail(CARELOG_EINVALID, "%s.date %s is after end %s", name, date,
				get_str(rec, "end"));
		if (i > 0 && days <= prev)
			return carelog__fail(CARELOG_EINVALID, "%s.date %s is not after taper[%zu].date %s", name,
				date, i - 1, get_str(json_array_get(arr, i - 1), "date"));
		prev = days;
	}
	return 0;
}

static int check_plan(json_t *rec)
{
	int64_t start, end;
	const char *end_s = get_str(rec, "end");
	int rc;

	carelog__date_parse(&start, get_str(rec, "start"), "start");
	if (end_s) {
		carelog__date_parse(&end, end_s, "end");
		if (end < start)
			return carelog__fail(CARELOG_EINVALID, "end %s is before start %s", end_s,
				get_str(rec, "start"));
	}
	if ((rc = check_times(rec)) < 0)
		return rc;
	return check_taper(rec, start, end_s ? &end : NULL);
}

static int check_symptom(json_t *rec)
{
	const char *code = get_str(rec, "code"), *note = get_str(rec, "note");
	if (carelog__symptom_code_find(code) == NULL) {
		char list[512];
		size_t used = 0;
		list[0] = '\0';
		for (const carelog__symptom_code *c = carelog__symptom_codes; c->code && used < sizeof(list); c++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", c->code);
		return carelog__fail(CARELOG_EINVALID, "code '%.60s' is not a symptom code (one of %s)", code, list);
	}
	/* "other" means nothing without a description */
	if (strcmp(code, "other") == 0 && (note == NULL || note[0] == '\0'))
		return carelog__fail(CARELOG_EINVALID, "note is required when code is 'other'");
	return 0;
}

/* ---- measurements ---- */

static const carelog__unit_conversion *conversion_find(const carelog__measure_code *m, const char *unit)
{
	for (const carelog__unit_conversion *c = m->conversions; c->unit; c++)
		if (strcmp(c->unit, unit) == 0)
			return c;
	return NULL;
}

/* "Cel, [degF]": the canonical unit then the converted ones. */
static const char *accepted_units(char *buf, size_t n, const carelog__measure_code *m)
{
	const char *list[5];
	size_t k = 0;
	list[k++] = m->unit;
	for (const carelog__unit_conversion *c = m->conversions; c->unit && k < 4; c++)
		list[k++] = c->unit;
	list[k] = NULL;
	return join(buf, n, list);
}

/* A normalized record's `entered` must be what the conversion produced:
 * an accepted unit whose value converts to the stored value. */
static int check_entered(json_t *entered, const carelog__measure_code *m, double value)
{
	const carelog__unit_conversion *c;
	double typed, expect;
	char list[128];
	int rc;

	if ((rc = check_nested(entered, entered_fields, "entered")) < 0)
		return rc;
	if (m->conversions[0].unit == NULL)
		return carelog__fail(CARELOG_EINVALID,
			"entered is not allowed for %s: it has no unit other than %s", m->code, m->unit);
	c = conversion_find(m, get_str(entered, "unit"));
	if (c == NULL) {
		const char *conv[4];
		size_t k = 0;
		for (const carelog__unit_conversion *x = m->conversions; x->unit && k < 3; x++)
			conv[k++] = x->unit;
		conv[k] = NULL;
		return carelog__fail(CARELOG_EINVALID, "entered.unit '%.40s' is not converted for %s (converted: %s)",
			get_str(entered, "unit"), m->code, join(list, sizeof(list), conv));
	}
	typed = json_number_value(json_object_get(entered, "value"));
	expect = convert(c, typed);
	if (fabs(expect - value) > 1e-9 * fmax(fabs(expect), fabs(value)))
		return carelog__fail(CARELOG_EINVALID,
			"value %.15g %s does not match entered.value %.15g %s (which is %.15g %s)",
			value, m->unit, typed, c->unit, expect, m->unit);
	return 0;
}

/* Converts range.low/high in place (same conversion as the value). */
static int convert_range(json_t *rec, const carelog__unit_conversion *c)
{
	json_t *range = json_object_get(rec, "range"), *out;
	static const char *const keys[] = { "low", "high" };
	if (range == NULL)
		return 0;
	out = json_object();
	if (out == NULL)
		return nomem();
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(range, keys[i]);
		if (v && set_new(out, keys[i], json_real(convert(c, json_number_value(v)))) < 0) {
			json_decref(out);
			return nomem();
		}
	}
	return set_new(rec, "range", out);
}

static int check_range(json_t *rec)
{
	json_t *range = json_object_get(rec, "range"), *low, *high;
	int rc;
	if (range == NULL)
		return 0;
	if ((rc = check_nested(range, range_fields, "range")) < 0)
		return rc;
	low = json_object_get(range, "low");
	high = json_object_get(range, "high");
	if (low == NULL && high == NULL)
		return carelog__fail(CARELOG_EINVALID, "range needs low, high or both");
	if (low && high && json_number_value(low) > json_number_value(high))
		return carelog__fail(CARELOG_EINVALID, "range low %.15g is above high %.15g",
			json_number_value(low), json_number_value(high));
	return 0;
}

static int check_measurement(json_t *rec)
{
	const char *code = get_str(rec, "code"), *loinc = get_str(rec, "loinc");
	const char *unit = get_str(rec, "unit");
	const carelog__measure_code *m = carelog__measure_code_find(code);
	json_t *vjson = json_object_get(rec, "value"), *entered = json_object_get(rec, "entered");
	double value = json_number_value(vjson), typed = value;
	const carelog__unit_conversion *c = NULL;
	char list[512];
	int rc;

	if (m == NULL) {
		size_t used = 0;
		list[0] = '\0';
		for (const carelog__measure_code *x = carelog__measure_codes; x->code && used < sizeof(list); x++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", x->code);
		return carelog__fail(CARELOG_EINVALID, "code '%.60s' is not a measurement code (one of %s)", code, list);
	}

	/* loinc is derived from the code; a different one means the sender
	 * meant another test */
	if (m->loinc == NULL && loinc != NULL)
		return carelog__fail(CARELOG_EINVALID, "loinc '%.40s' is given but %s has no LOINC code; leave loinc out",
			loinc, code);
	if (m->loinc != NULL && loinc != NULL && strcmp(loinc, m->loinc) != 0)
		return carelog__fail(CARELOG_EINVALID, "loinc '%.40s' does not match %s (LOINC %s)", loinc, code, m->loinc);
	if (m->loinc != NULL && loinc == NULL && (rc = set_new(rec, "loinc", json_string(m->loinc))) < 0)
		return rc;

	if ((rc = check_range(rec)) < 0)
		return rc;

	if (unit == NULL || strcmp(unit, m->unit) == 0) {
		/* canonical already: either typed so, or a normalized record
		 * whose `entered` must still agree with its value */
		if (entered && (rc = check_entered(entered, m, value)) < 0)
			return rc;
	} else {
		c = conversion_find(m, unit);
		if (c == NULL)
			return carelog__fail(CARELOG_EINVALID, "unit '%.40s' is not accepted for %s (accepted: %s)",
				unit, code, accepted_units(list, sizeof(list), m));
		if (entered)
			return carelog__fail(CARELOG_EINVALID,
				"entered cannot be given with unit '%.40s': it is set when a value is converted to %s",
				unit, m->unit);
		value = convert(c, typed);
		/* entered first: it takes a reference to the typed value and
		 * copies the unit before both are replaced */
		if ((rc = set_new(rec, "entered", json_pack("{s:O,s:s}", "value", vjson, "unit", unit))) < 0 ||
		    (rc = set_new(rec, "value", json_real(value))) < 0 ||
		    (rc = convert_range(rec, c)) < 0)
			return rc;
	}
	if (unit == NULL || c != NULL) {
		unit = NULL; /* replaced below; the old string may be freed */
		if ((rc = set_new(rec, "unit", json_string(m->unit))) < 0)
			return rc;
	}

	if (value < m->min || value > m->max) {
		if (c)
			return carelog__fail(CARELOG_EINVALID,
				"value %.15g %s (%.15g %s) is out of range %.15g-%.15g %s for %s",
				typed, c->unit, value, m->unit, m->min, m->max, m->unit, code);
		return carelog__fail(CARELOG_EINVALID, "value %.15g is out of range %.15g-%.15g %s for %s",
			value, m->min, m->max, m->unit, code);
	}
	return 0;
}

/* ---- targets and rule overrides ---- */

static int check_target(json_t *rec)
{
	const char *code = get_str(rec, "code");
	const carelog__measure_code *m = carelog__measure_code_find(code);
	json_t *low = json_object_get(rec, "low"), *high = json_object_get(rec, "high");
	static const char *const keys[] = { "low", "high" };

	if (m == NULL)
		return carelog__fail(CARELOG_EINVALID, "code '%.60s' is not a measurement code", code);
	if (low == NULL && high == NULL)
		return carelog__fail(CARELOG_EINVALID, "a target needs low, high or both");
	if (low && high && json_number_value(low) > json_number_value(high))
		return carelog__fail(CARELOG_EINVALID, "target low %.15g is above high %.15g",
			json_number_value(low), json_number_value(high));
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(rec, keys[i]);
		if (v && (json_number_value(v) < m->min || json_number_value(v) > m->max))
			return carelog__fail(CARELOG_EINVALID, "%s %.15g is out of range %.15g-%.15g %s for %s", keys[i],
				json_number_value(v), m->min, m->max, m->unit, code);
	}
	return 0;
}

static int check_rule(json_t *rec)
{
	const char *id = get_str(rec, "rule");
	size_t n;
	const carelog_rule_info *rules = carelog_rules(&n);
	char list[512];
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].id, id) == 0)
			return 0;
	list[0] = '\0';
	for (size_t i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", rules[i].id);
	return carelog__fail(CARELOG_EINVALID, "rule '%.60s' is not one of %s", id, list);
}

/* ------------------------------------------------------------------ */

typedef struct {
	const char *kind;
	const char *where; /* for messages: "a dose record" */
	const field *fields;
	int (*check)(json_t *rec); /* rules across fields, or NULL */
} kind_spec;

static const kind_spec kind_specs[] = {
	{ "patient", "a patient record", patient_fields, check_patient },
	{ "caregiver", "a caregiver record", caregiver_fields, NULL },
	{ "plan", "a plan record", plan_fields, check_plan },
	{ "dose", "a dose record", dose_fields, NULL },
	{ "symptom", "a symptom record", symptom_fields, check_symptom },
	{ "measurement", "a measurement record", measurement_fields, check_measurement },
	{ "note", "a note record", note_fields, NULL },
	{ "target", "a target record", target_fields, check_target },
	{ "rule", "a rule record", rule_fields, check_rule },
	{ NULL, NULL, NULL, NULL }
};

static const kind_spec *kind_find(const char *kind)
{
	if (kind == NULL)
		return NULL;
	for (const kind_spec *k = kind_specs; k->kind; k++)
		if (strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

int carelog__kind_known(const char *kind)
{
	return kind_find(kind) != NULL;
}

int carelog__record_normalize(json_t *rec)
{
	const kind_spec *k;
	json_t *kv;
	char list[128];
	int rc;

	if (!json_is_object(rec))
		return carelog__fail(CARELOG_EINVALID, "a record must be a JSON object");
	kv = json_object_get(rec, "kind");
	if (kv == NULL)
		return carelog__fail(CARELOG_EINVALID, "kind is required in a record");
	if (!json_is_string(kv))
		return carelog__fail(CARELOG_EINVALID, "kind must be a string, not %s", json_type_name(kv));
	k = kind_find(json_string_value(kv));
	if (k == NULL)
		return carelog__fail(CARELOG_EINVALID, "kind '%.40s' is not one of %s", json_string_value(kv),
			join(list, sizeof(list), kinds));

	if ((rc = reject_unknown(rec, common_fields, k->fields, k->where)) < 0 ||
	    (rc = check_fields(rec, common_fields, NULL, k->where)) < 0 ||
	    (rc = check_fields(rec, k->fields, NULL, k->where)) < 0 ||
	    (rc = check_common(rec, k->kind)) < 0 ||
	    (k->check && (rc = k->check(rec)) < 0))
		return rc;
	carelog__json_canonicalize(rec);
	return 0;
}

int carelog__record_from_file(json_t **out, const char *data, size_t len)
{
	json_t *rec = NULL;
	int rc = 0, same;

	*out = NULL;
	if (len == 0 || data[len - 1] != '\n' || memchr(data, '\0', len) != NULL)
		return carelog__fail(CARELOG_EINVALID, "not a record file (one line of JSON and a newline)");
	/* read in place, the newline left out: no copy of each blob a sync checks */
	if ((rec = carelog__json_parse_object_n(data, len - 1, "it")) == NULL)
		rc = carelog__last_code();
	else if (carelog__record_normalize(rec) < 0)
		rc = carelog__fail_prefix("invalid record");
	else if ((same = carelog__json_is_dump_of(rec, data, len - 1)) < 0)
		rc = same;
	else if (!same)
		rc = carelog__fail(CARELOG_EINVALID, "record is not in canonical form");
	if (rc < 0)
		json_decref(rec);
	else
		*out = rec;
	return rc;
}
