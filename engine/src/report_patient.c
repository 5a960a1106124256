/*
 * report_patient.c - the report's first block: who the patient is (age,
 * weight, spleen) and the medication plans running on the day of the
 * report's "now", with the taper step in force (carelog__plan_dose_on, the
 * dose `carelog due` expects).
 */
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

/* "8 years 8 months", or "14 months" under two, on local day `today`. */
static void age_text(FILE *f, int64_t born, int64_t today)
{
	int64_t by, ty, months;
	unsigned bm, bd, tm, td;

	carelog__civil_from_days(born, &by, &bm, &bd);
	carelog__civil_from_days(today, &ty, &tm, &td);
	months = (ty - by) * 12 + ((int64_t)tm - (int64_t)bm) - (td < bd);
	if (months < 0)
		fputs("not born yet", f);
	else if (months < 24)
		fprintf(f, "%lld month%s", (long long)months, months == 1 ? "" : "s");
	else if (months % 12 == 0)
		fprintf(f, "%lld years", (long long)(months / 12));
	else
		fprintf(f, "%lld years %lld month%s", (long long)(months / 12), (long long)(months % 12),
			months % 12 == 1 ? "" : "s");
}

void carelog__report_patient(FILE *f, const carelog_report *r)
{
	const carelog__chartdata *cd = r->cd;
	char num[CARELOG__NUM_BUFSIZE], born[CARELOG__DATE_BUFSIZE];

	fputs("<section id=\"patient\">\n<p class=\"facts\">\n<span>Age <b id=\"age\">", f);
	if (cd->has_born) {
		carelog__date_format(born, cd->born_day);
		age_text(f, cd->born_day, r->today);
		fprintf(f, " (born %s)", born);
	} else {
		fputs("birth date not recorded", f);
	}
	fputs("</b></span>\n<span>Weight <b id=\"weight\">", f);
	/* the weight the steroid figures use: the one nearest the report's "now" */
	if (r->steroids->weight_kg > 0)
		fprintf(f, "%s kg", carelog__report_num(num, r->steroids->weight_kg, 2));
	else
		fputs("not recorded", f);
	fputs("</b></span>\n<span>Spleen <b id=\"asplenic\"", f);
	if (cd->asplenic)
		fputs(" class=\"warn\">asplenic: a fever of 38.0 \xc2\xb0" "C or more is an emergency", f);
	else
		fputs(">not recorded as asplenic", f);
	fputs("</b></span>\n</p>\n</section>\n", f);
}

/* Taper step in force on `today`: "step k of n since DATE; next X from DATE". */
static void taper_text(FILE *f, const carelog__plan *p, int64_t today)
{
	char d[CARELOG__DATE_BUFSIZE], num[CARELOG__NUM_BUFSIZE];
	size_t k = 0;

	if (p->ntaper == 0) {
		fputs("no taper", f);
		return;
	}
	while (k < p->ntaper && p->taper_day[k] <= today)
		k++;
	if (k == 0) {
		fputs("starting dose", f);
	} else {
		carelog__date_format(d, p->taper_day[k - 1]);
		fprintf(f, "step %zu of %zu since %s", k, p->ntaper, d);
	}
	if (k < p->ntaper) {
		carelog__date_format(d, p->taper_day[k]);
		fprintf(f, "; next ");
		if (p->taper_dose[k] > 0) {
			fputs(carelog__report_num(num, p->taper_dose[k], 3), f);
			fputc(' ', f);
			carelog__html_text(f, p->unit);
		} else {
			fputs("stop", f);
		}
		fprintf(f, " from %s", d);
	}
}

/* A plan running on `today`, or one that starts later (its dose then is
 * its first day's). */
static void plan_row(FILE *f, const carelog__plan *p, int64_t today)
{
	char num[CARELOG__NUM_BUFSIZE], d[CARELOG__DATE_BUFSIZE];
	int64_t day = p->start > today ? p->start : today;

	fputs("<tr data-plan=\"", f);
	carelog__html_text(f, p->id);
	fputs("\"><th>", f);
	carelog__html_text(f, p->drug);
	fprintf(f, "</th><td class=\"n\">%s ", carelog__report_num(num, carelog__plan_dose_on(p, day), 3));
	carelog__html_text(f, p->unit);
	fputs("</td><td>", f);
	if (p->ntimes == 0)
		fputs("as needed", f);
	for (int i = 0; i < p->ntimes; i++)
		fprintf(f, "%s%02d:%02d", i ? ", " : "", p->minutes[i] / 60, p->minutes[i] % 60);
	if (p->ntimes)
		fprintf(f, " (\xc2\xb1%d min)", p->window_min);
	carelog__date_format(d, p->start);
	fprintf(f, "</td><td class=\"nowrap\">%s \xe2\x80\x93 ", d);
	if (p->end != CARELOG__NO_END) {
		carelog__date_format(d, p->end);
		fputs(d, f);
	}
	fputs("</td><td>", f);
	if (p->start > today) {
		carelog__date_format(d, p->start);
		fprintf(f, "<b>starts %s</b>; ", d);
	}
	taper_text(f, p, day);
	fputs("</td></tr>\n", f);
}

void carelog__report_plans(FILE *f, const carelog_report *r)
{
	const carelog__chartdata *cd = r->cd;
	size_t n = 0;

	fputs("<section id=\"plans\">\n<h2>Medication plans now and to come</h2>\n", f);
	for (size_t i = 0; i < cd->nplans; i++) {
		const carelog__plan *p = &cd->plans[i];
		/* running today and not stopped by a taper step of 0, or starting later */
		if (p->end < r->today || (p->start <= r->today && carelog__plan_dose_on(p, r->today) <= 0))
			continue;
		if (n++ == 0)
			fputs("<table>\n<thead><tr><th>drug</th><th class=\"n\">dose</th><th>times (window)</th>"
				"<th>plan runs</th><th>taper</th></tr></thead>\n<tbody>\n", f);
		plan_row(f, p, r->today);
	}
	fputs(n ? "</tbody>\n</table>\n" : "<p>No medication plan runs today or starts later.</p>\n", f);
	fputs("</section>\n", f);
}
