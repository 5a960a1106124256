/*
 * import_fhir.c - a FHIR R4 Bundle in. Each resource becomes one carelog
 * record, read from the elements export_fhir.c writes (carelog extensions
 * for the fields FHIR has no element for, the Provenance naming it for who
 * wrote it); every resource is read and every record validated before
 * anything is written, and an error names the entry, the resource and the
 * element at fault.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exchange_internal.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"
#include "store_internal.h"
#include "timeutil.h"
#include "write_internal.h"

#define PARTICIPANT_TYPE "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

typedef struct {
	const json_t *res;
	const char *type;
	char where[160];               /* "entry[3] Observation/<id>" */
	char id[CARELOG_ID_BUFSIZE];   /* the record it becomes ("" for a Provenance) */
	const json_t *prov;            /* the Provenance naming it */
	json_t *rec;
	int order;                     /* write order: patients, plans, the rest */
} entry;

typedef struct {
	entry *e;
	size_t n;
	json_t *refs;  /* reference text (fullUrl, "Type/id") -> entry index */
	json_t *ids;   /* record id -> entry index */
} reader;

typedef int (*read_fn)(json_t *rec, const reader *r, const json_t *res);

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int fail(const char *fmt, ...) CARELOG__PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return carelog__fail(CARELOG_EINVALID, "%s", msg);
}

static int set(json_t *rec, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(rec, key, v) != 0)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	return 0;
}

static int set_str(json_t *rec, const char *key, const char *v)
{
	return set(rec, key, json_string(v));
}

/* A required string element. */
static int need_str(const char **out, const json_t *obj, const char *key, const char *path)
{
	const json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (v == NULL)
		return fail("%s is required", path);
	if (!json_is_string(v))
		return fail("%s must be a string", path);
	*out = json_string_value(v);
	return 0;
}

/* ---- references ---- */

/* The record id a Reference names: an entry of this Bundle by its fullUrl
 * or "Type/id"; with `outside`, also a carelog id outside the Bundle
 * ("urn:uuid:<id>" or "<want>/<id>"), which the store must hold. */
static int resolve(char out[CARELOG_ID_BUFSIZE], const reader *r, const json_t *refobj, const char *path,
	const char *want, int outside)
{
	const char *text;
	const json_t *idx;
	int rc;
	char p[256];

	snprintf(p, sizeof(p), "%s.reference", path);
	if (!json_is_object(refobj))
		return fail("%s is required", p);
	if ((rc = need_str(&text, refobj, "reference", p)) < 0)
		return rc;
	if ((idx = json_object_get(r->refs, text)) != NULL) {
		const entry *e = &r->e[json_integer_value(idx)];
		if (strcmp(e->type, want) != 0)
			return fail("%s '%.80s' is %s, not a %s", p, text, e->where, want);
		snprintf(out, CARELOG_ID_BUFSIZE, "%s", e->id);
		return 0;
	}
	if (outside) {
		size_t wl = strlen(want);
		const char *id = strncmp(text, "urn:uuid:", 9) == 0 ? text + 9
			: strncmp(text, want, wl) == 0 && text[wl] == '/' ? text + wl + 1 : NULL;
		if (id && carelog__id_valid(id)) {
			snprintf(out, CARELOG_ID_BUFSIZE, "%s", id);
			return 0;
		}
	}
	return fail("%s '%.80s' is not a %s of this Bundle", p, text, want);
}

static int read_subject(json_t *rec, const reader *r, const json_t *res, const char *key)
{
	char id[CARELOG_ID_BUFSIZE];
	int rc = resolve(id, r, json_object_get(res, key), key, "Patient", 0);
	return rc < 0 ? rc : set_str(rec, "patient", id);
}

/* ---- extensions: carelog fields FHIR has no element for ---- */

static int extension_value(json_t **out, const reader *r, const json_t *ext, const char *path)
{
	const char *key;
	json_t *v;

	*out = NULL;
	json_object_foreach((json_t *)ext, key, v) {
		if (strncmp(key, "value", 5) != 0)
			continue;
		if (strcmp(key, "valueString") == 0 || strcmp(key, "valueDateTime") == 0 || strcmp(key, "valueCode") == 0) {
			if (!json_is_string(v))
				return fail("%s.%s must be a string", path, key);
			*out = json_deep_copy(v);
		} else if (strcmp(key, "valueInteger") == 0) {
			if (!json_is_integer(v))
				return fail("%s.valueInteger must be a whole number", path);
			*out = json_deep_copy(v);
		} else if (strcmp(key, "valueDecimal") == 0) {
			if (!json_is_number(v))
				return fail("%s.valueDecimal must be a number", path);
			*out = json_deep_copy(v);
		} else if (strcmp(key, "valueBoolean") == 0) {
			if (!json_is_boolean(v))
				return fail("%s.valueBoolean must be true or false", path);
			*out = json_deep_copy(v);
		} else if (strcmp(key, "valueReference") == 0) {
			char id[CARELOG_ID_BUFSIZE], p[256];
			int rc;
			snprintf(p, sizeof(p), "%s.valueReference", path);
			if ((rc = resolve(id, r, v, p, "Patient", 0)) < 0)
				return rc;
			*out = json_string(id);
		} else if (strcmp(key, "valueQuantity") == 0) {
			const json_t *value = json_object_get(v, "value");
			const char *unit = str(v, "code") ? str(v, "code") : str(v, "unit");
			if (!json_is_number(value) || unit == NULL)
				return fail("%s.valueQuantity needs a value and a code", path);
			*out = json_pack("{s:O,s:s}", "value", value, "unit", unit);
		} else {
			return fail("%s.%s is not a value type carelog reads", path, key);
		}
		return *out ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	}
	return fail("%s has no value", path);
}

