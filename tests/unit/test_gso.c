/* Tests of proto/gso: virtio-net header conversion, checksum completion and
 * software segmentation.
 *
 * Super frames are built with proto/build (TCPv4, TCPv6 with an extension
 * header, UDP over both, with and without VLAN tags) and cut by
 * fl_gso_segment. Every segment is then checked against the original frame
 * by code here that does not use proto/csum: each header field that must
 * stay, each that must change (lengths, IPv4 id, TCP seq and flags), the
 * payload slice, and the IPv4 header and TCP/UDP checksums, verified with a
 * plain RFC 1071 sum over big-endian words. Then odd sizes, malformed frames
 * (every truncation of the headers), the error codes, pool exhaustion with
 * nothing leaked, and a loop of random headers against random and mutated
 * frames, each in a heap block of exactly its length so ASan sees any read
 * past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/byteorder.h"
#include "core/pool.h"
#include "proto/build.h"
#include "proto/gso.h"
#include "ref_csum.h"
#include "test_rng.h"

#define N_BUFS 1024u

static struct fl_pool *pool;
static struct fl_pool_cache cache;

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* A super frame and where its headers are. */
struct tframe {
	uint8_t buf[70000];
	size_t len;
	unsigned l3, l4, hdr_len;
	bool ipv6;
	uint8_t proto;
};

static struct tframe tf;
static struct fl_pkt *segs[FL_GSO_MAX_SEGS];

/* ---- independent checks ------------------------------------------------- */

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The L4 checksum of the segment verifies: the sum with the pseudo header is
 * all ones. */
static void assert_l4_csum_ok(const uint8_t *d, unsigned l3, unsigned l4, unsigned end,
			      bool ipv6, uint8_t proto)
{
	uint32_t acc = proto + (end - l4);

	if (ipv6)
		acc = ref_csum_add(d + l3 + 8, 32, acc);
	else
		acc = ref_csum_add(d + l3 + 12, 8, acc);
	acc = ref_csum_add(d + l4, end - l4, acc);
	assert_int_equal(ref_csum_fold(acc), 0xffff);
}

/* ---- frames ------------------------------------------------------------- */

static void make_frame(struct tframe *t, bool ipv6, uint8_t proto, unsigned vlans, bool ext,
		       size_t payload, uint16_t tcp_flags, uint32_t seq)
{
	struct fl_build_ipv4_opts o4 = {.id = 0xfffe, .ttl = 33, .tos = 0x10};
	struct fl_builder b;
	int ofs;

	fl_build_init(&b, t->buf, sizeof(t->buf));
	fl_build_eth(&b, mac_b, mac_a);
	if (vlans == 2)
		fl_build_vlan(&b, FL_ETH_TYPE_QINQ, 10);
	if (vlans >= 1)
		fl_build_vlan(&b, FL_ETH_TYPE_VLAN, 100);
	if (ipv6) {
		fl_build_ipv6(&b, ip6_a, ip6_b, 0, 0x12345);
		if (ext)
			fl_build_ipv6_ext(&b, FL_IPPROTO_HOPOPTS, 16, 0);
	} else {
		fl_build_ipv4_ex(&b, fl_htonl(0x0a000001), fl_htonl(0x0a000002), &o4);
	}
	if (proto == FL_IPPROTO_TCP)
		fl_build_tcp(&b, fl_htons(40000), fl_htons(80), tcp_flags);
	else
		fl_build_udp(&b, fl_htons(40000), fl_htons(4789));
	fl_build_payload(&b, payload, 7);
	t->len = fl_build_finish(&b);
	assert_true(t->len > 0);
	ofs = fl_build_find(&b, ipv6 ? FL_BL_IPV6 : FL_BL_IPV4, 0);
	assert_true(ofs > 0);
	t->l3 = (unsigned)ofs;
	ofs = fl_build_find(&b, proto == FL_IPPROTO_TCP ? FL_BL_TCP : FL_BL_UDP, 0);
	assert_true(ofs > 0);
	t->l4 = (unsigned)ofs;
	t->hdr_len = t->l4 + (proto == FL_IPPROTO_TCP ? 20u : 8u);
	t->ipv6 = ipv6;
	t->proto = proto;
	if (proto == FL_IPPROTO_TCP) {
		t->buf[t->l4 + 4] = (uint8_t)(seq >> 24);
		t->buf[t->l4 + 5] = (uint8_t)(seq >> 16);
		t->buf[t->l4 + 6] = (uint8_t)(seq >> 8);
		t->buf[t->l4 + 7] = (uint8_t)seq;
	}
}

