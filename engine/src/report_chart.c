/*
 * report_chart.c - the lab charts of the visit report: one inline SVG per
 * charted code (carelog_trend's points for the period), the range each
 * point was flagged against shaded behind it (target, lab report or
 * default: it can change from point to point), flagged points marked in
 * red, time along the period with month or week ticks.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "tz.h"

/* The drawing, in SVG user units (three charts side by side, one unit
 * about 0.28 mm on paper): the plot inside the margins. */
#define W 220.0
#define H 96.0
#define PL 27.0  /* left: the value labels */
#define PR 208.0  /* right: room for half a time label */
#define PT 4.0
#define PB 84.0  /* bottom: the time labels below */

typedef struct {
	double x0, x1;  /* time, ms */
	double y0, y1;  /* value */
	double step;    /* between value ticks */
} scale;

static double sx(const scale *s, double t)
{
	return PL + (t - s->x0) / (s->x1 - s->x0) * (PR - PL);
}

static double sy(const scale *s, double v)
{
	return PB - (v - s->y0) / (s->y1 - s->y0) * (PB - PT);
}

static double point_ms(const carelog_trend_point *p)
{
	int64_t ms = 0;
	carelog__time_parse(&ms, p->time, "time"); /* the library wrote it */
	return (double)ms;
}

/* A step of 1, 2 or 5 times a power of ten, about `span` / 4. */
static double nice_step(double span)
{
	double raw = span / 4, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* The value axis: every value and every bound drawn, with a margin, on
 * round numbers. */
static void value_range(scale *s, const carelog_trend_series *t)
{
	double lo = INFINITY, hi = -INFINITY, step;
	for (size_t i = 0; i < t->npoints; i++) {
		const carelog_trend_point *p = &t->points[i];
		lo = fmin(lo, p->value);
		hi = fmax(hi, p->value);
		if (p->has_low) {
			lo = fmin(lo, p->low);
			hi = fmax(hi, p->low);
		}
		if (p->has_high) {
			lo = fmin(lo, p->high);
			hi = fmax(hi, p->high);
		}
	}
	if (hi - lo < 1e-9 * fmax(1, fabs(hi))) {
		lo -= fmax(1, fabs(lo) * 0.1);
		hi += fmax(1, fabs(hi) * 0.1);
	}
	s->step = step = nice_step(hi - lo);
	s->y0 = floor(lo / step) * step;
	s->y1 = ceil(hi / step) * step;
	if (lo >= 0 && s->y0 < 0)
		s->y0 = 0;
}

static void value_ticks(FILE *f, const scale *s)
{
	char num[CARELOG__NUM_BUFSIZE];
	for (double v = s->y0; v <= s->y1 + s->step * 1e-6; v += s->step) {
		double y = sy(s, v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7eb\" stroke-width=\"0.5\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"7\" text-anchor=\"end\">%s</text>\n", PL, y, PR, y, PL - 2,
			y + 2.4, carelog__report_num(num, v, 6));
	}
}

void carelog__report_time_axis(FILE *f, const carelog_report *r, double left, double right, double top, double bottom)
{
	int64_t first = carelog__tz_local_day(r->cd->tz, r->from), last = carelog__tz_local_day(r->cd->tz, r->end);
	int every = last - first <= 10 ? 1 : last - first <= 45 ? 7 : 0; /* days between ticks; 0: months */
	for (int64_t day = first; day <= last; day++) {
		int64_t y, t;
		unsigned m, d;
		double x;
		carelog__civil_from_days(day, &y, &m, &d);
		if (every ? (day - first) % every != 0 : d != 1)
			continue;
		if ((t = carelog__tz_day_start(r->cd->tz, day)) < r->from || t > r->end)
			continue;
		x = left + (double)(t - r->from) / (double)(r->end - r->from) * (right - left);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7eb\" stroke-width=\"0.5\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"7\" text-anchor=\"middle\">", x, top, x, bottom, x, bottom + 9);
		if (every)
			fprintf(f, "%02u-%02u</text>\n", m, d);
		else if (m == 1)
			fprintf(f, "Jan %lld</text>\n", (long long)y);
		else
			fprintf(f, "%s</text>\n", carelog__month_abbr(m));
	}
}

static int same_range(const carelog_trend_point *a, const carelog_trend_point *b)
{
	return a->has_low == b->has_low && a->has_high == b->has_high && (!a->has_low || a->low == b->low) &&
		(!a->has_high || a->high == b->high);
}

/* Each point's range shaded from halfway to the point before to halfway to
 * the one after (the plot's edges for the first and last), runs of one
 * range drawn as one rectangle. */
static void bands(FILE *f, const carelog_trend_series *t, const scale *s)
{
	size_t i = 0;
	while (i < t->npoints) {
		const carelog_trend_point *p = &t->points[i];
		size_t j = i;
		double x0, x1, ytop, ybot;
		while (j + 1 < t->npoints && same_range(&t->points[j + 1], p))
			j++;
		x0 = i == 0 ? PL : (sx(s, point_ms(&t->points[i - 1])) + sx(s, point_ms(p))) / 2;
		x1 = j + 1 == t->npoints ? PR : (sx(s, point_ms(&t->points[j])) + sx(s, point_ms(&t->points[j + 1]))) / 2;
		if (p->has_low || p->has_high) {
			ytop = p->has_high ? sy(s, p->high) : PT;
			ybot = p->has_low ? sy(s, p->low) : PB;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d3efd6\"/>\n", x0, ytop,
				fmax(x1 - x0, 0.5), fmax(ybot - ytop, 0.5));
		}
		i = j + 1;
	}
}

