/*
 * clinical_alerts.c - evaluating the alert rules (clinical_rules.c) as of a
 * time: lab and vital rules on the latest reading of each code within the
 * rule's look-back, dose rules on the slots and doses of the look-back. Only
 * active records are loaded, so an alert raised by a record later marked
 * entered-in-error disappears with it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clinical_internal.h"
#include "error.h"
#include "json_canon.h"
#include "store_internal.h"
#include "timeutil.h"

/* A rule as in force for the patient. */
typedef struct {
	const char *record; /* the patient's rule record in force, or NULL */
	int index;
	const carelog_rule_info *info;
	const carelog__rule_logic *logic;
	double threshold;
	const char *severity;
	int severity_set;   /* the patient's rule record chose the severity */
	int64_t lookback;   /* ms */
	int enabled;
} rule;

typedef struct {
	carelog_alert_list pub;
	carelog__strs strs;
	size_t cap;
	int failed;
} alerts_impl;

typedef struct {
	alerts_impl *r;
	const carelog__chartdata *cd;
	const carelog__schedule *sc;
	int64_t at;
} ctx;

static rule effective(const carelog__chartdata *cd, int index)
{
	const carelog_rule_info *rules = carelog_rules(NULL);
	rule ru = { NULL, index, &rules[index], carelog__rule_logic_of(index), rules[index].threshold, rules[index].severity,
		0, (int64_t)rules[index].lookback_days * CARELOG__DAY_MS, 1 };
	const carelog__rule_rec *o = NULL;
	for (size_t i = 0; i < cd->nrules; i++) /* time order: the latest one is in force */
		if (strcmp(cd->rules[i].rule, ru.info->id) == 0)
			o = &cd->rules[i];
	if (o) {
		ru.record = o->id;
		ru.enabled = o->enabled;
		if (o->has_threshold)
			ru.threshold = o->threshold;
		if (o->severity) {
			ru.severity = o->severity;
			ru.severity_set = 1;
		}
		if (o->lookback_days)
			ru.lookback = (int64_t)o->lookback_days * CARELOG__DAY_MS;
	}
	return ru;
}

/* Adds an alert; `records` is a NULL-terminated list of ids. */
static void raise_alert(ctx *c, const rule *ru, const char *severity, int64_t t, const char *const *records,
	const char *fmt, ...) CARELOG__PRINTF(6, 7);
