/*
 * store_internal.h - the store handle's insides, shared by the engine's
 * modules (and sync/). Nothing here is public.
 */
#ifndef CARELOG_STORE_INTERNAL_H
#define CARELOG_STORE_INTERNAL_H

#include <stdint.h>

#include <git2.h>
#include <sqlite3.h>

#include "carelog/store.h"
#include "hlc.h"

#define CARELOG__DEVICE_MAX 100

/* A growable list of object ids (free `ids`). */
typedef struct {
	git_oid *ids;
	size_t n, cap;
} carelog__oids;

/* An open chart: one patient's bare repository and the in-memory object
 * backend that collects a write's new objects until they go out as one pack. */
typedef struct carelog__chart {
	char patient[CARELOG_ID_BUFSIZE];
	char *dir;                 /* <store>/charts/<patient>.git */
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *mempack;  /* owned by odb */
	int defer;                 /* staging a batch: objects wait in the mempack (chart.c) */
	carelog__oids pending;     /* ...these, until enough for a settled pack or the ref moves */
	size_t pending_bytes;
	struct carelog__bg_pack *bg; /* ...the last of them being written as a pack (pack_background.c) */
	struct carelog__chart **bg_turn; /* the chart of the same import whose pack is in the background
	                                  * (at most one at a time), shared by its charts; NULL: none */
	size_t packs_written;      /* packs this handle added: maintenance looks only after a write added one */
	carelog__hlc clock;        /* this device's clock for the chart */
	int clock_loaded;
	struct carelog_store *store; /* the store that opened it; NULL for a temporary chart */

	/* the write-ahead journal (journal.c) and what this handle loaded of it */
	int journal_on;            /* single writes go through it (not on a clinic's served charts) */
	int journaling;            /* carelog__chart_write is staging into it... */
	git_oid jparent;           /* ...on this head */
	int jmine;                 /* this handle appended: fold before closing */
	int jfd;                   /* the file, -1 until it is needed */
	uint64_t jgen;             /* its generation, 0 for none seen */
	unsigned long jepoch;      /* the store lock's hold in which it was last read whole (0: none) */
	uint64_t jend, jsize;      /* end of the last good entry loaded; file size seen */
	size_t jcount, jbytes;     /* entries loaded and their bytes */
	git_oid jbase, jhead;      /* head before the first entry; after the last */
	carelog__oids jobjs;       /* their objects, ... */
	git_odb_backend *jpack;    /* ...held in this backend of the chart's odb */
	struct carelog__chart *next;
} carelog__chart;

struct carelog_store {
	char *path;
	char *db_path;
	char *charts_dir;
	char *lock_path;
	char device[CARELOG__DEVICE_MAX + 1];
	char *device_name;
	char *author;
	char role[16];
	char *hook_program;        /* clinic stores: the carelog the charts' pre-receive hooks run */

	sqlite3 *db;
	sqlite3_stmt *stmts[16];   /* prepared index statements, see index.c */
	int txn_depth;             /* nested index transactions (index.c) */
	int txn_doomed;            /* an inner one rolled back: the outer must too */
	int lock_fd;
	int lock_depth;
	unsigned long lock_epoch;  /* counts the times the lock was taken (lock.c) */
	int lock_timeout_ms;
	carelog__chart *charts;    /* open charts, opened on first use */

	int errcode;
	char errmsg[1024];
};

/* Copies the thread's last error into `s` when rc < 0; returns rc. Every
 * public function taking a store returns through this. */
int carelog__store_result(carelog_store *s, int rc);

/* Translates a libgit2 failure into a carelog error naming `what`. */
int carelog__git_fail(int git_rc, const char *what);

/* Translates an SQLite failure into a carelog error naming `what`. */
int carelog__sql_fail(sqlite3 *db, const char *what);

/* Takes the store's writer lock (flock, reentrant within the handle),
 * waiting up to the handle's timeout. CARELOG_ELOCKED on timeout. */
int carelog__lock(carelog_store *s);
void carelog__unlock(carelog_store *s);

/* flock(LOCK_EX) on `fd`, retrying with a short back-off for up to
 * timeout_ms (<0: once). 0; or -1 with errno EWOULDBLOCK when it timed out,
 * another errno on failure. *waited receives the ms waited. */
int carelog__flock_wait(int fd, int timeout_ms, int *waited);

/* fsyncs a directory so that the names in it are durable. */
int carelog__fsync_dir(const char *dir);

/* Writes all of data to the open file fd, fsyncs and closes it (always).
 * 0, or CARELOG_EIO naming `name`. */
int carelog__write_fd_synced(int fd, const void *data, size_t len, const char *name);

/* Writes `len` bytes to `path` atomically and durably (temp file, fsync,
 * rename, fsync of the directory). */
int carelog__write_file_durable(const char *path, const char *data, size_t len);

/* Writes <chart_dir>/hooks/pre-receive running `program hook pre-receive`
 * (unless it is there already as it should be). */
int carelog__chart_hook_install(const char *chart_dir, const char *program);

/* Installs the pre-receive hook in every chart lacking it (clinic stores,
 * s->hook_program set). Returns the first failure; the others still run. */
int carelog__store_hooks(carelog_store *s);

/* malloc'd printf. NULL with CARELOG_ENOMEM set on failure. */
char *carelog__strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
