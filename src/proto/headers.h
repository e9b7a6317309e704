/* Wire formats of the headers flowlane parses and builds.
 *
 * All structs are packed (alignment 1), so a pointer into packet memory at
 * any offset may be used to read them without undefined behaviour; fields are
 * in network byte order. Sizes are checked at compile time. */
#ifndef FL_PROTO_HEADERS_H
#define FL_PROTO_HEADERS_H

#include <stdint.h>

#include "core/byteorder.h"
#include "core/compiler.h"

#define FL_ETH_ADDR_LEN 6
#define FL_ETH_HLEN 14
#define FL_ETH_MIN_FRAME 60 /* without FCS */
#define FL_VLAN_HLEN 4

#define FL_ETH_TYPE_IPV4 0x0800u
#define FL_ETH_TYPE_ARP 0x0806u
#define FL_ETH_TYPE_VLAN 0x8100u  /* 802.1Q C-tag */
#define FL_ETH_TYPE_QINQ 0x88a8u  /* 802.1ad S-tag */
#define FL_ETH_TYPE_IPV6 0x86ddu
#define FL_ETH_TYPE_MIN 0x0600u   /* below: 802.3 length field */

#define FL_IPPROTO_HOPOPTS 0
#define FL_IPPROTO_ICMP 1
#define FL_IPPROTO_TCP 6
#define FL_IPPROTO_UDP 17
#define FL_IPPROTO_ROUTING 43
#define FL_IPPROTO_FRAGMENT 44
#define FL_IPPROTO_ICMPV6 58
#define FL_IPPROTO_NONE 59
#define FL_IPPROTO_DSTOPTS 60

#define FL_VXLAN_PORT 4789
#define FL_VXLAN_FLAG_I 0x08u /* "VNI valid" in the first flags byte */

struct fl_eth_hdr {
	uint8_t dst[FL_ETH_ADDR_LEN];
	uint8_t src[FL_ETH_ADDR_LEN];
	fl_be16 type;
} FL_PACKED;

struct fl_vlan_hdr {
	fl_be16 tci;
	fl_be16 next_type; /* EtherType of what follows the tag */
} FL_PACKED;

struct fl_arp_hdr {
	fl_be16 hrd; /* 1 = Ethernet */
	fl_be16 pro; /* 0x0800 */
	uint8_t hln; /* 6 */
	uint8_t pln; /* 4 */
	fl_be16 op;  /* 1 request, 2 reply */
	uint8_t sha[FL_ETH_ADDR_LEN];
	fl_be32 spa;
	uint8_t tha[FL_ETH_ADDR_LEN];
	fl_be32 tpa;
} FL_PACKED;

#define FL_IP4_DF 0x4000u
#define FL_IP4_MF 0x2000u
#define FL_IP4_OFFMASK 0x1fffu

struct fl_ipv4_hdr {
	uint8_t ver_ihl; /* version << 4 | header length in 32-bit words */
	uint8_t tos;
	fl_be16 tot_len;
	fl_be16 id;
	fl_be16 frag_off; /* flags (DF, MF) and offset in 8-byte units */
	uint8_t ttl;
	uint8_t proto;
	fl_be16 csum;
	fl_be32 src;
	fl_be32 dst;
} FL_PACKED;

struct fl_ipv6_hdr {
	fl_be32 ver_tc_flow; /* version 4 bits, traffic class 8, flow label 20 */
	fl_be16 payload_len;
	uint8_t next_hdr;
	uint8_t hop_limit;
	uint8_t src[16];
	uint8_t dst[16];
} FL_PACKED;

/* Hop-by-hop, routing and destination-options headers share this start;
 * their length is (len + 1) * 8 bytes. */
struct fl_ipv6_ext_hdr {
	uint8_t next_hdr;
	uint8_t len;
} FL_PACKED;

#define FL_IP6_FRAG_OFFMASK 0xfff8u
#define FL_IP6_FRAG_MORE 0x0001u

struct fl_ipv6_frag_hdr {
	uint8_t next_hdr;
	uint8_t reserved;
	fl_be16 off_flags; /* offset << 3 | M */
	fl_be32 id;
} FL_PACKED;

#define FL_TCP_FIN 0x001u
#define FL_TCP_SYN 0x002u
#define FL_TCP_RST 0x004u
#define FL_TCP_PSH 0x008u
#define FL_TCP_ACK 0x010u
#define FL_TCP_URG 0x020u
#define FL_TCP_ECE 0x040u
#define FL_TCP_CWR 0x080u
#define FL_TCP_NS 0x100u
#define FL_TCP_FLAGS_MASK 0x0fffu

struct fl_tcp_hdr {
	fl_be16 src;
	fl_be16 dst;
	fl_be32 seq;
	fl_be32 ack;
	fl_be16 off_flags; /* data offset << 12 | flags (12 bits) */
	fl_be16 window;
	fl_be16 csum;
	fl_be16 urg;
} FL_PACKED;

struct fl_udp_hdr {
	fl_be16 src;
	fl_be16 dst;
	fl_be16 len;
	fl_be16 csum;
} FL_PACKED;

struct fl_icmp_hdr {
	uint8_t type;
	uint8_t code;
	fl_be16 csum;
	fl_be32 rest; /* id/seq for echo, unused or MTU otherwise */
} FL_PACKED;

#define FL_ICMP6_ECHO_REQUEST 128
#define FL_ICMP6_ECHO_REPLY 129
#define FL_ND_ROUTER_SOLICIT 133
#define FL_ND_ROUTER_ADVERT 134
#define FL_ND_NEIGHBOR_SOLICIT 135
#define FL_ND_NEIGHBOR_ADVERT 136
#define FL_ND_OPT_SOURCE_LL 1
#define FL_ND_OPT_TARGET_LL 2

/* Neighbour solicitation / advertisement after the 4-byte ICMPv6 header. */
struct fl_nd_msg {
	uint8_t type;
	uint8_t code;
	fl_be16 csum;
	fl_be32 flags; /* R, S, O for NA; reserved for NS */
	uint8_t target[16];
} FL_PACKED;

/* ND option: type, length in units of 8 bytes (including these two). */
struct fl_nd_opt {
	uint8_t type;
	uint8_t len;
} FL_PACKED;

struct fl_vxlan_hdr {
	uint8_t flags;       /* FL_VXLAN_FLAG_I */
	uint8_t reserved1[3];
	fl_be32 vni_rsvd;    /* VNI << 8 | reserved */
} FL_PACKED;

_Static_assert(sizeof(struct fl_eth_hdr) == 14, "eth");
_Static_assert(sizeof(struct fl_vlan_hdr) == 4, "vlan");
_Static_assert(sizeof(struct fl_arp_hdr) == 28, "arp");
_Static_assert(sizeof(struct fl_ipv4_hdr) == 20, "ipv4");
_Static_assert(sizeof(struct fl_ipv6_hdr) == 40, "ipv6");
_Static_assert(sizeof(struct fl_ipv6_frag_hdr) == 8, "ipv6 frag");
_Static_assert(sizeof(struct fl_tcp_hdr) == 20, "tcp");
_Static_assert(sizeof(struct fl_udp_hdr) == 8, "udp");
_Static_assert(sizeof(struct fl_icmp_hdr) == 8, "icmp");
_Static_assert(sizeof(struct fl_nd_msg) == 24, "nd");
_Static_assert(sizeof(struct fl_vxlan_hdr) == 8, "vxlan");

#endif
