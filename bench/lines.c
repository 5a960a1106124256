/*
 * lines.c - the bulk input (JSON lines for carelog_import), made by the
 * carelog-fixtures program when it is there, else here: one patient, one
 * medication plan, then doses, symptoms, measurements and notes every ~12
 * minutes from 2022-01-01, deterministic for a seed. Also the peers' view
 * of a line (a few string fields) and the single-write row.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define START_MS INT64_C(1640995200000) /* 2022-01-01T00:00:00Z */
#define STEP_MS (12 * 60 * 1000)

typedef struct {
	uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double rng_uniform(rng *r, double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng_next(r) >> 11) / 9007199254740992.0);
}

static unsigned rng_below(rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

/* A UUIDv7 id for time ms, as carelog makes them. */
static void make_id(char out[40], int64_t ms, rng *r)
{
	uint64_t a = rng_next(r), b = rng_next(r);
	uint64_t t = (uint64_t)ms;
	snprintf(out, 40, "%08" PRIx64 "-%04" PRIx64 "-7%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
		(t >> 16) & 0xffffffffu, t & 0xffffu, a & 0xfffu,
		(uint64_t)0x8000u | ((a >> 12) & 0x3fffu), b & UINT64_C(0xffffffffffff));
}

static void make_time(char out[32], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *const symptoms[] = { "fever", "fatigue", "bruising", "petechiae", "rash",
	"night-sweats", "abdominal-pain", "swollen-nodes", "pain" };
static const char *const notes[] = {
	"Slept badly, woke twice with night sweats; gave the dose with breakfast as usual.",
	"Nodes in the neck feel a little bigger today, no fever. Will mention it at the clinic.",
	"Good day at school, ate well, no complaints. Bruise on the shin from football.",
	"Refused the first spoonful, took it mixed with apple juice ten minutes later.",
};

typedef struct {
	const char *code;
	double lo, hi;
} measure;

static const measure measures[] = {
	{ "platelets", 20, 400 }, { "hemoglobin", 8, 15 }, { "temperature", 36, 40 },
	{ "weight", 20, 30 }, { "sirolimus-trough", 3, 15 },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One record of the chart's daily life, after the patient and the plan. */
static void daily_line(FILE *f, rng *r, const char *patient, const char *plan, int64_t ms)
{
	char id[40], t[32];
	unsigned pick = rng_below(r, 100);
	make_id(id, ms, r);
	make_time(t, ms);
	fprintf(f, "{\"kind\":\"%s\",\"id\":\"%s\",\"patient\":\"%s\",\"time\":\"%s\",",
		pick < 55 ? "dose" : pick < 70 ? "symptom" : pick < 90 ? "measurement" : "note", id, patient, t);
	if (pick < 55) {
		fprintf(f, "\"drug\":\"sirolimus\",\"amount\":%.1f,\"unit\":\"mg\",\"outcome\":\"%s\",\"plan\":\"%s\"}\n",
			rng_uniform(r, 1.0, 2.5), rng_below(r, 20) ? "given" : "missed", plan);
	} else if (pick < 70) {
		fprintf(f, "\"code\":\"%s\",\"severity\":%u,\"note\":\"%s\"}\n", symptoms[rng_below(r, COUNT(symptoms))],
			rng_below(r, 11), notes[rng_below(r, COUNT(notes))]);
	} else if (pick < 90) {
		const measure *m = &measures[rng_below(r, COUNT(measures))];
		fprintf(f, "\"code\":\"%s\",\"value\":%.1f}\n", m->code, rng_uniform(r, m->lo, m->hi));
	} else {
		fprintf(f, "\"text\":\"%s %s\"}\n", notes[rng_below(r, COUNT(notes))], notes[rng_below(r, COUNT(notes))]);
	}
}

static int generate(const char *path, size_t records, unsigned long seed)
{
	rng r = { (uint64_t)seed * UINT64_C(0x2545f4914f6cdd1d) + 1 };
	char patient[40], plan[40], t[32];
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	make_id(patient, START_MS - 86400000, &r);
	make_time(t, START_MS - 86400000);
	fprintf(f, "{\"kind\":\"patient\",\"id\":\"%s\",\"time\":\"%s\",\"name\":\"Bench Child %lu\","
		"\"born\":\"2014-05-17\",\"weight_kg\":24.5,\"asplenic\":false,\"timezone\":\"UTC\"}\n", patient, t, seed);
	make_id(plan, START_MS - 3600000, &r);
	make_time(t, START_MS - 3600000);
	fprintf(f, "{\"kind\":\"plan\",\"id\":\"%s\",\"patient\":\"%s\",\"time\":\"%s\",\"drug\":\"sirolimus\","
		"\"dose\":1.5,\"unit\":\"mg\",\"route\":\"oral\",\"times\":[\"08:00\",\"20:00\"],\"start\":\"2021-12-31\","
		"\"note\":\"Trough target 5-15 ng/mL.\"}\n", plan, patient, t);
	for (size_t i = 2; i < records; i++)
		daily_line(f, &r, patient, plan, START_MS + (int64_t)i * STEP_MS + (int64_t)rng_below(&r, 300000));
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int bench_is_blank(const char *line)
{
	for (; *line; line++)
		if (*line != ' ' && *line != '\t' && *line != '\r' && *line != '\n')
			return 0;
	return 1;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) >= 0)
		n += !bench_is_blank(line);
	free(line);
	fclose(f);
	return n;
}

static int run_fixtures(const bench_opts *o, const char *out)
{
	char seed[32], records[32];
	char *argv[] = { (char *)o->fixtures, "--seed", seed, "--records", records, "--patients", "1",
		"--out", (char *)out, NULL };
	snprintf(seed, sizeof(seed), "%lu", o->seed);
	snprintf(records, sizeof(records), "%zu", o->records);
	return bench_run(NULL, argv, NULL);
}

int bench_input_make(bench_input *in, const bench_opts *o, const char *dir)
{
	long n;
	bench_path(in->path, dir, "fixture.jsonl");
	if (o->fixtures) {
		bench_log("making %zu records with %s", o->records, o->fixtures);
		if (run_fixtures(o, in->path) == 0 && (n = count_lines(in->path)) > 0) {
			in->lines = (size_t)n;
			snprintf(in->source, sizeof(in->source), "carelog-fixtures --seed %lu", o->seed);
			return 0;
		}
		if (o->fixtures_given) {
			bench_log("%s failed (or wrote no lines)", o->fixtures);
			return -1;
		}
		bench_log("%s is not usable yet; making the lines in the bench instead", o->fixtures);
	}
	if (generate(in->path, o->records, o->seed) < 0 || (n = count_lines(in->path)) <= 0) {
		bench_log("cannot write %s", in->path);
		return -1;
	}
	in->lines = (size_t)n;
	snprintf(in->source, sizeof(in->source), "built-in generator, seed %lu", o->seed);
	return 0;
}

int bench_line_field(char *out, size_t outsz, const char *line, const char *key)
{
	char quoted[64];
	const char *p = line;
	size_t n = 0;
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	while ((p = strstr(p, quoted)) != NULL) {
		p += strlen(quoted);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != '"')
			return -1;
		for (p++; *p && *p != '"' && n + 1 < outsz; p++)
			out[n++] = *p;
		out[n] = '\0';
		return 0;
	}
	return -1;
}

void bench_dose_row(char *out, size_t outsz, size_t i)
{
	rng r = { (uint64_t)i + 7 };
	int64_t ms = START_MS + (int64_t)i * 1000;
	char id[40], patient[40], t[32];
	make_id(id, ms, &r);
	make_id(patient, START_MS, &r);
	make_time(t, ms);
	snprintf(out, outsz, "{\"amount\":1.5,\"author\":\"bench\",\"device\":\"bench-3f9c2a1b07d4\","
		"\"drug\":\"sirolimus\",\"hlc\":\"%.19s.000Z-0000\",\"id\":\"%s\",\"kind\":\"dose\",\"outcome\":\"given\","
		"\"patient\":\"%s\",\"status\":\"active\",\"time\":\"%s\",\"unit\":\"mg\"}", t, id, patient, t);
}
