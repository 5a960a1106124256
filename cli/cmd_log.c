/*
 * cmd_log.c - the commands that log care: `carelog plan add`, `dose`,
 * `symptom`, `measure` and `note`.
 *
 * Each fills the library's typed struct; all checking is the library's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cli.h"

#define TIME_HELP \
	"  --at TIME       when it happened, RFC 3339, e.g. 2026-11-25T08:00:00Z or\n" \
	"                  2026-11-25T09:00:00+01:00 (stored in UTC); default now\n"
#define NOTE_HELP \
	"  --note TEXT     a free-text note (at most 2000 characters)\n"

/* ---- plan add --------------------------------------------------------- */

enum { P_DRUG, P_DOSE, P_UNIT, P_ROUTE, P_TIMES, P_START, P_END, P_TAPER,
	P_WINDOW, P_NOTE, P_NOPTS };
static const cli_opt plan_opts[P_NOPTS] = {
	[P_DRUG] = { "drug", CLI_STRING, 0 },
	[P_DOSE] = { "dose", CLI_NUMBER, 1 },
	[P_UNIT] = { "unit", CLI_STRING, 0 },
	[P_ROUTE] = { "route", CLI_STRING, 0 },
	[P_TIMES] = { "times", CLI_STRING, 0 },
	[P_START] = { "start", CLI_STRING, 0 },
	[P_END] = { "end", CLI_STRING, 0 },
	[P_TAPER] = { "taper", CLI_STRING, 0 },
	[P_WINDOW] = { "window-minutes", CLI_INTEGER, 0 },
	[P_NOTE] = { "note", CLI_STRING, 0 },
};

/* The lists of a plan, split out of --times and --taper. */
typedef struct {
	char *times_buf, **times;
	char *taper_buf, **taper_items;
	carelog_taper_step *taper;
} plan_lists;

static void plan_lists_free(plan_lists *pl)
{
	free(pl->times_buf);
	free(pl->times);
	free(pl->taper_buf);
	free(pl->taper_items);
	free(pl->taper);
}

/* Splits "DATE:DOSE,DATE:DOSE" into p->taper. */
static int parse_taper(plan_lists *pl, carelog_plan *p, const char *text)
{
	size_t i;

	pl->taper_items = cli_split_list(&pl->taper_buf, &p->ntaper, text);
	if (!pl->taper_items || !(pl->taper = calloc(p->ntaper, sizeof *pl->taper))) {
		cli_error("out of memory");
		return CLI_FAIL;
	}
	for (i = 0; i < p->ntaper; i++) {
		char *colon = strchr(pl->taper_items[i], ':');

		if (!colon) {
			cli_error("--taper step '%s' is not DATE:DOSE", pl->taper_items[i]);
			return CLI_USAGE;
		}
		*colon = '\0';
		pl->taper[i].date = pl->taper_items[i];
		if (cli_parse_number(&pl->taper[i].dose, colon + 1, "--taper dose"))
			return CLI_USAGE;
	}
	p->taper = pl->taper;
	return CLI_OK;
}

static int plan_from_args(carelog_plan *p, plan_lists *pl, const cli_args *a)
{
	p->patient = a->pos[0];
	p->drug = a->vals[P_DRUG].str;
	p->dose = a->vals[P_DOSE].num;
	p->unit = a->vals[P_UNIT].str;
	p->route = a->vals[P_ROUTE].str;
	p->start = a->vals[P_START].str;
	p->end = a->vals[P_END].str;
	p->note = a->vals[P_NOTE].str;
	if (a->vals[P_TIMES].given) {
		pl->times = cli_split_list(&pl->times_buf, &p->ntimes, a->vals[P_TIMES].str);
		if (!pl->times) {
			cli_error("out of memory");
			return CLI_FAIL;
		}
		p->times = (const char *const *)pl->times;
	}
	return a->vals[P_TAPER].given ? parse_taper(pl, p, a->vals[P_TAPER].str) : CLI_OK;
}

static int run_plan_add(cli_ctx *ctx, const cli_args *a)
{
	carelog_plan p = CARELOG_PLAN_INIT;
	plan_lists pl = { NULL, NULL, NULL, NULL, NULL };
	char id[CARELOG_ID_BUFSIZE];
	int rc = plan_from_args(&p, &pl, a), err;

	if (rc == CLI_OK) {
		p.window_minutes = a->vals[P_WINDOW].given ? (int)a->vals[P_WINDOW].num : 0;
		err = carelog_plan_add(id, ctx->store, &p);
		rc = err ? cli_lib_error(err) : cli_print_id(id);
	}
	plan_lists_free(&pl);
	return rc;
}

