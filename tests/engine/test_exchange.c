/*
 * test_exchange.c - the FHIR mapping one record at a time, without a store:
 * each kind becomes the resource docs/exchange.md says (taper steps as
 * sequenced dosages, doses not given as not-done with their reason,
 * entered-in-error, LOINC and UCUM, SNOMED CT symptoms, Provenance), and a
 * Bundle of it reads back (carelog__fhir_bundle_records) into exactly the
 * record it came from; bad resources fail naming entry, resource and
 * element; CSV cells are quoted as RFC 4180 says.
 *
 * Test JSON is written with single quotes, turned into double quotes.
 */
#define _GNU_SOURCE /* fopencookie */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "carelog/common.h"
#include "exchange_internal.h"
#include "json_canon.h"
#include "record_schema.h"

#define PID "0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70"
#define RID "019abcde-f012-7345-9678-9abcdef01234"
#define PLAN "019abcde-f012-7345-9678-9abcdef0aaaa"
#define HLC "2026-11-25T16:45:52.123Z-0001"
#define SYS "'patient':'" PID "','time':'2026-11-25T09:00:00+01:00','author':'Maman','device':'phone-1','hlc':'" HLC "'"

/* A normalized record from single-quoted JSON. */
static json_t *record(const char *sq)
{
	char *text = strdup(sq);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_t *rec = carelog__json_parse_object(text, "test record");
	free(text);
	assert_non_null(rec);
	if (carelog__record_normalize(rec) != 0)
		fail_msg("record does not normalize: %s", carelog_error_last()->message);
	return rec;
}

static json_t *patient(void)
{
	return record("{'kind':'patient','id':'" PID "','patient':'" PID "','time':'2026-01-01T00:00:00Z',"
		"'author':'Maman','device':'phone-1','hlc':'2026-01-01T00:00:00.000Z-0000','name':'Léa','born':'2015-06-01',"
		"'timezone':'Europe/Paris','asplenic':true,'weight_kg':31.5,'note':'FAS variant'}");
}

static const char *s(const json_t *o, const char *path)
{
	/* "a.b.0.c": objects by key, arrays by index */
	char buf[128], *save = NULL;
	const json_t *v = o;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(t)) : json_object_get(v, t);
	return json_string_value(v);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* The value of carelog extension `name` of a resource. */
static const json_t *ext(const json_t *res, const char *name)
{
	const json_t *e;
	size_t i;
	char url[96];
	snprintf(url, sizeof(url), "%s%s", CARELOG_FHIR_EXTENSION, name);
	json_array_foreach(json_object_get(res, "extension"), i, e)
		if (strcmp(s(e, "url"), url) == 0) {
			const char *key;
			json_t *v;
			json_object_foreach((json_t *)e, key, v)
				if (strncmp(key, "value", 5) == 0)
					return v;
		}
	return NULL;
}

/* A Bundle of the patient and `rec`, read back: the record that comes back
 * for rec's id, normalized as a write would. */
static json_t *round_trip(const json_t *rec)
{
	json_t *records = json_array(), *bundle, *back = NULL, *item, *found = NULL;
	size_t i;
	json_array_append_new(records, patient());
	if (strcmp(s(rec, "kind"), "patient") != 0)
		json_array_append(records, (json_t *)rec);
	bundle = carelog__fhir_bundle(records);
	assert_non_null(bundle);
	if (carelog__fhir_bundle_records(&back, bundle) != 0)
		fail_msg("the Bundle does not read back: %s", carelog_error_last()->message);
	json_array_foreach(back, i, item)
		if (strcmp(s(item, "record.id"), s(rec, "id")) == 0)
			found = json_deep_copy(json_object_get(item, "record"));
	assert_non_null(found);
	if (carelog__record_normalize(found) != 0)
		fail_msg("the record read back does not normalize: %s", carelog_error_last()->message);
	json_decref(records);
	json_decref(bundle);
	json_decref(back);
	return found;
}

