/* The TAP port: `tap:NAME[,queues=N][,up=yes|no]` — a Linux TAP device, the
 * way a VM or container gets its Ethernet link.
 *
 * Open creates the device NAME, or attaches to it if a multi-queue TAP of
 * that name exists, with one non-blocking /dev/net/tun fd per queue
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE): rx and tx queue i
 * share fd i, and the kernel spreads flows over the queues by hash. The
 * device is brought up unless up=no. It is not made persistent, so a device
 * the port created disappears when the port closes its fds; one it attached
 * to (persistent, or held open by someone else) stays.
 *
 * Every frame carries a struct virtio_net_hdr (TUNSETVNETHDRSZ: 10 bytes,
 * the plain header, in both directions) and the device is told we handle
 * partial checksums and TCP/UDP segmentation (TUNSETOFFLOAD: CSUM, TSO4,
 * TSO6, TSO_ECN, and USO4/USO6 where the kernel has them). So the kernel
 * neither checksums nor segments what it sends us: TCP from the host side
 * arrives as frames of up to 64 KiB. rx reads each frame with one readv into
 * [header | a pool buffer's data room | the rest of a per-queue 64 KiB
 * buffer]; a frame that fits a buffer costs no copy, a larger (GSO) one is
 * made contiguous with a 2 KiB copy and cut into MSS-sized packets by
 * fl_gso_segment(). Segments beyond the caller's burst wait in a per-queue
 * stash for the next call. A frame marked NEEDS_CSUM has its checksum
 * completed on rx, so nothing downstream sees a partial checksum. tx writes
 * each frame with one writev [header | frame]; a packet with
 * FL_OL_CSUM_PARTIAL or GSO flags passes them on in the header.
 *
 * TAP has no batch read: one syscall per frame is the price, paid once per
 * frame and never more (rx stops at EAGAIN, reads at most n frames a call).
 *
 * Frames the kernel side could not queue to us (a queue's ring full: the
 * worker fell behind) are the device's tx_dropped; the stats op reports what
 * it counted since the port attached as rx_full, kept across reopen.
 *
 * The port's MTU is the device's (SIOCGIFMTU), capped at what a buffer
 * holds; with mtu=N it is N, and a device the port creates is set to N.
 * link_up: the device under NAME is the one our queues are attached to and
 * it is IFF_UP. After `ip link del NAME` the fds are dead (EBADFD); reopen
 * creates the device again with the same queues.
 */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "proto/gso.h"
#include "proto/headers.h"

#define FL_LOG_MODULE "port_tap"

/* Kernel ABI constants newer than some distributions' headers (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
#define TAP_OFFLOADS_USO (TUN_F_USO4 | TUN_F_USO6)
/* The largest frame the kernel writes: a 64 KiB GSO packet plus L2 headers,
 * with room to spare so that a read filling it all is known to be cut. */
#define TAP_BIG_LEN (65536u + FL_PKT_DATAROOM)
#define TAP_MTU_MAX (FL_PKT_DATAROOM - 18u) /* as port.c: Ethernet + one VLAN tag */

struct tap_queue {
	int fd;                 /* rx and tx of this queue; -1 when closed */
	unsigned stash_pos;     /* next segment to hand out */
	unsigned stash_len;     /* segments in the stash */
	uint8_t *big;           /* TAP_BIG_LEN: frames above the data room */
	struct fl_pkt *stash[FL_GSO_MAX_SEGS];
};

struct tap_priv {
	char ifname[IFNAMSIZ];
	unsigned n_queues;
	bool bring_up;          /* up=yes (default) */
	bool created;           /* the device did not exist when we attached */
	int ctl;                /* AF_INET datagram socket for SIOC* ioctls */
	int ifindex;            /* of the device our fds are attached to */
	/* the device's tx_dropped: at attach, last read, and what earlier
	 * devices (before a reopen) counted while we were attached */
	uint64_t drops_base, drops_last, drops_kept;
	struct tap_queue *q;    /* n_queues, each written only by its worker */
};

static void ifr_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strlen(name) + 1); /* checked < IFNAMSIZ */
}

