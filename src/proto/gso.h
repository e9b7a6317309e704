/* virtio-net headers and software segmentation, for the ports that talk to
 * the kernel with offloads left on (AF_PACKET with PACKET_VNET_HDR, TAP with
 * IFF_VNET_HDR).
 *
 * A kernel interface with TSO/GSO and checksum offload hands over frames as
 * the stack built them: one TCP or UDP "super frame" of up to 64 KiB with a
 * gso_size to cut it at, and a checksum that is only the pseudo-header sum
 * (NEEDS_CSUM: the rest is the sender's job). The virtio-net header in front
 * of each frame says which (struct virtio_net_hdr, <linux/virtio_net.h>;
 * its 16-bit fields are little-endian, the host order flowlane assumes).
 *
 *   rx: virtio_net_hdr + frame
 *         fits a buffer, no GSO  -> fl_vnet_hdr_to_pkt (+ fl_csum_complete)
 *         GSO (up to 64 KiB)     -> fl_gso_segment: MSS-sized frames, each
 *                                   with every header fixed and a full checksum
 *   tx: fl_vnet_hdr_from_pkt -> header to send in front of the frame
 *
 * Everything here reads only inside the frame it is given: a header that
 * claims more than the frame holds is -EINVAL, never a read past the end.
 */
#ifndef FL_PROTO_GSO_H
#define FL_PROTO_GSO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"
#include "core/pool.h"

/* UDP segmentation offload (kernel 4.18); older uapi headers lack the name. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Most segments one super frame may produce: 64 KiB at an MSS of 256. A
 * frame that would need more is refused (-ENOSPC) rather than half sent. */
#define FL_GSO_MAX_SEGS 256u

/* Apply a received virtio-net header to a frame that fits a buffer: sets
 * pkt->ol_flags (FL_OL_CSUM_PARTIAL, FL_OL_CSUM_GOOD, FL_OL_GSO_*),
 * gso_size, csum_start, csum_offset. -EINVAL if the header is inconsistent
 * with the frame (checksum field outside it, unknown GSO type, GSO without a
 * size); pkt is then unchanged. */
int fl_vnet_hdr_to_pkt(const struct virtio_net_hdr *vh, struct fl_pkt *pkt);

/* Header to send with pkt (zeroed when the packet needs nothing). */
void fl_vnet_hdr_from_pkt(const struct fl_pkt *pkt, struct virtio_net_hdr *vh);

/* Bytes in front of the payload of a super-frame (FL_OL_GSO_*): through
 * its TCP or UDP header, found from csum_start when the checksum is partial,
 * else from the parsed l4_ofs. 0 if not a super-frame or it cannot be told. */
unsigned fl_gso_hdr_len(const struct fl_pkt *pkt);

/* Complete a partial L4 checksum in place (FL_OL_CSUM_PARTIAL cleared): the
 * field holds the pseudo-header sum, as the kernel leaves it. 0 (also when
 * nothing was partial) or -EINVAL when csum_start/offset lie outside. */
int fl_csum_complete(struct fl_pkt *pkt);

/* Segment one large frame (in caller memory, e.g. a ring slot or a read
 * buffer) described by vh (GSO TCPv4, TCPv6 or UDP_L4, with or without
 * NEEDS_CSUM; Ethernet, up to two VLAN tags, IPv4 or IPv6 with extension
 * headers) into frames of at most gso_size payload each, in fresh buffers
 * from `cache`. Every header is fixed up: IPv4 total length, id + i for
 * segment i, header checksum; IPv6 payload length; TCP seq += offset, FIN and
 * PSH only on the last segment, CWR only on the first; UDP length; and full
 * L4 checksums are computed (the IPv6 header's destination is the pseudo-
 * header's: routing headers are not followed). Bytes after the IP packet
 * (Ethernet padding) are dropped. Returns the number of frames written to
 * out (<= max_out), or:
 *   -EINVAL    malformed frame or header (not the GSO type it claims, ...)
 *   -EMSGSIZE  a segment would not fit a buffer's data room
 *   -ENOSPC    more segments than max_out (or FL_GSO_MAX_SEGS)
 *   -ENOBUFS   the cache could not supply the buffers
 * On error nothing is written to out and no buffer is kept. */
int fl_gso_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh,
		   struct fl_pool_cache *cache, struct fl_pkt **out, unsigned max_out);

#endif
