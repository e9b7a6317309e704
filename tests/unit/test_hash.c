/* Tests of core/hash: CRC32C and Toeplitz.
 *
 * CRC32C is checked against published answers (the check value, RFC 3720
 * B.4) in both implementations, then software against hardware and against
 * fl_hash_words on random data. Toeplitz is checked against the 82599 / RSS
 * verification vectors, and the table implementation against the bit-by-bit
 * reference on random keys and inputs. The whole group runs twice: with the
 * CPU as detected and with FLOWLANE_CPU=scalar, so fl_crc32c's dispatch is
 * exercised both ways in one process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpu.h"
#include "core/hash.h"

/* xorshift64*: fixed seed, so a failure reproduces. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void rng_fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rng_next();
}

/* ---- CRC32C ---- */

typedef uint32_t crc_fn(const void *, size_t, uint32_t);

static crc_fn *const crc_impls[] = { fl_crc32c, fl_crc32c_sw, fl_crc32c_hw };

static void check_all_impls(const void *data, size_t len, uint32_t want)
{
	size_t i;

	for (i = 0; i < sizeof(crc_impls) / sizeof(crc_impls[0]); i++)
		assert_int_equal(crc_impls[i](data, len, 0), want);
}

static void crc32c_check_value(void **state)
{
	(void)state;
	check_all_impls("123456789", 9, 0xE3069283);
	check_all_impls("", 0, 0);
}

/* RFC 3720 appendix B.4 (the RFC lists the CRC bytes least significant first) */
static void crc32c_rfc3720_vectors(void **state)
{
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[32];
	unsigned i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	check_all_impls(buf, 32, 0x8A9136AA);
	memset(buf, 0xff, sizeof(buf));
	check_all_impls(buf, 32, 0x62A8AB43);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	check_all_impls(buf, 32, 0x46DD794E);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	check_all_impls(buf, 32, 0x113FDB5C);
	check_all_impls(read_pdu, sizeof(read_pdu), 0xD9963A56);
}

/* Seeding with a previous result continues the hash over the concatenation. */
static void crc32c_seed_chains(void **state)
{
	uint8_t buf[300];
	unsigned cut, i;

	(void)state;
	rng_state = 0x5eed0001;
	rng_fill(buf, sizeof(buf));
	for (i = 0; i < sizeof(crc_impls) / sizeof(crc_impls[0]); i++) {
		uint32_t whole = crc_impls[i](buf, sizeof(buf), 0);

		for (cut = 0; cut <= sizeof(buf); cut += 7)
			assert_int_equal(crc_impls[i](buf + cut, sizeof(buf) - cut,
						      crc_impls[i](buf, cut, 0)),
					 whole);
	}
	assert_int_equal(fl_crc32c("456789", 6, fl_crc32c("123", 3, 0)), 0xE3069283);
}

/* Software and hardware agree for every length 0..300, alignments 0..15 and
 * random seeds. */
static void crc32c_sw_equals_hw(void **state)
{
	uint8_t buf[300 + 16];
	unsigned len, align, round;

	(void)state;
	rng_state = 0x5eed0002;
	for (round = 0; round < 4; round++)
		for (len = 0; len <= 300; len++) {
			uint32_t seed = round == 0 ? 0 : (uint32_t)rng_next();

			align = (unsigned)(rng_next() % 16);
			rng_fill(buf, sizeof(buf));
			assert_int_equal(fl_crc32c_sw(buf + align, len, seed),
					 fl_crc32c_hw(buf + align, len, seed));
			assert_int_equal(fl_crc32c(buf + align, len, seed),
					 fl_crc32c_sw(buf + align, len, seed));
		}
}

/* fl_hash_words(w, n, seed) is the CRC32C of the same 8n bytes. */
static void crc32c_hash_words_consistent(void **state)
{
	uint64_t w[17];
	unsigned n, round;

	(void)state;
	rng_state = 0x5eed0003;
	for (round = 0; round < 50; round++)
		for (n = 0; n < 17; n++) {
			uint32_t seed = round == 0 ? 0 : (uint32_t)rng_next();

			rng_fill((uint8_t *)w, sizeof(w));
			assert_int_equal(fl_hash_words(w, n, seed), fl_crc32c_sw(w, n * 8, seed));
			assert_int_equal(fl_hash_words(w, n, seed), fl_crc32c(w, n * 8, seed));
		}
	memcpy(w, "12345678", 8);
	assert_int_equal(fl_hash_words(w, 1, 0), fl_crc32c("12345678", 8, 0));
}

