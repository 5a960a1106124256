/*
 * test_clinical.c - the clinical computations on small charts whose every
 * number is computed by hand in the comments: time zones (Europe/Paris and
 * America/Chicago daylight-saving changes), a taper week with one missed and
 * one late dose, a double dose that arrived "by sync", steroid equivalents,
 * range flags (target, then report, then default by age), and each alert
 * rule with its look-back, its latest-reading-only and voided records.
 *
 * Sync (issue 4) does not exist yet: a record "arrived by sync" is simulated
 * by importing JSON lines that carry another caregiver's author and device
 * into the same store, which is what a merged chart holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "carelog.h"
#include "test_tmpdir.h"
#include "clinical_internal.h"
#include "timeutil.h"
#include "tz.h"

static char root[4096];
static carelog_store *S;

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* ---- helpers ---------------------------------------------------------- */

static char *patient(const char *tz, const char *born, double weight, int asplenic)
{
	static char ids[32][CARELOG_ID_BUFSIZE];
	static int n;
	carelog_patient p = CARELOG_PATIENT_INIT;
	char *id = ids[n++ % 32];
	p.name = "Léo";
	p.timezone = tz;
	p.born = born;
	p.has_weight_kg = weight > 0;
	p.weight_kg = weight;
	p.asplenic = asplenic;
	assert_int_equal(carelog_patient_add(id, S, &p), 0);
	return id;
}

static void plan(char *out, const char *pat, const char *drug, double dose, const char *times, const char *start,
	const char *end, const carelog_taper_step *taper, size_t ntaper, int window)
{
	carelog_plan p = CARELOG_PLAN_INIT;
	const char *t[2] = { NULL, NULL };
	char buf[32];
	p.patient = pat;
	p.drug = drug;
	p.dose = dose;
	p.unit = "mg";
	if (times) {
		snprintf(buf, sizeof(buf), "%s", times);
		t[0] = buf;
		if (strchr(buf, ',')) {
			*strchr(buf, ',') = '\0';
			t[1] = buf + 6;
		}
		p.times = t;
		p.ntimes = t[1] ? 2 : 1;
	}
	p.start = start;
	p.end = end;
	p.taper = taper;
	p.ntaper = ntaper;
	p.window_minutes = window;
	assert_int_equal(carelog_plan_add(out, S, &p), 0);
}

static void dose_u(char *out, const char *pat, const char *drug, double amount, const char *unit, const char *outcome,
	const char *plan_id, const char *at)
{
	carelog_dose d = CARELOG_DOSE_INIT;
	d.patient = pat;
	d.drug = drug;
	d.amount = amount;
	d.unit = unit;
	d.outcome = outcome;
	d.plan = plan_id;
	d.at = at;
	assert_int_equal(carelog_dose_log(out, S, &d), 0);
}

static void dose(const char *pat, const char *drug, double amount, const char *outcome, const char *plan_id,
	const char *at)
{
	dose_u(NULL, pat, drug, amount, "mg", outcome, plan_id, at);
}

static void measure(char *out, const char *pat, const char *code, double value, const char *at)
{
	carelog_measurement m = CARELOG_MEASUREMENT_INIT;
	m.patient = pat;
	m.code = code;
	m.value = value;
	m.at = at;
	assert_int_equal(carelog_measurement_log(out, S, &m), 0);
}

/* Imports JSON lines (single quotes turned into double quotes). */
static void import(const char *lines)
{
	char *text = strdup(lines);
	FILE *f;
	size_t n = 0;
	assert_non_null(text);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	f = fmemopen(text, strlen(text), "r");
	assert_non_null(f);
	assert_int_equal(carelog_import(&n, S, f, NULL), 0);
	fclose(f);
	free(text);
}

static const carelog_adherence_drug *adherence(carelog_adherence_report **r, const char *pat, const char *drug,
	const char *from, const char *to, const char *at)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	o.drug = drug;
	o.from = from;
	o.to = to;
	o.at = at;
	assert_int_equal(carelog_adherence(r, S, pat, &o), 0);
	assert_int_equal((*r)->ndrugs, 1);
	return &(*r)->drugs[0];
}

static void expect_counts(const carelog_adherence_drug *e, size_t scheduled, size_t given, size_t late, size_t missed,
	size_t extra, double percent)
{
	assert_int_equal(e->scheduled, scheduled);
	assert_int_equal(e->given, given);
	assert_int_equal(e->late, late);
	assert_int_equal(e->missed, missed);
	assert_int_equal(e->extra, extra);
	CLOSE(e->percent, percent);
	assert_int_equal(e->given + e->late + e->missed, e->scheduled);
}

static carelog_alert_list *alerts(const char *pat, const char *at)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_alert_list *l = NULL;
	o.at = at;
	assert_int_equal(carelog_alerts(&l, S, pat, &o), 0);
	return l;
}

/* The alert of `rule` in l, or NULL. */
static const carelog_alert *find_alert(const carelog_alert_list *l, const char *rule)
{
	for (size_t i = 0; i < l->nalerts; i++)
		if (strcmp(l->alerts[i].rule, rule) == 0)
			return &l->alerts[i];
	return NULL;
}

static void expect_alert(const char *pat, const char *at, const char *rule, const char *severity, const char *record)
{
	carelog_alert_list *l = alerts(pat, at);
	const carelog_alert *a = find_alert(l, rule);
	if (a == NULL)
		fail_msg("no %s alert at %s", rule, at);
	assert_string_equal(a->severity, severity);
	assert_true(strlen(a->message) > 20);
	if (record) {
		int found = 0;
		for (size_t i = 0; i < a->nrecords; i++)
			found |= strcmp(a->records[i], record) == 0;
		assert_true(found);
	}
	carelog_alerts_free(l);
}

static void expect_no_alert(const char *pat, const char *at, const char *rule)
{
	carelog_alert_list *l = alerts(pat, at);
	if (find_alert(l, rule))
		fail_msg("unexpected %s alert at %s: %s", rule, at, find_alert(l, rule)->message);
	carelog_alerts_free(l);
}

