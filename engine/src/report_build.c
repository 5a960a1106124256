/*
 * report_build.c - gathering a visit report: the period, then the answers of
 * the clinical computations and of the conflicts list for it (the same
 * code the commands run, on one load of the chart, never computed again
 * here: the report says what the commands say, from one snapshot), the
 * period's symptoms and entered-in-error records; and the report's
 * accessors, file writing and free.
 */
#include <stdlib.h>
#include <string.h>

#include "carelog/query.h"
#include "carelog/sync.h"
#include "error.h"
#include "json_canon.h"
#include "report_internal.h"
#include "store_internal.h"
#include "tz.h"

const char *const carelog__report_codes[CARELOG__REPORT_NCODES] = {
	"platelets", "hemoglobin", "neutrophils", "lymphocytes", "sirolimus-trough",
};

/* Resolves the period: `at` (now by default), `from` (by default
 * CARELOG_REPORT_DEFAULT_DAYS days before `to`, or before the local day of
 * `at`), `to`; checks them as the clinical computations do and fills *co
 * with the same texts for every computation. */
static int period(carelog_report *r, carelog_clinical_options *co, const carelog_report_options *opts)
{
	int64_t day;
	int rc;

	if (opts && opts->version != CARELOG_REPORT_OPTIONS_VERSION)
		return carelog__fail(CARELOG_EINVALID, "carelog_report_options version %u is not supported (expected %u)",
			opts->version, CARELOG_REPORT_OPTIONS_VERSION);
	if (opts && opts->at) {
		if ((rc = carelog__time_parse(&r->at, opts->at, "at")) < 0)
			return rc;
	} else {
		r->at = carelog__now_ms();
	}
	/* every computation gets the same instant, to the millisecond */
	carelog__time_format(r->at_text, r->at);
	r->today = carelog__tz_local_day(r->cd->tz, r->at);
	day = r->today;
	if (opts && opts->to) {
		if ((rc = carelog__date_parse(&day, opts->to, "to")) < 0)
			return rc;
		carelog__date_format(r->to_text, day);
	}
	if (opts && opts->from) {
		if ((rc = carelog__date_parse(&day, opts->from, "from")) < 0)
			return rc;
	} else {
		day -= CARELOG_REPORT_DEFAULT_DAYS;
	}
	carelog__date_format(r->from_text, day);
	co->at = r->at_text;
	co->from = r->from_text;
	co->to = r->to_text[0] ? r->to_text : NULL;
	if ((rc = carelog__clinical_times(&r->at, &r->from, &r->to, r->cd, co)) < 0)
		return rc;
	r->end = r->to < r->at ? r->to : r->at;
	if (r->end <= r->from) /* a period that ends before it starts to count: one day wide */
		r->end = r->from + CARELOG__DAY_MS;
	return 0;
}

typedef struct {
	json_t *keep;
	int voided; /* 1: keep the entered-in-error ones only */
} collect_ctx;

