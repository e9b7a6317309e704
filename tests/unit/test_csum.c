/* Tests of proto/csum: the RFC 1071 worked example, a known IPv4 header, known
 * ICMP/UDP/TCP checksums, odd lengths and unaligned buffers against a slow
 * byte-at-a-time reference, pseudo-headers against the bytes they stand for,
 * the UDP zero-to-0xffff rule, and RFC 1624 incremental updates.
 *
 * The property tests (fixed seed, thousands of random packets) rewrite a
 * field, update the checksum incrementally and compare with a recomputation
 * from scratch. Corner cases are forced rather than hoped for: a rewrite
 * whose result must be 0x0000 (eqn. 2 would give 0xffff), a start from the
 * 0xffff checksum of all-zero data, and an unchanged field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/csum.h"
#include "proto/headers.h"

#define N_RANDOM 5000

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
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rng_next();
}

/* Slow reference: big-endian 16-bit words, end-around carry at every step,
 * odd trailing byte padded with zero on the right. Host-order result, 0
 * only for all-zero data, as RFC 1071 describes it. */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i < n; i += 2) {
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)s;
}

/* The host-order checksum a sum gives, through the code under test. */
static uint16_t csum_of(uint32_t partial)
{
	return fl_ntohs(fl_csum_fold(partial));
}

static void test_rfc1071_example(void **state)
{
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint32_t s = fl_csum_partial(d, sizeof(d), 0);

	(void)state;
	/* RFC 1071 section 3: the folded sum is ddf2, the checksum its complement. */
	assert_int_equal(csum_of(s), 0xffff - 0xddf2);
	assert_int_equal(fl_ntohs((fl_be16)~fl_csum_fold(s)), 0xddf2);
	assert_int_equal(ref_sum(d, sizeof(d), 0), 0xddf2);
}

static void test_fold(void **state)
{
	(void)state;
	assert_int_equal(fl_csum_fold(0), 0xffff);
	assert_int_equal(fl_csum_fold(0xffff), 0);
	assert_int_equal(fl_csum_fold(0x1fffe), 0);        /* 0xfffe + 1 */
	assert_int_equal(fl_csum_fold(0xffffffffu), 0);    /* 0xffff + 0xffff, twice */
	assert_int_equal(fl_csum_fold(0x00010000u), 0xfffe);
	assert_int_equal(fl_csum_fold(0x12345678u), (uint16_t)~(0x1234 + 0x5678));
}

static void test_ipv4_known_header(void **state)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	fl_be16 c;

	(void)state;
	c = fl_ipv4_hdr_csum(h, sizeof(h));
	memcpy(h + 10, &c, 2);
	assert_int_equal(h[10], 0xb8);
	assert_int_equal(h[11], 0x61);
	/* Verifying: the checksum field is included, a valid header gives 0. */
	assert_int_equal(fl_ipv4_hdr_csum(h, sizeof(h)), 0);
	h[15] ^= 1;
	assert_int_not_equal(fl_ipv4_hdr_csum(h, sizeof(h)), 0);
}

static void test_icmp_known(void **state)
{
	/* Echo request, id 0, seq 0, no data: sum 0x0800, checksum f7ff. */
	uint8_t m[8] = { 8, 0, 0, 0, 0, 0, 0, 0 };
	/* Echo reply, everything zero: sum +0, checksum 0xffff (never 0). */
	uint8_t z[8] = { 0 };

	(void)state;
	assert_int_equal(fl_ntohs(fl_icmp_csum(m, sizeof(m))), 0xf7ff);
	assert_int_equal(fl_icmp_csum(z, sizeof(z)), 0xffff);
	m[2] = 0xf7;
	m[3] = 0xff;
	assert_int_equal(fl_icmp_csum(m, sizeof(m)), 0);
}

/* A UDP datagram 192.168.0.1:1024 -> 192.168.0.199:53 with payload "abc",
 * and the same bytes as TCP-less data: values worked out by hand from the
 * pseudo-header (c0a8+0001+c0a8+00c7+0011+000b) and the header words. */
