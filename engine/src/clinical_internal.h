/*
 * clinical_internal.h - what the clinical computations share: a patient's
 * chart loaded once (clinical_load.c), the slots of its plans matched with
 * its doses (clinical_schedule.c), string keeping for results, and the rule
 * table (clinical_rules.c).
 */
#ifndef CARELOG_CLINICAL_INTERNAL_H
#define CARELOG_CLINICAL_INTERNAL_H

#include <stdint.h>

#include <jansson.h>

#include "carelog/clinical.h"
#include "tz.h"

#define CARELOG__DAY_MS 86400000LL
#define CARELOG__DEFAULT_WINDOW_MIN 60
#define CARELOG__NO_END INT64_MAX

/* ---- the loaded chart ---- */

typedef struct {
	const char *id, *drug, *unit;
	double dose;
	int ntimes;
	int minutes[12];       /* local minutes after midnight, increasing */
	int64_t start, end;    /* local days, inclusive; end = CARELOG__NO_END when open */
	int64_t *taper_day;
	double *taper_dose;
	size_t ntaper;
	int window_min;
} carelog__plan;

typedef struct {
	const char *id, *drug, *unit, *outcome, *plan, *device, *author;
	double amount;
	int64_t t;             /* ms */
	int given;             /* outcome "given" */
} carelog__dose;

typedef struct {
	const char *id, *code, *unit;
	double value;
	int has_low, has_high;
	double low, high;
	int64_t t;
} carelog__meas;

typedef struct {
	const char *id, *code;
	int has_low, has_high;
	double low, high;
	int64_t t;
} carelog__target_rec;

typedef struct {
	const char *id, *rule, *severity;
	int has_threshold;
	double threshold;
	int enabled, lookback_days;
	int64_t t;
} carelog__rule_rec;

/* One patient's active records, in time order, parsed. */
typedef struct {
	json_t *records;        /* owns every string below */
	carelog__tz *tz;
	const char *patient, *name, *tzname;
	int has_weight;
	double weight_kg;
	int has_born;
	int64_t born_day;
	int asplenic;
	carelog__plan *plans;
	size_t nplans;
	carelog__dose *doses;
	size_t ndoses;
	carelog__meas *meas;
	size_t nmeas;
	size_t *weights;        /* indexes of the weight measurements in meas, in time order */
	size_t nweights;
	carelog__target_rec *targets;
	size_t ntargets;
	carelog__rule_rec *rules;
	size_t nrules;
} carelog__chartdata;

/* Loads `patient`'s active records after catching the index up. */
int carelog__chartdata_load(carelog__chartdata **out, carelog_store *s, const char *patient);
void carelog__chartdata_free(carelog__chartdata *cd);

/* The end of a public computation: frees `cd` (NULL does nothing) and
 * returns rc, the error copied into `s`. */
int carelog__chartdata_done(carelog__chartdata *cd, carelog_store *s, int rc);

/* The instants of the options, as ms: at (now by default), from (local
 * midnight of `from`, or INT64_MIN) and to (local midnight of `to`, or
 * INT64_MAX). Checks the options' version. */
int carelog__clinical_times(int64_t *at, int64_t *from, int64_t *to, const carelog__chartdata *cd,
	const carelog_clinical_options *opts);

/* "YYYY-MM-DDTHH:MM" in the patient's zone. */
#define CARELOG__LOCAL_BUFSIZE 24
void carelog__local_format(char out[CARELOG__LOCAL_BUFSIZE], const carelog__tz *tz, int64_t ms);

/* The weight (kg) nearest in time to `ms`: weight measurements, else the
 * patient's weight_kg; 0 when none is known. */
double carelog__weight_near(const carelog__chartdata *cd, int64_t ms);

/* ---- the computations on a loaded chart ---- */

/* carelog_adherence, carelog_steroids, carelog_trend and carelog_alerts
 * load the chart, call these and free it; the visit report loads it once
 * for all four, so that its figures come from one snapshot of the chart.
 * Each returns 0 or an error code (not yet copied into a store). */
int carelog__adherence_of(carelog_adherence_report **out, const carelog__chartdata *cd,
	const carelog_clinical_options *opts);
int carelog__steroids_of(carelog_steroid_report **out, const carelog__chartdata *cd,
	const carelog_clinical_options *opts);
int carelog__trend_of(carelog_trend_series **out, const carelog__chartdata *cd, const carelog_clinical_options *opts);
int carelog__alerts_of(carelog_alert_list **out, const carelog__chartdata *cd, const carelog_clinical_options *opts);

