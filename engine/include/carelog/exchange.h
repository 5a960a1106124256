/*
 * carelog/exchange.h - one patient's chart out to other systems and back in:
 * FHIR R4 JSON Bundles (out and in), CSV tables for spreadsheets (out), and
 * JSON lines in exactly the form carelog_import reads (out; in through
 * carelog_import).
 *
 * docs/exchange.md has the mapping field by field, the CSV columns, and what
 * round-trips. In short: an export holds the current version of each record
 * (the patient always, entered-in-error records too, no earlier versions);
 * importing a FHIR or JSON-lines export into another store gives the same
 * records, byte for byte, with the same ids, authors, devices and clock
 * stamps.
 */
#ifndef CARELOG_EXCHANGE_H
#define CARELOG_EXCHANGE_H

#include <stdio.h>

#include "common.h"
#include "store.h"

CARELOG_BEGIN_DECL

/* The URIs carelog's FHIR resources use for what FHIR has no code system or
 * element of its own. They are names, never fetched; apps and clinics may
 * rely on them (they are only ever added to). */
/** Identifier.system of a resource's carelog record id. */
#define CARELOG_FHIR_SYSTEM_RECORD "urn:carelog:record"
/** Identifier.system of the device that wrote a record (Provenance.agent.who). */
#define CARELOG_FHIR_SYSTEM_DEVICE "urn:carelog:device"
/** Coding.system of carelog's symptom codes (docs/records.md). */
#define CARELOG_FHIR_SYSTEM_SYMPTOM "urn:carelog:symptom"
/** Coding.system of carelog's measurement codes (docs/records.md). */
#define CARELOG_FHIR_SYSTEM_MEASUREMENT "urn:carelog:measurement"
/** Coding.system of a dose's outcome (missed, refused, held) in MedicationAdministration.statusReason. */
#define CARELOG_FHIR_SYSTEM_OUTCOME "urn:carelog:dose-outcome"
/** Coding.system of carelog's medication routes. */
#define CARELOG_FHIR_SYSTEM_ROUTE "urn:carelog:route"
/** Coding.system of carelog's alert rule ids (Basic.code of a rule record). */
#define CARELOG_FHIR_SYSTEM_RULE "urn:carelog:alert-rule"
/** Extension.url prefix: the extension "<prefix><field>" holds carelog field <field>. */
#define CARELOG_FHIR_EXTENSION "urn:carelog:extension:"

/** The formats of an export. */
typedef enum {
	CARELOG_FORMAT_JSONL = 0, /**< JSON lines, one record per line, as carelog_import reads them */
	CARELOG_FORMAT_FHIR = 1,  /**< one FHIR R4 Bundle (type collection) as JSON */
	CARELOG_FORMAT_CSV = 2    /**< one CSV table per record kind (RFC 4180, header row, CRLF) */
} carelog_format;

/**
 * Reads a format name: "jsonl", "fhir" or "csv".
 * @return 0; CARELOG_EINVALID naming the text and the accepted names.
 */
CARELOG_EXTERN(int) carelog_format_parse(carelog_format *out, const char *name);

/** Options for carelog_export and carelog_export_file. */
typedef struct {
	unsigned int version;  /**< CARELOG_EXPORT_OPTIONS_VERSION */
	carelog_format format; /**< default CARELOG_FORMAT_JSONL */
	/** First day ("YYYY-MM-DD", in the patient's time zone), inclusive: only
	 * records whose `time` is on or after it. NULL = from the start. */
	const char *from;
	/** Last day ("YYYY-MM-DD", in the patient's time zone), inclusive: only
	 * records whose `time` is before the day after it. NULL = to the end.
	 * With either bound, the patient record is still exported, and so is
	 * every plan an exported dose refers to, so that the export imports. */
	const char *to;
	/** CSV only, carelog_export only: the kind whose table to return
	 * ("patient", "caregiver", "plan", "dose", "symptom", "measurement",
	 * "note", "target" or "rule"). carelog_export_file writes them all. */
	const char *kind;
} carelog_export_options;
#define CARELOG_EXPORT_OPTIONS_VERSION 1
#define CARELOG_EXPORT_OPTIONS_INIT { CARELOG_EXPORT_OPTIONS_VERSION, CARELOG_FORMAT_JSONL, NULL, NULL, NULL }

/**
 * Exports one patient's chart as text in memory.
 *
 * @param out     receives the text (NUL-terminated; for CSV the table of
 *                opts->kind); free it with carelog_free
 * @param len     receives its length in bytes (may be NULL)
 * @param patient the patient's id
 * @param opts    may be NULL: JSON lines, every record
 * @return 0; CARELOG_EINVALID (a bad id, date, format or option; CSV
 *         without a kind); CARELOG_ENOTFOUND (no such patient);
 *         CARELOG_EIO or CARELOG_ECORRUPT reading the store; CARELOG_ENOMEM.
 */
CARELOG_EXTERN(int) carelog_export(char **out, size_t *len, carelog_store *s, const char *patient,
	const carelog_export_options *opts);

/**
 * Exports one patient's chart to `path`. JSON lines and FHIR: the file
 * `path`, written whole or not at all (a temporary file in the same
 * directory, fsynced, then renamed over `path`). CSV: `path` is a directory
 * (created if missing) that receives one file per kind, `<kind>.csv`
 * (patient.csv, caregiver.csv, plan.csv, dose.csv, symptom.csv,
 * measurement.csv, note.csv, target.csv, rule.csv; a kind without records
 * gets its header row alone), each written the same way. Files are created
 * readable by their owner only (0600): they hold health data.
 *
 * @return as carelog_export, and CARELOG_EIO when a file or the directory
 *         cannot be written (the message names it).
 */
CARELOG_EXTERN(int) carelog_export_file(carelog_store *s, const char *patient,
	const carelog_export_options *opts, const char *path);

/**
 * Imports a FHIR R4 Bundle (JSON) such as carelog_export writes: its
 * Patient, RelatedPerson, Practitioner, MedicationRequest,
 * MedicationAdministration, Observation, Communication, Goal and Basic
 * resources become records, its Provenance resources give them their
 * author, device and clock stamp (docs/exchange.md has the mapping).
 *
 * All or nothing: every resource is read and every record validated before
 * anything is written; then each chart gets one commit. A record identical
 * to the version the store holds is skipped, so importing the same Bundle
 * twice writes nothing the second time.
 *
 * @param written receives how many records were written (may be NULL)
 * @param in      the Bundle; read to its end, at most 256 MiB (a Bundle
 *                is read whole into memory)
 * @return 0; CARELOG_EINVALID naming the resource (its entry index, type
 *         and id) and the FHIR element at fault, or for an input over
 *         256 MiB, nothing written; CARELOG_EIO when `in` cannot be read;
 *         the errors common to writes (carelog/write.h).
 */
CARELOG_EXTERN(int) carelog_import_fhir(size_t *written, carelog_store *s, FILE *in);

CARELOG_END_DECL

#endif
