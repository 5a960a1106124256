/*
 * test_tmpdir.h - a fresh directory for one test program under
 * $CARELOG_TEST_TMP (else /tmp), removed when every test passed and kept for
 * a look when one failed. Header-only: each test_*.c is its own program.
 */
#ifndef CARELOG_TEST_TMPDIR_H
#define CARELOG_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Creates "<base>/<prefix>-XXXXXX" into root; 0 or -1. */
static inline int test_tmpdir_make(char *root, size_t n, const char *prefix)
{
	const char *base = getenv("CARELOG_TEST_TMP") ? getenv("CARELOG_TEST_TMP") : "/tmp";
	mkdir(base, 0700);
	snprintf(root, n, "%s/%s-XXXXXX", base, prefix);
	return mkdtemp(root) ? 0 : -1;
}

/* Removes root when rc (the tests' result) is 0; returns the exit status. */
static inline int test_tmpdir_done(const char *root, int rc)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (rc == 0 && system(cmd) != 0)
		return 1;
	return rc;
}

#endif
