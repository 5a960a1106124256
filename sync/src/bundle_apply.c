/*
 * bundle_apply.c - carelog_bundle_apply: reads a git bundle (format v2),
 * checks everything in it as a fetch's history is checked, then merges it
 * into the chart or creates the chart.
 *
 * libgit2 has no bundle support: the header (bundle.c describes it) is
 * parsed here, strictly, and the pack after it is fed to libgit2's indexer
 * (git_odb_write_pack). Whose chart a bundle holds is only known once its
 * pack is read, so the pack is indexed into a quarantine, a temporary chart
 * under charts/ (swept if the process dies): with the target chart's
 * objects as an alternate, it is where the history is checked; only a
 * history that passed moves into the chart (its pack files renamed in) and
 * is merged. A refused bundle leaves the chart's files, head and index as
 * they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carelog/sync.h"
#include "error.h"
#include "record_id.h"
#include "sync_internal.h"

#define HEADER_LINE_MAX 1024   /* the longest header line read */
#define MAX_PREREQS 256        /* prerequisite commits a bundle may name */

typedef struct {
	const char *file;
	FILE *f;
	git_oid tip;                 /* what refs/heads/main is in the bundle */
	git_oid prereqs[MAX_PREREQS];
	size_t nprereqs;
} bundle_in;

/* ---- the header ----------------------------------------------------------- */

/* Reads one line without its newline. 0; 1 when it is longer than `cap` - 1,
 * holds a NUL or the file ends before its newline. */
static int read_line(char *buf, size_t cap, size_t *len, FILE *f)
{
	int ch;
	*len = 0;
	while ((ch = getc(f)) != EOF && ch != '\n' && ch != '\0' && *len + 1 < cap)
		buf[(*len)++] = (char)ch;
	buf[*len] = '\0';
	return ch == '\n' ? 0 : 1;
}

