/*
 * report.c - the side-by-side table and its JSON form. A ratio is always
 * carelog's figure divided by the peer's; whether higher is better depends
 * on the row (records/s: higher; ms, bytes, MB: lower).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define ROWS 11
#define COLS 7
#define CELL 64

typedef enum { T_NONE, T_P50_3X_SQLITE, T_IMPORT_30K, T_RSS_64MB } target_kind;

typedef struct {
	const char *measure;
	const char *key; /* JSON name */
	size_t off;      /* of the double in bench_peer */
	target_kind target;
} row_def;

static const row_def rows[ROWS] = {
	{ "single write p50 (ms)", "write_p50_ms", offsetof(bench_peer, p50_ms), T_P50_3X_SQLITE },
	{ "single write p99 (ms)", "write_p99_ms", offsetof(bench_peer, p99_ms), T_NONE },
	{ "bulk import (records/s)", "import_records_per_s", offsetof(bench_peer, import_rps), T_IMPORT_30K },
	{ "bulk import (s)", "import_s", offsetof(bench_peer, import_s), T_NONE },
	{ "timeline query (ms)", "timeline_ms", offsetof(bench_peer, query_ms), T_NONE },
	{ "timeline query (records/s)", "timeline_records_per_s", offsetof(bench_peer, query_rps), T_NONE },
	{ "disk/record after import, allocated (B)", "bulk_bytes_per_record_allocated",
		offsetof(bench_peer, bulk_alloc_b), T_NONE },
	{ "disk/record after import, apparent (B)", "bulk_bytes_per_record_apparent",
		offsetof(bench_peer, bulk_apparent_b), T_NONE },
	{ "disk/record after single writes, allocated (B)", "single_bytes_per_record_allocated",
		offsetof(bench_peer, single_alloc_b), T_NONE },
	{ "disk/record after single writes, apparent (B)", "single_bytes_per_record_apparent",
		offsetof(bench_peer, single_apparent_b), T_NONE },
	{ "bulk import peak RSS (MB)", "import_peak_rss_mb", offsetof(bench_peer, rss_mb), T_RSS_64MB },
};

static const char *const headers[COLS] = { "measure", "carelog", "sqlite", "git", "carelog/sqlite", "carelog/git",
	"target" };

static double field(const bench_peer *p, const row_def *d)
{
	return *(const double *)(const void *)((const char *)p + d->off);
}

static double ratio(double a, double b)
{
	return isnan(a) || isnan(b) || b == 0 ? NAN : a / b;
}

