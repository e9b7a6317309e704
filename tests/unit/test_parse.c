/* Unit tests of the parser (proto/parse.c) and the key text (proto/key.c).
 *
 * Frames come from the builders (proto/build.h). Every parse runs on a packet
 * whose frame ends exactly where its heap allocation ends, so under ASan a
 * read past pkt->len fails the test. The tests:
 *  - one per protocol, comparing the whole key (every field, zeroes
 *    included) and the four header offsets with what the frame holds;
 *  - every truncation of a valid frame of each kind, two ways: cutting the
 *    frame (IP lengths then overrun it: L2/L3 errors) and cutting the IP
 *    datagram with its lengths fixed up (L4, ND and VXLAN errors). The error
 *    must be the one the first incomplete header gives, fields past it zero
 *    and fields before it as in the full frame;
 *  - malformed headers (IHL, total length, data offset, UDP length, ND
 *    options, VLAN and extension-header depth);
 *  - fl_parse_batch against fl_parse, and its per-reason counters;
 *  - fl_key_format details (RFC 5952, snprintf semantics) and error names.
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

#define IN_PORT 7

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t IP6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t IP6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
#define IP_A fl_htonl(0x0a000001u)
#define IP_B fl_htonl(0x0a000002u)

/* A frame and the builder that made it (which knows its layers). */
struct tframe {
	uint8_t data[512];
	size_t len;
	struct fl_builder b;
};

struct result {
	struct fl_key key;
	enum fl_parse_err err;
	uint16_t l2_5, l3, l4, l7;
};

static struct fl_pkt *pkt_exact(const uint8_t *frame, size_t len)
{
	struct fl_pkt *pkt;
	void *mem = NULL;

	assert_int_equal(posix_memalign(&mem, FL_CACHE_LINE, sizeof(*pkt) + len), 0);
	pkt = mem;
	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	pkt->data_off = sizeof(*pkt);
	pkt->len = (uint16_t)len;
	pkt->in_port = IN_PORT;
	/* Offsets from an earlier parse must not survive. */
	pkt->l2_5_ofs = pkt->l3_ofs = pkt->l4_ofs = pkt->l7_ofs = 1;
	if (len)
		memcpy(fl_pkt_data(pkt), frame, len);
	return pkt;
}

static void parse_exact(const uint8_t *frame, size_t len, struct result *r)
{
	struct fl_pkt *pkt = pkt_exact(frame, len);

	memset(&r->key, 0xa5, sizeof(r->key)); /* the parser must clear everything */
	r->err = fl_parse(pkt, &r->key);
	assert_int_equal(r->err, r->key.parse_err);
	r->l2_5 = pkt->l2_5_ofs;
	r->l3 = pkt->l3_ofs;
	r->l4 = pkt->l4_ofs;
	r->l7 = pkt->l7_ofs;
	free(pkt);
}

static void tf_init(struct tframe *f)
{
	memset(f->data, 0, sizeof(f->data));
	fl_build_init(&f->b, f->data, sizeof(f->data));
}

static void tf_finish(struct tframe *f)
{
	f->len = fl_build_finish(&f->b);
	assert_true(f->len > 0);
}

static int tf_ofs(const struct tframe *f, enum fl_build_layer_kind kind)
{
	return fl_build_find(&f->b, kind, 0);
}

static void want_eth(struct fl_key *w, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memset(w, 0, sizeof(*w));
	w->in_port = IN_PORT;
	memcpy(w->dl_dst, dst, 6);
	memcpy(w->dl_src, src, 6);
	w->dl_type = fl_htons(type);
}

static void want_ip4(struct fl_key *w, uint8_t proto, uint8_t tos, uint8_t ttl, uint8_t frag)
{
	w->nw_src = IP_A;
	w->nw_dst = IP_B;
	w->nw_proto = proto;
	w->nw_tos = tos;
	w->nw_ttl = ttl;
	w->nw_frag = frag;
}

static void want_ip6(struct fl_key *w, uint8_t proto, uint8_t tclass, uint32_t label, uint8_t hl)
{
	memcpy(w->ipv6_src, IP6_A, 16);
	memcpy(w->ipv6_dst, IP6_B, 16);
	w->ipv6_label = fl_htonl(label);
	w->nw_proto = proto;
	w->nw_tos = tclass;
	w->nw_ttl = hl;
}

static void want_ports(struct fl_key *w, uint16_t src, uint16_t dst)
{
	w->tp_src = fl_htons(src);
	w->tp_dst = fl_htons(dst);
}

static void assert_key_equal(const struct fl_key *got, const struct fl_key *want)
{
	char g[512], x[512];

	fl_key_format(got, g, sizeof(g));
	fl_key_format(want, x, sizeof(x));
	if (memcmp(got, want, sizeof(*got))) {
		print_error("key differs\n   got: %s\n  want: %s\n", g, x);
		fail();
	}
}

static void assert_ofs(const struct result *r, int l2_5, int l3, int l4, int l7)
{
	assert_int_equal(r->l2_5, l2_5 < 0 ? (int)FL_OFS_NONE : l2_5);
	assert_int_equal(r->l3, l3 < 0 ? (int)FL_OFS_NONE : l3);
	assert_int_equal(r->l4, l4 < 0 ? (int)FL_OFS_NONE : l4);
	assert_int_equal(r->l7, l7 < 0 ? (int)FL_OFS_NONE : l7);
}

/* ---------------------------------------------------------------- frames */

static void mk_eth_lldp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ethertype(&f->b, 0x88cc);
	fl_build_payload(&f->b, 46, 1);
	tf_finish(f);
}

static void mk_ipv4_udp(struct tframe *f, uint16_t dport, size_t payload)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_udp(&f->b, fl_htons(1234), fl_htons(dport));
	fl_build_payload(&f->b, payload, 0);
	tf_finish(f);
}

static void mk_vlan_ipv4_udp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_vlan(&f->b, FL_ETH_TYPE_VLAN, 0x6064);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_udp(&f->b, fl_htons(1), fl_htons(2));
	fl_build_payload(&f->b, 14, 0);
	tf_finish(f);
}

static void mk_qinq_ipv4_tcp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_vlan(&f->b, FL_ETH_TYPE_QINQ, 10);
	fl_build_vlan(&f->b, FL_ETH_TYPE_VLAN, 0x2014);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_tcp(&f->b, fl_htons(1000), fl_htons(80), FL_TCP_SYN | FL_TCP_ACK);
	tf_finish(f);
}

