/*
 * tz.h - IANA time zones read from the system's TZif files, without the
 * process-global TZ state of localtime/mktime: a loaded zone is a plain
 * value that any thread may use, and nothing in the process changes.
 */
#ifndef CARELOG_TZ_H
#define CARELOG_TZ_H

#include <stdint.h>

typedef struct carelog__tz carelog__tz;

/* Loads zone `name` ("UTC", or a file below $TZDIR, else /usr/share/zoneinfo).
 * Returns 0; CARELOG_EINVALID for a bad name; CARELOG_ENOTFOUND when no such
 * zone exists; CARELOG_ECORRUPT for a file that is not TZif; CARELOG_ENOMEM. */
int carelog__tz_load(carelog__tz **out, const char *name);

/* Frees a zone; NULL does nothing. */
void carelog__tz_free(carelog__tz *tz);

/* The zone's offset from UTC, in seconds, at UTC second `t`. */
int32_t carelog__tz_offset(const carelog__tz *tz, int64_t t);

/* The UTC second of local wall-clock second `local` (seconds since
 * 1970-01-01T00:00 local). A wall time that occurs twice (clocks going back)
 * is its first occurrence; one that does not exist (clocks going forward)
 * is moved forward by the gap (02:30 on a spring-forward night is 03:30). */
int64_t carelog__tz_to_utc(const carelog__tz *tz, int64_t local);

/* The local calendar day (days since 1970-01-01) of UTC ms `ms`. */
int64_t carelog__tz_local_day(const carelog__tz *tz, int64_t ms);

/* The UTC ms of local midnight starting local day `day`. */
int64_t carelog__tz_day_start(const carelog__tz *tz, int64_t day);

#endif
