/*
 * store.c - creating, opening and closing a store; this device's identity
 * (device.json, outside the derived index); errors copied into the handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "chart.h"
#include "error.h"
#include "index.h"
#include "store_internal.h"

#define DEFAULT_LOCK_TIMEOUT_MS 10000

char *carelog__strdupf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *out;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (out = malloc((size_t)n + 1)) == NULL) {
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return out;
}

int carelog__store_result(carelog_store *s, int rc)
{
	if (rc < 0 && s != NULL) {
		const carelog_error *e = carelog_error_last();
		s->errcode = rc;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", e->message);
	}
	return rc;
}

int carelog__git_fail(int git_rc, const char *what)
{
	const git_error *e = git_error_last();
	int code = CARELOG_ERROR;
	if (git_rc == GIT_ENOTFOUND)
		code = CARELOG_ENOTFOUND;
	else if (git_rc == GIT_ELOCKED)
		code = CARELOG_ELOCKED;
	else if (git_rc == GIT_EMODIFIED)
		code = CARELOG_EMOVED;
	else if (e && e->klass == GIT_ERROR_OS)
		code = CARELOG_EIO;
	return carelog__fail(code, "%s: %s", what, e && e->message ? e->message : "git error");
}

int carelog__sql_fail(sqlite3 *db, const char *what)
{
	int ext = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
	int code = (ext & 0xff) == SQLITE_IOERR || (ext & 0xff) == SQLITE_FULL ? CARELOG_EIO
		: (ext & 0xff) == SQLITE_CORRUPT || (ext & 0xff) == SQLITE_NOTADB ? CARELOG_ECORRUPT
		: (ext & 0xff) == SQLITE_BUSY ? CARELOG_ELOCKED : CARELOG_ERROR;
	return carelog__fail(code, "index %s: %s", what, db ? sqlite3_errmsg(db) : "cannot open");
}

int carelog__fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return carelog__fail(CARELOG_EIO, "cannot open directory %s: %s", dir, strerror(errno));
	if (fsync(fd) < 0) {
		int e = errno;
		close(fd);
		return carelog__fail(CARELOG_EIO, "cannot sync directory %s: %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

int carelog__write_fd_synced(int fd, const void *data, size_t len, const char *name)
{
	const char *p = data;
	int err = 0;

	while (len > 0 && err == 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (err == 0 && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && err == 0)
		err = errno;
	return err ? carelog__fail(CARELOG_EIO, "cannot write %s: %s", name, strerror(err)) : 0;
}

int carelog__write_file_durable(const char *path, const char *data, size_t len)
{
	char *tmp = carelog__strdupf("%s.tmp.%ld", path, (long)getpid());
	char *dir, *slash;
	int fd, rc = 0;

	if (tmp == NULL)
		return CARELOG_ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = carelog__write_fd_synced(fd, data, len, tmp)) < 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	dir = strdup(path);
	if (dir == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0'; /* "/file": the directory is "/" */
	rc = carelog__fsync_dir(slash ? dir : ".");
	free(dir);
out:
	free(tmp);
	return rc;
}

/* libgit2 is initialised once per open store (it reference-counts), and the
 * fsync switch it needs for durable writes is process-wide (see store.h).
 * So is its object cache. It keeps trees of up to 4 KiB by default; a
 * month's tree of records is larger, and libgit2's push (its packbuilder's
 * walk) reads every subtree of the kinds it touches once per new commit.
 * Measured with 200 single-record commits to push on a 20,000-record chart,
 * the push took 2.01 s with the default and 0.46 s with trees of up to
 * 1 MiB cached; the clone of a 100,000-record chart peaked at 57 MB with the
 * default and 60 MB with it (both under the 64 MB target). */
#define TREE_CACHE_LIMIT ((size_t)1 << 20)

/* libgit2 maps pack files in windows of 1 GiB and keeps up to 8 GiB mapped
 * (64-bit defaults), and every page a walk touches stays resident: an
 * incremental sync of a 100,000-record chart (the sync bench: push, fetch,
 * merge) peaked at 68 MB RSS, 39 MB of it heap. With 4 MiB windows and at
 * most 16 MiB mapped it peaked at 59.8 MB (three runs against two, same
 * time: 7.94 / 8.48 s against 8.67 s), and a first sync of the chart took
 * as long (6.65 / 9.97 s against 8.47 / 8.01 s, a noisy machine). */
