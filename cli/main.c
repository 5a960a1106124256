/*
 * main.c - the carelog command-line program: global options, the command
 * table and dispatch, the option parser every command uses, and the output
 * and error helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static const cli_command *const commands[] = {
	&cli_cmd_init, &cli_cmd_patient_add, &cli_cmd_patient_list,
	&cli_cmd_plan_add, &cli_cmd_dose, &cli_cmd_symptom, &cli_cmd_measure,
	&cli_cmd_note, &cli_cmd_amend, &cli_cmd_void, &cli_cmd_timeline,
	&cli_cmd_show, &cli_cmd_import, &cli_cmd_export, &cli_cmd_check,
	&cli_cmd_remote_add, &cli_cmd_remote_list, &cli_cmd_remote_remove,
	&cli_cmd_sync, &cli_cmd_conflicts, &cli_cmd_resolve, &cli_cmd_hook,
	&cli_cmd_due,
	&cli_cmd_adherence, &cli_cmd_steroids, &cli_cmd_trend, &cli_cmd_alerts,
	&cli_cmd_target_set, &cli_cmd_rule_set, &cli_cmd_rule_list,
	&cli_cmd_report,
	&cli_cmd_bundle_create, &cli_cmd_bundle_apply,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

enum { G_STORE, G_VERSION, G_NOPTS };
static const cli_opt global_opts[G_NOPTS] = {
	[G_STORE] = { "store", CLI_STRING, 0 },
	[G_VERSION] = { "version", CLI_FLAG, 0 },
};

static const char main_usage_head[] =
	"usage: carelog [--store DIR] COMMAND [ARGS...]\n"
	"       carelog --help | --version\n"
	"\n"
	"Keeps the care records of children with ALPS: medication plans, doses,\n"
	"symptoms, measurements and notes, one chart per patient, offline.\n"
	"\n"
	"Commands:\n";

static const char main_usage_tail[] =
	"\n"
	"Options:\n"
	"  --store DIR   the store directory; default $CARELOG_STORE, else\n"
	"                $XDG_DATA_HOME/carelog, else $HOME/.local/share/carelog\n"
	"  --help        this text; `carelog COMMAND --help` explains a command\n"
	"  --version     print the version\n"
	"\n"
	"Times are RFC 3339 (2026-11-25T08:00:00Z or 2026-11-25T09:00:00+01:00;\n"
	"stored in UTC), dates YYYY-MM-DD. Commands that create a record print its\n"
	"id alone on stdout. Errors go to stderr as `carelog: <what is wrong>`.\n"
	"\n"
	"Exit status: 0 success; 2 bad usage or invalid input (nothing was\n"
	"written); 1 any other failure (not found, I/O, store locked, ...).\n";

/* ---- output and error helpers ---------------------------------------- */

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("carelog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_lib_error(int rc)
{
	const carelog_error *e = carelog_error_last();

	if (e->message && e->message[0])
		cli_error("%s", e->message);
	else
		cli_error("failed (error %d)", rc);
	return rc == CARELOG_EINVALID ? CLI_USAGE : CLI_FAIL;
}

int cli_print_id(const char *id)
{
	puts(id);
	return CLI_OK;
}

int cli_print_json_pretty(const char *json)
{
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	char *text;

	if (!j) {
		cli_error("cannot parse a record: %s", jerr.text);
		return CLI_FAIL;
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	json_decref(j);
	if (!text) {
		cli_error("out of memory");
		return CLI_FAIL;
	}
	puts(text);
	free(text);
	return CLI_OK;
}

char **cli_split_list(char **buf, size_t *n, const char *text)
{
	size_t count = 1, i = 0;
	const char *c;
	char **items, *p;

	for (c = text; *c; c++)
		count += *c == ',';
	*buf = strdup(text);
	items = calloc(count + 1, sizeof *items);
	if (!*buf || !items) {
		free(*buf);
		free(items);
		*buf = NULL;
		return NULL;
	}
	for (p = *buf, items[i++] = p; *p; p++) {
		if (*p == ',') {
			*p = '\0';
			items[i++] = p + 1;
		}
	}
	*n = count;
	return items;
}

int cli_parse_number(double *out, const char *text, const char *what)
{
	const char *c;
	char *end = NULL;
	double v = 0;
	int ok = 0;

	/* Plain decimal notation only: no spaces, hex, "inf" or "nan". */
	for (c = text; *c && (isdigit((unsigned char)*c) || strchr(".eE+-", *c)); c++)
		;
	if (*text && !*c) {
		v = strtod(text, &end);
		ok = *end == '\0' && isfinite(v);
	}
	if (!ok) {
		cli_error("%s '%s' is not a number", what, text);
		return CLI_USAGE;
	}
	*out = v;
	return CLI_OK;
}

/* ---- the option parser ----------------------------------------------- */

static int set_value(cli_val *v, const cli_opt *o, const char *value, int argc)
{
	char what[64];

	snprintf(what, sizeof what, "--%s", o->name);
	if (v->given && o->type != CLI_MULTI) {
		cli_error("%s is given more than once", what);
		return CLI_USAGE;
	}
	if (o->type == CLI_MULTI) {
		if (!v->list && !(v->list = calloc((size_t)argc, sizeof *v->list))) {
			cli_error("out of memory");
			return CLI_FAIL;
		}
		v->list[v->given] = value;
	}
	if ((o->type == CLI_NUMBER || o->type == CLI_INTEGER)
	    && cli_parse_number(&v->num, value, what))
		return CLI_USAGE;
	if (o->type == CLI_INTEGER
	    && (v->num != floor(v->num) || v->num < -2147483647.0 || v->num > 2147483647.0)) {
		cli_error("%s '%s' is not an integer", what, value);
		return CLI_USAGE;
	}
	v->str = value;
	v->given++;
	return CLI_OK;
}

/* Parses argv[*i], which starts with "--"; may consume the next argument. */
static int parse_option(cli_args *a, const cli_opt *opts, size_t nopts,
	int argc, char **argv, int *i)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name), k;

	for (k = 0; k < nopts; k++)
		if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0)
			break;
	if (k == nopts) {
		cli_error("unknown option '--%.*s'", (int)len, name);
		return CLI_USAGE;
	}
	if (opts[k].type == CLI_FLAG) {
		if (eq) {
			cli_error("--%s takes no value", opts[k].name);
			return CLI_USAGE;
		}
		a->vals[k].given++;
		return CLI_OK;
	}
	if (!eq && *i + 1 >= argc) {
		cli_error("--%s needs a value", opts[k].name);
		return CLI_USAGE;
	}
	return set_value(&a->vals[k], &opts[k], eq ? eq + 1 : argv[++*i], argc);
}

