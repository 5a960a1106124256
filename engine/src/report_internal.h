/*
 * report_internal.h - the visit report's insides: what carelog_report_build
 * gathered (report_build.c), and the pieces that write it as HTML: text
 * escaping and number formats (report_text.c), the page (report_html.c),
 * its blocks (report_patient.c, report_doses.c, report_review.c), the lab
 * charts (report_chart.c) and the symptom timeline (report_symptoms.c).
 */
#ifndef CARELOG_REPORT_INTERNAL_H
#define CARELOG_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "carelog/clinical.h"
#include "carelog/report.h"
#include "clinical_internal.h"
#include "error.h"
#include "timeutil.h"

/* The lab codes the report charts, in page order. */
#define CARELOG__REPORT_NCODES 5
extern const char *const carelog__report_codes[CARELOG__REPORT_NCODES];

struct carelog_report {
	carelog__chartdata *cd;   /* the patient, the plans and the time zone */
	int64_t at, from, to;     /* ms; to = INT64_MAX when the period runs up to `at` */
	int64_t end;              /* the right edge of the charts: the earlier of `to` and `at` */
	int64_t today;            /* the local day of `at` */
	char at_text[CARELOG__TIME_BUFSIZE];
	char from_text[CARELOG__DATE_BUFSIZE];
	char to_text[CARELOG__DATE_BUFSIZE];  /* "" when the period runs up to `at` */
	carelog_adherence_report *adherence;
	carelog_steroid_report *steroids;
	carelog_trend_series *trends[CARELOG__REPORT_NCODES];
	carelog_alert_list *alerts;
	json_t *conflicts;        /* carelog_conflicts' objects, parsed */
	json_t *symptoms;         /* the period's active symptom records, oldest first */
	json_t *voided;           /* the period's records marked entered-in-error, oldest first */
};

/* ---- text (report_text.c) ---- */

/* Writes `s` HTML-escaped (& < > " '), fit for text and quoted attribute
 * values; control characters other than tab and newline become spaces.
 * NULL writes nothing. */
void carelog__html_text(FILE *f, const char *s);

/* As carelog__html_text, at most `max` bytes of `s` (cut at a character
 * boundary, with an ellipsis when cut). */
void carelog__html_text_cut(FILE *f, const char *s, size_t max);

/* printf, then escaped: for text put together from record fields. */
void carelog__html_textf(FILE *f, const char *fmt, ...) CARELOG__PRINTF(2, 3);

/* Opens a table row keyed by `name` and its heading cell:
 * <tr data-ATTR="NAME"><th>NAME (escaped), the <th> left open. */
void carelog__html_row_head(FILE *f, const char *attr, const char *name);

/* "Jan" to "Dec" for 1 to 12. */
const char *carelog__month_abbr(unsigned month);

/* A number with at most `decimals` decimals, trailing zeros dropped
 * ("105", "2537.5", "5.25"). */
#define CARELOG__NUM_BUFSIZE 48
const char *carelog__report_num(char out[CARELOG__NUM_BUFSIZE], double v, int decimals);

/* "YYYY-MM-DD HH:MM" on the patient's clock. */
const char *carelog__report_local(char out[CARELOG__LOCAL_BUFSIZE], const carelog_report *r, int64_t ms);

/* As carelog__report_local, of an RFC 3339 time ("" if it does not parse). */
const char *carelog__report_local_of(char out[CARELOG__LOCAL_BUFSIZE], const carelog_report *r, const char *time);

/* ---- charts (report_chart.c) ---- */

/* Ticks and labels of the period along a plot from x `left` to `right`
 * (SVG units), gridlines from `top` to `bottom`, labels below it: the first
 * of each month, or every 7 days (every day) when the period is at most 45
 * (10) days long. */
void carelog__report_time_axis(FILE *f, const carelog_report *r, double left, double right, double top, double bottom);

/* ---- sections (report_patient.c, report_doses.c, report_review.c,
 * report_chart.c, report_symptoms.c) ---- */

void carelog__report_patient(FILE *f, const carelog_report *r);
void carelog__report_plans(FILE *f, const carelog_report *r);
void carelog__report_adherence(FILE *f, const carelog_report *r);
void carelog__report_steroids(FILE *f, const carelog_report *r);
void carelog__report_alerts(FILE *f, const carelog_report *r);
void carelog__report_conflicts(FILE *f, const carelog_report *r);
void carelog__report_voided(FILE *f, const carelog_report *r);
void carelog__report_labs(FILE *f, const carelog_report *r);
/* 0, or CARELOG_ENOMEM. */
int carelog__report_symptoms(FILE *f, const carelog_report *r);

#endif
