/*
 * test_report.c - the visit report's library side: the period it resolves
 * (defaults included), its errors (bad options, unknown patient, no file
 * name, a folder that does not exist: no file left), the HTML escaping and
 * number formats every figure goes through, and that the page carries a
 * note's <script> as text. tests/cli/report.sh checks the figures against
 * the commands; tests/report/ renders the page in a browser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carelog.h"
#include "report_internal.h"
#include "test_tmpdir.h"

static char root[4096];
static carelog_store *S;
static char P[CARELOG_ID_BUFSIZE];

/* What fn wrote to a memory stream, as a string (free it). */
static char *written(void (*fn)(FILE *, const char *), const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void cut5(FILE *f, const char *s)
{
	carelog__html_text_cut(f, s, 5);
}

static void test_escaping(void **state)
{
	char *s;
	(void)state;
	s = written(carelog__html_text, "<script>alert('x')</script> & \"q\"");
	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	free(s);
	/* tab and newline stay; other control characters would be parse errors */
	s = written(carelog__html_text, "a\tb\nc\x01" "d\x7f");
	assert_string_equal(s, "a\tb\nc d ");
	free(s);
	s = written(carelog__html_text, NULL);
	assert_string_equal(s, "");
	free(s);
	/* cut at a character boundary: "Léoé" is L, é (2 bytes), o, é */
	s = written(cut5, "L\xc3\xa9o\xc3\xa9xyz");
	assert_string_equal(s, "L\xc3\xa9o\xe2\x80\xa6");
	free(s);
	s = written(cut5, "<<<<<<");
	assert_string_equal(s, "&lt;&lt;&lt;&lt;&lt;\xe2\x80\xa6");
	free(s);
	s = written(cut5, "short");
	assert_string_equal(s, "short");
	free(s);
}

static void textf_long(FILE *f, const char *s)
{
	carelog__html_textf(f, "%s|%s", s, s);
}

/* formatted text longer than any fixed buffer comes out whole: a cut there
 * could split a UTF-8 character */
static void test_textf_whole(void **state)
{
	char arg[1601], want[3203 + 1];
	char *s;
	(void)state;
	for (size_t i = 0; i < 800; i++)
		memcpy(arg + 2 * i, "\xc3\xa9", 2); /* 800 times U+00E9, 1,600 bytes */
	arg[1600] = '\0';
	snprintf(want, sizeof(want), "%s|%s", arg, arg);
	s = written(textf_long, arg);
	assert_int_equal(strlen(s), 3201);
	assert_string_equal(s, want);
	free(s);
	s = written(textf_long, "<a>");
	assert_string_equal(s, "&lt;a&gt;|&lt;a&gt;");
	free(s);
}

static void test_numbers(void **state)
{
	char b[CARELOG__NUM_BUFSIZE];
	(void)state;
	assert_string_equal(carelog__report_num(b, 105, 1), "105");
	assert_string_equal(carelog__report_num(b, 2537.5, 1), "2537.5");
	assert_string_equal(carelog__report_num(b, 5.25, 2), "5.25");
	assert_string_equal(carelog__report_num(b, 4.0816326530612246, 2), "4.08");
	assert_string_equal(carelog__report_num(b, 71.4, 1), "71.4");
	assert_string_equal(carelog__report_num(b, 50, 1), "50");
	assert_string_equal(carelog__report_num(b, -0.01, 1), "0");
	assert_string_equal(carelog__report_num(b, 0.1, 0), "0");
	assert_string_equal(carelog__report_num(b, 1234567.125, 3), "1234567.125");
}

static carelog_report *build(const char *at, const char *from, const char *to)
{
	carelog_report_options o = CARELOG_REPORT_OPTIONS_INIT;
	carelog_report *r = NULL;
	o.at = at;
	o.from = from;
	o.to = to;
	assert_int_equal(carelog_report_build(&r, S, P, &o), 0);
	assert_non_null(r);
	return r;
}

static void test_period(void **state)
{
	carelog_report *r;
	(void)state;
	/* 00:30 in Paris on the 25th is 23:30 UTC on the 24th: the local day counts */
	r = build("2026-11-25T00:30:00+01:00", NULL, NULL);
	assert_string_equal(carelog_report_at(r), "2026-11-24T23:30:00Z");
	assert_string_equal(carelog_report_from(r), "2026-08-27");
	assert_null(carelog_report_to(r));
	carelog_report_free(r);
	r = build("2026-11-25T12:00:00.250Z", NULL, "2026-11-23");
	assert_string_equal(carelog_report_at(r), "2026-11-25T12:00:00.250Z");
	assert_string_equal(carelog_report_from(r), "2026-08-25");
	assert_string_equal(carelog_report_to(r), "2026-11-23");
	carelog_report_free(r);
	r = build("2026-11-25T12:00:00Z", "2026-11-01", NULL);
	assert_string_equal(carelog_report_from(r), "2026-11-01");
	carelog_report_free(r);
	carelog_report_free(NULL);
}

static void test_errors(void **state)
{
	carelog_report_options o = CARELOG_REPORT_OPTIONS_INIT;
	carelog_report *r = (carelog_report *)1;
	char path[4300];
	struct stat st;
	(void)state;

	assert_int_equal(carelog_report_build(&r, S, "01a9a0d0-0000-7000-8000-00000000ffff", NULL), CARELOG_ENOTFOUND);
	assert_null(r);
	assert_int_equal(carelog_report_build(&r, S, "not-an-id", NULL), CARELOG_EINVALID);
	o.version = 99;
	assert_int_equal(carelog_report_build(&r, S, P, &o), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_store_errmsg(S), "version 99"));
	o.version = CARELOG_REPORT_OPTIONS_VERSION;
	o.from = "2026-11-20";
	o.to = "2026-11-10";
	assert_int_equal(carelog_report_build(&r, S, P, &o), CARELOG_EINVALID);
	assert_string_equal(carelog_error_last()->message, "to 2026-11-10 is before from 2026-11-20");
	o.from = o.to = NULL;
	o.at = "yesterday";
	assert_int_equal(carelog_report_build(&r, S, P, &o), CARELOG_EINVALID);
	assert_null(r);

	r = build("2026-11-25T12:00:00Z", NULL, NULL);
	assert_int_equal(carelog_report_write(r, NULL), CARELOG_EINVALID);
	assert_int_equal(carelog_report_write(r, ""), CARELOG_EINVALID);
	snprintf(path, sizeof(path), "%s/no/such/dir/r.html", root);
	assert_int_equal(carelog_report_write(r, path), CARELOG_EIO);
	snprintf(path, sizeof(path), "%s/no", root);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/r.html", root);
	assert_int_equal(carelog_report_write(r, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	carelog_report_free(r);
}

static void test_page(void **state)
{
	carelog_symptom sy = CARELOG_SYMPTOM_INIT;
	carelog_report *r;
	char *html = NULL, *again = NULL;
	(void)state;

	sy.patient = P;
	sy.code = "petechiae";
	sy.severity = 6;
	sy.note = "<script>alert(1)</script>";
	sy.at = "2026-11-20T18:00:00Z";
	assert_int_equal(carelog_symptom_log(NULL, S, &sy), 0);
	r = build("2026-11-25T12:00:00Z", NULL, NULL);
	assert_int_equal(carelog_report_html(&html, r), 0);
	assert_int_equal(carelog_report_html(&again, r), 0);
	assert_string_equal(html, again); /* a snapshot: the same bytes every time */
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(html, "<h2>Symptoms (1 entry)</h2>"));
	assert_non_null(strstr(html, "@media print"));
	assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
	assert_string_equal(html + strlen(html) - 8, "</html>\n");
	carelog_free(html);
	carelog_free(again);
	carelog_report_free(r);
}

static int setup(void **state)
{
	carelog_patient p = CARELOG_PATIENT_INIT;
	char dir[4200];
	(void)state;
	snprintf(dir, sizeof(dir), "%s/store", root);
	if (carelog_store_init(&S, dir, NULL) < 0)
		return -1;
	p.name = "Léo <b>";
	p.timezone = "Europe/Paris";
	p.born = "2018-03-02";
	return carelog_patient_add(P, S, &p);
}

static int teardown(void **state)
{
	(void)state;
	carelog_store_free(S);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_textf_whole),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_page),
	};
	if (test_tmpdir_make(root, sizeof(root), "report") < 0)
		return 1;
	return test_tmpdir_done(root, cmocka_run_group_tests(tests, setup, teardown));
}
