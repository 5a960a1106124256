/*
 * record_id.h - record ids: 128-bit, time-ordered (UUID version 7 layout),
 * lower-case "xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx". An id names a file
 * in a chart, so any id from outside is checked against this exact form
 * before it touches a path.
 */
#ifndef CARELOG_RECORD_ID_H
#define CARELOG_RECORD_ID_H

#include <stdint.h>

#include "carelog/common.h"

/* Generates a new id whose time part is `ms` (the record's time, so that a
 * chart's month folders follow when things happened). Returns 0 or
 * CARELOG_EIO if the system gave no randomness. */
int carelog__id_generate(char out[CARELOG_ID_BUFSIZE], int64_t ms);

/* Non-zero if `id` has exactly the generated form. */
int carelog__id_valid(const char *id);

/* As carelog__id_valid, setting CARELOG_EINVALID with a message naming `what`. */
int carelog__id_check(const char *id, const char *what);

/* The time part of a valid id, in ms since the epoch. */
int64_t carelog__id_ms(const char *id);

/* The path of a record in its chart's tree: "<kind>/<YYYY>/<MM>/<id>.json",
 * the month taken from the id so that it never changes across versions. A
 * year level keeps the trees a write rewrites small: with one directory per
 * month under the kind, a kind of a 100,000-record chart held 643 entries
 * (22 KB, rewritten by every write), and an incremental sync of the sync
 * bench took 12.6-13.1 s and peaked at 94.6 MB against 9.2-9.4 s and 68 MB
 * (bytes on the wire 5.89 MB against 5.57: one more tree per commit).
 * `out` must hold at least 64 bytes. */
void carelog__record_path(char *out, size_t outsz, const char *kind, const char *id);

/* Non-zero if `path` is the path of a record of a known kind
 * ("<kind>/<YYYY>/<MM>/<id>.json", the month of the id); copies the id. */
int carelog__record_path_id(char id[CARELOG_ID_BUFSIZE], const char *path);

/* Non-zero if `path` is a conflict file, "conflicts/<id>/<40 hex>.json"
 * (a losing version of record <id>, named after its blob); copies the id. */
int carelog__conflict_path_id(char id[CARELOG_ID_BUFSIZE], const char *path);

#endif
