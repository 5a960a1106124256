/*
 * pack_write.h - one write's new objects as one pack and its index (see
 * pack_write.c for the format and the order of the fsyncs).
 */
#ifndef CARELOG_PACK_WRITE_H
#define CARELOG_PACK_WRITE_H

#include <git2.h>

#include "store_internal.h"

/* Writes the objects `ids` (n of them, duplicates allowed; each readable
 * through the chart's odb, its mempack included) as one pack and its v2
 * index into the chart's objects/pack, fsynced with the directory. 0, or a
 * carelog error (nothing visible is left behind on failure). */
int carelog__pack_write_ids(carelog__chart *c, const git_oid *ids, size_t n);

#endif
