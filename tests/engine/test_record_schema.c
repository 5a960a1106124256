/*
 * test_record_schema.c - carelog__record_normalize, kind by kind: a good
 * record comes out in exact canonical form (defaults filled, units
 * converted), normalizing that output again changes nothing, and each bad
 * input fails with CARELOG_EINVALID and a message naming the field.
 *
 * Test JSON is written with single quotes (turned into double quotes before
 * parsing) so that records stay readable. Set CARELOG_TEST_VERBOSE=1 to
 * print every error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "carelog/common.h"
#include "json_canon.h"
#include "record_schema.h"

#define PID "0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70"
#define RID "019abcde-f012-7345-9678-9abcdef01234"
#define HLC "2026-11-25T16:45:52.123Z-0000"

/* System fields as the caller sets them; time with an offset on purpose. */
#define SYS "'patient':'" PID "','time':'2026-11-25T09:00:00+01:00','author':'Maman'," \
	"'device':'phone-1','hlc':'" HLC "'"
/* The same fields after normalization, as pieces to place in key order. */
#define O_AUTHOR "'author':'Maman'"
#define O_DEVICE "'device':'phone-1'"
#define O_HLC "'hlc':'" HLC "'"
#define O_ID "'id':'" RID "'"
#define O_PATIENT "'patient':'" PID "'"
#define O_STATUS "'status':'active'"
#define O_TIME "'time':'2026-11-25T08:00:00Z'"
/* A normalized measurement; `entered`, `loinc` and `range` are "" or
 * ",'<key>':..." */
#define MEAS(code, entered, loinc, range, unit, value) \
	"{" O_AUTHOR ",'code':'" code "'," O_DEVICE entered "," O_HLC "," O_ID ",'kind':'measurement'" loinc "," O_PATIENT range "," \
	O_STATUS "," O_TIME ",'unit':'" unit "','value':" value "}"

#define PATIENT "{'id':'" PID "','kind':'patient'," SYS ",'name':'Léa Martin'}"
#define CAREGIVER "{'id':'" RID "','kind':'caregiver'," SYS ",'name':'Dr Rossi','role':'clinician'}"
#define PLAN "{'id':'" RID "','kind':'plan'," SYS ",'drug':'sirolimus','dose':1.5,'unit':'mg','start':'2026-11-25'}"
#define DOSE "{'id':'" RID "','kind':'dose'," SYS ",'drug':'prednisone','amount':10,'unit':'mg'}"
#define SYMPTOM "{'id':'" RID "','kind':'symptom'," SYS ",'code':'fever','severity':7}"
#define MEASURE "{'id':'" RID "','kind':'measurement'," SYS ",'code':'platelets','value':45}"
#define NOTE "{'id':'" RID "','kind':'note'," SYS ",'text':'Slept well'}"
#define TARGET "{'id':'" RID "','kind':'target'," SYS ",'code':'sirolimus-trough','low':5,'high':15.0}"
#define RULE "{'id':'" RID "','kind':'rule'," SYS ",'rule':'platelets-low'}"

static int verbose;

/* ---- helpers ---- */

static char *unquote(const char *s)
{
	char *t = strdup(s);
	assert_non_null(t);
	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	return t;
}

static json_t *parse_q(const char *s)
{
	json_error_t err;
	char *t = unquote(s);
	json_t *v = json_loads(t, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL)
		fail_msg("test JSON does not parse: %s: %s", err.text, t);
	free(t);
	return v;
}

/* The base record with `patch` applied: keys whose value is null are removed. */
static json_t *make(const char *base, const char *patch)
{
	json_t *rec = parse_q(base);
	if (patch) {
		json_t *p = parse_q(patch), *v;
		const char *key;
		json_object_foreach(p, key, v) {
			if (json_is_null(v))
				json_object_del(rec, key);
			else
				json_object_set(rec, key, v);
		}
		json_decref(p);
	}
	return rec;
}

static char *repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/* Normalizes rec (taking it), checks the canonical text against
 * `expected_q`, and that normalizing that text again gives the same text. */
static void expect_ok_rec(json_t *rec, const char *expected_q)
{
	char *out, *out2, *exp;
	json_t *again;

	if (carelog__record_normalize(rec) != 0)
		fail_msg("normalize failed: %s", carelog_error_last()->message);
	out = carelog__json_dump(rec);
	assert_non_null(out);
	if (expected_q) {
		exp = unquote(expected_q);
		assert_string_equal(out, exp);
		free(exp);
	}
	/* idempotent, both on the same object and through the stored text */
	if (carelog__record_normalize(rec) != 0)
		fail_msg("second normalize failed: %s", carelog_error_last()->message);
	out2 = carelog__json_dump(rec);
	assert_string_equal(out2, out);
	free(out2);
	again = carelog__json_parse_object(out, "test");
	assert_non_null(again);
	if (carelog__record_normalize(again) != 0)
		fail_msg("normalizing the output failed: %s", carelog_error_last()->message);
	out2 = carelog__json_dump(again);
	assert_string_equal(out2, out);
	free(out2);
	free(out);
	json_decref(again);
	json_decref(rec);
}

static void expect_ok(const char *base, const char *patch, const char *expected_q)
{
	expect_ok_rec(make(base, patch), expected_q);
}

/* Normalizes rec (taking it) and expects CARELOG_EINVALID with `needle` in
 * the message. */
static void expect_bad_rec(json_t *rec, const char *needle)
{
	const carelog_error *e;
	int rc;

	carelog_error_clear();
	rc = carelog__record_normalize(rec);
	e = carelog_error_last();
	if (verbose)
		fprintf(stderr, "    [%s]\n", e->message);
	if (rc != CARELOG_EINVALID) {
		char *s = carelog__json_dump(rec);
		fail_msg("expected CARELOG_EINVALID (needle '%s'), got %d for %s", needle, rc, s);
	}
	assert_int_equal(e->code, CARELOG_EINVALID);
	if (strstr(e->message, needle) == NULL)
		fail_msg("message '%s' does not contain '%s'", e->message, needle);
	json_decref(rec);
}

static void expect_bad(const char *base, const char *patch, const char *needle)
{
	expect_bad_rec(make(base, patch), needle);
}

