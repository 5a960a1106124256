/*
 * record.h - building record handles and lists (record.c).
 */
#ifndef CARELOG_RECORD_INTERNAL_H
#define CARELOG_RECORD_INTERNAL_H

#include <jansson.h>

#include "carelog/record.h"

/* A record handle from its canonical JSON text; the fields the accessors
 * return are read from it. `commit` may be NULL. NULL with an error set on
 * failure. */
carelog_record *carelog__record_new(const char *json, size_t len, const char *commit);

/* An empty list; NULL with CARELOG_ENOMEM set. */
carelog_record_list *carelog__record_list_new(void);

/* Appends to a list (taking `r`); creates the list on first use. */
int carelog__record_list_push(carelog_record_list **l, carelog_record *r);

#endif
