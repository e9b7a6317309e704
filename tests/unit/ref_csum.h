/* The Internet checksum (RFC 1071) the slow, obvious way, byte by byte over
 * big-endian 16-bit words: a model independent of proto/csum, for the tests
 * and fuzz targets that check checksums flowlane writes. */
#ifndef FL_TEST_REF_CSUM_H
#define FL_TEST_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add n bytes at p to a running 32-bit sum (an odd last byte is the high
 * half of its word). */
static inline uint32_t ref_csum_add(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

/* Fold the carries back in: 0xffff over data that includes a correct
 * checksum. */
static inline uint16_t ref_csum_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

#endif
