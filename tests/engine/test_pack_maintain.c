/*
 * test_pack_maintain.c - a chart's packs stay few after many single writes,
 * and compaction never loses an object: not the records, not a loose object
 * a git server left, not an object no ref reaches yet (a push in flight).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "carelog.h"

static char root[4096];

static int count_suffix(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	size_t k = strlen(suffix);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > k && strcmp(e->d_name + len - k, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void log_doses(carelog_store *s, const char *patient, int n)
{
	for (int i = 0; i < n; i++) {
		carelog_dose d = CARELOG_DOSE_INIT;
		d.patient = patient;
		d.drug = "mycophenolate";
		d.amount = 250 + i;
		d.unit = "mg";
		assert_int_equal(carelog_dose_log(NULL, s, &d), 0);
	}
}

/* Writes `text` as a loose object into the chart, as git-receive-pack does
 * for small pushes, through a plain libgit2 handle. */
static void write_loose(git_oid *out, const char *chart_dir, const char *text)
{
	git_odb *odb = NULL;
	char objects[4200];
	snprintf(objects, sizeof(objects), "%s/objects", chart_dir);
	assert_int_equal(git_odb_open(&odb, objects), 0);
	assert_int_equal(git_odb_write(out, odb, text, strlen(text), GIT_OBJECT_BLOB), 0);
	git_odb_free(odb);
}

static int object_exists(const char *chart_dir, const git_oid *id)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	int ok;
	assert_int_equal(git_repository_open_bare(&repo, chart_dir), 0);
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	ok = git_odb_exists(odb, id);
	git_odb_free(odb);
	git_repository_free(repo);
	return ok;
}

static void test_packs_stay_few_and_nothing_is_lost(void **state)
{
	carelog_store *s = NULL;
	carelog_init_options io = CARELOG_INIT_OPTIONS_INIT;
	carelog_patient p = CARELOG_PATIENT_INIT;
	char patient[CARELOG_ID_BUFSIZE], dir[4400], packdir[4500], loose_path[4600], hex[GIT_OID_HEXSZ + 1];
	carelog_record_list *tl = NULL;
	git_oid loose, unreferenced;
	size_t problems = 99;
	struct stat st;
	(void)state;

	/* a clinic's single writes each make a pack (a device's go through the
	 * journal and make one per fold: test_journal.c) */
	snprintf(dir, sizeof(dir), "%s/store", root);
	io.role = "clinic";
	assert_int_equal(carelog_store_init(&s, dir, &io), 0);
	p.name = "Pack Test";
	assert_int_equal(carelog_patient_add(patient, s, &p), 0);
	snprintf(dir, sizeof(dir), "%s/store/charts/%s.git", root, patient);
	snprintf(packdir, sizeof(packdir), "%s/objects/pack", dir);

	log_doses(s, patient, 20);
	/* a loose object a git server left, and an object no ref reaches */
	write_loose(&loose, dir, "{\"left\":\"by a push\"}\n");
	git_oid_tostr(hex, sizeof(hex), &loose);
	snprintf(loose_path, sizeof(loose_path), "%s/objects/%.2s/%s", dir, hex, hex + 2);
	assert_int_equal(stat(loose_path, &st), 0);
	write_loose(&unreferenced, dir, "{\"in\":\"flight\"}\n");

	log_doses(s, patient, 80);
	/* 101 single writes made 101 packs; compaction keeps them few */
	int packs = count_suffix(packdir, ".pack");
	assert_true(packs >= 1);
	assert_true(packs < 20);
	assert_int_equal(count_suffix(packdir, ".idx"), packs);

	/* the loose objects are now in a pack, and only then gone as files */
	assert_true(object_exists(dir, &loose));
	assert_true(object_exists(dir, &unreferenced));
	assert_int_not_equal(stat(loose_path, &st), 0);

	assert_int_equal(carelog_timeline(&tl, s, patient, NULL), 0);
	assert_int_equal(carelog_record_list_count(tl), 100);
	carelog_record_list_free(tl);
	assert_int_equal(carelog_store_check(&problems, s, NULL, NULL), 0);
	assert_int_equal(problems, 0);
	carelog_store_free(s);

	/* a fresh handle (another process) reads everything after compaction */
	snprintf(dir, sizeof(dir), "%s/store", root);
	assert_int_equal(carelog_store_open(&s, dir, NULL), 0);
	assert_int_equal(carelog_timeline(&tl, s, patient, NULL), 0);
	assert_int_equal(carelog_record_list_count(tl), 100);
	carelog_record_list_free(tl);
	carelog_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packs_stay_few_and_nothing_is_lost),
	};
	const char *base = getenv("CARELOG_TEST_TMP") ? getenv("CARELOG_TEST_TMP") : "/tmp";
	char cmd[4200];
	int rc;
	mkdir(base, 0700);
	snprintf(root, sizeof(root), "%s/pack-XXXXXX", base);
	if (mkdtemp(root) == NULL)
		return 1;
	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (rc == 0 && system(cmd) != 0)
		return 1;
	return rc;
}
