/*
 * sync.c - carelog_sync: per chart, fetch into a private ref, check every
 * received commit, merge under the store lock (writers wait only for the
 * merge, not the transfer), push, and on a push refused because the remote
 * moved on, all of it again (bounded). Syncs of one store serialise on
 * flock(<store>/sync.lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carelog/sync.h"
#include "error.h"
#include "record_id.h"
#include "sync_internal.h"
#include "timeutil.h"

/* A remote whose clock is further from this device's than this is not
 * believed: no stamp is corrected by more than a year, whatever a
 * (possibly hostile) server says. */
#define CLOCK_MAX_SKEW_MS (366LL * 24 * 3600 * 1000)

typedef struct {
	carelog_store *s;
	const carelog_sync_options *opts;
	const char *remote;      /* its name */
	const char *patient;
	int too_big;
	int rejected;            /* the push was refused for a ref */
	int unpack_failed;       /* ...or the remote could not unpack its pack */
	int cancelled;           /* the progress callback asked to stop */
	int hook_refused;        /* ...by the remote's pre-receive hook */
	char reject_msg[256];
	int pushing;
	char said[2048];         /* carelog's lines the remote said (side band) during the push, "; "-joined */
	size_t said_len;
	char line[512];          /* the side band's line being received */
	size_t line_len;
	int cred_tries;
	int port;                /* of an ssh:// URL, for the host key check */
	size_t bytes_in, bytes_out; /* received (packs) and sent (commands and packs) */
	git_repository *repo;    /* the chart being pushed */
	int thin;                /* a push over the network sends a thin pack */
	carelog__push_stats push_stats;
} chart_ctx;

/* ---- the sync lock ---------------------------------------------------- */

int carelog__sync_lock(int *fd, carelog_store *s)
{
	char *path = carelog__strdupf("%s/sync.lock", s->path);
	int waited = 0, limit = s->lock_timeout_ms;

	if (path == NULL)
		return CARELOG_ENOMEM;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (*fd < 0)
		return carelog__fail(CARELOG_EIO, "cannot open %s/sync.lock: %s", s->path, strerror(errno));
	if (carelog__flock_wait(*fd, limit, &waited) < 0) {
		int err = errno;
		close(*fd);
		if (err != EWOULDBLOCK)
			return carelog__fail(CARELOG_EIO, "cannot lock %s/sync.lock: %s", s->path, strerror(err));
		return carelog__fail(CARELOG_ELOCKED, "another sync of store %s is running (waited %d ms); try again",
			s->path, waited);
	}
	return 0;
}

/* ---- libgit2 callbacks ------------------------------------------------ */

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
	void *payload)
{
	chart_ctx *x = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url : getenv("USER");
	if (++x->cred_tries > 3) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed (credentials refused)");
		return GIT_EAUTH;
	}
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *key = getenv("CARELOG_SSH_KEY");
		if (key && *key) {
			char pub[4096];
			snprintf(pub, sizeof(pub), "%s.pub", key);
			return git_credential_ssh_key_new(out, user ? user : "git", access(pub, R_OK) == 0 ? pub : NULL, key,
				getenv("CARELOG_SSH_PASSPHRASE"));
		}
		if (getenv("SSH_AUTH_SOCK"))
			return git_credential_ssh_key_from_agent(out, user ? user : "git");
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && getenv("CARELOG_HTTP_TOKEN")) {
		const char *u = getenv("CARELOG_HTTP_USER");
		return git_credential_userpass_plaintext_new(out, u && *u ? u : "carelog", getenv("CARELOG_HTTP_TOKEN"));
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		char *u = NULL, *p = NULL;
		if (carelog__credential_fill(&u, &p, url, user_from_url) == 0) {
			int rc = git_credential_userpass_plaintext_new(out, u, p);
			carelog__credential_wipe(u, p);
			return rc;
		}
	}
	if ((allowed & GIT_CREDENTIAL_USERNAME) && user)
		return git_credential_username_new(out, user);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && url && strncmp(url, "http", 4) == 0) {
		git_error_set_str(GIT_ERROR_NET, "the server asks for a user name and token: set CARELOG_HTTP_TOKEN "
			"(and CARELOG_HTTP_USER), or give them to git's credential helper");
		return GIT_EAUTH;
	}
	return GIT_PASSTHROUGH;
}

