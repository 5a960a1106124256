/*
 * cmd_query.c - reading records: `carelog timeline` and `carelog show`.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* ---- one-line summaries of records ------------------------------------ */

/* Prints text on one line: newlines and tabs become spaces. */
static void put_oneline(const char *text)
{
	for (; text && *text; text++)
		putchar(*text == '\n' || *text == '\r' || *text == '\t' ? ' ' : *text);
}

static void put_str(const carelog_record *r, const char *field)
{
	const char *s = carelog_record_string(r, field);

	put_oneline(s ? s : "?");
}

static void put_num(const carelog_record *r, const char *field)
{
	double v;

	if (carelog_record_number(&v, r, field) == 0)
		printf("%.15g", v);
	else
		putchar('?');
}

/* Prints a JSON number (integer or real) as the canonical form would. */
static void put_json_num(const json_t *j)
{
	printf("%.15g", json_number_value(j));
}

/* A JSON string's text, "?" if it is not a string. */
static const char *jstr(const json_t *j)
{
	const char *s = json_string_value(j);
	return s ? s : "?";
}

/* The record as a jansson object, for the fields that are arrays or
 * objects (the record getters reach strings and numbers only). */
static json_t *record_object(const carelog_record *r)
{
	return json_loads(carelog_record_json(r), 0, NULL);
}

static void sum_plan(const carelog_record *r)
{
	json_t *o = record_object(r), *v;
	size_t i;

	put_str(r, "drug");
	putchar(' ');
	put_num(r, "dose");
	putchar(' ');
	put_str(r, "unit");
	putchar(' ');
	put_str(r, "route");
	json_array_foreach(json_object_get(o, "times"), i, v)
		printf("%s%s", i ? "," : " ", jstr(v));
	fputs(" from ", stdout);
	put_str(r, "start");
	if (carelog_record_string(r, "end")) {
		fputs(" to ", stdout);
		put_str(r, "end");
	}
	json_array_foreach(json_object_get(o, "taper"), i, v) {
		printf("%s%s:", i ? "," : " taper ", jstr(json_object_get(v, "date")));
		put_json_num(json_object_get(v, "dose"));
	}
	if (json_object_get(o, "window_minutes")) {
		fputs(" window +-", stdout);
		put_num(r, "window_minutes");
		fputs(" min", stdout);
	}
	json_decref(o);
}

static void sum_dose(const carelog_record *r)
{
	put_str(r, "drug");
	putchar(' ');
	put_num(r, "amount");
	putchar(' ');
	put_str(r, "unit");
	putchar(' ');
	put_str(r, "outcome");
}

static void sum_symptom(const carelog_record *r)
{
	put_str(r, "code");
	fputs(" severity ", stdout);
	put_num(r, "severity");
}

static void sum_measurement(const carelog_record *r)
{
	json_t *o = record_object(r);
	json_t *entered = json_object_get(o, "entered"), *range = json_object_get(o, "range");
	json_t *low = json_object_get(range, "low"), *high = json_object_get(range, "high");

	put_str(r, "code");
	putchar(' ');
	put_num(r, "value");
	putchar(' ');
	put_str(r, "unit");
	if (range) {
		fputs(low && high ? " (range " : low ? " (range >= " : " (range <= ", stdout);
		if (low)
			put_json_num(low);
		if (low && high)
			putchar('-');
		if (high)
			put_json_num(high);
		putchar(')');
	}
	if (entered) {
		fputs(" (entered ", stdout);
		put_json_num(json_object_get(entered, "value"));
		printf(" %s)", jstr(json_object_get(entered, "unit")));
	}
	json_decref(o);
}

static void sum_note(const carelog_record *r)
{
	put_str(r, "text");
}

/* `sirolimus-trough 5-15`, `platelets >= 30` */
static void sum_target(const carelog_record *r)
{
	double low, high;
	int has_low = carelog_record_number(&low, r, "low") == 0, has_high = carelog_record_number(&high, r, "high") == 0;

	put_str(r, "code");
	if (has_low && has_high)
		printf(" %.15g-%.15g", low, high);
	else if (has_low)
		printf(" >= %.15g", low);
	else if (has_high)
		printf(" <= %.15g", high);
}