static void mk_arp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_arp(&f->b, 2, MAC_A, IP_A, MAC_B, IP_B);
	tf_finish(f);
}

static const uint8_t ip4_opts[8] = { 7, 7, 4, 0, 0, 0, 0, 0 }; /* record route, EOL */

static void mk_ipv4_opts_udp(struct tframe *f)
{
	struct fl_build_ipv4_opts o = { .tos = 0xb9, .ttl = 3, .options = ip4_opts,
					.options_len = sizeof(ip4_opts) };

	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4_ex(&f->b, IP_A, IP_B, &o);
	fl_build_udp(&f->b, fl_htons(53), fl_htons(5353));
	fl_build_payload(&f->b, 4, 0);
	tf_finish(f);
}

static void mk_ipv4_frag(struct tframe *f, uint16_t frag_off)
{
	struct fl_build_ipv4_opts o = { .frag_off = frag_off };

	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4_ex(&f->b, IP_A, IP_B, &o);
	if (frag_off & FL_IP4_OFFMASK) {
		/* No UDP header in a later fragment: only data with protocol 17. */
		f->data[tf_ofs(f, FL_BL_IPV4) + offsetof(struct fl_ipv4_hdr, proto)] =
			FL_IPPROTO_UDP;
	} else {
		fl_build_udp(&f->b, fl_htons(7), fl_htons(9));
	}
	fl_build_payload(&f->b, 24, 0);
	tf_finish(f);
	if (!(frag_off & FL_IP4_OFFMASK)) {
		/* The UDP length of a first fragment covers the whole datagram. */
		fl_put_u16(f->data + tf_ofs(f, FL_BL_UDP) + offsetof(struct fl_udp_hdr, len),
			   fl_htons(1480));
	}
}

static void mk_ipv4_tcp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_tcp(&f->b, fl_htons(40000), fl_htons(443), FL_TCP_PSH | FL_TCP_ACK | FL_TCP_NS);
	fl_build_payload(&f->b, 10, 0);
	tf_finish(f);
}

static void mk_ipv4_icmp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_icmp(&f->b, 3, 4, 1400);
	fl_build_payload(&f->b, 28, 0);
	tf_finish(f);
}

static void mk_ipv6_tcp(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv6(&f->b, IP6_A, IP6_B, 0xb8, 0x12345);
	fl_build_tcp(&f->b, fl_htons(22), fl_htons(50000), FL_TCP_FIN | FL_TCP_ACK);
	tf_finish(f);
}

/* IPv6 with one extension header of `ext` (FL_IPPROTO_*), then UDP. */
static void mk_ipv6_ext_udp(struct tframe *f, uint8_t ext, size_t ext_len, uint16_t frag)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv6(&f->b, IP6_A, IP6_B, 0, 0);
	fl_build_ipv6_ext(&f->b, ext, ext_len, frag);
	if (ext == FL_IPPROTO_FRAGMENT && (frag & FL_IP6_FRAG_OFFMASK)) {
		f->data[tf_ofs(f, FL_BL_IPV6_EXT)] = FL_IPPROTO_UDP;
	} else {
		fl_build_udp(&f->b, fl_htons(546), fl_htons(547));
	}
	fl_build_payload(&f->b, 12, 0);
	tf_finish(f);
}

static void mk_ipv6_chain(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv6(&f->b, IP6_A, IP6_B, 0, 0);
	fl_build_ipv6_ext(&f->b, FL_IPPROTO_HOPOPTS, 8, 0);
	fl_build_ipv6_ext(&f->b, FL_IPPROTO_DSTOPTS, 16, 0);
	fl_build_ipv6_ext(&f->b, FL_IPPROTO_ROUTING, 24, 0);
	fl_build_ipv6_ext(&f->b, FL_IPPROTO_FRAGMENT, 0, FL_IP6_FRAG_MORE);
	fl_build_tcp(&f->b, fl_htons(80), fl_htons(81), FL_TCP_RST);
	tf_finish(f);
}

static void mk_icmp6_echo(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv6(&f->b, IP6_A, IP6_B, 0, 0);
	fl_build_icmp6(&f->b, FL_ICMP6_ECHO_REQUEST, 0, 0x00010002);
	fl_build_payload(&f->b, 16, 0);
	tf_finish(f);
}

static void mk_nd(struct tframe *f, uint8_t type, const uint8_t *sll, const uint8_t *tll)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv6(&f->b, IP6_A, IP6_B, 0, 0);
	fl_build_nd(&f->b, type, IP6_B, sll, tll);
	tf_finish(f);
}

static void mk_vxlan(struct tframe *f)
{
	tf_init(f);
	fl_build_eth(&f->b, MAC_B, MAC_A);
	fl_build_ipv4(&f->b, IP_A, IP_B);
	fl_build_udp(&f->b, fl_htons(49152), fl_htons(FL_VXLAN_PORT));
	fl_build_vxlan(&f->b, 0x123456);
	fl_build_eth(&f->b, MAC_A, MAC_B);
	fl_build_ipv4(&f->b, fl_htonl(0xc0a80001u), fl_htonl(0xc0a80002u));
	fl_build_udp(&f->b, fl_htons(1), fl_htons(2));
	tf_finish(f);
}

/* ------------------------------------------------------ protocol tests */

static void test_eth_unknown_type(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_eth_lldp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, 0x88cc);
	assert_int_equal(r.err, FL_PARSE_ERR_NONE);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, -1, -1, -1);
}

static void test_eth_8023(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_eth_lldp(&f);
	fl_put_u16(f.data + 12, fl_htons(46)); /* a length, not an EtherType */
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_DL_TYPE_NONE);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, -1, -1, -1);
	/* 0x05ff is still a length; 0x0600 is the first EtherType. */
	fl_put_u16(f.data + 12, fl_htons(0x05ff));
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.key.dl_type, fl_htons(FL_DL_TYPE_NONE));
	fl_put_u16(f.data + 12, fl_htons(0x0600));
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.key.dl_type, fl_htons(0x0600));
}

static void test_vlan(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_vlan_ipv4_udp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	w.vlan_tci = fl_htons(0x6064 | FL_VLAN_PRESENT);
	w.vlan_tpid = fl_htons(FL_ETH_TYPE_VLAN);
	want_ip4(&w, FL_IPPROTO_UDP, 0, 64, 0);
	want_ports(&w, 1, 2);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, 14, 18, 38, 46);

	/* VID 0 priority tag, DEI set: still present, DEI not kept. */
	fl_put_u16(f.data + 14, fl_htons(0x1000));
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.key.vlan_tci, fl_htons(FL_VLAN_PRESENT));
}

