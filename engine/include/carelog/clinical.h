/*
 * carelog/clinical.h - answers computed from a patient's chart: what is due,
 * adherence to medication plans, corticosteroid exposure, lab trends flagged
 * against ranges, and alerts from rules the clinic can tune per patient.
 *
 * docs/clinical.md explains every computation, its defaults and their
 * sources. These answers support care; they do not replace a clinician.
 *
 * Every computation reads the patient's current, active records (a record
 * marked entered-in-error counts for nothing) after bringing the index up to
 * date with the chart, so records that arrived by sync are included. Times
 * in results are RFC 3339 in UTC ("time") and, where useful, the patient's
 * local wall-clock time ("local", "YYYY-MM-DDTHH:MM" in the patient's
 * `timezone`). Each result is one allocation tree freed by its own free
 * function; its strings live as long as it does.
 *
 * Errors common to every computation: CARELOG_EINVALID (a bad id, time,
 * date, option or code), CARELOG_ENOTFOUND (unknown patient), CARELOG_ENOMEM,
 * CARELOG_EIO or CARELOG_ECORRUPT (the store or a time zone file could not be
 * read).
 */
#ifndef CARELOG_CLINICAL_H
#define CARELOG_CLINICAL_H

#include <stddef.h>

#include "common.h"
#include "store.h"

CARELOG_BEGIN_DECL

/** Options shared by the computations; each uses the fields it names. */
typedef struct {
	unsigned int version; /**< CARELOG_CLINICAL_OPTIONS_VERSION */
	const char *at;       /**< "now", RFC 3339; NULL = the current time. Nothing after it counts. */
	const char *from;     /**< "YYYY-MM-DD" in the patient's time zone, inclusive; NULL = from the start */
	const char *to;       /**< "YYYY-MM-DD" in the patient's time zone, exclusive; NULL = up to `at` */
	const char *drug;     /**< adherence: only this drug (any case); NULL = every drug */
	const char *code;     /**< trend: the measurement code, required */
} carelog_clinical_options;
#define CARELOG_CLINICAL_OPTIONS_VERSION 1
#define CARELOG_CLINICAL_OPTIONS_INIT { CARELOG_CLINICAL_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL }

/* ---- due ------------------------------------------------------------------ */

/** One scheduled intake of a plan. */
typedef struct {
	const char *time;  /**< UTC, RFC 3339 */
	const char *local; /**< the patient's wall-clock time, "YYYY-MM-DDTHH:MM" */
	double dose;       /**< the expected dose, taper applied, in the plan's unit */
} carelog_slot;

/** What one active plan expects now. */
typedef struct {
	const char *plan;       /**< the plan's record id */
	const char *drug;
	const char *unit;
	double dose_now;        /**< the dose expected today (taper applied); 0 once a taper stopped it */
	int window_minutes;     /**< how early or late a dose still fills a slot */
	int has_next;           /**< non-zero: `next` is set */
	carelog_slot next;      /**< the next slot not yet filled whose window has not closed */
	int next_open;          /**< non-zero: `next` is within its window now (due now) */
	carelog_slot *overdue;  /**< slots of the last 24 h past their window with no dose logged, oldest first */
	size_t noverdue;
} carelog_due_item;

/** carelog_due's answer. Free with carelog_due_free. */
typedef struct {
	const char *at;          /**< the "now" used, UTC */
	carelog_due_item *items; /**< one per plan with times active today, in plan order */
	size_t nitems;
} carelog_due_list;

/**
 * For each active plan with daily times: the next slot, the overdue ones and
 * the dose expected now. Uses opts->at only.
 * @param out receives the answer; free with carelog_due_free
 */
CARELOG_EXTERN(int) carelog_due(carelog_due_list **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts);
/** Frees carelog_due's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_due_free(carelog_due_list *d);
/** The answer as JSON (an array of plan objects); free *out with carelog_free. */
CARELOG_EXTERN(int) carelog_due_json(char **out, const carelog_due_list *d);

/* ---- adherence ------------------------------------------------------------ */

