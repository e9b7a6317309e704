/* The AF_PACKET port's data path: frames from the receive ring into pool
 * buffers, and bursts of buffers out with one sendmmsg (see port_afpacket.c
 * for the design, port_afpacket_private.h for the ring layout).
 *
 * No allocation, lock or per-packet syscall: a V2 slot or V3 block is read
 * with an acquire load of its status and given back with a release store
 * (each pairs with the kernel's barrier around its own status write). The
 * only syscalls are one sendmmsg per tx burst, one recvmsg per GSO super
 * frame that did not fit a V2 slot (64 KiB: ~45 packets), and an SO_ERROR
 * read every AFP_ERR_CHECK_POLLS empty polls.
 */
#include "port/port_afpacket_private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/byteorder.h"
#include "proto/headers.h"

#define NS_PER_S 1000000000ull

/* One received frame as the ring (or recvmsg) describes it. */
struct afp_frame {
	const uint8_t *data;
	const struct virtio_net_hdr *vh;
	unsigned snaplen, len;
	uint32_t status;          /* TP_STATUS_VLAN_VALID... */
	uint16_t vlan_tci, vlan_tpid;
	uint64_t ts;
};

/* The kernel moved an outer VLAN tag into metadata: put it back in the frame.
 * A fresh buffer has FL_PKT_HEADROOM in front, so the prepend cannot fail. */
static inline void vlan_insert(struct fl_pkt *pkt, const struct afp_frame *f)
{
	uint16_t tpid = (f->status & TP_STATUS_VLAN_TPID_VALID) && f->vlan_tpid ?
				f->vlan_tpid : FL_ETH_TYPE_VLAN;
	uint8_t *d = fl_pkt_prepend(pkt, FL_VLAN_HLEN);

	if (FL_UNLIKELY(!d))
		return;
	memmove(d, d + FL_VLAN_HLEN, 2 * FL_ETH_ADDR_LEN);
	fl_put_u16(d + 12, fl_htons(tpid));
	fl_put_u16(d + 14, fl_htons(f->vlan_tci));
}

static unsigned stash_drain(struct afp_queue *q, struct fl_pkt **pkts, unsigned n)
{
	unsigned k = FL_MIN(n, q->stash_len);

	memcpy(pkts, q->stash + q->stash_head, k * sizeof(*pkts));
	q->stash_head += k;
	q->stash_len -= k;
	return k;
}

/* A GSO super frame: segments into the stash, then as many as fit into pkts. */
static unsigned rx_gso(struct fl_port *port, unsigned qi, struct afp_queue *q,
		       struct fl_pool_cache *cache, const struct afp_frame *f,
		       struct fl_pkt **pkts, unsigned room)
{
	bool vlan = f->status & TP_STATUS_VLAN_VALID;
	int k = fl_gso_segment(f->data, f->snaplen, f->vh, cache, q->stash, FL_GSO_MAX_SEGS);
	unsigned i;

	if (FL_UNLIKELY(k < 0)) {
		enum fl_port_drop why = k == -ENOBUFS ? FL_PORT_DROP_NO_BUFFER :
					k == -EINVAL ? FL_PORT_DROP_MALFORMED :
						       FL_PORT_DROP_TOO_BIG;

		fl_port_count_rx_drop(port, qi, why, 1);
		return 0;
	}
	for (i = 0; i < (unsigned)k; i++) {
		if (vlan)
			vlan_insert(q->stash[i], f);
		q->stash[i]->timestamp = f->ts;
	}
	q->stash_head = 0;
	q->stash_len = (unsigned)k;
	return stash_drain(q, pkts, room);
}

/* A GSO super frame passed on whole in a big buffer: offload flags, MSS and
 * the partial checksum stay, for a port that takes them as they are (or for
 * the datapath to finish, datapath/offload.c). */
static unsigned rx_whole(struct fl_port *port, unsigned qi, struct fl_pool_cache *cache,
			 const struct afp_frame *f, struct fl_pkt *pkt, struct fl_pkt **pkts)
{
	if (f->data != fl_pkt_cdata(pkt)) /* else read into it already (rx_copied) */
		memcpy(fl_pkt_data(pkt), f->data, f->len);
	pkt->len = (uint16_t)f->len;
	if (FL_UNLIKELY(fl_vnet_hdr_to_pkt(f->vh, pkt) < 0)) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_MALFORMED, 1);
		fl_pool_put(cache, pkt);
		return 0;
	}
	if (f->status & TP_STATUS_VLAN_VALID) {
		vlan_insert(pkt, f);
		pkt->csum_start += FL_VLAN_HLEN; /* it counts from the frame start */
	}
	pkt->timestamp = f->ts;
	pkts[0] = pkt;
	return 1;
}

