/*
 * consumer.c - a program outside the carelog tree, built against an
 * installed libcarelog (CMake package or pkg-config): creates a store in
 * argv[1], writes records through the public API, reopens the store and
 * reads them back. Exits 0 and prints "ok VERSION" when all went as expected.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <carelog.h>

static int failures;

#define EXPECT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "consumer: %s:%d: expected %s (last error: %s)\n", \
			__FILE__, __LINE__, #cond, carelog_error_last()->message); \
		failures++; \
	} \
} while (0)

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int main(int argc, char **argv)
{
	carelog_init_options io = CARELOG_INIT_OPTIONS_INIT;
	carelog_patient p = CARELOG_PATIENT_INIT;
	carelog_dose d = CARELOG_DOSE_INIT;
	carelog_symptom sy = CARELOG_SYMPTOM_INIT;
	carelog_timeline_options to = CARELOG_TIMELINE_OPTIONS_INIT;
	carelog_store *s = NULL;
	carelog_record *r = NULL;
	carelog_record_list *l = NULL;
	char pid[CARELOG_ID_BUFSIZE], did[CARELOG_ID_BUFSIZE], sid[CARELOG_ID_BUFSIZE];
	size_t problems = 99;
	double amount = 0;
	char *json = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: consumer STORE-DIR EXPECTED-VERSION\n");
		return 2;
	}
	EXPECT(streq(carelog_version(), argv[2]));

	io.device_name = "consumer";
	io.author = "Consumer";
	EXPECT(carelog_store_init(&s, argv[1], &io) == CARELOG_OK);
	if (!s)
		return 1;
	EXPECT(streq(carelog_store_author(s), "Consumer"));
	EXPECT(strncmp(carelog_store_device(s), "consumer", 8) == 0);

	p.name = "Tom";
	p.born = "2018-03-04";
	EXPECT(carelog_patient_add(pid, s, &p) == CARELOG_OK);
	d.patient = pid;
	d.drug = "Sirolimus";
	d.amount = 1.5;
	d.unit = "mg";
	d.at = "2026-11-20T09:00:00+01:00";
	EXPECT(carelog_dose_log(did, s, &d) == CARELOG_OK);

	/* a rejected write: the error names the value, nothing is written */
	sy.patient = pid;
	sy.code = "fever";
	sy.severity = 11;
	EXPECT(carelog_symptom_log(sid, s, &sy) == CARELOG_EINVALID);
	EXPECT(strstr(carelog_error_last()->message, "severity 11") != NULL);
	EXPECT(carelog_store_errcode(s) == CARELOG_EINVALID);
	carelog_store_free(s);
	s = NULL;

	/* reopen and read back */
	EXPECT(carelog_store_open(&s, argv[1], NULL) == CARELOG_OK);
	if (!s)
		return 1;
	EXPECT(carelog_record_get(&r, s, did) == CARELOG_OK);
	if (r) {
		EXPECT(streq(carelog_record_id(r), did));
		EXPECT(streq(carelog_record_kind(r), "dose"));
		EXPECT(streq(carelog_record_patient(r), pid));
		EXPECT(streq(carelog_record_time(r), "2026-11-20T08:00:00Z"));
		EXPECT(streq(carelog_record_status(r), "active"));
		EXPECT(streq(carelog_record_string(r, "drug"), "sirolimus"));
		EXPECT(streq(carelog_record_string(r, "author"), "Consumer"));
		EXPECT(carelog_record_number(&amount, r, "amount") == CARELOG_OK && fabs(amount - 1.5) < 1e-12);
		EXPECT(carelog_record_string(r, "no-such-field") == NULL);
	}
	carelog_record_free(r);
	EXPECT(carelog_timeline(&l, s, pid, &to) == CARELOG_OK);
	if (l) {
		EXPECT(carelog_record_list_count(l) == 1);
		EXPECT(carelog_record_list_get(l, 1) == NULL);
		EXPECT(carelog_record_list_json(&json, l) == CARELOG_OK && json && json[0] == '[' && strstr(json, did));
		carelog_free(json);
	}
	carelog_record_list_free(l);
	EXPECT(carelog_store_check(&problems, s, NULL, NULL) == CARELOG_OK && problems == 0);
	carelog_store_free(s);

	if (failures) {
		fprintf(stderr, "consumer: %d checks failed\n", failures);
		return 1;
	}
	printf("ok %s\n", carelog_version());
	return 0;
}
