/*
 * test_clinical_fixtures.c - invariants of the clinical computations over a
 * generated patient-year (carelog-fixtures, seeded, so the data is the same
 * on every run): for each drug given + late + missed = scheduled; every
 * given dose of a scheduled drug is either in a slot (given or late) or
 * extra; adherence over two halves of the period adds up to the whole;
 * steroid exposure equals the sum of its parts and the sum of the given
 * doses read back from the timeline; due and alerts answer at every month.
 *
 * CARELOG_FIXTURES names the generator (tests/engine/CMakeLists.txt sets it).
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

#include "carelog.h"
#include "test_tmpdir.h"
#include "clinical_internal.h"
#include "timeutil.h"
#include "tz.h"

static char root[4096];
static carelog_store *S;
static char P[CARELOG_ID_BUFSIZE];
static char last_time[64];

static int setup(void **state)
{
	const char *gen = getenv("CARELOG_FIXTURES");
	char cmd[9000], dir[4200], file[4200];
	carelog_record_list *l = NULL;
	size_t n = 0;
	FILE *f;
	(void)state;
	if (gen == NULL) {
		fprintf(stderr, "CARELOG_FIXTURES is not set\n");
		return -1;
	}
	snprintf(file, sizeof(file), "%s/year.jsonl", root);
	/* about a patient-year and a third: sirolimus or mycophenolate, one or
	 * more prednisone tapers, duplicates logged by two caregivers */
	snprintf(cmd, sizeof(cmd), "'%s' --seed 7 --records 2600 --out '%s'", gen, file);
	if (system(cmd) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/store", root);
	if (carelog_store_init(&S, dir, NULL) < 0 || (f = fopen(file, "r")) == NULL)
		return -1;
	if (carelog_import(&n, S, f, NULL) < 0) {
		fprintf(stderr, "import: %s\n", carelog_store_errmsg(S));
		fclose(f);
		return -1;
	}
	fclose(f);
	if (n != 2600 || carelog_patient_list(&l, S) < 0 || carelog_record_list_count(l) != 1)
		return -1;
	snprintf(P, sizeof(P), "%s", carelog_record_id(carelog_record_list_get(l, 0)));
	carelog_record_list_free(l);
	if (carelog_timeline(&l, S, P, NULL) < 0)
		return -1;
	snprintf(last_time, sizeof(last_time), "%s",
		carelog_record_time(carelog_record_list_get(l, carelog_record_list_count(l) - 1)));
	carelog_record_list_free(l);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	carelog_store_free(S);
	return 0;
}

static carelog_adherence_report *adherence(const char *from, const char *to)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_adherence_report *r = NULL;
	o.at = last_time;
	o.from = from;
	o.to = to;
	assert_int_equal(carelog_adherence(&r, S, P, &o), 0);
	return r;
}

/* Given doses of `drug` up to `at` that do not name an as-needed plan. */
static size_t given_doses(const char *drug)
{
	carelog_record_list *l = NULL;
	carelog_timeline_options o = CARELOG_TIMELINE_OPTIONS_INIT;
	size_t n = 0;
	o.kind = "dose";
	assert_int_equal(carelog_timeline(&l, S, P, &o), 0);
	for (size_t i = 0; i < carelog_record_list_count(l); i++) {
		const carelog_record *r = carelog_record_list_get(l, i);
		const char *plan = carelog_record_string(r, "plan");
		carelog_record *pr = NULL;
		int as_needed = 0;
		if (strcmp(carelog_record_string(r, "drug"), drug) != 0 ||
		    strcmp(carelog_record_string(r, "outcome"), "given") != 0 || strcmp(carelog_record_time(r), last_time) > 0)
			continue;
		if (plan) {
			char *times = NULL;
			assert_int_equal(carelog_record_get(&pr, S, plan), 0);
			as_needed = carelog_record_field_json(&times, pr, "times") == CARELOG_ENOTFOUND;
			carelog_free(times);
			carelog_record_free(pr);
		}
		n += !as_needed;
	}
	carelog_record_list_free(l);
	return n;
}

/* How many slots of `drug` the report lists late (or missed), each with a
 * dose exactly when one was logged. */