static int read_extensions(json_t *rec, const reader *r, const json_t *res)
{
	const json_t *exts = json_object_get(res, "extension"), *ext;
	size_t plen = strlen(CARELOG_FHIR_EXTENSION), i;
	int rc;

	if (exts == NULL)
		return 0;
	json_array_foreach(exts, i, ext) {
		const char *url = str(ext, "url");
		char path[160];
		json_t *v;
		if (url == NULL)
			return fail("extension[%zu].url is required", i);
		if (strncmp(url, CARELOG_FHIR_EXTENSION, plen) != 0)
			continue; /* not carelog's: FHIR lets a reader skip it */
		snprintf(path, sizeof(path), "extension[%zu] (%.100s)", i, url);
		if (json_object_get(rec, url + plen))
			return fail("%s: %s is given twice", path, url + plen);
		if ((rc = extension_value(&v, r, ext, path)) < 0 || (rc = set(rec, url + plen, v)) < 0)
			return rc;
	}
	return 0;
}

static int need_ext_time(const json_t *rec)
{
	if (json_object_get(rec, "time") == NULL)
		return fail("extension %stime is required (when the record was made)", CARELOG_FHIR_EXTENSION);
	return 0;
}

/* ---- common elements ---- */

static int read_time(json_t *rec, const json_t *res, const char *key)
{
	const char *t;
	int rc = need_str(&t, res, key, key);
	return rc < 0 ? rc : set_str(rec, "time", t);
}

/* status through a table of FHIR value -> carelog status. */
static int read_status(json_t *rec, const json_t *res, const char *key, const char *const map[][2], const char *list)
{
	const char *v;
	int rc = need_str(&v, res, key, key);
	if (rc < 0)
		return rc;
	for (size_t i = 0; map[i][0]; i++)
		if (strcmp(map[i][0], v) == 0)
			return set_str(rec, "status", map[i][1]);
	return fail("%s '%.40s' is not one carelog keeps (%s)", key, v, list);
}

/* note[0].text; a second note has nowhere to go. */
static int read_note(json_t *rec, const json_t *res)
{
	const json_t *notes = json_object_get(res, "note");
	const char *text;
	int rc;
	if (notes == NULL)
		return 0;
	if (json_array_size(notes) != 1)
		return fail("note must hold one annotation (carelog keeps one note per record)");
	if ((rc = need_str(&text, json_array_get(notes, 0), "text", "note[0].text")) < 0)
		return rc;
	return set_str(rec, "note", text);
}

/* A CodeableConcept's words: its text, else its first coding's display. */
static int concept_text(const char **out, const json_t *cc, const char *path)
{
	const char *t = str(cc, "text");
	*out = NULL;
	if (t == NULL)
		t = str(json_array_get(json_object_get(cc, "coding"), 0), "display");
	if (t == NULL)
		return fail("%s.text is required", path);
	*out = t;
	return 0;
}

/* A Quantity: its value and UCUM code (its unit when it has no code). */
static int read_quantity(const json_t **value, const char **ucum, const json_t *q, const char *path)
{
	const char *system = str(q, "system");
	if (!json_is_object(q))
		return fail("%s is required", path);
	*value = json_object_get(q, "value");
	if (!json_is_number(*value))
		return fail("%s.value is required (a number)", path);
	if (system && strcmp(system, CARELOG__UCUM) != 0)
		return fail("%s.system '%.80s' is not UCUM (%s)", path, system, CARELOG__UCUM);
	*ucum = str(q, "code") ? str(q, "code") : str(q, "unit");
	if (*ucum == NULL)
		return fail("%s.code is required (a UCUM unit)", path);
	return 0;
}

/* The low and high quantities of a range into into.low/high; both must be
 * in `unit`, the unit of `whose`. */
static int read_low_high(json_t *into, const json_t *range, const char *prefix, const char *unit, const char *whose)
{
	static const char *const ends[] = { "low", "high" };
	for (int k = 0; k < 2; k++) {
		const json_t *q = json_object_get(range, ends[k]), *v;
		const char *u;
		char path[64];
		int rc;
		if (q == NULL)
			continue;
		snprintf(path, sizeof(path), "%s.%s", prefix, ends[k]);
		if ((rc = read_quantity(&v, &u, q, path)) < 0)
			return rc;
		if (strcmp(u, unit) != 0)
			return fail("%s.code '%.40s' is not %s, the unit of %s", path, u, unit, whose);
		if ((rc = set(into, ends[k], json_deep_copy(v))) < 0)
			return rc;
	}
	return 0;
}

static int read_dose_quantity(json_t *rec, const char *amount_key, const json_t *q, const char *path)
{
	const json_t *value;
	const char *ucum, *unit;
	int rc;
	if ((rc = read_quantity(&value, &ucum, q, path)) < 0)
		return rc;
	if ((unit = carelog__fhir_dose_unit_of_ucum(ucum)) == NULL)
		return fail("%s.code '%.40s' is not a dose unit (UCUM %s)", path, ucum, carelog__fhir_dose_ucum_list());
	const char *had = str(rec, "unit");
	if (had && strcmp(had, unit) != 0)
		return fail("%s.code '%.40s' differs from the first dosage's unit (a plan has one unit)", path, ucum);
	if ((rc = set_str(rec, "unit", unit)) < 0 || amount_key == NULL)
		return rc;
	return set(rec, amount_key, json_deep_copy(value));
}

/* The carelog code of a measurement concept: its carelog coding, else the
 * code its LOINC coding stands for; *loinc receives the LOINC code given. */
