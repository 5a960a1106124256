/*
 * bundle.c - carelog_bundle_create: a chart's history (all of it, or what a
 * remote has not seen) as a file in git's bundle format v2, for charts that
 * travel on a USB stick or by mail instead of over a network.
 *
 * libgit2 has no bundle support. The format is small: a header of text
 * lines, written here,
 *
 *     # v2 git bundle
 *     -<oid> <comment>          one per prerequisite: a commit the receiver
 *                               must already have (only with --since)
 *     <oid> HEAD                so that `git clone FILE` checks main out
 *     <oid> refs/heads/main
 *     (an empty line)
 *
 * followed by a pack, which comes from libgit2's packbuilder (and is read
 * back by libgit2's indexer, bundle_apply.c). `git bundle verify FILE` and
 * `git clone FILE` accept what this writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carelog/sync.h"
#include "error.h"
#include "sync_internal.h"

/* The header: signature, the prerequisite (the remote's last known main,
 * its summary as the comment, as git writes it), the tip as HEAD and main. */
static int header_text(char *out, size_t outsz, git_repository *repo, const git_oid *tip, const git_oid *base)
{
	char tip_hex[GIT_OID_HEXSZ + 1], base_line[GIT_OID_HEXSZ + 120] = "";
	size_t n;

	git_oid_tostr(tip_hex, sizeof(tip_hex), tip);
	if (base) {
		git_commit *commit = NULL;
		const char *summary = NULL;
		char comment[100] = "";
		if (git_commit_lookup(&commit, repo, base) == 0 && (summary = git_commit_summary(commit)) != NULL)
			snprintf(comment, sizeof(comment), "%s", summary);
		git_commit_free(commit);
		git_error_clear();
		for (char *c = comment; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		snprintf(base_line, sizeof(base_line), "-%s %s\n", git_oid_tostr_s(base), comment);
	}
	n = (size_t)snprintf(out, outsz, CARELOG__BUNDLE_SIGNATURE "\n%s%s HEAD\n%s " CARELOG__REF "\n\n", base_line,
		tip_hex, tip_hex);
	return n < outsz ? 0 : carelog__fail(CARELOG_ERROR, "bundle header too long");
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

typedef struct {
	int fd;
	int err; /* errno of a failed write */
} pack_out;

static int pack_chunk_cb(void *buf, size_t size, void *payload)
{
	pack_out *o = payload;
	if (write_all(o->fd, buf, size) < 0) {
		o->err = errno;
		return -1;
	}
	return 0;
}

/* The folder that holds `file`, for the fsync that makes its name durable. */
static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	if (slash == NULL)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	return strndup(file, (size_t)(slash - file));
}

/* Writes the header and the pack to `file` atomically and durably: a temp
 * file beside it, fsynced, renamed over it, the folder fsynced. */
static int write_bundle(const char *file, const char *header, git_packbuilder *pb)
{
	char *tmp = carelog__strdupf("%s.tmp.%ld", file, (long)getpid()), *dir = NULL;
	pack_out o = { -1, 0 };
	int rc = 0;

	if (tmp == NULL)
		return CARELOG_ENOMEM;
	if ((o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(o.fd, header, strlen(header)) < 0)
		o.err = errno;
	else if (git_packbuilder_foreach(pb, pack_chunk_cb, &o) < 0 && o.err == 0)
		rc = carelog__git_fail(-1, "cannot build the bundle's pack");
	if (rc == 0 && o.err == 0 && fsync(o.fd) < 0)
		o.err = errno;
	if (close(o.fd) < 0 && rc == 0 && o.err == 0)
		o.err = errno;
	if (rc == 0 && o.err != 0)
		rc = carelog__fail(CARELOG_EIO, "cannot write %s: %s", tmp, strerror(o.err));
	if (rc == 0 && rename(tmp, file) < 0)
		rc = carelog__fail(CARELOG_EIO, "cannot rename %s to %s: %s", tmp, file, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		goto out;
	}
	if ((dir = dir_of(file)) == NULL)
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
	else
		rc = carelog__fsync_dir(dir);
out:
	free(dir);
	free(tmp);
	return rc;
}

/* The commit the remote's main was at when the chart last synced with it. */
static int remote_base(git_oid *base, carelog_store *s, carelog__chart *c, const char *remote)
{
	char *url = NULL, ref[128];
	int rc = carelog__remote_url(&url, s, remote); /* also: the name is a valid one */

	free(url);
	if (rc < 0)
		return rc;
	snprintf(ref, sizeof(ref), "refs/remotes/%s/main", remote);
	rc = git_reference_name_to_id(base, c->repo, ref);
	if (rc == GIT_ENOTFOUND)
		return carelog__fail(CARELOG_ENOTFOUND,
			"chart %s has not synced with remote %s yet (no %s), so what it lacks is unknown; "
			"leave out --since to write the whole chart", c->patient, remote, ref);
	return rc < 0 ? carelog__git_fail(rc, "cannot read the remote's last known head") : 0;
}

int carelog_bundle_create(carelog_store *s, const char *patient, const char *file, const char *since_remote)
{
	carelog__chart *c = NULL;
	git_revwalk *walk = NULL;
	git_packbuilder *pb = NULL;
	git_oid head, base;
	char header[512];
	int rc;

	carelog_error_clear();
	if (patient == NULL || file == NULL || *file == '\0')
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "a bundle needs a patient and a file"));
	/* versions this device wrote while its clock was ahead go out corrected */
	size_t settled = 0;
	if ((rc = carelog__chart_get(&c, s, patient)) < 0 ||
	    (since_remote && (rc = remote_base(&base, s, c, since_remote)) < 0) ||
	    (rc = carelog__clock_settle(&settled, s, c, since_remote ? &base : NULL)) < 0 ||
	    (rc = carelog__chart_head(&head, c)) < 0)
		return carelog__store_result(s, rc);
	if ((rc = git_revwalk_new(&walk, c->repo)) < 0 || (rc = git_revwalk_push(walk, &head)) < 0 ||
	    (since_remote && (rc = git_revwalk_hide(walk, &base)) < 0) ||
	    (rc = git_packbuilder_new(&pb, c->repo)) < 0 || (rc = git_packbuilder_insert_walk(pb, walk)) < 0) {
		rc = carelog__git_fail(rc, "cannot gather the chart's history");
		goto out;
	}
	if ((rc = header_text(header, sizeof(header), c->repo, &head, since_remote ? &base : NULL)) == 0)
		rc = write_bundle(file, header, pb);
out:
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	return carelog__store_result(s, rc);
}
