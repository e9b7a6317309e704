/* The AF_PACKET port: `afpacket:IFACE[,queues=N][,rx=v2|v3]` — a kernel
 * network interface through packet sockets with mmap'd receive rings.
 *
 * One socket per queue, bound to IFACE for every EtherType, each with its own
 * receive ring; with queues=N > 1 the sockets form one PACKET_FANOUT_HASH
 * group (id picked by the kernel, unique in the namespace), so the kernel
 * spreads flows over the queues. Frames the interface transmits (ours or the
 * host stack's) are ignored (PACKET_IGNORE_OUTGOING); the interface is put in
 * promiscuous mode for as long as the port is open, as a switch port must
 * see every frame.
 *
 *   rx: ring frame = tpacket header | sockaddr_ll | virtio_net_hdr | frame
 *       copied into a pool buffer (as a NIC DMA-writes into a fresh one);
 *       a GSO super frame (up to 64 KiB: offloads stay on) goes whole into
 *       a big buffer with its offload flags when the pool has one free,
 *       else it is cut by fl_gso_segment; other partial checksums are
 *       completed; a VLAN tag the kernel took into metadata is put back in
 *       front of the EtherType
 *   tx: sendmmsg of [virtio_net_hdr, frame] per packet, one syscall per
 *       burst of up to 64, bypassing the qdisc; the header carries partial
 *       checksums and GSO (tx_offloads), so super frames leave whole
 *
 * Receive rings (rx=):
 *   v2  TPACKET_V2: 2040 frames of 2176 bytes; each frame is handed over as
 *       soon as the kernel wrote it. A frame larger than a slot (a GSO super
 *       frame) is copied to the socket queue as well (PACKET_COPY_THRESH,
 *       slot marked TP_STATUS_COPY) and read whole with recvmsg: one syscall
 *       per 64 KiB, not per packet.
 *   v3  TPACKET_V3: 32 blocks of 128 KiB (a 64 KiB frame fits), frames
 *       packed back to back; a block is handed over only when full or when
 *       its timer (1 ms) retires it.
 * The retire timer costs V3 its latency at low rates. Measured on the 2-core
 * development VM (kernel 6.18, shared: load average 7 to 12 during the runs)
 * with ping -i 0.01 between two namespaces joined by veths, 300 pings per
 * run, 5 runs alternating, median of the runs' p50 (range):
 *   Linux bridge                          73 us  (72..96)
 *   flowlane run, two afpacket ports,
 *     rx=v2                              239 us  (186..252)
 *     rx=v3                             1790 us  (1060..2550)
 * so v2 is the default; v3 packs frames densely and suits bulk capture.
 * Where v2's time goes (a one-thread forwarder over two ports, sleeping in
 * epoll when idle as the worker does): from the kernel's receive timestamp
 * to the thread holding the frame, p50 54 us (the epoll wakeup of a sleeping
 * thread on this VM); one sendmmsg of one frame, 35 us (it includes the
 * receiving namespace's stack). Running it at SCHED_FIFO or spinning longer
 * before sleeping barely moved the p50 (171..227 us after 256 empty polls,
 * 170 after 5,000, 183 after 50,000): pings 10 ms apart still found it
 * asleep. Polling through the gaps does move it, to about the bridge's
 * (datapath/worker.c, "idle-poll-us"). iperf3 TCP through the same setup,
 * offloads on, 3 s: 2.6 to 3.6 Gbit/s with super frames passed whole (the
 * switch's big buffers; either ring); cut into segments instead (no big
 * buffers), 1.2 Gbit/s with rx=v2 and 0.68 with v3, whose ACKs wait for
 * block retirement. The retransmissions seen with whole super frames (up to
 * ~600 in 3 s) are reordering by the kernel (the receiving veth queues each
 * frame on the CPU that sent it, and the worker moves between CPUs): with
 * the worker pinned to one CPU there are none to one.
 *
 * Counters: a frame the ring cut short (tp_snaplen < tp_len) or that would
 * not fit a buffer is a too_big drop; a bad virtio-net header or a GSO frame
 * that cannot be segmented is malformed; no buffer for it, no_buffer. The
 * kernel's own drops (ring full: PACKET_STATISTICS, read and reset by the
 * stats op, kept across reopen) are rx_full, and so is a super frame the V2
 * ring cut because the socket's receive buffer had no room for all of it
 * (worker behind: rx_v2). tx errors: link_down when the
 * interface is down or gone, too_big for EMSGSIZE, tx_error otherwise; a
 * full socket or device queue stops the burst (the caller counts tx_full).
 *
 * Link and reopen (control thread): link_up looks the interface up by name
 * (exists, IFF_UP and IFF_RUNNING). If it now has another ifindex than the
 * sockets are bound to (deleted and recreated between two looks), link_up
 * says "down" once, then "up", so the caller sees it come back and calls
 * reopen, which closes the sockets and builds them again with the same queue
 * count. Until then rx finds nothing and tx counts link_down: nothing spins
 * or logs per packet. A socket of a downed interface reports an error in
 * poll until read; rx clears it (SO_ERROR) every 1024 empty polls so an
 * epoll sleeper is not woken in a loop.
 *
 * Layout: this file sets up and tears down; port_afpacket_rxtx.c moves
 * frames; port_afpacket_private.h holds what both share.
 */
