/*
 * clinical_ranges.c - the range a measurement is flagged against: the
 * patient's target for the code (the clinic's, latest record wins), else
 * the range printed on the lab report, else a documented default, by age
 * where children differ (docs/clinical.md lists them with their sources);
 * and the trend of one code built on it.
 */
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"
#include "json_canon.h"
#include "record_schema.h"
#include "store_internal.h"
#include "timeutil.h"

#define NONE 0, 0
#define LOW(x) 1, (x)
#define HIGH(x) 1, (x)
#define ADULT 200.0

/* Ages in years: [from, to). Values in the code's canonical unit. */
static const struct {
	const char *code;
	double from, to;
	int has_low;
	double low;
	int has_high;
	double high;
} defaults[] = {
	/* The Harriet Lane Handbook (Johns Hopkins, 22nd ed.), age-specific blood cell indices */
	{ "platelets", 0, ADULT, LOW(150), HIGH(450) },
	{ "hemoglobin", 0, 2, LOW(10.5), HIGH(13.5) },
	{ "hemoglobin", 2, 6, LOW(11.5), HIGH(13.5) },
	{ "hemoglobin", 6, 12, LOW(11.5), HIGH(15.5) },
	{ "hemoglobin", 12, 18, LOW(12.0), HIGH(16.0) },
	{ "hemoglobin", 18, ADULT, LOW(12.0), HIGH(17.5) },
	{ "neutrophils", 0, ADULT, LOW(1.5), HIGH(8.0) },
	{ "lymphocytes", 0, 2, LOW(4.0), HIGH(10.5) },
	{ "lymphocytes", 2, 4, LOW(3.0), HIGH(9.5) },
	{ "lymphocytes", 4, 6, LOW(2.0), HIGH(8.0) },
	{ "lymphocytes", 6, 10, LOW(1.5), HIGH(7.0) },
	{ "lymphocytes", 10, 16, LOW(1.5), HIGH(6.5) },
	{ "lymphocytes", 16, 18, LOW(1.2), HIGH(5.2) },
	{ "lymphocytes", 18, ADULT, LOW(1.0), HIGH(4.8) },
	{ "creatinine", 0, 1, LOW(0.2), HIGH(0.4) },
	{ "creatinine", 1, 12, LOW(0.3), HIGH(0.7) },
	{ "creatinine", 12, 18, LOW(0.5), HIGH(1.0) },
	{ "creatinine", 18, ADULT, LOW(0.6), HIGH(1.3) },
	{ "bilirubin", 0, ADULT, LOW(0.1), HIGH(1.2) },
	/* Schwimmer et al., Gastroenterology 2010 (SAFETY study): children's
	 * ALT upper limits 25.8 (boys) and 22.1 U/L (girls); adults: the
	 * common laboratory limit */
	{ "alt", 0, 18, NONE, HIGH(26) },
	{ "alt", 18, ADULT, NONE, HIGH(40) },
	/* ALPS: sirolimus trough target 5-15 ng/mL (Bride et al., Blood 2016) */
	{ "sirolimus-trough", 0, ADULT, LOW(5), HIGH(15) },
	/* ALPS markers, NIH 2009 revised criteria (Oliveira et al., Blood 2010):
	 * values above these are raised */
	{ "dnt", 0, ADULT, NONE, HIGH(2.5) },
	{ "sfasl", 0, ADULT, NONE, HIGH(200) },
	{ "il-10", 0, ADULT, NONE, HIGH(20) },
	{ "il-18", 0, ADULT, NONE, HIGH(500) },
	{ "vitamin-b12", 0, ADULT, NONE, HIGH(1500) },
	/* fever is 38.0 C and above */
	{ "temperature", 0, ADULT, LOW(36.0), HIGH(37.9) },
	/* a spleen felt below the costal margin is enlarged */
	{ "spleen-size", 0, ADULT, NONE, HIGH(0) },
};

int carelog__default_range(int *has_low, double *low, int *has_high, double *high, const char *code,
	double age_years)
{
	if (age_years < 0)
		age_years = 18; /* no birth date: the adult range */
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if (strcmp(defaults[i].code, code) != 0 || age_years < defaults[i].from || age_years >= defaults[i].to)
			continue;
		*has_low = defaults[i].has_low;
		*low = defaults[i].low;
		*has_high = defaults[i].has_high;
		*high = defaults[i].high;
		return 0;
	}
	*has_low = *has_high = 0;
	return -1;
}

