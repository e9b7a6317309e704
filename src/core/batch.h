/* A batch: up to FL_BATCH_MAX packet pointers, the unit every stage passes on.
 *
 * 32 is what DPDK, OVS and BESS settled on: large enough to amortise a
 * syscall, a ring operation or a cache-miss wait over many packets, small
 * enough that a batch's metadata and headers stay in L1. */
#ifndef FL_CORE_BATCH_H
#define FL_CORE_BATCH_H

#include <stdbool.h>

#include "core/pkt.h"

#define FL_BATCH_MAX 32u

struct fl_batch {
	unsigned count;
	struct fl_pkt *pkts[FL_BATCH_MAX];
};

static inline void fl_batch_init(struct fl_batch *b)
{
	b->count = 0;
}

static inline bool fl_batch_is_full(const struct fl_batch *b)
{
	return b->count == FL_BATCH_MAX;
}

/* Add a packet; the caller checks fullness first (flush, then add). */
static inline void fl_batch_add(struct fl_batch *b, struct fl_pkt *pkt)
{
	b->pkts[b->count++] = pkt;
}

#define FL_BATCH_FOREACH(i, pkt, b) \
	for ((i) = 0; (i) < (b)->count && ((pkt) = (b)->pkts[i], 1); (i)++)

#endif
