/* The flow key: everything a table can match on, in a fixed layout.
 *
 * The parser (proto/parse.c) fills a key from a packet; the flow tables match
 * a key against (value, mask) pairs of the same layout; the caches hash and
 * compare keys word by word. So the key is 24 64-bit words, three cache lines,
 * grouped into the stages of a staged lookup: a lookup that fails on an
 * earlier stage has looked at (and un-wildcards) only that stage's words.
 *
 *   words  0..8   metadata   in_port, recirc_id, metadata, reg0-7, ct_*, tun_*
 *   words  9..11  L2         dl_dst, dl_src, dl_type, vlan_tci, vlan2_tci
 *   words 12..21  L3         nw_*, ipv6_*, arp_sha/tha (nd_sll/tll), nd_target
 *   words 22..23  L4         tp_src, tp_dst, tcp_flags, vxlan_vni, parse_err
 *
 * Conventions (the ones OVS users know, so flows translate one to one):
 *  - Multi-byte fields are in network byte order (fl_be*), metadata and
 *    registers in host order.
 *  - vlan_tci has FL_VLAN_PRESENT (0x1000, the CFI/DEI position) set when a
 *    tag is present; an untagged frame has vlan_tci == 0. vlan_tci is the
 *    outer tag, vlan2_tci the inner one of a double-tagged (802.1ad) frame.
 *  - ARP: nw_proto holds the opcode (low byte), nw_src/nw_dst the sender and
 *    target protocol addresses, arp_sha/arp_tha the hardware addresses.
 *  - ICMP and ICMPv6: tp_src holds the type, tp_dst the code (network order,
 *    i.e. the byte in the high-address half of the fl_be16).
 *  - ND: nd_target, with arp_sha = source link-layer option, arp_tha = target.
 *  - dl_type of a frame too short for an EtherType is 0; of an 802.3 frame
 *    (length < 0x600) FL_DL_TYPE_NONE (0x05ff), as OVS does.
 *  - parse_err holds the first problem the parser found (FL_PARSE_ERR_*);
 *    fields of the broken header and everything after it are left zero.
 */
#ifndef FL_PROTO_KEY_H
#define FL_PROTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/byteorder.h"
#include "core/compiler.h"

#define FL_VLAN_PRESENT 0x1000u /* host order; store fl_htons(FL_VLAN_PRESENT | vid) */
#define FL_VLAN_VID_MASK 0x0fffu
#define FL_VLAN_PCP_SHIFT 13
#define FL_DL_TYPE_NONE 0x05ffu

/* nw_frag bits (as OVS's FLOW_NW_FRAG_*). */
#define FL_FRAG_ANY 0x01u   /* a fragment: first or later */
#define FL_FRAG_LATER 0x02u /* offset != 0: no L4 header in this packet */

/* Why a packet did not parse cleanly. The X-macro keeps the enum, the names
 * printed by tools, and the per-reason counters in one list. */
#define FL_PARSE_ERRORS(X)                                                   \
	X(NONE, "ok")                                                        \
	X(ETH_TRUNC, "ethernet header truncated")                            \
	X(VLAN_TRUNC, "vlan tag truncated")                                  \
	X(VLAN_DEPTH, "more than two vlan tags")                             \
	X(ARP_TRUNC, "arp header truncated")                                 \
	X(ARP_BAD, "arp not ethernet/ipv4")                                  \
	X(IP4_TRUNC, "ipv4 header truncated")                                \
	X(IP4_VERSION, "ipv4 version not 4")                                 \
	X(IP4_HLEN, "ipv4 header length bad")                                \
	X(IP4_TOTLEN, "ipv4 total length bad")                               \
	X(IP6_TRUNC, "ipv6 header truncated")                                \
	X(IP6_VERSION, "ipv6 version not 6")                                 \
	X(IP6_PLEN, "ipv6 payload length bad")                               \
	X(IP6_EXT_TRUNC, "ipv6 extension header truncated")                  \
	X(IP6_EXT_DEPTH, "too many ipv6 extension headers")                  \
	X(TCP_TRUNC, "tcp header truncated")                                 \
	X(TCP_DOFF, "tcp data offset bad")                                   \
	X(UDP_TRUNC, "udp header truncated")                                 \
	X(UDP_LEN, "udp length bad")                                         \
	X(ICMP_TRUNC, "icmp header truncated")                               \
	X(ICMP6_TRUNC, "icmpv6 header truncated")                            \
	X(ND_TRUNC, "neighbour discovery message truncated")                 \
	X(ND_OPT, "neighbour discovery option bad")                          \
	X(VXLAN_TRUNC, "vxlan header truncated")

