/*
 * thin_pack.c - receiving a fetched pack into a quarantine. A server sends
 * a thin pack: deltas against objects the chart already holds, which the
 * pack leaves out. libgit2 1.5's indexer completes it one missing base at a
 * time, each followed by another pass over every unresolved delta
 * (resolve_deltas / fix_thin_pack), so its cost grows with bases times
 * deltas: measured, 1.0 to 1.3 s of a 3.2 s incremental sync that fetched
 * 3,000 objects of a 100,000-record chart, most of the fetch.
 *
 * Here the pack goes through libgit2's indexer as it arrives (its progress
 * and its checks are the same) and is also kept; at the end, when the
 * chart holds bases the pack refers to by id, a second indexer receives
 * the same pack with those bases put in front, whole, and resolves every
 * delta in one pass. The objects that land in the chart are the same ones
 * libgit2 would have added (it appends the bases, whole, at the end). Should
 * anything look other than expected, the first indexer finishes as it
 * always did. Only a pack whose every REF_DELTA base lies outside it is
 * completed (git's pack-objects, which names in-pack bases by offset): a
 * base put in front that the pack also holds is a duplicate, which libgit2
 * 1.5's indexer cannot index (seen with libgit2's own packs, path remotes,
 * in cli.sync_race; it looped for ever there while it had an odb to look in,
 * see index_completed).
 *
 * The pack is the remote's, untrusted: it is read here only to find those
 * bases, every read bounded by what was received, and only a pack laid out
 * exactly as git's format says (trailer checksum included) is completed;
 * anything else goes to the first indexer, which refuses it as before, with
 * libgit2's own words. tests/sync/test_thin_pack.c feeds crafted packs to
 * both and compares.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <git2/sys/odb_backend.h>

#include "error.h"
#include "sha1.h"
#include "sync_internal.h"

/* Above this a pack is not kept in memory twice: libgit2 completes it. */
#define KEEP_MAX_BYTES (32u << 20)
/* Reading a pack for its bases inflates at most this much (the sizes its
 * objects' headers declare, added up); a pack needing more is left to
 * libgit2. A zlib stream can hold 1,000 times its size. */
#define PARSE_MAX_BYTES (256u << 20)
/* A completed pack (the chart's bases in front) is at most this big. */
#define COMPLETED_MAX_BYTES (64u << 20)

typedef carelog__buf buf;

typedef struct {
	git_odb_backend parent;
	char *pack_dir;
} thin_backend;

typedef struct {
	git_odb_writepack parent;
	git_odb *odb;
	const char *pack_dir;
	git_indexer *idx;                 /* fed as the pack arrives */
	git_indexer_progress_cb cb;
	void *payload;
	buf kept;                         /* the pack as received... */
	int keep;                         /* ...while it holds all of it */
	/* while the completed pack is indexed, progress as if it were the one
	 * received: without the bases put in front */
	size_t injected;
	size_t received_bytes;            /* what the transport counted */
	unsigned indexed_before;          /* what the first indexer reported */
	int cancelled;
} thin_writepack;

/* ---- reading the pack ------------------------------------------------- */

/* Inflates the zlib stream at pack[*pos..end), moving *pos past it. It must
 * inflate to exactly `size` bytes (what the object's header says), which
 * out, unless NULL, receives (replacing what it held); out grows with what
 * the stream gives, never more than one byte past `size`. 0 or -1. */
