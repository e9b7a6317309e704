/* Tests of proto/build: one frame of every kind (Ethernet, VLAN, QinQ, ARP,
 * IPv4 with options, IPv6 with hop-by-hop / routing / destination-options /
 * fragment headers, TCP, UDP, ICMP, ICMPv6 echo, ND NS/NA with link-layer
 * options, VXLAN) compared byte for byte with frames written out by hand.
 * The expected bytes were written field by field with their checksums
 * computed by a separate plain RFC 1071 sum, and cross-checked with tshark
 * (every IPv4, TCP, UDP and ICMP checksum "Good", every length decoded).
 *
 * Every built frame is also walked by a small parser here (not proto/parse)
 * that checks each IPv4 total length and header checksum, IPv6 payload
 * length, UDP length and every L4 checksum, going into VXLAN. Then the
 * overflow rules (no byte written past cap at any cap, finish returns 0),
 * bad arguments, next-protocol chaining, padding, the UDP zero-checksum rule
 * and fl_build_flow_frame over v4/v6 x UDP/TCP/ICMP x tagged/untagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/build.h"
#include "proto/csum.h"

/* Expected frames, written field by field (see the top of the file). */
static const char *const exp_udp4 =
	"02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 "
	"00 20 00 00 00 00 40 11 66 cb 0a 00 00 01 0a 00 "
	"00 02 04 d2 16 2e 00 0c ae af 10 11 12 13";
static const char *const exp_vlan_tcp4 =
	"02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 64 "
	"08 00 45 00 00 28 00 00 00 00 40 06 66 ce 0a 00 "
	"00 01 0a 00 00 02 9c 40 00 50 00 00 00 00 00 00 "
	"00 00 50 02 ff ff ff 4f 00 00";
static const char *const exp_qinq_icmp4_opts =
	"02 00 00 00 00 02 02 00 00 00 00 01 88 a8 00 0a "
	"81 00 20 14 08 00 46 10 00 24 be ef 40 00 07 01 "
	"9d d6 0a 00 00 01 0a 00 00 02 01 01 01 00 08 00 "
	"e6 c9 12 34 00 01 fe ff 00 01";
static const char *const exp_arp =
	"ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 "
	"08 00 06 04 00 01 02 00 00 00 00 01 0a 00 00 01 "
	"00 00 00 00 00 00 0a 00 00 02 00 01 02 03 04 05 "
	"06 07 08 09 0a 0b 0c 0d 0e 0f 10 11";
static const char *const exp_udp6 =
	"02 00 00 00 00 02 02 00 00 00 00 01 86 dd 6b 81 "
	"23 45 00 0d 11 40 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 02 03 e8 07 d0 00 0d cf 20 41 42 "
	"43 44 45";
static const char *const exp_icmp6_echo =
	"02 00 00 00 00 02 02 00 00 00 00 01 86 dd 60 00 "
	"00 00 00 0b 3a 40 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 02 80 00 22 34 00 07 00 09 00 01 "
	"02";
static const char *const exp_ipv6_ext_tcp =
	"02 00 00 00 00 02 02 00 00 00 00 01 86 dd 60 00 "
	"00 00 00 46 00 40 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 02 2b 00 01 04 00 00 00 00 3c 01 "
	"fd 00 00 00 00 00 00 00 00 00 00 00 00 00 06 02 "
	"01 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
	"00 00 00 00 00 00 01 bb c3 50 00 00 00 00 00 00 "
	"00 00 50 10 ff ff 0e d1 00 00 80 81";
static const char *const exp_ipv6_frag_udp =
	"02 00 00 00 00 02 02 00 00 00 00 01 86 dd 60 00 "
	"00 00 00 18 2c 40 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 02 11 00 00 01 00 00 00 00 00 35 "
	"00 35 00 10 97 df 00 01 02 03 04 05 06 07";
static const char *const exp_nd_ns =
	"33 33 ff 00 00 02 02 00 00 00 00 01 86 dd 60 00 "
	"00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 ff 02 00 00 00 00 00 00 00 00 "
	"00 01 ff 00 00 02 87 00 1c 27 00 00 00 00 20 01 "
	"0d b8 00 00 00 00 00 00 00 00 00 00 00 02 01 01 "
	"02 00 00 00 00 01";
static const char *const exp_nd_na =
	"02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00 "
	"00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 02 20 01 0d b8 00 00 00 00 00 00 "
	"00 00 00 00 00 01 88 00 8a 71 60 00 00 00 20 01 "
	"0d b8 00 00 00 00 00 00 00 00 00 00 00 02 02 01 "
	"02 00 00 00 00 02";