int cli_parse(cli_args *a, const cli_opt *opts, size_t nopts, int argc,
	char **argv, int stop_at_positional)
{
	int i, rc = CLI_OK, only_pos = 0;

	memset(a, 0, sizeof *a);
	a->nopts = nopts;
	a->vals = calloc(nopts + 1, sizeof *a->vals);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	if (!a->vals || !a->pos) {
		cli_error("out of memory");
		rc = CLI_FAIL;
	}
	for (i = 0; i < argc && rc == CLI_OK; i++) {
		const char *arg = argv[i];

		if (!only_pos && strcmp(arg, "--") == 0)
			only_pos = 1;
		else if (!only_pos && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0))
			a->help = 1;
		else if (!only_pos && strncmp(arg, "--", 2) == 0)
			rc = parse_option(a, opts, nopts, argc, argv, &i);
		else if (stop_at_positional)
			break;
		else
			a->pos[a->npos++] = argv[i];
	}
	a->next = i;
	if (rc != CLI_OK)
		cli_args_free(a);
	return rc;
}

void cli_args_free(cli_args *a)
{
	size_t k;

	for (k = 0; a->vals && k < a->nopts; k++)
		free(a->vals[k].list);
	free(a->vals);
	free(a->pos);
	memset(a, 0, sizeof *a);
}

/* ---- usage ------------------------------------------------------------ */

static void print_main_usage(FILE *f)
{
	size_t i;

	fputs(main_usage_head, f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->synopsis);
	fputs(main_usage_tail, f);
}

/* ---- dispatch --------------------------------------------------------- */

/* Length of the first word of a command name ("patient" in "patient add"). */
static size_t group_len(const char *name)
{
	const char *sp = strchr(name, ' ');
	return sp ? (size_t)(sp - name) : strlen(name);
}

static int in_group(const cli_command *c, const char *word)
{
	return strlen(word) == group_len(c->name) && strncmp(c->name, word, group_len(c->name)) == 0;
}

/* Finds the command argv names; *words receives how many words it took. */
static const cli_command *find_command(int argc, char **argv, int *words)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		const char *sub = strchr(commands[i]->name, ' ');

		if (!in_group(commands[i], argv[0]))
			continue;
		if (!sub) {
			*words = 1;
			return commands[i];
		}
		if (argc > 1 && strcmp(sub + 1, argv[1]) == 0) {
			*words = 2;
			return commands[i];
		}
	}
	return NULL;
}

