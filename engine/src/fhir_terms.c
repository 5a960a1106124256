/*
 * fhir_terms.c - the fixed vocabulary of carelog's FHIR mapping: dose units
 * in UCUM, which resource type each kind becomes, and which FHIR element
 * holds each record field (for error messages; docs/exchange.md lists the
 * same table for people).
 */
#include <stdio.h>
#include <string.h>

#include "exchange_internal.h"

/* A dose unit and its UCUM code. `units` and `tablet` count things, so
 * they are UCUM annotations (unit 1): UCUM has no unit for either. */
static const struct {
	const char *unit, *ucum;
} dose_units[] = {
	{ "mg", "mg" }, { "g", "g" }, { "mcg", "ug" }, { "mL", "mL" },
	{ "mg/kg", "mg/kg" }, { "mg/m2", "mg/m2" }, { "units", "{unit}" }, { "tablet", "{tablet}" },
};
#define NUNITS (sizeof(dose_units) / sizeof(dose_units[0]))

const char *carelog__fhir_ucum_of_dose_unit(const char *unit)
{
	for (size_t i = 0; unit && i < NUNITS; i++)
		if (strcmp(dose_units[i].unit, unit) == 0)
			return dose_units[i].ucum;
	return NULL;
}

const char *carelog__fhir_dose_unit_of_ucum(const char *ucum)
{
	for (size_t i = 0; ucum && i < NUNITS; i++)
		if (strcmp(dose_units[i].ucum, ucum) == 0)
			return dose_units[i].unit;
	return NULL;
}

const char *carelog__fhir_dose_ucum_list(void)
{
	return "mg, g, ug, mL, mg/kg, mg/m2, {unit}, {tablet}";
}

const char *carelog__fhir_type_of(const char *kind, const char *role)
{
	static const char *const types[][2] = {
		{ "patient", "Patient" }, { "plan", "MedicationRequest" },
		{ "dose", "MedicationAdministration" }, { "symptom", "Observation" },
		{ "measurement", "Observation" }, { "note", "Communication" },
		{ "target", "Goal" }, { "rule", "Basic" },
	};
	if (kind && strcmp(kind, "caregiver") == 0)
		return role && strcmp(role, "caregiver") == 0 ? "RelatedPerson" : "Practitioner";
	for (size_t i = 0; kind && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i][0], kind) == 0)
			return types[i][1];
	return NULL;
}

/* kind ("*" = any), field, element */
static const char *const elements[][3] = {
	{ "*", "id", "identifier (system " CARELOG_FHIR_SYSTEM_RECORD ") and id" },
	{ "*", "author", "Provenance.agent (type author) who.display" },
	{ "*", "device", "Provenance.agent who.identifier (system " CARELOG_FHIR_SYSTEM_DEVICE ")" },
	{ "*", "hlc", "Provenance.extension " CARELOG_FHIR_EXTENSION "hlc" },
	{ "patient", "name", "name[0].text" },
	{ "patient", "born", "birthDate" },
	{ "caregiver", "name", "name[0].text" },
	{ "caregiver", "contact", "telecom[0].value" },
	{ "caregiver", "patient", "patient (RelatedPerson) or extension " CARELOG_FHIR_EXTENSION "patient (Practitioner)" },
	{ "plan", "patient", "subject" },
	{ "plan", "time", "authoredOn" },
	{ "plan", "status", "status" },
	{ "plan", "drug", "medicationCodeableConcept.text" },
	{ "plan", "dose", "dosageInstruction[0].doseAndRate[0].doseQuantity.value" },
	{ "plan", "unit", "dosageInstruction[].doseAndRate[0].doseQuantity.code" },
	{ "plan", "route", "dosageInstruction[0].route" },
	{ "plan", "times", "dosageInstruction[0].timing.repeat.timeOfDay" },
	{ "plan", "start", "dosageInstruction[0].timing.repeat.boundsPeriod.start" },
	{ "plan", "end", "dosageInstruction[last].timing.repeat.boundsPeriod.end" },
	{ "plan", "taper", "dosageInstruction (one per taper step)" },
	{ "plan", "note", "note[0].text" },
	{ "dose", "patient", "subject" },
	{ "dose", "time", "effectiveDateTime" },
	{ "dose", "status", "status" },
	{ "dose", "drug", "medicationCodeableConcept.text" },
	{ "dose", "amount", "dosage.dose.value" },
	{ "dose", "unit", "dosage.dose.code" },
	{ "dose", "outcome", "status and statusReason" },
	{ "dose", "plan", "request" },
	{ "dose", "note", "note[0].text" },
	{ "symptom", "patient", "subject" },
	{ "symptom", "time", "effectiveDateTime" },
	{ "symptom", "status", "status" },
	{ "symptom", "code", "code.coding" },
	{ "symptom", "severity", "valueInteger" },
	{ "symptom", "note", "note[0].text" },
	{ "measurement", "patient", "subject" },
	{ "measurement", "time", "effectiveDateTime" },
	{ "measurement", "status", "status" },
	{ "measurement", "code", "code.coding" },
	{ "measurement", "loinc", "code.coding (system " CARELOG__LOINC ")" },
	{ "measurement", "value", "valueQuantity.value" },
	{ "measurement", "unit", "valueQuantity.code" },
	{ "measurement", "range", "referenceRange[0]" },
	{ "measurement", "note", "note[0].text" },
	{ "note", "patient", "subject" },
	{ "note", "time", "sent" },
	{ "note", "status", "status" },
	{ "note", "text", "payload[0].contentString" },
	{ "note", "note", "note[0].text" },
	{ "target", "patient", "subject" },
	{ "target", "status", "lifecycleStatus" },
	{ "target", "code", "target[0].measure" },
	{ "target", "low", "target[0].detailRange.low.value" },
	{ "target", "high", "target[0].detailRange.high.value" },
	{ "target", "note", "note[0].text" },
	{ "rule", "patient", "subject" },
	{ "rule", "rule", "code.coding (system " CARELOG_FHIR_SYSTEM_RULE ")" },
};

const char *carelog__fhir_element(char *buf, size_t n, const char *kind, const char *field)
{
	for (size_t i = 0; i < sizeof(elements) / sizeof(elements[0]); i++)
		if ((strcmp(elements[i][0], "*") == 0 || (kind && strcmp(elements[i][0], kind) == 0)) &&
		    strcmp(elements[i][1], field) == 0)
			return elements[i][2];
	snprintf(buf, n, "extension %s%s", CARELOG_FHIR_EXTENSION, field);
	return buf;
}
