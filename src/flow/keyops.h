/* Fast operations on whole flow keys: hash, compare, mask.
 *
 * The caches in front of the pipeline (datapath/emc.h, datapath/megaflow.h)
 * hash and compare 192-byte keys (proto/key.h) for every packet, so these are
 * on the hot path. struct fl_match (flow/match.h) has the obviously-correct
 * loops; this header has the fast ones the caches use.
 *
 * Hashing. A key hash is CRC32C (the SSE4.2 crc32 instruction, baseline) run
 * as four independent lanes of six words each, folded at the end. One lane
 * over 24 words (fl_hash_words) is a chain of 24 dependent crc32s, 3 cycles
 * each: 51 TSC cycles of latency, and 7.5-15 ns per key in a loop over
 * independent keys (depending on how far the core overlaps their chains).
 * Four lanes: 25 cycles of latency, 4.7 ns per key. The "compact" form — a
 * bitmap of the non-zero words (AVX2: 6 compares + movemask) and CRC over
 * only those words plus the bitmap — costs 5.8 ns (AVX2 bitmap) or 7.9 ns
 * (SSE4.1) for a 6-word IPv4/UDP key: building the bitmap costs more than
 * the 18 crc32s it saves once they run in four lanes. So the hash reads
 * every word, and has no AVX2 variant: there is no vector CRC to use.
 *
 * A megaflow subtable knows which words its mask covers, so it hashes only
 * those (fl_key_hash_masked_map): 3 ns for a 5-tuple mask's 5 words.
 *
 * Comparing and masking run in 256-bit registers where the CPU has AVX2
 * (keyops_avx2.c: 6 loads per key instead of 12): fl_key_equal 2.4 ns
 * against 4.0 ns baseline, fl_key_masked_equal 2.9 against 5.4 ns. The
 * choice is a branch on a flag set once from fl_cpu_has(FL_CPU_AVX2); a
 * table of function pointers measured the same (2.40 against 2.44 ns AVX2,
 * 4.1 against 4.0 baseline), and the flag lets the baseline path inline
 * into its caller. The AVX2 path is a direct call: gcc cannot inline an
 * avx2-target function into a baseline caller, which is why the fast path's
 * per-burst loops (fl_keys_repeat_map, fl_keys_match_map) are functions of
 * their own: one call per burst, the compare inlined in the AVX2 loop (a
 * call per key cost ~20 instructions more under callgrind).
 *
 * Numbers: EPYC dev box (TSC 2.6 GHz), keys in L2, best of 301 interleaved
 * rounds of 20k operations (the box is shared; medians wander by 2x).
 * bench/bench_cache.c has the same scenarios for flowlane-bench.
 */
#ifndef FL_FLOW_KEYOPS_H
#define FL_FLOW_KEYOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "proto/key.h"

/* ---- dispatch ---- */

/* -1: not chosen yet; 0: baseline; 1: AVX2. Written by fl_keyops_select(). */
extern int fl_keyops_isa;

/* Choose the implementation from fl_cpu_has() (which honours
 * FLOWLANE_CPU=baseline) and return it (0 or 1). Called on first use; tests
 * and benchmarks call it again after fl_cpu_reset() to switch paths. */
int fl_keyops_select(void);

static inline bool fl_keyops_use_avx2(void)
{
	int isa = fl_keyops_isa;

	if (FL_UNLIKELY(isa < 0))
		isa = fl_keyops_select();
	return isa > 0;
}

/* The AVX2 variants (keyops_avx2.c); call only when fl_keyops_use_avx2(). */
bool fl_key_equal_avx2(const struct fl_key *a, const struct fl_key *b);
bool fl_key_masked_equal_avx2(const struct fl_key *key, const struct fl_key *mask,
			      const struct fl_key *value);
void fl_key_and_avx2(const struct fl_key *key, const struct fl_key *mask, struct fl_key *out);
uint32_t fl_keys_repeat_map_avx2(const struct fl_key *keys, unsigned n);
uint32_t fl_keys_match_map_avx2(const struct fl_key *keys, uint32_t map,
				const struct fl_key *mask, const struct fl_key *value);

/* ---- hashing ---- */

/* One raw CRC32C step over a 64-bit word (no pre/post inversion). */
static FL_ALWAYS_INLINE uint64_t fl_key_crc_step(uint64_t h, uint64_t w)
{
#if defined(__SSE4_2__)
	return __builtin_ia32_crc32di(h, w);
#else
	uint32_t c = (uint32_t)h;
	unsigned i;

	for (i = 0; i < 64; i++, w >>= 1)
		c = (c >> 1) ^ (0x82F63B78u & (0u - ((c ^ (uint32_t)w) & 1)));
	return c;
#endif
}