/* ssh: the host key must be the known one (libgit2 1.5 leaves this to us);
 * TLS: libgit2's own verification decides, never turned off. */
static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	chart_ctx *x = payload;
	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (carelog__ssh_hostkey_check((const git_cert_hostkey *)cert, host, x->port) < 0) {
		git_error_set_str(GIT_ERROR_SSH, carelog_error_last()->message);
		return GIT_ECERTIFICATE;
	}
	return 0;
}

/* The port of an ssh:// URL (22 when it names none); 0 for other URLs. */
static int ssh_port(const char *url)
{
	const char *a, *end, *colon;
	if (strncmp(url, "ssh://", 6) != 0)
		return 0;
	a = url + 6;
	end = a + strcspn(a, "/");
	for (const char *at = a; at < end; at++)
		if (*at == '@')
			a = at + 1;
	colon = memchr(a, ':', (size_t)(end - a));
	return colon ? atoi(colon + 1) : 22;
}

static int report(chart_ctx *x, carelog_sync_phase phase, size_t done, size_t total, size_t bytes)
{
	carelog_sync_progress p = { x->remote, x->patient, phase, done, total, bytes };
	if (x->opts && x->opts->progress && x->opts->progress(&p, x->opts->payload) != 0) {
		x->cancelled = 1;
		git_error_set_str(GIT_ERROR_NET, "cancelled");
		return -1;
	}
	return 0;
}

static int fetch_progress_cb(const git_indexer_progress *st, void *payload)
{
	chart_ctx *x = payload;
	if ((long long)st->received_bytes > CARELOG__MAX_TRANSFER_BYTES) {
		x->too_big = 1;
		git_error_set_str(GIT_ERROR_NET, "transfer too large");
		return -1;
	}
	return report(x, CARELOG_SYNC_FETCHING, st->received_objects, st->total_objects, st->received_bytes);
}

static int push_progress_cb(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	return report(payload, CARELOG_SYNC_PUSHING, current, total, bytes);
}

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
	chart_ctx *x = payload;
	if (status) {
		x->rejected = 1;
		snprintf(x->reject_msg, sizeof(x->reject_msg), "%s: %s", refname, status);
	}
	return 0;
}

/* Ends the side band's current line: a line carelog wrote (its hook's
 * reasons) is kept without its "carelog: " prefix, joined to those before
 * by "; ", control characters (which a hostile server could send to a
 * terminal) as '?', as much as fits; git's own progress lines ("Resolving
 * deltas: 1%"..., a hundred of them for a large push) are dropped, or they
 * would crowd the reason out. */
