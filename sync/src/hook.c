/*
 * hook.c - a clinic's charts refuse bad pushes on the server itself. Every
 * chart of a clinic store carries hooks/pre-receive, which runs
 * `carelog hook pre-receive`; git runs it with the pushed objects in a
 * quarantine (GIT_OBJECT_DIRECTORY) before any ref moves, and the push is
 * refused, with carelog's reason relayed to the pusher, unless every new
 * commit passes the same checks a device's sync applies, and no version
 * the push brings to the tip is stamped ahead of this server's clock
 * (clock.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "carelog/sync.h"
#include "error.h"
#include "sync_internal.h"

static char *hook_text(const char *program)
{
	return carelog__strdupf("#!/bin/sh\n"
		"# carelog: refuses a push unless it is valid carelog history of this chart\n"
		"exec '%s' hook pre-receive\n", program);
}

int carelog__chart_hook_install(const char *chart_dir, const char *program)
{
	char *dir = carelog__strdupf("%s/hooks", chart_dir);
	char *path = carelog__strdupf("%s/hooks/pre-receive", chart_dir);
	char *tmp = carelog__strdupf("%s/hooks/.pre-receive.%ld", chart_dir, (long)getpid());
	char *text = hook_text(program), have[4096];
	int rc = 0, fd;
	ssize_t n;

	if (!dir || !path || !tmp || !text) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, have, sizeof(have) - 1);
		close(fd);
		if (n >= 0 && (size_t)n == strlen(text) && memcmp(have, text, (size_t)n) == 0)
			goto out; /* in place already */
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = carelog__fail(CARELOG_EIO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		rc = carelog__fail(CARELOG_EIO, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(dir);
	free(path);
	free(tmp);
	free(text);
	return rc;
}

int carelog__store_hooks(carelog_store *s)
{
	char **ids = NULL;
	size_t n = 0;
	int rc = carelog__chart_list(&ids, &n, s), first = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char *dir = carelog__strdupf("%s/%s.git", s->charts_dir, ids[i]);
		int r = dir ? carelog__chart_hook_install(dir, s->hook_program) : CARELOG_ENOMEM;
		if (r < 0 && first == 0)
			first = r;
		free(dir);
	}
	carelog__chart_list_free(ids, n);
	return rc < 0 ? rc : first;
}

int carelog_store_set_hook(carelog_store *s, const char *program)
{
	char *p = NULL, *text = NULL, *copy = NULL;
	json_t *dev = NULL;
	json_error_t jerr;
	int rc;

	carelog_error_clear();
	if (program == NULL || program[0] != '/' || access(program, X_OK) != 0)
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID,
			"the hook program must be an absolute path to an executable carelog, not '%s'", program ? program : ""));
	if (strchr(program, '\'') || strchr(program, '\n'))
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID, "the hook program's path holds a quote or newline"));
	if ((rc = carelog__lock(s)) < 0)
		return carelog__store_result(s, rc);
	if ((p = carelog__strdupf("%s/device.json", s->path)) == NULL || (copy = strdup(program)) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	if ((dev = json_load_file(p, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		rc = carelog__fail(CARELOG_ECORRUPT, "%s is unreadable: %s", p, jerr.text);
		goto out;
	}
	json_object_set_new(dev, "hook_program", json_string(program));
	if ((text = json_dumps(dev, JSON_INDENT(2) | JSON_SORT_KEYS)) == NULL) {
		rc = carelog__fail(CARELOG_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = carelog__write_file_durable(p, text, strlen(text))) < 0)
		goto out;
	free(s->hook_program);
	s->hook_program = copy;
	copy = NULL;
	rc = carelog__store_hooks(s);
out:
	carelog__unlock(s);
	json_decref(dev);
	free(text);
	free(copy);
	free(p);
	return carelog__store_result(s, rc);
}

int carelog_check_push(const char *old_hex, const char *new_hex, const char *ref)
{
	git_repository *repo = NULL;
	git_oid old_id, new_id;
	char path[PATH_MAX], patient[CARELOG_ID_BUFSIZE];
	const char *dir;
	int is_new, rc;

	carelog_error_clear();
	if (ref == NULL || strcmp(ref, "refs/heads/main") != 0)
		return carelog__fail(CARELOG_EREMOTE, "refused: a chart has only the branch main, not %s", ref ? ref : "?");
	if (!old_hex || !new_hex || git_oid_fromstr(&old_id, old_hex) < 0 || git_oid_fromstr(&new_id, new_hex) < 0)
		return carelog__fail(CARELOG_EINVALID, "hook input is not '<old> <new> <ref>' lines");
	if (git_oid_is_zero(&new_id))
		return carelog__fail(CARELOG_EREMOTE, "refused: a chart's history is never deleted");
	is_new = git_oid_is_zero(&old_id);
	if ((rc = git_libgit2_init()) < 0)
		return carelog__git_fail(rc, "cannot start libgit2");
	/* GIT_DIR and the quarantine's GIT_OBJECT_DIRECTORY come from git */
	if ((rc = git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0) {
		rc = carelog__git_fail(rc, "cannot open the chart being pushed to");
		goto out;
	}
	dir = git_repository_path(repo);
	snprintf(path, sizeof(path), "%s", dir);
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	{
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t n = strlen(base);
		if (n != 36 + 4 || strcmp(base + 36, ".git") != 0) {
			rc = carelog__fail(CARELOG_EREMOTE, "refused: %s is not a chart (<patient-id>.git)", base);
			goto out;
		}
		memcpy(patient, base, 36);
		patient[36] = '\0';
	}
	if (!carelog__id_valid(patient)) {
		rc = carelog__fail(CARELOG_EREMOTE, "refused: %s.git is not named after a patient id", patient);
		goto out;
	}
	if (!is_new && git_graph_descendant_of(repo, &new_id, &old_id) != 1 && !git_oid_equal(&new_id, &old_id)) {
		rc = carelog__fail(CARELOG_EREMOTE,
			"refused: the push would drop history of chart %s (fetch, merge with carelog sync, push again)", patient);
		goto out;
	}
	if ((rc = carelog__validate_history(repo, patient, &new_id, is_new ? NULL : &old_id)) == 0)
		rc = carelog__clock_check_push(repo, is_new ? NULL : &old_id, &new_id,
			"carelog sync corrects that device's own stamps and pushes again");
out:
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