static int measure_code(const carelog__measure_code **out, const char **loinc, const json_t *cc, const char *path,
	const char *or_else)
{
	const json_t *c;
	const char *mine = NULL;
	size_t i;

	*loinc = NULL;
	json_array_foreach(json_object_get(cc, "coding"), i, c) {
		const char *system = str(c, "system"), *code = str(c, "code");
		if (system && code && strcmp(system, CARELOG_FHIR_SYSTEM_MEASUREMENT) == 0)
			mine = code;
		else if (system && code && strcmp(system, CARELOG__LOINC) == 0)
			*loinc = code;
	}
	if (mine) {
		if ((*out = carelog__measure_code_find(mine)) == NULL)
			return fail("%s.coding: '%.60s' is not a carelog measurement code", path, mine);
		return 0;
	}
	for (const carelog__measure_code *m = carelog__measure_codes; *loinc && m->code; m++)
		if (m->loinc && strcmp(m->loinc, *loinc) == 0) {
			*out = m;
			return 0;
		}
	if (*loinc)
		return fail("%s.coding: LOINC %.40s is not a code carelog keeps (docs/records.md lists them)", path, *loinc);
	return fail("%s.coding has no code carelog knows (LOINC or %s for a measurement%s)", path,
		CARELOG_FHIR_SYSTEM_MEASUREMENT, or_else);
}

/* ---- resource types ---- */

static int read_name(json_t *rec, const json_t *res)
{
	const json_t *name = json_array_get(json_object_get(res, "name"), 0);
	const char *text = str(name, "text");
	if (text == NULL)
		return fail("name[0].text is required");
	return set_str(rec, "name", text);
}

static int read_contact(json_t *rec, const json_t *res)
{
	const char *contact = str(json_array_get(json_object_get(res, "telecom"), 0), "value");
	return contact ? set_str(rec, "contact", contact) : 0;
}

static int read_patient(json_t *rec, const reader *r, const json_t *res)
{
	(void)r;
	int rc = read_name(rec, res);
	if (rc == 0 && str(res, "birthDate"))
		rc = set_str(rec, "born", str(res, "birthDate"));
	if (rc == 0)
		rc = set_str(rec, "patient", str(rec, "id"));
	return rc;
}

static int read_related_person(json_t *rec, const reader *r, const json_t *res)
{
	int rc;
	if ((rc = need_ext_time(rec)) < 0 || (rc = read_subject(rec, r, res, "patient")) < 0 ||
	    (rc = read_name(rec, res)) < 0 || (rc = read_contact(rec, res)) < 0)
		return rc;
	return json_object_get(rec, "role") ? 0 : set_str(rec, "role", "caregiver");
}

static int read_practitioner(json_t *rec, const reader *r, const json_t *res)
{
	int rc;
	(void)r;
	if (json_object_get(rec, "patient") == NULL)
		return fail("extension %spatient is required (the patient whose care team this is)",
			CARELOG_FHIR_EXTENSION);
	if ((rc = need_ext_time(rec)) < 0 || (rc = read_name(rec, res)) < 0)
		return rc;
	return read_contact(rec, res);
}

static int read_drug(json_t *rec, const json_t *res)
{
	const char *drug;
	int rc = concept_text(&drug, json_object_get(res, "medicationCodeableConcept"), "medicationCodeableConcept");
	return rc < 0 ? rc : set_str(rec, "drug", drug);
}

