/*
 * hlc.h - hybrid logical clock stamps: a wall time in ms and a counter,
 * written "2026-11-25T16:45:52.123Z-0000" (fixed width, so that string order
 * is clock order). Ties between equal stamps are broken by device id, which
 * records carry in their own field.
 */
#ifndef CARELOG_HLC_H
#define CARELOG_HLC_H

#include <stdint.h>

#define CARELOG__HLC_BUFSIZE 40

/* How far ahead of this device's wall clock a stamp seen in a chart may be
 * and still be adopted as the chart's clock (index.c): further ahead, the
 * writer's clock was wrong, and following it would make this device's own
 * stamps wrong too. A record's own previous version is always followed, so
 * edits of one record stay in order. */
#define CARELOG__HLC_MAX_LEAD_MS (5 * 60 * 1000)

typedef struct {
	int64_t ms;
	uint32_t counter;
} carelog__hlc;

/* Parses a stamp. Returns 0 or CARELOG_EINVALID. */
int carelog__hlc_parse(carelog__hlc *out, const char *text);

/* Formats a stamp. */
void carelog__hlc_format(char out[CARELOG__HLC_BUFSIZE], const carelog__hlc *h);

/* Folds an observed stamp (from a record read or received) into `clock`. */
void carelog__hlc_observe(carelog__hlc *clock, const carelog__hlc *seen);

/* Advances `clock` for a new local event at wall time `now_ms` and returns
 * the new stamp: later than every stamp observed so far even if the wall
 * clock went backwards. */
carelog__hlc carelog__hlc_tick(carelog__hlc *clock, int64_t now_ms);

/* <0, 0, >0 as a is before, equal to or after b. */
int carelog__hlc_cmp(const carelog__hlc *a, const carelog__hlc *b);

#endif
