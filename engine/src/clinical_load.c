/*
 * clinical_load.c - one patient's chart as the clinical computations read
 * it: the patient record and every active plan, dose, measurement, target
 * and rule record, parsed once, in time order, from the index (caught up
 * with the chart first, so records that arrived by sync count). Records
 * marked entered-in-error are not loaded, so nothing they raised survives.
 */
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "clinical_internal.h"
#include "error.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "store_internal.h"
#include "timeutil.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int jnum(double *out, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return 0;
	*out = json_number_value(v);
	return 1;
}

static int64_t rec_time(json_t *o)
{
	int64_t ms = 0;
	carelog__time_parse(&ms, jstr(o, "time"), "time"); /* validated when written */
	return ms;
}

static int64_t day_of(const char *date)
{
	int64_t d = 0;
	carelog__date_parse(&d, date, "date");
	return d;
}

static int load_plan(carelog__plan *p, json_t *o)
{
	json_t *times = json_object_get(o, "times"), *taper = json_object_get(o, "taper"), *v;
	double w = 0;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->id = jstr(o, "id");
	p->drug = jstr(o, "drug");
	p->unit = jstr(o, "unit");
	jnum(&p->dose, o, "dose");
	p->start = day_of(jstr(o, "start"));
	p->end = jstr(o, "end") ? day_of(jstr(o, "end")) : CARELOG__NO_END;
	p->window_min = jnum(&w, o, "window_minutes") ? (int)w : CARELOG__DEFAULT_WINDOW_MIN;
	json_array_foreach(times, i, v) {
		const char *t = json_string_value(v);
		if (t && p->ntimes < 12)
			p->minutes[p->ntimes++] = ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 + (t[4] - '0');
	}
	p->ntaper = json_array_size(taper);
	if (p->ntaper) {
		p->taper_day = calloc(p->ntaper, sizeof(*p->taper_day));
		p->taper_dose = calloc(p->ntaper, sizeof(*p->taper_dose));
		if (!p->taper_day || !p->taper_dose)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		json_array_foreach(taper, i, v) {
			p->taper_day[i] = day_of(jstr(v, "date"));
			jnum(&p->taper_dose[i], v, "dose");
		}
	}
	return 0;
}

static void load_dose(carelog__dose *d, json_t *o)
{
	d->id = jstr(o, "id");
	d->drug = jstr(o, "drug");
	d->unit = jstr(o, "unit");
	d->outcome = jstr(o, "outcome");
	d->plan = jstr(o, "plan");
	d->device = jstr(o, "device");
	d->author = jstr(o, "author");
	d->amount = 0;
	jnum(&d->amount, o, "amount");
	d->t = rec_time(o);
	d->given = d->outcome == NULL || strcmp(d->outcome, "given") == 0;
}

static void load_meas(carelog__meas *m, json_t *o)
{
	json_t *range = json_object_get(o, "range");
	m->id = jstr(o, "id");
	m->code = jstr(o, "code");
	m->unit = jstr(o, "unit");
	m->value = 0;
	jnum(&m->value, o, "value");
	m->has_low = jnum(&m->low, range, "low");
	m->has_high = jnum(&m->high, range, "high");
	m->t = rec_time(o);
}

static void load_target(carelog__target_rec *t, json_t *o)
{
	t->id = jstr(o, "id");
	t->code = jstr(o, "code");
	t->has_low = jnum(&t->low, o, "low");
	t->has_high = jnum(&t->high, o, "high");
	t->t = rec_time(o);
}

static void load_rule(carelog__rule_rec *r, json_t *o)
{
	double lb = 0;
	r->id = jstr(o, "id");
	r->rule = jstr(o, "rule");
	r->severity = jstr(o, "severity");
	r->has_threshold = jnum(&r->threshold, o, "threshold");
	r->enabled = !json_is_false(json_object_get(o, "enabled"));
	r->lookback_days = jnum(&lb, o, "lookback_days") ? (int)lb : 0;
	r->t = rec_time(o);
}

static int load_patient(carelog__chartdata *cd, json_t *o)
{
	const char *tz = jstr(o, "timezone"), *born = jstr(o, "born");
	cd->patient = jstr(o, "id");
	cd->name = jstr(o, "name");
	cd->tzname = tz ? tz : "UTC";
	cd->has_weight = jnum(&cd->weight_kg, o, "weight_kg");
	cd->has_born = born != NULL;
	if (born)
		cd->born_day = day_of(born);
	cd->asplenic = json_is_true(json_object_get(o, "asplenic"));
	return carelog__tz_load(&cd->tz, cd->tzname);
}