/* base with one string field set to `n` copies of `unit`. */
static json_t *with_long(const char *base, const char *key, const char *unit, size_t n)
{
	json_t *rec = make(base, NULL);
	char *s = repeat(unit, n);
	json_object_set_new(rec, key, json_string(s));
	free(s);
	return rec;
}

/* ---- time zone database for the patient tests ---- */

static char tzdir[512];
static char tzfile[600];
static char tzsub[560];

static int setup_tz(void **state)
{
	const char *base = getenv("CARELOG_TEST_TMP");
	FILE *f;
	(void)state;
	if (base && *base && (mkdir(base, 0777) == 0 || errno == EEXIST))
		snprintf(tzdir, sizeof(tzdir), "%s/tzXXXXXX", base);
	else
		snprintf(tzdir, sizeof(tzdir), "/tmp/carelog-tzXXXXXX");
	if (mkdtemp(tzdir) == NULL)
		return -1;
	snprintf(tzsub, sizeof(tzsub), "%s/Europe", tzdir);
	snprintf(tzfile, sizeof(tzfile), "%s/Paris", tzsub);
	if (mkdir(tzsub, 0777) != 0 || (f = fopen(tzfile, "w")) == NULL)
		return -1;
	fputs("TZif", f);
	fclose(f);
	return setenv("TZDIR", tzdir, 1);
}

static int teardown_tz(void **state)
{
	(void)state;
	unlink(tzfile);
	rmdir(tzsub);
	rmdir(tzdir);
	return unsetenv("TZDIR");
}

/* ---- common fields ---- */

static void test_common_ok(void **state)
{
	(void)state;
	/* time offset normalized to UTC, status filled */
	expect_ok(NOTE, NULL,
		"{" O_AUTHOR "," O_DEVICE "," O_HLC "," O_ID ",'kind':'note'," O_PATIENT "," O_STATUS ",'text':'Slept well'," O_TIME "}");
	/* milliseconds kept, zero milliseconds and +00:00 dropped */
	expect_ok(NOTE, "{'time':'2026-11-25T08:00:00.250Z'}", NULL);
	{
		json_t *r = make(NOTE, "{'time':'2026-11-25T08:00:00.000+00:00'}");
		assert_int_equal(carelog__record_normalize(r), 0);
		assert_string_equal(json_string_value(json_object_get(r, "time")), "2026-11-25T08:00:00Z");
		json_decref(r);
		r = make(NOTE, "{'time':'2026-01-01T00:30:00.25+01:00'}");
		assert_int_equal(carelog__record_normalize(r), 0);
		assert_string_equal(json_string_value(json_object_get(r, "time")), "2025-12-31T23:30:00.250Z");
		json_decref(r);
		/* a lower-case 't' in the clock stamp is written canonically */
		r = make(NOTE, "{'hlc':'2026-11-25t16:45:52.123Z-00ff'}");
		assert_int_equal(carelog__record_normalize(r), 0);
		assert_string_equal(json_string_value(json_object_get(r, "hlc")), "2026-11-25T16:45:52.123Z-00ff");
		json_decref(r);
	}
	/* entered-in-error with a reason; newlines allowed in reason and note */
	expect_ok(NOTE, "{'status':'entered-in-error','reason':'wrong child\\nsorry','note':'a\\tb'}",
		"{" O_AUTHOR "," O_DEVICE "," O_HLC "," O_ID ",'kind':'note','note':'a\\tb'," O_PATIENT ",'reason':'wrong child\\nsorry',"
		"'status':'entered-in-error','text':'Slept well'," O_TIME "}");
	expect_ok(NOTE, "{'device':'Phone_1.b-C','note':''}", NULL);
	/* caps count code points: 200 two-byte characters is 400 bytes */
	{
		json_t *r = with_long(NOTE, "author", "é", 200);
		expect_ok_rec(r, NULL);
		expect_ok_rec(with_long(NOTE, "note", "€", 2000), NULL);
		expect_ok_rec(with_long(NOTE, "device", "a", 100), NULL);
	}
}

static void test_common_missing(void **state)
{
	static const char *const fields[] = { "id", "patient", "time", "author", "device", "hlc" };
	(void)state;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *r = make(NOTE, NULL);
		char needle[64];
		json_object_del(r, fields[i]);
		snprintf(needle, sizeof(needle), "%s is required in a note record", fields[i]);
		expect_bad_rec(r, needle);
	}
	expect_bad(NOTE, "{'kind':null}", "kind is required");
}

static void test_common_types(void **state)
{
	(void)state;
	expect_bad(NOTE, "{'id':5}", "id must be a string");
	expect_bad(NOTE, "{'kind':7}", "kind must be a string");
	expect_bad(NOTE, "{'patient':[]}", "patient must be a string");
	expect_bad(NOTE, "{'time':20261125}", "time must be a string");
	expect_bad(NOTE, "{'author':true}", "author must be a string");
	expect_bad(NOTE, "{'device':{}}", "device must be a string");
	expect_bad(NOTE, "{'hlc':1}", "hlc must be a string");
	expect_bad(NOTE, "{'status':1}", "status must be a string");
	expect_bad(NOTE, "{'note':5}", "note must be a string");
	{
		json_t *r = make(NOTE, NULL);
		json_object_set_new(r, "note", json_null());
		expect_bad_rec(r, "note must be a string, not null");
	}
	/* not an object at all */
	{
		json_t *a = json_array();
		assert_int_equal(carelog__record_normalize(a), CARELOG_EINVALID);
		json_decref(a);
	}
}