/* The group setup picked the mode; the dispatcher must see it. */
static void cpu_mode_applies(void **state)
{
	const char *mode = *state;

	if (strcmp(mode, "scalar") == 0)
		assert_false(fl_cpu_has(FL_CPU_SSE42));
#if defined(__x86_64__)
	else
		assert_true(fl_cpu_has(FL_CPU_SSE42)); /* the x86-64-v2 baseline */
#endif
	assert_int_equal(fl_crc32c("123456789", 9, 0), 0xE3069283);
}

/* ---- Toeplitz ---- */

struct rss_v4_vector {
	const char *what;
	uint8_t dst[4], src[4]; /* listed destination first, as published */
	uint16_t dport, sport;
	uint32_t l3, l3l4;
};

/* 82599 datasheet 7.1.2.8.3 / Microsoft "Verifying the RSS hash calculation" */
static const struct rss_v4_vector v4_vectors[] = {
	{ "v4-1", { 161, 142, 100, 80 }, { 66, 9, 149, 187 }, 1766, 2794, 0x323e8fc2, 0x51ccc178 },
	{ "v4-2", { 65, 69, 140, 83 }, { 199, 92, 111, 2 }, 4739, 14230, 0xd718262a, 0xc626b0ea },
	{ "v4-3", { 12, 22, 207, 184 }, { 24, 19, 198, 95 }, 38024, 12898, 0xd2d0a5de, 0x5c2b394a },
	{ "v4-4", { 209, 142, 163, 6 }, { 38, 27, 205, 30 }, 2217, 48228, 0x82989176, 0xafc7327f },
	{ "v4-5", { 202, 188, 127, 2 }, { 153, 39, 163, 191 }, 1303, 44251, 0x5d1809c5, 0x10e828a2 },
};

struct rss_v6_vector {
	uint8_t dst[16], src[16];
	uint16_t dport, sport;
	uint32_t l3, l3l4;
};

/* The IPv6 rows of Microsoft's verification suite. Each expected value was
 * also recomputed with fl_toeplitz_hash_ref, which the IPv4 rows validate;
 * 32-bit values cannot match by accident. */
static const struct rss_v6_vector v6_vectors[] = {
	{ /* 3ffe:2501:200:3::1 <- 3ffe:2501:200:1fff::7 */
	  { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07 },
	  1766, 2794, 0x2cc18cd5, 0x40207d3d },
	{ /* ff02::1 <- 3ffe:501:8::260:97ff:fe40:efab */
	  { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40,
	    0xef, 0xab },
	  4739, 14230, 0x0f0c461c, 0xdde51bbf },
	{ /* fe80::200:f8ff:fe21:67cf <- 3ffe:1900:4545:3:200:f8ff:fe21:67cf */
	  { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21,
	    0x67, 0xcf },
	  38024, 44251, 0x4b61e985, 0x02d1feef },
};

static struct fl_toeplitz tz, tz_sym;

static fl_be32 v4_addr(const uint8_t a[4])
{
	fl_be32 v;

	memcpy(&v, a, 4);
	return v;
}

static void toeplitz_ipv4_vectors(void **state)
{
	size_t i;

	(void)state;
	fl_toeplitz_init(&tz, fl_toeplitz_default_key, false);
	for (i = 0; i < sizeof(v4_vectors) / sizeof(v4_vectors[0]); i++) {
		const struct rss_v4_vector *v = &v4_vectors[i];
		fl_be32 s = v4_addr(v->src), d = v4_addr(v->dst);
		uint8_t in[12];

		assert_int_equal(fl_rss_ipv4(&tz, s, d, 0, 0, false), v->l3);
		/* with_ports = false ignores whatever ports are passed */
		assert_int_equal(fl_rss_ipv4(&tz, s, d, fl_htons(v->sport), fl_htons(v->dport),
					     false),
				 v->l3);
		assert_int_equal(fl_rss_ipv4(&tz, s, d, fl_htons(v->sport), fl_htons(v->dport),
					     true),
				 v->l3l4);
		/* the same input through the reference definition */
		memcpy(in, v->src, 4);
		memcpy(in + 4, v->dst, 4);
		fl_put_u16(in + 8, fl_htons(v->sport));
		fl_put_u16(in + 10, fl_htons(v->dport));
		assert_int_equal(fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 8), v->l3);
		assert_int_equal(fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 12), v->l3l4);
	}
}