/* 40 lower-case hex digits at `hex`. */
static int parse_oid(git_oid *out, const char *hex)
{
	for (int i = 0; i < GIT_OID_HEXSZ; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	return git_oid_fromstrn(out, hex, GIT_OID_HEXSZ) == 0 ? 0 : -1;
}

static int bad_header(const bundle_in *b, const char *why, const char *line)
{
	return carelog__fail(CARELOG_EREMOTE, "refused: bundle %s: %s%s%.80s%s", b->file, why, line ? " ('" : "",
		line ? line : "", line ? "')" : "");
}

/* One line after the signature: a prerequisite or a ref. */
static int header_entry(bundle_in *b, char *line, int *have_main, int *have_head, git_oid *head)
{
	git_oid id;

	if (line[0] == '-') {
		if (parse_oid(&id, line + 1) < 0 || (line[1 + GIT_OID_HEXSZ] != '\0' && line[1 + GIT_OID_HEXSZ] != ' '))
			return bad_header(b, "a malformed prerequisite line", line);
		if (b->nprereqs == MAX_PREREQS)
			return bad_header(b, "more than 256 prerequisite commits", NULL);
		b->prereqs[b->nprereqs++] = id;
		return 0;
	}
	if (parse_oid(&id, line) < 0 || line[GIT_OID_HEXSZ] != ' ')
		return bad_header(b, "a malformed header line", line);
	if (strcmp(line + GIT_OID_HEXSZ + 1, CARELOG__REF) == 0) {
		if ((*have_main)++)
			return bad_header(b, "refs/heads/main is listed twice", NULL);
		b->tip = id;
	} else if (strcmp(line + GIT_OID_HEXSZ + 1, "HEAD") == 0) {
		if ((*have_head)++)
			return bad_header(b, "HEAD is listed twice", NULL);
		*head = id;
	} else {
		return bad_header(b, "a chart's bundle carries refs/heads/main (and HEAD) only, not", line + GIT_OID_HEXSZ + 1);
	}
	return 0;
}

static int parse_header(bundle_in *b)
{
	char line[HEADER_LINE_MAX];
	size_t len;
	int have_main = 0, have_head = 0, rc;
	git_oid head;

	if (read_line(line, sizeof(line), &len, b->f) != 0 || strcmp(line, CARELOG__BUNDLE_SIGNATURE) != 0) {
		if (strncmp(line, "# v3 git bundle", 15) == 0)
			return bad_header(b, "git bundle format v3; carelog reads v2 (git bundle create --version=2)", NULL);
		return bad_header(b, "not a git bundle (it must start with '" CARELOG__BUNDLE_SIGNATURE "')", NULL);
	}
	for (int n = 0;; n++) {
		if (n > MAX_PREREQS + 2)
			return bad_header(b, "its header has too many lines", NULL);
		if (read_line(line, sizeof(line), &len, b->f) != 0)
			return bad_header(b, "its header is cut short or has a line too long", NULL);
		if (len == 0)
			break;
		if ((rc = header_entry(b, line, &have_main, &have_head, &head)) < 0)
			return rc;
	}
	if (!have_main)
		return bad_header(b, "it carries no refs/heads/main", NULL);
	if (have_head && !git_oid_equal(&head, &b->tip))
		return bad_header(b, "its HEAD and refs/heads/main differ", NULL);
	return 0;
}

/* ---- the pack --------------------------------------------------------------- */

/* Feeds the rest of the file to libgit2's indexer in the quarantine. */
static int index_pack(carelog__chart *q, bundle_in *b)
{
	git_odb_writepack *wp = NULL;
	git_indexer_progress st = { 0 };
	static const size_t chunk = 64 * 1024;
	char *buf = malloc(chunk);
	long long total = 0;
	size_t n;
	int rc;

	if (buf == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if ((rc = git_odb_write_pack(&wp, q->odb, NULL, NULL)) < 0) {
		rc = carelog__git_fail(rc, "cannot receive the bundle's pack");
		goto out;
	}
	while ((n = fread(buf, 1, chunk, b->f)) > 0) {
		if ((total += (long long)n) > CARELOG__MAX_TRANSFER_BYTES) {
			rc = carelog__fail(CARELOG_EREMOTE, "refused: bundle %s: its pack is over %lld bytes", b->file,
				CARELOG__MAX_TRANSFER_BYTES);
			goto out;
		}
		if ((rc = wp->append(wp, buf, n, &st)) < 0)
			break;
	}
	if (ferror(b->f)) {
		rc = carelog__fail(CARELOG_EIO, "cannot read bundle %s: %s", b->file, strerror(errno));
		goto out;
	}
	if (rc == 0 && total == 0)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: bundle %s: it has no pack after its header", b->file);
	else if (rc < 0 || (rc = wp->commit(wp, &st)) < 0)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: bundle %s: its pack is damaged or cut short: %s", b->file,
			git_error_last() && git_error_last()->message ? git_error_last()->message : "?");
out:
	if (wp)
		wp->free(wp);
	free(buf);
	return rc;
}

/* ---- whose chart ------------------------------------------------------------ */

static int on_main(carelog__chart *c, const git_oid *id)
{
	git_oid head;
	if (carelog__chart_head(&head, c) < 0) {
		carelog_error_clear();
		return 0;
	}
	return git_oid_equal(&head, id) || git_graph_descendant_of(c->repo, &head, id) == 1;
}

/* The chart whose main holds commit `id`, or NULL: a commit id names its
 * whole history, records and all, so that is the chart it belongs to. */
static int chart_holding(carelog__chart **out, carelog_store *s, const git_oid *id)
{
	char **ids = NULL;
	size_t n = 0;
	int rc = carelog__chart_list(&ids, &n, s);

	*out = NULL;
	for (size_t i = 0; rc == 0 && i < n && *out == NULL; i++) {
		carelog__chart *maybe;
		if ((rc = carelog__chart_get(&maybe, s, ids[i])) == 0 && git_odb_exists(maybe->odb, id) && on_main(maybe, id))
			*out = maybe;
	}
	carelog__chart_list_free(ids, n);
	return rc;
}

/* The chart that holds a bundle's prerequisites, each on its main. */
static int prereq_chart(carelog__chart **out, carelog_store *s, const bundle_in *b)
{
	carelog__chart *c = NULL;
	int rc = chart_holding(&c, s, &b->prereqs[0]);

	if (rc < 0)
		return rc;
	if (c == NULL)
		return carelog__fail(CARELOG_ENOTFOUND, "bundle %s builds on commit %s, which no chart in this store has "
			"(apply the bundles made before it first, or ask for one made without --since)", b->file,
			git_oid_tostr_s(&b->prereqs[0]));
	for (size_t i = 1; i < b->nprereqs; i++)
		if (!on_main(c, &b->prereqs[i]))
			return carelog__fail(CARELOG_ENOTFOUND, "bundle %s builds on commit %s, which chart %s does not have "
				"(apply the bundles made before it first, or ask for one made without --since)", b->file,
				git_oid_tostr_s(&b->prereqs[i]), c->patient);
	*out = c;
	return 0;
}

typedef struct {
	git_repository *repo;
	git_odb *odb;
	char commit[GIT_OID_HEXSZ + 1];
	char patient[CARELOG_ID_BUFSIZE];
	char first[256];   /* the path the patient was first read from */
	int rc;
} scan_ctx;

static int scan_cb(const char *root, const git_tree_entry *e, void *payload)
{
	scan_ctx *x = payload;
	char path[256], id[CARELOG_ID_BUFSIZE];
	const char *p;
	size_t size;
	git_object_t type;
	json_t *rec;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e));
	/* what is not a readable record here is the history check's to name */
	if ((!carelog__record_path_id(id, path) && !carelog__conflict_path_id(id, path)) ||
	    git_odb_read_header(&size, &type, x->odb, git_tree_entry_id(e)) < 0 || size > CARELOG__MAX_RECORD_BYTES ||
	    (rec = carelog__blob_record(x->repo, git_tree_entry_id(e))) == NULL) {
		git_error_clear();
		carelog_error_clear();
		return 0;
	}
	p = json_string_value(json_object_get(rec, "patient"));
	if (p && carelog__id_valid(p)) {
		if (x->patient[0] == '\0') {
			snprintf(x->patient, sizeof(x->patient), "%s", p);
			snprintf(x->first, sizeof(x->first), "%s", path);
		} else if (strcmp(p, x->patient) != 0) {
			x->rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s holds records of two patients: %s is one "
				"of patient %s, %s one of patient %s (a chart holds one patient's records)", x->commit, x->first,
				x->patient, path, p);
		}
	}
	json_decref(rec);
	return x->rc < 0 ? -1 : 0;
}