static void test_common_values(void **state)
{
	(void)state;
	expect_bad(NOTE, "{'kind':'vitals'}", "kind 'vitals' is not one of patient, caregiver");
	expect_bad(NOTE, "{'id':'0194F3A2-7C1D-7E55-8A10-3B2C4D5E6F70'}", "id '0194F3A2");
	expect_bad(NOTE, "{'id':'0194f3a2-7c1d-4e55-8a10-3b2c4d5e6f70'}", "id '");
	expect_bad(NOTE, "{'id':'0194f3a2-7c1d-7e55-ca10-3b2c4d5e6f70'}", "id '");
	expect_bad(NOTE, "{'id':'0194f3a2'}", "id '0194f3a2'");
	expect_bad(NOTE, "{'patient':'../../etc'}", "patient '../../etc'");
	expect_bad(NOTE, "{'time':'2026-11-25 08:00:00Z'}", "time '2026-11-25 08:00:00Z'");
	expect_bad(NOTE, "{'time':'2026-11-25T08:00:00'}", "time '");
	expect_bad(NOTE, "{'time':'2026-02-29T08:00:00Z'}", "time '");
	expect_bad(NOTE, "{'time':'2026-11-25T24:00:00Z'}", "time '");
	expect_bad(NOTE, "{'time':''}", "time");
	expect_bad(NOTE, "{'hlc':'2026-11-25T16:45:52Z-0000'}", "hlc '");
	expect_bad(NOTE, "{'hlc':'2026-11-25T16:45:52.123Z-00FF'}", "hlc '");
	expect_bad(NOTE, "{'hlc':'1969-12-31T23:59:59.000Z-0000'}", "hlc '1969");
	expect_bad(NOTE, "{'status':'deleted'}", "status 'deleted' is not one of active, entered-in-error");
	expect_bad(NOTE, "{'author':''}", "author must not be empty");
	expect_bad_rec(with_long(NOTE, "author", "é", 201), "author is 201 characters");
	expect_bad(NOTE, "{'device':'my phone'}", "device 'my phone'");
	expect_bad(NOTE, "{'device':'téléphone'}", "device '");
	expect_bad(NOTE, "{'device':''}", "device must not be empty");
	expect_bad_rec(with_long(NOTE, "device", "a", 101), "device is 101 characters");
	expect_bad_rec(with_long(NOTE, "note", "x", 2001), "note is 2001 characters");
}

static void test_common_reason(void **state)
{
	(void)state;
	expect_bad(NOTE, "{'status':'entered-in-error'}", "reason is required");
	expect_bad(NOTE, "{'reason':'typo'}", "reason is only allowed");
	expect_bad(NOTE, "{'status':'active','reason':'typo'}", "reason is only allowed");
	expect_bad(NOTE, "{'status':'entered-in-error','reason':''}", "reason must not be empty");
	{
		json_t *r = with_long(NOTE, "reason", "x", 501);
		json_object_set_new(r, "status", json_string("entered-in-error"));
		expect_bad_rec(r, "reason is 501 characters");
		r = with_long(NOTE, "reason", "x", 500);
		json_object_set_new(r, "status", json_string("entered-in-error"));
		expect_ok_rec(r, NULL);
	}
}

static void test_common_controls(void **state)
{
	(void)state;
	expect_bad(NOTE, "{'author':'Ma\\nman'}", "author contains a newline");
	expect_bad(NOTE, "{'author':'Ma\\tman'}", "author contains a tab");
	expect_bad(NOTE, "{'note':'bell\\u0007'}", "note contains the control character U+0007");
	expect_bad(NOTE, "{'text':'a\\rb'}", "text contains the control character U+000D");
	expect_bad(PATIENT, "{'name':'L\\u001fa'}", "name contains the control character U+001F");
	{
		/* an embedded NUL, which json_string_value alone would hide */
		json_t *r = make(NOTE, NULL);
		json_object_set_new(r, "author", json_stringn("Ma\0man", 6));
		expect_bad_rec(r, "author contains the control character U+0000");
	}
}

static void test_unknown_field(void **state)
{
	(void)state;
	expect_bad(DOSE, "{'colour':'red'}", "unknown field 'colour' in a dose record");
	expect_bad(NOTE, "{'name':'x'}", "unknown field 'name' in a note record");
	expect_bad(PATIENT, "{'role':'clinic'}", "unknown field 'role' in a patient record");
	expect_bad(SYMPTOM, "{'severty':3}", "unknown field 'severty' in a symptom record");
}

/* ---- patient ---- */

static void test_patient_ok(void **state)
{
	(void)state;
	expect_ok(PATIENT, NULL,
		"{'asplenic':false," O_AUTHOR "," O_DEVICE "," O_HLC ",'id':'" PID "','kind':'patient','name':'Léa Martin',"
		O_PATIENT "," O_STATUS "," O_TIME ",'timezone':'UTC'}");
	expect_ok(PATIENT, "{'born':'2015-06-01','weight_kg':31.50,'asplenic':true,'timezone':'Europe/Paris'}",
		"{'asplenic':true," O_AUTHOR ",'born':'2015-06-01'," O_DEVICE "," O_HLC ",'id':'" PID "','kind':'patient',"
		"'name':'Léa Martin'," O_PATIENT "," O_STATUS "," O_TIME ",'timezone':'Europe/Paris','weight_kg':31.5}");
	expect_ok(PATIENT, "{'weight_kg':20.0,'born':'2024-02-29'}", NULL);
	expect_ok_rec(with_long(PATIENT, "name", "é", 200), NULL);
}

static void test_patient_bad(void **state)
{
	(void)state;
	expect_bad(PATIENT, "{'name':null}", "name is required in a patient record");
	expect_bad(PATIENT, "{'name':''}", "name must not be empty");
	expect_bad_rec(with_long(PATIENT, "name", "é", 201), "name is 201 characters");
	expect_bad(PATIENT, "{'patient':'" RID "'}", "patient '" RID "' must equal id");
	expect_bad(PATIENT, "{'born':'2015-13-01'}", "born '2015-13-01'");
	expect_bad(PATIENT, "{'born':'2023-02-29'}", "born '2023-02-29'");
	expect_bad(PATIENT, "{'born':'2999-01-01'}", "born 2999-01-01 is after today");
	expect_bad(PATIENT, "{'born':20150601}", "born must be a string");
	expect_bad(PATIENT, "{'weight_kg':0.1}", "weight_kg 0.1 is out of range 0.2-500");
	expect_bad(PATIENT, "{'weight_kg':501}", "weight_kg 501 is out of range");
	expect_bad(PATIENT, "{'weight_kg':'31'}", "weight_kg must be a number");
	expect_bad(PATIENT, "{'asplenic':'yes'}", "asplenic must be true or false");
	expect_bad(PATIENT, "{'asplenic':0}", "asplenic must be true or false");
}

