/*
 * import.c - JSON lines in (a file that interleaves patients is read
 * patient by patient, below): records are validated and staged
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
 * memory. A file that interleaves patients is moreover read patient by
 * patient (plan_lines, below), so that charts go idle and are written out
 * as the reading moves on: 100,000 records over 1,000 patients in their
 * generated order peaked at 45.9 MB (181 MB read in the file's order with
 * the carry, 497 MB before it). Read from a pipe, such an input is still
 * read in its own order and holds every chart's records at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "error.h"
#include "chart.h"
#include "record_id.h"
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

/* ---- a file that interleaves patients, read patient by patient -------- */

/* Each chart an import stages holds what waits for it in memory, so an
 * input that interleaves many patients holds all of their charts' at once
 * (181 MB for 100,000 records over 1,000 patients; 43.5 MB grouped). A
 * file (it can be read twice) is first scanned for each line's patient
 * (the top-level "patient" field, found as text: no JSON parse), and when
 * a patient's lines come back after another's, read again patient by
 * patient, each patient's lines in file order: every chart then sees its
 * records in the same order as before, and the same trees result. The
 * scan only orders the reading: each line is parsed and checked as
 * always, and its patient must be the one it was read for. Anything
 * unexpected (a line whose patient the scan cannot find, a parsed patient
 * that differs, any failure, a bad line included) gives the attempt up,
 * with nothing published, and the file is imported again in its own order,
 * so that an error names the first bad line of the file, as ever. */

#define NO_LINE ((size_t)-1)

typedef struct {
	off_t off;          /* where the line starts */
	size_t lineno;
	size_t next;        /* the patient's next line, or NO_LINE */
} line_at;

typedef struct {
	line_at *v;
	size_t n, cap;
	json_t *patients;   /* patient id -> its index in first/last/ids */
	size_t *first, *last;
	char (*ids)[CARELOG_ID_BUFSIZE];
	size_t np, pcap;
	int interleaved;    /* a patient's lines come back after another's */
} line_plan;

static void plan_free(line_plan *p)
{
	free(p->v);
	free(p->first);
	free(p->last);
	free(p->ids);
	json_decref(p->patients);
	memset(p, 0, sizeof(*p));
}

/* The value of the line's top-level "patient" field, if the text shows it
 * plainly ("patient", then ':', then a string holding an id). 1 or 0. */
static int scan_patient(char out[CARELOG_ID_BUFSIZE], const char *line)
{
	for (const char *p = line; (p = strstr(p, "\"patient\"")) != NULL; p += 9) {
		const char *q = p + 9;
		if (p > line && p[-1] == '\\')
			continue; /* inside a string */
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != ':')
			continue; /* a value, as in "kind":"patient" */
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '"' || strnlen(q + 1, 37) < 37 || q[37] != '"')
			return 0;
		memcpy(out, q + 1, 36);
		out[36] = '\0';
		return carelog__id_valid(out);
	}
	return 0;
}

/* 1 with the plan when every line's patient was found and the file
 * interleaves patients; 0 when it is read in its own order anyway; <0 on
 * a failure of memory or reading. The file is left where it was. */
static int plan_lines(line_plan *p, FILE *in)
{
	char *line = NULL, id[CARELOG_ID_BUFSIZE];
	size_t cap = 0, lineno = 0, cur = NO_LINE;
	off_t start = ftello(in), at = start;
	ssize_t len;
	int rc = 1;

	memset(p, 0, sizeof(*p));
	if (start < 0 || (p->patients = json_object()) == NULL)
		return 0;
	while ((len = read_line(&line, &cap, in, MAX_LINE)) != -1) {
		off_t here = at;
		size_t g;
		json_t *gi;
		lineno++;
		if (len < 0) { /* too long or out of memory: the plain reading says which */
			rc = 0;
			break;
		}
		at += len;
		if (blank(line))
			continue;
		if (!scan_patient(id, line)) {
			rc = 0;
			break;
		}
		if ((gi = json_object_get(p->patients, id)) != NULL) {
			g = (size_t)json_integer_value(gi);
			if (g != cur)
				p->interleaved = 1;
		} else {
			if (p->np == p->pcap) {
				size_t nc = p->pcap ? 2 * p->pcap : 64;
				size_t *f = realloc(p->first, nc * sizeof(*f)), *l = f ? realloc(p->last, nc * sizeof(*l)) : NULL;
				char(*ids)[CARELOG_ID_BUFSIZE] = l ? realloc(p->ids, nc * sizeof(*ids)) : NULL;
				if (f)
					p->first = f;
				if (l)
					p->last = l;
				if (ids == NULL) {
					rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
					break;
				}
				p->ids = ids;
				p->pcap = nc;
			}
			g = p->np++;
			memcpy(p->ids[g], id, sizeof(p->ids[g]));
			p->first[g] = p->last[g] = NO_LINE;
			if (json_object_set_new(p->patients, id, json_integer((json_int_t)g)) < 0) {
				rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
				break;
			}
		}
		cur = g;
		if (p->n == p->cap) {
			size_t nc = p->cap ? 2 * p->cap : 4096;
			line_at *nv = realloc(p->v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
				break;
			}
			p->v = nv;
			p->cap = nc;
		}
		p->v[p->n] = (line_at){ here, lineno, NO_LINE };
		if (p->last[g] == NO_LINE)
			p->first[g] = p->n;
		else
			p->v[p->last[g]].next = p->n;
		p->last[g] = p->n;
		p->n++;
	}
	if (rc == 1 && ferror(in))
		rc = 0;
	free(line);
	clearerr(in);
	if (fseeko(in, start, SEEK_SET) < 0)
		rc = rc < 0 ? rc : carelog__fail(CARELOG_EIO, "cannot read the input again: %s", strerror(errno));
	return rc == 1 && p->interleaved ? 1 : rc;
}

