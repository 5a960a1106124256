/*
 * index.c - the SQLite index: schema, the prepared statements the hot paths
 * use, and small accessors. The index is derived from the chart heads; it
 * runs in WAL mode with synchronous=NORMAL because a lost index transaction
 * is recomputed from the charts (index_catchup.c), and a file that is not a
 * database any more is simply recreated.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "index.h"
#include "timeutil.h"

#define SCHEMA_VERSION "1"

enum {
	ST_HEAD_GET,
	ST_HEAD_SET,
	ST_PUT,
	ST_DELETE,
	ST_LOOKUP,
	ST_MAX_HLC,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT
};

static const char *const statements[ST_COUNT] = {
	[ST_HEAD_GET] = "SELECT head FROM charts WHERE patient = ?1",
	[ST_HEAD_SET] = "INSERT INTO charts(patient, head) VALUES(?1, ?2) "
			"ON CONFLICT(patient) DO UPDATE SET head = excluded.head",
	[ST_PUT] = "INSERT OR REPLACE INTO records(id, patient, kind, tms, time, status, hlc, blob, json) "
		   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_DELETE] = "DELETE FROM records WHERE id = ?1",
	[ST_LOOKUP] = "SELECT json, patient, kind FROM records WHERE id = ?1",
	[ST_MAX_HLC] = "SELECT max(hlc) FROM records WHERE patient = ?1 AND hlc <= ?2",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS charts(patient TEXT PRIMARY KEY, head TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS records("
	" id TEXT PRIMARY KEY, patient TEXT NOT NULL, kind TEXT NOT NULL,"
	" tms INTEGER NOT NULL, time TEXT NOT NULL, status TEXT NOT NULL, hlc TEXT NOT NULL,"
	" blob BLOB NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS records_by_time ON records(patient, tms, id);"
	"CREATE INDEX IF NOT EXISTS records_by_hlc ON records(patient, hlc);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('schema', " SCHEMA_VERSION ");";

static const char drop_all[] =
	"DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS charts; DROP TABLE IF EXISTS meta;";

static int schema_version_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), SCHEMA_VERSION) == 0;
	sqlite3_finalize(st);
	return ok;
}

static int try_open(carelog_store *s)
{
	int rc = sqlite3_open_v2(s->db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(s->db, s->lock_timeout_ms > 0 ? s->lock_timeout_ms : 10000);
	rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st = NULL;
		int has_meta = sqlite3_prepare_v2(s->db, "SELECT 1 FROM meta", -1, &st, NULL) == SQLITE_OK;
		sqlite3_finalize(st);
		if (has_meta && !schema_version_ok(s->db))
			rc = sqlite3_exec(s->db, drop_all, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	for (int i = 0; i < ST_COUNT && rc == SQLITE_OK; i++)
		rc = sqlite3_prepare_v3(s->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i], NULL);
	return rc;
}

static void remove_db_files(const char *db_path)
{
	char p[4200];
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}

int carelog__index_open(carelog_store *s)
{
	int rc = try_open(s);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		/* derived data: a damaged index is rebuilt from the charts */
		carelog__index_close(s);
		remove_db_files(s->db_path);
		rc = try_open(s);
	}
	if (rc != SQLITE_OK) {
		int r = carelog__sql_fail(s->db, "cannot be opened");
		carelog__fail_prefix("%s", s->db_path);
		carelog__index_close(s);
		return r;
	}
	return 0;
}

void carelog__index_close(carelog_store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(s->stmts[i]);
		s->stmts[i] = NULL;
	}
	sqlite3_close(s->db);
	s->db = NULL;
}

static int run(carelog_store *s, int which, const char *what)
{
	sqlite3_stmt *st = s->stmts[which];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return carelog__sql_fail(s->db, what);
	return 0;
}

/* Transactions nest: only the outermost BEGIN and COMMIT reach SQLite, so a
 * catch-up inside an import's transaction joins it. An inner rollback dooms
 * the outer transaction, which then rolls back too. */
int carelog__index_begin(carelog_store *s)
{
	int rc;
	if (s->txn_depth++ > 0)
		return 0;
	s->txn_doomed = 0;
	if ((rc = run(s, ST_BEGIN, "transaction cannot start")) < 0)
		s->txn_depth = 0;
	return rc;
}

int carelog__index_commit(carelog_store *s)
{
	if (s->txn_depth == 0)
		return 0;
	if (--s->txn_depth > 0)
		return 0;
	if (s->txn_doomed) {
		s->txn_depth = 1;
		carelog__index_rollback(s);
		return carelog__fail(CARELOG_ERROR, "index transaction abandoned after an earlier failure");
	}
	return run(s, ST_COMMIT, "transaction cannot commit");
}

void carelog__index_rollback(carelog_store *s)
{
	if (s->txn_depth == 0)
		return;
	if (--s->txn_depth > 0) {
		s->txn_doomed = 1;
		return;
	}
	s->txn_doomed = 0;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_step(s->stmts[ST_ROLLBACK]);
	sqlite3_reset(s->stmts[ST_ROLLBACK]);
}

int carelog__index_head(git_oid *out, carelog_store *s, const char *patient)
{
	sqlite3_stmt *st = s->stmts[ST_HEAD_GET];
	int rc;
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		rc = hex && git_oid_fromstr(out, hex) == 0 ? 0 : CARELOG_ENOTFOUND;
	} else if (rc == SQLITE_DONE) {
		rc = CARELOG_ENOTFOUND;
	} else {
		rc = carelog__sql_fail(s->db, "cannot read a chart head");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int carelog__index_set_head(carelog_store *s, const char *patient, const git_oid *head)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), head);
	sqlite3_bind_text(s->stmts[ST_HEAD_SET], 1, patient, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->stmts[ST_HEAD_SET], 2, hex, -1, SQLITE_STATIC);
	return run(s, ST_HEAD_SET, "cannot record a chart head");
}

