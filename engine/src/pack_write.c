/*
 * pack_write.c - writes the objects of one write as one pack and its index
 * (git's pack format v2 and pack index v2) straight into
 * objects/pack, durably: pack and index each written under a temporary
 * name and fsynced, the pack renamed into place before the index (git and
 * libgit2 look at a pack only through its index, so a visible index always
 * has its pack), then the directory fsynced.
 *
 * Why not libgit2's packbuilder and indexer, which wrote these packs
 * before: the packbuilder searches every object for deltas (a quarter of a
 * bulk import's time, measured with perf; the records of one write seldom
 * share anything with each other), and the indexer inflates and hashes
 * again everything the packbuilder has just deflated. Objects here are
 * stored whole, at zlib's fastest level: these small packs are transient,
 * and the periodic merge of small packs (pack_maintain.c) rewrites them
 * through the packbuilder, which finds the deltas and compresses at git's
 * default level. The format is git's Documentation/gitformat-pack.txt.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "chart.h"
#include "error.h"
#include "pack_write.h"
#include "sha1.h"

typedef struct {
	unsigned char *p;
	size_t len, cap;
} buf;

static int buf_grow(buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *p = realloc(b->p, cap);
	if (p == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_put(buf *b, const void *data, size_t n)
{
	int rc = buf_grow(b, n);
	if (rc == 0) {
		memcpy(b->p + b->len, data, n);
		b->len += n;
	}
	return rc;
}

static int buf_be32(buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };
	return buf_put(b, x, 4);
}

typedef struct {
	git_oid id;
	uint32_t crc;
	uint64_t offset;
} entry;

static int by_id(const void *a, const void *b)
{
	return git_oid_cmp(&((const entry *)a)->id, &((const entry *)b)->id);
}

/* Appends one object, whole: the type-and-size header, then its zlib
 * stream. Records its offset and the CRC-32 of both. */
static int put_object(buf *pack, z_stream *z, entry *e, git_object_t type, const void *data, size_t size)
{
	unsigned char hdr[16];
	size_t n = 0, s = size;
	int rc;

	e->offset = pack->len;
	hdr[n++] = (unsigned char)((type << 4) | (s & 15));
	for (s >>= 4; s; s >>= 7) {
		hdr[n - 1] |= 0x80;
		hdr[n++] = (unsigned char)(s & 0x7f);
	}
	if ((rc = buf_put(pack, hdr, n)) < 0)
		return rc;
	if (deflateReset(z) != Z_OK || (rc = buf_grow(pack, deflateBound(z, (uLong)size))) < 0)
		return rc < 0 ? rc : carelog__fail(CARELOG_EIO, "zlib failed");
	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)size;
	z->next_out = pack->p + pack->len;
	z->avail_out = (uInt)(pack->cap - pack->len);
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return carelog__fail(CARELOG_EIO, "zlib could not compress an object");
	pack->len = pack->cap - z->avail_out;
	e->crc = (uint32_t)crc32(0, pack->p + e->offset, (uInt)(pack->len - e->offset));
	return 0;
}

