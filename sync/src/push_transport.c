/*
 * push_transport.c - pushes over git://, http(s):// and ssh:// that send
 * carelog's thin pack (thin_push.c) in place of libgit2's.
 *
 * libgit2 1.5 builds the pack of a push inside its smart transport, with no
 * way to make it thin. The transport here is libgit2's own smart transport
 * over libgit2's own subtransport for the URL (so credentials, certificate
 * checks, proxies, progress and the side band are all libgit2's), with
 * one layer between them: the receive-pack stream. What libgit2 writes to
 * it is its commands (pkt-lines, up to a flush packet) and then its pack.
 * The commands go out as they are; when they are a single update of a ref
 * the remote has, to a commit this chart holds, and a pack follows, the
 * stream sends carelog__thin_pack_build's pack instead and drops
 * libgit2's. Anything else, or a thin pack that cannot be built (too large,
 * an unexpected tree), goes out exactly as libgit2 wrote it. What the
 * remote answers (report-status, side band) is read by libgit2 as always.
 *
 * For a stateful transport (git://, ssh://) libgit2 asks for the
 * receive-pack stream twice, first to read the refs and then to push, and
 * requires the same stream both times: the wrapper is made on the first
 * and handed out again.
 */
#include <stdlib.h>
#include <string.h>

#include <git2/sys/transport.h>

#include "error.h"
#include "sync_internal.h"

/* the commands of one push are a few pkt-lines; more is not libgit2's */
#define COMMANDS_MAX (64 * 1024)

typedef struct thin_sub thin_sub;

typedef enum {
	S_COMMANDS, /* reading libgit2's commands, nothing sent yet */
	S_PASS,     /* sending what libgit2 writes */
	S_DROP      /* carelog's pack went out; libgit2's is dropped */
} stream_state;

typedef struct {
	git_smart_subtransport_stream parent;
	git_smart_subtransport_stream *inner;
	thin_sub *sub;
	stream_state state;
	carelog__buf head;   /* libgit2's writes held while deciding */
	size_t scan;         /* parsed up to here */
	int flushed;         /* the flush packet ending the commands was seen */
	size_t commands;     /* how many */
	git_oid old_id, new_id; /* of the first command */
	int wrote;           /* libgit2 wrote to it: the advertisement is over */
	char advert[8192];   /* the advertisement's first bytes */
	size_t advert_len;
} thin_stream;

struct thin_sub {
	git_smart_subtransport parent;
	git_smart_subtransport *inner;
	git_repository *repo;
	carelog__push_stats *stats;
	int thin;
	thin_stream *current;
};

typedef struct {
	git_smart_subtransport_cb create;
	git_repository *repo;
	carelog__push_stats *stats;
	int thin;
} sub_param;

