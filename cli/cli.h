/*
 * cli.h - shared declarations of the carelog command-line program: the
 * command descriptor, the one option parser every command uses, and the
 * output helpers.
 *
 * The CLI only parses arguments and prints; all behaviour is libcarelog's.
 */
#ifndef CARELOG_CLI_H
#define CARELOG_CLI_H

#include <stddef.h>

#include "carelog.h"

/* Exit statuses. */
enum {
	CLI_OK = 0,    /* success */
	CLI_FAIL = 1,  /* not found, I/O, locked, exists, ... */
	CLI_USAGE = 2  /* bad usage or invalid input; nothing was written */
};

/* What an option takes. */
typedef enum {
	CLI_FLAG,    /* --name, no value */
	CLI_STRING,  /* --name VALUE */
	CLI_NUMBER,  /* --name N: a finite decimal number */
	CLI_INTEGER, /* --name N: a whole number that fits an int */
	CLI_MULTI    /* --name VALUE, repeatable; every value kept */
} cli_opt_type;

/* One entry of a command's option table. */
typedef struct {
	const char *name;  /* without the leading "--" */
	cli_opt_type type;
	/* Non-zero only where the library API cannot say "not given" (a typed
	 * struct's required number) or the usage demands it; every other
	 * required field is the library's to reject. */
	int required;
} cli_opt;

/* The value(s) given for one option. */
typedef struct {
	int given;           /* how many times it was given */
	const char *str;     /* the (last) text given, or NULL */
	double num;          /* CLI_NUMBER / CLI_INTEGER: the parsed value */
	const char **list;   /* CLI_MULTI: every text given, `given` of them */
} cli_val;

/* Parsed arguments of one command line: vals[i] matches opts[i]. */
typedef struct {
	cli_val *vals;
	size_t nopts;
	char **pos;          /* the positional arguments */
	size_t npos;
	int help;            /* --help or -h was given */
	int next;            /* stop_at_positional: index of the first argument not parsed */
} cli_args;

/* What every command runs with: main owns it. */
typedef struct {
	const char *store_path;
	carelog_store *store;   /* open when the command has needs_store */
} cli_ctx;

typedef struct cli_command cli_command;

/* One command: its words, its usage text, its arguments and its action. */
struct cli_command {
	const char *name;        /* "dose", "patient add" */
	const char *synopsis;    /* one line for `carelog --help` */
	const char *usage;       /* the full text for `carelog NAME --help` */
	const cli_opt *opts;
	size_t nopts;
	const char *pos[3];      /* names of the positional arguments, NULL-terminated */
	int needs_store;         /* 1: main opens ctx->store before run; 0: it only
	                          * finds the store's path; CLI_NO_STORE: neither */
	int (*run)(cli_ctx *ctx, const cli_args *a);
};

#define CLI_NO_STORE 2

#define CLI_NOPTS(table) (sizeof(table) / sizeof((table)[0]))

/* The commands, one descriptor each, defined in cmd_*.c. */
extern const cli_command cli_cmd_init, cli_cmd_check, cli_cmd_hook;
extern const cli_command cli_cmd_patient_add, cli_cmd_patient_list;
extern const cli_command cli_cmd_plan_add, cli_cmd_dose, cli_cmd_symptom,
	cli_cmd_measure, cli_cmd_note;
extern const cli_command cli_cmd_amend, cli_cmd_void, cli_cmd_import, cli_cmd_export;
extern const cli_command cli_cmd_timeline, cli_cmd_show;
extern const cli_command cli_cmd_remote_add, cli_cmd_remote_list, cli_cmd_remote_remove;
extern const cli_command cli_cmd_sync, cli_cmd_conflicts, cli_cmd_resolve;
extern const cli_command cli_cmd_due, cli_cmd_adherence, cli_cmd_steroids,
	cli_cmd_trend, cli_cmd_alerts, cli_cmd_target_set, cli_cmd_rule_set,
	cli_cmd_rule_list;
extern const cli_command cli_cmd_bundle_create, cli_cmd_bundle_apply;
extern const cli_command cli_cmd_report;

/*
 * Parses `--name VALUE`, `--name=VALUE` and `--flag` arguments against
 * `opts`; other arguments are positional ("--" ends the options). With
 * stop_at_positional, stops at the first positional and sets a->next.
 * Reports the first problem on stderr.
 * @return CLI_OK, or CLI_USAGE (unknown option, missing value, a value that
 *         is not a number, a single option given twice); a is then freed.
 */
int cli_parse(cli_args *a, const cli_opt *opts, size_t nopts, int argc,
	char **argv, int stop_at_positional);

/* Frees what cli_parse allocated. */
void cli_args_free(cli_args *a);

/* Prints "carelog: <message>\n" to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* Reports the library's last error; returns CLI_USAGE for CARELOG_EINVALID, else CLI_FAIL. */
int cli_lib_error(int rc);

/* Prints a record id alone on a line: the output of every creating command. */
int cli_print_id(const char *id);

/* Prints canonical JSON indented by 2, keys sorted; CLI_FAIL if it does not parse. */
int cli_print_json_pretty(const char *json);

/* Splits a comma-separated list into a new NULL-terminated array of
 * strings held in *buf (free both with free); *n receives the count. */
char **cli_split_list(char **buf, size_t *n, const char *text);

/* Parses a decimal number (the whole text, finite) as the option `what`
 * would; reports and returns CLI_USAGE if it is not one. */
int cli_parse_number(double *out, const char *text, const char *what);

/* Splits every --set FIELD=VALUE into fields[i] (names copied into
 * names[i]; free each). Reports and returns CLI_USAGE for a malformed one. */
int cli_parse_sets(carelog_field *fields, char **names, const cli_val *set);

#endif
