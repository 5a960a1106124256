/*
 * test_pack_write.c - engine/src/pack_write.c's packs, read back by git and
 * libgit2: carelog__pack_write_objs with deltas (an import's packs) and
 * without (a clinic's single writes, carelog__pack_write_ids' path).
 *
 * Objects like an import's (a thousand similar records, some large, some
 * repeated, trees and a commit) go into a fresh bare repository's pack;
 * then `git verify-pack` and `git fsck --strict` must pass, every object
 * must read back byte for byte through libgit2, most records must be
 * deltas, none of them on another delta, and the pack must be far smaller
 * than the same objects written whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <zlib.h>

#include "pack_write.h"
#include "test_tmpdir.h"

static char root[4096];

#define NREC 1000

typedef struct {
	carelog__pack_obj *objs;
	unsigned char **bufs;
	size_t n;
} objset;

static void add_obj(objset *s, git_object_t type, const void *data, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, data, len);
	s->objs = realloc(s->objs, (s->n + 1) * sizeof(*s->objs));
	s->bufs = realloc(s->bufs, (s->n + 1) * sizeof(*s->bufs));
	assert_non_null(s->objs);
	assert_non_null(s->bufs);
	s->bufs[s->n] = copy;
	s->objs[s->n].type = type;
	s->objs[s->n].data = copy;
	s->objs[s->n].len = len;
	assert_int_equal(git_odb_hash(&s->objs[s->n].id, data, len, type), 0);
	s->n++;
}

static void objset_free(objset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->bufs[i]);
	free(s->bufs);
	free(s->objs);
}

/* An import's objects: records alike but for their ids, times and values,
 * a large note, a record twice, a tree over some of them and a commit. */
static void make_objects(objset *s)
{
	char rec[200000], tree[NREC * 80];
	size_t tlen = 0;
	for (int i = 0; i < NREC; i++) {
		int n = snprintf(rec, sizeof(rec),
			"{\"amount\":%d,\"author\":\"Anna\",\"device\":\"phone-1\",\"drug\":\"sirolimus\","
			"\"hlc\":\"2026-01-%02dT08:%02d:00.000Z-0000\",\"id\":\"0194%04x-6600-7d70-84a3-11e42c8ab0f8\","
			"\"kind\":\"dose\",\"outcome\":\"given\",\"patient\":\"01943298-db50-7d7f-9513-8d9a18351690\","
			"\"status\":\"active\",\"time\":\"2026-01-%02dT08:%02d:00Z\",\"unit\":\"mg\"}",
			i % 7 + 1, i % 28 + 1, i % 60, i, i % 28 + 1, i % 60);
		add_obj(s, GIT_OBJECT_BLOB, rec, (size_t)n);
		if (i < 200) {
			tlen += (size_t)sprintf(tree + tlen, "100644 0194%04x-6600-7d70-84a3-11e42c8ab0f8.json", i) + 1;
			memcpy(tree + tlen, s->objs[s->n - 1].id.id, GIT_OID_RAWSZ);
			tlen += GIT_OID_RAWSZ;
		}
		if (i == 500) {
			/* a large note, copies longer than one instruction holds */
			for (size_t k = 0; k < sizeof(rec); k++)
				rec[k] = (char)('a' + (k * 7 + k / 1000) % 26);
			add_obj(s, GIT_OBJECT_BLOB, rec, sizeof(rec));
			rec[100000] = '!';
			add_obj(s, GIT_OBJECT_BLOB, rec, sizeof(rec));
		}
	}
	add_obj(s, GIT_OBJECT_BLOB, s->objs[10].data, s->objs[10].len); /* a repeat */
	add_obj(s, GIT_OBJECT_TREE, tree, tlen);
	tree[tlen - 1] ^= 1; /* the same tree with one entry's id changed */
	add_obj(s, GIT_OBJECT_TREE, tree, tlen);
	char commit[512], hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &s->objs[s->n - 2].id);
	int n = snprintf(commit, sizeof(commit),
		"tree %s\nauthor A <a@b> 1700000000 +0000\ncommitter A <a@b> 1700000000 +0000\n\nimport\n", hex);
	add_obj(s, GIT_OBJECT_COMMIT, commit, (size_t)n);
}

