/*
 * thin_push.c - the pack a push sends, thin: what the remote lacks, each
 * tree and record it has a version of sent as a delta against that version.
 *
 * Why: every write is a commit that rewrites the trees above its record
 * (kind/year/month), so a phone's thousand writes bring a thousand root
 * trees, kind trees and month trees of a few kB each. libgit2 1.5's
 * packbuilder sends them whole or as deltas against each other: measured
 * on the sync bench (500 amends + 500 new records on a 100,000-record
 * chart, 501 commits), 1.72 MB, where git's own push, whose pack-objects
 * makes thin packs (deltas against objects the remote holds, which the
 * pack leaves out), sends 0.43 MB. A git server completes a thin pack on
 * receipt (receive-pack runs `index-pack --fix-thin` or unpack-objects,
 * which read the bases from the repository), so nothing is asked of it.
 *
 * Which objects: the commits reachable from the tip and not from the
 * remote's main (`known`); of each commit's tree, every entry that neither
 * a parent holds at the same path nor `known`'s tree does, recursing into
 * such trees only. Every object the push needs is then in the pack or on
 * the remote: by induction over history, whatever a parent holds is on the
 * remote (a parent reachable from `known`) or in the pack (a new parent).
 *
 * Which bases: the version at the same path in the commit's first parent
 * when the pack holds it (as git's pack-objects finds them: each write
 * changes one entry of the trees above its record, so the delta is that
 * entry), else the version at the path in `known`'s tree, which the remote
 * holds. Against `known` alone, a kind tree's delta would grow with every
 * year the writes touched (measured: 300 bytes a tree on the sync bench,
 * against 60). A commit's base is its first parent, on the remote or in
 * the pack. A new record's base is the new record put in before it (git
 * finds such pairs by searching a window of similar objects; records of
 * one chart share most of their bytes). Chains in the pack stop at
 * THIN_MAX_CHAIN, git's default
 * depth. A delta is sent only when shorter than the object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sha1.h"
#include "sync_internal.h"

/* A push bigger than this goes as libgit2 makes it (a first push of a
 * whole chart has no base to be thin against anyway). */
#define THIN_MAX_OBJECTS 200000
#define THIN_MAX_BYTES (256u << 20)
/* Trees deeper than this are not a carelog chart's (kind/year/month). */
#define THIN_MAX_DEPTH 8
#define THIN_MAX_PARENTS 8
/* Delta chains inside the pack are at most this long. */
#define THIN_MAX_CHAIN 50
/* Objects larger than this are sent whole (no delta search). */
#define DELTA_MAX_BYTES (1u << 20)

typedef struct {
	git_oid id;
	git_oid base;
	int has_base;
	int chain;      /* deltas from here to an object the remote holds */
} item;

typedef struct {
	git_oid id;
	size_t item;    /* its index in items */
} slot;

typedef struct {
	git_repository *repo;
	item *items;
	size_t n, cap;
	/* the ids in the pack, an open-addressing table (zero id = empty) */
	slot *set;
	size_t set_cap, set_n;
	git_oid last_new;   /* the last blob put in with no version to delta against */
	int has_last_new;
	/* the remote's objects the pack's deltas stand on: such an object met
	 * again at another path is not put in (the remote holds it, and a pack
	 * holding a base it also names by id is one git's index-pack
	 * --fix-thin refuses: "duplicate base") */
	slot *far;
	size_t far_cap, far_n;
} builder;

static const git_oid zero_oid;

static size_t slot_of(const git_oid *id, size_t cap)
{
	uint64_t h;
	memcpy(&h, id->id, sizeof(h));
	return (size_t)(h & (cap - 1));
}

/* The value stored with id in t, or -1 when t lacks it. */
static long table_find(slot *set, size_t cap, const git_oid *id)
{
	if (cap == 0)
		return -1;
	for (size_t i = slot_of(id, cap);; i = (i + 1) & (cap - 1)) {
		if (git_oid_equal(&set[i].id, id))
			return (long)set[i].item;
		if (git_oid_is_zero(&set[i].id))
			return -1;
	}
}

static void set_put(slot *set, size_t cap, const slot *e)
{
	size_t i = slot_of(&e->id, cap);
	while (!git_oid_is_zero(&set[i].id))
		i = (i + 1) & (cap - 1);
	set[i] = *e;
}