const cli_command cli_cmd_plan_add = {
	"plan add", "record a medication plan",
	"usage: carelog plan add PATIENT --drug NAME --dose N --unit U [--route R]\n"
	"                        [--times HH:MM,...] [--start DATE] [--end DATE]\n"
	"                        [--taper DATE:DOSE,...] [--window-minutes N]\n"
	"                        [--note TEXT]\n"
	"\n"
	"Records a medication plan for PATIENT and prints the plan's id (give it\n"
	"to `carelog dose --plan`).\n"
	"\n"
	"  --drug NAME          the drug, e.g. prednisone (stored in lower case)\n"
	"  --dose N             the dose per intake, > 0\n"
	"  --unit U             mg, g, mcg, mL, mg/kg, mg/m2, units or tablet\n"
	"  --route R            oral (default), iv, sc, im, topical, inhaled,\n"
	"                       rectal or nasogastric\n"
	"  --times HH:MM,...    the patient's local times of day, e.g. 08:00,20:00;\n"
	"                       default none (no fixed times)\n"
	"  --start DATE         first day, YYYY-MM-DD; default today (UTC)\n"
	"  --end DATE           last day, inclusive; default open-ended\n"
	"  --taper DATE:DOSE,...  from each DATE on, the dose is DOSE, e.g.\n"
	"                       2026-12-01:10,2026-12-15:5 (dates in order)\n"
	"  --window-minutes N   how early or late (5-720 minutes) a dose still\n"
	"                       counts as on time; default 60\n"
	"  --note TEXT          a free-text note (at most 2000 characters)\n",
	plan_opts, P_NOPTS, { "PATIENT", NULL }, 1, run_plan_add,
};

/* ---- dose ------------------------------------------------------------- */

enum { D_DRUG, D_AMOUNT, D_UNIT, D_AT, D_OUTCOME, D_PLAN, D_NOTE, D_NOPTS };
static const cli_opt dose_opts[D_NOPTS] = {
	[D_DRUG] = { "drug", CLI_STRING, 0 },
	[D_AMOUNT] = { "amount", CLI_NUMBER, 1 },
	[D_UNIT] = { "unit", CLI_STRING, 0 },
	[D_AT] = { "at", CLI_STRING, 0 },
	[D_OUTCOME] = { "outcome", CLI_STRING, 0 },
	[D_PLAN] = { "plan", CLI_STRING, 0 },
	[D_NOTE] = { "note", CLI_STRING, 0 },
};