/* `platelets-low threshold 40 severity urgent`, `fever off` */
static void sum_rule(const carelog_record *r)
{
	json_t *o = record_object(r);
	const char *severity = carelog_record_string(r, "severity");

	put_str(r, "rule");
	if (json_is_false(json_object_get(o, "enabled")))
		fputs(" off", stdout);
	if (json_object_get(o, "threshold")) {
		fputs(" threshold ", stdout);
		put_num(r, "threshold");
	}
	if (severity)
		printf(" severity %s", severity);
	if (json_object_get(o, "lookback_days")) {
		fputs(" look-back ", stdout);
		put_num(r, "lookback_days");
		fputs(" days", stdout);
	}
	json_decref(o);
}

static const struct {
	const char *kind;
	void (*summarize)(const carelog_record *r);
} summaries[] = {
	{ "plan", sum_plan },
	{ "dose", sum_dose },
	{ "symptom", sum_symptom },
	{ "measurement", sum_measurement },
	{ "note", sum_note },
	{ "target", sum_target },
	{ "rule", sum_rule },
};

/* `<time>  <kind>  <summary>[ - <note>][ [entered-in-error: <reason>]]  (<id>)` */
static void print_record_line(const carelog_record *r)
{
	const char *kind = carelog_record_kind(r), *note, *reason;
	size_t i;

	/* to the second, so that the columns line up ("...T08:00:00.123Z") */
	printf("%.19sZ  %-11s  ", carelog_record_time(r), kind);
	for (i = 0; i < sizeof summaries / sizeof summaries[0]; i++)
		if (strcmp(summaries[i].kind, kind) == 0)
			summaries[i].summarize(r);
	if (strcmp(kind, "note") != 0 && (note = carelog_record_string(r, "note")) && *note) {
		fputs(" - ", stdout);
		put_oneline(note);
	}
	if (strcmp(carelog_record_status(r), "entered-in-error") == 0) {
		reason = carelog_record_string(r, "reason");
		fputs(" [entered-in-error: ", stdout);
		put_oneline(reason ? reason : "?");
		putchar(']');
	}
	printf("  (%s)\n", carelog_record_id(r));
}

/* ---- timeline --------------------------------------------------------- */

enum { T_SINCE, T_UNTIL, T_KIND, T_ALL, T_JSON, T_NOPTS };
static const cli_opt timeline_opts[T_NOPTS] = {
	[T_SINCE] = { "since", CLI_STRING, 0 },
	[T_UNTIL] = { "until", CLI_STRING, 0 },
	[T_KIND] = { "kind", CLI_STRING, 0 },
	[T_ALL] = { "all", CLI_FLAG, 0 },
	[T_JSON] = { "json", CLI_FLAG, 0 },
};

/* Streams the JSON array: "[" is printed with the first record, so an error
 * before any record leaves stdout empty. */
static int timeline_json_cb(const carelog_record *r, void *payload)
{
	size_t *n = payload;

	fputs((*n)++ ? "," : "[", stdout);
	fputs(carelog_record_json(r), stdout);
	return ferror(stdout) ? 1 : 0;
}

static int timeline_line_cb(const carelog_record *r, void *payload)
{
	(void)payload;
	print_record_line(r);
	return ferror(stdout) ? 1 : 0;
}

static int run_timeline(cli_ctx *ctx, const cli_args *a)
{
	carelog_timeline_options o = CARELOG_TIMELINE_OPTIONS_INIT;
	int json = a->vals[T_JSON].given > 0;
	size_t n = 0;
	int err;

	o.since = a->vals[T_SINCE].str;
	o.until = a->vals[T_UNTIL].str;
	o.kind = a->vals[T_KIND].str;
	o.include_voided = a->vals[T_ALL].given > 0;
	err = carelog_timeline_foreach(ctx->store, a->pos[0], &o,
		json ? timeline_json_cb : timeline_line_cb, &n);
	if (err > 0)
		return CLI_FAIL; /* stdout failed; main reports it */
	if (err < 0)
		return cli_lib_error(err);
	if (json)
		puts(n ? "]" : "[]");
	return CLI_OK;
}