static size_t listed_slots(const carelog_adherence_report *a, const char *drug, int late)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nslots; i++) {
		const carelog_adherence_slot *sl = &a->slots[i];
		if (strcmp(sl->drug, drug) != 0 || !sl->late != !late)
			continue;
		assert_true((sl->dose == NULL) == (sl->outcome == NULL));
		if (late)
			assert_string_equal(sl->outcome, "given");
		n++;
	}
	return n;
}

static void test_adherence_invariants(void **state)
{
	carelog_adherence_report *all = adherence(NULL, NULL), *a, *b;
	size_t slots = 0, extra = 0, given = 0;
	(void)state;

	assert_true(all->ndrugs >= 1);
	for (size_t i = 0; i < all->ndrugs; i++) {
		const carelog_adherence_drug *e = &all->drugs[i];
		assert_int_equal(e->given + e->late + e->missed, e->scheduled);
		/* the slots listed late and missed are the ones counted */
		assert_int_equal(listed_slots(all, e->drug, 1), e->late);
		assert_int_equal(listed_slots(all, e->drug, 0), e->missed);
		/* every given dose of the drug is in a slot or extra */
		assert_int_equal(e->given + e->late + e->extra, given_doses(e->drug));
		assert_true(fabs(e->percent - floor(1000.0 * (double)e->given / (double)e->scheduled + 0.5) / 10) < 1e-9);
		slots += e->scheduled;
		extra += e->extra;
		given += e->given;
		printf("  %s: scheduled %zu given %zu late %zu missed %zu extra %zu (%.1f %%)\n", e->drug, e->scheduled,
			e->given, e->late, e->missed, e->extra, e->percent);
	}
	/* the generator misses about 5 %, refuses 1-3 %, holds 1 %, logs ~10 %
	 * late (some beyond the window) and logs ~1 % twice: the data is real
	 * enough to show each kind */
	assert_true(slots > 500);
	assert_true((double)given / (double)slots > 0.7);
	assert_true(extra > 0);

	/* two halves add up to the whole */
	a = adherence(NULL, "2025-08-01");
	b = adherence("2025-08-01", NULL);
	for (size_t i = 0; i < all->ndrugs; i++) {
		const carelog_adherence_drug *e = &all->drugs[i], *x = NULL, *y = NULL;
		for (size_t k = 0; k < a->ndrugs; k++)
			if (strcmp(a->drugs[k].drug, e->drug) == 0)
				x = &a->drugs[k];
		for (size_t k = 0; k < b->ndrugs; k++)
			if (strcmp(b->drugs[k].drug, e->drug) == 0)
				y = &b->drugs[k];
		assert_int_equal((x ? x->scheduled : 0) + (y ? y->scheduled : 0), e->scheduled);
		assert_int_equal((x ? x->given : 0) + (y ? y->given : 0), e->given);
		assert_int_equal((x ? x->late : 0) + (y ? y->late : 0), e->late);
		assert_int_equal((x ? x->missed : 0) + (y ? y->missed : 0), e->missed);
		assert_int_equal((x ? x->extra : 0) + (y ? y->extra : 0), e->extra);
	}
	carelog_adherence_free(a);
	carelog_adherence_free(b);
	carelog_adherence_free(all);
}

