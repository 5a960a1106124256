/*
 * export_fhir.c - records as FHIR R4 resources: each kind's fields go to the
 * elements FHIR has for them, whatever is left over goes to one carelog
 * extension per field, and each record's author, device and clock stamp go
 * to a Provenance. docs/exchange.md has the table; import_fhir.c reads the
 * same elements back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exchange_internal.h"
#include "record_schema.h"
#include "timeutil.h"

#define OBS_CATEGORY "http://terminology.hl7.org/CodeSystem/observation-category"
#define INTERPRETATION "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
#define PARTICIPANT_TYPE "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

/* A resource being built from a record. */
typedef struct {
	const json_t *rec;
	json_t *res;
	json_t *left;  /* the record's fields not placed yet */
	int failed;    /* an allocation failed somewhere */
} build;

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A reference to the record `id`, as the Bundle's fullUrl names it. */
static json_t *ref(const char *id)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "urn:uuid:%s", id);
	return json_pack("{s:s}", "reference", buf);
}

/* Sets res[key] = v (taking v); remembers a failure. */
static void put(build *b, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		b->failed = 1;
}

/* Marks fields as placed. */
static void take(build *b, const char *field)
{
	json_object_del(b->left, field);
}

/* A copy of record field `field` (NULL when absent). */
static json_t *field(const build *b, const char *field)
{
	return json_deep_copy(json_object_get(b->rec, field));
}

static json_t *coding(const char *system, const char *code, const char *display)
{
	return display ? json_pack("{s:s,s:s,s:s}", "system", system, "code", code, "display", display)
		       : json_pack("{s:s,s:s}", "system", system, "code", code);
}

static json_t *quantity(json_t *value, const char *ucum)
{
	return json_pack("{s:o,s:s,s:s,s:s}", "value", value, "unit", ucum, "system", CARELOG__UCUM, "code", ucum);
}

static void put_note(build *b)
{
	if (json_object_get(b->rec, "note")) {
		put(b, b->res, "note", json_pack("[{s:o}]", "text", field(b, "note")));
		take(b, "note");
	}
}

static void put_subject(build *b, const char *key)
{
	put(b, b->res, key, ref(str(b->rec, "patient")));
	take(b, "patient");
}

/* The record's time in the element `key`. */
static void put_time(build *b, const char *key)
{
	put(b, b->res, key, field(b, "time"));
	take(b, "time");
}

/* status: the record's status where the resource's status has both values. */
static void put_status(build *b, const char *key, const char *active)
{
	const char *status = str(b->rec, "status");
	put(b, b->res, key, json_string(strcmp(status, "active") == 0 ? active : status));
	take(b, "status");
}

/* The CodeableConcept of a measurement code: LOINC where it has one, and
 * carelog's own code. */
static json_t *measure_concept(const char *code)
{
	const carelog__measure_code *m = carelog__measure_code_find(code);
	json_t *codings = json_array();
	if (m == NULL || codings == NULL) {
		json_decref(codings);
		return NULL;
	}
	if (m->loinc)
		json_array_append_new(codings, coding(CARELOG__LOINC, m->loinc, m->label));
	json_array_append_new(codings, coding(CARELOG_FHIR_SYSTEM_MEASUREMENT, m->code, m->label));
	return json_pack("{s:o,s:s}", "coding", codings, "text", m->label);
}

/* ---- kinds ---- */

static void map_patient(build *b)
{
	put(b, b->res, "name", json_pack("[{s:o}]", "text", field(b, "name")));
	take(b, "name");
	if (json_object_get(b->rec, "born")) {
		put(b, b->res, "birthDate", field(b, "born"));
		take(b, "born");
	}
	take(b, "patient"); /* the patient's own id */
}

static void map_caregiver(build *b)
{
	if (strcmp(str(b->rec, "role"), "caregiver") == 0) {
		put_subject(b, "patient");
		take(b, "role");
	}
	put(b, b->res, "name", json_pack("[{s:o}]", "text", field(b, "name")));
	take(b, "name");
	if (json_object_get(b->rec, "contact")) {
		put(b, b->res, "telecom", json_pack("[{s:s,s:o}]", "system", "other", "value", field(b, "contact")));
		take(b, "contact");
	}
}

