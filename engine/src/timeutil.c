/*
 * timeutil.c - RFC 3339 parsing and formatting with plain integer calendar
 * arithmetic (Howard Hinnant's days_from_civil), so results never depend on
 * the TZ environment of the process embedding the library.
 */
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "carelog/common.h"
#include "error.h"

int64_t carelog__days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void carelog__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Reads exactly n digits at p; returns -1 if any is not a digit. */
static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int parse_date_part(int64_t *days, const char *p)
{
	int y = digits(p, 4), m, d;
	if (y < 0 || p[4] != '-')
		return -1;
	m = digits(p + 5, 2);
	if (m < 1 || m > 12 || p[7] != '-')
		return -1;
	d = digits(p + 8, 2);
	if (d < 1 || d > days_in_month(y, (unsigned)m))
		return -1;
	if (y < 1900 || y > 2999)
		return -1;
	*days = carelog__days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int carelog__date_parse(int64_t *days, const char *text, const char *what)
{
	if (text == NULL || strlen(text) != 10 || parse_date_part(days, text) < 0)
		return carelog__fail(CARELOG_EINVALID,
			"%s '%s' is not a date of the form YYYY-MM-DD (years 1900-2999)",
			what, text ? text : "(null)");
	return 0;
}

int carelog__time_parse(int64_t *ms, const char *text, const char *what)
{
	int64_t days;
	const char *p = text;
	int hh, mi, ss, frac = 0, sign = 0, oh = 0, om = 0;

	if (text == NULL || strlen(text) < 20 || strlen(text) > 40)
		goto bad;
	if (parse_date_part(&days, p) < 0)
		goto bad;
	p += 10;
	if (*p != 'T' && *p != 't')
		goto bad;
	p++;
	hh = digits(p, 2);
	mi = digits(p + 3, 2);
	ss = digits(p + 6, 2);
	if (hh < 0 || hh > 23 || p[2] != ':' || mi < 0 || mi > 59 || p[5] != ':' || ss < 0 || ss > 59)
		goto bad;
	p += 8;
	if (*p == '.') {
		int n = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			goto bad;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		oh = digits(p + 1, 2);
		om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || p[3] != ':' || om < 0 || om > 59)
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	*ms = ((days * 86400 + hh * 3600 + mi * 60 + ss) - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
bad:
	return carelog__fail(CARELOG_EINVALID,
		"%s '%s' is not an RFC 3339 time (e.g. 2026-11-25T08:00:00Z or 2026-11-25T09:00:00+01:00)",
		what, text ? text : "(null)");
}

void carelog__time_format(char out[CARELOG__TIME_BUFSIZE], int64_t ms)
{
	int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	unsigned msec = (unsigned)(ms - secs * 1000) % 1000u;
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	unsigned rem = (unsigned)(secs - days * 86400) % 86400u, m, d;
	int64_t y;
	carelog__civil_from_days(days, &y, &m, &d);
	/* the modulos bound every field for the compiler; real values are in range */
	unsigned yy = (unsigned)(y < 0 ? 0 : y) % 10000u, hh = rem / 3600u % 24u, mi = rem / 60u % 60u, ss = rem % 60u;
	if (msec)
		snprintf(out, CARELOG__TIME_BUFSIZE, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", yy, m % 13u, d % 32u, hh, mi, ss, msec);
	else
		snprintf(out, CARELOG__TIME_BUFSIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ", yy, m % 13u, d % 32u, hh, mi, ss);
}

void carelog__date_format(char out[CARELOG__DATE_BUFSIZE], int64_t days)
{
	int64_t y;
	unsigned m, d;
	carelog__civil_from_days(days, &y, &m, &d);
	snprintf(out, CARELOG__DATE_BUFSIZE, "%04u-%02u-%02u", (unsigned)(y < 0 ? 0 : y) % 10000u, m % 13u, d % 32u);
}

int64_t carelog__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