static int table_add(slot **set, size_t *cap, size_t *n, const git_oid *id, size_t value)
{
	slot e = { *id, value };
	if (2 * (*n + 1) > *cap) {
		size_t ncap = *cap ? 2 * *cap : 4096;
		slot *nset = calloc(ncap, sizeof(*nset));
		if (nset == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		for (size_t i = 0; i < *cap; i++)
			if (!git_oid_is_zero(&(*set)[i].id))
				set_put(nset, ncap, &(*set)[i]);
		free(*set);
		*set = nset;
		*cap = ncap;
	}
	set_put(*set, *cap, &e);
	(*n)++;
	return 0;
}

/* The index in items of id, or -1 when the pack does not hold it. */
static long set_find(const builder *b, const git_oid *id)
{
	return table_find(b->set, b->set_cap, id);
}

/* In the pack, or a base the pack's deltas take from the remote. */
static int set_has(const builder *b, const git_oid *id)
{
	return set_find(b, id) >= 0 || table_find(b->far, b->far_cap, id) >= 0;
}

static int set_add(builder *b, const git_oid *id, size_t at)
{
	return table_add(&b->set, &b->set_cap, &b->set_n, id, at);
}

/* Puts id in the pack: as a delta against `near` when the pack holds it,
 * else against `far` (which the remote holds), else whole, a base being
 * taken only when the chain stays within THIN_MAX_CHAIN; either may be
 * NULL. 1 when the pack would be too big. */
static int add(builder *b, const git_oid *id, const git_oid *near, const git_oid *far)
{
	const git_oid *base = NULL;
	int rc, chain = 0;
	long at;

	if (b->n >= THIN_MAX_OBJECTS)
		return 1;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		item *items = realloc(b->items, cap * sizeof(*items));
		if (items == NULL)
			return carelog__fail(CARELOG_ENOMEM, "out of memory");
		b->items = items;
		b->cap = cap;
	}
	for (int k = 0; k < 2 && base == NULL; k++) {
		const git_oid *cand = k == 0 ? near : far;
		int c;
		if (cand == NULL || (k == 0 && set_find(b, cand) < 0))
			continue;
		c = (at = set_find(b, cand)) < 0 ? 1 : b->items[at].chain + 1;
		if (c <= THIN_MAX_CHAIN) {
			base = cand;
			chain = c;
		}
	}
	if ((rc = set_add(b, id, b->n)) < 0)
		return rc;
	if (base && chain == 1 && set_find(b, base) < 0 && table_find(b->far, b->far_cap, base) < 0 &&
	    (rc = table_add(&b->far, &b->far_cap, &b->far_n, base, 0)) < 0)
		return rc;
	b->items[b->n].id = *id;
	b->items[b->n].has_base = base != NULL;
	b->items[b->n].base = base ? *base : zero_oid;
	b->items[b->n].chain = chain;
	b->n++;
	return 0;
}

static int tree_fail(int rc)
{
	return carelog__git_fail(rc, "cannot read a tree of the chart");
}