static void test_udp_ipv4_known(void **state)
{
	uint8_t u[11] = { 0x04, 0x00, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'a', 'b', 'c' };
	fl_be32 src = fl_htonl(0xc0a80001), dst = fl_htonl(0xc0a800c7);
	uint32_t s;

	(void)state;
	/* c0a8+0001+c0a8+00c7+0011+000b + 0400+0035+000b+0000+6162+6300 */
	s = 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 0x0011 + 0x000b + 0x0400 + 0x0035 + 0x000b +
	    0x6162 + 0x6300;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	assert_int_equal(fl_ntohs(fl_l4_csum_ipv4(src, dst, FL_IPPROTO_UDP, u, sizeof(u))),
			 (uint16_t)~s);
	/* Store and verify through the pseudo-header sum. */
	fl_put_u16(u + 6, fl_l4_csum_ipv4(src, dst, FL_IPPROTO_UDP, u, sizeof(u)));
	assert_int_equal(fl_csum_fold(fl_csum_partial(u, sizeof(u),
				      fl_csum_pseudo_ipv4(src, dst, FL_IPPROTO_UDP, 11))), 0);
}

/* All lengths 0..300 at all offsets 0..15, against the slow reference, with
 * zero, small and all-ones starting sums. */
static void test_odd_lengths_unaligned(void **state)
{
	static const uint32_t starts[] = { 0, 1, 0x1234, 0xffff, 0x10000, 0xffffffffu };
	uint8_t *buf = malloc(300 + 16);
	size_t len, ofs, k;

	(void)state;
	assert_non_null(buf);
	rng_state = 0x0123456789abcdefull;
	rng_fill(buf, 316);
	for (k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		uint32_t st = starts[k];
		uint32_t st16 = (st & 0xffff) + (st >> 16);

		/* The reference takes the start in network order, the code in memory
		 * order: swap the folded start once. */
		st16 = (st16 & 0xffff) + (st16 >> 16);
		st16 = fl_ntohs((uint16_t)st16);
		for (ofs = 0; ofs < 16; ofs++) {
			for (len = 0; len <= 300; len++) {
				uint16_t want = ref_sum(buf + ofs, len, st16);
				uint16_t got;

				got = (uint16_t)~csum_of(fl_csum_partial(buf + ofs, len, st));

				if (got != want)
					fail_msg("start %#x ofs %zu len %zu: %#x want %#x", st, ofs,
						 len, got, want);
			}
		}
	}
	free(buf);
}

/* All-ones data stresses the carries of every accumulator. */
static void test_carries(void **state)
{
	uint8_t buf[4096 + 7];
	size_t len;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	for (len = 1; len <= 4096; len = len * 3 + 1) {
		uint16_t want = ref_sum(buf + 1, len, 0);

		assert_int_equal((uint16_t)~csum_of(fl_csum_partial(buf + 1, len, 0xffffffffu)),
				 ref_sum(buf + 1, len, 0xffff));
		assert_int_equal((uint16_t)~csum_of(fl_csum_partial(buf + 1, len, 0)), want);
	}
}

/* A sum may continue over pieces, every piece but the last of even length. */
static void test_partial_chaining(void **state)
{
	uint8_t buf[1500];
	int i;

	(void)state;
	rng_state = 42;
	rng_fill(buf, sizeof(buf));
	for (i = 0; i < N_RANDOM; i++) {
		size_t len = 1 + rng_next() % sizeof(buf);
		size_t cut = (rng_next() % (len + 1)) & ~(size_t)1;
		uint32_t s = fl_csum_partial(buf, cut, 0);

		s = fl_csum_partial(buf + cut, len - cut, s);
		assert_int_equal(fl_csum_fold(s), fl_csum_fold(fl_csum_partial(buf, len, 0)));
	}
}

static void test_pseudo_ipv4(void **state)
{
	uint8_t ph[12];
	int i;

	(void)state;
	rng_state = 7;
	for (i = 0; i < N_RANDOM; i++) {
		fl_be32 src = (fl_be32)rng_next(), dst = (fl_be32)rng_next();
		uint8_t proto = (uint8_t)rng_next();
		uint16_t len = (uint16_t)rng_next();

		memcpy(ph, &src, 4);
		memcpy(ph + 4, &dst, 4);
		ph[8] = 0;
		ph[9] = proto;
		fl_put_u16(ph + 10, fl_htons(len));
		assert_int_equal(fl_csum_fold(fl_csum_pseudo_ipv4(src, dst, proto, len)),
				 fl_csum_fold(fl_csum_partial(ph, sizeof(ph), 0)));
	}
}

