/*
 * test_sha1.c - engine/src/sha1.c against the published vectors: SHA-1 from
 * FIPS 180 (and the one-million-'a' message, fed in odd-sized pieces to
 * cross block boundaries), HMAC-SHA1 from RFC 2202.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sha1.h"

static void hex(char out[41], const unsigned char d[20])
{
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void expect_sha1(const char *msg, const char *want)
{
	carelog__sha1 c;
	unsigned char d[20];
	char h[41];
	carelog__sha1_init(&c);
	carelog__sha1_update(&c, msg, strlen(msg));
	carelog__sha1_final(&c, d);
	hex(h, d);
	assert_string_equal(h, want);
}

static void sha1_vectors(void **state)
{
	(void)state;
	expect_sha1("", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	expect_sha1("abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
	expect_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* 55, 56 and 64 bytes: the padding spills into a second block or not */
	expect_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"c1c8bbdc22796e28c0e15163d20899b65621d65a");
	expect_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"c2db330f6083854c99d4b5bfb6e8f29f201be699");
	expect_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

static void sha1_million_a(void **state)
{
	char chunk[997];
	carelog__sha1 c;
	unsigned char d[20];
	char h[41];
	size_t left = 1000000;
	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	carelog__sha1_init(&c);
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
		carelog__sha1_update(&c, chunk, n);
		left -= n;
	}
	carelog__sha1_final(&c, d);
	hex(h, d);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void hmac_rfc2202(void **state)
{
	unsigned char key[80], d[20];
	char h[41];
	(void)state;
	memset(key, 0x0b, 20);
	carelog__hmac_sha1(d, key, 20, "Hi There", 8);
	hex(h, d);
	assert_string_equal(h, "b617318655057264e28bc0b6fb378c8ef146be00");
	carelog__hmac_sha1(d, "Jefe", 4, "what do ya want for nothing?", 28);
	hex(h, d);
	assert_string_equal(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	memset(key, 0xaa, 80); /* a key longer than a block is hashed first */
	carelog__hmac_sha1(d, key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54);
	hex(h, d);
	assert_string_equal(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha1_vectors),
		cmocka_unit_test(sha1_million_a),
		cmocka_unit_test(hmac_rfc2202),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
