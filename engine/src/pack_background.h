/*
 * pack_background.h - writing the objects an import holds back as one pack
 * with deltas on a thread of its own, while the import goes on staging the
 * next commits (pack_background.c).
 */
#ifndef CARELOG_PACK_BACKGROUND_H
#define CARELOG_PACK_BACKGROUND_H

#include <git2.h>

#include "store_internal.h"

typedef struct carelog__bg_pack carelog__bg_pack;

/*
 * Copies the objects `ids` out of `odb` (they must all be readable: the
 * chart's `mempack` holds them), empties `mempack` but for the trees and
 * commits among them (the next commits build on those until the pack is in
 * place), and starts a thread that writes the objects as one pack with
 * deltas into the chart at `dir`, through a repository handle of its own:
 * nothing of the caller's libgit2 objects is shared with it. *out receives
 * the job; carelog__bg_pack_finish joins and frees it. 0, or a carelog
 * error: nothing started, and `mempack` may have lost objects, so the batch
 * they belong to must be given up.
 */
int carelog__bg_pack_start(carelog__bg_pack **out, const char *dir, git_odb *odb, git_odb_backend *mempack,
	const git_oid *ids, size_t n);

/*
 * Waits for the job, frees it and returns how it ended: 0 once the pack and
 * its index are in place and fsynced, else the job's error as a carelog
 * error of this thread. NULL is a job that finished long ago: 0.
 */
int carelog__bg_pack_finish(carelog__bg_pack *job);

/* Waits for the job and frees it, its result ignored and the thread's last
 * error left as it was (a batch given up: its error is the one to report).
 * NULL does nothing. */
void carelog__bg_pack_abandon(carelog__bg_pack *job);

#endif
