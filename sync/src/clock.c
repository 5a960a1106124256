/*
 * clock.c - a clinic's clock against a device whose wall clock is wrong.
 *
 * Conflicts go to the later hybrid-clock stamp, and a device has no way of
 * its own to tell that its clock is days ahead: offline, "three days fast"
 * and "three days later" look alike. The clinic's server is the clock the
 * care team trusts, so its pre-receive hook refuses a push whose tip holds
 * a record version stamped more than CARELOG__HLC_MAX_LEAD_MS ahead of the
 * server's clock, and says what the server's clock says. A device whose
 * push is refused so learns how far ahead its clock is (its own clock
 * minus the server's, measured as the refusal arrives) and corrects the
 * stamps of its own versions that the push would have brought: each gets
 * a new version stamped as much earlier (at most the server's time), and a
 * record that was in conflict is decided again between its versions with
 * the corrected stamp, by the merge's own order. The wrong versions stay
 * in the history (versions are never destroyed); only the tip decides
 * conflicts, and it holds the corrected ones. Then the sync fetches,
 * merges and pushes again.
 *
 * Only versions a push brings to the tip are held to the server's clock:
 * what a chart already holds was accepted before. A path remote has no
 * server and no hook (libgit2 writes it directly), so it has no trusted
 * clock either; but a device whose clock was set right again knows its
 * own versions stamped ahead of it are wrong, and corrects them (to its
 * clock, after the versions they amended) before any push or bundle
 * (carelog__clock_settle). A clinic store applying a bundle holds it to
 * its own clock as the hook does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hlc.h"
#include "index.h"
#include "json_canon.h"
#include "record_schema.h"
#include "sync_internal.h"
#include "timeutil.h"
#include "tree_diff.h"
#include "validate.h"

/* What the hook's refusal says before the server's time, which the device
 * reads back (carelog__clock_from_refusal). */
#define CLOCK_SAYS "the clinic's clock says "

void carelog__clock_span(char *out, size_t outsz, int64_t ms)
{
	int64_t min = ((ms < 0 ? -ms : ms) + 30000) / 60000;
	if (min >= 48 * 60)
		snprintf(out, outsz, "%lld days %lld hours", (long long)(min / 1440), (long long)(min % 1440 / 60));
	else if (min >= 60)
		snprintf(out, outsz, "%lld hours %lld minutes", (long long)(min / 60), (long long)(min % 60));
	else
		snprintf(out, outsz, "%lld minutes", (long long)min);
}

static void format_ms(char out[CARELOG__HLC_BUFSIZE], int64_t ms)
{
	carelog__hlc h = { ms, 0 };
	carelog__hlc_format(out, &h);
	out[24] = '\0'; /* "2026-11-26T11:40:00.123Z", the counter left out */
}

typedef struct {
	git_repository *repo;
	int64_t limit;                /* stamps after this are ahead */
	const char *device;           /* only this device's versions (NULL: any) */
	carelog__clock_ahead_cb cb;
	void *payload;
} ahead_ctx;

static int ahead_change(const carelog__tree_change *d, void *payload)
{
	ahead_ctx *x = payload;
	char id[CARELOG_ID_BUFSIZE];
	carelog__hlc h;
	json_t *rec;
	const char *dev;
	int rc = 0;

	if (d->status == GIT_DELTA_DELETED || !carelog__record_path_id(id, d->path))
		return 0;
	if ((rec = carelog__blob_record(x->repo, d->new_id)) == NULL)
		return carelog__last_code() ? carelog__last_code() : CARELOG_ERROR;
	dev = json_string_value(json_object_get(rec, "device"));
	if (carelog__hlc_parse(&h, json_string_value(json_object_get(rec, "hlc"))) < 0) {
		rc = carelog__last_code();
	} else if (h.ms > x->limit && (x->device == NULL || (dev && strcmp(dev, x->device) == 0))) {
		rc = x->cb(x->payload, d->path, id, d->new_id, rec, &h);
	}
	json_decref(rec);
	return rc;
}

