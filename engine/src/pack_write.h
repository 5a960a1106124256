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
/* The same in the order given, with deltas as carelog__pack_write_objs
 * makes them (an import's last pack). */
int carelog__pack_write_ids_deltas(carelog__chart *c, const git_oid *ids, size_t n);

/* An object to write: its id (already computed), type and bytes. */
typedef struct {
	git_oid id;
	git_object_t type;
	const unsigned char *data;
	size_t len;
} carelog__pack_obj;

/* Writes objs, in this order, as one pack and its v2 index into
 * <chart_dir>/objects/pack, as durably as carelog__pack_write_ids (which
 * uses it), with no libgit2 call. An id that repeats is written once. With
 * `deltas`, each blob and each tree is stored, where that is under half
 * its size, as a delta (OFS_DELTA) against one of the last 4 objects of
 * its type stored whole, never against a delta: the records of an import
 * are alike (the same keys, patient, author and device).
 * zlevel: zlib's level. 0, or a carelog error (nothing visible is left
 * behind). */
int carelog__pack_write_objs(const char *chart_dir, const carelog__pack_obj *objs, size_t n, int deltas, int zlevel);

#endif
