/*
 * record_id.c - generating and checking record ids (UUIDv7 layout: 48-bit
 * millisecond time, version nibble 7, variant 10, 74 random bits).
 */
#include "record_id.h"
#include "record_schema.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "error.h"
#include "timeutil.h"

int carelog__id_generate(char out[CARELOG_ID_BUFSIZE], int64_t ms)
{
	unsigned char b[16];
	ssize_t got = 0;
	uint64_t t = ms < 0 ? 0 : (uint64_t)ms;

	while (got < 10) {
		ssize_t n = getrandom(b + 6 + got, (size_t)(10 - got), 0);
		if (n < 0)
			return carelog__fail(CARELOG_EIO, "no randomness from the system for a record id");
		got += n;
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(t >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, CARELOG_ID_BUFSIZE,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int carelog__id_valid(const char *id)
{
	if (id == NULL || strlen(id) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = id[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	if (id[14] != '7')
		return 0;
	return id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b';
}

int carelog__id_check(const char *id, const char *what)
{
	if (!carelog__id_valid(id))
		return carelog__fail(CARELOG_EINVALID,
			"%s '%.80s' is not a carelog id (36 lower-case characters like 0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70)",
			what, id ? id : "(null)");
	return 0;
}

int64_t carelog__id_ms(const char *id)
{
	int64_t ms = 0;
	for (int i = 0; i < 13; i++) {
		char c = id[i];
		if (c == '-')
			continue;
		ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return ms;
}

void carelog__record_path(char *out, size_t outsz, const char *kind, const char *id)
{
	int64_t days = carelog__id_ms(id) / 86400000, y;
	unsigned m, d;
	carelog__civil_from_days(days, &y, &m, &d);
	snprintf(out, outsz, "%s/%04lld/%02u/%s.json", kind, (long long)y, m, id);
}

int carelog__record_path_id(char id[CARELOG_ID_BUFSIZE], const char *path)
{
	const char *slash = strrchr(path, '/');
	char kind[32], want[128];
	size_t klen;

	if (slash == NULL || strlen(slash + 1) != 41 || strcmp(slash + 37, ".json") != 0)
		return 0;
	memcpy(id, slash + 1, 36);
	id[36] = '\0';
	if (!carelog__id_valid(id) || (klen = strcspn(path, "/")) == 0 || klen >= sizeof(kind))
		return 0;
	memcpy(kind, path, klen);
	kind[klen] = '\0';
	if (!carelog__kind_known(kind))
		return 0;
	carelog__record_path(want, sizeof(want), kind, id);
	return strcmp(want, path) == 0;
}

int carelog__conflict_path_id(char id[CARELOG_ID_BUFSIZE], const char *path)
{
	/* conflicts/<36>/<40>.json */
	if (strlen(path) != 10 + 36 + 1 + 40 + 5 || strncmp(path, "conflicts/", 10) != 0 || path[46] != '/' ||
	    strcmp(path + 87, ".json") != 0)
		return 0;
	memcpy(id, path + 10, 36);
	id[36] = '\0';
	for (int i = 47; i < 87; i++)
		if (!((path[i] >= '0' && path[i] <= '9') || (path[i] >= 'a' && path[i] <= 'f')))
			return 0;
	return carelog__id_valid(id);
}
