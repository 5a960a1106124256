/*
 * lg2_probe: clones, fetches and pushes through a test server with libgit2,
 * the library sync will use, so that every rig of servers.sh is proven with
 * the client that matters before sync code exists. Not part of carelog.
 *
 *   lg2_probe [OPTIONS] clone URL DIR
 *   lg2_probe [OPTIONS] push DIR REFSPEC      (to the remote "origin")
 *   lg2_probe [OPTIONS] fetch DIR             (from "origin")
 * OPTIONS:
 *   --ca FILE             trust this CA's PEM (GIT_OPT_SET_SSL_CERT_LOCATIONS);
 *                         TLS verification is never turned off
 *   --ssh-key PRIV PUB    ssh key-file credentials
 *   --ssh-agent           ssh credentials from the agent at SSH_AUTH_SOCK
 *   --known-hosts FILE    the ssh server's host key must be the one on the
 *                         first line of FILE ("host type base64")
 * Exit 0 on success; 1 with "lg2_probe: <libgit2's error>" on stderr.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ssh_priv, *ssh_pub, *known_hosts;
static int ssh_agent, cred_calls;

static int b64val(int c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;
	return p ? (int)(p - tab) : -1;
}

/* base64 of `in` into out (at most cap bytes); length, or -1 */
static long b64decode(const char *in, unsigned char *out, size_t cap)
{
	long n = 0;
	int bits = 0, v;
	unsigned acc = 0;
	for (; *in && *in != '='; in++) {
		if ((v = b64val((unsigned char)*in)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((size_t)n >= cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

static int check_known_host(const git_cert_hostkey *hk)
{
	char line[4096], *tok, *save = NULL;
	unsigned char key[2048];
	long len;
	FILE *f = fopen(known_hosts, "r");
	if (!f || !fgets(line, sizeof line, f)) {
		if (f)
			fclose(f);
		git_error_set_str(GIT_ERROR_SSH, "cannot read the known_hosts file");
		return -1;
	}
	fclose(f);
	tok = strtok_r(line, " \n", &save); /* host */
	tok = tok ? strtok_r(NULL, " \n", &save) : NULL; /* type */
	tok = tok ? strtok_r(NULL, " \n", &save) : NULL; /* base64 */
	len = tok ? b64decode(tok, key, sizeof key) : -1;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		git_error_set_str(GIT_ERROR_SSH, "libgit2 gave no raw host key");
		return -1;
	}
	if (len < 0 || (size_t)len != hk->hostkey_len || memcmp(key, hk->hostkey, (size_t)len) != 0) {
		git_error_set_str(GIT_ERROR_SSH, "the server's host key is not the known one");
		return -1;
	}
	return 0;
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	(void)valid, (void)host, (void)payload;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return known_hosts ? check_known_host((const git_cert_hostkey *)cert) : 0;
	return GIT_PASSTHROUGH; /* TLS: libgit2's own verification decides */
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
	unsigned int allowed, void *payload)
{
	(void)url, (void)payload;
	if (++cred_calls > 3) {
		git_error_set_str(GIT_ERROR_SSH, "the server refused the credentials");
		return -1;
	}
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || !user_from_url)
		return GIT_PASSTHROUGH;
	if (ssh_agent)
		return git_credential_ssh_key_from_agent(out, user_from_url);
	if (ssh_priv)
		return git_credential_ssh_key_new(out, user_from_url, ssh_pub, ssh_priv, NULL);
	return GIT_PASSTHROUGH;
}

static int push_update(const char *ref, const char *status, void *payload)
{
	(void)payload;
	if (status) {
		git_error_set(GIT_ERROR_REFERENCE, "push of %s rejected: %s", ref, status);
		return -1;
	}
	return 0;
}

static int fail(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "lg2_probe: %s: %s\n", what, e && e->message ? e->message : "failed");
	return 1;
}

static void set_callbacks(git_remote_callbacks *cb)
{
	cb->certificate_check = certificate_check;
	cb->credentials = credentials;
	cb->push_update_reference = push_update;
}

int main(int argc, char **argv)
{
	int i = 1, rc = 0;
	const char *ca = NULL;
	git_repository *repo = NULL;
	git_remote *remote = NULL;

	git_libgit2_init();
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			ca = argv[++i];
		else if (strcmp(argv[i], "--ssh-key") == 0 && i + 2 < argc)
			ssh_priv = argv[++i], ssh_pub = argv[++i];
		else if (strcmp(argv[i], "--ssh-agent") == 0)
			ssh_agent = 1;
		else if (strcmp(argv[i], "--known-hosts") == 0 && i + 1 < argc)
			known_hosts = argv[++i];
		else
			goto usage;
	}
	if (ca && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, NULL) < 0)
		return fail("setting the CA");
	if (i + 3 == argc && strcmp(argv[i], "clone") == 0) {
		git_clone_options o = GIT_CLONE_OPTIONS_INIT;
		set_callbacks(&o.fetch_opts.callbacks);
		if (git_clone(&repo, argv[i + 1], argv[i + 2], &o) < 0)
			rc = fail("clone");
	} else if (i + 3 == argc && strcmp(argv[i], "push") == 0) {
		git_push_options o = GIT_PUSH_OPTIONS_INIT;
		char *spec = argv[i + 2];
		git_strarray specs = {&spec, 1};
		set_callbacks(&o.callbacks);
		if (git_repository_open(&repo, argv[i + 1]) < 0 ||
		    git_remote_lookup(&remote, repo, "origin") < 0 ||
		    git_remote_push(remote, &specs, &o) < 0)
			rc = fail("push");
	} else if (i + 2 == argc && strcmp(argv[i], "fetch") == 0) {
		git_fetch_options o = GIT_FETCH_OPTIONS_INIT;
		set_callbacks(&o.callbacks);
		if (git_repository_open(&repo, argv[i + 1]) < 0 ||
		    git_remote_lookup(&remote, repo, "origin") < 0 ||
		    git_remote_fetch(remote, NULL, &o, NULL) < 0)
			rc = fail("fetch");
	} else {
		goto usage;
	}
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
usage:
	fprintf(stderr, "usage: lg2_probe [--ca FILE] [--ssh-key PRIV PUB | --ssh-agent] "
		"[--known-hosts FILE] clone URL DIR | push DIR REFSPEC | fetch DIR\n");
	return 2;
}
