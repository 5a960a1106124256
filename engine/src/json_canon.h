/*
 * json_canon.h - parsing records and printing them in canonical form: keys
 * sorted, no insignificant whitespace, a number that is a whole number within
 * 2^53 printed as an integer, any other with 15 significant digits (so that
 * parse -> print -> parse -> print is stable and equal data hashes equally).
 */
#ifndef CARELOG_JSON_CANON_H
#define CARELOG_JSON_CANON_H

#include <jansson.h>

/* Parses `text` as one JSON object (duplicate keys rejected). Returns the
 * object (json_decref it) or NULL with CARELOG_EINVALID set, naming `what`,
 * the position and jansson's reason. */
json_t *carelog__json_parse_object(const char *text, const char *what);
/* The same for `len` bytes of `text` (no NUL needed: a blob read in place). */
json_t *carelog__json_parse_object_n(const char *text, size_t len, const char *what);

/* Rewrites every whole-number real in `v` (recursively) as an integer. */
void carelog__json_canonicalize(json_t *v);

/* Canonical text of `v` (after carelog__json_canonicalize); free() it.
 * NULL with CARELOG_ENOMEM set on failure. */
char *carelog__json_dump(json_t *v);

/* 1 if the canonical text of `v` is exactly `len` bytes of `text`, 0 if
 * not, CARELOG_ENOMEM (set) on failure. Compares as it prints: nothing is
 * allocated for the text. */
int carelog__json_is_dump_of(json_t *v, const char *text, size_t len);

/* Reads a number (integer or real) into *out; returns 0 if `v` is a number. */
int carelog__json_number(double *out, const json_t *v);

#endif