static struct virtio_net_hdr vnet(const struct tframe *t, uint8_t type, uint16_t mss,
				  bool needs_csum)
{
	struct virtio_net_hdr vh = {.gso_type = type, .gso_size = mss,
				    .hdr_len = (uint16_t)t->hdr_len};

	if (needs_csum) {
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = (uint16_t)t->l4;
		vh.csum_offset = t->proto == FL_IPPROTO_TCP ? 16 : 6;
	}
	return vh;
}

static uint8_t gso_type_of(const struct tframe *t)
{
	if (t->proto == FL_IPPROTO_UDP)
		return VIRTIO_NET_HDR_GSO_UDP_L4;
	return t->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
}

/* Every segment against the original frame (see the top of the file). */
static void check_segments(const struct tframe *t, unsigned mss, int n)
{
	unsigned payload = (unsigned)t->len - t->hdr_len, i, off = 0;
	unsigned orig_tcp_flags = 0, seq0 = 0, id0 = 0;
	const uint8_t *o = t->buf;

	assert_int_equal(n, payload ? (int)((payload + mss - 1) / mss) : 1);
	if (t->proto == FL_IPPROTO_TCP) {
		orig_tcp_flags = be16_at(o + t->l4 + 12) & 0x0fff;
		seq0 = be32_at(o + t->l4 + 4);
	}
	if (!t->ipv6)
		id0 = be16_at(o + t->l3 + 4);

	for (i = 0; i < (unsigned)n; i++) {
		const uint8_t *d = fl_pkt_cdata(segs[i]);
		unsigned plen = payload - off < mss ? payload - off : mss;
		unsigned len = segs[i]->len;

		assert_int_equal(len, t->hdr_len + plen);
		assert_true(len <= FL_PKT_DATAROOM);
		/* Ethernet and VLAN tags as they were */
		assert_memory_equal(d, o, t->l3);
		if (t->ipv6) {
			assert_memory_equal(d + t->l3, o + t->l3, 4);
			assert_int_equal(be16_at(d + t->l3 + 4), len - t->l3 - 40);
			assert_memory_equal(d + t->l3 + 6, o + t->l3 + 6, t->l4 - t->l3 - 6);
		} else {
			assert_int_equal(d[t->l3], o[t->l3]);
			assert_int_equal(d[t->l3 + 1], o[t->l3 + 1]);
			assert_int_equal(be16_at(d + t->l3 + 2), len - t->l3);
			assert_int_equal(be16_at(d + t->l3 + 4), (id0 + i) & 0xffff);
			assert_memory_equal(d + t->l3 + 6, o + t->l3 + 6, 4); /* frag, ttl, proto */
			assert_memory_equal(d + t->l3 + 12, o + t->l3 + 12, 8);
			assert_int_equal(ref_csum_fold(ref_csum_add(d + t->l3, t->l4 - t->l3, 0)), 0xffff);
		}
		assert_memory_equal(d + t->l4, o + t->l4, 4); /* ports */
		if (t->proto == FL_IPPROTO_TCP) {
			unsigned fl = be16_at(d + t->l4 + 12) & 0x0fff, want = orig_tcp_flags;

			assert_int_equal(be32_at(d + t->l4 + 4), (uint32_t)(seq0 + off));
			assert_memory_equal(d + t->l4 + 8, o + t->l4 + 8, 4); /* ack */
			if (i + 1 < (unsigned)n)
				want &= ~0x009u; /* FIN, PSH */
			if (i > 0)
				want &= ~0x080u; /* CWR */
			assert_int_equal(fl, want);
			assert_int_equal(d[t->l4 + 12] >> 4, o[t->l4 + 12] >> 4);
			assert_memory_equal(d + t->l4 + 14, o + t->l4 + 14, 2); /* window */
		} else {
			assert_int_equal(be16_at(d + t->l4 + 4), len - t->l4);
		}
		assert_l4_csum_ok(d, t->l3, t->l4, len, t->ipv6, t->proto);
		assert_memory_equal(d + t->hdr_len, o + t->hdr_len + off, plen);
		off += plen;
	}
	assert_int_equal(off, payload);
}

