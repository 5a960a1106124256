/*
 * import.c - JSON lines in, in two passes: every line is validated first
 * (with the patients and plans the file itself creates), so a bad line
 * anywhere writes nothing; then the records are written in batches. Input
 * that cannot be read twice (a pipe) is spooled to a temporary file during
 * the first pass, so memory stays flat however long the file is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json_canon.h"
#include "store_internal.h"
#include "write_internal.h"

#define DEFAULT_BATCH 2000
#define MAX_LINE (1024 * 1024)

static int blank(const char *line)
{
	for (; *line; line++)
		if (*line != ' ' && *line != '\t' && *line != '\r' && *line != '\n')
			return 0;
	return 1;
}

/* Reads every line of `in`, handing each non-blank one to `b`; when `spool`
 * is set, copies the input there. Commits every `batch_size` records when
 * the batch keeps them. */
static int pass(size_t *written, carelog_batch *b, FILE *in, FILE *spool, size_t batch_size)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	while ((len = getline(&line, &cap, in)) >= 0) {
		json_t *rec;
		char what[48];
		lineno++;
		if (spool && fwrite(line, 1, (size_t)len, spool) != (size_t)len) {
			rc = carelog__fail(CARELOG_EIO, "cannot spool the input: %s", strerror(errno));
			break;
		}
		if (blank(line))
			continue;
		if (len > MAX_LINE) {
			rc = carelog__fail(CARELOG_EINVALID, "line %zu is longer than %d bytes", lineno, MAX_LINE);
			break;
		}
		snprintf(what, sizeof(what), "line %zu", lineno);
		if ((rec = carelog__json_parse_object(line, what)) == NULL) {
			rc = carelog__last_code();
			break;
		}
		if ((rc = carelog__batch_add(b, rec, NULL)) < 0) {
			carelog__fail_prefix("line %zu", lineno);
			break;
		}
		if (written && carelog_batch_count(b) >= batch_size) {
			size_t n = 0;
			rc = carelog_batch_commit(&n, b);
			*written += n;
			if (rc < 0)
				break;
		}
	}
	if (rc == 0 && ferror(in))
		rc = carelog__fail(CARELOG_EIO, "cannot read the input: %s", strerror(errno));
	free(line);
	return rc;
}

static int import(size_t *written, carelog_store *s, FILE *in, size_t batch_size)
{
	carelog_batch *check = NULL, *b = NULL;
	FILE *spool = NULL, *second = in;
	int rc, seekable = fseek(in, 0, SEEK_CUR) == 0;

	if (!seekable && (spool = tmpfile()) == NULL)
		return carelog__fail(CARELOG_EIO, "cannot create a temporary file for the input: %s", strerror(errno));
	long start = seekable ? ftell(in) : 0;
	if ((rc = carelog__batch_new(&check, s, 0)) < 0 || (rc = pass(NULL, check, in, spool, batch_size)) < 0)
		goto out;
	if (spool) {
		if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0) {
			rc = carelog__fail(CARELOG_EIO, "cannot reread the spooled input: %s", strerror(errno));
			goto out;
		}
		second = spool;
	} else if (fseek(in, start, SEEK_SET) != 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot reread the input: %s", strerror(errno));
		goto out;
	}
	if ((rc = carelog__batch_new(&b, s, 1)) < 0 || (rc = pass(written, b, second, NULL, batch_size)) < 0)
		goto out;
	size_t n = 0;
	rc = carelog_batch_commit(&n, b);
	*written += n;
out:
	carelog_batch_free(check);
	carelog_batch_free(b);
	if (spool)
		fclose(spool);
	return rc;
}

int carelog_import(size_t *written, carelog_store *s, FILE *in, const carelog_import_options *opts)
{
	size_t count = 0;
	int rc;
	if (opts && opts->version != CARELOG_IMPORT_OPTIONS_VERSION)
		rc = carelog__fail(CARELOG_EINVALID, "carelog_import_options version %u is not supported", opts->version);
	else if (in == NULL)
		rc = carelog__fail(CARELOG_EINVALID, "no input given");
	else
		rc = import(&count, s, in, opts && opts->batch_size ? opts->batch_size : DEFAULT_BATCH);
	if (written)
		*written = count;
	return carelog__store_result(s, rc);
}
