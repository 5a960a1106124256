/*
 * cmd_sync.c - `carelog remote add|list|remove`, `carelog sync`,
 * `carelog conflicts` and `carelog resolve`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/* ---- remote add / list / remove ---------------------------------------- */

static int run_remote_add(cli_ctx *ctx, const cli_args *a)
{
	int err = carelog_remote_add(ctx->store, a->pos[0], a->pos[1]);
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_remote_add = {
	"remote add", "add a remote (a clinic server or a shared folder)",
	"usage: carelog remote add NAME BASE-URL\n"
	"\n"
	"Adds a remote: the chart of patient P is at BASE-URL/P.git. BASE-URL is a\n"
	"path (a folder, e.g. on a USB stick or a share), or a file://, git://,\n"
	"http(s):// (smart HTTP) or ssh:// URL. NAME: letters, digits, . _ -\n",
	NULL, 0, { "NAME", "BASE-URL", NULL }, 1, run_remote_add,
};

enum { RL_JSON, RL_NOPTS };
static const cli_opt remote_list_opts[RL_NOPTS] = {
	[RL_JSON] = { "json", CLI_FLAG, 0 },
};

static int run_remote_list(cli_ctx *ctx, const cli_args *a)
{
	carelog_remote_list *l = NULL;
	int err = carelog_remote_list_get(&l, ctx->store);
	json_t *arr;

	if (err)
		return cli_lib_error(err);
	arr = json_array();
	for (size_t i = 0; i < carelog_remote_list_count(l); i++) {
		if (a->vals[RL_JSON].given)
			json_array_append_new(arr, json_pack("{s:s,s:s}", "name", carelog_remote_list_name(l, i),
				"url", carelog_remote_list_url(l, i)));
		else
			printf("%s\t%s\n", carelog_remote_list_name(l, i), carelog_remote_list_url(l, i));
	}
	if (a->vals[RL_JSON].given) {
		char *text = json_dumps(arr, JSON_COMPACT);
		puts(text ? text : "[]");
		free(text);
	}
	json_decref(arr);
	carelog_remote_list_free(l);
	return CLI_OK;
}

const cli_command cli_cmd_remote_list = {
	"remote list", "list the remotes",
	"usage: carelog remote list [--json]\n"
	"\n"
	"Prints each remote as NAME<TAB>URL, in the order they were added; with\n"
	"--json, a JSON array of {\"name\", \"url\"}.\n",
	remote_list_opts, RL_NOPTS, { NULL }, 1, run_remote_list,
};

static int run_remote_remove(cli_ctx *ctx, const cli_args *a)
{
	int err = carelog_remote_remove(ctx->store, a->pos[0]);
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_remote_remove = {
	"remote remove", "remove a remote",
	"usage: carelog remote remove NAME\n",
	NULL, 0, { "NAME", NULL }, 1, run_remote_remove,
};

/* ---- sync --------------------------------------------------------------- */

enum { S_PATIENT, S_QUIET, S_JSON, S_NOPTS };
static const cli_opt sync_opts[S_NOPTS] = {
	[S_PATIENT] = { "patient", CLI_MULTI, 0 },
	[S_QUIET] = { "quiet", CLI_FLAG, 0 },
	[S_JSON] = { "json", CLI_FLAG, 0 },
};

typedef struct {
	int quiet, json, tty;
	json_t *results;
} sync_out;

static int on_progress(const carelog_sync_progress *p, void *payload)
{
	sync_out *o = payload;
	if (o->tty && !o->quiet && !o->json)
		fprintf(stderr, "\r%s %s: %s %zu/%zu objects, %zu bytes\033[K", p->remote, p->patient,
			p->phase == CARELOG_SYNC_FETCHING ? "receiving" : "sending", p->objects_done, p->objects_total, p->bytes);
	return 0;
}

static void on_chart(const carelog_sync_result *r, void *payload)
{
	sync_out *o = payload;
	if (o->tty && !o->quiet && !o->json)
		fputs("\r\033[K", stderr);
	if (r->error)
		cli_error("sync of chart %s with %s failed: %s", r->patient, r->remote, r->message);
	if (r->restamped) {
		long long min = (r->clock_ahead_ms + 30000) / 60000;
		char span[64];
		if (min >= 48 * 60)
			snprintf(span, sizeof(span), "%lld days %lld hours", min / 1440, min % 1440 / 60);
		else if (min >= 60)
			snprintf(span, sizeof(span), "%lld hours %lld minutes", min / 60, min % 60);
		else
			snprintf(span, sizeof(span), "%lld minutes", min);
		if (r->clock_ahead_ms > 0)
			cli_error("warning: this device's clock is %s ahead of %s's: %zu version%s of chart %s got corrected "
				"stamps; set the clock right", span, r->remote, r->restamped, r->restamped == 1 ? "" : "s",
				r->patient);
		else
			cli_error("warning: %zu version%s of chart %s, written while this device's clock was ahead, got "
				"corrected stamps", r->restamped, r->restamped == 1 ? "" : "s", r->patient);
	}
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,s:b,s:b}", "remote", r->remote, "patient", r->patient,
			"ok", r->error == 0, "received", (json_int_t)r->received, "sent", (json_int_t)r->sent,
			"conflicts", (json_int_t)r->conflicts, "cloned", r->cloned, "created", r->created);
		if (r->error)
			json_object_set_new(j, "error", json_string(r->message));
		json_object_set_new(j, "restamped", json_integer((json_int_t)r->restamped));
		json_object_set_new(j, "clock_ahead_ms", json_integer(r->clock_ahead_ms));
		json_object_set_new(j, "bytes_received", json_integer((json_int_t)r->bytes_received));
		json_object_set_new(j, "bytes_sent", json_integer((json_int_t)r->bytes_sent));
		json_array_append_new(o->results, j);
	} else if (!o->quiet && !r->error) {
		printf("%s %s: received %zu, sent %zu, conflicts %zu%s%s\n", r->remote, r->patient, r->received, r->sent,
			r->conflicts, r->cloned ? " (new here)" : "", r->created ? " (created on the remote)" : "");
	}
}

