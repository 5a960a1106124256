/*
 * main.c - carelog-bench: options, the order of the measures, the scratch
 * directory. See bench/README.md for what is measured and how to read it.
 * Nothing here asserts a timing: targets are printed, never enforced.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef CARELOG_FIXTURES_PATH
#define CARELOG_FIXTURES_PATH NULL
#endif

static void usage(FILE *f)
{
	fputs("usage: carelog-bench [options]\n"
	      "  --writes N       timed durable single writes, carelog and sqlite (default 300)\n"
	      "  --git-writes N   timed single git add + commit (default 50)\n"
	      "  --records N      records in the bulk import (default 100000)\n"
	      "  --query-runs N   timeline runs, the median is reported (default 3)\n"
	      "  --seed N         fixture seed (default 1)\n"
	      "  --fixtures PATH  the carelog-fixtures program; 'none' makes the lines in the bench\n"
	      "  --tmpdir DIR     where the scratch directory goes (default $TMPDIR, else /tmp)\n"
	      "  --keep           keep the scratch directory\n"
	      "  --json           print JSON instead of the table\n",
		f);
}

static int parse_count(size_t *out, const char *s, size_t min)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s ? s : "", &end, 10);
	if (s == NULL || *s == '\0' || *s == '-' || *end != '\0' || errno || v < min)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Options that take a value; 1 if `name` is one and was parsed. */
static int parse_value(bench_opts *o, const char *name, const char *v)
{
	size_t n;
	if (strcmp(name, "--fixtures") == 0) {
		o->fixtures = v && strcmp(v, "none") == 0 ? NULL : v;
		o->fixtures_given = 1;
		return v ? 1 : -1;
	}
	if (strcmp(name, "--tmpdir") == 0) {
		o->tmpdir = v;
		return v ? 1 : -1;
	}
	if (strcmp(name, "--seed") == 0) {
		if (parse_count(&n, v, 0) < 0)
			return -1;
		o->seed = (unsigned long)n;
		return 1;
	}
	if (strcmp(name, "--writes") == 0)
		return parse_count(&o->writes, v, 1) < 0 ? -1 : 1;
	if (strcmp(name, "--git-writes") == 0)
		return parse_count(&o->git_writes, v, 1) < 0 ? -1 : 1;
	if (strcmp(name, "--records") == 0)
		return parse_count(&o->records, v, 3) < 0 ? -1 : 1;
	if (strcmp(name, "--query-runs") == 0)
		return parse_count(&o->query_runs, v, 1) < 0 ? -1 : 1;
	return 0;
}

static int parse_args(bench_opts *o, int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	*o = (bench_opts){ 300, 50, 100000, 3, 1, CARELOG_FIXTURES_PATH, 0, tmp && *tmp ? tmp : "/tmp", 0, 0 };
	for (int i = 1; i < argc; i++) {
		int r;
		if (strcmp(argv[i], "--keep") == 0) {
			o->keep = 1;
		} else if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if ((r = parse_value(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL)) == 1) {
			i++;
		} else {
			fprintf(stderr, "carelog-bench: %s '%s'\n", r < 0 ? "bad value for" : "unknown option", argv[i]);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

static void peer_unmeasured(bench_peer *p)
{
	p->p50_ms = p->p99_ms = NAN;
	p->import_rps = p->import_s = p->import_records = NAN;
	p->query_ms = p->query_rps = p->query_rows = NAN;
	p->bulk_alloc_b = p->bulk_apparent_b = NAN;
	p->single_alloc_b = p->single_apparent_b = p->single_records = NAN;
	p->rss_mb = NAN;
	p->row_bytes = NAN;
}

static int do_nothing(void *ctx, void *out)
{
	(void)ctx;
	(void)out;
	return 0;
}

/* Bulk first, while this process is still small: a forked child's peak RSS
 * starts from what it inherits (see the fork baseline in the notes). */
static int run_bulk(bench_results *r, const bench_input *in, const bench_opts *o, const char *dir)
{
	int failed = 0;
	if (bench_fork(do_nothing, NULL, NULL, 0, &r->fork_baseline_mb) < 0)
		r->fork_baseline_mb = NAN;
	failed |= carelog_peer_import(&r->carelog, in, dir) < 0;
	failed |= sqlite_peer_import(&r->sqlite, in, dir) < 0;
	failed |= git_peer_import(&r->git, in, dir) < 0;
	failed |= carelog_peer_timeline(&r->carelog, r->patient, sizeof(r->patient), dir, o->query_runs) < 0;
	failed |= sqlite_peer_timeline(&r->sqlite, dir, o->query_runs) < 0;
	return failed ? -1 : 0;
}

static int run_all(bench_results *r, bench_input *in, const bench_opts *o, const char *dir)
{
	int failed = 0;
	peer_unmeasured(&r->carelog);
	peer_unmeasured(&r->sqlite);
	peer_unmeasured(&r->git);
	r->fork_baseline_mb = NAN;
	if (bench_input_make(in, o, dir) < 0)
		return -1;
	failed |= run_bulk(r, in, o, dir) < 0;
	failed |= bench_single_run(r, o, dir) < 0;
	return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
	bench_opts o;
	bench_results r;
	bench_input in;
	char dir[BENCH_PATH_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&in, 0, sizeof(in));
	if (parse_args(&o, argc, argv) < 0)
		return 2;
	snprintf(dir, sizeof(dir), "%s/carelog-bench.XXXXXX", o.tmpdir);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "carelog-bench: cannot create a directory in %s: %s\n", o.tmpdir, strerror(errno));
		return 1;
	}
	bench_log("scratch directory %s", dir);
	rc = run_all(&r, &in, &o, dir);
	if (in.lines) {
		if (o.json)
			bench_report_json(stdout, &r, &o, &in);
		else
			bench_report_table(stdout, &r, &o, &in);
	}
	if (rc < 0)
		bench_log("some measures failed (shown as '-'); see the messages above");
	if (o.keep)
		bench_log("kept %s", dir);
	else if (bench_remove_tree(dir) < 0)
		bench_log("cannot remove all of %s", dir);
	return rc < 0 ? 1 : 0;
}