/** Adherence to one drug's plans. given + late + missed == scheduled. */
typedef struct {
	const char *drug;
	size_t scheduled; /**< slots in the period, up to now, whose window has closed or that a dose filled */
	size_t given;     /**< filled on time (within the window) by a given dose */
	size_t late;      /**< filled by a given dose after the window, the same local day */
	size_t missed;    /**< filled by a missed/refused/held dose, or with nothing logged */
	size_t extra;     /**< given doses that filled no slot (e.g. a double dose after a sync) */
	double percent;   /**< given / scheduled * 100, one decimal; -1 when nothing was scheduled */
} carelog_adherence_drug;

/** A dose whose amount or unit is not what its slot expected. */
typedef struct {
	const char *dose;      /**< the dose record id */
	const char *plan;      /**< the plan whose slot it filled */
	const char *drug;
	const char *time;      /**< when the dose was logged, UTC */
	const char *local;     /**< the slot's local time */
	double amount;
	const char *unit;
	double expected;       /**< the slot's dose (taper applied) */
	const char *expected_unit;
} carelog_dose_mismatch;

/** A slot that adherence counted late or missed. */
typedef struct {
	const char *drug;
	const char *plan;      /**< the plan's record id */
	const char *time;      /**< the slot's time, UTC */
	const char *local;     /**< the slot's time on the patient's clock, "YYYY-MM-DDTHH:MM" */
	int late;              /**< non-zero: filled late by a given dose; zero: missed */
	const char *dose;      /**< the dose that filled it; NULL when nothing was logged */
	const char *outcome;   /**< that dose's outcome ("given" when late; "missed", "refused" or "held"); NULL when nothing was logged */
} carelog_adherence_slot;

/** carelog_adherence's answer. Free with carelog_adherence_free. */
typedef struct {
	carelog_adherence_drug *drugs; /**< one per drug with a plan with times, by name */
	size_t ndrugs;
	carelog_dose_mismatch *mismatches; /**< doses that filled a slot with another amount, in time order */
	size_t nmismatches;
	carelog_adherence_slot *slots; /**< the slots counted late or missed, by drug then time */
	size_t nslots;
} carelog_adherence_report;

/**
 * Adherence per drug over [from, to) (the patient's local dates), counting
 * only slots up to opts->at. Uses at, from, to and drug.
 * @param out receives the answer; free with carelog_adherence_free
 */
CARELOG_EXTERN(int) carelog_adherence(carelog_adherence_report **out, carelog_store *s,
	const char *patient, const carelog_clinical_options *opts);
/** Frees carelog_adherence's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_adherence_free(carelog_adherence_report *a);
/**
 * The answer as JSON: an array with one object per drug, {"drug",
 * "scheduled", "given", "late", "missed", "extra", "percent" (null when
 * nothing was scheduled), "mismatches": [{"dose", "plan", "time", "slot",
 * "amount", "unit", "expected", "expected_unit"}], "late_slots": [{"slot",
 * "dose"}], "missed_slots": [{"slot", "dose", "outcome"}] (dose and outcome
 * null when nothing was logged)}; free *out with carelog_free.
 */
CARELOG_EXTERN(int) carelog_adherence_json(char **out, const carelog_adherence_report *a);

/* ---- corticosteroid exposure ---------------------------------------------- */

/** Exposure to one corticosteroid. */
typedef struct {
	const char *drug;
	size_t doses;                    /**< given doses counted */
	double amount_mg;                /**< as given, in mg of this drug */
	double factor;                   /**< prednisone mg per mg of this drug */
	double prednisone_equivalent_mg; /**< amount_mg * factor */
	double mg_per_kg;                /**< sum of each dose's equivalent / the weight nearest it */
} carelog_steroid_drug;

/** A given corticosteroid dose that could not be counted, and why. */
typedef struct {
	const char *dose;
	const char *reason;
} carelog_steroid_skip;