static void put_segs(int n)
{
	fl_pool_put_bulk(&cache, segs, (unsigned)n);
}

static void assert_pool_full(void)
{
	struct fl_pool_stats st;

	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &st);
	assert_int_equal(st.in_ring, N_BUFS);
	assert_int_equal(st.bad_puts, 0);
}

/* Segment tf with mss, check, free. */
static void segment_and_check(unsigned mss, bool needs_csum)
{
	struct virtio_net_hdr vh = vnet(&tf, gso_type_of(&tf), (uint16_t)mss, needs_csum);
	int n = fl_gso_segment(tf.buf, tf.len, &vh, &cache, segs, FL_GSO_MAX_SEGS);

	assert_true(n > 0);
	check_segments(&tf, mss, n);
	put_segs(n);
	assert_pool_full();
}

/* ---- segmentation ------------------------------------------------------- */

static void tcp4_20k_segments(void **state)
{
	(void)state;
	/* sequence number wraps inside the frame; IPv4 id wraps too (0xfffe) */
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 20000,
		   FL_TCP_ACK | FL_TCP_PSH | FL_TCP_FIN | FL_TCP_CWR | FL_TCP_ECE, 0xffffd000u);
	segment_and_check(1448, true);
	segment_and_check(1448, false);
	segment_and_check(1460, true);
}

static void tcp6_20k_segments(void **state)
{
	(void)state;
	make_frame(&tf, true, FL_IPPROTO_TCP, 0, false, 20000, FL_TCP_ACK | FL_TCP_PSH, 12345);
	segment_and_check(1428, true);
	/* with a hop-by-hop header between IPv6 and TCP */
	make_frame(&tf, true, FL_IPPROTO_TCP, 0, true, 20000, FL_TCP_ACK | FL_TCP_FIN, 1);
	segment_and_check(1400, true);
}

static void udp_segments(void **state)
{
	(void)state;
	make_frame(&tf, false, FL_IPPROTO_UDP, 0, false, 20000, 0, 0);
	segment_and_check(1472, true);
	make_frame(&tf, true, FL_IPPROTO_UDP, 0, false, 9001, 0, 0);
	segment_and_check(1452, false);
}

static void vlan_tagged_segments(void **state)
{
	(void)state;
	make_frame(&tf, false, FL_IPPROTO_TCP, 1, false, 5000, FL_TCP_ACK | FL_TCP_PSH, 77);
	segment_and_check(1444, true);
	make_frame(&tf, true, FL_IPPROTO_UDP, 2, false, 5000, 0, 0);
	segment_and_check(1000, true);
}

static void odd_sizes(void **state)
{
	static const unsigned payloads[] = {1, 7, 1447, 1448, 1449, 2896, 2897, 65000 - 60};
	static const unsigned msses[] = {1448, 1000, 999, 536};
	unsigned i, j;

	(void)state;
	for (i = 0; i < FL_ARRAY_SIZE(payloads); i++) {
		for (j = 0; j < FL_ARRAY_SIZE(msses); j++) {
			make_frame(&tf, (i + j) & 1, FL_IPPROTO_TCP, 0, false, payloads[i],
				   FL_TCP_ACK | FL_TCP_FIN, 100);
			segment_and_check(msses[j], true);
			make_frame(&tf, (i + j) & 1, FL_IPPROTO_UDP, 0, false, payloads[i], 0, 0);
			segment_and_check(msses[j], true);
		}
	}
	/* one byte per segment */
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 200, FL_TCP_ACK, 5);
	segment_and_check(1, true);
	/* no payload at all: the headers go out once */
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 0, FL_TCP_ACK | FL_TCP_FIN, 5);
	segment_and_check(1448, true);
}