static void toeplitz_ipv6_vectors(void **state)
{
	size_t i;

	(void)state;
	fl_toeplitz_init(&tz, fl_toeplitz_default_key, false);
	for (i = 0; i < sizeof(v6_vectors) / sizeof(v6_vectors[0]); i++) {
		const struct rss_v6_vector *v = &v6_vectors[i];

		assert_int_equal(fl_rss_ipv6(&tz, v->src, v->dst, 0, 0, false), v->l3);
		assert_int_equal(fl_rss_ipv6(&tz, v->src, v->dst, fl_htons(v->sport),
					     fl_htons(v->dport), true),
				 v->l3l4);
	}
}

/* Tables built from random keys agree with the definition for every input
 * length 0..36. */
static void toeplitz_table_equals_ref(void **state)
{
	uint8_t key[FL_TOEPLITZ_KEY_LEN], in[FL_TOEPLITZ_MAX_INPUT];
	unsigned k, len, round;

	(void)state;
	rng_state = 0x5eed0004;
	for (k = 0; k < 8; k++) {
		if (k == 0)
			memcpy(key, fl_toeplitz_default_key, sizeof(key));
		else
			rng_fill(key, sizeof(key));
		fl_toeplitz_init(&tz, key, false);
		for (len = 0; len <= FL_TOEPLITZ_MAX_INPUT; len++)
			for (round = 0; round < 20; round++) {
				rng_fill(in, sizeof(in));
				assert_int_equal(fl_toeplitz_hash(&tz, in, len),
						 fl_toeplitz_hash_ref(key, in, len));
			}
		/* single bits pick out exactly one key window each */
		for (len = 0; len < FL_TOEPLITZ_MAX_INPUT * 8; len++) {
			memset(in, 0, sizeof(in));
			in[len / 8] = (uint8_t)(0x80 >> (len % 8));
			assert_int_equal(fl_toeplitz_hash(&tz, in, sizeof(in)),
					 fl_toeplitz_hash_ref(key, in, sizeof(in)));
		}
	}
	/* the first bit of the input selects the first 32 key bits */
	memset(in, 0, sizeof(in));
	in[0] = 0x80;
	assert_int_equal(fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 1), 0x6d5a56da);
	assert_int_equal(fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 0), 0);
}

/* Random IPv6 tuples: fl_rss_ipv6 is the table hash of src, dst, sport, dport. */
static void toeplitz_ipv6_layout(void **state)
{
	uint8_t in[36];
	unsigned round;

	(void)state;
	rng_state = 0x5eed0005;
	fl_toeplitz_init(&tz, fl_toeplitz_default_key, false);
	for (round = 0; round < 200; round++) {
		rng_fill(in, sizeof(in));
		assert_int_equal(fl_rss_ipv6(&tz, in, in + 16, fl_get_u16(in + 32),
					     fl_get_u16(in + 34), true),
				 fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 36));
		assert_int_equal(fl_rss_ipv6(&tz, in, in + 16, fl_get_u16(in + 32),
					     fl_get_u16(in + 34), false),
				 fl_toeplitz_hash_ref(fl_toeplitz_default_key, in, 32));
	}
}

/* Symmetric mode: both directions hash equal; a flow already in canonical
 * order hashes as in plain mode; the plain hash is not symmetric. */