static int64_t T(const char *rfc3339)
{
	int64_t ms;
	assert_int_equal(carelog__time_parse(&ms, rfc3339, "t"), 0);
	return ms / 1000;
}

static int64_t L(int y, unsigned m, unsigned d, int hh, int mm)
{
	return carelog__days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

/* ---- time zones ------------------------------------------------------- */

static void test_tz_paris_and_chicago(void **state)
{
	carelog__tz *tz = NULL;
	(void)state;
	assert_int_equal(carelog__tz_load(&tz, "Europe/Paris"), 0);
	/* 2026: summer time from Sun 29 March 01:00Z to Sun 25 October 01:00Z */
	assert_int_equal(carelog__tz_offset(tz, T("2026-03-29T00:59:59Z")), 3600);
	assert_int_equal(carelog__tz_offset(tz, T("2026-03-29T01:00:00Z")), 7200);
	assert_int_equal(carelog__tz_offset(tz, T("2026-10-25T00:59:59Z")), 7200);
	assert_int_equal(carelog__tz_offset(tz, T("2026-10-25T01:00:00Z")), 3600);
	/* past the file's table: the footer rule (CET-1CEST,M3.5.0,M10.5.0/3) */
	assert_int_equal(carelog__tz_offset(tz, T("2100-07-01T12:00:00Z")), 7200);
	assert_int_equal(carelog__tz_offset(tz, T("2100-01-15T12:00:00Z")), 3600);
	/* local -> UTC: 08:00 is 07:00Z in winter, 06:00Z in summer */
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 3, 28, 8, 0)), T("2026-03-28T07:00:00Z"));
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 3, 29, 8, 0)), T("2026-03-29T06:00:00Z"));
	/* 02:30 does not exist on 29 March: moved forward to 03:30 CEST */
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 3, 29, 2, 30)), T("2026-03-29T01:30:00Z"));
	/* 02:30 happens twice on 25 October: the first one (CEST) */
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 10, 25, 2, 30)), T("2026-10-25T00:30:00Z"));
	/* local day of an instant */
	assert_int_equal(carelog__tz_local_day(tz, T("2026-11-24T23:30:00Z") * 1000),
		carelog__days_from_civil(2026, 11, 25));
	carelog__tz_free(tz);

	assert_int_equal(carelog__tz_load(&tz, "America/Chicago"), 0);
	/* 2026: CDT from Sun 8 March 08:00Z (02:00 CST) */
	assert_int_equal(carelog__tz_offset(tz, T("2026-03-08T07:59:59Z")), -21600);
	assert_int_equal(carelog__tz_offset(tz, T("2026-03-08T08:00:00Z")), -18000);
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 3, 8, 2, 30)), T("2026-03-08T08:30:00Z"));
	/* back to CST on Sun 1 November 07:00Z: 01:30 is first 06:30Z (CDT) */
	assert_int_equal(carelog__tz_to_utc(tz, L(2026, 11, 1, 1, 30)), T("2026-11-01T06:30:00Z"));
	assert_int_equal(carelog__tz_offset(tz, T("2090-12-01T00:00:00Z")), -21600);
	carelog__tz_free(tz);

	/* southern hemisphere: summer time across the new year (AEDT +11) */
	assert_int_equal(carelog__tz_load(&tz, "Australia/Sydney"), 0);
	assert_int_equal(carelog__tz_offset(tz, T("2026-01-15T00:00:00Z")), 39600);
	assert_int_equal(carelog__tz_offset(tz, T("2026-07-01T00:00:00Z")), 36000);
	assert_int_equal(carelog__tz_offset(tz, T("2100-01-15T00:00:00Z")), 39600);
	assert_int_equal(carelog__tz_offset(tz, T("2100-07-01T00:00:00Z")), 36000);
	carelog__tz_free(tz);

	assert_int_equal(carelog__tz_load(&tz, "UTC"), 0);
	assert_int_equal(carelog__tz_offset(tz, T("2026-07-01T00:00:00Z")), 0);
	carelog__tz_free(tz);
	assert_int_equal(carelog__tz_load(&tz, "Europe/Nowhere"), CARELOG_ENOTFOUND);
	assert_int_equal(carelog__tz_load(&tz, "../etc/passwd"), CARELOG_EINVALID);
	assert_null(tz);
}

/* ---- a taper week ------------------------------------------------------ */

/*
 * Prednisone 20 mg at 08:00 (Paris, UTC+1 in November), 16-30 Nov, taper
 * 15 mg from the 19th, 10 mg from the 22nd; window 60 min.
 *   16 08:05 given 20   -> given
 *   17 07:10 given 20   -> given (50 min early)
 *   18 08:00 missed     -> missed
 *   19 10:30 given 15   -> late (after 09:00, same day)
 *   20 08:20 given 15   -> given
 *   21 08:00 given 20   -> given, amount mismatch (15 expected)
 *   22 07:45 given 10   -> given
 * Week [16, 23): scheduled 7, given 5, late 1, missed 1, extra 0, 5/7 = 71.4 %.
 */
static char *taper_week(char *plan_id)
{
	static const carelog_taper_step taper[] = { { "2026-11-19", 15 }, { "2026-11-22", 10 } };
	char *p = patient("Europe/Paris", "2018-03-02", 25, 0);
	plan(plan_id, p, "prednisone", 20, "08:00", "2026-11-16", "2026-11-30", taper, 2, 0);
	dose(p, "prednisone", 20, NULL, plan_id, "2026-11-16T08:05:00+01:00");
	dose(p, "prednisone", 20, NULL, plan_id, "2026-11-17T07:10:00+01:00");
	dose(p, "prednisone", 20, "missed", plan_id, "2026-11-18T08:00:00+01:00");
	dose(p, "prednisone", 15, NULL, plan_id, "2026-11-19T10:30:00+01:00");
	dose(p, "prednisone", 15, NULL, plan_id, "2026-11-20T08:20:00+01:00");
	dose(p, "prednisone", 20, NULL, plan_id, "2026-11-21T08:00:00+01:00");
	dose(p, "prednisone", 10, NULL, plan_id, "2026-11-22T07:45:00+01:00");
	return p;
}