/* Ethernet padding after the IP packet is not payload. */
static void trailing_padding_ignored(void **state)
{
	struct virtio_net_hdr vh;
	int n;

	(void)state;
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 3000, FL_TCP_ACK, 9);
	memset(tf.buf + tf.len, 0xee, 6);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true);
	n = fl_gso_segment(tf.buf, tf.len + 6, &vh, &cache, segs, FL_GSO_MAX_SEGS);
	assert_int_equal(n, 3);
	check_segments(&tf, 1448, n);
	put_segs(n);
	assert_pool_full();
}

/* ---- errors ------------------------------------------------------------- */

static int seg(const uint8_t *f, size_t len, const struct virtio_net_hdr *vh, unsigned max)
{
	int n = fl_gso_segment(f, len, vh, &cache, segs, max);

	if (n > 0)
		put_segs(n);
	return n;
}

static void truncated_headers_einval(void **state)
{
	struct virtio_net_hdr vh;
	size_t cut;
	unsigned k;

	(void)state;
	for (k = 0; k < 4; k++) {
		make_frame(&tf, k & 1, k & 2 ? FL_IPPROTO_UDP : FL_IPPROTO_TCP, 1, false, 3000,
			   FL_TCP_ACK, 0);
		vh = vnet(&tf, gso_type_of(&tf), 1400, true);
		for (cut = 0; cut < tf.hdr_len; cut++)
			assert_int_equal(seg(tf.buf, cut, &vh, FL_GSO_MAX_SEGS), -EINVAL);
		/* the IP length claims more than the frame holds */
		assert_int_equal(seg(tf.buf, tf.len - 1, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	}
	assert_pool_full();
}

static void bad_headers_einval(void **state)
{
	struct virtio_net_hdr vh;

	(void)state;
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 3000, FL_TCP_ACK, 0);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV6, 1400, true); /* v6 type, v4 frame */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_UDP_L4, 1400, true); /* UDP type, TCP frame */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_UDP, 1400, true);    /* UFO: not supported */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_NONE, 1400, true);
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 0, true);     /* no size */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);

	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 1400, true);
	tf.buf[tf.l3 + 6] = 0x20; /* MF: a fragment */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	tf.buf[tf.l3 + 6] = 0;
	tf.buf[tf.l4 + 12] = 0x40; /* TCP data offset 4 words */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	tf.buf[tf.l4 + 12] = 0x50;
	tf.buf[tf.l3] = 0x44; /* IHL 4 */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	tf.buf[tf.l3] = 0x45;
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), 3);

	make_frame(&tf, true, FL_IPPROTO_TCP, 0, false, 3000, FL_TCP_ACK, 0);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV6, 1400, true);
	tf.buf[tf.l3 + 4] = tf.buf[tf.l3 + 5] = 0; /* payload length 0: jumbogram */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EINVAL);
	assert_pool_full();
}

static void size_limits(void **state)
{
	struct virtio_net_hdr vh;

	(void)state;
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 20000, FL_TCP_ACK, 0);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 4000, true); /* segments > data room */
	assert_int_equal(seg(tf.buf, tf.len, &vh, FL_GSO_MAX_SEGS), -EMSGSIZE);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true); /* 14 segments */
	assert_int_equal(seg(tf.buf, tf.len, &vh, 13), -ENOSPC);
	assert_int_equal(seg(tf.buf, tf.len, &vh, 14), 14);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 10, true);   /* 2000 > FL_GSO_MAX_SEGS */
	assert_int_equal(seg(tf.buf, tf.len, &vh, 100000), -ENOSPC);
	assert_pool_full();
}

