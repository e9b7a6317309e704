/* A small seeded PRNG (xorshift64*) for the property tests: fixed seeds make
 * every failure reproducible. One state per test program. */
#ifndef FL_TEST_RNG_H
#define FL_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline void rng_seed(uint64_t s)
{
	rng_state = s * 0x9E3779B97F4A7C15ull + 1;
}

static inline uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* In [0, n), for n small against 2^64. */
static inline unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

#endif