static int run_sync(cli_ctx *ctx, const cli_args *a)
{
	carelog_sync_options opts = CARELOG_SYNC_OPTIONS_INIT;
	sync_out o = { a->vals[S_QUIET].given > 0, a->vals[S_JSON].given > 0, isatty(2), json_array() };
	int err;

	opts.patients = a->vals[S_PATIENT].list;
	opts.npatients = (size_t)a->vals[S_PATIENT].given;
	opts.ca_file = getenv("CARELOG_CA_FILE");
	opts.progress = on_progress;
	opts.chart_done = on_chart;
	opts.payload = &o;
	err = carelog_sync(ctx->store, a->npos ? a->pos[0] : NULL, &opts);
	if (o.json) {
		char *text = json_dumps(o.results, JSON_COMPACT);
		puts(text ? text : "[]");
		free(text);
	}
	json_decref(o.results);
	if (err == CARELOG_EREMOTE)
		return CLI_FAIL; /* each failed chart was named above */
	return err ? cli_lib_error(err) : CLI_OK;
}

const cli_command cli_cmd_sync = {
	"sync", "exchange charts with a remote and merge them",
	"usage: carelog sync [REMOTE] [--patient ID]... [--quiet] [--json]\n"
	"\n"
	"Fetches, checks, merges and pushes every chart of the store with REMOTE\n"
	"(default: every remote, in the order added). Everything received is\n"
	"checked before it is merged. A record changed on both sides goes to the\n"
	"later change; the other version is kept as a conflict (carelog conflicts).\n"
	"A clinic's server refuses versions stamped ahead of its clock; when they\n"
	"are this device's, its clock is that far ahead: they get corrected stamps\n"
	"(a new version each, with a warning) and are pushed again.\n"
	"\n"
	"  --patient ID   also bring in this patient's chart from the remote when\n"
	"                 the store lacks it (repeatable)\n"
	"  --quiet        print nothing but errors\n"
	"  --json         print a JSON array, one object per chart: remote, patient,\n"
	"                 ok, received, sent, conflicts, cloned, created, error,\n"
	"                 restamped (versions whose stamps were corrected),\n"
	"                 clock_ahead_ms (how far this device's clock was ahead),\n"
	"                 bytes_received and bytes_sent (packs in, all out)\n"
	"\n"
	"Prints per chart: records received, sent, open conflicts. Exit 0 when\n"
	"every chart synced, 1 when any failed (each is named on stderr; the others\n"
	"still synced). Credentials: ssh-agent or $CARELOG_SSH_KEY for ssh (the\n"
	"host's key in $CARELOG_SSH_KNOWN_HOSTS or ~/.ssh/known_hosts);\n"
	"$CARELOG_HTTP_TOKEN (user $CARELOG_HTTP_USER), else git's credential\n"
	"helper, for https; an extra CA certificate for https in $CARELOG_CA_FILE.\n"
	"Pushes send thin packs, as git's own push does ($CARELOG_THIN_PUSH=0: whole).\n",
	sync_opts, S_NOPTS, { "[REMOTE]", NULL }, 1, run_sync,
};

/* ---- conflicts ------------------------------------------------------------ */

enum { C_JSON, C_NOPTS };
static const cli_opt conflicts_opts[C_NOPTS] = {
	[C_JSON] = { "json", CLI_FLAG, 0 },
};

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "?";
}