#include "port/port_afpacket_private.h"

#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/byteorder.h"

#define AFP_SOCKBUF (4u << 20) /* rx: room for copied GSO frames; tx: in flight */

static int ifreq_ioctl(int fd, const char *ifname, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	return ioctl(fd, req, ifr) < 0 ? -errno : 0;
}

static int sockopt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* Kernel drops since the last read (the kernel resets them on read). */
static void read_kernel_drops(struct afp_queue *q)
{
	struct tpacket_stats_v3 st = {0};
	socklen_t len = sizeof(st);

	if (q->fd >= 0 && getsockopt(q->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		q->kernel_drops += st.tp_drops;
}

static void queue_close(struct afp_queue *q)
{
	read_kernel_drops(q);
	if (q->ring)
		munmap(q->ring, q->ring_len);
	if (q->fd >= 0)
		close(q->fd);
	q->ring = NULL;
	q->fd = -1;
}

/* Ring geometry for the chosen version; the request goes to PACKET_RX_RING. */
static void ring_request(struct afp_priv *p, struct afp_queue *q, struct tpacket_req3 *req)
{
	memset(req, 0, sizeof(*req));
	if (p->v3) {
		req->tp_block_size = AFP_V3_BLOCK_SIZE;
		req->tp_block_nr = AFP_V3_BLOCK_NR;
		/* V3 packs frames; frame_size only has to divide the block */
		req->tp_frame_size = AFP_V3_FRAME_SIZE;
		req->tp_frame_nr = AFP_V3_BLOCK_NR * (AFP_V3_BLOCK_SIZE / AFP_V3_FRAME_SIZE);
		req->tp_retire_blk_tov = AFP_V3_TOV_MS;
	} else {
		req->tp_block_size = AFP_V2_BLOCK_SIZE;
		req->tp_block_nr = AFP_V2_BLOCK_NR;
		req->tp_frame_size = AFP_V2_FRAME_SIZE;
		req->tp_frame_nr = AFP_V2_BLOCK_NR * (AFP_V2_BLOCK_SIZE / AFP_V2_FRAME_SIZE);
	}
	q->ring_len = (size_t)req->tp_block_size * req->tp_block_nr;
	q->block_size = req->tp_block_size;
	q->block_nr = req->tp_block_nr;
	q->frame_size = req->tp_frame_size;
	q->frames_per_block = req->tp_block_size / req->tp_frame_size;
	q->blk = 0;
	q->slot = 0;
	q->v3_left = 0;
	q->v3_next = NULL;
}

/* Write every status word of the ring once, before the socket is bound (so
 * the kernel writes none of them yet). The mapping is there after mmap, but
 * under a hypervisor the first user write to each page of it can still trap:
 * ~7-15 us a page on this project's VMs, measured. Untouched, that cost
 * would fall on the first pass of the worker over the ring, one trap per
 * frame released, for the first ~2000 frames of each queue (20 s of a
 * 100/s ping); here it is paid once, at open. */
static void ring_touch(struct afp_priv *p, struct afp_queue *q)
{
	unsigned b, s;

	for (b = 0; b < q->block_nr; b++) {
		uint8_t *blk = q->ring + (size_t)b * q->block_size;

		if (p->v3) {
			struct tpacket_block_desc *bd = (struct tpacket_block_desc *)blk;

			__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
					 __ATOMIC_RELAXED);
			continue;
		}
		for (s = 0; s < q->frames_per_block; s++) {
			struct tpacket2_hdr *h =
				(struct tpacket2_hdr *)(blk + (size_t)s * q->frame_size);

			__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELAXED);
		}
	}
}

