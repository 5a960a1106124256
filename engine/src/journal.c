/*
 * journal.c - a chart's write-ahead journal, <chart>.git/carelog-journal
 * (see journal.h for what it is for).
 *
 * Why a file of our own: git has no way to make a commit durable with one
 * flush. A pack needs its index, both new files, then their directory, then
 * the ref (a new lock file renamed over the old one) and its directory:
 * five fsyncs, each a journal commit of the file system. Appending to one
 * file that already exists and fdatasyncing it is one (as SQLite's WAL
 * does). The journal holds only what git will hold once it is folded, as
 * plain git objects, so nothing here is a second record format.
 *
 * Format, integers little-endian:
 *   header (16 bytes): "CLJ1", u32 version (1), u64 generation
 *   entry:  u32 magic "CLJE", u32 length of the whole entry, u64 generation,
 *           20-byte base (the head the write started from), 20-byte head
 *           (its commit), u32 object count, then per object u8 type,
 *           u32 size and its bytes; last, u32 CRC-32 of everything before.
 * Entries chain: each starts from the head the previous one made. An entry
 * counts only with the header's generation, a good CRC, and objects whose
 * hashes include its head; loading stops at the first that does not (a
 * torn append, never acknowledged). Emptying the journal writes a new
 * generation before truncating, so an old entry never counts again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <zlib.h>

#include "error.h"
#include "chart.h"
#include "journal.h"

#define HEADER_SIZE 16
#define ENTRY_FIXED 60 /* magic, length, generation, base, head, count */
#define OBJECT_FIXED 5 /* type, size */
#define JOURNAL_NAME "carelog-journal"

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc(const unsigned char *p, size_t n)
{
	uLong v = crc32(0L, Z_NULL, 0);
	while (n > 0) {
		uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
		v = crc32(v, p, step);
		p += step;
		n -= step;
	}
	return (uint32_t)v;
}

static int io_fail(const carelog__chart *c, const char *what)
{
	return carelog__fail(CARELOG_EIO, "cannot %s the journal of chart %s: %s", what, c->patient, strerror(errno));
}

/* Forgets the loaded entries (not the file). */
static void unload(carelog__chart *c)
{
	c->jcount = c->jbytes = 0;
	c->jobjs.n = 0;
	c->jend = HEADER_SIZE;
	if (c->jpack)
		git_mempack_reset(c->jpack);
}

static int open_file(carelog__chart *c, int create)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/" JOURNAL_NAME, c->dir);
	c->jfd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
	if (c->jfd < 0 && errno == EACCES && !create)
		c->jfd = open(path, O_RDONLY | O_CLOEXEC); /* a reader without write access */
	if (c->jfd >= 0)
		return 1;
	if (errno == ENOENT && !create)
		return 0;
	return io_fail(c, create ? "create" : "open");
}