static const char *str_field(json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	return v ? v : "";
}

int carelog__index_put(carelog_store *s, json_t *rec, const char *text, const git_oid *blob)
{
	return carelog__index_put_text(s, rec, text, strlen(text), blob);
}

int carelog__index_put_text(carelog_store *s, json_t *rec, const char *text, size_t len, const git_oid *blob)
{
	sqlite3_stmt *st = s->stmts[ST_PUT];
	int64_t tms = 0;
	if (len > INT_MAX) /* sqlite3_bind_text takes an int; a record is far smaller (CARELOG__MAX_RECORD_BYTES) */
		return carelog__fail(CARELOG_EINVALID, "record %s is too large to index", str_field(rec, "id"));
	if (carelog__time_parse(&tms, str_field(rec, "time"), "time") < 0)
		return carelog__fail_prefix("record %s", str_field(rec, "id"));
	sqlite3_bind_text(st, 1, str_field(rec, "id"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, str_field(rec, "patient"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, str_field(rec, "kind"), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, tms);
	sqlite3_bind_text(st, 5, str_field(rec, "time"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, str_field(rec, "status"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, str_field(rec, "hlc"), -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, blob->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, text, (int)len, SQLITE_STATIC);
	return run(s, ST_PUT, "cannot store a record");
}

int carelog__index_delete(carelog_store *s, const char *id)
{
	sqlite3_bind_text(s->stmts[ST_DELETE], 1, id, -1, SQLITE_STATIC);
	return run(s, ST_DELETE, "cannot remove a record");
}

int carelog__index_lookup(char **json, char patient[CARELOG_ID_BUFSIZE], char kind[32],
	carelog_store *s, const char *id)
{
	sqlite3_stmt *st = s->stmts[ST_LOOKUP];
	int rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = 0;
		if (json && (*json = strdup((const char *)sqlite3_column_text(st, 0))) == NULL)
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		if (patient)
			snprintf(patient, CARELOG_ID_BUFSIZE, "%s", (const char *)sqlite3_column_text(st, 1));
		if (kind)
			snprintf(kind, 32, "%s", (const char *)sqlite3_column_text(st, 2));
	} else if (rc == SQLITE_DONE) {
		rc = carelog__fail(CARELOG_ENOTFOUND, "no record %s in this store", id);
	} else {
		rc = carelog__sql_fail(s->db, "cannot look a record up");
	}
	sqlite3_reset(st);
	return rc;
}

/* 1 if the statement finds a row, 0 if not, <0 on failure. */
static int exists(carelog_store *s, const char *sql, const char *patient, const char *a, const char *b)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return carelog__sql_fail(s->db, "cannot read the clock");
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : carelog__sql_fail(s->db, "cannot read the clock");
	sqlite3_finalize(st);
	return rc;
}

/* A stamp that sorts after every stamp of the millisecond bound_ms. */
static void after_ms(char out[CARELOG__HLC_BUFSIZE], int64_t bound_ms)
{
	carelog__hlc bound = { bound_ms, 0 };
	carelog__hlc_format(out, &bound);
	memset(out + strlen(out) - 4, '~', 4);
}

int carelog__index_has_ahead(int *ahead, carelog_store *s, const char *patient, int64_t bound_ms)
{
	char buf[CARELOG__HLC_BUFSIZE];
	int rc;
	after_ms(buf, bound_ms);
	rc = exists(s, "SELECT 1 FROM records WHERE patient = ?1 AND hlc > ?2 LIMIT 1", patient, buf, NULL);
	*ahead = rc > 0;
	return rc < 0 ? rc : 0;
}

int carelog__index_others(int *any, int *ahead, carelog_store *s, const char *patient, const char *device,
	int64_t bound_ms)
{
	char buf[CARELOG__HLC_BUFSIZE];
	int rc;

	after_ms(buf, bound_ms);
	/* each stops at the first row found (the first through records_by_hlc) */
	if ((rc = exists(s, "SELECT 1 FROM records WHERE patient = ?1 AND hlc > ?3 AND "
			"json_extract(json, '$.device') IS NOT ?2 LIMIT 1", patient, device, buf)) < 0)
		return rc;
	*ahead = rc;
	if ((rc = exists(s, "SELECT 1 FROM records WHERE patient = ?1 AND "
			"json_extract(json, '$.device') IS NOT ?2 LIMIT 1", patient, device, NULL)) < 0)
		return rc;
	*any = rc;
	return 0;
}

int carelog__index_max_hlc(char out[64], carelog_store *s, const char *patient)
{
	sqlite3_stmt *st = s->stmts[ST_MAX_HLC];
	int rc;
	carelog__hlc cap = { carelog__now_ms() + CARELOG__HLC_MAX_LEAD_MS, 0 };
	char capbuf[CARELOG__HLC_BUFSIZE];
	size_t n;
	out[0] = '\0';
	/* a stamp far ahead of this device's clock (another device's clock is
	 * wrong) is not adopted: it would drag every later stamp of this device
	 * ahead with it. "~" sorts after every counter digit. */
	carelog__hlc_format(capbuf, &cap);
	n = strlen(capbuf);
	memset(capbuf + n - 4, '~', 4);
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, capbuf, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		if (v)
			snprintf(out, 64, "%s", (const char *)v);
		rc = 0;
	} else {
		rc = carelog__sql_fail(s->db, "cannot read the clock");
	}
	sqlite3_reset(st);
	return rc;
}
