/*
 * export_csv.c - one CSV table per record kind, for spreadsheets: a header
 * row, one row per record, RFC 4180 (CRLF line ends; a cell holding a comma,
 * a double quote, CR or LF is quoted, its quotes doubled). Times are the
 * records' own ISO 8601 UTC times. docs/exchange.md lists the columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exchange_internal.h"
#include "record_schema.h"

const char *const carelog__csv_kinds[] = {
	"patient", "caregiver", "plan", "dose", "symptom", "measurement", "note", "target", "rule", NULL
};

/* A column: its header and the record field it shows ("range.low" for a
 * nested one; "snomed", "times" and "taper" are rendered specially). */
typedef struct {
	const char *kind;
	const char *columns[10];
} table;

static const table tables[] = {
	{ "patient", { "name", "born", "weight_kg", "asplenic", "timezone", NULL } },
	{ "caregiver", { "name", "role", "contact", NULL } },
	{ "plan", { "drug", "dose", "unit", "route", "times", "start", "end", "taper", "window_minutes", NULL } },
	{ "dose", { "drug", "amount", "unit", "outcome", "plan", NULL } },
	{ "symptom", { "code", "snomed", "severity", NULL } },
	{ "measurement", { "code", "loinc", "value", "unit", "range_low", "range_high", "entered_value",
		"entered_unit", NULL } },
	{ "note", { "text", NULL } },
	{ "target", { "code", "low", "high", NULL } },
	{ "rule", { "rule", "threshold", "severity", "enabled", "lookback_days", NULL } },
};

static const char *const head[] = { "id", "patient", "time", NULL };
static const char *const tail[] = { "note", "status", "reason", "author", "device", "hlc", NULL };

/* Columns whose header is not the field's name. */
static const char *const nested[][2] = {
	{ "range_low", "range.low" }, { "range_high", "range.high" },
	{ "entered_value", "entered.value" }, { "entered_unit", "entered.unit" },
};

static const json_t *lookup(const json_t *rec, const char *column)
{
	char parent[16];
	for (size_t i = 0; i < sizeof(nested) / sizeof(nested[0]); i++)
		if (strcmp(nested[i][0], column) == 0) {
			const char *dot = strchr(nested[i][1], '.');
			snprintf(parent, sizeof(parent), "%.*s", (int)(dot - nested[i][1]), nested[i][1]);
			return json_object_get(json_object_get(rec, parent), dot + 1);
		}
	return json_object_get(rec, column);
}

/* A scalar as text: strings as they are, numbers as canonical JSON prints them. */
static void scalar(char *buf, size_t n, const json_t *v)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, n, "%.15g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
	else
		buf[0] = '\0';
}

static void cell(carelog__text *t, const char *text)
{
	if (strpbrk(text, ",\"\r\n") == NULL) {
		carelog__text_puts(t, text);
		return;
	}
	carelog__text_puts(t, "\"");
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			carelog__text_puts(t, "\"\"");
		else
			carelog__text_add(t, p, 1);
	}
	carelog__text_puts(t, "\"");
}

/* "08:00 20:00" for times; "2026-11-25:40;2026-12-10:20" for a taper. */
static void list_cell(carelog__text *t, const json_t *arr, int taper)
{
	carelog__text c = { NULL, 0, 0, 0 };
	const json_t *v;
	size_t i;
	char num[64];

	json_array_foreach(arr, i, v) {
		if (i)
			carelog__text_puts(&c, taper ? ";" : " ");
		if (taper) {
			carelog__text_puts(&c, json_string_value(json_object_get(v, "date")));
			carelog__text_puts(&c, ":");
			scalar(num, sizeof(num), json_object_get(v, "dose"));
			carelog__text_puts(&c, num);
		} else {
			carelog__text_puts(&c, json_string_value(v));
		}
	}
	if (c.failed)
		t->failed = 1;
	else if (c.data)
		cell(t, c.data);
	free(c.data);
}

static void column(carelog__text *t, const json_t *rec, const char *name)
{
	char buf[64];
	if (strcmp(name, "snomed") == 0) {
		const carelog__symptom_code *c = carelog__symptom_code_find(json_string_value(json_object_get(rec, "code")));
		carelog__text_puts(t, c && c->snomed ? c->snomed : "");
	} else if (strcmp(name, "times") == 0 || strcmp(name, "taper") == 0) {
		list_cell(t, json_object_get(rec, name), name[1] == 'a');
	} else {
		const json_t *v = lookup(rec, name);
		if (json_is_string(v))
			cell(t, json_string_value(v));
		else {
			scalar(buf, sizeof(buf), v);
			carelog__text_puts(t, buf);
		}
	}
}

static void row(carelog__text *t, const json_t *rec, const table *tb, int header)
{
	const char *const *parts[3] = { head, tb->columns, tail };
	int first = 1;
	for (int p = 0; p < 3; p++)
		for (const char *const *c = parts[p]; *c; c++) {
			if (!first)
				carelog__text_puts(t, ",");
			first = 0;
			if (header)
				carelog__text_puts(t, *c);
			else
				column(t, rec, *c);
		}
	carelog__text_puts(t, "\r\n");
}

int carelog__csv_table(char **out, size_t *len, const json_t *records, const char *kind)
{
	carelog__text t = { NULL, 0, 0, 0 };
	const table *tb = NULL;
	const json_t *rec;
	size_t i;

	for (i = 0; kind && i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i].kind, kind) == 0)
			tb = &tables[i];
	if (tb == NULL)
		return carelog__fail(CARELOG_EINVALID,
			"kind '%.40s' is not one of patient, caregiver, plan, dose, symptom, measurement, note, target, rule",
			kind ? kind : "");
	row(&t, NULL, tb, 1);
	json_array_foreach(records, i, rec)
		if (strcmp(json_string_value(json_object_get(rec, "kind")), kind) == 0)
			row(&t, rec, tb, 0);
	return carelog__text_finish(out, len, &t);
}
