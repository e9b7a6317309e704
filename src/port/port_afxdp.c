/* The AF_XDP port: `afxdp:IFACE[,queues=N][,mode=auto|native|skb][,zerocopy=auto|yes|no]`.
 *
 * Queue i of the port is one AF_XDP socket bound to queue i of IFACE, with
 * libxdp's default XDP program redirecting that queue's frames to it (loaded
 * by the first socket, unloaded by libxdp when the last one closes). The
 * buffer pool's region is the UMEM, so the kernel writes received frames
 * straight into pool slots and sends from them: no copy on our side, and a
 * frame received on one afxdp port is sent from another by handing over the
 * same slot address.
 *
 *   pool region = UMEM, unaligned chunk mode (2304 is not a power of two)
 *   +--- chunk i: address i * 2304 ------------------------------------+
 *   | struct fl_pkt 128 | headroom 128 | frame: kernel writes at +256   |
 *   +------------------------------------------------------------------+
 *   fill (we produce) : chunk addresses of empty slots     rx thread
 *   rx   (we consume) : chunk | offset << 48, length       rx thread
 *   tx   (we produce) : slot + data_off, length            tx thread
 *   comp (we consume) : addresses of frames sent           tx thread
 *
 * The kernel puts a received frame XDP_PACKET_HEADROOM (256) into the chunk
 * we gave it, which is exactly where a slot's data room starts (core/pkt.h),
 * so struct fl_pkt is never written by the kernel.
 *
 * One UMEM registration per port, not per pool. libxdp makes the UMEM's fd
 * the first socket's fd and the kernel only shares a UMEM through a socket
 * that is still bound. With one registration per pool, closing the port
 * that owned it would leave its queue bound (re-adding it fails with EBUSY)
 * and once its interface is deleted no socket can join any more (bind fails
 * with EBADF; both seen on 6.18), so no other port could reopen. Registering
 * the same region once per port pins the same pages twice (no memory, but
 * RLIMIT_MEMLOCK counts each registration for a user without CAP_IPC_LOCK)
 * and keeps what matters: every port addresses a slot by the same offset,
 * so forwarding between afxdp ports on one pool copies nothing. The sockets
 * of one port share its UMEM (xsk_socket__create_shared), each with its own
 * fill and completion rings.
 *
 * Ownership: every slot handed to the kernel is marked in a bitmap of its
 * queue — one for the fill/rx side, one for the tx/completion side, so the
 * rx and tx threads of a queue never write the same word — and unmarked
 * when it comes back. A descriptor naming a slot that is not marked is
 * counted and ignored, so the kernel can never make us hand out a buffer
 * twice; at close (and reopen) every marked slot goes back to the pool.
 *
 * Modes: native XDP where the driver has it, else skb (generic) mode; copy
 * where zero-copy is unavailable (veth). Zero-copy also needs the pool on
 * hugepages: a 2304-byte chunk crosses 4 KiB pages, and the kernel refuses
 * such chunks unless the pages are contiguous, so zerocopy=auto asks for copy
 * mode on a pool of normal pages.
 *
 * Offloads, as for OVS: a frame carries no metadata through AF_XDP, so what a
 * peer leaves to offload is lost. A veth peer checksums TCP and UDP "later"
 * (CHECKSUM_PARTIAL): the frame arrives with a wrong checksum and the far end
 * drops it (ping works, TCP does not). And frames longer than a chunk's 2048
 * bytes cannot be received: in skb mode a peer with TSO/GSO sends TCP in 64
 * KiB frames, dropped and counted too_big (in native mode veth turns GSO off
 * on its peer itself). So a veth peer needs: ethtool -K PEER tx off tso off
 * gso off. Open warns when the interface is a veth.
 *
 * Kicks: tx calls sendto once per burst, only when the kernel asks for it
 * (XDP_USE_NEED_WAKEUP; copy mode always asks); rx calls recvfrom when the
 * ring is empty and the fill ring asks for a wakeup (zero-copy drivers).
 * Completions are reaped by tx only, so each ring has one user thread.
 *
 * Measured on the shared 2-core development VM (load average ~8, veth, copy
 * mode, one worker): 64-byte frames forwarded between two afxdp ports at
 * 0.40-0.45 Mpps, ~2000 cycles per packet busy; ping through the switch
 * p50 0.21 ms against 0.08 ms through a Linux bridge (the worker sleeps in
 * epoll between pings).
 *
 * This file has open, close and the datapath; port_afxdp_setup.c brings the
 * sockets, UMEM and program up and down.
 */
