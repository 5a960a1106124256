/*
 * write.c - the write pipeline every write goes through: a record is
 * completed (id, time, author, device, clock), normalized and validated,
 * checked against the store (patient, plan, an existing id's kind), and
 * collected in a batch; committing the batch takes the store lock and writes
 * one commit per chart, then brings the index along in the same step.
 */
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "error.h"
#include "hlc.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"
#include "timeutil.h"
#include "write_internal.h"

/* How often a write is rebuilt when a git server keeps moving the chart. */
#define MAX_CAS_RETRIES 8

typedef struct {
	json_t *rec;   /* normalized */
	int stamp;     /* the clock stamp is ours to give at commit */
	int time_defaulted; /* no time given: a new version keeps the current one's */
	size_t seq;    /* order of addition: within a chart the last version wins */
} pending;

/* A chart an import has staged commits on, its ref not moved yet. */
typedef struct staged {
	char patient[CARELOG_ID_BUFSIZE];
	carelog__chart *c;     /* the store's handle, or a temporary chart */
	int is_new;            /* c is a temporary chart, installed at the end */
	int has_base, has_head;
	git_oid base, head;    /* the ref when staging began; the last staged commit */
	unsigned long round;   /* the last carelog_batch_commit that staged on it */
	int holds;             /* objects of it may wait in memory (not written out by write_idle since) */
	carelog__put *carry;   /* records staged in no commit yet: their files (data owned) */
	size_t ncarry, carry_cap;
	struct staged *next;
} staged;

struct carelog_batch {
	carelog_store *s;
	pending *v;
	size_t n, cap;
	int deferred;          /* stage commits; refs move in carelog__batch_finish */
	staged *staged;
	int txn;               /* the deferred index transaction is open */
	json_t *new_patients;  /* id -> true: patients this batch creates */
	json_t *new_plans;     /* id -> patient: plans this batch adds */
	json_t *caught_up;     /* patient -> true: charts indexed up to date */
	json_t *batch_ids;     /* id -> "kind patient": records added since the last commit, not indexed yet */
	carelog__chart *bg_turn; /* the staged chart whose pack is in the background */
	unsigned long round;     /* carelog_batch_commit calls so far (used in deferred mode) */
};

static const char *str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