static int send(thin_stream *w, const void *data, size_t len)
{
	int rc = w->inner->write(w->inner, data, len);
	if (rc == 0)
		w->sub->stats->bytes += len;
	return rc;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The pkt-line length at p (4 hex digits), or -1. */
static int pkt_len(const unsigned char *p)
{
	int n = 0;
	for (int i = 0; i < 4; i++) {
		int v = hexval((char)p[i]);
		if (v < 0)
			return -1;
		n = n * 16 + v;
	}
	return n;
}

/* Sends what is held and lets everything after it through. */
static int pass(thin_stream *w)
{
	int rc = w->head.len ? send(w, w->head.p, w->head.len) : 0;
	w->state = S_PASS;
	free(w->head.p);
	memset(&w->head, 0, sizeof(w->head));
	return rc;
}

static int has_commit(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int rc = git_commit_lookup(&c, repo, id);
	git_commit_free(c);
	if (rc < 0)
		git_error_clear();
	return rc == 0;
}

/* The commands are complete and a pack started: send the commands and the
 * thin pack, or everything held. */
static int decide(thin_stream *w, size_t commands_end)
{
	thin_sub *s = w->sub;
	unsigned char *pack = NULL;
	size_t len = 0, objects = 0, deltas = 0;
	int rc;

	if (!s->thin || w->commands != 1 || memcmp(w->head.p + commands_end, "PACK", 4) != 0 ||
	    git_oid_is_zero(&w->old_id) || git_oid_is_zero(&w->new_id) || !has_commit(s->repo, &w->old_id))
		return pass(w);
	rc = carelog__thin_pack_build(&pack, &len, &objects, &deltas, s->repo, &w->old_id, &w->new_id);
	if (rc != 0) {
		/* a local failure is not the remote's fault: send libgit2's
		 * pack, which reads the same objects and fails the same way if
		 * the chart is damaged */
		git_error_clear();
		return pass(w);
	}
	if ((rc = send(w, w->head.p, commands_end)) == 0 && (rc = send(w, pack, len)) == 0) {
		s->stats->thin = 1;
		s->stats->objects = objects;
		s->stats->deltas = deltas;
	}
	free(pack);
	free(w->head.p);
	memset(&w->head, 0, sizeof(w->head));
	w->state = S_DROP;
	return rc;
}

/* Reads one command "<old> <new> <ref>[\0caps]\n" of n bytes at p. */
static void read_command(thin_stream *w, const unsigned char *p, int n)
{
	if (w->commands++ > 0)
		return;
	if (n < 2 * GIT_OID_HEXSZ + 2 || p[GIT_OID_HEXSZ] != ' ' || p[2 * GIT_OID_HEXSZ + 1] != ' ' ||
	    git_oid_fromstrn(&w->old_id, (const char *)p, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&w->new_id, (const char *)p + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ) < 0) {
		memset(&w->old_id, 0, sizeof(w->old_id)); /* not understood: libgit2's pack goes */
		memset(&w->new_id, 0, sizeof(w->new_id));
	}
}

static int stream_write(git_smart_subtransport_stream *stream, const char *data, size_t len)
{
	thin_stream *w = (thin_stream *)stream;

	w->wrote = 1;
	if (w->state == S_PASS)
		return send(w, data, len);
	if (w->state == S_DROP)
		return 0;
	if (carelog__buf_put(&w->head, data, len) < 0) {
		git_error_set_oom();
		return -1;
	}
	for (;;) {
		const unsigned char *p = w->head.p;
		if (w->flushed)
			return w->head.len >= w->scan + 4 ? decide(w, w->scan) : 0;
		if (w->head.len > COMMANDS_MAX)
			return pass(w);
		if (w->head.len < w->scan + 4)
			return 0;
		int n = pkt_len(p + w->scan);
		if (n < 0 || (n > 0 && n < 4))
			return pass(w);
		if (n == 0) {
			if (w->commands == 0) /* libgit2's goodbye on a stream it did not push on */
				return pass(w);
			w->flushed = 1;
			w->scan += 4;
			continue;
		}
		if (w->head.len < w->scan + (size_t)n)
			return 0;
		read_command(w, p + w->scan + 4, n - 4);
		w->scan += (size_t)n;
	}
}

/* A server that advertises "no-thin" gets no thin pack
 * (gitprotocol-capabilities(5)): the capabilities follow the first ref of
 * the advertisement, after a NUL, separated by spaces. What is read before
 * the first write is looked at, its first ADVERT_SCAN bytes. */
#define ADVERT_SCAN 8192

static void scan_advert(thin_stream *w, const char *data, size_t len)
{
	size_t room = ADVERT_SCAN - w->advert_len;
	if (len > room)
		len = room;
	memcpy(w->advert + w->advert_len, data, len);
	w->advert_len += len;
	for (size_t i = 0; i + 7 <= w->advert_len; i++)
		if (memcmp(w->advert + i, "no-thin", 7) == 0 && i > 0 && (w->advert[i - 1] == ' ' || w->advert[i - 1] == '\0') &&
		    (i + 7 == w->advert_len || w->advert[i + 7] == ' ' || w->advert[i + 7] == '\n' || w->advert[i + 7] == '\0'))
			w->sub->thin = 0;
}

static int stream_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *bytes_read)
{
	thin_stream *w = (thin_stream *)stream;
	int rc;

	/* libgit2 reads only once it has written all it had: what is still
	 * held (a push with no pack) goes first */
	if (w->state == S_COMMANDS && w->head.len && (rc = pass(w)) < 0)
		return rc;
	rc = w->inner->read(w->inner, buffer, size, bytes_read);
	if (rc == 0 && !w->wrote && w->advert_len < ADVERT_SCAN)
		scan_advert(w, buffer, *bytes_read);
	return rc;
}