/* ---- plans, slots, matching ---- */

/* The plan's dose on local day `day` (taper applied). */
double carelog__plan_dose_on(const carelog__plan *p, int64_t day);

enum { CARELOG__SLOT_OPEN, CARELOG__SLOT_GIVEN, CARELOG__SLOT_LATE, CARELOG__SLOT_MISSED };
enum {
	CARELOG__DOSE_SLOT,     /* filled a slot */
	CARELOG__DOSE_EXTRA,    /* given, filled no slot of a drug that has timed plans */
	CARELOG__DOSE_OTHER     /* as needed, of a drug without timed plans, or not given and unmatched */
};

typedef struct {
	size_t plan;           /* index into cd->plans */
	const char *drug;      /* the plan's */
	int64_t t, day;        /* ms; local day */
	double dose;
	int64_t window_ms;
	int state;
	long filled_by;        /* index into cd->doses, -1 when none */
} carelog__slot;

typedef struct {
	int state;
	long slot;             /* CARELOG__DOSE_SLOT: the slot it filled */
	long twin;             /* CARELOG__DOSE_EXTRA within a filled slot's window: the dose that filled it, else -1 */
} carelog__dose_match;

typedef struct {
	carelog__slot *slots;  /* by drug, then time */
	size_t nslots;
	carelog__dose_match *match; /* parallel to cd->doses; doses after `at` are CARELOG__DOSE_OTHER */
} carelog__schedule;

/* Expands every timed plan's slots up to `until` (ms) and matches the doses
 * logged up to `at` with them (docs/clinical.md, "Matching doses"). */
int carelog__schedule_build(carelog__schedule *out, const carelog__chartdata *cd, int64_t at, int64_t until);
void carelog__schedule_free(carelog__schedule *sc);

/* Non-zero if the slot counts as missed at `at`: filled by a missed,
 * refused or held dose, or open with its window closed. */
int carelog__slot_missed(const carelog__slot *sl, int64_t at);

/* ---- strings results keep ---- */

typedef struct {
	char **v;
	size_t n, cap;
} carelog__strs;

/* A copy of `s` that lives until carelog__strs_free; NULL stays NULL. Sets
 * *failed on allocation failure (and returns ""). */
const char *carelog__keep(carelog__strs *k, const char *s, int *failed);
void carelog__strs_free(carelog__strs *k);

/* The entry named `name` of the array *v of *n entries of `size` bytes,
 * sorted by name, whose first member is the name (const char *); inserted
 * zeroed, named with a kept copy, when absent. NULL with *failed set when
 * out of memory. *v is the array, replaced when it grows. */
void *carelog__named_entry(void **v, size_t *n, size_t size, const char *name, carelog__strs *k, int *failed);

/* ---- steroids ---- */

/* Prednisone mg per mg of `drug`; 0 if not a systemic corticosteroid. */
double carelog__steroid_factor(const char *drug);
/* Non-zero if `drug` suppresses the immune system (corticosteroids included). */
int carelog__immunosuppressant(const char *drug);

/* ---- rules ---- */

typedef struct {
	const char *code;       /* lab/vital rules: the measurement code; NULL for the others */
	int below;              /* fires when value < threshold (else when >= threshold) */
	const char *supersedes; /* a rule this one replaces when both fire on one reading */
} carelog__rule_logic;

/* Index of rule `id` in carelog_rules(), or -1. */
int carelog__rule_index(const char *id);
const carelog__rule_logic *carelog__rule_logic_of(int index);

/* ---- ranges ---- */

/* The documented default range of `code` for a patient of `age_years`
 * (negative when unknown); 0 and the bounds, or -1 when there is none. */
int carelog__default_range(int *has_low, double *low, int *has_high, double *high, const char *code,
	double age_years);

/* Flags measurement `m`: sets pt's range, range_source and flag. */
void carelog__flag(carelog_trend_point *pt, const carelog__chartdata *cd, const carelog__meas *m);

/* Grows the array *v of *n entries of `size` bytes by one zeroed entry at
 * its end and returns it; NULL with CARELOG_ENOMEM set when out of memory
 * (*v and *n are then as they were). */
void *carelog__append(void **v, size_t *n, size_t size);

/* JSON helpers for results: a number that is null when `has` is 0. */
json_t *carelog__json_num_or_null(int has, double v);

#endif