static int check_name(const char *name, const char *usage, char *err, size_t errlen)
{
	const char *c;

	if (!name || !*name) {
		snprintf(err, errlen, "tap: missing device name (usage: %s)", usage);
		return -EINVAL;
	}
	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "tap: device name '%s' too long (at most %u characters)",
			 name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	/* the kernel's dev_valid_name, plus '%': "tap%d" would name a different
	 * device on every reopen */
	for (c = name; *c; c++)
		if (*c == '/' || *c == ':' || *c == '%' || *c <= ' ' || *c == 0x7f)
			break;
	if (*c || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(err, errlen, "tap: '%s' is not a valid interface name", name);
		return -EINVAL;
	}
	return 0;
}

/* If NAME exists, it must be a TAP (tun driver, bus "tap"). */
static int check_existing(struct tap_priv *priv, bool *exists, char *err, size_t errlen)
{
	struct ethtool_drvinfo info;
	struct ifreq ifr;

	ifr_init(&ifr, priv->ifname);
	*exists = ioctl(priv->ctl, SIOCGIFINDEX, &ifr) == 0;
	if (!*exists)
		return 0;
	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GDRVINFO;
	ifr.ifr_data = (void *)&info;
	if (ioctl(priv->ctl, SIOCETHTOOL, &ifr) < 0 || strcmp(info.driver, "tun")) {
		snprintf(err, errlen, "tap: device '%s' exists and is not a tap (driver '%.32s')",
			 priv->ifname, info.driver[0] ? info.driver : "unknown");
		return -EEXIST;
	}
	if (strcmp(info.bus_info, "tap")) {
		snprintf(err, errlen, "tap: device '%s' exists and is a tun (layer 3) device, "
			 "not a tap", priv->ifname);
		return -EEXIST;
	}
	return 0;
}

/* Settings of the device (not of one fd): header size, offloads, MTU, up. */
static int configure(struct fl_port *port, int fd, bool created, unsigned want_mtu,
		     char *err, size_t errlen)
{
	struct tap_priv *priv = port->priv;
	int hdr_len = sizeof(struct virtio_net_hdr), e;
	struct ifreq ifr;
	const char *what;

	what = "set the virtio-net header size";
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		goto err;
	/* USO arrived in Linux 6.2; older kernels refuse the whole set */
	what = "set offloads";
	if (ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS | TAP_OFFLOADS_USO) < 0 &&
	    ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS) < 0)
		goto err;
	ifr_init(&ifr, priv->ifname);
	what = "get the ifindex";
	if (ioctl(priv->ctl, SIOCGIFINDEX, &ifr) < 0)
		goto err;
	priv->ifindex = ifr.ifr_ifindex;
	if (created && want_mtu) {
		ifr.ifr_mtu = (int)want_mtu;
		what = "set the MTU";
		if (ioctl(priv->ctl, SIOCSIFMTU, &ifr) < 0)
			goto err;
	}
	if (priv->bring_up) {
		what = "bring it up";
		if (ioctl(priv->ctl, SIOCGIFFLAGS, &ifr) < 0)
			goto err;
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(priv->ctl, SIOCSIFFLAGS, &ifr) < 0)
			goto err;
	}
	return 0;
err:
	e = errno;
	snprintf(err, errlen, "tap: '%s': cannot %s: %s", priv->ifname, what, strerror(e));
	return -e;
}

/* Open n_queues fds on NAME (creating it if absent) into fds[] and set the
 * device up. On failure nothing is left open. */
static int attach(struct fl_port *port, int *fds, unsigned want_mtu, char *err, size_t errlen)
{
	struct tap_priv *priv = port->priv;
	struct ifreq ifr;
	unsigned i;
	bool exists;
	int ret;

	ret = check_existing(priv, &exists, err, errlen);
	if (ret < 0)
		return ret;
	for (i = 0; i < priv->n_queues; i++) {
		fds[i] = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fds[i] < 0) {
			ret = -errno;
			snprintf(err, errlen, "tap: /dev/net/tun: %s", strerror(errno));
			goto err_close;
		}
		ifr_init(&ifr, priv->ifname);
		ifr.ifr_flags = TAP_FLAGS;
		if (ioctl(fds[i], TUNSETIFF, &ifr) < 0) {
			ret = -errno;
			close(fds[i]);
			if (ret == -EINVAL && exists)
				snprintf(err, errlen, "tap: cannot attach to '%s': not a multi-queue "
					 "tap (create it with 'ip tuntap add ... multi_queue')",
					 priv->ifname);
			else
				snprintf(err, errlen, "tap: cannot %s '%s' (queue %u): %s",
					 exists ? "attach to" : "create", priv->ifname, i,
					 strerror(-ret));
			goto err_close;
		}
	}
	ret = configure(port, fds[0], !exists, want_mtu, err, errlen);
	if (ret < 0)
		goto err_close;
	priv->created = !exists;
	return 0;

