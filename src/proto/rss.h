/* RSS hash of a raw frame, for software steering (RPS) before the parser
 * runs: the hash a NIC would compute, Toeplitz over the IPv4/IPv6 addresses
 * and, for unfragmented TCP and UDP, the ports. */
#ifndef FL_PROTO_RSS_H
#define FL_PROTO_RSS_H

#include <stdint.h>

#include "core/hash.h"

/* Walks Ethernet, up to two VLAN tags, IPv4 (options skipped, fragments
 * hashed on addresses only) or IPv6 (ports only when TCP/UDP is the first
 * next header). Never reads past len. Frames that are not IP hash on their
 * MAC addresses (CRC32C), so an L2 flow also stays on one worker. */
uint32_t fl_rss_frame(const struct fl_toeplitz *t, const uint8_t *frame, unsigned len);

#endif