static int run_dose(cli_ctx *ctx, const cli_args *a)
{
	carelog_dose d = CARELOG_DOSE_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	d.patient = a->pos[0];
	d.drug = a->vals[D_DRUG].str;
	d.amount = a->vals[D_AMOUNT].num;
	d.unit = a->vals[D_UNIT].str;
	d.at = a->vals[D_AT].str;
	d.outcome = a->vals[D_OUTCOME].str;
	d.plan = a->vals[D_PLAN].str;
	d.note = a->vals[D_NOTE].str;
	err = carelog_dose_log(id, ctx->store, &d);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_dose = {
	"dose", "log a dose given, missed, refused or held",
	"usage: carelog dose PATIENT --drug NAME --amount N --unit U [--at TIME]\n"
	"                    [--outcome O] [--plan ID] [--note TEXT]\n"
	"\n"
	"Logs a dose of a medication for PATIENT and prints the new record's id.\n"
	"\n"
	"  --drug NAME     the drug, e.g. prednisone (stored in lower case)\n"
	"  --amount N      the amount, >= 0\n"
	"  --unit U        mg, g, mcg, mL, mg/kg, mg/m2, units or tablet\n"
	TIME_HELP
	"  --outcome O     given (default), missed, refused or held\n"
	"  --plan ID       the plan the dose belongs to (from `carelog plan add`)\n"
	NOTE_HELP,
	dose_opts, D_NOPTS, { "PATIENT", NULL }, 1, run_dose,
};

/* ---- symptom ---------------------------------------------------------- */

enum { S_CODE, S_SEVERITY, S_AT, S_NOTE, S_NOPTS };
static const cli_opt symptom_opts[S_NOPTS] = {
	[S_CODE] = { "code", CLI_STRING, 0 },
	[S_SEVERITY] = { "severity", CLI_INTEGER, 1 },
	[S_AT] = { "at", CLI_STRING, 0 },
	[S_NOTE] = { "note", CLI_STRING, 0 },
};

static int run_symptom(cli_ctx *ctx, const cli_args *a)
{
	carelog_symptom sy = CARELOG_SYMPTOM_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	sy.patient = a->pos[0];
	sy.code = a->vals[S_CODE].str;
	sy.severity = (int)a->vals[S_SEVERITY].num;
	sy.at = a->vals[S_AT].str;
	sy.note = a->vals[S_NOTE].str;
	err = carelog_symptom_log(id, ctx->store, &sy);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_symptom = {
	"symptom", "log a symptom observed at home",
	"usage: carelog symptom PATIENT --code CODE --severity N [--at TIME]\n"
	"                       [--note TEXT]\n"
	"\n"
	"Logs a symptom of PATIENT and prints the new record's id.\n"
	"\n"
	"  --code CODE     fever, fatigue, bruising, bleeding, petechiae, pallor,\n"
	"                  rash, night-sweats, weight-loss, abdominal-pain,\n"
	"                  swollen-nodes, infection, jaundice, pain or other\n"
	"  --severity N    how bad, a whole number from 0 (none) to 10 (worst)\n"
	TIME_HELP
	"  --note TEXT     a free-text note; required for code other\n",
	symptom_opts, S_NOPTS, { "PATIENT", NULL }, 1, run_symptom,
};

/* ---- measure ---------------------------------------------------------- */

enum { M_CODE, M_VALUE, M_UNIT, M_LOW, M_HIGH, M_AT, M_NOTE, M_NOPTS };
static const cli_opt measure_opts[M_NOPTS] = {
	[M_CODE] = { "code", CLI_STRING, 0 },
	[M_VALUE] = { "value", CLI_NUMBER, 1 },
	[M_UNIT] = { "unit", CLI_STRING, 0 },
	[M_LOW] = { "low", CLI_NUMBER, 0 },
	[M_HIGH] = { "high", CLI_NUMBER, 0 },
	[M_AT] = { "at", CLI_STRING, 0 },
	[M_NOTE] = { "note", CLI_STRING, 0 },
};

static int run_measure(cli_ctx *ctx, const cli_args *a)
{
	carelog_measurement m = CARELOG_MEASUREMENT_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	m.patient = a->pos[0];
	m.code = a->vals[M_CODE].str;
	m.value = a->vals[M_VALUE].num;
	m.unit = a->vals[M_UNIT].str;
	m.has_low = a->vals[M_LOW].given;
	m.low = a->vals[M_LOW].num;
	m.has_high = a->vals[M_HIGH].given;
	m.high = a->vals[M_HIGH].num;
	m.note = a->vals[M_NOTE].str;
	m.at = a->vals[M_AT].str;
	err = carelog_measurement_log(id, ctx->store, &m);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_measure = {
	"measure", "log a lab result or vital sign",
	"usage: carelog measure PATIENT --code CODE --value N [--unit U] [--low N]\n"
	"                       [--high N] [--at TIME] [--note TEXT]\n"
	"\n"
	"Logs a lab result or vital sign of PATIENT and prints the new record's\n"
	"id. A value in another accepted unit is converted to the code's unit;\n"
	"the value as typed is kept alongside.\n"
	"\n"
	"  --code CODE     platelets, hemoglobin, neutrophils, lymphocytes, dnt,\n"
	"                  sirolimus-trough, alt, bilirubin, creatinine,\n"
	"                  temperature, weight, spleen-size, sfasl, il-10, il-18\n"
	"                  or vitamin-b12\n"
	"  --value N       the result\n"
	"  --unit U        the unit of --value (UCUM, e.g. Cel or [degF] for a\n"
	"                  temperature); default the code's own unit\n"
	"  --low N         the lab report's reference range, lower bound, in\n"
	"                  the same unit as --value; default none\n"
	"  --high N        the reference range's upper bound; default none\n"
	TIME_HELP
	NOTE_HELP,
	measure_opts, M_NOPTS, { "PATIENT", NULL }, 1, run_measure,
};

/* ---- note ------------------------------------------------------------- */

enum { N_AT, N_NOPTS };
static const cli_opt note_opts[N_NOPTS] = {
	[N_AT] = { "at", CLI_STRING, 0 },
};

static int run_note(cli_ctx *ctx, const cli_args *a)
{
	char id[CARELOG_ID_BUFSIZE];
	int err = carelog_note_add(id, ctx->store, a->pos[0], a->pos[1], a->vals[N_AT].str);

	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_note = {
	"note", "add a free-text note to a chart",
	"usage: carelog note PATIENT TEXT [--at TIME]\n"
	"\n"
	"Adds a free-text note (at most 10000 characters) to PATIENT's chart and\n"
	"prints the new record's id. Quote TEXT; put `--` before a TEXT that\n"
	"starts with `--`.\n"
	"\n"
	TIME_HELP,
	note_opts, N_NOPTS, { "PATIENT", "TEXT", NULL }, 1, run_note,
};