/* Counts the records of each kind, then sizes the arrays. */
static int allocate(carelog__chartdata *cd)
{
	size_t i, np = 0, nd = 0, nm = 0, nt = 0, nr = 0;
	json_t *o;
	json_array_foreach(cd->records, i, o) {
		const char *k = jstr(o, "kind");
		np += strcmp(k, "plan") == 0;
		nd += strcmp(k, "dose") == 0;
		nm += strcmp(k, "measurement") == 0;
		nt += strcmp(k, "target") == 0;
		nr += strcmp(k, "rule") == 0;
	}
	cd->plans = calloc(np + 1, sizeof(*cd->plans));
	cd->doses = calloc(nd + 1, sizeof(*cd->doses));
	cd->meas = calloc(nm + 1, sizeof(*cd->meas));
	cd->weights = calloc(nm + 1, sizeof(*cd->weights));
	cd->targets = calloc(nt + 1, sizeof(*cd->targets));
	cd->rules = calloc(nr + 1, sizeof(*cd->rules));
	if (!cd->plans || !cd->doses || !cd->meas || !cd->weights || !cd->targets || !cd->rules)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	return 0;
}

static int fill(carelog__chartdata *cd)
{
	size_t i;
	json_t *o;
	int rc, have_patient = 0;

	if ((rc = allocate(cd)) < 0)
		return rc;
	json_array_foreach(cd->records, i, o) {
		const char *k = jstr(o, "kind");
		if (strcmp(k, "patient") == 0) {
			if ((rc = load_patient(cd, o)) < 0)
				return rc;
			have_patient = 1;
		} else if (strcmp(k, "plan") == 0) {
			if ((rc = load_plan(&cd->plans[cd->nplans++], o)) < 0)
				return rc;
		} else if (strcmp(k, "dose") == 0) {
			load_dose(&cd->doses[cd->ndoses++], o);
		} else if (strcmp(k, "measurement") == 0) {
			load_meas(&cd->meas[cd->nmeas], o);
			if (strcmp(cd->meas[cd->nmeas].code, "weight") == 0)
				cd->weights[cd->nweights++] = cd->nmeas;
			cd->nmeas++;
		} else if (strcmp(k, "target") == 0) {
			load_target(&cd->targets[cd->ntargets++], o);
		} else if (strcmp(k, "rule") == 0) {
			load_rule(&cd->rules[cd->nrules++], o);
		}
	}
	if (!have_patient)
		return carelog__fail(CARELOG_ENOTFOUND, "no active patient record in chart %s", cd->patient);
	return 0;
}

