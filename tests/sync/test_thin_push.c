/*
 * test_thin_push.c - sync/src/delta.c and sync/src/thin_push.c.
 *
 * Deltas: random bases and targets made from them by random edits (and
 * unrelated, empty and tiny ones) are encoded and applied again by a
 * decoder written here from gitformat-pack(5); the result must be the
 * target. A tree with one entry changed must come out small.
 *
 * Thin packs: a real chart (carelog's API) is pushed to a path hub, which
 * is copied as "the remote at K"; then new records, amends, a void and a
 * conflicting edit merged from a second store make the tip M. The thin
 * pack for K..M must hold exactly the objects `git rev-list --objects M
 * ^K` names, most of them deltas, be far smaller than libgit2's own pack
 * of the same commits, and be taken by git itself: `git index-pack
 * --fix-thin` into the copy at K, then `update-ref` to M and `git fsck
 * --strict` clean, as a git server's receive-pack does.
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

#include "carelog.h"
#include "sync_internal.h"
#include "../engine/test_tmpdir.h"

static char root[4096];

/* ---- deltas ----------------------------------------------------------- */

static size_t varint(const unsigned char *d, size_t n, size_t *pos)
{
	size_t v = 0;
	int shift = 0;
	unsigned char c;
	do {
		assert_true(*pos < n);
		c = d[(*pos)++];
		v |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return v;
}

/* Applies a git delta; fails the test on anything malformed. */
static unsigned char *apply(const unsigned char *base, size_t nbase, const unsigned char *d, size_t n, size_t *outlen)
{
	size_t pos = 0, src = varint(d, n, &pos), dst = varint(d, n, &pos), w = 0;
	unsigned char *out = malloc(dst + 1);
	assert_non_null(out);
	assert_int_equal(src, nbase);
	while (pos < n) {
		unsigned char op = d[pos++];
		if (op & 0x80) {
			size_t off = 0, size = 0;
			for (int i = 0; i < 4; i++)
				if (op & (1 << i)) {
					assert_true(pos < n);
					off |= (size_t)d[pos++] << (8 * i);
				}
			for (int i = 0; i < 3; i++)
				if (op & (0x10 << i)) {
					assert_true(pos < n);
					size |= (size_t)d[pos++] << (8 * i);
				}
			if (size == 0)
				size = 0x10000;
			assert_true(off + size <= nbase);
			assert_true(w + size <= dst);
			memcpy(out + w, base + off, size);
			w += size;
		} else {
			assert_true(op > 0);
			assert_true(pos + op <= n);
			assert_true(w + op <= dst);
			memcpy(out + w, d + pos, op);
			pos += op;
			w += op;
		}
	}
	assert_int_equal(w, dst);
	*outlen = w;
	return out;
}

static void round_trip(const unsigned char *base, size_t nbase, const unsigned char *target, size_t ntarget)
{
	unsigned char *d = NULL, *back;
	size_t n = 0, nback = 0;
	/* room for the worst case: every byte inserted */
	int rc = carelog__delta_encode(&d, &n, base, nbase, target, ntarget, 32 + ntarget + ntarget / 64);
	assert_int_equal(rc, 0);
	back = apply(base, nbase, d, n, &nback);
	assert_int_equal(nback, ntarget);
	assert_memory_equal(back, target, ntarget);
	free(back);
	free(d);
}

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void test_delta_random(void **state)
{
	(void)state;
	for (int round = 0; round < 400; round++) {
		size_t nbase = rnd() % (round < 50 ? 40 : 5000), nt = 0;
		unsigned char *base = malloc(nbase + 1), *t = malloc(4 * nbase + 4096);
		/* a base of a few symbols (trees and JSON repeat a lot) or random */
		unsigned alphabet = round % 3 == 0 ? 4 : 256;
		for (size_t i = 0; i < nbase; i++)
			base[i] = (unsigned char)(rnd() % alphabet);
		/* the target: runs of the base, from anywhere, and new bytes */
		int pieces = (int)(rnd() % 12);
		for (int k = 0; k < pieces; k++) {
			if (nbase > 0 && rnd() % 3) {
				size_t off = rnd() % nbase, len = rnd() % (nbase - off + 1);
				memcpy(t + nt, base + off, len);
				nt += len;
			} else {
				size_t len = rnd() % 300;
				for (size_t i = 0; i < len; i++)
					t[nt++] = (unsigned char)rnd();
			}
		}
		round_trip(base, nbase, t, nt);
		free(base);
		free(t);
	}
}

static void test_delta_edges(void **state)
{
	unsigned char big[200000], other[70000], *d = NULL;
	size_t n = 0;
	(void)state;
	round_trip((const unsigned char *)"", 0, (const unsigned char *)"", 0);
	round_trip((const unsigned char *)"abc", 3, (const unsigned char *)"", 0);
	round_trip((const unsigned char *)"", 0, (const unsigned char *)"hello, world", 12);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)rnd();
	/* one copy longer than an instruction holds (0x10000) */
	round_trip(big, sizeof(big), big, sizeof(big));
	memcpy(other, big + 100000, sizeof(other));
	other[35000] ^= 1;
	round_trip(big, sizeof(big), other, sizeof(other));
	/* identical: a few bytes, not the object */
	assert_int_equal(carelog__delta_encode(&d, &n, big, sizeof(big), big, sizeof(big), sizeof(big)), 0);
	assert_true(n < 32);
	free(d);
	/* over `max`: 1, nothing allocated */
	d = (unsigned char *)"x";
	assert_int_equal(carelog__delta_encode(&d, &n, big, 1000, big + 5000, 1000, 900), 1);
	assert_null(d);
	assert_int_equal(n, 0);
}

