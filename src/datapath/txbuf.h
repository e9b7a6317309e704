/* Per-worker transmit buffers: one batch per output port.
 *
 * Packets decided for a port collect in its buffer; a full buffer is sent at
 * once, and whatever is left goes out when the rx burst that produced it is
 * done (fl_txbufs_flush_pending), so each port gets one tx call — one kick
 * of the kernel for the kernel-backed ports — per burst, never one per packet.
 * A bitmap of the ports with pending packets keeps the flush from walking
 * every port.
 *
 * Frames longer than the port's MTU (plus Ethernet and two VLAN tags) are
 * dropped here and counted as too_big on the output port, unless they are
 * offloaded super-frames (offload.c segments them or passes them whole).
 */
#ifndef FL_DATAPATH_TXBUF_H
#define FL_DATAPATH_TXBUF_H

#include <stdbool.h>
#include <string.h>

#include "core/batch.h"
#include "datapath/dp.h"
#include "datapath/switch.h"

#define FL_TX_L2_OVERHEAD (14u + 2u * 4u)

_Static_assert(FL_DP_MAX_PORTS <= 64, "pending bitmap is one word");

struct fl_capture_ring;

struct fl_txbufs {
	struct fl_dp *dp;
	unsigned worker_id;
	uint64_t pending; /* bit per slot with packets waiting */
	/* the worker's capture (switch.h), NULL when none: tx copies */
	struct fl_capture_ring *const *capture;
	struct fl_batch buf[FL_DP_MAX_PORTS];
};

/* capture.c: copy the frames of a burst that pass the capture's filter */
void fl_capture_copy(struct fl_capture_ring *r, const struct fl_port *port, unsigned dir,
		     struct fl_pkt *const *pkts, unsigned n);

static inline void fl_txbufs_init(struct fl_txbufs *t, struct fl_dp *dp, unsigned worker_id,
				  struct fl_capture_ring *const *capture)
{
	static struct fl_capture_ring *const none;

	t->dp = dp;
	t->worker_id = worker_id;
	t->pending = 0;
	t->capture = capture ? capture : &none;
	memset(t->buf, 0, sizeof(t->buf));
}

/* Every burst a worker sends goes through here. */
static inline void fl_txbufs_send(struct fl_txbufs *t, struct fl_pool_cache *cache,
				  struct fl_port *port, struct fl_pkt **pkts, unsigned n)
{
	if (FL_UNLIKELY(*t->capture != NULL))
		fl_capture_copy(*t->capture, port, FL_CAPTURE_TX, pkts, n);
	fl_port_tx_burst(port, t->worker_id % port->n_txq, cache, pkts, n);
}

static inline void fl_txbufs_flush(struct fl_txbufs *t, struct fl_pool_cache *cache,
				   unsigned slot)
{
	struct fl_port *port = t->dp->ports[slot];
	struct fl_batch *b = &t->buf[slot];

	fl_txbufs_send(t, cache, port, b->pkts, b->count);
	b->count = 0;
	t->pending &= ~(1ull << slot);
}

static inline void fl_txbufs_flush_pending(struct fl_txbufs *t, struct fl_pool_cache *cache)
{
	while (t->pending)
		fl_txbufs_flush(t, cache, (unsigned)__builtin_ctzll(t->pending));
}

static inline void fl_txbufs_flush_all(struct fl_txbufs *t, struct fl_pool_cache *cache)
{
	if (t->dp)
		fl_txbufs_flush_pending(t, cache);
}

/* The slow path of fl_txbufs_add_burst (offload.c): frames over the port's
 * MTU (dropped, or segmented when they are super-frames) and frames with a
 * partial checksum the port cannot take. */
void fl_txbufs_add_slow(struct fl_txbufs *t, struct fl_pool_cache *cache, unsigned slot,
			struct fl_pkt *pkt);

/* fl_txbufs_add_burst, one packet at a time: some frame of the burst needs
 * fl_txbufs_add_slow. */
static inline void fl_txbufs_add_each(struct fl_txbufs *t, struct fl_pool_cache *cache,
				      unsigned slot, struct fl_pkt **pkts, unsigned n,
				      unsigned max_len)
{
	struct fl_batch *b = &t->buf[slot];
	unsigned i;

	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = pkts[i];

		if (pkt->len > max_len || (pkt->ol_flags & FL_OL_TX_WORK)) {
			/* too long, or a checksum or segmentation to do: offload.c */
			fl_txbufs_add_slow(t, cache, slot, pkt);
			continue;
		}
		b->pkts[b->count++] = pkt;
		if (b->count == FL_BATCH_MAX)
			fl_txbufs_flush(t, cache, slot);
	}
	if (b->count)
		t->pending |= 1ull << slot;
}

/* Queue n packets for the port in `slot`. The packets are consumed; the
 * array itself may be handed to the port (a whole burst for an empty
 * buffer is sent as it stands, as filling the buffer would have sent it at
 * once), so the caller must not use it afterwards. */
static inline void fl_txbufs_add_burst(struct fl_txbufs *t, struct fl_pool_cache *cache,
				       unsigned slot, struct fl_pkt **pkts, unsigned n)
{
	struct fl_port *port = t->dp->ports[slot];
	struct fl_batch *b = &t->buf[slot];
	unsigned max_len = port->mtu + FL_TX_L2_OVERHEAD, i, k;
	bool slow = false;

	/* one branch-free pass over the burst; the rare frame that is too long
	 * or has offload work sends the whole burst the per-packet way */
	for (i = 0; i < n; i++)
		slow |= (pkts[i]->len > max_len) | ((pkts[i]->ol_flags & FL_OL_TX_WORK) != 0);
	if (FL_UNLIKELY(slow)) {
		fl_txbufs_add_each(t, cache, slot, pkts, n, max_len);
		return;
	}
	if (b->count == 0 && n == FL_BATCH_MAX) {
		fl_txbufs_send(t, cache, port, pkts, n);
		return;
	}
	while (n) {
		k = FL_MIN(n, FL_BATCH_MAX - b->count);
		memcpy(&b->pkts[b->count], pkts, k * sizeof(*pkts));
		b->count += k;
		pkts += k;
		n -= k;
		if (b->count == FL_BATCH_MAX)
			fl_txbufs_flush(t, cache, slot);
	}
	if (b->count)
		t->pending |= 1ull << slot;
}

#endif
