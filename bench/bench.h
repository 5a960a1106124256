/*
 * bench.h - carelog-bench: carelog side by side with SQLite alone and the git
 * CLI alone (see bench/README.md). Shared types and the helpers the peers use.
 *
 * Every figure is a double; NAN means "not measured" (printed "-", JSON null).
 */
#ifndef CARELOG_BENCH_H
#define CARELOG_BENCH_H

#include <stddef.h>
#include <stdio.h>

#define BENCH_PATH_MAX 4096
#define BENCH_WARMUP 3 /* untimed writes before the timed single writes, per peer */

typedef struct {
	size_t writes;      /* timed single writes, carelog and SQLite */
	size_t git_writes;  /* timed single git add + commit */
	size_t records;     /* records in the bulk import */
	size_t query_runs;  /* timeline runs; the median is reported */
	unsigned long seed;
	const char *fixtures; /* the carelog-fixtures program; NULL: lines made here */
	int fixtures_given;   /* --fixtures was given: its failure is an error, not a fallback */
	const char *tmpdir;
	int keep;
	int json;
} bench_opts;

/* The bulk input: one JSON object per line. */
typedef struct {
	char path[BENCH_PATH_MAX];
	size_t lines;        /* non-blank lines */
	char source[256];    /* how it was made, for the notes */
} bench_input;

/* What one system (carelog, sqlite or git) measured. */
typedef struct {
	double p50_ms, p99_ms;         /* single durable write latency */
	double import_rps;             /* bulk import, records per second */
	double import_s;
	double import_records;
	double query_ms, query_rps;    /* whole-chart timeline, median run */
	double query_rows;
	double bulk_alloc_b, bulk_apparent_b;     /* bytes per record after the import */
	double single_alloc_b, single_apparent_b; /* bytes per record after the single writes */
	double single_records;
	double rss_mb;                 /* peak RSS of the bulk import */
	double row_bytes;              /* size of one single-write record as stored */
} bench_peer;

typedef struct {
	bench_peer carelog, sqlite, git;
	double fork_baseline_mb; /* peak RSS of a forked child that does nothing */
	size_t writes, git_writes;
	char patient[64];        /* the imported chart's patient id */
} bench_results;

/* util.c */
double bench_now(void);
void bench_percentiles(double *v, size_t n, double *p50, double *p99);
double bench_median(double *v, size_t n);
int bench_disk_usage(const char *path, unsigned long long *alloc, unsigned long long *apparent);
int bench_remove_tree(const char *path);
int bench_mkdirs(const char *path);
int bench_write_file(const char *path, const char *data, size_t len);
int bench_run(const char *cwd, char *const argv[], double *maxrss_mb);
typedef int (*bench_child_fn)(void *ctx, void *out);
int bench_fork(bench_child_fn fn, void *ctx, void *out, size_t outsz, double *maxrss_mb);
void bench_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *bench_path(char *buf, const char *dir, const char *name);

/* lines.c */
int bench_input_make(bench_input *in, const bench_opts *o, const char *dir);
int bench_line_field(char *out, size_t outsz, const char *line, const char *key);
void bench_dose_row(char *out, size_t outsz, size_t i);
int bench_is_blank(const char *line);

/*
 * A peer's durable single writes, as a session: open (a fresh store, db or
 * repository under dir), then one write at a time, which the caller times
 * (single.c interleaves the three peers so that they share the disk's good
 * and bad moments), then close, which fills the peer's bytes on disk and
 * row size and frees the session.
 */
typedef struct {
	const char *name;
	int (*open)(void **session, const char *dir);
	int (*write)(void *session, size_t i);
	int (*close)(void *session, bench_peer *p);
} bench_single_ops;

/* single.c */
int bench_single_run(bench_results *r, const bench_opts *o, const char *dir);

/* peer_carelog.c */
int carelog_peer_import(bench_peer *p, const bench_input *in, const char *dir);
int carelog_peer_timeline(bench_peer *p, char *patient, size_t patientsz, const char *dir, size_t runs);
extern const bench_single_ops carelog_single_ops;

/* peer_sqlite.c */
int sqlite_peer_import(bench_peer *p, const bench_input *in, const char *dir);
int sqlite_peer_timeline(bench_peer *p, const char *dir, size_t runs);
extern const bench_single_ops sqlite_single_ops;

/* peer_git.c */
int git_peer_import(bench_peer *p, const bench_input *in, const char *dir);
extern const bench_single_ops git_single_ops;

/* report.c */
void bench_report_table(FILE *f, const bench_results *r, const bench_opts *o, const bench_input *in);
void bench_report_json(FILE *f, const bench_results *r, const bench_opts *o, const bench_input *in);

#endif
