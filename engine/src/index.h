/*
 * index.h - the SQLite index (carelog.db): derived from the chart heads,
 * remembered per chart as the head it has indexed. Deleting it loses
 * nothing: it is rebuilt from the charts.
 */
#ifndef CARELOG_INDEX_H
#define CARELOG_INDEX_H

#include <git2.h>
#include <jansson.h>

#include "store_internal.h"

/* Opens (creating or rebuilding when its schema is older) s->db. */
int carelog__index_open(carelog_store *s);
/* Finalizes statements and closes s->db. */
void carelog__index_close(carelog_store *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int carelog__index_begin(carelog_store *s);
int carelog__index_commit(carelog_store *s);
void carelog__index_rollback(carelog_store *s);

/* The head the index has for a chart: 0 and *out set, or CARELOG_ENOTFOUND
 * when the chart was never indexed. */
int carelog__index_head(git_oid *out, carelog_store *s, const char *patient);
int carelog__index_set_head(carelog_store *s, const char *patient, const git_oid *head);

/* Inserts or replaces one record version: `rec` its parsed form, `text` its
 * canonical JSON (no newline), `blob` the git blob holding it. */
int carelog__index_put(carelog_store *s, json_t *rec, const char *text, const git_oid *blob);
/* The same with `text` given as `len` bytes, not NUL-terminated (a blob's
 * content read in place). */
int carelog__index_put_text(carelog_store *s, json_t *rec, const char *text, size_t len, const git_oid *blob);
/* Removes a record (a path that disappeared from a chart). */
int carelog__index_delete(carelog_store *s, const char *id);

/* The current canonical JSON of a record (malloc'd; free()) and its patient
 * and kind, or CARELOG_ENOTFOUND. Any out pointer may be NULL. */
int carelog__index_lookup(char **json, char patient[CARELOG_ID_BUFSIZE], char kind[32],
	carelog_store *s, const char *id);

/* The latest hlc stamp among a chart's records ("" if none), leaving out
 * stamps more than CARELOG__HLC_MAX_LEAD_MS ahead of this device's clock. */
int carelog__index_max_hlc(char out[64], carelog_store *s, const char *patient);
/* *ahead = 1 if a record of the chart is stamped after bound_ms (any
 * counter), else 0. */
int carelog__index_has_ahead(int *ahead, carelog_store *s, const char *patient, int64_t bound_ms);
/* Whether the chart has records written by a device other than `device`
 * (*any) and whether one of them is stamped after bound_ms (*ahead). */
int carelog__index_others(int *any, int *ahead, carelog_store *s, const char *patient, const char *device,
	int64_t bound_ms);



/* Brings the index up to date with the chart's head: diffs the indexed
 * head's tree with the current one and applies the changed records in one
 * transaction (index_catchup.c). Cost is proportional to what changed. */
struct carelog__chart;
int carelog__index_catchup(carelog_store *s, struct carelog__chart *c);

/* Catches up every chart of the store. */
int carelog__index_catchup_all(carelog_store *s);
#endif
