/* Datapath actions: what a megaflow does to every packet it matches.
 *
 * Translation (the OpenFlow pipeline) runs once per megaflow and compiles
 * the OpenFlow actions it met in all tables into this small, flat language;
 * the datapath (datapath/execute.c) runs it on whole groups of packets. It
 * has no tables, no lookups and no conditions: only header rewrites, VLAN
 * tags and outputs, in order. Each output sends the packet as modified so
 * far; rewrites after an output apply to the copies sent later.
 *
 * Rewrites are masked (set only the bits the OpenFlow actions wrote), which
 * is why a megaflow that rewrites nw_dst does not need an exact match on the
 * bits it does not touch. DEC_TTL is relative: translation proves the TTL is
 * above 1 from the mask bits 0xfe alone, so a megaflow covers every TTL >= 2
 * instead of one megaflow per TTL value.
 *
 * A list is immutable once built and shared by every cache entry that uses
 * it; it is reference counted and freed through RCU by the last user.
 */
#ifndef FL_PIPELINE_DPACT_H
#define FL_PIPELINE_DPACT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/byteorder.h"
#include "core/compiler.h"

enum fl_dpact_type {
	FL_DPACT_OUTPUT = 1, /* output.port: OpenFlow port number */
	FL_DPACT_SET_ETH,    /* eth: masked dl_src / dl_dst */
	FL_DPACT_SET_IPV4,   /* ipv4: masked src, dst, tos, ttl */
	FL_DPACT_SET_IPV6,   /* ipv6: masked src, dst, traffic class, hop limit */
	FL_DPACT_SET_L4,     /* l4: masked TCP/UDP ports */
	FL_DPACT_PUSH_VLAN,  /* vlan: new outermost tag tpid, tci */
	FL_DPACT_POP_VLAN,   /* remove the outermost tag */
	FL_DPACT_SET_VLAN,   /* vlan: masked rewrite of the outermost tag's tci */
	FL_DPACT_DEC_TTL,    /* IPv4 TTL or IPv6 hop limit minus one */
};

struct fl_dpact {
	uint8_t type; /* enum fl_dpact_type */
	uint8_t pad[3];
	union {
		struct {
			uint32_t port;
		} output;
		struct {
			uint8_t src[6], src_mask[6];
			uint8_t dst[6], dst_mask[6];
		} eth;
		struct {
			fl_be32 src, src_mask;
			fl_be32 dst, dst_mask;
			uint8_t tos, tos_mask;
			uint8_t ttl, ttl_mask; /* set_field nw_ttl (dec_ttl is DEC_TTL) */
			uint8_t proto; /* L4 protocol: which checksum covers the addresses */
		} ipv4;
		struct {
			uint8_t src[16], src_mask[16];
			uint8_t dst[16], dst_mask[16];
			uint8_t tclass, tclass_mask;
			uint8_t hlimit, hlimit_mask;
			uint8_t proto;
		} ipv6;
		struct {
			fl_be16 src, src_mask;
			fl_be16 dst, dst_mask;
			uint8_t proto; /* FL_IPPROTO_TCP or _UDP */
		} l4;
		struct {
			fl_be16 tpid;
			fl_be16 tci, tci_mask; /* tci without the 0x1000 "present" bit */
		} vlan;
	};
};

struct fl_dp_actions {
	atomic_uint refcnt;
	uint16_t n;         /* entries in acts */
	uint16_t n_outputs; /* OUTPUT entries: copies needed = n_outputs - 1 */
	struct fl_dpact acts[];
};

/* An empty list drops. NULL on allocation failure. */
struct fl_dp_actions *fl_dp_actions_alloc(unsigned n);
static inline void fl_dp_actions_ref(struct fl_dp_actions *a)
{
	atomic_fetch_add_explicit(&a->refcnt, 1, memory_order_relaxed);
}
/* Drop a reference; the last one frees the list (immediately: callers that
 * share it with readers in other threads release it after a grace period). */
void fl_dp_actions_unref(struct fl_dp_actions *a);
bool fl_dp_actions_equal(const struct fl_dp_actions *a, const struct fl_dp_actions *b);
/* "set_eth(dst=00:..),output:2" — for traces and dump-caches. */
int fl_dp_actions_format(const struct fl_dp_actions *a, char *buf, size_t size);

#endif