static const char *const exp_vxlan =
	"00 11 22 33 44 55 00 66 77 88 99 aa 08 00 45 00 "
	"00 54 00 00 00 00 40 11 f7 45 c0 a8 01 01 c0 a8 "
	"01 02 c0 00 12 b5 00 40 6f 83 08 00 00 00 00 00 "
	"2a 00 0a 00 00 00 00 02 0a 00 00 00 00 01 08 00 "
	"45 00 00 22 00 00 00 00 40 11 66 c9 0a 00 00 01 "
	"0a 00 00 02 00 07 00 09 00 0e 55 26 30 31 32 33 "
	"34 35";
static const char *const exp_flow_udp4_60 =
	"02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 "
	"00 2e 00 00 00 00 40 11 66 bd 0a 00 00 01 0a 00 "
	"00 02 00 01 00 02 00 1a a3 63 00 01 02 03 04 05 "
	"06 07 08 09 0a 0b 0c 0d 0e 0f 10 11";
static const char *const exp_flow_icmp6_vlan_80 =
	"02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 05 "
	"86 dd 60 00 00 00 00 16 3a 40 20 01 0d b8 00 00 "
	"00 00 00 00 00 00 00 00 00 01 20 01 0d b8 00 00 "
	"00 00 00 00 00 00 00 00 00 02 80 00 f6 02 01 02 "
	"03 04 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d";

