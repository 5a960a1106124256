/*
 * report_html.c - the visit report as one HTML document: the head with its
 * inline stylesheet (screen and print: an A4 or Letter page or two), the
 * title block, the sections in order, and the closing words. Nothing is
 * loaded from anywhere and there is no script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_internal.h"
#include "tz.h"

/* Print: 10 mm margins leave 190 x 259 mm on Letter (the shorter page) and
 * 190 x 277 mm on A4; the layout is 190 mm wide and breaks only between
 * blocks. */
static const char stylesheet[] =
	"*{box-sizing:border-box}\n"
	"body{font:9.5pt/1.35 \"DejaVu Sans\",\"Liberation Sans\",Arial,Helvetica,sans-serif;color:#1b1f23;"
	"margin:0 auto;max-width:200mm;padding:6mm}\n"
	"h1{font-size:14pt;margin:0}\n"
	"h2{font-size:10.5pt;margin:3.5mm 0 1.2mm;padding-bottom:.4mm;border-bottom:1px solid #9aa3ad;break-after:avoid}\n"
	"h3{font-size:9pt;margin:0 0 .6mm}\n"
	"p{margin:.8mm 0}\n"
	"table{border-collapse:collapse;width:100%;font-size:8.5pt}\n"
	"th,td{text-align:left;padding:.45mm 1.4mm;border-bottom:1px solid #e3e7eb;vertical-align:top}\n"
	"thead th{border-bottom:1px solid #9aa3ad;font-weight:600}\n"
	"tr{break-inside:avoid}\n"
	"#steroids tr[data-drug]{font-size:8pt;color:#4f5863}\n"
	"#steroids tr[data-drug] th{font-weight:400}\n"
	".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	".meta,.small,figcaption{color:#4f5863;font-size:8pt}\n"
	".slots{font-size:7.5pt;color:#33393f;margin:.4mm 0 0 2mm}\n"
	".facts{display:flex;flex-wrap:wrap;gap:.6mm 6mm;margin:1.5mm 0 0;color:#4f5863}\n"
	".facts b{color:#1b1f23}\n"
	".facts b.warn,.warn{color:#b71c1c}\n"
	".nowrap{white-space:nowrap}\n"
	".sev{display:inline-block;min-width:15mm;padding:0 1mm;border-radius:1mm;font-size:7.5pt;font-weight:700;"
	"text-align:center}\n"
	".sev-urgent{background:#b71c1c;color:#fff}\n"
	".sev-warning{background:#f4c542;color:#1b1f23}\n"
	".sev-info{background:#dfe6ee;color:#1b1f23}\n"
	".labs{display:grid;grid-template-columns:1fr 1fr 1fr;gap:2mm 4mm}\n"
	".none h2{display:inline;border:0;font-size:9.5pt;margin:0}\n"
	".none p{display:inline;margin-left:2mm}\n"
	".none{margin:2.5mm 0 0}\n"
	"figure{margin:0;break-inside:avoid}\n"
	"figcaption{margin-top:.3mm}\n"
	"svg{display:block;width:100%;height:auto}\n"
	"svg text{font-family:\"DejaVu Sans\",Arial,sans-serif;fill:#4f5863}\n"
	"section{break-inside:auto}\n"
	".keep{break-inside:avoid}\n"
	"footer{margin-top:3mm;padding-top:1mm;border-top:1px solid #9aa3ad;color:#4f5863;font-size:7.5pt}\n"
	"@page{margin:10mm}\n"
	"@media print{body{max-width:none;padding:0;font-size:8.5pt}"
	"a{color:inherit;text-decoration:none}}\n";

/* "YYYY-MM-DD – YYYY-MM-DD (N days)": the last day shown is the day before
 * `to`, or the day of `at`. */
static void period_text(FILE *f, const carelog_report *r)
{
	int64_t first = carelog__tz_local_day(r->cd->tz, r->from);
	int64_t last = r->to_text[0] ? carelog__tz_local_day(r->cd->tz, r->to) - 1 : r->today;
	char a[CARELOG__DATE_BUFSIZE], b[CARELOG__DATE_BUFSIZE], now[CARELOG__LOCAL_BUFSIZE];

	carelog__date_format(a, first);
	carelog__date_format(b, last);
	fprintf(f, "%s \xe2\x80\x93 %s (%lld day%s)", a, b, (long long)(last - first + 1), last == first ? "" : "s");
	fprintf(f, " \xc2\xb7 as of %s", carelog__report_local(now, r, r->at));
}

static void head(FILE *f, const carelog_report *r)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<meta name=\"generator\" content=\"carelog %s\">\n<title>Visit report: ", carelog_version());
	carelog__html_text(f, r->cd->name);
	fprintf(f, ", %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", r->from_text, stylesheet);
	fputs("<header>\n<h1>Visit report: ", f);
	carelog__html_text(f, r->cd->name);
	fputs("</h1>\n<p class=\"meta\" id=\"period\">", f);
	period_text(f, r);
	fputs(" \xc2\xb7 times on the patient's clock (", f);
	carelog__html_text(f, r->cd->tzname);
	fputs(")</p>\n</header>\n", f);
}

static void foot(FILE *f, const carelog_report *r)
{
	fprintf(f, "<footer>\n<p>Made by carelog %s at %s (UTC) from the family's and the clinic's records; "
		"every figure is what <code>carelog adherence</code>, <code>steroids</code>, <code>trend</code> and "
		"<code>alerts</code> answer for the same period (docs/report.md). Patient ",
		carelog_version(), r->at_text);
	carelog__html_text(f, r->cd->patient);
	fputs(". carelog supports care; it does not replace a clinician.</p>\n</footer>\n</body>\n</html>\n", f);
}

int carelog_report_html(char **out, const carelog_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err, rc;

	*out = NULL;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	head(f, r);
	carelog__report_patient(f, r);
	carelog__report_plans(f, r);
	carelog__report_alerts(f, r);
	carelog__report_adherence(f, r);
	carelog__report_steroids(f, r);
	carelog__report_labs(f, r);
	rc = carelog__report_symptoms(f, r);
	carelog__report_conflicts(f, r);
	carelog__report_voided(f, r);
	foot(f, r);
	err = ferror(f);
	if (fclose(f) != 0 || err || rc < 0) {
		free(buf);
		return carelog__fail(CARELOG_ENOMEM, "out of memory writing the report");
	}
	*out = buf;
	return 0;
}
