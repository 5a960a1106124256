/*
 * peer_sqlite.c - SQLite alone, as a floor for what carelog's index costs:
 * one table of JSON rows keyed by id with an index on time, WAL and
 * synchronous=FULL so that every commit is durable. The bulk insert runs in
 * a forked child (for its peak RSS), as carelog's import does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bench.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	"CREATE TABLE rec(id TEXT PRIMARY KEY, kind TEXT NOT NULL, time TEXT NOT NULL,"
	" status TEXT NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX rec_by_time ON rec(time, id);";

/* OR REPLACE: a later line with the same id is a new version, and the last wins (as in carelog) */
static const char insert_sql[] =
	"INSERT OR REPLACE INTO rec(id, kind, time, status, json) VALUES(?1, ?2, ?3, ?4, ?5)";

static const char timeline_sql[] =
	"SELECT json FROM rec WHERE kind IN ('plan', 'dose', 'symptom', 'measurement', 'note')"
	" AND status = 'active' ORDER BY time, id";

static int fail(sqlite3 *db, const char *what)
{
	bench_log("sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
	return -1;
}

static int db_open(sqlite3 **db, const char *dir, int create)
{
	char path[BENCH_PATH_MAX];
	if (create && bench_mkdirs(dir) < 0)
		return fail(NULL, "cannot create the directory");
	bench_path(path, dir, "peer.db");
	if (sqlite3_open_v2(path, db, create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY,
		NULL) != SQLITE_OK)
		return fail(*db, "cannot open");
	if (create && sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return fail(*db, "cannot create the table");
	return 0;
}

typedef struct {
	char id[64], kind[32], time[64], status[32];
} row_keys;

/* The columns of a row, from its JSON as carelog would index them. */
static void row_keys_of(row_keys *k, const char *json, size_t lineno)
{
	if (bench_line_field(k->id, sizeof(k->id), json, "id") < 0)
		snprintf(k->id, sizeof(k->id), "line-%zu", lineno);
	if (bench_line_field(k->kind, sizeof(k->kind), json, "kind") < 0)
		snprintf(k->kind, sizeof(k->kind), "note");
	if (bench_line_field(k->time, sizeof(k->time), json, "time") < 0)
		k->time[0] = '\0';
	if (bench_line_field(k->status, sizeof(k->status), json, "status") < 0)
		snprintf(k->status, sizeof(k->status), "active");
}

static int insert(sqlite3_stmt *st, const row_keys *k, const char *json, size_t len)
{
	int rc;
	sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, k->time, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, k->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, json, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int insert_line(sqlite3_stmt *st, char *line, size_t len, size_t lineno)
{
	row_keys k;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	row_keys_of(&k, line, lineno);
	return insert(st, &k, line, len);
}

static int insert_all(sqlite3 *db, FILE *f, size_t *rows)
{
	sqlite3_stmt *st = NULL;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if (sqlite3_prepare_v2(db, insert_sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, "cannot prepare the insert");
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (bench_is_blank(line))
			continue;
		if ((rc = insert_line(st, line, (size_t)len, lineno)) < 0)
			fail(db, "insert failed");
		(*rows)++;
	}
	free(line);
	sqlite3_finalize(st);
	return rc;
}

typedef struct {
	const bench_input *in;
	const char *dir;
} import_ctx;

typedef struct {
	double seconds;
	size_t rows;
} import_out;

/* Runs in the forked child: read every line and insert it, one transaction. */
static int import_child(void *vctx, void *vout)
{
	import_ctx *ctx = vctx;
	import_out *out = vout;
	sqlite3 *db = NULL;
	FILE *f = NULL;
	double t0;
	int rc = db_open(&db, ctx->dir, 1);

	if (rc == 0 && (f = fopen(ctx->in->path, "r")) == NULL) {
		bench_log("sqlite: cannot open %s", ctx->in->path);
		rc = -1;
	}
	t0 = bench_now();
	if (rc == 0 && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(db, "cannot begin");
	if (rc == 0)
		rc = insert_all(db, f, &out->rows);
	if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = fail(db, "cannot commit");
	out->seconds = bench_now() - t0;
	if (f)
		fclose(f);
	sqlite3_close(db);
	return rc;
}

int sqlite_peer_import(bench_peer *p, const bench_input *in, const char *dir)
{
	char sub[BENCH_PATH_MAX];
	import_ctx ctx = { in, bench_path(sub, dir, "sqlite-bulk") };
	import_out out = { 0, 0 };
	unsigned long long alloc, apparent;

	bench_log("sqlite: inserting %zu lines in one transaction (forked child)", in->lines);
	if (bench_fork(import_child, &ctx, &out, sizeof(out), &p->rss_mb) < 0 || out.rows == 0) {
		bench_log("sqlite: the insert child failed");
		return -1;
	}
	p->import_s = out.seconds;
	p->import_records = (double)out.rows;
	p->import_rps = (double)out.rows / out.seconds;
	if (bench_disk_usage(sub, &alloc, &apparent) == 0) {
		p->bulk_alloc_b = (double)alloc / (double)out.rows;
		p->bulk_apparent_b = (double)apparent / (double)out.rows;
	}
	return 0;
}

static int select_all(sqlite3 *db, size_t *rows, size_t *bytes)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(db, timeline_sql, -1, &st, NULL) != SQLITE_OK)
		return fail(db, "cannot prepare the query");
	*rows = *bytes = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		*bytes += strlen((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, "query failed");
}

int sqlite_peer_timeline(bench_peer *p, const char *dir, size_t runs)
{
	char sub[BENCH_PATH_MAX];
	double *t = calloc(runs, sizeof(*t));
	size_t rows = 0, bytes = 0;
	sqlite3 *db = NULL;
	int rc;

	bench_log("sqlite: SELECT of the same rows ordered by time, %zu runs", runs);
	if (t == NULL)
		return -1;
	rc = db_open(&db, bench_path(sub, dir, "sqlite-bulk"), 0);
	for (size_t i = 0; i < runs && rc == 0; i++) {
		double t0 = bench_now();
		rc = select_all(db, &rows, &bytes);
		t[i] = bench_now() - t0;
	}
	if (rc == 0) {
		double med = bench_median(t, runs);
		p->query_ms = med * 1000.0;
		p->query_rows = (double)rows;
		p->query_rps = (double)rows / med;
	}
	sqlite3_close(db);
	free(t);
	return rc;
}

typedef struct {
	sqlite3 *db;
	sqlite3_stmt *st;
	char dir[BENCH_PATH_MAX];
	size_t rows, row_len;
} single_session;

static int single_open(void **session, const char *dir)
{
	single_session *ss = calloc(1, sizeof(*ss));
	*session = ss;
	if (ss == NULL || db_open(&ss->db, bench_path(ss->dir, dir, "sqlite-single"), 1) < 0)
		return -1;
	if (sqlite3_prepare_v2(ss->db, insert_sql, -1, &ss->st, NULL) != SQLITE_OK)
		return fail(ss->db, "cannot prepare the insert");
	return 0;
}

/* One row in its own transaction (autocommit): durable when it returns. */
static int single_write(void *session, size_t i)
{
	single_session *ss = session;
	char row[512];
	row_keys k;
	bench_dose_row(row, sizeof(row), i);
	row_keys_of(&k, row, i);
	ss->row_len = strlen(row);
	if (insert(ss->st, &k, row, ss->row_len) < 0)
		return fail(ss->db, "insert failed");
	ss->rows++;
	return 0;
}

static int single_close(void *session, bench_peer *p)
{
	single_session *ss = session;
	unsigned long long alloc, apparent;
	int rc = 0;
	if (ss == NULL)
		return -1;
	sqlite3_finalize(ss->st);
	sqlite3_close(ss->db);
	if (ss->rows && (rc = bench_disk_usage(ss->dir, &alloc, &apparent)) == 0) {
		p->row_bytes = (double)ss->row_len;
		p->single_records = (double)ss->rows;
		p->single_alloc_b = (double)alloc / p->single_records;
		p->single_apparent_b = (double)apparent / p->single_records;
	}
	free(ss);
	return rc;
}

const bench_single_ops sqlite_single_ops = { "sqlite", single_open, single_write, single_close };
