/*
 * validate.h - what validate.c's check of a received history hands out:
 * the check of one record blob (validate_blob.c), and the threads that
 * check records while the history is walked, for a large history
 * (validate_pool.c).
 */
#ifndef CARELOG_VALIDATE_H
#define CARELOG_VALIDATE_H

#include <git2.h>
#include <jansson.h>

#include "carelog/common.h"
#include "error.h"

/* Longer than any record or conflict path (validate.c checks the path's
 * form before a blob is checked). */
#define CARELOG__CHECK_PATH_MAX 160

/* One blob to check, and what the check found. */
typedef struct {
	char commit[GIT_OID_HEXSZ + 1]; /* the commit that changes the path, for messages */
	char path[CARELOG__CHECK_PATH_MAX];
	char id[CARELOG_ID_BUFSIZE];    /* the record id the path names */
	git_oid blob;
	int conflict;                   /* a conflict file, not a record file */
	int keep;                       /* keep the parsed record */

	git_odb_object *obj; /* the blob, once read (carelog__blob_check_read) */
	int rc;              /* 0: accepted; else the error's code... */
	char msg[1024];      /* ...and its message, when checked on another thread */
	json_t *rec;         /* keep: the record */
	char want[128];      /* the path the record's kind and id give */
} carelog__blob_check;

/* "refused: commit C: PATH: why" (C's first 12 hex digits) as the calling
 * thread's error; returns CARELOG_EREMOTE. Every refusal of a received
 * history is worded so. */
int carelog__refuse(const char *commit, const char *path, const char *fmt, ...) CARELOG__PRINTF(3, 4);

/* Reads b->blob from `repo`, its size (object header) first: a blob within
 * CARELOG__MAX_RECORD_BYTES, into b->obj. 0, or CARELOG_EREMOTE with the
 * calling thread's error naming commit and path (another code for a local
 * failure). Uses libgit2: only on the thread that owns `repo`. */
int carelog__blob_check_read(git_repository *repo, carelog__blob_check *b);

/* Checks the blob read: a valid canonical record of `patient` with the id
 * b->id and, for a record file, at b->path (b->want gets the path its
 * kind and id give). Sets and returns b->rc (the calling thread's error as
 * above); b->rec holds the record if b->keep. Of libgit2 it only reads
 * b->obj's bytes and size (git_odb_object_data, _size): any thread may run
 * it. */
int carelog__blob_check_record(const char *patient, carelog__blob_check *b);

/* Releases b->obj and b->rec and empties the outcome. */
void carelog__blob_check_clear(carelog__blob_check *b);

/* validate_pool.c: threads that run carelog__blob_check_record on the
 * checks handed to them (read by the caller). The caller fills checks in
 * walk order and takes them back in the same order, so that the first
 * failure it sees is the first in the walk. */
typedef struct carelog__check_pool carelog__check_pool;

/* At most this many checking threads. */
#define CARELOG__CHECK_THREADS_MAX 8

/* Starts up to `nthreads` (at most CARELOG__CHECK_THREADS_MAX) threads
 * checking records of `patient`; fewer if some cannot start. NULL if none
 * can (the caller checks on its own thread then; no error is set). */
carelog__check_pool *carelog__check_pool_start(const char *patient, int nthreads);

/* The next check to fill, or NULL while every slot waits to be taken back
 * (carelog__check_pool_oldest first). Filled, it is handed over with
 * carelog__check_pool_submit. */
carelog__blob_check *carelog__check_pool_slot(carelog__check_pool *p);
void carelog__check_pool_submit(carelog__check_pool *p);

/* The oldest check not yet taken back, once it is done (waiting for it if
 * `wait`); NULL if none is pending, or (not waiting) not yet done. The
 * caller reads it, then calls carelog__check_pool_release. */
carelog__blob_check *carelog__check_pool_oldest(carelog__check_pool *p, int wait);
void carelog__check_pool_release(carelog__check_pool *p);

/* Stops and joins the threads, drops the checks not taken back, frees p.
 * NULL is a no-op. */
void carelog__check_pool_stop(carelog__check_pool *p);

#endif