static void assert_round_trip(const json_t *rec)
{
	json_t *back = round_trip(rec);
	if (!json_equal(back, (json_t *)rec)) {
		char *a = carelog__json_dump((json_t *)rec), *b = carelog__json_dump(back);
		fail_msg("round trip changed the record:\n  %s\n  %s", a, b);
	}
	json_decref(back);
}

static void test_patient(void **state)
{
	(void)state;
	json_t *rec = patient(), *res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "resourceType"), "Patient");
	assert_string_equal(s(res, "id"), PID);
	assert_string_equal(s(res, "identifier.0.system"), CARELOG_FHIR_SYSTEM_RECORD);
	assert_string_equal(s(res, "identifier.0.value"), PID);
	assert_string_equal(s(res, "name.0.text"), "Léa");
	assert_string_equal(s(res, "birthDate"), "2015-06-01");
	assert_string_equal(json_string_value(ext(res, "timezone")), "Europe/Paris");
	assert_true(json_is_true(ext(res, "asplenic")));
	assert_true(json_number_value(ext(res, "weight_kg")) == 31.5);
	assert_null(ext(res, "status")); /* active is the default */
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);
}

static void test_plan_taper_sequenced(void **state)
{
	(void)state;
	/* the plan's dose first, then three steps */
	json_t *rec = record("{'kind':'plan','id':'" PLAN "'," SYS ",'drug':'prednisone','dose':40,'unit':'mg',"
		"'times':['08:00'],'start':'2026-11-25','end':'2026-12-31','taper':[{'date':'2026-12-01','dose':20},"
		"{'date':'2026-12-15','dose':10},{'date':'2026-12-31','dose':0}],'window_minutes':30}");
	json_t *res = carelog__fhir_resource(rec), *d = json_object_get(res, "dosageInstruction");
	assert_string_equal(s(res, "resourceType"), "MedicationRequest");
	assert_string_equal(s(res, "status"), "active");
	assert_string_equal(s(res, "intent"), "plan");
	assert_string_equal(s(res, "subject.reference"), "urn:uuid:" PID);
	assert_string_equal(s(res, "authoredOn"), "2026-11-25T08:00:00Z");
	assert_int_equal(json_array_size(d), 4);
	static const char *const bounds[][3] = { { "2026-11-25", "2026-11-30", "40" }, { "2026-12-01", "2026-12-14", "20" },
		{ "2026-12-15", "2026-12-30", "10" }, { "2026-12-31", "2026-12-31", "0" } };
	for (size_t i = 0; i < 4; i++) {
		const json_t *x = json_array_get(d, i);
		assert_int_equal(json_integer_value(json_object_get(x, "sequence")), (json_int_t)i + 1);
		assert_string_equal(s(x, "timing.repeat.boundsPeriod.start"), bounds[i][0]);
		assert_string_equal(s(x, "timing.repeat.boundsPeriod.end"), bounds[i][1]);
		assert_true(num(json_object_get(json_array_get(json_object_get(x, "doseAndRate"), 0), "doseQuantity"), "value") ==
			atof(bounds[i][2]));
		assert_string_equal(s(x, "doseAndRate.0.doseQuantity.system"), CARELOG__UCUM);
		assert_string_equal(s(x, "doseAndRate.0.doseQuantity.code"), "mg");
		assert_string_equal(s(x, "timing.repeat.timeOfDay.0"), "08:00:00");
		assert_string_equal(s(x, "route.coding.0.code"), "oral");
	}
	assert_null(ext(res, "dose"));
	assert_int_equal(json_integer_value(ext(res, "window_minutes")), 30);
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	/* a taper from the first day: every dosage is a step, the dose in an extension */
	rec = record("{'kind':'plan','id':'" PLAN "'," SYS ",'drug':'prednisone','dose':60,'unit':'mcg',"
		"'start':'2026-11-25','taper':[{'date':'2026-11-25','dose':40},{'date':'2026-12-02','dose':20.5}]}");
	res = carelog__fhir_resource(rec);
	d = json_object_get(res, "dosageInstruction");
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(s(d, "0.timing.repeat.boundsPeriod.start"), "2026-11-25");
	assert_string_equal(s(d, "0.timing.repeat.boundsPeriod.end"), "2026-12-01");
	assert_null(s(d, "1.timing.repeat.boundsPeriod.end")); /* no end: open */
	assert_string_equal(s(d, "1.doseAndRate.0.doseQuantity.code"), "ug");
	assert_int_equal(json_integer_value(ext(res, "dose")), 60);
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	/* no taper: one dosage, the plan's dates */
	rec = record("{'kind':'plan','id':'" PLAN "'," SYS ",'drug':'sirolimus','dose':1.5,'unit':'mg/m2',"
		"'route':'nasogastric','times':['20:00','08:00'],'start':'2026-11-25','end':'2027-01-31'}");
	res = carelog__fhir_resource(rec);
	d = json_object_get(res, "dosageInstruction");
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(s(d, "0.timing.repeat.boundsPeriod.end"), "2027-01-31");
	assert_string_equal(s(d, "0.timing.repeat.timeOfDay.1"), "20:00:00");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(json_array_get(d, 0),
		"timing"), "repeat"), "frequency")), 2);
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);
}