static void test_taper_week_adherence(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE];
	char *p = taper_week(plan_id);
	carelog_adherence_report *r = NULL;
	const carelog_adherence_drug *e;
	char *json = NULL;
	(void)state;

	e = adherence(&r, p, "Prednisone", "2026-11-16", "2026-11-23", "2026-11-25T12:00:00Z");
	assert_string_equal(e->drug, "prednisone");
	expect_counts(e, 7, 5, 1, 1, 0, 71.4);
	assert_int_equal(r->nmismatches, 1);
	assert_string_equal(r->mismatches[0].time, "2026-11-21T07:00:00Z");
	assert_string_equal(r->mismatches[0].local, "2026-11-21T08:00");
	CLOSE(r->mismatches[0].amount, 20);
	CLOSE(r->mismatches[0].expected, 15);
	assert_string_equal(r->mismatches[0].plan, plan_id);
	assert_int_equal(carelog_adherence_json(&json, r), 0);
	assert_non_null(strstr(json, "\"percent\":71.4"));
	assert_non_null(strstr(json, "\"scheduled\":7"));
	carelog_free(json);
	carelog_adherence_free(r);

	/* no range, at the 25th noon: 23, 24 and 25 have nothing logged:
	 * scheduled 10, given 5, late 1, missed 4, 50.0 % */
	e = adherence(&r, p, NULL, NULL, NULL, "2026-11-25T12:00:00Z");
	expect_counts(e, 10, 5, 1, 4, 0, 50.0);
	carelog_adherence_free(r);

	/* at 07:50 on the 22nd the 08:00 slot is not counted yet, though the
	 * 07:45 dose filled it: 16-21, scheduled 6, given 4 (66.7 %) */
	e = adherence(&r, p, NULL, NULL, NULL, "2026-11-22T06:50:00Z");
	expect_counts(e, 6, 4, 1, 1, 0, 66.7);
	carelog_adherence_free(r);

	/* at 08:30 on the 23rd the slot is within its window: not yet missed */
	e = adherence(&r, p, NULL, "2026-11-23", NULL, "2026-11-23T07:30:00Z");
	assert_int_equal(e->scheduled, 0);
	CLOSE(e->percent, -1);
	carelog_adherence_free(r);
}

static void test_taper_week_due(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE];
	char *p = taper_week(plan_id);
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_due_list *d = NULL;
	(void)state;

	/* 08:30 on the 23rd: 10 mg now, the 08:00 slot due now (window open) */
	o.at = "2026-11-23T07:30:00Z";
	assert_int_equal(carelog_due(&d, S, p, &o), 0);
	assert_int_equal(d->nitems, 1);
	assert_string_equal(d->items[0].plan, plan_id);
	CLOSE(d->items[0].dose_now, 10);
	assert_true(d->items[0].has_next);
	assert_true(d->items[0].next_open);
	assert_string_equal(d->items[0].next.time, "2026-11-23T07:00:00Z");
	assert_string_equal(d->items[0].next.local, "2026-11-23T08:00");
	assert_int_equal(d->items[0].noverdue, 0);
	carelog_due_free(d);

	/* 10:30 on the 23rd: the 08:00 slot is overdue, the next is the 24th */
	o.at = "2026-11-23T09:30:00Z";
	assert_int_equal(carelog_due(&d, S, p, &o), 0);
	assert_int_equal(d->items[0].noverdue, 1);
	assert_string_equal(d->items[0].overdue[0].local, "2026-11-23T08:00");
	CLOSE(d->items[0].overdue[0].dose, 10);
	assert_false(d->items[0].next_open);
	assert_string_equal(d->items[0].next.local, "2026-11-24T08:00");
	carelog_due_free(d);

	/* 18 November: the taper has not started, 20 mg */
	o.at = "2026-11-18T12:00:00Z";
	assert_int_equal(carelog_due(&d, S, p, &o), 0);
	CLOSE(d->items[0].dose_now, 20);
	carelog_due_free(d);
}

/* ---- daylight-saving change ---------------------------------------------- */

/*
 * Paris, 08:00 daily 27-31 March 2026, window 30 min. Summer time starts on
 * the 29th, so 08:00 is 07:00Z on the 27th and 28th, 06:00Z from the 29th.
 *   27 07:00Z given, 28 07:05Z given, 29 07:00Z = 09:00 CEST: late,
 *   30 06:00Z given, 31 06:10Z given.
 * A fixed UTC+1 would call the 29th on time and the 30th 60 min early.
 */
static void test_dst_change(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE];
	char *p = patient("Europe/Paris", NULL, 0, 0), *c;
	carelog_adherence_report *r = NULL;
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_due_list *d = NULL;
	(void)state;

	plan(plan_id, p, "mycophenolate mofetil", 500, "08:00", "2026-03-27", "2026-03-31", NULL, 0, 30);
	dose(p, "mycophenolate mofetil", 500, NULL, plan_id, "2026-03-27T07:00:00Z");
	dose(p, "mycophenolate mofetil", 500, NULL, plan_id, "2026-03-28T07:05:00Z");
	dose(p, "mycophenolate mofetil", 500, NULL, plan_id, "2026-03-29T07:00:00Z");
	dose(p, "mycophenolate mofetil", 500, NULL, plan_id, "2026-03-30T06:00:00Z");
	dose(p, "mycophenolate mofetil", 500, NULL, plan_id, "2026-03-31T06:10:00Z");
	expect_counts(adherence(&r, p, NULL, NULL, NULL, "2026-04-02T00:00:00Z"), 5, 4, 1, 0, 0, 80.0);
	carelog_adherence_free(r);

	o.at = "2026-03-29T05:50:00Z";
	assert_int_equal(carelog_due(&d, S, p, &o), 0);
	assert_string_equal(d->items[0].next.time, "2026-03-29T06:00:00Z");
	assert_string_equal(d->items[0].next.local, "2026-03-29T08:00");
	assert_true(d->items[0].next_open);
	carelog_due_free(d);

	/* Chicago, 02:30 on 8 March 2026 does not exist: the slot is 03:30 CDT */
	c = patient("America/Chicago", NULL, 0, 0);
	plan(plan_id, c, "sirolimus", 1, "02:30", "2026-03-07", "2026-03-09", NULL, 0, 0);
	o.at = "2026-03-08T07:00:00Z";
	assert_int_equal(carelog_due(&d, S, c, &o), 0);
	assert_string_equal(d->items[0].next.time, "2026-03-08T08:30:00Z");
	assert_string_equal(d->items[0].next.local, "2026-03-08T03:30");
	assert_int_equal(d->items[0].noverdue, 1); /* the 7th at 02:30 CST = 08:30Z */
	assert_string_equal(d->items[0].overdue[0].time, "2026-03-07T08:30:00Z");
	carelog_due_free(d);
}

