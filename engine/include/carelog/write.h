/*
 * carelog/write.h - writing records: typed helpers for each kind a caregiver
 * logs, a generic JSON write, batches, amendments, voids and import.
 *
 * Every write is validated completely before anything is written; a rejected
 * write returns CARELOG_EINVALID with a message naming the field and the
 * value at fault, and leaves the chart and the index unchanged. A write that
 * returns 0 is durable (see store.h). Records are never destroyed: an
 * amendment is a new version of the same record, a void marks it
 * "entered-in-error" with a reason.
 *
 * All `at`/`time` strings are RFC 3339 (an offset is converted to UTC); NULL
 * means now. Dates are "YYYY-MM-DD". Every function that creates a record
 * takes an `out_id` buffer of CARELOG_ID_BUFSIZE bytes (or NULL) that
 * receives the new record's id.
 *
 * Errors common to every write: CARELOG_EINVALID (bad input; also a new
 * record for a patient whose patient record is entered-in-error), CARELOG_ENOTFOUND
 * (unknown patient, plan or record), CARELOG_ELOCKED (the store lock was not
 * acquired in time), CARELOG_EMOVED (a chart head kept moving under the write),
 * CARELOG_EIO (a file could not be written or synced), CARELOG_ENOMEM.
 */
#ifndef CARELOG_WRITE_H
#define CARELOG_WRITE_H

#include <stdio.h>

#include "common.h"
#include "store.h"

CARELOG_BEGIN_DECL

/** A new patient; creates the patient's chart. */
typedef struct {
	unsigned int version;  /**< CARELOG_PATIENT_VERSION */
	const char *name;      /**< required, at most 200 characters */
	const char *born;      /**< date of birth "YYYY-MM-DD", or NULL */
	int has_weight_kg;     /**< non-zero: weight_kg is given (0.2-500) */
	double weight_kg;
	int asplenic;          /**< non-zero if the patient has no (working) spleen */
	const char *timezone;  /**< IANA name, e.g. "Europe/Paris"; NULL = "UTC" */
} carelog_patient;
#define CARELOG_PATIENT_VERSION 1
#define CARELOG_PATIENT_INIT { CARELOG_PATIENT_VERSION, NULL, NULL, 0, 0, 0, NULL }

/** One step of a taper: from `date` on, the plan's dose is `dose`. */
typedef struct {
	const char *date;      /**< "YYYY-MM-DD" */
	double dose;
} carelog_taper_step;

/** A medication plan. */
typedef struct {
	unsigned int version;  /**< CARELOG_PLAN_VERSION */
	const char *patient;   /**< patient id, required */
	const char *drug;      /**< required, e.g. "prednisone" */
	double dose;           /**< required, > 0 */
	const char *unit;      /**< required dose unit, e.g. "mg" */
	const char *route;     /**< NULL = "oral" */
	const char *const *times; /**< local "HH:MM" times, `ntimes` of them */
	size_t ntimes;
	const char *start;     /**< "YYYY-MM-DD"; NULL = today (UTC) */
	const char *end;       /**< "YYYY-MM-DD" inclusive, or NULL */
	const carelog_taper_step *taper; /**< `ntaper` steps in date order, or NULL */
	size_t ntaper;
	const char *note;      /**< or NULL */
	const char *at;        /**< when prescribed; NULL = the start date at 00:00 UTC */
	int window_minutes;    /**< a dose up to this many minutes from a time fills its slot (5-720); 0 = the default, 60 */
} carelog_plan;
#define CARELOG_PLAN_VERSION 1
#define CARELOG_PLAN_INIT { CARELOG_PLAN_VERSION, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, NULL, 0 }

/** A dose given, missed, refused or held. */
typedef struct {
	unsigned int version;  /**< CARELOG_DOSE_VERSION */
	const char *patient;   /**< required */
	const char *drug;      /**< required */
	double amount;         /**< required, >= 0 */
	const char *unit;      /**< required */
	const char *outcome;   /**< "given" (NULL), "missed", "refused" or "held" */
	const char *plan;      /**< id of the plan it belongs to, or NULL */
	const char *note;      /**< or NULL */
	const char *at;        /**< NULL = now */
} carelog_dose;
#define CARELOG_DOSE_VERSION 1
#define CARELOG_DOSE_INIT { CARELOG_DOSE_VERSION, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL }

/** A symptom observed at home. */
typedef struct {
	unsigned int version;  /**< CARELOG_SYMPTOM_VERSION */
	const char *patient;   /**< required */
	const char *code;      /**< required, one of docs/records.md's symptom codes */
	int severity;          /**< 0-10 */
	const char *note;      /**< required when code is "other" */
	const char *at;        /**< NULL = now */
} carelog_symptom;
#define CARELOG_SYMPTOM_VERSION 1
#define CARELOG_SYMPTOM_INIT { CARELOG_SYMPTOM_VERSION, NULL, NULL, 0, NULL, NULL }

/** A lab result or vital sign. */
typedef struct {
	unsigned int version;  /**< CARELOG_MEASUREMENT_VERSION */
	const char *patient;   /**< required */
	const char *code;      /**< required, one of docs/records.md's measurement codes */
	double value;
	const char *unit;      /**< NULL = the code's canonical unit; others only where an exact conversion exists */
	int has_low;           /**< non-zero: `low` is the lab report's lower reference limit (in `unit`) */
	double low;
	int has_high;          /**< non-zero: `high` is the lab report's upper reference limit (in `unit`) */
	double high;
	const char *note;      /**< or NULL */
	const char *at;        /**< NULL = now */
} carelog_measurement;
#define CARELOG_MEASUREMENT_VERSION 1
#define CARELOG_MEASUREMENT_INIT { CARELOG_MEASUREMENT_VERSION, NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL }

/** Creates a patient and the patient's chart. */
CARELOG_EXTERN(int) carelog_patient_add(char *out_id, carelog_store *s, const carelog_patient *p);
/** Records a medication plan. */
CARELOG_EXTERN(int) carelog_plan_add(char *out_id, carelog_store *s, const carelog_plan *p);
/** Logs a dose. */
CARELOG_EXTERN(int) carelog_dose_log(char *out_id, carelog_store *s, const carelog_dose *d);
/** Logs a symptom. */
CARELOG_EXTERN(int) carelog_symptom_log(char *out_id, carelog_store *s, const carelog_symptom *sy);
/** Logs a measurement (units converted where exact, see docs/records.md). */
CARELOG_EXTERN(int) carelog_measurement_log(char *out_id, carelog_store *s, const carelog_measurement *m);
/** Adds a free-text note (at most 10000 characters); `at` NULL = now. */
CARELOG_EXTERN(int) carelog_note_add(char *out_id, carelog_store *s, const char *patient,
	const char *text, const char *at);

/**
 * Writes one record given as a JSON object of any kind (the import format of
 * docs/records.md). With an `id` that already exists, writes a new version of
 * that record (nothing if it is identical to the current one).
 */
CARELOG_EXTERN(int) carelog_record_write_json(char *out_id, carelog_store *s, const char *json);

/** A field to set in an amendment. */
typedef struct {
	const char *name;  /**< a field of the record's kind */
	const char *value; /**< a JSON value (5, true, "text", [..]) or, if it does not parse as one, a plain string */
} carelog_field;

/**
 * Writes a new version of a record with some fields changed. id, kind,
 * patient and status cannot be set (use carelog_record_void for status).
 * CARELOG_EINVALID if the record is entered-in-error or the result is invalid.
 */
CARELOG_EXTERN(int) carelog_record_amend(carelog_store *s, const char *id,
	const carelog_field *fields, size_t nfields);

/**
 * Marks a record entered-in-error with a reason (required, at most 500
 * characters). The record keeps all earlier versions. CARELOG_EINVALID if it
 * is already void.
 */
CARELOG_EXTERN(int) carelog_record_void(carelog_store *s, const char *id, const char *reason);

/** A group of records written in one commit per chart. Free with carelog_batch_free. */
typedef struct carelog_batch carelog_batch;