#include "port/port_afxdp_private.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

#define FL_LOG_MODULE "port_afxdp"
#define XQ_MTU_MAX (FL_PKT_DATAROOM - 18u) /* as port.c: Ethernet + one VLAN tag */

static int parse_choice(const struct fl_port_args *args, const char *key,
			const char *const *names, int *out, char *err, size_t errlen)
{
	const char *v = fl_port_arg(args, key);
	int i;

	*out = 0;
	if (!v)
		return 0;
	for (i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	}
	snprintf(err, errlen, "afxdp: option %s: '%s' is not %s, %s or %s", key, v, names[0],
		 names[1], names[2]);
	return -EINVAL;
}

static void afxdp_close(struct fl_port *port);

static int afxdp_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		      size_t errlen)
{
	static const char *const mode_names[] = {"auto", "native", "skb", NULL};
	static const char *const zc_names[] = {"auto", "yes", "no", NULL};
	struct afxdp_priv *priv = port->priv;
	const char *ifname = fl_port_arg(args, "");
	struct ifreq ifr = {0};
	unsigned i, target;
	uint64_t queues;
	int mode, zc, ret;

	fl_afxdp_lib_init();
	priv->ctl_fd = -1;
	if (!ifname || !*ifname) {
		snprintf(err, errlen, "afxdp: missing interface name (usage: %s)",
			 fl_port_afxdp_ops.usage);
		return -EINVAL;
	}
	if (strlen(ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "afxdp: interface name '%s' too long (at most %u characters)",
			 ifname, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	ret = fl_port_arg_u64(args, "queues", 1, 1, FL_PORT_MAX_QUEUES, &queues, err, errlen);
	if (ret < 0)
		return ret;
	ret = parse_choice(args, "mode", mode_names, &mode, err, errlen);
	if (ret < 0)
		return ret;
	ret = parse_choice(args, "zerocopy", zc_names, &zc, err, errlen);
	if (ret < 0)
		return ret;
	if (zc == XZC_YES && mode == XMODE_SKB) {
		snprintf(err, errlen, "afxdp: zerocopy=yes needs mode=native (or auto)");
		return -EINVAL;
	}
	if (zc == XZC_YES && !port->pool->hugepages) {
		snprintf(err, errlen, "afxdp: zerocopy=yes needs the buffer pool on hugepages "
			 "(its %u-byte slots cross 4 KiB pages)", FL_PKT_SLOT_SIZE);
		return -EINVAL;
	}
	snprintf(priv->ifname, sizeof(priv->ifname), "%s", ifname);
	priv->n_queues = (unsigned)queues;
	priv->mode = (enum xdp_mode)mode;
	priv->zc = (enum xdp_zc)zc;

	ret = -ENOMEM;
	snprintf(err, errlen, "afxdp: out of memory");
	priv->ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (priv->ctl_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "afxdp: socket: %s", strerror(errno));
		goto err_close;
	}
	priv->map_words = (port->pool->n_bufs + 63) / 64;
	priv->q = calloc(priv->n_queues, sizeof(*priv->q));
	priv->ctl = malloc(sizeof(*priv->ctl));
	if (!priv->q || !priv->ctl)
		goto err_close;
	fl_pool_cache_init(priv->ctl, port->pool, 0);
	/* the kernel holds up to a quarter of the pool for receiving, at most a ring */
	target = FL_MIN(XQ_RING_SIZE, FL_MAX(64u, port->pool->n_bufs / (4 * priv->n_queues)));
	for (i = 0; i < priv->n_queues; i++) {
		struct xq *q = &priv->q[i];

		q->fd = -1;
		q->r.fill_target = target;
		q->r.owned = calloc(priv->map_words, sizeof(uint64_t));
		q->t.owned = calloc(priv->map_words, sizeof(uint64_t));
		q->t.cache = malloc(sizeof(*q->t.cache));
		if (!q->r.owned || !q->t.owned || !q->t.cache)
			goto err_close;
		fl_pool_cache_init(q->t.cache, port->pool, 64);
	}

	if (!fl_port_arg(args, "mtu") && fl_afxdp_if_ioctl(priv, SIOCGIFMTU, &ifr) == 0) {
		port->mtu = (uint16_t)FL_MIN((unsigned)FL_MAX(ifr.ifr_mtu, 68), XQ_MTU_MAX);
		if ((unsigned)ifr.ifr_mtu > XQ_MTU_MAX)
			FL_LOG(FL_LOG_WARN, "%s: %s has MTU %d: frames over %u bytes are dropped",
			       port->name, priv->ifname, ifr.ifr_mtu, FL_PKT_DATAROOM);
	}
	ret = fl_afxdp_setup(port, err, errlen);
	if (ret < 0)
		goto err_close;
	port->n_rxq = priv->n_queues;
	port->n_txq = priv->n_queues;
	return 0;

err_close:
	afxdp_close(port);
	return ret;
}

static void afxdp_close(struct fl_port *port)
{
	struct afxdp_priv *priv = port->priv;
	unsigned i;

	if (priv->q && priv->ctl)
		fl_afxdp_teardown(port);
	for (i = 0; priv->q && i < priv->n_queues; i++) {
		free(priv->q[i].r.owned);
		free(priv->q[i].t.owned);
		free(priv->q[i].t.cache);
	}
	free(priv->q);
	free(priv->ctl);
	priv->q = NULL;
	priv->ctl = NULL;
	if (priv->ctl_fd >= 0)
		close(priv->ctl_fd);
	priv->ctl_fd = -1;
}

static int afxdp_reopen(struct fl_port *port, char *err, size_t errlen)
{
	fl_afxdp_teardown(port);
	return fl_afxdp_setup(port, err, errlen);
}

static unsigned afxdp_rx_burst(struct fl_port *port, unsigned queue,
			       struct fl_pool_cache *cache, struct fl_pkt **pkts, unsigned n)
{
	struct afxdp_priv *priv = port->priv;
	struct xq *q = &priv->q[queue];
	struct xq_rx *r = &q->r;
	struct fl_pool *pool = port->pool;
	struct fl_pkt *bad[XQ_BURST_MAX];
	unsigned got, i, out = 0, n_bad = 0, n_foreign = 0;
	uint32_t at;

	if (FL_UNLIKELY(!q->xsk))
		return 0;
	/* what we hand out must be the caller's to free */
	if (FL_UNLIKELY(cache->pool != pool)) {
		FL_LOG_RL(FL_LOG_ERR, "%s: rx with a cache of pool '%s', not '%s'", port->name,
			  cache->pool->name, pool->name);
		return 0;
	}
	n = FL_MIN(n, XQ_BURST_MAX);
	got = xsk_ring_cons__peek(&r->rx, n, &at);
	for (i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&r->rx, at + i);
		uint64_t base = xsk_umem__extract_addr(d->addr);
		uint64_t slot = base / FL_PKT_SLOT_SIZE;
		uint64_t off = base + xsk_umem__extract_offset(d->addr) - slot * FL_PKT_SLOT_SIZE;
		struct fl_pkt *pkt;

		/* only a slot we gave is ours to hand out */
		if (FL_UNLIKELY(slot >= pool->n_bufs || !bit_test(r->owned, slot))) {
			n_foreign++;
			continue;
		}
		bit_clear(r->owned, slot);
		pkt = fl_pool_pkt(pool, (uint32_t)slot);
		if (FL_UNLIKELY(off < FL_PKT_META_SIZE + FL_PKT_HEADROOM || d->len == 0 ||
				off + d->len > FL_PKT_SLOT_SIZE)) {
			bad[n_bad++] = pkt;
			continue;
		}
		pkt->data_off = (uint16_t)off;
		pkt->len = (uint16_t)d->len;
		FL_PREFETCH(fl_pkt_data(pkt));
		pkts[out++] = pkt;
	}
	if (got) {
		xsk_ring_cons__release(&r->rx, got);
		r->n_owned -= got - n_foreign;
	}
	if (FL_UNLIKELY(n_bad + n_foreign)) {
		fl_pool_put_bulk(cache, bad, n_bad);
		fl_port_count_rx_drop(port, queue, FL_PORT_DROP_MALFORMED, n_bad + n_foreign);
		FL_LOG_RL(FL_LOG_WARN, "%s: queue %u: %u descriptors outside our buffers",
			  port->name, queue, n_bad + n_foreign);
	}
	if (r->fill_target - r->n_owned >= XQ_FILL_BATCH)
		fl_afxdp_fill(r, cache);
	/* zero-copy drivers stop taking from an empty fill ring until woken */
	if (got == 0 && xsk_ring_prod__needs_wakeup(&r->fill))
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	return out;
}