static void test_qinq(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_qinq_ipv4_tcp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	w.vlan_tci = fl_htons(10 | FL_VLAN_PRESENT);
	w.vlan2_tci = fl_htons(0x2014 | FL_VLAN_PRESENT);
	w.vlan_tpid = fl_htons(FL_ETH_TYPE_QINQ);
	want_ip4(&w, FL_IPPROTO_TCP, 0, 64, 0);
	want_ports(&w, 1000, 80);
	w.tcp_flags = fl_htons(FL_TCP_SYN | FL_TCP_ACK);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, 14, 22, 42, 62);
}

static void test_arp(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_arp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_ARP);
	w.nw_src = IP_A;
	w.nw_dst = IP_B;
	w.nw_proto = 2;
	memcpy(w.arp_sha, MAC_A, 6);
	memcpy(w.arp_tha, MAC_B, 6);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, -1, -1);

	/* Each of hrd, pro, hln, pln wrong gives ARP_BAD and no ARP fields. */
	for (unsigned i = 0; i < 6; i++) {
		f.data[14 + i] ^= 0x40;
		parse_exact(f.data, f.len, &r);
		f.data[14 + i] ^= 0x40;
		assert_int_equal(r.err, FL_PARSE_ERR_ARP_BAD);
		want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_ARP);
		w.parse_err = FL_PARSE_ERR_ARP_BAD;
		assert_key_equal(&r.key, &w);
		assert_ofs(&r, -1, -1, -1, -1);
	}
}

static void test_ipv4_udp(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;
	uint8_t padded[128];

	(void)state;
	mk_ipv4_udp(&f, 53, 4);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_UDP, 0, 64, 0);
	want_ports(&w, 1234, 53);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, 42);

	/* Ethernet padding after tot_len is ignored, whatever it holds. */
	memcpy(padded, f.data, f.len);
	memset(padded + f.len, 0xff, sizeof(padded) - f.len);
	parse_exact(padded, 60, &r);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, 42);
}

static void test_ipv4_options(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_ipv4_opts_udp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_UDP, 0xb9, 3, 0);
	want_ports(&w, 53, 5353);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 42, 50);
}

static void test_ipv4_fragments(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	/* First fragment: L4 parsed, the UDP length (whole datagram) allowed. */
	mk_ipv4_frag(&f, FL_IP4_MF);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_UDP, 0, 64, FL_FRAG_ANY);
	want_ports(&w, 7, 9);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, 42);

	/* Later fragments, with and without MF: no L4. */
	mk_ipv4_frag(&f, FL_IP4_MF | 100);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_UDP, 0, 64, FL_FRAG_ANY | FL_FRAG_LATER);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, -1, -1);
	mk_ipv4_frag(&f, 1);
	parse_exact(f.data, f.len, &r);
	assert_key_equal(&r.key, &w);

	/* DF alone is no fragment. */
	mk_ipv4_frag(&f, FL_IP4_DF);
	fl_put_u16(f.data + 34 + offsetof(struct fl_udp_hdr, len), fl_htons(32));
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.err, FL_PARSE_ERR_NONE);
	assert_int_equal(r.key.nw_frag, 0);
}

static void test_ipv4_tcp(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_ipv4_tcp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_TCP, 0, 64, 0);
	want_ports(&w, 40000, 443);
	w.tcp_flags = fl_htons(FL_TCP_PSH | FL_TCP_ACK | FL_TCP_NS);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, 54);

	/* Data offset 7 (options) moves l7; tcp_flags keeps all 12 bits after
	 * the data offset, the 3 reserved ones included (key.h). */
	f.data[34 + 12] = 0x7f; /* doff 7, reserved bits and NS set */
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.err, FL_PARSE_ERR_NONE);
	assert_int_equal(fl_ntohs(r.key.tcp_flags), 0xf18);
	assert_ofs(&r, -1, 14, 34, 62);
}

static void test_ipv4_icmp(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_ipv4_icmp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_ICMP, 0, 64, 0);
	want_ports(&w, 3, 4); /* type, code */
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, 42);
}

static void test_ipv6_tcp(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_ipv6_tcp(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_TCP, 0xb8, 0x12345, 64);
	want_ports(&w, 22, 50000);
	w.tcp_flags = fl_htons(FL_TCP_FIN | FL_TCP_ACK);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 54, 74);
}

static void test_ipv6_ext_headers(void **state)
{
	static const struct {
		uint8_t type;
		size_t len;
	} exts[] = {
		{ FL_IPPROTO_HOPOPTS, 8 },
		{ FL_IPPROTO_HOPOPTS, 64 },
		{ FL_IPPROTO_ROUTING, 24 },
		{ FL_IPPROTO_DSTOPTS, 16 },
		{ FL_IPPROTO_FRAGMENT, 8 }, /* atomic fragment: offset 0, M 0 */
	};
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	for (unsigned i = 0; i < FL_ARRAY_SIZE(exts); i++) {
		int l4 = 54 + (int)exts[i].len;

		mk_ipv6_ext_udp(&f, exts[i].type, exts[i].len, 0);
		parse_exact(f.data, f.len, &r);
		want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
		want_ip6(&w, FL_IPPROTO_UDP, 0, 0, 64);
		want_ports(&w, 546, 547);
		assert_key_equal(&r.key, &w);
		assert_ofs(&r, -1, 14, l4, l4 + 8);
	}

	mk_ipv6_chain(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_TCP, 0, 0, 64);
	w.nw_frag = FL_FRAG_ANY;
	want_ports(&w, 80, 81);
	w.tcp_flags = fl_htons(FL_TCP_RST);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 54 + 56, 54 + 56 + 20);
}

static void test_ipv6_fragments(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_ipv6_ext_udp(&f, FL_IPPROTO_FRAGMENT, 8, FL_IP6_FRAG_MORE);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_UDP, 0, 0, 64);
	w.nw_frag = FL_FRAG_ANY;
	want_ports(&w, 546, 547);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 62, 70);

	mk_ipv6_ext_udp(&f, FL_IPPROTO_FRAGMENT, 8, 185 << 3);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_UDP, 0, 0, 64);
	w.nw_frag = FL_FRAG_ANY | FL_FRAG_LATER;
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, -1, -1);
}

static void test_icmp6_echo(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_icmp6_echo(&f);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_ICMPV6, 0, 0, 64);
	want_ports(&w, FL_ICMP6_ECHO_REQUEST, 0);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 54, 62);
}

