/*
 * cmd_exchange.c - charts out and in: `carelog export` (FHIR, CSV, JSON
 * lines) and `carelog import` (JSON lines, FHIR). The library does the
 * work (carelog/exchange.h, carelog_import); this parses and prints.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- export ----------------------------------------------------------- */

enum { E_FORMAT, E_FROM, E_TO, E_OUT, E_NOPTS };
static const cli_opt export_opts[E_NOPTS] = {
	[E_FORMAT] = { "format", CLI_STRING, 1 },
	[E_FROM] = { "from", CLI_STRING, 0 },
	[E_TO] = { "to", CLI_STRING, 0 },
	[E_OUT] = { "out", CLI_STRING, 0 },
};

static int run_export(cli_ctx *ctx, const cli_args *a)
{
	carelog_export_options o = CARELOG_EXPORT_OPTIONS_INIT;
	const char *out = a->vals[E_OUT].str;
	char *text = NULL;
	size_t len = 0;
	int err;

	if ((err = carelog_format_parse(&o.format, a->vals[E_FORMAT].str)))
		return cli_lib_error(err);
	o.from = a->vals[E_FROM].str;
	o.to = a->vals[E_TO].str;
	if (o.format == CARELOG_FORMAT_CSV && !out) {
		cli_error("export --format csv writes one file per kind: give --out DIR");
		return CLI_USAGE;
	}
	if (out)
		return (err = carelog_export_file(ctx->store, a->pos[0], &o, out)) ? cli_lib_error(err) : CLI_OK;
	if ((err = carelog_export(&text, &len, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	fwrite(text, 1, len, stdout);
	carelog_free(text);
	return CLI_OK;
}

const cli_command cli_cmd_export = {
	"export", "write a patient's chart as FHIR, CSV or JSON lines",
	"usage: carelog export PATIENT --format fhir|csv|jsonl [--from DATE] [--to DATE]\n"
	"                      [--out FILE]\n"
	"\n"
	"Writes PATIENT's records (the current version of each, entered-in-error\n"
	"ones included) to stdout, or to FILE (written whole or not at all).\n"
	"\n"
	"  --format fhir    a FHIR R4 Bundle (JSON): Patient, MedicationRequest,\n"
	"                   MedicationAdministration, Observation, Communication,\n"
	"                   ... and a Provenance per record (docs/exchange.md)\n"
	"  --format jsonl   one record per line, as `carelog import` reads them\n"
	"  --format csv     one CSV table per kind for spreadsheets: --out DIR is\n"
	"                   required and receives patient.csv, caregiver.csv,\n"
	"                   plan.csv, dose.csv, symptom.csv, measurement.csv,\n"
	"                   note.csv, target.csv and rule.csv\n"
	"  --from DATE      only records on or after DATE (YYYY-MM-DD)\n"
	"  --to DATE        only records on or before DATE (inclusive)\n"
	"  --out FILE       write FILE (csv: the directory DIR) instead of stdout\n"
	"\n"
	"Dates are days in the patient's time zone. The patient record is always\n"
	"exported, and so is every plan an exported dose belongs to.\n",
	export_opts, E_NOPTS, { "PATIENT", NULL }, 1, run_export,
};

/* ---- import ----------------------------------------------------------- */

enum { I_FORMAT, I_NOPTS };
static const cli_opt import_opts[I_NOPTS] = {
	[I_FORMAT] = { "format", CLI_STRING, 0 },
};

static int run_import(cli_ctx *ctx, const cli_args *a)
{
	const char *path = a->pos[0];
	carelog_format format = CARELOG_FORMAT_JSONL;
	FILE *in;
	size_t written = 0;
	int err;

	if (a->vals[I_FORMAT].str && (err = carelog_format_parse(&format, a->vals[I_FORMAT].str)))
		return cli_lib_error(err);
	if (format == CARELOG_FORMAT_CSV) {
		cli_error("import reads --format jsonl or fhir, not csv");
		return CLI_USAGE;
	}
	if (!(in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r"))) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return CLI_FAIL;
	}
	err = format == CARELOG_FORMAT_FHIR ? carelog_import_fhir(&written, ctx->store, in)
		: carelog_import(&written, ctx->store, in, NULL);
	if (in != stdin)
		fclose(in);
	if (err)
		return cli_lib_error(err);
	printf("%zu\n", written);
	return CLI_OK;
}

const cli_command cli_cmd_import = {
	"import", "import records from JSON lines or a FHIR Bundle",
	"usage: carelog import FILE|- [--format jsonl|fhir]\n"
	"\n"
	"Imports records from FILE (`-` reads stdin).\n"
	"\n"
	"  --format jsonl   (the default) JSON lines, one record object per line,\n"
	"                   blank lines ignored (the format of docs/records.md)\n"
	"  --format fhir    a FHIR R4 Bundle as `carelog export --format fhir`\n"
	"                   writes it (docs/exchange.md)\n"
	"\n"
	"Everything is checked first: if any line or resource is invalid, nothing\n"
	"is written and the error names the line, or the Bundle entry, resource\n"
	"and element (exit 2). Records identical to what the store holds are\n"
	"skipped, so importing a file whose records carry ids twice writes nothing\n"
	"the second time; a JSON line without an id is a new record each time.\n"
	"Prints the number of records written.\n",
	import_opts, I_NOPTS, { "FILE|-", NULL }, 1, run_import,
};