static void test_patient_timezone(void **state)
{
	char missing[600];
	(void)state;
	/* TZDIR points at a database holding only Europe/Paris (setup_tz) */
	expect_ok(PATIENT, "{'timezone':'UTC'}", NULL);
	expect_ok(PATIENT, "{'timezone':'Europe/Paris'}", NULL);
	expect_bad(PATIENT, "{'timezone':'Mars/Olympus'}", "timezone 'Mars/Olympus' is not a known time zone");
	expect_bad(PATIENT, "{'timezone':'Europe'}", "timezone 'Europe'");
	expect_bad(PATIENT, "{'timezone':'../Europe/Paris'}", "timezone '../Europe/Paris'");
	expect_bad(PATIENT, "{'timezone':'/etc/passwd'}", "timezone '/etc/passwd'");
	expect_bad(PATIENT, "{'timezone':'Europe/Paris;x'}", "timezone 'Europe/Paris;x'");
	expect_bad(PATIENT, "{'timezone':'Europe/Pa ris'}", "timezone '");
	expect_bad(PATIENT, "{'timezone':''}", "timezone must not be empty");
	expect_bad(PATIENT, "{'timezone':5}", "timezone must be a string");
	expect_bad_rec(with_long(PATIENT, "timezone", "A", 65), "timezone is 65 characters");
	/* no zone database at all: a well-formed name is accepted */
	snprintf(missing, sizeof(missing), "%s/none", tzdir);
	setenv("TZDIR", missing, 1);
	expect_ok(PATIENT, "{'timezone':'Mars/Olympus'}", NULL);
	expect_bad(PATIENT, "{'timezone':'../x'}", "timezone '../x'");
	setenv("TZDIR", tzdir, 1);
}

/* ---- caregiver ---- */

static void test_caregiver(void **state)
{
	(void)state;
	expect_ok(CAREGIVER, NULL,
		"{" O_AUTHOR "," O_DEVICE "," O_HLC "," O_ID ",'kind':'caregiver','name':'Dr Rossi'," O_PATIENT ",'role':'clinician'," O_STATUS "," O_TIME "}");
	expect_ok(CAREGIVER, "{'role':'clinic','contact':'+33 1 23 45 67 89'}",
		"{" O_AUTHOR ",'contact':'+33 1 23 45 67 89'," O_DEVICE "," O_HLC "," O_ID ",'kind':'caregiver','name':'Dr Rossi',"
		O_PATIENT ",'role':'clinic'," O_STATUS "," O_TIME "}");
	expect_bad(CAREGIVER, "{'role':null}", "role is required in a caregiver record");
	expect_bad(CAREGIVER, "{'name':null}", "name is required in a caregiver record");
	expect_bad(CAREGIVER, "{'role':'nurse'}", "role 'nurse' is not one of caregiver, clinician, clinic");
	expect_bad(CAREGIVER, "{'role':1}", "role must be a string");
	expect_bad_rec(with_long(CAREGIVER, "contact", "x", 201), "contact is 201 characters");
	expect_bad(CAREGIVER, "{'phone':'123'}", "unknown field 'phone' in a caregiver record");
}

/* ---- plan ---- */

static void test_plan_ok(void **state)
{
	(void)state;
	expect_ok(PLAN, "{'drug':'  Sirolimus ','times':['20:00','08:00']}",
		"{" O_AUTHOR "," O_DEVICE ",'dose':1.5,'drug':'sirolimus'," O_HLC "," O_ID ",'kind':'plan'," O_PATIENT
		",'route':'oral','start':'2026-11-25'," O_STATUS "," O_TIME ",'times':['08:00','20:00'],'unit':'mg'}");
	expect_ok(PLAN,
		"{'drug':'Prednisone','dose':40.0,'route':'nasogastric','end':'2026-12-31','window_minutes':30.0,"
		"'times':['23:59','00:00','12:30'],"
		"'taper':[{'date':'2026-11-25','dose':40},{'date':'2026-12-10','dose':20.0},{'date':'2026-12-31','dose':0}]}",
		"{" O_AUTHOR "," O_DEVICE ",'dose':40,'drug':'prednisone','end':'2026-12-31'," O_HLC "," O_ID ",'kind':'plan',"
		O_PATIENT ",'route':'nasogastric','start':'2026-11-25'," O_STATUS ","
		"'taper':[{'date':'2026-11-25','dose':40},{'date':'2026-12-10','dose':20},{'date':'2026-12-31','dose':0}],"
		O_TIME ",'times':['00:00','12:30','23:59'],'unit':'mg','window_minutes':30}");
	/* end may equal start; a drug name may hold digits, spaces and '-' */
	expect_ok(PLAN, "{'drug':'Vitamin D3 - drops','end':'2026-11-25','dose':100000}", NULL);
	expect_ok_rec(with_long(PLAN, "drug", "A", 100), NULL);
	{
		/* twelve times is the most */
		json_t *r = make(PLAN, NULL), *t = json_array();
		char hhmm[8];
		for (int i = 11; i >= 0; i--) {
			snprintf(hhmm, sizeof(hhmm), "%02d:00", i * 2);
			json_array_append_new(t, json_string(hhmm));
		}
		json_object_set_new(r, "times", t);
		expect_ok_rec(r, NULL);
	}
}

