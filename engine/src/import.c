/*
 * import.c - JSON lines in, in one pass: records are validated and staged
 * batch by batch (each batch one commit, its objects written as one pack),
 * but no chart's ref moves until the last line has been read and accepted.
 * A bad line anywhere therefore writes nothing visible: the staged commits
 * stay unreachable and the index transaction rolls back.
 *
 * Memory: each chart the import stages holds its commits' objects until
 * there are 8,192 of them (or 24 MiB, chart.h), or until it has had no
 * line for three batches (write.c, write_idle). So a one-patient import
 * stays flat however long the input is (100,000 records: 48-54 MB peak
 * RSS); an input grouped by patient holds little per chart once its lines
 * end: 100,000 records (carelog-fixtures --seed 3) over 1,000 patients,
 * each patient's lines together, peaked at 43.5 MB since a chart written
 * out is also opened again, dropping libgit2's caches of it (66 MB
 * before; 108 MB when every chart waited for the end; 5,000 patients:
 * 164 MB before the reopening, not measured since). A patient whose lines come back after a write-out gets one
 * more small pack each time (a review's test input, each patient back five
 * times: 5,000 packs, 32 MB, against 1,000 and 22.7 MB before). On a
 * failed import, a chart that existed before keeps its written-out packs,
 * unreachable, for good (pack maintenance keeps every object it merges),
 * as it does a background pack's.
 * An input that interleaves many patients gives each chart a few lines
 * per batch; they wait as files until the chart has 256 records, gets no
 * line in a batch, or the import ends (write.c, CARRY_MIN), rather than
 * becoming a commit per chart per batch whose tree versions all waited in
 * memory: 100,000 records over 1,000 patients in their generated order
 * peaked at 181 MB, 35-38 s (497 MB, 49 s before; 42 commits in a chart
 * before, 6 now). A record written again while an earlier version waits
 * stages the carry first, so no version a batch kept is lost. That is still every chart's records held at once, not
 * flat: grouping the input first (a pass noting each line's patient), or
 * a store-wide cap on what waits, would bound it; not done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "chart.h"
#include "exchange_internal.h"
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

/* Reads one line of `in` (its newline included) into *buf, grown as needed
 * but never past max bytes and the terminating NUL: a line longer than max is
 * refused before it is read whole, so a file without newlines cannot fill
 * memory. Its length; -1 at the end of the input; -2 for a line longer than
 * max (the rest of it is left unread). */
static ssize_t read_line(char **buf, size_t *cap, FILE *in, size_t max)
{
	size_t n = 0;
	int c = EOF;

	while ((c = getc_unlocked(in)) != EOF) {
		if (n + 2 > *cap) {
			size_t want = *cap ? 2 * *cap : 4096;
			char *p;
			if (n >= max)
				return -2;
			if (want > max + 2)
				want = max + 2;
			if ((p = realloc(*buf, want)) == NULL)
				return -3;
			*buf = p;
			*cap = want;
		}
		(*buf)[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return -1;
	(*buf)[n] = '\0';
	return n > max ? -2 : (ssize_t)n;
}

/* Reads every line of `in` into the batch, staging every `batch_size`. */
static int read_lines(size_t *written, carelog_batch *b, FILE *in, size_t batch_size)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	while ((len = read_line(&line, &cap, in, MAX_LINE)) != -1) {
		json_t *rec;
		char what[48];
		lineno++;
		if (len == -3) {
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory reading line %zu", lineno);
			break;
		}
		if (len == -2) {
			rc = carelog__fail(CARELOG_EINVALID, "line %zu is longer than %d bytes", lineno, MAX_LINE);
			break;
		}
		if (blank(line))
			continue;
		snprintf(what, sizeof(what), "line %zu", lineno);
		if ((rec = carelog__json_parse_object(line, what)) == NULL) {
			rc = carelog__last_code();
			break;
		}
		if ((rc = carelog__batch_add(b, rec, NULL)) < 0) {
			carelog__fail_prefix("line %zu", lineno);
			break;
		}
		if (carelog_batch_count(b) >= batch_size) {
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

int carelog__import_run(size_t *written, carelog_store *s, carelog__import_fill fill, void *payload)
{
	carelog_batch *b = NULL;
	size_t staged = 0, n = 0;
	int rc;

	if ((rc = carelog__lock(s)) < 0)
		return rc;
	carelog__charts_sweep(s);
	if ((rc = carelog__batch_new(&b, s, 1)) == 0) {
		rc = fill(&n, b, payload);
		staged += n;
		if (rc == 0 && (rc = carelog_batch_commit(&n, b)) == 0) {
			staged += n;
			rc = carelog__batch_finish(b);
		}
	}
	carelog_batch_free(b); /* drops whatever was staged if anything failed */
	carelog__unlock(s);
	*written = rc == 0 ? staged : 0;
	return rc;
}

typedef struct {
	FILE *in;
	size_t batch_size;
} lines_input;

static int fill_lines(size_t *staged, carelog_batch *b, void *payload)
{
	lines_input *li = payload;
	return read_lines(staged, b, li->in, li->batch_size);
}

int carelog_import(size_t *written, carelog_store *s, FILE *in, const carelog_import_options *opts)
{
	size_t count = 0;
	int rc;
	if (opts && opts->version != CARELOG_IMPORT_OPTIONS_VERSION)
		rc = carelog__fail(CARELOG_EINVALID, "carelog_import_options version %u is not supported", opts->version);
	else if (in == NULL)
		rc = carelog__fail(CARELOG_EINVALID, "no input given");
	else {
		lines_input li = { in, opts && opts->batch_size ? opts->batch_size : DEFAULT_BATCH };
		rc = carelog__import_run(&count, s, fill_lines, &li);
	}
	if (written)
		*written = count;
	return carelog__store_result(s, rc);
}
