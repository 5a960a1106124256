/*
 * tz.c - IANA time zones from the TZif files of the system's tzdata
 * (RFC 8536): the transition table, and the POSIX TZ rule of the file's
 * footer for instants after the table (zic's "slim" files hold only the
 * footer rule for recent years).
 *
 * Why not localtime_r/mktime: they read the zone from the process-global TZ
 * variable, so a library would have to setenv("TZ")+tzset() around each call,
 * which races with every other thread of the embedding app and changes its
 * local time under it. glibc has no per-zone API (NetBSD's tzalloc and
 * localtime_rz are not in glibc), and ICU would bring a second, possibly
 * different, copy of the zone data and a large C++ runtime for two small
 * functions. The files are the same ones record_schema.c checks a patient's
 * timezone against, so the zone validated is the zone computed with.
 */
#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carelog/common.h"
#include "error.h"
#include "timeutil.h"

#define MAX_TZIF (1024 * 1024)

/* One end of a daylight-saving period, as a POSIX TZ rule gives it. */
typedef struct {
	char kind;     /* 'M' (month.week.weekday), 'J' (1-365, no Feb 29), 'n' (0-365) */
	int m, w, d;   /* 'M': month 1-12, week 1-5 (5 = last), weekday 0-6 (0 = Sunday) */
	int day;       /* 'J' and 'n' */
	int32_t time;  /* local seconds after midnight (may be negative or > 24 h) */
} tz_when;

typedef struct {
	int32_t std_off, dst_off; /* seconds east of UTC */
	int has_dst;
	tz_when start, end;
} tz_rule;

struct carelog__tz {
	int64_t *trans;     /* transition instants, UTC seconds, increasing */
	unsigned char *idx; /* type index in force from each transition */
	size_t n;
	int32_t *offs;      /* utoff of each type */
	size_t ntypes;
	int has_rule;
	tz_rule rule;
};