static void test_nd_ns_sll(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_nd(&f, FL_ND_NEIGHBOR_SOLICIT, MAC_A, NULL);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_ICMPV6, 0, 0, 255);
	want_ports(&w, FL_ND_NEIGHBOR_SOLICIT, 0);
	memcpy(w.nd_target, IP6_B, 16);
	memcpy(w.arp_sha, MAC_A, 6);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 54, 62);

	/* A non-zero code is not ND (RFC 4861): no target, no error. */
	f.data[55] = 1;
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.err, FL_PARSE_ERR_NONE);
	assert_int_equal(fl_ntohs(r.key.tp_dst), 1);
	assert_true(r.key.nd_target[15] == 0 && r.key.arp_sha[5] == 0);
}

static void test_nd_na_tll(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;

	(void)state;
	mk_nd(&f, FL_ND_NEIGHBOR_ADVERT, NULL, MAC_B);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV6);
	want_ip6(&w, FL_IPPROTO_ICMPV6, 0, 0, 255);
	want_ports(&w, FL_ND_NEIGHBOR_ADVERT, 0);
	memcpy(w.nd_target, IP6_B, 16);
	memcpy(w.arp_tha, MAC_B, 6);
	assert_key_equal(&r.key, &w);

	/* Both options; a second SLL does not replace the first. */
	mk_nd(&f, FL_ND_NEIGHBOR_ADVERT, MAC_A, MAC_B);
	f.data[54 + 32] = FL_ND_OPT_SOURCE_LL; /* the TLL option becomes a second SLL */
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.err, FL_PARSE_ERR_NONE);
	assert_memory_equal(r.key.arp_sha, MAC_A, 6);
	assert_true(r.key.arp_tha[5] == 0);
}