enum fl_parse_err {
#define FL_PARSE_ERR_ENUM(name, text) FL_PARSE_ERR_##name,
	FL_PARSE_ERRORS(FL_PARSE_ERR_ENUM)
#undef FL_PARSE_ERR_ENUM
	FL_PARSE_ERR_MAX
};

/* Short name of a parse error ("ip4_totlen") and its description. */
const char *fl_parse_err_name(enum fl_parse_err err);
const char *fl_parse_err_text(enum fl_parse_err err);

/* Encapsulation recognised by the parser (key.encap). */
enum {
	FL_ENCAP_NONE = 0,
	FL_ENCAP_VXLAN = 1, /* UDP to port 4789 with a valid VXLAN header; vxlan_vni set */
};

struct fl_key {
	/* --- metadata: words 0..8, set by the datapath, not read from the packet --- */
	uint32_t in_port;
	uint32_t recirc_id;
	uint64_t metadata;
	uint32_t regs[8];
	uint32_t ct_mark;
	uint16_t ct_zone;
	uint16_t ct_state;
	fl_be64 tun_id;
	fl_be32 tun_src;
	fl_be32 tun_dst;

	/* --- L2: words 9..11 --- */
	uint8_t dl_dst[6];
	fl_be16 dl_type;
	uint8_t dl_src[6];
	fl_be16 vlan_tci;  /* outer tag | FL_VLAN_PRESENT, 0 if untagged */
	fl_be16 vlan2_tci; /* inner tag of a double-tagged frame */
	fl_be16 vlan_tpid; /* outer tag's TPID: 0x8100 or 0x88a8, 0 if untagged */
	uint8_t l2_pad[4];

	/* --- L3: words 12..21 --- */
	fl_be32 nw_src; /* IPv4 source, ARP spa */
	fl_be32 nw_dst; /* IPv4 destination, ARP tpa */
	uint8_t ipv6_src[16];
	uint8_t ipv6_dst[16];
	fl_be32 ipv6_label; /* low 20 bits */
	uint8_t nw_proto;   /* IP protocol / IPv6 last next-header, ARP opcode */
	uint8_t nw_tos;     /* DSCP << 2 | ECN */
	uint8_t nw_ttl;
	uint8_t nw_frag;    /* FL_FRAG_* */
	uint8_t arp_sha[6]; /* ARP sender hw address, ND source link-layer address */
	uint8_t arp_tha[6]; /* ARP target hw address, ND target link-layer address */
	uint8_t l3_pad[4];
	uint8_t nd_target[16];

	/* --- L4: words 22..23 --- */
	fl_be16 tp_src;    /* TCP/UDP source port, ICMP type */
	fl_be16 tp_dst;    /* TCP/UDP destination port, ICMP code */
	fl_be16 tcp_flags; /* low 12 bits of TCP offset/flags */
	uint8_t encap;     /* FL_ENCAP_* */
	uint8_t parse_err; /* enum fl_parse_err */
	fl_be32 vxlan_vni; /* VNI in the low 24 bits (network order of a 32-bit value) */
	uint8_t l4_pad[4];
} FL_CACHE_ALIGNED;

#define FL_KEY_WORDS 24
#define FL_KEY_STAGE_META_END 9
#define FL_KEY_STAGE_L2_END 12
#define FL_KEY_STAGE_L3_END 22
#define FL_KEY_STAGE_L4_END 24

_Static_assert(sizeof(struct fl_key) == FL_KEY_WORDS * 8, "key is 24 words");
_Static_assert(offsetof(struct fl_key, dl_dst) == FL_KEY_STAGE_META_END * 8, "L2 stage");
_Static_assert(offsetof(struct fl_key, nw_src) == FL_KEY_STAGE_L2_END * 8, "L3 stage");
_Static_assert(offsetof(struct fl_key, tp_src) == FL_KEY_STAGE_L3_END * 8, "L4 stage");

static inline const uint64_t *fl_key_words(const struct fl_key *k)
{
	return (const uint64_t *)(const void *)k;
}

/* Write the key's packet fields as text, one "name=value" per field that is
 * set, in the order of the layout ("in_port=1,dl_dst=...,dl_type=0x0800,...").
 * This is the golden-test format; returns the length that the full text
 * needs (like snprintf). */
int fl_key_format(const struct fl_key *k, char *buf, size_t size);

#endif