static void test_plan_bad(void **state)
{
	(void)state;
	expect_bad(PLAN, "{'drug':null}", "drug is required in a plan record");
	expect_bad(PLAN, "{'drug':'   '}", "drug must not be empty");
	expect_bad(PLAN, "{'drug':'Pred/Sol'}", "drug 'Pred/Sol'");
	expect_bad(PLAN, "{'drug':'ciclosporine é'}", "drug '");
	expect_bad(PLAN, "{'drug':12}", "drug must be a string");
	expect_bad_rec(with_long(PLAN, "drug", "a", 101), "drug is 101 characters");
	expect_bad(PLAN, "{'dose':null}", "dose is required in a plan record");
	expect_bad(PLAN, "{'dose':0}", "dose 0 must be more than 0");
	expect_bad(PLAN, "{'dose':-1}", "dose -1 must be more than 0");
	expect_bad(PLAN, "{'dose':100000.5}", "dose 100000.5");
	expect_bad(PLAN, "{'dose':'5'}", "dose must be a number");
	expect_bad(PLAN, "{'unit':null}", "unit is required in a plan record");
	expect_bad(PLAN, "{'unit':'ml'}", "unit 'ml' is not one of mg, g, mcg, mL, mg/kg, mg/m2, units, tablet");
	expect_bad(PLAN, "{'route':'oral '}", "route 'oral ' is not one of oral, iv");
	expect_bad(PLAN, "{'start':null}", "start is required in a plan record");
	expect_bad(PLAN, "{'start':'2026-11-31'}", "start '2026-11-31'");
	expect_bad(PLAN, "{'end':'2026-11-24'}", "end 2026-11-24 is before start 2026-11-25");
	expect_bad(PLAN, "{'end':'26-11-30'}", "end '26-11-30'");
	expect_bad(PLAN, "{'window_minutes':4}", "window_minutes 4 is out of range 5-720");
	expect_bad(PLAN, "{'window_minutes':721}", "window_minutes 721 is out of range");
	expect_bad(PLAN, "{'window_minutes':30.5}", "window_minutes 30.5 must be a whole number");
	expect_bad(PLAN, "{'window_minutes':'30'}", "window_minutes must be a whole number");
}

static void test_plan_times(void **state)
{
	(void)state;
	expect_bad(PLAN, "{'times':'08:00'}", "times must be an array");
	expect_bad(PLAN, "{'times':[]}", "times must hold 1-12 times of day, not 0");
	expect_bad(PLAN, "{'times':['8:00']}", "times[0] '8:00' is not a time of day");
	expect_bad(PLAN, "{'times':['08:00','24:00']}", "times[1] '24:00'");
	expect_bad(PLAN, "{'times':['08:60']}", "times[0] '08:60'");
	expect_bad(PLAN, "{'times':['08:00:00']}", "times[0]");
	expect_bad(PLAN, "{'times':[800]}", "times[0] a number is not a time of day");
	expect_bad(PLAN, "{'times':['08:00','20:00','08:00']}", "times lists 08:00 twice");
	{
		json_t *r = make(PLAN, NULL), *t = json_array();
		char hhmm[8];
		for (int i = 0; i < 13; i++) {
			snprintf(hhmm, sizeof(hhmm), "%02d:30", i);
			json_array_append_new(t, json_string(hhmm));
		}
		json_object_set_new(r, "times", t);
		expect_bad_rec(r, "times must hold 1-12 times of day, not 13");
	}
}

static void test_plan_taper(void **state)
{
	(void)state;
	expect_bad(PLAN, "{'taper':{}}", "taper must be an array");
	expect_bad(PLAN, "{'taper':[]}", "taper must hold at least one step");
	expect_bad(PLAN, "{'taper':['2026-12-01']}", "taper[0] must be an object");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01','dose':1,'unit':'mg'}]}", "unknown field 'unit' in taper[0]");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01'}]}", "taper[0].dose is required");
	expect_bad(PLAN, "{'taper':[{'dose':1}]}", "taper[0].date is required");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01','dose':-1}]}", "taper[0].dose -1 is out of range 0-100000");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01','dose':'1'}]}", "taper[0].dose must be a number");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-32','dose':1}]}", "taper[0].date '2026-12-32'");
	expect_bad(PLAN, "{'taper':[{'date':'2026-11-24','dose':1}]}", "taper[0].date 2026-11-24 is before start 2026-11-25");
	expect_bad(PLAN, "{'end':'2026-12-31','taper':[{'date':'2027-01-01','dose':1}]}",
		"taper[0].date 2027-01-01 is after end 2026-12-31");
	/* strictly increasing: equal and decreasing dates are both refused */
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01','dose':2},{'date':'2026-12-01','dose':1}]}",
		"taper[1].date 2026-12-01 is not after taper[0].date 2026-12-01");
	expect_bad(PLAN, "{'taper':[{'date':'2026-12-01','dose':2},{'date':'2026-12-05','dose':1},"
		"{'date':'2026-12-03','dose':0}]}", "taper[2].date 2026-12-03 is not after taper[1].date");
	/* without an end, steps may run past any date */
	expect_ok(PLAN, "{'taper':[{'date':'2026-11-25','dose':1.5},{'date':'2030-01-01','dose':0.5}]}", NULL);
}

/* ---- dose ---- */

static void test_dose(void **state)
{
	(void)state;
	expect_ok(DOSE, "{'drug':' Prednisone','amount':10.0}",
		"{'amount':10," O_AUTHOR "," O_DEVICE ",'drug':'prednisone'," O_HLC "," O_ID ",'kind':'dose','outcome':'given',"
		O_PATIENT "," O_STATUS "," O_TIME ",'unit':'mg'}");
	expect_ok(DOSE, "{'amount':0,'outcome':'missed','plan':'" PID "','unit':'tablet','note':'asleep'}",
		"{'amount':0," O_AUTHOR "," O_DEVICE ",'drug':'prednisone'," O_HLC "," O_ID ",'kind':'dose','note':'asleep',"
		"'outcome':'missed'," O_PATIENT ",'plan':'" PID "'," O_STATUS "," O_TIME ",'unit':'tablet'}");
	expect_ok(DOSE, "{'amount':2.5,'unit':'mg/kg','outcome':'held'}", NULL);
	expect_bad(DOSE, "{'drug':null}", "drug is required in a dose record");
	expect_bad(DOSE, "{'drug':'pred_nisone'}", "drug 'pred_nisone'");
	expect_bad(DOSE, "{'amount':null}", "amount is required in a dose record");
	expect_bad(DOSE, "{'amount':-0.5}", "amount -0.5 is out of range 0-100000");
	expect_bad(DOSE, "{'amount':100001}", "amount 100001 is out of range 0-100000");
	expect_bad(DOSE, "{'amount':'10'}", "amount must be a number");
	expect_bad(DOSE, "{'unit':'tablets'}", "unit 'tablets' is not one of");
	expect_bad(DOSE, "{'unit':null}", "unit is required in a dose record");
	expect_bad(DOSE, "{'outcome':'skipped'}", "outcome 'skipped' is not one of given, missed, refused, held");
	expect_bad(DOSE, "{'plan':'plan-1'}", "plan 'plan-1'");
	expect_bad(DOSE, "{'route':'oral'}", "unknown field 'route' in a dose record");
}