static void test_pseudo_ipv6(void **state)
{
	uint8_t ph[40];
	int i;

	(void)state;
	rng_state = 8;
	for (i = 0; i < N_RANDOM; i++) {
		uint32_t len = (uint32_t)rng_next();
		uint8_t proto = (uint8_t)rng_next();

		rng_fill(ph, 32);
		fl_put_u32(ph + 32, fl_htonl(len));
		memset(ph + 36, 0, 3);
		ph[39] = proto;
		assert_int_equal(fl_csum_fold(fl_csum_pseudo_ipv6(ph, ph + 16, proto, len)),
				 fl_csum_fold(fl_csum_partial(ph, sizeof(ph), 0)));
	}
}

/* Set the last word at an even offset of an L4 message so that its sum with
 * the pseudo-header is 0xffff: the computed checksum is then 0. */
static void force_zero_sum(uint8_t *l4, size_t len, uint32_t pseudo)
{
	size_t w = (len - 2) & ~(size_t)1;

	fl_put_u16(l4 + w, 0);
	/* fold() gives ~S; adding ~S to S makes 0xffff */
	fl_put_u16(l4 + w, fl_csum_fold(fl_csum_partial(l4, len, pseudo)));
}

static void test_udp_zero_becomes_ffff(void **state)
{
	uint8_t m[32];
	fl_be32 s4 = fl_htonl(0x0a000001), d4 = fl_htonl(0x0a000002);
	uint8_t s6[16] = { 0xfe, 0x80, [15] = 1 }, d6[16] = { 0xfe, 0x80, [15] = 2 };

	(void)state;
	rng_state = 99;
	rng_fill(m, sizeof(m));
	fl_put_u16(m + 6, 0); /* UDP checksum field */

	force_zero_sum(m, sizeof(m), fl_csum_pseudo_ipv4(s4, d4, FL_IPPROTO_UDP, sizeof(m)));
	assert_int_equal(fl_l4_csum_ipv4(s4, d4, FL_IPPROTO_UDP, m, sizeof(m)), 0xffff);
	/* The same sum as TCP keeps its 0 (another protocol, re-forced). */
	force_zero_sum(m, sizeof(m), fl_csum_pseudo_ipv4(s4, d4, FL_IPPROTO_TCP, sizeof(m)));
	assert_int_equal(fl_l4_csum_ipv4(s4, d4, FL_IPPROTO_TCP, m, sizeof(m)), 0);

	/* IPv6: UDP must not carry 0 either (RFC 8200 section 8.1). */
	force_zero_sum(m, sizeof(m), fl_csum_pseudo_ipv6(s6, d6, FL_IPPROTO_UDP, sizeof(m)));
	assert_int_equal(fl_l4_csum_ipv6(s6, d6, FL_IPPROTO_UDP, m, sizeof(m)), 0xffff);
	force_zero_sum(m, sizeof(m), fl_csum_pseudo_ipv6(s6, d6, FL_IPPROTO_ICMPV6, sizeof(m)));
	assert_int_equal(fl_l4_csum_ipv6(s6, d6, FL_IPPROTO_ICMPV6, m, sizeof(m)), 0);
}

/* 0xffff stored as the UDP checksum verifies like any other value: the sum
 * over the message with it is 0xffff. */
static void test_udp_ffff_verifies(void **state)
{
	uint8_t m[32];
	fl_be32 s4 = fl_htonl(0xc0000201), d4 = fl_htonl(0xc6336401);
	uint32_t ph = fl_csum_pseudo_ipv4(s4, d4, FL_IPPROTO_UDP, sizeof(m));

	(void)state;
	rng_state = 1234;
	rng_fill(m, sizeof(m));
	fl_put_u16(m + 6, 0);
	force_zero_sum(m, sizeof(m), ph);
	fl_put_u16(m + 6, fl_l4_csum_ipv4(s4, d4, FL_IPPROTO_UDP, m, sizeof(m)));
	assert_int_equal(fl_get_u16(m + 6), 0xffff);
	assert_int_equal(fl_csum_fold(fl_csum_partial(m, sizeof(m), ph)), 0);
}

static void test_update16_rfc1624_example(void **state)
{
	(void)state;
	/* RFC 1624 section 4: m 0x5555 -> 0x3285 with the other words summing
	 * to 0xcd7a: HC 0xdd2f becomes 0x0000 (eqn. 2 would give 0xffff). */
	assert_int_equal(fl_csum_update16(fl_htons(0xdd2f), fl_htons(0x5555), fl_htons(0x3285)),
			 0);
	/* And back again. */
	assert_int_equal(fl_ntohs(fl_csum_update16(0, fl_htons(0x3285), fl_htons(0x5555))),
			 0xdd2f);
}