err_close:
	/* closing the last fd of a device we created removes it again */
	while (i--)
		close(fds[i]);
	return ret;
}

/* The device's tx_dropped, from /proc/net/dev: /proc/net is the calling
 * thread's network namespace, as the device is (sysfs need not be). */
static bool read_tx_dropped(const char *ifname, uint64_t *v)
{
	FILE *f = fopen("/proc/net/dev", "re");
	size_t n = strlen(ifname);
	unsigned long long c[12];
	bool found = false;
	char line[512];

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (strncmp(p, ifname, n) || p[n] != ':')
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast,
		 * then tx: bytes packets errs drop ... */
		found = sscanf(p + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			       &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9],
			       &c[10], &c[11]) == 12;
	}
	fclose(f);
	if (found)
		*v = c[11];
	return found;
}

/* Start counting the drops of the device just attached. */
static void drops_attached(struct tap_priv *priv)
{
	priv->drops_kept += priv->drops_last - priv->drops_base;
	if (!read_tx_dropped(priv->ifname, &priv->drops_base))
		priv->drops_base = 0;
	priv->drops_last = priv->drops_base;
}

static void tap_stats(struct fl_port *port, struct fl_port_stats *st)
{
	struct tap_priv *priv = port->priv;
	uint64_t v;

	/* a device deleted and made again under the name counts from 0 */
	if (read_tx_dropped(priv->ifname, &v) && v >= priv->drops_base)
		priv->drops_last = v;
	st->rx_drops[FL_PORT_DROP_RX_FULL] += priv->drops_kept + priv->drops_last -
					      priv->drops_base;
}

static void stash_free(struct fl_port *port)
{
	struct tap_priv *priv = port->priv;
	struct fl_pool_cache *c = NULL;
	unsigned i;

	for (i = 0; i < priv->n_queues; i++) {
		struct tap_queue *q = &priv->q[i];

		if (q->stash_pos == q->stash_len)
			continue;
		if (!c) {
			c = malloc(sizeof(*c));
			if (!c) {
				FL_LOG(FL_LOG_ERR, "%s: out of memory: leaking stashed segments",
				       port->name);
				return;
			}
			fl_pool_cache_init(c, port->pool, 0);
		}
		fl_pool_put_bulk(c, q->stash + q->stash_pos, q->stash_len - q->stash_pos);
		q->stash_pos = q->stash_len = 0;
	}
	if (c) {
		fl_pool_cache_flush(c);
		free(c);
	}
}

static void free_queues(struct tap_priv *priv)
{
	unsigned i;

	for (i = 0; priv->q && i < priv->n_queues; i++) {
		if (priv->q[i].fd >= 0)
			close(priv->q[i].fd);
		free(priv->q[i].big);
	}
	free(priv->q);
	priv->q = NULL;
}