/* The patient every record in the tip's tree names. */
static int tip_patient(char patient[CARELOG_ID_BUFSIZE], carelog__chart *q, const bundle_in *b)
{
	scan_ctx x = { q->repo, q->odb, "", "", "", 0 };
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc;

	git_oid_tostr(x.commit, sizeof(x.commit), &b->tip);
	if (git_commit_lookup(&commit, q->repo, &b->tip) < 0 || git_commit_tree(&tree, commit) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "refused: bundle %s: its main, commit %.12s, is not in it or not a "
			"commit with a tree", b->file, x.commit);
		goto out;
	}
	rc = git_tree_walk(tree, GIT_TREEWALK_PRE, scan_cb, &x);
	if (x.rc < 0)
		rc = x.rc;
	else if (rc < 0)
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s: its tree cannot be read: %s", x.commit,
			git_error_last() && git_error_last()->message ? git_error_last()->message : "?");
	else if (x.patient[0] == '\0')
		rc = carelog__fail(CARELOG_EREMOTE, "refused: commit %.12s holds no record naming its patient: not a chart",
			x.commit);
	else
		memcpy(patient, x.patient, CARELOG_ID_BUFSIZE);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* ---- merging it in ---------------------------------------------------------- */

/* Takes the quarantine `q` (its packs move into `c`, or it is dropped). */
static int merge_into(size_t *received, carelog_store *s, carelog__chart *q, carelog__chart *c, const git_oid *tip)
{
	git_oid head, new_head;
	int rc;

	if ((rc = carelog__chart_head(&head, c)) < 0) {
		carelog__chart_discard_temp(q);
		return rc;
	}
	/* the chart may already hold all of it (the same bundle, applied again) */
	if (git_oid_equal(&head, tip) || git_graph_descendant_of(c->repo, &head, tip) == 1)
		carelog__chart_discard_temp(q);
	else if ((rc = carelog__chart_quarantine_accept(c, q)) < 0)
		return rc;
	if ((rc = carelog__integrate(&new_head, s, c, tip, "bundle")) < 0 ||
	    (rc = carelog__count_changed_records(received, c->repo, &head, &new_head)) < 0)
		return rc;
	/* the bundle added a pack; a failed compaction fails nothing */
	if (carelog__lock(s) == 0) {
		if (carelog__chart_maintain(c) < 0)
			carelog_error_clear();
		carelog__unlock(s);
	}
	return 0;
}

/* Takes the quarantine `q`: its packs go into the new chart, whose history
 * is checked (and indexed as it is) before it is put in place. */
