/*
 * cmd_bundle.c - `carelog bundle create` and `carelog bundle apply`: a
 * chart as a file, for when there is no network (a USB stick, an email).
 */
#include <stdio.h>

#include "cli.h"

enum { BC_SINCE, BC_NOPTS };
static const cli_opt bundle_create_opts[BC_NOPTS] = {
	[BC_SINCE] = { "since", CLI_STRING, 0 },
};

static int run_bundle_create(cli_ctx *ctx, const cli_args *a)
{
	int err = carelog_bundle_create(ctx->store, a->pos[0], a->pos[1], a->vals[BC_SINCE].str);
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_bundle_create = {
	"bundle create", "write a chart to a file (git bundle) to carry by hand",
	"usage: carelog bundle create PATIENT FILE [--since REMOTE]\n"
	"\n"
	"Writes the chart of PATIENT to FILE as a git bundle (format v2), which\n"
	"`carelog bundle apply` on another device reads, and `git bundle verify`\n"
	"and `git clone FILE` accept. FILE is replaced as a whole, never left half\n"
	"written, and readable by its owner only: it holds the patient's records.\n"
	"\n"
	"  --since REMOTE   only what REMOTE had not seen when the chart last synced\n"
	"                   with it (the receiver must have that already)\n",
	bundle_create_opts, BC_NOPTS, { "PATIENT", "FILE", NULL }, 1, run_bundle_create,
};

static int run_bundle_apply(cli_ctx *ctx, const cli_args *a)
{
	char patient[CARELOG_ID_BUFSIZE];
	size_t received = 0;
	int err = carelog_bundle_apply(ctx->store, a->pos[0], patient, &received);

	if (err == CARELOG_EREMOTE) {
		cli_lib_error(err);
		return CLI_USAGE; /* a refused bundle is invalid input: nothing was written */
	}
	if (err)
		return cli_lib_error(err);
	printf("%s: received %zu\n", patient, received);
	return CLI_OK;
}

const cli_command cli_cmd_bundle_apply = {
	"bundle apply", "check a bundle file and merge it into its chart",
	"usage: carelog bundle apply FILE\n"
	"\n"
	"Reads a bundle made by `carelog bundle create`, checks everything in it as\n"
	"a sync checks what it receives, then merges it into the patient's chart\n"
	"(a record changed on both sides becomes a conflict, see carelog\n"
	"conflicts), or creates the chart when the store lacks it. Prints\n"
	"`PATIENT: received N`, N the records new or changed here.\n"
	"\n"
	"Exit 0 when applied; 2 when the bundle is refused (not a bundle, damaged,\n"
	"or holding what a chart may not: the message names the commit and path),\n"
	"nothing written; 1 for any other failure (no such file, a bundle that\n"
	"builds on commits this store lacks, the store locked, ...).\n",
	NULL, 0, { "FILE", NULL }, 1, run_bundle_apply,
};