static int inflate_object(buf *out, size_t size, const unsigned char *pack, size_t end, size_t *pos)
{
	unsigned char scratch[16384];
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(pack + *pos);
	z.avail_in = (uInt)(end - *pos); /* end is at most KEEP_MAX_BYTES */
	if (out)
		out->len = 0;
	do {
		/* one byte past `size` shows a stream that runs on */
		size_t room = size - (size_t)z.total_out + 1;
		if (room > sizeof(scratch))
			room = sizeof(scratch);
		if (out) {
			if (carelog__buf_reserve(out, room) < 0) {
				zr = Z_MEM_ERROR;
				break;
			}
			z.next_out = out->p + out->len;
		} else {
			z.next_out = scratch;
		}
		z.avail_out = (uInt)room;
		zr = inflate(&z, Z_NO_FLUSH);
		if (out)
			out->len = (size_t)z.total_out;
	} while (zr == Z_OK && z.total_out <= size);
	*pos += (size_t)((const unsigned char *)z.next_in - (pack + *pos));
	inflateEnd(&z);
	return zr == Z_STREAM_END && z.total_out == size ? 0 : -1;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static void sort_unique(carelog__oids *l)
{
	size_t n = 0;
	if (l->n == 0)
		return;
	qsort(l->ids, l->n, sizeof(*l->ids), oid_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || !git_oid_equal(&l->ids[n - 1], &l->ids[i]))
			l->ids[n++] = l->ids[i];
	l->n = n;
}

/* The ids the pack's REF_DELTA objects name as their bases that are not
 * among its whole objects, each once, into *bases. -1 if the pack is not
 * laid out as git's format says (its trailer the SHA-1 of what precedes,
 * as many objects as its header counts, each stream inflating to the size
 * its header declares, each OFS_DELTA's base inside the pack), or is not
 * one to complete here: only a pack whose in-pack bases are named by
 * offset (git's pack-objects, asked for ofs-delta as libgit2 asks) has
 * REF_DELTA bases that are all outside it; libgit2's own packbuilder names
 * every base by id. Anything refused here goes to libgit2's indexer as
 * before, which says what is wrong with it. */
static int ref_bases(carelog__oids *bases, const unsigned char *pack, size_t len)
{
	carelog__oids whole = { 0 };
	buf data = { 0 };
	unsigned char sum[CARELOG__SHA1_LEN];
	carelog__sha1 h;
	size_t pos = 12, n = 0, end, budget = PARSE_MAX_BYTES;
	uint32_t count;
	int ofs = 0, rc = -1;

	if (len < 12 + GIT_OID_RAWSZ || memcmp(pack, "PACK", 4) != 0 || pack[4] || pack[5] || pack[6] ||
	    (pack[7] != 2 && pack[7] != 3))
		return -1;
	end = len - GIT_OID_RAWSZ; /* the trailer */
	carelog__sha1_init(&h);
	carelog__sha1_update(&h, pack, end);
	carelog__sha1_final(&h, sum);
	if (memcmp(sum, pack + end, sizeof(sum)) != 0)
		return -1;
	count = (uint32_t)pack[8] << 24 | (uint32_t)pack[9] << 16 | (uint32_t)pack[10] << 8 | pack[11];
	for (uint32_t i = 0; i < count; i++) {
		size_t start = pos, size;
		unsigned c, shift = 4;
		int type;
		if (pos >= end)
			goto out;
		c = pack[pos++];
		type = (c >> 4) & 7;
		size = c & 15;
		while (c & 0x80) {
			if (pos >= end || shift + 7 > sizeof(size_t) * 8)
				goto out;
			c = pack[pos++];
			size |= (size_t)(c & 0x7f) << shift;
			shift += 7;
		}
		if (size > budget)
			goto out;
		budget -= size;
		if (type == GIT_OBJECT_OFS_DELTA) {
			/* git's encoding of the distance back to the base, which
			 * must lie inside the pack: the same distance in the
			 * completed pack would reach the bases put in front */
			size_t dist;
			if (pos >= end)
				goto out;
			c = pack[pos++];
			dist = c & 127;
			while (c & 128) {
				if (pos >= end || (dist + 1) >> (sizeof(size_t) * 8 - 7))
					goto out;
				c = pack[pos++];
				dist = ((dist + 1) << 7) | (c & 127);
			}
			if (dist == 0 || dist > start - 12)
				goto out;
			ofs = 1;
		} else if (type == GIT_OBJECT_REF_DELTA) {
			git_oid id;
			if (end - pos < GIT_OID_RAWSZ)
				goto out;
			git_oid_fromraw(&id, pack + pos);
			pos += GIT_OID_RAWSZ;
			if (carelog__oids_add(bases, &id) < 0)
				goto out;
		} else if (type >= GIT_OBJECT_COMMIT && type <= GIT_OBJECT_TAG) {
			/* whole: its id, so that it is never put in front again */
			git_oid id;
			if (inflate_object(&data, size, pack, end, &pos) < 0 ||
			    git_odb_hash(&id, data.p, size, (git_object_t)type) < 0 || carelog__oids_add(&whole, &id) < 0)
				goto out;
			continue;
		} else {
			goto out;
		}
		if (inflate_object(NULL, size, pack, end, &pos) < 0)
			goto out;
	}
	if (pos != end || !ofs)
		goto out;
	sort_unique(bases);
	sort_unique(&whole);
	for (size_t i = 0; i < bases->n; i++)
		if (whole.n == 0 || !bsearch(&bases->ids[i], whole.ids, whole.n, sizeof(*whole.ids), oid_cmp))
			bases->ids[n++] = bases->ids[i];
	bases->n = n;
	rc = 0;
out:
	free(whole.ids);
	free(data.p);
	return rc;
}

/* ---- the completed pack ----------------------------------------------- */

/* The received pack with `bases` (held by the chart) in front, whole: its
 * header counting them too, its trailer the SHA-1 of the new whole. -1 if
 * it cannot be made or would be over COMPLETED_MAX_BYTES. */
static int completed_pack(buf *out, git_odb *odb, const carelog__oids *bases, const unsigned char *pack, size_t len)
{
	uint32_t count = (uint32_t)pack[8] << 24 | (uint32_t)pack[9] << 16 | (uint32_t)pack[10] << 8 | pack[11];
	unsigned char hdr[12], sum[CARELOG__SHA1_LEN];
	carelog__sha1 h;
	z_stream z = { 0 };

	if (bases->n > UINT32_MAX - count)
		return -1;
	count += (uint32_t)bases->n;
	memcpy(hdr, pack, 8);
	hdr[8] = (unsigned char)(count >> 24);
	hdr[9] = (unsigned char)(count >> 16);
	hdr[10] = (unsigned char)(count >> 8);
	hdr[11] = (unsigned char)count;
	if (carelog__buf_put(out, hdr, sizeof(hdr)) < 0 || deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		return -1;
	for (size_t i = 0; i < bases->n; i++) {
		git_odb_object *o = NULL;
		int rc = git_odb_read(&o, odb, &bases->ids[i]);
		if (rc == 0)
			rc = git_odb_object_size(o) > COMPLETED_MAX_BYTES ? -1 :
				carelog__pack_put_entry(out, &z, git_odb_object_type(o), NULL, 0, git_odb_object_data(o),
					git_odb_object_size(o));
		git_odb_object_free(o);
		if (rc < 0 || out->len > COMPLETED_MAX_BYTES) {
			deflateEnd(&z);
			return -1;
		}
	}
	deflateEnd(&z);
	/* an OFS_DELTA names its base by distance, which moving every received
	 * object by the same amount leaves as it was (ref_bases saw that
	 * none reaches back past the received pack's first object) */
	if (carelog__buf_put(out, pack + 12, len - 12 - GIT_OID_RAWSZ) < 0)
		return -1;
	carelog__sha1_init(&h);
	carelog__sha1_update(&h, out->p, out->len);
	carelog__sha1_final(&h, sum);
	return carelog__buf_put(out, sum, sizeof(sum));
}

static int progress_as_received(const git_indexer_progress *st, void *payload)
{
	thin_writepack *w = payload;
	git_indexer_progress p = *st;
	unsigned k = (unsigned)w->injected;

	/* every object was received before; the bases put in front are what
	 * libgit2 counts as local ones */
	p.total_objects = st->total_objects >= k ? st->total_objects - k : 0;
	p.received_objects = p.total_objects;
	p.indexed_objects = st->indexed_objects >= k ? st->indexed_objects - k : 0;
	if (p.indexed_objects < w->indexed_before)
		p.indexed_objects = w->indexed_before;
	p.local_objects = k;
	p.received_bytes = w->received_bytes;
	if (w->cb && w->cb(&p, w->payload) != 0) {
		w->cancelled = 1;
		return -1;
	}
	return 0;
}

/* Removes what a failed git_indexer_commit may have put in place. */
static void remove_committed(const char *pack_dir, git_indexer *idx)
{
	const char *name = git_indexer_name(idx);
	char path[4096];
	if (name == NULL || name[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/pack-%s.idx", pack_dir, name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pack-%s.pack", pack_dir, name);
	unlink(path);
}

/* Indexes the completed pack; 0 when it is in place, 1 when it could not
 * be made (the first indexer then finishes), <0 on an error to report. */
static int index_completed(thin_writepack *w, git_indexer_progress *stats)
{
	carelog__oids bases = { 0 }, held = { 0 };
	buf pack = { 0 };
	git_indexer *idx = NULL;
	git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
	git_indexer_progress st = { 0 };
	int rc = 1;

	if (ref_bases(&bases, w->kept.p, w->kept.len) < 0)
		goto out;
	/* a base the chart lacks would have to be in the pack: not one to complete */
	for (size_t i = 0; i < bases.n; i++)
		if (!git_odb_exists(w->odb, &bases.ids[i]) || carelog__oids_add(&held, &bases.ids[i]) < 0)
			goto out;
	git_error_clear();
	if (held.n == 0 || completed_pack(&pack, w->odb, &held, w->kept.p, w->kept.len) < 0)
		goto out;
	w->injected = held.n;
	w->received_bytes = stats->received_bytes;
	w->indexed_before = stats->indexed_objects;
	opts.progress_cb = progress_as_received;
	opts.progress_cb_payload = w;
	/* No odb: every base is in this pack, and an indexer without one never
	 * goes looking for more (fix_thin_pack). With one, a pack whose deltas
	 * also make a base put in front (a duplicate, never indexed) has
	 * libgit2 1.5 find that base present and go round resolve_deltas for
	 * ever; without one it stops with an error, and the first indexer
	 * finishes as before. */
	if (git_indexer_new(&idx, w->pack_dir, 0, NULL, &opts) != 0 ||
	    git_indexer_append(idx, pack.p, pack.len, &st) != 0 || git_indexer_commit(idx, &st) != 0) {
		if (idx)
			remove_committed(w->pack_dir, idx);
		rc = w->cancelled ? -1 : 1;
		goto out;
	}
	/* as the first indexer would have left them */
	stats->total_objects = st.total_objects - (unsigned)held.n;
	stats->indexed_objects = stats->total_objects;
	stats->received_objects = stats->total_objects;
	stats->local_objects = (unsigned)held.n;
	stats->total_deltas = st.total_deltas;
	stats->indexed_deltas = st.indexed_deltas;
	rc = 0;
out:
	if (rc > 0)
		git_error_clear();
	git_indexer_free(idx);
	free(pack.p);
	free(bases.ids);
	free(held.ids);
	return rc;
}

/* ---- the writepack ---------------------------------------------------- */

static int wp_append(git_odb_writepack *_w, const void *data, size_t size, git_indexer_progress *stats)
{
	thin_writepack *w = (thin_writepack *)_w;
	if (w->keep && (size > KEEP_MAX_BYTES - w->kept.len || carelog__buf_put(&w->kept, data, size) < 0)) {
		/* too big (or no memory) to keep: libgit2 completes it */
		w->keep = 0;
		free(w->kept.p);
		memset(&w->kept, 0, sizeof(w->kept));
	}
	return git_indexer_append(w->idx, data, size, stats);
}

static int wp_commit(git_odb_writepack *_w, git_indexer_progress *stats)
{
	thin_writepack *w = (thin_writepack *)_w;
	if (w->keep) {
		int rc = index_completed(w, stats);
		if (rc <= 0)
			return rc;
	}
	return git_indexer_commit(w->idx, stats);
}

static void wp_free(git_odb_writepack *_w)
{
	thin_writepack *w = (thin_writepack *)_w;
	git_indexer_free(w->idx);
	free(w->kept.p);
	free(w);
}

static int be_writepack(git_odb_writepack **out, git_odb_backend *_b, git_odb *odb, git_indexer_progress_cb cb,
	void *payload)
{
	thin_backend *b = (thin_backend *)_b;
	git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
	thin_writepack *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		git_error_set_oom();
		return -1;
	}
	opts.progress_cb = cb;
	opts.progress_cb_payload = payload;
	if (git_indexer_new(&w->idx, b->pack_dir, 0, odb, &opts) < 0) {
		free(w);
		return -1;
	}
	w->parent.backend = _b;
	w->parent.append = wp_append;
	w->parent.commit = wp_commit;
	w->parent.free = wp_free;
	w->odb = odb;
	w->pack_dir = b->pack_dir;
	w->cb = cb;
	w->payload = payload;
	w->keep = 1;
	*out = &w->parent;
	return 0;
}

static void be_free(git_odb_backend *_b)
{
	thin_backend *b = (thin_backend *)_b;
	free(b->pack_dir);
	free(b);
}

int carelog__thin_pack_receiver(carelog__chart *q)
{
	thin_backend *b = calloc(1, sizeof(*b));
	int rc;

	if (b == NULL || (b->pack_dir = carelog__strdupf("%s/objects/pack", q->dir)) == NULL) {
		free(b);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION);
	b->parent.writepack = be_writepack;
	b->parent.free = be_free;
	/* above the pack backend (1) and the write buffer (1000): fetches write here */
	if ((rc = git_odb_add_backend(q->odb, &b->parent, 2000)) < 0) {
		be_free(&b->parent);
		return carelog__git_fail(rc, "cannot set up the quarantine");
	}
	return 0;
}