/* ---- a double dose arriving by sync -------------------------------------- */

/*
 * Prednisone 10 mg at 08:00 (UTC). Anna's phone logs the dose at 08:02 and
 * Marc's at 08:10; the charts merged (simulated: both records imported with
 * their own author and device). One slot, one given, one extra; the alert
 * names both records; steroid exposure counts both (20 mg) until one is
 * voided. On the 22nd the same happens late (10:30 and 10:40).
 */
static void test_double_dose_by_sync(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE], line[4096];
	char *p = patient("UTC", NULL, 20, 0);
	const char *d1 = "01a9a0d0-0000-7000-8000-0000000000d1", *d2 = "01a9a0d0-0000-7000-8000-0000000000d2";
	const char *d3 = "01a9a0d0-0000-7000-8000-0000000000d3", *d4 = "01a9a0d0-0000-7000-8000-0000000000d4";
	carelog_adherence_report *r = NULL;
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_steroid_report *st = NULL;
	carelog_alert_list *l;
	const carelog_alert *a;
	(void)state;

	plan(plan_id, p, "prednisone", 10, "08:00", "2026-11-21", "2026-11-22", NULL, 0, 0);
	snprintf(line, sizeof(line),
		"{'kind':'dose','id':'%s','patient':'%s','time':'2026-11-21T08:02:00Z','drug':'prednisone','amount':10,'unit':'mg','plan':'%s','author':'Anna','device':'phone-anna'}\n"
		"{'kind':'dose','id':'%s','patient':'%s','time':'2026-11-21T08:10:00Z','drug':'prednisone','amount':10,'unit':'mg','plan':'%s','author':'Marc','device':'phone-marc'}\n"
		"{'kind':'dose','id':'%s','patient':'%s','time':'2026-11-22T10:30:00Z','drug':'prednisone','amount':10,'unit':'mg','author':'Anna','device':'phone-anna'}\n"
		"{'kind':'dose','id':'%s','patient':'%s','time':'2026-11-22T10:40:00Z','drug':'prednisone','amount':10,'unit':'mg','author':'Marc','device':'phone-marc'}\n",
		d1, p, plan_id, d2, p, plan_id, d3, p, d4, p);
	import(line);

	/* 21st: scheduled 1, given 1, extra 1 */
	expect_counts(adherence(&r, p, NULL, "2026-11-21", "2026-11-22", "2026-11-23T00:00:00Z"), 1, 1, 0, 0, 1, 100);
	carelog_adherence_free(r);
	/* 22nd: the 10:30 dose is late, the 10:40 one extra */
	expect_counts(adherence(&r, p, NULL, "2026-11-22", "2026-11-23", "2026-11-23T00:00:00Z"), 1, 0, 1, 0, 1, 0);
	carelog_adherence_free(r);

	l = alerts(p, "2026-11-21T12:00:00Z");
	assert_non_null(a = find_alert(l, "double-dose"));
	assert_string_equal(a->severity, "warning");
	assert_int_equal(a->nrecords, 2);
	assert_string_equal(a->records[0], d1);
	assert_string_equal(a->records[1], d2);
	assert_non_null(strstr(a->message, "Marc"));
	assert_non_null(strstr(a->message, "phone-anna"));
	carelog_alerts_free(l);
	expect_alert(p, "2026-11-22T12:00:00Z", "double-dose", "warning", d4);

	/* exposure counts what the child may have received: 4 x 10 mg */
	o.at = "2026-11-23T00:00:00Z";
	assert_int_equal(carelog_steroids(&st, S, p, &o), 0);
	CLOSE(st->prednisone_equivalent_mg, 40);
	CLOSE(st->mg_per_kg, 2);
	assert_int_equal(st->days, 2);
	carelog_steroids_free(st);

	/* a person confirms the 21st was logged twice: voiding one drops the
	 * extra, the alert and the exposure */
	assert_int_equal(carelog_record_void(S, d2, "logged on both phones"), 0);
	expect_counts(adherence(&r, p, NULL, "2026-11-21", "2026-11-22", "2026-11-23T00:00:00Z"), 1, 1, 0, 0, 0, 100);
	carelog_adherence_free(r);
	expect_no_alert(p, "2026-11-21T12:00:00Z", "double-dose");
	assert_int_equal(carelog_steroids(&st, S, p, &o), 0);
	CLOSE(st->prednisone_equivalent_mg, 30);
	carelog_steroids_free(st);
}

/*
 * A refusal logged at 08:00, then the dose taken at 08:30: the slot is given
 * (the refusal no longer counts) and nothing is doubled. A miss logged at
 * 08:00 the next day and the dose given at 11:00 after all: late. A refusal
 * alone on the third day: missed.
 */