static int pread_all(int fd, unsigned char *buf, size_t n, uint64_t at)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(at + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int pwrite_all(int fd, const unsigned char *buf, size_t n, uint64_t at)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, buf + done, n - done, (off_t)(at + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* Checks one entry at p (n bytes available) and loads its objects; its
 * length, or 0 if it does not count (torn, damaged, another generation, not
 * chained to the previous one). */
static size_t load_entry(carelog__chart *c, const unsigned char *p, size_t n)
{
	git_oid base, head, id;
	size_t len, at, first = c->jobjs.n;
	uint32_t count;
	int found = 0;

	if (n < ENTRY_FIXED + 4 || memcmp(p, "CLJE", 4) != 0)
		return 0;
	len = get32(p + 4);
	if (len < ENTRY_FIXED + 4 || len > n || get64(p + 8) != c->jgen || get32(p + len - 4) != crc(p, len - 4))
		return 0;
	git_oid_fromraw(&base, p + 16);
	git_oid_fromraw(&head, p + 36);
	if (c->jcount && !git_oid_equal(&base, &c->jhead))
		return 0;
	count = get32(p + 56);
	at = ENTRY_FIXED;
	for (uint32_t i = 0; i < count; i++) {
		git_object_t type;
		size_t size;
		if (at + OBJECT_FIXED > len - 4)
			goto bad;
		type = (git_object_t)p[at];
		size = get32(p + at + 1);
		at += OBJECT_FIXED;
		if (size > len - 4 - at || (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_TREE && type != GIT_OBJECT_COMMIT) ||
		    git_odb_hash(&id, p + at, size, type) < 0 ||
		    c->jpack->write(c->jpack, &id, p + at, size, type) < 0 || carelog__oids_add(&c->jobjs, &id) < 0)
			goto bad;
		found |= type == GIT_OBJECT_COMMIT && git_oid_equal(&id, &head);
		at += size;
	}
	if (!found || at != len - 4)
		goto bad;
	if (c->jcount++ == 0)
		c->jbase = base;
	c->jhead = head;
	c->jbytes += len;
	return len;
bad:
	c->jobjs.n = first;
	return 0;
}

/* carelog__journal_refresh's reading: what the file holds beyond what this
 * handle loaded. */
static int journal_read(carelog__chart *c)
{
	unsigned char hdr[HEADER_SIZE], *buf;
	struct stat st;
	size_t n, at = 0;
	int rc;

	if (c->jfd < 0 && (rc = open_file(c, 0)) <= 0)
		return rc;
	if (fstat(c->jfd, &st) < 0)
		return io_fail(c, "read");
	c->jsize = (uint64_t)st.st_size;
	if (c->jsize < HEADER_SIZE || pread_all(c->jfd, hdr, HEADER_SIZE, 0) < 0 || memcmp(hdr, "CLJ1", 4) != 0) {
		unload(c); /* being created, or not a journal: nothing counts */
		c->jgen = 0;
		return 0;
	}
	if (get64(hdr + 8) != c->jgen) {
		unload(c); /* emptied (folded) by someone else since */
		c->jgen = get64(hdr + 8);
	}
	if (c->jsize <= c->jend)
		return 0;
	n = (size_t)(c->jsize - c->jend);
	if ((buf = malloc(n)) == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (pread_all(c->jfd, buf, n, c->jend) < 0) {
		free(buf);
		return io_fail(c, "read");
	}
	for (size_t len; at < n && (len = load_entry(c, buf + at, n - at)) > 0; at += len)
		;
	c->jend += at;
	free(buf);
	return 0;
}

int carelog__journal_refresh(carelog__chart *c)
{
	carelog_store *s = c->store;
	int rc;

	/* Only a holder of the store lock appends to or empties the journal:
	 * a handle that holds it and has read the journal since taking it has
	 * read all of it (a single write asked five times: catch-up, checks,
	 * head, the write itself). */
	if (s && s->lock_depth > 0 && c->jepoch == s->lock_epoch)
		return 0;
	if ((rc = journal_read(c)) == 0 && s && s->lock_depth > 0)
		c->jepoch = s->lock_epoch;
	return rc;
}

int carelog__journal_head(git_oid *head, git_oid *base, const carelog__chart *c)
{
	if (c->jcount == 0)
		return 0;
	*head = c->jhead;
	*base = c->jbase;
	return 1;
}

const carelog__oids *carelog__journal_objects(const carelog__chart *c)
{
	return &c->jobjs;
}

int carelog__journal_full(const carelog__chart *c)
{
	return c->jcount >= CARELOG__JOURNAL_FOLD_ENTRIES || c->jbytes >= CARELOG__JOURNAL_FOLD_BYTES;
}

static int write_header(carelog__chart *c, uint64_t gen)
{
	unsigned char hdr[HEADER_SIZE];
	memcpy(hdr, "CLJ1", 4);
	put32(hdr + 4, 1);
	put64(hdr + 8, gen);
	return pwrite_all(c->jfd, hdr, HEADER_SIZE, 0);
}

/* Makes sure the journal file exists with the generation loaded: a new
 * one has its header durable, and its name in the chart directory, before
 * any entry in it is acknowledged. */
static int create_file(carelog__chart *c)
{
	unsigned char hdr[HEADER_SIZE];
	struct stat st;
	int rc;
	if (c->jfd < 0 && (rc = open_file(c, 1)) < 0)
		return rc;
	if (fstat(c->jfd, &st) < 0)
		return io_fail(c, "create");
	if (st.st_size >= HEADER_SIZE && pread_all(c->jfd, hdr, HEADER_SIZE, 0) == 0 && memcmp(hdr, "CLJ1", 4) == 0) {
		if (get64(hdr + 8) == c->jgen)
			return 0;
		/* emptied since the caller looked: its head is no longer current */
		return carelog__fail(CARELOG_EMOVED, "chart %s moved on during the write", c->patient);
	}
	/* none yet, or one whose creation was cut short */
	if (ftruncate(c->jfd, 0) < 0 || write_header(c, c->jgen + 1) < 0 || fdatasync(c->jfd) < 0)
		return io_fail(c, "create");
	if ((rc = carelog__fsync_dir(c->dir)) < 0)
		return rc;
	unload(c);
	c->jgen++;
	c->jsize = HEADER_SIZE;
	return 0;
}

int carelog__journal_append(carelog__chart *c, const git_oid *base, const git_oid *head, const carelog__oids *objs)
{
	git_odb_object **o = calloc(objs->n ? objs->n : 1, sizeof(*o));
	unsigned char *e = NULL;
	size_t len = ENTRY_FIXED + 4, at;
	int rc = 0, reloaded = 0;

	if (o == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t i = 0; i < objs->n && rc == 0; i++) {
		if ((rc = git_odb_read(&o[i], c->odb, &objs->ids[i])) < 0)
			rc = carelog__git_fail(rc, "cannot read a new object");
		else
			len += OBJECT_FIXED + git_odb_object_size(o[i]);
	}
	if (rc == 0 && len > UINT32_MAX)
		rc = carelog__fail(CARELOG_EINVALID, "one write of more than 4 GiB");
	if (rc == 0 && (e = malloc(len)) == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	if (rc == 0 && (rc = create_file(c)) == 0) {
		memcpy(e, "CLJE", 4);
		put32(e + 4, (uint32_t)len);
		put64(e + 8, c->jgen);
		memcpy(e + 16, base->id, GIT_OID_RAWSZ);
		memcpy(e + 36, head->id, GIT_OID_RAWSZ);
		put32(e + 56, (uint32_t)objs->n);
		at = ENTRY_FIXED;
		for (size_t i = 0; i < objs->n; i++) {
			size_t size = git_odb_object_size(o[i]);
			e[at] = (unsigned char)git_odb_object_type(o[i]);
			put32(e + at + 1, (uint32_t)size);
			memcpy(e + at + OBJECT_FIXED, git_odb_object_data(o[i]), size);
			at += OBJECT_FIXED + size;
		}
		put32(e + at, crc(e, at));
		/* a torn entry left by a writer that died goes first */
		if ((c->jsize > c->jend && ftruncate(c->jfd, (off_t)c->jend) < 0) ||
		    pwrite_all(c->jfd, e, len, c->jend) < 0 || fdatasync(c->jfd) < 0) {
			rc = io_fail(c, "write");
			/* never leave a write we report as failed where a reader finds it */
			if (ftruncate(c->jfd, (off_t)c->jend) == 0)
				c->jsize = c->jend;
		}
	}
	/* acknowledged: its objects join the journal's backend */
	for (size_t i = 0; i < objs->n && rc == 0 && !reloaded; i++) {
		const git_oid *id = git_odb_object_id(o[i]);
		if (c->jpack->write(c->jpack, id, git_odb_object_data(o[i]), git_odb_object_size(o[i]),
			git_odb_object_type(o[i])) < 0 || carelog__oids_add(&c->jobjs, id) < 0) {
			/* durable, but not loaded: load it all again from the file */
			carelog__journal_forget(c);
			rc = carelog__journal_refresh(c);
			reloaded = 1;
		}
	}
	if (rc == 0 && !reloaded) {
		if (c->jcount++ == 0)
			c->jbase = *base;
		c->jhead = *head;
		c->jbytes += len;
		c->jend += len;
		c->jsize = c->jend;
	}
	if (rc == 0)
		c->jmine = 1;
	for (size_t i = 0; i < objs->n; i++)
		git_odb_object_free(o[i]);
	free(o);
	free(e);
	return rc;
}

int carelog__journal_clear(carelog__chart *c)
{
	if (c->jfd < 0)
		return 0;
	/* the new generation first: the old entries stop counting at once */
	if (write_header(c, c->jgen + 1) < 0 || ftruncate(c->jfd, HEADER_SIZE) < 0 || fdatasync(c->jfd) < 0)
		return io_fail(c, "empty");
	unload(c);
	c->jgen++;
	c->jsize = HEADER_SIZE;
	c->jmine = 0;
	return 0;
}

void carelog__journal_forget(carelog__chart *c)
{
	unload(c);
	c->jgen = 0;
	c->jepoch = 0; /* read it again, whole */
}

void carelog__journal_close(carelog__chart *c)
{
	if (c->jfd >= 0)
		close(c->jfd);
	c->jfd = -1;
	free(c->jobjs.ids);
	c->jobjs.ids = NULL;
	c->jobjs.n = c->jobjs.cap = 0;
}