/* A super-frame that can go on whole: GSO with the checksum left to us. */
static bool whole_ok(const struct afp_frame *f)
{
	unsigned vlan_len = (f->status & TP_STATUS_VLAN_VALID) ? FL_VLAN_HLEN : 0;

	return f->vh->gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	       (f->vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && f->snaplen >= f->len &&
	       f->len + vlan_len <= 0xffffu;
}

/* One frame into pkts[0..room): returns how many packets it became. */
static unsigned rx_frame(struct fl_port *port, unsigned qi, struct afp_queue *q,
			 struct fl_pool_cache *cache, const struct afp_frame *f,
			 struct fl_pkt **pkts, unsigned room)
{
	unsigned vlan_len = (f->status & TP_STATUS_VLAN_VALID) ? FL_VLAN_HLEN : 0;
	struct fl_pkt *pkt;

	if (FL_UNLIKELY(f->snaplen < f->len)) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_TOO_BIG, 1);
		return 0;
	}
	if (FL_UNLIKELY(f->vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
		/* whole when the pool has big buffers and one is free, else cut */
		if (whole_ok(f) && port->pool->big && (pkt = fl_pool_cache_get_big(cache)) != NULL)
			return rx_whole(port, qi, cache, f, pkt, pkts);
		return rx_gso(port, qi, q, cache, f, pkts, room);
	}
	if (FL_UNLIKELY(f->len + vlan_len > FL_PKT_DATAROOM)) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_TOO_BIG, 1);
		return 0;
	}
	if (FL_UNLIKELY(fl_pool_get_burst(cache, &pkt, 1) == 0)) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_NO_BUFFER, 1);
		return 0;
	}
	memcpy(fl_pkt_data(pkt), f->data, f->len);
	pkt->len = (uint16_t)f->len;
	/* checksums are completed here, before anything rewrites a header */
	if (f->vh->flags && FL_UNLIKELY(fl_vnet_hdr_to_pkt(f->vh, pkt) < 0 ||
					fl_csum_complete(pkt) < 0)) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_MALFORMED, 1);
		fl_pool_put(cache, pkt);
		return 0;
	}
	if (vlan_len)
		vlan_insert(pkt, f);
	pkt->timestamp = f->ts;
	pkts[0] = pkt;
	return 1;
}

/* A V2 slot marked TP_STATUS_COPY: the whole frame waits in the socket
 * queue (the slot has only its start). */
static unsigned rx_copied(struct fl_port *port, unsigned qi, struct afp_queue *q,
			  struct fl_pool_cache *cache, struct afp_frame *f,
			  struct fl_pkt **pkts, unsigned room)
{
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl;
	/* read straight into a big buffer when there is one: a super-frame
	 * then goes on without being copied again */
	struct fl_pkt *big = port->pool->big ? fl_pool_cache_get_big(cache) : NULL;
	uint8_t *dst = big ? fl_pkt_data(big) : q->big;
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {{&vh, sizeof(vh)},
			       {dst, big ? FL_MIN(fl_pkt_tailroom(big), AFP_BIG_SIZE) : AFP_BIG_SIZE}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = &ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	unsigned n;
	ssize_t r;

	r = recvmsg(q->fd, &m, MSG_DONTWAIT | MSG_TRUNC);
	/* a pending socket error (the link went down and up) is reported before
	 * the queue is looked at, and cleared by being reported: once more */
	if (FL_UNLIKELY(r < 0 && errno != EAGAIN)) {
		m.msg_controllen = sizeof(ctl);
		r = recvmsg(q->fd, &m, MSG_DONTWAIT | MSG_TRUNC);
	}
	if (FL_UNLIKELY(r < (ssize_t)sizeof(vh))) {
		fl_port_count_rx_drop(port, qi, FL_PORT_DROP_RX_ERROR, 1);
		FL_LOG_RL(FL_LOG_WARN, "%s: reading a large frame: %s", port->name,
			  r < 0 ? strerror(errno) : "short read");
		if (big)
			fl_pool_put_bulk(cache, &big, 1);
		return 0;
	}
	f->data = dst;
	f->vh = &vh;
	f->len = (unsigned)r - sizeof(vh);
	f->snaplen = FL_MIN(f->len, (unsigned)iov[1].iov_len);
	f->status = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		const struct tpacket_auxdata *aux = (const void *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(*aux)))
			continue;
		f->status = aux->tp_status;
		f->vlan_tci = aux->tp_vlan_tci;
		f->vlan_tpid = aux->tp_vlan_tpid;
	}
	if (big && whole_ok(f))
		return rx_whole(port, qi, cache, f, big, pkts);
	n = rx_frame(port, qi, q, cache, f, pkts, room); /* copies out of dst */
	if (big)
		fl_pool_put_bulk(cache, &big, 1);
	return n;
}

