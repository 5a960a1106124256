/*
 * carelog/store.h - creating, opening, checking and closing a store.
 *
 * A store is one directory: `carelog.db` (SQLite, a derived index that can be
 * deleted and is rebuilt on open), `device.json` (this device's identity and
 * settings), `charts/<patient-id>.git` (one bare git repository per patient,
 * branch `main`, the record of truth) and `lock` (the writers' flock).
 *
 * Durability: a write returns 0 only once it is durable. On a device (a store
 * whose role is not "clinic") a single write is appended to the chart's
 * write-ahead journal (`charts/<patient-id>.git/carelog-journal`: the write's
 * git objects and the head it moves to, checksummed) and fdatasynced: one
 * flush. Every carelog handle, in any process, reads the journal, so the
 * write is visible at once; git itself sees it when the journal is folded:
 * its objects written as one pack and the ref moved (then the journal
 * emptied), every 128 writes, before a sync or an import moves the chart,
 * and when the handle that wrote is freed. A clinic's charts are served live
 * by a git server, so there a write goes straight into git: its objects (one
 * pack file and its index) and then the chart's ref written and fsynced,
 * with the directories that name them; batch writes (imports) and syncs
 * always do so. See docs/durability.md. libgit2's fsync switch is process-wide, so
 * carelog_store_open and carelog_store_init turn on GIT_OPT_ENABLE_FSYNC_GITDIR
 * for the whole process, and libgit2 stays initialised (reference-counted)
 * until the last store is freed. They also raise libgit2's (process-wide)
 * cache limit for one tree object from 4 KiB to 1 MiB (GIT_OPT_SET_CACHE_
 * OBJECT_LIMIT): a push re-reads every subtree of a kind for each new commit,
 * and a month's tree of records is larger than 4 KiB. And they map pack
 * files in windows of 4 MiB, at most 16 MiB at a time (GIT_OPT_SET_MWINDOW_SIZE,
 * GIT_OPT_SET_MWINDOW_MAPPED_LIMIT; libgit2's 64-bit defaults are 1 GiB and
 * 8 GiB), which bounds what a walk over a large chart keeps resident. The SQLite index is written with
 * synchronous=NORMAL: it is derived from the charts and catches up from them
 * after a crash, so it needs no fsync of its own.
 *
 * A store handle must be used by one thread at a time; open one handle per
 * thread for parallel work. Several processes may open one store: writers
 * serialise on flock(2) of `<store>/lock`, which dies with its process.
 */
#ifndef CARELOG_STORE_H
#define CARELOG_STORE_H

#include "common.h"

CARELOG_BEGIN_DECL

/** An open store. Opaque; free with carelog_store_free. */
typedef struct carelog_store carelog_store;

/** Options for carelog_store_init. */
typedef struct {
	unsigned int version;    /**< CARELOG_INIT_OPTIONS_VERSION */
	const char *device_name; /**< a name for this device, default "device" */
	const char *author;      /**< who writes from this device, default $USER or "unknown" */
	const char *role;        /**< "caregiver" (default), "clinician" or "clinic" */
} carelog_init_options;

#define CARELOG_INIT_OPTIONS_VERSION 1
#define CARELOG_INIT_OPTIONS_INIT { CARELOG_INIT_OPTIONS_VERSION, NULL, NULL, NULL }

/** Options for carelog_store_open and carelog_store_init. */
typedef struct {
	unsigned int version;    /**< CARELOG_OPEN_OPTIONS_VERSION */
	int lock_timeout_ms;     /**< how long a write waits for the store lock; 0 = default (10000), <0 = fail at once */
} carelog_open_options;

#define CARELOG_OPEN_OPTIONS_VERSION 1
#define CARELOG_OPEN_OPTIONS_INIT { CARELOG_OPEN_OPTIONS_VERSION, 0 }

/**
 * Creates a new store at `path` (the directory is created if missing; it must
 * be empty of carelog files) and opens it.
 *
 * @param out   receives the store; free it with carelog_store_free. Set to
 *              NULL on failure.
 * @param path  the store directory
 * @param opts  may be NULL for defaults
 * @return 0; CARELOG_EEXISTS if `path` already holds a store (nothing is
 *         changed); CARELOG_EINVALID for a bad option (role not one of the
 *         three, a name too long); CARELOG_EIO if a file cannot be written.
 */
CARELOG_EXTERN(int) carelog_store_init(carelog_store **out, const char *path,
	const carelog_init_options *opts);

/**
 * Opens an existing store. The index is brought up to date with every chart
 * lazily, before the first query that needs it; a missing carelog.db is
 * recreated and rebuilt.
 *
 * @param out   receives the store; free it with carelog_store_free. Set to
 *              NULL on failure.
 * @param path  the store directory
 * @param opts  may be NULL for defaults
 * @return 0; CARELOG_ENOTFOUND if `path` is not a store; CARELOG_ECORRUPT if
 *         device.json is unreadable; CARELOG_EIO on a file error.
 */
CARELOG_EXTERN(int) carelog_store_open(carelog_store **out, const char *path,
	const carelog_open_options *opts);

/**
 * Closes the store and frees it. The journal of every chart this handle
 * wrote to is folded into git first (under the store lock, waiting as a
 * write does); if that cannot be done the writes stay durable in the
 * journal and the next writer folds them. Keeps the thread's last error.
 * carelog_store_free(NULL) does nothing.
 */
CARELOG_EXTERN(void) carelog_store_free(carelog_store *s);

/** The message of the last failed call on `s` ("" if none). Valid until the next call on `s`. */
CARELOG_EXTERN(const char *) carelog_store_errmsg(const carelog_store *s);

/** The code of the last failed call on `s` (0 if none). */
CARELOG_EXTERN(int) carelog_store_errcode(const carelog_store *s);

/** This device's id (unique, e.g. "phone-anna-3f9c2a1b07d4"), as stamped on every record it writes. */
CARELOG_EXTERN(const char *) carelog_store_device(const carelog_store *s);

/** The author stamped on records this device writes. */
CARELOG_EXTERN(const char *) carelog_store_author(const carelog_store *s);

/** This device's role: "caregiver", "clinician" or "clinic". */
CARELOG_EXTERN(const char *) carelog_store_role(const carelog_store *s);

/** The store directory. */
CARELOG_EXTERN(const char *) carelog_store_path(const carelog_store *s);

/**
 * Called by carelog_store_check for each problem found.
 * @param patient the chart concerned, or NULL for the store as a whole
 * @param message what is wrong
 * @return 0 to go on, non-zero to stop the check early
 */
typedef int (*carelog_problem_cb)(const char *patient, const char *message, void *payload);

/**
 * Checks the whole store: every chart's history is readable, every record in
 * every chart head is valid and stored at its own path, and the index holds
 * exactly the records of the chart heads (after catching up).
 *
 * @param problems receives how many problems were found (may be NULL)
 * @param cb       called per problem (may be NULL)
 * @return 0 when the check ran (even if it found problems: see *problems);
 *         CARELOG_EIO or CARELOG_ECORRUPT if it could not run.
 */
CARELOG_EXTERN(int) carelog_store_check(size_t *problems, carelog_store *s,
	carelog_problem_cb cb, void *payload);

CARELOG_END_DECL

#endif