int carelog__batch_new(carelog_batch **out, carelog_store *s, int deferred)
{
	carelog_batch *b = calloc(1, sizeof(*b));
	*out = NULL;
	if (b == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	b->s = s;
	b->deferred = deferred;
	b->new_patients = json_object();
	b->new_plans = json_object();
	b->caught_up = json_object();
	b->batch_ids = json_object();
	if (!b->new_patients || !b->new_plans || !b->caught_up || !b->batch_ids) {
		carelog_batch_free(b);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	*out = b;
	return 0;
}

static void batch_clear(carelog_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->v[i].rec);
	b->n = 0;
	json_object_clear(b->caught_up);
	json_object_clear(b->batch_ids);
}

/* Brings the index of one chart up to date, once per batch. */
static int chart_ready(carelog__chart **c, carelog_batch *b, const char *patient)
{
	char *json = NULL;
	json_t *rec;
	int rc = carelog__chart_get(c, b->s, patient), active = 1;
	if (rc < 0 || json_object_get(b->caught_up, patient))
		return rc;
	if ((rc = carelog__index_catchup(b->s, *c)) < 0)
		return rc;
	/* caught_up also says whether the patient is active: a patient record
	 * entered in error takes no new records (cross_check) */
	rc = carelog__index_lookup(&json, NULL, NULL, b->s, patient);
	if (rc == 0 && (rec = json_loads(json, 0, NULL)) != NULL) {
		active = strcmp(str(rec, "status") ? str(rec, "status") : "", "entered-in-error") != 0;
		json_decref(rec);
	}
	free(json);
	if (rc == CARELOG_ENOTFOUND) {
		carelog_error_clear();
		rc = 0;
	}
	if (rc == 0)
		json_object_set_new(b->caught_up, patient, json_boolean(active));
	return rc;
}

/* Fills what the writer supplies: time, id, patient (of a patient record),
 * status, author, device, and a provisional clock stamp. */
static int complete(json_t *rec, int *stamp, int *time_defaulted, carelog_batch *b)
{
	const char *kind = str(rec, "kind"), *time_text = str(rec, "time"), *id = str(rec, "id");
	char idbuf[CARELOG_ID_BUFSIZE], tbuf[CARELOG__TIME_BUFSIZE];
	int64_t ms;
	int rc;

	if (kind == NULL)
		return carelog__fail(CARELOG_EINVALID, "kind is required (one of patient, caregiver, plan, dose, symptom, measurement, note, target, rule)");
	if (!carelog__kind_known(kind))
		return carelog__fail(CARELOG_EINVALID,
			"kind '%.40s' is not one of patient, caregiver, plan, dose, symptom, measurement, note, target, rule", kind);
	*time_defaulted = time_text == NULL;
	if (time_text == NULL) {
		if (json_object_get(rec, "time"))
			return carelog__fail(CARELOG_EINVALID, "time must be an RFC 3339 string");
		ms = carelog__now_ms();
		carelog__time_format(tbuf, ms);
		json_object_set_new(rec, "time", json_string(tbuf));
	} else if ((rc = carelog__time_parse(&ms, time_text, "time")) < 0) {
		return rc;
	}
	if (id == NULL) {
		if (json_object_get(rec, "id"))
			return carelog__fail(CARELOG_EINVALID, "id must be a string");
		if ((rc = carelog__id_generate(idbuf, ms)) < 0)
			return rc;
		json_object_set_new(rec, "id", json_string(idbuf));
		id = str(rec, "id");
	} else if ((rc = carelog__id_check(id, "id")) < 0) {
		return rc;
	}
	if (strcmp(kind, "patient") == 0 && !json_object_get(rec, "patient"))
		json_object_set_new(rec, "patient", json_string(id));
	if (!json_object_get(rec, "status"))
		json_object_set_new(rec, "status", json_string("active"));
	if (!json_object_get(rec, "author"))
		json_object_set_new(rec, "author", json_string(b->s->author));
	*stamp = json_object_get(rec, "hlc") == NULL;
	if (*stamp) {
		/* a placeholder that validates; the real stamp is given under the lock */
		carelog__hlc h = { ms > 0 ? ms : 0, 0 };
		char hbuf[CARELOG__HLC_BUFSIZE];
		carelog__hlc_format(hbuf, &h);
		json_object_set_new(rec, "hlc", json_string(hbuf));
		if (!json_object_get(rec, "device"))
			json_object_set_new(rec, "device", json_string(b->s->device));
	}
	return 0;
}

/* Non-zero if the store has the patient's chart; a chart this batch has
 * already caught up exists, which spares an import a stat per line. */
static int chart_known(carelog_batch *b, const char *patient)
{
	return json_object_get(b->caught_up, patient) != NULL || carelog__chart_exists(b->s, patient);
}

/* What must hold against the store and the rest of the batch. */
static int cross_check(carelog_batch *b, json_t *rec)
{
	const char *id = str(rec, "id"), *kind = str(rec, "kind"), *patient = str(rec, "patient");
	const char *plan = str(rec, "plan");
	char have_patient[CARELOG_ID_BUFSIZE], have_kind[32];
	carelog__chart *c;
	int is_new_patient = json_object_get(b->new_patients, patient) != NULL;
	int rc;

	if (!is_new_patient && !chart_known(b, patient) && strcmp(kind, "patient") != 0)
		return carelog__fail(CARELOG_ENOTFOUND, "no patient %s in this store", patient);
	if (!is_new_patient && chart_known(b, patient) && (rc = chart_ready(&c, b, patient)) < 0)
		return rc;
	if (strcmp(kind, "dose") == 0 && plan) {
		const char *plan_patient = str(b->new_plans, plan);
		if (plan_patient == NULL) {
			rc = is_new_patient ? CARELOG_ENOTFOUND
				: carelog__index_lookup(NULL, have_patient, have_kind, b->s, plan);
			if (rc == CARELOG_ENOTFOUND)
				return carelog__fail(CARELOG_ENOTFOUND, "no plan %s for patient %s", plan, patient);
			if (rc < 0)
				return rc;
			if (strcmp(have_kind, "plan") != 0 || strcmp(have_patient, patient) != 0)
				return carelog__fail(CARELOG_EINVALID, "plan %s is not a plan of patient %s", plan, patient);
		} else if (strcmp(plan_patient, patient) != 0) {
			return carelog__fail(CARELOG_EINVALID, "plan %s is not a plan of patient %s", plan, patient);
		}
	}
	/* a record this batch already has, not in the index yet: the same kind
	 * and patient (two charts must never hold one id) */
	const char *seen = json_string_value(json_object_get(b->batch_ids, id));
	if (seen) {
		size_t klen = strcspn(seen, " ");
		if (strlen(kind) != klen || strncmp(seen, kind, klen) != 0 || strcmp(seen + klen + 1, patient) != 0)
			return carelog__fail(CARELOG_EINVALID,
				"record %s is a %.*s of patient %s: its kind and patient cannot change", id, (int)klen, seen,
				seen + klen + 1);
	}
	rc = carelog__index_lookup(NULL, have_patient, have_kind, b->s, id);
	if (rc == CARELOG_ENOTFOUND) {
		carelog_error_clear();
		/* versions of its existing records (a void, say) are still taken */
		if (!is_new_patient && strcmp(kind, "patient") != 0 &&
		    json_is_false(json_object_get(b->caught_up, patient)))
			return carelog__fail(CARELOG_EINVALID,
				"patient %s was entered in error: it takes no new records", patient);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (strcmp(have_kind, kind) != 0 || strcmp(have_patient, patient) != 0)
		return carelog__fail(CARELOG_EINVALID,
			"record %s is a %s of patient %s: its kind and patient cannot change", id, have_kind, have_patient);
	return 0;
}

int carelog__batch_add(carelog_batch *b, json_t *rec, char *out_id)
{
	int stamp = 0, time_defaulted = 0, rc;

	if ((rc = complete(rec, &stamp, &time_defaulted, b)) < 0 || (rc = carelog__record_normalize(rec)) < 0 ||
	    (rc = cross_check(b, rec)) < 0) {
		json_decref(rec);
		return rc;
	}
	if (out_id)
		snprintf(out_id, CARELOG_ID_BUFSIZE, "%s", str(rec, "id"));
	char seen[64];
	snprintf(seen, sizeof(seen), "%s %s", str(rec, "kind"), str(rec, "patient"));
	if (json_object_set_new(b->batch_ids, str(rec, "id"), json_string(seen)) < 0) {
		json_decref(rec);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	/* a patient entered in error takes no new records from here on, in
	 * this batch too (chart_ready looked once, before) */
	if (strcmp(str(rec, "kind"), "patient") == 0 && json_object_get(b->caught_up, str(rec, "id")) &&
	    strcmp(str(rec, "status") ? str(rec, "status") : "", "entered-in-error") == 0)
		json_object_set_new(b->caught_up, str(rec, "id"), json_false());
	if (strcmp(str(rec, "kind"), "patient") == 0 && !chart_known(b, str(rec, "id")))
		json_object_set_new(b->new_patients, str(rec, "id"), json_true());
	if (strcmp(str(rec, "kind"), "plan") == 0)
		json_object_set_new(b->new_plans, str(rec, "id"), json_string(str(rec, "patient")));
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		pending *nv = realloc(b->v, cap * sizeof(*nv));
		if (nv == NULL) {
			json_decref(rec);
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		}
		b->v = nv;
		b->cap = cap;
	}
	b->v[b->n].rec = rec;
	b->v[b->n].stamp = stamp;
	b->v[b->n].time_defaulted = time_defaulted;
	b->v[b->n].seq = b->n;
	b->n++;
	return 0;
}

/* Equal but for who wrote it and when: a re-import or a no-op amendment. */
static int same_content(json_t *a, json_t *b)
{
	static const char *const ignore[] = { "hlc", "device", "author" };
	json_t *x = json_copy(a), *y = json_copy(b);
	int eq;
	for (size_t i = 0; i < 3; i++) {
		json_object_del(x, ignore[i]);
		json_object_del(y, ignore[i]);
	}
	eq = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return eq;
}

typedef struct {
	pending *p;         /* the records of one chart, in batch order */
	size_t n;
	carelog__put *puts;
	char **texts;
	json_t **recs;      /* the records actually written (parallel to puts) */
	size_t nputs;
} chart_job;

static void job_reset(chart_job *j)
{
	for (size_t i = 0; i < j->nputs; i++)
		free(j->texts[i]);
	j->nputs = 0;
}

/* For each id, the index of its last record in the job: the last wins. */
static json_t *last_of_each(chart_job *j)
{
	json_t *last = json_object();
	for (size_t i = 0; last && i < j->n; i++)
		json_object_set_new(last, str(j->p[i].rec, "id"), json_integer((json_int_t)i));
	return last;
}

/* Turns the job's records into files, skipping those already stored as
 * they are, and gives the new ones clock stamps later than any in the chart. */
static int job_prepare(chart_job *j, carelog_store *s, const char *patient, int chart_exists)
{
	carelog__hlc clock = { 0, 0 };
	char maxh[64];
	int rc;

	json_t *last;
	job_reset(j);
	if ((last = last_of_each(j)) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (chart_exists) {
		if ((rc = carelog__index_max_hlc(maxh, s, patient)) < 0) {
			json_decref(last);
			return rc;
		}
		if (maxh[0])
			carelog__hlc_parse(&clock, maxh);
	}
	for (size_t i = 0; i < j->n; i++) {
		json_t *rec = j->p[i].rec;
		char *old = NULL;
		if ((size_t)json_integer_value(json_object_get(last, str(rec, "id"))) != i)
			continue;
		if (chart_exists && carelog__index_lookup(&old, NULL, NULL, s, str(rec, "id")) == 0) {
			json_t *prev = json_loads(old, 0, NULL);
			int same;
			if (prev && j->p[i].time_defaulted)
				json_object_set(rec, "time", json_object_get(prev, "time"));
			same = prev && same_content(prev, rec);
			carelog__hlc ph;
			if (prev && carelog__hlc_parse(&ph, str(prev, "hlc")) == 0)
				carelog__hlc_observe(&clock, &ph);
			json_decref(prev);
			free(old);
			if (same)
				continue;
		}
		if (j->p[i].stamp) {
			char hbuf[CARELOG__HLC_BUFSIZE];
			carelog__hlc h = carelog__hlc_tick(&clock, carelog__now_ms());
			carelog__hlc_format(hbuf, &h);
			json_object_set_new(rec, "hlc", json_string(hbuf));
		}
		char *text = carelog__json_dump(rec);
		size_t len = text ? strlen(text) : 0;
		char *withnl = text ? realloc(text, len + 2) : NULL;
		if (withnl == NULL) {
			free(text);
			json_decref(last);
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		}
		withnl[len] = '\n';
		withnl[len + 1] = '\0';
		carelog__record_path(j->puts[j->nputs].path, sizeof(j->puts[j->nputs].path), str(rec, "kind"), str(rec, "id"));
		j->puts[j->nputs].data = withnl;
		j->puts[j->nputs].len = len + 1;
		j->texts[j->nputs] = withnl;
		j->recs[j->nputs] = rec;
		j->nputs++;
	}
	json_decref(last);
	return 0;
}

/* Applies what was just written to the index when the index was at the
 * head the write started from; otherwise a catch-up diffs it in. */
static int job_index(chart_job *j, carelog_store *s, carelog__chart *c, const git_oid *old, const git_oid *new_head)
{
	git_oid indexed;
	int rc = carelog__index_begin(s);
	if (rc < 0)
		return rc;
	rc = carelog__index_head(&indexed, s, c->patient);
	if ((old == NULL && rc == CARELOG_ENOTFOUND) || (old && rc == 0 && git_oid_equal(&indexed, old))) {
		rc = 0;
		for (size_t i = 0; i < j->nputs && rc == 0; i++) {
			j->texts[i][j->puts[i].len - 1] = '\0';
			rc = carelog__index_put(s, j->recs[i], j->texts[i], &j->puts[i].blob);
		}
		if (rc == 0)
			rc = carelog__index_set_head(s, c->patient, new_head);
		if (rc == 0)
			return carelog__index_commit(s);
		carelog__index_rollback(s);
		return rc;
	}
	carelog__index_rollback(s);
	return carelog__index_catchup(s, c);
}

static int job_message(char *msg, size_t sz, chart_job *j)
{
	if (j->nputs == 1)
		snprintf(msg, sz, "%s %s", str(j->recs[0], "kind"), str(j->recs[0], "id"));
	else
		snprintf(msg, sz, "%zu records", j->nputs);
	return 0;
}

static int commit_chart(size_t *written, carelog_batch *b, chart_job *j, const char *patient)
{
	carelog_store *s = b->s;
	carelog__chart *c = NULL;
	git_oid old, new_head;
	char msg[128];
	size_t packs;
	int rc, exists = carelog__chart_exists(s, patient);

	if (!exists) {
		if ((rc = job_prepare(j, s, patient, 0)) < 0)
			return rc;
		job_message(msg, sizeof(msg), j);
		if ((rc = carelog__chart_create(&c, s, patient, j->puts, j->nputs, msg, s->author, s->device)) < 0 ||
		    (rc = carelog__chart_head(&new_head, c)) < 0 ||
		    (rc = job_index(j, s, c, NULL, &new_head)) < 0)
			return rc;
		*written += j->nputs;
		return 0;
	}
	if ((rc = carelog__chart_get(&c, s, patient)) < 0)
		return rc;
	packs = c->packs_written;
	for (int attempt = 0;; attempt++) {
		if ((rc = carelog__index_catchup(s, c)) < 0 || (rc = job_prepare(j, s, patient, 1)) < 0)
			return rc;
		if (j->nputs == 0)
			return 0;
		if ((rc = carelog__chart_head(&old, c)) < 0)
			return rc;
		job_message(msg, sizeof(msg), j);
		rc = carelog__chart_write(&new_head, c, &old, j->puts, j->nputs, msg, s->author, s->device);
		if (rc != CARELOG_EMOVED || attempt >= MAX_CAS_RETRIES)
			break;
	}
	if (rc < 0)
		return rc;
	*written += j->nputs;
	if ((rc = job_index(j, s, c, &old, &new_head)) < 0)
		return rc;
	/* the write is durable and indexed; compaction failing must not fail
	 * it. A device's write that went into the journal added no pack. */
	if (c->packs_written != packs && carelog__chart_maintain(c) < 0)
		carelog_error_clear();
	return 0;
}

static staged *find_staged(carelog_batch *b, const char *patient)
{
	for (staged *st = b->staged; st; st = st->next)
		if (strcmp(st->patient, patient) == 0)
			return st;
	return NULL;
}

static int start_staging(staged **out, carelog_batch *b, const char *patient)
{
	staged *st = calloc(1, sizeof(*st));
	int rc;
	if (st == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	snprintf(st->patient, sizeof(st->patient), "%s", patient);
	if (carelog__chart_exists(b->s, patient)) {
		if ((rc = carelog__chart_get(&st->c, b->s, patient)) < 0 ||
		    (rc = carelog__index_catchup(b->s, st->c)) < 0 ||
		    (rc = carelog__chart_head(&st->base, st->c)) < 0) {
			free(st);
			return rc;
		}
		st->has_base = st->has_head = 1;
		st->head = st->base;
	} else {
		if ((rc = carelog__chart_create_temp(&st->c, b->s, patient)) < 0) {
			free(st);
			return rc;
		}
		st->is_new = 1;
	}
	carelog__chart_defer(st->c, 1);
	carelog__chart_share_background(st->c, &b->bg_turn);
	st->next = b->staged;
	b->staged = st;
	*out = st;
	return 0;
}

/* Deferred mode: a chart's records wait as files (the carry) until it has
 * CARRY_MIN of them, or gets no record in a round, or the import ends, and
 * only then become a commit. A chart that gets a few records in every
 * batch (an input interleaving many patients) so gets one commit per
 * CARRY_MIN records rather than one per batch: every commit rewrites the
 * trees above its records, and those tree versions, held until the chart's
 * objects are written, were most of such an import's memory. A record
 * written again while an earlier version of it waits first has the carry
 * staged as a commit, so that every version a batch would have kept stays
 * in the history (a batch keeps the last version of a record it holds). */
#define CARRY_MIN 256

static void carry_free(staged *st)
{
	for (size_t i = 0; i < st->ncarry; i++)
		free((char *)st->carry[i].data);
	free(st->carry);
	st->carry = NULL;
	st->ncarry = st->carry_cap = 0;
}

/* Non-zero if a file of the job waits in the chart's carry already (the
 * carry holds fewer than CARRY_MIN files, the job any number: the carry's
 * paths are looked up as a set). -1 when out of memory. */
static int carry_holds_any(const staged *st, const chart_job *j)
{
	json_t *set;
	int found = 0;
	if (st->ncarry == 0)
		return 0;
	if ((set = json_object()) == NULL)
		return -1;
	for (size_t k = 0; k < st->ncarry; k++)
		if (json_object_set_new(set, st->carry[k].path, json_true()) < 0) {
			json_decref(set);
			return -1;
		}
	for (size_t i = 0; i < j->nputs && !found; i++)
		found = json_object_get(set, j->puts[i].path) != NULL;
	json_decref(set);
	return found;
}

/* Takes the job's files into the chart's carry (the texts change owner).
 * On failure some may be taken and others not: the caller gives up the
 * whole deferred batch then (import_run, carelog_batch_free), so the index
 * rows already put for them go too. */
static int carry_add(staged *st, chart_job *j)
{
	for (size_t i = 0; i < j->nputs; i++) {
		if (st->ncarry == st->carry_cap) {
			size_t cap = st->carry_cap ? 2 * st->carry_cap : 64;
			while (cap < st->ncarry + (j->nputs - i))
				cap *= 2;
			carelog__put *nv = realloc(st->carry, cap * sizeof(*nv));
			if (nv == NULL)
				return carelog__fail(CARELOG_ENOMEM, "out of memory");
			st->carry = nv;
			st->carry_cap = cap;
		}
		st->carry[st->ncarry++] = j->puts[i];
		j->texts[i] = NULL;
	}
	return 0;
}

/* Stages the chart's carry as one commit on its staged head. */
static int carry_commit(carelog_batch *b, staged *st)
{
	carelog_store *s = b->s;
	git_oid commit;
	char msg[128], id[CARELOG_ID_BUFSIZE];
	int rc;

	if (st->ncarry == 0)
		return 0;
	if (st->ncarry == 1 && carelog__record_path_id(id, st->carry[0].path))
		snprintf(msg, sizeof(msg), "%.*s %s", (int)strcspn(st->carry[0].path, "/"), st->carry[0].path, id);
	else
		snprintf(msg, sizeof(msg), "%zu records", st->ncarry);
	if ((rc = carelog__chart_stage(&commit, st->c, st->has_head ? &st->head : NULL, st->carry, st->ncarry,
			msg, s->author, s->device)) < 0)
		return rc; /* a pack's failure names its chart */
	carry_free(st);
	st->head = commit;
	st->has_head = 1;
	st->holds = 1;
	return 0;
}

/* Deferred mode: puts the job's records into the (still open) index
 * transaction and into the chart's carry, staged as a commit once there
 * are CARRY_MIN of them; no ref moves. */
static int stage_chart(size_t *written, carelog_batch *b, chart_job *j, const char *patient)
{
	carelog_store *s = b->s;
	staged *st = find_staged(b, patient);
	int rc, held;

	if (st == NULL && (rc = start_staging(&st, b, patient)) < 0)
		return rc;
	if (!b->txn) {
		if ((rc = carelog__index_begin(s)) < 0)
			return rc;
		b->txn = 1;
	}
	if ((rc = job_prepare(j, s, patient, 1)) < 0 || j->nputs == 0)
		return rc;
	for (size_t i = 0; i < j->nputs && rc == 0; i++) {
		char *t = j->texts[i];
		size_t len = j->puts[i].len;
		if ((rc = git_odb_hash(&j->puts[i].blob, t, len, GIT_OBJECT_BLOB)) < 0) {
			rc = carelog__git_fail(rc, "cannot hash a record");
			break;
		}
		t[len - 1] = '\0'; /* the index takes the record without its newline */
		rc = carelog__index_put(s, j->recs[i], t, &j->puts[i].blob);
		t[len - 1] = '\n';
	}
	if (rc < 0)
		return rc;
	if ((held = carry_holds_any(st, j)) < 0)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if ((held && (rc = carry_commit(b, st)) < 0) || (rc = carry_add(st, j)) < 0)
		return rc;
	st->round = b->round;
	*written += j->nputs;
	return st->ncarry >= CARRY_MIN ? carry_commit(b, st) : 0;
}

/* Deferred mode, after a round of staging: each chart staged on before but
 * not in this round has its waiting objects written now rather than when
 * the import ends. An input grouped by patient then holds the objects of
 * the few patients its current lines are about, not of every patient it
 * has read (measured, 100,000 records over 1,000 patients, grouped: see
 * import.c); an input that interleaves patients is unchanged. */
#define IDLE_ROUNDS 3
static int write_idle(carelog_batch *b)
{
	int rc = 0;

	/* a chart that got no record this round stages what it carries */
	for (staged *st = b->staged; st && rc == 0; st = st->next)
		if (st->ncarry && st->round != b->round)
			rc = carry_commit(b, st);
	for (staged *st = b->staged; st && rc == 0; st = st->next)
		if (st->holds && b->round - st->round >= IDLE_ROUNDS) {
			/* writes what waits, in the foreground, and opens the chart
			 * again, freeing the memory both held (libgit2's caches of
			 * the chart too); then staging goes on (errors name the chart) */
			if ((rc = carelog__chart_reopen(st->c)) == 0)
				rc = carelog__chart_defer(st->c, 1);
			st->holds = 0;
		}
	return rc;
}

static void free_staged(carelog_batch *b)
{
	while (b->staged) {
		staged *next = b->staged->next;
		if (b->staged->is_new)
			carelog__chart_discard_temp(b->staged->c);
		else if (b->staged->c) {
			carelog__chart_discard_pending(b->staged->c); /* nothing waits unless the batch was given up */
			carelog__chart_share_background(b->staged->c, NULL); /* the store keeps the chart */
		}
		carry_free(b->staged);
		free(b->staged);
		b->staged = next;
	}
}

void carelog__batch_abort(carelog_batch *b)
{
	if (b->txn)
		carelog__index_rollback(b->s);
	b->txn = 0;
	free_staged(b);
	json_object_clear(b->new_patients);
	json_object_clear(b->new_plans);
	json_object_clear(b->batch_ids);
}

/* Writes every staged chart's objects, then moves each staged chart's ref
 * (installing new charts), records the heads and commits the index. A
 * chart whose ref moved meanwhile fails the import with the others that
 * were published left in place: each is a complete commit, and the index,
 * rolled back, catches up with them. */
int carelog__batch_finish(carelog_batch *b)
{
	carelog_store *s = b->s;
	int rc = 0;

	for (staged *st = b->staged; st && rc == 0; st = st->next)
		rc = carry_commit(b, st);
	/* every chart's objects in place before any ref moves: a pack that
	 * fails (those of an import are written in the background) then fails
	 * the import with nothing published */
	for (staged *st = b->staged; st && rc == 0; st = st->next)
		if (st->has_head && !(st->has_base && git_oid_equal(&st->head, &st->base)))
			rc = carelog__chart_defer(st->c, 0); /* its errors name the chart */
	for (staged *st = b->staged; st && rc == 0; st = st->next) {
		if (!st->has_head || (st->has_base && git_oid_equal(&st->head, &st->base)))
			continue;
		if (st->is_new) {
			carelog__chart *installed;
			if ((rc = carelog__chart_publish(st->c, &st->head, NULL)) == 0) {
				rc = carelog__chart_install(&installed, s, st->c);
				st->is_new = 0; /* installed (or discarded) */
				st->c = installed;
			}
		} else {
			rc = carelog__chart_publish(st->c, &st->head, &st->base);
		}
		if (rc == 0)
			rc = carelog__index_set_head(s, st->patient, &st->head);
		else
			carelog__fail_prefix("chart %s", st->patient);
	}
	if (rc == 0 && b->txn) {
		b->txn = 0;
		rc = carelog__index_commit(s);
	}
	/* compaction merges what the import staged: drop the caches and pack
	 * maps staging built up first, so that the merge does not stack on them */
	if (rc == 0)
		sqlite3_db_release_memory(s->db);
	for (staged *st = b->staged; st && rc == 0; st = st->next)
		if (st->c && (carelog__chart_reopen(st->c) < 0 || carelog__chart_maintain(st->c) < 0))
			carelog_error_clear();
	if (rc < 0)
		carelog__batch_abort(b);
	else
		free_staged(b);
	json_object_clear(b->new_patients);
	json_object_clear(b->new_plans);
	return rc;
}

static int cmp_patient(const void *a, const void *b)
{
	const pending *x = a, *y = b;
	int c = strcmp(str(x->rec, "patient"), str(y->rec, "patient"));
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

int carelog_batch_commit(size_t *written, carelog_batch *b)
{
	chart_job j = { 0 };
	size_t total = 0;
	int rc = 0;

	if (written)
		*written = 0;
	if (b == NULL)
		return carelog__fail(CARELOG_EINVALID, "no batch given");
	if (b->n == 0)
		return 0;
	qsort(b->v, b->n, sizeof(*b->v), cmp_patient);
	j.puts = calloc(b->n, sizeof(*j.puts));
	j.texts = calloc(b->n, sizeof(*j.texts));
	j.recs = calloc(b->n, sizeof(*j.recs));
	if (!j.puts || !j.texts || !j.recs) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = carelog__lock(b->s)) < 0)
		goto out;
	b->round++;
	for (size_t start = 0; start < b->n && rc == 0;) {
		const char *patient = str(b->v[start].rec, "patient");
		size_t end = start + 1;
		while (end < b->n && strcmp(str(b->v[end].rec, "patient"), patient) == 0)
			end++;
		j.p = b->v + start;
		j.n = end - start;
		rc = b->deferred ? stage_chart(&total, b, &j, patient) : commit_chart(&total, b, &j, patient);
		job_reset(&j);
		start = end;
	}
	if (rc == 0 && b->deferred)
		rc = write_idle(b);
	carelog__unlock(b->s);
out:
	job_reset(&j);
	free(j.puts);
	free(j.texts);
	free(j.recs);
	if (written)
		*written = total;
	batch_clear(b);
	if (!b->deferred) {
		json_object_clear(b->new_patients);
		json_object_clear(b->new_plans);
	}
	return rc;
}

int carelog_batch_new(carelog_batch **out, carelog_store *s)
{
	return carelog__store_result(s, carelog__batch_new(out, s, 0));
}

int carelog_batch_add_json(char *out_id, carelog_batch *b, const char *json)
{
	json_t *rec;
	if (b == NULL || json == NULL)
		return carelog__fail(CARELOG_EINVALID, "no batch or record given");
	if ((rec = carelog__json_parse_object(json, "record")) == NULL)
		return carelog__store_result(b->s, carelog__last_code());
	return carelog__store_result(b->s, carelog__batch_add(b, rec, out_id));
}

size_t carelog_batch_count(const carelog_batch *b)
{
	return b ? b->n : 0;
}

void carelog_batch_free(carelog_batch *b)
{
	if (b == NULL)
		return;
	carelog__batch_abort(b);
	batch_clear(b);
	free(b->v);
	json_decref(b->new_patients);
	json_decref(b->new_plans);
	json_decref(b->batch_ids);
	json_decref(b->caught_up);
	free(b);
}

int carelog__write_one(char *out_id, carelog_store *s, json_t *rec)
{
	carelog_batch *b = NULL;
	int rc = carelog__batch_new(&b, s, 0);
	if (rc < 0) {
		json_decref(rec);
		return carelog__store_result(s, rc);
	}
	if ((rc = carelog__batch_add(b, rec, out_id)) == 0)
		rc = carelog_batch_commit(NULL, b);
	carelog_batch_free(b);
	return carelog__store_result(s, rc);
}

int carelog_record_write_json(char *out_id, carelog_store *s, const char *json)
{
	json_t *rec = json ? carelog__json_parse_object(json, "record") : NULL;
	if (rec == NULL)
		return carelog__store_result(s, json ? carelog__last_code()
			: carelog__fail(CARELOG_EINVALID, "no record given"));
	return carelog__write_one(out_id, s, rec);
}
