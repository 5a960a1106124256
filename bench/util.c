/*
 * util.c - clocks, percentiles, a du-like walk, running programs and forked
 * children with their peak RSS.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_log(const char *fmt, ...)
{
	va_list ap;
	fputs("[bench] ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *bench_path(char *buf, const char *dir, const char *name)
{
	snprintf(buf, BENCH_PATH_MAX, "%s/%s", dir, name);
	return buf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double rank(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	return v[k > n ? n - 1 : k - 1];
}

void bench_percentiles(double *v, size_t n, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*p50 = rank(v, n, 0.50);
	*p99 = rank(v, n, 0.99);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef int (*walk_fn)(const char *path, const struct stat *st, void *ctx);

/* Calls fn for every entry under path (children before their directory),
 * then for path itself; symbolic links are not followed. */
static int walk(const char *path, walk_fn fn, void *ctx)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (d == NULL)
			return -1;
		while ((e = readdir(d)) != NULL) {
			char child[BENCH_PATH_MAX];
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
			if (walk(child, fn, ctx) < 0) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
	}
	return fn(path, &st, ctx);
}

typedef struct {
	unsigned long long alloc, apparent;
} usage;

static int add_usage(const char *path, const struct stat *st, void *ctx)
{
	usage *u = ctx;
	(void)path;
	u->alloc += (unsigned long long)st->st_blocks * 512ULL;
	u->apparent += (unsigned long long)st->st_size;
	return 0;
}

int bench_disk_usage(const char *path, unsigned long long *alloc, unsigned long long *apparent)
{
	usage u = { 0, 0 };
	int rc = walk(path, add_usage, &u);
	*alloc = u.alloc;
	*apparent = u.apparent;
	return rc;
}

static int remove_one(const char *path, const struct stat *st, void *ctx)
{
	(void)ctx;
	return S_ISDIR(st->st_mode) ? rmdir(path) : unlink(path);
}

int bench_remove_tree(const char *path)
{
	return walk(path, remove_one, NULL);
}

int bench_mkdirs(const char *path)
{
	char buf[BENCH_PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int bench_write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return close(fd);
}

static double rusage_mb(const struct rusage *ru)
{
	return (double)ru->ru_maxrss / 1024.0; /* Linux: kilobytes */
}

/* In the child: a clean git environment, stdout to /dev/null, then exec. */
static void exec_child(const char *cwd, char *const argv[])
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0)
		dup2(null, STDOUT_FILENO);
	if (cwd && chdir(cwd) < 0)
		_exit(126);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	execvp(argv[0], argv);
	fprintf(stderr, "[bench] cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int bench_run(const char *cwd, char *const argv[], double *maxrss_mb)
{
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0)
		exec_child(cwd, argv);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (maxrss_mb && rusage_mb(&ru) > *maxrss_mb)
		*maxrss_mb = rusage_mb(&ru);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static void child_main(int wfd, bench_child_fn fn, void *ctx, void *out, size_t outsz)
{
	int rc = fn(ctx, out);
	const char *p = out;
	size_t left = outsz;
	while (rc == 0 && left > 0) {
		ssize_t n = write(wfd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else {
			p += n;
			left -= (size_t)n;
		}
	}
	fflush(NULL);
	_exit(rc == 0 ? 0 : 1);
}

int bench_fork(bench_child_fn fn, void *ctx, void *out, size_t outsz, double *maxrss_mb)
{
	struct rusage ru;
	int fds[2], status, got;
	pid_t pid;

	fflush(NULL);
	if (pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(fds[1], fn, ctx, out, outsz);
	}
	close(fds[1]);
	got = outsz ? read_full(fds[0], out, outsz) : 0;
	close(fds[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (maxrss_mb)
		*maxrss_mb = rusage_mb(&ru);
	return got == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
