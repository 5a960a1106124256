/*
 * sha1.h - SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for two uses: the
 * checksums of the packs a write makes (pack_write.c: git's pack and index
 * formats end with the SHA-1 of what precedes) and the hashed host names of
 * OpenSSH's known_hosts ("|1|salt|hmac", sync/src/ssh_hostkey.c). libgit2
 * keeps its SHA-1 private and carelog's dependencies (SQLite, libgit2,
 * zlib, jansson) offer none, so it is written here, small and tested
 * against the standard's vectors (tests/engine/test_sha1.c). Object ids
 * stay libgit2's (git_odb_hash, with its collision detection); this is not
 * for anything that needs collision resistance.
 */
#ifndef CARELOG_SHA1_H
#define CARELOG_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define CARELOG__SHA1_LEN 20

typedef struct {
	uint32_t h[5];
	uint64_t len;          /* bytes hashed so far */
	unsigned char buf[64]; /* a partial block */
	size_t nbuf;
} carelog__sha1;

void carelog__sha1_init(carelog__sha1 *c);
void carelog__sha1_update(carelog__sha1 *c, const void *data, size_t n);
void carelog__sha1_final(carelog__sha1 *c, unsigned char out[CARELOG__SHA1_LEN]);

/* HMAC-SHA1 of msg under key. */
void carelog__hmac_sha1(unsigned char out[CARELOG__SHA1_LEN], const void *key, size_t keylen, const void *msg,
	size_t msglen);

#endif
