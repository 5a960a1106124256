/*
 * journal.h - a chart's write-ahead journal: how a single write becomes
 * durable with one fdatasync instead of a pack, its index, the ref and
 * their directories (five fsyncs). See journal.c for the format and
 * docs/durability.md for the argument.
 *
 * A single write (carelog__chart_write) on a device's chart appends its
 * new objects (commit, trees, blobs) and the head it moves from and to as
 * one checksummed entry to <chart>.git/carelog-journal, fdatasyncs it and
 * is acknowledged. The chart's head is then the last entry's commit, for
 * this process and for any other carelog process (which loads the entries
 * it has not seen, checking every object's hash). Folding writes every
 * entry's objects as one pack, moves refs/heads/main to the journal's head
 * (merging, as sync does, when a git push moved it meanwhile) and empties
 * the journal. Every function here runs with the store lock held except
 * carelog__journal_refresh, which is safe without it.
 */
#ifndef CARELOG_JOURNAL_H
#define CARELOG_JOURNAL_H

#include <git2.h>

#include "store_internal.h"

/* A chart folds its journal once it holds this many entries or bytes. */
#define CARELOG__JOURNAL_FOLD_ENTRIES 128
#define CARELOG__JOURNAL_FOLD_BYTES (4u << 20)

/* Loads the entries other processes (or an earlier handle) appended since
 * the last call, their objects into the chart's journal backend. Entries of
 * an emptied journal are forgotten. Stops quietly at a torn or damaged
 * entry (a write that was never acknowledged). Reads the file once per
 * hold of the store lock: while the caller holds it, nobody else writes
 * the journal. 0, or a carelog error. */
int carelog__journal_refresh(carelog__chart *c);

/* Non-zero if the loaded journal has entries; *head receives the last
 * one's commit and *base the head the first one started from. */
int carelog__journal_head(git_oid *head, git_oid *base, const carelog__chart *c);

/* Appends one write: the objects `objs` (readable through the chart's odb)
 * moving the head from `base` (the current head: the ref, or the last
 * entry) to the commit `head`, and fdatasyncs. Once this returns 0 the
 * write is durable. Creates the journal file (and fsyncs the chart
 * directory) on first use. */
int carelog__journal_append(carelog__chart *c, const git_oid *base, const git_oid *head, const carelog__oids *objs);

/* The objects of every loaded entry (to be packed by a fold). */
const carelog__oids *carelog__journal_objects(const carelog__chart *c);

/* Non-zero when the journal should be folded (entries or bytes). */
int carelog__journal_full(const carelog__chart *c);

/* Empties the journal (its objects are packed and the ref holds its head):
 * a new generation, so that entries of the old one never count again. */
int carelog__journal_clear(carelog__chart *c);

/* Forgets what was loaded (the chart's odb, and with it the journal
 * backend, was reopened); the next refresh loads every entry again. */
void carelog__journal_forget(carelog__chart *c);

/* Closes the journal file and frees what was loaded. */
void carelog__journal_close(carelog__chart *c);

#endif
