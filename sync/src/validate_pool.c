/*
 * validate_pool.c - threads that check a large received history's record
 * blobs while the caller walks it and indexes what they accepted.
 *
 * Why: a first sync of a 100,000-record chart spent three quarters of its
 * time checking and indexing the history it received, all of it on one
 * thread: per blob, reading it (and its size first), parsing, normalizing
 * and re-printing it to see it is canonical (about half of the time, perf)
 * and then the SQLite insert of the tip's records (a fifth). The per-blob
 * checks need nothing from each other, so they run here, one thread per
 * CPU, while the caller's thread walks the commits' trees and does the
 * inserts, which must stay on the thread that holds the index transaction.
 *
 * What keeps it safe: each thread opens the repository on its own (libgit2
 * is thread-safe for separate handles; one handle's object database takes
 * a lock around every read, so sharing it would run the reads one at a
 * time) and touches nothing else of the caller but the checks handed to it
 * under the pool's mutex. Checks go out and come back through a ring in
 * walk order: the caller takes them back oldest first, so the first
 * failure it meets is the first of the walk, the same as on one thread,
 * and what waits in memory is bounded by the ring.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store_internal.h"
#include "validate.h"

/* Checks in flight at most: enough to keep every thread busy while the
 * caller does an insert, few enough to hold little memory (each a parsed
 * record and its text, a few KB). */
#define RING 256
#define MAX_THREADS 8

struct carelog__check_pool {
	pthread_mutex_t mu;
	pthread_cond_t work;   /* a check was submitted, or stop */
	pthread_cond_t done;   /* a check was finished */
	carelog__blob_check ring[RING];
	unsigned char finished[RING];
	size_t head;           /* checks submitted (the caller writes it, under mu) */
	size_t next;           /* checks taken by a thread (under mu) */
	size_t tail;           /* checks taken back by the caller (the caller's only) */
	int stop;
	char *path;
	char *patient;
	pthread_t threads[MAX_THREADS];
	int nthreads;
};

static void *run(void *arg)
{
	carelog__check_pool *p = arg;
	git_repository *repo = NULL;
	char open_msg[sizeof(p->ring[0].msg)] = "";
	int open_rc = git_repository_open_bare(&repo, p->path);

	if (open_rc < 0)
		open_rc = carelog__git_fail(open_rc, "cannot open the chart to check its records");
	if (open_rc < 0)
		snprintf(open_msg, sizeof(open_msg), "%s", carelog_error_last()->message);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next == p->head)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		size_t i = p->next++ % RING;
		carelog__blob_check *b = &p->ring[i];
		pthread_mutex_unlock(&p->mu);
		if (open_rc < 0) {
			b->rc = open_rc;
			memcpy(b->msg, open_msg, sizeof(b->msg));
		} else if (carelog__blob_check_run(repo, p->patient, b) < 0) {
			snprintf(b->msg, sizeof(b->msg), "%s", carelog_error_last()->message);
		}
		pthread_mutex_lock(&p->mu);
		p->finished[i] = 1;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	git_repository_free(repo);
	return NULL;
}

static void pool_free(carelog__check_pool *p)
{
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->path);
	free(p->patient);
	free(p);
}

carelog__check_pool *carelog__check_pool_start(const char *repo_path, const char *patient, int nthreads)
{
	carelog__check_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->path = strdup(repo_path);
	p->patient = strdup(patient);
	if (p->path == NULL || p->patient == NULL) {
		pool_free(p);
		return NULL;
	}
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, run, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		pool_free(p);
		return NULL;
	}
	return p;
}

carelog__blob_check *carelog__check_pool_slot(carelog__check_pool *p)
{
	carelog__blob_check *b;

	if (p->head - p->tail == RING)
		return NULL;
	b = &p->ring[p->head % RING];
	memset(b, 0, sizeof(*b));
	return b;
}

void carelog__check_pool_submit(carelog__check_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->finished[p->head % RING] = 0;
	p->head++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

carelog__blob_check *carelog__check_pool_oldest(carelog__check_pool *p, int wait)
{
	size_t i = p->tail % RING;
	int ready;

	if (p->tail == p->head)
		return NULL;
	pthread_mutex_lock(&p->mu);
	while (!(ready = p->finished[i]) && wait)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return ready ? &p->ring[i] : NULL;
}

void carelog__check_pool_release(carelog__check_pool *p)
{
	carelog__blob_check_clear(&p->ring[p->tail % RING]);
	p->tail++;
}

void carelog__check_pool_stop(carelog__check_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (; p->tail != p->head; p->tail++)
		carelog__blob_check_clear(&p->ring[p->tail % RING]);
	pool_free(p);
}