static int tap_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		    size_t errlen)
{
	struct tap_priv *priv = port->priv;
	const char *name = fl_port_arg(args, ""), *up = fl_port_arg(args, "up");
	bool mtu_given = fl_port_arg(args, "mtu") != NULL;
	int fds[FL_PORT_MAX_QUEUES];
	struct ifreq ifr;
	uint64_t queues;
	unsigned i;
	int ret;

	ret = check_name(name, port->ops->usage, err, errlen);
	if (ret < 0)
		return ret;
	ret = fl_port_arg_u64(args, "queues", 1, 1, FL_PORT_MAX_QUEUES, &queues, err, errlen);
	if (ret < 0)
		return ret;
	if (up && strcmp(up, "yes") && strcmp(up, "no")) {
		snprintf(err, errlen, "tap: option up: '%s' is not yes or no", up);
		return -EINVAL;
	}
	memcpy(priv->ifname, name, strlen(name) + 1);
	priv->n_queues = (unsigned)queues;
	priv->bring_up = !up || !strcmp(up, "yes");

	priv->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (priv->ctl < 0) {
		ret = -errno;
		snprintf(err, errlen, "tap: control socket: %s", strerror(errno));
		return ret;
	}
	ret = -ENOMEM;
	snprintf(err, errlen, "tap: out of memory for %u queues", priv->n_queues);
	priv->q = calloc(priv->n_queues, sizeof(*priv->q));
	if (!priv->q)
		goto err_close_ctl;
	for (i = 0; i < priv->n_queues; i++)
		priv->q[i].fd = -1;
	for (i = 0; i < priv->n_queues; i++) {
		priv->q[i].big = malloc(TAP_BIG_LEN);
		if (!priv->q[i].big)
			goto err_free_queues;
	}
	err[0] = '\0';
	ret = attach(port, fds, mtu_given ? port->mtu : 0, err, errlen);
	if (ret < 0)
		goto err_free_queues;
	for (i = 0; i < priv->n_queues; i++)
		priv->q[i].fd = fds[i];
	drops_attached(priv);

	if (!mtu_given) {
		ifr_init(&ifr, priv->ifname);
		if (ioctl(priv->ctl, SIOCGIFMTU, &ifr) < 0) {
			ret = -errno;
			snprintf(err, errlen, "tap: '%s': cannot get the MTU: %s", priv->ifname,
				 strerror(errno));
			goto err_free_queues;
		}
		if ((unsigned)ifr.ifr_mtu > TAP_MTU_MAX)
			FL_LOG(FL_LOG_WARN, "%s: device MTU %d is above the %u a buffer holds: "
			       "longer frames are dropped", port->name, ifr.ifr_mtu, TAP_MTU_MAX);
		port->mtu = (uint16_t)FL_MIN((unsigned)ifr.ifr_mtu, TAP_MTU_MAX);
	}
	port->n_rxq = port->n_txq = priv->n_queues;
	/* tx hands partial checksums and super-frames to the kernel in the
	 * virtio-net header: the datapath need not finish them (offload.c) */
	port->tx_offloads = FL_PORT_TX_CSUM | FL_PORT_TX_TSO;
	return 0;

err_free_queues:
	free_queues(priv);
err_close_ctl:
	close(priv->ctl);
	return ret;
}

static void tap_close(struct fl_port *port)
{
	struct tap_priv *priv = port->priv;

	stash_free(port);
	free_queues(priv);
	close(priv->ctl);
}

static unsigned stash_take(struct tap_queue *q, struct fl_pkt **pkts, unsigned n)
{
	unsigned k = FL_MIN(n, q->stash_len - q->stash_pos);

	memcpy(pkts, q->stash + q->stash_pos, k * sizeof(*pkts));
	q->stash_pos += k;
	if (q->stash_pos == q->stash_len)
		q->stash_pos = q->stash_len = 0;
	return k;
}

/* Cut a GSO frame of len bytes, read into pkt's data room and on into
 * q->big, into the stash; hand out what fits in `room`. */
static unsigned rx_gso(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
		       const struct virtio_net_hdr *vh, struct fl_pkt *pkt, size_t len,
		       struct fl_pkt **out, unsigned room)
{
	struct tap_queue *q = &((struct tap_priv *)port->priv)->q[queue];
	const uint8_t *frame = fl_pkt_cdata(pkt);
	int k;

	if (len > FL_PKT_DATAROOM) {
		if (FL_UNLIKELY(len >= TAP_BIG_LEN)) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_TOO_BIG, 1);
			return 0;
		}
		/* the tail is already at big + DATAROOM: prepend the head */
		memcpy(q->big, frame, FL_PKT_DATAROOM);
		frame = q->big;
	}
	k = fl_gso_segment(frame, len, vh, cache, q->stash, FL_GSO_MAX_SEGS);
	if (FL_UNLIKELY(k < 0)) {
		fl_port_count_rx_drop(port, queue,
				      k == -ENOBUFS ? FL_PORT_DROP_NO_BUFFER :
				      k == -EMSGSIZE || k == -ENOSPC ? FL_PORT_DROP_TOO_BIG :
				      FL_PORT_DROP_MALFORMED, 1);
		return 0;
	}
	q->stash_pos = 0;
	q->stash_len = (unsigned)k;
	return stash_take(q, out, room);
}