static void raise_alert(ctx *c, const rule *ru, const char *severity, int64_t t, const char *const *records,
	const char *fmt, ...)
{
	alerts_impl *r = c->r;
	char msg[1024], ts[CARELOG__TIME_BUFSIZE];
	carelog_alert *a;
	size_t n = 0;
	va_list ap;

	if (r->pub.nalerts == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		carelog_alert *v = realloc(r->pub.alerts, cap * sizeof(*v));
		if (v == NULL) {
			r->failed = 1;
			return;
		}
		r->pub.alerts = v;
		r->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (msg[0] >= 'a' && msg[0] <= 'z') /* a sentence starting with a drug name */
		msg[0] = (char)(msg[0] - 'a' + 'A');
	carelog__time_format(ts, t);
	a = &r->pub.alerts[r->pub.nalerts];
	memset(a, 0, sizeof(*a));
	a->rule = ru->info->id;
	a->severity = carelog__keep(&r->strs, severity, &r->failed);
	a->message = carelog__keep(&r->strs, msg, &r->failed);
	a->time = carelog__keep(&r->strs, ts, &r->failed);
	while (records[n])
		n++;
	if ((a->records = calloc(n + 1, sizeof(*a->records))) == NULL) {
		r->failed = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		a->records[i] = carelog__keep(&r->strs, records[i], &r->failed);
	a->nrecords = n;
	r->pub.nalerts++;
}

/* "2026-11-24 at 09:30" in the patient's zone. */
static const char *when(char out[40], const ctx *c, int64_t t)
{
	char local[CARELOG__LOCAL_BUFSIZE];
	carelog__local_format(local, c->cd->tz, t);
	snprintf(out, 40, "%.10s at %.5s", local, local + 11);
	return out;
}

static const char *unit_words(const char *code)
{
	if (strcmp(code, "platelets") == 0 || strcmp(code, "neutrophils") == 0 || strcmp(code, "lymphocytes") == 0)
		return "\xc3\x97" "10\xc2\xb3/\xc2\xb5L";
	if (strcmp(code, "temperature") == 0)
		return "\xc2\xb0" "C";
	return NULL;
}

/* The latest reading of `code` within (at - lookback, at], or NULL. */
static const carelog__meas *latest(const ctx *c, const char *code, int64_t lookback)
{
	const carelog__meas *best = NULL;
	for (size_t i = 0; i < c->cd->nmeas; i++) {
		const carelog__meas *m = &c->cd->meas[i];
		if (strcmp(m->code, code) == 0 && m->t <= c->at && m->t > c->at - lookback)
			best = m; /* time order: the last one is the latest */
	}
	return best;
}

/* On an immunosuppressant at `t`: a plan of one running that local day, or
 * a dose of one given in the 7 days before. */
static const char *immunosuppressed(const ctx *c, int64_t t)
{
	int64_t day = carelog__tz_local_day(c->cd->tz, t);
	for (size_t i = 0; i < c->cd->nplans; i++) {
		const carelog__plan *p = &c->cd->plans[i];
		if (carelog__immunosuppressant(p->drug) && p->start <= day && p->end >= day &&
		    carelog__plan_dose_on(p, day) > 0)
			return p->drug;
	}
	for (size_t i = 0; i < c->cd->ndoses; i++) {
		const carelog__dose *d = &c->cd->doses[i];
		if (d->given && carelog__immunosuppressant(d->drug) && d->t <= t && d->t > t - 7 * CARELOG__DAY_MS)
			return d->drug;
	}
	return NULL;
}

static void lab_rule(ctx *c, const rule *ru)
{
	const carelog__meas *m = latest(c, ru->logic->code, ru->lookback);
	const char *unit, *drug, *severity = ru->severity, *recs[2];
	const char *label = ru->logic->code;
	char w[40];
	int fires;

	if (m == NULL)
		return;
	fires = ru->logic->below ? m->value < ru->threshold : m->value >= ru->threshold;
	if (!fires)
		return;
	recs[0] = m->id;
	recs[1] = NULL;
	unit = unit_words(m->code);
	if (unit == NULL)
		unit = m->unit;
	when(w, c, m->t);
	if (strcmp(ru->info->id, "fever") == 0) {
		drug = immunosuppressed(c, m->t);
		if (!ru->severity_set && (c->cd->asplenic || drug))
			severity = "urgent";
		if (strcmp(severity, "urgent") == 0)
			raise_alert(c, ru, severity, m->t, recs,
				"Fever: %.1f %s on %s. %s%s%s, so a fever needs urgent medical assessment: call the care team "
				"or emergency services now.", m->value, unit, w,
				c->cd->asplenic ? "The child has no working spleen" : "The child takes ",
				c->cd->asplenic ? "" : drug ? drug : "a medicine",
				c->cd->asplenic ? "" : ", which weakens the immune system");
		else
			raise_alert(c, ru, severity, m->t, recs,
				"Fever: %.1f %s on %s (alert at %.1f %s). Tell the care team.", m->value, unit, w,
				ru->threshold, unit);
		return;
	}
	if (strcmp(label, "neutrophils") == 0)
		label = "Neutrophils (the white cells that fight infection)";
	else if (strcmp(label, "platelets") == 0)
		label = "Platelets";
	else if (strcmp(label, "hemoglobin") == 0)
		label = "Hemoglobin";
	raise_alert(c, ru, severity, m->t, recs, "%s %s %s: %g %s on %s (%s below %g). %s", label,
		strcmp(label, "Platelets") == 0 ? "are" : "is",
		strcmp(severity, "urgent") == 0 ? "very low" : "low", m->value, unit, w,
		strcmp(severity, "urgent") == 0 ? "urgent" : "alert", ru->threshold,
		strcmp(m->code, "platelets") == 0
			? (strcmp(severity, "urgent") == 0 ? "There is a risk of bleeding: contact the care team now."
				: "Watch for bruising, nosebleeds or red spots on the skin, and tell the care team.")
		: strcmp(m->code, "neutrophils") == 0
			? (strcmp(severity, "urgent") == 0 ? "Infections can become serious quickly: contact the care team now, "
				"and at once if there is a fever."
				: "Infections are more likely: tell the care team, and call at once if there is a fever.")
		: "Watch for tiredness, paleness or breathlessness, and tell the care team.");
}

static void target_rule(ctx *c, const rule *ru)
{
	for (size_t i = 0; i < c->cd->ntargets; i++) {
		const carelog__target_rec *t = &c->cd->targets[i];
		const carelog__meas *m;
		carelog_trend_point pt;
		const char *recs[3], *unit;
		char w[40], range[64];
		int later = 0;
		for (size_t k = i + 1; k < c->cd->ntargets; k++)
			later |= strcmp(c->cd->targets[k].code, t->code) == 0;
		if (later || (m = latest(c, t->code, ru->lookback)) == NULL)
			continue; /* an older target of the code, or no recent reading */
		memset(&pt, 0, sizeof(pt));
		carelog__flag(&pt, c->cd, m);
		if (pt.flag == NULL || strcmp(pt.flag, "normal") == 0)
			continue;
		unit = unit_words(m->code);
		if (unit == NULL)
			unit = m->unit;
		if (t->has_low && t->has_high)
			snprintf(range, sizeof(range), "%g-%g %s", t->low, t->high, unit);
		else
			snprintf(range, sizeof(range), "%s %g %s", t->has_low ? "at least" : "at most",
				t->has_low ? t->low : t->high, unit);
		recs[0] = m->id;
		recs[1] = t->id;
		recs[2] = NULL;
		raise_alert(c, ru, ru->severity, m->t, recs,
			"The latest %s reading is %s the target the clinic set: %g %s on %s (target %s). Tell the care team.", m->code,
			strcmp(pt.flag, "low") == 0 ? "below" : "above", m->value, unit, when(w, c, m->t), range);
	}
}

/* Two or more consecutive missed slots of one drug in the look-back. */
static void missed_rule(ctx *c, const rule *ru)
{
	const carelog__schedule *sc = c->sc;
	size_t i = 0;
	while (i < sc->nslots) {
		const char *drug = sc->slots[i].drug;
		size_t run = 0, best = 0, best_end = 0;
		size_t j;
		for (j = i; j < sc->nslots && strcmp(sc->slots[j].drug, drug) == 0; j++) {
			const carelog__slot *sl = &sc->slots[j];
			if (sl->t > c->at || sl->t <= c->at - ru->lookback ||
			    (sl->state == CARELOG__SLOT_OPEN && c->at <= sl->t + sl->window_ms))
				continue; /* outside the look-back, or still due */
			run = carelog__slot_missed(sl, c->at) ? run + 1 : 0;
			if (run >= best) {
				best = run;
				best_end = j;
			}
		}
		if (best >= 1 && (double)best >= ru->threshold) {
			const char *recs[64];
			size_t n = 0;
			char w[40];
			/* the run's records: logged missed doses, and the plans of unlogged slots */
			for (size_t k = best_end + 1 - best; k <= best_end && n < 62; k++) {
				const carelog__slot *sl = &sc->slots[k];
				const char *id = sl->filled_by >= 0 ? c->cd->doses[sl->filled_by].id : c->cd->plans[sl->plan].id;
				int seen = 0;
				for (size_t q = 0; q < n; q++)
					seen |= strcmp(recs[q], id) == 0;
				if (!seen)
					recs[n++] = id;
			}
			recs[n] = NULL;
			raise_alert(c, ru, ru->severity, sc->slots[best_end].t, recs,
				"%zu doses of %s in a row were missed (the last one due on %s). Tell the care team; "
				"do not give extra doses to catch up unless they say so.", best, drug,
				when(w, c, sc->slots[best_end].t));
		}
		i = j;
	}
}

static void double_rule(ctx *c, const rule *ru)
{
	for (size_t i = 0; i < c->cd->ndoses; i++) {
		const carelog__dose *d = &c->cd->doses[i], *first;
		const carelog__dose_match *m = &c->sc->match[i];
		const char *recs[3];
		char w1[40], w2[40];
		if (m->state != CARELOG__DOSE_EXTRA || m->twin < 0 || d->t > c->at || d->t <= c->at - ru->lookback)
			continue;
		first = &c->cd->doses[m->twin];
		recs[0] = first->id;
		recs[1] = d->id;
		recs[2] = NULL;
		raise_alert(c, ru, ru->severity, d->t, recs,
			"%s may have been given twice for one scheduled dose: %g %s logged on %s by %s (%s) and %g %s on %s "
			"by %s (%s). Check with each other; if one entry is a duplicate, void it. If two doses were "
			"really given, ask the care team what to do.", d->drug, first->amount, first->unit,
			when(w1, c, first->t), first->author, first->device, d->amount, d->unit, when(w2, c, d->t), d->author,
			d->device);
	}
}

/* A corticosteroid plan of at least `threshold` days that ended in the
 * look-back at its full dose, with no corticosteroid plan taking over. */
static void steroid_stop_rule(ctx *c, const rule *ru)
{
	const carelog__chartdata *cd = c->cd;
	int64_t today = carelog__tz_local_day(cd->tz, c->at);
	int64_t since = carelog__tz_local_day(cd->tz, c->at - ru->lookback);
	for (size_t i = 0; i < cd->nplans; i++) {
		const carelog__plan *p = &cd->plans[i];
		double first, last;
		int continued = 0;
		const char *recs[2];
		char end[CARELOG__DATE_BUFSIZE];
		if (carelog__steroid_factor(p->drug) == 0 || p->ntimes == 0 || p->end == CARELOG__NO_END ||
		    p->end >= today || p->end < since || (double)(p->end - p->start + 1) < ru->threshold)
			continue;
		first = carelog__plan_dose_on(p, p->start);
		last = carelog__plan_dose_on(p, p->end);
		if (last <= 0 || last < first)
			continue; /* tapered down, or stopped by a taper step */
		for (size_t k = 0; k < cd->nplans; k++) {
			const carelog__plan *q = &cd->plans[k];
			continued |= k != i && carelog__steroid_factor(q->drug) > 0 && q->start <= p->end + 1 &&
				q->end >= p->end + 1 && carelog__plan_dose_on(q, p->end + 1) > 0;
		}
		if (continued)
			continue;
		recs[0] = p->id;
		recs[1] = NULL;
		carelog__date_format(end, p->end);
		raise_alert(c, ru, ru->severity, carelog__tz_day_start(cd->tz, p->end + 1), recs,
			"%s (%g %s) stopped after %s, after %lld days, without being tapered down. Stopping a steroid "
			"suddenly after weeks can be dangerous: check with the care team today.", p->drug, last, p->unit,
			end, (long long)(p->end - p->start + 1));
	}
}

static int severity_rank(const char *s)
{
	return strcmp(s, "urgent") == 0 ? 0 : strcmp(s, "warning") == 0 ? 1 : 2;
}

static int alert_cmp(const void *a, const void *b)
{
	const carelog_alert *x = a, *y = b;
	int c = severity_rank(x->severity) - severity_rank(y->severity);
	if (c)
		return c;
	if ((c = strcmp(y->time, x->time)) != 0)
		return c;
	return strcmp(x->rule, y->rule);
}

/* Drops an alert whose rule another alert on the same reading supersedes
 * (platelets below 20 is not also reported as below 50). */
static void drop_superseded(alerts_impl *r)
{
	size_t out = 0;
	for (size_t i = 0; i < r->pub.nalerts; i++) {
		carelog_alert *a = &r->pub.alerts[i];
		int dropped = 0;
		for (size_t k = 0; k < r->pub.nalerts && !dropped; k++) {
			const carelog_alert *b = &r->pub.alerts[k];
			const carelog__rule_logic *lg = carelog__rule_logic_of(carelog__rule_index(b->rule));
			dropped = k != i && lg && lg->supersedes && strcmp(lg->supersedes, a->rule) == 0 &&
				a->nrecords && b->nrecords && strcmp(a->records[0], b->records[0]) == 0;
		}
		if (dropped)
			free(a->records);
		else
			r->pub.alerts[out++] = *a;
	}
	r->pub.nalerts = out;
}

int carelog__alerts_of(carelog_alert_list **out, const carelog__chartdata *cd, const carelog_clinical_options *opts)
{
	carelog__schedule sc = { NULL, 0, NULL };
	alerts_impl *r = NULL;
	int64_t at, from, to;
	size_t nrules;
	int rc;

	*out = NULL;
	if ((rc = carelog__clinical_times(&at, &from, &to, cd, opts)) < 0 ||
	    (rc = carelog__schedule_build(&sc, cd, at, at)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	carelog_rules(&nrules);
	for (size_t i = 0; i < nrules; i++) {
		ctx c = { r, cd, &sc, at };
		rule ru = effective(cd, (int)i);
		if (!ru.enabled)
			continue;
		if (ru.logic->code)
			lab_rule(&c, &ru);
		else if (strcmp(ru.info->id, "outside-target") == 0)
			target_rule(&c, &ru);
		else if (strcmp(ru.info->id, "missed-doses") == 0)
			missed_rule(&c, &ru);
		else if (strcmp(ru.info->id, "double-dose") == 0)
			double_rule(&c, &ru);
		else if (strcmp(ru.info->id, "steroid-stop") == 0)
			steroid_stop_rule(&c, &ru);
	}
	drop_superseded(r);
	if (r->failed) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	if (r->pub.nalerts > 1)
		qsort(r->pub.alerts, r->pub.nalerts, sizeof(*r->pub.alerts), alert_cmp);
	*out = &r->pub;
	r = NULL;
done:
	carelog_alerts_free(r ? &r->pub : NULL);
	carelog__schedule_free(&sc);
	return rc;
}

int carelog_alerts(carelog_alert_list **out, carelog_store *s, const char *patient,
	const carelog_clinical_options *opts)
{
	carelog__chartdata *cd = NULL;
	int rc = carelog__chartdata_load(&cd, s, patient);

	*out = NULL;
	return carelog__chartdata_done(cd, s, rc < 0 ? rc : carelog__alerts_of(out, cd, opts));
}

void carelog_alerts_free(carelog_alert_list *l)
{
	alerts_impl *r = (alerts_impl *)l;
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->pub.nalerts; i++)
		free(r->pub.alerts[i].records);
	free(r->pub.alerts);
	carelog__strs_free(&r->strs);
	free(r);
}

int carelog_alerts_json(char **out, const carelog_alert_list *l)
{
	json_t *arr = json_array();
	*out = NULL;
	if (arr == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->nalerts; i++) {
		const carelog_alert *a = &l->alerts[i];
		json_t *recs = json_array();
		for (size_t k = 0; recs && k < a->nrecords; k++)
			json_array_append_new(recs, json_string(a->records[k]));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:o?}", "rule", a->rule, "severity", a->severity,
			"message", a->message, "time", a->time, "records", recs));
	}
	*out = carelog__json_dump(arr);
	json_decref(arr);
	return *out ? 0 : CARELOG_ENOMEM;
}

