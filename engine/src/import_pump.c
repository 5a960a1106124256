/*
 * import_pump.c - an import's lines read and parsed on a thread of their
 * own, handed over in order through a bounded queue.
 *
 * Why: once an import's packs were no longer the slower half (pack_write.c),
 * the import's own thread set its pace, and a sixth of that thread was
 * reading and parsing lines (perf, 100,000 records). Parsing needs nothing
 * of the store, so it runs ahead here while the import checks, stages and
 * indexes the lines before. Everything else an import does stays on the
 * caller's thread, in line order: the first bad line is still the one an
 * error names, and nothing else changes.
 *
 * Sharing: the thread uses `in` (only it, until the pump is stopped) and
 * jansson objects of its own making, handed over whole; jansson's hash
 * seed is set before the thread starts. Errors: the thread keeps its
 * reason as text and stops; the caller raises it as its own error when it
 * reaches that point of the input.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "import_pump.h"
#include "json_canon.h"

/* Lines parsed ahead at most (a line is at most 1 MiB; these are records of
 * a few hundred bytes). */
#define PUMP_QUEUE 256

struct carelog__pump {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t changed;
	carelog__pump_item q[PUMP_QUEUE];
	size_t head, count;  /* q[head] is next; count queued */
	int ended;           /* the thread queued its last line */
	int stop;            /* the caller wants the thread gone */
	int code;            /* why the input ended, if it failed... */
	char msg[1024];      /* ...in words */
	FILE *in;
	carelog__pump_seek seek;
	void *seek_arg;
};

int carelog__import_blank(const char *line)
{
	for (; *line; line++)
		if (*line != ' ' && *line != '\t' && *line != '\r' && *line != '\n')
			return 0;
	return 1;
}

ssize_t carelog__import_read_line(char **buf, size_t *cap, FILE *in, size_t max)
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

/* Queues a line, waiting for room; 0, or -1 when the caller stopped. */
static int put(carelog__pump *p, json_t *rec, size_t lineno, size_t group)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == PUMP_QUEUE && !p->stop)
		pthread_cond_wait(&p->changed, &p->mu);
	if (p->stop) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	carelog__pump_item *it = &p->q[(p->head + p->count) % PUMP_QUEUE];
	it->rec = rec;
	it->lineno = lineno;
	it->group = group;
	p->count++;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* The input ends here, for `code` (0: at its end) said in msg. */
static void end(carelog__pump *p, int code, const char *fmt, ...) CARELOG__PRINTF(3, 4);
static void end(carelog__pump *p, int code, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&p->mu);
	p->code = code;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
		va_end(ap);
	}
	p->ended = 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->mu);
}

static void *run(void *arg)
{
	carelog__pump *p = arg;
	char *line = NULL;
	size_t cap = 0, lineno = 0, group = 0;

	for (;;) {
		ssize_t len;
		json_t *rec;
		char what[48];
		if (p->seek) {
			int r = p->seek(p->seek_arg, p->in, &lineno, &group);
			if (r == 0)
				break;
			if (r < 0) {
				end(p, CARELOG_EIO, "cannot read line %zu again: %s", lineno, strerror(errno));
				goto out;
			}
		} else {
			lineno++;
		}
		len = carelog__import_read_line(&line, &cap, p->in, CARELOG__IMPORT_MAX_LINE);
		if (len == -1 && !p->seek)
			break;
		if (len == -1) {
			end(p, CARELOG_EIO, "cannot read line %zu again", lineno);
			goto out;
		}
		if (len == -3) {
			end(p, CARELOG_ENOMEM, "out of memory reading line %zu", lineno);
			goto out;
		}
		if (len == -2) {
			end(p, CARELOG_EINVALID, "line %zu is longer than %d bytes", lineno, CARELOG__IMPORT_MAX_LINE);
			goto out;
		}
		if (carelog__import_blank(line))
			continue;
		snprintf(what, sizeof(what), "line %zu", lineno);
		if ((rec = carelog__json_parse_object(line, what)) == NULL) {
			end(p, carelog__last_code(), "%s", carelog_error_last()->message);
			carelog_error_clear();
			goto out;
		}
		if (put(p, rec, lineno, group) < 0) {
			json_decref(rec);
			goto out;
		}
	}
	if (!p->seek && ferror(p->in))
		end(p, CARELOG_EIO, "cannot read the input: %s", strerror(errno));
	else
		end(p, 0, NULL);
out:
	free(line);
	return NULL;
}

int carelog__pump_start(carelog__pump **out, FILE *in, carelog__pump_seek seek, void *seek_arg)
{
	carelog__pump *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (p == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	p->in = in;
	p->seek = seek;
	p->seek_arg = seek_arg;
	/* jansson picks its hash seed on first use; here, before two threads
	 * use it */
	json_object_seed(0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->changed, NULL);
	if ((rc = pthread_create(&p->thread, NULL, run, p)) != 0) {
		pthread_cond_destroy(&p->changed);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return carelog__fail(CARELOG_ERROR, "cannot start a thread to read the input: %s", strerror(rc));
	}
	*out = p;
	return 0;
}

int carelog__pump_next(carelog__pump *p, carelog__pump_item *item)
{
	int rc;
	pthread_mutex_lock(&p->mu);
	while (p->count == 0 && !p->ended)
		pthread_cond_wait(&p->changed, &p->mu);
	if (p->count > 0) {
		*item = p->q[p->head];
		p->head = (p->head + 1) % PUMP_QUEUE;
		p->count--;
		pthread_cond_broadcast(&p->changed);
		rc = 1;
	} else {
		rc = p->code < 0 ? carelog__fail(p->code, "%s", p->msg) : 0;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void carelog__pump_stop(carelog__pump *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	for (; p->count > 0; p->count--, p->head = (p->head + 1) % PUMP_QUEUE)
		json_decref(p->q[p->head].rec);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
