/*
 * cmd_edit.c - changing what is recorded: `carelog amend` and `carelog void`
 * (`carelog import` is in cmd_exchange.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- amend ------------------------------------------------------------ */

enum { A_SET, A_NOPTS };
static const cli_opt amend_opts[A_NOPTS] = {
	[A_SET] = { "set", CLI_MULTI, 1 },
};

int cli_parse_sets(carelog_field *fields, char **names, const cli_val *set)
{
	int i;

	for (i = 0; i < set->given; i++) {
		const char *eq = strchr(set->list[i], '=');

		if (!eq || eq == set->list[i]) {
			cli_error("--set '%s' is not FIELD=VALUE", set->list[i]);
			return CLI_USAGE;
		}
		if (!(names[i] = strndup(set->list[i], (size_t)(eq - set->list[i])))) {
			cli_error("out of memory");
			return CLI_FAIL;
		}
		fields[i].name = names[i];
		fields[i].value = eq + 1;
	}
	return CLI_OK;
}

static int run_amend(cli_ctx *ctx, const cli_args *a)
{
	const cli_val *set = &a->vals[A_SET];
	size_t n = (size_t)set->given, i;
	carelog_field *fields = calloc(n, sizeof *fields);
	char **names = calloc(n, sizeof *names);
	int rc = CLI_FAIL, err;

	if (!fields || !names)
		cli_error("out of memory");
	else if ((rc = cli_parse_sets(fields, names, set)) == CLI_OK) {
		err = carelog_record_amend(ctx->store, a->pos[0], fields, n);
		rc = err ? cli_lib_error(err) : cli_print_id(a->pos[0]);
	}
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(fields);
	return rc;
}

const cli_command cli_cmd_amend = {
	"amend", "correct fields of a record (a new version)",
	"usage: carelog amend RECORD --set FIELD=VALUE [--set FIELD=VALUE ...]\n"
	"\n"
	"Writes a new version of RECORD with the given fields changed, and prints\n"
	"the record's id. Earlier versions are kept (see `carelog show --history`).\n"
	"\n"
	"  --set FIELD=VALUE   a field of the record's kind, e.g. amount=5,\n"
	"                      time=2026-11-25T08:30:00Z, note=\"after breakfast\",\n"
	"                      times='[\"08:00\",\"20:00\"]'. VALUE is read as JSON\n"
	"                      (5, true, \"text\", [...]) and, when it is not JSON,\n"
	"                      as plain text. Repeat for several fields. id, kind,\n"
	"                      patient and status cannot be set (use `carelog void`).\n",
	amend_opts, A_NOPTS, { "RECORD", NULL }, 1, run_amend,
};

/* ---- void ------------------------------------------------------------- */

enum { V_REASON, V_NOPTS };
static const cli_opt void_opts[V_NOPTS] = {
	[V_REASON] = { "reason", CLI_STRING, 0 },
};

static int run_void(cli_ctx *ctx, const cli_args *a)
{
	int err = carelog_record_void(ctx->store, a->pos[0], a->vals[V_REASON].str);

	return err ? cli_lib_error(err) : cli_print_id(a->pos[0]);
}

const cli_command cli_cmd_void = {
	"void", "mark a record entered-in-error",
	"usage: carelog void RECORD --reason TEXT\n"
	"\n"
	"Marks RECORD entered-in-error and prints its id. Nothing is deleted: the\n"
	"record keeps its history and `carelog timeline --all` still shows it.\n"
	"\n"
	"  --reason TEXT   why it is wrong (required, at most 500 characters)\n",
	void_opts, V_NOPTS, { "RECORD", NULL }, 1, run_void,
};
