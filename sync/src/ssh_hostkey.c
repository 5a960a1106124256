/*
 * ssh_hostkey.c - an ssh server is trusted only if its host key is the one
 * known for it: libgit2 1.5 leaves the check to its caller. The key is
 * looked up in $CARELOG_SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts, in
 * OpenSSH's format ("host[,host...] type base64-key", "[host]:port" for
 * another port than 22, * and ? patterns), and hashed entries
 * ("|1|base64-salt|base64-hmac", what `ssh-keygen -H` and Debian's default
 * HashKnownHosts write): the name matches when HMAC-SHA1 under the salt of
 * "host" (or "[host]:port") is the stored hash (sha1.c). None of our
 * libraries offers HMAC-SHA1 or a base64 decoder, hence both here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sha1.h"
#include "sync_internal.h"

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes base64 `in` into out (at most cap bytes): its length, or -1. */
static long b64decode(const char *in, unsigned char *out, size_t cap)
{
	unsigned acc = 0;
	long n = 0;
	int bits = 0, v;

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

/* OpenSSH's host patterns: * and ? wildcards, every other character
 * itself ("[host]:port" is literal; fnmatch would read brackets as a set). */
static int pattern_match(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '*')
		return pattern_match(p + 1, s) || (*s && pattern_match(p, s + 1));
	return *s && (*p == '?' || *p == *s) && pattern_match(p + 1, s + 1);
}

/* Non-zero if a hashed entry "|1|salt|hmac" (base64 both) names `host`. */
static int hashed_match(const char *entry, const char *host)
{
	char salt64[128];
	unsigned char salt[96], want[64], got[CARELOG__SHA1_LEN];
	const char *bar;
	long saltlen, wantlen;
	size_t n;

	if (strncmp(entry, "|1|", 3) != 0 || (bar = strchr(entry + 3, '|')) == NULL ||
	    (n = (size_t)(bar - (entry + 3))) >= sizeof(salt64))
		return 0;
	memcpy(salt64, entry + 3, n);
	salt64[n] = '\0';
	saltlen = b64decode(salt64, salt, sizeof(salt));
	wantlen = b64decode(bar + 1, want, sizeof(want));
	if (saltlen <= 0 || wantlen != CARELOG__SHA1_LEN)
		return 0;
	carelog__hmac_sha1(got, salt, (size_t)saltlen, host, strlen(host));
	return memcmp(got, want, sizeof(got)) == 0;
}

/* Non-zero if the comma-separated patterns name `host` (no negations). */
static int hosts_match(char *patterns, const char *host)
{
	char *save = NULL;
	if (patterns[0] == '|')
		return hashed_match(patterns, host);
	for (char *p = strtok_r(patterns, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (p[0] != '!' && p[0] != '|' && pattern_match(p, host))
			return 1;
	return 0;
}

int carelog__ssh_hostkey_check(const git_cert_hostkey *hk, const char *host, int port)
{
	const char *file = getenv("CARELOG_SSH_KNOWN_HOSTS");
	char path[4096], name[512], line[8192];
	unsigned char key[4096];
	int known = 0;
	FILE *f;

	if (!(hk->type & GIT_CERT_SSH_RAW) || hk->hostkey == NULL)
		return carelog__fail(CARELOG_EREMOTE, "the ssh library gave no host key to check for %s", host);
	if (file == NULL || *file == '\0') {
		const char *home = getenv("HOME");
		snprintf(path, sizeof(path), "%s/.ssh/known_hosts", home ? home : "");
		file = path;
	}
	if (port > 0 && port != 22)
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
	else
		snprintf(name, sizeof(name), "%s", host);
	if ((f = fopen(file, "r")) != NULL) {
		while (fgets(line, sizeof(line), f)) {
			char *save = NULL, *hosts, *type, *b64;
			long len;
			if (line[0] == '#' || line[0] == '@' || (hosts = strtok_r(line, " \t\r\n", &save)) == NULL ||
			    (type = strtok_r(NULL, " \t\r\n", &save)) == NULL || (b64 = strtok_r(NULL, " \t\r\n", &save)) == NULL)
				continue;
			if (!hosts_match(hosts, name))
				continue;
			known = 1;
			len = b64decode(b64, key, sizeof(key));
			if (len > 0 && (size_t)len == hk->hostkey_len && memcmp(key, hk->hostkey, (size_t)len) == 0) {
				fclose(f);
				return 0;
			}
		}
		fclose(f);
	}
	if (known)
		return carelog__fail(CARELOG_EREMOTE,
			"refused: the ssh host key of %s is not the one in %s (a changed key, or someone in between)", name, file);
	return carelog__fail(CARELOG_EREMOTE,
		"refused: %s is not a known ssh host: add its key to %s (or point CARELOG_SSH_KNOWN_HOSTS at a file that has it)",
		name, file);
}