/* One dosageInstruction: `dose` from `start` to `end` (NULL: open). */
static json_t *dosage(build *b, int sequence, json_t *dose, const char *start, const char *end)
{
	const json_t *times = json_object_get(b->rec, "times");
	const char *route = str(b->rec, "route");
	json_t *repeat = json_object(), *tod = json_array(), *t;
	size_t i;
	json_t *period = end ? json_pack("{s:s,s:s}", "start", start, "end", end) : json_pack("{s:s}", "start", start);

	put(b, repeat, "boundsPeriod", period);
	json_array_foreach(times, i, t) {
		char hms[16];
		snprintf(hms, sizeof(hms), "%.5s:00", json_string_value(t));
		if (json_array_append_new(tod, json_string(hms)) != 0)
			b->failed = 1;
	}
	if (json_array_size(times) > 0) {
		put(b, repeat, "frequency", json_integer((json_int_t)json_array_size(times)));
		put(b, repeat, "period", json_integer(1));
		put(b, repeat, "periodUnit", json_string("d"));
		put(b, repeat, "timeOfDay", tod);
	} else {
		json_decref(tod);
	}
	return json_pack("{s:i,s:{s:o},s:{s:[o],s:s},s:[{s:o}]}", "sequence", sequence, "timing", "repeat", repeat,
		"route", "coding", coding(CARELOG_FHIR_SYSTEM_ROUTE, route, NULL), "text", route,
		"doseAndRate", "doseQuantity", quantity(dose, carelog__fhir_ucum_of_dose_unit(str(b->rec, "unit"))));
}

/* The day before `date`, as a date. */
static void day_before(char out[CARELOG__DATE_BUFSIZE], const char *date)
{
	int64_t days = 0;
	carelog__date_parse(&days, date, "date");
	carelog__date_format(out, days - 1);
}

/* The plan's regimen as sequenced dosages: the plan's dose from its start
 * (unless the first taper step starts that day: the dose then goes to an
 * extension), then one dosage per taper step, each until the day before
 * the next step and the last until the plan's end. */
static void map_plan_dosages(build *b)
{
	const json_t *taper = json_object_get(b->rec, "taper");
	const char *start = str(b->rec, "start"), *end = str(b->rec, "end");
	json_t *list = json_array();
	size_t n = json_array_size(taper), i;
	char until[CARELOG__DATE_BUFSIZE];
	int seq = 1;

	if (n == 0 || strcmp(str(json_array_get(taper, 0), "date"), start) != 0) {
		if (n > 0)
			day_before(until, str(json_array_get(taper, 0), "date"));
		if (json_array_append_new(list, dosage(b, seq++, field(b, "dose"), start, n ? until : end)) != 0)
			b->failed = 1;
		take(b, "dose");
	}
	for (i = 0; i < n; i++) {
		const json_t *step = json_array_get(taper, i);
		if (i + 1 < n)
			day_before(until, str(json_array_get(taper, i + 1), "date"));
		if (json_array_append_new(list, dosage(b, seq++, json_deep_copy(json_object_get(step, "dose")),
				str(step, "date"), i + 1 < n ? until : end)) != 0)
			b->failed = 1;
	}
	put(b, b->res, "dosageInstruction", list);
	take(b, "taper");
	take(b, "start");
	take(b, "end");
	take(b, "times");
	take(b, "route");
	take(b, "unit");
}

static void map_plan(build *b)
{
	put_status(b, "status", "active");
	put(b, b->res, "intent", json_string("plan"));
	put(b, b->res, "medicationCodeableConcept", json_pack("{s:o}", "text", field(b, "drug")));
	take(b, "drug");
	put_subject(b, "subject");
	put_time(b, "authoredOn");
	put_note(b);
	map_plan_dosages(b);
}