static void said_line(chart_ctx *x)
{
	size_t w = x->said_len;
	if (x->line_len > 9 && strncmp(x->line, "carelog: ", 9) == 0) {
		if (w > 0 && w + 2 < sizeof(x->said)) {
			x->said[w++] = ';';
			x->said[w++] = ' ';
		}
		for (size_t i = 9; i < x->line_len && w + 1 < sizeof(x->said); i++) {
			unsigned char ch = (unsigned char)x->line[i];
			x->said[w++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		x->said[w] = '\0';
		x->said_len = w;
	}
	x->line_len = 0;
}

/* What the remote says on the side band: during a push, its hook's output
 * (carelog's lines kept, for the reason of a refusal). */
static int sideband_cb(const char *str, int len, void *payload)
{
	chart_ctx *x = payload;
	for (int i = 0; x->pushing && i < len; i++) {
		if (str[i] == '\n' || str[i] == '\r')
			said_line(x);
		else if (x->line_len < sizeof(x->line) - 1)
			x->line[x->line_len++] = str[i];
	}
	return 0;
}

/* Pushes go through push_transport.c, which sends a thin pack. */
static int push_transport_cb(git_transport **out, git_remote *owner, void *payload)
{
	chart_ctx *x = payload;
	return carelog__push_transport(out, owner, x->repo, &x->push_stats, x->thin);
}

static void set_callbacks(git_remote_callbacks *cb, chart_ctx *x)
{
	cb->sideband_progress = sideband_cb;
	cb->credentials = credentials_cb;
	cb->certificate_check = certificate_cb;
	cb->transfer_progress = fetch_progress_cb;
	cb->push_transfer_progress = push_progress_cb;
	cb->push_update_reference = push_ref_cb;
	cb->payload = x;
}

/* ---- transfers -------------------------------------------------------- */

static const char *git_msg(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown error";
}

/* The local path of a path or file:// URL, else NULL. */
static const char *url_local_path(const char *url)
{
	if (carelog__url_is_path(url))
		return url;
	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	return NULL;
}

/* Fetches the remote's main into CARELOG__INCOMING_REF. *have is 0 when the
 * remote chart exists but has no history yet. */
static int fetch(int *have, git_oid *incoming, git_repository *repo, const char *url, chart_ctx *x)
{
	git_remote *remote = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	char *spec = "+refs/heads/main:" CARELOG__INCOMING_REF;
	git_strarray specs = { &spec, 1 };
	git_reference *old = NULL;
	int rc;

	*have = 0;
	if (git_reference_lookup(&old, repo, CARELOG__INCOMING_REF) == 0) {
		git_reference_delete(old);
		git_reference_free(old);
	}
	set_callbacks(&fo.callbacks, x);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.prune = GIT_FETCH_NO_PRUNE;
	x->cred_tries = 0;
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) < 0)
		return carelog__fail(CARELOG_EREMOTE, "bad remote URL %s: %s", url, git_msg());
	rc = git_remote_fetch(remote, &specs, &fo, NULL);
	x->bytes_in += git_remote_stats(remote)->received_bytes;
	git_remote_free(remote);
	if (rc < 0) {
		if (x->too_big)
			return carelog__fail(CARELOG_EREMOTE, "refused: the remote sent more than %lld bytes",
				CARELOG__MAX_TRANSFER_BYTES);
		return carelog__fail(CARELOG_EREMOTE, "fetch from %s failed: %s", url, git_msg());
	}
	rc = git_reference_name_to_id(incoming, repo, CARELOG__INCOMING_REF);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return carelog__git_fail(rc, "cannot read what was fetched");
	*have = 1;
	return 0;
}

/* Whether pushes send thin packs: yes, unless $CARELOG_THIN_PUSH is 0 (to
 * compare, or should a server mishandle them). */
static int thin_wanted(void)
{
	const char *v = getenv("CARELOG_THIN_PUSH");
	return !(v && strcmp(v, "0") == 0);
}

static int push_once(git_repository *repo, const char *url, chart_ctx *x);

/* Pushes main. A thin push the remote could not take (it could not unpack
 * it, or refused the ref for another reason than having moved on or its
 * hook's checks) is sent once more as libgit2 packs it, whole: a device
 * must not be kept from syncing by a server that mishandles thin packs
 * (git's own servers take them), nor by a fault of carelog's thin pack.
 * Not after a cancel or a failed connection: those are not the pack's. */
static int push(git_repository *repo, const char *url, chart_ctx *x)
{
	int rc;
	x->repo = repo;
	x->thin = thin_wanted();
	rc = push_once(repo, url, x);
	x->bytes_out += x->push_stats.bytes;
	if (x->push_stats.thin && !x->cancelled && !x->hook_refused &&
	    ((rc < 0 && rc != CARELOG_EMOVED && x->unpack_failed) ||
		    (rc == CARELOG_EMOVED && x->rejected && !strstr(x->reject_msg, "non-fast-forward") &&
			    !strstr(x->reject_msg, "fetch first") && !strstr(x->reject_msg, "stale info")))) {
		x->thin = 0;
		rc = push_once(repo, url, x);
		x->bytes_out += x->push_stats.bytes;
	}
	if (rc == 0 && x->push_stats.thin) /* what went out, in place of libgit2's count */
		(void)report(x, CARELOG_SYNC_PUSHING, x->push_stats.objects, x->push_stats.objects, x->push_stats.bytes);
	return rc;
}