/** carelog_steroids's answer. Free with carelog_steroids_free. */
typedef struct {
	double prednisone_equivalent_mg; /**< cumulative, every given dose (a possible double dose too) */
	double mg_per_kg;                /**< cumulative, each dose over the weight nearest in time */
	int has_weight;                  /**< zero: no weight known, mg_per_kg is 0 and means nothing */
	size_t days;                     /**< local days with any steroid given */
	double current_daily_mg;         /**< prednisone equivalent per day the active plans expect on `at`'s day */
	double current_daily_mg_per_kg;  /**< the same over the weight nearest `at` (0 without a weight) */
	double last_24h_mg;              /**< prednisone equivalent given in the 24 h before `at` */
	double weight_kg;                /**< the weight nearest `at`, 0 if none */
	carelog_steroid_drug *drugs;     /**< per drug, by name; the totals are their sums */
	size_t ndrugs;
	carelog_steroid_skip *skipped;
	size_t nskipped;
} carelog_steroid_report;

/**
 * Cumulative corticosteroid exposure over [from, to) in prednisone
 * equivalents (docs/clinical.md has the table and its source). Uses at, from
 * and to.
 * @param out receives the answer; free with carelog_steroids_free
 */
CARELOG_EXTERN(int) carelog_steroids(carelog_steroid_report **out, carelog_store *s,
	const char *patient, const carelog_clinical_options *opts);
/** Frees carelog_steroids's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_steroids_free(carelog_steroid_report *r);
/** The answer as JSON; free *out with carelog_free. */
CARELOG_EXTERN(int) carelog_steroids_json(char **out, const carelog_steroid_report *r);

/**
 * Prednisone mg equivalent to 1 mg of `drug` (e.g. 1.25 for
 * methylprednisolone), or 0 if carelog does not count `drug` as a systemic
 * corticosteroid.
 */
CARELOG_EXTERN(double) carelog_prednisone_factor(const char *drug);

/* ---- lab trends ------------------------------------------------------------ */

/** One measurement of a trend. */
typedef struct {
	const char *record;
	const char *time;
	double value;
	const char *unit;
	const char *flag;         /**< "low", "normal", "high", or NULL when no range applies */
	const char *range_source; /**< "target", "report", "default", or NULL */
	int has_low, has_high;
	double low, high;         /**< the range the flag used */
	int has_change;           /**< zero for the first point */
	double change;            /**< value minus the previous value */
} carelog_trend_point;

/** carelog_trend's answer. Free with carelog_trend_free. */
typedef struct {
	const char *code;
	const char *unit;
	carelog_trend_point *points; /**< oldest first */
	size_t npoints;
} carelog_trend_series;

/**
 * The measurements of opts->code over [from, to), each flagged against the
 * patient's target for the code, else the lab report's range, else the
 * documented default (age-appropriate where children differ).
 * @param out receives the answer; free with carelog_trend_free
 */
CARELOG_EXTERN(int) carelog_trend(carelog_trend_series **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts);
/** Frees carelog_trend's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_trend_free(carelog_trend_series *t);
/** The answer as JSON; free *out with carelog_free. */
CARELOG_EXTERN(int) carelog_trend_json(char **out, const carelog_trend_series *t);

/* ---- alerts ----------------------------------------------------------------- */

/** A rule's defaults, as docs/clinical.md lists them. */
typedef struct {
	const char *id;        /**< e.g. "platelets-low" */
	const char *what;      /**< one line for people */
	double threshold;      /**< its meaning depends on the rule (a value, a count, days) */
	const char *severity;  /**< "info", "warning" or "urgent" */
	int lookback_days;     /**< how far before `at` it looks */
	const char *source;    /**< where the default comes from */
} carelog_rule_info;

/**
 * The built-in rules, in a fixed order; static storage, never freed.
 * @param n receives how many there are
 */
CARELOG_EXTERN(const carelog_rule_info *) carelog_rules(size_t *n);

/** One alert raised. */
typedef struct {
	const char *rule;        /**< the rule id */
	const char *severity;    /**< "info", "warning" or "urgent" */
	const char *message;     /**< plain words for a parent */
	const char *time;        /**< when the triggering record happened, UTC */
	const char **records;    /**< the ids of the records that raised it */
	size_t nrecords;
} carelog_alert;

