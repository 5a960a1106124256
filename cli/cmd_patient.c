/*
 * cmd_patient.c - `carelog patient add` and `carelog patient list`.
 */
#include <stdio.h>

#include "cli.h"

/* ---- patient add ------------------------------------------------------ */

enum { PA_NAME, PA_BORN, PA_WEIGHT, PA_ASPLENIC, PA_TIMEZONE, PA_NOPTS };
static const cli_opt patient_add_opts[PA_NOPTS] = {
	[PA_NAME] = { "name", CLI_STRING, 0 },
	[PA_BORN] = { "born", CLI_STRING, 0 },
	[PA_WEIGHT] = { "weight-kg", CLI_NUMBER, 0 },
	[PA_ASPLENIC] = { "asplenic", CLI_FLAG, 0 },
	[PA_TIMEZONE] = { "timezone", CLI_STRING, 0 },
};

static int run_patient_add(cli_ctx *ctx, const cli_args *a)
{
	carelog_patient p = CARELOG_PATIENT_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	p.name = a->vals[PA_NAME].str;
	p.born = a->vals[PA_BORN].str;
	p.has_weight_kg = a->vals[PA_WEIGHT].given;
	p.weight_kg = a->vals[PA_WEIGHT].num;
	p.asplenic = a->vals[PA_ASPLENIC].given > 0;
	p.timezone = a->vals[PA_TIMEZONE].str;
	err = carelog_patient_add(id, ctx->store, &p);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_patient_add = {
	"patient add", "add a patient (and the patient's chart)",
	"usage: carelog patient add --name NAME [--born DATE] [--weight-kg N]\n"
	"                           [--asplenic] [--timezone TZ]\n"
	"\n"
	"Adds a patient and creates the patient's chart. Prints the patient id,\n"
	"which the other commands take as PATIENT.\n"
	"\n"
	"  --name NAME     the patient's name (required, at most 200 characters)\n"
	"  --born DATE     date of birth, YYYY-MM-DD; default not recorded\n"
	"  --weight-kg N   body weight in kg; default not recorded\n"
	"  --asplenic      the patient has no (working) spleen; default not\n"
	"  --timezone TZ   the patient's IANA time zone, e.g. Europe/Paris, in which\n"
	"                  plan times are read; default UTC\n",
	patient_add_opts, PA_NOPTS, { NULL }, 1, run_patient_add,
};

/* ---- patient list ----------------------------------------------------- */

enum { PL_JSON, PL_NOPTS };
static const cli_opt patient_list_opts[PL_NOPTS] = {
	[PL_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_patient(const carelog_record *r)
{
	const char *name = carelog_record_string(r, "name");
	const char *born = carelog_record_string(r, "born");

	printf("%s  %s", carelog_record_id(r), name ? name : "?");
	if (born)
		printf("  born %s", born);
	putchar('\n');
}

static int run_patient_list(cli_ctx *ctx, const cli_args *a)
{
	carelog_record_list *l = NULL;
	char *json = NULL;
	size_t i;
	int err = carelog_patient_list(&l, ctx->store);

	if (!err && a->vals[PL_JSON].given && !(err = carelog_record_list_json(&json, l)))
		puts(json);
	for (i = 0; !err && !a->vals[PL_JSON].given && i < carelog_record_list_count(l); i++)
		print_patient(carelog_record_list_get(l, i));
	carelog_free(json);
	carelog_record_list_free(l);
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_patient_list = {
	"patient list", "list the patients of the store",
	"usage: carelog patient list [--json]\n"
	"\n"
	"Lists every patient of the store, ordered by name, one per line:\n"
	"`<id>  <name>  born <date>`.\n"
	"\n"
	"  --json   print a JSON array of the patient records instead\n",
	patient_list_opts, PL_NOPTS, { NULL }, 1, run_patient_list,
};
