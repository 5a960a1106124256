/*
 * pack_maintain.c - keeping a chart's object store compact. Every write adds
 * one small pack; left alone, reads would probe ever more packs. When a chart
 * has many packs, the smallest are merged (with any loose objects a git
 * server left) so that pack sizes stay geometric, as `git repack --geometric=2`
 * does: each object is rewritten O(log n) times in all.
 *
 * Nothing is removed before it is safe: an old pack is deleted only once
 * every object in it is found in the new pack, and a loose object only once
 * it is in a pack (as `git prune-packed`), so the objects of a concurrent
 * writer (a git server receiving a push) are never lost.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/odb_backend.h>

#include "chart.h"
#include "error.h"

/* Below this many packs a chart is left as it is. */
#define PACKS_BEFORE_MERGE 10
#define GEOMETRIC_FACTOR 2
#define STALE_TEMP_SECONDS 3600
/* Above this many objects a merged pack is streamed to disk: slower, but
 * memory stays flat (the in-memory path holds the whole pack). */
#define STREAM_MERGE_OBJECTS 20000
/* A pack of CARELOG__PACK_SETTLED_OBJECTS (chart.h) is settled: it is not
 * merged again. Merges stay small (memory and latency bounded, measured: a
 * 100,000-object merge held 50 MB), at the price of one more pack per
 * settled pack's worth of objects for reads. */
#define MERGE_MAX_OBJECTS (2 * CARELOG__PACK_SETTLED_OBJECTS)

typedef struct {
	char name[80]; /* "pack-<sha>" */
	uint32_t count;
} pack_info;

/* git_odb_foreach's callback: the object's id into a carelog__oids. */
static int oid_push(const git_oid *id, void *payload)
{
	return carelog__oids_add(payload, id) < 0 ? -1 : 0;
}

/* The object count of a version-2 pack index. Every write asks for every
 * pack, so it comes from the file size when that is exact (header 8 +
 * fan-out 1024 + 28 bytes an object + two checksums 40: no 64-bit offsets,
 * which only packs over 2 GiB have); otherwise from the last fan-out entry. */