int carelog__clock_ahead(git_repository *repo, const git_oid *from, const git_oid *to, int64_t now_ms,
	const char *device, carelog__clock_ahead_cb cb, void *payload)
{
	git_commit *ca = NULL, *cb_ = NULL;
	ahead_ctx x = { repo, now_ms + CARELOG__HLC_MAX_LEAD_MS, device, cb, payload };
	int rc;

	if ((from && (rc = git_commit_lookup(&ca, repo, from)) < 0) || (rc = git_commit_lookup(&cb_, repo, to)) < 0)
		rc = carelog__git_fail(rc, "cannot read a chart commit");
	else
		rc = carelog__tree_diff(repo, ca ? git_commit_tree_id(ca) : NULL, git_commit_tree_id(cb_), ahead_change, &x);
	git_commit_free(ca);
	git_commit_free(cb_);
	return rc;
}

/* ---- the hook's side ------------------------------------------------- */

typedef struct {
	const git_oid *tip;
	int64_t now;
	const char *advice;
} refuse_ctx;

static int refuse_ahead(void *payload, const char *path, const char *id, const git_oid *blob, json_t *rec,
	const carelog__hlc *h)
{
	refuse_ctx *x = payload;
	char tip[GIT_OID_HEXSZ + 1], span[64], now[CARELOG__HLC_BUFSIZE];
	const char *dev = json_string_value(json_object_get(rec, "device"));
	(void)blob;
	git_oid_tostr(tip, sizeof(tip), x->tip);
	carelog__clock_span(span, sizeof(span), h->ms - x->now);
	format_ms(now, x->now);
	return carelog__refuse(tip, path,
		"record %s is stamped %s, %s ahead of this clinic's clock (" CLOCK_SAYS "%s): the clock of device "
		"'%s' is wrong; set it right (%s)",
		id, json_string_value(json_object_get(rec, "hlc")), span, now, dev ? dev : "?", x->advice);
}

int carelog__clock_check_push(git_repository *repo, const git_oid *old_tip, const git_oid *new_tip, const char *advice)
{
	refuse_ctx x = { new_tip, carelog__now_ms(), advice };
	return carelog__clock_ahead(repo, old_tip, new_tip, x.now, NULL, refuse_ahead, &x);
}

/* ---- the device's side ----------------------------------------------- */

int carelog__clock_from_refusal(int64_t *clinic_ms, const char *text)
{
	const char *p = text ? strstr(text, CLOCK_SAYS) : NULL;
	char t[32];
	if (p == NULL)
		return 0;
	p += strlen(CLOCK_SAYS);
	if (strlen(p) < 24)
		return 0;
	memcpy(t, p, 24);
	t[24] = '\0';
	/* the caller's error (the refusal) must outlive a garbled time */
	const carelog_error *e = carelog_error_last();
	int code = e->code;
	char *msg = strdup(e->message);
	int ok = carelog__time_parse(clinic_ms, t, "the clinic's clock") == 0;
	if (!ok && msg)
		carelog__fail(code, "%s", msg);
	free(msg);
	return ok;
}

typedef struct {
	carelog_store *s;
	carelog__chart *c;
	git_tree *head_tree;
	git_oid head;
	int64_t clinic_ms, skew_ms;
	int settle;                   /* against this device's own clock */
	carelog__put *puts;
	size_t nputs, cap;
	char **texts;                 /* the new versions' bytes, freed at the end */
	size_t ntexts;
	size_t restamped;
} restamp_ctx;