/* "HH:MM:00" -> "HH:MM". */
static int read_times(json_t *rec, const json_t *tod, const char *path)
{
	json_t *times;
	const json_t *t;
	size_t i;
	if ((times = json_array()) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	json_array_foreach(tod, i, t) {
		const char *s = json_string_value(t);
		char hm[6];
		if (s == NULL || strlen(s) != 8 || strcmp(s + 5, ":00") != 0) {
			json_decref(times);
			return fail("%s[%zu] must be a time of day HH:MM:00", path, i);
		}
		snprintf(hm, sizeof(hm), "%.5s", s);
		if (json_array_append_new(times, json_string(hm)) != 0) {
			json_decref(times);
			return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
		}
	}
	return set(rec, "times", times);
}

static int read_date(const char **out, const json_t *period, const char *key, const char *path, int required)
{
	const char *d = str(period, key);
	*out = d;
	if (d == NULL)
		return required ? fail("%s.%s is required", path, key) : 0;
	if (strlen(d) != 10)
		return fail("%s.%s '%.40s' must be a date YYYY-MM-DD", path, key, d);
	return 0;
}

/* The regimen's first dosage: start, times and route. */
static int read_first_dosage(json_t *rec, const json_t *d, const json_t *repeat, const char *start, const char *path)
{
	const json_t *route = json_object_get(d, "route"), *c, *tod = json_object_get(repeat, "timeOfDay");
	char p[96];
	size_t i;
	int rc;

	if ((rc = set_str(rec, "start", start)) < 0)
		return rc;
	if (tod) {
		snprintf(p, sizeof(p), "%s.timing.repeat.timeOfDay", path);
		if ((rc = read_times(rec, tod, p)) < 0)
			return rc;
	}
	if (route == NULL)
		return 0;
	json_array_foreach(json_object_get(route, "coding"), i, c)
		if (str(c, "system") && strcmp(str(c, "system"), CARELOG_FHIR_SYSTEM_ROUTE) == 0 && str(c, "code"))
			return set_str(rec, "route", str(c, "code"));
	if (str(route, "text"))
		return set_str(rec, "route", str(route, "text"));
	return fail("%s.route has no coding of %s and no text", path, CARELOG_FHIR_SYSTEM_ROUTE);
}

/* The plan's dose, then one taper step per further dosage (all of them
 * steps when the dose came in its extension). */
static int read_dosages(json_t *rec, const json_t *res)
{
	const json_t *list = json_object_get(res, "dosageInstruction"), *d;
	int dose_given = json_object_get(rec, "dose") != NULL;
	json_t *taper = json_array();
	const char *end = NULL;
	size_t i;
	int rc = 0;

	if (taper == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	if (!json_is_array(list) || json_array_size(list) == 0)
		rc = fail("dosageInstruction is required (at least one dosage)");
	json_array_foreach(list, i, d) {
		const json_t *repeat = json_object_get(json_object_get(d, "timing"), "repeat");
		const json_t *period = json_object_get(repeat, "boundsPeriod");
		const json_t *q = json_object_get(json_array_get(json_object_get(d, "doseAndRate"), 0), "doseQuantity");
		const char *start;
		char path[48], qpath[96], ppath[96];

		if (rc < 0)
			break;
		snprintf(path, sizeof(path), "dosageInstruction[%zu]", i);
		snprintf(ppath, sizeof(ppath), "%s.timing.repeat.boundsPeriod", path);
		snprintf(qpath, sizeof(qpath), "%s.doseAndRate[0].doseQuantity", path);
		if ((rc = read_date(&start, period, "start", ppath, 1)) < 0 || (rc = read_date(&end, period, "end", ppath, 0)) < 0)
			break;
		if (i == 0 && (rc = read_first_dosage(rec, d, repeat, start, path)) < 0)
			break;
		if (i == 0 && !dose_given) {
			rc = read_dose_quantity(rec, "dose", q, qpath);
		} else {
			json_t *step = json_object();
			if ((rc = read_dose_quantity(step, "dose", q, qpath)) == 0) {
				json_object_del(step, "unit");
				if (json_object_set_new(step, "date", json_string(start)) != 0 || json_array_append(taper, step) != 0)
					rc = carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
			}
			if (rc == 0) /* every step in the plan's one unit */
				rc = read_dose_quantity(rec, NULL, q, qpath);
			json_decref(step);
		}
	}
	if (rc == 0 && end)
		rc = set_str(rec, "end", end);
	if (rc == 0 && json_array_size(taper) > 0)
		return set(rec, "taper", taper);
	json_decref(taper);
	return rc;
}

static int read_medication_request(json_t *rec, const reader *r, const json_t *res)
{
	static const char *const status[][2] = { { "active", "active" }, { "entered-in-error", "entered-in-error" },
		{ NULL, NULL } };
	int rc;
	if ((rc = read_status(rec, res, "status", status, "active, entered-in-error")) < 0 ||
	    (rc = read_subject(rec, r, res, "subject")) < 0 || (rc = read_time(rec, res, "authoredOn")) < 0 ||
	    (rc = read_drug(rec, res)) < 0 || (rc = read_note(rec, res)) < 0)
		return rc;
	return read_dosages(rec, res);
}

/* A dose's outcome: given when completed; from statusReason otherwise. */
static int read_outcome(json_t *rec, const json_t *res, const char *status)
{
	const json_t *reasons = json_object_get(res, "statusReason"), *reason, *c;
	const char *outcome = NULL;
	size_t i, k;

	json_array_foreach(reasons, i, reason)
		json_array_foreach(json_object_get(reason, "coding"), k, c)
			if (str(c, "system") && strcmp(str(c, "system"), CARELOG_FHIR_SYSTEM_OUTCOME) == 0)
				outcome = str(c, "code");
	if (strcmp(status, "completed") == 0 && outcome)
		return fail("statusReason names outcome '%.40s' but status is completed (a dose given)", outcome);
	if (strcmp(status, "not-done") == 0 && outcome == NULL)
		return fail("statusReason needs a coding of %s (missed, refused or held) when status is not-done",
			CARELOG_FHIR_SYSTEM_OUTCOME);
	return set_str(rec, "outcome", outcome ? outcome : "given");
}

static int read_medication_administration(json_t *rec, const reader *r, const json_t *res)
{
	static const char *const status[][2] = { { "completed", "active" }, { "not-done", "active" },
		{ "entered-in-error", "entered-in-error" }, { NULL, NULL } };
	const json_t *request = json_object_get(res, "request");
	int rc;

	if ((rc = read_status(rec, res, "status", status, "completed, not-done, entered-in-error")) < 0 ||
	    (rc = read_outcome(rec, res, str(res, "status"))) < 0 ||
	    (rc = read_subject(rec, r, res, "subject")) < 0 || (rc = read_time(rec, res, "effectiveDateTime")) < 0 ||
	    (rc = read_drug(rec, res)) < 0 || (rc = read_note(rec, res)) < 0 ||
	    (rc = read_dose_quantity(rec, "amount", json_object_get(json_object_get(res, "dosage"), "dose"),
		     "dosage.dose")) < 0)
		return rc;
	if (request) {
		char plan[CARELOG_ID_BUFSIZE];
		if ((rc = resolve(plan, r, request, "request", "MedicationRequest", 1)) < 0)
			return rc;
		return set_str(rec, "plan", plan);
	}
	return 0;
}

/* A symptom: its carelog code or the SNOMED CT code that stands for one. */
static int symptom_code(const char **out, const json_t *cc)
{
	const json_t *c;
	const char *mine = NULL, *snomed = NULL, *by_snomed = NULL;
	size_t i;

	json_array_foreach(json_object_get(cc, "coding"), i, c) {
		const char *system = str(c, "system"), *code = str(c, "code");
		if (!system || !code)
			continue;
		if (strcmp(system, CARELOG_FHIR_SYSTEM_SYMPTOM) == 0)
			mine = code;
		else if (strcmp(system, CARELOG__SNOMED) == 0)
			for (const carelog__symptom_code *s = carelog__symptom_codes; s->code; s++)
				if (s->snomed && strcmp(s->snomed, code) == 0) {
					snomed = code;
					by_snomed = s->code;
				}
	}
	if (mine && by_snomed && strcmp(mine, by_snomed) != 0)
		return fail("code.coding: SNOMED CT %s is %s, but the carelog code is %.60s", snomed, by_snomed, mine);
	*out = mine ? mine : by_snomed;
	return 0;
}

static int read_measurement_value(json_t *rec, const json_t *res, const carelog__measure_code *m)
{
	const json_t *value, *rr = json_array_get(json_object_get(res, "referenceRange"), 0);
	const char *ucum, *accepted = NULL;
	json_t *range;
	int rc;

	if ((rc = read_quantity(&value, &ucum, json_object_get(res, "valueQuantity"), "valueQuantity")) < 0)
		return rc;
	if (strcmp(ucum, m->unit) == 0)
		accepted = ucum;
	for (const carelog__unit_conversion *c = m->conversions; !accepted && c->unit; c++)
		if (strcmp(c->unit, ucum) == 0)
			accepted = ucum;
	if (accepted == NULL)
		return fail("valueQuantity.code '%.40s' is not a unit carelog accepts for %s (its unit is %s%s)", ucum,
			m->code, m->unit, m->conversions[0].unit ? "; see docs/records.md for the others" : "");
	if ((rc = set(rec, "value", json_deep_copy(value))) < 0 || (rc = set_str(rec, "unit", ucum)) < 0 || rr == NULL)
		return rc;
	if ((range = json_object()) == NULL || (rc = set(rec, "range", range)) < 0)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	return read_low_high(range, rr, "referenceRange[0]", ucum, "valueQuantity");
}

static int read_observation(json_t *rec, const reader *r, const json_t *res)
{
	static const char *const status[][2] = { { "final", "active" }, { "amended", "active" },
		{ "corrected", "active" }, { "entered-in-error", "entered-in-error" }, { NULL, NULL } };
	const json_t *cc = json_object_get(res, "code");
	const carelog__measure_code *m = NULL;
	const char *symptom = NULL, *loinc = NULL;
	int rc;

	if ((rc = read_status(rec, res, "status", status, "final, amended, corrected, entered-in-error")) < 0 ||
	    (rc = read_subject(rec, r, res, "subject")) < 0 || (rc = read_time(rec, res, "effectiveDateTime")) < 0 ||
	    (rc = read_note(rec, res)) < 0 || (rc = symptom_code(&symptom, cc)) < 0)
		return rc;
	if (symptom) {
		const json_t *sev = json_object_get(res, "valueInteger");
		if ((rc = set_str(rec, "kind", "symptom")) < 0 || (rc = set_str(rec, "code", symptom)) < 0)
			return rc;
		if (!json_is_integer(sev))
			return fail("valueInteger is required (the severity, 0-10)");
		return set(rec, "severity", json_deep_copy(sev));
	}
	if ((rc = measure_code(&m, &loinc, cc, "code", "; SNOMED CT or " CARELOG_FHIR_SYSTEM_SYMPTOM " for a symptom")) < 0)
		return rc;
	if ((rc = set_str(rec, "kind", "measurement")) < 0 || (rc = set_str(rec, "code", m->code)) < 0 ||
	    (loinc && (rc = set_str(rec, "loinc", loinc)) < 0))
		return rc;
	return read_measurement_value(rec, res, m);
}

static int read_communication(json_t *rec, const reader *r, const json_t *res)
{
	static const char *const status[][2] = { { "completed", "active" }, { "entered-in-error", "entered-in-error" },
		{ NULL, NULL } };
	const char *text;
	int rc;
	if ((rc = read_status(rec, res, "status", status, "completed, entered-in-error")) < 0 ||
	    (rc = read_subject(rec, r, res, "subject")) < 0 || (rc = read_time(rec, res, "sent")) < 0 ||
	    (rc = read_note(rec, res)) < 0 ||
	    (rc = need_str(&text, json_array_get(json_object_get(res, "payload"), 0), "contentString",
		     "payload[0].contentString")) < 0)
		return rc;
	return set_str(rec, "text", text);
}

static int read_goal(json_t *rec, const reader *r, const json_t *res)
{
	static const char *const status[][2] = { { "active", "active" }, { "entered-in-error", "entered-in-error" },
		{ NULL, NULL } };
	const json_t *target = json_array_get(json_object_get(res, "target"), 0);
	const json_t *range = json_object_get(target, "detailRange");
	const carelog__measure_code *m;
	const char *loinc;
	int rc;

	if ((rc = read_status(rec, res, "lifecycleStatus", status, "active, entered-in-error")) < 0 ||
	    (rc = need_ext_time(rec)) < 0 || (rc = read_subject(rec, r, res, "subject")) < 0 ||
	    (rc = read_note(rec, res)) < 0 ||
	    (rc = measure_code(&m, &loinc, json_object_get(target, "measure"), "target[0].measure", "")) < 0 ||
	    (rc = set_str(rec, "code", m->code)) < 0)
		return rc;
	if (!json_is_object(range))
		return fail("target[0].detailRange is required");
	return read_low_high(rec, range, "target[0].detailRange", m->unit, m->code);
}

static int read_basic(json_t *rec, const reader *r, const json_t *res)
{
	const json_t *c;
	size_t i;
	int rc;
	if ((rc = need_ext_time(rec)) < 0 || (rc = read_subject(rec, r, res, "subject")) < 0)
		return rc;
	json_array_foreach(json_object_get(json_object_get(res, "code"), "coding"), i, c)
		if (str(c, "system") && strcmp(str(c, "system"), CARELOG_FHIR_SYSTEM_RULE) == 0 && str(c, "code"))
			return set_str(rec, "rule", str(c, "code"));
	return fail("code.coding needs a code of %s (carelog reads a Basic resource as an alert rule setting)",
		CARELOG_FHIR_SYSTEM_RULE);
}

static const struct {
	const char *type;
	const char *kind;      /* NULL: decided by the reader (Observation) */
	const char *time;      /* the element holding the record's time; NULL: its extension */
	int order;
	read_fn read;
} types[] = {
	{ "Patient", "patient", NULL, 0, read_patient },
	{ "RelatedPerson", "caregiver", NULL, 2, read_related_person },
	{ "Practitioner", "caregiver", NULL, 2, read_practitioner },
	{ "MedicationRequest", "plan", "authoredOn", 1, read_medication_request },
	{ "MedicationAdministration", "dose", "effectiveDateTime", 2, read_medication_administration },
	{ "Observation", NULL, "effectiveDateTime", 2, read_observation },
	{ "Communication", "note", "sent", 2, read_communication },
	{ "Goal", "target", NULL, 2, read_goal },
	{ "Basic", "rule", NULL, 2, read_basic },
	{ "Provenance", NULL, NULL, 3, NULL },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static size_t type_index(const char *type)
{
	size_t i;
	for (i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type, type) == 0)
			break;
	return i;
}

/* ---- the Bundle ---- */

/* The record id of a resource: its carelog identifier, else its id when
 * that has carelog's form, else a new one (from the record's time). */
static int entry_id(entry *e, size_t t)
{
	const json_t *ident, *ext;
	const char *rid = str(e->res, "id"), *time = NULL;
	int64_t ms;
	size_t i;

	json_array_foreach(json_object_get(e->res, "identifier"), i, ident)
		if (str(ident, "system") && strcmp(str(ident, "system"), CARELOG_FHIR_SYSTEM_RECORD) == 0) {
			const char *v = str(ident, "value");
			if (v == NULL || !carelog__id_valid(v))
				return fail("identifier[%zu].value '%.60s' is not a carelog record id", i, v ? v : "");
			snprintf(e->id, sizeof(e->id), "%s", v);
			return 0;
		}
	if (rid && carelog__id_valid(rid)) {
		snprintf(e->id, sizeof(e->id), "%s", rid);
		return 0;
	}
	if (types[t].time)
		time = str(e->res, types[t].time);
	json_array_foreach(json_object_get(e->res, "extension"), i, ext)
		if (str(ext, "url") && strcmp(str(ext, "url"), CARELOG_FHIR_EXTENSION "time") == 0)
			time = str(ext, "valueDateTime");
	if (time == NULL || carelog__time_parse(&ms, time, "time") < 0)
		ms = carelog__now_ms();
	carelog_error_clear();
	return carelog__id_generate(e->id, ms);
}

/* Makes entry i known by `text` (its fullUrl, or "Type/id"). Two entries
 * known by the same text would make a reference to it name either one
 * (FHIR's bdl-7: a fullUrl is unique in a Bundle): refused. */
static int add_ref(reader *r, const char *text, const char *what, size_t i)
{
	const json_t *seen;
	if (text == NULL)
		return 0;
	if ((seen = json_object_get(r->refs, text)) != NULL && json_integer_value(seen) != (json_int_t)i)
		return fail("%s '%.200s' is also entry[%lld]'s: a reference to it would be ambiguous", what, text,
			(long long)json_integer_value(seen));
	if (json_object_set_new(r->refs, text, json_integer((json_int_t)i)) != 0)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	return 0;
}

/* Elements that FHIR R4 makes lists wherever they appear in the resources
 * carelog reads. A single object or string where a list belongs would
 * otherwise read as an empty list, and a later error would blame some other
 * element (or, for an identifier, the record would get another id). */
static const char *const list_elements[] = {
	"coding", "extension", "modifierExtension", "agent", "target", "dosageInstruction", "timeOfDay",
	"referenceRange", "interpretation", "payload", "note", "name", "telecom", "category", NULL
};

static int is_list_element(const char *key, int resource_root)
{
	/* a resource's identifier is a list; a Reference's is one Identifier */
	if (resource_root && strcmp(key, "identifier") == 0)
		return 1;
	for (size_t i = 0; list_elements[i]; i++)
		if (strcmp(key, list_elements[i]) == 0)
			return 1;
	return 0;
}

/* Refuses a list element that is not a JSON array anywhere in `v`, naming
 * its path ("code.coding", "agent[0].type.coding"). Run on every entry
 * before any is read: the readers may take these elements as arrays. */
static int check_lists(const json_t *v, const char *path, int depth)
{
	char sub[256];
	const char *key;
	const json_t *m;
	size_t i;
	int rc;

	if (depth > 32)
		return fail("%s nests deeper than carelog reads (32 levels)", *path ? path : "the resource");
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, m) {
			snprintf(sub, sizeof(sub), "%s%s%.64s", path, *path ? "." : "", key);
			if (is_list_element(key, depth == 0) && !json_is_array(m))
				return fail("%s must be an array", sub);
			if ((rc = check_lists(m, sub, depth + 1)) < 0)
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			if ((rc = check_lists(m, sub, depth + 1)) < 0)
				return rc;
		}
	}
	return 0;
}

