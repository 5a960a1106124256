/*
 * cmd_report.c - `carelog report`: the visit report as one HTML file. The
 * library builds and writes it (carelog/report.h); this file parses the
 * options and says where the file is.
 */
#include <stdio.h>

#include "cli.h"

enum { RP_FROM, RP_TO, RP_AT, RP_OUT, RP_NOPTS };
static const cli_opt report_opts[RP_NOPTS] = {
	[RP_FROM] = { "from", CLI_STRING, 0 },
	[RP_TO] = { "to", CLI_STRING, 0 },
	[RP_AT] = { "at", CLI_STRING, 0 },
	[RP_OUT] = { "out", CLI_STRING, 1 },
};

static int run_report(cli_ctx *ctx, const cli_args *a)
{
	carelog_report_options o = CARELOG_REPORT_OPTIONS_INIT;
	carelog_report *r = NULL;
	int err;

	o.from = a->vals[RP_FROM].str;
	o.to = a->vals[RP_TO].str;
	o.at = a->vals[RP_AT].str;
	if ((err = carelog_report_build(&r, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	err = carelog_report_write(r, a->vals[RP_OUT].str);
	if (err == 0)
		puts(a->vals[RP_OUT].str);
	carelog_report_free(r);
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_report = {
	"report", "the visit report: one HTML page to print or send",
	"usage: carelog report PATIENT [--from DATE] [--to DATE] [--at TIME] --out FILE.html\n"
	"\n"
	"Writes the visit report of PATIENT as one self-contained HTML file (no\n"
	"script, nothing loaded from the network; it prints on one or two A4 or\n"
	"Letter pages): age, weight, spleen, the plans running now with their taper\n"
	"step, adherence per drug with the late and missed slots, cumulative\n"
	"corticosteroid exposure, charts of platelets, hemoglobin, neutrophils,\n"
	"lymphocytes and the sirolimus trough against their ranges, the symptoms,\n"
	"the open alerts and conflicts, and the records marked entered-in-error.\n"
	"Its figures are those `carelog adherence`, `steroids`, `trend` and\n"
	"`alerts` give for the same period (docs/report.md). The file is written\n"
	"whole or not at all, readable by its owner only, and its name is printed\n"
	"alone on stdout.\n"
	"\n"
	"  --from DATE     first day (YYYY-MM-DD, the patient's time zone),\n"
	"                  inclusive; default 90 days before --to\n"
	"  --to DATE       the day after the last, exclusive; default now (the\n"
	"                  period runs up to --at)\n"
	"  --at TIME       \"now\" for the report, RFC 3339; default the current\n"
	"                  time. Nothing logged after it counts; the plans, weight\n"
	"                  and alerts are as of it.\n"
	"  --out FILE      where to write the HTML (required)\n",
	report_opts, RP_NOPTS, { "PATIENT", NULL }, 1, run_report,
};