static void test_dose_status(void **state)
{
	(void)state;
	static const struct {
		const char *outcome, *status, *fhir_status, *reason;
	} cases[] = {
		{ "given", "active", "completed", NULL },
		{ "missed", "active", "not-done", "missed" },
		{ "refused", "active", "not-done", "refused" },
		{ "held", "active", "not-done", "held" },
		{ "given", "entered-in-error", "entered-in-error", NULL },
		{ "held", "entered-in-error", "entered-in-error", "held" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "{'kind':'dose','id':'" RID "'," SYS ",'drug':'prednisone','amount':2,"
			"'unit':'tablet','outcome':'%s','status':'%s'%s,'plan':'" PLAN "'}", cases[i].outcome,
			cases[i].status, strcmp(cases[i].status, "active") ? ",'reason':'wrong child'" : "");
		json_t *rec = record(text), *res = carelog__fhir_resource(rec);
		assert_string_equal(s(res, "resourceType"), "MedicationAdministration");
		assert_string_equal(s(res, "status"), cases[i].fhir_status);
		if (cases[i].reason) {
			assert_string_equal(s(res, "statusReason.0.coding.0.system"), CARELOG_FHIR_SYSTEM_OUTCOME);
			assert_string_equal(s(res, "statusReason.0.coding.0.code"), cases[i].reason);
		} else {
			assert_null(json_object_get(res, "statusReason"));
		}
		if (strcmp(cases[i].status, "active") != 0)
			assert_string_equal(json_string_value(ext(res, "reason")), "wrong child");
		assert_string_equal(s(res, "dosage.dose.code"), "{tablet}");
		assert_string_equal(s(res, "dosage.dose.system"), CARELOG__UCUM);
		assert_string_equal(s(res, "request.reference"), "urn:uuid:" PLAN);
		assert_string_equal(s(res, "effectiveDateTime"), "2026-11-25T08:00:00Z");
		assert_round_trip(rec);
		json_decref(res);
		json_decref(rec);
	}
}