static int idx_count(uint32_t *count, const char *path, off_t size)
{
	unsigned char buf[8 + 256 * 4];
	FILE *f;
	size_t got;
	if (size >= 1072 && (size - 1072) % 28 == 0 && (size - 1072) / 28 <= UINT32_MAX) {
		*count = (uint32_t)((size - 1072) / 28);
		return 0;
	}
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (got != sizeof(buf) || memcmp(buf, "\377tOc\0\0\0\2", 8) != 0)
		return -1;
	const unsigned char *p = buf + 8 + 255 * 4;
	*count = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

static int cmp_count(const void *a, const void *b)
{
	const pack_info *x = a, *y = b;
	return x->count < y->count ? -1 : x->count > y->count;
}

/* The packs of the chart that may be merged: those with an index, no .keep,
 * and not yet settled. */
static int list_packs(pack_info **out, size_t *n, const char *pack_dir)
{
	DIR *d = opendir(pack_dir);
	struct dirent *e;
	pack_info *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : carelog__fail(CARELOG_EIO, "cannot read %s: %s", pack_dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char path[4200];
		struct stat st;
		pack_info p;
		if (strncmp(e->d_name, "pack_git2_", 10) == 0 || strncmp(e->d_name, "tmp_pack_", 9) == 0 ||
		    strncmp(e->d_name, "tmp_idx_", 8) == 0) {
			/* a pack being written by a writer that died (libgit2's or
			 * git's temporary names); an hour is far beyond any live one */
			snprintf(path, sizeof(path), "%s/%s", pack_dir, e->d_name);
			if (stat(path, &st) == 0 && time(NULL) - st.st_mtime > STALE_TEMP_SECONDS)
				unlink(path);
			continue;
		}
		if (len < 10 || len >= sizeof(p.name) + 4 || strncmp(e->d_name, "pack-", 5) != 0 ||
		    strcmp(e->d_name + len - 4, ".idx") != 0)
			continue;
		memcpy(p.name, e->d_name, len - 4);
		p.name[len - 4] = '\0';
		snprintf(path, sizeof(path), "%s/%s.keep", pack_dir, p.name);
		if (stat(path, &st) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s.idx", pack_dir, p.name);
		if (stat(path, &st) < 0 || idx_count(&p.count, path, st.st_size) < 0 || p.count >= CARELOG__PACK_SETTLED_OBJECTS)
			continue;
		if (*n == cap) {
			pack_info *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (nv == NULL) {
				closedir(d);
				free(v);
				return carelog__fail(CARELOG_ENOMEM, "out of memory");
			}
			v = nv;
		}
		v[(*n)++] = p;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_count);
	*out = v;
	return 0;
}

/* How many of the smallest packs (sorted ascending) to merge so that the
 * rest, with the merged one, grow at least geometrically; never more than
 * MERGE_MAX_OBJECTS in one merge, so that its memory stays bounded. */
static size_t packs_to_merge(const pack_info *p, size_t n)
{
	size_t k = 0, m = 0;
	uint64_t total = 0;
	for (size_t i = n - 1; i > 0; i--) {
		if ((uint64_t)p[i - 1].count * GEOMETRIC_FACTOR > p[i].count) {
			k = i; /* p[k-1] is too big for p[k]: merge up to p[k] */
			break;
		}
	}
	if (k == 0)
		return 0;
	while (m < n && (m <= k || total * GEOMETRIC_FACTOR > p[m].count) &&
	       total + p[m].count <= MERGE_MAX_OBJECTS)
		total += p[m++].count;
	return m >= 2 ? m : 0;
}

/* The objects of one pack, through an object database holding only it. */
static int pack_objects(carelog__oids *out, const char *idx_path)
{
	git_odb *odb = NULL;
	git_odb_backend *be = NULL;
	int rc;
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_backend_one_pack(&be, idx_path)) < 0 ||
	    (rc = git_odb_add_backend(odb, be, 1)) < 0) {
		if (be && odb)
			be->free(be);
		git_odb_free(odb);
		return carelog__git_fail(rc, "cannot read a pack index");
	}
	if ((rc = git_odb_foreach(odb, oid_push, out)) < 0)
		rc = carelog__git_fail(rc, "cannot list a pack");
	git_odb_free(odb);
	return rc;
}

static int loose_objects(carelog__oids *out, const char *objects_dir)
{
	git_odb *odb = NULL;
	git_odb_backend *be = NULL;
	int rc;
	if ((rc = git_odb_new(&odb)) < 0 || (rc = git_odb_backend_loose(&be, objects_dir, -1, 0, 0, 0)) < 0 ||
	    (rc = git_odb_add_backend(odb, be, 1)) < 0) {
		if (be && odb)
			be->free(be);
		git_odb_free(odb);
		return carelog__git_fail(rc, "cannot read loose objects");
	}
	if ((rc = git_odb_foreach(odb, oid_push, out)) < 0)
		rc = carelog__git_fail(rc, "cannot list loose objects");
	git_odb_free(odb);
	return rc;
}

/* Non-zero if every object of `objs` is in the pack whose index is `idx_path`. */
static int all_in_pack(const carelog__oids *objs, const char *idx_path)
{
	git_odb *odb = NULL;
	git_odb_backend *be = NULL;
	int ok = 1;
	if (git_odb_new(&odb) < 0 || git_odb_backend_one_pack(&be, idx_path) < 0 || git_odb_add_backend(odb, be, 1) < 0) {
		if (be && odb)
			be->free(be);
		git_odb_free(odb);
		return 0;
	}
	for (size_t i = 0; i < objs->n && ok; i++)
		ok = git_odb_exists_ext(odb, &objs->ids[i], GIT_ODB_LOOKUP_NO_REFRESH);
	git_odb_free(odb);
	return ok;
}

static void remove_pack(const char *pack_dir, const char *name)
{
	static const char *const exts[] = { ".idx", ".pack", ".rev" };
	/* the index first: without it no reader opens the pack */
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s%s", pack_dir, name, exts[i]);
		unlink(path);
	}
}