static int query(carelog__chartdata *cd, carelog_store *s, const char *patient)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT json FROM records WHERE patient = ?1 AND status = 'active'"
		" AND kind IN ('patient', 'plan', 'dose', 'measurement', 'target', 'rule')"
		" ORDER BY tms, id", -1, &st, NULL) != SQLITE_OK)
		return carelog__sql_fail(s->db, "clinical query failed");
	sqlite3_bind_text(st, 1, patient, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = carelog__json_parse_object((const char *)sqlite3_column_text(st, 0), "stored record");
		if (o == NULL || json_array_append_new(cd->records, o) != 0) {
			sqlite3_finalize(st);
			return o ? carelog__fail(CARELOG_ENOMEM, "out of memory") : carelog__last_code();
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : carelog__sql_fail(s->db, "clinical query failed");
}

int carelog__chartdata_load(carelog__chartdata **out, carelog_store *s, const char *patient)
{
	carelog__chartdata *cd;
	carelog__chart *c;
	int rc;

	*out = NULL;
	if ((rc = carelog__id_check(patient, "patient")) < 0 || (rc = carelog__chart_get(&c, s, patient)) < 0 ||
	    (rc = carelog__index_catchup(s, c)) < 0)
		return rc;
	if ((cd = calloc(1, sizeof(*cd))) == NULL || (cd->records = json_array()) == NULL) {
		free(cd);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	cd->patient = patient;
	if ((rc = query(cd, s, patient)) < 0 || (rc = fill(cd)) < 0) {
		carelog__chartdata_free(cd);
		return rc;
	}
	*out = cd;
	return 0;
}

void carelog__chartdata_free(carelog__chartdata *cd)
{
	if (cd == NULL)
		return;
	for (size_t i = 0; i < cd->nplans; i++) {
		free(cd->plans[i].taper_day);
		free(cd->plans[i].taper_dose);
	}
	free(cd->plans);
	free(cd->doses);
	free(cd->meas);
	free(cd->weights);
	free(cd->targets);
	free(cd->rules);
	carelog__tz_free(cd->tz);
	json_decref(cd->records);
	free(cd);
}

int carelog__chartdata_done(carelog__chartdata *cd, carelog_store *s, int rc)
{
	carelog__chartdata_free(cd);
	return carelog__store_result(s, rc);
}

int carelog__clinical_times(int64_t *at, int64_t *from, int64_t *to, const carelog__chartdata *cd,
	const carelog_clinical_options *opts)
{
	int64_t day;
	int rc;

	*at = carelog__now_ms();
	*from = INT64_MIN;
	*to = INT64_MAX;
	if (opts == NULL)
		return 0;
	if (opts->version != CARELOG_CLINICAL_OPTIONS_VERSION)
		return carelog__fail(CARELOG_EINVALID, "carelog_clinical_options version %u is not supported (expected %u)",
			opts->version, CARELOG_CLINICAL_OPTIONS_VERSION);
	if (opts->at && (rc = carelog__time_parse(at, opts->at, "at")) < 0)
		return rc;
	if (opts->from) {
		if ((rc = carelog__date_parse(&day, opts->from, "from")) < 0)
			return rc;
		*from = carelog__tz_day_start(cd->tz, day);
	}
	if (opts->to) {
		if ((rc = carelog__date_parse(&day, opts->to, "to")) < 0)
			return rc;
		*to = carelog__tz_day_start(cd->tz, day);
	}
	if (opts->from && opts->to && *to < *from)
		return carelog__fail(CARELOG_EINVALID, "to %s is before from %s", opts->to, opts->from);
	return 0;
}

void carelog__local_format(char out[CARELOG__LOCAL_BUFSIZE], const carelog__tz *tz, int64_t ms)
{
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int64_t local = s + carelog__tz_offset(tz, s);
	int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	unsigned rem = (unsigned)(local - day * 86400);
	char date[CARELOG__DATE_BUFSIZE];
	carelog__date_format(date, day);
	snprintf(out, CARELOG__LOCAL_BUFSIZE, "%.10sT%02u:%02u", date, rem / 3600 % 24u, rem / 60 % 60u);
}

double carelog__weight_near(const carelog__chartdata *cd, int64_t ms)
{
	size_t lo = 0, hi = cd->nweights;
	const carelog__meas *before, *after;
	if (cd->nweights == 0)
		return cd->has_weight ? cd->weight_kg : 0;
	while (lo < hi) { /* the first reading at or after ms */
		size_t mid = lo + (hi - lo) / 2;
		if (cd->meas[cd->weights[mid]].t < ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	before = lo > 0 ? &cd->meas[cd->weights[lo - 1]] : NULL;
	after = lo < cd->nweights ? &cd->meas[cd->weights[lo]] : NULL;
	/* equally near: the earlier reading */
	if (before && (after == NULL || ms - before->t <= after->t - ms))
		return before->value;
	return after->value;
}

const char *carelog__keep(carelog__strs *k, const char *s, int *failed)
{
	char *c;
	if (s == NULL)
		return NULL;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		char **nv = realloc(k->v, cap * sizeof(*nv));
		if (nv == NULL) {
			*failed = 1;
			return "";
		}
		k->v = nv;
		k->cap = cap;
	}
	if ((c = strdup(s)) == NULL) {
		*failed = 1;
		return "";
	}
	k->v[k->n++] = c;
	return c;
}

void carelog__strs_free(carelog__strs *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

void *carelog__named_entry(void **v, size_t *n, size_t size, const char *name, carelog__strs *k, int *failed)
{
	char *base = *v, *e;
	size_t i = 0;
	/* the first member of every entry is its name (const char *) */
	while (i < *n && strcmp(*(const char **)(base + i * size), name) < 0)
		i++;
	if (i < *n && strcmp(*(const char **)(base + i * size), name) == 0)
		return base + i * size;
	if ((base = realloc(base, (*n + 1) * size)) == NULL) {
		*failed = 1;
		return NULL;
	}
	*v = base;
	e = base + i * size;
	memmove(e + size, e, (*n - i) * size);
	memset(e, 0, size);
	*(const char **)e = carelog__keep(k, name, failed);
	(*n)++;
	return e;
}

void *carelog__append(void **v, size_t *n, size_t size)
{
	char *base = realloc(*v, (*n + 1) * size);
	if (base == NULL) {
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		return NULL;
	}
	*v = base;
	memset(base + *n * size, 0, size);
	return base + (*n)++ * size;
}

json_t *carelog__json_num_or_null(int has, double v)
{
	return has ? json_real(v) : json_null();
}