static int push_once(git_repository *repo, const char *url, chart_ctx *x)
{
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	char *spec = "refs/heads/main:refs/heads/main";
	git_strarray specs = { &spec, 1 };
	int rc;

	set_callbacks(&po.callbacks, x);
	po.callbacks.transport = push_transport_cb;
	memset(&x->push_stats, 0, sizeof(x->push_stats));
	x->rejected = 0;
	x->unpack_failed = 0;
	x->hook_refused = 0;
	x->cred_tries = 0;
	x->said_len = x->line_len = 0;
	x->said[0] = '\0';
	if ((rc = git_remote_create_anonymous(&remote, repo, url)) < 0)
		return carelog__fail(CARELOG_EREMOTE, "bad remote URL %s: %s", url, git_msg());
	x->pushing = 1;
	rc = git_remote_push(remote, &specs, &po);
	if (x->line_len)
		said_line(x);
	x->pushing = 0;
	git_remote_free(remote);
	if (rc == 0 && x->rejected && strstr(x->reject_msg, "hook")) {
		/* refused by the remote's checks, not because it moved on: the
		 * same push would be refused again */
		x->hook_refused = 1;
		return carelog__fail(CARELOG_EREMOTE, "%s refused the push: %s", url, x->said[0] ? x->said : x->reject_msg);
	}
	if (rc == GIT_ENONFASTFORWARD || (rc == 0 && x->rejected))
		return CARELOG_EMOVED;
	if (rc < 0) {
		/* libgit2's words for a report-status "unpack <error>" */
		x->unpack_failed = strstr(git_msg(), "unpack") != NULL;
		return carelog__fail(CARELOG_EREMOTE, "push to %s failed: %s", url, git_msg());
	}
	return 0;
}

/* Pushes to a path remote by hand: libgit2's local transport moves the
 * remote ref without checking what it held, so two devices pushing to one
 * folder at once could drop each other's commits. Here the objects the
 * remote lacks go in as one pack (fsynced by the indexer), then the ref
 * moves by compare-and-swap against what was fetched (`seen`, NULL when the
 * remote chart had no history): a remote that moved on refuses, and the
 * caller fetches and merges again. */
static int push_local(git_repository *repo, const char *dir, const git_oid *seen, const git_oid *head, chart_ctx *x)
{
	git_repository *remote = NULL;
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_odb *odb = NULL;
	git_odb_writepack *wp = NULL;
	git_buf pack = { 0 };
	git_indexer_progress st = { 0 };
	git_reference *ref = NULL;
	int rc;

	if ((rc = git_repository_open_bare(&remote, dir)) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "cannot open the remote chart %s: %s", dir, git_msg());
		goto out;
	}
	if ((rc = git_revwalk_new(&walk, repo)) < 0 || (rc = git_revwalk_push(walk, head)) < 0 ||
	    (seen && (rc = git_revwalk_hide(walk, seen)) < 0) || (rc = git_packbuilder_new(&pb, repo)) < 0 ||
	    (rc = git_packbuilder_insert_walk(pb, walk)) < 0 || (rc = git_packbuilder_write_buf(&pack, pb)) < 0 ||
	    (rc = git_repository_odb(&odb, remote)) < 0 || (rc = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
	    (rc = wp->append(wp, pack.ptr, pack.size, &st)) < 0 || (rc = wp->commit(wp, &st)) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "push to %s failed: %s", dir, git_msg());
		goto out;
	}
	x->bytes_out += pack.size;
	if (report(x, CARELOG_SYNC_PUSHING, st.total_objects, st.total_objects, pack.size) < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "push to %s cancelled", dir);
		goto out;
	}
	rc = seen ? git_reference_create_matching(&ref, remote, CARELOG__REF, head, 1, seen, "carelog sync")
		  : git_reference_create(&ref, remote, CARELOG__REF, head, 0, "carelog sync");
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED || (rc == GIT_ENOTFOUND && seen)) {
		snprintf(x->reject_msg, sizeof(x->reject_msg), "%s moved on", dir);
		rc = CARELOG_EMOVED;
	} else if (rc < 0) {
		rc = carelog__fail(CARELOG_EREMOTE, "cannot move the head of %s: %s", dir, git_msg());
	}
out:
	git_reference_free(ref);
	if (wp)
		wp->free(wp);
	git_buf_dispose(&pack);
	git_odb_free(odb);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	git_repository_free(remote);
	return rc;
}

/* Creates an empty chart at a path remote (a bare repository, HEAD main). */
static int create_remote_chart(const char *dir)
{
	git_repository *repo = NULL;
	git_repository_init_options io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	int rc;
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKDIR | GIT_REPOSITORY_INIT_NO_REINIT;
	io.initial_head = "main";
	if ((rc = git_repository_init_ext(&repo, dir, &io)) < 0)
		return carelog__fail(CARELOG_EREMOTE, "cannot create chart %s on the remote: %s", dir, git_msg());
	git_repository_free(repo);
	return 0;
}