/* The range for measurement `m` and where it comes from. */
static const char *range_for(carelog_trend_point *pt, const carelog__chartdata *cd, const carelog__meas *m)
{
	const carelog__target_rec *target = NULL;
	double age = -1;
	for (size_t i = 0; i < cd->ntargets; i++) /* in time order: the last one is in force */
		if (strcmp(cd->targets[i].code, m->code) == 0)
			target = &cd->targets[i];
	if (target) {
		pt->has_low = target->has_low;
		pt->low = target->low;
		pt->has_high = target->has_high;
		pt->high = target->high;
		return "target";
	}
	if (m->has_low || m->has_high) {
		pt->has_low = m->has_low;
		pt->low = m->low;
		pt->has_high = m->has_high;
		pt->high = m->high;
		return "report";
	}
	if (cd->has_born)
		age = (double)(carelog__tz_local_day(cd->tz, m->t) - cd->born_day) / 365.25;
	if (carelog__default_range(&pt->has_low, &pt->low, &pt->has_high, &pt->high, m->code, age) == 0)
		return "default";
	return NULL;
}

void carelog__flag(carelog_trend_point *pt, const carelog__chartdata *cd, const carelog__meas *m)
{
	pt->range_source = range_for(pt, cd, m);
	if (pt->range_source == NULL)
		pt->flag = NULL;
	else if (pt->has_low && m->value < pt->low)
		pt->flag = "low";
	else if (pt->has_high && m->value > pt->high)
		pt->flag = "high";
	else
		pt->flag = "normal";
}

typedef struct {
	carelog_trend_series pub;
	carelog__strs strs;
} trend_impl;

/* The measurement code a trend asks for, or NULL with the error set. */
static const carelog__measure_code *trend_code(const carelog_clinical_options *opts)
{
	const carelog__measure_code *mc;
	if (opts == NULL || opts->code == NULL) {
		carelog__fail(CARELOG_EINVALID, "a measurement code is required for a trend");
		return NULL;
	}
	if ((mc = carelog__measure_code_find(opts->code)) == NULL)
		carelog__fail(CARELOG_EINVALID, "code '%.60s' is not a measurement code", opts->code);
	return mc;
}

int carelog__trend_of(carelog_trend_series **out, const carelog__chartdata *cd, const carelog_clinical_options *opts)
{
	trend_impl *r = NULL;
	const carelog__measure_code *mc;
	int64_t at, from, to;
	int rc, failed = 0;

	*out = NULL;
	if ((mc = trend_code(opts)) == NULL)
		return CARELOG_EINVALID;
	if ((rc = carelog__clinical_times(&at, &from, &to, cd, opts)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->pub.points = calloc(cd->nmeas + 1, sizeof(*r->pub.points))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	r->pub.code = mc->code;
	r->pub.unit = mc->unit;
	for (size_t i = 0; i < cd->nmeas; i++) {
		const carelog__meas *m = &cd->meas[i];
		carelog_trend_point *pt = &r->pub.points[r->pub.npoints];
		char t[CARELOG__TIME_BUFSIZE];
		if (strcmp(m->code, mc->code) != 0 || m->t < from || m->t >= to || m->t > at)
			continue;
		carelog__time_format(t, m->t);
		pt->record = carelog__keep(&r->strs, m->id, &failed);
		pt->time = carelog__keep(&r->strs, t, &failed);
		pt->value = m->value;
		pt->unit = mc->unit;
		carelog__flag(pt, cd, m);
		if (r->pub.npoints > 0) {
			pt->has_change = 1;
			pt->change = m->value - pt[-1].value;
		}
		r->pub.npoints++;
	}
	if (failed) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	*out = &r->pub;
	r = NULL;
done:
	carelog_trend_free(r ? &r->pub : NULL);
	return rc;
}

int carelog_trend(carelog_trend_series **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts)
{
	carelog__chartdata *cd = NULL;
	int rc;

	*out = NULL;
	/* a bad code is refused before the chart is read */
	if (trend_code(opts) == NULL)
		return carelog__store_result(s, CARELOG_EINVALID);
	rc = carelog__chartdata_load(&cd, s, patient);
	return carelog__chartdata_done(cd, s, rc < 0 ? rc : carelog__trend_of(out, cd, opts));
}

void carelog_trend_free(carelog_trend_series *t)
{
	trend_impl *r = (trend_impl *)t;
	if (r == NULL)
		return;
	free(r->pub.points);
	carelog__strs_free(&r->strs);
	free(r);
}

int carelog_trend_json(char **out, const carelog_trend_series *t)
{
	json_t *arr = json_array();
	*out = NULL;
	if (arr == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->npoints; i++) {
		const carelog_trend_point *p = &t->points[i];
		json_t *range = p->range_source
			? json_pack("{s:o,s:o,s:s}", "low", carelog__json_num_or_null(p->has_low, p->low),
				"high", carelog__json_num_or_null(p->has_high, p->high), "source", p->range_source)
			: json_null();
		json_array_append_new(arr, json_pack("{s:s,s:s,s:f,s:s,s:o,s:o?,s:o}", "record", p->record, "time", p->time,
			"value", p->value, "unit", p->unit, "flag", p->flag ? json_string(p->flag) : json_null(),
			"range", range, "change", carelog__json_num_or_null(p->has_change, p->change)));
	}
	carelog__json_canonicalize(arr);
	*out = carelog__json_dump(arr);
	json_decref(arr);
	return *out ? 0 : CARELOG_ENOMEM;
}