static void test_given_after_a_refusal(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE];
	char *p = patient("UTC", NULL, 0, 0);
	carelog_adherence_report *r = NULL;
	(void)state;

	plan(plan_id, p, "sirolimus", 1, "08:00", "2026-11-10", "2026-11-12", NULL, 0, 0);
	dose(p, "sirolimus", 1, "refused", plan_id, "2026-11-10T08:00:00Z");
	dose(p, "sirolimus", 1, NULL, plan_id, "2026-11-10T08:30:00Z");
	dose(p, "sirolimus", 1, "missed", plan_id, "2026-11-11T08:00:00Z");
	dose(p, "sirolimus", 1, NULL, plan_id, "2026-11-11T11:00:00Z");
	dose(p, "sirolimus", 1, "refused", plan_id, "2026-11-12T08:05:00Z");
	expect_counts(adherence(&r, p, NULL, NULL, NULL, "2026-11-13T00:00:00Z"), 3, 1, 1, 1, 0, 33.3);
	carelog_adherence_free(r);
	expect_no_alert(p, "2026-11-12T12:00:00Z", "double-dose");
	expect_no_alert(p, "2026-11-12T12:00:00Z", "missed-doses");
}

/* ---- steroid exposure ---------------------------------------------------- */

/*
 * The taper week's given prednisone: 20+20+15+15+20+10 = 100 mg, plus
 * dexamethasone 0.75 mg (= 5 mg prednisone) on the 22nd at noon, plus a
 * 5 mL dose that cannot be counted. Weights: 25 kg on 16 Nov 06:00Z, 20 kg on
 * 21 Nov 06:00Z; the 16th and 17th doses are nearest the first, the rest
 * nearest the second: mg/kg = 40/25 + 60/20 + 5/20 = 1.6 + 3.0 + 0.25 = 4.85.
 * Days with a steroid: 16, 17, 19, 20, 21, 22 = 6.
 */
static void test_steroid_exposure(void **state)
{
	char plan_id[CARELOG_ID_BUFSIZE], ml[CARELOG_ID_BUFSIZE];
	char *p = taper_week(plan_id);
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_steroid_report *r = NULL;
	char *json = NULL;
	(void)state;

	measure(NULL, p, "weight", 25, "2026-11-16T06:00:00Z");
	measure(NULL, p, "weight", 20, "2026-11-21T06:00:00Z");
	dose(p, "dexamethasone", 0.75, NULL, NULL, "2026-11-22T12:00:00Z");
	dose_u(ml, p, "prednisolone", 5, "mL", NULL, NULL, "2026-11-22T13:00:00Z");
	dose(p, "sirolimus", 1, NULL, NULL, "2026-11-22T13:00:00Z"); /* not a steroid */

	o.from = "2026-11-16";
	o.to = "2026-11-23";
	o.at = "2026-11-22T12:00:00Z";
	assert_int_equal(carelog_steroids(&r, S, p, &o), 0);
	/* the prednisolone at 13:00 is after `at`: not counted, not skipped */
	CLOSE(r->prednisone_equivalent_mg, 105);
	CLOSE(r->mg_per_kg, 4.85);
	assert_true(r->has_weight);
	assert_int_equal(r->days, 6);
	assert_int_equal(r->ndrugs, 2);
	assert_string_equal(r->drugs[0].drug, "dexamethasone");
	CLOSE(r->drugs[0].amount_mg, 0.75);
	CLOSE(r->drugs[0].factor, 5.0 / 0.75);
	CLOSE(r->drugs[0].prednisone_equivalent_mg, 5);
	CLOSE(r->drugs[0].mg_per_kg, 0.25);
	assert_string_equal(r->drugs[1].drug, "prednisone");
	assert_int_equal(r->drugs[1].doses, 6);
	CLOSE(r->drugs[1].prednisone_equivalent_mg, 100);
	CLOSE(r->drugs[1].mg_per_kg, 4.6);
	/* the taper's step on the 22nd: 10 mg/day over 20 kg; the last 24 h:
	 * 10 mg at 06:45Z and the dexamethasone's 5 */
	CLOSE(r->current_daily_mg, 10);
	CLOSE(r->current_daily_mg_per_kg, 0.5);
	CLOSE(r->weight_kg, 20);
	CLOSE(r->last_24h_mg, 15);
	assert_int_equal(carelog_steroids_json(&json, r), 0);
	assert_non_null(strstr(json, "\"prednisone_equivalent_mg\":105"));
	assert_non_null(strstr(json, "\"days\":6"));
	assert_non_null(strstr(json, "\"mg_per_kg\":4.85"));
	carelog_free(json);
	carelog_steroids_free(r);

	/* later, the mL dose is listed as not counted */
	o.at = "2026-11-22T14:00:00Z";
	assert_int_equal(carelog_steroids(&r, S, p, &o), 0);
	assert_int_equal(r->nskipped, 1);
	assert_string_equal(r->skipped[0].dose, ml);
	CLOSE(r->prednisone_equivalent_mg, 105);
	carelog_steroids_free(r);

	/* the equivalence table (5 mg prednisone each) */
	CLOSE(4 * carelog_prednisone_factor("methylprednisolone"), 5);
	CLOSE(20 * carelog_prednisone_factor("hydrocortisone"), 5);
	CLOSE(5 * carelog_prednisone_factor("prednisolone"), 5);
	CLOSE(0.6 * carelog_prednisone_factor("betamethasone"), 5);
	CLOSE(carelog_prednisone_factor("sirolimus"), 0);
}

/* ---- ranges and trends --------------------------------------------------- */

/*
 * An 8-year-old (born 2018-03-02): hemoglobin 11.0 with no report range is
 * low against the default for 6-12 years (11.5-15.5); 12.0 with a report
 * range 12.5-16 is low against the report; once the clinic sets a target
 * 10-14 both are normal against it. Temperature 38.0 is high (normal up to
 * 37.9).
 */