void carelog__tz_free(carelog__tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

static int64_t be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* ---- POSIX TZ strings (the footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3" ---- */

static const char *skip_name(const char *p)
{
	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		return *p == '>' ? p + 1 : NULL;
	}
	const char *s = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds. */
static const char *parse_hms(const char *p, int32_t *out)
{
	int sign = 1, h = 0, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		h = h * 10 + (*p++ - '0');
	if (*p == ':') {
		p++;
		while (*p >= '0' && *p <= '9')
			m = m * 10 + (*p++ - '0');
		if (*p == ':') {
			p++;
			while (*p >= '0' && *p <= '9')
				s = s * 10 + (*p++ - '0');
		}
	}
	if (h > 167 || m > 59 || s > 59)
		return NULL;
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *parse_when(const char *p, tz_when *w)
{
	int a = 0, b = 0, c = 0;
	w->time = 7200;
	if (*p == 'M') {
		if (sscanf(p + 1, "%d.%d.%d", &a, &b, &c) != 3 || a < 1 || a > 12 || b < 1 || b > 5 || c < 0 || c > 6)
			return NULL;
		w->kind = 'M';
		w->m = a;
		w->w = b;
		w->d = c;
		p++;
		while ((*p >= '0' && *p <= '9') || *p == '.')
			p++;
	} else {
		w->kind = *p == 'J' ? 'J' : 'n';
		if (*p == 'J')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			a = a * 10 + (*p++ - '0');
		if (a > 365 || (w->kind == 'J' && a < 1))
			return NULL;
		w->day = a;
	}
	if (*p == '/')
		p = parse_hms(p + 1, &w->time);
	return p;
}

/* Parses the footer rule. POSIX offsets count west of UTC, hence the signs. */
static int parse_rule(tz_rule *r, const char *p)
{
	int32_t off;
	memset(r, 0, sizeof(*r));
	if ((p = skip_name(p)) == NULL || (p = parse_hms(p, &off)) == NULL)
		return -1;
	r->std_off = -off;
	if (*p == '\0')
		return 0;
	if ((p = skip_name(p)) == NULL)
		return -1;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = parse_hms(p, &off)) == NULL)
			return -1;
		r->dst_off = -off;
	}
	if (*p != ',') /* no rule given: POSIX leaves it to the implementation; use none */
		return *p == '\0' ? 0 : -1;
	if ((p = parse_when(p + 1, &r->start)) == NULL || *p != ',' || (p = parse_when(p + 1, &r->end)) == NULL)
		return -1;
	r->has_dst = 1;
	return *p == '\0' ? 0 : -1;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local second (since the epoch) at which `w` falls in year y. */
static int64_t when_local(const tz_when *w, int64_t y)
{
	int64_t day;
	if (w->kind == 'M') {
		static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int64_t first = carelog__days_from_civil(y, (unsigned)w->m, 1);
		int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int len = dim[w->m - 1] + (w->m == 2 && is_leap(y));
		day = (w->d - wd + 7) % 7 + 7 * (w->w - 1);
		while (day >= len)
			day -= 7;
		day += first;
	} else if (w->kind == 'J') {
		day = carelog__days_from_civil(y, 1, 1) + w->day - 1 + (is_leap(y) && w->day >= 60);
	} else {
		day = carelog__days_from_civil(y, 1, 1) + w->day;
	}
	return day * 86400 + w->time;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int32_t rule_offset(const tz_rule *r, int64_t t)
{
	int64_t y, start, end;
	unsigned m, d;
	if (!r->has_dst)
		return r->std_off;
	carelog__civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	start = when_local(&r->start, y) - r->std_off;
	end = when_local(&r->end, y) - r->dst_off;
	if (start < end)
		return t >= start && t < end ? r->dst_off : r->std_off;
	return t >= end && t < start ? r->std_off : r->dst_off; /* southern hemisphere */
}

/* ---- TZif ---------------------------------------------------------------- */

typedef struct {
	int64_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static int read_counts(tzif_counts *c, const unsigned char *h, size_t len)
{
	if (len < 44 || memcmp(h, "TZif", 4) != 0)
		return -1;
	c->isut = be(h + 20, 4);
	c->isstd = be(h + 24, 4);
	c->leap = be(h + 28, 4);
	c->time = be(h + 32, 4);
	c->type = be(h + 36, 4);
	c->chars = be(h + 40, 4);
	if (c->isut < 0 || c->isstd < 0 || c->leap < 0 || c->time < 0 || c->type < 1 || c->type > 256 || c->chars < 0)
		return -1;
	return 0;
}

static size_t block_size(const tzif_counts *c, int tbytes)
{
	return (size_t)(c->time * tbytes + c->time + c->type * 6 + c->chars + c->leap * (tbytes + 4) + c->isstd + c->isut);
}

static int parse_tzif(carelog__tz *tz, const unsigned char *buf, size_t len)
{
	tzif_counts c;
	const unsigned char *p = buf;
	int tbytes = 4;

	if (read_counts(&c, p, len) < 0 || 44 + block_size(&c, 4) > len)
		return -1;
	if (buf[4] >= '2') {
		/* skip the 32-bit block: the 64-bit one follows with its own header */
		p = buf + 44 + block_size(&c, 4);
		if (read_counts(&c, p, len - (size_t)(p - buf)) < 0 ||
		    (size_t)(p - buf) + 44 + block_size(&c, 8) > len)
			return -1;
		tbytes = 8;
	}
	p += 44;
	tz->n = (size_t)c.time;
	tz->ntypes = (size_t)c.type;
	tz->trans = calloc(tz->n + 1, sizeof(*tz->trans));
	tz->idx = calloc(tz->n + 1, 1);
	tz->offs = calloc(tz->ntypes, sizeof(*tz->offs));
	if (!tz->trans || !tz->idx || !tz->offs)
		return -2;
	for (size_t i = 0; i < tz->n; i++)
		tz->trans[i] = be(p + i * (size_t)tbytes, tbytes);
	p += tz->n * (size_t)tbytes;
	for (size_t i = 0; i < tz->n; i++) {
		tz->idx[i] = p[i];
		if (p[i] >= tz->ntypes)
			return -1;
	}
	p += tz->n;
	for (size_t i = 0; i < tz->ntypes; i++)
		tz->offs[i] = (int32_t)be(p + i * 6, 4);
	p += tz->ntypes * 6 + (size_t)c.chars + (size_t)c.leap * (size_t)(tbytes + 4) + (size_t)c.isstd + (size_t)c.isut;
	if (tbytes == 8 && (size_t)(p - buf) < len && *p == '\n') {
		const unsigned char *nl = memchr(p + 1, '\n', len - (size_t)(p - buf) - 1);
		if (nl && nl > p + 1) {
			char footer[128];
			size_t flen = (size_t)(nl - p - 1);
			if (flen < sizeof(footer)) {
				memcpy(footer, p + 1, flen);
				footer[flen] = '\0';
				tz->has_rule = parse_rule(&tz->rule, footer) == 0;
			}
		}
	}
	return 0;
}

static int name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '/' && strstr(name, "..") == NULL && strlen(name) <= 64 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+/-") == strlen(name);
}

int carelog__tz_load(carelog__tz **out, const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[4200];
	unsigned char *buf = NULL;
	size_t len = 0;
	carelog__tz *tz;
	FILE *f;
	int rc;

	*out = NULL;
	if (name == NULL || !name_ok(name))
		return carelog__fail(CARELOG_EINVALID, "timezone '%.64s' is not a time zone name like Europe/Paris",
			name ? name : "(null)");
	if ((tz = calloc(1, sizeof(*tz))) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (strcmp(name, "UTC") == 0) {
		if ((tz->offs = calloc(1, sizeof(*tz->offs))) == NULL) {
			free(tz);
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		}
		tz->ntypes = 1;
		*out = tz;
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	if ((f = fopen(path, "rb")) == NULL) {
		carelog__tz_free(tz);
		return carelog__fail(errno == ENOENT ? CARELOG_ENOTFOUND : CARELOG_EIO,
			"time zone %s cannot be read (%s): %s", name, path, strerror(errno));
	}
	if ((buf = malloc(MAX_TZIF)) != NULL)
		len = fread(buf, 1, MAX_TZIF, f);
	fclose(f);
	rc = buf == NULL ? -2 : parse_tzif(tz, buf, len);
	free(buf);
	if (rc < 0) {
		carelog__tz_free(tz);
		return rc == -2 ? carelog__fail(CARELOG_ENOMEM, "out of memory")
				: carelog__fail(CARELOG_ECORRUPT, "time zone file %s is not a TZif file", path);
	}
	*out = tz;
	return 0;
}

int32_t carelog__tz_offset(const carelog__tz *tz, int64_t t)
{
	size_t lo = 0, hi;
	if (tz->n == 0 || t >= tz->trans[tz->n - 1]) {
		if (tz->has_rule)
			return rule_offset(&tz->rule, t);
		return tz->n ? tz->offs[tz->idx[tz->n - 1]] : tz->offs[0];
	}
	if (t < tz->trans[0])
		return tz->offs[0];
	hi = tz->n - 1; /* invariant: trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

int64_t carelog__tz_to_utc(const carelog__tz *tz, int64_t local)
{
	/* the offsets a day either side; no zone changes twice within a day */
	int32_t before = carelog__tz_offset(tz, local - 86400), after = carelog__tz_offset(tz, local + 86400);
	int64_t a = local - before, b = local - after;
	int a_ok = carelog__tz_offset(tz, a) == before, b_ok = carelog__tz_offset(tz, b) == after;
	if (a_ok && b_ok)
		return a < b ? a : b;
	if (b_ok)
		return b;
	return a; /* valid, or in a gap: the offset before it moves the time forward */
}

int64_t carelog__tz_local_day(const carelog__tz *tz, int64_t ms)
{
	int64_t t = floor_div(ms, 1000);
	return floor_div(t + carelog__tz_offset(tz, t), 86400);
}

int64_t carelog__tz_day_start(const carelog__tz *tz, int64_t day)
{
	return carelog__tz_to_utc(tz, day * 86400) * 1000;
}
