/*
 * clinical_adherence.c - adherence per drug: the slots of the period up to
 * now, each given (on time), late or missed, plus the given doses that
 * filled no slot (extra), the doses whose amount was not the one their
 * slot expected, and which slots were late or missed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"
#include "json_canon.h"
#include "store_internal.h"
#include "timeutil.h"

typedef struct {
	carelog_adherence_report pub; /* first: the public pointer is this one */
	carelog__strs strs;
} report;

static int drug_wanted(const char *drug, const char *filter)
{
	return filter == NULL || strcmp(drug, filter) == 0;
}

static carelog_adherence_drug *entry(report *r, const char *drug, int *failed)
{
	void *v = r->pub.drugs;
	carelog_adherence_drug *e = carelog__named_entry(&v, &r->pub.ndrugs, sizeof(*e), drug, &r->strs, failed);
	r->pub.drugs = v;
	return e;
}

static int mismatch(report *r, const carelog__chartdata *cd, const carelog__slot *sl, const carelog__dose *d)
{
	const carelog__plan *p = &cd->plans[sl->plan];
	carelog_dose_mismatch *m;
	char t[CARELOG__TIME_BUFSIZE], local[CARELOG__LOCAL_BUFSIZE];
	void *v = r->pub.mismatches;
	int failed = 0;

	if (strcmp(d->unit, p->unit) == 0 && fabs(d->amount - sl->dose) <= 1e-9 * fmax(1, fabs(sl->dose)))
		return 0;
	m = carelog__append(&v, &r->pub.nmismatches, sizeof(*m));
	r->pub.mismatches = v;
	if (m == NULL)
		return CARELOG_ENOMEM;
	carelog__time_format(t, d->t);
	carelog__local_format(local, cd->tz, sl->t);
	m->dose = carelog__keep(&r->strs, d->id, &failed);
	m->plan = carelog__keep(&r->strs, p->id, &failed);
	m->drug = carelog__keep(&r->strs, d->drug, &failed);
	m->time = carelog__keep(&r->strs, t, &failed);
	m->local = carelog__keep(&r->strs, local, &failed);
	m->amount = d->amount;
	m->unit = carelog__keep(&r->strs, d->unit, &failed);
	m->expected = sl->dose;
	m->expected_unit = carelog__keep(&r->strs, p->unit, &failed);
	return failed ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

/* Lists a slot counted late or missed, with the dose that filled it. */
static int late_or_missed(report *r, const carelog__chartdata *cd, const carelog__slot *sl)
{
	const carelog__dose *d = sl->filled_by >= 0 ? &cd->doses[sl->filled_by] : NULL;
	carelog_adherence_slot *e;
	char t[CARELOG__TIME_BUFSIZE], local[CARELOG__LOCAL_BUFSIZE];
	void *v = r->pub.slots;
	int failed = 0;

	e = carelog__append(&v, &r->pub.nslots, sizeof(*e));
	r->pub.slots = v;
	if (e == NULL)
		return CARELOG_ENOMEM;
	carelog__time_format(t, sl->t);
	carelog__local_format(local, cd->tz, sl->t);
	e->drug = carelog__keep(&r->strs, sl->drug, &failed);
	e->plan = carelog__keep(&r->strs, cd->plans[sl->plan].id, &failed);
	e->time = carelog__keep(&r->strs, t, &failed);
	e->local = carelog__keep(&r->strs, local, &failed);
	e->late = sl->state == CARELOG__SLOT_LATE;
	e->dose = d ? carelog__keep(&r->strs, d->id, &failed) : NULL;
	e->outcome = d ? carelog__keep(&r->strs, d->given ? "given" : d->outcome, &failed) : NULL;
	return failed ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

static int count(report *r, const carelog__chartdata *cd, const carelog__schedule *sc, int64_t at, int64_t from,
	int64_t to, const char *filter)
{
	int failed = 0, rc;
	for (size_t i = 0; i < sc->nslots && !failed; i++) {
		const carelog__slot *sl = &sc->slots[i];
		carelog_adherence_drug *e;
		if (!drug_wanted(sl->drug, filter) || sl->t < from || sl->t >= to)
			continue;
		/* every drug scheduled in the period has its line, counted or not yet */
		if ((e = entry(r, sl->drug, &failed)) == NULL)
			break;
		if (sl->t > at || (sl->state == CARELOG__SLOT_OPEN && at <= sl->t + sl->window_ms))
			continue; /* not yet, or still within its window: due, not missed */
		e->scheduled++;
		if (sl->state == CARELOG__SLOT_GIVEN)
			e->given++;
		else if (sl->state == CARELOG__SLOT_LATE)
			e->late++;
		else
			e->missed++;
		if ((sl->state == CARELOG__SLOT_GIVEN || sl->state == CARELOG__SLOT_LATE) &&
		    (rc = mismatch(r, cd, sl, &cd->doses[sl->filled_by])) < 0)
			return rc;
		if (sl->state != CARELOG__SLOT_GIVEN && (rc = late_or_missed(r, cd, sl)) < 0)
			return rc;
	}
	for (size_t i = 0; i < cd->ndoses && !failed; i++) {
		const carelog__dose *d = &cd->doses[i];
		carelog_adherence_drug *e;
		if (sc->match[i].state != CARELOG__DOSE_EXTRA || !drug_wanted(d->drug, filter) || d->t < from ||
		    d->t >= to || d->t > at)
			continue;
		if ((e = entry(r, d->drug, &failed)) != NULL)
			e->extra++;
	}
	if (failed)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->pub.ndrugs; i++) {
		carelog_adherence_drug *e = &r->pub.drugs[i];
		e->percent = e->scheduled ? floor(1000.0 * (double)e->given / (double)e->scheduled + 0.5) / 10.0 : -1;
	}
	return 0;
}

static int mismatch_cmp(const void *a, const void *b)
{
	const carelog_dose_mismatch *x = a, *y = b;
	int c = strcmp(x->time, y->time);
	return c ? c : strcmp(x->dose, y->dose);
}

int carelog__adherence_of(carelog_adherence_report **out, const carelog__chartdata *cd,
	const carelog_clinical_options *opts)
{
	carelog__schedule sc = { NULL, 0, NULL };
	report *r = NULL;
	int64_t at, from, to;
	char drug[128];
	const char *filter = NULL;
	int rc;

	*out = NULL;
	if ((rc = carelog__clinical_times(&at, &from, &to, cd, opts)) < 0)
		goto done;
	if (opts && opts->drug) {
		/* drugs are stored trimmed and lower-cased */
		size_t n = 0;
		const char *p = opts->drug;
		while (*p == ' ')
			p++;
		for (; *p && n < sizeof(drug) - 1; p++)
			drug[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
		while (n > 0 && drug[n - 1] == ' ')
			n--;
		drug[n] = '\0';
		filter = drug;
	}
	if ((rc = carelog__schedule_build(&sc, cd, at, at)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = count(r, cd, &sc, at, from, to, filter)) < 0)
		goto done;
	if (r->pub.nmismatches > 1)
		qsort(r->pub.mismatches, r->pub.nmismatches, sizeof(*r->pub.mismatches), mismatch_cmp);
	*out = &r->pub;
	r = NULL;
done:
	carelog_adherence_free(r ? &r->pub : NULL);
	carelog__schedule_free(&sc);
	return rc;
}

int carelog_adherence(carelog_adherence_report **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts)
{
	carelog__chartdata *cd = NULL;
	int rc = carelog__chartdata_load(&cd, s, patient);

	*out = NULL;
	return carelog__chartdata_done(cd, s, rc < 0 ? rc : carelog__adherence_of(out, cd, opts));
}

void carelog_adherence_free(carelog_adherence_report *a)
{
	report *r = (report *)a;
	if (r == NULL)
		return;
	free(r->pub.drugs);
	free(r->pub.mismatches);
	free(r->pub.slots);
	carelog__strs_free(&r->strs);
	free(r);
}

int carelog_adherence_json(char **out, const carelog_adherence_report *a)
{
	json_t *arr = json_array();
	*out = NULL;
	if (arr == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < a->ndrugs; i++) {
		const carelog_adherence_drug *e = &a->drugs[i];
		json_t *mm = json_array(), *late = json_array(), *missed = json_array();
		for (size_t k = 0; late && missed && k < a->nslots; k++) {
			const carelog_adherence_slot *sl = &a->slots[k];
			if (strcmp(sl->drug, e->drug) != 0)
				continue;
			if (sl->late)
				json_array_append_new(late, json_pack("{s:s,s:s?}", "slot", sl->local, "dose", sl->dose));
			else
				json_array_append_new(missed, json_pack("{s:s,s:s?,s:s?}", "slot", sl->local, "dose", sl->dose,
					"outcome", sl->outcome));
		}
		for (size_t k = 0; mm && k < a->nmismatches; k++) {
			const carelog_dose_mismatch *m = &a->mismatches[k];
			if (strcmp(m->drug, e->drug) == 0)
				json_array_append_new(mm, json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:f,s:s}", "dose", m->dose,
					"plan", m->plan, "time", m->time, "slot", m->local, "amount", m->amount, "unit", m->unit,
					"expected", m->expected, "expected_unit", m->expected_unit));
		}
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o?,s:o?,s:o?}", "drug", e->drug,
			"scheduled", (json_int_t)e->scheduled, "given", (json_int_t)e->given, "late", (json_int_t)e->late,
			"missed", (json_int_t)e->missed, "extra", (json_int_t)e->extra,
			"percent", carelog__json_num_or_null(e->percent >= 0, e->percent), "mismatches", mm,
			"late_slots", late, "missed_slots", missed));
	}
	carelog__json_canonicalize(arr);
	*out = carelog__json_dump(arr);
	json_decref(arr);
	return *out ? 0 : CARELOG_ENOMEM;
}
