/*
 * conflicts.c - open conflicts and their resolution. A conflict is a losing
 * version of a record kept at conflicts/<record-id>/<blob-id>.json in the
 * chart, next to the record's winning version at its own path. They are
 * read from the chart heads (not the index), so what is listed is what the
 * charts hold. A resolution is a new version of the record that removes
 * the conflict files in the same commit; it syncs like any write.
 */
#include <stdlib.h>
#include <string.h>

#include "carelog/sync.h"
#include "error.h"
#include "hlc.h"
#include "index.h"
#include "json_canon.h"
#include "record_id.h"
#include "record_schema.h"
#include "sync_internal.h"
#include "timeutil.h"
#include "write_internal.h"

struct carelog_conflict_list {
	json_t *arr;      /* conflict objects */
	char **texts;     /* their JSON, made on demand */
};

/* Calls cb for each conflict file of the tree: its record id and blob. */
typedef int (*conflict_cb)(const char *id, const char *path, const git_oid *blob, void *payload);

static int foreach_conflict(git_repository *repo, const git_oid *commit_id, conflict_cb cb, void *payload)
{
	git_commit *commit = NULL;
	git_tree *root = NULL, *dir = NULL;
	git_tree_entry *e = NULL;
	int rc;

	if ((rc = git_commit_lookup(&commit, repo, commit_id)) < 0 || (rc = git_commit_tree(&root, commit)) < 0) {
		rc = carelog__git_fail(rc, "cannot read the chart head");
		goto out;
	}
	rc = git_tree_entry_bypath(&e, root, "conflicts");
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc < 0 || (rc = git_tree_lookup(&dir, repo, git_tree_entry_id(e))) < 0) {
		rc = carelog__git_fail(rc, "cannot read the chart's conflicts");
		goto out;
	}
	for (size_t i = 0; i < git_tree_entrycount(dir) && rc == 0; i++) {
		const git_tree_entry *rec = git_tree_entry_byindex(dir, i);
		git_tree *versions = NULL;
		if (git_tree_entry_type(rec) != GIT_OBJECT_TREE || git_tree_lookup(&versions, repo, git_tree_entry_id(rec)) < 0)
			continue;
		for (size_t k = 0; k < git_tree_entrycount(versions) && rc == 0; k++) {
			const git_tree_entry *v = git_tree_entry_byindex(versions, k);
			char path[128], id[CARELOG_ID_BUFSIZE];
			if (strlen(git_tree_entry_name(rec)) != 36 || strlen(git_tree_entry_name(v)) != 45)
				continue;
			snprintf(path, sizeof(path), "conflicts/%s/%s", git_tree_entry_name(rec), git_tree_entry_name(v));
			if (carelog__conflict_path_id(id, path))
				rc = cb(id, path, git_tree_entry_id(v), payload);
		}
		git_tree_free(versions);
	}
out:
	git_tree_entry_free(e);
	git_tree_free(dir);
	git_tree_free(root);
	git_commit_free(commit);
	return rc;
}

static int count_cb(const char *id, const char *path, const git_oid *blob, void *payload)
{
	(void)id;
	(void)path;
	(void)blob;
	(*(size_t *)payload)++;
	return 0;
}

int carelog__count_conflicts(size_t *n, git_repository *repo, const git_oid *commit)
{
	*n = 0;
	return foreach_conflict(repo, commit, count_cb, n);
}

/* Fields a person compares; who wrote a version and its clock stamp are
 * shown beside them, not as differences. */
static json_t *differing_fields(json_t *a, json_t *b)
{
	static const char *const ignore[] = { "hlc", "device", "author" };
	json_t *names = json_array(), *v;
	const char *k;
	json_t *keys = json_object();
	json_object_foreach(a, k, v)
		json_object_set_new(keys, k, json_true());
	json_object_foreach(b, k, v)
		json_object_set_new(keys, k, json_true());
	json_object_foreach(keys, k, v) {
		int skip = 0;
		for (size_t i = 0; i < sizeof(ignore) / sizeof(ignore[0]); i++)
			skip |= strcmp(k, ignore[i]) == 0;
		if (!skip && !json_equal(json_object_get(a, k), json_object_get(b, k)))
			json_array_append_new(names, json_string(k));
	}
	json_decref(keys);
	return names;
}

