/*
 * delta.h - git's delta encoding (delta.c).
 */
#ifndef CARELOG_DELTA_H
#define CARELOG_DELTA_H

#include <stddef.h>

/* git's delta of `target` against `base` (gitformat-pack(5)). 0 and *out
 * (malloc'd, free it) of *outlen bytes, at most `max`; 1 when the delta
 * would be longer than `max` (nothing allocated); or CARELOG_ENOMEM (no
 * error message set). */
int carelog__delta_encode(unsigned char **out, size_t *outlen, const unsigned char *base, size_t nbase,
	const unsigned char *target, size_t ntarget, size_t max);

#endif