static void print_conflict(const char *json)
{
	json_t *c = json_loads(json, 0, NULL), *f;
	json_t *w = json_object_get(c, "winner"), *l = json_object_get(c, "loser");
	size_t i;

	printf("record %s (%s, patient %s)\n", jstr(c, "record"), jstr(c, "kind"), jstr(c, "patient"));
	printf("  kept:  version %.12s by %s on %s at %s\n", jstr(c, "winner_version"), jstr(w, "author"),
		jstr(w, "device"), jstr(w, "hlc"));
	printf("  other: version %.12s by %s on %s at %s\n", jstr(c, "loser_version"), jstr(l, "author"),
		jstr(l, "device"), jstr(l, "hlc"));
	json_array_foreach(json_object_get(c, "fields"), i, f) {
		const char *name = json_string_value(f);
		char *a = json_dumps(json_object_get(w, name), JSON_ENCODE_ANY | JSON_COMPACT);
		char *b = json_dumps(json_object_get(l, name), JSON_ENCODE_ANY | JSON_COMPACT);
		printf("  %s: %s  /  %s\n", name, a ? a : "(none)", b ? b : "(none)");
		free(a);
		free(b);
	}
	json_decref(c);
}

static int run_conflicts(cli_ctx *ctx, const cli_args *a)
{
	carelog_conflict_list *l = NULL;
	int err = carelog_conflicts(&l, ctx->store, a->npos ? a->pos[0] : NULL);

	if (err)
		return cli_lib_error(err);
	if (a->vals[C_JSON].given) {
		char *text = carelog_conflicts_json(l);
		puts(text ? text : "[]");
		carelog_free(text);
	} else {
		for (size_t i = 0; i < carelog_conflict_count(l); i++)
			print_conflict(carelog_conflict_json(l, i));
	}
	carelog_conflict_list_free(l);
	return CLI_OK;
}

const cli_command cli_cmd_conflicts = {
	"conflicts", "list records changed on two devices at once",
	"usage: carelog conflicts [PATIENT] [--json]\n"
	"\n"
	"Lists each open conflict: a record changed on two devices before they\n"
	"synced. The later change was kept; the other version is listed beside it\n"
	"with who made each and the fields that differ, until someone resolves it\n"
	"(carelog resolve). --json prints a JSON array of objects with record,\n"
	"patient, kind, winner, loser (the two versions, whole), winner_version,\n"
	"loser_version and fields (the names that differ).\n",
	conflicts_opts, C_NOPTS, { "[PATIENT]", NULL }, 1, run_conflicts,
};

/* ---- resolve ---------------------------------------------------------------- */

enum { R_KEEP, R_SET, R_NOPTS };
static const cli_opt resolve_opts[R_NOPTS] = {
	[R_KEEP] = { "keep", CLI_STRING, 0 },
	[R_SET] = { "set", CLI_MULTI, 0 },
};

static int run_resolve(cli_ctx *ctx, const cli_args *a)
{
	const cli_val *set = &a->vals[R_SET];
	size_t n = (size_t)set->given;
	carelog_field *fields = calloc(n ? n : 1, sizeof *fields);
	char **names = calloc(n ? n : 1, sizeof *names);
	int rc = CLI_OK, err;

	if (!a->vals[R_KEEP].given && n == 0) {
		cli_error("resolve: give --keep VERSION or --set FIELD=VALUE");
		rc = CLI_USAGE;
	} else if (!fields || !names) {
		cli_error("out of memory");
		rc = CLI_FAIL;
	}
	if (rc == CLI_OK)
		rc = cli_parse_sets(fields, names, set);
	if (rc == CLI_OK) {
		err = carelog_resolve(ctx->store, a->pos[0], a->vals[R_KEEP].str, fields, n);
		rc = err ? cli_lib_error(err) : cli_print_id(a->pos[0]);
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(fields);
	return rc;
}

const cli_command cli_cmd_resolve = {
	"resolve", "settle a conflict with a new version of the record",
	"usage: carelog resolve RECORD (--keep VERSION | --set FIELD=VALUE ...)\n"
	"\n"
	"Writes a new version of RECORD that supersedes every version in conflict,\n"
	"and prints the record id. The resolution syncs like any write, so the\n"
	"conflict is resolved everywhere.\n"
	"\n"
	"  --keep VERSION      start from this version: winner, loser (when there\n"
	"                      is one), or a version id from `carelog conflicts`\n"
	"                      (at least 7 hex digits); default the winner\n"
	"  --set FIELD=VALUE   then change a field, as `carelog amend` does\n",
	resolve_opts, R_NOPTS, { "RECORD", NULL }, 1, run_resolve,
};
