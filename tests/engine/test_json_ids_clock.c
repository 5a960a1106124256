/*
 * test_json_ids_clock.c - the helpers every record passes through: record
 * ids and their paths, RFC 3339 times and dates, hybrid logical clock stamps
 * and canonical JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "carelog/common.h"
#include "hlc.h"
#include "json_canon.h"
#include "record_id.h"
#include "timeutil.h"

/* 2026-11-25T08:00:00Z */
#define T_2026_11_25_08 1795593600000LL

static int64_t parse_ms(const char *text)
{
	int64_t ms = 0;
	if (carelog__time_parse(&ms, text, "time") != 0)
		fail_msg("'%s' did not parse: %s", text, carelog_error_last()->message);
	return ms;
}

static void expect_bad_time(const char *text)
{
	int64_t ms;
	carelog_error_clear();
	if (carelog__time_parse(&ms, text, "when") != CARELOG_EINVALID)
		fail_msg("'%s' parsed as a time", text ? text : "(null)");
	assert_int_equal(carelog_error_last()->code, CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message, "when '"));
}

/* ---- ids ---- */

static void test_id_generate(void **state)
{
	char a[CARELOG_ID_BUFSIZE], b[CARELOG_ID_BUFSIZE], path[64];
	int64_t ms = T_2026_11_25_08 + 123;
	(void)state;

	assert_int_equal(carelog__id_generate(a, ms), 0);
	assert_int_equal(carelog__id_generate(b, ms), 0);
	assert_int_equal(strlen(a), 36);
	assert_true(carelog__id_valid(a));
	assert_true(carelog__id_valid(b));
	assert_string_not_equal(a, b); /* 74 random bits */
	assert_int_equal(carelog__id_ms(a), ms);
	assert_int_equal(carelog__id_ms(b), ms);
	assert_int_equal(a[14], '7');
	assert_non_null(strchr("89ab", a[19]));
	/* ids of later times sort after earlier ones, as strings */
	assert_int_equal(carelog__id_generate(b, ms + 1), 0);
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(carelog__id_check(a, "id"), 0);

	carelog__record_path(path, sizeof(path), "dose", a);
	assert_int_equal(strncmp(path, "dose/2026/11/", 13), 0);
	assert_string_equal(path + 13 + 36, ".json");
	assert_int_equal(strncmp(path + 13, a, 36), 0);

	/* the month comes from the id's time bits, in UTC */
	assert_int_equal(carelog__id_generate(a, parse_ms("2026-12-31T23:59:59.999Z")), 0);
	carelog__record_path(path, sizeof(path), "symptom", a);
	assert_int_equal(strncmp(path, "symptom/2026/12/", 16), 0);
	assert_int_equal(carelog__id_generate(a, parse_ms("2027-01-01T00:30:00+01:00")), 0);
	carelog__record_path(path, sizeof(path), "note", a);
	assert_int_equal(strncmp(path, "note/2026/12/", 13), 0);
	assert_int_equal(carelog__id_generate(a, parse_ms("2024-02-29T12:00:00Z")), 0);
	carelog__record_path(path, sizeof(path), "plan", a);
	assert_int_equal(strncmp(path, "plan/2024/02/", 13), 0);
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(carelog__id_valid("0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70"));
	assert_true(carelog__id_valid("0194f3a2-7c1d-7e55-ba10-3b2c4d5e6f70"));
	assert_false(carelog__id_valid(NULL));
	assert_false(carelog__id_valid(""));
	assert_false(carelog__id_valid("0194F3A2-7C1D-7E55-8A10-3B2C4D5E6F70")); /* upper case */
	assert_false(carelog__id_valid("0194f3a2-7c1d-4e55-8a10-3b2c4d5e6f70")); /* version 4 */
	assert_false(carelog__id_valid("0194f3a2-7c1d-7e55-ca10-3b2c4d5e6f70")); /* variant */
	assert_false(carelog__id_valid("0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f7"));  /* short */
	assert_false(carelog__id_valid("0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f700")); /* long */
	assert_false(carelog__id_valid("0194f3a27c1d-7e55-8a10-3b2c4d5e6f70-"));
	assert_false(carelog__id_valid("0194f3a2-7c1d-7e55-8a10-3b2c4d5e6g70"));
	assert_false(carelog__id_valid("../../../../etc/passwd-xxxxxxxxxxxxx"));
	assert_int_equal(carelog__id_check("nope", "plan"), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message, "plan 'nope'"));
	assert_int_equal(carelog__id_ms("0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70"), 0x0194f3a27c1dLL);
}

