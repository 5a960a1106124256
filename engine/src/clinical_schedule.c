/*
 * clinical_schedule.c - the slots of a patient's plans and which dose fills
 * which. A slot is one daily time of a plan on one local day (in the
 * patient's time zone, daylight-saving changes included), with the dose the
 * plan (taper applied) expects that day. Doses are taken in time order; each
 * fills the nearest open slot of its own plan, else of any plan of the same
 * drug, within the slot's window; failing that, the latest open slot of the
 * same local day whose window it missed, as late. A given dose may take a
 * slot over from a missed, refused or held log (the child took it after
 * all). A given dose within the window of a slot a given dose already
 * filled is a possible double dose: it fills nothing and is extra, never
 * quietly counted as another slot's late dose; so is a given dose within a
 * window's length of the late dose that filled a slot (the same late dose
 * logged on two phones).
 */
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"

/* How far a dose can be from the slot it fills: the widest window (720
 * minutes) and, for a late dose, the rest of its local day (up to 25 h on a
 * day the clocks go back). */
#define SCAN_BEFORE (26 * 3600000LL)
#define SCAN_AFTER (12 * 3600000LL)

double carelog__plan_dose_on(const carelog__plan *p, int64_t day)
{
	double dose = p->dose;
	for (size_t i = 0; i < p->ntaper && p->taper_day[i] <= day; i++)
		dose = p->taper_dose[i];
	return dose;
}

int carelog__slot_missed(const carelog__slot *sl, int64_t at)
{
	return sl->state == CARELOG__SLOT_MISSED || (sl->state == CARELOG__SLOT_OPEN && at > sl->t + sl->window_ms);
}

static int slot_cmp(const void *a, const void *b)
{
	const carelog__slot *x = a, *y = b;
	int c = strcmp(x->drug, y->drug);
	if (c)
		return c;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->plan < y->plan ? -1 : x->plan > y->plan;
}

