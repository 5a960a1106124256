/*
 * remotes.c - the store's remotes: a name and a base URL each, kept in
 * <store>/remotes.json (an array of {"name", "url"}, in the order added),
 * written atomically and durably. Not in carelog.db: the index is derived
 * and may be deleted.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "carelog/sync.h"
#include "error.h"
#include "store_internal.h"
#include "sync_internal.h"

struct carelog_remote_list {
	json_t *arr;
};

static char *remotes_path(carelog_store *s)
{
	return carelog__strdupf("%s/remotes.json", s->path);
}

int carelog__remotes_load(json_t **out, carelog_store *s)
{
	char *path = remotes_path(s);
	json_error_t jerr;
	json_t *arr;

	*out = NULL;
	if (path == NULL)
		return CARELOG_ENOMEM;
	if (access(path, F_OK) != 0) {
		free(path);
		*out = json_array();
		return *out ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	arr = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_array(arr)) {
		json_decref(arr);
		int rc = carelog__fail(CARELOG_ECORRUPT, "%s is unreadable: %s", path, jerr.text);
		free(path);
		return rc;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *r = json_array_get(arr, i);
		if (!json_is_string(json_object_get(r, "name")) || !json_is_string(json_object_get(r, "url"))) {
			json_decref(arr);
			int rc = carelog__fail(CARELOG_ECORRUPT, "%s: entry %zu has no name or url", path, i + 1);
			free(path);
			return rc;
		}
	}
	free(path);
	*out = arr;
	return 0;
}

static int remotes_save(carelog_store *s, json_t *arr)
{
	char *path = remotes_path(s);
	char *text = json_dumps(arr, JSON_INDENT(2));
	int rc;
	if (path == NULL || text == NULL) {
		free(path);
		free(text);
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	}
	rc = carelog__write_file_durable(path, text, strlen(text));
	free(text);
	free(path);
	return rc;
}

int carelog__remote_url(char **url, carelog_store *s, const char *name)
{
	json_t *arr, *r;
	size_t i;
	int rc;

	*url = NULL;
	if ((rc = carelog__remotes_load(&arr, s)) < 0)
		return rc;
	json_array_foreach(arr, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0) {
			*url = strdup(json_string_value(json_object_get(r, "url")));
			json_decref(arr);
			return *url ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");
		}
	}
	json_decref(arr);
	return carelog__fail(CARELOG_ENOTFOUND, "no remote named '%s' (see carelog remote list)", name);
}

static int name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-')
			return 0;
	return 1;
}

int carelog__url_is_path(const char *url)
{
	return strstr(url, "://") == NULL;
}

/* Checks a URL's scheme and makes a path absolute (malloc'd result). */
static int url_normalize(char **out, const char *url)
{
	static const char *const schemes[] = { "file://", "git://", "http://", "https://", "ssh://" };
	*out = NULL;
	if (url == NULL || *url == '\0')
		return carelog__fail(CARELOG_EINVALID, "a remote needs a URL");
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return carelog__fail(CARELOG_EINVALID, "remote URL contains a control character");
	if (!carelog__url_is_path(url)) {
		for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
			size_t n = strlen(schemes[i]);
			if (strncmp(url, schemes[i], n) == 0 && url[n] != '\0') {
				size_t len = strlen(url), auth = strcspn(url + n, "/");
				const char *at = memchr(url + n, '@', auth);
				/* remotes.json and `remote list` are not the place for secrets */
				if (at && memchr(url + n, ':', (size_t)(at - (url + n))))
					return carelog__fail(CARELOG_EINVALID,
						"remote URL holds a password; give a token in CARELOG_HTTP_TOKEN or use ssh-agent instead");
				while (len > n + 1 && url[len - 1] == '/')
					len--;
				*out = strndup(url, len);
				return *out ? 0 : carelog__fail(CARELOG_ENOMEM, "out of memory");
			}
		}
		return carelog__fail(CARELOG_EINVALID,
			"remote URL '%s' has an unsupported scheme (use a path, file://, git://, http://, https:// or ssh://)", url);
	}
	if (url[0] == '/') {
		*out = strdup(url);
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return carelog__fail(CARELOG_EIO, "cannot read the current directory: %s", strerror(errno));
		*out = carelog__strdupf("%s/%s", cwd, url);
	}
	if (*out == NULL)
		return carelog__fail(CARELOG_ENOMEM, "out of memory");
	for (size_t len = strlen(*out); len > 1 && (*out)[len - 1] == '/'; len--)
		(*out)[len - 1] = '\0';
	return 0;
}

