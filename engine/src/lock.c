/*
 * lock.c - the store's writer lock: flock(2) on <store>/lock. The kernel
 * drops it when the holder dies, so a crashed writer never leaves the store
 * locked; the file itself is never removed (removing it would let two
 * writers lock two different files).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "store_internal.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int carelog__flock_wait(int fd, int timeout_ms, int *waited)
{
	int step = 1;
	*waited = 0;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (timeout_ms < 0 || *waited >= timeout_ms) {
			errno = EWOULDBLOCK;
			return -1;
		}
		/* back off from 1 ms to 25 ms: short holders hand over quickly */
		sleep_ms(step);
		*waited += step;
		if (step < 25)
			step *= 2;
	}
}

int carelog__lock(carelog_store *s)
{
	int waited = 0;

	if (s->lock_depth > 0) {
		s->lock_depth++;
		return 0;
	}
	if (s->lock_fd < 0) {
		s->lock_fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->lock_fd < 0)
			return carelog__fail(CARELOG_EIO, "cannot open lock file %s: %s", s->lock_path, strerror(errno));
	}
	if (carelog__flock_wait(s->lock_fd, s->lock_timeout_ms, &waited) < 0) {
		if (errno != EWOULDBLOCK)
			return carelog__fail(CARELOG_EIO, "cannot lock %s: %s", s->lock_path, strerror(errno));
		return carelog__fail(CARELOG_ELOCKED,
			"store %s is busy: another writer held its lock for %d ms; try again", s->path, waited);
	}
	s->lock_depth = 1;
	s->lock_epoch++;
	return 0;
}

void carelog__unlock(carelog_store *s)
{
	if (s->lock_depth == 0)
		return;
	if (--s->lock_depth == 0)
		flock(s->lock_fd, LOCK_UN);
}