/* `carelog patient`, `carelog patient --help`, `carelog patient bogus`. */
static int group_or_unknown(int argc, char **argv)
{
	size_t i, n = 0;
	int help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

	for (i = 0; i < NCOMMANDS; i++) {
		if (!in_group(commands[i], argv[0]))
			continue;
		if (help)
			printf("%s%s", n ? "\n" : "", commands[i]->usage);
		n++;
	}
	if (n == 0 || (argc > 1 && !help)) {
		cli_error("unknown command '%s%s%s' (see carelog --help)", argv[0],
			n && argc > 1 ? " " : "", n && argc > 1 ? argv[1] : "");
		return CLI_USAGE;
	}
	if (!help) {
		cli_error("%s needs a subcommand (see carelog %s --help)", argv[0], argv[0]);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int check_args(const cli_command *cmd, const cli_args *a)
{
	size_t k, npos = 0, required = 0;

	/* a name in brackets, "[REMOTE]", is an optional trailing argument */
	while (npos < 3 && cmd->pos[npos])
		required += cmd->pos[npos++][0] != '[';
	if (a->npos < required) {
		cli_error("%s: missing %s", cmd->name, cmd->pos[a->npos]);
		return CLI_USAGE;
	}
	if (a->npos > npos) {
		cli_error("%s: unexpected argument '%s'", cmd->name, a->pos[npos]);
		return CLI_USAGE;
	}
	for (k = 0; k < cmd->nopts; k++) {
		if (cmd->opts[k].required && !a->vals[k].given) {
			cli_error("%s: --%s is required", cmd->name, cmd->opts[k].name);
			return CLI_USAGE;
		}
	}
	return CLI_OK;
}

/* The store directory: --store, $CARELOG_STORE, $XDG_DATA_HOME/carelog, ~/.local/share/carelog. */
static int resolve_store(cli_ctx *ctx, char **buf, const char *given)
{
	const char *env;
	const char *suffix = "/carelog";

	if (given || ((env = getenv("CARELOG_STORE")) && *env)) {
		ctx->store_path = given ? given : env;
		return CLI_OK;
	}
	if (!(env = getenv("XDG_DATA_HOME")) || !*env) {
		env = getenv("HOME");
		suffix = "/.local/share/carelog";
	}
	if (!env || !*env) {
		cli_error("no store: give --store DIR or set CARELOG_STORE or HOME");
		return CLI_USAGE;
	}
	if (!(*buf = malloc(strlen(env) + strlen(suffix) + 1))) {
		cli_error("out of memory");
		return CLI_FAIL;
	}
	strcpy(*buf, env);
	strcat(*buf, suffix);
	ctx->store_path = *buf;
	return CLI_OK;
}

static int run_command(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv,
	const char *store_opt)
{
	cli_args a;
	char *store_buf = NULL;
	int rc = cli_parse(&a, cmd->opts, cmd->nopts, argc, argv, 0);

	if (rc != CLI_OK)
		return rc;
	if (a.help) {
		fputs(cmd->usage, stdout);
		cli_args_free(&a);
		return CLI_OK;
	}
	rc = check_args(cmd, &a);
	if (rc == CLI_OK && cmd->needs_store != CLI_NO_STORE)
		rc = resolve_store(ctx, &store_buf, store_opt);
	if (rc == CLI_OK && cmd->needs_store == 1) {
		/* CARELOG_LOCK_TIMEOUT_MS: how long a write waits for another writer */
		carelog_open_options o = CARELOG_OPEN_OPTIONS_INIT;
		const char *t = getenv("CARELOG_LOCK_TIMEOUT_MS");
		if (t && *t)
			o.lock_timeout_ms = atoi(t);
		int err = carelog_store_open(&ctx->store, ctx->store_path, &o);
		if (err)
			rc = cli_lib_error(err);
	}
	if (rc == CLI_OK)
		rc = cmd->run(ctx, &a);
	carelog_store_free(ctx->store);
	ctx->store = NULL;
	free(store_buf);
	cli_args_free(&a);
	return rc;
}

static int dispatch(int argc, char **argv, const char *store_opt)
{
	cli_ctx ctx = { NULL, NULL };
	int words = 0;
	const cli_command *cmd = find_command(argc, argv, &words);

	if (!cmd)
		return group_or_unknown(argc, argv);
	return run_command(&ctx, cmd, argc - words, argv + words, store_opt);
}

int main(int argc, char **argv)
{
	cli_args g;
	int rc = cli_parse(&g, global_opts, G_NOPTS, argc - 1, argv + 1, 1);

	if (rc != CLI_OK)
		return rc;
	if (g.help) {
		print_main_usage(stdout);
	} else if (g.vals[G_VERSION].given) {
		printf("carelog %s\n", carelog_version());
	} else if (g.next >= argc - 1) {
		print_main_usage(stderr);
		cli_error("missing command");
		rc = CLI_USAGE;
	} else {
		rc = dispatch(argc - 1 - g.next, argv + 1 + g.next, g.vals[G_STORE].str);
	}
	cli_args_free(&g);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to stdout: %s", strerror(errno));
		rc = CLI_FAIL;
	}
	return rc;
}
