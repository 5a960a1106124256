/*
 * test_journal.c - single writes are durable in the chart's write-ahead
 * journal (journal.c) and reach git when it is folded: another handle (a
 * process) reads them before the fold, a writer that dies unfolded loses
 * nothing, a torn entry is ignored, a git push that moves the ref under the
 * journal is merged, and a clinic's charts (served live) skip the journal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "carelog.h"
#include "test_tmpdir.h"

static char root[4096];

/* Prints why a chart failed to sync (cmocka shows it with the failure). */
static void chart_done(const carelog_sync_result *r, void *payload)
{
	(void)payload;
	if (r->error)
		print_error("sync of %s with %s: %s\n", r->patient, r->remote, r->message);
}

static void log_doses(carelog_store *s, const char *patient, int n, int first)
{
	for (int i = 0; i < n; i++) {
		carelog_dose d = CARELOG_DOSE_INIT;
		d.patient = patient;
		d.drug = "sirolimus";
		d.amount = 0.5 + first + i;
		d.unit = "mg";
		assert_int_equal(carelog_dose_log(NULL, s, &d), 0);
	}
}

/* refs/heads/main of the chart, read by plain libgit2 (as git sees it). */
static void git_head(git_oid *out, const char *chart)
{
	git_repository *repo = NULL;
	assert_int_equal(git_repository_open_bare(&repo, chart), 0);
	assert_int_equal(git_reference_name_to_id(out, repo, "refs/heads/main"), 0);
	git_repository_free(repo);
}

static int count_blob(const char *dir, const git_tree_entry *e, void *payload)
{
	(void)dir;
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		(*(size_t *)payload)++;
	return 0;
}

/* Records of `kind` in the tree git's ref names (what a git clone gets). */
static size_t git_records(const char *chart, const char *kind)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *e = NULL;
	git_oid head;
	size_t n = 0;
	git_head(&head, chart);
	assert_int_equal(git_repository_open_bare(&repo, chart), 0);
	assert_int_equal(git_commit_lookup(&commit, repo, &head), 0);
	assert_int_equal(git_commit_tree(&tree, commit), 0);
	if (git_tree_entry_bypath(&e, tree, kind) == 0) {
		assert_int_equal(git_tree_lookup(&sub, repo, git_tree_entry_id(e)), 0);
		assert_int_equal(git_tree_walk(sub, GIT_TREEWALK_PRE, count_blob, &n), 0);
	}
	git_tree_free(sub);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	return n;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Opens the store with its index deleted, so every answer comes from the
 * chart (git and the journal), and counts the patient's timeline. */
static size_t timeline_from_chart(const char *store, const char *patient)
{
	carelog_store *s = NULL;
	carelog_record_list *tl = NULL;
	char db[4200];
	size_t n;
	snprintf(db, sizeof(db), "%s/carelog.db", store);
	unlink(db);
	assert_int_equal(carelog_store_open(&s, store, NULL), 0);
	assert_int_equal(carelog_timeline(&tl, s, patient, NULL), 0);
	n = carelog_record_list_count(tl);
	carelog_record_list_free(tl);
	carelog_store_free(s);
	return n;
}

static void check_clean(const char *store)
{
	carelog_store *s = NULL;
	size_t problems = 99;
	assert_int_equal(carelog_store_open(&s, store, NULL), 0);
	assert_int_equal(carelog_store_check(&problems, s, NULL, NULL), 0);
	assert_int_equal(problems, 0);
	carelog_store_free(s);
}

/* After the writer closed: git holds `n` doses, the journal is back to its
 * header, a rebuild from the chart finds them all, and check is clean. */
static void expect_folded(const char *store, const char *chart, const char *journal, const char *patient, size_t n)
{
	assert_int_equal(git_records(chart, "dose"), n);
	assert_int_equal(file_size(journal), 16);
	assert_int_equal(timeline_from_chart(store, patient), n);
	check_clean(store);
}

