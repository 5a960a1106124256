/*
 * carelog/report.h - the visit report: one self-contained HTML page about a
 * patient over a period, for a clinic visit (issue 6).
 *
 * The page holds the patient (age, weight, asplenic, the plans running
 * now with their current taper step), adherence per drug with the late and
 * missed slots, cumulative corticosteroid exposure, charts of platelets,
 * hemoglobin, neutrophils (ANC), lymphocytes and the sirolimus trough with
 * the range each point was flagged against shaded and flagged points
 * marked, the symptoms with their severity, the open alerts, the open
 * conflicts and the records marked entered-in-error. docs/report.md says
 * where each number comes from.
 *
 * Every number is taken from the answers of carelog/clinical.h and
 * carelog/sync.h (carelog_adherence, carelog_steroids, carelog_trend,
 * carelog_alerts, carelog_conflicts) for the same period and "now", so the
 * report says what `carelog adherence`, `steroids`, `trend` and `alerts`
 * say. The page loads nothing (no script, no image, no font, no link: CSS
 * and SVG are inline), every text from a record is HTML-escaped, and its
 * print stylesheet fits a patient's 90 days on one or two A4 or Letter
 * pages.
 *
 * A report is a snapshot: carelog_report_build reads everything at once;
 * later writes do not change it. It belongs to one thread at a time.
 */
#ifndef CARELOG_REPORT_H
#define CARELOG_REPORT_H

#include "common.h"
#include "store.h"

CARELOG_BEGIN_DECL

/** How many days a report covers when `from` is not given. */
#define CARELOG_REPORT_DEFAULT_DAYS 90

/** Options of carelog_report_build. */
typedef struct {
	unsigned int version; /**< CARELOG_REPORT_OPTIONS_VERSION */
	/** "now", RFC 3339; NULL = the current time. Nothing logged after it
	 *  counts; the current plans, the weight and the alerts are as of it. */
	const char *at;
	/** First day, "YYYY-MM-DD" in the patient's time zone, inclusive; NULL =
	 *  CARELOG_REPORT_DEFAULT_DAYS days before `to` (before the local day of
	 *  `at` when `to` is NULL). */
	const char *from;
	/** Last day, "YYYY-MM-DD" in the patient's time zone, exclusive; NULL =
	 *  up to `at`. */
	const char *to;
} carelog_report_options;

#define CARELOG_REPORT_OPTIONS_VERSION 1
#define CARELOG_REPORT_OPTIONS_INIT { CARELOG_REPORT_OPTIONS_VERSION, NULL, NULL, NULL }

/** A built visit report. Opaque; free with carelog_report_free. */
typedef struct carelog_report carelog_report;

/**
 * Reads everything the report shows about `patient` over the period, as of
 * opts->at: the patient record and plans, then the answers of
 * carelog_adherence, carelog_steroids, carelog_trend for each charted code
 * and carelog_alerts with the same period and time (computed as those
 * functions compute them, from one read of the chart), carelog_conflicts,
 * and the symptoms and entered-in-error records of the period
 * (carelog_timeline).
 *
 * @param out     receives the report; free it with carelog_report_free. Set
 *                to NULL on failure.
 * @param opts    may be NULL for the defaults
 * @return 0; CARELOG_EINVALID for a malformed patient id, time or date, a
 *         `to` before `from`, or an unsupported options version;
 *         CARELOG_ENOTFOUND for an unknown patient; CARELOG_ENOMEM;
 *         CARELOG_EIO or CARELOG_ECORRUPT when the store or a time zone file
 *         cannot be read.
 */
CARELOG_EXTERN(int) carelog_report_build(carelog_report **out, carelog_store *s, const char *patient,
	const carelog_report_options *opts);

/** The first day of the period, "YYYY-MM-DD" (inclusive), valid while `r` lives. */
CARELOG_EXTERN(const char *) carelog_report_from(const carelog_report *r);

/** The day after the period, "YYYY-MM-DD" (exclusive), or NULL when the period
 *  runs up to carelog_report_at. Valid while `r` lives. */
CARELOG_EXTERN(const char *) carelog_report_to(const carelog_report *r);

/** The report's "now", RFC 3339 in UTC, valid while `r` lives. */
CARELOG_EXTERN(const char *) carelog_report_at(const carelog_report *r);

/**
 * The report as one HTML document (UTF-8, no external resources).
 * @param out receives the text; free it with carelog_free. NULL on failure.
 * @return 0; CARELOG_ENOMEM.
 */
CARELOG_EXTERN(int) carelog_report_html(char **out, const carelog_report *r);

/**
 * Writes the HTML document to `file` atomically and durably: a temp file in
 * the same directory, fsynced, renamed over `file`, the directory fsynced.
 * The file holds health records, so it is created readable by its owner
 * only. On failure no partial file is left and an existing `file` is as it
 * was.
 * @return 0; CARELOG_EINVALID for a missing or empty file name;
 *         CARELOG_EIO when the file cannot be written; CARELOG_ENOMEM.
 */
CARELOG_EXTERN(int) carelog_report_write(const carelog_report *r, const char *file);

/** Frees a report. carelog_report_free(NULL) does nothing. */
CARELOG_EXTERN(void) carelog_report_free(carelog_report *r);

CARELOG_END_DECL

#endif
