/*
 * record_schema.h - the record kinds, field by field: validation and
 * normalization of a whole record, and the code tables (measurement codes
 * with LOINC, canonical UCUM units and exact conversions; symptom codes with
 * SNOMED CT). docs/records.md documents the same rules for people.
 */
#ifndef CARELOG_RECORD_SCHEMA_H
#define CARELOG_RECORD_SCHEMA_H

#include <jansson.h>

/* An accepted non-canonical unit: canonical = value * factor + offset. */
typedef struct {
	const char *unit;
	double factor;
	double offset;
} carelog__unit_conversion;

typedef struct {
	const char *code;        /* "platelets" */
	const char *loinc;       /* "777-3", or NULL where none exists */
	const char *unit;        /* canonical UCUM unit, "10*3/uL" */
	const char *label;       /* "Platelets" */
	double min, max;         /* plausible values in the canonical unit (typos outside are rejected) */
	carelog__unit_conversion conversions[3]; /* terminated by unit == NULL */
} carelog__measure_code;

typedef struct {
	const char *code;        /* "fever" */
	const char *snomed;      /* "386661006", or NULL */
	const char *label;       /* "Fever" */
} carelog__symptom_code;

/* Looks a measurement code up; NULL if unknown. */
const carelog__measure_code *carelog__measure_code_find(const char *code);
/* Looks a symptom code up; NULL if unknown. */
const carelog__symptom_code *carelog__symptom_code_find(const char *code);
/* The tables, terminated by an entry whose code is NULL. */
extern const carelog__measure_code carelog__measure_codes[];
extern const carelog__symptom_code carelog__symptom_codes[];

/* Non-zero if `kind` is a record kind this version knows. */
int carelog__kind_known(const char *kind);

/*
 * Normalizes and validates a complete record in place. The caller has set
 * the system fields (id, kind, patient, time, status, author, device, hlc).
 * On success (0) the record is canonical: defaults filled, a measurement in
 * another accepted unit converted to the canonical unit with the typed value
 * and unit kept in `entered`, `loinc` filled from the table, times and dates
 * in canonical form, whole-number reals turned into integers. Normalizing a
 * normalized record changes nothing.
 * On error returns CARELOG_EINVALID, the message naming the field and the
 * value at fault (e.g. "severity 11 is out of range 0-10"), and `rec` may be
 * partly modified (callers discard it).
 */
int carelog__record_normalize(json_t *rec);

/* Reads the content of a record file as a chart stores it: one line of JSON
 * in canonical form and a newline, no NUL byte, a valid record. 0 and *out
 * (json_decref it); or CARELOG_EINVALID with the reason as the thread's
 * error message ("not a record file (...)", jansson's parse error, "invalid
 * record: ...", "record is not in canonical form"); CARELOG_ENOMEM. Shared
 * by `carelog check` and by the checks of what a sync or bundle brings. */
int carelog__record_from_file(json_t **out, const char *data, size_t len);

#endif