/* Open queue qi's socket and ring and bind it. `hook` false binds for no
 * EtherType, so it receives nothing (an interface that is down: see open). */
static int queue_open(struct fl_port *port, unsigned qi, bool hook, char *err, size_t errlen)
{
	struct afp_priv *p = port->priv;
	struct afp_queue *q = &p->q[qi];
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = p->ifindex};
	struct tpacket_req3 req;
	const char *what;
	int ret;

	q->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "afpacket: '%s': cannot open a packet socket: %s%s",
			 p->ifname, strerror(-ret),
			 ret == -EPERM || ret == -EACCES ? " (needs root or CAP_NET_RAW)" : "");
		return ret;
	}
	what = "PACKET_VERSION";
	ret = sockopt(q->fd, SOL_PACKET, PACKET_VERSION, p->v3 ? TPACKET_V3 : TPACKET_V2);
	if (ret < 0)
		goto err_close;
	/* before the ring: the kernel sizes ring frames with the header in mind */
	what = "PACKET_VNET_HDR";
	ret = sockopt(q->fd, SOL_PACKET, PACKET_VNET_HDR, 1);
	if (ret < 0)
		goto err_close;
	if (!p->v3) {
		/* frames larger than a V2 slot also go to the socket queue */
		what = "PACKET_COPY_THRESH";
		ret = sockopt(q->fd, SOL_PACKET, PACKET_COPY_THRESH, 1);
		if (ret < 0)
			goto err_close;
		what = "PACKET_AUXDATA";
		ret = sockopt(q->fd, SOL_PACKET, PACKET_AUXDATA, 1);
		if (ret < 0)
			goto err_close;
		/* FORCE passes rmem_max with CAP_NET_ADMIN; without, take the default */
		if (sockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, AFP_SOCKBUF) < 0)
			(void)sockopt(q->fd, SOL_SOCKET, SO_RCVBUF, AFP_SOCKBUF);
	}
	if (sockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, AFP_SOCKBUF) < 0)
		(void)sockopt(q->fd, SOL_SOCKET, SO_SNDBUF, AFP_SOCKBUF);
	what = "PACKET_QDISC_BYPASS";
	ret = sockopt(q->fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
	if (ret < 0)
		goto err_close;
	what = "PACKET_IGNORE_OUTGOING";
	ret = sockopt(q->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	if (ret < 0)
		goto err_close;

	ring_request(p, q, &req);
	what = "PACKET_RX_RING";
	if (setsockopt(q->fd, SOL_PACKET, PACKET_RX_RING, &req,
		       p->v3 ? sizeof(req) : sizeof(struct tpacket_req)) < 0) {
		ret = -errno;
		goto err_close;
	}
	q->ring = mmap(NULL, q->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       q->fd, 0);
	if (q->ring == MAP_FAILED) {
		q->ring = NULL;
		ret = -errno;
		what = "mmap of the ring";
		goto err_close;
	}
	ring_touch(p, q);
	sll.sll_protocol = hook ? fl_htons(ETH_P_ALL) : 0;
	what = "bind";
	if (bind(q->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (qi == 0) {
		struct packet_mreq mr = {.mr_ifindex = p->ifindex, .mr_type = PACKET_MR_PROMISC};

		what = "PACKET_ADD_MEMBERSHIP (promiscuous)";
		if (setsockopt(q->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			ret = -errno;
			goto err_close;
		}
	}
	return 0;

err_close:
	snprintf(err, errlen, "afpacket: '%s' queue %u: %s: %s", p->ifname, qi, what,
		 strerror(-ret));
	queue_close(q);
	return ret;
}

/* Put every queue's socket into one hash fanout group. The first joins with
 * FLAG_UNIQUEID and learns the id the kernel picked; the others join it. */
static int join_fanout(struct afp_priv *p, char *err, size_t errlen)
{
	unsigned mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG, qi;
	socklen_t len = sizeof(int);
	int val;

	val = (int)((mode | PACKET_FANOUT_FLAG_UNIQUEID) << 16);
	if (setsockopt(p->q[0].fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) < 0 ||
	    getsockopt(p->q[0].fd, SOL_PACKET, PACKET_FANOUT, &val, &len) < 0)
		goto err;
	p->fanout_id = (uint16_t)(val & 0xffff);
	for (qi = 1; qi < p->n_queues; qi++) {
		val = (int)(mode << 16 | p->fanout_id);
		if (setsockopt(p->q[qi].fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) < 0)
			goto err;
	}
	return 0;

err:
	snprintf(err, errlen, "afpacket: '%s': joining a fanout group: %s", p->ifname,
		 strerror(errno));
	return -errno;
}

/* Look the interface up: ifindex, flags, MTU, link type. */
static int query_iface(struct afp_priv *p, unsigned *flags, unsigned *mtu, char *err,
		       size_t errlen)
{
	struct ifreq ifr;
	int ret;

	ret = ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFINDEX, &ifr);
	if (ret < 0) {
		if (ret == -ENODEV)
			snprintf(err, errlen, "afpacket: no such interface '%s'", p->ifname);
		else
			snprintf(err, errlen, "afpacket: '%s': %s", p->ifname, strerror(-ret));
		return ret;
	}
	p->ifindex = ifr.ifr_ifindex;
	if ((ret = ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFHWADDR, &ifr)) < 0)
		goto err;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, errlen, "afpacket: '%s' is not an Ethernet interface (link type %u)",
			 p->ifname, ifr.ifr_hwaddr.sa_family);
		return -EINVAL;
	}
	if ((ret = ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFMTU, &ifr)) < 0)
		goto err;
	*mtu = (unsigned)ifr.ifr_mtu;
	if ((ret = ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFFLAGS, &ifr)) < 0)
		goto err;
	*flags = (unsigned short)ifr.ifr_flags;
	return 0;