static void test_vxlan(void **state)
{
	struct tframe f;
	struct fl_key w;
	struct result r;
	int vx;

	(void)state;
	mk_vxlan(&f);
	vx = tf_ofs(&f, FL_BL_VXLAN);
	parse_exact(f.data, f.len, &r);
	want_eth(&w, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	want_ip4(&w, FL_IPPROTO_UDP, 0, 64, 0);
	want_ports(&w, 49152, FL_VXLAN_PORT);
	w.encap = FL_ENCAP_VXLAN;
	w.vxlan_vni = fl_htonl(0x123456);
	assert_key_equal(&r.key, &w);
	assert_ofs(&r, -1, 14, 34, vx);
	assert_int_equal(vx, 42);

	/* Reserved bytes set do not leak into the VNI; no I flag, no encap. */
	memset(f.data + vx + 1, 0xff, 3);
	f.data[vx + 7] = 0xff;
	parse_exact(f.data, f.len, &r);
	assert_key_equal(&r.key, &w);
	f.data[vx] = 0;
	parse_exact(f.data, f.len, &r);
	w.encap = 0;
	w.vxlan_vni = 0;
	assert_key_equal(&r.key, &w);
}

/* ---------------------------------------------------------- truncations */

enum stage { ST_NONE, ST_ETH, ST_L2, ST_L3, ST_L3_EXT, ST_L4, ST_L4_BODY };

static enum stage err_stage(enum fl_parse_err e)
{
	switch (e) {
	case FL_PARSE_ERR_NONE:
		return ST_NONE;
	case FL_PARSE_ERR_ETH_TRUNC:
		return ST_ETH;
	case FL_PARSE_ERR_VLAN_TRUNC:
	case FL_PARSE_ERR_VLAN_DEPTH:
		return ST_L2;
	case FL_PARSE_ERR_IP6_EXT_TRUNC:
	case FL_PARSE_ERR_IP6_EXT_DEPTH:
		return ST_L3_EXT;
	case FL_PARSE_ERR_TCP_TRUNC:
	case FL_PARSE_ERR_TCP_DOFF:
	case FL_PARSE_ERR_UDP_TRUNC:
	case FL_PARSE_ERR_UDP_LEN:
	case FL_PARSE_ERR_ICMP_TRUNC:
	case FL_PARSE_ERR_ICMP6_TRUNC:
		return ST_L4;
	case FL_PARSE_ERR_ND_TRUNC:
	case FL_PARSE_ERR_ND_OPT:
	case FL_PARSE_ERR_VXLAN_TRUNC:
		return ST_L4_BODY;
	default:
		return ST_L3;
	}
}

static bool zero_range(const struct fl_key *k, size_t from, size_t to)
{
	const uint8_t *b = (const uint8_t *)k;

	for (size_t i = from; i < to; i++)
		if (b[i] && i != offsetof(struct fl_key, parse_err))
			return false;
	return true;
}

/* A key from a broken frame: the error as expected, every field either zero
 * or as in the full frame's key (except the "what follows" fields key.h
 * lets hold the last value read), and the headers after the error zero. */
static void check_partial(const struct result *r, const struct fl_key *full,
			  enum fl_parse_err want, const char *what, size_t cut)
{
	const uint8_t *g = (const uint8_t *)&r->key, *x = (const uint8_t *)full;
	enum stage st = err_stage(want);

	if (r->err != want) {
		print_error("%s cut to %zu: parse_err %s, want %s\n", what, cut,
			    fl_parse_err_name(r->err), fl_parse_err_name(want));
		fail();
	}
	for (size_t i = 0; i < sizeof(*full); i++) {
		if (i == offsetof(struct fl_key, parse_err))
			continue;
		if (st == ST_L2 && (i == offsetof(struct fl_key, dl_type) ||
				    i == offsetof(struct fl_key, dl_type) + 1))
			continue;
		if (st == ST_L3_EXT && i == offsetof(struct fl_key, nw_proto))
			continue;
		if (g[i] && g[i] != x[i]) {
			print_error("%s cut to %zu: key byte %zu is 0x%02x, full frame 0x%02x\n",
				    what, cut, i, g[i], x[i]);
			fail();
		}
	}
	if (st == ST_ETH)
		assert_true(zero_range(&r->key, offsetof(struct fl_key, dl_dst), sizeof(*full)));
	if (st == ST_L2 || st == ST_L3)
		assert_true(zero_range(&r->key, offsetof(struct fl_key, nw_src), sizeof(*full)));
	if (st == ST_L3_EXT || st == ST_L4) {
		assert_true(zero_range(&r->key, offsetof(struct fl_key, arp_sha), sizeof(*full)));
		assert_int_equal(r->l4, FL_OFS_NONE);
		assert_int_equal(r->l7, FL_OFS_NONE);
	}
	if (st == ST_L4_BODY) {
		assert_int_equal(r->key.encap, 0);
		assert_int_equal(r->key.vxlan_vni, 0);
		assert_int_not_equal(r->l4, FL_OFS_NONE);
	}
	if (st == ST_ETH || st == ST_L2 || st == ST_L3)
		assert_true(r->l3 == FL_OFS_NONE && r->l4 == FL_OFS_NONE && r->l7 == FL_OFS_NONE);
	if (st == ST_ETH)
		assert_int_equal(r->l2_5, FL_OFS_NONE);
}

/* The error a frame cut to `cut` bytes gives: the IP lengths then overrun
 * the frame, so only L2 and L3 headers can be the first to break. */
static enum fl_parse_err frame_cut_err(const struct tframe *f, size_t cut)
{
	for (unsigned i = 0; i < f->b.n_layers; i++) {
		const struct fl_build_layer *l = &f->b.layers[i];

		switch (l->kind) {
		case FL_BL_ETH:
			if (cut < (size_t)l->ofs + 14)
				return FL_PARSE_ERR_ETH_TRUNC;
			break;
		case FL_BL_VLAN:
			if (cut < (size_t)l->ofs + 4)
				return FL_PARSE_ERR_VLAN_TRUNC;
			break;
		case FL_BL_ARP:
			if (cut < (size_t)l->ofs + 28)
				return FL_PARSE_ERR_ARP_TRUNC;
			return FL_PARSE_ERR_NONE;
		case FL_BL_IPV4:
			if (cut < (size_t)l->ofs + 20)
				return FL_PARSE_ERR_IP4_TRUNC;
			if (cut < (size_t)l->ofs + l->len)
				return FL_PARSE_ERR_IP4_HLEN;
			return cut < f->len ? FL_PARSE_ERR_IP4_TOTLEN : FL_PARSE_ERR_NONE;
		case FL_BL_IPV6:
			if (cut < (size_t)l->ofs + 40)
				return FL_PARSE_ERR_IP6_TRUNC;
			return cut < f->len ? FL_PARSE_ERR_IP6_PLEN : FL_PARSE_ERR_NONE;
		default:
			return FL_PARSE_ERR_NONE;
		}
	}
	return FL_PARSE_ERR_NONE;
}

/* The error of an IP datagram cut at `cut` with its lengths fixed up: the
 * first header after the IP header that does not fit. */
static enum fl_parse_err datagram_cut_err(const struct tframe *f, const uint8_t *frame,
					  size_t cut)
{
	bool after_ip = false;

	for (unsigned i = 0; i < f->b.n_layers; i++) {
		const struct fl_build_layer *l = &f->b.layers[i];
		size_t ofs = l->ofs;
		const uint8_t *h = frame + ofs;

		switch (l->kind) {
		case FL_BL_IPV4:
			after_ip = true;
			if (fl_get_be16(h + 6) & FL_IP4_OFFMASK)
				return FL_PARSE_ERR_NONE;
			break;
		case FL_BL_IPV6:
			after_ip = true;
			break;
		case FL_BL_IPV6_EXT: {
			const struct fl_build_layer *prev = &f->b.layers[i - 1];
			uint8_t type = prev->kind == FL_BL_IPV6 ? frame[prev->ofs + 6] :
								  frame[prev->ofs];

			if (cut < ofs + 8 || cut < ofs + l->len)
				return FL_PARSE_ERR_IP6_EXT_TRUNC;
			/* A fragment with an offset: nothing parsed after it. */
			if (type == FL_IPPROTO_FRAGMENT &&
			    (fl_get_be16(h + 2) & FL_IP6_FRAG_OFFMASK))
				return FL_PARSE_ERR_NONE;
			break;
		}
		case FL_BL_TCP:
			if (cut < ofs + 20)
				return FL_PARSE_ERR_TCP_TRUNC;
			if (cut < ofs + (size_t)(h[12] >> 4) * 4)
				return FL_PARSE_ERR_TCP_DOFF;
			return FL_PARSE_ERR_NONE;
		case FL_BL_UDP:
			if (cut < ofs + 8)
				return FL_PARSE_ERR_UDP_TRUNC;
			if (fl_get_be16(h + 2) == FL_VXLAN_PORT && cut < ofs + 16)
				return FL_PARSE_ERR_VXLAN_TRUNC;
			return FL_PARSE_ERR_NONE;
		case FL_BL_ICMP:
			return cut < ofs + 8 ? FL_PARSE_ERR_ICMP_TRUNC : FL_PARSE_ERR_NONE;
		case FL_BL_ICMP6:
			if (cut < ofs + 8)
				return FL_PARSE_ERR_ICMP6_TRUNC;
			if ((h[0] == FL_ND_NEIGHBOR_SOLICIT || h[0] == FL_ND_NEIGHBOR_ADVERT) &&
			    h[1] == 0) {
				if (cut < ofs + 24)
					return FL_PARSE_ERR_ND_TRUNC;
				/* options are 8 bytes each: a cut inside one breaks it */
				if ((cut - ofs - 24) % 8)
					return FL_PARSE_ERR_ND_OPT;
			}
			return FL_PARSE_ERR_NONE;
		default:
			if (after_ip)
				return FL_PARSE_ERR_NONE;
			break;
		}
	}
	return FL_PARSE_ERR_NONE;
}

static void check_truncations(const struct tframe *f, const char *what)
{
	struct result full, r;
	uint8_t buf[512];
	int ip4 = tf_ofs(f, FL_BL_IPV4), ip6 = tf_ofs(f, FL_BL_IPV6), udp = tf_ofs(f, FL_BL_UDP);
	int ip = ip4 >= 0 && (ip6 < 0 || ip4 < ip6) ? ip4 : ip6;
	size_t ip_hlen = 0;

	parse_exact(f->data, f->len, &full);
	assert_int_equal(full.err, FL_PARSE_ERR_NONE);

	/* 1. The frame cut short. */
	for (size_t cut = 0; cut < f->len; cut++) {
		parse_exact(f->data, cut, &r);
		check_partial(&r, &full.key, frame_cut_err(f, cut), what, cut);
	}

	/* 2. The IP datagram cut short with its lengths (IP, UDP) fixed up. */
	if (ip < 0)
		return;
	ip_hlen = ip == ip4 ? (size_t)(f->data[ip] & 0xf) * 4 : 40;
	for (size_t cut = (size_t)ip + ip_hlen; cut <= f->len; cut++) {
		memcpy(buf, f->data, cut);
		if (ip == ip4)
			fl_put_u16(buf + ip + 2, fl_htons((uint16_t)(cut - (size_t)ip)));
		else
			fl_put_u16(buf + ip + 4, fl_htons((uint16_t)(cut - (size_t)ip - 40)));
		if (udp >= 0 && cut >= (size_t)udp + 8)
			fl_put_u16(buf + udp + 4, fl_htons((uint16_t)(cut - (size_t)udp)));
		parse_exact(buf, cut, &r);
		check_partial(&r, &full.key, datagram_cut_err(f, buf, cut), what, cut);
		if (cut == f->len)
			assert_key_equal(&r.key, &full.key);
	}
}

static void test_truncations(void **state)
{
	struct tframe f;

	(void)state;
	mk_eth_lldp(&f);
	check_truncations(&f, "eth");
	mk_vlan_ipv4_udp(&f);
	check_truncations(&f, "vlan");
	mk_qinq_ipv4_tcp(&f);
	check_truncations(&f, "qinq");
	mk_arp(&f);
	check_truncations(&f, "arp");
	mk_ipv4_opts_udp(&f);
	check_truncations(&f, "ipv4 options");
	mk_ipv4_frag(&f, FL_IP4_MF);
	check_truncations(&f, "ipv4 first fragment");
	mk_ipv4_frag(&f, 100);
	check_truncations(&f, "ipv4 later fragment");
	mk_ipv4_tcp(&f);
	check_truncations(&f, "tcp");
	mk_ipv4_udp(&f, 53, 18);
	check_truncations(&f, "udp");
	mk_ipv4_icmp(&f);
	check_truncations(&f, "icmp");
	mk_ipv6_tcp(&f);
	check_truncations(&f, "ipv6 tcp");
	mk_ipv6_ext_udp(&f, FL_IPPROTO_HOPOPTS, 16, 0);
	check_truncations(&f, "ipv6 hop-by-hop");
	mk_ipv6_ext_udp(&f, FL_IPPROTO_ROUTING, 24, 0);
	check_truncations(&f, "ipv6 routing");
	mk_ipv6_ext_udp(&f, FL_IPPROTO_DSTOPTS, 8, 0);
	check_truncations(&f, "ipv6 destination options");
	mk_ipv6_ext_udp(&f, FL_IPPROTO_FRAGMENT, 8, FL_IP6_FRAG_MORE);
	check_truncations(&f, "ipv6 first fragment");
	mk_ipv6_ext_udp(&f, FL_IPPROTO_FRAGMENT, 8, 9 << 3);
	check_truncations(&f, "ipv6 later fragment");
	mk_ipv6_chain(&f);
	check_truncations(&f, "ipv6 chain");
	mk_icmp6_echo(&f);
	check_truncations(&f, "icmpv6 echo");
	mk_nd(&f, FL_ND_NEIGHBOR_SOLICIT, MAC_A, NULL);
	check_truncations(&f, "ns with sll");
	mk_nd(&f, FL_ND_NEIGHBOR_ADVERT, NULL, MAC_B);
	check_truncations(&f, "na with tll");
	mk_nd(&f, FL_ND_NEIGHBOR_ADVERT, MAC_A, MAC_B);
	check_truncations(&f, "na with sll and tll");
	mk_vxlan(&f);
	check_truncations(&f, "vxlan");
}

/* ------------------------------------------------------------ malformed */

/* Parse a frame changed by the caller, expect `err`, and check that the
 * fields before the broken header match the unchanged frame's key. */
static void expect_err(const struct tframe *orig, const uint8_t *frame, size_t len,
		       enum fl_parse_err err, const char *what)
{
	struct result full, r;

	parse_exact(orig->data, orig->len, &full);
	parse_exact(frame, len, &r);
	check_partial(&r, &full.key, err, what, len);
}

static void test_malformed_ipv4(void **state)
{
	struct tframe f;
	uint8_t b[512];

	(void)state;
	mk_ipv4_opts_udp(&f); /* IHL 7, tot_len 40 */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		memcpy(b, f.data, f.len);
		b[14] = (uint8_t)(0x40 | ihl);
		expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_HLEN, "ihl < 5");
	}
	memcpy(b, f.data, f.len);
	b[14] = 0x4f; /* 60 bytes, frame holds 40 after Ethernet */
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_HLEN, "ihl past the frame");
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		memcpy(b, f.data, f.len);
		b[14] = (uint8_t)(v << 4 | 7);
		expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_VERSION, "version");
	}
	memcpy(b, f.data, f.len);
	fl_put_u16(b + 16, fl_htons(27)); /* < IHL * 4 = 28 */
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_TOTLEN, "tot_len < ihl");
	fl_put_u16(b + 16, fl_htons((uint16_t)(f.len - 14 + 1)));
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_TOTLEN, "tot_len > frame");
	fl_put_u16(b + 16, fl_htons(0xffff));
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP4_TOTLEN, "tot_len 65535");
	/* tot_len == IHL * 4: a UDP datagram with no room for its header. */
	fl_put_u16(b + 16, fl_htons(28));
	expect_err(&f, b, f.len, FL_PARSE_ERR_UDP_TRUNC, "tot_len == ihl");
}