/* ---- one chart -------------------------------------------------------- */

static void set_tracking(git_repository *repo, const char *remote, const git_oid *at)
{
	char ref[256];
	git_reference *r = NULL;
	snprintf(ref, sizeof(ref), "refs/remotes/%s/main", remote);
	if (git_reference_create(&r, repo, ref, at, 1, NULL) == 0)
		git_reference_free(r);
	else
		git_error_clear();
}

static void drop_incoming(git_repository *repo)
{
	git_reference *r = NULL;
	if (git_reference_lookup(&r, repo, CARELOG__INCOMING_REF) == 0)
		git_reference_delete(r);
	git_reference_free(r);
	git_error_clear();
}

/* A chart the store lacks: fetched into a temporary chart, checked whole
 * (and indexed as it is checked), then put in place. */
static int clone_chart(carelog_sync_result *res, carelog_store *s, const char *url, chart_ctx *x)
{
	carelog__chart *tmp = NULL, *c = NULL;
	git_oid incoming;
	int have, rc;

	if ((rc = carelog__chart_create_temp(&tmp, s, x->patient)) < 0)
		return rc;
	if ((rc = fetch(&have, &incoming, tmp->repo, url, x)) < 0)
		goto fail;
	if (!have) {
		rc = carelog__fail(CARELOG_EREMOTE, "chart %s on remote %s has no records yet", x->patient, x->remote);
		goto fail;
	}
	drop_incoming(tmp->repo);
	set_tracking(tmp->repo, x->remote, &incoming);
	if ((rc = carelog__install_new_chart(&c, s, tmp, &incoming)) < 0)
		return rc;
	res->cloned = 1;
	if ((rc = carelog__count_changed_records(&res->received, c->repo, NULL, &incoming)) < 0 ||
	    (rc = carelog__count_conflicts(&res->conflicts, c->repo, &incoming)) < 0)
		return rc;
	return 0;
fail:
	carelog__chart_discard_temp(tmp);
	return rc;
}

/* Fetches into a quarantine (which knows `head`, so only what is new
 * comes), checks it all, and only then moves it into the chart. */
static int fetch_checked(int *have, git_oid *incoming, carelog_store *s, carelog__chart *c, const git_oid *head,
	const char *url, chart_ctx *x)
{
	carelog__chart *q = NULL;
	git_reference *ref = NULL;
	int rc;

	git_oid offer = *head;
	char tracking[256];

	if ((rc = carelog__chart_quarantine(&q, s, c)) < 0)
		return rc;
	if ((rc = carelog__thin_pack_receiver(q)) < 0) {
		carelog__chart_discard_temp(q);
		return rc;
	}
	/* The quarantine's only ref is what it offers in the negotiation. The
	 * remote's head at the last sync is the best offer: libgit2 offers
	 * commits newest first and gives up after 256 unanswered ones, so with
	 * our own head and hundreds of unsent commits the remote would send the
	 * whole chart again. The objects we hold are seen either way. */
	snprintf(tracking, sizeof(tracking), "refs/remotes/%s/main", x->remote);
	if (git_reference_name_to_id(&offer, c->repo, tracking) < 0)
		offer = *head;
	git_error_clear();
	if ((rc = git_reference_create(&ref, q->repo, CARELOG__REF, &offer, 1, NULL)) < 0) {
		rc = carelog__git_fail(rc, "cannot set up the quarantine");
		goto fail;
	}
	git_reference_free(ref);
	if ((rc = fetch(have, incoming, q->repo, url, x)) < 0) {
		if (!url_local_path(url))
			carelog__fail_prefix("chart %s is not on remote %s or cannot be reached (to enroll it, give the "
				"clinic a bundle: carelog bundle create %s FILE; or sync it from the clinic's store with "
				"--patient %s)", x->patient, x->remote, x->patient, x->patient);
		goto fail;
	}
	if (*have && (rc = carelog__validate_history(q->repo, x->patient, incoming, head)) < 0)
		goto fail;
	return carelog__chart_quarantine_accept(c, q);
fail:
	carelog__chart_discard_temp(q);
	return rc;
}