/** Starts an empty batch on `s`. */
CARELOG_EXTERN(int) carelog_batch_new(carelog_batch **out, carelog_store *s);

/**
 * Validates a record (a JSON object, as for carelog_record_write_json) and
 * adds it to the batch. A patient added earlier in the same batch may be
 * referred to. On error the batch is unchanged.
 */
CARELOG_EXTERN(int) carelog_batch_add_json(char *out_id, carelog_batch *b, const char *json);

/** How many records the batch holds. */
CARELOG_EXTERN(size_t) carelog_batch_count(const carelog_batch *b);

/**
 * Writes the batch: one commit per chart, each atomic. Records identical to
 * their current version are skipped. The batch is empty afterwards.
 * @param written receives how many records were written (may be NULL)
 */
CARELOG_EXTERN(int) carelog_batch_commit(size_t *written, carelog_batch *b);

/** Frees the batch, discarding what was not committed. NULL does nothing. */
CARELOG_EXTERN(void) carelog_batch_free(carelog_batch *b);

/** Options for carelog_import. */
typedef struct {
	unsigned int version;  /**< CARELOG_IMPORT_OPTIONS_VERSION */
	size_t batch_size;     /**< records per batch (one commit per chart it
	                            touches with 256 or more of them); 0 = default (2000) */
} carelog_import_options;
#define CARELOG_IMPORT_OPTIONS_VERSION 1
#define CARELOG_IMPORT_OPTIONS_INIT { CARELOG_IMPORT_OPTIONS_VERSION, 0 }

/**
 * Imports JSON lines (one record per line, blank lines ignored): records
 * are validated and written batch by batch as commits, but no
 * chart moves until every line has been accepted, so an invalid line
 * anywhere writes nothing and the error names the line. The store lock is
 * held throughout. Records identical to their current version are skipped, so
 * importing the same file of records with ids twice writes nothing the
 * second time (a line without an id is a new record each time).
 *
 * A large import writes its packs (every 8,192 objects or 24 MiB of a
 * chart) on threads of its own while it reads on: libgit2's delta search,
 * on as many threads as CPUs. All of them are joined before this returns;
 * none touches `s` or `in`.
 *
 * Memory: each patient's chart holds up to 8,192 objects (or 24 MiB) until
 * they go out as a pack, or until the chart got no new record for three
 * batches (of opts->batch_size lines; carelog_import_fhir stages one batch,
 * so never). A one-patient import stays flat however long (100,000 records:
 * about 50 MB peak RSS); an input grouped by patient (each patient's lines
 * together) holds little per chart once its lines end, but its open chart
 * still costs some memory per patient (100,000 records over 1,000
 * patients: 43.5 MB; over 5,000: 164 MB, measured before a chart written
 * out was also reopened). When `in` is a regular file whose lines
 * interleave patients, it is scanned for each line's patient first (a
 * text search, no parse) and then read patient by patient, each patient's
 * lines in their order, which gives the same charts with less held at
 * once (100,000 records over 1,000 patients: 45.9 MB); if anything about
 * it is unexpected, a bad line included, nothing is published and the
 * file is imported again in its own order, so that the error names its
 * first bad line. A pipe that interleaves many patients holds every
 * chart's share at once (82 MB over 10 patients, 181 MB over 1,000):
 * group it by patient, or import from a file. A chart
 * that gets fewer than 256 records in a batch carries them into a later
 * commit (when it reaches 256, gets none in a batch, or the import ends),
 * so such an input makes fewer, larger commits than one per batch. A chart
 * written out early and staged on again gets a small pack each time (no
 * delta against the earlier ones; merged later by pack maintenance).
 *
 * @param written receives how many records were written (may be NULL)
 * @param in      the input; read to its end (a regular file may be read
 *                twice, from where it stood, and is left at its end)
 */
CARELOG_EXTERN(int) carelog_import(size_t *written, carelog_store *s, FILE *in,
	const carelog_import_options *opts);

CARELOG_END_DECL

#endif
