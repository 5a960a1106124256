/*
 * report_doses.c - the report's medication figures: adherence per drug with
 * its late and missed slots (carelog_adherence) and cumulative
 * corticosteroid exposure (carelog_steroids), printed as the library
 * computed them for the report's period.
 */
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "tz.h"

/* Slots listed per drug and kind; the rest are counted ("and N more"). */
#define MAX_SLOTS_LISTED 40
#define MAX_MISMATCHES_LISTED 10

/* "2026-11-18T08:00" -> "18 Nov 08:00", with the year when the period
 * spans two ("18 Nov 2026 08:00"). */
static void slot_time(FILE *f, const char *local, int with_year)
{
	int64_t day;
	int64_t y;
	unsigned m, d;
	char date[CARELOG__DATE_BUFSIZE];

	snprintf(date, sizeof(date), "%.10s", local);
	if (strlen(local) < 16 || carelog__date_parse(&day, date, "slot") < 0) {
		carelog__html_text(f, local);
		return;
	}
	carelog__civil_from_days(day, &y, &m, &d);
	fprintf(f, "%u %s", d, carelog__month_abbr(m));
	if (with_year)
		fprintf(f, " %lld", (long long)y);
	fprintf(f, " %.5s", local + 11);
}

/* Whether the period's first and last days are in different years. */
static int spans_years(const carelog_report *r)
{
	int64_t y0, y1;
	unsigned m, d;
	carelog__civil_from_days(carelog__tz_local_day(r->cd->tz, r->from), &y0, &m, &d);
	carelog__civil_from_days(carelog__tz_local_day(r->cd->tz, r->end), &y1, &m, &d);
	return y0 != y1;
}

static void slot_list(FILE *f, const carelog_adherence_report *a, const char *drug, int late, int with_year)
{
	size_t n = 0, shown = 0;

	for (size_t i = 0; i < a->nslots; i++)
		n += strcmp(a->slots[i].drug, drug) == 0 && !a->slots[i].late == !late;
	if (n == 0)
		return;
	fprintf(f, "<p class=\"slots\" data-drug=\"");
	carelog__html_text(f, drug);
	fprintf(f, "\" data-kind=\"%s\"><b>", late ? "late" : "missed");
	carelog__html_text(f, drug);
	fprintf(f, ", %s (%zu):</b> ", late ? "late" : "missed", n);
	for (size_t i = 0; i < a->nslots && shown < MAX_SLOTS_LISTED; i++) {
		const carelog_adherence_slot *sl = &a->slots[i];
		if (strcmp(sl->drug, drug) != 0 || !sl->late != !late)
			continue;
		if (shown++)
			fputs(", ", f);
		slot_time(f, sl->local, with_year);
		if (!late) {
			fputc(' ', f);
			carelog__html_text(f, sl->outcome ? sl->outcome : "nothing logged");
		}
	}
	if (n > shown)
		fprintf(f, " and %zu more (carelog adherence --json lists them all)", n - shown);
	fputs("</p>\n", f);
}

static void mismatches(FILE *f, const carelog_adherence_report *a, int with_year)
{
	char x[CARELOG__NUM_BUFSIZE], y[CARELOG__NUM_BUFSIZE];

	if (a->nmismatches == 0)
		return;
	fprintf(f, "<p class=\"slots\" id=\"mismatches\"><b>Amount other than the plan's (%zu):</b> ", a->nmismatches);
	for (size_t i = 0; i < a->nmismatches && i < MAX_MISMATCHES_LISTED; i++) {
		const carelog_dose_mismatch *m = &a->mismatches[i];
		fputs(i ? ", " : "", f);
		carelog__html_textf(f, "%s ", m->drug);
		slot_time(f, m->local, with_year);
		carelog__html_textf(f, ": %s %s for %s %s", carelog__report_num(x, m->amount, 3), m->unit,
			carelog__report_num(y, m->expected, 3), m->expected_unit);
	}
	if (a->nmismatches > MAX_MISMATCHES_LISTED)
		fprintf(f, " and %zu more", a->nmismatches - MAX_MISMATCHES_LISTED);
	fputs("</p>\n", f);
}