static int collect(const carelog_record *rec, void *payload)
{
	collect_ctx *c = payload;
	json_t *o;
	if (c->voided && strcmp(carelog_record_status(rec), "entered-in-error") != 0)
		return 0;
	if ((o = carelog__json_parse_object(carelog_record_json(rec), "record")) == NULL)
		return 1;
	if (json_array_append_new(c->keep, o) != 0) {
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

/* The period's records (entered-in-error ones only with `voided`), parsed. */
static int records(json_t **out, carelog_store *s, const carelog_report *r, const char *kind, int voided)
{
	carelog_timeline_options to = CARELOG_TIMELINE_OPTIONS_INIT;
	char since[CARELOG__TIME_BUFSIZE], until[CARELOG__TIME_BUFSIZE];
	collect_ctx c = { json_array(), voided };
	int rc;

	if (c.keep == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	carelog__time_format(since, r->from);
	/* the computations count what happened before `to` and not after `at` */
	carelog__time_format(until, r->to <= r->at ? r->to : r->at + 1);
	to.since = since;
	to.until = until;
	to.kind = kind;
	to.include_voided = voided;
	rc = carelog_timeline_foreach(s, r->cd->patient, &to, collect, &c);
	if (rc > 0) /* collect stopped it, with the error set */
		rc = carelog__last_code();
	if (rc < 0) {
		json_decref(c.keep);
		return rc;
	}
	*out = c.keep;
	return 0;
}

static int conflicts(json_t **out, carelog_store *s, const char *patient)
{
	carelog_conflict_list *l = NULL;
	json_t *arr;
	int rc;

	if ((rc = carelog_conflicts(&l, s, patient)) < 0)
		return rc;
	if ((arr = json_array()) == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < carelog_conflict_count(l); i++) {
		json_t *o = carelog__json_parse_object(carelog_conflict_json(l, i), "conflict");
		if (o == NULL || json_array_append_new(arr, o) != 0)
			rc = o ? carelog__fail(CARELOG_ENOMEM, "out of memory") : carelog__last_code();
	}
	carelog_conflict_list_free(l);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* The computations of carelog_adherence, carelog_steroids, carelog_trend and
 * carelog_alerts on the one chart load, then what else the page lists. */
static int gather(carelog_report *r, carelog_store *s, carelog_clinical_options *co)
{
	const char *p = r->cd->patient;
	int rc;

	if ((rc = carelog__adherence_of(&r->adherence, r->cd, co)) < 0 ||
	    (rc = carelog__steroids_of(&r->steroids, r->cd, co)) < 0)
		return rc;
	for (size_t i = 0; i < CARELOG__REPORT_NCODES; i++) {
		co->code = carelog__report_codes[i];
		if ((rc = carelog__trend_of(&r->trends[i], r->cd, co)) < 0)
			return rc;
	}
	co->code = NULL;
	if ((rc = carelog__alerts_of(&r->alerts, r->cd, co)) < 0 || (rc = conflicts(&r->conflicts, s, p)) < 0 ||
	    (rc = records(&r->symptoms, s, r, "symptom", 0)) < 0 || (rc = records(&r->voided, s, r, NULL, 1)) < 0)
		return rc;
	return 0;
}

int carelog_report_build(carelog_report **out, carelog_store *s, const char *patient,
	const carelog_report_options *opts)
{
	carelog_clinical_options co = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_report *r;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return carelog__store_result(s, carelog__fail(CARELOG_ENOMEM, "out of memory"));
	if ((rc = carelog__chartdata_load(&r->cd, s, patient)) < 0 || (rc = period(r, &co, opts)) < 0 ||
	    (rc = gather(r, s, &co)) < 0) {
		carelog_report_free(r);
		return carelog__store_result(s, rc);
	}
	*out = r;
	return 0;
}

const char *carelog_report_from(const carelog_report *r)
{
	return r->from_text;
}

const char *carelog_report_to(const carelog_report *r)
{
	return r->to_text[0] ? r->to_text : NULL;
}

const char *carelog_report_at(const carelog_report *r)
{
	return r->at_text;
}

int carelog_report_write(const carelog_report *r, const char *file)
{
	char *html = NULL;
	int rc;

	if (file == NULL || file[0] == '\0')
		return carelog__fail(CARELOG_EINVALID, "a file name is required for the report");
	if ((rc = carelog_report_html(&html, r)) < 0)
		return rc;
	rc = carelog__write_file_durable(file, html, strlen(html));
	carelog_free(html);
	return rc;
}

void carelog_report_free(carelog_report *r)
{
	if (r == NULL)
		return;
	carelog_adherence_free(r->adherence);
	carelog_steroids_free(r->steroids);
	for (size_t i = 0; i < CARELOG__REPORT_NCODES; i++)
		carelog_trend_free(r->trends[i]);
	carelog_alerts_free(r->alerts);
	json_decref(r->conflicts);
	json_decref(r->symptoms);
	json_decref(r->voided);
	carelog__chartdata_free(r->cd);
	free(r);
}