static void test_flags_target_report_default(void **state)
{
	char *p = patient("UTC", "2018-03-02", 0, 0);
	carelog_measurement m = CARELOG_MEASUREMENT_INIT;
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_trend_series *t = NULL;
	carelog_target tg = CARELOG_TARGET_INIT;
	char first[CARELOG_ID_BUFSIZE], tid[CARELOG_ID_BUFSIZE];
	int hl, hh;
	double lo, hi;
	(void)state;

	measure(first, p, "hemoglobin", 11.0, "2026-11-01T08:00:00Z");
	m.patient = p;
	m.code = "hemoglobin";
	m.value = 12.0;
	m.has_low = m.has_high = 1;
	m.low = 12.5;
	m.high = 16;
	m.at = "2026-11-08T08:00:00Z";
	assert_int_equal(carelog_measurement_log(NULL, S, &m), 0);
	measure(NULL, p, "temperature", 38.0, "2026-11-08T09:00:00Z");

	o.code = "hemoglobin";
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_int_equal(t->npoints, 2);
	assert_string_equal(t->points[0].record, first);
	assert_string_equal(t->points[0].flag, "low");
	assert_string_equal(t->points[0].range_source, "default");
	CLOSE(t->points[0].low, 11.5);
	CLOSE(t->points[0].high, 15.5);
	assert_false(t->points[0].has_change);
	assert_string_equal(t->points[1].flag, "low");
	assert_string_equal(t->points[1].range_source, "report");
	CLOSE(t->points[1].low, 12.5);
	assert_true(t->points[1].has_change);
	CLOSE(t->points[1].change, 1.0);
	carelog_trend_free(t);

	tg.patient = p;
	tg.code = "hemoglobin";
	tg.has_low = tg.has_high = 1;
	tg.low = 10;
	tg.high = 14;
	assert_int_equal(carelog_target_set(tid, S, &tg), 0);
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_string_equal(t->points[0].flag, "normal");
	assert_string_equal(t->points[0].range_source, "target");
	assert_string_equal(t->points[1].flag, "normal");
	CLOSE(t->points[1].high, 14);
	carelog_trend_free(t);
	/* a voided target no longer applies */
	assert_int_equal(carelog_record_void(S, tid, "wrong patient"), 0);
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_string_equal(t->points[0].range_source, "default");
	carelog_trend_free(t);

	/* --from is inclusive, --to exclusive */
	o.from = "2026-11-08";
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_int_equal(t->npoints, 1);
	carelog_trend_free(t);
	o.from = NULL;
	o.to = "2026-11-08";
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_int_equal(t->npoints, 1);
	assert_string_equal(t->points[0].record, first);
	carelog_trend_free(t);

	o.to = NULL;
	o.code = "temperature";
	assert_int_equal(carelog_trend(&t, S, p, &o), 0);
	assert_string_equal(t->points[0].flag, "high");
	carelog_trend_free(t);

	/* age bands where children differ */
	assert_int_equal(carelog__default_range(&hl, &lo, &hh, &hi, "hemoglobin", 1.0), 0);
	CLOSE(lo, 10.5);
	assert_int_equal(carelog__default_range(&hl, &lo, &hh, &hi, "hemoglobin", 30), 0);
	CLOSE(lo, 12.0);
	CLOSE(hi, 17.5);
	assert_int_equal(carelog__default_range(&hl, &lo, &hh, &hi, "lymphocytes", 3), 0);
	CLOSE(lo, 3.0);
	assert_int_equal(carelog__default_range(&hl, &lo, &hh, &hi, "sirolimus-trough", 8), 0);
	CLOSE(lo, 5);
	CLOSE(hi, 15);
	assert_int_equal(carelog__default_range(&hl, &lo, &hh, &hi, "weight", 8), -1);

	/* errors */
	o.code = "glucose";
	assert_int_equal(carelog_trend(&t, S, p, &o), CARELOG_EINVALID);
	o.code = NULL;
	assert_int_equal(carelog_trend(&t, S, p, &o), CARELOG_EINVALID);
	tg.code = "hemoglobin";
	tg.has_low = tg.has_high = 0;
	assert_int_equal(carelog_target_set(NULL, S, &tg), CARELOG_EINVALID);
	tg.has_low = tg.has_high = 1;
	tg.low = 15;
	tg.high = 10;
	assert_int_equal(carelog_target_set(NULL, S, &tg), CARELOG_EINVALID);
}

/* ---- alert rules ----------------------------------------------------------- */