/* Reads entry i's resource type and id and makes it known by reference. */
static int entry_start(reader *r, size_t i, const json_t *ent)
{
	entry *e = &r->e[i];
	const json_t *res = json_object_get(ent, "resource"), *seen;
	const char *rid;
	char buf[160];
	size_t t;
	int rc;

	snprintf(e->where, sizeof(e->where), "entry[%zu]", i);
	if (!json_is_object(res))
		return fail("resource is required (a resource object)");
	e->res = res;
	if ((e->type = str(res, "resourceType")) == NULL)
		return fail("resource.resourceType is required");
	rid = str(res, "id");
	snprintf(e->where, sizeof(e->where), "entry[%zu] %.40s/%.64s", i, e->type, rid ? rid : "(no id)");
	if ((t = type_index(e->type)) == NTYPES)
		return fail("resourceType '%.40s' is not one carelog imports (Patient, RelatedPerson, Practitioner, "
			"MedicationRequest, MedicationAdministration, Observation, Communication, Goal, Basic, Provenance)",
			e->type);
	if (json_object_get(res, "modifierExtension"))
		return fail("modifierExtension changes what the resource means and carelog does not understand it");
	if ((rc = check_lists(res, "", 0)) < 0)
		return rc;
	e->order = types[t].order;
	if ((rc = add_ref(r, str(ent, "fullUrl"), "fullUrl", i)) < 0)
		return rc;
	if (rid) {
		snprintf(buf, sizeof(buf), "%.40s/%.64s", e->type, rid);
		if ((rc = add_ref(r, buf, "resource type and id", i)) < 0)
			return rc;
	}
	if (types[t].read == NULL)
		return 0;
	if ((rc = entry_id(e, t)) < 0)
		return rc;
	if ((seen = json_object_get(r->ids, e->id)) != NULL)
		return fail("record %s is also entry[%lld]", e->id, (long long)json_integer_value(seen));
	if (json_object_set_new(r->ids, e->id, json_integer((json_int_t)i)) != 0)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	return 0;
}