static void test_steroid_invariants(void **state)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_steroid_report *r = NULL;
	carelog_timeline_options to = CARELOG_TIMELINE_OPTIONS_INIT;
	carelog_record_list *l = NULL;
	carelog_record *pat = NULL;
	carelog__tz *tz = NULL;
	double sum = 0, sum_mg = 0, sum_kg = 0;
	int64_t last_day = INT64_MIN, until_ms;
	char until[CARELOG__TIME_BUFSIZE];
	size_t days = 0, doses = 0, ndoses = 0;
	(void)state;

	o.at = last_time;
	assert_int_equal(carelog_steroids(&r, S, P, &o), 0);
	for (size_t i = 0; i < r->ndrugs; i++) {
		sum_mg += r->drugs[i].prednisone_equivalent_mg;
		sum_kg += r->drugs[i].mg_per_kg;
		ndoses += r->drugs[i].doses;
		assert_true(fabs(r->drugs[i].amount_mg * r->drugs[i].factor - r->drugs[i].prednisone_equivalent_mg) < 1e-6);
	}
	assert_true(fabs(sum_mg - r->prednisone_equivalent_mg) < 1e-9);
	assert_true(fabs(sum_kg - r->mg_per_kg) < 1e-9);

	/* the same from the timeline: every given corticosteroid dose in mg */
	assert_int_equal(carelog_record_get(&pat, S, P), 0);
	assert_int_equal(carelog__tz_load(&tz, carelog_record_string(pat, "timezone")), 0);
	to.kind = "dose";
	/* `until` is exclusive, `at` inclusive */
	assert_int_equal(carelog__time_parse(&until_ms, last_time, "t"), 0);
	carelog__time_format(until, until_ms + 1);
	to.until = until;
	assert_int_equal(carelog_timeline(&l, S, P, &to), 0);
	for (size_t i = 0; i < carelog_record_list_count(l); i++) {
		const carelog_record *d = carelog_record_list_get(l, i);
		double amount, f = carelog_prednisone_factor(carelog_record_string(d, "drug"));
		int64_t ms, day;
		if (f == 0 || strcmp(carelog_record_string(d, "outcome"), "given") != 0)
			continue;
		assert_string_equal(carelog_record_string(d, "unit"), "mg");
		assert_int_equal(carelog_record_number(&amount, d, "amount"), 0);
		sum += amount * f;
		doses++;
		assert_int_equal(carelog__time_parse(&ms, carelog_record_time(d), "time"), 0);
		day = carelog__tz_local_day(tz, ms);
		days += day != last_day;
		last_day = day;
	}
	printf("  prednisone equivalent %.1f mg over %zu doses on %zu days (%.2f mg/kg)\n", r->prednisone_equivalent_mg,
		ndoses, r->days, r->mg_per_kg);
	assert_true(doses > 20);
	assert_true(fabs(sum - r->prednisone_equivalent_mg) < 1e-6 * fmax(1, sum));
	assert_int_equal(ndoses, doses);
	assert_int_equal(r->days, days);
	assert_true(r->has_weight);
	assert_true(r->mg_per_kg > 0);
	carelog_record_list_free(l);
	carelog_record_free(pat);
	carelog__tz_free(tz);
	carelog_steroids_free(r);
}

static void test_due_and_alerts_every_month(void **state)
{
	int64_t end;
	(void)state;
	assert_int_equal(carelog__time_parse(&end, last_time, "t"), 0);
	for (int64_t t = end - 360 * CARELOG__DAY_MS; t <= end; t += 30 * CARELOG__DAY_MS) {
		carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
		char at[CARELOG__TIME_BUFSIZE], *json = NULL;
		carelog_alert_list *l = NULL;
		carelog_due_list *d = NULL;
		carelog__time_format(at, t);
		o.at = at;
		assert_int_equal(carelog_alerts(&l, S, P, &o), 0);
		for (size_t i = 0; i < l->nalerts; i++) {
			assert_true(l->alerts[i].nrecords > 0);
			assert_true(strlen(l->alerts[i].message) > 20);
			assert_true(strcmp(l->alerts[i].severity, "urgent") == 0 || strcmp(l->alerts[i].severity, "warning") == 0 ||
				strcmp(l->alerts[i].severity, "info") == 0);
		}
		assert_int_equal(carelog_alerts_json(&json, l), 0);
		carelog_free(json);
		carelog_alerts_free(l);
		assert_int_equal(carelog_due(&d, S, P, &o), 0);
		assert_true(d->nitems >= 1); /* a maintenance plan always runs */
		assert_int_equal(carelog_due_json(&json, d), 0);
		carelog_free(json);
		carelog_due_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adherence_invariants),
		cmocka_unit_test(test_steroid_invariants),
		cmocka_unit_test(test_due_and_alerts_every_month),
	};
	if (test_tmpdir_make(root, sizeof(root), "clinical-fixtures") < 0)
		return 1;
	return test_tmpdir_done(root, cmocka_run_group_tests(tests, setup, teardown));
}