const cli_command cli_cmd_timeline = {
	"timeline", "show a patient's records, oldest first",
	"usage: carelog timeline PATIENT [--since TIME] [--until TIME] [--kind K]\n"
	"                        [--all] [--json]\n"
	"\n"
	"Shows PATIENT's plans, doses, symptoms, measurements, notes, targets and\n"
	"alert rule settings, oldest first, one per line:\n"
	"  2026-11-25T08:00:00Z  dose         prednisone 10 mg given  (<id>)\n"
	"Records marked entered-in-error are left out unless --all is given.\n"
	"\n"
	"  --since TIME   only records at or after TIME (RFC 3339); default all\n"
	"  --until TIME   only records before TIME; default all\n"
	"  --kind K       only plan, dose, symptom, measurement, note, target or\n"
	"                 rule records\n"
	"  --all          include records marked entered-in-error, with their reason\n"
	"  --json         print a JSON array of the record objects instead\n",
	timeline_opts, T_NOPTS, { "PATIENT", NULL }, 1, run_timeline,
};

/* ---- show ------------------------------------------------------------- */

enum { SH_HISTORY, SH_JSON, SH_NOPTS };
static const cli_opt show_opts[SH_NOPTS] = {
	[SH_HISTORY] = { "history", CLI_FLAG, 0 },
	[SH_JSON] = { "json", CLI_FLAG, 0 },
};

/* `<hlc>  <commit first 12>  <status>  <author>`, then the version's JSON. */
static int print_history(const carelog_record_list *l)
{
	size_t i;
	int rc = CLI_OK;

	for (i = 0; rc == CLI_OK && i < carelog_record_list_count(l); i++) {
		const carelog_record *r = carelog_record_list_get(l, i);
		const char *commit = carelog_record_commit(r);
		const char *author = carelog_record_string(r, "author");

		printf("%s%s  %.12s  %s  %s\n", i ? "\n" : "", carelog_record_hlc(r),
			commit ? commit : "-", carelog_record_status(r), author ? author : "?");
		rc = cli_print_json_pretty(carelog_record_json(r));
	}
	return rc;
}

static int show_history(cli_ctx *ctx, const char *id, int json)
{
	carelog_record_list *l = NULL;
	char *text = NULL;
	int rc = CLI_OK, err = carelog_record_history(&l, ctx->store, id);

	if (!err && json && !(err = carelog_record_list_json(&text, l)))
		puts(text);
	if (!err && !json)
		rc = print_history(l);
	carelog_free(text);
	carelog_record_list_free(l);
	return err ? cli_lib_error(err) : rc;
}

static int run_show(cli_ctx *ctx, const cli_args *a)
{
	carelog_record *r = NULL;
	int rc = CLI_OK, err;

	if (a->vals[SH_HISTORY].given)
		return show_history(ctx, a->pos[0], a->vals[SH_JSON].given > 0);
	if ((err = carelog_record_get(&r, ctx->store, a->pos[0])))
		return cli_lib_error(err);
	if (a->vals[SH_JSON].given)
		puts(carelog_record_json(r));
	else
		rc = cli_print_json_pretty(carelog_record_json(r));
	carelog_record_free(r);
	return rc;
}

const cli_command cli_cmd_show = {
	"show", "show one record (or its history)",
	"usage: carelog show RECORD [--history] [--json]\n"
	"\n"
	"Shows the current version of RECORD (any kind, patients included) as\n"
	"indented JSON.\n"
	"\n"
	"  --history   show every version, oldest first, each headed by\n"
	"              `<hlc>  <commit>  <status>  <author>`\n"
	"  --json      print the canonical JSON on one line (with --history, a\n"
	"              JSON array of all versions, oldest first)\n",
	show_opts, SH_NOPTS, { "RECORD", NULL }, 1, run_show,
};
