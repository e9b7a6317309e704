/* Transmit-side offload work in software, for ports that cannot take it.
 *
 * A frame received from a TAP or AF_PACKET port with offloads left on may
 * carry a partial L4 checksum or be a TSO/GSO super-frame of up to 64 KiB
 * (FL_OL_CSUM_PARTIAL, FL_OL_GSO_*). Going out of a port that accepts the
 * same (port->tx_offloads) it passes whole: that is what lets a TCP stream
 * cross the switch in 64 KiB pieces. Anywhere else it is finished here:
 * the checksum completed, the super-frame cut into MSS-sized frames with
 * proto/gso. This is the txbuf slow path: frames without offload work that
 * fit the port's MTU never come here.
 */
#include "datapath/txbuf.h"

#include <errno.h>

#include "proto/gso.h"

static void add(struct fl_txbufs *t, struct fl_pool_cache *cache, unsigned slot,
		struct fl_pkt *pkt)
{
	struct fl_batch *b = &t->buf[slot];

	b->pkts[b->count++] = pkt;
	t->pending |= 1ull << slot;
	if (b->count == FL_BATCH_MAX)
		fl_txbufs_flush(t, cache, slot);
}

static void drop(struct fl_txbufs *t, struct fl_pool_cache *cache, struct fl_port *port,
		 struct fl_pkt *pkt, enum fl_port_drop why)
{
	fl_port_count_tx_drop(port, t->worker_id % port->n_txq, why, 1);
	fl_pool_put(cache, pkt);
}

static void segment(struct fl_txbufs *t, struct fl_pool_cache *cache, unsigned slot,
		    struct fl_port *port, struct fl_pkt *pkt)
{
	struct fl_pkt *segs[FL_GSO_MAX_SEGS];
	struct virtio_net_hdr vh;
	int n, i;

	fl_vnet_hdr_from_pkt(pkt, &vh);
	n = fl_gso_segment(fl_pkt_cdata(pkt), pkt->len, &vh, cache, segs, FL_GSO_MAX_SEGS);
	if (n < 0) {
		drop(t, cache, port, pkt,
		     n == -ENOBUFS ? FL_PORT_DROP_NO_BUFFER
				   : n == -EMSGSIZE ? FL_PORT_DROP_TOO_BIG : FL_PORT_DROP_MALFORMED);
		return;
	}
	for (i = 0; i < n; i++) {
		segs[i]->in_port = pkt->in_port;
		segs[i]->timestamp = pkt->timestamp;
		add(t, cache, slot, segs[i]);
	}
	fl_pool_put(cache, pkt);
}

void fl_txbufs_add_slow(struct fl_txbufs *t, struct fl_pool_cache *cache, unsigned slot,
			struct fl_pkt *pkt)
{
	struct fl_port *port = t->dp->ports[slot];
	unsigned max_len = port->mtu + FL_TX_L2_OVERHEAD;

	if (pkt->ol_flags & FL_OL_GSO_MASK) {
		unsigned hdr = fl_gso_hdr_len(pkt);

		if (!hdr || !pkt->gso_size) {
			drop(t, cache, port, pkt, FL_PORT_DROP_MALFORMED);
			return;
		}
		/* every segment must fit the port, whoever cuts it */
		if (hdr + pkt->gso_size > max_len) {
			drop(t, cache, port, pkt, FL_PORT_DROP_TOO_BIG);
			return;
		}
		if ((port->tx_offloads & (FL_PORT_TX_TSO | FL_PORT_TX_CSUM)) ==
		    (FL_PORT_TX_TSO | FL_PORT_TX_CSUM))
			add(t, cache, slot, pkt);
		else
			segment(t, cache, slot, port, pkt);
		return;
	}
	if (pkt->len > max_len) {
		drop(t, cache, port, pkt, FL_PORT_DROP_TOO_BIG);
		return;
	}
	if ((pkt->ol_flags & FL_OL_CSUM_PARTIAL) && !(port->tx_offloads & FL_PORT_TX_CSUM) &&
	    fl_csum_complete(pkt) < 0) {
		drop(t, cache, port, pkt, FL_PORT_DROP_MALFORMED);
		return;
	}
	add(t, cache, slot, pkt);
}