static void map_dose(build *b)
{
	const char *outcome = str(b->rec, "outcome"), *status = str(b->rec, "status");
	int given = strcmp(outcome, "given") == 0;

	put(b, b->res, "status", json_string(strcmp(status, "active") != 0 ? status : given ? "completed" : "not-done"));
	take(b, "status");
	/* kept for a voided dose too: its outcome is part of the record */
	if (!given)
		put(b, b->res, "statusReason", json_pack("[{s:[o],s:s}]", "coding",
			coding(CARELOG_FHIR_SYSTEM_OUTCOME, outcome, NULL), "text", outcome));
	take(b, "outcome");
	put(b, b->res, "medicationCodeableConcept", json_pack("{s:o}", "text", field(b, "drug")));
	take(b, "drug");
	put_subject(b, "subject");
	put_time(b, "effectiveDateTime");
	if (str(b->rec, "plan")) {
		put(b, b->res, "request", ref(str(b->rec, "plan")));
		take(b, "plan");
	}
	put_note(b);
	put(b, b->res, "dosage", json_pack("{s:o}", "dose",
		quantity(field(b, "amount"), carelog__fhir_ucum_of_dose_unit(str(b->rec, "unit")))));
	take(b, "amount");
	take(b, "unit");
}

static void map_symptom(build *b)
{
	const carelog__symptom_code *c = carelog__symptom_code_find(str(b->rec, "code"));
	json_t *codings = json_array();

	put_status(b, "status", "final");
	if (c && c->snomed && json_array_append_new(codings, coding(CARELOG__SNOMED, c->snomed, c->label)) != 0)
		b->failed = 1;
	if (c == NULL || json_array_append_new(codings, coding(CARELOG_FHIR_SYSTEM_SYMPTOM, c->code, c->label)) != 0)
		b->failed = 1;
	put(b, b->res, "code", json_pack("{s:o,s:s}", "coding", codings, "text", c ? c->label : "?"));
	take(b, "code");
	put_subject(b, "subject");
	put_time(b, "effectiveDateTime");
	put(b, b->res, "valueInteger", field(b, "severity"));
	take(b, "severity");
	put_note(b);
}

/* H above the report's range, L below it, N inside; none without a range. */
static const char *interpretation(const json_t *rec)
{
	const json_t *range = json_object_get(rec, "range");
	const json_t *low = json_object_get(range, "low"), *high = json_object_get(range, "high");
	double v = json_number_value(json_object_get(rec, "value"));
	if (range == NULL)
		return NULL;
	if (low && v < json_number_value(low))
		return "L";
	if (high && v > json_number_value(high))
		return "H";
	return "N";
}

static void map_measurement(build *b)
{
	const char *code = str(b->rec, "code"), *unit = str(b->rec, "unit"), *flag = interpretation(b->rec);
	const char *category = strcmp(code, "temperature") == 0 || strcmp(code, "weight") == 0 ? "vital-signs"
		: strcmp(code, "spleen-size") == 0 ? "exam" : "laboratory";
	const json_t *range = json_object_get(b->rec, "range");

	put_status(b, "status", "final");
	put(b, b->res, "category", json_pack("[{s:[o]}]", "coding", coding(OBS_CATEGORY, category, NULL)));
	put(b, b->res, "code", measure_concept(code));
	take(b, "code");
	take(b, "loinc");
	put_subject(b, "subject");
	put_time(b, "effectiveDateTime");
	put(b, b->res, "valueQuantity", quantity(field(b, "value"), unit));
	take(b, "value");
	take(b, "unit");
	if (flag)
		put(b, b->res, "interpretation", json_pack("[{s:[o]}]", "coding", coding(INTERPRETATION, flag, NULL)));
	if (range) {
		json_t *rr = json_object();
		if (json_object_get(range, "low"))
			put(b, rr, "low", quantity(json_deep_copy(json_object_get(range, "low")), unit));
		if (json_object_get(range, "high"))
			put(b, rr, "high", quantity(json_deep_copy(json_object_get(range, "high")), unit));
		put(b, b->res, "referenceRange", json_pack("[o]", rr));
		take(b, "range");
	}
	put_note(b);
}