static void test_malformed_ipv6(void **state)
{
	struct tframe f;
	uint8_t b[512];
	struct result r;

	(void)state;
	mk_ipv6_tcp(&f);
	memcpy(b, f.data, f.len);
	b[14] = 0x4b;
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP6_VERSION, "version");
	memcpy(b, f.data, f.len);
	fl_put_u16(b + 18, fl_htons((uint16_t)(f.len - 54 + 1)));
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP6_PLEN, "plen > frame");

	/* Eight extension headers are fine, nine are too many. */
	for (unsigned n = 8; n <= 9; n++) {
		struct tframe g;

		tf_init(&g);
		fl_build_eth(&g.b, MAC_B, MAC_A);
		fl_build_ipv6(&g.b, IP6_A, IP6_B, 0, 0);
		for (unsigned i = 0; i < n; i++)
			fl_build_ipv6_ext(&g.b, FL_IPPROTO_DSTOPTS, 8, 0);
		fl_build_udp(&g.b, fl_htons(1), fl_htons(2));
		tf_finish(&g);
		parse_exact(g.data, g.len, &r);
		if (n == 8) {
			assert_int_equal(r.err, FL_PARSE_ERR_NONE);
			assert_int_equal(r.key.nw_proto, FL_IPPROTO_UDP);
			assert_int_equal(r.l4, 54 + 64);
		} else {
			assert_int_equal(r.err, FL_PARSE_ERR_IP6_EXT_DEPTH);
			assert_int_equal(r.key.nw_proto, FL_IPPROTO_DSTOPTS);
			assert_int_equal(r.key.tp_src, 0);
			assert_int_equal(r.l4, FL_OFS_NONE);
		}
	}

	/* A header length past the payload. */
	mk_ipv6_ext_udp(&f, FL_IPPROTO_ROUTING, 24, 0);
	memcpy(b, f.data, f.len);
	b[54 + 1] = 200;
	expect_err(&f, b, f.len, FL_PARSE_ERR_IP6_EXT_TRUNC, "ext len");
	parse_exact(b, f.len, &r);
	assert_int_equal(r.key.nw_proto, FL_IPPROTO_ROUTING);
}

