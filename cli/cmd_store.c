/*
 * cmd_store.c - `carelog init` and `carelog check`.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ---- init ------------------------------------------------------------- */

enum { I_DEVICE, I_AUTHOR, I_ROLE, I_NOPTS };
static const cli_opt init_opts[I_NOPTS] = {
	[I_DEVICE] = { "device", CLI_STRING, 0 },
	[I_AUTHOR] = { "author", CLI_STRING, 0 },
	[I_ROLE] = { "role", CLI_STRING, 0 },
};

static int run_init(cli_ctx *ctx, const cli_args *a)
{
	carelog_init_options o = CARELOG_INIT_OPTIONS_INIT;
	carelog_store *s = NULL;
	int err;

	o.device_name = a->vals[I_DEVICE].str;
	o.author = a->vals[I_AUTHOR].str;
	o.role = a->vals[I_ROLE].str;
	err = carelog_store_init(&s, ctx->store_path, &o);
	if (err)
		return cli_lib_error(err);
	if (strcmp(carelog_store_role(s), "clinic") == 0) {
		/* a clinic's charts check every push on the server: their hook
		 * runs this program */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			err = carelog_store_set_hook(s, self);
		}
		if (n <= 0 || err) {
			int rc = n <= 0 ? (cli_error("cannot find this program's path for the charts' push hook"), CLI_FAIL)
			                : cli_lib_error(err);
			carelog_store_free(s);
			return rc;
		}
	}
	printf("Initialized carelog store in %s (device %s, %s %s)\n",
		carelog_store_path(s), carelog_store_device(s),
		carelog_store_role(s), carelog_store_author(s));
	carelog_store_free(s);
	return CLI_OK;
}

const cli_command cli_cmd_init = {
	"init", "create a new store",
	"usage: carelog [--store DIR] init [--device NAME] [--author NAME]\n"
	"                                  [--role caregiver|clinician|clinic]\n"
	"\n"
	"Creates a new, empty store in the store directory (created if missing)\n"
	"and gives this device its identity. Fails (exit 1) if the directory\n"
	"already holds a store; nothing is changed then.\n"
	"\n"
	"  --device NAME   a name for this device, e.g. anna-phone; default \"device\"\n"
	"                  (a unique suffix is added to make the device id)\n"
	"  --author NAME   who writes from this device; stamped on every record.\n"
	"                  Default $USER, else \"unknown\"\n"
	"  --role ROLE     caregiver (default), clinician or clinic\n",
	init_opts, I_NOPTS, { NULL }, 0, run_init,
};

/* ---- hook pre-receive ------------------------------------------------- */

static int run_hook(cli_ctx *ctx, const cli_args *a)
{
	char line[512], old[64], new_[64], ref[400];
	int rc = CLI_OK;
	(void)ctx;
	if (strcmp(a->pos[0], "pre-receive") != 0) {
		cli_error("hook: unknown hook '%s' (carelog provides pre-receive)", a->pos[0]);
		return CLI_USAGE;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int err;
		if (sscanf(line, "%63s %63s %399s", old, new_, ref) != 3) {
			cli_error("hook: input line is not '<old> <new> <ref>'");
			return CLI_USAGE;
		}
		if ((err = carelog_check_push(old, new_, ref)) != 0)
			rc = cli_lib_error(err) == CLI_USAGE ? CLI_USAGE : CLI_FAIL;
	}
	return rc;
}

const cli_command cli_cmd_hook = {
	"hook", "run a git hook of a clinic's chart (git calls it)",
	"usage: carelog hook pre-receive   (run by git in a chart, reading its ref updates)\n"
	"\n"
	"The pre-receive hook of a clinic store's charts: refuses a push unless\n"
	"every new commit is valid carelog history of that chart, and says why.\n"
	"`carelog init --role clinic` installs it in every chart.\n",
	NULL, 0, { "HOOK", NULL }, CLI_NO_STORE, run_hook,
};

/* ---- check ------------------------------------------------------------ */

static int print_problem(const char *patient, const char *message, void *payload)
{
	(void)payload;
	cli_error("check: %s: %s", patient ? patient : "store", message);
	return 0;
}

static int run_check(cli_ctx *ctx, const cli_args *a)
{
	size_t problems = 0;
	int err = carelog_store_check(&problems, ctx->store, print_problem, NULL);

	(void)a;
	if (err)
		return cli_lib_error(err);
	return problems ? CLI_FAIL : CLI_OK;
}

const cli_command cli_cmd_check = {
	"check", "check the whole store for problems",
	"usage: carelog [--store DIR] check\n"
	"\n"
	"Checks the whole store: every chart's history is readable, every record\n"
	"is valid and stored where it belongs, and the index matches the charts.\n"
	"Prints each problem to stderr as `carelog: check: <patient>: <message>`\n"
	"(`store` instead of a patient id for the store as a whole).\n"
	"\n"
	"Exit status: 0 if no problem was found, 1 if any was (or the check\n"
	"could not run).\n",
	NULL, 0, { NULL }, 1, run_check,
};
