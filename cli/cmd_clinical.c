/*
 * cmd_clinical.c - the clinical answers: `carelog due`, `adherence`,
 * `steroids`, `trend`, `alerts`, and the clinic's settings `target set` and
 * `rule set`. Every number comes from the library (carelog/clinical.h);
 * this file parses options and prints text or the library's JSON.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define AT_HELP \
	"  --at TIME       \"now\" for the computation, RFC 3339; default the current\n" \
	"                  time. Nothing logged after it counts.\n"
#define RANGE_HELP \
	"  --from DATE     first day (YYYY-MM-DD, the patient's time zone), inclusive\n" \
	"  --to DATE       last day, exclusive; default up to now\n"
#define JSON_HELP \
	"  --json          print JSON (see docs/clinical.md) instead of text\n"

/* Prints the library's JSON, or reports its error. */
static int print_json(int err, char *json)
{
	if (err) {
		carelog_free(json);
		return cli_lib_error(err);
	}
	puts(json);
	carelog_free(json);
	return CLI_OK;
}

/* ---- due -------------------------------------------------------------- */

enum { DU_AT, DU_JSON, DU_NOPTS };
static const cli_opt due_opts[DU_NOPTS] = {
	[DU_AT] = { "at", CLI_STRING, 0 },
	[DU_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_due(const carelog_due_list *d)
{
	size_t i, k;

	if (d->nitems == 0)
		puts("No plan with daily times is active.");
	for (i = 0; i < d->nitems; i++) {
		const carelog_due_item *it = &d->items[i];

		printf("%s %g %s now (plan %s, window +-%d min)\n", it->drug, it->dose_now, it->unit, it->plan,
			it->window_minutes);
		if (it->has_next)
			printf("  %s %s  %g %s\n", it->next_open ? "due now:" : "next:   ", it->next.local,
				it->next.dose, it->unit);
		else
			puts("  next:    none (the plan ends)");
		for (k = 0; k < it->noverdue; k++)
			printf("  overdue: %s  %g %s, nothing logged\n", it->overdue[k].local, it->overdue[k].dose,
				it->unit);
	}
}

static int run_due(cli_ctx *ctx, const cli_args *a)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_due_list *d = NULL;
	char *json = NULL;
	int err;

	o.at = a->vals[DU_AT].str;
	if ((err = carelog_due(&d, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	if (a->vals[DU_JSON].given)
		err = carelog_due_json(&json, d);
	else
		print_due(d);
	carelog_due_free(d);
	return a->vals[DU_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_due = {
	"due", "what each medication plan expects now",
	"usage: carelog due PATIENT [--at TIME] [--json]\n"
	"\n"
	"For each active plan with daily times: the dose expected today (taper\n"
	"applied), the next slot not yet given (\"due now\" within its window), and\n"
	"the slots of the last 24 hours whose window closed with nothing logged.\n"
	"Times are the patient's local times.\n"
	"\n"
	AT_HELP
	JSON_HELP,
	due_opts, DU_NOPTS, { "PATIENT", NULL }, 1, run_due,
};

/* ---- adherence -------------------------------------------------------- */

enum { AD_DRUG, AD_FROM, AD_TO, AD_AT, AD_JSON, AD_NOPTS };
static const cli_opt adherence_opts[AD_NOPTS] = {
	[AD_DRUG] = { "drug", CLI_STRING, 0 },
	[AD_FROM] = { "from", CLI_STRING, 0 },
	[AD_TO] = { "to", CLI_STRING, 0 },
	[AD_AT] = { "at", CLI_STRING, 0 },
	[AD_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_adherence(const carelog_adherence_report *r)
{
	size_t i;

	if (r->ndrugs == 0) {
		puts("No scheduled doses in this period.");
		return;
	}
	printf("%-24s %9s %6s %5s %7s %6s %8s\n", "drug", "scheduled", "given", "late", "missed", "extra", "percent");
	for (i = 0; i < r->ndrugs; i++) {
		const carelog_adherence_drug *e = &r->drugs[i];

		printf("%-24s %9zu %6zu %5zu %7zu %6zu ", e->drug, e->scheduled, e->given, e->late, e->missed, e->extra);
		if (e->percent >= 0)
			printf("%7.1f%%\n", e->percent);
		else
			printf("%8s\n", "-");
	}
	for (i = 0; i < r->nmismatches; i++) {
		const carelog_dose_mismatch *m = &r->mismatches[i];

		printf("amount: %s %g %s logged for the %s slot, %g %s expected (dose %s)\n", m->drug, m->amount,
			m->unit, m->local, m->expected, m->expected_unit, m->dose);
	}
}

static int run_adherence(cli_ctx *ctx, const cli_args *a)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_adherence_report *r = NULL;
	char *json = NULL;
	int err;

	o.drug = a->vals[AD_DRUG].str;
	o.from = a->vals[AD_FROM].str;
	o.to = a->vals[AD_TO].str;
	o.at = a->vals[AD_AT].str;
	if ((err = carelog_adherence(&r, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	if (a->vals[AD_JSON].given)
		err = carelog_adherence_json(&json, r);
	else
		print_adherence(r);
	carelog_adherence_free(r);
	return a->vals[AD_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_adherence = {
	"adherence", "how many scheduled doses were given, late or missed",
	"usage: carelog adherence PATIENT [--drug NAME] [--from DATE] [--to DATE]\n"
	"                         [--at TIME] [--json]\n"
	"\n"
	"Per drug: the scheduled slots up to now, and how many were given on time\n"
	"(within the plan's window, default +-60 min), late (after the window, the\n"
	"same day) or missed (logged missed, refused or held, or nothing logged);\n"
	"given + late + missed = scheduled. Extra doses filled no slot (e.g. the\n"
	"same dose logged on two phones). percent = given / scheduled x 100. Doses\n"
	"whose amount differs from the plan's dose that day are listed.\n"
	"\n"
	"  --drug NAME     only this drug\n"
	RANGE_HELP
	AT_HELP
	JSON_HELP,
	adherence_opts, AD_NOPTS, { "PATIENT", NULL }, 1, run_adherence,
};

/* ---- steroids --------------------------------------------------------- */

enum { ST_FROM, ST_TO, ST_AT, ST_JSON, ST_NOPTS };
static const cli_opt steroids_opts[ST_NOPTS] = {
	[ST_FROM] = { "from", CLI_STRING, 0 },
	[ST_TO] = { "to", CLI_STRING, 0 },
	[ST_AT] = { "at", CLI_STRING, 0 },
	[ST_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_steroids(const carelog_steroid_report *r)
{
	size_t i;

	printf("Cumulative corticosteroid dose: %.4g mg prednisone equivalent", r->prednisone_equivalent_mg);
	if (r->has_weight && r->ndrugs)
		printf(" (%.4g mg/kg)", r->mg_per_kg);
	printf(", on %zu day%s\n", r->days, r->days == 1 ? "" : "s");
	printf("Current daily dose (active plans): %.4g mg", r->current_daily_mg);
	if (r->weight_kg > 0)
		printf(" (%.3g mg/kg/day at %.4g kg)", r->current_daily_mg_per_kg, r->weight_kg);
	printf("; given in the last 24 h: %.4g mg\n", r->last_24h_mg);
	for (i = 0; i < r->ndrugs; i++) {
		const carelog_steroid_drug *e = &r->drugs[i];

		printf("  %-20s %4zu doses %10.4g mg x %-6.4g = %.4g mg prednisone\n", e->drug, e->doses,
			e->amount_mg, e->factor, e->prednisone_equivalent_mg);
	}
	for (i = 0; i < r->nskipped; i++)
		printf("  not counted: dose %s: %s\n", r->skipped[i].dose, r->skipped[i].reason);
}

static int run_steroids(cli_ctx *ctx, const cli_args *a)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_steroid_report *r = NULL;
	char *json = NULL;
	int err;

	o.from = a->vals[ST_FROM].str;
	o.to = a->vals[ST_TO].str;
	o.at = a->vals[ST_AT].str;
	if ((err = carelog_steroids(&r, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	if (a->vals[ST_JSON].given)
		err = carelog_steroids_json(&json, r);
	else
		print_steroids(r);
	carelog_steroids_free(r);
	return a->vals[ST_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_steroids = {
	"steroids", "cumulative corticosteroid exposure",
	"usage: carelog steroids PATIENT [--from DATE] [--to DATE] [--at TIME] [--json]\n"
	"\n"
	"Adds up every given corticosteroid dose (a possible double dose too) in\n"
	"prednisone equivalents (prednisone 5 mg = prednisolone 5 =\n"
	"methylprednisolone 4 = hydrocortisone 20 = dexamethasone 0.75), in mg and\n"
	"in mg/kg (each dose over the weight nearest to it), the days with any\n"
	"steroid, the daily dose the active plans expect now, and a per-drug\n"
	"breakdown.\n"
	"\n"
	RANGE_HELP
	AT_HELP
	JSON_HELP,
	steroids_opts, ST_NOPTS, { "PATIENT", NULL }, 1, run_steroids,
};

/* ---- trend ------------------------------------------------------------ */

enum { TR_CODE, TR_FROM, TR_TO, TR_JSON, TR_NOPTS };
static const cli_opt trend_opts[TR_NOPTS] = {
	[TR_CODE] = { "code", CLI_STRING, 0 },
	[TR_FROM] = { "from", CLI_STRING, 0 },
	[TR_TO] = { "to", CLI_STRING, 0 },
	[TR_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_trend(const carelog_trend_series *t)
{
	size_t i;

	if (t->npoints == 0)
		printf("No %s measurement in this period.\n", t->code);
	for (i = 0; i < t->npoints; i++) {
		const carelog_trend_point *p = &t->points[i];

		printf("%s  %g %s  %-6s", p->time, p->value, p->unit, p->flag ? p->flag : "-");
		if (p->range_source) {
			printf("  (%s ", p->range_source);
			if (p->has_low)
				printf("%g", p->low);
			printf("-");
			if (p->has_high)
				printf("%g", p->high);
			printf(")");
		}
		if (p->has_change)
			printf("  %+g", p->change);
		printf("  (%s)\n", p->record);
	}
}

static int run_trend(cli_ctx *ctx, const cli_args *a)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_trend_series *t = NULL;
	char *json = NULL;
	int err;

	o.code = a->vals[TR_CODE].str;
	o.from = a->vals[TR_FROM].str;
	o.to = a->vals[TR_TO].str;
	if ((err = carelog_trend(&t, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	if (a->vals[TR_JSON].given)
		err = carelog_trend_json(&json, t);
	else
		print_trend(t);
	carelog_trend_free(t);
	return a->vals[TR_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_trend = {
	"trend", "a lab or vital over time, flagged low/normal/high",
	"usage: carelog trend PATIENT --code CODE [--from DATE] [--to DATE] [--json]\n"
	"\n"
	"The measurements of CODE, oldest first, each flagged low, normal or high\n"
	"against the patient's target (`carelog target set`), else the range on\n"
	"the lab report, else carelog's default for the child's age, with the range\n"
	"used and the change from the previous value.\n"
	"\n"
	"  --code CODE     a measurement code, e.g. platelets or sirolimus-trough\n"
	RANGE_HELP
	JSON_HELP,
	trend_opts, TR_NOPTS, { "PATIENT", NULL }, 1, run_trend,
};

/* ---- alerts ----------------------------------------------------------- */

enum { AL_AT, AL_JSON, AL_NOPTS };
static const cli_opt alerts_opts[AL_NOPTS] = {
	[AL_AT] = { "at", CLI_STRING, 0 },
	[AL_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_alerts(const carelog_alert_list *l)
{
	size_t i, k;

	if (l->nalerts == 0)
		puts("No alerts.");
	for (i = 0; i < l->nalerts; i++) {
		const carelog_alert *al = &l->alerts[i];

		printf("%-7s  %s\n         [%s; records:", strcmp(al->severity, "urgent") == 0 ? "URGENT"
			: strcmp(al->severity, "warning") == 0 ? "WARNING" : "info", al->message, al->rule);
		for (k = 0; k < al->nrecords; k++)
			printf(" %s", al->records[k]);
		puts("]");
	}
}

static int run_alerts(cli_ctx *ctx, const cli_args *a)
{
	carelog_clinical_options o = CARELOG_CLINICAL_OPTIONS_INIT;
	carelog_alert_list *l = NULL;
	char *json = NULL;
	int err;

	o.at = a->vals[AL_AT].str;
	if ((err = carelog_alerts(&l, ctx->store, a->pos[0], &o)))
		return cli_lib_error(err);
	if (a->vals[AL_JSON].given)
		err = carelog_alerts_json(&json, l);
	else
		print_alerts(l);
	carelog_alerts_free(l);
	return a->vals[AL_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_alerts = {
	"alerts", "what needs attention now, by severity",
	"usage: carelog alerts PATIENT [--at TIME] [--json]\n"
	"\n"
	"Evaluates the alert rules (docs/clinical.md; tune them with `carelog rule\n"
	"set`): low platelets, neutrophils or hemoglobin, fever, a reading outside\n"
	"the patient's target, consecutive missed doses, a possible double dose, a\n"
	"corticosteroid stopped without a taper. Lab rules use the latest reading\n"
	"of each code in the rule's look-back (default 7 days before --at); a\n"
	"record marked entered-in-error raises nothing. Urgent alerts first.\n"
	"\n"
	AT_HELP
	"  --json          print a JSON array of {rule, severity, message, time,\n"
	"                  records}\n",
	alerts_opts, AL_NOPTS, { "PATIENT", NULL }, 1, run_alerts,
};

/* ---- target set ------------------------------------------------------- */

enum { TS_CODE, TS_LOW, TS_HIGH, TS_NOTE, TS_NOPTS };
static const cli_opt target_opts[TS_NOPTS] = {
	[TS_CODE] = { "code", CLI_STRING, 0 },
	[TS_LOW] = { "low", CLI_NUMBER, 0 },
	[TS_HIGH] = { "high", CLI_NUMBER, 0 },
	[TS_NOTE] = { "note", CLI_STRING, 0 },
};

static int run_target_set(cli_ctx *ctx, const cli_args *a)
{
	carelog_target t = CARELOG_TARGET_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	t.patient = a->pos[0];
	t.code = a->vals[TS_CODE].str;
	t.has_low = a->vals[TS_LOW].given;
	t.low = a->vals[TS_LOW].num;
	t.has_high = a->vals[TS_HIGH].given;
	t.high = a->vals[TS_HIGH].num;
	t.note = a->vals[TS_NOTE].str;
	err = carelog_target_set(id, ctx->store, &t);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_target_set = {
	"target set", "set a patient's target range for a measurement",
	"usage: carelog target set PATIENT --code CODE [--low N] [--high N]\n"
	"                          [--note TEXT]\n"
	"\n"
	"Records the clinic's target range for CODE (in the code's own unit, e.g.\n"
	"sirolimus-trough 5-15 ng/mL) and prints the record's id. The latest target\n"
	"of a code is the one `trend` and `alerts` use. It is a record like any\n"
	"other: it syncs, and `carelog void` withdraws it.\n"
	"\n"
	"  --code CODE     a measurement code\n"
	"  --low N         the lowest value in range\n"
	"  --high N        the highest value in range (at least one of the two)\n"
	"  --note TEXT     a free-text note\n",
	target_opts, TS_NOPTS, { "PATIENT", NULL }, 1, run_target_set,
};

/* ---- rule set --------------------------------------------------------- */

enum { RS_THRESHOLD, RS_SEVERITY, RS_OFF, RS_DAYS, RS_NOTE, RS_NOPTS };
static const cli_opt rule_opts[RS_NOPTS] = {
	[RS_THRESHOLD] = { "threshold", CLI_NUMBER, 0 },
	[RS_SEVERITY] = { "severity", CLI_STRING, 0 },
	[RS_OFF] = { "off", CLI_FLAG, 0 },
	[RS_DAYS] = { "lookback-days", CLI_INTEGER, 0 },
	[RS_NOTE] = { "note", CLI_STRING, 0 },
};

static int run_rule_set(cli_ctx *ctx, const cli_args *a)
{
	carelog_rule_override r = CARELOG_RULE_OVERRIDE_INIT;
	char id[CARELOG_ID_BUFSIZE];
	int err;

	r.patient = a->pos[0];
	r.rule = a->pos[1];
	r.has_threshold = a->vals[RS_THRESHOLD].given;
	r.threshold = a->vals[RS_THRESHOLD].num;
	r.severity = a->vals[RS_SEVERITY].str;
	r.off = a->vals[RS_OFF].given > 0;
	r.lookback_days = a->vals[RS_DAYS].given ? (int)a->vals[RS_DAYS].num : 0;
	r.note = a->vals[RS_NOTE].str;
	if (a->vals[RS_DAYS].given && r.lookback_days == 0) {
		cli_error("--lookback-days 0 is out of range 1-365");
		return CLI_USAGE;
	}
	err = carelog_rule_set(id, ctx->store, &r);
	return err ? cli_lib_error(err) : cli_print_id(id);
}

const cli_command cli_cmd_rule_set = {
	"rule set", "tune or turn off an alert rule for a patient",
	"usage: carelog rule set PATIENT RULE-ID [--threshold N] [--severity S] [--off]\n"
	"                        [--lookback-days N] [--note TEXT]\n"
	"\n"
	"Records the patient's setting of one alert rule and prints the record's\n"
	"id. The latest setting of a rule is in force; options left out take the\n"
	"rule's defaults. It syncs like any record. Rules: platelets-low,\n"
	"platelets-very-low, anc-low, anc-very-low, hemoglobin-low, fever,\n"
	"outside-target, missed-doses, double-dose, steroid-stop (defaults and\n"
	"sources in docs/clinical.md).\n"
	"\n"
	"  --threshold N       the rule's threshold (a value, a count or days)\n"
	"  --severity S        info, warning or urgent\n"
	"  --off               the rule raises nothing for this patient\n"
	"  --lookback-days N   how far back it looks, 1-365 days (default 7)\n"
	"  --note TEXT         a free-text note\n",
	rule_opts, RS_NOPTS, { "PATIENT", "RULE-ID", NULL }, 1, run_rule_set,
};

/* ---- rule list -------------------------------------------------------- */

enum { RL_JSON, RL_NOPTS };
static const cli_opt rule_list_opts[RL_NOPTS] = {
	[RL_JSON] = { "json", CLI_FLAG, 0 },
};

static void print_rule_settings(const carelog_rule_setting_list *l)
{
	size_t i;

	printf("%-20s %-4s %9s  %-8s %9s  %s\n", "rule", "on", "threshold", "severity", "look-back", "set by");
	for (i = 0; i < l->nrules; i++) {
		const carelog_rule_setting *e = &l->rules[i];

		printf("%-20s %-4s %9g  %-8s %7d d  %s\n", e->id, e->enabled ? "yes" : "off", e->threshold, e->severity,
			e->lookback_days, e->record ? e->record : "default");
	}
}

static int run_rule_list(cli_ctx *ctx, const cli_args *a)
{
	carelog_rule_setting_list *l = NULL;
	char *json = NULL;
	int err;

	if ((err = carelog_rule_settings(&l, ctx->store, a->pos[0])))
		return cli_lib_error(err);
	if (a->vals[RL_JSON].given)
		err = carelog_rule_settings_json(&json, l);
	else
		print_rule_settings(l);
	carelog_rule_settings_free(l);
	return a->vals[RL_JSON].given ? print_json(err, json) : CLI_OK;
}

const cli_command cli_cmd_rule_list = {
	"rule list", "the alert rules as in force for a patient",
	"usage: carelog rule list PATIENT [--json]\n"
	"\n"
	"Lists every alert rule with the threshold, severity and look-back in\n"
	"force for PATIENT: the defaults (docs/clinical.md), or the patient's\n"
	"latest `carelog rule set` record for the rule.\n"
	"\n"
	JSON_HELP,
	rule_list_opts, RL_NOPTS, { "PATIENT", NULL }, 1, run_rule_list,
};