/* ---- times and dates ---- */

static void test_time_parse_format(void **state)
{
	char out[CARELOG__TIME_BUFSIZE];
	(void)state;

	assert_int_equal(parse_ms("2026-11-25T08:00:00Z"), T_2026_11_25_08);
	assert_int_equal(parse_ms("2026-11-25t08:00:00z"), T_2026_11_25_08);
	assert_int_equal(parse_ms("1970-01-01T00:00:00Z"), 0);
	/* offsets */
	assert_int_equal(parse_ms("2026-11-25T09:00:00+01:00"), T_2026_11_25_08);
	assert_int_equal(parse_ms("2026-11-25T03:00:00-05:00"), T_2026_11_25_08);
	assert_int_equal(parse_ms("2026-11-25T13:45:00+05:45"), T_2026_11_25_08);
	assert_int_equal(parse_ms("2026-11-25T08:00:00+00:00"), T_2026_11_25_08);
	assert_int_equal(parse_ms("2026-11-25T08:00:00-00:00"), T_2026_11_25_08);
	/* fractions: padded to milliseconds, digits beyond them truncated */
	assert_int_equal(parse_ms("2026-11-25T08:00:00.5Z"), T_2026_11_25_08 + 500);
	assert_int_equal(parse_ms("2026-11-25T08:00:00.05Z"), T_2026_11_25_08 + 50);
	assert_int_equal(parse_ms("2026-11-25T08:00:00.123Z"), T_2026_11_25_08 + 123);
	assert_int_equal(parse_ms("2026-11-25T08:00:00.123999Z"), T_2026_11_25_08 + 123);
	assert_int_equal(parse_ms("2026-11-25T09:00:00.250+01:00"), T_2026_11_25_08 + 250);

	carelog__time_format(out, T_2026_11_25_08);
	assert_string_equal(out, "2026-11-25T08:00:00Z");
	carelog__time_format(out, T_2026_11_25_08 + 7);
	assert_string_equal(out, "2026-11-25T08:00:00.007Z");
	carelog__time_format(out, parse_ms("2026-01-01T00:30:00+01:00"));
	assert_string_equal(out, "2025-12-31T23:30:00Z");
	carelog__time_format(out, parse_ms("2026-12-31T23:30:00-01:00"));
	assert_string_equal(out, "2027-01-01T00:30:00Z");
	carelog__time_format(out, 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	carelog__time_format(out, -1);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	carelog__time_format(out, parse_ms("1900-01-01T00:00:00Z"));
	assert_string_equal(out, "1900-01-01T00:00:00Z");

	/* leap days */
	carelog__time_format(out, parse_ms("2024-02-29T12:00:00Z"));
	assert_string_equal(out, "2024-02-29T12:00:00Z");
	carelog__time_format(out, parse_ms("2000-02-29T23:59:59Z"));
	assert_string_equal(out, "2000-02-29T23:59:59Z");
	assert_int_equal(parse_ms("2024-03-01T00:00:00Z") - parse_ms("2024-02-28T00:00:00Z"), 2 * 86400000LL);
	carelog__time_format(out, parse_ms("2024-03-01T00:30:00+01:00"));
	assert_string_equal(out, "2024-02-29T23:30:00Z");

	/* format -> parse round trip */
	for (int64_t ms = -86400000LL * 400; ms < 86400000LL * 40000; ms += 86400000LL * 37 + 12345) {
		carelog__time_format(out, ms);
		assert_int_equal(parse_ms(out), ms);
	}
}

static void test_time_bad(void **state)
{
	(void)state;
	expect_bad_time(NULL);
	expect_bad_time("");
	expect_bad_time("2026-11-25");
	expect_bad_time("2026-11-25T08:00:00");        /* no offset */
	expect_bad_time("2026-11-25 08:00:00Z");       /* space instead of T */
	expect_bad_time("2026-11-25T08:00Z");          /* no seconds */
	expect_bad_time("2026-11-25T24:00:00Z");
	expect_bad_time("2026-11-25T08:60:00Z");
	expect_bad_time("2026-11-25T08:00:60Z");       /* no leap seconds */
	expect_bad_time("2026-11-25T08:00:00.Z");      /* empty fraction */
	expect_bad_time("2026-11-25T08:00:00+0100");   /* offset without colon */
	expect_bad_time("2026-11-25T08:00:00+24:00");
	expect_bad_time("2026-11-25T08:00:00Zjunk");
	expect_bad_time("2026-13-25T08:00:00Z");
	expect_bad_time("2026-11-31T08:00:00Z");
	expect_bad_time("2023-02-29T08:00:00Z");       /* not a leap year */
	expect_bad_time("1900-02-29T08:00:00Z");       /* century, not a leap year */
	expect_bad_time("1899-12-31T23:59:59Z");       /* before the accepted years */
	expect_bad_time("3000-01-01T00:00:00Z");
	expect_bad_time("20261125T080000Z");
	expect_bad_time("2026-11-25T08:00:00.123456789012345678901Z"); /* over 40 characters */
}

static void test_date_parse(void **state)
{
	int64_t days;
	char out[CARELOG__DATE_BUFSIZE];
	(void)state;

	assert_int_equal(carelog__date_parse(&days, "1970-01-01", "start"), 0);
	assert_int_equal(days, 0);
	assert_int_equal(carelog__date_parse(&days, "2026-11-25", "start"), 0);
	assert_int_equal(days, T_2026_11_25_08 / 86400000LL);
	assert_int_equal(days, carelog__days_from_civil(2026, 11, 25));
	carelog__date_format(out, days);
	assert_string_equal(out, "2026-11-25");
	assert_int_equal(carelog__date_parse(&days, "2024-02-29", "born"), 0);
	carelog__date_format(out, days + 1);
	assert_string_equal(out, "2024-03-01");
	assert_int_equal(carelog__date_parse(&days, "1969-12-31", "born"), 0);
	assert_int_equal(days, -1);

	static const char *const bad[] = {
		"2026-11-31", "2026-13-01", "2026-00-10", "2026-11-00", "2023-02-29", "2100-02-29",
		"26-11-25", "2026-1-25", "2026/11/25", "2026-11-25T", "2026-11-25 ", "1899-12-31", "", NULL
	};
	for (size_t i = 0; bad[i]; i++) {
		carelog_error_clear();
		if (carelog__date_parse(&days, bad[i], "end") != CARELOG_EINVALID)
			fail_msg("'%s' parsed as a date", bad[i]);
		assert_non_null(strstr(carelog_error_last()->message, "end '"));
	}
	assert_int_equal(carelog__date_parse(&days, NULL, "end"), CARELOG_EINVALID);
}

/* ---- hybrid logical clock ---- */

static void test_hlc_parse_format(void **state)
{
	carelog__hlc h;
	char out[CARELOG__HLC_BUFSIZE];
	(void)state;

	assert_int_equal(carelog__hlc_parse(&h, "2026-11-25T16:45:52.123Z-0000"), 0);
	assert_int_equal(h.ms, parse_ms("2026-11-25T16:45:52.123Z"));
	assert_int_equal(h.counter, 0);
	carelog__hlc_format(out, &h);
	assert_string_equal(out, "2026-11-25T16:45:52.123Z-0000");

	assert_int_equal(carelog__hlc_parse(&h, "2026-11-25T08:00:00.000Z-00af"), 0);
	assert_int_equal(h.ms, T_2026_11_25_08);
	assert_int_equal(h.counter, 0xaf);
	carelog__hlc_format(out, &h);
	assert_string_equal(out, "2026-11-25T08:00:00.000Z-00af"); /* fixed width: .000 kept */

	h.ms = T_2026_11_25_08 + 5;
	h.counter = 0xffff;
	carelog__hlc_format(out, &h);
	assert_string_equal(out, "2026-11-25T08:00:00.005Z-ffff");

	static const char *const bad[] = {
		"2026-11-25T16:45:52Z-0000",      /* no milliseconds */
		"2026-11-25T16:45:52.123Z-000",   /* short counter */
		"2026-11-25T16:45:52.123Z-00000",
		"2026-11-25T16:45:52.123Z-00FF",  /* upper-case hex */
		"2026-11-25T16:45:52.123Z+0000",
		"2026-11-25T16:45:52.123+00:00-0000",
		"2026-02-30T16:45:52.123Z-0000",
		"garbage", "", NULL
	};
	for (size_t i = 0; bad[i]; i++) {
		carelog_error_clear();
		if (carelog__hlc_parse(&h, bad[i]) != CARELOG_EINVALID)
			fail_msg("'%s' parsed as a clock stamp", bad[i]);
		assert_non_null(strstr(carelog_error_last()->message, "hlc '"));
	}
	assert_int_equal(carelog__hlc_parse(&h, NULL), CARELOG_EINVALID);
}

static void test_hlc_tick(void **state)
{
	carelog__hlc clock = { 0, 0 }, a, b, c, d, e;
	char sa[CARELOG__HLC_BUFSIZE], sb[CARELOG__HLC_BUFSIZE];
	int64_t now = T_2026_11_25_08;
	(void)state;

	/* the wall clock moving forward: the stamp follows it */
	a = carelog__hlc_tick(&clock, now);
	assert_int_equal(a.ms, now);
	assert_int_equal(a.counter, 0);
	b = carelog__hlc_tick(&clock, now + 10);
	assert_int_equal(b.ms, now + 10);
	assert_int_equal(b.counter, 0);
	/* the same millisecond twice: the counter orders them */
	c = carelog__hlc_tick(&clock, now + 10);
	assert_int_equal(c.ms, now + 10);
	assert_int_equal(c.counter, 1);
	/* the wall clock going back an hour: later ticks still order after */
	d = carelog__hlc_tick(&clock, now - 3600000);
	e = carelog__hlc_tick(&clock, now - 3600000 + 1);
	assert_true(carelog__hlc_cmp(&a, &b) < 0);
	assert_true(carelog__hlc_cmp(&b, &c) < 0);
	assert_true(carelog__hlc_cmp(&c, &d) < 0);
	assert_true(carelog__hlc_cmp(&d, &e) < 0);
	assert_int_equal(d.ms, now + 10);
	assert_int_equal(d.counter, 2);
	assert_int_equal(carelog__hlc_cmp(&e, &e), 0);
	assert_true(carelog__hlc_cmp(&e, &a) > 0);
	/* and the printed stamps order the same way as strings */
	carelog__hlc_format(sa, &c);
	carelog__hlc_format(sb, &d);
	assert_true(strcmp(sa, sb) < 0);
	carelog__hlc_format(sa, &e);
	carelog__hlc_format(sb, &a);
	assert_true(strcmp(sa, sb) > 0);

	/* a full counter moves the clock on by a millisecond */
	clock.ms = now;
	clock.counter = 0xffff;
	a = carelog__hlc_tick(&clock, now - 1);
	assert_int_equal(a.ms, now + 1);
	assert_int_equal(a.counter, 0);

	/* observing a stamp from a device whose clock is ahead */
	clock.ms = now;
	clock.counter = 3;
	b.ms = now + 60000;
	b.counter = 7;
	carelog__hlc_observe(&clock, &b);
	assert_int_equal(carelog__hlc_cmp(&clock, &b), 0);
	c = carelog__hlc_tick(&clock, now);
	assert_true(carelog__hlc_cmp(&c, &b) > 0);
	/* an older stamp changes nothing */
	a.ms = now - 1;
	a.counter = 100;
	carelog__hlc_observe(&clock, &a);
	assert_int_equal(carelog__hlc_cmp(&clock, &c), 0);

	/* stamps round-trip through text */
	for (uint32_t k = 0; k < 0x10000; k += 0x1111) {
		carelog__hlc h = { now + k, k }, back;
		carelog__hlc_format(sa, &h);
		assert_int_equal(strlen(sa), 29);
		assert_int_equal(carelog__hlc_parse(&back, sa), 0);
		assert_int_equal(carelog__hlc_cmp(&h, &back), 0);
	}
}

/* ---- canonical JSON ---- */

static char *canon(const char *text)
{
	json_t *v = carelog__json_parse_object(text, "test");
	char *s;
	if (v == NULL)
		fail_msg("'%s' did not parse: %s", text, carelog_error_last()->message);
	carelog__json_canonicalize(v);
	s = carelog__json_dump(v);
	assert_non_null(s);
	json_decref(v);
	return s;
}

static void expect_canon(const char *text, const char *expected)
{
	char *s = canon(text), *again;
	assert_string_equal(s, expected);
	/* stable: the canonical text is its own canonical form */
	again = canon(s);
	assert_string_equal(again, s);
	free(again);
	free(s);
}

static void test_json_canonical(void **state)
{
	(void)state;
	expect_canon("{\"a\": 5.0}", "{\"a\":5}");
	expect_canon("{\"a\": 0.1}", "{\"a\":0.1}");
	expect_canon("{\"a\": 38.49999999999999}", "{\"a\":38.5}");
	expect_canon("{\"a\": 1.5e2, \"b\": -0.0, \"c\": 1e-7}", "{\"a\":150,\"b\":0,\"c\":1e-7}");
	expect_canon("{\"a\": 9007199254740992.0}", "{\"a\":9007199254740992}");
	expect_canon("{\"a\": 1e300}", "{\"a\":1e300}"); /* whole, but beyond 2^53: stays a real */
	expect_canon("{\"a\": 19.958064280000002}", "{\"a\":19.95806428}");
	/* keys sorted at every level, arrays keep their order */
	expect_canon("{ \"z\": 1, \"b\": [3.0, {\"y\": 2.0, \"x\": 0.25}, \"s\"], \"a\": {\"d\": true, \"c\": null} }",
		"{\"a\":{\"c\":null,\"d\":true},\"b\":[3,{\"x\":0.25,\"y\":2},\"s\"],\"z\":1}");
	/* non-ASCII stays UTF-8; control characters are escaped */
	expect_canon("{\"n\": \"Léa\\n\\u00e9\"}", "{\"n\":\"Léa\\né\"}");
	expect_canon("{}", "{}");
}

/* carelog__json_is_dump_of compares as it prints: only the exact text is
 * the dump, not a prefix of it nor the dump followed by more. */
static void test_json_is_dump_of(void **state)
{
	const char *c = "{\"a\":{\"c\":null,\"d\":true},\"b\":[3,0.25,\"s\"],\"z\":1}";
	json_t *v = carelog__json_parse_object_n(c, strlen(c), "test");
	(void)state;
	assert_non_null(v);
	assert_int_equal(carelog__json_is_dump_of(v, c, strlen(c)), 1);
	assert_int_equal(carelog__json_is_dump_of(v, c, strlen(c) - 1), 0);
	assert_int_equal(carelog__json_is_dump_of(v, "{\"a\":{\"c\":null,\"d\":true},\"b\":[3,0.25,\"s\"],\"z\":1}x",
				 strlen(c) + 1), 0);
	assert_int_equal(carelog__json_is_dump_of(v, "{\"z\":1,\"a\":{\"c\":null,\"d\":true},\"b\":[3,0.25,\"s\"]}",
				 strlen(c)), 0);
	assert_int_equal(carelog__json_is_dump_of(v, "", 0), 0);
	json_decref(v);
	/* a length, not a NUL, ends the text parsed in place */
	v = carelog__json_parse_object_n("{\"a\":1}\n", 7, "test");
	assert_non_null(v);
	json_decref(v);
	assert_null(carelog__json_parse_object_n("{\"a\":1}\n", 6, "test"));
}

static void test_json_parse_object(void **state)
{
	json_t *v;
	double d;
	(void)state;

	carelog_error_clear();
	assert_null(carelog__json_parse_object("{\"a\":1,\"a\":2}", "line 3"));
	assert_int_equal(carelog_error_last()->code, CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message, "line 3"));
	assert_null(carelog__json_parse_object("[1,2]", "line 4"));
	assert_non_null(strstr(carelog_error_last()->message, "line 4 is not a JSON object"));
	assert_null(carelog__json_parse_object("{\"a\":", "x"));
	assert_null(carelog__json_parse_object("", "x"));

	v = carelog__json_parse_object("{\"i\":3,\"r\":2.5,\"s\":\"3\"}", "x");
	assert_non_null(v);
	assert_int_equal(carelog__json_number(&d, json_object_get(v, "i")), 0);
	assert_true(d == 3.0);
	assert_int_equal(carelog__json_number(&d, json_object_get(v, "r")), 0);
	assert_true(d == 2.5);
	assert_true(carelog__json_number(&d, json_object_get(v, "s")) != 0);
	assert_true(carelog__json_number(&d, NULL) != 0);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_generate),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_time_parse_format),
		cmocka_unit_test(test_time_bad),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_hlc_parse_format),
		cmocka_unit_test(test_hlc_tick),
		cmocka_unit_test(test_json_canonical),
		cmocka_unit_test(test_json_parse_object),
		cmocka_unit_test(test_json_is_dump_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
