/*
 * exchange_internal.h - what the export and import modules share: the
 * records an export holds, the FHIR mapping of one record each way, the
 * FHIR terms (units, codes, element names) and CSV tables.
 */
#ifndef CARELOG_EXCHANGE_INTERNAL_H
#define CARELOG_EXCHANGE_INTERNAL_H

#include <jansson.h>

#include "carelog/exchange.h"
#include "carelog/store.h"
#include "carelog/write.h"

#define CARELOG__UCUM "http://unitsofmeasure.org"
#define CARELOG__LOINC "http://loinc.org"
#define CARELOG__SNOMED "http://snomed.info/sct"

/* export_select.c: the records an export holds, as a JSON array of record
 * objects in export order: the patient, then caregivers, plans, and the
 * rest by time and id. `from` and `to` are inclusive dates in the patient's
 * time zone (NULL: unbounded); plans that exported doses refer to are
 * always included. CARELOG_ENOTFOUND if `patient` is no patient. */
int carelog__export_select(json_t **out, carelog_store *s, const char *patient, const char *from, const char *to);

/* export_fhir.c: the FHIR resource of one record (a new object; the
 * record's author, device and clock stamp are left to its Provenance). NULL
 * with CARELOG_ENOMEM set when memory runs out. */
json_t *carelog__fhir_resource(const json_t *rec);
/* The Provenance of one record: author, device and clock stamp. */
json_t *carelog__fhir_provenance(const json_t *rec);
/* The id of a record's Provenance: the record id with its UUID version
 * digit 7 turned into 8 (a UUID of its own, derived, so exports repeat). */
void carelog__fhir_provenance_id(char out[CARELOG_ID_BUFSIZE], const char *record_id);
/* A Bundle (type collection) of `records` (an array of record objects),
 * each resource followed by its Provenance. */
json_t *carelog__fhir_bundle(const json_t *records);

/* import_fhir.c: the records a Bundle holds, in an order they can be
 * written in (patients, then plans, then the rest in entry order), as an
 * array of {"record": {...}, "where": "entry[3] Observation/<id>"}.
 * CARELOG_EINVALID naming the entry, resource and element at fault. */
int carelog__fhir_bundle_records(json_t **out, const json_t *bundle);
/* The largest Bundle carelog_import_fhir reads (it is parsed whole). */
#define CARELOG__FHIR_MAX_BYTES (256 * 1024 * 1024)

/* fhir_terms.c: the UCUM code of a carelog dose unit ("mcg" -> "ug"), and
 * back; NULL when there is none. */
const char *carelog__fhir_ucum_of_dose_unit(const char *unit);
const char *carelog__fhir_dose_unit_of_ucum(const char *ucum);
/* "mg, g, ug, ..." : the UCUM codes of the dose units, for messages. */
const char *carelog__fhir_dose_ucum_list(void);
/* The FHIR element that holds field `field` of a record of kind `kind`
 * (for messages and docs/exchange.md): "dosage.dose.value" for a dose's
 * amount; a carelog extension for a field FHIR has no element for. The
 * result is static or written into buf. */
const char *carelog__fhir_element(char *buf, size_t n, const char *kind, const char *field);
/* The FHIR resource type records of `kind` become ("caregiver": by role). */
const char *carelog__fhir_type_of(const char *kind, const char *role);

/* export_csv.c: the CSV table of the records of `kind` in `records`
 * (header row, then one row per record, RFC 4180, CRLF). *out: free(). */
int carelog__csv_table(char **out, size_t *len, const json_t *records, const char *kind);
/* The kinds that have a CSV table, NULL-terminated, in file order. */
extern const char *const carelog__csv_kinds[];

/* text_buffer.c: text that grows; a failed allocation is remembered and
 * the buffer is then left as it was (check `failed` once at the end). */
typedef struct {
	char *data; /* NUL-terminated once anything was added; free() */
	size_t len, cap;
	int failed;
} carelog__text;
void carelog__text_add(carelog__text *t, const char *s, size_t n);
void carelog__text_puts(carelog__text *t, const char *s);
/* Hands the text over (an empty string when nothing was added):
 * 0, or CARELOG_ENOMEM (the buffer freed) when an allocation failed. */
int carelog__text_finish(char **out, size_t *len, carelog__text *t);

/* import.c: runs `fill` on a deferred batch under the store lock, then
 * writes what it staged, every chart's ref moving only when all of it was
 * accepted; *written receives the records written (0 on failure). `fill`
 * may commit the batch as it goes (each commit is staged, not published). */
typedef int (*carelog__import_fill)(size_t *staged, carelog_batch *b, void *payload);
int carelog__import_run(size_t *written, carelog_store *s, carelog__import_fill fill, void *payload);

#endif