/* A V2 slot holds a frame cut to the slot without TP_STATUS_COPY: the kernel
 * would have queued the whole frame to the socket (PACKET_COPY_THRESH) but
 * the socket's receive buffer was full, the worker behind. That is rx_full
 * for a frame we would have taken whole or cut into segments; one too long
 * for either stays too_big. */
static bool cut_for_room(const struct afp_frame *f)
{
	unsigned vlan_len = (f->status & TP_STATUS_VLAN_VALID) ? FL_VLAN_HLEN : 0;

	return f->vh->gso_type != VIRTIO_NET_HDR_GSO_NONE || f->len + vlan_len <= FL_PKT_DATAROOM;
}

static inline uint8_t *v2_slot(const struct afp_queue *q)
{
	return q->ring + (size_t)q->blk * q->block_size + (size_t)q->slot * q->frame_size;
}

static unsigned rx_v2(struct fl_port *port, unsigned qi, struct afp_queue *q,
		      struct fl_pool_cache *cache, struct fl_pkt **pkts, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)v2_slot(q);
		uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		struct afp_frame f;

		if (!(status & TP_STATUS_USER))
			break;
		f.status = status;
		f.vlan_tci = h->tp_vlan_tci;
		f.vlan_tpid = h->tp_vlan_tpid;
		f.ts = (uint64_t)h->tp_sec * NS_PER_S + h->tp_nsec;
		if (FL_UNLIKELY(status & TP_STATUS_COPY)) {
			got += rx_copied(port, qi, q, cache, &f, pkts + got, n - got);
		} else if (FL_LIKELY(h->tp_mac >= sizeof(*h) + sizeof(struct virtio_net_hdr) &&
				     h->tp_mac + h->tp_snaplen <= q->frame_size)) {
			f.data = (const uint8_t *)h + h->tp_mac;
			f.vh = (const struct virtio_net_hdr *)(f.data - sizeof(*f.vh));
			f.snaplen = h->tp_snaplen;
			f.len = h->tp_len;
			if (FL_UNLIKELY(f.snaplen < f.len && cut_for_room(&f)))
				fl_port_count_rx_drop(port, qi, FL_PORT_DROP_RX_FULL, 1);
			else
				got += rx_frame(port, qi, q, cache, &f, pkts + got, n - got);
		} else {
			fl_port_count_rx_drop(port, qi, FL_PORT_DROP_RX_ERROR, 1);
		}
		/* release: our reads of the slot are done before the kernel
		 * sees it free and writes the next frame into it */
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		if (++q->slot == q->frames_per_block) {
			q->slot = 0;
			if (++q->blk == q->block_nr)
				q->blk = 0;
		}
	}
	return got;
}

static void v3_release_block(struct afp_queue *q, struct tpacket_block_desc *bd)
{
	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	q->v3_left = 0;
	if (++q->blk == q->block_nr)
		q->blk = 0;
}

static unsigned rx_v3(struct fl_port *port, unsigned qi, struct afp_queue *q,
		      struct fl_pool_cache *cache, struct fl_pkt **pkts, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		uint8_t *blk = q->ring + (size_t)q->blk * q->block_size;
		struct tpacket_block_desc *bd = (struct tpacket_block_desc *)blk;
		struct tpacket3_hdr *h;
		struct afp_frame f;

		if (!q->v3_left) {
			uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);

			if (!(st & TP_STATUS_USER))
				break;
			q->v3_left = bd->hdr.bh1.num_pkts;
			q->v3_next = blk + bd->hdr.bh1.offset_to_first_pkt;
			if (!q->v3_left) {
				v3_release_block(q, bd);
				continue;
			}
		}
		h = (struct tpacket3_hdr *)q->v3_next;
		/* a frame the kernel placed outside its block would be a kernel bug;
		 * give the block back rather than read past it */
		if (FL_UNLIKELY((size_t)((uint8_t *)h - blk) + sizeof(*h) > q->block_size ||
				h->tp_mac < sizeof(*h) + sizeof(struct virtio_net_hdr) ||
				(size_t)((uint8_t *)h - blk) + h->tp_mac + h->tp_snaplen >
					q->block_size)) {
			fl_port_count_rx_drop(port, qi, FL_PORT_DROP_RX_ERROR, q->v3_left);
			v3_release_block(q, bd);
			continue;
		}
		f.data = (const uint8_t *)h + h->tp_mac;
		f.vh = (const struct virtio_net_hdr *)(f.data - sizeof(*f.vh));
		f.snaplen = h->tp_snaplen;
		f.len = h->tp_len;
		f.status = h->tp_status;
		f.vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
		f.vlan_tpid = h->hv1.tp_vlan_tpid;
		f.ts = (uint64_t)h->tp_sec * NS_PER_S + h->tp_nsec;
		got += rx_frame(port, qi, q, cache, &f, pkts + got, n - got);
		q->v3_next = (uint8_t *)h + h->tp_next_offset;
		if (--q->v3_left == 0)
			v3_release_block(q, bd);
	}
	return got;
}

