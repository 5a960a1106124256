/*
 * validate_pool.c - threads that check the records of a large received
 * history while the caller walks it, reads its blobs and indexes what the
 * threads accepted.
 *
 * Why: a first sync of a 100,000-record chart spent three quarters of its
 * time checking and indexing the history it received, all of it on one
 * thread. A third of the whole went to parsing each record, normalizing it
 * and printing it again to see it is canonical (perf); those need nothing
 * but the record's bytes, so they run here while the caller's thread walks
 * the commits' trees, reads the next blobs and does the SQLite inserts,
 * which stay with the thread that holds the repository and the index
 * transaction.
 *
 * What keeps it safe: the threads make no libgit2 call but reading the
 * bytes and size of a blob the caller read, and touch nothing of the
 * caller's but the checks handed to them: a check changes hands under the
 * pool's mutex and is then the taker's alone. Checks go out and come back
 * through a ring in walk order: the caller takes them back oldest first,
 * so the first failure it meets is the first of the walk, as on one
 * thread, and what waits in memory is bounded by the ring.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "validate.h"

/* Checks in flight at most: enough to keep every thread busy while the
 * caller does an insert, few enough to hold little memory: each a blob
 * and its parsed record (a record file is a few hundred bytes: 307 B in
 * carelog-bench), at most 64 KiB of blob (CARELOG__MAX_RECORD_BYTES) and
 * its record, so 4 MiB of blobs from a hostile remote. */
#define RING 64

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
	char *patient;
	pthread_t threads[CARELOG__CHECK_THREADS_MAX];
	int nthreads;
};

static void *run(void *arg)
{
	carelog__check_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next == p->head)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		size_t i = p->next++ % RING;
		carelog__blob_check *b = &p->ring[i];
		pthread_mutex_unlock(&p->mu);
		if (carelog__blob_check_record(p->patient, b) < 0)
			snprintf(b->msg, sizeof(b->msg), "%s", carelog_error_last()->message);
		pthread_mutex_lock(&p->mu);
		p->finished[i] = 1;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_free(carelog__check_pool *p)
{
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->patient);
	free(p);
}

carelog__check_pool *carelog__check_pool_start(const char *patient, int nthreads)
{
	carelog__check_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	p->patient = strdup(patient);
	if (p->patient == NULL) {
		pool_free(p);
		return NULL;
	}
	if (nthreads > CARELOG__CHECK_THREADS_MAX)
		nthreads = CARELOG__CHECK_THREADS_MAX;
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
	return p->head - p->tail == RING ? NULL : &p->ring[p->head % RING];
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