static void test_delta_tree_entry(void **state)
{
	/* a tree of 60 record entries with one entry's id changed */
	unsigned char tree[60 * 69], changed[60 * 69], *d = NULL;
	size_t n = 0, w = 0;
	(void)state;
	for (int i = 0; i < 60; i++) {
		w += (size_t)sprintf((char *)tree + w, "100644 0194%04x-6600-7d70-84a3-11e42c8ab0f8.json", i) + 1;
		for (int k = 0; k < 20; k++)
			tree[w++] = (unsigned char)rnd();
	}
	memcpy(changed, tree, w);
	for (int k = 0; k < 20; k++)
		changed[30 * 69 + 49 + k] ^= 0x5a;
	assert_int_equal(carelog__delta_encode(&d, &n, tree, w, changed, w, w), 0);
	assert_true(n <= 40); /* header, copy, 20 bytes inserted, copy */
	free(d);
	round_trip(tree, w, changed, w);
}

/* ---- thin packs -------------------------------------------------------- */

static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A generated-form id for a record made at ms since the epoch. */
static void id_at(char out[CARELOG_ID_BUFSIZE], long long ms)
{
	snprintf(out, CARELOG_ID_BUFSIZE, "%08llx-%04llx-7%03x-8%03x-%06x%06x", ms >> 16, ms & 0xffff, rnd() & 0xfff,
		rnd() & 0xfff, rnd() & 0xffffff, rnd() & 0xffffff);
}

static void note(carelog_store *s, const char *patient, const char *id, long long ms, const char *text)
{
	char json[1024], out[CARELOG_ID_BUFSIZE];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char when[32];
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"kind\":\"note\",\"patient\":\"%s\",\"time\":\"%s\",\"text\":\"%s\"}",
		id, patient, when, text);
	int rc = carelog_record_write_json(out, s, json);
	if (rc != 0)
		print_message("%s: %s\n", json, carelog_error_last()->message);
	assert_int_equal(rc, 0);
	assert_string_equal(out, id);
}

static void head_of(git_oid *out, const char *repo_path)
{
	git_repository *r = NULL;
	assert_int_equal(git_repository_open_bare(&r, repo_path), 0);
	assert_int_equal(git_reference_name_to_id(out, r, "refs/heads/main"), 0);
	git_repository_free(r);
}