static void map_note(build *b)
{
	put_status(b, "status", "completed");
	put_subject(b, "subject");
	put_time(b, "sent");
	put(b, b->res, "payload", json_pack("[{s:o}]", "contentString", field(b, "text")));
	take(b, "text");
	put_note(b);
}

static void map_target(build *b)
{
	const char *code = str(b->rec, "code");
	const carelog__measure_code *m = carelog__measure_code_find(code);
	json_t *range = json_object();
	char text[160];

	put_status(b, "lifecycleStatus", "active");
	snprintf(text, sizeof(text), "Target range for %s", m ? m->label : code);
	put(b, b->res, "description", json_pack("{s:s}", "text", text));
	put_subject(b, "subject");
	if (json_object_get(b->rec, "low"))
		put(b, range, "low", quantity(field(b, "low"), m ? m->unit : "1"));
	if (json_object_get(b->rec, "high"))
		put(b, range, "high", quantity(field(b, "high"), m ? m->unit : "1"));
	put(b, b->res, "target", json_pack("[{s:o,s:o}]", "measure", measure_concept(code), "detailRange", range));
	take(b, "code");
	take(b, "low");
	take(b, "high");
	put_note(b);
}

static void map_rule(build *b)
{
	char date[11];
	put(b, b->res, "code", json_pack("{s:[o]}", "coding", coding(CARELOG_FHIR_SYSTEM_RULE, str(b->rec, "rule"), NULL)));
	take(b, "rule");
	put_subject(b, "subject");
	/* for people reading it; the exact time is in the time extension */
	snprintf(date, sizeof(date), "%.10s", str(b->rec, "time"));
	put(b, b->res, "created", json_string(date));
}

static const struct {
	const char *kind;
	void (*map)(build *b);
} mappers[] = {
	{ "patient", map_patient }, { "caregiver", map_caregiver }, { "plan", map_plan },
	{ "dose", map_dose }, { "symptom", map_symptom }, { "measurement", map_measurement },
	{ "note", map_note }, { "target", map_target }, { "rule", map_rule },
};

/* One carelog extension holding a field FHIR has no element for. */
static json_t *extension(const char *name, const json_t *v)
{
	char url[96];
	const char *key;
	json_t *value;

	snprintf(url, sizeof(url), "%s%s", CARELOG_FHIR_EXTENSION, name);
	if (strcmp(name, "time") == 0) {
		key = "valueDateTime";
		value = json_deep_copy(v);
	} else if (strcmp(name, "patient") == 0) {
		key = "valueReference";
		value = ref(json_string_value(v));
	} else if (strcmp(name, "entered") == 0) {
		key = "valueQuantity";
		value = quantity(json_deep_copy(json_object_get(v, "value")), json_string_value(json_object_get(v, "unit")));
	} else if (json_is_string(v)) {
		key = "valueString";
		value = json_deep_copy(v);
	} else if (json_is_integer(v)) {
		key = "valueInteger";
		value = json_deep_copy(v);
	} else if (json_is_real(v)) {
		key = "valueDecimal";
		value = json_deep_copy(v);
	} else if (json_is_boolean(v)) {
		key = "valueBoolean";
		value = json_deep_copy(v);
	} else { /* no kind has another such field; kept whole all the same */
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		key = "valueString";
		value = text ? json_string(text) : NULL;
		free(text);
	}
	return json_pack("{s:s,s:o}", "url", url, key, value);
}