static carelog__put *put_new(restamp_ctx *x)
{
	if (x->nputs == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		carelog__put *nv = realloc(x->puts, cap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		x->puts = nv;
		x->cap = cap;
	}
	memset(&x->puts[x->nputs], 0, sizeof(x->puts[0]));
	return &x->puts[x->nputs++];
}

static int put_path(restamp_ctx *x, const char *path, int op, const git_oid *blob, const char *data, size_t len)
{
	carelog__put *p = put_new(x);
	if (p == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->op = op;
	if (blob)
		p->blob = *blob;
	p->data = data;
	p->len = len;
	return 0;
}

/* The record's open conflict versions in the head's tree: their blob ids
 * (*out, allocated; free it). */
static int conflict_versions(git_oid **out, size_t *n, restamp_ctx *x, const char *id)
{
	char dir[64];
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "conflicts/%s", id);
	rc = git_tree_entry_bypath(&e, x->head_tree, dir);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 || (rc = git_tree_lookup(&t, x->c->repo, git_tree_entry_id(e))) < 0) {
		git_tree_entry_free(e);
		return carelog__git_fail(rc, "cannot read the conflicts of a record");
	}
	if ((*out = calloc(git_tree_entrycount(t) + 1, sizeof(**out))) == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; rc >= 0 && i < git_tree_entrycount(t); i++)
		(*out)[(*n)++] = *git_tree_entry_id(git_tree_entry_byindex(t, i));
	git_tree_free(t);
	git_tree_entry_free(e);
	return rc < 0 ? rc : 0;
}

/* The stamp of the version the record had before `blob` was written: the
 * version at `path` in the first parent of the newest first-parent
 * ancestor of the head whose tree does not hold `blob` there... that is,
 * walking back from the head while the path still holds `blob`. *found is
 * 0 when the record was new (or the walk gave up, after 10,000 commits). */
