/*
 * validate.h - the two halves of validate.c's check of a received history
 * that it hands out: the check of one record blob (validate_blob.c), and
 * the threads that run those checks while the history is walked, for a
 * large history (validate_pool.c).
 */
#ifndef CARELOG_VALIDATE_H
#define CARELOG_VALIDATE_H

#include <git2.h>
#include <jansson.h>

#include "carelog/common.h"

/* Longer than any record or conflict path (validate.c checks the path's
 * form before a blob is checked). */
#define CARELOG__CHECK_PATH_MAX 160

/* One blob to check, and what the check found. */
typedef struct {
	char commit[GIT_OID_HEXSZ + 1]; /* the commit that changes the path, for messages */
	char path[CARELOG__CHECK_PATH_MAX];
	char id[CARELOG_ID_BUFSIZE];    /* the record id the path names */
	git_oid blob;
	git_oid tree;                   /* the commit's tree: a conflict file's record must be there */
	int conflict;                   /* a conflict file, not a record file */
	int keep;                       /* keep the parsed record and its text */

	int rc;         /* 0: accepted; else the error's code... */
	char msg[1024]; /* ...and its message, when checked on another thread */
	json_t *rec;    /* keep: the record (released by carelog__blob_check_clear) */
	char *text;     /* keep: its text, the newline left out, NUL-terminated */
	size_t len;     /* keep: strlen(text) */
} carelog__blob_check;

/* Checks b->blob in `repo`: its size (object header first) within bounds,
 * a valid canonical record of `patient` with the id b->id and, for a record
 * file, at the path its kind and id give; a conflict file's record must be
 * in b->tree. Returns and sets b->rc: 0, or CARELOG_EREMOTE with the
 * calling thread's error naming commit and path (another code for a local
 * failure: out of memory, the chart unreadable). */
int carelog__blob_check_run(git_repository *repo, const char *patient, carelog__blob_check *b);

/* Releases b->rec and b->text and empties the outcome. */
void carelog__blob_check_clear(carelog__blob_check *b);

/* validate_pool.c: threads that each open the repository at a path on
 * their own and run carelog__blob_check_run on the checks handed to them.
 * The caller fills checks in walk order and takes them back in the same
 * order, so that the first failure it sees is the first in the walk. */
typedef struct carelog__check_pool carelog__check_pool;

/* Starts `nthreads` threads on the repository at `repo_path` (every object
 * to check must be on disk there). NULL if they cannot start (the caller
 * checks on its own thread then; no error is set). */
carelog__check_pool *carelog__check_pool_start(const char *repo_path, const char *patient, int nthreads);

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
