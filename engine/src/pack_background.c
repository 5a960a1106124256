/*
 * pack_background.c - an import's held-back objects written as one pack
 * with deltas on a thread of its own.
 *
 * Why a thread: an import's packs are its largest single cost after
 * parsing and checking; on a second thread the import goes on parsing,
 * checking, staging and indexing the next records meanwhile.
 *
 * How the pack is made: pack_write.c, each record a delta against one of
 * the last records stored whole (they share keys, patient, author,
 * device), with no libgit2 call. Until 2026-11-26 these packs went through libgit2's
 * packbuilder (delta search over a window of 10, then its indexer hashing
 * and inflating everything again): measured with perf, 4.5 s of delta
 * search and 1.7 s of pack writing and indexing per 100,000 records, more
 * than the import's own thread did, so that they set its pace.
 *
 * What keeps it safe: the thread shares nothing with the caller. The
 * objects are copied out of the chart's mempack before the thread starts,
 * with their ids. The caller joins the job before it moves a ref or drops
 * the chart (carelog__bg_pack_finish), so a ref never names an object whose
 * pack is still being written, and a failure (disk full) fails the import
 * before anything is published.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include <zlib.h>

#include "chart.h"
#include "error.h"
#include "pack_background.h"
#include "pack_write.h"

typedef struct {
	git_oid id;
	git_object_t type;
	size_t off, len;
} bg_object;

struct carelog__bg_pack {
	pthread_t thread;
	char *dir;
	bg_object *objs;
	size_t n;
	unsigned char *data;
	size_t len, cap;
	int rc;                 /* the thread's result... */
	char msg[1024];         /* ...and its error message */
};

static void job_free(carelog__bg_pack *j)
{
	if (j == NULL)
		return;
	free(j->dir);
	free(j->objs);
	free(j->data);
	free(j);
}

static int copy_out(carelog__bg_pack *j, git_odb *odb, const git_oid *ids, size_t n)
{
	if ((j->objs = calloc(n ? n : 1, sizeof(*j->objs))) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		git_odb_object *o = NULL;
		int rc = git_odb_read(&o, odb, &ids[i]);
		size_t len;
		if (rc < 0)
			return carelog__git_fail(rc, "cannot read an object to pack");
		len = git_odb_object_size(o);
		if (j->len + len > j->cap) {
			size_t cap = j->cap ? j->cap : (size_t)1 << 20;
			unsigned char *p;
			while (cap < j->len + len)
				cap *= 2;
			if ((p = realloc(j->data, cap)) == NULL) {
				git_odb_object_free(o);
				return carelog__fail(CARELOG_ENOMEM, "out of memory");
			}
			j->data = p;
			j->cap = cap;
		}
		memcpy(j->data + j->len, git_odb_object_data(o), len);
		j->objs[i].id = ids[i];
		j->objs[i].type = git_odb_object_type(o);
		j->objs[i].off = j->len;
		j->objs[i].len = len;
		j->len += len;
		git_odb_object_free(o);
	}
	j->n = n;
	return 0;
}

/* The thread: no libgit2 call, nothing of the caller's. */
static int write_pack(carelog__bg_pack *j)
{
	carelog__pack_obj *objs = calloc(j->n ? j->n : 1, sizeof(*objs));
	int rc;

	if (objs == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	/* the ids came with the objects from the chart's own mempack */
	for (size_t i = 0; i < j->n; i++) {
		objs[i].id = j->objs[i].id;
		objs[i].type = j->objs[i].type;
		objs[i].data = j->data + j->objs[i].off;
		objs[i].len = j->objs[i].len;
	}
	rc = carelog__pack_write_objs(j->dir, objs, j->n, 1, Z_BEST_SPEED);
	free(objs);
	return rc;
}

static void *run(void *arg)
{
	carelog__bg_pack *j = arg;
	if ((j->rc = write_pack(j)) < 0)
		snprintf(j->msg, sizeof(j->msg), "%s", carelog_error_last()->message);
	carelog_error_clear();
	return NULL;
}

/* Empties the caller's mempack but for the copied trees and commits. */
static int keep_structure(carelog__bg_pack *j, git_odb_backend *mempack)
{
	int rc = 0;
	git_mempack_reset(mempack);
	for (size_t i = 0; i < j->n && rc == 0; i++)
		if (j->objs[i].type == GIT_OBJECT_TREE || j->objs[i].type == GIT_OBJECT_COMMIT)
			if ((rc = mempack->write(mempack, &j->objs[i].id, j->data + j->objs[i].off, j->objs[i].len,
				     j->objs[i].type)) < 0)
				rc = carelog__git_fail(rc, "cannot keep a tree in memory");
	return rc;
}

int carelog__bg_pack_start(carelog__bg_pack **out, const char *dir, git_odb *odb, git_odb_backend *mempack,
	const git_oid *ids, size_t n)
{
	carelog__bg_pack *j = calloc(1, sizeof(*j));
	int rc;

	*out = NULL;
	if (j == NULL || (j->dir = strdup(dir)) == NULL) {
		job_free(j);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	if ((rc = copy_out(j, odb, ids, n)) < 0) {
		job_free(j);
		return rc;
	}
	/* from here on, the only copy of the blobs is the job's: a failure to
	 * start it must be a failure of the batch (the caller gives it up) */
	if ((rc = keep_structure(j, mempack)) < 0) {
		job_free(j);
		return rc;
	}
	if ((rc = pthread_create(&j->thread, NULL, run, j)) != 0) {
		job_free(j);
		return carelog__fail(CARELOG_ERROR, "cannot start a thread to write a pack: %s", strerror(rc));
	}
	*out = j;
	return 0;
}

int carelog__bg_pack_finish(carelog__bg_pack *job)
{
	int rc;
	if (job == NULL)
		return 0;
	pthread_join(job->thread, NULL);
	rc = job->rc < 0 ? carelog__fail(job->rc, "%s", job->msg) : 0;
	job_free(job);
	return rc;
}

void carelog__bg_pack_abandon(carelog__bg_pack *job)
{
	if (job == NULL)
		return;
	pthread_join(job->thread, NULL);
	job_free(job);
}
