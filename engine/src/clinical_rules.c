/*
 * clinical_rules.c - the alert rules as data: their defaults with sources
 * (docs/clinical.md lists the same), and how each is evaluated (a lab or
 * vital code and a direction, or a dose rule). A patient's `rule` record
 * overrides threshold, severity, look-back or turns a rule off.
 */
#include <string.h>

#include "carelog/clinical.h"
#include "clinical_internal.h"

#define CTCAE "CTCAE v5.0 (NCI, 2017)"

static const carelog_rule_info infos[] = {
	{ "platelets-low", "platelets below the threshold (x10^3/uL)", 50, "warning", 7,
		CTCAE ": grade 3 thrombocytopenia is < 50" },
	{ "platelets-very-low", "platelets below the threshold (x10^3/uL): bleeding risk", 20, "urgent", 7,
		CTCAE ": grade 4 is < 25; < 20 is the common threshold for bleeding risk" },
	{ "anc-low", "neutrophils (ANC) below the threshold (x10^3/uL)", 1.0, "warning", 7,
		CTCAE ": grade 3 neutropenia is < 1.0" },
	{ "anc-very-low", "neutrophils (ANC) below the threshold (x10^3/uL): infection risk", 0.5, "urgent", 7,
		CTCAE ": grade 4 neutropenia is < 0.5" },
	{ "hemoglobin-low", "hemoglobin below the threshold (g/dL)", 8.0, "warning", 7,
		CTCAE ": grade 3 anemia is < 8.0" },
	{ "fever", "temperature at or above the threshold (Cel); urgent when asplenic or on an immunosuppressant",
		38.0, "warning", 7, "standard asplenia and immunosuppression guidance: fever >= 38.0 C needs urgent assessment" },
	{ "outside-target", "the latest reading of a code is outside the patient's target", 0, "warning", 7,
		"the clinic's own target (carelog target set)" },
	{ "missed-doses", "this many or more consecutive missed slots of one drug", 2, "warning", 7,
		"carelog default" },
	{ "double-dose", "two given doses of one drug within one slot's window (possible double dose)", 2, "warning", 7,
		"carelog default: typical after two caregivers' phones synced" },
	{ "steroid-stop", "a corticosteroid plan of at least this many days ended without a taper", 21, "warning", 7,
		"glucocorticoid withdrawal guidance (e.g. BNF): courses over 3 weeks are withdrawn gradually" },
};

static const carelog__rule_logic logic[] = {
	{ "platelets", 1, NULL },
	{ "platelets", 1, "platelets-low" },
	{ "neutrophils", 1, NULL },
	{ "neutrophils", 1, "anc-low" },
	{ "hemoglobin", 1, NULL },
	{ "temperature", 0, NULL },
	{ NULL, 0, NULL },
	{ NULL, 0, NULL },
	{ NULL, 0, NULL },
	{ NULL, 0, NULL },
};

#define NRULES (sizeof(infos) / sizeof(infos[0]))

const carelog_rule_info *carelog_rules(size_t *n)
{
	if (n)
		*n = NRULES;
	return infos;
}

int carelog__rule_index(const char *id)
{
	for (size_t i = 0; id && i < NRULES; i++)
		if (strcmp(infos[i].id, id) == 0)
			return (int)i;
	return -1;
}

const carelog__rule_logic *carelog__rule_logic_of(int index)
{
	return index >= 0 && (size_t)index < NRULES ? &logic[index] : NULL;
}
