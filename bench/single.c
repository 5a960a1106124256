/*
 * single.c - durable single-write latency of the three peers, interleaved:
 * in each round every peer that is due writes once, the order rotating from
 * round to round, so that all three see the same disk (fsync latency on a
 * shared or virtual disk drifts by several times within a minute). git has
 * fewer writes, spread evenly over the rounds.
 */
#include <stdlib.h>

#include "bench.h"

typedef struct {
	const bench_single_ops *ops;
	bench_peer *p;
	void *session;
	double *lat;   /* ms of each timed write */
	size_t n;      /* timed writes wanted */
	size_t done;   /* timed writes made */
	size_t next;   /* index of the next write (warm-up included) */
	int failed;
} lane;

static void lane_write(lane *l, int timed)
{
	double t0 = bench_now();
	if (l->failed)
		return;
	if (l->ops->write(l->session, l->next++) < 0) {
		bench_log("%s: a single write failed; its latency is not reported", l->ops->name);
		l->failed = 1;
		return;
	}
	if (timed)
		l->lat[l->done++] = (bench_now() - t0) * 1000.0;
}

/* Due in round i of `rounds` when behind an even spread of its n writes. */
static int lane_due(const lane *l, size_t i, size_t rounds)
{
	return !l->failed && l->done < l->n && l->done * rounds <= i * l->n;
}

static void lane_open(lane *l, const char *dir)
{
	l->lat = calloc(l->n, sizeof(*l->lat));
	if (l->lat == NULL || l->ops->open(&l->session, dir) < 0) {
		bench_log("%s: cannot set up the single writes", l->ops->name);
		l->failed = 1;
	}
	for (size_t i = 0; i < BENCH_WARMUP; i++)
		lane_write(l, 0);
}

static int lane_close(lane *l)
{
	int failed = l->failed;
	while (!l->failed && l->done < l->n)
		lane_write(l, 1);
	if (!l->failed)
		bench_percentiles(l->lat, l->n, &l->p->p50_ms, &l->p->p99_ms);
	failed |= l->ops->close(l->session, l->p) < 0 || l->failed;
	free(l->lat);
	return failed ? -1 : 0;
}

int bench_single_run(bench_results *r, const bench_opts *o, const char *dir)
{
	lane lanes[3] = {
		{ &carelog_single_ops, &r->carelog, NULL, NULL, o->writes, 0, 0, 0 },
		{ &sqlite_single_ops, &r->sqlite, NULL, NULL, o->writes, 0, 0, 0 },
		{ &git_single_ops, &r->git, NULL, NULL, o->git_writes, 0, 0, 0 },
	};
	size_t rounds = o->writes > o->git_writes ? o->writes : o->git_writes;
	int failed = 0;

	r->writes = o->writes;
	r->git_writes = o->git_writes;
	bench_log("single writes, interleaved: carelog_dose_log x%zu, sqlite autocommit INSERT x%zu,"
		" file + git add + git commit x%zu", o->writes, o->writes, o->git_writes);
	for (int k = 0; k < 3; k++)
		lane_open(&lanes[k], dir);
	for (size_t i = 0; i < rounds; i++) {
		for (size_t k = 0; k < 3; k++) {
			lane *l = &lanes[(i + k) % 3];
			if (lane_due(l, i, rounds))
				lane_write(l, 1);
		}
	}
	for (int k = 0; k < 3; k++)
		failed |= lane_close(&lanes[k]) < 0;
	return failed ? -1 : 0;
}