static int sync_existing(carelog_sync_result *res, carelog_store *s, const char *url, chart_ctx *x)
{
	carelog__chart *c;
	git_oid incoming, head, new_head;
	int have, rc = 0, restamped = 0, settled = 0;
	const char *local = url_local_path(url);

	if ((rc = carelog__chart_get(&c, s, x->patient)) < 0)
		return rc;
	/* one more round after a correction of this device's stamps */
	for (int attempt = 0; attempt < CARELOG__SYNC_ATTEMPTS + restamped; attempt++) {
		struct stat st;
		size_t got = 0;
		rc = 0;
		/* a path remote lacking the chart gets it (its folder must exist) */
		if (local && stat(local, &st) < 0) {
			if ((rc = create_remote_chart(local)) < 0)
				return rc;
			res->created = 1;
		}
		if ((rc = carelog__chart_head(&head, c)) < 0 || (rc = fetch_checked(&have, &incoming, s, c, &head, url, x)) < 0)
			return rc;
		rc = carelog__integrate(&new_head, s, c, have ? &incoming : NULL, x->remote);
		if (rc < 0)
			return rc;
		if ((rc = carelog__count_changed_records(&got, c->repo, &head, &new_head)) < 0)
			return rc;
		res->received += got;
		if (have && git_oid_equal(&new_head, &incoming)) {
			set_tracking(c->repo, x->remote, &incoming);
			break; /* the remote has everything */
		}
		if (!settled) {
			/* this device's versions stamped ahead of its (now right) clock */
			size_t n = 0;
			settled = 1;
			if ((rc = carelog__clock_settle(&n, s, c, have ? &incoming : NULL)) < 0)
				return rc;
			if (n > 0 && (rc = carelog__chart_head(&new_head, c)) < 0)
				return rc;
			res->restamped += n;
		}
		x->reject_msg[0] = '\0';
		rc = local ? push_local(c->repo, local, have ? &incoming : NULL, &new_head, x) : push(c->repo, url, x);
		if (rc == CARELOG_EMOVED) {
			rc = carelog__fail(CARELOG_EREMOTE, "push to %s kept being refused: %s", url,
				x->reject_msg[0] ? x->reject_msg : "the remote moved on");
			continue;
		}
		if (rc < 0 && x->hook_refused && !restamped) {
			/* refused for this device's clock (ahead now, or when it wrote
			 * versions it still holds): correct its stamps, once */
			int64_t clinic_ms, skew = 0;
			size_t n = 0;
			int r2;
			if (carelog__clock_from_refusal(&clinic_ms, x->said) &&
			    (skew = carelog__now_ms() - clinic_ms) <= CLOCK_MAX_SKEW_MS && skew >= -CLOCK_MAX_SKEW_MS) {
				if (skew <= CARELOG__HLC_MAX_LEAD_MS)
					skew = 0; /* right now (what is left is the round trip) */
				r2 = carelog__clock_restamp(&n, s, c, have ? &incoming : NULL, clinic_ms, skew);
				if (r2 < 0 && r2 != CARELOG_EMOVED)
					return r2;
				if (r2 == 0 && n > 0) {
					restamped = 1;
					res->restamped += n;
					res->clock_ahead_ms = skew;
				}
				if (r2 == CARELOG_EMOVED || n > 0)
					continue;
			}
		}
		if (rc < 0)
			return rc;
		if ((rc = carelog__count_changed_records(&res->sent, c->repo, have ? &incoming : NULL, &new_head)) < 0)
			return rc;
		set_tracking(c->repo, x->remote, &new_head);
		break;
	}
	if (rc < 0)
		return rc;
	/* the fetch may have added packs; a failed compaction fails nothing */
	if (carelog__lock(s) == 0) {
		if (carelog__chart_maintain(c) < 0)
			carelog_error_clear();
		carelog__unlock(s);
	}
	if (carelog__chart_head(&head, c) == 0 && (rc = carelog__count_conflicts(&res->conflicts, c->repo, &head)) < 0)
		return rc;
	return 0;
}