static void new_store(carelog_store **s, char *patient, const char *store, const char *role)
{
	carelog_init_options io = CARELOG_INIT_OPTIONS_INIT;
	carelog_patient p = CARELOG_PATIENT_INIT;
	io.role = role;
	assert_int_equal(carelog_store_init(s, store, &io), 0);
	if (patient) {
		p.name = "Journal Test";
		assert_int_equal(carelog_patient_add(patient, *s, &p), 0);
	}
}

static void test_folded_on_close_and_read_before(void **state)
{
	carelog_store *s = NULL, *s2 = NULL;
	carelog_record_list *tl = NULL, *hist = NULL;
	char patient[CARELOG_ID_BUFSIZE], store[4200], chart[4400], journal[4500];
	git_oid before, after;
	(void)state;

	snprintf(store, sizeof(store), "%s/fold", root);
	new_store(&s, patient, store, NULL);
	snprintf(chart, sizeof(chart), "%s/charts/%s.git", store, patient);
	snprintf(journal, sizeof(journal), "%s/carelog-journal", chart);
	git_head(&before, chart);

	log_doses(s, patient, 5, 0);
	/* acknowledged, in the journal; git's ref has not moved */
	git_head(&after, chart);
	assert_true(git_oid_equal(&before, &after));
	assert_true(file_size(journal) > 16);
	assert_int_equal(git_records(chart, "dose"), 0);

	/* another handle reads them: the timeline from the shared index, and a
	 * record's history from the chart, whose head only the journal knows */
	assert_int_equal(carelog_store_open(&s2, store, NULL), 0);
	assert_int_equal(carelog_timeline(&tl, s2, patient, NULL), 0);
	assert_int_equal(carelog_record_list_count(tl), 5);
	assert_int_equal(carelog_record_history(&hist, s2, carelog_record_id(carelog_record_list_get(tl, 0))), 0);
	assert_int_equal(carelog_record_list_count(hist), 1);
	carelog_record_list_free(hist);
	carelog_record_list_free(tl);
	carelog_store_free(s2);

	/* closing folds: git sees every write, the journal is empty */
	carelog_store_free(s);
	expect_folded(store, chart, journal, patient, 5);
}

static void test_fold_when_full(void **state)
{
	carelog_store *s = NULL;
	char patient[CARELOG_ID_BUFSIZE], store[4200], chart[4400];
	(void)state;

	snprintf(store, sizeof(store), "%s/full", root);
	new_store(&s, patient, store, NULL);
	snprintf(chart, sizeof(chart), "%s/charts/%s.git", store, patient);
	/* 128 entries fold while the store stays open */
	log_doses(s, patient, 130, 0);
	assert_true(git_records(chart, "dose") >= 128);
	assert_true(git_records(chart, "dose") < 130);
	carelog_store_free(s);
	assert_int_equal(git_records(chart, "dose"), 130);
	check_clean(store);
}

