/*
 * credential.c - asks git's credential helpers for an https user name and
 * password (a token), as `git fetch` would: `git credential fill`.
 *
 * libgit2 has no credential-helper support of its own, and a helper is
 * whatever program the user configured (credential.helper: store, cache,
 * libsecret, a clinic's own), so the one way to ask it is git's own
 * front-end for them. It runs with GIT_TERMINAL_PROMPT=0: it never prompts
 * on a terminal; with no helper, or no answer, it fails and we go on
 * without credentials. Its standard error is dropped (it would name the
 * URL, never the secret). The secret is wiped from our buffers after use.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_internal.h"

extern char **environ;

#define ANSWER_MAX 8192

/* Runs `git credential fill` with `request` on its standard input and
 * leaves its standard output in `answer` (NUL-terminated). 0 when git
 * exited 0. */
static int run_fill(const char *request, char *answer, size_t answersz)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, rc = -1;
	posix_spawn_file_actions_t fa;
	char *argv[] = { "git", "credential", "fill", NULL };
	char **env = NULL;
	size_t n = 0, envc = 0;
	pid_t pid;

	for (char **e = environ; *e; e++)
		envc++;
	if ((env = calloc(envc + 3, sizeof(*env))) == NULL)
		return -1;
	envc = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "GIT_TERMINAL_PROMPT=", 20) != 0 && strncmp(*e, "GIT_ASKPASS=", 12) != 0)
			env[envc++] = *e;
	env[envc++] = "GIT_TERMINAL_PROMPT=0";
	env[envc++] = "GIT_ASKPASS=true"; /* an askpass that answers nothing */
	env[envc] = NULL;

	/* its standard input is a socket, so that a helper that exits before
	 * reading is an EPIPE for send(MSG_NOSIGNAL), not a SIGPIPE: a library
	 * does not touch the process's signal handling */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		free(env);
		goto close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (rc != 0) {
		rc = -1; /* no git: no helper to ask */
		goto close;
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	/* the request is far below a socket's buffer: no deadlock with
	 * reading the answer afterwards */
	if (send(in[1], request, strlen(request), MSG_NOSIGNAL) < 0) {
		/* it exited early; its exit status says the rest */
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		ssize_t r = read(out[0], answer + n, answersz - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == answersz - 1)
			break;
	}
	answer[n] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
close:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}

/* The value of "key=" in git's answer (one key=value per line), copied. */
static char *answer_value(const char *answer, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = answer; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			return strndup(v, strcspn(v, "\n"));
		}
	}
	return NULL;
}

int carelog__credential_fill(char **user, char **password, const char *url, const char *user_from_url)
{
	char request[4096], answer[ANSWER_MAX];
	int n;

	*user = *password = NULL;
	/* a URL with a newline would smuggle another key into the request */
	if (url == NULL || strpbrk(url, "\r\n") || (user_from_url && strpbrk(user_from_url, "\r\n")))
		return -1;
	n = user_from_url && *user_from_url
		? snprintf(request, sizeof(request), "url=%s\nusername=%s\n\n", url, user_from_url)
		: snprintf(request, sizeof(request), "url=%s\n\n", url);
	if (n < 0 || (size_t)n >= sizeof(request))
		return -1;
	if (run_fill(request, answer, sizeof(answer)) == 0) {
		*user = answer_value(answer, "username");
		*password = answer_value(answer, "password");
	}
	explicit_bzero(answer, sizeof(answer));
	/* an askpass that answers nothing gives empty values: no answer */
	if (*user == NULL || *password == NULL || **password == '\0') {
		carelog__credential_wipe(*user, *password);
		*user = *password = NULL;
		return -1;
	}
	return 0;
}

void carelog__credential_wipe(char *user, char *password)
{
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	free(user);
}