/* The subtree named `name` of t (NULL when t is NULL or has none). */
static int subtree(git_tree **out, git_repository *repo, const git_tree *t, const char *name)
{
	const git_tree_entry *e;
	*out = NULL;
	if (t == NULL || (e = git_tree_entry_byname(t, name)) == NULL || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	return git_tree_lookup(out, repo, git_tree_entry_id(e));
}

/* Adds the entries of t that the remote may lack (see the top of the
 * file), t itself being in the pack or on the remote already. */
static int walk(builder *b, const git_tree *t, git_tree *const *parents, size_t np, const git_tree *known, int depth)
{
	size_t count = git_tree_entrycount(t);
	int rc = 0;

	if (depth > THIN_MAX_DEPTH)
		return 1;
	for (size_t i = 0; i < count && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i), *ke;
		const char *name = git_tree_entry_name(e);
		const git_oid *id = git_tree_entry_id(e);
		git_object_t type = git_tree_entry_type(e);
		size_t k;

		if (type != GIT_OBJECT_TREE && type != GIT_OBJECT_BLOB)
			return 1;
		for (k = 0; k < np; k++) {
			const git_tree_entry *pe = parents[k] ? git_tree_entry_byname(parents[k], name) : NULL;
			if (pe && git_oid_equal(git_tree_entry_id(pe), id))
				break;
		}
		if (k < np)
			continue;
		ke = known ? git_tree_entry_byname(known, name) : NULL;
		if ((ke && git_oid_equal(git_tree_entry_id(ke), id)) || set_has(b, id))
			continue;
		const git_tree_entry *pe = np > 0 && parents[0] ? git_tree_entry_byname(parents[0], name) : NULL;
		const git_oid *near = pe && git_tree_entry_type(pe) == type ? git_tree_entry_id(pe) : NULL;
		const git_oid *far = ke && git_tree_entry_type(ke) == type ? git_tree_entry_id(ke) : NULL;
		git_oid before;
		if (type == GIT_OBJECT_BLOB && near == NULL && far == NULL) {
			/* a new record: against the new record before it, which
			 * shares its keys, patient, author and device */
			if (b->has_last_new) {
				before = b->last_new;
				near = &before;
			}
			b->has_last_new = 1;
			b->last_new = *id;
		}
		if ((rc = add(b, id, near, far)) != 0)
			return rc;
		if (type == GIT_OBJECT_TREE) {
			git_tree *sub = NULL, *ksub = NULL, *psub[THIN_MAX_PARENTS] = { 0 };
			if ((rc = git_tree_lookup(&sub, b->repo, id)) < 0 || (rc = subtree(&ksub, b->repo, known, name)) < 0)
				rc = tree_fail(rc);
			for (k = 0; rc == 0 && k < np; k++)
				if ((rc = subtree(&psub[k], b->repo, parents[k], name)) < 0)
					rc = tree_fail(rc);
			if (rc == 0)
				rc = walk(b, sub, psub, np, ksub, depth + 1);
			for (k = 0; k < np; k++)
				git_tree_free(psub[k]);
			git_tree_free(ksub);
			git_tree_free(sub);
		}
	}
	return rc;
}

