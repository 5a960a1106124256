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

/* The same against a base indexed once (a base many targets are tried
 * against): carelog__delta_index_new indexes `base` (kept by pointer: it
 * must outlive the index); 0, 1 for a base too large, or CARELOG_ENOMEM.
 * Free with carelog__delta_index_free (NULL does nothing). */
typedef struct carelog__delta_index carelog__delta_index;
int carelog__delta_index_new(carelog__delta_index **out, const unsigned char *base, size_t nbase);
void carelog__delta_index_free(carelog__delta_index *x);
int carelog__delta_encode_with(unsigned char **out, size_t *outlen, const carelog__delta_index *x,
	const unsigned char *target, size_t ntarget, size_t max);

#endif