static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac2[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6] = { 0 };
static const uint8_t ip6_1[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t ip6_sn2[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2 };
#define IP4_1 fl_htonl(0x0a000001)
#define IP4_2 fl_htonl(0x0a000002)

/* "02 00 ..." -> bytes; returns the count. */
static size_t hex_parse(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned int v;
	int used;

	while (sscanf(s, " %2x%n", &v, &used) == 1) {
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += used;
	}
	return n;
}

static void assert_frame(const uint8_t *got, size_t got_len, const char *exp_hex)
{
	uint8_t exp[256];
	size_t n = hex_parse(exp_hex, exp, sizeof(exp)), i;

	assert_int_equal(got_len, n);
	for (i = 0; i < n; i++) {
		if (got[i] != exp[i])
			fail_msg("byte %zu: %02x, want %02x", i, got[i], exp[i]);
	}
}

/* What the walker saw: counts of verified headers. */
struct walk {
	unsigned int ip4, ip6, l4, vxlan;
};

static void walk_l2(const uint8_t *p, size_t len, struct walk *w);

static void walk_l4(uint8_t proto, const uint8_t *l4, size_t len, uint32_t pseudo,
		    struct walk *w)
{
	switch (proto) {
	case FL_IPPROTO_UDP:
		assert_true(len >= 8);
		assert_int_equal(fl_get_be16(l4 + 4), len);
		assert_int_not_equal(fl_get_u16(l4 + 6), 0); /* we always fill it */
		assert_int_equal(fl_csum_fold(fl_csum_partial(l4, len, pseudo)), 0);
		w->l4++;
		if (fl_get_be16(l4 + 2) == FL_VXLAN_PORT) {
			assert_true(len >= 16 + FL_ETH_HLEN);
			assert_int_equal(l4[8], FL_VXLAN_FLAG_I);
			w->vxlan++;
			walk_l2(l4 + 16, len - 16, w);
		}
		break;
	case FL_IPPROTO_TCP:
	case FL_IPPROTO_ICMPV6:
		assert_int_equal(fl_csum_fold(fl_csum_partial(l4, len, pseudo)), 0);
		w->l4++;
		break;
	case FL_IPPROTO_ICMP:
		assert_int_equal(fl_icmp_csum(l4, len), 0);
		w->l4++;
		break;
	default:
		break;
	}
}

static void walk_ipv4(const uint8_t *h, size_t len, struct walk *w)
{
	size_t hl = (size_t)(h[0] & 0xf) * 4;
	fl_be32 src = fl_get_u32(h + 12), dst = fl_get_u32(h + 16);

	assert_int_equal(h[0] >> 4, 4);
	assert_int_equal(fl_get_be16(h + 2), len);
	assert_int_equal(fl_ipv4_hdr_csum(h, hl), 0);
	w->ip4++;
	walk_l4(h[9], h + hl, len - hl,
		fl_csum_pseudo_ipv4(src, dst, h[9], (uint16_t)(len - hl)), w);
}

static void walk_ipv6(const uint8_t *h, size_t len, struct walk *w)
{
	size_t off = 40;
	uint8_t nh = h[6];

	assert_int_equal(h[0] >> 4, 6);
	assert_int_equal(fl_get_be16(h + 4), len - 40);
	w->ip6++;
	while (nh == FL_IPPROTO_HOPOPTS || nh == FL_IPPROTO_ROUTING || nh == FL_IPPROTO_DSTOPTS ||
	       nh == FL_IPPROTO_FRAGMENT) {
		uint8_t t = nh;

		assert_true(off + 8 <= len);
		nh = h[off];
		off += t == FL_IPPROTO_FRAGMENT ? 8 : ((size_t)h[off + 1] + 1) * 8;
	}
	assert_true(off <= len);
	walk_l4(nh, h + off, len - off,
		fl_csum_pseudo_ipv6(h + 8, h + 24, nh, (uint32_t)(len - off)), w);
}

static void walk_l2(const uint8_t *p, size_t len, struct walk *w)
{
	size_t off = 12;
	uint16_t type;

	assert_true(len >= FL_ETH_HLEN);
	type = fl_get_be16(p + off);
	while (type == FL_ETH_TYPE_VLAN || type == FL_ETH_TYPE_QINQ) {
		off += 4;
		type = fl_get_be16(p + off);
	}
	off += 2;
	if (type == FL_ETH_TYPE_IPV4)
		walk_ipv4(p + off, len - off, w);
	else if (type == FL_ETH_TYPE_IPV6)
		walk_ipv6(p + off, len - off, w);
}

static struct walk walk_frame(const uint8_t *p, size_t len)
{
	struct walk w = { 0 };

	walk_l2(p, len, &w);
	return w;
}

/* Most tests build into one buffer: init and the Ethernet header. */
static uint8_t gbuf[256];
static struct fl_builder gb;

static struct fl_builder *start(const uint8_t dst[6], const uint8_t src[6])
{
	memset(gbuf, 0xa5, sizeof(gbuf));
	fl_build_init(&gb, gbuf, sizeof(gbuf));
	fl_build_eth(&gb, dst, src);
	return &gb;
}

/* Finish, compare with the expected bytes, and walk: n_l4 checksums valid. */
static size_t check_golden(struct fl_builder *b, const char *exp_hex, unsigned int n_l4)
{
	size_t n = fl_build_finish(b);

	assert_frame(b->buf, n, exp_hex);
	assert_int_equal(walk_frame(b->buf, n).l4, n_l4);
	return n;
}

static void test_udp4(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_ipv4(b, IP4_1, IP4_2);
	fl_build_udp(b, fl_htons(1234), fl_htons(5678));
	fl_build_payload(b, 4, 0x10);
	check_golden(b, exp_udp4, 1);
	assert_int_equal(b->n_layers, 4);
	assert_int_equal(fl_build_find(b, FL_BL_IPV4, 0), 14);
	assert_int_equal(fl_build_find(b, FL_BL_UDP, 0), 34);
	assert_int_equal(fl_build_find(b, FL_BL_PAYLOAD, 0), 42);
	assert_int_equal(fl_build_find(b, FL_BL_TCP, 0), -1);
	assert_int_equal(fl_build_find(b, FL_BL_ETH, 1), -1);
}

static void test_vlan_tcp4(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_vlan(b, FL_ETH_TYPE_VLAN, 100);
	fl_build_ipv4(b, IP4_1, IP4_2);
	fl_build_tcp(b, fl_htons(40000), fl_htons(80), FL_TCP_SYN);
	check_golden(b, exp_vlan_tcp4, 1);
}

static void test_qinq_icmp4_options(void **state)
{
	static const uint8_t nops[4] = { 1, 1, 1, 0 };
	const struct fl_build_ipv4_opts o = {
		.tos = 0x10, .ttl = 7, .id = 0xbeef, .frag_off = FL_IP4_DF,
		.options = nops, .options_len = sizeof(nops),
	};
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_vlan(b, FL_ETH_TYPE_QINQ, 10);
	fl_build_vlan(b, FL_ETH_TYPE_VLAN, 0x2014); /* PCP 1, VID 20 */
	fl_build_ipv4_ex(b, IP4_1, IP4_2, &o);
	fl_build_icmp(b, 8, 0, 0x12340001);
	fl_build_payload(b, 4, 0xfe); /* the pattern wraps: fe ff 00 01 */
	check_golden(b, exp_qinq_icmp4_opts, 1);
}

static void test_arp(void **state)
{
	struct fl_builder *b = start(bcast, mac1);

	(void)state;
	fl_build_arp(b, 1, mac1, IP4_1, zero_mac, IP4_2);
	fl_build_pad_to(b, FL_ETH_MIN_FRAME);
	check_golden(b, exp_arp, 0);
	assert_int_equal(fl_build_find(b, FL_BL_ARP, 0), 14);
}

static void test_udp6(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_ipv6(b, ip6_1, ip6_2, 0xb8, 0x12345);
	fl_build_udp(b, fl_htons(1000), fl_htons(2000));
	fl_build_payload(b, 5, 0x41);
	check_golden(b, exp_udp6, 1);
}

static void test_icmp6_echo(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	fl_build_icmp6(b, FL_ICMP6_ECHO_REQUEST, 0, 0x00070009);
	fl_build_payload(b, 3, 0);
	check_golden(b, exp_icmp6_echo, 1);
}

static void test_ipv6_ext_tcp(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	fl_build_ipv6_ext(b, FL_IPPROTO_HOPOPTS, 8, 0);
	fl_build_ipv6_ext(b, FL_IPPROTO_ROUTING, 16, 0);
	fl_build_ipv6_ext(b, FL_IPPROTO_DSTOPTS, 24, 0);
	fl_build_tcp(b, fl_htons(443), fl_htons(50000), FL_TCP_ACK);
	fl_build_payload(b, 2, 0x80);
	check_golden(b, exp_ipv6_ext_tcp, 1);
	assert_int_equal(fl_build_find(b, FL_BL_IPV6_EXT, 0), 54);
	assert_int_equal(fl_build_find(b, FL_BL_IPV6_EXT, 3), 62);
	assert_int_equal(fl_build_find(b, FL_BL_IPV6_EXT, 4), 78);
	assert_int_equal(fl_build_find(b, FL_BL_TCP, 0), 102);
}

static void test_ipv6_frag_udp(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	fl_build_ipv6_ext(b, FL_IPPROTO_FRAGMENT, 0, FL_IP6_FRAG_MORE);
	fl_build_udp(b, fl_htons(53), fl_htons(53));
	fl_build_payload(b, 8, 0);
	check_golden(b, exp_ipv6_frag_udp, 1);
}

static void test_nd_ns(void **state)
{
	static const uint8_t mcast[6] = { 0x33, 0x33, 0xff, 0, 0, 0x02 };
	struct fl_builder *b = start(mcast, mac1);

	(void)state;
	fl_build_ipv6(b, ip6_1, ip6_sn2, 0, 0);
	fl_build_nd(b, FL_ND_NEIGHBOR_SOLICIT, ip6_2, mac1, NULL);
	check_golden(b, exp_nd_ns, 1); /* with hop limit 255 */
}

static void test_nd_na(void **state)
{
	struct fl_builder *b = start(mac1, mac2);

	(void)state;
	fl_build_ipv6(b, ip6_2, ip6_1, 0, 0);
	fl_build_nd(b, FL_ND_NEIGHBOR_ADVERT, ip6_2, NULL, mac2);
	check_golden(b, exp_nd_na, 1);
}

/* Both options, and neither: lengths 24 + 8 per option. */
static void test_nd_options(void **state)
{
	struct fl_builder *b = start(mac1, mac2);
	size_t n;

	(void)state;
	fl_build_ipv6(b, ip6_2, ip6_1, 0, 0);
	fl_build_nd(b, FL_ND_NEIGHBOR_SOLICIT, ip6_2, mac1, mac2);
	n = fl_build_finish(b);
	assert_int_equal(n, 14 + 40 + 24 + 16);
	assert_int_equal(gbuf[54 + 24], FL_ND_OPT_SOURCE_LL);
	assert_int_equal(gbuf[54 + 32], FL_ND_OPT_TARGET_LL);
	assert_memory_equal(gbuf + 54 + 34, mac2, 6);
	assert_int_equal(walk_frame(gbuf, n).l4, 1);

	b = start(mac1, mac2);
	fl_build_ipv6(b, ip6_2, ip6_1, 0, 0);
	fl_build_nd(b, FL_ND_NEIGHBOR_ADVERT, ip6_2, NULL, NULL);
	n = fl_build_finish(b);
	assert_int_equal(n, 14 + 40 + 24);
	assert_int_equal(gbuf[14 + 7], 255);
	assert_int_equal(walk_frame(gbuf, n).l4, 1);
}

static size_t build_vxlan(uint8_t *buf, size_t cap, struct fl_builder *b)
{
	static const uint8_t odst[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t osrc[6] = { 0, 0x66, 0x77, 0x88, 0x99, 0xaa };
	static const uint8_t idst[6] = { 0x0a, 0, 0, 0, 0, 0x02 };
	static const uint8_t isrc[6] = { 0x0a, 0, 0, 0, 0, 0x01 };

	fl_build_init(b, buf, cap);
	fl_build_eth(b, odst, osrc);
	fl_build_ipv4(b, fl_htonl(0xc0a80101), fl_htonl(0xc0a80102));
	fl_build_udp(b, fl_htons(49152), fl_htons(FL_VXLAN_PORT));
	fl_build_vxlan(b, 42);
	fl_build_eth(b, idst, isrc);
	fl_build_ipv4(b, IP4_1, IP4_2);
	fl_build_udp(b, fl_htons(7), fl_htons(9));
	fl_build_payload(b, 6, 0x30);
	return fl_build_finish(b);
}

static void test_vxlan(void **state)
{
	uint8_t buf[128];
	struct fl_builder b;
	struct walk w;
	size_t n;

	(void)state;
	n = build_vxlan(buf, sizeof(buf), &b);
	assert_frame(buf, n, exp_vxlan);
	w = walk_frame(buf, n);
	assert_int_equal(w.vxlan, 1);
	assert_int_equal(w.ip4, 2);
	assert_int_equal(w.l4, 2);
	/* Outer and inner layers through fl_build_find. */
	assert_int_equal(fl_build_find(&b, FL_BL_IPV4, 0), 14);
	assert_int_equal(fl_build_find(&b, FL_BL_VXLAN, 0), 42);
	assert_int_equal(fl_build_find(&b, FL_BL_ETH, 1), 50);
	assert_int_equal(fl_build_find(&b, FL_BL_IPV4, 2), 64);
	assert_int_equal(fl_build_find(&b, FL_BL_UDP, 3), 84);
}

/* Finishing twice changes nothing; a field broken after finish stays broken
 * and is found through the recorded offsets. */
static void test_finish_again_and_break(void **state)
{
	uint8_t buf[128], copy[128];
	struct fl_builder b;
	size_t n;
	int ip;

	(void)state;
	n = build_vxlan(buf, sizeof(buf), &b);
	memcpy(copy, buf, n);
	assert_int_equal(fl_build_finish(&b), n);
	assert_memory_equal(buf, copy, n);

	ip = fl_build_find(&b, FL_BL_IPV4, 2);
	buf[ip + 10] ^= 0xff; /* inner header checksum */
	assert_int_not_equal(fl_ipv4_hdr_csum(buf + ip, 20), 0);
}

static void test_ethertype_explicit(void **state)
{
	struct fl_builder *b = start(mac2, mac1);

	(void)state;
	fl_build_vlan(b, FL_ETH_TYPE_VLAN, 5);
	fl_build_ethertype(b, 0x88b5);
	fl_build_payload(b, 3, 1);
	check_golden(b, "02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 05 88 b5 01 02 03", 0);
}

/* The next-protocol field takes the form of the header before: IP in IP is
 * protocol 4, IPv6 in IPv4 41; an IPv6 header or extension with nothing
 * after it says 59 (no next header). */
static void test_next_protocol_chain(void **state)
{
	struct fl_builder *b = start(mac2, mac1);
	uint8_t *buf = gbuf;
	size_t n;

	(void)state;
	fl_build_ipv4(b, IP4_1, IP4_2);
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	fl_build_ipv4(b, IP4_2, IP4_1);
	fl_build_icmp(b, 0, 0, 0);
	n = fl_build_finish(b);
	assert_int_equal(n, 14 + 20 + 40 + 20 + 8);
	assert_int_equal(fl_get_be16(buf + 12), FL_ETH_TYPE_IPV4);
	assert_int_equal(buf[14 + 9], 41);
	assert_int_equal(buf[34 + 6], 4);
	assert_int_equal(buf[74 + 9], FL_IPPROTO_ICMP);
	assert_int_equal(fl_get_be16(buf + 14 + 2), n - 14);
	assert_int_equal(fl_get_be16(buf + 34 + 4), n - 74);
	assert_int_equal(fl_get_be16(buf + 74 + 2), n - 74);
	assert_int_equal(fl_ipv4_hdr_csum(buf + 14, 20), 0);
	assert_int_equal(fl_ipv4_hdr_csum(buf + 74, 20), 0);
	assert_int_equal(fl_icmp_csum(buf + 94, 8), 0);

	b = start(mac2, mac1);
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	n = fl_build_finish(b);
	assert_int_equal(n, 54);
	assert_int_equal(buf[20], FL_IPPROTO_NONE);
	assert_int_equal(fl_get_be16(buf + 18), 0);

	b = start(mac2, mac1);
	fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
	fl_build_ipv6_ext(b, FL_IPPROTO_DSTOPTS, 8, 0);
	fl_build_payload(b, 4, 0);
	n = fl_build_finish(b);
	assert_int_equal(n, 54 + 8 + 4);
	assert_int_equal(buf[20], FL_IPPROTO_DSTOPTS);
	assert_int_equal(buf[54], FL_IPPROTO_NONE);
	assert_int_equal(fl_get_be16(buf + 18), 12);
}

/* Options areas of every allowed length are exactly filled with Pad1/PadN
 * whose data is zero. */
static void test_ipv6_ext_padding(void **state)
{
	static uint8_t buf[2200];
	static const uint8_t types[] = { FL_IPPROTO_HOPOPTS, FL_IPPROTO_DSTOPTS };
	struct fl_builder b;
	size_t len, t;

	(void)state;
	for (t = 0; t < 2; t++) {
		for (len = 8; len <= 2048; len += 8) {
			size_t off, end;

			fl_build_init(&b, buf, sizeof(buf));
			fl_build_eth(&b, mac2, mac1);
			fl_build_ipv6(&b, ip6_1, ip6_2, 0, 0);
			fl_build_ipv6_ext(&b, types[t], len, 0);
			assert_int_equal(fl_build_finish(&b), 54 + len);
			assert_int_equal(buf[20], types[t]);
			assert_int_equal(buf[55], len / 8 - 1);
			off = 56;
			end = 54 + len;
			while (off < end) {
				if (buf[off] == 0) { /* Pad1 */
					off++;
					continue;
				}
				assert_int_equal(buf[off], 1);
				assert_true(off + 2 + buf[off + 1] <= end);
				for (size_t i = 0; i < buf[off + 1]; i++)
					assert_int_equal(buf[off + 2 + i], 0);
				off += 2 + (size_t)buf[off + 1];
			}
			assert_int_equal(off, end);
		}
	}
}

/* Building into every cap short of the frame fails the frame, and no byte
 * at or past cap is touched. */
static void test_overflow_every_cap(void **state)
{
	uint8_t buf[160];
	struct fl_builder b;
	size_t full, cap, i;

	(void)state;
	full = build_vxlan(buf, sizeof(buf), &b);
	assert_int_equal(full, 98);
	for (cap = 0; cap < full; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(build_vxlan(buf, cap, &b), 0);
		assert_true(b.overflow);
		for (i = cap; i < sizeof(buf); i++) {
			if (buf[i] != 0xa5)
				fail_msg("cap %zu: byte %zu written", cap, i);
		}
	}
	assert_int_equal(build_vxlan(buf, full, &b), full);
	assert_false(b.overflow);

	/* After an overflow, later headers that would fit do nothing. */
	fl_build_init(&b, buf, 20);
	fl_build_eth(&b, mac2, mac1);
	fl_build_ipv4(&b, IP4_1, IP4_2);
	fl_build_payload(&b, 2, 0);
	assert_int_equal(b.len, 14);
	assert_int_equal(fl_build_finish(&b), 0);

	/* A NULL buffer holds nothing. */
	fl_build_init(&b, NULL, 100);
	fl_build_eth(&b, mac2, mac1);
	assert_int_equal(fl_build_finish(&b), 0);
}

static void test_overflow_layers(void **state)
{
	uint8_t buf[256];
	struct fl_builder b;
	unsigned int i;

	(void)state;
	fl_build_init(&b, buf, sizeof(buf));
	fl_build_eth(&b, mac2, mac1);
	for (i = 1; i < FL_BUILD_MAX_LAYERS; i++)
		fl_build_vlan(&b, FL_ETH_TYPE_VLAN, (uint16_t)i);
	assert_false(b.overflow);
	fl_build_payload(&b, 1, 0); /* the 17th layer */
	assert_true(b.overflow);
	assert_int_equal(fl_build_finish(&b), 0);

	/* Payload after payload, and padding, stay one layer. */
	fl_build_init(&b, buf, sizeof(buf));
	fl_build_eth(&b, mac2, mac1);
	fl_build_ethertype(&b, 0x88b5);
	fl_build_payload(&b, 3, 10);
	fl_build_payload(&b, 2, 20);
	fl_build_pad_to(&b, 30);
	fl_build_pad_to(&b, 25); /* already longer: nothing */
	assert_int_equal(fl_build_finish(&b), 30);
	assert_int_equal(b.n_layers, 2);
	assert_int_equal(b.layers[1].len, 16);
	assert_frame(buf + 14, 16, "0a 0b 0c 14 15 00 01 02 03 04 05 06 07 08 09 0a");
}

/* Arguments a header cannot hold fail the frame as an overflow does. */
static void test_bad_arguments(void **state)
{
	static const uint8_t o[44] = { 1 };
	static const struct fl_build_ipv4_opts bad_opts[] = {
		{ .options = o, .options_len = 3 },	/* not a multiple of 4 */
		{ .options = o, .options_len = 44 },	/* over 40 */
		{ .options = NULL, .options_len = 4 },
	};
	static const struct { uint8_t type; size_t len; } bad_ext[] = {
		{ FL_IPPROTO_HOPOPTS, 12 }, { FL_IPPROTO_ROUTING, 0 },
		{ FL_IPPROTO_DSTOPTS, 2056 }, { FL_IPPROTO_TCP, 8 },
	};
	struct fl_builder *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		b = start(mac2, mac1);
		fl_build_ipv4_ex(b, IP4_1, IP4_2, &bad_opts[i]);
		assert_true(b->overflow);
		assert_int_equal(fl_build_finish(b), 0);
	}
	for (i = 0; i < sizeof(bad_ext) / sizeof(bad_ext[0]); i++) {
		b = start(mac2, mac1);
		fl_build_ipv6(b, ip6_1, ip6_2, 0, 0);
		fl_build_ipv6_ext(b, bad_ext[i].type, bad_ext[i].len, 0);
		assert_true(b->overflow);
		assert_int_equal(fl_build_finish(b), 0);
	}
}

/* A UDP checksum that computes to 0 goes out as 0xffff, over IPv4 and IPv6.
 * The last payload word is rewritten before finish so the sum is 0xffff. */
static void test_udp_zero_checksum(void **state)
{
	uint8_t buf[128];
	struct fl_builder b;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		size_t n, u;
		fl_be16 c;

		fl_build_init(&b, buf, sizeof(buf));
		fl_build_eth(&b, mac2, mac1);
		if (v6)
			fl_build_ipv6(&b, ip6_1, ip6_2, 0, 0);
		else
			fl_build_ipv4(&b, IP4_1, IP4_2);
		fl_build_udp(&b, fl_htons(1), fl_htons(2));
		fl_build_payload(&b, 10, 0);
		fl_put_u16(buf + b.len - 2, 0);
		n = fl_build_finish(&b);
		u = (size_t)fl_build_find(&b, FL_BL_UDP, 0);
		c = fl_get_u16(buf + u + 6);
		/* Adding the checksum (~S) to the data makes the sum 0xffff. */
		fl_put_u16(buf + n - 2, c);
		assert_int_equal(fl_build_finish(&b), n);
		assert_int_equal(fl_get_u16(buf + u + 6), 0xffff);
		assert_int_equal(walk_frame(buf, n).l4, 1);
	}
}