static void stream_free(git_smart_subtransport_stream *stream)
{
	thin_stream *w = (thin_stream *)stream;
	if (w->sub->current == w)
		w->sub->current = NULL;
	w->inner->free(w->inner);
	free(w->head.p);
	free(w);
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *transport, const char *url,
	git_smart_service_t action)
{
	thin_sub *s = (thin_sub *)transport;
	git_smart_subtransport_stream *inner = NULL;
	thin_stream *w;
	int rc;

	*out = NULL;
	if ((rc = s->inner->action(&inner, s->inner, url, action)) < 0)
		return rc;
	if (action != GIT_SERVICE_RECEIVEPACK_LS && action != GIT_SERVICE_RECEIVEPACK) {
		*out = inner;
		return 0;
	}
	if (s->current && s->current->inner == inner) {
		*out = &s->current->parent;
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		inner->free(inner);
		git_error_set_oom();
		return -1;
	}
	w->parent.subtransport = transport;
	w->parent.read = stream_read;
	w->parent.write = stream_write;
	w->parent.free = stream_free;
	w->inner = inner;
	w->sub = s;
	s->current = w;
	*out = &w->parent;
	return 0;
}

static int sub_close(git_smart_subtransport *transport)
{
	thin_sub *s = (thin_sub *)transport;
	return s->inner->close(s->inner);
}

static void sub_free(git_smart_subtransport *transport)
{
	thin_sub *s = (thin_sub *)transport;
	s->inner->free(s->inner);
	free(s);
}

static int sub_new(git_smart_subtransport **out, git_transport *owner, void *param)
{
	const sub_param *p = param;
	thin_sub *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		git_error_set_oom();
		return -1;
	}
	if (p->create(&s->inner, owner, NULL) < 0) {
		free(s);
		return -1;
	}
	s->parent.action = sub_action;
	s->parent.close = sub_close;
	s->parent.free = sub_free;
	s->repo = p->repo;
	s->stats = p->stats;
	s->thin = p->thin;
	*out = &s->parent;
	return 0;
}

static int has_scheme(const char *url, const char *scheme)
{
	return strncmp(url, scheme, strlen(scheme)) == 0;
}

int carelog__push_transport(git_transport **out, git_remote *owner, git_repository *repo, carelog__push_stats *stats,
	int thin)
{
	const char *url = git_remote_pushurl(owner) ? git_remote_pushurl(owner) : git_remote_url(owner);
	sub_param p = { NULL, repo, stats, thin };
	git_smart_subtransport_definition def = { sub_new, 0, &p };

	memset(stats, 0, sizeof(*stats));
	if (url && has_scheme(url, "git://")) {
		p.create = git_smart_subtransport_git;
	} else if (url && (has_scheme(url, "http://") || has_scheme(url, "https://"))) {
		p.create = git_smart_subtransport_http;
		def.rpc = 1;
	} else if (url && has_scheme(url, "ssh://")) {
		p.create = git_smart_subtransport_ssh;
	} else {
		return git_transport_new(out, owner, url);
	}
	/* libgit2 calls sub_new now, inside git_transport_smart; p is not
	 * kept */
	return git_transport_smart(out, owner, &def);
}