/* Take back what the kernel has sent. */
static void tx_reap(struct fl_port *port, struct xq_tx *t, struct fl_pool_cache *c)
{
	struct fl_pool *pool = port->pool;
	struct fl_pkt *done[64];
	unsigned got, i, k = 0, foreign = 0;
	uint32_t at;

	got = xsk_ring_cons__peek(&t->comp, XQ_RING_SIZE, &at);
	for (i = 0; i < got; i++) {
		uint64_t slot = *xsk_ring_cons__comp_addr(&t->comp, at + i) / FL_PKT_SLOT_SIZE;

		if (FL_UNLIKELY(slot >= pool->n_bufs || !bit_test(t->owned, slot))) {
			foreign++;
			continue;
		}
		bit_clear(t->owned, slot);
		done[k++] = fl_pool_pkt(pool, (uint32_t)slot);
		if (k == FL_ARRAY_SIZE(done)) {
			fl_pool_put_bulk(c, done, k);
			k = 0;
		}
	}
	fl_pool_put_bulk(c, done, k);
	if (got) {
		xsk_ring_cons__release(&t->comp, got);
		t->n_owned -= got - foreign;
	}
	if (FL_UNLIKELY(foreign))
		FL_LOG_RL(FL_LOG_WARN, "%s: %u completions outside our buffers", port->name,
			  foreign);
}