static int sync_remote(carelog_store *s, const char *name, const char *url, const carelog_sync_options *opts,
	char **charts, size_t ncharts)
{
	int failed = 0;
	for (size_t i = 0; i < ncharts; i++) {
		carelog_sync_result res = { .remote = name, .patient = charts[i] };
		chart_ctx x = { .s = s, .opts = opts, .remote = name, .patient = charts[i], .port = ssh_port(url) };
		char *chart_url = carelog__strdupf("%s/%s.git", url, charts[i]);
		int rc;
		carelog_error_clear();
		if (chart_url == NULL)
			rc = CARELOG_ENOMEM;
		else if (carelog__chart_exists(s, charts[i]))
			rc = sync_existing(&res, s, chart_url, &x);
		else
			rc = clone_chart(&res, s, chart_url, &x);
		free(chart_url);
		if (rc < 0) {
			failed = 1;
			res.error = rc;
			res.message = carelog_error_last()->message;
		}
		res.bytes_received = x.bytes_in;
		res.bytes_sent = x.bytes_out;
		if (opts && opts->chart_done)
			opts->chart_done(&res, opts->payload);
	}
	return failed;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The store's charts plus the requested ones, sorted, each once. */
static int charts_to_sync(char ***out, size_t *n, carelog_store *s, const carelog_sync_options *opts)
{
	char **ids = NULL;
	size_t count = 0;
	int rc = carelog__chart_list(&ids, &count, s);
	if (rc < 0)
		return rc;
	for (size_t i = 0; opts && i < opts->npatients; i++) {
		char **nv;
		if ((rc = carelog__id_check(opts->patients[i], "patient")) < 0) {
			carelog__chart_list_free(ids, count);
			return rc;
		}
		if ((nv = realloc(ids, (count + 1) * sizeof(*nv))) == NULL || (nv[count] = strdup(opts->patients[i])) == NULL) {
			carelog__chart_list_free(nv ? nv : ids, count);
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		}
		ids = nv;
		count++;
	}
	qsort(ids, count, sizeof(*ids), cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < count; i++) {
		if (w > 0 && strcmp(ids[w - 1], ids[i]) == 0)
			free(ids[i]);
		else
			ids[w++] = ids[i];
	}
	*out = ids;
	*n = w;
	return 0;
}

int carelog_sync(carelog_store *s, const char *remote, const carelog_sync_options *opts)
{
	json_t *remotes = NULL, *r;
	char **charts = NULL;
	size_t ncharts = 0, i, synced = 0;
	int fd = -1, rc, failed = 0;

	carelog_error_clear();
	if (opts && opts->version != CARELOG_SYNC_OPTIONS_VERSION)
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "unknown carelog_sync_options version"));
	if ((rc = carelog__remotes_load(&remotes, s)) < 0)
		return carelog__store_result(s, rc);
	if (json_array_size(remotes) == 0) {
		json_decref(remotes);
		return carelog__store_result(s, carelog__fail(CARELOG_ENOTFOUND,
			"the store has no remotes (add one: carelog remote add NAME URL)"));
	}
	if (opts && opts->ca_file &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, opts->ca_file, NULL) < 0) {
		json_decref(remotes);
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "cannot use CA file %s: %s",
			opts->ca_file, git_msg()));
	}
	if ((rc = carelog__sync_lock(&fd, s)) < 0) {
		json_decref(remotes);
		return carelog__store_result(s, rc);
	}
	if ((rc = carelog__lock(s)) == 0) {
		carelog__charts_sweep(s);
		carelog__unlock(s);
	}
	if (rc == 0)
		rc = charts_to_sync(&charts, &ncharts, s, opts);
	json_array_foreach(remotes, i, r) {
		const char *name = json_string_value(json_object_get(r, "name"));
		if (rc < 0 || (remote && strcmp(remote, name) != 0))
			continue;
		synced++;
		failed |= sync_remote(s, name, json_string_value(json_object_get(r, "url")), opts, charts, ncharts);
	}
	if (rc == 0 && synced == 0)
		rc = carelog__fail(CARELOG_ENOTFOUND, "no remote named '%s' (see carelog remote list)", remote);
	if (rc == 0 && failed)
		rc = carelog__fail(CARELOG_EREMOTE, "some charts did not sync");
	carelog__chart_list_free(charts, ncharts);
	json_decref(remotes);
	close(fd);
	return carelog__store_result(s, rc);
}