err:
	snprintf(err, errlen, "afpacket: '%s': %s", p->ifname, strerror(-ret));
	return ret;
}

static void close_queues(struct afp_priv *p)
{
	unsigned qi;

	for (qi = 0; qi < p->n_queues; qi++)
		queue_close(&p->q[qi]);
}

/* Build every queue. An interface that is down cannot take a fanout group
 * (the kernel wants a running socket), and sockets bound for every
 * EtherType would each get every frame once it comes up; so a multi-queue
 * port opened while down binds for nothing and waits for reopen. */
static int open_queues(struct fl_port *port, char *err, size_t errlen)
{
	struct afp_priv *p = port->priv;
	unsigned flags, mtu, qi;
	bool hook;
	int ret;

	ret = query_iface(p, &flags, &mtu, err, errlen);
	if (ret < 0)
		return ret;
	if (p->mtu_from_iface)
		port->mtu = (uint16_t)FL_MAX(AFP_MTU_MIN, FL_MIN(mtu, AFP_MTU_MAX));
	hook = p->n_queues == 1 || (flags & IFF_UP);
	for (qi = 0; qi < p->n_queues; qi++) {
		ret = queue_open(port, qi, hook, err, errlen);
		if (ret < 0)
			goto err_close;
	}
	if (hook && p->n_queues > 1) {
		ret = join_fanout(p, err, errlen);
		if (ret < 0)
			goto err_close;
	}
	p->pending = !hook;
	return 0;

err_close:
	close_queues(p);
	return ret;
}