void carelog__report_adherence(FILE *f, const carelog_report *r)
{
	const carelog_adherence_report *a = r->adherence;
	char num[CARELOG__NUM_BUFSIZE];

	fprintf(f, "<section id=\"adherence\" class=\"%s\">\n<h2>Adherence</h2>\n", a->ndrugs ? "keep" : "none");
	if (a->ndrugs == 0) {
		fputs("<p>No dose was scheduled in this period.</p>\n</section>\n", f);
		return;
	}
	fputs("<table>\n<thead><tr><th>drug</th><th class=\"n\">scheduled</th><th class=\"n\">on time</th>"
		"<th class=\"n\">late</th><th class=\"n\">missed</th><th class=\"n\">extra</th>"
		"<th class=\"n\">on time %</th></tr></thead>\n<tbody>\n", f);
	for (size_t i = 0; i < a->ndrugs; i++) {
		const carelog_adherence_drug *e = &a->drugs[i];
		carelog__html_row_head(f, "drug", e->drug);
		fprintf(f, "</th><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
			"<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">", e->scheduled, e->given, e->late,
			e->missed, e->extra);
		/* the library rounds to one decimal */
		if (e->percent >= 0)
			fprintf(f, "%s%%", carelog__report_num(num, e->percent, 1));
		else
			fputs("\xe2\x80\x93", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	for (size_t i = 0; i < a->ndrugs; i++) {
		slot_list(f, a, a->drugs[i].drug, 0, spans_years(r));
		slot_list(f, a, a->drugs[i].drug, 1, spans_years(r));
	}
	mismatches(f, a, spans_years(r));
	fputs("<p class=\"small\">On time: within the plan's window. Late: after it, the same day. Missed: logged "
		"missed, refused or held, or nothing logged. Extra: a given dose that filled no slot (often the same "
		"dose logged on two phones).</p>\n</section>\n", f);
}

void carelog__report_steroids(FILE *f, const carelog_report *r)
{
	const carelog_steroid_report *s = r->steroids;
	char a[CARELOG__NUM_BUFSIZE], b[CARELOG__NUM_BUFSIZE], c[CARELOG__NUM_BUFSIZE];

	fputs("<section id=\"steroids\" class=\"keep\">\n<h2>Corticosteroid exposure</h2>\n<table>\n<tbody>\n", f);
	fprintf(f, "<tr><th>Cumulative, prednisone equivalent</th><td class=\"n\" id=\"steroid-total\">%s mg</td>"
		"<td class=\"n\" id=\"steroid-mg-per-kg\">", carelog__report_num(a, s->prednisone_equivalent_mg, 1));
	if (s->has_weight && s->ndrugs)
		fprintf(f, "%s mg/kg", carelog__report_num(b, s->mg_per_kg, 2));
	fprintf(f, "</td><td id=\"steroid-days\">on %zu day%s</td></tr>\n", s->days, s->days == 1 ? "" : "s");
	fprintf(f, "<tr><th>Daily dose the plans expect now</th><td class=\"n\" id=\"steroid-current\">%s mg/day</td>"
		"<td class=\"n\">", carelog__report_num(a, s->current_daily_mg, 1));
	if (s->weight_kg > 0)
		fprintf(f, "%s mg/kg/day", carelog__report_num(b, s->current_daily_mg_per_kg, 2));
	fprintf(f, "</td><td>given in the last 24 h: <span id=\"steroid-24h\">%s mg</span></td></tr>\n",
		carelog__report_num(c, s->last_24h_mg, 1));
	for (size_t i = 0; i < s->ndrugs; i++) {
		const carelog_steroid_drug *e = &s->drugs[i];
		carelog__html_row_head(f, "drug", e->drug);
		fprintf(f, ": %zu dose%s</th><td class=\"n\">%s mg</td><td class=\"n\">\xc3\x97 %s</td>"
			"<td>= %s mg prednisone</td></tr>\n", e->doses, e->doses == 1 ? "" : "s",
			carelog__report_num(a, e->amount_mg, 2), carelog__report_num(b, e->factor, 3),
			carelog__report_num(c, e->prednisone_equivalent_mg, 1));
	}
	fputs("</tbody>\n</table>\n", f);
	for (size_t i = 0; i < s->nskipped; i++) {
		fputs("<p class=\"slots\">Not counted: dose ", f);
		carelog__html_text(f, s->skipped[i].dose);
		fputs(": ", f);
		carelog__html_text(f, s->skipped[i].reason);
		fputs("</p>\n", f);
	}
	fputs("<p class=\"small\">Every given dose counts, a possible double dose too. Prednisone 5 mg = "
		"prednisolone 5 = methylprednisolone 4 = hydrocortisone 20 = dexamethasone 0.75 mg; mg/kg divides each "
		"dose by the weight nearest to it.</p>\n</section>\n", f);
}
