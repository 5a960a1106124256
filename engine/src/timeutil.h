/*
 * timeutil.h - RFC 3339 times and calendar dates, as milliseconds or days
 * since 1970-01-01 UTC, computed without the process time zone.
 */
#ifndef CARELOG_TIMEUTIL_H
#define CARELOG_TIMEUTIL_H

#include <stdint.h>
#include <stddef.h>

/* "YYYY-MM-DDTHH:MM:SSZ" or with ".mmm" before the Z, plus NUL. */
#define CARELOG__TIME_BUFSIZE 32

/* Parses an RFC 3339 date-time (with 'Z' or a +hh:mm/-hh:mm offset;
 * fractions beyond milliseconds are truncated) into *ms since the epoch, UTC.
 * Returns 0, or CARELOG_EINVALID with a message naming `what` and the text. */
int carelog__time_parse(int64_t *ms, const char *text, const char *what);

/* Formats `ms` as canonical UTC RFC 3339: seconds precision, with ".mmm"
 * only when the milliseconds are not zero. */
void carelog__time_format(char out[CARELOG__TIME_BUFSIZE], int64_t ms);

/* Parses "YYYY-MM-DD" into *days since the epoch. Returns 0 or CARELOG_EINVALID. */
int carelog__date_parse(int64_t *days, const char *text, const char *what);

/* Formats days since the epoch as "YYYY-MM-DD". */
#define CARELOG__DATE_BUFSIZE 16
void carelog__date_format(char out[CARELOG__DATE_BUFSIZE], int64_t days);

/* Days since the epoch of a civil date (proleptic Gregorian). */
int64_t carelog__days_from_civil(int64_t y, unsigned m, unsigned d);

/* The civil date of a day number. */
void carelog__civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The current wall-clock time in ms since the epoch. */
int64_t carelog__now_ms(void);

#endif