/* Lane seeds: distinct so that swapping two lanes' contents changes the hash. */
#define FL_KEY_LANE_SEED1 0x9e3779b9u
#define FL_KEY_LANE_SEED2 0x85ebca6bu
#define FL_KEY_LANE_SEED3 0xc2b2ae35u

/* Four lanes: words i, i+6, i+12, i+18. The fold feeds lanes b and c as one
 * word and d as another into lane a, so every bit of the key reaches all 32
 * bits of the result. With mask == NULL the key is hashed as is; the
 * compiler drops the ANDs, since every caller passes a constant. */
static FL_ALWAYS_INLINE uint32_t fl_key_hash_lanes(const struct fl_key *key,
						   const struct fl_key *mask, uint32_t seed)
{
	const uint64_t *k = fl_key_words(key);
	const uint64_t *m = mask ? fl_key_words(mask) : NULL;
	uint64_t a = ~seed, b = seed ^ FL_KEY_LANE_SEED1;
	uint64_t c = seed ^ FL_KEY_LANE_SEED2, d = seed ^ FL_KEY_LANE_SEED3;
	unsigned i;

	_Static_assert(FL_KEY_WORDS == 24, "four lanes of six words, four accumulators");
	for (i = 0; i < 6; i++) {
		a = fl_key_crc_step(a, m ? k[i] & m[i] : k[i]);
		b = fl_key_crc_step(b, m ? k[i + 6] & m[i + 6] : k[i + 6]);
		c = fl_key_crc_step(c, m ? k[i + 12] & m[i + 12] : k[i + 12]);
		d = fl_key_crc_step(d, m ? k[i + 18] & m[i + 18] : k[i + 18]);
	}
	a = fl_key_crc_step(a, b | c << 32);
	a = fl_key_crc_step(a, d);
	return ~(uint32_t)a;
}

/* 32-bit hash of the whole key: 4.7 ns per key in a loop (see above). */
static inline uint32_t fl_key_hash(const struct fl_key *key)
{
	return fl_key_hash_lanes(key, NULL, 0);
}

/* Hash of key & mask; equal to fl_key_hash() of the masked key. */
static inline uint32_t fl_key_hash_masked(const struct fl_key *key, const struct fl_key *mask)
{
	return fl_key_hash_lanes(key, mask, 0);
}

/* Bit i set when word i of the key is non-zero (bits 0..23). */
static inline uint32_t fl_key_nonzero_map(const struct fl_key *key)
{
	const uint64_t *k = fl_key_words(key);
	uint32_t map = 0;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		map |= (uint32_t)(k[i] != 0) << i;
	return map;
}

/* Hash of key & mask over only the words in `map`, which must contain every
 * non-zero word of the mask (fl_key_nonzero_map(mask)); `seed` salts it. For
 * a fixed (mask, map, seed) it is a function of key & mask, which is what a
 * megaflow subtable needs: its entries' values and its lookups are hashed
 * the same way. Two lanes, alternating words. Not equal to
 * fl_key_hash_masked(): the two are separate functions. */
static inline uint32_t fl_key_hash_masked_map(const struct fl_key *key, const struct fl_key *mask,
					      uint32_t map, uint32_t seed)
{
	const uint64_t *k = fl_key_words(key), *m = fl_key_words(mask);
	uint64_t a = ~seed, b = seed ^ map;

	while (map) {
		unsigned i = (unsigned)__builtin_ctz(map);

		map &= map - 1;
		a = fl_key_crc_step(a, k[i] & m[i]);
		if (!map)
			break;
		i = (unsigned)__builtin_ctz(map);
		map &= map - 1;
		b = fl_key_crc_step(b, k[i] & m[i]);
	}
	return ~(uint32_t)fl_key_crc_step(a, b);
}

/* ---- compare and mask: baseline versions (plain C, SSE at x86-64-v2) ---- */

/* Four accumulators: gcc keeps the 12-step loop it makes of one (not
 * unrolled at -O2), and the unrolled form measured 3.55 against 4.04 ns. */
static inline bool fl_key_equal_generic(const struct fl_key *a, const struct fl_key *b)
{
	const uint64_t *p = fl_key_words(a), *q = fl_key_words(b);
	uint64_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i += 4) {
		d0 |= p[i] ^ q[i];
		d1 |= p[i + 1] ^ q[i + 1];
		d2 |= p[i + 2] ^ q[i + 2];
		d3 |= p[i + 3] ^ q[i + 3];
	}
	return (d0 | d1 | d2 | d3) == 0;
}