static void test_measurement_loinc_ucum(void **state)
{
	(void)state;
	json_t *rec = record("{'kind':'measurement','id':'" RID "'," SYS ",'code':'temperature','value':101.3,"
		"'unit':'[degF]','range':{'low':97,'high':99.5}}");
	json_t *res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "resourceType"), "Observation");
	assert_string_equal(s(res, "status"), "final");
	assert_string_equal(s(res, "category.0.coding.0.code"), "vital-signs");
	assert_string_equal(s(res, "code.coding.0.system"), CARELOG__LOINC);
	assert_string_equal(s(res, "code.coding.0.code"), "8310-5");
	assert_string_equal(s(res, "code.coding.1.system"), CARELOG_FHIR_SYSTEM_MEASUREMENT);
	assert_string_equal(s(res, "code.coding.1.code"), "temperature");
	assert_true(num(json_object_get(res, "valueQuantity"), "value") == 38.5);
	assert_string_equal(s(res, "valueQuantity.system"), "http://unitsofmeasure.org");
	assert_string_equal(s(res, "valueQuantity.code"), "Cel");
	assert_string_equal(s(res, "referenceRange.0.low.code"), "Cel");
	assert_string_equal(s(res, "referenceRange.0.high.code"), "Cel");
	assert_string_equal(s(res, "interpretation.0.coding.0.code"), "H"); /* 38.5 > 37.5 */
	assert_string_equal(s(ext(res, "entered"), "code"), "[degF]");
	assert_true(num(ext(res, "entered"), "value") == 101.3);
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	rec = record("{'kind':'measurement','id':'" RID "'," SYS ",'code':'platelets','value':45,'range':{'low':150}}");
	res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "interpretation.0.coding.0.code"), "L");
	assert_string_equal(s(res, "valueQuantity.code"), "10*3/uL");
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	rec = record("{'kind':'measurement','id':'" RID "'," SYS ",'code':'dnt','value':2.5,'range':{'low':0,'high':2.5}}");
	res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "interpretation.0.coding.0.code"), "N");
	assert_string_equal(s(res, "code.coding.0.system"), CARELOG_FHIR_SYSTEM_MEASUREMENT); /* no LOINC */
	assert_null(s(res, "code.coding.1.code"));
	assert_string_equal(s(res, "valueQuantity.code"), "%");
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);
}

static void test_symptom_snomed(void **state)
{
	(void)state;
	json_t *rec = record("{'kind':'symptom','id':'" RID "'," SYS ",'code':'swollen-nodes','severity':4,'note':'neck'}");
	json_t *res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "code.coding.0.system"), "http://snomed.info/sct");
	assert_string_equal(s(res, "code.coding.0.code"), "30746006");
	assert_string_equal(s(res, "code.coding.1.code"), "swollen-nodes");
	assert_int_equal(json_integer_value(json_object_get(res, "valueInteger")), 4);
	assert_string_equal(s(res, "note.0.text"), "neck");
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	rec = record("{'kind':'symptom','id':'" RID "'," SYS ",'code':'pallor','severity':1}");
	res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "code.coding.0.system"), CARELOG_FHIR_SYSTEM_SYMPTOM);
	assert_null(s(res, "code.coding.1.system"));
	assert_round_trip(rec);
	json_decref(res);
	json_decref(rec);

	/* from another system: SNOMED CT alone says which symptom */
	rec = record("{'kind':'symptom','id':'" RID "'," SYS ",'code':'petechiae','severity':2}");
	json_t *records = json_pack("[o,O]", patient(), rec), *bundle = carelog__fhir_bundle(records), *back = NULL;
	json_t *obs = json_object_get(json_array_get(json_object_get(bundle, "entry"), 2), "resource");
	json_array_remove(json_object_get(json_object_get(obs, "code"), "coding"), 1);
	assert_int_equal(carelog__fhir_bundle_records(&back, bundle), 0);
	assert_string_equal(s(back, "1.record.code"), "petechiae");
	json_decref(back);
	json_decref(bundle);
	json_decref(records);
	json_decref(rec);
}

