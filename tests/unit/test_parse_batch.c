/* Tests of fl_parse_batch()'s fast path (proto/parse_batch.c) against the
 * general parser, fl_parse().
 *
 * The fast path takes untagged IPv4 (no options, no fragment) and IPv6 (no
 * extension header) frames carrying TCP or UDP, and must give exactly what
 * fl_parse() gives: all 192 bytes of the key (padding included) and the four
 * header offsets. These tests build such frames, then damage them where the
 * fast path decides whether it may take a frame — every length field, the
 * version and IHL byte, the fragment bits, the protocol, TCP's data offset,
 * the VXLAN port, the frame length (truncation and Ethernet padding) — with
 * a seeded PRNG, and compare the two parsers frame by frame. Each frame
 * ends exactly where its heap allocation ends, so under ASan a read past
 * pkt->len fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/pkt.h"
#include "proto/build.h"
#include "proto/parse.h"
#include "test_rng.h"

#define BURST 32
#define ROUNDS 400 /* bursts per test: 12,800 frames */

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t IP6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, [7] = 9, [15] = 1 };
static const uint8_t IP6_B[16] = { 0xfd, 0, [8] = 0xaa, [15] = 2 };

struct frame {
	uint8_t data[256];
	size_t len;
	int l3, l4; /* offsets of the IP and L4 headers */
	bool ipv6, tcp;
};