static void prune_loose(const char *objects_dir, const carelog__oids *loose)
{
	for (size_t i = 0; i < loose->n; i++) {
		char hex[GIT_OID_HEXSZ + 1], path[4200];
		git_oid_tostr(hex, sizeof(hex), &loose->ids[i]);
		snprintf(path, sizeof(path), "%s/%.2s/%s", objects_dir, hex, hex + 2);
		unlink(path);
	}
}

static int merge_packs(carelog__chart *c, const char *objects_dir, const char *pack_dir,
	const pack_info *packs, size_t k)
{
	git_packbuilder *pb = NULL;
	carelog__oids *per_pack = calloc(k, sizeof(*per_pack));
	carelog__oids loose = { 0 };
	char new_idx[4200], new_name[GIT_OID_HEXSZ + 1];
	int rc = 0;

	if (per_pack == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if ((rc = git_packbuilder_new(&pb, c->repo)) < 0) {
		rc = carelog__git_fail(rc, "cannot start a merged pack");
		goto out;
	}
	for (size_t i = 0; i < k && rc == 0; i++) {
		char idx[4200];
		snprintf(idx, sizeof(idx), "%s/%s.idx", pack_dir, packs[i].name);
		if ((rc = pack_objects(&per_pack[i], idx)) == 0)
			rc = carelog__pack_insert(pb, &per_pack[i]);
	}
	if (rc == 0 && (rc = loose_objects(&loose, objects_dir)) == 0)
		rc = carelog__pack_insert(pb, &loose);
	if (rc < 0)
		goto out;
	/* a large merge streams to disk rather than holding the pack in memory */
	if (git_packbuilder_object_count(pb) > STREAM_MERGE_OBJECTS) {
		if ((rc = git_packbuilder_write(pb, pack_dir, 0, NULL, NULL)) < 0) {
			rc = carelog__git_fail(rc, "cannot write the merged pack");
			goto out;
		}
		snprintf(new_name, sizeof(new_name), "%s", git_packbuilder_name(pb));
	} else if ((rc = carelog__pack_write(c, pb, new_name)) < 0) {
		goto out;
	}
	snprintf(new_idx, sizeof(new_idx), "%s/pack-%s.idx", pack_dir, new_name);
	for (size_t i = 0; i < k; i++) {
		if (strcmp(packs[i].name + 5, new_name) != 0 && all_in_pack(&per_pack[i], new_idx))
			remove_pack(pack_dir, packs[i].name);
	}
	if (loose.n && all_in_pack(&loose, new_idx))
		prune_loose(objects_dir, &loose);
out:
	for (size_t i = 0; i < k; i++)
		free(per_pack[i].ids);
	free(per_pack);
	free(loose.ids);
	git_packbuilder_free(pb);
	return rc;
}

int carelog__chart_maintain(carelog__chart *c)
{
	char *objects_dir = carelog__strdupf("%s/objects", c->dir);
	char *pack_dir = carelog__strdupf("%s/objects/pack", c->dir);
	pack_info *packs = NULL;
	size_t n = 0, k;
	int rc = 0, merged = 0;

	if (objects_dir == NULL || pack_dir == NULL) {
		rc = CARELOG_ENOMEM;
		goto out;
	}
	/* usually one merge or none; after an import, as many as it takes */
	for (;;) {
		free(packs);
		packs = NULL;
		if ((rc = list_packs(&packs, &n, pack_dir)) < 0 || n < PACKS_BEFORE_MERGE ||
		    (k = packs_to_merge(packs, n)) == 0)
			break;
		/* the merge holds a delta window and the new pack in memory: start
		 * it without what earlier work left in the chart's object cache */
		if (!merged && (rc = carelog__chart_reopen(c)) < 0)
			break;
		if ((rc = merge_packs(c, objects_dir, pack_dir, packs, k)) < 0)
			break;
		merged = 1;
	}
	/* the handle's pack list still names the removed packs */
	if (merged && rc == 0)
		rc = carelog__chart_reopen(c);
out:
	free(packs);
	free(objects_dir);
	free(pack_dir);
	return rc;
}