static void test_thin_pack(void **state)
{
	carelog_store *a = NULL, *b = NULL;
	carelog_patient p = CARELOG_PATIENT_INIT;
	char patient[CARELOG_ID_BUFSIZE], ids[400][CARELOG_ID_BUFSIZE], path[4400], hub[4300], known_dir[4300];
	char kx[GIT_OID_HEXSZ + 1], mx[GIT_OID_HEXSZ + 1];
	const char *pats[1];
	carelog_sync_options so = CARELOG_SYNC_OPTIONS_INIT;
	long long t0 = 1735689600000LL; /* 2025-01-01 */
	git_oid k, m;
	(void)state;

	snprintf(path, sizeof(path), "%s/a", root);
	assert_int_equal(carelog_store_init(&a, path, NULL), 0);
	p.name = "Thin Push";
	assert_int_equal(carelog_patient_add(patient, a, &p), 0);
	/* 400 notes over 20 months, 40 of them one commit each, the rest in
	 * batches of 40 */
	for (int i = 0; i < 400; i++)
		id_at(ids[i], t0 + (long long)i * 36 * 3600 * 1000);
	for (int i = 0; i < 40; i++)
		note(a, patient, ids[i], t0 + (long long)i * 36 * 3600 * 1000, "first");
	for (int i = 40; i < 400; i += 40) {
		carelog_batch *bt = NULL;
		char out[CARELOG_ID_BUFSIZE], json[1024];
		assert_int_equal(carelog_batch_new(&bt, a), 0);
		for (int j = i; j < i + 40; j++) {
			snprintf(json, sizeof(json),
				"{\"id\":\"%s\",\"kind\":\"note\",\"patient\":\"%s\",\"time\":\"2025-03-01T10:00:00Z\",\"text\":\"batch %d\"}",
				ids[j], patient, j);
			assert_int_equal(carelog_batch_add_json(out, bt, json), 0);
		}
		size_t written = 0;
		assert_int_equal(carelog_batch_commit(&written, bt), 0);
		assert_int_equal(written, 40);
		carelog_batch_free(bt);
	}
	snprintf(hub, sizeof(hub), "%s/hub", root);
	assert_int_equal(sh("mkdir -p '%s'", hub), 0);
	assert_int_equal(carelog_remote_add(a, "hub", hub), 0);
	assert_int_equal(carelog_sync(a, "hub", NULL), 0);

	/* a second store edits a record A edits too: a conflict, a merge */
	snprintf(path, sizeof(path), "%s/b", root);
	assert_int_equal(carelog_store_init(&b, path, NULL), 0);
	assert_int_equal(carelog_remote_add(b, "hub", hub), 0);
	pats[0] = patient;
	so.patients = pats;
	so.npatients = 1;
	assert_int_equal(carelog_sync(b, "hub", &so), 0);
	snprintf(path, sizeof(path), "%s/%s.git", hub, patient);
	head_of(&k, path);
	snprintf(known_dir, sizeof(known_dir), "%s/known.git", root);
	assert_int_equal(sh("cp -a '%s' '%s'", path, known_dir), 0);

	carelog_field f = { "text", "\"edited on B\"" };
	assert_int_equal(carelog_record_amend(b, ids[7], &f, 1), 0);
	assert_int_equal(carelog_sync(b, "hub", NULL), 0);
	f.value = "\"edited on A\"";
	assert_int_equal(carelog_record_amend(a, ids[7], &f, 1), 0);
	for (int i = 0; i < 30; i++) {
		char id[CARELOG_ID_BUFSIZE];
		f.value = i % 2 ? "\"amended\"" : "\"amended again, longer\"";
		assert_int_equal(carelog_record_amend(a, ids[(i * 13) % 400], &f, 1), 0);
		id_at(id, t0 + 900LL * 24 * 3600 * 1000 + i * 60000LL); /* a month new to the chart */
		note(a, patient, id, t0 + 900LL * 24 * 3600 * 1000 + i * 60000LL, "new");
	}
	assert_int_equal(carelog_record_void(a, ids[3], "wrong patient"), 0);
	/* A syncs: merges B's edit (a conflict) and pushes, by hand to a path */
	assert_int_equal(carelog_sync(a, "hub", NULL), 0);
	carelog_store_free(b);
	carelog_store_free(a);
	head_of(&m, path);
	git_oid_tostr(kx, sizeof(kx), &k);
	git_oid_tostr(mx, sizeof(mx), &m);

	/* the thin pack of K..M, from A's chart */
	git_repository *repo = NULL;
	unsigned char *pack = NULL;
	size_t len = 0, objects = 0, deltas = 0;
	snprintf(path, sizeof(path), "%s/a/charts/%s.git", root, patient);
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(carelog__thin_pack_build(&pack, &len, &objects, &deltas, repo, &k, &m), 0);

	/* exactly the objects git says M brings over K */
	FILE *pf = NULL;
	char line[256];
	size_t want = 0;
	snprintf(line, sizeof(line), "git -C '%s' rev-list --objects %s ^%s", path, mx, kx);
	assert_non_null(pf = popen(line, "r"));
	while (fgets(line, sizeof(line), pf))
		want++;
	assert_int_equal(pclose(pf), 0);
	assert_int_equal(objects, want);
	/* 30 amends, a void, a merge: most trees and the amended records are
	 * deltas */
	assert_true(deltas * 2 > objects - 35);

	/* libgit2's own pack of the same commits, for size */
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_buf full = { 0 };
	assert_int_equal(git_revwalk_new(&walk, repo), 0);
	assert_int_equal(git_revwalk_push(walk, &m), 0);
	assert_int_equal(git_revwalk_hide(walk, &k), 0);
	assert_int_equal(git_packbuilder_new(&pb, repo), 0);
	assert_int_equal(git_packbuilder_insert_walk(pb, walk), 0);
	assert_int_equal(git_packbuilder_write_buf(&full, pb), 0);
	print_message("thin pack %s..%s: %zu bytes, %zu objects (%zu deltas); libgit2's pack %zu bytes\n", kx, mx, len, objects, deltas,
		full.size);
	size_t full_size = full.size;
	git_buf_dispose(&full);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	git_repository_free(repo);

	/* git takes it as a server would */
	snprintf(path, sizeof(path), "%s/thin.pack", root);
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(pack, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	free(pack);
	assert_int_equal(sh("git -C '%s' index-pack --stdin --fix-thin < '%s' > /dev/null", known_dir, path), 0);
	assert_int_equal(sh("git -C '%s' update-ref refs/heads/main %s %s", known_dir, mx, kx), 0);
	assert_int_equal(sh("git -C '%s' fsck --strict --no-dangling --no-progress", known_dir), 0);
	assert_int_equal(sh("test \"$(git -C '%s' rev-parse 'main^{tree}')\" = \"$(git -C '%s/hub/%s.git' rev-parse 'main^{tree}')\"",
				 known_dir, root, patient),
		0);
	/* far smaller than libgit2's, and about as small as git's own thin
	 * pack of the same commits */
	size_t git_thin = 0;
	char cmd[4600];
	snprintf(cmd, sizeof(cmd), "printf '%s\\n^%s\\n' | git -C '%s/a/charts/%s.git' pack-objects --revs --thin --stdout -q | wc -c",
		mx, kx, root, patient);
	assert_non_null(pf = popen(cmd, "r"));
	assert_int_equal(fscanf(pf, "%zu", &git_thin), 1);
	assert_int_equal(pclose(pf), 0);
	print_message("git's own thin pack: %zu bytes\n", git_thin);
	assert_true(len * 3 < full_size * 2);
	assert_true(len * 4 < git_thin * 5);
}

/* A history made with git itself, K then M; the thin pack of K..M taken by
 * `git index-pack --fix-thin --strict` into a copy holding K only, then
 * fsck clean at M. `moves`: shell lines run in the work tree between the
 * commits (a review found a remote base met again at another path made a
 * pack git refuses: "duplicate base"). */
static void git_history_case(const char *name, const char *k_files, const char *c1, const char *c2)
{
	char dir[4200], kx[64] = "", mx[64] = "", path[4400];
	FILE *pf;
	git_oid k, m;
	git_repository *repo = NULL;
	unsigned char *pack = NULL;
	size_t len = 0, objects = 0, deltas = 0;

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	assert_int_equal(sh("set -e; rm -rf '%s'; mkdir -p '%s'; cd '%s'; git init -q -b main src; cd src;"
			    "git config user.name t; git config user.email t@t;"
			    "common=$(printf 'shared line of a record with many common bytes %%.0s' $(seq 20));"
			    "%s; git add -A; git commit -qm K; %s; git add -A; git commit -qm c1;"
			    "%s; git add -A; git commit -qm c2; cd ..;"
			    "git clone -q --bare --no-local src remote; git -C remote update-ref refs/heads/main main~2;"
			    "git -C remote reflog expire --expire=now --all; git -C remote gc -q --prune=now",
			    dir, dir, dir, k_files, c1, c2),
		0);
	snprintf(path, sizeof(path), "git -C '%s/src' rev-parse main~2 main", dir);
	assert_non_null(pf = popen(path, "r"));
	assert_int_equal(fscanf(pf, "%63s %63s", kx, mx), 2);
	pclose(pf);
	assert_int_equal(git_oid_fromstr(&k, kx), 0);
	assert_int_equal(git_oid_fromstr(&m, mx), 0);
	snprintf(path, sizeof(path), "%s/src/.git", dir);
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(carelog__thin_pack_build(&pack, &len, &objects, &deltas, repo, &k, &m), 0);
	git_repository_free(repo);
	snprintf(path, sizeof(path), "%s/thin.pack", dir);
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(pack, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
	free(pack);
	assert_int_equal(sh("git -C '%s/remote' index-pack --stdin --fix-thin --strict < '%s' > /dev/null", dir, path), 0);
	assert_int_equal(sh("git -C '%s/remote' update-ref refs/heads/main %s %s", dir, mx, kx), 0);
	assert_int_equal(sh("git -C '%s/remote' fsck --strict --no-dangling --no-progress", dir), 0);
}

static void test_remote_base_moves(void **state)
{
	(void)state;
	/* F, the remote's version of P that X is a delta of, comes back at Q */
	git_history_case("moved-base", "printf '%s F\\n' \"$common\" > P; printf '%s G\\n' \"$common\" > Q",
		"printf '%s X\\n' \"$common\" > P", "printf '%s F\\n' \"$common\" > Q");
	/* the same, X also at Q first: X and F each other's base */
	git_history_case("cycle", "printf '%s F\\n' \"$common\" > P; printf '%s G\\n' \"$common\" > Q",
		"printf '%s X\\n' \"$common\" > P; cp P Q", "printf '%s F\\n' \"$common\" > Q");
	/* a directory the remote has comes back at another path whole */
	git_history_case("moved-tree", "mkdir -p a/b; printf '%s F\\n' \"$common\" > a/b/r; printf '%s G\\n' \"$common\" > a/s",
		"printf '%s X\\n' \"$common\" > a/b/r", "mkdir -p c; git show HEAD~1:a/b/r > c/r");
}

int main(void)
{
	const struct CMUnitTest all[] = {
		cmocka_unit_test(test_delta_random),
		cmocka_unit_test(test_delta_edges),
		cmocka_unit_test(test_delta_tree_entry),
		cmocka_unit_test(test_thin_pack),
		cmocka_unit_test(test_remote_base_moves),
	};
	int rc;
	git_libgit2_init();
	if (test_tmpdir_make(root, sizeof(root), "thin-push") < 0)
		return 1;
	rc = cmocka_run_group_tests(all, NULL, NULL);
	git_libgit2_shutdown();
	return test_tmpdir_done(root, rc);
}