/* A frame from another pool (another switch's, a big buffer) is copied into
 * a UMEM slot, or dropped as too_big if no slot holds it. */
static inline bool foreign(const struct fl_pkt *pkt, const struct fl_pool *pool)
{
	return pkt->pool_id != pool->id;
}

static unsigned afxdp_tx_burst(struct fl_port *port, unsigned queue,
			       struct fl_pool_cache *cache, struct fl_pkt **pkts, unsigned n)
{
	struct afxdp_priv *priv = port->priv;
	struct xq *q = &priv->q[queue];
	struct xq_tx *t = &q->t;
	struct fl_pool *pool = port->pool;
	/* UMEM slots come from and go to a cache of the port's pool */
	struct fl_pool_cache *uc = cache->pool == pool ? cache : t->cache;
	struct fl_pkt *copy[XQ_BURST_MAX], *pkt;
	unsigned i, k, want = 0, got = 0, big = 0, c = 0, d = 0;
	uint32_t at = 0;

	if (FL_UNLIKELY(!q->xsk)) {
		fl_port_count_tx_drop(port, queue, FL_PORT_DROP_LINK_DOWN, n);
		fl_pool_put_bulk(cache, pkts, n);
		return n;
	}
	tx_reap(port, t, uc);
	k = FL_MIN(n, xsk_prod_nb_free(&t->tx, n));
	k = FL_MIN(k, XQ_BURST_MAX);
	for (i = 0; i < k; i++) {
		if (FL_UNLIKELY(foreign(pkts[i], pool))) {
			big += pkts[i]->len > FL_PKT_DATAROOM;
			want += pkts[i]->len <= FL_PKT_DATAROOM;
		}
	}
	if (FL_UNLIKELY(want)) {
		got = fl_pool_get_burst(uc, copy, want);
		if (got < want) {
			/* short of slots: send up to the first frame without one */
			for (i = 0, want = 0, big = 0; i < k; i++) {
				if (!foreign(pkts[i], pool))
					continue;
				if (pkts[i]->len > FL_PKT_DATAROOM)
					big++;
				else if (want++ == got)
					break;
			}
			k = i;
		}
	}
	/* k - big <= what nb_free found free: the reserve cannot fail */
	if (k > big && xsk_ring_prod__reserve(&t->tx, k - big, &at) != k - big) {
		fl_pool_put_bulk(uc, copy, got);
		k = big = 0;
		goto kick;
	}
	for (i = 0; i < k; i++) {
		struct xdp_desc *desc;

		pkt = pkts[i];
		if (FL_UNLIKELY(foreign(pkt, pool))) {
			bool fits = pkt->len <= FL_PKT_DATAROOM;

			if (fits)
				fl_pkt_set_data(copy[c], fl_pkt_cdata(pkt), pkt->len);
			fl_pool_put(cache, pkt);
			if (!fits)
				continue;
			pkt = copy[c++];
		}
		desc = xsk_ring_prod__tx_desc(&t->tx, at + d++);
		desc->addr = slot_addr(pkt) + pkt->data_off;
		desc->len = pkt->len;
		desc->options = 0;
		bit_set(t->owned, pkt->idx);
	}
	if (d) {
		xsk_ring_prod__submit(&t->tx, d);
		t->n_owned += d;
	}
	if (FL_UNLIKELY(big))
		fl_port_count_tx_drop(port, queue, FL_PORT_DROP_TOO_BIG, big);
kick:
	/* copy mode always asks; zero-copy drivers only when they went idle */
	if (xsk_ring_prod__needs_wakeup(&t->tx) &&
	    sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
	    errno != EBUSY && errno != ENOBUFS && errno != EINTR)
		FL_LOG_RL(FL_LOG_WARN, "%s: queue %u: kick: %s", port->name, queue,
			  strerror(errno));
	return k;
}