static void pool_exhaustion_enobufs(void **state)
{
	struct fl_pool_params params = {.name = "small", .n_bufs = 8,
					.huge = FL_POOL_HUGE_NEVER};
	struct fl_pool *small = fl_pool_create(&params);
	struct fl_pool_cache c2;
	struct fl_pool_stats st;
	struct virtio_net_hdr vh;
	int n;

	(void)state;
	assert_non_null(small);
	fl_pool_cache_init(&c2, small, 4);
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 20000, FL_TCP_ACK, 0);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true); /* needs 14 of 8 */
	n = fl_gso_segment(tf.buf, tf.len, &vh, &c2, segs, FL_GSO_MAX_SEGS);
	assert_int_equal(n, -ENOBUFS);
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 10000, FL_TCP_ACK, 0);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 1448, true); /* 7 fit */
	n = fl_gso_segment(tf.buf, tf.len, &vh, &c2, segs, FL_GSO_MAX_SEGS);
	assert_int_equal(n, 7);
	fl_pool_put_bulk(&c2, segs, (unsigned)n);
	fl_pool_cache_flush(&c2);
	fl_pool_get_stats(small, &st);
	assert_int_equal(st.in_ring, 8);
	assert_int_equal(st.bad_puts, 0);
	fl_pool_destroy(small);
}

/* ---- header conversion and checksum completion --------------------------- */

static struct fl_pkt *pkt_with(const uint8_t *data, size_t len)
{
	struct fl_pkt *pkt = NULL;

	assert_int_equal(fl_pool_get_burst(&cache, &pkt, 1), 1);
	assert_int_equal(fl_pkt_set_data(pkt, data, (unsigned)len), 0);
	return pkt;
}

static void vnet_hdr_to_pkt_fields(void **state)
{
	struct virtio_net_hdr vh;
	struct fl_pkt *pkt;

	(void)state;
	make_frame(&tf, false, FL_IPPROTO_TCP, 0, false, 100, FL_TCP_ACK, 0);
	pkt = pkt_with(tf.buf, tf.len);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_NONE, 0, true);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), 0);
	assert_int_equal(pkt->ol_flags, FL_OL_CSUM_PARTIAL);
	assert_int_equal(pkt->csum_start, tf.l4);
	assert_int_equal(pkt->csum_offset, 16);

	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448, true);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), 0);
	assert_int_equal(pkt->ol_flags, FL_OL_CSUM_PARTIAL | FL_OL_GSO_TCP4);
	assert_int_equal(pkt->gso_size, 1448);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV6, 1000, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), 0);
	assert_int_equal(pkt->ol_flags, FL_OL_GSO_TCP6);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_UDP_L4, 1000, false);
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), 0);
	assert_int_equal(pkt->ol_flags, FL_OL_GSO_UDP | FL_OL_CSUM_GOOD);

	/* inconsistent: pkt stays as it was */
	pkt->ol_flags = FL_OL_RSS_VALID;
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_NONE, 0, true);
	vh.csum_offset = (uint16_t)(tf.len - tf.l4 - 1); /* field runs past the end */
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_UDP, 1000, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), -EINVAL);
	vh = vnet(&tf, 9, 1000, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_TCPV4, 0, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), -EINVAL);
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_ECN, 0, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), -EINVAL);
	assert_int_equal(pkt->ol_flags, FL_OL_RSS_VALID);

	/* the RSS flag survives a good header */
	vh = vnet(&tf, VIRTIO_NET_HDR_GSO_NONE, 0, false);
	assert_int_equal(fl_vnet_hdr_to_pkt(&vh, pkt), 0);
	assert_int_equal(pkt->ol_flags, FL_OL_RSS_VALID);
	fl_pool_put(&cache, pkt);
	assert_pool_full();
}

