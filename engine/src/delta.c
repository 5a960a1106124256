/*
 * delta.c - git's delta encoding: a target object written as copies out of
 * a base object and inserted bytes (gitformat-pack(5), "Deltified
 * representation"). A thin push (sync/src/thin_push.c) sends each changed
 * tree and record as a delta against the version the remote already holds,
 * as git's own push does; an import's packs (pack_write.c) store each
 * record as a delta against one of the records before it. libgit2 1.5 has
 * an encoder (its delta.c) but keeps it private: no symbol of it is
 * exported, so it is written here.
 *
 * The base is indexed by a rolling hash of every 16-byte window; the target
 * is scanned with the same hash, and a window found in the base is grown
 * forward and back into the bytes not yet copied. Records and trees are a
 * few kB, so every window of the base is indexed (git's encoder indexes one
 * per 16 bytes, for large files). A tree in which one entry changed becomes
 * a copy, 20 inserted bytes (the entry's new id) and a copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delta.h"
#include "error.h"

#define WINDOW 16
#define MAX_COPY 0x10000   /* per copy instruction: what every git reads */
#define MAX_INSERT 127     /* per insert instruction */
#define CHAIN_MAX 16       /* candidates tried per target window */
#define HASH_MUL 0x01000193u

typedef struct {
	unsigned char *p;
	size_t len, cap; /* cap: the most the caller takes */
} out_buf;

static int out_byte(out_buf *o, unsigned char b)
{
	if (o->len >= o->cap)
		return 1;
	o->p[o->len++] = b;
	return 0;
}

static int out_varint(out_buf *o, size_t v)
{
	do {
		unsigned char b = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (out_byte(o, (unsigned char)(b | (v ? 0x80 : 0))))
			return 1;
	} while (v);
	return 0;
}