/* A Provenance gives the entries it targets their author, device and stamp. */
static int provenance_targets(reader *r, size_t i)
{
	const json_t *targets = json_object_get(r->e[i].res, "target"), *t;
	size_t k;
	if (!json_is_array(targets) || json_array_size(targets) == 0)
		return fail("target is required (the resources it is the provenance of)");
	json_array_foreach(targets, k, t) {
		const char *text = str(t, "reference");
		const json_t *idx = text ? json_object_get(r->refs, text) : NULL;
		entry *e;
		if (idx == NULL)
			return fail("target[%zu].reference '%.80s' is no resource of this Bundle", k, text ? text : "");
		e = &r->e[json_integer_value(idx)];
		if (e->prov)
			return fail("target[%zu]: %s has another Provenance already", k, e->where);
		e->prov = r->e[i].res;
	}
	return 0;
}

static int read_provenance(json_t *rec, const json_t *prov)
{
	const json_t *agent, *ext;
	size_t i, k;
	int rc;

	json_array_foreach(json_object_get(prov, "agent"), i, agent) {
		const json_t *who = json_object_get(agent, "who"), *c;
		const json_t *ident = json_object_get(who, "identifier");
		json_array_foreach(json_object_get(json_object_get(agent, "type"), "coding"), k, c)
			if (str(c, "system") && strcmp(str(c, "system"), PARTICIPANT_TYPE) == 0 && str(c, "code") &&
			    strcmp(str(c, "code"), "author") == 0 && str(who, "display") &&
			    (rc = set_str(rec, "author", str(who, "display"))) < 0)
				return rc;
		if (str(ident, "system") && strcmp(str(ident, "system"), CARELOG_FHIR_SYSTEM_DEVICE) == 0 &&
		    str(ident, "value") && (rc = set_str(rec, "device", str(ident, "value"))) < 0)
			return rc;
	}
	json_array_foreach(json_object_get(prov, "extension"), i, ext)
		if (str(ext, "url") && strcmp(str(ext, "url"), CARELOG_FHIR_EXTENSION "hlc") == 0 &&
		    str(ext, "valueString") && (rc = set_str(rec, "hlc", str(ext, "valueString"))) < 0)
			return rc;
	return 0;
}

