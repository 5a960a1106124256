/*
 * write_internal.h - the write pipeline's entry points for the engine's
 * other modules (typed writers, amend/void, import, sync).
 */
#ifndef CARELOG_WRITE_INTERNAL_H
#define CARELOG_WRITE_INTERNAL_H

#include <jansson.h>

#include "carelog/write.h"

/* A batch. deferred = 1: carelog_batch_commit only stages commits (objects
 * written, refs untouched, index rows in one open transaction) until
 * carelog__batch_finish publishes them all, or carelog__batch_abort (or
 * freeing the batch) drops them; the caller holds the store lock
 * throughout. */
int carelog__batch_new(carelog_batch **out, carelog_store *s, int deferred);
int carelog__batch_finish(carelog_batch *b);
void carelog__batch_abort(carelog_batch *b);

/* Completes, validates and adds `rec` (its reference is taken). */
int carelog__batch_add(carelog_batch *b, json_t *rec, char *out_id);

/* Writes one record (its reference is taken) as its own batch. */
int carelog__write_one(char *out_id, carelog_store *s, json_t *rec);


/* The current version of record `id` (json_decref it), its chart's index
 * brought up to date first. */
int carelog__current(json_t **out, carelog_store *s, const char *id);
/* Applies FIELD=VALUE changes to `rec` as an amendment does: VALUE read as
 * JSON, else as text (text stays text); null removes the field; identity,
 * clock, writer and status cannot be set; a new value or unit drops
 * `entered`. CARELOG_EINVALID naming the field at fault. */
int carelog__apply_fields(json_t *rec, const carelog_field *fields, size_t nfields);

#endif