static int afp_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		    size_t errlen)
{
	struct afp_priv *p = port->priv;
	const char *iface = fl_port_arg(args, ""), *rx = fl_port_arg(args, "rx");
	uint64_t queues;
	unsigned qi;
	int ret;

	if (!iface || !*iface) {
		snprintf(err, errlen, "port spec '%s': missing interface name", port->spec);
		return -EINVAL;
	}
	if (strlen(iface) >= IFNAMSIZ) {
		snprintf(err, errlen, "afpacket: interface name '%s' too long (at most %u characters)",
			 iface, IFNAMSIZ - 1);
		return -EINVAL;
	}
	ret = fl_port_arg_u64(args, "queues", 1, 0, UINT64_MAX, &queues, err, errlen);
	if (ret < 0)
		return ret;
	if (queues < 1 || queues > FL_PORT_MAX_QUEUES) {
		snprintf(err, errlen, "afpacket: queues: 1 to %u (got %llu)", FL_PORT_MAX_QUEUES,
			 (unsigned long long)queues);
		return -EINVAL;
	}
	if (rx && strcmp(rx, "v2") && strcmp(rx, "v3")) {
		snprintf(err, errlen, "afpacket: rx: '%s' is not v2 or v3", rx);
		return -EINVAL;
	}
	snprintf(p->ifname, sizeof(p->ifname), "%s", iface);
	p->v3 = rx ? !strcmp(rx, "v3") : AFP_RX_V3_DEFAULT;
	p->n_queues = (unsigned)queues;
	p->mtu_from_iface = !fl_port_arg(args, "mtu");

	/* for interface ioctls; a packet socket of protocol 0 receives nothing */
	p->ctl_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->ctl_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "afpacket: cannot open a packet socket: %s%s",
			 strerror(-ret),
			 ret == -EPERM || ret == -EACCES ? " (needs root or CAP_NET_RAW)" : "");
		return ret;
	}
	ret = -ENOMEM;
	p->q = aligned_alloc(FL_CACHE_LINE, p->n_queues * sizeof(*p->q));
	if (!p->q) {
		snprintf(err, errlen, "afpacket: out of memory");
		goto err_close_ctl;
	}
	memset(p->q, 0, p->n_queues * sizeof(*p->q));
	for (qi = 0; qi < p->n_queues; qi++) {
		p->q[qi].fd = -1;
		afp_tx_init(&p->q[qi]);
	}
	if (!p->v3) {
		for (qi = 0; qi < p->n_queues; qi++) {
			p->q[qi].big = malloc(AFP_BIG_SIZE);
			if (!p->q[qi].big) {
				snprintf(err, errlen, "afpacket: out of memory");
				goto err_free_queues;
			}
		}
	}
	ret = open_queues(port, err, errlen);
	if (ret < 0)
		goto err_free_queues;
	port->n_rxq = p->n_queues;
	port->n_txq = p->n_queues;
	/* the virtio-net header hands both to the kernel (or the NIC) */
	port->tx_offloads = FL_PORT_TX_CSUM | FL_PORT_TX_TSO;
	return 0;

