/* Internet checksums (RFC 1071) and incremental update (RFC 1624).
 *
 * Sums are built in 32-bit one's-complement accumulators and folded to 16
 * bits at the end. Values go in and come out in network byte order, exactly
 * as they sit in the header, so a result can be stored without swapping.
 */
#ifndef FL_PROTO_CSUM_H
#define FL_PROTO_CSUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/byteorder.h"

/* One's-complement sum of len bytes added to `sum` (not folded, not inverted). */
uint32_t fl_csum_partial(const void *data, size_t len, uint32_t sum);
/* Fold a 32-bit accumulator to 16 bits and invert: the value to store. */
fl_be16 fl_csum_fold(uint32_t sum);

/* Checksum of an IPv4 header of hlen bytes (the csum field is included as it
 * is: zero it first to compute, leave it to verify — a valid header gives 0). */
fl_be16 fl_ipv4_hdr_csum(const void *ip_hdr, size_t hlen);

/* Pseudo-header sums for TCP/UDP/ICMPv6, to feed fl_csum_partial. */
uint32_t fl_csum_pseudo_ipv4(fl_be32 src, fl_be32 dst, uint8_t proto, uint16_t l4_len);
uint32_t fl_csum_pseudo_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
			     uint32_t l4_len);

/* Full L4 checksum of l4_len bytes at l4 (checksum field included as is).
 * UDP over IPv4: a computed 0 is returned as 0xffff (RFC 768). */
fl_be16 fl_l4_csum_ipv4(fl_be32 src, fl_be32 dst, uint8_t proto, const void *l4, size_t l4_len);
fl_be16 fl_l4_csum_ipv6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
			const void *l4, size_t l4_len);
/* ICMPv4 has no pseudo-header. */
fl_be16 fl_icmp_csum(const void *icmp, size_t len);

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changed from
 * old to new (network order). */
fl_be16 fl_csum_update16(fl_be16 csum, fl_be16 old_val, fl_be16 new_val);
/* The same for a 32-bit field (an IPv4 address). */
fl_be16 fl_csum_update32(fl_be16 csum, fl_be32 old_val, fl_be32 new_val);
/* The same for a 128-bit field (an IPv6 address). */
fl_be16 fl_csum_update128(fl_be16 csum, const uint8_t old_val[16], const uint8_t new_val[16]);

#endif