static bool afxdp_link_up(struct fl_port *port)
{
	struct afxdp_priv *priv = port->priv;
	struct ifreq ifr = {0};
	int ifindex = (int)if_nametoindex(priv->ifname);

	if (!ifindex)
		return false;
	/* deleted and created again between two looks: our sockets are bound to
	 * the old one, so say down once, and up is then the cue to reopen */
	if (ifindex != __atomic_load_n(&priv->ifindex, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(&priv->replaced_told, true, __ATOMIC_RELAXED))
		return false;
	if (fl_afxdp_if_ioctl(priv, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static int afxdp_wait_fd(struct fl_port *port, unsigned queue)
{
	struct afxdp_priv *priv = port->priv;

	return priv->q[queue].fd;
}

/* The kernel's counters, by our drop reasons: a full rx ring (the worker
 * fell behind) is rx_full, an empty fill ring no_buffer. In copy mode
 * rx_dropped counts frames longer than a chunk (and, once more, frames that
 * found the fill ring empty), so frames dropped for want of a buffer are
 * taken out of it. */
static void afxdp_stats(struct fl_port *port, struct fl_port_stats *st)
{
	struct afxdp_priv *priv = port->priv;
	struct xdp_statistics s = priv->gone;
	unsigned i;

	for (i = 0; i < priv->n_queues; i++)
		if (priv->q[i].xsk)
			fl_afxdp_stats_add(&s, priv->q[i].fd);
	st->rx_drops[FL_PORT_DROP_RX_FULL] += s.rx_ring_full;
	st->rx_drops[FL_PORT_DROP_NO_BUFFER] += s.rx_fill_ring_empty_descs;
	st->rx_drops[FL_PORT_DROP_TOO_BIG] +=
		s.rx_dropped > s.rx_fill_ring_empty_descs ?
			s.rx_dropped - s.rx_fill_ring_empty_descs : 0;
	st->rx_drops[FL_PORT_DROP_MALFORMED] += s.rx_invalid_descs;
	st->tx_drops[FL_PORT_DROP_TX_ERROR] += s.tx_invalid_descs;
}

static const char *const afxdp_keys[] = {"", "queues", "mode", "zerocopy", NULL};

const struct fl_port_ops fl_port_afxdp_ops = {
	.type = "afxdp",
	.usage = "afxdp:IFACE[,queues=N][,mode=auto|native|skb][,zerocopy=auto|yes|no] "
		 "(veth peer: ethtool -K PEER tx off tso off gso off)",
	.keys = afxdp_keys,
	.priv_size = sizeof(struct afxdp_priv),
	.open = afxdp_open,
	.close = afxdp_close,
	.rx_burst = afxdp_rx_burst,
	.tx_burst = afxdp_tx_burst,
	.link_up = afxdp_link_up,
	.wait_fd = afxdp_wait_fd,
	.stats = afxdp_stats,
	.reopen = afxdp_reopen,
};