static int create_from(size_t *received, carelog_store *s, carelog__chart *q, const char *patient, const git_oid *tip)
{
	carelog__chart *tmp = NULL, *c = NULL;
	int rc = carelog__chart_create_temp(&tmp, s, patient);

	if (rc < 0)
		carelog__chart_discard_temp(q);
	else if ((rc = carelog__chart_quarantine_accept(tmp, q)) < 0)
		carelog__chart_discard_temp(tmp);
	if (rc == 0 && (rc = carelog__install_new_chart(&c, s, tmp, tip)) == 0)
		rc = carelog__count_changed_records(received, c->repo, NULL, tip);
	return rc;
}

/* Whose chart the indexed bundle is: the chart holding its prerequisites
 * (already `*c`), or one whose main holds its tip (then it brings nothing),
 * or the patient every record in its tip names (`*c` NULL when the store
 * lacks that chart). `q` is given c's objects to read. */
static int whose(carelog__chart **c, char patient[CARELOG_ID_BUFSIZE], carelog_store *s, carelog__chart *q,
	const bundle_in *b)
{
	int rc;

	if (*c == NULL && (rc = chart_holding(c, s, &b->tip)) < 0)
		return rc;
	if (*c == NULL) {
		if ((rc = tip_patient(patient, q, b)) < 0)
			return rc;
		if (carelog__chart_exists(s, patient) && (rc = carelog__chart_get(c, s, patient)) < 0)
			return rc;
	}
	if (*c == NULL)
		return 0;
	memcpy(patient, (*c)->patient, CARELOG_ID_BUFSIZE);
	return b->nprereqs ? 0 : carelog__chart_see(q, *c); /* with prerequisites, it already can */
}

/* Everything after the header: index, decide whose chart, check, bring in. */
static int apply(char patient[CARELOG_ID_BUFSIZE], size_t *received, carelog_store *s, bundle_in *b)
{
	carelog__chart *q = NULL, *c = NULL;
	git_oid head;
	int rc;

	if (b->nprereqs && (rc = prereq_chart(&c, s, b)) < 0)
		return rc;
	if ((rc = carelog__chart_create_temp(&q, s, "bundle")) < 0)
		return rc;
	/* a thin pack's deltas resolve against the prerequisites' chart */
	if ((c && (rc = carelog__chart_see(q, c)) < 0) || (rc = index_pack(q, b)) < 0 ||
	    (rc = whose(&c, patient, s, q, b)) < 0)
		goto out;
	/* a new chart's history is checked as it is installed (create_from) */
	if (c && ((rc = carelog__chart_head(&head, c)) < 0 ||
		  (rc = carelog__validate_history(q->repo, patient, &b->tip, &head)) < 0))
		goto out;
	/* a clinic holds what it is handed to its clock, as its hook does */
	if (s->hook_program && (rc = carelog__clock_check_push(q->repo, c ? &head : NULL, &b->tip,
					"once it is, a new bundle from that device carries corrected stamps")) < 0)
		goto out;
	rc = c ? merge_into(received, s, q, c, &b->tip) : create_from(received, s, q, patient, &b->tip);
	q = NULL; /* taken by either */
out:
	carelog__chart_discard_temp(q);
	return rc;
}

int carelog_bundle_apply(carelog_store *s, const char *file, char patient_out[CARELOG_ID_BUFSIZE], size_t *received)
{
	bundle_in *b = NULL;
	char patient[CARELOG_ID_BUFSIZE] = "";
	size_t got = 0;
	int rc;

	carelog_error_clear();
	if (patient_out)
		patient_out[0] = '\0';
	if (received)
		*received = 0;
	if (file == NULL || *file == '\0')
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "no bundle file given"));
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return carelog__store_result(s, carelog__fail(CARELOG_ENOMEM, "out of memory"));
	b->file = file;
	if ((b->f = fopen(file, "rb")) == NULL)
		rc = carelog__fail(errno == ENOENT ? CARELOG_ENOTFOUND : CARELOG_EIO, "cannot open bundle %s: %s", file,
			strerror(errno));
	else if ((rc = parse_header(b)) == 0) {
		/* as a sync of the store: never interleaved with one */
		int fd = -1;
		if ((rc = carelog__sync_lock(&fd, s)) == 0) {
			rc = apply(patient, &got, s, b);
			close(fd);
		}
	}
	if (b->f)
		fclose(b->f);
	free(b);
	if (rc == 0 && patient_out)
		memcpy(patient_out, patient, CARELOG_ID_BUFSIZE);
	if (rc == 0 && received)
		*received = got;
	return carelog__store_result(s, rc);
}
