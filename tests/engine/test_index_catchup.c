/*
 * test_index_catchup.c - a catch-up that cannot write the index fails, and
 * records no head: rows it could not store are not lost for good. (It
 * once took every failure to store a record for a record the index cannot
 * hold, so a full disk left the index short of records, never caught up.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "carelog.h"
#include "store_internal.h"
#include "test_tmpdir.h"

#define DOSES 60

static char root[4096];

static size_t timeline_count(carelog_store *s, const char *patient, int *rc)
{
	carelog_record_list *l = NULL;
	size_t n = 0;
	*rc = carelog_timeline(&l, s, patient, NULL);
	if (*rc == 0)
		n = carelog_record_list_count(l);
	carelog_record_list_free(l);
	return n;
}

static void exec_sql(carelog_store *s, const char *sql)
{
	assert_int_equal(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_full_index_fails_the_catchup(void **state)
{
	carelog_store *s = NULL;
	carelog_patient p = CARELOG_PATIENT_INIT;
	char patient[CARELOG_ID_BUFSIZE], path[4200], sql[128];
	sqlite3_stmt *st = NULL;
	int rc, pages;
	(void)state;

	assert_int_equal(carelog_store_init(&s, root, NULL), 0);
	p.name = "Catch Up";
	assert_int_equal(carelog_patient_add(patient, s, &p), 0);
	for (int i = 0; i < DOSES; i++) {
		carelog_dose d = CARELOG_DOSE_INIT;
		d.patient = patient;
		d.drug = "sirolimus";
		d.amount = 1 + i % 3;
		d.unit = "mg";
		assert_int_equal(carelog_dose_log(NULL, s, &d), 0);
	}
	carelog_store_free(s);

	/* a lost index: the next query rebuilds it from the chart */
	snprintf(path, sizeof(path), "%s/carelog.db", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(carelog_store_open(&s, root, NULL), 0);
	/* ...into a database that cannot grow, as on a full disk */
	assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	pages = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %d", pages);
	exec_sql(s, sql);

	assert_int_equal(timeline_count(s, patient, &rc), 0);
	assert_int_equal(rc, CARELOG_EIO);
	assert_non_null(strstr(carelog_error_last()->message, "full"));

	/* room again: the next query catches up with every record */
	exec_sql(s, "PRAGMA max_page_count = 1073741823");
	assert_int_equal(timeline_count(s, patient, &rc), DOSES);
	assert_int_equal(rc, 0);
	carelog_store_free(s);

	/* and a store opened afresh agrees */
	assert_int_equal(carelog_store_open(&s, root, NULL), 0);
	assert_int_equal(timeline_count(s, patient, &rc), DOSES);
	assert_int_equal(rc, 0);
	carelog_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_index_fails_the_catchup),
	};
	int rc;
	if (test_tmpdir_make(root, sizeof(root), "catchup") < 0)
		return 1;
	snprintf(root + strlen(root), sizeof(root) - strlen(root), "/store");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	*strrchr(root, '/') = '\0';
	return test_tmpdir_done(root, rc);
}