json_t *carelog__fhir_resource(const json_t *rec)
{
	const char *kind = str(rec, "kind"), *id = str(rec, "id");
	build b = { rec, NULL, NULL, 0 };
	json_t *exts, *v;
	const char *key;
	size_t i;

	b.res = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "resourceType", carelog__fhir_type_of(kind, str(rec, "role")),
		"id", id, "identifier", "system", CARELOG_FHIR_SYSTEM_RECORD, "value", id);
	b.left = json_deep_copy(rec);
	exts = json_array();
	if (b.res == NULL || b.left == NULL || exts == NULL)
		goto nomem;
	for (i = 0; i < sizeof(mappers) / sizeof(mappers[0]); i++)
		if (strcmp(mappers[i].kind, kind) == 0)
			mappers[i].map(&b);
	/* in the resource or its Provenance already; "active" is the default */
	static const char *const placed[] = { "id", "kind", "author", "device", "hlc" };
	for (i = 0; i < sizeof(placed) / sizeof(placed[0]); i++)
		take(&b, placed[i]);
	if (str(b.left, "status") && strcmp(str(b.left, "status"), "active") == 0)
		take(&b, "status");
	json_object_foreach(b.left, key, v)
		if (json_array_append_new(exts, extension(key, v)) != 0)
			b.failed = 1;
	if (json_array_size(exts) > 0)
		put(&b, b.res, "extension", exts);
	else
		json_decref(exts);
	json_decref(b.left);
	if (b.failed) {
		json_decref(b.res);
		carelog__fail(CARELOG_ENOMEM, "out of memory building the FHIR resource of %s", id);
		return NULL;
	}
	return b.res;
nomem:
	json_decref(b.res);
	json_decref(b.left);
	json_decref(exts);
	carelog__fail(CARELOG_ENOMEM, "out of memory building the FHIR resource of %s", id);
	return NULL;
}

void carelog__fhir_provenance_id(char out[CARELOG_ID_BUFSIZE], const char *record_id)
{
	snprintf(out, CARELOG_ID_BUFSIZE, "%s", record_id);
	out[14] = '8'; /* xxxxxxxx-xxxx-Vxxx: the UUID version digit */
}

json_t *carelog__fhir_provenance(const json_t *rec)
{
	const char *hlc = str(rec, "hlc"), *device = str(rec, "device");
	char id[CARELOG_ID_BUFSIZE], recorded[32];
	json_t *p;

	carelog__fhir_provenance_id(id, str(rec, "id"));
	/* the stamp's time, "YYYY-MM-DDTHH:MM:SS.mmmZ", is when it was written */
	snprintf(recorded, sizeof(recorded), "%.24s", hlc);
	p = json_pack("{s:s,s:s,s:[{s:s,s:s}],s:[o],s:s,s:[{s:{s:[o]},s:{s:s}},{s:{s:s,s:{s:s,s:s},s:s}}]}",
		"resourceType", "Provenance", "id", id,
		"extension", "url", CARELOG_FHIR_EXTENSION "hlc", "valueString", hlc,
		"target", ref(str(rec, "id")), "recorded", recorded,
		"agent", "type", "coding", coding(PARTICIPANT_TYPE, "author", "Author"), "who", "display", str(rec, "author"),
		"who", "type", "Device", "identifier", "system", CARELOG_FHIR_SYSTEM_DEVICE, "value", device,
		"display", device);
	if (p == NULL)
		carelog__fail(CARELOG_ENOMEM, "out of memory building a Provenance");
	return p;
}

static int add_entry(json_t *entries, json_t *resource)
{
	char url[64];
	if (resource == NULL)
		return -1;
	snprintf(url, sizeof(url), "urn:uuid:%s", str(resource, "id"));
	return json_array_append_new(entries, json_pack("{s:s,s:o}", "fullUrl", url, "resource", resource));
}

json_t *carelog__fhir_bundle(const json_t *records)
{
	char now[CARELOG__TIME_BUFSIZE];
	json_t *entries = json_array(), *rec;
	size_t i;

	carelog__time_format(now, carelog__now_ms());
	if (entries == NULL)
		goto nomem;
	json_array_foreach(records, i, rec)
		if (add_entry(entries, carelog__fhir_resource(rec)) != 0 ||
		    add_entry(entries, carelog__fhir_provenance(rec)) != 0)
			goto nomem;
	json_t *bundle = json_pack("{s:s,s:s,s:s,s:o}", "resourceType", "Bundle", "type", "collection",
		"timestamp", now, "entry", entries);
	if (bundle == NULL)
		carelog__fail(CARELOG_ENOMEM, "out of memory building a Bundle");
	return bundle;
nomem:
	json_decref(entries);
	if (carelog__last_code() != CARELOG_ENOMEM)
		carelog__fail(CARELOG_ENOMEM, "out of memory building a Bundle");
	return NULL;
}
