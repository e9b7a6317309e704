/* CRC32C and Toeplitz, the two hashes of core/hash.h.
 *
 * CRC32C uses the zlib convention for its seed: the register starts at ~seed
 * and the result is inverted, so seed 0 gives the standard CRC32C and feeding
 * the result of one call as the seed of the next hashes the concatenation.
 * The software path is slicing-by-8 (eight 1 KiB tables built once); the
 * hardware path is the SSE4.2 crc32 instruction, 8 bytes per instruction.
 * fl_hash_words in hash.h is the hardware path specialised to whole words
 * and gives the same value for the same bytes.
 *
 * Toeplitz follows the Microsoft RSS definition: for every set bit i of the
 * input (most significant bit of byte 0 first), XOR in the 32 key bits that
 * start at key bit i. fl_toeplitz_init folds the key into one table per input
 * byte position, so a hash costs one load and XOR per input byte.
 */
#include "core/hash.h"

#include <pthread.h>
#include <string.h>

#include "core/compiler.h"
#include "core/cpu.h"

/* ---- CRC32C ---- */

#define CRC32C_POLY 0x82F63B78u /* Castagnoli, bit-reflected */

static uint32_t crc_tab[8][256];
static pthread_once_t crc_tab_once = PTHREAD_ONCE_INIT;

/* crc_tab[0] is the classic byte-at-a-time table; crc_tab[k][b] is the CRC of
 * byte b followed by k zero bytes, which lets one step consume 8 bytes. */
static void crc_tab_build(void)
{
	unsigned b, k, bit;

	for (b = 0; b < 256; b++) {
		uint32_t c = b;

		for (bit = 0; bit < 8; bit++)
			c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
		crc_tab[0][b] = c;
	}
	for (k = 1; k < 8; k++)
		for (b = 0; b < 256; b++) {
			uint32_t c = crc_tab[k - 1][b];

			crc_tab[k][b] = (c >> 8) ^ crc_tab[0][c & 0xff];
		}
}