#define PACK_WINDOW_SIZE ((size_t)4 << 20)
#define PACK_MAPPED_LIMIT ((size_t)16 << 20)

static int git_up(void)
{
	if (git_libgit2_init() < 0)
		return carelog__git_fail(-1, "cannot initialise libgit2");
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, TREE_CACHE_LIMIT);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, PACK_WINDOW_SIZE);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, PACK_MAPPED_LIMIT);
	return 0;
}

static carelog_store *store_alloc(const char *path, const carelog_open_options *opts)
{
	carelog_store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		return NULL;
	}
	s->lock_fd = -1;
	s->lock_timeout_ms = opts && opts->lock_timeout_ms ? opts->lock_timeout_ms : DEFAULT_LOCK_TIMEOUT_MS;
	s->path = strdup(path);
	s->db_path = carelog__strdupf("%s/carelog.db", path);
	s->charts_dir = carelog__strdupf("%s/charts", path);
	s->lock_path = carelog__strdupf("%s/lock", path);
	if (!s->path || !s->db_path || !s->charts_dir || !s->lock_path) {
		carelog__fail(CARELOG_ENOMEM, "out of memory");
		free(s->path);
		free(s->db_path);
		free(s->charts_dir);
		free(s->lock_path);
		free(s);
		return NULL;
	}
	return s;
}

static int check_version(const void *opts, unsigned int version, unsigned int expected, const char *what)
{
	if (opts != NULL && version != expected)
		return carelog__fail(CARELOG_EINVALID, "%s version %u is not supported (expected %u)",
			what, version, expected);
	return 0;
}