static void test_writer_dies_unfolded(void **state)
{
	carelog_store *s = NULL;
	char patient[CARELOG_ID_BUFSIZE], store[4200], chart[4400], journal[4500];
	int status;
	pid_t pid;
	FILE *f;
	(void)state;

	snprintf(store, sizeof(store), "%s/crash", root);
	new_store(&s, patient, store, NULL);
	carelog_store_free(s);
	snprintf(chart, sizeof(chart), "%s/charts/%s.git", store, patient);
	snprintf(journal, sizeof(journal), "%s/carelog-journal", chart);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* acknowledged writes, then death before any fold */
		carelog_store *c = NULL;
		if (carelog_store_open(&c, store, NULL) < 0)
			_exit(1);
		for (int i = 0; i < 3; i++) {
			carelog_dose d = CARELOG_DOSE_INIT;
			d.patient = patient;
			d.drug = "sirolimus";
			d.amount = 1 + i;
			d.unit = "mg";
			if (carelog_dose_log(NULL, c, &d) < 0)
				_exit(2);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(git_records(chart, "dose"), 0);

	/* a torn entry after them (a write cut short) does not count */
	f = fopen(journal, "ab");
	assert_non_null(f);
	fwrite("CLJE\x40\x00\x00\x00garbage", 1, 15, f);
	fclose(f);

	assert_int_equal(timeline_from_chart(store, patient), 3);
	check_clean(store);

	/* the next writer appends after them (over the torn bytes) and folds */
	assert_int_equal(carelog_store_open(&s, store, NULL), 0);
	log_doses(s, patient, 1, 10);
	carelog_store_free(s);
	expect_folded(store, chart, journal, patient, 4);
}

static void test_push_under_the_journal(void **state)
{
	carelog_store *a = NULL, *b = NULL;
	carelog_sync_options so = CARELOG_SYNC_OPTIONS_INIT;
	char patient[CARELOG_ID_BUFSIZE], store_a[4200], store_b[4200], charts_a[4300], chart[4400];
	const char *patients[1];
	git_oid ref_before, ref_after;
	(void)state;

	snprintf(store_a, sizeof(store_a), "%s/push-a", root);
	snprintf(store_b, sizeof(store_b), "%s/push-b", root);
	snprintf(charts_a, sizeof(charts_a), "%s/charts", store_a);
	new_store(&a, patient, store_a, NULL);
	snprintf(chart, sizeof(chart), "%s/%s.git", charts_a, patient);
	log_doses(a, patient, 2, 0); /* in a's journal, a stays open */
	git_head(&ref_before, chart);

	/* phone b clones a's chart by path (git's ref: the patient only),
	 * writes, and pushes into it: a's ref moves under a's journal */
	new_store(&b, NULL, store_b, NULL);
	assert_int_equal(carelog_remote_add(b, "a", charts_a), 0);
	patients[0] = patient;
	so.patients = patients;
	so.npatients = 1;
	so.chart_done = chart_done;
	assert_int_equal(carelog_sync(b, "a", &so), 0);
	log_doses(b, patient, 1, 20);
	so.npatients = 0;
	assert_int_equal(carelog_sync(b, "a", &so), 0);
	git_head(&ref_after, chart);
	assert_false(git_oid_equal(&ref_before, &ref_after));

	/* a's next write merges the push with its unfolded writes first */
	log_doses(a, patient, 1, 30);
	carelog_store_free(a);
	assert_int_equal(git_records(chart, "dose"), 4);
	assert_int_equal(timeline_from_chart(store_a, patient), 4);
	check_clean(store_a);

	/* and b gets it all back */
	so.npatients = 0;
	assert_int_equal(carelog_sync(b, "a", &so), 0);
	carelog_store_free(b);
	assert_int_equal(timeline_from_chart(store_b, patient), 4);
}

static void test_clinic_writes_straight_to_git(void **state)
{
	carelog_store *s = NULL;
	char patient[CARELOG_ID_BUFSIZE], store[4200], chart[4400], journal[4500];
	(void)state;

	snprintf(store, sizeof(store), "%s/clinic", root);
	new_store(&s, patient, store, "clinic");
	snprintf(chart, sizeof(chart), "%s/charts/%s.git", store, patient);
	snprintf(journal, sizeof(journal), "%s/carelog-journal", chart);
	log_doses(s, patient, 2, 0);
	/* a git server serving the chart sees each write at once */
	assert_int_equal(git_records(chart, "dose"), 2);
	assert_int_equal(file_size(journal), -1);
	carelog_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded_on_close_and_read_before),
		cmocka_unit_test(test_fold_when_full),
		cmocka_unit_test(test_writer_dies_unfolded),
		cmocka_unit_test(test_push_under_the_journal),
		cmocka_unit_test(test_clinic_writes_straight_to_git),
	};
	int rc;
	if (test_tmpdir_make(root, sizeof(root), "journal") < 0)
		return 1;
	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return test_tmpdir_done(root, rc);
}
