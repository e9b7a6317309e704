/* Hashes: CRC32C for tables, Toeplitz for RSS.
 *
 * CRC32C (Castagnoli) hashes flow keys for the classifier and caches. x86-64-v2
 * has the SSE4.2 crc32 instruction, so the hardware path is the normal one;
 * the table-driven software path is kept for other CPUs and tested against it.
 *
 * Toeplitz is what NICs compute for RSS; computing the same function in
 * software lets flowlane steer a single-queue port's packets to workers
 * exactly as a multi-queue NIC would (RPS), and predict which queue a flow
 * lands on. The default key is the 40-byte key published by Microsoft and
 * used by most NICs; its test vectors are in the tests. */
#ifndef FL_CORE_HASH_H
#define FL_CORE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/byteorder.h"

/* CRC32C of len bytes, continuing from `seed` (0 for a fresh hash). Uses the
 * crc32 instruction when the CPU has it (fl_cpu_has(FL_CPU_SSE42)). */
uint32_t fl_crc32c(const void *data, size_t len, uint32_t seed);
/* The two implementations, exposed for tests and benchmarks. */
uint32_t fl_crc32c_sw(const void *data, size_t len, uint32_t seed);
uint32_t fl_crc32c_hw(const void *data, size_t len, uint32_t seed);

/* Hash of a 64-bit word sequence (flow keys): n words, one crc32 each. Equal
 * to fl_crc32c(w, n * 8, seed): same seed convention (register starts at
 * ~seed, result inverted), so the two can be mixed and tested against each
 * other. */
static inline uint32_t fl_hash_words(const uint64_t *w, size_t n, uint32_t seed)
{
#if defined(__SSE4_2__)
	uint64_t h = (uint32_t)~seed;
	size_t i;

	for (i = 0; i < n; i++)
		h = __builtin_ia32_crc32di(h, w[i]);
	return ~(uint32_t)h;
#else
	return fl_crc32c(w, n * 8, seed);
#endif
}

#define FL_TOEPLITZ_KEY_LEN 40
/* Longest input: IPv6 src + dst + ports = 36 bytes. */
#define FL_TOEPLITZ_MAX_INPUT 36

extern const uint8_t fl_toeplitz_default_key[FL_TOEPLITZ_KEY_LEN];

/* Precomputed Toeplitz state: for every input byte position and byte value,
 * the 32-bit contribution to the hash, so hashing is one table load and XOR
 * per input byte instead of eight shifts per bit. */
struct fl_toeplitz {
	bool symmetric; /* see fl_toeplitz_init */
	uint32_t table[FL_TOEPLITZ_MAX_INPUT][256];
};

/* Prepare a hash context from a 40-byte key. With symmetric = true the hash of
 * (src, dst, sport, dport) equals that of (dst, src, dport, sport), so both
 * directions of a connection land on the same worker; this is done by hashing
 * the addresses and ports in a canonical (sorted) order, which keeps the
 * standard key and its published vectors valid for the non-symmetric case. */
void fl_toeplitz_init(struct fl_toeplitz *t, const uint8_t key[FL_TOEPLITZ_KEY_LEN],
		      bool symmetric);

/* Raw Toeplitz hash of len (<= FL_TOEPLITZ_MAX_INPUT) bytes. */
uint32_t fl_toeplitz_hash(const struct fl_toeplitz *t, const uint8_t *input, size_t len);
/* Reference bit-by-bit implementation straight from the definition (tests). */
uint32_t fl_toeplitz_hash_ref(const uint8_t key[FL_TOEPLITZ_KEY_LEN], const uint8_t *input,
			      size_t len);

/* RSS hashes over the fields NICs use. Addresses and ports are in network
 * byte order, as they are in packets and in the flow key. sport/dport = 0 and
 * with_ports = false gives the L3-only hash. */
uint32_t fl_rss_ipv4(const struct fl_toeplitz *t, fl_be32 src, fl_be32 dst, fl_be16 sport,
		     fl_be16 dport, bool with_ports);
uint32_t fl_rss_ipv6(const struct fl_toeplitz *t, const uint8_t src[16], const uint8_t dst[16],
		     fl_be16 sport, fl_be16 dport, bool with_ports);

#endif
