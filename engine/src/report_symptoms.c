/*
 * report_symptoms.c - the symptoms of the report's period: a timeline with
 * one row per symptom code, each entry a dot whose size and colour say its
 * severity (0-10), and a table per code: how often, on how many days, the
 * worst, and the latest with its note.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_canon.h"
#include "report_internal.h"
#include "tz.h"

#define MAX_ROWS 14     /* codes drawn one per row; the rest share the last row */
#define ROW 11.0
#define LEFT 92.0       /* the code names */
#define RIGHT 588.0     /* room for half a time label */
#define TOP 3.0

typedef struct {
	const char *code;
	size_t count, days;
	int64_t last_day;
	const json_t *worst, *latest;
	double worst_sev;
} code_row;

static const char *jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static double severity(const json_t *o)
{
	double v = 0;
	carelog__json_number(&v, json_object_get(o, "severity"));
	return v;
}

static int64_t ms_of(const json_t *o)
{
	int64_t ms = 0;
	carelog__time_parse(&ms, jstr(o, "time"), "time"); /* validated when written */
	return ms;
}

static int by_count(const void *a, const void *b)
{
	const code_row *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->code, y->code);
}

/* One row per code, most frequent first; NULL when out of memory. */
static code_row *rows_of(const carelog_report *r, size_t *n)
{
	size_t cap = json_array_size(r->symptoms) + 1, i, k;
	code_row *rows = calloc(cap, sizeof(*rows));
	json_t *o;

	*n = 0;
	if (rows == NULL)
		return NULL;
	json_array_foreach(r->symptoms, i, o) {
		int64_t day = carelog__tz_local_day(r->cd->tz, ms_of(o));
		for (k = 0; k < *n && strcmp(rows[k].code, jstr(o, "code")) != 0; k++)
			;
		if (k == *n) {
			rows[k].code = jstr(o, "code");
			rows[k].last_day = INT64_MIN;
			(*n)++;
		}
		rows[k].count++;
		rows[k].days += day != rows[k].last_day; /* records are oldest first */
		rows[k].last_day = day;
		rows[k].latest = o;
		if (rows[k].worst == NULL || severity(o) > rows[k].worst_sev) {
			rows[k].worst = o;
			rows[k].worst_sev = severity(o);
		}
	}
	qsort(rows, *n, sizeof(*rows), by_count);
	return rows;
}

static size_t row_index(const code_row *rows, size_t n, const char *code)
{
	size_t k;
	for (k = 0; k < n && k < MAX_ROWS - 1; k++)
		if (strcmp(rows[k].code, code) == 0)
			return k;
	/* not among the first MAX_ROWS - 1: the last row, its own or shared */
	return n <= MAX_ROWS ? n - 1 : MAX_ROWS - 1;
}

static const char *colour(double sev)
{
	return sev >= 7 ? "#c62828" : sev >= 4 ? "#ef8a17" : "#e9c53a";
}

static void timeline(FILE *f, const carelog_report *r, const code_row *rows, size_t n)
{
	size_t nrows = n < MAX_ROWS ? n : MAX_ROWS, i;
	double bottom = TOP + (double)nrows * ROW, span = (double)(r->end - r->from);
	char when[CARELOG__LOCAL_BUFSIZE], sev[CARELOG__NUM_BUFSIZE];
	json_t *o;

	fprintf(f, "<svg viewBox=\"0 0 600 %.0f\" role=\"img\" aria-label=\"symptoms over the period\">\n", bottom + 13);
	for (i = 0; i < nrows; i++) {
		double y = TOP + ROW * ((double)i + 0.5);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7eb\" stroke-width=\"0.5\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"7.5\" text-anchor=\"end\">", LEFT, y, RIGHT, y, LEFT - 3, y + 2.6);
		if (i == MAX_ROWS - 1 && n > MAX_ROWS)
			fprintf(f, "%zu other codes", n - (MAX_ROWS - 1));
		else
			carelog__html_text(f, rows[i].code);
		fputs("</text>\n", f);
	}
	carelog__report_time_axis(f, r, LEFT, RIGHT, TOP, bottom);
	json_array_foreach(r->symptoms, i, o) {
		double s = severity(o), x = LEFT + (double)(ms_of(o) - r->from) / span * (RIGHT - LEFT);
		double y = TOP + ROW * ((double)row_index(rows, n, jstr(o, "code")) + 0.5);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.85\"><title>%s ", x, y,
			1.3 + s * 0.3, colour(s), carelog__report_local_of(when, r, jstr(o, "time")));
		carelog__html_textf(f, "%s, severity %s", jstr(o, "code"), carelog__report_num(sev, s, 0));
		if (jstr(o, "note")[0]) {
			fputs(": ", f);
			carelog__html_text_cut(f, jstr(o, "note"), 200);
		}
		fputs("</title></circle>\n", f);
	}
	fputs("</svg>\n", f);
}

static void table(FILE *f, const carelog_report *r, const code_row *rows, size_t n)
{
	char when[CARELOG__LOCAL_BUFSIZE], sev[CARELOG__NUM_BUFSIZE];

	fputs("<table>\n<thead><tr><th>symptom</th><th class=\"n\">entries</th><th class=\"n\">days</th>"
		"<th class=\"n\">worst</th><th>latest</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		const code_row *c = &rows[i];
		carelog__html_row_head(f, "code", c->code);
		fprintf(f, "</th><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%s on %.10s</td><td>",
			c->count, c->days, carelog__report_num(sev, c->worst_sev, 0),
			carelog__report_local_of(when, r, jstr(c->worst, "time")));
		fprintf(f, "%s, severity %s", carelog__report_local_of(when, r, jstr(c->latest, "time")),
			carelog__report_num(sev, severity(c->latest), 0));
		if (jstr(c->latest, "note")[0]) {
			fputs(": ", f);
			carelog__html_text_cut(f, jstr(c->latest, "note"), 90);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

int carelog__report_symptoms(FILE *f, const carelog_report *r)
{
	size_t n = 0;
	code_row *rows;

	fprintf(f, "<section id=\"symptoms\" class=\"%s\">\n<h2>Symptoms (%zu entr%s)</h2>\n",
		json_array_size(r->symptoms) ? "keep" : "none", json_array_size(r->symptoms),
		json_array_size(r->symptoms) == 1 ? "y" : "ies");
	if (json_array_size(r->symptoms) == 0) {
		fputs("<p>No symptom was logged in this period.</p>\n</section>\n", f);
		return 0;
	}
	if ((rows = rows_of(r, &n)) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	timeline(f, r, rows, n);
	fputs("<p class=\"small\">Severity 0\xe2\x80\x93" "10: yellow 0\xe2\x80\x93" "3, orange 4\xe2\x80\x93"
		"6, red 7\xe2\x80\x93" "10; a bigger dot is worse.</p>\n", f);
	table(f, r, rows, n);
	free(rows);
	fputs("</section>\n", f);
	return 0;
}