static void vnet_hdr_from_pkt_fields(void **state)
{
	struct virtio_net_hdr vh, zero = {0};
	struct fl_pkt *pkt;

	(void)state;
	make_frame(&tf, true, FL_IPPROTO_TCP, 0, false, 100, FL_TCP_ACK, 0);
	pkt = pkt_with(tf.buf, tf.len);
	pkt->ol_flags = FL_OL_CSUM_GOOD | FL_OL_RSS_VALID;
	memset(&vh, 0xff, sizeof(vh));
	fl_vnet_hdr_from_pkt(pkt, &vh);
	assert_memory_equal(&vh, &zero, sizeof(vh));

	pkt->ol_flags = FL_OL_CSUM_PARTIAL;
	pkt->csum_start = (uint16_t)tf.l4;
	pkt->csum_offset = 16;
	fl_vnet_hdr_from_pkt(pkt, &vh);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vh.csum_start, tf.l4);
	assert_int_equal(vh.csum_offset, 16);
	assert_int_equal(vh.hdr_len, tf.l4 + 18);

	pkt->ol_flags = FL_OL_CSUM_PARTIAL | FL_OL_GSO_TCP6;
	pkt->gso_size = 1400;
	pkt->l4_ofs = (uint16_t)tf.l4;
	fl_vnet_hdr_from_pkt(pkt, &vh);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(vh.gso_size, 1400);
	assert_int_equal(vh.hdr_len, tf.hdr_len);
	fl_pool_put(&cache, pkt);
	assert_pool_full();
}

/* The kernel's partial checksum: the folded pseudo-header sum, not inverted. */
static void set_partial(struct tframe *t)
{
	unsigned end = (unsigned)t->len, field = t->l4 + (t->proto == FL_IPPROTO_TCP ? 16 : 6);
	uint32_t acc = t->proto + (end - t->l4);
	uint16_t ps;

	acc = t->ipv6 ? ref_csum_add(t->buf + t->l3 + 8, 32, acc) : ref_csum_add(t->buf + t->l3 + 12, 8, acc);
	ps = ref_csum_fold(acc);
	t->buf[field] = (uint8_t)(ps >> 8);
	t->buf[field + 1] = (uint8_t)ps;
}

static void csum_complete_matches_builder(void **state)
{
	unsigned k, field;
	struct fl_pkt *pkt;
	uint8_t want[2];

	(void)state;
	for (k = 0; k < 4; k++) {
		make_frame(&tf, k & 1, k & 2 ? FL_IPPROTO_UDP : FL_IPPROTO_TCP, k == 3, false,
			   333 + k, FL_TCP_ACK, 0); /* seq 0: the builder's checksum stands */
		field = tf.l4 + (tf.proto == FL_IPPROTO_TCP ? 16 : 6);
		memcpy(want, tf.buf + field, 2);
		set_partial(&tf);
		pkt = pkt_with(tf.buf, tf.len);
		pkt->ol_flags = FL_OL_CSUM_PARTIAL;
		pkt->csum_start = (uint16_t)tf.l4;
		pkt->csum_offset = (uint16_t)(field - tf.l4);
		assert_int_equal(fl_csum_complete(pkt), 0);
		assert_int_equal(pkt->ol_flags & FL_OL_CSUM_PARTIAL, 0);
		assert_memory_equal(fl_pkt_cdata(pkt) + field, want, 2);
		assert_l4_csum_ok(fl_pkt_cdata(pkt), tf.l3, tf.l4, pkt->len, tf.ipv6, tf.proto);
		/* nothing partial: nothing done */
		assert_int_equal(fl_csum_complete(pkt), 0);
		assert_memory_equal(fl_pkt_cdata(pkt) + field, want, 2);
		/* field outside the frame */
		pkt->ol_flags = FL_OL_CSUM_PARTIAL;
		pkt->csum_offset = (uint16_t)(pkt->len - tf.l4 - 1);
		assert_int_equal(fl_csum_complete(pkt), -EINVAL);
		fl_pool_put(&cache, pkt);
	}
	assert_pool_full();
}

/* ---- robustness ---------------------------------------------------------- */