static void test_other_kinds(void **state)
{
	(void)state;
	static const struct {
		const char *json, *type;
	} cases[] = {
		{ "{'kind':'note','id':'" RID "'," SYS ",'text':'line 1\\nline \\\"2\\\", with commas','note':'n'}", "Communication" },
		{ "{'kind':'target','id':'" RID "'," SYS ",'code':'sirolimus-trough','low':5,'high':15}", "Goal" },
		{ "{'kind':'rule','id':'" RID "'," SYS ",'rule':'platelets-low','threshold':40,'severity':'urgent',"
		  "'enabled':false,'lookback_days':7,'note':'clinic'}", "Basic" },
		{ "{'kind':'caregiver','id':'" RID "'," SYS ",'name':'Papa','role':'caregiver','contact':'+33 6'}", "RelatedPerson" },
		{ "{'kind':'caregiver','id':'" RID "'," SYS ",'name':'Dr Rossi','role':'clinician'}", "Practitioner" },
		{ "{'kind':'caregiver','id':'" RID "'," SYS ",'name':'Hôpital','role':'clinic','status':'entered-in-error',"
		  "'reason':'duplicate'}", "Practitioner" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rec = record(cases[i].json), *res = carelog__fhir_resource(rec);
		assert_string_equal(s(res, "resourceType"), cases[i].type);
		assert_round_trip(rec);
		json_decref(res);
		json_decref(rec);
	}
	json_t *rec = record(cases[1].json), *res = carelog__fhir_resource(rec);
	assert_string_equal(s(res, "target.0.measure.coding.0.code"), "29247-4");
	assert_string_equal(s(res, "target.0.detailRange.low.code"), "ng/mL");
	assert_string_equal(s(res, "lifecycleStatus"), "active");
	json_decref(res);
	json_decref(rec);
}

static void test_provenance(void **state)
{
	(void)state;
	json_t *rec = record("{'kind':'note','id':'" RID "'," SYS ",'text':'x'}");
	json_t *p = carelog__fhir_provenance(rec);
	assert_string_equal(s(p, "resourceType"), "Provenance");
	assert_string_equal(s(p, "id"), "019abcde-f012-8345-9678-9abcdef01234");
	assert_string_equal(s(p, "target.0.reference"), "urn:uuid:" RID);
	assert_string_equal(s(p, "recorded"), "2026-11-25T16:45:52.123Z");
	assert_string_equal(s(p, "agent.0.type.coding.0.code"), "author");
	assert_string_equal(s(p, "agent.0.who.display"), "Maman");
	assert_string_equal(s(p, "agent.1.who.identifier.system"), CARELOG_FHIR_SYSTEM_DEVICE);
	assert_string_equal(s(p, "agent.1.who.identifier.value"), "phone-1");
	assert_string_equal(s(p, "extension.0.valueString"), HLC);
	json_t *back = round_trip(rec);
	assert_string_equal(s(back, "author"), "Maman");
	assert_string_equal(s(back, "device"), "phone-1");
	assert_string_equal(s(back, "hlc"), HLC);
	json_decref(back);
	json_decref(p);
	json_decref(rec);
}

/* A Bundle of the patient and one dose, `edit` applied to the dose's
 * resource; reading it must fail with `expect` in the message. */
static void bad(const char *key, json_t *value, const char *expect)
{
	json_t *dose = record("{'kind':'dose','id':'" RID "'," SYS ",'drug':'sirolimus','amount':1,'unit':'mg'}");
	json_t *records = json_pack("[o,o]", patient(), dose), *bundle = carelog__fhir_bundle(records), *back = NULL;
	json_t *res = json_object_get(json_array_get(json_object_get(bundle, "entry"), 2), "resource");
	if (value)
		json_object_set_new(res, key, value);
	else
		json_object_del(res, key);
	assert_int_equal(carelog__fhir_bundle_records(&back, bundle), CARELOG_EINVALID);
	if (strstr(carelog_error_last()->message, expect) == NULL)
		fail_msg("'%s' does not say '%s'", carelog_error_last()->message, expect);
	assert_null(back);
	json_decref(bundle);
	json_decref(records);
}

static void test_bad_resources(void **state)
{
	(void)state;
	bad("resourceType", json_string("Immunization"),
		"entry[2] Immunization/" RID ": resourceType 'Immunization' is not one carelog imports");
	bad("effectiveDateTime", NULL, "entry[2] MedicationAdministration/" RID ": effectiveDateTime is required");
	bad("dosage", json_pack("{s:{s:i,s:s,s:s}}", "dose", "value", 1, "system", CARELOG__UCUM, "code", "mmol"),
		"entry[2] MedicationAdministration/" RID ": dosage.dose.code 'mmol' is not a dose unit");
	bad("subject", json_pack("{s:s}", "reference", "Patient/elsewhere"),
		"entry[2] MedicationAdministration/" RID ": subject.reference 'Patient/elsewhere' is not a Patient of this Bundle");
	bad("status", json_string("in-progress"), "status 'in-progress' is not one carelog keeps");
	bad("medicationCodeableConcept", NULL, "medicationCodeableConcept.text is required");
}

/* A plan's timeOfDay that is not an array is refused, not read as no
 * times (which would make a scheduled plan an as-needed one). */
static void test_plan_time_of_day_not_array(void **state)
{
	(void)state;
	json_t *plan = record("{'kind':'plan','id':'" PLAN "'," SYS ",'drug':'sirolimus','dose':1,'unit':'mg',"
		"'times':['08:00'],'start':'2026-11-25'}");
	json_t *records = json_pack("[o,o]", patient(), plan), *bundle = carelog__fhir_bundle(records), *back = NULL;
	json_t *res = json_object_get(json_array_get(json_object_get(bundle, "entry"), 2), "resource");
	json_t *repeat = json_object_get(json_object_get(json_array_get(json_object_get(res, "dosageInstruction"), 0),
		"timing"), "repeat");
	assert_non_null(repeat);
	json_object_set_new(repeat, "timeOfDay", json_string("08:00:00"));
	assert_int_equal(carelog__fhir_bundle_records(&back, bundle), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message,
		"MedicationRequest/" PLAN ": dosageInstruction[0].timing.repeat.timeOfDay must be an array"));
	assert_null(back);
	json_decref(bundle);
	json_decref(records);
}