static int out_insert(out_buf *o, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t k = n < MAX_INSERT ? n : MAX_INSERT;
		if (o->len + 1 + k > o->cap)
			return 1;
		o->p[o->len++] = (unsigned char)k;
		memcpy(o->p + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int out_copy(out_buf *o, size_t off, size_t n)
{
	while (n > 0) {
		size_t k = n < MAX_COPY ? n : MAX_COPY, size = k == MAX_COPY ? 0 : k;
		unsigned char ins[8];
		size_t w = 1;
		ins[0] = 0x80;
		for (int i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				ins[0] |= (unsigned char)(1 << i);
				ins[w++] = (unsigned char)(off >> (8 * i));
			}
		for (int i = 0; i < 3; i++)
			if ((size >> (8 * i)) & 0xff) {
				ins[0] |= (unsigned char)(0x10 << i);
				ins[w++] = (unsigned char)(size >> (8 * i));
			}
		if (o->len + w > o->cap)
			return 1;
		memcpy(o->p + o->len, ins, w);
		o->len += w;
		off += k;
		n -= k;
	}
	return 0;
}

static uint32_t window_hash(const unsigned char *p)
{
	uint32_t h = 0;
	for (int i = 0; i < WINDOW; i++)
		h = h * HASH_MUL + p[i];
	return h;
}

static unsigned bucket(uint32_t h, unsigned bits)
{
	return (unsigned)((h * 0x9e3779b1u) >> (32 - bits));
}

struct carelog__delta_index {
	const unsigned char *base;
	size_t nbase;
	unsigned bits;
	uint32_t *head, *next; /* every window of the base, by hash (NULL: a base too short) */
};

void carelog__delta_index_free(carelog__delta_index *x)
{
	if (x == NULL)
		return;
	free(x->head);
	free(x->next);
	free(x);
}

int carelog__delta_index_new(carelog__delta_index **out, const unsigned char *base, size_t nbase)
{
	carelog__delta_index *x = calloc(1, sizeof(*x));
	*out = NULL;
	if (x == NULL)
		return CARELOG_ENOMEM;
	x->base = base;
	x->nbase = nbase;
	x->bits = 4;
	/* offsets and sizes go in 32 bits; the copies' offsets in 4 bytes */
	if (nbase >= UINT32_MAX) {
		free(x);
		return 1;
	}
	if (nbase >= WINDOW) {
		size_t nwin = nbase - WINDOW + 1;
		uint32_t top = 1, h;
		while (x->bits < 30 && ((size_t)1 << x->bits) < nwin)
			x->bits++;
		x->head = calloc((size_t)1 << x->bits, sizeof(*x->head));
		x->next = malloc(nwin * sizeof(*x->next));
		if (x->head == NULL || x->next == NULL) {
			carelog__delta_index_free(x);
			return CARELOG_ENOMEM;
		}
		for (int i = 0; i < WINDOW - 1; i++)
			top *= HASH_MUL;
		h = window_hash(base);
		for (size_t i = 0;; i++) {
			unsigned b = bucket(h, x->bits);
			x->next[i] = x->head[b];
			x->head[b] = (uint32_t)(i + 1);
			if (i + 1 == nwin)
				break;
			h = (h - base[i] * top) * HASH_MUL + base[i + WINDOW];
		}
	}
	*out = x;
	return 0;
}

int carelog__delta_encode(unsigned char **out, size_t *outlen, const unsigned char *base, size_t nbase,
	const unsigned char *target, size_t ntarget, size_t max)
{
	carelog__delta_index *x = NULL;
	int rc;
	*out = NULL;
	*outlen = 0;
	if (max == 0)
		return 1;
	if ((rc = carelog__delta_index_new(&x, base, nbase)) != 0)
		return rc;
	rc = carelog__delta_encode_with(out, outlen, x, target, ntarget, max);
	carelog__delta_index_free(x);
	return rc;
}

int carelog__delta_encode_with(unsigned char **out, size_t *outlen, const carelog__delta_index *x,
	const unsigned char *target, size_t ntarget, size_t max)
{
	out_buf o = { NULL, 0, max };
	const unsigned char *base = x->base;
	size_t nbase = x->nbase, j = 0, lit = 0;
	uint32_t top = 1; /* HASH_MUL^(WINDOW-1), to roll a byte out */
	unsigned bits = x->bits;
	const uint32_t *head = x->head, *next = x->next;
	int rc = 1;

	*out = NULL;
	*outlen = 0;
	if (ntarget >= UINT32_MAX || max == 0)
		return 1;
	if ((o.p = malloc(max)) == NULL)
		return CARELOG_ENOMEM;
	if (out_varint(&o, nbase) || out_varint(&o, ntarget))
		goto done;
	if (head && ntarget >= WINDOW) {
		uint32_t h;
		for (int i = 0; i < WINDOW - 1; i++)
			top *= HASH_MUL;
		h = window_hash(target);
		while (j + WINDOW <= ntarget) {
			size_t best = 0, best_off = 0;
			int tries = 0;
			for (uint32_t c = head[bucket(h, bits)]; c && tries < CHAIN_MAX; c = next[c - 1], tries++) {
				size_t i = c - 1, n;
				if (memcmp(base + i, target + j, WINDOW) != 0)
					continue;
				for (n = WINDOW; i + n < nbase && j + n < ntarget && base[i + n] == target[j + n]; n++)
					;
				if (n > best) {
					best = n;
					best_off = i;
				}
			}
			if (best == 0) {
				/* the bytes not copied so far already make it too long */
				if (o.len + (j - lit) + (j - lit) / MAX_INSERT + 1 > max)
					goto done;
				if (j + WINDOW < ntarget)
					h = (h - target[j] * top) * HASH_MUL + target[j + WINDOW];
				j++;
				continue;
			}
			while (best_off > 0 && j > lit && base[best_off - 1] == target[j - 1]) {
				best_off--;
				j--;
				best++;
			}
			if (out_insert(&o, target + lit, j - lit) || out_copy(&o, best_off, best))
				goto done;
			j += best;
			lit = j;
			if (j + WINDOW <= ntarget)
				h = window_hash(target + j);
		}
	}
	if (out_insert(&o, target + lit, ntarget - lit))
		goto done;
	*out = o.p;
	*outlen = o.len;
	o.p = NULL;
	rc = 0;
done:
	free(o.p);
	return rc;
}