/* fl_build_flow_frame over v4/v6 x UDP/TCP/ICMP x tagged/untagged, at
 * several frame lengths: length, the fields asked for, and a valid frame. */
static void test_flow_frame_matrix(void **state)
{
	static const uint8_t protos[] = { FL_IPPROTO_UDP, FL_IPPROTO_TCP, FL_IPPROTO_ICMP };
	static const size_t lens[] = { 0, 60, 64, 65, 128, 1514 };
	static uint8_t buf[1600];
	unsigned int v6, p, tag, l;

	(void)state;
	for (v6 = 0; v6 < 2; v6++)
	for (p = 0; p < 3; p++)
	for (tag = 0; tag < 2; tag++)
	for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		struct fl_build_flow f = {
			.vlan_tci = tag ? 0x6123 : 0,
			.ipv6 = v6,
			.ip4_src = IP4_1, .ip4_dst = IP4_2,
			.proto = protos[p],
			.sport = fl_htons(1111), .dport = fl_htons(2222),
			.tcp_flags = FL_TCP_SYN | FL_TCP_ACK,
			.frame_len = lens[l],
		};
		size_t hdrs = 14 + (tag ? 4 : 0) + (v6 ? 40 : 20) + (p == 1 ? 20 : 8);
		size_t want = FL_MAX(FL_MAX(lens[l], (size_t)60), hdrs);
		size_t off = tag ? 18 : 14, l4, n;
		struct walk w;

		memcpy(f.dl_src, mac1, 6);
		memcpy(f.dl_dst, mac2, 6);
		memcpy(f.ip6_src, ip6_1, 16);
		memcpy(f.ip6_dst, ip6_2, 16);
		memset(buf, 0xa5, sizeof(buf));
		n = fl_build_flow_frame(&f, buf, sizeof(buf));
		assert_int_equal(n, want);
		assert_int_equal(buf[n], 0xa5);
		assert_memory_equal(buf, mac2, 6);
		assert_memory_equal(buf + 6, mac1, 6);
		if (tag) {
			assert_int_equal(fl_get_be16(buf + 12), FL_ETH_TYPE_VLAN);
			assert_int_equal(fl_get_be16(buf + 14), 0x6123);
		}
		assert_int_equal(fl_get_be16(buf + off - 2),
				 v6 ? FL_ETH_TYPE_IPV6 : FL_ETH_TYPE_IPV4);
		l4 = off + (v6 ? 40 : 20);
		if (p == 2) {
			assert_int_equal(buf[l4], v6 ? FL_ICMP6_ECHO_REQUEST : 8);
			assert_int_equal(buf[off + (v6 ? 6 : 9)],
					 v6 ? FL_IPPROTO_ICMPV6 : FL_IPPROTO_ICMP);
			assert_int_equal(fl_get_be16(buf + l4 + 4), 1111); /* id */
			assert_int_equal(fl_get_be16(buf + l4 + 6), 2222); /* seq */
		} else {
			assert_int_equal(buf[off + (v6 ? 6 : 9)], protos[p]);
			assert_int_equal(fl_get_be16(buf + l4), 1111);
			assert_int_equal(fl_get_be16(buf + l4 + 2), 2222);
		}
		if (p == 1) /* data offset 5, flags */
			assert_int_equal(fl_get_be16(buf + l4 + 12), 0x5012);
		w = walk_frame(buf, n);
		assert_int_equal(w.ip4 + w.ip6, 1);
		assert_int_equal(w.l4, 1);
	}
}