/* A valid frame of one of the fast path's kinds, fields drawn at random. */
static void make_frame(struct frame *f)
{
	struct fl_builder b;
	fl_be16 sport = fl_htons((uint16_t)rng()), dport = fl_htons((uint16_t)rng());

	memset(f->data, 0, sizeof(f->data));
	f->ipv6 = rnd(2);
	f->tcp = rnd(2);
	if (rnd(8) == 0)
		dport = fl_htons(FL_VXLAN_PORT);
	fl_build_init(&b, f->data, sizeof(f->data));
	fl_build_eth(&b, rnd(2) ? MAC_A : MAC_B, MAC_B);
	if (f->ipv6) {
		fl_build_ipv6(&b, IP6_A, rnd(2) ? IP6_B : IP6_A, (uint8_t)rng(),
			      (uint32_t)rng() & 0xfffff);
	} else {
		struct fl_build_ipv4_opts o = {
			.tos = (uint8_t)rng(),
			.ttl = (uint8_t)(1 + rnd(255)),
			.id = (uint16_t)rng(),
			.frag_off = rnd(2) ? FL_IP4_DF : 0,
		};

		fl_build_ipv4_ex(&b, (fl_be32)rng(), (fl_be32)rng(), &o);
	}
	if (f->tcp)
		fl_build_tcp(&b, sport, dport, (uint16_t)rng() & 0x1ff);
	else
		fl_build_udp(&b, sport, dport);
	fl_build_payload(&b, rnd(40), (uint8_t)rng());
	f->len = fl_build_finish(&b);
	assert_true(f->len > 0);
	f->l3 = fl_build_find(&b, f->ipv6 ? FL_BL_IPV6 : FL_BL_IPV4, 0);
	f->l4 = fl_build_find(&b, f->tcp ? FL_BL_TCP : FL_BL_UDP, 0);
	assert_true(f->l3 == FL_ETH_HLEN && f->l4 > f->l3);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A value near v: the boundaries are where a length check goes wrong. */
static uint16_t near(unsigned v)
{
	return (uint16_t)(v + rnd(9) - 4);
}

/* Damage one thing the fast path checks (or nothing: a valid frame). */
static void mutate(struct frame *f)
{
	uint8_t *ip = f->data + f->l3, *l4 = f->data + f->l4;
	size_t l4_len = f->len - (size_t)f->l4;

	switch (rnd(12)) {
	case 0: /* the frame cut short, or padded past the datagram */
		if (rnd(2))
			f->len = rnd((unsigned)f->len + 1);
		else
			f->len += rnd(20);
		break;
	case 1: /* IPv4 total length / IPv6 payload length */
		put_be16(ip + 2 + 2 * f->ipv6, near(f->ipv6 ? (unsigned)l4_len
							       : (unsigned)(f->len - FL_ETH_HLEN)));
		if (rnd(4) == 0)
			put_be16(ip + 2 + 2 * f->ipv6, (uint16_t)rnd(64));
		break;
	case 2: /* version and IHL */
		ip[0] = rnd(2) ? (uint8_t)rng() : (uint8_t)(ip[0] ^ (1u << rnd(8)));
		break;
	case 3: /* fragment bits: MF and the offset; DF alone is no fragment */
		if (!f->ipv6)
			put_be16(ip + 6, (uint16_t)(rnd(2) ? FL_IP4_MF : 0) |
						 (uint16_t)(rnd(2) ? rnd(8) : 0) |
						 (uint16_t)(rnd(2) ? FL_IP4_DF : 0));
		break;
	case 4: /* the protocol: ICMP, an extension header, anything */
		ip[f->ipv6 ? 6 : 9] = rnd(2) ? (uint8_t)rng()
					     : (uint8_t)(const uint8_t[]){ 0, 1, 6, 17, 43, 44,
									   58, 60 }[rnd(8)];
		break;
	case 5: /* UDP length / TCP data offset */
		if (f->tcp)
			l4[12] = (uint8_t)(rnd(16) << 4 | (l4[12] & 0xf));
		else
			put_be16(l4 + 4, rnd(2) ? near((unsigned)l4_len) : (uint16_t)rnd(12));
		break;
	case 6: /* the VXLAN port */
		put_be16(l4 + 2, FL_VXLAN_PORT);
		break;
	case 7: /* the EtherType */
		put_be16(f->data + 12, rnd(2) ? (uint16_t)rng()
					      : (const uint16_t[]){ FL_ETH_TYPE_IPV4,
								    FL_ETH_TYPE_IPV6,
								    FL_ETH_TYPE_VLAN,
								    FL_ETH_TYPE_ARP }[rnd(4)]);
		break;
	case 8: /* any header byte */
		f->data[rnd((unsigned)f->len)] = (uint8_t)rng();
		break;
	default: /* valid */
		break;
	}
}

/* A packet whose frame ends where its allocation ends. */
static struct fl_pkt *pkt_exact(const struct frame *f, uint32_t in_port)
{
	struct fl_pkt *pkt;
	void *mem = NULL;

	assert_int_equal(posix_memalign(&mem, FL_CACHE_LINE, sizeof(*pkt) + f->len), 0);
	pkt = mem;
	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	pkt->data_off = sizeof(*pkt);
	pkt->len = (uint16_t)f->len;
	pkt->in_port = in_port;
	if (f->len)
		memcpy(fl_pkt_data(pkt), f->data, f->len);
	return pkt;
}

static uint64_t pkt_ofs(const struct fl_pkt *pkt)
{
	return (uint64_t)pkt->l2_5_ofs | (uint64_t)pkt->l3_ofs << 16 |
	       (uint64_t)pkt->l4_ofs << 32 | (uint64_t)pkt->l7_ofs << 48;
}

/* Returns how many frames of the burst parsed cleanly as an untagged
 * IPv4/IPv6 TCP/UDP frame: the ones the fast path may take. */
static unsigned check_burst(bool damage)
{
	struct fl_pkt *pkts[BURST];
	struct fl_key one[BURST] FL_CACHE_ALIGNED, keys[BURST] FL_CACHE_ALIGNED;
	struct fl_parse_stats st;
	uint64_t ofs[BURST];
	unsigned i, n = 1 + rnd(BURST), n_err = 0, clean = 0, e;
	unsigned want[FL_PARSE_ERR_MAX] = { 0 };

	for (i = 0; i < n; i++) {
		struct frame f;

		make_frame(&f);
		if (damage)
			mutate(&f);
		pkts[i] = pkt_exact(&f, (uint32_t)rng());
		memset(&one[i], 0x5a, sizeof(one[i]));
		e = fl_parse(pkts[i], &one[i]);
		ofs[i] = pkt_ofs(pkts[i]);
		/* the batch must write every offset itself */
		pkts[i]->l2_5_ofs = pkts[i]->l3_ofs = pkts[i]->l4_ofs = pkts[i]->l7_ofs = 1;
		want[e]++;
		n_err += e != FL_PARSE_ERR_NONE;
		clean += e == FL_PARSE_ERR_NONE && one[i].vlan_tci == 0 && one[i].encap == 0 &&
			 one[i].nw_frag == 0 &&
			 (one[i].nw_proto == FL_IPPROTO_TCP || one[i].nw_proto == FL_IPPROTO_UDP);
	}
	memset(keys, 0xa5, sizeof(keys)); /* the batch must clear everything */
	memset(&st, 0, sizeof(st));
	assert_int_equal(fl_parse_batch(pkts, n, keys, &st), n_err);
	assert_int_equal(st.packets, n);
	for (e = 1; e < FL_PARSE_ERR_MAX; e++)
		assert_int_equal(st.errors[e], want[e]);
	for (i = 0; i < n; i++) {
		if (memcmp(&keys[i], &one[i], sizeof(keys[i]))) {
			char a[1024], b[1024];

			fl_key_format(&one[i], a, sizeof(a));
			fl_key_format(&keys[i], b, sizeof(b));
			fail_msg("frame %u: fl_parse gives\n  %s\nfl_parse_batch gives\n  %s", i, a,
				 b);
		}
		assert_int_equal(pkt_ofs(pkts[i]), ofs[i]);
		free(pkts[i]);
	}
	return clean;
}

/* Valid frames: nearly all take the fast path, and must agree. */
static void test_batch_valid(void **state)
{
	unsigned r, clean = 0;

	(void)state;
	rng_seed(1);
	for (r = 0; r < ROUNDS; r++)
		clean += check_burst(false);
	assert_true(clean > ROUNDS * BURST / 4);
}

/* Damaged frames: the fast path must take only what it can, and fl_parse
 * the rest with the same result as one at a time. */
static void test_batch_damaged(void **state)
{
	unsigned r, clean = 0;

	(void)state;
	rng_seed(2);
	for (r = 0; r < 4 * ROUNDS; r++)
		clean += check_burst(true);
	print_message("%u of the damaged frames still parsed as fast-path kinds\n", clean);
	assert_true(clean > 0);
}

/* Every truncation of each kind, one burst of lengths 0..len. */
static void test_batch_truncated(void **state)
{
	unsigned k;

	(void)state;
	rng_seed(3);
	for (k = 0; k < 64; k++) {
		struct fl_pkt *pkts[BURST];
		struct fl_key keys[BURST] FL_CACHE_ALIGNED, one FL_CACHE_ALIGNED;
		struct frame f;
		unsigned i, n = 0;

		make_frame(&f);
		for (size_t len = f.len > BURST ? f.len - BURST + 1 : 0; len <= f.len; len++) {
			struct frame t = f;

			t.len = len;
			pkts[n++] = pkt_exact(&t, 1);
		}
		fl_parse_batch(pkts, n, keys, NULL);
		for (i = 0; i < n; i++) {
			uint64_t ofs = pkt_ofs(pkts[i]);

			fl_parse(pkts[i], &one);
			assert_memory_equal(&keys[i], &one, sizeof(one));
			assert_int_equal(pkt_ofs(pkts[i]), ofs);
			free(pkts[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_valid),
		cmocka_unit_test(test_batch_damaged),
		cmocka_unit_test(test_batch_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