/* A GSO frame passed on whole, as the kernel built it, in a big buffer
 * (core/pool.h): its head was read into pkt's data room, its tail into
 * q->big. The datapath keeps the offload metadata and either hands the frame
 * whole to a port that takes offloads or cuts it there (datapath/offload.c).
 * NULL when there is no big buffer to be had (then it is cut here). */
static struct fl_pkt *rx_whole(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			       const struct virtio_net_hdr *vh, const struct fl_pkt *pkt, size_t len)
{
	struct tap_queue *q = &((struct tap_priv *)port->priv)->q[queue];
	struct fl_pkt *big;

	if (len > UINT16_MAX || !port->pool->big)
		return NULL;
	big = fl_pool_cache_get_big(cache);
	if (!big)
		return NULL;
	memcpy(fl_pkt_data(big), fl_pkt_cdata(pkt), FL_MIN(len, (size_t)FL_PKT_DATAROOM));
	if (len > FL_PKT_DATAROOM)
		memcpy(fl_pkt_data(big) + FL_PKT_DATAROOM, q->big + FL_PKT_DATAROOM,
		       len - FL_PKT_DATAROOM);
	big->len = (uint16_t)len;
	if (fl_vnet_hdr_to_pkt(vh, big) < 0) {
		fl_pool_put_bulk(cache, &big, 1);
		return NULL; /* rx_gso counts it as malformed */
	}
	return big;
}

static unsigned tap_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n)
{
	struct tap_queue *q = &((struct tap_priv *)port->priv)->q[queue];
	unsigned got = stash_take(q, pkts, n), reads;
	struct fl_pkt *pkt = NULL;
	struct virtio_net_hdr vh;
	struct iovec iov[3];
	ssize_t r;
	size_t len;

	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_len = FL_PKT_DATAROOM;
	iov[2].iov_base = q->big + FL_PKT_DATAROOM;
	iov[2].iov_len = TAP_BIG_LEN - FL_PKT_DATAROOM;
	/* the stash is empty whenever the loop runs: it only fills on the last
	 * frame of a call, or the one that makes got reach n */
	for (reads = 0; got < n && reads < n; reads++) {
		if (!pkt)
			fl_pool_get_burst(cache, &pkt, 1);
		/* no buffer: read the frame anyway and drop it, as a NIC does */
		iov[1].iov_base = pkt ? fl_pkt_data(pkt) : q->big;
		r = readv(q->fd, iov, 3);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EBADFD: the device is gone; link_up tells the control thread */
			if (errno != EAGAIN && errno != EBADFD)
				fl_port_count_rx_drop(port, queue, FL_PORT_DROP_RX_ERROR, 1);
			break;
		}
		if (FL_UNLIKELY(!pkt)) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_NO_BUFFER, 1);
			continue;
		}
		if (FL_UNLIKELY((size_t)r < sizeof(vh) + FL_ETH_HLEN)) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_MALFORMED, 1);
			continue;
		}
		len = (size_t)r - sizeof(vh);
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			struct fl_pkt *whole = rx_whole(port, queue, cache, &vh, pkt, len);

			if (whole) {
				pkts[got++] = whole;
				continue; /* pkt stays ours for the next read */
			}
			got += rx_gso(port, queue, cache, &vh, pkt, len, pkts + got, n - got);
			continue; /* pkt stays ours for the next read */
		}
		if (FL_UNLIKELY(len > FL_PKT_DATAROOM)) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_TOO_BIG, 1);
			continue;
		}
		pkt->len = (uint16_t)len;
		/* complete now: the rest of the switch never sees a partial sum */
		if (vh.flags && FL_UNLIKELY(fl_vnet_hdr_to_pkt(&vh, pkt) < 0 ||
					    fl_csum_complete(pkt) < 0)) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_MALFORMED, 1);
			continue;
		}
		pkts[got++] = pkt;
		pkt = NULL;
	}
	if (pkt)
		fl_pool_put(cache, pkt);
	return got;
}