typedef struct {
	git_repository *repo;
	git_tree *root;
	const char *patient;
	json_t *arr;
} list_ctx;

static int list_cb(const char *id, const char *path, const git_oid *blob, void *payload)
{
	list_ctx *x = payload;
	json_t *loser = carelog__blob_record(x->repo, blob), *winner = NULL;
	git_tree_entry *e = NULL;
	char want[128], hex[GIT_OID_HEXSZ + 1];
	(void)path;

	if (loser == NULL)
		return carelog__last_code();
	carelog__record_path(want, sizeof(want), json_string_value(json_object_get(loser, "kind")), id);
	if (git_tree_entry_bypath(&e, x->root, want) == 0) {
		winner = carelog__blob_record(x->repo, git_tree_entry_id(e));
		git_oid_tostr(hex, sizeof(hex), git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	if (winner == NULL) {
		json_decref(loser);
		return carelog__fail(CARELOG_ECORRUPT, "chart %s: conflict %s has no current version at %s", x->patient,
			path, want);
	}
	json_t *o = json_object();
	json_object_set_new(o, "record", json_string(id));
	json_object_set_new(o, "patient", json_string(x->patient));
	json_object_set_new(o, "kind", json_incref(json_object_get(winner, "kind")));
	json_object_set_new(o, "fields", differing_fields(winner, loser));
	json_object_set_new(o, "winner_version", json_string(hex));
	git_oid_tostr(hex, sizeof(hex), blob);
	json_object_set_new(o, "loser_version", json_string(hex));
	json_object_set_new(o, "winner", winner);
	json_object_set_new(o, "loser", loser);
	json_array_append_new(x->arr, o);
	return 0;
}

static int list_chart(json_t *arr, carelog_store *s, const char *patient)
{
	carelog__chart *c;
	git_oid head;
	git_commit *commit = NULL;
	list_ctx x = { NULL, NULL, patient, arr };
	int rc;

	if ((rc = carelog__chart_get(&c, s, patient)) < 0)
		return rc;
	rc = carelog__chart_head(&head, c);
	if (rc == CARELOG_ENOTFOUND) {
		carelog_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	x.repo = c->repo;
	if ((rc = git_commit_lookup(&commit, c->repo, &head)) < 0 || (rc = git_commit_tree(&x.root, commit)) < 0)
		rc = carelog__git_fail(rc, "cannot read the chart head");
	else
		rc = foreach_conflict(c->repo, &head, list_cb, &x);
	git_tree_free(x.root);
	git_commit_free(commit);
	return rc;
}

int carelog_conflicts(carelog_conflict_list **out, carelog_store *s, const char *patient)
{
	carelog_conflict_list *l = calloc(1, sizeof(*l));
	char **ids = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	carelog_error_clear();
	if (l == NULL || (l->arr = json_array()) == NULL) {
		free(l);
		return carelog__store_result(s, carelog__fail(CARELOG_ENOMEM, "out of memory"));
	}
	if (patient)
		rc = list_chart(l->arr, s, patient);
	else if ((rc = carelog__chart_list(&ids, &n, s)) == 0) {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = list_chart(l->arr, s, ids[i]);
		carelog__chart_list_free(ids, n);
	}
	if (rc == 0 && (l->texts = calloc(json_array_size(l->arr) + 1, sizeof(char *))) == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (rc < 0) {
		carelog_conflict_list_free(l);
		return carelog__store_result(s, rc);
	}
	*out = l;
	return 0;
}

size_t carelog_conflict_count(const carelog_conflict_list *l)
{
	return l ? json_array_size(l->arr) : 0;
}

const char *carelog_conflict_json(const carelog_conflict_list *l, size_t i)
{
	if (l == NULL || i >= json_array_size(l->arr))
		return NULL;
	if (l->texts[i] == NULL)
		l->texts[i] = json_dumps(json_array_get(l->arr, i), JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	return l->texts[i];
}

char *carelog_conflicts_json(const carelog_conflict_list *l)
{
	if (l == NULL)
		return NULL;
	return json_dumps(l->arr, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
}

void carelog_conflict_list_free(carelog_conflict_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; l->texts && i < json_array_size(l->arr); i++)
		free(l->texts[i]);
	free(l->texts);
	json_decref(l->arr);
	free(l);
}

/* ---- resolve ---------------------------------------------------------- */

typedef struct {
	const char *id;
	carelog__put *puts;  /* [0] is the new version; then one removal each */
	size_t n;
	git_oid losers[64];
	size_t nlosers;
} resolve_ctx;

static int collect_cb(const char *id, const char *path, const git_oid *blob, void *payload)
{
	resolve_ctx *x = payload;
	if (strcmp(id, x->id) != 0)
		return 0;
	if (x->nlosers == sizeof(x->losers) / sizeof(x->losers[0]))
		return carelog__fail(CARELOG_ERROR, "record %s has too many conflicting versions", id);
	carelog__put *nv = realloc(x->puts, (x->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	x->puts = nv;
	memset(&nv[x->n], 0, sizeof(nv[x->n]));
	snprintf(nv[x->n].path, sizeof(nv[x->n].path), "%s", path);
	nv[x->n].op = CARELOG__PUT_REMOVE;
	x->n++;
	x->losers[x->nlosers++] = *blob;
	return 0;
}

/* The version `keep` names among the winner and the losers. */
static int pick_version(git_oid *out, const char *keep, const git_oid *winner, const resolve_ctx *x)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t klen, matches = 0;

	if (keep == NULL || strcmp(keep, "winner") == 0) {
		*out = *winner;
		return 0;
	}
	if (strcmp(keep, "loser") == 0) {
		if (x->nlosers != 1)
			return carelog__fail(CARELOG_EINVALID,
				"record %s has %zu conflicting versions: name one by its version id (see carelog conflicts)",
				x->id, x->nlosers);
		*out = x->losers[0];
		return 0;
	}
	klen = strlen(keep);
	if (klen < 7 || klen > GIT_OID_HEXSZ || strspn(keep, "0123456789abcdef") != klen)
		return carelog__fail(CARELOG_EINVALID,
			"--keep '%s' is not winner, loser or a version id (7 to 40 hex digits)", keep);
	git_oid_tostr(hex, sizeof(hex), winner);
	if (strncmp(hex, keep, klen) == 0) {
		*out = *winner;
		matches++;
	}
	for (size_t i = 0; i < x->nlosers; i++) {
		git_oid_tostr(hex, sizeof(hex), &x->losers[i]);
		if (strncmp(hex, keep, klen) == 0) {
			*out = x->losers[i];
			matches++;
		}
	}
	if (matches == 0)
		return carelog__fail(CARELOG_ENOTFOUND, "no version %s of record %s is in conflict", keep, x->id);
	if (matches > 1)
		return carelog__fail(CARELOG_EINVALID, "version %s of record %s is ambiguous; give more digits", keep, x->id);
	return 0;
}

static int resolve_locked(carelog_store *s, const char *id, const char *keep, const carelog_field *sets, size_t nsets)
{
	char patient[CARELOG_ID_BUFSIZE], kind[32], path[128], maxh[64], hbuf[CARELOG__HLC_BUFSIZE];
	json_t *cur = NULL;
	carelog__chart *c;
	git_oid head, winner, chosen, new_head;
	git_commit *commit = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	resolve_ctx x = { id, NULL, 1, { { { 0 } } }, 0 };
	json_t *rec = NULL;
	char *text = NULL;
	int rc;

	/* its chart caught up (the others only if the record is not indexed yet) */
	if ((rc = carelog__current(&cur, s, id)) < 0)
		return rc;
	snprintf(patient, sizeof(patient), "%s", json_string_value(json_object_get(cur, "patient")));
	snprintf(kind, sizeof(kind), "%s", json_string_value(json_object_get(cur, "kind")));
	json_decref(cur);
	if ((rc = carelog__chart_get(&c, s, patient)) < 0 || (rc = carelog__chart_head(&head, c)) < 0)
		return rc;
	if ((x.puts = calloc(1, sizeof(*x.puts))) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if ((rc = foreach_conflict(c->repo, &head, collect_cb, &x)) < 0)
		goto out;
	if (x.nlosers == 0) {
		rc = carelog__fail(CARELOG_ENOTFOUND, "record %s has no open conflict", id);
		goto out;
	}
	carelog__record_path(path, sizeof(path), kind, id);
	if ((rc = git_commit_lookup(&commit, c->repo, &head)) < 0 || (rc = git_commit_tree(&root, commit)) < 0 ||
	    (rc = git_tree_entry_bypath(&e, root, path)) < 0) {
		rc = carelog__git_fail(rc, "cannot read the record's current version");
		goto out;
	}
	winner = *git_tree_entry_id(e);
	if ((rc = pick_version(&chosen, keep, &winner, &x)) < 0)
		goto out;
	if ((rec = carelog__blob_record(c->repo, &chosen)) == NULL) {
		rc = carelog__last_code();
		goto out;
	}
	if ((rc = carelog__apply_fields(rec, sets, nsets)) < 0)
		goto out;
	/* later than every version in the chart, the winner included */
	carelog__hlc clock = { 0, 0 }, h;
	if ((rc = carelog__index_max_hlc(maxh, s, patient)) < 0)
		goto out;
	if (maxh[0])
		carelog__hlc_parse(&clock, maxh);
	/* after every version of this record, however far ahead its writer's clock */
	json_t *w = carelog__blob_record(c->repo, &winner);
	if (w && carelog__hlc_parse(&h, json_string_value(json_object_get(w, "hlc"))) == 0)
		carelog__hlc_observe(&clock, &h);
	json_decref(w);
	for (size_t i = 0; i < x.nlosers; i++) {
		json_t *l = carelog__blob_record(c->repo, &x.losers[i]);
		if (l && carelog__hlc_parse(&h, json_string_value(json_object_get(l, "hlc"))) == 0)
			carelog__hlc_observe(&clock, &h);
		json_decref(l);
	}
	carelog_error_clear();
	h = carelog__hlc_tick(&clock, carelog__now_ms());
	carelog__hlc_format(hbuf, &h);
	json_object_set_new(rec, "hlc", json_string(hbuf));
	json_object_set_new(rec, "device", json_string(s->device));
	json_object_set_new(rec, "author", json_string(s->author));
	if ((rc = carelog__record_normalize(rec)) < 0)
		goto out;
	if ((text = carelog__json_dump(rec)) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	size_t len = strlen(text);
	char *withnl = realloc(text, len + 2);
	if (withnl == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	text = withnl;
	text[len] = '\n';
	text[len + 1] = '\0';
	snprintf(x.puts[0].path, sizeof(x.puts[0].path), "%s", path);
	x.puts[0].data = text;
	x.puts[0].len = len + 1;
	x.puts[0].op = CARELOG__PUT_DATA;
	char msg[96];
	snprintf(msg, sizeof(msg), "resolve %s", id);
	if ((rc = carelog__chart_write(&new_head, c, &head, x.puts, x.n, msg, s->author, s->device)) == 0)
		rc = carelog__index_catchup(s, c);
out:
	free(text);
	json_decref(rec);
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(commit);
	free(x.puts);
	return rc;
}

int carelog_resolve(carelog_store *s, const char *record, const char *keep, const carelog_field *sets, size_t nsets)
{
	int rc;
	carelog_error_clear();
	if ((rc = carelog__id_check(record, "record")) < 0)
		return carelog__store_result(s, rc);
	if ((rc = carelog__lock(s)) < 0)
		return carelog__store_result(s, rc);
	rc = resolve_locked(s, record, keep, sets, nsets);
	carelog__unlock(s);
	return carelog__store_result(s, rc);
}