/* ---- symptom ---- */

static void test_symptom(void **state)
{
	(void)state;
	expect_ok(SYMPTOM, NULL,
		"{" O_AUTHOR ",'code':'fever'," O_DEVICE "," O_HLC "," O_ID ",'kind':'symptom'," O_PATIENT ",'severity':7," O_STATUS "," O_TIME "}");
	expect_ok(SYMPTOM, "{'code':'swollen-nodes','severity':3.0}",
		"{" O_AUTHOR ",'code':'swollen-nodes'," O_DEVICE "," O_HLC "," O_ID ",'kind':'symptom'," O_PATIENT ",'severity':3," O_STATUS "," O_TIME "}");
	expect_ok(SYMPTOM, "{'code':'other','severity':0,'note':'itchy eyes'}", NULL);
	expect_ok(SYMPTOM, "{'code':'petechiae','severity':10}", NULL);
	expect_bad(SYMPTOM, "{'severity':3.5}", "severity 3.5 must be a whole number 0-10");
	expect_bad(SYMPTOM, "{'severity':11}", "severity 11 is out of range 0-10");
	expect_bad(SYMPTOM, "{'severity':-1}", "severity -1 is out of range 0-10");
	expect_bad(SYMPTOM, "{'severity':'5'}", "severity must be a whole number, not a string");
	expect_bad(SYMPTOM, "{'severity':null}", "severity is required in a symptom record");
	expect_bad(SYMPTOM, "{'code':null}", "code is required in a symptom record");
	expect_bad(SYMPTOM, "{'code':'headache'}", "code 'headache' is not a symptom code (one of fever, fatigue");
	expect_bad(SYMPTOM, "{'code':'Fever'}", "code 'Fever'");
	expect_bad(SYMPTOM, "{'code':'other'}", "note is required when code is 'other'");
	expect_bad(SYMPTOM, "{'code':'other','note':''}", "note is required when code is 'other'");
}

/* ---- measurement ---- */

static void test_measurement_canonical(void **state)
{
	(void)state;
	/* unit and loinc filled from the table */
	expect_ok(MEASURE, NULL, MEAS("platelets", "", ",'loinc':'777-3'", "", "10*3/uL", "45"));
	/* given in the canonical unit, with the matching loinc and a range */
	expect_ok(MEASURE, "{'unit':'10*3/uL','loinc':'777-3','value':45.0,'range':{'low':150,'high':400.0}}",
		MEAS("platelets", "", ",'loinc':'777-3'", ",'range':{'high':400,'low':150}", "10*3/uL", "45"));
	/* no LOINC code: none filled */
	expect_ok(MEASURE, "{'code':'dnt','value':12.5,'range':{'high':2.5}}",
		MEAS("dnt", "", "", ",'range':{'high':2.5}", "%", "12.5"));
	expect_ok(MEASURE, "{'code':'spleen-size','value':0}", MEAS("spleen-size", "", "", "", "cm", "0"));
	expect_ok(MEASURE, "{'code':'il-18','value':1000000}", NULL);
	expect_ok(MEASURE, "{'code':'temperature','value':25}", NULL);
	expect_ok(MEASURE, "{'code':'weight','value':0.2}", NULL);
}

static void test_measurement_conversions(void **state)
{
	(void)state;
	/* [degF] 101.3 -> 38.5 Cel; the typed value is kept in entered */
	expect_ok(MEASURE, "{'code':'temperature','value':101.3,'unit':'[degF]'}",
		MEAS("temperature", ",'entered':{'unit':'[degF]','value':101.3}", ",'loinc':'8310-5'", "",
			"Cel", "38.5"));
	/* a range converts with the value; 32 [degF] is exactly 0 Cel */
	expect_ok(MEASURE, "{'code':'temperature','value':98.6,'unit':'[degF]','range':{'low':32,'high':212}}",
		MEAS("temperature", ",'entered':{'unit':'[degF]','value':98.6}", ",'loinc':'8310-5'",
			",'range':{'high':100,'low':0}", "Cel", "37"));
	/* g/L -> g/dL */
	expect_ok(MEASURE, "{'code':'hemoglobin','value':95,'unit':'g/L','range':{'low':115,'high':155}}",
		MEAS("hemoglobin", ",'entered':{'unit':'g/L','value':95}", ",'loinc':'718-7'",
			",'range':{'high':15.5,'low':11.5}", "g/dL", "9.5"));
	/* umol/L bilirubin: divided by 17.1, rounded to 10 significant digits */
	expect_ok(MEASURE, "{'code':'bilirubin','value':34.2,'unit':'umol/L'}",
		MEAS("bilirubin", ",'entered':{'unit':'umol/L','value':34.2}", ",'loinc':'1975-2'", "",
			"mg/dL", "2"));
	expect_ok(MEASURE, "{'code':'bilirubin','value':20,'unit':'umol/L','range':{'high':21}}",
		MEAS("bilirubin", ",'entered':{'unit':'umol/L','value':20}", ",'loinc':'1975-2'",
			",'range':{'high':1.228070175}", "mg/dL", "1.169590643"));
	expect_ok(MEASURE, "{'code':'creatinine','value':53,'unit':'umol/L'}",
		MEAS("creatinine", ",'entered':{'unit':'umol/L','value':53}", ",'loinc':'2160-0'", "",
			"mg/dL", "0.5994118978"));
	/* lb -> kg, g -> kg */
	expect_ok(MEASURE, "{'code':'weight','value':44,'unit':'[lb_av]'}",
		MEAS("weight", ",'entered':{'unit':'[lb_av]','value':44}", ",'loinc':'29463-7'", "",
			"kg", "19.95806428"));
	expect_ok(MEASURE, "{'code':'weight','value':3500,'unit':'g'}",
		MEAS("weight", ",'entered':{'unit':'g','value':3500}", ",'loinc':'29463-7'", "", "kg", "3.5"));
	/* x1 conversions */
	expect_ok(MEASURE, "{'value':180,'unit':'10*9/L'}",
		MEAS("platelets", ",'entered':{'unit':'10*9/L','value':180}", ",'loinc':'777-3'", "",
			"10*3/uL", "180"));
	expect_ok(MEASURE, "{'code':'sirolimus-trough','value':7.2,'unit':'ug/L'}",
		MEAS("sirolimus-trough", ",'entered':{'unit':'ug/L','value':7.2}", ",'loinc':'29247-4'", "",
			"ng/mL", "7.2"));
	expect_ok(MEASURE, "{'code':'vitamin-b12','value':400,'unit':'pg/mL'}",
		MEAS("vitamin-b12", ",'entered':{'unit':'pg/mL','value':400}", "", "", "ng/L", "400"));
}

