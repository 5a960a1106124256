/*
 * carelog/query.h - reading records: one record, its history, a patient's
 * timeline, the patients of a store.
 *
 * Queries answer from the SQLite index after bringing it up to date with the
 * chart heads (cost proportional to what changed since the last query).
 */
#ifndef CARELOG_QUERY_H
#define CARELOG_QUERY_H

#include "common.h"
#include "store.h"
#include "record.h"

CARELOG_BEGIN_DECL

/**
 * The current version of a record.
 * @param out receives the record; free with carelog_record_free
 * @return 0; CARELOG_EINVALID if `id` is not of the generated form;
 *         CARELOG_ENOTFOUND if no chart holds it.
 */
CARELOG_EXTERN(int) carelog_record_get(carelog_record **out, carelog_store *s, const char *id);

/**
 * Every version of a record, oldest first, each with the commit that wrote it
 * (carelog_record_commit).
 * @param out receives the list; free with carelog_record_list_free
 * @return 0; CARELOG_EINVALID; CARELOG_ENOTFOUND.
 */
CARELOG_EXTERN(int) carelog_record_history(carelog_record_list **out, carelog_store *s, const char *id);

/**
 * Every patient record of the store, ordered by name then id.
 * @param out receives the list; free with carelog_record_list_free
 */
CARELOG_EXTERN(int) carelog_patient_list(carelog_record_list **out, carelog_store *s);

/** Options for carelog_timeline. */
typedef struct {
	unsigned int version;   /**< CARELOG_TIMELINE_OPTIONS_VERSION */
	const char *since;      /**< RFC 3339, inclusive; NULL = from the start */
	const char *until;      /**< RFC 3339, exclusive; NULL = to the end */
	const char *kind;       /**< only this kind; NULL = plan, dose, symptom, measurement, note, target and rule */
	int include_voided;     /**< non-zero: entered-in-error records too */
} carelog_timeline_options;
#define CARELOG_TIMELINE_OPTIONS_VERSION 1
#define CARELOG_TIMELINE_OPTIONS_INIT { CARELOG_TIMELINE_OPTIONS_VERSION, NULL, NULL, NULL, 0 }

/**
 * Called once per record by carelog_timeline_foreach, oldest first.
 * The record is valid only during the call. Return non-zero to stop.
 */
typedef int (*carelog_record_cb)(const carelog_record *r, void *payload);

/**
 * A patient's current records (not the patient and care-team records),
 * oldest first (by time, then id), entered-in-error ones only when asked.
 * @return 0; CARELOG_EINVALID (bad id, time or kind); CARELOG_ENOTFOUND
 *         (unknown patient); or the callback's non-zero value if it stopped.
 */
CARELOG_EXTERN(int) carelog_timeline_foreach(carelog_store *s, const char *patient,
	const carelog_timeline_options *opts, carelog_record_cb cb, void *payload);

/** As carelog_timeline_foreach, collected into a list (free with carelog_record_list_free). */
CARELOG_EXTERN(int) carelog_timeline(carelog_record_list **out, carelog_store *s,
	const char *patient, const carelog_timeline_options *opts);

CARELOG_END_DECL

#endif