static inline bool fl_key_masked_equal_generic(const struct fl_key *key, const struct fl_key *mask,
					       const struct fl_key *value)
{
	const uint64_t *k = fl_key_words(key), *m = fl_key_words(mask);
	const uint64_t *v = fl_key_words(value);
	uint64_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i += 4) {
		d0 |= (k[i] & m[i]) ^ v[i];
		d1 |= (k[i + 1] & m[i + 1]) ^ v[i + 1];
		d2 |= (k[i + 2] & m[i + 2]) ^ v[i + 2];
		d3 |= (k[i + 3] & m[i + 3]) ^ v[i + 3];
	}
	return (d0 | d1 | d2 | d3) == 0;
}

static inline void fl_key_and_generic(const struct fl_key *key, const struct fl_key *mask,
				      struct fl_key *out)
{
	const uint64_t *k = fl_key_words(key), *m = fl_key_words(mask);
	uint64_t *o = (uint64_t *)(void *)out;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		o[i] = k[i] & m[i];
}

/* Word 22 holds the ports and word 12 the IPv4 addresses: two keys of
 * different flows almost always differ there, so comparing them first
 * rejects a non-repeat for two loads per key. */
#define FL_KEY_QUICK_W1 22
#define FL_KEY_QUICK_W2 12

static FL_ALWAYS_INLINE bool fl_key_quick_differ(const struct fl_key *a, const struct fl_key *b)
{
	const uint64_t *p = fl_key_words(a), *q = fl_key_words(b);

	return ((p[FL_KEY_QUICK_W1] ^ q[FL_KEY_QUICK_W1]) |
		(p[FL_KEY_QUICK_W2] ^ q[FL_KEY_QUICK_W2])) != 0;
}

static inline uint32_t fl_keys_repeat_map_generic(const struct fl_key *keys, unsigned n)
{
	uint32_t map = 0;
	unsigned i;

	for (i = 1; i < n; i++)
		if (!fl_key_quick_differ(&keys[i], &keys[i - 1]) &&
		    fl_key_equal_generic(&keys[i], &keys[i - 1]))
			map |= 1u << i;
	return map;
}

static inline uint32_t fl_keys_match_map_generic(const struct fl_key *keys, uint32_t map,
						 const struct fl_key *mask,
						 const struct fl_key *value)
{
	uint32_t hits = 0;

	for (; map; map &= map - 1) {
		unsigned i = (unsigned)__builtin_ctz(map);

		if (fl_key_masked_equal_generic(&keys[i], mask, value))
			hits |= 1u << i;
	}
	return hits;
}

/* ---- dispatched ---- */

/* a == b, all 192 bytes (padding included: keys are built zeroed). */
static inline bool fl_key_equal(const struct fl_key *a, const struct fl_key *b)
{
	if (fl_keyops_use_avx2())
		return fl_key_equal_avx2(a, b);
	return fl_key_equal_generic(a, b);
}

/* (key & mask) == value. `value` must already be masked (value & mask ==
 * value), as fl_match_normalize() leaves it; otherwise this is false. */
static inline bool fl_key_masked_equal(const struct fl_key *key, const struct fl_key *mask,
				       const struct fl_key *value)
{
	if (fl_keyops_use_avx2())
		return fl_key_masked_equal_avx2(key, mask, value);
	return fl_key_masked_equal_generic(key, mask, value);
}

/* out = key & mask; out may alias key or mask. */
static inline void fl_key_and(const struct fl_key *key, const struct fl_key *mask,
			      struct fl_key *out)
{
	if (fl_keyops_use_avx2())
		fl_key_and_avx2(key, mask, out);
	else
		fl_key_and_generic(key, mask, out);
}

/* Bit i (0 < i < n <= 32) set when keys[i] equals keys[i - 1]: the packets
 * of a burst that repeat the flow of the one before, which can share its
 * cache lookup. One call per burst, so the AVX2 compare is inlined in the
 * loop instead of called per key. */
static inline uint32_t fl_keys_repeat_map(const struct fl_key *keys, unsigned n)
{
	if (fl_keyops_use_avx2())
		return fl_keys_repeat_map_avx2(keys, n);
	return fl_keys_repeat_map_generic(keys, n);
}

/* The keys[i], for each bit i of map, with (keys[i] & mask) == value
 * (value already masked), as a bitmap: one call per burst, with the mask
 * and value loaded once. */
static inline uint32_t fl_keys_match_map(const struct fl_key *keys, uint32_t map,
					 const struct fl_key *mask, const struct fl_key *value)
{
	if (fl_keyops_use_avx2())
		return fl_keys_match_map_avx2(keys, map, mask, value);
	return fl_keys_match_map_generic(keys, map, mask, value);
}

#endif
