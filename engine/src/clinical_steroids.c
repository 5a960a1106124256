/*
 * clinical_steroids.c - cumulative corticosteroid exposure in prednisone
 * equivalents. Every given dose counts, a possible double dose too: it is
 * what the child may have received (the double-dose alert asks a person to
 * confirm or void it). mg/kg divides each dose by the weight nearest to it
 * in time, so a growing child's exposure is not skewed by today's weight.
 *
 * Equivalent anti-inflammatory doses (Liu et al., Allergy Asthma Clin
 * Immunol 2013;9:30, table 1): prednisone 5 mg = prednisolone 5 =
 * methylprednisolone 4 = triamcinolone 4 = hydrocortisone 20 = cortisone 25
 * = dexamethasone 0.75 = betamethasone 0.6.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"
#include "json_canon.h"
#include "store_internal.h"
#include "timeutil.h"

static const struct {
	const char *drug;
	double mg_for_5_prednisone;
} equivalents[] = {
	{ "prednisone", 5 },
	{ "prednisolone", 5 },
	{ "methylprednisolone", 4 },
	{ "triamcinolone", 4 },
	{ "hydrocortisone", 20 },
	{ "cortisone", 25 },
	{ "dexamethasone", 0.75 },
	{ "betamethasone", 0.6 },
};

/* Beyond the corticosteroids: the immunosuppressants of ALPS care and
 * their neighbours, for the fever rule. */
static const char *const immunosuppressants[] = {
	"sirolimus", "mycophenolate", "mycophenolate mofetil", "mycophenolic acid", "tacrolimus",
	"cyclosporine", "ciclosporin", "azathioprine", "methotrexate", "rituximab", "everolimus",
};

double carelog__steroid_factor(const char *drug)
{
	for (size_t i = 0; drug && i < sizeof(equivalents) / sizeof(equivalents[0]); i++)
		if (strcmp(equivalents[i].drug, drug) == 0)
			return 5.0 / equivalents[i].mg_for_5_prednisone;
	return 0;
}

double carelog_prednisone_factor(const char *drug)
{
	return carelog__steroid_factor(drug);
}

int carelog__immunosuppressant(const char *drug)
{
	if (carelog__steroid_factor(drug) > 0)
		return 1;
	for (size_t i = 0; drug && i < sizeof(immunosuppressants) / sizeof(immunosuppressants[0]); i++)
		if (strcmp(immunosuppressants[i], drug) == 0)
			return 1;
	return 0;
}

typedef struct {
	carelog_steroid_report pub;
	carelog__strs strs;
} steroid_impl;

/* mg of the drug in `amount unit`, or -1 with *why set when it cannot be known. */
static double to_mg(double amount, const char *unit, double weight, const char **why)
{
	if (strcmp(unit, "mg") == 0)
		return amount;
	if (strcmp(unit, "g") == 0)
		return amount * 1000;
	if (strcmp(unit, "mcg") == 0)
		return amount / 1000;
	if (strcmp(unit, "mg/kg") == 0) {
		if (weight > 0)
			return amount * weight;
		*why = "the dose is in mg/kg and no weight is known";
		return -1;
	}
	*why = "the unit is not a mass (mg, g, mcg or mg/kg): the strength is unknown";
	return -1;
}

static carelog_steroid_drug *drug_entry(steroid_impl *r, const char *drug, int *failed)
{
	void *v = r->pub.drugs;
	carelog_steroid_drug *e = carelog__named_entry(&v, &r->pub.ndrugs, sizeof(*e), drug, &r->strs, failed);
	r->pub.drugs = v;
	if (e)
		e->factor = carelog__steroid_factor(drug);
	return e;
}