/* Random IPv4-like headers of 20..60 bytes; rewrite one aligned 16-bit word
 * (not the checksum), update, compare with recomputation. */
static void test_update16_random(void **state)
{
	uint8_t h[60];
	int i;

	(void)state;
	rng_state = 0xfeedface;
	for (i = 0; i < N_RANDOM; i++) {
		size_t len = 20 + 4 * (rng_next() % 11);
		size_t w = 2 * (rng_next() % (len / 2));
		fl_be16 old_v, new_v, c;

		if (w == 10)
			w = 0;
		rng_fill(h, len);
		fl_put_u16(h + 10, 0);
		fl_put_u16(h + 10, fl_ipv4_hdr_csum(h, len));
		old_v = fl_get_u16(h + w);
		new_v = (fl_be16)rng_next();
		if (i % 16 == 0)
			new_v = old_v; /* unchanged field: checksum unchanged */
		c = fl_csum_update16(fl_get_u16(h + 10), old_v, new_v);
		fl_put_u16(h + w, new_v);
		fl_put_u16(h + 10, 0);
		assert_int_equal(c, fl_ipv4_hdr_csum(h, len));
		fl_put_u16(h + 10, c);
		assert_int_equal(fl_ipv4_hdr_csum(h, len), 0);
	}
}

/* Rewrites that must end at checksum 0x0000: another word is chosen so the
 * new header sums to 0xffff. */
static void test_update16_forced_zero(void **state)
{
	uint8_t h[20];
	int i;

	(void)state;
	rng_state = 0xabad1dea;
	for (i = 0; i < N_RANDOM; i++) {
		fl_be16 old_v = (fl_be16)rng_next(), new_v = (fl_be16)rng_next(), c_old;

		rng_fill(h, sizeof(h));
		fl_put_u16(h + 10, 0);
		fl_put_u16(h + 2, new_v);
		force_zero_sum(h, 6, fl_csum_partial(h + 6, sizeof(h) - 6, 0)); /* word at 4 */
		assert_int_equal(fl_ipv4_hdr_csum(h, sizeof(h)), 0);

		fl_put_u16(h + 2, old_v);
		c_old = fl_ipv4_hdr_csum(h, sizeof(h));
		assert_int_equal(fl_csum_update16(c_old, old_v, new_v), 0);
	}
}

/* Start from all-zero data (checksum 0xffff) and set a word. */
static void test_update16_from_ffff(void **state)
{
	uint8_t m[8] = { 0 };
	fl_be16 c = fl_icmp_csum(m, sizeof(m));
	unsigned int v;

	(void)state;
	assert_int_equal(c, 0xffff);
	for (v = 1; v <= 0xffff; v += 97) {
		fl_be16 nv = (fl_be16)v;

		fl_put_u16(m + 4, nv);
		assert_int_equal(fl_csum_update16(c, 0, nv), fl_icmp_csum(m, sizeof(m)));
	}
	/* The one place eqn. 3 and recomputation differ: rewriting back to all
	 * zeros gives 0x0000 (+0) where recomputation gives 0xffff (-0); both
	 * are zero in one's complement. No IP header or pseudo-header can be all
	 * zeros; only an ICMPv4 echo reply with id 0, seq 0 and no data can. */
	fl_put_u16(m + 4, fl_htons(0x1234));
	c = fl_icmp_csum(m, sizeof(m));
	assert_int_equal(fl_csum_update16(c, fl_htons(0x1234), 0), 0);
}

/* IPv4 NAT: rewrite the source address; the IP header checksum and the
 * TCP checksum (through its pseudo-header) follow with update32. UDP is
 * checked too, with the RFC 768 rule a caller applies to a 0 result. */