static int push_slot(carelog__schedule *sc, size_t *cap, const carelog__slot *sl)
{
	if (sc->nslots == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		carelog__slot *nv = realloc(sc->slots, ncap * sizeof(*nv));
		if (nv == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		sc->slots = nv;
		*cap = ncap;
	}
	sc->slots[sc->nslots++] = *sl;
	return 0;
}

static int expand(carelog__schedule *sc, const carelog__chartdata *cd, int64_t until)
{
	size_t cap = 0;
	int64_t last_day = carelog__tz_local_day(cd->tz, until);
	for (size_t i = 0; i < cd->nplans; i++) {
		const carelog__plan *p = &cd->plans[i];
		int64_t end = p->end < last_day ? p->end : last_day;
		for (int64_t day = p->start; day <= end; day++) {
			double dose = carelog__plan_dose_on(p, day);
			if (dose <= 0) /* a taper step of 0 stops the plan */
				continue;
			for (int k = 0; k < p->ntimes; k++) {
				carelog__slot sl;
				sl.plan = i;
				sl.drug = p->drug;
				sl.t = carelog__tz_to_utc(cd->tz, day * 86400 + p->minutes[k] * 60) * 1000;
				sl.day = day;
				sl.dose = dose;
				sl.window_ms = (int64_t)p->window_min * 60000;
				sl.state = CARELOG__SLOT_OPEN;
				sl.filled_by = -1;
				if (sl.t > until)
					continue; /* not break: a time moved forward by a DST gap may pass a later one */
				if (push_slot(sc, &cap, &sl) < 0)
					return CARELOG_ENOMEM;
			}
		}
	}
	if (sc->nslots)
		qsort(sc->slots, sc->nslots, sizeof(*sc->slots), slot_cmp);
	return 0;
}

/* The first slot of `drug` at or after time t (slots are by drug, then time). */
static size_t lower_bound(const carelog__schedule *sc, const char *drug, int64_t t)
{
	size_t lo = 0, hi = sc->nslots;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sc->slots[mid].drug, drug);
		if (c < 0 || (c == 0 && sc->slots[mid].t < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t dist(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

typedef struct {
	const carelog__chartdata *cd;
	carelog__schedule *sc;
	const carelog__dose *d;
	size_t lo, hi;     /* the slots of the dose's drug near it */
	int64_t day;       /* the dose's local day */
} finder;

static int own_plan(const finder *f, const carelog__slot *sl)
{
	return f->d->plan && strcmp(f->cd->plans[sl->plan].id, f->d->plan) == 0;
}

/* A slot the dose may fill: an open one; with `takeover`, for a given dose,
 * also one that only a missed, refused or held dose filled (the child got
 * the dose after all). */
static int fillable(const finder *f, const carelog__slot *sl, int own, int takeover)
{
	if (own && !own_plan(f, sl))
		return 0;
	return sl->state == CARELOG__SLOT_OPEN || (takeover && f->d->given && sl->state == CARELOG__SLOT_MISSED);
}

/* The nearest fillable slot whose window holds the dose. */
static long on_time(const finder *f, int own, int takeover)
{
	long best = -1;
	for (size_t i = f->lo; i < f->hi; i++) {
		const carelog__slot *sl = &f->sc->slots[i];
		if (!fillable(f, sl, own, takeover) || dist(sl->t, f->d->t) > sl->window_ms)
			continue;
		if (best < 0 || dist(sl->t, f->d->t) < dist(f->sc->slots[best].t, f->d->t))
			best = (long)i;
	}
	return best;
}

/* The nearest filled slot whose window holds the dose. */
static long filled_nearby(const finder *f)
{
	long best = -1;
	for (size_t i = f->lo; i < f->hi; i++) {
		const carelog__slot *sl = &f->sc->slots[i];
		if (sl->state == CARELOG__SLOT_OPEN || dist(sl->t, f->d->t) > sl->window_ms)
			continue;
		if (best < 0 || dist(sl->t, f->d->t) < dist(f->sc->slots[best].t, f->d->t))
			best = (long)i;
	}
	return best;
}

/* A slot filled by a given dose within the slot's window of this one: the
 * same dose logged twice, late. */
static long late_twin(const finder *f)
{
	for (size_t i = f->lo; i < f->hi; i++) {
		const carelog__slot *sl = &f->sc->slots[i];
		if ((sl->state == CARELOG__SLOT_GIVEN || sl->state == CARELOG__SLOT_LATE) &&
		    dist(f->cd->doses[sl->filled_by].t, f->d->t) <= sl->window_ms)
			return (long)i;
	}
	return -1;
}

/* The latest fillable slot of the dose's local day whose window closed
 * before it. */
static long late(const finder *f, int own, int takeover)
{
	long best = -1;
	for (size_t i = f->lo; i < f->hi; i++) {
		const carelog__slot *sl = &f->sc->slots[i];
		if (!fillable(f, sl, own, takeover) || sl->day != f->day || sl->t + sl->window_ms >= f->d->t)
			continue;
		best = (long)i;
	}
	return best;
}

/* Tries own plan then any plan, open slots before taken-over ones. */
static long find(const finder *f, long (*how)(const finder *, int, int))
{
	long s = -1;
	for (int takeover = 0; takeover < 2 && s < 0; takeover++)
		for (int own = 1; own >= 0 && s < 0; own--)
			s = how(f, own, takeover);
	return s;
}

/* A dose naming a plan without times (as needed) fills no slot. */
static int as_needed(const carelog__chartdata *cd, const carelog__dose *d)
{
	for (size_t i = 0; d->plan && i < cd->nplans; i++)
		if (strcmp(cd->plans[i].id, d->plan) == 0)
			return cd->plans[i].ntimes == 0;
	return 0;
}

static void match_dose(carelog__schedule *sc, const carelog__chartdata *cd, size_t di)
{
	const carelog__dose *d = &cd->doses[di];
	carelog__dose_match *m = &sc->match[di];
	finder f = { cd, sc, d, 0, 0, carelog__tz_local_day(cd->tz, d->t) };
	long s;
	int kind;

	f.lo = lower_bound(sc, d->drug, d->t - SCAN_BEFORE);
	f.hi = lower_bound(sc, d->drug, d->t + SCAN_AFTER + 1);
	if (as_needed(cd, d) || lower_bound(sc, d->drug, INT64_MIN) == lower_bound(sc, d->drug, INT64_MAX))
		return; /* CARELOG__DOSE_OTHER: no timed plan of this drug */
	if ((s = find(&f, on_time)) >= 0) {
		kind = d->given ? CARELOG__SLOT_GIVEN : CARELOG__SLOT_MISSED;
	} else if ((s = filled_nearby(&f)) >= 0) {
		/* a given dose beside a given one: a possible double dose */
		if (d->given && sc->slots[s].state != CARELOG__SLOT_MISSED) {
			m->state = CARELOG__DOSE_EXTRA;
			m->twin = sc->slots[s].filled_by;
		}
		return;
	} else if ((s = find(&f, late)) >= 0) {
		kind = d->given ? CARELOG__SLOT_LATE : CARELOG__SLOT_MISSED;
	} else {
		if (d->given) {
			m->state = CARELOG__DOSE_EXTRA;
			if ((s = late_twin(&f)) >= 0)
				m->twin = sc->slots[s].filled_by;
		}
		return;
	}
	if (sc->slots[s].filled_by >= 0) { /* taken over from a missed/refused/held log */
		sc->match[sc->slots[s].filled_by].state = CARELOG__DOSE_OTHER;
		sc->match[sc->slots[s].filled_by].slot = -1;
	}
	sc->slots[s].state = kind;
	sc->slots[s].filled_by = (long)di;
	m->state = CARELOG__DOSE_SLOT;
	m->slot = s;
}

int carelog__schedule_build(carelog__schedule *out, const carelog__chartdata *cd, int64_t at, int64_t until)
{
	int rc;
	memset(out, 0, sizeof(*out));
	if ((out->match = calloc(cd->ndoses + 1, sizeof(*out->match))) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	/* slots up to a window after `at`, so that a dose given early fills its slot */
	if ((rc = expand(out, cd, until > at + SCAN_AFTER ? until : at + SCAN_AFTER)) < 0) {
		carelog__schedule_free(out);
		return rc;
	}
	for (size_t i = 0; i < cd->ndoses; i++) {
		out->match[i].state = CARELOG__DOSE_OTHER;
		out->match[i].slot = -1;
		out->match[i].twin = -1;
		if (cd->doses[i].t <= at) /* doses are in time order */
			match_dose(out, cd, i);
	}
	return 0;
}

void carelog__schedule_free(carelog__schedule *sc)
{
	free(sc->slots);
	free(sc->match);
	memset(sc, 0, sizeof(*sc));
}