static void range_words(FILE *f, const carelog_trend_point *p)
{
	char a[CARELOG__NUM_BUFSIZE], b[CARELOG__NUM_BUFSIZE];
	fprintf(f, "%s %s\xe2\x80\x93%s", p->range_source, p->has_low ? carelog__report_num(a, p->low, 6) : "",
		p->has_high ? carelog__report_num(b, p->high, 6) : "");
}

static void points(FILE *f, const carelog_report *r, const carelog_trend_series *t, const scale *s)
{
	char when[CARELOG__LOCAL_BUFSIZE];
	if (t->npoints > 1) {
		fputs("<polyline fill=\"none\" stroke=\"#5a7fa8\" stroke-width=\"0.8\" points=\"", f);
		for (size_t i = 0; i < t->npoints; i++)
			fprintf(f, "%s%.1f,%.1f", i ? " " : "", sx(s, point_ms(&t->points[i])), sy(s, t->points[i].value));
		fputs("\"/>\n", f);
	}
	for (size_t i = 0; i < t->npoints; i++) {
		const carelog_trend_point *p = &t->points[i];
		int flagged = p->flag && strcmp(p->flag, "normal") != 0;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\" stroke=\"%s\" stroke-width=\"0.6\" "
			"data-flag=\"%s\"><title>%s: %g ", sx(s, point_ms(p)), sy(s, p->value), flagged ? "2.6" : "1.7",
			flagged ? "#c62828" : "#1f5fa8", flagged ? "#7f0000" : "#ffffff", p->flag ? p->flag : "none",
			carelog__report_local_of(when, r, p->time), p->value);
		carelog__html_text(f, p->unit);
		if (p->flag) {
			fprintf(f, ", %s (", p->flag);
			range_words(f, p);
			fputc(')', f);
		}
		fputs("</title></circle>\n", f);
	}
}

/* The caption: how many, the latest, how many flagged, what is shaded. */
static void caption(FILE *f, const carelog_report *r, const carelog_trend_series *t)
{
	const carelog_trend_point *last = &t->points[t->npoints - 1];
	char when[CARELOG__LOCAL_BUFSIZE];
	size_t low = 0, high = 0, shown = 0;

	for (size_t i = 0; i < t->npoints; i++) {
		low += t->points[i].flag && strcmp(t->points[i].flag, "low") == 0;
		high += t->points[i].flag && strcmp(t->points[i].flag, "high") == 0;
	}
	fprintf(f, "<figcaption><span class=\"latest\">latest %g</span> (%s) on %.10s; %zu result%s, "
		"<span class=\"flagged\">%zu low, %zu high</span>", last->value, last->flag ? last->flag : "no range",
		carelog__report_local_of(when, r, last->time), t->npoints, t->npoints == 1 ? "" : "s", low, high);
	/* the ranges shaded, each once, newest first */
	for (size_t i = t->npoints; i-- > 0 && shown < 3;) {
		const carelog_trend_point *p = &t->points[i];
		size_t k = i + 1;
		if (!p->range_source)
			continue;
		while (k < t->npoints && !(t->points[k].range_source && strcmp(t->points[k].range_source, p->range_source) == 0
			&& same_range(&t->points[k], p)))
			k++;
		if (k < t->npoints)
			continue;
		fputs(shown++ ? ", " : "; shaded: ", f);
		range_words(f, p);
	}
	fputs("</figcaption>\n", f);
}

/* UCUM as people write it. */
static const char *unit_words(const char *unit)
{
	return strcmp(unit, "10*3/uL") == 0 ? "\xc3\x97" "10\xc2\xb3/\xc2\xb5L" : unit;
}

static const char *title_of(const char *code)
{
	return strcmp(code, "platelets") == 0 ? "Platelets"
		: strcmp(code, "hemoglobin") == 0 ? "Hemoglobin"
		: strcmp(code, "neutrophils") == 0 ? "Neutrophils (ANC)"
		: strcmp(code, "lymphocytes") == 0 ? "Lymphocytes"
		: strcmp(code, "sirolimus-trough") == 0 ? "Sirolimus trough" : code;
}

static void chart(FILE *f, const carelog_report *r, const carelog_trend_series *t)
{
	scale s = { (double)r->from, (double)r->end, 0, 1, 1 };

	fprintf(f, "<figure id=\"trend-%s\" data-points=\"%zu\">\n<h3>%s <span class=\"small\">", t->code, t->npoints,
		title_of(t->code));
	carelog__html_text(f, unit_words(t->unit));
	fputs("</span></h3>\n", f);
	if (t->npoints == 0) {
		fputs("<p class=\"small\">No result in this period.</p>\n</figure>\n", f);
		return;
	}
	value_range(&s, t);
	fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"%s over the period\">\n", W, H,
		title_of(t->code));
	bands(f, t, &s);
	value_ticks(f, &s);
	carelog__report_time_axis(f, r, PL, PR, PT, PB);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#9aa3ad\" "
		"stroke-width=\"0.5\"/>\n", PL, PT, PR - PL, PB - PT);
	points(f, r, t, &s);
	fputs("</svg>\n", f);
	caption(f, r, t);
	fputs("</figure>\n", f);
}

void carelog__report_labs(FILE *f, const carelog_report *r)
{
	fputs("<section id=\"labs\">\n<h2>Blood counts and sirolimus level</h2>\n<div class=\"labs\">\n", f);
	for (size_t i = 0; i < CARELOG__REPORT_NCODES; i++)
		chart(f, r, r->trends[i]);
	fputs("</div>\n<p class=\"small\">Shaded: the range each result was flagged against (the clinic's target, "
		"else the lab report's range, else the default for the child's age); red: flagged low or high.</p>\n"
		"</section>\n", f);
}