static void test_alert_lab_rules(void **state)
{
	char *p = patient("UTC", "2018-03-02", 25, 0);
	char m1[CARELOG_ID_BUFSIZE], m2[CARELOG_ID_BUFSIZE], m3[CARELOG_ID_BUFSIZE], m4[CARELOG_ID_BUFSIZE];
	carelog_rule_override ro = CARELOG_RULE_OVERRIDE_INIT;
	carelog_alert_list *l;
	(void)state;

	/* platelets 45: warning; a later 15: urgent only (supersedes) */
	measure(m1, p, "platelets", 45, "2026-11-10T08:00:00Z");
	expect_alert(p, "2026-11-10T09:00:00Z", "platelets-low", "warning", m1);
	expect_no_alert(p, "2026-11-10T09:00:00Z", "platelets-very-low");
	measure(m2, p, "platelets", 15, "2026-11-11T08:00:00Z");
	expect_alert(p, "2026-11-11T09:00:00Z", "platelets-very-low", "urgent", m2);
	expect_no_alert(p, "2026-11-11T09:00:00Z", "platelets-low");
	/* before the reading nothing; 7 days later the reading is out of the
	 * look-back (7 days 1 h after it) */
	expect_no_alert(p, "2026-11-09T09:00:00Z", "platelets-low");
	expect_no_alert(p, "2026-11-18T09:00:00Z", "platelets-very-low");
	expect_alert(p, "2026-11-18T07:00:00Z", "platelets-very-low", "urgent", m2);
	/* a longer look-back for this patient */
	ro.patient = p;
	ro.rule = "platelets-very-low";
	ro.lookback_days = 10;
	assert_int_equal(carelog_rule_set(NULL, S, &ro), 0);
	expect_alert(p, "2026-11-18T09:00:00Z", "platelets-very-low", "urgent", m2);
	/* only the latest reading counts: 200 the next day clears both */
	measure(m3, p, "platelets", 200, "2026-11-12T08:00:00Z");
	expect_no_alert(p, "2026-11-12T09:00:00Z", "platelets-very-low");
	expect_no_alert(p, "2026-11-12T09:00:00Z", "platelets-low");
	/* voiding the 200 brings the 15 back; voiding the 15 brings the 45 */
	assert_int_equal(carelog_record_void(S, m3, "other child's result"), 0);
	expect_alert(p, "2026-11-12T09:00:00Z", "platelets-very-low", "urgent", m2);
	assert_int_equal(carelog_record_void(S, m2, "typo"), 0);
	expect_no_alert(p, "2026-11-12T09:00:00Z", "platelets-very-low");
	expect_alert(p, "2026-11-12T09:00:00Z", "platelets-low", "warning", m1);
	/* the clinic raises this child's threshold to 40: 45 is fine */
	ro.rule = "platelets-low";
	ro.lookback_days = 0;
	ro.has_threshold = 1;
	ro.threshold = 40;
	assert_int_equal(carelog_rule_set(NULL, S, &ro), 0);
	expect_no_alert(p, "2026-11-12T09:00:00Z", "platelets-low");

	/* neutrophils: 0.8 warning, 0.4 urgent */
	measure(m4, p, "neutrophils", 0.8, "2026-11-13T08:00:00Z");
	expect_alert(p, "2026-11-13T09:00:00Z", "anc-low", "warning", m4);
	measure(m4, p, "neutrophils", 0.4, "2026-11-14T08:00:00Z");
	expect_alert(p, "2026-11-14T09:00:00Z", "anc-very-low", "urgent", m4);
	expect_no_alert(p, "2026-11-14T09:00:00Z", "anc-low");
	/* hemoglobin 7.5 warning; 8.0 is not below 8.0 */
	measure(m4, p, "hemoglobin", 8.0, "2026-11-13T08:00:00Z");
	expect_no_alert(p, "2026-11-13T09:00:00Z", "hemoglobin-low");
	measure(m4, p, "hemoglobin", 7.5, "2026-11-14T08:00:00Z");
	expect_alert(p, "2026-11-14T09:00:00Z", "hemoglobin-low", "warning", m4);
	/* the clinic makes it urgent for this child */
	ro.rule = "hemoglobin-low";
	ro.has_threshold = 0;
	ro.severity = "urgent";
	assert_int_equal(carelog_rule_set(NULL, S, &ro), 0);
	expect_alert(p, "2026-11-14T09:00:00Z", "hemoglobin-low", "urgent", m4);

	/* urgent first */
	l = alerts(p, "2026-11-14T09:00:00Z");
	assert_true(l->nalerts >= 2);
	assert_string_equal(l->alerts[0].severity, "urgent");
	carelog_alerts_free(l);
	/* and off */
	ro.severity = NULL;
	ro.off = 1;
	assert_int_equal(carelog_rule_set(NULL, S, &ro), 0);
	expect_no_alert(p, "2026-11-14T09:00:00Z", "hemoglobin-low");
	/* the settings in force: hemoglobin-low off, platelets-low at 40,
	 * platelets-very-low looking back 10 days, anc-low the defaults */
	{
		carelog_rule_setting_list *rs = NULL;
		assert_int_equal(carelog_rule_settings(&rs, S, p), 0);
		assert_int_equal(rs->nrules, 10);
		for (size_t i = 0; i < rs->nrules; i++) {
			const carelog_rule_setting *e = &rs->rules[i];
			if (strcmp(e->id, "hemoglobin-low") == 0)
				assert_false(e->enabled);
			if (strcmp(e->id, "platelets-low") == 0) {
				CLOSE(e->threshold, 40);
				assert_non_null(e->record);
			}
			if (strcmp(e->id, "platelets-very-low") == 0)
				assert_int_equal(e->lookback_days, 10);
			if (strcmp(e->id, "anc-low") == 0) {
				CLOSE(e->threshold, 1.0);
				assert_string_equal(e->severity, "warning");
				assert_int_equal(e->lookback_days, 7);
				assert_true(e->enabled);
				assert_null(e->record);
			}
		}
		carelog_rule_settings_free(rs);
	}
	/* an unknown rule is refused */
	ro.rule = "glucose-high";
	assert_int_equal(carelog_rule_set(NULL, S, &ro), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message, "platelets-low"));
}

static void test_alert_fever(void **state)
{
	char *plain = patient("UTC", "2018-03-02", 25, 0), *asplenic = patient("UTC", "2018-03-02", 25, 1);
	char *immuno = patient("UTC", "2018-03-02", 25, 0);
	char m[CARELOG_ID_BUFSIZE], plan_id[CARELOG_ID_BUFSIZE];
	carelog_rule_override ro = CARELOG_RULE_OVERRIDE_INIT;
	(void)state;

	measure(m, plain, "temperature", 37.9, "2026-11-20T20:00:00Z");
	expect_no_alert(plain, "2026-11-20T21:00:00Z", "fever");
	measure(m, plain, "temperature", 38.2, "2026-11-20T20:30:00Z");
	expect_alert(plain, "2026-11-20T21:00:00Z", "fever", "warning", m);
	measure(m, asplenic, "temperature", 38.2, "2026-11-20T20:30:00Z");
	expect_alert(asplenic, "2026-11-20T21:00:00Z", "fever", "urgent", m);
	/* on sirolimus: urgent */
	plan(plan_id, immuno, "sirolimus", 1, "08:00", "2026-11-01", NULL, NULL, 0, 0);
	measure(m, immuno, "temperature", 38.0, "2026-11-20T20:30:00Z");
	expect_alert(immuno, "2026-11-20T21:00:00Z", "fever", "urgent", m);
	/* --off */
	ro.patient = immuno;
	ro.rule = "fever";
	ro.off = 1;
	assert_int_equal(carelog_rule_set(NULL, S, &ro), 0);
	expect_no_alert(immuno, "2026-11-20T21:00:00Z", "fever");
}