static int read_entry(reader *r, entry *e)
{
	size_t t = type_index(e->type);
	int rc;

	if ((e->rec = json_object()) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	if ((rc = set_str(e->rec, "id", e->id)) < 0 ||
	    (types[t].kind && (rc = set_str(e->rec, "kind", types[t].kind)) < 0) ||
	    (rc = read_extensions(e->rec, r, e->res)) < 0 || (rc = types[t].read(e->rec, r, e->res)) < 0)
		return rc;
	return e->prov ? read_provenance(e->rec, e->prov) : 0;
}

static int cmp_order(const void *a, const void *b)
{
	const entry *const *x = a, *const *y = b;
	if ((*x)->order != (*y)->order)
		return (*x)->order - (*y)->order;
	return (*x < *y) ? -1 : (*x > *y);
}

static int collect(json_t *out, reader *r)
{
	entry **sorted = calloc(r->n ? r->n : 1, sizeof(*sorted));
	int rc = 0;
	if (sorted == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	for (size_t i = 0; i < r->n; i++)
		sorted[i] = &r->e[i];
	qsort(sorted, r->n, sizeof(*sorted), cmp_order);
	for (size_t i = 0; i < r->n && rc == 0; i++)
		if (sorted[i]->rec && json_array_append_new(out, json_pack("{s:O,s:s}", "record", sorted[i]->rec,
				"where", sorted[i]->where)) != 0)
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	free(sorted);
	return rc;
}

static int read_bundle(json_t *out, reader *r, const json_t *bundle)
{
	const json_t *entries = json_object_get(bundle, "entry"), *ent;
	const char *type = str(bundle, "resourceType");
	size_t i;
	int rc = 0;

	if (type == NULL || strcmp(type, "Bundle") != 0)
		return fail("resourceType '%.40s' is not Bundle: carelog imports a FHIR Bundle", type ? type : "");
	if (entries && !json_is_array(entries))
		return fail("Bundle.entry must be an array");
	r->n = json_array_size(entries);
	if ((r->e = calloc(r->n ? r->n : 1, sizeof(*r->e))) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	json_array_foreach(entries, i, ent)
		if ((rc = entry_start(r, i, ent)) < 0)
			return carelog__fail_prefix("%s", r->e[i].where);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->e[i].type, "Provenance") == 0 && (rc = provenance_targets(r, i)) < 0)
			return carelog__fail_prefix("%s", r->e[i].where);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->e[i].type, "Provenance") != 0 && (rc = read_entry(r, &r->e[i])) < 0)
			return carelog__fail_prefix("%s", r->e[i].where);
	return collect(out, r);
}