static void toeplitz_symmetric(void **state)
{
	unsigned round, differ = 0, rounds = 1000;
	size_t i;

	(void)state;
	rng_state = 0x5eed0006;
	fl_toeplitz_init(&tz, fl_toeplitz_default_key, false);
	fl_toeplitz_init(&tz_sym, fl_toeplitz_default_key, true);
	for (round = 0; round < rounds; round++) {
		fl_be32 a = (fl_be32)rng_next(), b = (fl_be32)rng_next();
		fl_be16 pa = (fl_be16)rng_next(), pb = (fl_be16)rng_next();
		uint8_t a6[16], b6[16];
		int ports;

		if (round % 10 == 0)
			b = a; /* equal addresses: the ports decide the order */
		rng_fill(a6, 16);
		rng_fill(b6, 16);
		if (round % 10 == 1)
			memcpy(b6, a6, 16);
		for (ports = 0; ports < 2; ports++) {
			uint32_t fwd = fl_rss_ipv4(&tz_sym, a, b, pa, pb, ports);
			uint32_t rev = fl_rss_ipv4(&tz_sym, b, a, pb, pa, ports);

			assert_int_equal(fwd, rev);
			assert_int_equal(fl_rss_ipv6(&tz_sym, a6, b6, pa, pb, ports),
					 fl_rss_ipv6(&tz_sym, b6, a6, pb, pa, ports));
			/* one of the two directions is the canonical one */
			assert_true(fwd == fl_rss_ipv4(&tz, a, b, pa, pb, ports) ||
				    fwd == fl_rss_ipv4(&tz, b, a, pb, pa, ports));
		}
		if (fl_rss_ipv4(&tz, a, b, pa, pb, true) != fl_rss_ipv4(&tz, b, a, pb, pa, true))
			differ++;
	}
	assert_true(differ > rounds * 9 / 10);

	/* on the published vectors: where the source is already the smaller
	 * address, symmetric mode gives the published hash; elsewhere it gives
	 * the plain hash of the reversed tuple */
	for (i = 0; i < sizeof(v4_vectors) / sizeof(v4_vectors[0]); i++) {
		const struct rss_v4_vector *v = &v4_vectors[i];
		fl_be32 s = v4_addr(v->src), d = v4_addr(v->dst);
		uint32_t sym = fl_rss_ipv4(&tz_sym, s, d, fl_htons(v->sport), fl_htons(v->dport),
					   true);

		if (fl_ntohl(s) < fl_ntohl(d))
			assert_int_equal(sym, v->l3l4);
		else
			assert_int_equal(sym, fl_rss_ipv4(&tz, d, s, fl_htons(v->dport),
							  fl_htons(v->sport), true));
	}
}

/* ---- groups ---- */

static int mode_native(void **state)
{
	unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	*state = (void *)"native";
	return 0;
}

static int mode_scalar(void **state)
{
	setenv("FLOWLANE_CPU", "scalar", 1);
	fl_cpu_reset();
	*state = (void *)"scalar";
	return 0;
}

static int mode_restore(void **state)
{
	(void)state;
	unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	return 0;
}

#define HASH_TESTS                                                \
	cmocka_unit_test(cpu_mode_applies),                       \
	cmocka_unit_test(crc32c_check_value),                     \
	cmocka_unit_test(crc32c_rfc3720_vectors),                 \
	cmocka_unit_test(crc32c_seed_chains),                     \
	cmocka_unit_test(crc32c_sw_equals_hw),                    \
	cmocka_unit_test(crc32c_hash_words_consistent),           \
	cmocka_unit_test(toeplitz_ipv4_vectors),                  \
	cmocka_unit_test(toeplitz_ipv6_vectors),                  \
	cmocka_unit_test(toeplitz_table_equals_ref),              \
	cmocka_unit_test(toeplitz_ipv6_layout),                   \
	cmocka_unit_test(toeplitz_symmetric)

int main(void)
{
	const struct CMUnitTest tests[] = { HASH_TESTS };
	int fails = 0;

	fails += cmocka_run_group_tests_name("hash (cpu as detected)", tests, mode_native,
					     mode_restore);
	fails += cmocka_run_group_tests_name("hash (FLOWLANE_CPU=scalar)", tests, mode_scalar,
					     mode_restore);
	return fails ? 1 : 0;
}