static void test_alert_target_and_doses(void **state)
{
	char *p = patient("UTC", "2018-03-02", 25, 0);
	char m[CARELOG_ID_BUFSIZE], t[CARELOG_ID_BUFSIZE], plan_id[CARELOG_ID_BUFSIZE], missed[CARELOG_ID_BUFSIZE];
	carelog_target tg = CARELOG_TARGET_INIT;
	static const carelog_taper_step taper[] = { { "2026-11-10", 10 }, { "2026-11-14", 5 } };
	(void)state;

	/* sirolimus trough 18 against the clinic's target 5-15 */
	tg.patient = p;
	tg.code = "sirolimus-trough";
	tg.has_low = tg.has_high = 1;
	tg.low = 5;
	tg.high = 15;
	assert_int_equal(carelog_target_set(t, S, &tg), 0);
	measure(m, p, "sirolimus-trough", 18, "2026-11-20T07:30:00Z");
	expect_alert(p, "2026-11-20T09:00:00Z", "outside-target", "warning", m);
	expect_alert(p, "2026-11-20T09:00:00Z", "outside-target", "warning", t);
	measure(m, p, "sirolimus-trough", 9, "2026-11-21T07:30:00Z");
	expect_no_alert(p, "2026-11-21T09:00:00Z", "outside-target");

	/* sirolimus 08:00 and 20:00 from the 20th: 20th 08:00 given, 20:00
	 * nothing logged, 21st 08:00 logged missed -> two in a row */
	plan(plan_id, p, "sirolimus", 1, "08:00,20:00", "2026-11-20", NULL, NULL, 0, 0);
	dose(p, "sirolimus", 1, NULL, plan_id, "2026-11-20T08:00:00Z");
	expect_no_alert(p, "2026-11-21T08:30:00Z", "missed-doses");
	dose_u(missed, p, "sirolimus", 1, "mg", "refused", plan_id, "2026-11-21T08:00:00Z");
	expect_alert(p, "2026-11-21T09:30:00Z", "missed-doses", "warning", missed);
	/* a dose given on time after the run does not erase it */
	dose(p, "sirolimus", 1, NULL, plan_id, "2026-11-21T20:00:00Z");
	expect_alert(p, "2026-11-21T21:30:00Z", "missed-doses", "warning", missed);
	assert_int_equal(carelog_record_void(S, missed, "logged by mistake"), 0);
	/* the 21st 08:00 slot is still unlogged: with the 20th 20:00, two in a row */
	expect_alert(p, "2026-11-21T21:30:00Z", "missed-doses", "warning", plan_id);
	dose(p, "sirolimus", 1, NULL, plan_id, "2026-11-21T08:15:00Z");
	expect_no_alert(p, "2026-11-21T21:30:00Z", "missed-doses");

	/* a 28-day prednisone course at 20 mg stopped without a taper */
	plan(plan_id, p, "prednisone", 20, "08:00", "2026-10-20", "2026-11-16", NULL, 0, 0);
	expect_alert(p, "2026-11-18T12:00:00Z", "steroid-stop", "warning", plan_id);
	expect_no_alert(p, "2026-11-16T12:00:00Z", "steroid-stop"); /* still running */
	expect_no_alert(p, "2026-11-25T12:00:00Z", "steroid-stop"); /* ended 9 days ago */
	assert_int_equal(carelog_record_void(S, plan_id, "entered for the wrong child"), 0);
	expect_no_alert(p, "2026-11-18T12:00:00Z", "steroid-stop");
	/* tapered down: no alert; a 10-day course: no alert */
	plan(plan_id, p, "prednisone", 20, "08:00", "2026-10-20", "2026-11-16", taper, 2, 0);
	expect_no_alert(p, "2026-11-18T12:00:00Z", "steroid-stop");
	plan(plan_id, p, "prednisone", 20, "08:00", "2026-11-07", "2026-11-16", NULL, 0, 0);
	expect_no_alert(p, "2026-11-18T12:00:00Z", "steroid-stop");
}

static void test_unknown_patient_and_options(void **state)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_adherence_report *r = NULL;
	char *p = patient("UTC", NULL, 0, 0);
	(void)state;
	assert_int_equal(carelog_adherence(&r, S, "01a9a0d0-0000-7000-8000-00000000ffff", &o), CARELOG_ENOTFOUND);
	assert_int_equal(carelog_adherence(&r, S, "nope", &o), CARELOG_EINVALID);
	o.from = "2026-13-01";
	assert_int_equal(carelog_adherence(&r, S, p, &o), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_store_errmsg(S), "from"));
	o.from = "2026-11-10";
	o.to = "2026-11-01";
	assert_int_equal(carelog_adherence(&r, S, p, &o), CARELOG_EINVALID);
	o.to = NULL;
	o.at = "yesterday";
	assert_int_equal(carelog_adherence(&r, S, p, &o), CARELOG_EINVALID);
	o.at = NULL;
	o.version = 99;
	assert_int_equal(carelog_adherence(&r, S, p, &o), CARELOG_EINVALID);
	assert_null(r);
}

static int setup(void **state)
{
	char dir[4200];
	(void)state;
	snprintf(dir, sizeof(dir), "%s/store", root);
	return carelog_store_init(&S, dir, NULL);
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
		cmocka_unit_test(test_tz_paris_and_chicago),
		cmocka_unit_test(test_taper_week_adherence),
		cmocka_unit_test(test_taper_week_due),
		cmocka_unit_test(test_dst_change),
		cmocka_unit_test(test_double_dose_by_sync),
		cmocka_unit_test(test_given_after_a_refusal),
		cmocka_unit_test(test_steroid_exposure),
		cmocka_unit_test(test_flags_target_report_default),
		cmocka_unit_test(test_alert_lab_rules),
		cmocka_unit_test(test_alert_fever),
		cmocka_unit_test(test_alert_target_and_doses),
		cmocka_unit_test(test_unknown_patient_and_options),
	};
	/* a process time zone far from every patient's: nothing may depend on it */
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	if (test_tmpdir_make(root, sizeof(root), "clinical") < 0)
		return 1;
	return test_tmpdir_done(root, cmocka_run_group_tests(tests, setup, teardown));
}
