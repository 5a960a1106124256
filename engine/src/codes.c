/*
 * codes.c - the measurement and symptom code tables (docs/records.md lists
 * the same). A measurement is stored in one canonical UCUM unit per code so
 * that trends and thresholds never mix units; another unit is accepted only
 * where the conversion is exact (a fixed factor, or the Fahrenheit formula),
 * never where it depends on the assay or the molecule's mass being guessed.
 */
#include "record_schema.h"

#include <string.h>

/* Fahrenheit: C = (F - 32) * 5/9 = F * 5/9 - 160/9. */
#define DEGF_FACTOR (5.0 / 9.0)
#define DEGF_OFFSET (-32.0 * 5.0 / 9.0)

const carelog__measure_code carelog__measure_codes[] = {
	{ "platelets", "777-3", "10*3/uL", "Platelets", 0, 5000,
		{ { "10*9/L", 1, 0 }, { NULL, 0, 0 } } },
	{ "hemoglobin", "718-7", "g/dL", "Hemoglobin", 0, 30,
		{ { "g/L", 0.1, 0 }, { NULL, 0, 0 } } },
	{ "neutrophils", "751-8", "10*3/uL", "Neutrophils (absolute count)", 0, 200,
		{ { "10*9/L", 1, 0 }, { NULL, 0, 0 } } },
	{ "lymphocytes", "731-0", "10*3/uL", "Lymphocytes (absolute count)", 0, 500,
		{ { "10*9/L", 1, 0 }, { NULL, 0, 0 } } },
	{ "dnt", NULL, "%", "Double-negative T cells (% of CD3+)", 0, 100,
		{ { NULL, 0, 0 } } },
	{ "sirolimus-trough", "29247-4", "ng/mL", "Sirolimus trough level", 0, 200,
		{ { "ug/L", 1, 0 }, { NULL, 0, 0 } } },
	{ "alt", "1742-6", "U/L", "ALT", 0, 10000,
		{ { NULL, 0, 0 } } },
	/* 1 mg/dL = 17.1 umol/L, the factor laboratories use (molar mass 584.66 g/mol) */
	{ "bilirubin", "1975-2", "mg/dL", "Bilirubin (total)", 0, 100,
		{ { "umol/L", 1.0 / 17.1, 0 }, { NULL, 0, 0 } } },
	/* 1 mg/dL = 88.42 umol/L, the factor laboratories use */
	{ "creatinine", "2160-0", "mg/dL", "Creatinine", 0, 50,
		{ { "umol/L", 1.0 / 88.42, 0 }, { NULL, 0, 0 } } },
	{ "temperature", "8310-5", "Cel", "Body temperature", 25, 45,
		{ { "[degF]", DEGF_FACTOR, DEGF_OFFSET }, { NULL, 0, 0 } } },
	/* the avoirdupois pound is defined as exactly 0.45359237 kg */
	{ "weight", "29463-7", "kg", "Body weight", 0.2, 500,
		{ { "[lb_av]", 0.45359237, 0 }, { "g", 0.001, 0 }, { NULL, 0, 0 } } },
	{ "spleen-size", NULL, "cm", "Spleen below the costal margin (0 = not palpable)", 0, 40,
		{ { NULL, 0, 0 } } },
	{ "sfasl", NULL, "pg/mL", "Soluble FAS ligand", 0, 100000,
		{ { NULL, 0, 0 } } },
	{ "il-10", NULL, "pg/mL", "Interleukin-10", 0, 100000,
		{ { NULL, 0, 0 } } },
	{ "il-18", NULL, "pg/mL", "Interleukin-18", 0, 1000000,
		{ { NULL, 0, 0 } } },
	{ "vitamin-b12", NULL, "ng/L", "Vitamin B12", 0, 100000,
		{ { "pg/mL", 1, 0 }, { NULL, 0, 0 } } },
	{ NULL, NULL, NULL, NULL, 0, 0, { { NULL, 0, 0 } } }
};

const carelog__symptom_code carelog__symptom_codes[] = {
	{ "fever", "386661006", "Fever" },
	{ "fatigue", "84229001", "Fatigue" },
	{ "bruising", NULL, "Bruising" },
	{ "bleeding", NULL, "Bleeding" },
	{ "petechiae", "271813001", "Petechiae" },
	{ "pallor", NULL, "Pallor" },
	{ "rash", NULL, "Rash" },
	{ "night-sweats", NULL, "Night sweats" },
	{ "weight-loss", NULL, "Weight loss" },
	{ "abdominal-pain", NULL, "Abdominal pain" },
	{ "swollen-nodes", "30746006", "Swollen lymph nodes" },
	{ "infection", NULL, "Infection" },
	{ "jaundice", NULL, "Jaundice" },
	{ "pain", NULL, "Pain" },
	{ "other", NULL, "Other (described in the note)" },
	{ NULL, NULL, NULL }
};

const carelog__measure_code *carelog__measure_code_find(const char *code)
{
	if (code == NULL)
		return NULL;
	for (const carelog__measure_code *m = carelog__measure_codes; m->code; m++)
		if (strcmp(m->code, code) == 0)
			return m;
	return NULL;
}

const carelog__symptom_code *carelog__symptom_code_find(const char *code)
{
	if (code == NULL)
		return NULL;
	for (const carelog__symptom_code *s = carelog__symptom_codes; s->code; s++)
		if (strcmp(s->code, code) == 0)
			return s;
	return NULL;
}