typedef struct {
	carelog_rule_setting_list pub;
	carelog__strs strs;
} settings_impl;

int carelog_rule_settings(carelog_rule_setting_list **out, carelog_store *s, const char *patient)
{
	carelog__chartdata *cd = NULL;
	settings_impl *r = NULL;
	size_t n;
	int rc, failed = 0;

	*out = NULL;
	carelog_rules(&n);
	if ((rc = carelog__chartdata_load(&cd, s, patient)) < 0)
		goto done;
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->pub.rules = calloc(n, sizeof(*r->pub.rules))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		rule ru = effective(cd, (int)i);
		carelog_rule_setting *e = &r->pub.rules[i];
		e->id = ru.info->id;
		e->what = ru.info->what;
		e->threshold = ru.threshold;
		e->severity = carelog__keep(&r->strs, ru.severity, &failed);
		e->lookback_days = (int)(ru.lookback / CARELOG__DAY_MS);
		e->enabled = ru.enabled;
		e->record = carelog__keep(&r->strs, ru.record, &failed);
	}
	r->pub.nrules = n;
	if (failed) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto done;
	}
	*out = &r->pub;
	r = NULL;
done:
	carelog_rule_settings_free(r ? &r->pub : NULL);
	carelog__chartdata_free(cd);
	return carelog__store_result(s, rc);
}

void carelog_rule_settings_free(carelog_rule_setting_list *l)
{
	settings_impl *r = (settings_impl *)l;
	if (r == NULL)
		return;
	free(r->pub.rules);
	carelog__strs_free(&r->strs);
	free(r);
}

int carelog_rule_settings_json(char **out, const carelog_rule_setting_list *l)
{
	json_t *arr = json_array();
	*out = NULL;
	if (arr == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->nrules; i++) {
		const carelog_rule_setting *e = &l->rules[i];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:f,s:s,s:i,s:b,s:o}", "rule", e->id, "what", e->what,
			"threshold", e->threshold, "severity", e->severity, "lookback_days", e->lookback_days,
			"enabled", e->enabled, "record", e->record ? json_string(e->record) : json_null()));
	}
	carelog__json_canonicalize(arr);
	*out = carelog__json_dump(arr);
	json_decref(arr);
	return *out ? 0 : CARELOG_ENOMEM;
}