static void test_malformed_l4(void **state)
{
	struct tframe f;
	uint8_t b[512];

	(void)state;
	mk_ipv4_tcp(&f); /* 10 bytes of data after the TCP header */
	for (unsigned doff = 0; doff < 5; doff++) {
		memcpy(b, f.data, f.len);
		b[34 + 12] = (uint8_t)(doff << 4);
		expect_err(&f, b, f.len, FL_PARSE_ERR_TCP_DOFF, "doff < 5");
	}
	memcpy(b, f.data, f.len);
	b[34 + 12] = 8 << 4; /* 32 bytes, 30 in the datagram */
	expect_err(&f, b, f.len, FL_PARSE_ERR_TCP_DOFF, "doff past the datagram");
	b[34 + 12] = 7 << 4; /* 28 bytes: fits */
	expect_err(&f, b, f.len, FL_PARSE_ERR_NONE, "doff 7");

	mk_ipv4_udp(&f, 53, 10);
	for (unsigned len = 0; len < 8; len++) {
		memcpy(b, f.data, f.len);
		fl_put_u16(b + 34 + 4, fl_htons((uint16_t)len));
		expect_err(&f, b, f.len, FL_PARSE_ERR_UDP_LEN, "udp len < 8");
	}
	fl_put_u16(b + 34 + 4, fl_htons(19));
	expect_err(&f, b, f.len, FL_PARSE_ERR_UDP_LEN, "udp len > datagram");
	fl_put_u16(b + 34 + 4, fl_htons(12)); /* shorter than the datagram: allowed */
	expect_err(&f, b, f.len, FL_PARSE_ERR_NONE, "udp len < datagram");

	/* VXLAN: the UDP length, not the datagram, bounds the VXLAN header. */
	mk_vxlan(&f);
	memcpy(b, f.data, f.len);
	fl_put_u16(b + 34 + 4, fl_htons(15));
	expect_err(&f, b, f.len, FL_PARSE_ERR_VXLAN_TRUNC, "vxlan in udp len 15");
}

static void test_malformed_nd(void **state)
{
	struct tframe f;
	uint8_t b[512];
	struct result r;

	(void)state;
	mk_nd(&f, FL_ND_NEIGHBOR_ADVERT, MAC_A, MAC_B);
	memcpy(b, f.data, f.len);
	b[54 + 24 + 1] = 0; /* first option length 0 */
	expect_err(&f, b, f.len, FL_PARSE_ERR_ND_OPT, "option length 0");
	parse_exact(b, f.len, &r);
	assert_memory_equal(r.key.nd_target, IP6_B, 16);
	assert_true(r.key.arp_sha[5] == 0 && r.key.arp_tha[5] == 0);

	memcpy(b, f.data, f.len);
	b[54 + 32 + 1] = 2; /* second option runs 8 bytes past the end */
	expect_err(&f, b, f.len, FL_PARSE_ERR_ND_OPT, "option past the end");
	parse_exact(b, f.len, &r);
	assert_memory_equal(r.key.arp_sha, MAC_A, 6); /* the option before stays */
	assert_true(r.key.arp_tha[5] == 0);

	memcpy(b, f.data, f.len);
	b[54 + 32 + 1] = 0;
	expect_err(&f, b, f.len, FL_PARSE_ERR_ND_OPT, "second option length 0");
}

static void test_malformed_vlan(void **state)
{
	struct tframe f;
	struct result r;

	(void)state;
	tf_init(&f);
	fl_build_eth(&f.b, MAC_B, MAC_A);
	fl_build_vlan(&f.b, FL_ETH_TYPE_QINQ, 1);
	fl_build_vlan(&f.b, FL_ETH_TYPE_VLAN, 2);
	fl_build_vlan(&f.b, FL_ETH_TYPE_VLAN, 3);
	fl_build_ipv4(&f.b, IP_A, IP_B);
	fl_build_udp(&f.b, fl_htons(1), fl_htons(2));
	tf_finish(&f);
	parse_exact(f.data, f.len, &r);
	assert_int_equal(r.err, FL_PARSE_ERR_VLAN_DEPTH);
	assert_int_equal(r.key.vlan_tci, fl_htons(1 | FL_VLAN_PRESENT));
	assert_int_equal(r.key.vlan2_tci, fl_htons(2 | FL_VLAN_PRESENT));
	assert_int_equal(r.key.vlan_tpid, fl_htons(FL_ETH_TYPE_QINQ));
	assert_int_equal(r.key.dl_type, fl_htons(FL_ETH_TYPE_VLAN)); /* the third tag's TPID */
	assert_true(zero_range(&r.key, offsetof(struct fl_key, nw_src), sizeof(r.key)));
	assert_ofs(&r, 14, -1, -1, -1);
}

/* ---------------------------------------------------------------- batch */

