/*
 * pack_buf.c - a growing byte buffer, and git's pack entries appended to
 * one (gitformat-pack(5)): for every pack carelog writes itself, a write's
 * or an import's (pack_write.c), a fetched thin pack completed with its
 * bases (sync/src/thin_pack.c) and a thin push (sync/src/thin_push.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pack_buf.h"

int carelog__buf_reserve(carelog__buf *b, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		unsigned char *p;
		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

int carelog__buf_put(carelog__buf *b, const void *data, size_t n)
{
	if (carelog__buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

int carelog__pack_put_entry(carelog__buf *b, z_stream *z, int type, const git_oid *base, uint64_t ofs,
	const void *data, size_t size)
{
	unsigned char hdr[16], dist[16];
	size_t n = 0, s = size, k = sizeof(dist) - 1;

	if (size > UINT32_MAX)
		return -1;
	hdr[n++] = (unsigned char)((type << 4) | (s & 15));
	for (s >>= 4; s; s >>= 7) {
		hdr[n - 1] |= 0x80;
		hdr[n++] = (unsigned char)(s & 0x7f);
	}
	/* an OFS_DELTA's distance back to its base: git's variable-length
	 * form, each further byte adding one */
	dist[k] = (unsigned char)(ofs & 127);
	while (ofs >>= 7)
		dist[--k] = (unsigned char)(128 | (--ofs & 127));
	if (carelog__buf_put(b, hdr, n) < 0 ||
	    (type == GIT_OBJECT_REF_DELTA && carelog__buf_put(b, base->id, GIT_OID_RAWSZ) < 0) ||
	    (type == GIT_OBJECT_OFS_DELTA && carelog__buf_put(b, dist + k, sizeof(dist) - k) < 0))
		return -1;
	if (deflateReset(z) != Z_OK || carelog__buf_reserve(b, deflateBound(z, (uLong)size)) < 0)
		return -1;
	z->next_in = (Bytef *)data;
	z->avail_in = (uInt)size;
	z->next_out = b->p + b->len;
	z->avail_out = (uInt)(b->cap - b->len);
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return -1;
	b->len = b->cap - z->avail_out;
	return 0;
}
