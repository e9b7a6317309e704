/* Tests of flow/keyops: every operation against a byte-by-byte reference.
 *
 * The references mask and compare byte by byte and hash with the
 * table-driven software CRC32C (core/hash.h fl_crc32c_sw), so they share no
 * code with what they check. Keys and masks are random with a fixed seed,
 * sparse like real keys (about half the words zero) and dense. The whole
 * group runs twice in one process: with the CPU as detected (AVX2 on the
 * dev box) and with FLOWLANE_CPU=baseline; one more test calls the AVX2 and
 * the generic functions side by side when the CPU has AVX2.
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
#include "flow/keyops.h"

#define ROUNDS 20000

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t *words(struct fl_key *k)
{
	return (uint64_t *)(void *)k;
}

/* Random word: zero, all ones, a few bits, or random, so that masks of whole
 * fields, partial fields and sparse keys all occur. */
static uint64_t random_word(void)
{
	switch (rng_next() % 5) {
	case 0:
	case 1:
		return 0;
	case 2:
		return UINT64_MAX;
	case 3:
		return rng_next() & rng_next() & rng_next();
	default:
		return rng_next();
	}
}

static void random_key(struct fl_key *k)
{
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		words(k)[i] = random_word();
}

/* ---- references ---- */

static void ref_and(const struct fl_key *k, const struct fl_key *m, struct fl_key *out)
{
	const uint8_t *a = (const uint8_t *)k, *b = (const uint8_t *)m;
	uint8_t *o = (uint8_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		o[i] = a[i] & b[i];
}

static bool ref_equal(const struct fl_key *x, const struct fl_key *y)
{
	const uint8_t *a = (const uint8_t *)x, *b = (const uint8_t *)y;
	size_t i;

	for (i = 0; i < sizeof(*x); i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool ref_masked_equal(const struct fl_key *k, const struct fl_key *m,
			     const struct fl_key *v)
{
	const uint8_t *a = (const uint8_t *)k, *b = (const uint8_t *)m, *c = (const uint8_t *)v;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		if ((a[i] & b[i]) != c[i])
			return false;
	return true;
}

static uint32_t ref_nonzero_map(const struct fl_key *k)
{
	const uint8_t *a = (const uint8_t *)k;
	uint32_t map = 0;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		if (a[i])
			map |= 1u << (i / 8);
	return map;
}

/* A raw CRC32C register r (no inversions) after `len` more bytes. */
static uint32_t ref_crc_raw(uint32_t r, const void *p, size_t len)
{
	return ~fl_crc32c_sw(p, len, ~r);
}

/* The definition in keyops.h: lanes of words i, i+6, i+12, i+18 from seeds
 * ~0, S1, S2, S3; fold (b | c << 32) then d into a; invert. */
static uint32_t ref_hash(const struct fl_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t a = ref_crc_raw(~0u, p, 48);
	uint32_t b = ref_crc_raw(FL_KEY_LANE_SEED1, p + 48, 48);
	uint32_t c = ref_crc_raw(FL_KEY_LANE_SEED2, p + 96, 48);
	uint32_t d = ref_crc_raw(FL_KEY_LANE_SEED3, p + 144, 48);
	uint8_t fold[16];
	unsigned i;

	for (i = 0; i < 4; i++) {
		fold[i] = (uint8_t)(b >> (8 * i));
		fold[4 + i] = (uint8_t)(c >> (8 * i));
		fold[8 + i] = (uint8_t)(d >> (8 * i));
		fold[12 + i] = 0;
	}
	a = ref_crc_raw(a, fold, 8);
	a = ref_crc_raw(a, fold + 8, 8);
	return ~a;
}

/* The words of key & mask in map, alternately into lanes a (from ~seed) and
 * b (from seed ^ map); b folded into a; inverted. */
static uint32_t ref_hash_masked_map(const struct fl_key *k, const struct fl_key *m, uint32_t map,
				    uint32_t seed)
{
	struct fl_key masked;
	const uint8_t *p = (const uint8_t *)&masked;
	uint32_t a = ~seed, b = seed ^ map;
	unsigned i, n = 0;
	uint8_t fold[8];

	ref_and(k, m, &masked);
	for (i = 0; i < FL_KEY_WORDS; i++) {
		if (!(map & (1u << i)))
			continue;
		if (n++ % 2 == 0)
			a = ref_crc_raw(a, p + 8 * i, 8);
		else
			b = ref_crc_raw(b, p + 8 * i, 8);
	}
	for (i = 0; i < 8; i++)
		fold[i] = i < 4 ? (uint8_t)(b >> (8 * i)) : 0;
	return ~ref_crc_raw(a, fold, 8);
}

/* ---- tests ---- */

static void mode_applies(void **state)
{
	const char *mode = *state;
	int want = strcmp(mode, "baseline") != 0 && __builtin_cpu_supports("avx2");

	assert_int_equal(fl_keyops_use_avx2(), want);
}

static void hash_equals_reference(void **state)
{
	struct fl_key k;
	unsigned r;

	(void)state;
	rng_state = 0x1234;
	memset(&k, 0, sizeof(k));
	assert_int_equal(fl_key_hash(&k), ref_hash(&k));
	for (r = 0; r < ROUNDS; r++) {
		random_key(&k);
		assert_int_equal(fl_key_hash(&k), ref_hash(&k));
	}
}

/* Flipping any single bit changes the hash (CRC detects all 1-bit errors
 * per lane, and the fold is a bijection of each lane). */
static void hash_sees_every_bit(void **state)
{
	struct fl_key k;
	uint32_t h;
	unsigned bit;

	(void)state;
	rng_state = 0x77;
	random_key(&k);
	h = fl_key_hash(&k);
	for (bit = 0; bit < FL_KEY_WORDS * 64; bit++) {
		words(&k)[bit / 64] ^= 1ull << (bit % 64);
		assert_int_not_equal(fl_key_hash(&k), h);
		words(&k)[bit / 64] ^= 1ull << (bit % 64);
	}
}

static void hash_masked_equals_reference(void **state)
{
	struct fl_key k, m, km;
	unsigned r;

	(void)state;
	rng_state = 0x2345;
	for (r = 0; r < ROUNDS; r++) {
		random_key(&k);
		random_key(&m);
		ref_and(&k, &m, &km);
		assert_int_equal(fl_key_hash_masked(&k, &m), ref_hash(&km));
	}
}

static void hash_masked_map_equals_reference(void **state)
{
	struct fl_key k, k2, m;
	unsigned r, i;

	(void)state;
	rng_state = 0x3456;
	for (r = 0; r < ROUNDS; r++) {
		uint32_t map, seed = (uint32_t)rng_next(), h;

		random_key(&k);
		random_key(&m);
		map = fl_key_nonzero_map(&m);
		h = fl_key_hash_masked_map(&k, &m, map, seed);
		assert_int_equal(h, ref_hash_masked_map(&k, &m, map, seed));
		/* a function of key & mask: bits outside the mask do not count */
		for (i = 0; i < FL_KEY_WORDS; i++)
			words(&k2)[i] = words(&k)[i] ^ (rng_next() & ~words(&m)[i]);
		assert_int_equal(fl_key_hash_masked_map(&k2, &m, map, seed), h);
	}
}

static void nonzero_map_equals_reference(void **state)
{
	struct fl_key k;
	unsigned r;

	(void)state;
	rng_state = 0x4567;
	for (r = 0; r < ROUNDS; r++) {
		random_key(&k);
		assert_int_equal(fl_key_nonzero_map(&k), ref_nonzero_map(&k));
	}
}

static void equal_equals_reference(void **state)
{
	struct fl_key a, b;
	unsigned r;

	(void)state;
	rng_state = 0x5678;
	for (r = 0; r < ROUNDS; r++) {
		random_key(&a);
		b = a;
		if (r % 2) /* one random bit or byte differs */
			((uint8_t *)&b)[rng_next() % sizeof(b)] ^= (uint8_t)(1u << (rng_next() % 8));
		if (r % 7 == 0)
			random_key(&b);
		assert_int_equal(fl_key_equal(&a, &b), ref_equal(&a, &b));
		assert_int_equal(fl_key_equal(&b, &a), ref_equal(&a, &b));
	}
}

static void masked_equal_equals_reference(void **state)
{
	struct fl_key k, m, v;
	unsigned r;

	(void)state;
	rng_state = 0x6789;
	for (r = 0; r < ROUNDS; r++) {
		size_t byte;

		random_key(&k);
		random_key(&m);
		ref_and(&k, &m, &v);
		byte = rng_next() % sizeof(k);
		switch (r % 4) {
		case 0: /* equal */
			break;
		case 1: /* key differs somewhere: inside or outside the mask */
			((uint8_t *)&k)[byte] ^= (uint8_t)(1u << (rng_next() % 8));
			break;
		case 2: /* value differs */
			((uint8_t *)&v)[byte] ^= (uint8_t)(1u << (rng_next() % 8));
			break;
		default:
			random_key(&v);
			break;
		}
		assert_int_equal(fl_key_masked_equal(&k, &m, &v), ref_masked_equal(&k, &m, &v));
	}
}

static void and_equals_reference(void **state)
{
	struct fl_key k, m, out, want;
	unsigned r;

	(void)state;
	rng_state = 0x789a;
	for (r = 0; r < ROUNDS; r++) {
		random_key(&k);
		random_key(&m);
		ref_and(&k, &m, &want);
		fl_key_and(&k, &m, &out);
		assert_memory_equal(&out, &want, sizeof(want));
		fl_key_and(&k, &m, &k); /* in place */
		assert_memory_equal(&k, &want, sizeof(want));
	}
}

/* Bursts of keys where neighbours are equal, differ in one bit (inside the
 * quick-check words or anywhere else) or are unrelated. */
static unsigned random_burst(struct fl_key *keys)
{
	unsigned n = 1 + (unsigned)(rng_next() % 32), i;

	random_key(&keys[0]);
	for (i = 1; i < n; i++) {
		keys[i] = keys[i - 1];
		switch (rng_next() % 4) {
		case 0: /* a repeat */
			break;
		case 1:
			((uint8_t *)&keys[i])[rng_next() % sizeof(keys[i])] ^=
				(uint8_t)(1u << (rng_next() % 8));
			break;
		case 2:
			words(&keys[i])[rng_next() % 2 ? 22 : 12] ^= 1ull << (rng_next() % 64);
			break;
		default:
			random_key(&keys[i]);
			break;
		}
	}
	return n;
}

static uint32_t ref_repeat_map(const struct fl_key *keys, unsigned n)
{
	uint32_t map = 0;
	unsigned i;

	for (i = 1; i < n; i++)
		if (ref_equal(&keys[i], &keys[i - 1]))
			map |= 1u << i;
	return map;
}

static void repeat_map_equals_reference(void **state)
{
	struct fl_key keys[32];
	unsigned r;

	(void)state;
	rng_state = 0x9abc;
	random_key(&keys[0]);
	assert_int_equal(fl_keys_repeat_map(keys, 0), 0);
	assert_int_equal(fl_keys_repeat_map(keys, 1), 0);
	for (r = 0; r < ROUNDS / 4; r++) {
		unsigned n = random_burst(keys);

		assert_int_equal(fl_keys_repeat_map(keys, n), ref_repeat_map(keys, n));
	}
}

/* A burst and a (mask, value): some keys match it, some differ inside the
 * mask, some only outside it. */
static uint32_t match_burst(struct fl_key *keys, struct fl_key *m, struct fl_key *v,
			    uint32_t *map)
{
	uint32_t want = 0;
	unsigned i, n = 1 + (unsigned)(rng_next() % 32);

	random_key(m);
	random_key(&keys[0]);
	ref_and(&keys[0], m, v);
	*map = (uint32_t)rng_next() & (n == 32 ? UINT32_MAX : (1u << n) - 1);
	for (i = 0; i < n; i++) {
		keys[i] = keys[0];
		switch (rng_next() % 3) {
		case 0: /* matches */
			break;
		case 1: /* one bit anywhere: outside the mask it still matches */
			words(&keys[i])[rng_next() % FL_KEY_WORDS] ^= 1ull << (rng_next() % 64);
			break;
		default:
			random_key(&keys[i]);
			break;
		}
		if (ref_masked_equal(&keys[i], m, v))
			want |= 1u << i;
	}
	return want & *map;
}

static void match_map_equals_reference(void **state)
{
	struct fl_key keys[32], m, v;
	unsigned r;

	(void)state;
	rng_state = 0xabcd;
	for (r = 0; r < ROUNDS / 4; r++) {
		uint32_t map, want = match_burst(keys, &m, &v, &map);

		assert_int_equal(fl_keys_match_map(keys, map, &m, &v), want);
	}
}

/* The two implementations side by side, whatever the dispatch says. */
static void avx2_equals_generic(void **state)
{
	struct fl_key a, b, m, v, o1, o2;
	unsigned r;

	(void)state;
	if (!__builtin_cpu_supports("avx2"))
		skip();
	rng_state = 0x89ab;
	for (r = 0; r < ROUNDS; r++) {
		random_key(&a);
		random_key(&m);
		b = a;
		if (r % 2)
			words(&b)[rng_next() % FL_KEY_WORDS] ^= 1ull << (rng_next() % 64);
		ref_and(&a, &m, &v);
		if (r % 3 == 0)
			words(&v)[rng_next() % FL_KEY_WORDS] ^= 1ull << (rng_next() % 64);
		assert_int_equal(fl_key_equal_avx2(&a, &b), fl_key_equal_generic(&a, &b));
		assert_int_equal(fl_key_masked_equal_avx2(&a, &m, &v),
				 fl_key_masked_equal_generic(&a, &m, &v));
		fl_key_and_avx2(&a, &m, &o1);
		fl_key_and_generic(&a, &m, &o2);
		assert_memory_equal(&o1, &o2, sizeof(o1));
	}
	for (r = 0; r < ROUNDS / 4; r++) {
		struct fl_key keys[32];
		unsigned n = random_burst(keys);

		assert_int_equal(fl_keys_repeat_map_avx2(keys, n),
				 fl_keys_repeat_map_generic(keys, n));
	}
	for (r = 0; r < ROUNDS / 4; r++) {
		struct fl_key keys[32];
		uint32_t map;

		match_burst(keys, &m, &v, &map);
		assert_int_equal(fl_keys_match_map_avx2(keys, map, &m, &v),
				 fl_keys_match_map_generic(keys, map, &m, &v));
	}
}

/* ---- groups ---- */

static int mode_native(void **state)
{
	unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	fl_keyops_select();
	*state = (void *)"native";
	return 0;
}

static int mode_baseline(void **state)
{
	setenv("FLOWLANE_CPU", "baseline", 1);
	fl_cpu_reset();
	fl_keyops_select();
	*state = (void *)"baseline";
	return 0;
}

static int mode_restore(void **state)
{
	(void)state;
	unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	fl_keyops_select();
	return 0;
}

#define KEYOPS_TESTS                                         \
	cmocka_unit_test(mode_applies),                      \
	cmocka_unit_test(hash_equals_reference),             \
	cmocka_unit_test(hash_sees_every_bit),               \
	cmocka_unit_test(hash_masked_equals_reference),      \
	cmocka_unit_test(hash_masked_map_equals_reference),  \
	cmocka_unit_test(nonzero_map_equals_reference),      \
	cmocka_unit_test(equal_equals_reference),            \
	cmocka_unit_test(masked_equal_equals_reference),     \
	cmocka_unit_test(and_equals_reference),              \
	cmocka_unit_test(repeat_map_equals_reference),       \
	cmocka_unit_test(match_map_equals_reference)

int main(void)
{
	const struct CMUnitTest native[] = {KEYOPS_TESTS, cmocka_unit_test(avx2_equals_generic)};
	const struct CMUnitTest baseline[] = {KEYOPS_TESTS};
	int fails = 0;

	fails += cmocka_run_group_tests_name("keyops_native", native, mode_native, mode_restore);
	fails += cmocka_run_group_tests_name("keyops_baseline", baseline, mode_baseline,
					     mode_restore);
	return fails;
}
