/* Packet builders: frames with correct lengths and checksums, for tests, the
 * traffic generator and the benchmarks.
 *
 * A frame is built by appending headers in wire order, then finishing it:
 *
 *   struct fl_builder b;
 *   fl_build_init(&b, buf, sizeof(buf));
 *   fl_build_eth(&b, dst, src);
 *   fl_build_vlan(&b, FL_ETH_TYPE_VLAN, 100);        (optional, up to two)
 *   fl_build_ipv4(&b, src_ip, dst_ip);               (or ipv6, arp)
 *   fl_build_udp(&b, sport, dport);                  (or tcp, icmp, icmp6, nd)
 *   fl_build_payload(&b, 18, 0);
 *   len = fl_build_finish(&b);                       (0 if anything overflowed)
 *
 * Each header fills the "next protocol" field of the one before it
 * (EtherType, IP protocol, IPv6 next header), so callers only say what comes
 * next. fl_build_finish() sets IPv4 total length and header checksum, IPv6
 * payload length, UDP length and every L4 checksum, innermost first, so a
 * VXLAN frame (outer headers, fl_build_vxlan, inner Ethernet...) comes out
 * right at both levels. Addresses and ports are given in network byte order.
 *
 * Fields a test wants wrong (a bad checksum, a short total length) are
 * changed after fl_build_finish() through the offsets the builder records.
 */
#ifndef FL_PROTO_BUILD_H
#define FL_PROTO_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/byteorder.h"
#include "proto/headers.h"

#define FL_BUILD_MAX_LAYERS 16

enum fl_build_layer_kind {
	FL_BL_ETH,
	FL_BL_VLAN,
	FL_BL_ARP,
	FL_BL_IPV4,
	FL_BL_IPV6,
	FL_BL_IPV6_EXT,
	FL_BL_TCP,
	FL_BL_UDP,
	FL_BL_ICMP,
	FL_BL_ICMP6,
	FL_BL_VXLAN,
	FL_BL_PAYLOAD,
};

struct fl_build_layer {
	enum fl_build_layer_kind kind;
	uint16_t ofs; /* from the frame start */
	uint16_t len; /* header length */
};

struct fl_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow; /* a header did not fit: finish returns 0 */
	unsigned n_layers;
	struct fl_build_layer layers[FL_BUILD_MAX_LAYERS];
	int next_proto_ofs; /* where the next header's type goes, -1 if none */
	int next_proto_kind; /* 0: 16-bit EtherType, 1: 8-bit IP protocol */
};

void fl_build_init(struct fl_builder *b, void *buf, size_t cap);

/* Ethernet header; the EtherType is filled by what follows. */
void fl_build_eth(struct fl_builder *b, const uint8_t dst[6], const uint8_t src[6]);
/* Explicit EtherType for a frame whose payload the builder does not know. */
void fl_build_ethertype(struct fl_builder *b, uint16_t type);
/* VLAN tag: tpid FL_ETH_TYPE_VLAN or FL_ETH_TYPE_QINQ, tci host order. */
void fl_build_vlan(struct fl_builder *b, uint16_t tpid, uint16_t tci);
/* ARP for Ethernet/IPv4: op host order, spa/tpa network order. */
void fl_build_arp(struct fl_builder *b, uint16_t op, const uint8_t sha[6], fl_be32 spa,
		  const uint8_t tha[6], fl_be32 tpa);

struct fl_build_ipv4_opts {
	uint8_t tos;
	uint8_t ttl;          /* 0 means 64 */
	uint16_t id;          /* host order */
	uint16_t frag_off;    /* host order: flags | offset in 8-byte units */
	const uint8_t *options; /* raw options, len a multiple of 4, <= 40 */
	size_t options_len;
};
/* IPv4 header with defaults (ttl 64, no options, DF clear). */
void fl_build_ipv4(struct fl_builder *b, fl_be32 src, fl_be32 dst);
void fl_build_ipv4_ex(struct fl_builder *b, fl_be32 src, fl_be32 dst,
		      const struct fl_build_ipv4_opts *opts);

/* IPv6 header: hop limit 64, traffic class and flow label as given (host order). */
void fl_build_ipv6(struct fl_builder *b, const uint8_t src[16], const uint8_t dst[16],
		   uint8_t tclass, uint32_t flow_label);
/* IPv6 extension header: type FL_IPPROTO_HOPOPTS, ROUTING or DSTOPTS with
 * total length len (a multiple of 8, >= 8), padded with PadN; or
 * FL_IPPROTO_FRAGMENT, where len is ignored and frag_off_flags (host order,
 * offset << 3 | M) is used. */
void fl_build_ipv6_ext(struct fl_builder *b, uint8_t type, size_t len, uint16_t frag_off_flags);

void fl_build_tcp(struct fl_builder *b, fl_be16 sport, fl_be16 dport, uint16_t flags);
void fl_build_udp(struct fl_builder *b, fl_be16 sport, fl_be16 dport);
/* ICMP echo etc.: type, code, and the 4 bytes after the checksum (host order). */
void fl_build_icmp(struct fl_builder *b, uint8_t type, uint8_t code, uint32_t rest);
void fl_build_icmp6(struct fl_builder *b, uint8_t type, uint8_t code, uint32_t rest);
/* Neighbour solicitation (FL_ND_NEIGHBOR_SOLICIT) or advertisement with a
 * target and optional source / target link-layer address options (NULL to
 * leave out). */
void fl_build_nd(struct fl_builder *b, uint8_t type, const uint8_t target[16],
		 const uint8_t sll[6], const uint8_t tll[6]);
/* VXLAN header (UDP must come just before; its ports are the caller's). */
void fl_build_vxlan(struct fl_builder *b, uint32_t vni);

/* len bytes of payload: byte i is (seed + i) & 0xff. */
void fl_build_payload(struct fl_builder *b, size_t len, uint8_t seed);
/* Pad with payload bytes until the frame is at least len bytes. */
void fl_build_pad_to(struct fl_builder *b, size_t len);

/* Fill lengths and checksums; returns the frame length, or 0 on overflow. */
size_t fl_build_finish(struct fl_builder *b);

/* Offset of the first layer of `kind` at or after layer `from`, or -1. */
int fl_build_find(const struct fl_builder *b, enum fl_build_layer_kind kind, unsigned from);

/* The 5-tuple frame the generator and benchmarks send most: Ethernet, an
 * optional VLAN tag (vlan_tci != 0), IPv4 or IPv6, UDP/TCP/ICMP, padded to
 * frame_len (>= the headers; 60 is the minimum Ethernet frame). */
struct fl_build_flow {
	uint8_t dl_src[6];
	uint8_t dl_dst[6];
	uint16_t vlan_tci;  /* host order, 0 = untagged */
	bool ipv6;
	fl_be32 ip4_src, ip4_dst;
	uint8_t ip6_src[16], ip6_dst[16];
	uint8_t proto;      /* FL_IPPROTO_UDP, _TCP, _ICMP (ICMPV6 with ipv6) */
	fl_be16 sport, dport; /* ICMP: echo id, sequence */
	uint16_t tcp_flags; /* host order */
	size_t frame_len;
};
size_t fl_build_flow_frame(const struct fl_build_flow *f, void *buf, size_t cap);

#endif