typedef struct {
	FILE *in;
	size_t batch_size;
	line_plan *plan;
} grouped_input;

static int fill_grouped(size_t *written, carelog_batch *b, void *payload)
{
	grouped_input *gi = payload;
	line_plan *p = gi->plan;
	char *line = NULL;
	size_t cap = 0;
	/* the ids in the batch: a record met again goes into the next batch,
	 * so that its versions stay apart in the history as they were in the
	 * file's order, batches away (a batch keeps the last version of each) */
	json_t *ids = json_object();
	int rc = ids ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");

	for (size_t g = 0; g < p->np && rc == 0; g++) {
		for (size_t i = p->first[g]; i != NO_LINE && rc == 0; i = p->v[i].next) {
			json_t *rec;
			const char *pid;
			char what[48];
			if (fseeko(gi->in, p->v[i].off, SEEK_SET) < 0 || read_line(&line, &cap, gi->in, MAX_LINE) < 0) {
				rc = carelog__fail(CARELOG_EIO, "cannot read line %zu again", p->v[i].lineno);
				break;
			}
			snprintf(what, sizeof(what), "line %zu", p->v[i].lineno);
			if ((rec = carelog__json_parse_object(line, what)) == NULL) {
				rc = carelog__last_code();
				break;
			}
			if ((pid = json_string_value(json_object_get(rec, "patient"))) == NULL || strcmp(pid, p->ids[g]) != 0) {
				json_decref(rec);
				rc = carelog__fail(CARELOG_ERROR, "line %zu is not of the patient the scan found", p->v[i].lineno);
				break;
			}
			const char *id = json_string_value(json_object_get(rec, "id"));
			if (id && json_object_get(ids, id)) {
				size_t n = 0;
				if ((rc = carelog_batch_commit(&n, b)) < 0) {
					json_decref(rec);
					break;
				}
				*written += n;
				json_object_clear(ids);
			}
			if (id && json_object_set_new(ids, id, json_true()) < 0) {
				json_decref(rec);
				rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
				break;
			}
			if ((rc = carelog__batch_add(b, rec, NULL)) < 0) {
				carelog__fail_prefix("line %zu", p->v[i].lineno);
				break;
			}
			if (carelog_batch_count(b) >= gi->batch_size) {
				size_t n = 0;
				rc = carelog_batch_commit(&n, b);
				*written += n;
				json_object_clear(ids);
			}
		}
	}
	json_decref(ids);
	free(line);
	return rc;
}

/* A regular file, which can be read twice. */
static int rereadable(FILE *in)
{
	struct stat st;
	return fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) && ftello(in) >= 0;
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
		line_plan plan;
		off_t start = rereadable(in) ? ftello(in) : -1;
		rc = start >= 0 ? plan_lines(&plan, in) : 0;
		if (rc == 1) {
			grouped_input gi = { in, li.batch_size, &plan };
			rc = carelog__import_run(&count, s, fill_grouped, &gi);
			if (rc == 0)
				fseeko(in, 0, SEEK_END); /* read to its end, as the header says */
			if (rc < 0) { /* in the file's own order, for the first bad line */
				carelog_error_clear();
				count = 0;
				rc = fseeko(in, start, SEEK_SET) < 0
					? carelog__fail(CARELOG_EIO, "cannot read the input again: %s", strerror(errno)) : 0;
				if (rc == 0)
					rc = carelog__import_run(&count, s, fill_lines, &li);
			}
		} else if (rc == 0) {
			rc = carelog__import_run(&count, s, fill_lines, &li);
		}
		if (start >= 0)
			plan_free(&plan);
	}
	if (written)
		*written = count;
	return carelog__store_result(s, rc);
}
