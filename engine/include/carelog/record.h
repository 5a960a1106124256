/*
 * carelog/record.h - a record version as the library hands it out, and lists
 * of them.
 *
 * A record is one JSON object in canonical form (sorted keys, no whitespace,
 * integers as integers, other numbers with up to 15 significant digits). Its
 * fields are documented kind by kind in docs/records.md. Handles are
 * read-only snapshots: later writes do not change them. A handle (and a
 * list) belongs to one thread at a time, like the store it came from.
 */
#ifndef CARELOG_RECORD_H
#define CARELOG_RECORD_H

#include "common.h"

CARELOG_BEGIN_DECL

/** One version of one record. Free with carelog_record_free. */
typedef struct carelog_record carelog_record;

/** An ordered list of record versions. Free with carelog_record_list_free. */
typedef struct carelog_record_list carelog_record_list;

/** The record's id (36 lower-case characters). */
CARELOG_EXTERN(const char *) carelog_record_id(const carelog_record *r);
/** The record's kind: "patient", "caregiver", "plan", "dose", "symptom", "measurement", "note",
 * "target" or "rule" (the last two: see carelog/clinical.h). */
CARELOG_EXTERN(const char *) carelog_record_kind(const carelog_record *r);
/** The id of the patient whose chart holds the record. */
CARELOG_EXTERN(const char *) carelog_record_patient(const carelog_record *r);
/** When it happened, RFC 3339 in UTC. */
CARELOG_EXTERN(const char *) carelog_record_time(const carelog_record *r);
/** "active" or "entered-in-error". */
CARELOG_EXTERN(const char *) carelog_record_status(const carelog_record *r);
/** The hybrid logical clock stamp of the write that made this version. */
CARELOG_EXTERN(const char *) carelog_record_hlc(const carelog_record *r);
/** The whole version as canonical JSON (no trailing newline). */
CARELOG_EXTERN(const char *) carelog_record_json(const carelog_record *r);

/**
 * The commit that wrote this version, as 40 hex digits, when the record came
 * from carelog_record_history; NULL otherwise.
 */
CARELOG_EXTERN(const char *) carelog_record_commit(const carelog_record *r);

/**
 * A string field of the record, e.g. "drug" or "note".
 * @return the value, valid while `r` lives; NULL if the field is absent or
 *         not a string.
 */
CARELOG_EXTERN(const char *) carelog_record_string(const carelog_record *r, const char *field);

/**
 * A number field of the record, e.g. "amount" or "value".
 * @return 0 and *out set; CARELOG_ENOTFOUND if absent or not a number.
 */
CARELOG_EXTERN(int) carelog_record_number(double *out, const carelog_record *r, const char *field);

/**
 * Any field of the record as JSON text, e.g. "taper" -> [{"date":...}], or
 * "entered" -> {"unit":"[degF]","value":101.3}.
 * @param out receives the text; free it with carelog_free.
 * @return 0; CARELOG_ENOTFOUND if the field is absent; CARELOG_ENOMEM.
 */
CARELOG_EXTERN(int) carelog_record_field_json(char **out, const carelog_record *r, const char *field);

/** Frees a record. carelog_record_free(NULL) does nothing. */
CARELOG_EXTERN(void) carelog_record_free(carelog_record *r);

/** How many records the list holds. */
CARELOG_EXTERN(size_t) carelog_record_list_count(const carelog_record_list *l);

/** The i-th record (0-based), owned by the list; NULL if i is out of range. */
CARELOG_EXTERN(const carelog_record *) carelog_record_list_get(const carelog_record_list *l, size_t i);

/**
 * The list as one JSON array of its records, in list order.
 * @param out receives the text; free it with carelog_free.
 * @return 0; CARELOG_ENOMEM.
 */
CARELOG_EXTERN(int) carelog_record_list_json(char **out, const carelog_record_list *l);

/** Frees the list and its records. carelog_record_list_free(NULL) does nothing. */
CARELOG_EXTERN(void) carelog_record_list_free(carelog_record_list *l);

CARELOG_END_DECL

#endif
