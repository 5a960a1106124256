/*
 * pack_buf.h - a growing byte buffer, and git's pack entries appended to
 * one (pack_buf.c): for every pack carelog writes itself (pack_write.c,
 * sync's thin_pack.c and thin_push.c).
 */
#ifndef CARELOG_PACK_BUF_H
#define CARELOG_PACK_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>
#include <zlib.h>

/* pack_buf.c: a growing byte buffer (free p with free()). */
typedef struct {
	unsigned char *p;
	size_t len, cap;
} carelog__buf;
/* Room for n more bytes: 0 or -1 (out of memory, or absurdly large). */
int carelog__buf_reserve(carelog__buf *b, size_t n);
/* Appends n bytes: 0 or -1. */
int carelog__buf_put(carelog__buf *b, const void *data, size_t n);
/* Appends one pack entry: `size` bytes of `data` as an object of `type`
 * (commit, tree, blob), or as a delta whose delta is `data`: type
 * GIT_OBJECT_REF_DELTA with `base` the base's id, or GIT_OBJECT_OFS_DELTA
 * with `ofs` how many bytes before this entry the base's starts. Its
 * type-and-size header, the base's id or distance, then the zlib stream.
 * z: a deflate stream set up by the caller (deflateInit), reused entry
 * after entry. 0 or -1. */
int carelog__pack_put_entry(carelog__buf *b, z_stream *z, int type, const git_oid *base, uint64_t ofs,
	const void *data, size_t size);

#endif