int carelog__fhir_bundle_records(json_t **out, const json_t *bundle)
{
	reader r = { NULL, 0, json_object(), json_object() };
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (!r.refs || !r.ids || !list)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory reading a Bundle");
	else if (!json_is_object(bundle))
		rc = fail("the input is not a JSON object (a FHIR Bundle)");
	else
		rc = read_bundle(list, &r, bundle);
	for (size_t i = 0; r.e && i < r.n; i++)
		json_decref(r.e[i].rec);
	free(r.e);
	json_decref(r.refs);
	json_decref(r.ids);
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* ---- writing ---- */

/* "severity 11 is out of range 0-10" -> "severity"; the field an error
 * about a record names, so that the message can name its FHIR element. */
static const char *named_field(char *buf, size_t n, const char *msg, const json_t *rec)
{
	size_t k = 0;
	if (strncmp(msg, "unknown field '", 15) == 0) {
		const char *q = strchr(msg + 15, '\'');
		snprintf(buf, n, "%.*s", q ? (int)(q - msg - 15) : 0, msg + 15);
		return buf[0] ? buf : NULL;
	}
	while (k + 1 < n && ((msg[k] >= 'a' && msg[k] <= 'z') || msg[k] == '_'))
		k++;
	snprintf(buf, n, "%.*s", (int)k, msg);
	if (k == 0 || (json_object_get(rec, buf) == NULL && strstr(msg, " is required") == NULL))
		return NULL;
	return buf;
}

typedef struct {
	const json_t *records;
} fhir_input;

static int fill_fhir(size_t *staged, carelog_batch *b, void *payload)
{
	const fhir_input *in = payload;
	const json_t *item;
	size_t i;
	(void)staged;

	json_array_foreach(in->records, i, item) {
		const json_t *rec = json_object_get(item, "record");
		const char *where = str(item, "where"), *kind = str(rec, "kind");
		char field[64], ebuf[160];
		json_t *copy = json_deep_copy(rec);
		int rc;

		if (copy == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		if ((rc = carelog__batch_add(b, copy, NULL)) < 0) {
			const char *f = named_field(field, sizeof(field), carelog_error_last()->message, rec);
			if (f)
				return carelog__fail_prefix("%s: %s", where, carelog__fhir_element(ebuf, sizeof(ebuf), kind, f));
			return carelog__fail_prefix("%s", where);
		}
	}
	return 0;
}

/* Reads the input for jansson, at most CARELOG__FHIR_MAX_BYTES of it: a
 * Bundle is untrusted and parsed whole in memory. */
typedef struct {
	FILE *in;
	size_t total;
	int too_big, read_error;
} capped_input;

static size_t capped_read(void *buf, size_t n, void *arg)
{
	capped_input *c = arg;
	size_t room = CARELOG__FHIR_MAX_BYTES + 1 - c->total, got;
	got = fread(buf, 1, n < room ? n : room, c->in);
	c->total += got;
	if (c->total > CARELOG__FHIR_MAX_BYTES) {
		c->too_big = 1;
		return (size_t)-1;
	}
	if (got == 0 && ferror(c->in)) {
		c->read_error = 1;
		return (size_t)-1;
	}
	return got;
}

static json_t *load_bundle(FILE *in, int *rc)
{
	capped_input c = { in, 0, 0, 0 };
	json_error_t jerr;
	json_t *bundle = json_load_callback(capped_read, &c, JSON_REJECT_DUPLICATES, &jerr);

	*rc = 0;
	if (bundle && !c.too_big)
		return bundle;
	json_decref(bundle); /* jansson reads a failed read as the end */
	if (c.too_big)
		*rc = carelog__fail(CARELOG_EINVALID, "the input is larger than %d MiB, the most carelog imports as one "
			"Bundle", CARELOG__FHIR_MAX_BYTES >> 20);
	else if (c.read_error)
		*rc = carelog__fail(CARELOG_EIO, "cannot read the input: %s", strerror(errno));
	else
		*rc = carelog__fail(CARELOG_EINVALID, "the input is not valid JSON: %s at line %d column %d", jerr.text,
			jerr.line, jerr.column);
	return NULL;
}

int carelog_import_fhir(size_t *written, carelog_store *s, FILE *in)
{
	json_t *bundle = NULL, *records = NULL;
	size_t count = 0;
	int rc;

	if (in == NULL)
		rc = carelog__fail(CARELOG_EINVALID, "no input given");
	else
		bundle = load_bundle(in, &rc);
	if (bundle && (rc = carelog__fhir_bundle_records(&records, bundle)) == 0) {
		fhir_input fi = { records };
		rc = carelog__import_run(&count, s, fill_fhir, &fi);
	}
	json_decref(records);
	json_decref(bundle);
	if (written)
		*written = rc == 0 ? count : 0;
	return carelog__store_result(s, rc);
}