/* Writes data to a new temporary file in dir, fsynced; its name in tmp. */
static int write_temp(char *tmp, size_t tmpsz, const char *dir, const unsigned char *data, size_t len)
{
	int fd, rc;

	snprintf(tmp, tmpsz, "%s/tmp_carelog_XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return carelog__fail(CARELOG_EIO, "cannot create a pack file in %s: %s", dir, strerror(errno));
	if (fchmod(fd, 0444) < 0) { /* packs are read-only, as git makes them */
		rc = carelog__fail(CARELOG_EIO, "cannot write the pack file %s: %s", tmp, strerror(errno));
		close(fd);
	} else {
		rc = carelog__write_fd_synced(fd, data, len, tmp);
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Renames the temporary file tmp to <dir>/pack-<hex>.<ext>; removes it if
 * that fails. */
static int move_into_place(const char *tmp, const char *dir, const char *hex, const char *ext)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/pack-%s.%s", dir, hex, ext);
	if (rename(tmp, path) == 0)
		return 0;
	int err = errno;
	unlink(tmp);
	return carelog__fail(CARELOG_EIO, "cannot move %s into place as %s: %s", tmp, path, strerror(err));
}

/* The index (v2) of the pack whose entries are `e`, sorted by id. */
static int make_index(buf *idx, entry *e, size_t n, const unsigned char pack_sum[CARELOG__SHA1_LEN])
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0, 2 };
	unsigned char sum[CARELOG__SHA1_LEN];
	carelog__sha1 h;
	size_t i = 0, nlarge = 0;
	int rc = buf_put(idx, magic, sizeof(magic));

	for (unsigned b = 0; b < 256 && rc == 0; b++) {
		while (i < n && e[i].id.id[0] <= b)
			i++;
		rc = buf_be32(idx, (uint32_t)i);
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_put(idx, e[i].id.id, GIT_OID_RAWSZ);
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_be32(idx, e[i].crc);
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_be32(idx, e[i].offset < 0x80000000u ? (uint32_t)e[i].offset : (uint32_t)(0x80000000u | nlarge++));
	for (i = 0; i < n && rc == 0; i++)
		if (e[i].offset >= 0x80000000u && (rc = buf_be32(idx, (uint32_t)(e[i].offset >> 32))) == 0)
			rc = buf_be32(idx, (uint32_t)e[i].offset);
	if (rc == 0)
		rc = buf_put(idx, pack_sum, CARELOG__SHA1_LEN);
	if (rc == 0) {
		carelog__sha1_init(&h);
		carelog__sha1_update(&h, idx->p, idx->len);
		carelog__sha1_final(&h, sum);
		rc = buf_put(idx, sum, sizeof(sum));
	}
	return rc;
}

int carelog__pack_write_ids(carelog__chart *c, const git_oid *ids, size_t n)
{
	buf pack = { 0 }, idx = { 0 };
	entry *e = calloc(n ? n : 1, sizeof(*e));
	unsigned char sum[CARELOG__SHA1_LEN];
	char dir[4096], tmp_pack[4200], tmp_idx[4200], hex[GIT_OID_HEXSZ + 1];
	z_stream z = { 0 };
	carelog__sha1 h;
	size_t m = 0;
	int rc, zok = 0;

	if (e == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (deflateInit(&z, Z_BEST_SPEED) != Z_OK) {
		rc = carelog__fail(CARELOG_ENOMEM, "zlib could not start");
		goto out;
	}
	zok = 1;
	/* in id order, which the index needs, and each object once */
	for (size_t i = 0; i < n; i++)
		e[i].id = ids[i];
	qsort(e, n, sizeof(*e), by_id);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || !git_oid_equal(&e[m - 1].id, &e[i].id))
			e[m++].id = e[i].id;
	rc = buf_put(&pack, "PACK\0\0\0\2\0\0\0\0", 12);
	for (size_t i = 0; i < m && rc == 0; i++) {
		git_odb_object *o = NULL;
		if ((rc = git_odb_read(&o, c->odb, &e[i].id)) < 0) {
			rc = carelog__git_fail(rc, "cannot read an object to pack");
			break;
		}
		rc = put_object(&pack, &z, &e[i], git_odb_object_type(o), git_odb_object_data(o), git_odb_object_size(o));
		git_odb_object_free(o);
	}
	if (rc < 0)
		goto out;
	pack.p[8] = (unsigned char)(m >> 24);
	pack.p[9] = (unsigned char)(m >> 16);
	pack.p[10] = (unsigned char)(m >> 8);
	pack.p[11] = (unsigned char)m;
	carelog__sha1_init(&h);
	carelog__sha1_update(&h, pack.p, pack.len);
	carelog__sha1_final(&h, sum);
	if ((rc = buf_put(&pack, sum, sizeof(sum))) < 0)
		goto out;
	if ((rc = make_index(&idx, e, m, sum)) < 0)
		goto out;

	snprintf(dir, sizeof(dir), "%s/objects/pack", c->dir);
	for (int i = 0; i < CARELOG__SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	if ((rc = write_temp(tmp_pack, sizeof(tmp_pack), dir, pack.p, pack.len)) < 0)
		goto out;
	if ((rc = write_temp(tmp_idx, sizeof(tmp_idx), dir, idx.p, idx.len)) < 0) {
		unlink(tmp_pack);
		goto out;
	}
	/* the pack first: an index in place always has its pack */
	if ((rc = move_into_place(tmp_pack, dir, hex, "pack")) < 0) {
		unlink(tmp_idx);
		goto out;
	}
	if ((rc = move_into_place(tmp_idx, dir, hex, "idx")) < 0)
		goto out;
	if ((rc = carelog__fsync_dir(dir)) == 0)
		c->packs_written++;
out:
	if (zok)
		deflateEnd(&z);
	free(pack.p);
	free(idx.p);
	free(e);
	return rc;
}