err_free_queues:
	for (qi = 0; qi < p->n_queues; qi++)
		free(p->q[qi].big);
	free(p->q);
	p->q = NULL;
err_close_ctl:
	close(p->ctl_fd);
	return ret;
}

/* Frames segmented but not yet handed out go back to the pool. */
static void free_stashes(struct fl_port *port)
{
	struct afp_priv *p = port->priv;
	struct fl_pool_cache *c = NULL;
	unsigned qi;

	for (qi = 0; qi < p->n_queues; qi++) {
		struct afp_queue *q = &p->q[qi];

		if (!q->stash_len)
			continue;
		if (!c) {
			c = malloc(sizeof(*c));
			if (!c) {
				FL_LOG(FL_LOG_ERR, "%s: out of memory: %u buffers not returned",
				       port->name, q->stash_len);
				continue;
			}
			fl_pool_cache_init(c, port->pool, 0);
		}
		fl_pool_put_bulk(c, q->stash + q->stash_head, q->stash_len);
		q->stash_len = 0;
	}
	if (c) {
		fl_pool_cache_flush(c);
		free(c);
	}
}

static void afp_close(struct fl_port *port)
{
	struct afp_priv *p = port->priv;
	unsigned qi;

	close_queues(p);
	free_stashes(port);
	for (qi = 0; qi < p->n_queues; qi++)
		free(p->q[qi].big);
	free(p->q);
	close(p->ctl_fd);
}

static int afp_reopen(struct fl_port *port, char *err, size_t errlen)
{
	struct afp_priv *p = port->priv;
	int ret;

	close_queues(p);
	ret = open_queues(port, err, errlen);
	if (ret < 0)
		return ret; /* queues stay closed: rx finds nothing, tx counts link_down */
	p->down_reported = false;
	FL_LOG(FL_LOG_INFO, "%s: reopened on '%s' (ifindex %d, %u queue%s)", port->name,
	       p->ifname, p->ifindex, p->n_queues, p->n_queues > 1 ? "s" : "");
	return 0;
}

static bool afp_link_up(struct fl_port *port)
{
	struct afp_priv *p = port->priv;
	struct ifreq ifr;
	bool up, stale;

	up = ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFINDEX, &ifr) == 0;
	stale = up && (ifr.ifr_ifindex != p->ifindex || p->pending);
	up = up && ifreq_ioctl(p->ctl_fd, p->ifname, SIOCGIFFLAGS, &ifr) == 0 &&
	     (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	/* sockets on a vanished ifindex: "down" once, so the caller reopens
	 * when it then sees "up" */
	if (up && stale && !p->down_reported)
		up = false;
	if (!up)
		p->down_reported = true;
	else if (!stale)
		p->down_reported = false;
	return up;
}

static int afp_wait_fd(struct fl_port *port, unsigned queue)
{
	struct afp_priv *p = port->priv;

	return p->q[queue].fd;
}

static void afp_stats(struct fl_port *port, struct fl_port_stats *st)
{
	struct afp_priv *p = port->priv;
	unsigned qi;

	for (qi = 0; qi < p->n_queues; qi++) {
		read_kernel_drops(&p->q[qi]);
		st->rx_drops[FL_PORT_DROP_RX_FULL] += p->q[qi].kernel_drops;
	}
}

static const char *const afp_keys[] = {"", "queues", "rx", NULL};

const struct fl_port_ops fl_port_afpacket_ops = {
	.type = "afpacket",
	.usage = "afpacket:IFACE[,queues=N][,rx=v2|v3]",
	.keys = afp_keys,
	.priv_size = sizeof(struct afp_priv),
	.open = afp_open,
	.close = afp_close,
	.rx_burst = afp_rx_burst,
	.tx_burst = afp_tx_burst,
	.link_up = afp_link_up,
	.wait_fd = afp_wait_fd,
	.stats = afp_stats,
	.reopen = afp_reopen,
};