uint32_t fl_crc32c_sw(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	uint32_t crc = ~seed;

	pthread_once(&crc_tab_once, crc_tab_build);
	for (; len >= 8; len -= 8, p += 8) {
		/* little-endian load: byte 0 of the block meets the low byte of crc */
		uint64_t v = fl_get_u64(p) ^ crc;

		crc = crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^
		      crc_tab[5][(v >> 16) & 0xff] ^ crc_tab[4][(v >> 24) & 0xff] ^
		      crc_tab[3][(v >> 32) & 0xff] ^ crc_tab[2][(v >> 40) & 0xff] ^
		      crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

uint32_t fl_crc32c_hw(const void *data, size_t len, uint32_t seed)
{
#if defined(__SSE4_2__)
	const uint8_t *p = data;
	uint64_t crc = ~seed;

	/* One dependent chain: 3 cycles per 8 bytes on current cores. Flow keys
	 * are a few words, so interleaved streams would not pay here. */
	for (; len >= 8; len -= 8, p += 8)
		crc = __builtin_ia32_crc32di(crc, fl_get_u64(p));
	if (len & 4) {
		crc = __builtin_ia32_crc32si((uint32_t)crc, fl_get_u32(p));
		p += 4;
	}
	if (len & 2) {
		crc = __builtin_ia32_crc32hi((uint32_t)crc, fl_get_u16(p));
		p += 2;
	}
	if (len & 1)
		crc = __builtin_ia32_crc32qi((uint32_t)crc, *p);
	return ~(uint32_t)crc;
#else
	return fl_crc32c_sw(data, len, seed);
#endif
}

/* cpu.c caches the feature bits (one relaxed load here); asking it on every
 * call rather than keeping a second copy of the choice is what lets
 * fl_cpu_reset() with FLOWLANE_CPU=scalar switch paths in tests. */
uint32_t fl_crc32c(const void *data, size_t len, uint32_t seed)
{
	if (FL_LIKELY(fl_cpu_has(FL_CPU_SSE42)))
		return fl_crc32c_hw(data, len, seed);
	return fl_crc32c_sw(data, len, seed);
}

/* ---- Toeplitz ---- */

/* Microsoft's RSS verification key, the default of most NICs. */
const uint8_t fl_toeplitz_default_key[FL_TOEPLITZ_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Bit i of the key, counting from the most significant bit of byte 0. */
static unsigned key_bit(const uint8_t *key, unsigned i)
{
	return (key[i / 8] >> (7 - i % 8)) & 1;
}

/* The 32 key bits starting at bit i, first bit most significant. */
static uint32_t key_window(const uint8_t *key, unsigned i)
{
	uint32_t w = 0;
	unsigned j;

	for (j = 0; j < 32; j++)
		w = (w << 1) | key_bit(key, i + j);
	return w;
}

uint32_t fl_toeplitz_hash_ref(const uint8_t key[FL_TOEPLITZ_KEY_LEN], const uint8_t *input,
			      size_t len)
{
	uint32_t h = 0;
	unsigned i;

	if (len > FL_TOEPLITZ_MAX_INPUT)
		len = FL_TOEPLITZ_MAX_INPUT;
	for (i = 0; i < len * 8; i++)
		if ((input[i / 8] >> (7 - i % 8)) & 1)
			h ^= key_window(key, i);
	return h;
}

void fl_toeplitz_init(struct fl_toeplitz *t, const uint8_t key[FL_TOEPLITZ_KEY_LEN],
		      bool symmetric)
{
	unsigned pos, b, m;

	t->symmetric = symmetric;
	for (pos = 0; pos < FL_TOEPLITZ_MAX_INPUT; pos++) {
		uint32_t win[8];

		/* win[m] is what bit m of this byte (m = 0 is 0x80) contributes */
		for (m = 0; m < 8; m++)
			win[m] = key_window(key, pos * 8 + m);
		t->table[pos][0] = 0;
		/* the hash is linear: a byte's entry is its top bit's window XOR
		 * the entry of the byte without that bit, already computed */
		for (b = 1; b < 256; b++) {
			unsigned top = 31 - (unsigned)__builtin_clz(b);

			t->table[pos][b] = win[7 - top] ^ t->table[pos][b & ~(1u << top)];
		}
	}
}

uint32_t fl_toeplitz_hash(const struct fl_toeplitz *t, const uint8_t *input, size_t len)
{
	uint32_t h = 0;
	size_t i = 0;

	if (len > FL_TOEPLITZ_MAX_INPUT)
		len = FL_TOEPLITZ_MAX_INPUT;
	/* four independent loads per step; the XORs reassociate freely */
	for (; i + 4 <= len; i += 4)
		h ^= t->table[i][input[i]] ^ t->table[i + 1][input[i + 1]] ^
		     t->table[i + 2][input[i + 2]] ^ t->table[i + 3][input[i + 3]];
	for (; i < len; i++)
		h ^= t->table[i][input[i]];
	return h;
}

/* Input layout, as the Microsoft RSS spec and NICs define it: source address,
 * destination address, source port, destination port, all in network order.
 * (Tables of the published vectors list destination first; the hash input is
 * still source first.) In symmetric mode the (address, port) pairs are put in
 * canonical order first, the smaller pair in the source position, so a reply
 * hashes like its request; a flow already in canonical order hashes exactly
 * as in the non-symmetric mode. */
uint32_t fl_rss_ipv4(const struct fl_toeplitz *t, fl_be32 src, fl_be32 dst, fl_be16 sport,
		     fl_be16 dport, bool with_ports)
{
	uint8_t in[12];

	if (!with_ports)
		sport = dport = 0;
	if (t->symmetric) {
		uint32_t s = fl_ntohl(src), d = fl_ntohl(dst);

		if (s > d || (s == d && fl_ntohs(sport) > fl_ntohs(dport))) {
			fl_be32 ta = src;
			fl_be16 tp = sport;

			src = dst;
			dst = ta;
			sport = dport;
			dport = tp;
		}
	}
	fl_put_u32(in, src);
	fl_put_u32(in + 4, dst);
	fl_put_u16(in + 8, sport);
	fl_put_u16(in + 10, dport);
	return fl_toeplitz_hash(t, in, with_ports ? 12 : 8);
}

uint32_t fl_rss_ipv6(const struct fl_toeplitz *t, const uint8_t src[16], const uint8_t dst[16],
		     fl_be16 sport, fl_be16 dport, bool with_ports)
{
	uint8_t in[36];

	if (!with_ports)
		sport = dport = 0;
	if (t->symmetric) {
		int c = memcmp(src, dst, 16);

		if (c > 0 || (c == 0 && fl_ntohs(sport) > fl_ntohs(dport))) {
			const uint8_t *ta = src;
			fl_be16 tp = sport;

			src = dst;
			dst = ta;
			sport = dport;
			dport = tp;
		}
	}
	memcpy(in, src, 16);
	memcpy(in + 16, dst, 16);
	fl_put_u16(in + 32, sport);
	fl_put_u16(in + 34, dport);
	return fl_toeplitz_hash(t, in, with_ports ? 36 : 32);
}