/* Read (and so clear) a pending socket error, which would otherwise keep
 * the socket readable in epoll: the interface went down or away. */
static void check_sock_error(struct fl_port *port, struct afp_queue *q)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	q->idle_polls = 0;
	if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr)
		FL_LOG_RL(FL_LOG_WARN, "%s: socket error: %s", port->name, strerror(soerr));
}

unsigned afp_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
		      struct fl_pkt **pkts, unsigned n)
{
	struct afp_priv *p = port->priv;
	struct afp_queue *q = &p->q[queue];
	unsigned got = 0;

	if (FL_UNLIKELY(q->stash_len))
		got = stash_drain(q, pkts, n);
	if (FL_UNLIKELY(!q->ring))
		return got;
	if (got < n)
		got += p->v3 ? rx_v3(port, queue, q, cache, pkts + got, n - got) :
			       rx_v2(port, queue, q, cache, pkts + got, n - got);
	if (FL_UNLIKELY(!got && ++q->idle_polls >= AFP_ERR_CHECK_POLLS))
		check_sock_error(port, q);
	return got;
}

void afp_tx_init(struct afp_queue *q)
{
	unsigned i;

	for (i = 0; i < AFP_TX_MAX; i++) {
		q->iov[i][0].iov_base = &q->vh[i];
		q->iov[i][0].iov_len = sizeof(q->vh[i]);
		q->msgs[i].msg_hdr.msg_iov = q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 2;
	}
}

/* Send k prepared messages. Returns how many of them the caller may
 * consider taken (sent or dropped and counted here); fewer than k only when
 * the socket or device queue is full. *dead is set when the link is gone. */
static unsigned tx_send(struct fl_port *port, unsigned qi, struct afp_queue *q, unsigned k,
			bool *dead)
{
	bool retried = false;
	unsigned done = 0;
	int r;

	while (done < k) {
		r = sendmmsg(q->fd, q->msgs + done, k - done, MSG_DONTWAIT);
		if (FL_LIKELY(r > 0)) {
			done += (unsigned)r;
			continue;
		}
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
		case ENOBUFS:
			return done; /* full: the rest stay with the caller (tx_full) */
		case ENETDOWN:
			/* the error may be the one the socket kept from a down that
			 * is over: reading it cleared it, so try once more */
			if (!retried) {
				retried = true;
				continue;
			}
			/* fall through */
		case ENXIO:
		case ENODEV:
		case EBADF:
			fl_port_count_tx_drop(port, qi, FL_PORT_DROP_LINK_DOWN, k - done);
			FL_LOG_RL(FL_LOG_WARN, "%s: send: %s", port->name, strerror(errno));
			*dead = true;
			return k;
		case EMSGSIZE:
			fl_port_count_tx_drop(port, qi, FL_PORT_DROP_TOO_BIG, 1);
			done++;
			break;
		default:
			fl_port_count_tx_drop(port, qi, FL_PORT_DROP_TX_ERROR, 1);
			FL_LOG_RL(FL_LOG_WARN, "%s: send: %s", port->name, strerror(errno));
			done++;
			break;
		}
	}
	return done;
}

unsigned afp_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
		      struct fl_pkt **pkts, unsigned n)
{
	struct afp_priv *p = port->priv;
	struct afp_queue *q = &p->q[queue];
	unsigned done = 0, k, i, taken;
	bool dead = false;

	while (done < n) {
		k = FL_MIN(n - done, AFP_TX_MAX);
		for (i = 0; i < k; i++) {
			struct fl_pkt *pkt = pkts[done + i];

			if (FL_LIKELY(!(pkt->ol_flags & (FL_OL_CSUM_PARTIAL | FL_OL_GSO_TCP4 |
							 FL_OL_GSO_TCP6 | FL_OL_GSO_UDP))))
				memset(&q->vh[i], 0, sizeof(q->vh[i]));
			else
				fl_vnet_hdr_from_pkt(pkt, &q->vh[i]);
			q->iov[i][1].iov_base = fl_pkt_data(pkt);
			q->iov[i][1].iov_len = pkt->len;
		}
		taken = tx_send(port, queue, q, k, &dead);
		fl_pool_put_bulk(cache, pkts + done, taken);
		done += taken;
		if (taken < k)
			return done;
		if (FL_UNLIKELY(dead)) {
			/* the rest of the burst would fail the same way */
			fl_port_count_tx_drop(port, queue, FL_PORT_DROP_LINK_DOWN, n - done);
			fl_pool_put_bulk(cache, pkts + done, n - done);
			return n;
		}
	}
	return n;
}
