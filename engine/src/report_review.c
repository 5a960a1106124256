/*
 * report_review.c - what the report asks a person to look at: the open
 * alerts (carelog_alerts, as of the report's "now"), the open sync
 * conflicts (carelog_conflicts) and the period's records marked
 * entered-in-error, listed apart from everything counted.
 */
#include <stdio.h>
#include <string.h>

#include "json_canon.h"
#include "report_internal.h"

/* Rows listed in the conflict and entered-in-error tables; the rest are counted. */
#define MAX_ROWS 25

/* A string field, "" when absent (every kind's required fields are there). */
static const char *jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

void carelog__report_alerts(FILE *f, const carelog_report *r)
{
	const carelog_alert_list *l = r->alerts;
	char when[CARELOG__LOCAL_BUFSIZE];

	fprintf(f, "<section id=\"alerts\" class=\"%s\">\n<h2>Open alerts (%zu)</h2>\n", l->nalerts ? "keep" : "none",
		l->nalerts);
	if (l->nalerts == 0) {
		fputs("<p>No alert is open.</p>\n</section>\n", f);
		return;
	}
	fputs("<table>\n<tbody>\n", f);
	for (size_t i = 0; i < l->nalerts; i++) {
		const carelog_alert *al = &l->alerts[i];
		fputs("<tr data-rule=\"", f);
		carelog__html_text(f, al->rule);
		fputs("\"><td><span class=\"sev sev-", f);
		carelog__html_text(f, al->severity);
		fputs("\">", f);
		carelog__html_text(f, al->severity);
		fputs("</span></td><td>", f);
		carelog__html_text(f, al->message);
		fprintf(f, "</td><td class=\"n\">%s</td></tr>\n", carelog__report_local_of(when, r, al->time));
	}
	fputs("</tbody>\n</table>\n</section>\n", f);
}

static void version_text(FILE *f, const json_t *rec)
{
	carelog__html_text(f, jstr(rec, "author"));
	fputs(" (", f);
	carelog__html_text(f, jstr(rec, "device"));
	fputs(")", f);
}

void carelog__report_conflicts(FILE *f, const carelog_report *r)
{
	size_t n = json_array_size(r->conflicts), i;
	json_t *c, *field;

	fprintf(f, "<section id=\"conflicts\" class=\"%s\">\n<h2>Open sync conflicts (%zu)</h2>\n", n ? "keep" : "none", n);
	if (n == 0) {
		fputs("<p>None: no record changed on two devices waits for review.</p>\n</section>\n", f);
		return;
	}
	fputs("<table>\n<thead><tr><th>record</th><th>fields that differ</th><th>version in force</th>"
		"<th>other version</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(r->conflicts, i, c) {
		size_t k;
		if (i == MAX_ROWS)
			break;
		fputs("<tr><td>", f);
		carelog__html_text(f, jstr(c, "kind"));
		fputs(" <span class=\"small\">", f);
		carelog__html_text(f, jstr(c, "record"));
		fputs("</span></td><td>", f);
		json_array_foreach(json_object_get(c, "fields"), k, field) {
			fputs(k ? ", " : "", f);
			carelog__html_text(f, json_string_value(field));
		}
		fputs("</td><td>", f);
		version_text(f, json_object_get(c, "winner"));
		fputs("</td><td>", f);
		version_text(f, json_object_get(c, "loser"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	if (n > MAX_ROWS)
		fprintf(f, "<p class=\"small\">and %zu more (carelog conflicts lists them all)</p>\n", n - MAX_ROWS);
	fputs("<p class=\"small\">The version in force is the one every figure uses; "
		"<code>carelog resolve</code> settles a conflict.</p>\n</section>\n", f);
}

/* One line saying what a record held. */
static void summary(FILE *f, const json_t *o)
{
	const char *kind = jstr(o, "kind");
	char a[CARELOG__NUM_BUFSIZE];
	double v = 0;

	if (strcmp(kind, "dose") == 0) {
		carelog__json_number(&v, json_object_get(o, "amount"));
		carelog__html_textf(f, "%s %s %s, %s", jstr(o, "drug"), carelog__report_num(a, v, 3), jstr(o, "unit"),
			jstr(o, "outcome")[0] ? jstr(o, "outcome") : "given");
	} else if (strcmp(kind, "measurement") == 0) {
		carelog__json_number(&v, json_object_get(o, "value"));
		carelog__html_textf(f, "%s %s %s", jstr(o, "code"), carelog__report_num(a, v, 6), jstr(o, "unit"));
	} else if (strcmp(kind, "symptom") == 0) {
		carelog__json_number(&v, json_object_get(o, "severity"));
		carelog__html_textf(f, "%s, severity %s", jstr(o, "code"), carelog__report_num(a, v, 0));
	} else if (strcmp(kind, "plan") == 0) {
		carelog__json_number(&v, json_object_get(o, "dose"));
		carelog__html_textf(f, "%s %s %s from %s", jstr(o, "drug"), carelog__report_num(a, v, 3), jstr(o, "unit"),
			jstr(o, "start"));
	} else if (strcmp(kind, "note") == 0) {
		carelog__html_text_cut(f, jstr(o, "text"), 120);
	} else if (strcmp(kind, "target") == 0 || strcmp(kind, "rule") == 0) {
		carelog__html_text(f, jstr(o, kind[0] == 't' ? "code" : "rule"));
	}
}

void carelog__report_voided(FILE *f, const carelog_report *r)
{
	size_t n = json_array_size(r->voided), i;
	char when[CARELOG__LOCAL_BUFSIZE];
	json_t *o;

	fprintf(f, "<section id=\"voided\" class=\"%s\">\n<h2>Entered in error (%zu)</h2>\n", n ? "keep" : "none", n);
	if (n == 0) {
		fputs("<p>No record of this period was marked entered-in-error.</p>\n</section>\n", f);
		return;
	}
	fputs("<p class=\"small\">Marked as mistakes and left out of every figure above; kept, as every "
		"version is.</p>\n<table>\n<thead><tr><th>when</th><th>record</th><th>reason</th><th>by</th></tr></thead>\n"
		"<tbody>\n", f);
	json_array_foreach(r->voided, i, o) {
		if (i == MAX_ROWS)
			break;
		fputs("<tr data-record=\"", f);
		carelog__html_text(f, jstr(o, "id"));
		fprintf(f, "\"><td class=\"n\">%s</td><td>", carelog__report_local_of(when, r, jstr(o, "time")));
		carelog__html_text(f, jstr(o, "kind"));
		fputs(": ", f);
		summary(f, o);
		fputs("</td><td>", f);
		carelog__html_text_cut(f, jstr(o, "reason"), 200);
		fputs("</td><td>", f);
		version_text(f, o);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	if (n > MAX_ROWS)
		fprintf(f, "<p class=\"small\">and %zu more (carelog timeline --all lists them)</p>\n", n - MAX_ROWS);
	fputs("</section>\n", f);
}