static void test_batch(void **state)
{
	enum { N = 37 };
	struct tframe f;
	struct fl_pkt *pkts[N];
	struct fl_key *keys, one;
	struct fl_parse_stats st;
	unsigned want_err[FL_PARSE_ERR_MAX] = { 0 }, n_err = 0;
	uint16_t ofs[N][4];

	(void)state;
	keys = aligned_alloc(FL_CACHE_LINE, N * sizeof(*keys));
	assert_non_null(keys);
	for (unsigned i = 0; i < N; i++) {
		switch (i % 9) {
		case 0:
			mk_ipv4_udp(&f, 53, i);
			break;
		case 1:
			mk_ipv6_tcp(&f);
			break;
		case 2:
			mk_vlan_ipv4_udp(&f);
			f.len = 15; /* VLAN_TRUNC */
			break;
		case 3:
			mk_nd(&f, FL_ND_NEIGHBOR_SOLICIT, MAC_A, NULL);
			break;
		case 4:
			mk_ipv4_tcp(&f);
			f.data[34 + 12] = 0x10; /* TCP_DOFF */
			break;
		case 5:
			mk_arp(&f);
			break;
		case 6:
			mk_ipv4_udp(&f, 80, 4);
			f.len = 5; /* ETH_TRUNC */
			break;
		case 7:
			mk_vxlan(&f);
			break;
		default:
			mk_ipv6_chain(&f);
			break;
		}
		pkts[i] = pkt_exact(f.data, f.len);
		pkts[i]->in_port = i;
		fl_parse(pkts[i], &one);
		ofs[i][0] = pkts[i]->l2_5_ofs;
		ofs[i][1] = pkts[i]->l3_ofs;
		ofs[i][2] = pkts[i]->l4_ofs;
		ofs[i][3] = pkts[i]->l7_ofs;
		pkts[i]->l2_5_ofs = pkts[i]->l3_ofs = pkts[i]->l4_ofs = pkts[i]->l7_ofs = 0;
		if (one.parse_err) {
			want_err[one.parse_err]++;
			n_err++;
		}
	}
	assert_int_equal(want_err[FL_PARSE_ERR_VLAN_TRUNC], 4);
	assert_int_equal(want_err[FL_PARSE_ERR_TCP_DOFF], 4);
	assert_int_equal(want_err[FL_PARSE_ERR_ETH_TRUNC], 4);

	memset(&st, 0, sizeof(st));
	st.packets = 100; /* counters accumulate */
	memset(keys, 0xee, N * sizeof(*keys));
	assert_int_equal(fl_parse_batch(pkts, N, keys, &st), n_err);
	assert_int_equal(st.packets, 100 + N);
	assert_int_equal(st.errors[FL_PARSE_ERR_NONE], 0);
	for (unsigned e = 0; e < FL_PARSE_ERR_MAX; e++)
		assert_int_equal(st.errors[e], want_err[e]);
	for (unsigned i = 0; i < N; i++) {
		fl_parse(pkts[i], &one);
		assert_key_equal(&keys[i], &one);
		assert_int_equal(pkts[i]->l2_5_ofs, ofs[i][0]);
		assert_int_equal(pkts[i]->l3_ofs, ofs[i][1]);
		assert_int_equal(pkts[i]->l4_ofs, ofs[i][2]);
		assert_int_equal(pkts[i]->l7_ofs, ofs[i][3]);
	}

	/* Stats are optional; every batch size, the prefetch tail included. */
	for (unsigned n = 0; n <= N; n++) {
		unsigned e = 0;

		for (unsigned i = 0; i < n; i++)
			e += pkts[i]->len == 5 || pkts[i]->len == 15 || i % 9 == 4;
		assert_int_equal(fl_parse_batch(pkts, n, keys, NULL), e);
	}
	for (unsigned i = 0; i < N; i++)
		free(pkts[i]);
	free(keys);
}

/* ------------------------------------------------------------ key text */

static void test_key_format(void **state)
{
	static const struct {
		uint8_t a[16];
		const char *text;
	} v6[] = {
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 },
		  "2001:db8::1:0:0:1" },
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:0:0:1::1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 },
		  "2001:db8:0:1:1:1:1:1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 },
		  "2001:db8:0:0:1::" }, /* the longer run wins */
		{ { 0 }, "::" },
		{ { [15] = 1 }, "::1" },
		{ { 0xfe, 0x80, [15] = 0 }, "fe80::" },
		{ { 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
		    0x45, 0x67, 0x89 },
		  "abcd:ef01:2345:6789:abcd:ef01:2345:6789" },
		{ { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 }, "::ffff:10.0.0.1" },
	};
	struct fl_key k;
	char buf[512], small[8];
	int n;

	(void)state;
	for (unsigned i = 0; i < FL_ARRAY_SIZE(v6); i++) {
		char want[128];

		memset(&k, 0, sizeof(k));
		memcpy(k.nd_target, v6[i].a, 16);
		fl_key_format(&k, buf, sizeof(buf));
		snprintf(want, sizeof(want), "in_port=0%s%s", i == 4 ? "" : ",nd_target=",
			 i == 4 ? "" : v6[i].text);
		assert_string_equal(buf, want);
	}

	/* snprintf semantics: the full length back, truncated text terminated. */
	memset(&k, 0, sizeof(k));
	k.in_port = 12345;
	k.parse_err = FL_PARSE_ERR_IP4_TOTLEN;
	n = fl_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "in_port=12345,parse_err=ip4_totlen");
	assert_int_equal(n, (int)strlen(buf));
	memset(small, 'x', sizeof(small));
	assert_int_equal(fl_key_format(&k, small, sizeof(small)), n);
	assert_string_equal(small, "in_port");
	assert_int_equal(fl_key_format(&k, NULL, 0), n);

	/* Metadata shows when set. */
	memset(&k, 0, sizeof(k));
	k.regs[3] = 9;
	k.tun_id = fl_htonll(0x42);
	k.tun_dst = IP_B;
	fl_key_format(&k, buf, sizeof(buf));
	assert_string_equal(buf, "in_port=0,reg3=9,tun_id=0x42,tun_dst=10.0.0.2");
}

static void test_err_names(void **state)
{
	(void)state;
	assert_string_equal(fl_parse_err_name(FL_PARSE_ERR_NONE), "none");
	assert_string_equal(fl_parse_err_name(FL_PARSE_ERR_IP6_EXT_DEPTH), "ip6_ext_depth");
	assert_string_equal(fl_parse_err_text(FL_PARSE_ERR_IP4_TOTLEN), "ipv4 total length bad");
	assert_string_equal(fl_parse_err_name(FL_PARSE_ERR_MAX), "unknown");
	assert_non_null(fl_parse_err_text((enum fl_parse_err)200));
	for (unsigned a = 0; a < FL_PARSE_ERR_MAX; a++) {
		const char *na = fl_parse_err_name(a);

		assert_true(strlen(na) > 0);
		for (const char *c = na; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		for (unsigned b = a + 1; b < FL_PARSE_ERR_MAX; b++)
			assert_string_not_equal(na, fl_parse_err_name(b));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_unknown_type),
		cmocka_unit_test(test_eth_8023),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_icmp),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_icmp6_echo),
		cmocka_unit_test(test_nd_ns_sll),
		cmocka_unit_test(test_nd_na_tll),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed_ipv4),
		cmocka_unit_test(test_malformed_ipv6),
		cmocka_unit_test(test_malformed_l4),
		cmocka_unit_test(test_malformed_nd),
		cmocka_unit_test(test_malformed_vlan),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_key_format),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