static int read_device(carelog_store *s)
{
	char *p = carelog__strdupf("%s/device.json", s->path);
	json_error_t jerr;
	json_t *dev;
	const char *device = NULL, *name = NULL, *author = NULL, *role = NULL;
	int rc = 0;

	if (p == NULL)
		return CARELOG_ENOMEM;
	dev = json_load_file(p, JSON_REJECT_DUPLICATES, &jerr);
	if (dev == NULL) {
		struct stat st;
		rc = stat(p, &st) < 0 && errno == ENOENT
			? carelog__fail(CARELOG_ENOTFOUND, "%s is not a carelog store (no device.json; create one with carelog init)", s->path)
			: carelog__fail(CARELOG_ECORRUPT, "%s is unreadable: %s", p, jerr.text);
		free(p);
		return rc;
	}
	if (json_unpack(dev, "{s:s, s:s, s:s, s:s}", "device", &device, "name", &name,
			"author", &author, "role", &role) < 0 || strlen(device) > CARELOG__DEVICE_MAX || strlen(role) >= sizeof(s->role)) {
		rc = carelog__fail(CARELOG_ECORRUPT, "%s lacks device, name, author or role", p);
	} else {
		snprintf(s->device, sizeof(s->device), "%s", device);
		snprintf(s->role, sizeof(s->role), "%s", role);
		s->device_name = strdup(name);
		s->author = strdup(author);
		if (json_is_string(json_object_get(dev, "hook_program")))
			s->hook_program = strdup(json_string_value(json_object_get(dev, "hook_program")));
		if (!s->device_name || !s->author)
			rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	json_decref(dev);
	free(p);
	return rc;
}

int carelog_store_open(carelog_store **out, const char *path, const carelog_open_options *opts)
{
	carelog_store *s;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return carelog__fail(CARELOG_EINVALID, "no store directory given");
	if ((rc = check_version(opts, opts ? opts->version : 0, CARELOG_OPEN_OPTIONS_VERSION, "carelog_open_options")) < 0)
		return rc;
	if ((rc = git_up()) < 0)
		return rc;
	if ((s = store_alloc(path, opts)) == NULL) {
		git_libgit2_shutdown();
		return CARELOG_ENOMEM;
	}
	if ((rc = read_device(s)) < 0 || (rc = carelog__index_open(s)) < 0) {
		carelog_store_free(s);
		return rc;
	}
	if (s->hook_program)
		carelog__store_hooks(s); /* charts a device pushed into place get theirs */
	*out = s;
	return 0;
}

/* A device id: the name reduced to [a-z0-9-], then 12 random hex digits,
 * so that two phones both called "phone" never tie. */
static int make_device_id(char out[CARELOG__DEVICE_MAX + 1], const char *name)
{
	unsigned char r[6];
	size_t n = 0;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return carelog__fail(CARELOG_EIO, "no randomness from the system for a device id");
	for (const char *p = name; *p && n < 60; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
			out[n++] = c;
		else if (n > 0 && out[n - 1] != '-')
			out[n++] = '-';
	}
	if (n == 0)
		memcpy(out, "device", (n = 6));
	snprintf(out + n, CARELOG__DEVICE_MAX + 1 - n, "-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
	return 0;
}

static int validate_init(const carelog_init_options *o, const char **name, const char **author, const char **role)
{
	*name = o && o->device_name ? o->device_name : "device";
	*author = o && o->author ? o->author : getenv("USER") ? getenv("USER") : "unknown";
	*role = o && o->role ? o->role : "caregiver";
	if (strcmp(*role, "caregiver") && strcmp(*role, "clinician") && strcmp(*role, "clinic"))
		return carelog__fail(CARELOG_EINVALID, "role '%.40s' is not one of caregiver, clinician, clinic", *role);
	if (**name == '\0' || strlen(*name) > 60)
		return carelog__fail(CARELOG_EINVALID, "device name must be 1-60 characters");
	if (**author == '\0' || strlen(*author) > 200)
		return carelog__fail(CARELOG_EINVALID, "author must be 1-200 characters");
	return 0;
}

/* mkdir -p: the default store ($XDG_DATA_HOME/carelog) may be the first
 * thing in a fresh account's ~/.local/share. */
static int make_dirs(const char *path)
{
	char *p = strdup(path);
	int rc = 0;
	if (p == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (char *slash = strchr(p + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rc = carelog__fail(CARELOG_EIO, "cannot create store directory %s: %s", p, strerror(errno));
			break;
		}
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(p);
	return rc;
}

int carelog_store_init(carelog_store **out, const char *path, const carelog_init_options *opts)
{
	static const char *const markers[] = { "device.json", "carelog.db", "charts" };
	const char *name, *author, *role;
	char device[CARELOG__DEVICE_MAX + 1], *p = NULL, *text = NULL;
	json_t *dev = NULL;
	int rc;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return carelog__fail(CARELOG_EINVALID, "no store directory given");
	if ((rc = check_version(opts, opts ? opts->version : 0, CARELOG_INIT_OPTIONS_VERSION, "carelog_init_options")) < 0 ||
	    (rc = validate_init(opts, &name, &author, &role)) < 0)
		return rc;
	if ((rc = make_dirs(path)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		struct stat st;
		if ((p = carelog__strdupf("%s/%s", path, markers[i])) == NULL)
			return CARELOG_ENOMEM;
		rc = stat(p, &st);
		free(p);
		if (rc == 0)
			return carelog__fail(CARELOG_EEXISTS, "%s already holds a carelog store (found %s); nothing changed",
				path, markers[i]);
	}
	if ((rc = make_device_id(device, name)) < 0)
		return rc;
	p = carelog__strdupf("%s/charts", path);
	if (p == NULL)
		return CARELOG_ENOMEM;
	if (mkdir(p, 0700) < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot create %s: %s", p, strerror(errno));
		free(p);
		return rc;
	}
	free(p);
	dev = json_pack("{s:s, s:s, s:s, s:s, s:i}", "device", device, "name", name, "author", author,
		"role", role, "format", 1);
	text = dev ? json_dumps(dev, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	p = carelog__strdupf("%s/device.json", path);
	if (text == NULL || p == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	else
		rc = carelog__write_file_durable(p, text, strlen(text));
	free(p);
	free(text);
	json_decref(dev);
	if (rc == 0)
		rc = carelog__fsync_dir(path);
	if (rc < 0)
		return rc;
	return carelog_store_open(out, path, NULL);
}

void carelog_store_free(carelog_store *s)
{
	if (s == NULL)
		return;
	carelog__charts_close(s);
	carelog__index_close(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s->db_path);
	free(s->charts_dir);
	free(s->lock_path);
	free(s->device_name);
	free(s->author);
	free(s->hook_program);
	free(s);
	git_libgit2_shutdown();
}

const char *carelog_store_errmsg(const carelog_store *s)
{
	return s ? s->errmsg : "";
}

int carelog_store_errcode(const carelog_store *s)
{
	return s ? s->errcode : 0;
}

const char *carelog_store_device(const carelog_store *s)
{
	return s->device;
}

const char *carelog_store_author(const carelog_store *s)
{
	return s->author;
}

const char *carelog_store_role(const carelog_store *s)
{
	return s->role;
}

const char *carelog_store_path(const carelog_store *s)
{
	return s->path;
}