static void fmt_value(char *out, double v)
{
	double a = fabs(v);
	if (isnan(v))
		snprintf(out, CELL, "-");
	else
		snprintf(out, CELL, a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f", v);
}

static void fmt_ratio(char *out, double v)
{
	if (isnan(v))
		snprintf(out, CELL, "-");
	else
		snprintf(out, CELL, v >= 100 ? "%.0fx" : v >= 0.1 ? "%.2fx" : "%.4fx", v);
}

/* The target's text, and whether it is met (-1: no target or no figure). */
static int target_text(char *out, const row_def *d, const bench_results *r)
{
	double c = field(&r->carelog, d), s = field(&r->sqlite, d);
	int met = -1;
	switch (d->target) {
	case T_P50_3X_SQLITE:
		met = isnan(ratio(c, s)) ? -1 : ratio(c, s) <= 3.0;
		snprintf(out, CELL, "p50 <= 3x sqlite");
		break;
	case T_IMPORT_30K:
		met = isnan(c) ? -1 : c >= 30000;
		snprintf(out, CELL, ">= 30000 records/s");
		break;
	case T_RSS_64MB:
		met = isnan(c) ? -1 : c <= 64;
		snprintf(out, CELL, "<= 64 MB");
		break;
	default:
		out[0] = '\0';
		return -1;
	}
	if (met >= 0)
		strncat(out, met ? ": met" : ": MISSED", CELL - strlen(out) - 1);
	return met;
}

static void row_cells(char cells[COLS][CELL], const row_def *d, const bench_results *r)
{
	double c = field(&r->carelog, d), s = field(&r->sqlite, d), g = field(&r->git, d);
	snprintf(cells[0], CELL, "%s", d->measure);
	fmt_value(cells[1], c);
	fmt_value(cells[2], s);
	fmt_value(cells[3], g);
	fmt_ratio(cells[4], ratio(c, s));
	fmt_ratio(cells[5], ratio(c, g));
	target_text(cells[6], d, r);
}

/* One row: measure left-aligned, figures right-aligned, the target last and
 * unpadded (no trailing blanks). */
static void print_line(FILE *f, char cells[COLS][CELL], const size_t *w)
{
	fprintf(f, "%-*s", (int)w[0], cells[0]);
	for (int c = 1; c < COLS - 1; c++)
		fprintf(f, " | %*s", (int)w[c], cells[c]);
	fprintf(f, " |%s%s\n", cells[COLS - 1][0] ? " " : "", cells[COLS - 1]);
}

static void print_notes(FILE *f, const bench_results *r, const bench_opts *o, const bench_input *in)
{
	fprintf(f, "carelog-bench: %zu bulk records (%s); single writes: carelog %zu, sqlite %zu, git %zu"
		" (fewer for git: two processes per write); %zu untimed warm-up writes each\n",
		in->lines, in->source, r->writes, r->writes, r->git_writes, (size_t)BENCH_WARMUP);
	fprintf(f, "durability: carelog fdatasyncs its chart's journal (folded into a git pack + ref every 128 writes and on close); sqlite WAL synchronous=FULL; git core.fsync=all"
		" (fsyncMethod=batch), gc.auto=0, objects left loose\n");
	fprintf(f, "single-write record: carelog %.0f B stored JSON, sqlite/git %.0f B row/file;"
		" timeline: median of %zu runs, %.0f carelog rows, %.0f sqlite rows\n",
		r->carelog.row_bytes, r->sqlite.row_bytes, o->query_runs, r->carelog.query_rows, r->sqlite.query_rows);
	fprintf(f, "peak RSS: ru_maxrss of the forked import child (fork baseline %.1f MB); git: largest git process\n",
		r->fork_baseline_mb);
	fprintf(f, "ratio = carelog / peer: < 1 is better for ms, s, B and MB; > 1 is better for records/s\n\n");
}

void bench_report_table(FILE *f, const bench_results *r, const bench_opts *o, const bench_input *in)
{
	char cells[ROWS + 1][COLS][CELL];
	size_t w[COLS] = { 0 };

	for (int c = 0; c < COLS; c++)
		snprintf(cells[0][c], CELL, "%s", headers[c]);
	for (int i = 0; i < ROWS; i++)
		row_cells(cells[i + 1], &rows[i], r);
	for (int i = 0; i <= ROWS; i++)
		for (int c = 0; c < COLS; c++)
			if (strlen(cells[i][c]) > w[c])
				w[c] = strlen(cells[i][c]);
	print_notes(f, r, o, in);
	print_line(f, cells[0], w);
	for (int c = 0; c < COLS; c++) {
		if (c)
			fputs("-+-", f);
		for (size_t k = 0; k < w[c]; k++)
			fputc('-', f);
	}
	fputc('\n', f);
	for (int i = 1; i <= ROWS; i++)
		print_line(f, cells[i], w);
}

static void json_number(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_row(FILE *f, const row_def *d, const bench_results *r)
{
	char target[CELL];
	int met = target_text(target, d, r);
	double c = field(&r->carelog, d), s = field(&r->sqlite, d), g = field(&r->git, d);
	fputs("    {\"measure\": ", f);
	json_string(f, d->key);
	fputs(", \"carelog\": ", f);
	json_number(f, c);
	fputs(", \"sqlite\": ", f);
	json_number(f, s);
	fputs(", \"git\": ", f);
	json_number(f, g);
	fputs(", \"carelog_over_sqlite\": ", f);
	json_number(f, ratio(c, s));
	fputs(", \"carelog_over_git\": ", f);
	json_number(f, ratio(c, g));
	fputs(", \"target\": ", f);
	if (target[0])
		json_string(f, target);
	else
		fputs("null", f);
	fprintf(f, ", \"target_met\": %s}", met < 0 ? "null" : met ? "true" : "false");
}

void bench_report_json(FILE *f, const bench_results *r, const bench_opts *o, const bench_input *in)
{
	fprintf(f, "{\n  \"records\": %zu,\n  \"input\": ", in->lines);
	json_string(f, in->source);
	fprintf(f, ",\n  \"writes\": %zu,\n  \"git_writes\": %zu,\n  \"warmup_writes\": %d,\n  \"query_runs\": %zu,\n",
		r->writes, r->git_writes, BENCH_WARMUP, o->query_runs);
	fputs("  \"fork_baseline_rss_mb\": ", f);
	json_number(f, r->fork_baseline_mb);
	fputs(",\n  \"single_write_bytes\": {\"carelog\": ", f);
	json_number(f, r->carelog.row_bytes);
	fputs(", \"sqlite\": ", f);
	json_number(f, r->sqlite.row_bytes);
	fputs(", \"git\": ", f);
	json_number(f, r->git.row_bytes);
	fputs("},\n  \"rows\": [\n", f);
	for (int i = 0; i < ROWS; i++) {
		json_row(f, &rows[i], r);
		fputs(i + 1 < ROWS ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
}