static void test_measurement_bad(void **state)
{
	(void)state;
	expect_bad(MEASURE, "{'code':null}", "code is required in a measurement record");
	expect_bad(MEASURE, "{'value':null}", "value is required in a measurement record");
	expect_bad(MEASURE, "{'code':'cd4'}", "code 'cd4' is not a measurement code (one of platelets, hemoglobin");
	expect_bad(MEASURE, "{'value':'45'}", "value must be a number");
	expect_bad(MEASURE, "{'value':5001}", "value 5001 is out of range 0-5000 10*3/uL for platelets");
	expect_bad(MEASURE, "{'value':-1}", "value -1 is out of range");
	expect_bad(MEASURE, "{'code':'temperature','value':46}", "value 46 is out of range 25-45 Cel for temperature");
	expect_bad(MEASURE, "{'code':'temperature','value':120,'unit':'[degF]'}",
		"value 120 [degF] (48.88888889 Cel) is out of range 25-45 Cel for temperature");
	expect_bad(MEASURE, "{'code':'temperature','value':37,'unit':'mmol/L'}",
		"unit 'mmol/L' is not accepted for temperature (accepted: Cel, [degF])");
	expect_bad(MEASURE, "{'code':'weight','value':20,'unit':'lb'}",
		"unit 'lb' is not accepted for weight (accepted: kg, [lb_av], g)");
	expect_bad(MEASURE, "{'code':'dnt','value':2,'unit':'ratio'}", "unit 'ratio' is not accepted for dnt (accepted: %)");
	expect_bad(MEASURE, "{'code':'bilirubin','value':1,'unit':'mmol/L'}", "unit 'mmol/L' is not accepted for bilirubin");
	expect_bad(MEASURE, "{'unit':5}", "unit must be a string");
	/* loinc */
	expect_bad(MEASURE, "{'loinc':'718-7'}", "loinc '718-7' does not match platelets (LOINC 777-3)");
	expect_bad(MEASURE, "{'code':'dnt','value':3,'loinc':'1234-5'}", "loinc '1234-5' is given but dnt has no LOINC code");
	expect_bad(MEASURE, "{'loinc':777}", "loinc must be a string");
	/* range */
	expect_bad(MEASURE, "{'range':[150,400]}", "range must be an object");
	expect_bad(MEASURE, "{'range':{}}", "range needs low, high or both");
	expect_bad(MEASURE, "{'range':{'low':400,'high':150}}", "range low 400 is above high 150");
	expect_bad(MEASURE, "{'range':{'low':150,'mid':200}}", "unknown field 'mid' in range");
	expect_bad(MEASURE, "{'range':{'low':'150'}}", "range.low must be a number");
}

static void test_measurement_entered(void **state)
{
	(void)state;
	/* a normalized record keeps a consistent entered */
	expect_ok(MEASURE, "{'code':'temperature','value':38.5,'unit':'Cel','loinc':'8310-5',"
		"'entered':{'value':101.3,'unit':'[degF]'}}",
		MEAS("temperature", ",'entered':{'unit':'[degF]','value':101.3}", ",'loinc':'8310-5'", "",
			"Cel", "38.5"));
	/* ... also without unit (filled) */
	expect_ok(MEASURE, "{'code':'weight','value':3.5,'entered':{'value':3500,'unit':'g'}}", NULL);
	/* a value changed without its entered no longer matches */
	expect_bad(MEASURE, "{'code':'temperature','value':39,'entered':{'value':101.3,'unit':'[degF]'}}",
		"value 39 Cel does not match entered.value 101.3 [degF]");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':{'value':38.5,'unit':'Cel'}}",
		"entered.unit 'Cel' is not converted for temperature (converted: [degF])");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':{'value':44,'unit':'[lb_av]'}}",
		"entered.unit '[lb_av]'");
	expect_bad(MEASURE, "{'code':'dnt','value':3,'entered':{'value':3,'unit':'%'}}", "entered is not allowed for dnt");
	/* entered is made by conversion, never given with a typed unit */
	expect_bad(MEASURE, "{'code':'temperature','value':101.3,'unit':'[degF]','entered':{'value':101.3,'unit':'[degF]'}}",
		"entered cannot be given with unit '[degF]'");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':{'value':101.3}}", "entered.unit is required");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':{'unit':'[degF]'}}", "entered.value is required");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':{'value':101.3,'unit':'[degF]','by':'x'}}",
		"unknown field 'by' in entered");
	expect_bad(MEASURE, "{'code':'temperature','value':38.5,'entered':'101.3 F'}", "entered must be an object");
}

/* ---- note ---- */

static void test_note(void **state)
{
	(void)state;
	expect_ok(NOTE, "{'text':'Line one\\nLine two\\twith a tab'}",
		"{" O_AUTHOR "," O_DEVICE "," O_HLC "," O_ID ",'kind':'note'," O_PATIENT "," O_STATUS ",'text':'Line one\\nLine two\\twith a tab'," O_TIME "}");
	expect_ok_rec(with_long(NOTE, "text", "é", 10000), NULL);
	expect_bad(NOTE, "{'text':null}", "text is required in a note record");
	expect_bad(NOTE, "{'text':''}", "text must not be empty");
	expect_bad(NOTE, "{'text':['a']}", "text must be a string");
	expect_bad_rec(with_long(NOTE, "text", "x", 10001), "text is 10001 characters");
}

/* ---- idempotence, tables ---- */