static void test_update32_random(void **state)
{
	uint8_t ip[20], l4[64];
	int i;

	(void)state;
	rng_state = 0x5eed5eed;
	for (i = 0; i < N_RANDOM; i++) {
		size_t len = 8 + rng_next() % 57;
		uint8_t proto = (i & 1) ? FL_IPPROTO_UDP : FL_IPPROTO_TCP;
		size_t co = proto == FL_IPPROTO_UDP ? 6 : 16;
		fl_be32 old_a = (fl_be32)rng_next(), new_a = (fl_be32)rng_next(), dst;
		fl_be16 ipc, l4c, want;

		if (len < co + 2)
			len = co + 2;
		rng_fill(ip, sizeof(ip));
		rng_fill(l4, len);
		dst = fl_get_u32(ip + 16);
		fl_put_u32(ip + 12, old_a);
		fl_put_u16(ip + 10, 0);
		ipc = fl_ipv4_hdr_csum(ip, sizeof(ip));
		fl_put_u16(l4 + co, 0);
		l4c = fl_l4_csum_ipv4(old_a, dst, proto, l4, len);

		fl_put_u32(ip + 12, new_a);
		assert_int_equal(fl_csum_update32(ipc, old_a, new_a), fl_ipv4_hdr_csum(ip, 20));

		want = fl_l4_csum_ipv4(new_a, dst, proto, l4, len);
		l4c = fl_csum_update32(l4c, old_a, new_a);
		if (proto == FL_IPPROTO_UDP && l4c == 0)
			l4c = 0xffff;
		assert_int_equal(l4c, want);
	}
}

static void test_update32_forced_zero(void **state)
{
	uint8_t h[20];
	int i;

	(void)state;
	rng_state = 0xc0ffee;
	for (i = 0; i < N_RANDOM; i++) {
		fl_be32 old_a = (fl_be32)rng_next(), new_a = (fl_be32)rng_next();
		fl_be16 c_old;

		rng_fill(h, sizeof(h));
		fl_put_u16(h + 10, 0);
		fl_put_u32(h + 16, new_a);
		force_zero_sum(h, 6, fl_csum_partial(h + 6, sizeof(h) - 6, 0));
		assert_int_equal(fl_ipv4_hdr_csum(h, sizeof(h)), 0);

		fl_put_u32(h + 16, old_a);
		c_old = fl_ipv4_hdr_csum(h, sizeof(h));
		assert_int_equal(fl_csum_update32(c_old, old_a, new_a), 0);
	}
}

/* IPv6 NAT / prefix translation: rewrite an address under a TCP or ICMPv6
 * checksum, plainly random and forced to end at 0x0000. */
static void test_update128_random(void **state)
{
	uint8_t src[16], dst[16], nsrc[16], l4[80];
	int i;

	(void)state;
	rng_state = 0x6666;
	for (i = 0; i < N_RANDOM; i++) {
		size_t len = 20 + rng_next() % 61;
		uint8_t proto = (i & 1) ? FL_IPPROTO_ICMPV6 : FL_IPPROTO_TCP;
		size_t co = proto == FL_IPPROTO_TCP ? 16 : 2;
		fl_be16 c, want;

		rng_fill(src, 16);
		rng_fill(dst, 16);
		rng_fill(nsrc, 16);
		if (i % 8 == 0)
			memcpy(nsrc, src, 8); /* a prefix kept, only the host part changes */
		rng_fill(l4, len);
		fl_put_u16(l4 + co, 0);
		if (i % 4 == 1) /* force the new checksum to be 0x0000 */
			force_zero_sum(l4, len,
				       fl_csum_pseudo_ipv6(nsrc, dst, proto, (uint32_t)len));
		c = fl_l4_csum_ipv6(src, dst, proto, l4, len);
		want = fl_l4_csum_ipv6(nsrc, dst, proto, l4, len);
		if (i % 4 == 1)
			assert_int_equal(want, 0);
		assert_int_equal(fl_csum_update128(c, src, nsrc), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_ipv4_known_header),
		cmocka_unit_test(test_icmp_known),
		cmocka_unit_test(test_udp_ipv4_known),
		cmocka_unit_test(test_odd_lengths_unaligned),
		cmocka_unit_test(test_carries),
		cmocka_unit_test(test_partial_chaining),
		cmocka_unit_test(test_pseudo_ipv4),
		cmocka_unit_test(test_pseudo_ipv6),
		cmocka_unit_test(test_udp_zero_becomes_ffff),
		cmocka_unit_test(test_udp_ffff_verifies),
		cmocka_unit_test(test_update16_rfc1624_example),
		cmocka_unit_test(test_update16_random),
		cmocka_unit_test(test_update16_forced_zero),
		cmocka_unit_test(test_update16_from_ffff),
		cmocka_unit_test(test_update32_random),
		cmocka_unit_test(test_update32_forced_zero),
		cmocka_unit_test(test_update128_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
