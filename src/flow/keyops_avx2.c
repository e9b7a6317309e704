/* AVX2 key operations (flow/keyops.h): a key is six 256-bit registers.
 *
 * Compiled for the baseline ISA like the rest, with avx2 enabled per
 * function, and called only when fl_keyops_use_avx2() says the CPU has it.
 * A compare is 6 loads, 6 xors, an or-tree and one vptest, against 12 of
 * each plus scalar folding for the SSE code gcc makes from the plain loops.
 * Unaligned loads: keys are 64-byte aligned by type, but a load that happens
 * to be aligned costs the same as an aligned one, and a caller's copy inside
 * a packed structure must not fault.
 */
#include "flow/keyops.h"

#include <immintrin.h>

#define FL_AVX2 __attribute__((target("avx2")))

_Static_assert(sizeof(struct fl_key) == 6 * sizeof(__m256i), "a key is six ymm registers");

static FL_AVX2 inline __m256i load(const struct fl_key *k, unsigned i)
{
	return _mm256_loadu_si256((const __m256i *)(const void *)k + i);
}

static FL_AVX2 inline bool equal(const struct fl_key *a, const struct fl_key *b)
{
	__m256i d0 = _mm256_xor_si256(load(a, 0), load(b, 0));
	__m256i d1 = _mm256_xor_si256(load(a, 1), load(b, 1));
	__m256i d2 = _mm256_xor_si256(load(a, 2), load(b, 2));
	__m256i d3 = _mm256_xor_si256(load(a, 3), load(b, 3));
	__m256i d4 = _mm256_xor_si256(load(a, 4), load(b, 4));
	__m256i d5 = _mm256_xor_si256(load(a, 5), load(b, 5));

	d0 = _mm256_or_si256(_mm256_or_si256(d0, d1), _mm256_or_si256(d2, d3));
	d0 = _mm256_or_si256(d0, _mm256_or_si256(d4, d5));
	return _mm256_testz_si256(d0, d0);
}

FL_AVX2 bool fl_key_equal_avx2(const struct fl_key *a, const struct fl_key *b)
{
	return equal(a, b);
}

FL_AVX2 bool fl_key_masked_equal_avx2(const struct fl_key *key, const struct fl_key *mask,
				      const struct fl_key *value)
{
	__m256i acc = _mm256_setzero_si256();
	unsigned i;

	for (i = 0; i < 6; i++)
		acc = _mm256_or_si256(acc, _mm256_xor_si256(_mm256_and_si256(load(key, i),
									     load(mask, i)),
							    load(value, i)));
	return _mm256_testz_si256(acc, acc);
}

FL_AVX2 void fl_key_and_avx2(const struct fl_key *key, const struct fl_key *mask,
			     struct fl_key *out)
{
	__m256i *o = (__m256i *)(void *)out;
	unsigned i;

	for (i = 0; i < 6; i++)
		_mm256_storeu_si256(o + i, _mm256_and_si256(load(key, i), load(mask, i)));
}

FL_AVX2 uint32_t fl_keys_repeat_map_avx2(const struct fl_key *keys, unsigned n)
{
	uint32_t map = 0;
	unsigned i;

	for (i = 1; i < n; i++)
		if (!fl_key_quick_differ(&keys[i], &keys[i - 1]) &&
		    equal(&keys[i], &keys[i - 1]))
			map |= 1u << i;
	return map;
}

FL_AVX2 uint32_t fl_keys_match_map_avx2(const struct fl_key *keys, uint32_t map,
					const struct fl_key *mask, const struct fl_key *value)
{
	__m256i m0 = load(mask, 0), m1 = load(mask, 1), m2 = load(mask, 2);
	__m256i m3 = load(mask, 3), m4 = load(mask, 4), m5 = load(mask, 5);
	__m256i v0 = load(value, 0), v1 = load(value, 1), v2 = load(value, 2);
	__m256i v3 = load(value, 3), v4 = load(value, 4), v5 = load(value, 5);
	uint32_t hits = 0;

	for (; map; map &= map - 1) {
		unsigned i = (unsigned)__builtin_ctz(map);
		const struct fl_key *k = &keys[i];
		__m256i d0 = _mm256_xor_si256(_mm256_and_si256(load(k, 0), m0), v0);
		__m256i d1 = _mm256_xor_si256(_mm256_and_si256(load(k, 1), m1), v1);
		__m256i d2 = _mm256_xor_si256(_mm256_and_si256(load(k, 2), m2), v2);
		__m256i d3 = _mm256_xor_si256(_mm256_and_si256(load(k, 3), m3), v3);
		__m256i d4 = _mm256_xor_si256(_mm256_and_si256(load(k, 4), m4), v4);
		__m256i d5 = _mm256_xor_si256(_mm256_and_si256(load(k, 5), m5), v5);

		d0 = _mm256_or_si256(_mm256_or_si256(d0, d1), _mm256_or_si256(d2, d3));
		d0 = _mm256_or_si256(d0, _mm256_or_si256(d4, d5));
		if (_mm256_testz_si256(d0, d0))
			hits |= 1u << i;
	}
	return hits;
}
