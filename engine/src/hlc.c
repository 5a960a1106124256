/*
 * hlc.c - hybrid logical clocks (Kulkarni et al., 2014): the stamp follows the
 * wall clock while it moves forward and a counter orders events when it does
 * not, so a phone whose clock is wrong still orders its own writes.
 */
#include "hlc.h"

#include <stdio.h>
#include <string.h>

#include "carelog/common.h"
#include "error.h"
#include "timeutil.h"

#define HLC_COUNTER_MAX 0xffff

int carelog__hlc_parse(carelog__hlc *out, const char *text)
{
	char tbuf[CARELOG__TIME_BUFSIZE];
	const char *dash;
	unsigned long counter = 0;
	size_t n;

	if (text == NULL || (n = strlen(text)) != 29 || text[23] != 'Z' || text[24] != '-')
		goto bad;
	dash = text + 24;
	memcpy(tbuf, text, 24);
	tbuf[24] = '\0';
	for (int i = 1; i <= 4; i++) {
		char c = dash[i];
		int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
		if (v < 0)
			goto bad;
		counter = counter * 16 + (unsigned long)v;
	}
	if (carelog__time_parse(&out->ms, tbuf, "hlc") < 0)
		goto bad;
	out->counter = (uint32_t)counter;
	return 0;
bad:
	return carelog__fail(CARELOG_EINVALID,
		"hlc '%.60s' is not a clock stamp of the form 2026-11-25T16:45:52.123Z-0000",
		text ? text : "(null)");
}

void carelog__hlc_format(char out[CARELOG__HLC_BUFSIZE], const carelog__hlc *h)
{
	char t[CARELOG__TIME_BUFSIZE];
	int64_t secs = h->ms / 1000;
	carelog__time_format(t, secs * 1000);
	/* always print milliseconds so the stamp has a fixed width */
	t[19] = '\0';
	snprintf(out, CARELOG__HLC_BUFSIZE, "%.19s.%03dZ-%04x", t, (int)(h->ms - secs * 1000) % 1000,
		(unsigned)h->counter & 0xffff);
}

int carelog__hlc_cmp(const carelog__hlc *a, const carelog__hlc *b)
{
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	if (a->counter != b->counter)
		return a->counter < b->counter ? -1 : 1;
	return 0;
}

void carelog__hlc_observe(carelog__hlc *clock, const carelog__hlc *seen)
{
	if (carelog__hlc_cmp(seen, clock) > 0)
		*clock = *seen;
}

carelog__hlc carelog__hlc_tick(carelog__hlc *clock, int64_t now_ms)
{
	if (now_ms > clock->ms) {
		clock->ms = now_ms;
		clock->counter = 0;
	} else if (clock->counter >= HLC_COUNTER_MAX) {
		clock->ms++;
		clock->counter = 0;
	} else {
		clock->counter++;
	}
	return *clock;
}
