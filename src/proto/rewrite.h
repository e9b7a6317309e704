/* Header rewrites with checksum upkeep: the software offloads the datapath
 * uses to execute set-field, VLAN and TTL actions.
 *
 * Each function works on one parsed frame (the offsets pkt->l3_ofs and
 * pkt->l4_ofs from fl_parse), writes only the bits its mask selects, and
 * updates the IPv4 header checksum and the TCP/UDP/ICMPv6 checksum
 * incrementally (RFC 1624) as OVS does: a checksum that was wrong stays
 * exactly as wrong, and a UDP-over-IPv4 checksum of zero (none) stays zero.
 * A later IP fragment has no L4 header (l4_ofs is FL_OFS_NONE) and only its
 * L3 header changes.
 *
 * They return 0, or -EINVAL when the frame lacks the header to rewrite (the
 * megaflow that chose these actions matched on the headers, so this means a
 * bug upstream; the caller counts it and drops the frame).
 */
#ifndef FL_PROTO_REWRITE_H
#define FL_PROTO_REWRITE_H

#include <stdint.h>

#include "core/byteorder.h"
#include "core/pkt.h"

int fl_rewrite_eth(struct fl_pkt *pkt, const uint8_t src[6], const uint8_t src_mask[6],
		   const uint8_t dst[6], const uint8_t dst_mask[6]);
/* `proto` is the frame's L4 protocol (key nw_proto): it says which L4
 * checksum covers the addresses. */
int fl_rewrite_ipv4(struct fl_pkt *pkt, uint8_t proto, fl_be32 src, fl_be32 src_mask, fl_be32 dst,
		    fl_be32 dst_mask, uint8_t tos, uint8_t tos_mask, uint8_t ttl, uint8_t ttl_mask);
int fl_rewrite_ipv6(struct fl_pkt *pkt, uint8_t proto, const uint8_t src[16], const uint8_t src_mask[16],
		    const uint8_t dst[16], const uint8_t dst_mask[16], uint8_t tclass,
		    uint8_t tclass_mask, uint8_t hlimit, uint8_t hlimit_mask);
/* TCP or UDP ports; proto is FL_IPPROTO_TCP or FL_IPPROTO_UDP. */
int fl_rewrite_l4_ports(struct fl_pkt *pkt, uint8_t proto, fl_be16 src, fl_be16 src_mask, fl_be16 dst,
			fl_be16 dst_mask);
/* IPv4 TTL or IPv6 hop limit minus one (not below zero). */
int fl_rewrite_dec_ttl(struct fl_pkt *pkt);

/* Insert a tag in front of any existing one; -ENOSPC without headroom. */
int fl_vlan_push(struct fl_pkt *pkt, fl_be16 tpid, fl_be16 tci);
/* Remove the outermost tag; -EINVAL if untagged. */
int fl_vlan_pop(struct fl_pkt *pkt);
/* Masked rewrite of the outermost tag's TCI; -EINVAL if untagged. */
int fl_vlan_set_tci(struct fl_pkt *pkt, fl_be16 tci, fl_be16 mask);

#endif