/** carelog_alerts's answer. Free with carelog_alerts_free. */
typedef struct {
	carelog_alert *alerts;   /**< urgent first, then warning, then info; newest first within each */
	size_t nalerts;
} carelog_alert_list;

/**
 * Evaluates every enabled rule (defaults, or the patient's latest `rule`
 * record for the rule) as of opts->at. Uses at only.
 * @param out receives the answer; free with carelog_alerts_free
 */
CARELOG_EXTERN(int) carelog_alerts(carelog_alert_list **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts);
/** Frees carelog_alerts's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_alerts_free(carelog_alert_list *l);
/** The answer as a JSON array; free *out with carelog_free. */
CARELOG_EXTERN(int) carelog_alerts_json(char **out, const carelog_alert_list *l);

/** A rule as in force for one patient: its defaults, or its latest `rule` record. */
typedef struct {
	const char *id;
	const char *what;
	double threshold;
	const char *severity;
	int lookback_days;
	int enabled;
	const char *record;    /**< the patient's rule record in force, or NULL (the defaults) */
} carelog_rule_setting;

/** carelog_rule_settings's answer. Free with carelog_rule_settings_free. */
typedef struct {
	carelog_rule_setting *rules; /**< every rule, in carelog_rules() order */
	size_t nrules;
} carelog_rule_setting_list;

/**
 * Every rule as in force for the patient.
 * @param out receives the answer; free with carelog_rule_settings_free
 */
CARELOG_EXTERN(int) carelog_rule_settings(carelog_rule_setting_list **out, carelog_store *s, const char *patient);
/** Frees carelog_rule_settings's answer; NULL does nothing. */
CARELOG_EXTERN(void) carelog_rule_settings_free(carelog_rule_setting_list *l);
/** The answer as a JSON array; free *out with carelog_free. */
CARELOG_EXTERN(int) carelog_rule_settings_json(char **out, const carelog_rule_setting_list *l);

/* ---- writing targets and rule overrides ------------------------------------ */

/** A per-patient target range for a measurement code, set by the clinic. */
typedef struct {
	unsigned int version;  /**< CARELOG_TARGET_VERSION */
	const char *patient;
	const char *code;      /**< a measurement code, e.g. "sirolimus-trough" */
	int has_low;
	double low;            /**< in the code's canonical unit */
	int has_high;
	double high;
	const char *note;
	const char *at;        /**< NULL = now */
} carelog_target;
#define CARELOG_TARGET_VERSION 1
#define CARELOG_TARGET_INIT { CARELOG_TARGET_VERSION, NULL, NULL, 0, 0, 0, 0, NULL, NULL }

/** Writes a `target` record; the latest target of a code is the one in force. */
CARELOG_EXTERN(int) carelog_target_set(char *out_id, carelog_store *s, const carelog_target *t);

/** A per-patient override of one rule. Fields not given take the rule's defaults. */
typedef struct {
	unsigned int version;  /**< CARELOG_RULE_OVERRIDE_VERSION */
	const char *patient;
	const char *rule;      /**< a rule id of carelog_rules */
	int has_threshold;
	double threshold;
	const char *severity;  /**< "info", "warning", "urgent", or NULL */
	int off;               /**< non-zero: the rule raises nothing for this patient */
	int lookback_days;     /**< 1-365; 0 = the default */
	const char *note;
	const char *at;        /**< NULL = now */
} carelog_rule_override;
#define CARELOG_RULE_OVERRIDE_VERSION 1
#define CARELOG_RULE_OVERRIDE_INIT { CARELOG_RULE_OVERRIDE_VERSION, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL }

/** Writes a `rule` record; the latest one of a rule id is the one in force. */
CARELOG_EXTERN(int) carelog_rule_set(char *out_id, carelog_store *s, const carelog_rule_override *r);

CARELOG_END_DECL

#endif