static unsigned tap_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n)
{
	static const struct virtio_net_hdr plain; /* no offload: all zero */
	struct tap_queue *q = &((struct tap_priv *)port->priv)->q[queue];
	const uint16_t offload = FL_OL_CSUM_PARTIAL | FL_OL_GSO_TCP4 | FL_OL_GSO_TCP6 |
				 FL_OL_GSO_UDP;
	struct virtio_net_hdr vh;
	struct iovec iov[2];
	unsigned i;

	iov[0].iov_len = sizeof(vh);
	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = pkts[i];

		iov[0].iov_base = (void *)&plain;
		if (FL_UNLIKELY(pkt->ol_flags & offload)) {
			fl_vnet_hdr_from_pkt(pkt, &vh);
			iov[0].iov_base = &vh;
		}
		iov[1].iov_base = fl_pkt_data(pkt);
		iov[1].iov_len = pkt->len;
		if (FL_LIKELY(writev(q->fd, iov, 2) >= 0))
			continue;
		if (errno == EAGAIN)
			break; /* the caller counts the rest as tx_full */
		if (errno == EIO || errno == EBADFD) {
			/* device down (EIO) or deleted (EBADFD): so is every frame after */
			fl_port_count_tx_drop(port, queue, FL_PORT_DROP_LINK_DOWN, n - i);
			i = n;
			break;
		}
		fl_port_count_tx_drop(port, queue, FL_PORT_DROP_TX_ERROR, 1);
	}
	fl_pool_put_bulk(cache, pkts, i);
	return i;
}

static bool tap_link_up(struct fl_port *port)
{
	struct tap_priv *priv = port->priv;
	struct ifreq ifr;

	ifr_init(&ifr, priv->ifname);
	if (ioctl(priv->ctl, SIOCGIFINDEX, &ifr) < 0 || ifr.ifr_ifindex != priv->ifindex)
		return false;
	if (ioctl(priv->ctl, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	return (ifr.ifr_flags & IFF_UP) != 0;
}

static int tap_wait_fd(struct fl_port *port, unsigned queue)
{
	return ((struct tap_priv *)port->priv)->q[queue].fd;
}

static int tap_reopen(struct fl_port *port, char *err, size_t errlen)
{
	struct tap_priv *priv = port->priv;
	int fds[FL_PORT_MAX_QUEUES];
	struct ifreq ifr, cur;
	unsigned i;
	int ret;

	/* Still attached: the device exists. Under our name and ifindex there is
	 * nothing to re-acquire (it may be down: that is the admin's call); renamed
	 * or moved to another namespace, it is not ours to tear down. */
	if (ioctl(priv->q[0].fd, TUNGETIFF, &ifr) == 0) {
		ifr_init(&cur, priv->ifname);
		if (!strcmp(ifr.ifr_name, priv->ifname) &&
		    ioctl(priv->ctl, SIOCGIFINDEX, &cur) == 0 && cur.ifr_ifindex == priv->ifindex)
			return 0;
		snprintf(err, errlen, "tap: '%s': our queues are still attached to the device, "
			 "now '%s' here or in another network namespace", priv->ifname,
			 ifr.ifr_name);
		return -EBUSY;
	}
	ret = attach(port, fds, port->mtu, err, errlen);
	if (ret < 0)
		return ret;
	for (i = 0; i < priv->n_queues; i++) {
		close(priv->q[i].fd);
		priv->q[i].fd = fds[i];
	}
	drops_attached(priv);
	FL_LOG(FL_LOG_INFO, "%s: tap '%s' %s again (ifindex %d)", port->name, priv->ifname,
	       priv->created ? "created" : "attached", priv->ifindex);
	return 0;
}

static const char *const tap_keys[] = {"", "queues", "up", NULL};

const struct fl_port_ops fl_port_tap_ops = {
	.type = "tap",
	.usage = "tap:NAME[,queues=N][,up=yes|no]",
	.keys = tap_keys,
	.priv_size = sizeof(struct tap_priv),
	.open = tap_open,
	.close = tap_close,
	.rx_burst = tap_rx_burst,
	.tx_burst = tap_tx_burst,
	.link_up = tap_link_up,
	.wait_fd = tap_wait_fd,
	.reopen = tap_reopen,
	.stats = tap_stats,
};