static int previous_stamp(carelog__hlc *out, int *found, int *own, restamp_ctx *x, const char *path,
	const git_oid *blob)
{
	git_commit *c = NULL, *parent = NULL;
	int rc = 0;

	*found = *own = 0;
	if ((rc = git_commit_lookup(&c, x->c->repo, &x->head)) < 0)
		return carelog__git_fail(rc, "cannot read the chart head");
	for (int steps = 0; steps < 10000 && git_commit_parentcount(c) > 0; steps++) {
		git_tree *t = NULL;
		git_tree_entry *e = NULL;
		if ((rc = git_commit_parent(&parent, c, 0)) < 0 || (rc = git_commit_tree(&t, parent)) < 0) {
			rc = carelog__git_fail(rc, "cannot read the chart's history");
			break;
		}
		rc = git_tree_entry_bypath(&e, t, path);
		git_tree_free(t);
		if (rc == GIT_ENOTFOUND) { /* the record was new */
			git_error_clear();
			rc = 0;
			break;
		}
		if (rc < 0) {
			rc = carelog__git_fail(rc, "cannot read the chart's history");
			break;
		}
		if (!git_oid_equal(git_tree_entry_id(e), blob)) {
			json_t *prev = carelog__blob_record(x->c->repo, git_tree_entry_id(e));
			git_tree_entry_free(e);
			if (prev == NULL) {
				rc = carelog__last_code() ? carelog__last_code() : CARELOG_ERROR;
				break;
			}
			*found = carelog__hlc_parse(out, json_string_value(json_object_get(prev, "hlc"))) == 0;
			*own = json_string_value(json_object_get(prev, "device")) &&
				strcmp(json_string_value(json_object_get(prev, "device")), x->s->device) == 0;
			json_decref(prev);
			rc = 0;
			break;
		}
		git_tree_entry_free(e);
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	git_commit_free(parent);
	git_commit_free(c);
	return rc;
}

static int restamp_one(void *payload, const char *path, const char *id, const git_oid *blob, json_t *rec,
	const carelog__hlc *h)
{
	restamp_ctx *x = payload;
	carelog__hlc fixed = *h, prev;
	char hbuf[CARELOG__HLC_BUFSIZE], cpath[128], hex[GIT_OID_HEXSZ + 1];
	git_oid *losers = NULL, new_id, winner;
	json_t *copy = json_deep_copy(rec), *wrec = NULL;
	size_t nlosers = 0, len;
	char *text = NULL, **nt;
	int rc, new_wins = 1, have_prev = 0, prev_own = 0;
	int64_t tms;

	if (copy == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	/* as much earlier as the clock was ahead, not after the clinic's time,
	 * and still after the version it amended (which its writer had seen) */
	fixed.ms = h->ms - x->skew_ms;
	if (fixed.ms > x->clinic_ms)
		fixed.ms = x->clinic_ms;
	if ((rc = previous_stamp(&prev, &have_prev, &prev_own, x, path, blob)) < 0)
		goto out;
	/* a stamp in the millisecond of another device's version it amended
	 * followed that version (the clock was behind it), not this device's
	 * clock: without a server's word, that is no sign of a wrong clock */
	if (x->settle && have_prev && !prev_own && h->ms <= prev.ms)
		goto out;
	if (have_prev && prev.ms > x->clinic_ms + CARELOG__HLC_MAX_LEAD_MS) {
		/* a wrong stamp too (this device's, not pushed): as corrected */
		prev.ms -= x->skew_ms;
		if (prev.ms > x->clinic_ms)
			prev.ms = x->clinic_ms;
	}
	if (have_prev && carelog__hlc_cmp(&fixed, &prev) <= 0) {
		fixed = prev;
		carelog__hlc_tick(&fixed, prev.ms); /* just after it */
	}
	carelog__hlc_format(hbuf, &fixed);
	json_object_set_new(copy, "hlc", json_string(hbuf));
	/* a time the device filled in from its own clock (within a minute of
	 * the stamp) was as far ahead: moved back as much, on a server's word
	 * only (settling against this device's clock leaves what it says) */
	if (!x->settle && carelog__time_parse(&tms, json_string_value(json_object_get(copy, "time")), "time") == 0 &&
	    tms > x->clinic_ms + CARELOG__HLC_MAX_LEAD_MS && tms - h->ms <= 60000 && h->ms - tms <= 60000) {
		char tbuf[CARELOG__TIME_BUFSIZE];
		int64_t t2 = tms - (h->ms - fixed.ms);
		carelog__time_format(tbuf, t2 < x->clinic_ms ? t2 : x->clinic_ms);
		json_object_set_new(copy, "time", json_string(tbuf));
	}
	carelog_error_clear();
	if ((rc = carelog__record_normalize(copy)) < 0)
		goto out;
	if ((text = carelog__json_dump(copy)) == NULL || (nt = realloc(x->texts, (x->ntexts + 1) * sizeof(*nt))) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	x->texts = nt;
	len = strlen(text);
	{
		char *withnl = realloc(text, len + 2);
		if (withnl == NULL) {
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
			goto out;
		}
		text = withnl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	x->texts[x->ntexts++] = text;
	if ((rc = git_odb_hash(&new_id, text, len, GIT_OBJECT_BLOB)) < 0) {
		rc = carelog__git_fail(rc, "cannot hash a record");
		text = NULL;
		goto out;
	}
	/* decided again, as the merge decides, among the open versions; one
	 * that is itself ahead of the clinic's clock (another device's) is
	 * not put at the record's path, where the clinic would refuse it */
	if ((rc = conflict_versions(&losers, &nlosers, x, id)) < 0) {
		text = NULL;
		goto out;
	}
	for (size_t i = 0; i < nlosers; i++) {
		json_t *l = carelog__blob_record(x->c->repo, &losers[i]);
		carelog__hlc lh;
		if (l == NULL) {
			rc = carelog__last_code() ? carelog__last_code() : CARELOG_ERROR;
			text = NULL;
			goto out;
		}
		if (carelog__hlc_parse(&lh, json_string_value(json_object_get(l, "hlc"))) == 0 &&
		    lh.ms <= x->clinic_ms + CARELOG__HLC_MAX_LEAD_MS &&
		    carelog__version_order(l, &losers[i], new_wins ? copy : wrec, new_wins ? &new_id : &winner) > 0) {
			json_decref(wrec);
			wrec = l;
			winner = losers[i];
			new_wins = 0;
		} else {
			json_decref(l);
		}
	}
	if (new_wins) {
		rc = put_path(x, path, CARELOG__PUT_DATA, NULL, text, len);
	} else {
		git_oid_tostr(hex, sizeof(hex), &winner);
		snprintf(cpath, sizeof(cpath), "conflicts/%s/%s.json", id, hex);
		rc = put_path(x, path, CARELOG__PUT_BLOB, &winner, NULL, 0);
		if (rc == 0)
			rc = put_path(x, cpath, CARELOG__PUT_REMOVE, NULL, NULL, 0);
		git_oid_tostr(hex, sizeof(hex), &new_id);
		snprintf(cpath, sizeof(cpath), "conflicts/%s/%s.json", id, hex);
		if (rc == 0)
			rc = put_path(x, cpath, CARELOG__PUT_DATA, NULL, text, len);
	}
	if (rc == 0)
		x->restamped++;
	text = NULL; /* x->texts owns it */
out:
	free(text);
	free(losers);
	json_decref(wrec);
	json_decref(copy);
	return rc;
}

static int restamp(size_t *n, carelog_store *s, carelog__chart *c, const git_oid *remote_tip, int64_t clinic_ms,
	int64_t skew_ms, int settle)
{
	restamp_ctx x = { .s = s, .c = c, .clinic_ms = clinic_ms, .skew_ms = skew_ms, .settle = settle };
	git_commit *commit = NULL;
	git_oid head, new_head;
	char msg[160], span[64];
	int rc;

	*n = 0;
	if ((rc = carelog__lock(s)) < 0)
		return rc;
	if ((rc = carelog__chart_head(&head, c)) < 0)
		goto out;
	x.head = head;
	if ((rc = git_commit_lookup(&commit, c->repo, &head)) < 0 || (rc = git_commit_tree(&x.head_tree, commit)) < 0) {
		rc = carelog__git_fail(rc, "cannot read the chart head");
		goto out;
	}
	if ((rc = carelog__clock_ahead(c->repo, remote_tip, &head, clinic_ms, s->device, restamp_one, &x)) < 0 ||
	    x.restamped == 0)
		goto out;
	carelog__clock_span(span, sizeof(span), skew_ms);
	if (skew_ms > 0)
		snprintf(msg, sizeof(msg), "re-stamp %zu version%s: this device's clock was %s ahead of the clinic's",
			x.restamped, x.restamped == 1 ? "" : "s", span);
	else
		snprintf(msg, sizeof(msg), "re-stamp %zu version%s written while this device's clock was ahead",
			x.restamped, x.restamped == 1 ? "" : "s");
	/* into git at once (not left in the journal): a push or bundle follows */
	if ((rc = carelog__chart_write(&new_head, c, &head, x.puts, x.nputs, msg, s->author, s->device)) == 0 &&
	    (rc = carelog__chart_fold(c)) == 0)
		rc = carelog__index_catchup(s, c);
	if (rc == 0)
		*n = x.restamped;
out:
	for (size_t i = 0; i < x.ntexts; i++)
		free(x.texts[i]);
	free(x.texts);
	free(x.puts);
	git_tree_free(x.head_tree);
	git_commit_free(commit);
	carelog__unlock(s);
	return rc;
}

int carelog__clock_restamp(size_t *n, carelog_store *s, carelog__chart *c, const git_oid *remote_tip,
	int64_t clinic_ms, int64_t skew_ms)
{
	return restamp(n, s, c, remote_tip, clinic_ms, skew_ms, 0);
}

int carelog__clock_settle(size_t *n, carelog_store *s, carelog__chart *c, const git_oid *remote_tip)
{
	int64_t now = carelog__now_ms();
	int ahead = 0, rc;

	*n = 0;
	if ((rc = carelog__lock(s)) < 0)
		return rc;
	int others = 0, others_ahead = 0;
	if ((rc = carelog__index_catchup(s, c)) == 0)
		rc = carelog__index_has_ahead(&ahead, s, c->patient, now + CARELOG__HLC_MAX_LEAD_MS);
	/* this device's clock is believed right only if other devices wrote in
	 * this chart and none of it is ahead of the clock: a clock now behind
	 * would otherwise move this device's good versions back */
	if (rc == 0 && ahead)
		rc = carelog__index_others(&others, &others_ahead, s, c->patient, s->device,
			now + CARELOG__HLC_MAX_LEAD_MS);
	carelog__unlock(s);
	if (rc < 0 || !ahead || !others || others_ahead)
		return rc < 0 ? rc : 0;
	return restamp(n, s, c, remote_tip, now, 0, 1);
}