/* An endless Bundle: an object opened, then spaces for ever. */
static ssize_t endless_read(void *cookie, char *buf, size_t n)
{
	size_t *sent = cookie, k = 0;
	static const char head[] = "{\"resourceType\":\"Bundle\",\"entry\":[]";
	for (; k < n && *sent < sizeof(head) - 1; k++)
		buf[k] = head[(*sent)++];
	memset(buf + k, ' ', n - k);
	*sent += n - k;
	return (ssize_t)n;
}

/* A Bundle is untrusted and parsed whole: reading stops past the cap, with
 * a message saying so (without one, an endless input is read for ever). */
static void test_import_size_cap(void **state)
{
	(void)state;
	size_t sent = 0;
	cookie_io_functions_t io = { endless_read, NULL, NULL, NULL };
	FILE *in = fopencookie(&sent, "r", io);
	size_t written = 7;
	assert_non_null(in);
	assert_int_equal(carelog_import_fhir(&written, NULL, in), CARELOG_EINVALID);
	assert_non_null(strstr(carelog_error_last()->message, "larger than 256 MiB"));
	assert_int_equal(written, 0);
	assert_true(sent <= (size_t)CARELOG__FHIR_MAX_BYTES + 65536);
	fclose(in);
}

static void test_csv_quoting(void **state)
{
	(void)state;
	json_t *rec = record("{'kind':'note','id':'" RID "'," SYS ",'text':'a, \\\"b\\\"\\nc','note':'plain'}");
	json_t *records = json_pack("[o]", rec);
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(carelog__csv_table(&out, &len, records, "note"), 0);
	assert_string_equal(out,
		"id,patient,time,text,note,status,reason,author,device,hlc\r\n"
		RID "," PID ",2026-11-25T08:00:00Z,\"a, \"\"b\"\"\nc\",plain,active,,Maman,phone-1," HLC "\r\n");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(carelog__csv_table(&out, &len, records, "dose"), 0);
	assert_string_equal(out, "id,patient,time,drug,amount,unit,outcome,plan,note,status,reason,author,device,hlc\r\n");
	free(out);
	assert_int_equal(carelog__csv_table(&out, &len, records, "vaccine"), CARELOG_EINVALID);
	json_decref(records);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patient),
		cmocka_unit_test(test_plan_taper_sequenced),
		cmocka_unit_test(test_dose_status),
		cmocka_unit_test(test_measurement_loinc_ucum),
		cmocka_unit_test(test_symptom_snomed),
		cmocka_unit_test(test_other_kinds),
		cmocka_unit_test(test_provenance),
		cmocka_unit_test(test_bad_resources),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_import_size_cap),
		cmocka_unit_test(test_plan_time_of_day_not_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
