/*
 * clinical_due.c - what each active plan expects now: its next slot not yet
 * filled, the slots of the last 24 hours whose window closed with no dose
 * logged, and today's dose with the taper applied.
 */
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"
#include "json_canon.h"
#include "store_internal.h"
#include "timeutil.h"

#define OVERDUE_SPAN CARELOG__DAY_MS
/* far enough ahead to find the next slot of a once-daily plan */
#define HORIZON (2 * CARELOG__DAY_MS)

typedef struct {
	carelog_due_list pub;
	carelog__strs strs;
} due_impl;

static void set_slot(carelog_slot *out, due_impl *r, const carelog__chartdata *cd, const carelog__slot *sl,
	int *failed)
{
	char t[CARELOG__TIME_BUFSIZE], local[CARELOG__LOCAL_BUFSIZE];
	carelog__time_format(t, sl->t);
	carelog__local_format(local, cd->tz, sl->t);
	out->time = carelog__keep(&r->strs, t, failed);
	out->local = carelog__keep(&r->strs, local, failed);
	out->dose = sl->dose;
}

static int fill_item(carelog_due_item *it, due_impl *r, const carelog__chartdata *cd, const carelog__schedule *sc,
	size_t pi, int64_t at)
{
	const carelog__plan *p = &cd->plans[pi];
	int failed = 0;

	it->plan = carelog__keep(&r->strs, p->id, &failed);
	it->drug = carelog__keep(&r->strs, p->drug, &failed);
	it->unit = carelog__keep(&r->strs, p->unit, &failed);
	it->dose_now = carelog__plan_dose_on(p, carelog__tz_local_day(cd->tz, at));
	it->window_minutes = p->window_min;
	for (size_t i = 0; i < sc->nslots && !failed; i++) {
		const carelog__slot *sl = &sc->slots[i];
		if (sl->plan != pi || sl->state != CARELOG__SLOT_OPEN)
			continue;
		if (at > sl->t + sl->window_ms) {
			carelog_slot *v;
			if (sl->t + sl->window_ms < at - OVERDUE_SPAN)
				continue;
			if ((v = realloc(it->overdue, (it->noverdue + 1) * sizeof(*v))) == NULL)
				return carelog__fail(CARELOG_ENOMEM, "out of memory");
			it->overdue = v;
			set_slot(&v[it->noverdue++], r, cd, sl, &failed);
		} else if (!it->has_next) {
			it->has_next = 1;
			it->next_open = at >= sl->t - sl->window_ms;
			set_slot(&it->next, r, cd, sl, &failed);
		}
	}
	return failed ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

int carelog_due(carelog_due_list **out, carelog_store *s, const char *patient, const carelog_clinical_options *opts)
{
	carelog__chartdata *cd = NULL;
	carelog__schedule sc = { NULL, 0, NULL };
	due_impl *r = NULL;
	int64_t at, from, to, today;
	char t[CARELOG__TIME_BUFSIZE];
	int rc, failed = 0;

	*out = NULL;
	if ((rc = carelog__chartdata_load(&cd, s, patient)) < 0 ||
	    (rc = carelog__clinical_times(&at, &from, &to, cd, opts)) < 0 ||
	    (rc = carelog__schedule_build(&sc, cd, at, at + HORIZON)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->pub.items = calloc(cd->nplans + 1, sizeof(*r->pub.items))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	carelog__time_format(t, at);
	r->pub.at = carelog__keep(&r->strs, t, &failed);
	today = carelog__tz_local_day(cd->tz, at);
	for (size_t i = 0; i < cd->nplans; i++) {
		const carelog__plan *p = &cd->plans[i];
		/* plans with times, running today or with a slot still overdue from yesterday */
		if (p->ntimes == 0 || p->start > today || p->end < today - 1)
			continue;
		if ((rc = fill_item(&r->pub.items[r->pub.nitems++], r, cd, &sc, i, at)) < 0)
			goto done;
		if (p->end < today && r->pub.items[r->pub.nitems - 1].noverdue == 0) {
			carelog_due_item *it = &r->pub.items[--r->pub.nitems];
			free(it->overdue);
			memset(it, 0, sizeof(*it));
		}
	}
	if (failed) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	*out = &r->pub;
	r = NULL;
done:
	carelog_due_free(r ? &r->pub : NULL);
	carelog__schedule_free(&sc);
	carelog__chartdata_free(cd);
	return carelog__store_result(s, rc);
}

void carelog_due_free(carelog_due_list *d)
{
	due_impl *r = (due_impl *)d;
	if (r == NULL)
		return;
	for (size_t i = 0; r->pub.items && i < r->pub.nitems; i++)
		free(r->pub.items[i].overdue);
	free(r->pub.items);
	carelog__strs_free(&r->strs);
	free(r);
}

static json_t *slot_json(const carelog_slot *sl)
{
	return json_pack("{s:s,s:s,s:f}", "time", sl->time, "local", sl->local, "dose", sl->dose);
}

int carelog_due_json(char **out, const carelog_due_list *d)
{
	json_t *arr = json_array();
	*out = NULL;
	if (arr == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->nitems; i++) {
		const carelog_due_item *it = &d->items[i];
		json_t *over = json_array(), *next = it->has_next ? slot_json(&it->next) : json_null();
		for (size_t k = 0; over && k < it->noverdue; k++)
			json_array_append_new(over, slot_json(&it->overdue[k]));
		if (it->has_next && next)
			json_object_set_new(next, "due_now", json_boolean(it->next_open));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:f,s:i,s:o?,s:o?}", "plan", it->plan, "drug", it->drug,
			"unit", it->unit, "dose_now", it->dose_now, "window_minutes", it->window_minutes, "next", next,
			"overdue", over));
	}
	carelog__json_canonicalize(arr);
	*out = carelog__json_dump(arr);
	json_decref(arr);
	return *out ? 0 : CARELOG_ENOMEM;
}
