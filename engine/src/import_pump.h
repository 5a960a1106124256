/*
 * import_pump.h - an import's lines read and parsed on a thread of their
 * own, handed over in order (import_pump.c).
 */
#ifndef CARELOG_IMPORT_PUMP_H
#define CARELOG_IMPORT_PUMP_H

#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#define CARELOG__IMPORT_MAX_LINE (1024 * 1024)

/* Reads one line of `in` (its newline included) into *buf, grown as needed
 * but never past max bytes and the terminating NUL: a line longer than max
 * is refused before it is read whole, so a file without newlines cannot
 * fill memory. Its length; -1 at the end of the input; -2 for a line longer
 * than max (the rest of it is left unread); -3 out of memory. */
ssize_t carelog__import_read_line(char **buf, size_t *cap, FILE *in, size_t max);
/* 1 if the line holds nothing but white space. */
int carelog__import_blank(const char *line);

/* Where the next line to read is, for a pump that does not read the input
 * in its own order: positions `in` at it, sets *lineno (its number in the
 * file) and *group (the caller's, handed back with the line). 1, 0 when
 * there is no line left, or -1 when `in` cannot be positioned. Runs on the
 * pump's thread. */
typedef int (*carelog__pump_seek)(void *arg, FILE *in, size_t *lineno, size_t *group);

typedef struct carelog__pump carelog__pump;

/* One line as the pump hands it over: the parsed object (the caller's to
 * json_decref), its line number and group. */
typedef struct {
	json_t *rec;
	size_t lineno;
	size_t group;
} carelog__pump_item;

/*
 * Starts a thread that reads `in` line by line from where it is (seek
 * NULL; blank lines skipped, numbered from 1) or at the places `seek`
 * gives, parses each line as a JSON object and queues it; the caller owns
 * `in` again only once the pump is stopped. 0, or a carelog error (no
 * thread: read the input yourself).
 */
int carelog__pump_start(carelog__pump **out, FILE *in, carelog__pump_seek seek, void *seek_arg);
/* The next line: 1 and *item; 0 at the end of the input (every line read);
 * or why the input cannot be read on (a read failure, a line too long, a
 * line that is not a JSON object) as a carelog error of the calling thread,
 * after which nothing more comes. */
int carelog__pump_next(carelog__pump *p, carelog__pump_item *item);
/* Stops the thread (at once if lines are still to come), frees what is
 * queued and the pump. NULL does nothing. */
void carelog__pump_stop(carelog__pump *p);

#endif