static void test_flow_frame_golden(void **state)
{
	struct fl_build_flow f = {
		.dl_src = { 0x02, 0, 0, 0, 0, 0x01 },
		.dl_dst = { 0x02, 0, 0, 0, 0, 0x02 },
		.ip4_src = IP4_1, .ip4_dst = IP4_2,
		.proto = FL_IPPROTO_UDP,
		.sport = fl_htons(1), .dport = fl_htons(2),
		.frame_len = 60,
	};
	uint8_t buf[128];

	(void)state;
	assert_frame(buf, fl_build_flow_frame(&f, buf, sizeof(buf)), exp_flow_udp4_60);

	f.ipv6 = true;
	f.vlan_tci = 5;
	f.proto = FL_IPPROTO_ICMPV6;
	f.sport = fl_htons(0x0102);
	f.dport = fl_htons(0x0304);
	f.frame_len = 80;
	memcpy(f.ip6_src, ip6_1, 16);
	memcpy(f.ip6_dst, ip6_2, 16);
	assert_frame(buf, fl_build_flow_frame(&f, buf, sizeof(buf)), exp_flow_icmp6_vlan_80);
}

static void test_flow_frame_errors(void **state)
{
	struct fl_build_flow f = {
		.ip4_src = IP4_1, .ip4_dst = IP4_2,
		.proto = FL_IPPROTO_UDP,
		.frame_len = 64,
	};
	uint8_t buf[128];

	(void)state;
	assert_int_equal(fl_build_flow_frame(&f, buf, 63), 0);
	assert_int_equal(fl_build_flow_frame(&f, buf, 64), 64);
	f.proto = 47; /* GRE: not a flow-frame protocol */
	assert_int_equal(fl_build_flow_frame(&f, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp4),
		cmocka_unit_test(test_vlan_tcp4),
		cmocka_unit_test(test_qinq_icmp4_options),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_udp6),
		cmocka_unit_test(test_icmp6_echo),
		cmocka_unit_test(test_ipv6_ext_tcp),
		cmocka_unit_test(test_ipv6_frag_udp),
		cmocka_unit_test(test_nd_ns),
		cmocka_unit_test(test_nd_na),
		cmocka_unit_test(test_nd_options),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_finish_again_and_break),
		cmocka_unit_test(test_ethertype_explicit),
		cmocka_unit_test(test_next_protocol_chain),
		cmocka_unit_test(test_ipv6_ext_padding),
		cmocka_unit_test(test_overflow_every_cap),
		cmocka_unit_test(test_overflow_layers),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_udp_zero_checksum),
		cmocka_unit_test(test_flow_frame_matrix),
		cmocka_unit_test(test_flow_frame_golden),
		cmocka_unit_test(test_flow_frame_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