static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static long pack_size(const char *repo)
{
	char cmd[4300];
	long size = -1;
	FILE *f;
	snprintf(cmd, sizeof(cmd), "cat '%s'/objects/pack/*.pack | wc -c", repo);
	assert_non_null(f = popen(cmd, "r"));
	assert_int_equal(fscanf(f, "%ld", &size), 1);
	pclose(f);
	return size;
}

static void write_and_check(const char *name, int deltas, int zlevel, long *size)
{
	objset s = { 0 };
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	char dir[4200];

	make_objects(&s);
	snprintf(dir, sizeof(dir), "%s/%s.git", root, name);
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	git_repository_free(repo);
	assert_int_equal(carelog__pack_write_objs(dir, s.objs, s.n, deltas, zlevel), 0);

	assert_int_equal(sh("git --git-dir='%s' verify-pack '%s'/objects/pack/*.idx", dir, dir), 0);
	assert_int_equal(sh("git --git-dir='%s' fsck --strict --no-dangling --no-progress 2>/dev/null", dir), 0);
	/* one entry per object: the repeat is written once */
	assert_int_equal(sh("test $(git --git-dir='%s' verify-pack -v '%s'/objects/pack/*.idx | grep -cE ' (blob|tree|commit) ') -eq %zu",
				 dir, dir, s.n - 1),
		0);
	if (deltas) {
		/* most records are deltas, none on another delta */
		assert_int_equal(sh("git --git-dir='%s' verify-pack -v '%s'/objects/pack/*.idx | "
				    "awk '/^chain length = / { d = $4 + 0; if (d > 1) bad = 1; n += $5 } "
				    "END { exit (bad || n < %d) }'",
					 dir, dir, NREC * 8 / 10),
			0);
	}
	assert_int_equal(git_repository_open_bare(&repo, dir), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	for (size_t i = 0; i < s.n; i++) {
		git_odb_object *o = NULL;
		assert_int_equal(git_odb_read(&o, odb, &s.objs[i].id), 0);
		assert_int_equal(git_odb_object_type(o), s.objs[i].type);
		assert_int_equal(git_odb_object_size(o), s.objs[i].len);
		assert_memory_equal(git_odb_object_data(o), s.objs[i].data, s.objs[i].len);
		git_odb_object_free(o);
	}
	git_odb_free(odb);
	git_repository_free(repo);
	*size = pack_size(dir);
	objset_free(&s);
}

static void test_deltas_and_whole(void **state)
{
	long with = 0, without = 0;
	(void)state;
	write_and_check("deltas", 1, Z_BEST_SPEED, &with);
	write_and_check("whole", 0, Z_BEST_SPEED, &without);
	print_message("pack with deltas %ld bytes, whole %ld bytes\n", with, without);
	assert_true(with * 2 < without);
}

static void test_empty(void **state)
{
	git_repository *repo = NULL;
	char dir[4200];
	(void)state;
	snprintf(dir, sizeof(dir), "%s/empty.git", root);
	assert_int_equal(git_repository_init(&repo, dir, 1), 0);
	git_repository_free(repo);
	assert_int_equal(carelog__pack_write_objs(dir, NULL, 0, 1, Z_BEST_SPEED), 0);
	assert_int_equal(sh("git --git-dir='%s' verify-pack '%s'/objects/pack/*.idx", dir, dir), 0);
}

int main(void)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_deltas_and_whole),
		cmocka_unit_test(test_empty),
	};
	int rc;
	git_libgit2_init();
	if (test_tmpdir_make(root, sizeof(root), "pack-write") < 0)
		return 1;
	rc = cmocka_run_group_tests(all, NULL, NULL);
	git_libgit2_shutdown();
	return test_tmpdir_done(root, rc);
}
