/*
 * peer_carelog.c - carelog itself, through its public API only: the bulk
 * import (in a forked child, for its peak RSS), the whole-chart timeline,
 * and durable single writes (carelog_dose_log on an open store).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <carelog.h>

#include "bench.h"

static int fail(const char *what)
{
	const carelog_error *e = carelog_error_last();
	bench_log("carelog: %s: %s (code %d)", what, e->message, e->code);
	return -1;
}

static int store_new(carelog_store **s, const char *path)
{
	carelog_init_options io = CARELOG_INIT_OPTIONS_INIT;
	io.device_name = "bench";
	io.author = "bench";
	if (carelog_store_init(s, path, &io) < 0)
		return fail("cannot create the store");
	return 0;
}

typedef struct {
	const bench_input *in;
	const char *store;
} import_ctx;

typedef struct {
	double seconds;
	size_t written;
} import_out;

/* Runs in the forked child: a fresh store, then the timed import. */
static int import_child(void *vctx, void *vout)
{
	import_ctx *ctx = vctx;
	import_out *out = vout;
	carelog_store *s = NULL;
	FILE *f;
	double t0;
	int rc;

	if (store_new(&s, ctx->store) < 0)
		return -1;
	if ((f = fopen(ctx->in->path, "r")) == NULL) {
		bench_log("cannot open %s", ctx->in->path);
		carelog_store_free(s);
		return -1;
	}
	t0 = bench_now();
	rc = carelog_import(&out->written, s, f, NULL);
	out->seconds = bench_now() - t0;
	fclose(f);
	if (rc < 0)
		fail("import failed");
	carelog_store_free(s);
	return rc < 0 ? -1 : 0;
}

int carelog_peer_import(bench_peer *p, const bench_input *in, const char *dir)
{
	char store[BENCH_PATH_MAX];
	import_ctx ctx = { in, bench_path(store, dir, "carelog-bulk") };
	import_out out = { 0, 0 };
	unsigned long long alloc, apparent;

	bench_log("carelog: importing %zu lines (forked child)", in->lines);
	if (bench_fork(import_child, &ctx, &out, sizeof(out), &p->rss_mb) < 0 || out.written == 0) {
		bench_log("carelog: the import child failed");
		return -1;
	}
	p->import_s = out.seconds;
	p->import_records = (double)out.written;
	p->import_rps = (double)out.written / out.seconds;
	if (bench_disk_usage(store, &alloc, &apparent) == 0) {
		p->bulk_alloc_b = (double)alloc / (double)out.written;
		p->bulk_apparent_b = (double)apparent / (double)out.written;
	}
	return 0;
}

typedef struct {
	size_t rows, bytes;
} visit;

static int count_record(const carelog_record *r, void *payload)
{
	visit *v = payload;
	v->rows++;
	v->bytes += strlen(carelog_record_json(r));
	return 0;
}

static int first_patient(char *out, size_t outsz, carelog_store *s)
{
	carelog_record_list *l = NULL;
	if (carelog_patient_list(&l, s) < 0)
		return fail("cannot list patients");
	if (carelog_record_list_count(l) == 0) {
		carelog_record_list_free(l);
		bench_log("carelog: the imported store has no patient");
		return -1;
	}
	snprintf(out, outsz, "%s", carelog_record_id(carelog_record_list_get(l, 0)));
	carelog_record_list_free(l);
	return 0;
}

static int timeline_runs(bench_peer *p, carelog_store *s, const char *patient, size_t runs)
{
	double *t = calloc(runs, sizeof(*t));
	visit v = { 0, 0 };
	int rc = 0;

	if (t == NULL)
		return -1;
	for (size_t i = 0; i < runs && rc == 0; i++) {
		double t0 = bench_now();
		v.rows = v.bytes = 0;
		if (carelog_timeline_foreach(s, patient, NULL, count_record, &v) < 0)
			rc = fail("timeline failed");
		t[i] = bench_now() - t0;
	}
	if (rc == 0) {
		double med = bench_median(t, runs);
		p->query_ms = med * 1000.0;
		p->query_rows = (double)v.rows;
		p->query_rps = (double)v.rows / med;
	}
	free(t);
	return rc;
}

int carelog_peer_timeline(bench_peer *p, char *patient, size_t patientsz, const char *dir, size_t runs)
{
	char store[BENCH_PATH_MAX];
	carelog_store *s = NULL;
	int rc;

	bench_log("carelog: timeline of the imported chart, %zu runs", runs);
	if (carelog_store_open(&s, bench_path(store, dir, "carelog-bulk"), NULL) < 0)
		return fail("cannot open the store");
	rc = first_patient(patient, patientsz, s);
	if (rc == 0)
		rc = timeline_runs(p, s, patient, runs);
	carelog_store_free(s);
	return rc;
}

typedef struct {
	carelog_store *s;
	char store[BENCH_PATH_MAX];
	char patient[CARELOG_ID_BUFSIZE];
	char last[CARELOG_ID_BUFSIZE];
	size_t records;
} single_session;

static int add_patient(single_session *ss)
{
	carelog_patient pt = CARELOG_PATIENT_INIT;
	pt.name = "Bench Child";
	pt.born = "2014-05-17";
	if (carelog_patient_add(ss->patient, ss->s, &pt) < 0)
		return fail("patient_add failed");
	ss->records++;
	return 0;
}

static int single_open(void **session, const char *dir)
{
	single_session *ss = calloc(1, sizeof(*ss));
	*session = ss;
	if (ss == NULL)
		return -1;
	if (store_new(&ss->s, bench_path(ss->store, dir, "carelog-single")) < 0)
		return -1;
	return add_patient(ss);
}

/* One durable dose, on the store that stays open. */
static int single_write(void *session, size_t i)
{
	single_session *ss = session;
	carelog_dose d = CARELOG_DOSE_INIT;
	(void)i;
	d.patient = ss->patient;
	d.drug = "sirolimus";
	d.amount = 1.5;
	d.unit = "mg";
	if (carelog_dose_log(ss->last, ss->s, &d) < 0)
		return fail("dose_log failed");
	ss->records++;
	return 0;
}

static double record_bytes(carelog_store *s, const char *id)
{
	carelog_record *r = NULL;
	double n;
	if (id[0] == '\0' || carelog_record_get(&r, s, id) < 0)
		return NAN;
	n = (double)strlen(carelog_record_json(r));
	carelog_record_free(r);
	return n;
}

static int single_close(void *session, bench_peer *p)
{
	single_session *ss = session;
	unsigned long long alloc, apparent;
	int rc = 0;
	if (ss == NULL)
		return -1;
	if (ss->s)
		p->row_bytes = record_bytes(ss->s, ss->last);
	carelog_store_free(ss->s);
	if (ss->records && (rc = bench_disk_usage(ss->store, &alloc, &apparent)) == 0) {
		p->single_records = (double)ss->records;
		p->single_alloc_b = (double)alloc / p->single_records;
		p->single_apparent_b = (double)apparent / p->single_records;
	}
	free(ss);
	return rc;
}

const bench_single_ops carelog_single_ops = { "carelog", single_open, single_write, single_close };