static void test_idempotent_all_kinds(void **state)
{
	static const char *const bases[] = { PATIENT, CAREGIVER, PLAN, DOSE, SYMPTOM, MEASURE, NOTE, TARGET, RULE };
	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		json_t *r = make(bases[i], NULL);
		char *a, *b;
		assert_int_equal(carelog__record_normalize(r), 0);
		a = carelog__json_dump(r);
		assert_int_equal(carelog__record_normalize(r), 0);
		b = carelog__json_dump(r);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(r);
	}
	/* a converted measurement normalized over and over stays the same */
	{
		json_t *r = make(MEASURE, "{'code':'creatinine','value':53,'unit':'umol/L','range':{'low':45,'high':90}}");
		char *first, *next;
		assert_int_equal(carelog__record_normalize(r), 0);
		first = carelog__json_dump(r);
		for (int i = 0; i < 5; i++) {
			json_t *again = carelog__json_parse_object(first, "test");
			assert_int_equal(carelog__record_normalize(again), 0);
			next = carelog__json_dump(again);
			assert_string_equal(next, first);
			free(next);
			json_decref(again);
		}
		free(first);
		json_decref(r);
	}
}

static void test_tables(void **state)
{
	const carelog__measure_code *m;
	const carelog__symptom_code *s;
	size_t n = 0;
	(void)state;

	m = carelog__measure_code_find("temperature");
	assert_non_null(m);
	assert_string_equal(m->loinc, "8310-5");
	assert_string_equal(m->unit, "Cel");
	assert_string_equal(m->conversions[0].unit, "[degF]");
	assert_null(m->conversions[1].unit);
	m = carelog__measure_code_find("weight");
	assert_non_null(m);
	assert_true(m->conversions[0].factor == 0.45359237);
	assert_string_equal(m->conversions[1].unit, "g");
	assert_null(m->conversions[2].unit);
	assert_null(carelog__measure_code_find("dnt")->loinc);
	assert_null(carelog__measure_code_find("Platelets"));
	assert_null(carelog__measure_code_find(NULL));
	for (m = carelog__measure_codes; m->code; m++) {
		assert_non_null(m->unit);
		assert_non_null(m->label);
		assert_true(m->min < m->max);
		n++;
	}
	assert_int_equal(n, 16);

	s = carelog__symptom_code_find("fever");
	assert_string_equal(s->snomed, "386661006");
	assert_string_equal(carelog__symptom_code_find("fatigue")->snomed, "84229001");
	assert_string_equal(carelog__symptom_code_find("petechiae")->snomed, "271813001");
	assert_string_equal(carelog__symptom_code_find("swollen-nodes")->snomed, "30746006");
	assert_null(carelog__symptom_code_find("rash")->snomed);
	assert_null(carelog__symptom_code_find("headache"));
	for (n = 0, s = carelog__symptom_codes; s->code; s++)
		n++;
	assert_int_equal(n, 15);

	assert_true(carelog__kind_known("measurement"));
	assert_true(carelog__kind_known("note"));
	assert_false(carelog__kind_known("vitals"));
	assert_false(carelog__kind_known(""));
}

/* The clinic's records (docs/records.md, target and rule). */
static void test_target_and_rule(void **state)
{
	(void)state;
	expect_ok(TARGET, NULL,
		"{" O_AUTHOR ",'code':'sirolimus-trough'," O_DEVICE ",'high':15," O_HLC "," O_ID ",'kind':'target','low':5,"
		O_PATIENT "," O_STATUS "," O_TIME "}");
	expect_ok(TARGET, "{'low':null}", NULL);
	expect_bad(TARGET, "{'low':null,'high':null}", "a target needs low, high or both");
	expect_bad(TARGET, "{'low':20}", "target low 20 is above high 15");
	expect_bad(TARGET, "{'code':'glucose'}", "code 'glucose' is not a measurement code");
	expect_bad(TARGET, "{'high':500}", "high 500 is out of range 0-200 ng/mL for sirolimus-trough");
	expect_bad(TARGET, "{'low':'5'}", "low must be a number");
	expect_bad(TARGET, "{'unit':'ng/mL'}", "unknown field 'unit' in a target record");

	/* enabled is filled in */
	expect_ok(RULE, NULL,
		"{" O_AUTHOR "," O_DEVICE ",'enabled':true," O_HLC "," O_ID ",'kind':'rule'," O_PATIENT ",'rule':'platelets-low',"
		O_STATUS "," O_TIME "}");
	expect_ok(RULE, "{'threshold':40,'severity':'urgent','enabled':false,'lookback_days':10.0}", NULL);
	expect_bad(RULE, "{'rule':'glucose-high'}", "rule 'glucose-high' is not one of platelets-low, platelets-very-low");
	expect_bad(RULE, "{'severity':'loud'}", "severity 'loud' is not one of info, warning, urgent");
	expect_bad(RULE, "{'lookback_days':0}", "lookback_days 0 is out of range 1-365");
	expect_bad(RULE, "{'lookback_days':1.5}", "lookback_days 1.5 must be a whole number");
	expect_bad(RULE, "{'enabled':'no'}", "enabled must be true or false");
	expect_bad(RULE, "{'rule':null}", "rule is required in a rule record");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_common_ok),
		cmocka_unit_test(test_common_missing),
		cmocka_unit_test(test_common_types),
		cmocka_unit_test(test_common_values),
		cmocka_unit_test(test_common_reason),
		cmocka_unit_test(test_common_controls),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_patient_ok),
		cmocka_unit_test(test_patient_bad),
		cmocka_unit_test(test_patient_timezone),
		cmocka_unit_test(test_caregiver),
		cmocka_unit_test(test_plan_ok),
		cmocka_unit_test(test_plan_bad),
		cmocka_unit_test(test_plan_times),
		cmocka_unit_test(test_plan_taper),
		cmocka_unit_test(test_dose),
		cmocka_unit_test(test_symptom),
		cmocka_unit_test(test_measurement_canonical),
		cmocka_unit_test(test_measurement_conversions),
		cmocka_unit_test(test_measurement_bad),
		cmocka_unit_test(test_measurement_entered),
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_target_and_rule),
		cmocka_unit_test(test_idempotent_all_kinds),
		cmocka_unit_test(test_tables),
	};
	const char *v = getenv("CARELOG_TEST_VERBOSE");
	verbose = v != NULL && *v && strcmp(v, "0") != 0;
	/* every test runs with TZDIR on a private zone database, so patient
	 * tests do not depend on the machine's tzdata */
	return cmocka_run_group_tests(tests, setup_tz, teardown_tz);
}