static int skip(steroid_impl *r, const char *id, const char *why)
{
	carelog_steroid_skip *v = realloc(r->pub.skipped, (r->pub.nskipped + 1) * sizeof(*v));
	int failed = 0;
	if (v == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	r->pub.skipped = v;
	v[r->pub.nskipped].dose = carelog__keep(&r->strs, id, &failed);
	v[r->pub.nskipped++].reason = carelog__keep(&r->strs, why, &failed);
	return failed ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

static int add_doses(steroid_impl *r, const carelog__chartdata *cd, int64_t at, int64_t from, int64_t to)
{
	int64_t last_day = INT64_MIN;
	int failed = 0, rc;
	r->pub.has_weight = 1;
	for (size_t i = 0; i < cd->ndoses; i++) {
		const carelog__dose *d = &cd->doses[i];
		double factor = carelog__steroid_factor(d->drug), w, mg, pe;
		const char *why = NULL;
		carelog_steroid_drug *e;
		int64_t day;
		if (factor == 0 || !d->given || d->t > at)
			continue;
		w = carelog__weight_near(cd, d->t);
		if ((mg = to_mg(d->amount, d->unit, w, &why)) < 0) {
			if (d->t >= from && d->t < to && (rc = skip(r, d->id, why)) < 0)
				return rc;
			continue;
		}
		pe = mg * factor;
		if (d->t > at - CARELOG__DAY_MS)
			r->pub.last_24h_mg += pe;
		if (d->t < from || d->t >= to)
			continue;
		if ((e = drug_entry(r, d->drug, &failed)) == NULL)
			break;
		e->doses++;
		e->amount_mg += mg;
		e->prednisone_equivalent_mg += pe;
		if (w > 0)
			e->mg_per_kg += pe / w;
		else
			r->pub.has_weight = 0;
		/* doses are in time order, so their local days are too */
		day = carelog__tz_local_day(cd->tz, d->t);
		if (day != last_day)
			r->pub.days++;
		last_day = day;
	}
	return failed ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

/* What the active corticosteroid plans expect per day on `at`'s local day. */
static void current(steroid_impl *r, const carelog__chartdata *cd, int64_t at)
{
	int64_t today = carelog__tz_local_day(cd->tz, at);
	const char *why;
	r->pub.weight_kg = carelog__weight_near(cd, at);
	for (size_t i = 0; i < cd->nplans; i++) {
		const carelog__plan *p = &cd->plans[i];
		double factor = carelog__steroid_factor(p->drug), mg;
		if (factor == 0 || p->ntimes == 0 || p->start > today || p->end < today)
			continue;
		mg = to_mg(carelog__plan_dose_on(p, today), p->unit, r->pub.weight_kg, &why);
		if (mg > 0)
			r->pub.current_daily_mg += mg * factor * p->ntimes;
	}
	if (r->pub.weight_kg > 0)
		r->pub.current_daily_mg_per_kg = r->pub.current_daily_mg / r->pub.weight_kg;
}

int carelog__steroids_of(carelog_steroid_report **out, const carelog__chartdata *cd,
	const carelog_clinical_options *opts)
{
	steroid_impl *r = NULL;
	int64_t at, from, to;
	int rc;

	*out = NULL;
	if ((rc = carelog__clinical_times(&at, &from, &to, cd, opts)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = add_doses(r, cd, at, from, to)) < 0)
		goto done;
	/* the totals are the sums of the parts, by construction */
	for (size_t i = 0; i < r->pub.ndrugs; i++) {
		r->pub.prednisone_equivalent_mg += r->pub.drugs[i].prednisone_equivalent_mg;
		r->pub.mg_per_kg += r->pub.drugs[i].mg_per_kg;
	}
	if (!r->pub.has_weight)
		r->pub.mg_per_kg = 0;
	current(r, cd, at);
	*out = &r->pub;
	r = NULL;
done:
	carelog_steroids_free(r ? &r->pub : NULL);
	return rc;
}

int carelog_steroids(carelog_steroid_report **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts)
{
	carelog__chartdata *cd = NULL;
	int rc = carelog__chartdata_load(&cd, s, patient);

	*out = NULL;
	return carelog__chartdata_done(cd, s, rc < 0 ? rc : carelog__steroids_of(out, cd, opts));
}

void carelog_steroids_free(carelog_steroid_report *rep)
{
	steroid_impl *r = (steroid_impl *)rep;
	if (r == NULL)
		return;
	free(r->pub.drugs);
	free(r->pub.skipped);
	carelog__strs_free(&r->strs);
	free(r);
}

int carelog_steroids_json(char **out, const carelog_steroid_report *r)
{
	json_t *o, *drugs = json_array(), *skipped = json_array();
	*out = NULL;
	for (size_t i = 0; drugs && i < r->ndrugs; i++) {
		const carelog_steroid_drug *e = &r->drugs[i];
		json_array_append_new(drugs, json_pack("{s:s,s:I,s:f,s:f,s:f,s:o}", "drug", e->drug,
			"doses", (json_int_t)e->doses, "amount_mg", e->amount_mg, "factor", e->factor,
			"prednisone_equivalent_mg", e->prednisone_equivalent_mg,
			"mg_per_kg", carelog__json_num_or_null(r->has_weight, e->mg_per_kg)));
	}
	for (size_t i = 0; skipped && i < r->nskipped; i++)
		json_array_append_new(skipped, json_pack("{s:s,s:s}", "dose", r->skipped[i].dose,
			"reason", r->skipped[i].reason));
	o = json_pack("{s:f,s:o,s:I,s:f,s:o,s:f,s:o,s:o?,s:o?}",
		"prednisone_equivalent_mg", r->prednisone_equivalent_mg,
		"mg_per_kg", carelog__json_num_or_null(r->has_weight, r->mg_per_kg),
		"days", (json_int_t)r->days,
		"current_daily_mg", r->current_daily_mg,
		"current_daily_mg_per_kg", carelog__json_num_or_null(r->weight_kg > 0, r->current_daily_mg_per_kg),
		"last_24h_mg", r->last_24h_mg,
		"weight_kg", carelog__json_num_or_null(r->weight_kg > 0, r->weight_kg),
		"by_drug", drugs, "not_counted", skipped);
	if (o == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	carelog__json_canonicalize(o);
	*out = carelog__json_dump(o);
	json_decref(o);
	return *out ? 0 : CARELOG_ENOMEM;
}