int carelog_remote_add(carelog_store *s, const char *name, const char *url)
{
	json_t *arr = NULL, *r;
	char *norm = NULL;
	size_t i;
	int rc;

	carelog_error_clear();
	if (name == NULL || !name_valid(name))
		return carelog__store_result(s, carelog__fail(CARELOG_EINVALID,
			"remote name '%s' is not 1-64 of the characters A-Z a-z 0-9 . _ - (not starting with . or -)",
			name ? name : ""));
	if ((rc = url_normalize(&norm, url)) < 0 || (rc = carelog__lock(s)) < 0) {
		free(norm);
		return carelog__store_result(s, rc);
	}
	if ((rc = carelog__remotes_load(&arr, s)) < 0)
		goto out;
	json_array_foreach(arr, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0) {
			rc = carelog__fail(CARELOG_EEXISTS, "a remote named '%s' exists already (%s)", name,
				json_string_value(json_object_get(r, "url")));
			goto out;
		}
	}
	json_array_append_new(arr, json_pack("{s:s,s:s}", "name", name, "url", norm));
	rc = remotes_save(s, arr);
out:
	carelog__unlock(s);
	json_decref(arr);
	free(norm);
	return carelog__store_result(s, rc);
}

int carelog_remote_remove(carelog_store *s, const char *name)
{
	json_t *arr = NULL, *r;
	size_t i;
	int rc;

	carelog_error_clear();
	if ((rc = carelog__lock(s)) < 0)
		return carelog__store_result(s, rc);
	if ((rc = carelog__remotes_load(&arr, s)) < 0)
		goto out;
	rc = carelog__fail(CARELOG_ENOTFOUND, "no remote named '%s'", name ? name : "");
	json_array_foreach(arr, i, r) {
		if (name && strcmp(json_string_value(json_object_get(r, "name")), name) == 0) {
			carelog_error_clear();
			json_array_remove(arr, i);
			rc = remotes_save(s, arr);
			break;
		}
	}
out:
	carelog__unlock(s);
	json_decref(arr);
	return carelog__store_result(s, rc);
}

int carelog_remote_list_get(carelog_remote_list **out, carelog_store *s)
{
	carelog_remote_list *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	carelog_error_clear();
	if (l == NULL)
		return carelog__store_result(s, carelog__fail(CARELOG_ENOMEM, "out of memory"));
	if ((rc = carelog__remotes_load(&l->arr, s)) < 0) {
		free(l);
		return carelog__store_result(s, rc);
	}
	*out = l;
	return 0;
}

size_t carelog_remote_list_count(const carelog_remote_list *l)
{
	return l ? json_array_size(l->arr) : 0;
}

const char *carelog_remote_list_name(const carelog_remote_list *l, size_t i)
{
	return l ? json_string_value(json_object_get(json_array_get(l->arr, i), "name")) : NULL;
}

const char *carelog_remote_list_url(const carelog_remote_list *l, size_t i)
{
	return l ? json_string_value(json_object_get(json_array_get(l->arr, i), "url")) : NULL;
}

void carelog_remote_list_free(carelog_remote_list *l)
{
	if (l == NULL)
		return;
	json_decref(l->arr);
	free(l);
}
