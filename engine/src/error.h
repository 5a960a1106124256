/*
 * error.h - setting the per-thread last error (carelog_error_last) and
 * copying it into a store handle.
 */
#ifndef CARELOG_ERROR_INTERNAL_H
#define CARELOG_ERROR_INTERNAL_H

#include "carelog/common.h"

#if defined(__GNUC__)
#define CARELOG__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CARELOG__PRINTF(a, b)
#endif

/* Sets the calling thread's last error and returns `code`, so that callers
 * can write `return carelog__fail(CARELOG_EINVALID, "...", ...);`. */
int carelog__fail(int code, const char *fmt, ...) CARELOG__PRINTF(2, 3);

/* Prefixes the current last error message with "<prefix>: ", keeping its code;
 * returns the code. Used to add context (a line number, a field). */
int carelog__fail_prefix(const char *fmt, ...) CARELOG__PRINTF(1, 2);

/* The code of the calling thread's last error. */
int carelog__last_code(void);

#endif