static void random_vnet_hdr(struct virtio_net_hdr *vh)
{
	static const uint8_t types[] = {0, 1, 3, 4, 5, 0x81, 0x84, 0x85, 0x80, 2, 0xff};
	static const uint16_t sizes[] = {0, 1, 7, 536, 1448, 1460, 2000, 9000, 65535};

	vh->flags = (uint8_t)rnd(8);
	vh->gso_type = rnd(4) ? types[rnd(FL_ARRAY_SIZE(types))] : (uint8_t)rng();
	vh->gso_size = rnd(2) ? sizes[rnd(FL_ARRAY_SIZE(sizes))] : (uint16_t)rng();
	vh->hdr_len = (uint16_t)rng();
	vh->csum_start = (uint16_t)(rnd(2) ? rnd(80) : rng());
	vh->csum_offset = (uint16_t)(rnd(2) ? rnd(20) : rng());
}

static void random_headers_never_crash(void **state)
{
	unsigned iter, k, i, ok = 0;

	(void)state;
	rng_seed(4242);
	for (iter = 0; iter < 20000; iter++) {
		struct virtio_net_hdr vh;
		size_t len;
		uint8_t *f;
		int n;

		if (rnd(8) == 0) {
			len = rnd(3000);
			for (i = 0; i < len; i++)
				tf.buf[i] = (uint8_t)rng();
		} else {
			make_frame(&tf, rnd(2), rnd(2) ? FL_IPPROTO_TCP : FL_IPPROTO_UDP, rnd(3),
				   rnd(2), rnd(6000), (uint16_t)rnd(0x200), (uint32_t)rng());
			len = tf.len;
			for (k = rnd(4); k > 0; k--)
				tf.buf[rnd((unsigned)tf.hdr_len + 8)] = (uint8_t)rng();
			if (rnd(4) == 0)
				len = rnd((unsigned)len + 1);
		}
		random_vnet_hdr(&vh);
		if (rnd(2))
			vh.gso_type = rnd(2) ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_UDP_L4;
		f = malloc(len ? len : 1);
		assert_non_null(f);
		memcpy(f, tf.buf, len);
		n = fl_gso_segment(f, len, &vh, &cache, segs, 1 + rnd(FL_GSO_MAX_SEGS));
		assert_true(n > 0 || n == -EINVAL || n == -EMSGSIZE || n == -ENOSPC);
		for (i = 0; n > 0 && i < (unsigned)n; i++)
			assert_true(segs[i]->len <= FL_PKT_DATAROOM);
		if (n > 0) {
			ok++;
			put_segs(n);
		}
		free(f);

		/* the per-frame path on the same bytes */
		if (len <= FL_PKT_DATAROOM) {
			struct fl_pkt *pkt = pkt_with(tf.buf, len);

			if (fl_vnet_hdr_to_pkt(&vh, pkt) == 0)
				assert_int_equal(fl_csum_complete(pkt), 0);
			pkt->l4_ofs = (uint16_t)rng();
			pkt->ol_flags = (uint16_t)rng();
			fl_vnet_hdr_from_pkt(pkt, &vh);
			fl_pool_put(&cache, pkt);
		}
	}
	/* the loop must also have exercised the success path */
	assert_true(ok > 1000);
	assert_pool_full();
}

static int setup(void **state)
{
	struct fl_pool_params params = {.name = "test_gso", .n_bufs = N_BUFS,
					.huge = FL_POOL_HUGE_NEVER};

	(void)state;
	pool = fl_pool_create(&params);
	if (!pool)
		return -1;
	fl_pool_cache_init(&cache, pool, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp4_20k_segments),
		cmocka_unit_test(tcp6_20k_segments),
		cmocka_unit_test(udp_segments),
		cmocka_unit_test(vlan_tagged_segments),
		cmocka_unit_test(odd_sizes),
		cmocka_unit_test(trailing_padding_ignored),
		cmocka_unit_test(truncated_headers_einval),
		cmocka_unit_test(bad_headers_einval),
		cmocka_unit_test(size_limits),
		cmocka_unit_test(pool_exhaustion_enobufs),
		cmocka_unit_test(vnet_hdr_to_pkt_fields),
		cmocka_unit_test(vnet_hdr_from_pkt_fields),
		cmocka_unit_test(csum_complete_matches_builder),
		cmocka_unit_test(random_headers_never_crash),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