/* Adds commit c and what its tree brings. */
static int add_commit(builder *b, const git_oid *cid, const git_tree *known_tree)
{
	git_commit *c = NULL;
	git_tree *t = NULL, *pt[THIN_MAX_PARENTS] = { 0 };
	size_t np = 0;
	int rc;

	if ((rc = git_commit_lookup(&c, b->repo, cid)) < 0 || (rc = git_commit_tree(&t, c)) < 0) {
		rc = carelog__git_fail(rc, "cannot read a commit of the chart");
		goto out;
	}
	np = git_commit_parentcount(c);
	if (np > THIN_MAX_PARENTS) {
		np = 0;
		rc = 1;
		goto out;
	}
	for (size_t k = 0; k < np; k++) {
		git_commit *p = NULL;
		rc = git_commit_parent(&p, c, (unsigned)k);
		if (rc == 0)
			rc = git_commit_tree(&pt[k], p);
		git_commit_free(p);
		if (rc < 0) {
			rc = carelog__git_fail(rc, "cannot read a commit of the chart");
			goto out;
		}
	}
	/* the first parent: in the pack, or else on the remote */
	const git_oid *p0 = np > 0 ? git_commit_parent_id(c, 0) : NULL;
	if ((rc = add(b, cid, p0, p0 && set_find(b, p0) < 0 ? p0 : NULL)) != 0)
		goto out;
	const git_oid *tid = git_tree_id(t);
	for (size_t k = 0; k < np; k++)
		if (git_oid_equal(git_tree_id(pt[k]), tid))
			goto out;
	if (git_oid_equal(git_tree_id(known_tree), tid) || set_has(b, tid))
		goto out;
	if ((rc = add(b, tid, np > 0 ? git_tree_id(pt[0]) : NULL, git_tree_id(known_tree))) == 0)
		rc = walk(b, t, pt, np, known_tree, 0);
out:
	for (size_t k = 0; k < np; k++)
		git_tree_free(pt[k]);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

/* Appends item it to the pack: a delta when it has a base and the delta
 * is shorter. */
static int put_item(carelog__buf *pack, z_stream *z, git_odb *odb, const item *it, size_t *deltas)
{
	git_odb_object *o = NULL, *bo = NULL;
	unsigned char *delta = NULL;
	size_t dlen = 0, size;
	int rc;

	if ((rc = git_odb_read(&o, odb, &it->id)) < 0)
		return carelog__git_fail(rc, "cannot read an object to push");
	size = git_odb_object_size(o);
	if (it->has_base && size > 32 && size <= DELTA_MAX_BYTES && git_odb_read(&bo, odb, &it->base) == 0 &&
	    git_odb_object_size(bo) <= DELTA_MAX_BYTES) {
		rc = carelog__delta_encode(&delta, &dlen, git_odb_object_data(bo), git_odb_object_size(bo),
			git_odb_object_data(o), size, size - 16);
		if (rc < 0) {
			rc = carelog__fail(rc, "out of memory");
			goto out;
		}
	}
	if (delta)
		rc = carelog__pack_put_entry(pack, z, GIT_OBJECT_REF_DELTA, &it->base, 0, delta, dlen);
	else
		rc = carelog__pack_put_entry(pack, z, git_odb_object_type(o), NULL, 0, git_odb_object_data(o), size);
	if (rc < 0)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory (the pack to push)");
	else if (delta)
		(*deltas)++;
	if (rc == 0 && pack->len > THIN_MAX_BYTES)
		rc = 1;
out:
	free(delta);
	git_odb_object_free(bo);
	git_odb_object_free(o);
	return rc;
}

static int write_pack(carelog__buf *pack, builder *b, size_t *deltas)
{
	git_odb *odb = NULL;
	z_stream z = { 0 };
	unsigned char hdr[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 }, sum[CARELOG__SHA1_LEN];
	carelog__sha1 h;
	int rc;

	hdr[8] = (unsigned char)(b->n >> 24);
	hdr[9] = (unsigned char)(b->n >> 16);
	hdr[10] = (unsigned char)(b->n >> 8);
	hdr[11] = (unsigned char)b->n;
	if ((rc = git_repository_odb(&odb, b->repo)) < 0)
		return carelog__git_fail(rc, "cannot open the chart's objects");
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) {
		git_odb_free(odb);
		return carelog__fail(CARELOG_ENOMEM, "zlib could not start");
	}
	rc = carelog__buf_put(pack, hdr, sizeof(hdr)) < 0 ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
	for (size_t i = 0; rc == 0 && i < b->n; i++)
		rc = put_item(pack, &z, odb, &b->items[i], deltas);
	deflateEnd(&z);
	git_odb_free(odb);
	if (rc != 0)
		return rc;
	carelog__sha1_init(&h);
	carelog__sha1_update(&h, pack->p, pack->len);
	carelog__sha1_final(&h, sum);
	return carelog__buf_put(pack, sum, sizeof(sum)) < 0 ? carelog__fail(CARELOG_ENOMEM, "out of memory") : 0;
}

int carelog__thin_pack_build(unsigned char **pack, size_t *len, size_t *objects, size_t *deltas,
	git_repository *repo, const git_oid *known, const git_oid *tip)
{
	builder b = { .repo = repo };
	carelog__buf out = { 0 };
	git_revwalk *walk = NULL;
	git_commit *kc = NULL;
	git_tree *kt = NULL;
	git_oid cid;
	int rc;

	*pack = NULL;
	*len = *objects = *deltas = 0;
	if ((rc = git_commit_lookup(&kc, repo, known)) < 0 || (rc = git_commit_tree(&kt, kc)) < 0 ||
	    (rc = git_revwalk_new(&walk, repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(walk, tip)) < 0 || (rc = git_revwalk_hide(walk, known)) < 0) {
		rc = carelog__git_fail(rc, "cannot walk the history to push");
		goto out;
	}
	while ((rc = git_revwalk_next(&cid, walk)) == 0)
		if ((rc = add_commit(&b, &cid, kt)) != 0)
			goto out;
	if (rc != GIT_ITEROVER) {
		rc = carelog__git_fail(rc, "cannot walk the history to push");
		goto out;
	}
	if ((rc = write_pack(&out, &b, deltas)) != 0)
		goto out;
	*pack = out.p;
	*len = out.len;
	*objects = b.n;
	out.p = NULL;
out:
	free(out.p);
	free(b.items);
	free(b.set);
	free(b.far);
	git_revwalk_free(walk);
	git_tree_free(kt);
	git_commit_free(kc);
	return rc;
}
