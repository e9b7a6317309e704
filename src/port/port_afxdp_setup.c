/* AF_XDP port setup: the UMEM, one socket per queue and libxdp's XDP
 * program, through libxdp; and taking them down, giving the pool back every
 * slot the kernel held. Control path only. See port_afxdp.c for the design.
 */
#include "port/port_afxdp_private.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "core/log.h"

#define FL_LOG_MODULE "port_afxdp"

/* ---- libxdp and libbpf messages ---------------------------------------- */

/* Both libraries print to stderr by default. Their messages go to our log at
 * debug level instead, and the last warning is kept for error messages. */
static pthread_mutex_t lib_msg_lock = PTHREAD_MUTEX_INITIALIZER;
static char lib_msg[200];
static pthread_once_t lib_print_once = PTHREAD_ONCE_INIT;

static void lib_log(bool warn, const char *fmt, va_list ap)
{
	char line[sizeof(lib_msg)];
	size_t len;

	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	FL_LOG(FL_LOG_DEBUG, "%s", line);
	if (warn) {
		pthread_mutex_lock(&lib_msg_lock);
		memcpy(lib_msg, line, len + 1);
		pthread_mutex_unlock(&lib_msg_lock);
	}
}

static int xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	lib_log(level == LIBXDP_WARN, fmt, ap);
	return 0;
}

static int bpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	lib_log(level == LIBBPF_WARN, fmt, ap);
	return 0;
}

static void lib_print_init(void)
{
	libxdp_set_print(xdp_print);
	libbpf_set_print(bpf_print);
}

void fl_afxdp_lib_init(void)
{
	pthread_once(&lib_print_once, lib_print_init);
}

/* Copy out and forget the last warning; buf NULL just forgets it. */
static void lib_msg_take(char *buf, size_t len)
{
	pthread_mutex_lock(&lib_msg_lock);
	if (buf)
		snprintf(buf, len, "%s", lib_msg);
	lib_msg[0] = '\0';
	pthread_mutex_unlock(&lib_msg_lock);
}

/* Give every slot marked in `map` back to the pool through `c`; clears it. */
static void give_back(struct fl_pool *pool, uint64_t *map, size_t words,
		      struct fl_pool_cache *c)
{
	size_t w;

	for (w = 0; w < words; w++) {
		while (map[w]) {
			unsigned b = (unsigned)__builtin_ctzll(map[w]);

			map[w] &= map[w] - 1;
			fl_pool_put(c, fl_pool_pkt(pool, (uint32_t)(w * 64 + b)));
		}
	}
}

/* ---- the interface ------------------------------------------------------ */

int fl_afxdp_if_ioctl(struct afxdp_priv *priv, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", priv->ifname);
	return ioctl(priv->ctl_fd, req, ifr) < 0 ? -errno : 0;
}

/* Receive queues the interface has now (1 for a driver without channels). */
static int if_rx_queues(struct afxdp_priv *priv)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr = {.ifr_data = (void *)&ch};
	int ret = fl_afxdp_if_ioctl(priv, SIOCETHTOOL, &ifr);

	if (ret == -EOPNOTSUPP)
		return 1;
	if (ret < 0)
		return ret;
	return (int)FL_MAX(ch.rx_count + ch.combined_count, 1u);
}

static bool if_is_veth(struct afxdp_priv *priv)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {.ifr_data = (void *)&info};

	return fl_afxdp_if_ioctl(priv, SIOCETHTOOL, &ifr) == 0 && !strcmp(info.driver, "veth");
}

/* A message for a failure of the kernel or libxdp while setting up. */
static int explain(struct fl_port *port, int ret, const char *what, char *err, size_t errlen)
{
	struct afxdp_priv *priv = port->priv;
	char msg[sizeof(lib_msg)];

	lib_msg_take(msg, sizeof(msg));
	if (ret == -EPERM || ret == -EACCES)
		snprintf(err, errlen,
			 "afxdp: %s: permission denied (AF_XDP needs CAP_NET_RAW, the XDP "
			 "program CAP_NET_ADMIN and CAP_BPF: run as root)", priv->ifname);
	else if (ret == -EAFNOSUPPORT)
		snprintf(err, errlen, "afxdp: this kernel has no AF_XDP sockets "
			 "(CONFIG_XDP_SOCKETS)");
	else if (ret == -EBUSY)
		snprintf(err, errlen, "afxdp: %s: %s: busy (another AF_XDP socket or XDP "
			 "program in another mode uses it)%s%s", priv->ifname, what,
			 msg[0] ? "; libxdp: " : "", msg);
	else if (ret == -EOPNOTSUPP && priv->zc == XZC_YES)
		snprintf(err, errlen, "afxdp: %s: %s: no zero-copy support in this driver "
			 "(use zerocopy=auto)", priv->ifname, what);
	else if (ret == -ENOMEM || ret == -ENOBUFS)
		snprintf(err, errlen, "afxdp: %s: %s: %s (pinning the pool needs "
			 "RLIMIT_MEMLOCK, ulimit -l, or CAP_IPC_LOCK)", priv->ifname, what,
			 strerror(-ret));
	else
		snprintf(err, errlen, "afxdp: %s: %s: %s%s%s", priv->ifname, what,
			 strerror(-ret), msg[0] ? "; libxdp: " : "", msg);
	return ret;
}

/* ---- setup and teardown ------------------------------------------------- */

static uint32_t bind_flags(struct fl_port *port)
{
	struct afxdp_priv *priv = port->priv;

	if (priv->zc == XZC_YES)
		return XDP_USE_NEED_WAKEUP | XDP_ZEROCOPY;
	if (priv->zc == XZC_NO || !port->pool->hugepages)
		return XDP_USE_NEED_WAKEUP | XDP_COPY;
	return XDP_USE_NEED_WAKEUP; /* the kernel tries zero-copy, then copy */
}

/* Create the socket of queue i (i = 0 also registers the UMEM and loads the
 * program in `xdp_flags` mode), retrying while the kernel still holds the
 * queue for a socket closed a moment ago. */
static int socket_create(struct fl_port *port, unsigned i, uint32_t xdp_flags)
{
	struct afxdp_priv *priv = port->priv;
	struct xq *q = &priv->q[i];
	struct xsk_umem_config ucfg = {
		.fill_size = XQ_RING_SIZE,
		.comp_size = XQ_RING_SIZE,
		.frame_size = FL_PKT_SLOT_SIZE,
		.frame_headroom = 0,
		.flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
	};
	struct xsk_socket_config scfg = {
		.rx_size = XQ_RING_SIZE,
		.tx_size = XQ_RING_SIZE,
		.xdp_flags = xdp_flags,
		.bind_flags = (uint16_t)bind_flags(port),
	};
	int ret, tries;

	for (tries = 0;; tries++) {
		if (i == 0) {
			ret = xsk_umem__create(&priv->umem, port->pool->region,
					       port->pool->region_len, &q->r.fill, &q->t.comp,
					       &ucfg);
			if (ret < 0)
				return ret;
		}
		ret = xsk_socket__create_shared(&q->xsk, priv->ifname, i, priv->umem, &q->r.rx,
						&q->t.tx, &q->r.fill, &q->t.comp, &scfg);
		if (ret == 0) {
			q->fd = xsk_socket__fd(q->xsk);
			return 0;
		}
		q->xsk = NULL;
		/* a failed first socket leaves the UMEM's own fd bound: start over */
		if (i == 0) {
			xsk_umem__delete(priv->umem);
			priv->umem = NULL;
		}
		if (ret != -EBUSY || tries == XQ_BUSY_TRIES)
			return ret;
		usleep(20 * 1000);
	}
}

void fl_afxdp_stats_add(struct xdp_statistics *sum, int fd)
{
	struct xdp_statistics s = {0};
	socklen_t len = sizeof(s);

	if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &s, &len) < 0)
		return;
	sum->rx_dropped += s.rx_dropped;
	sum->rx_invalid_descs += s.rx_invalid_descs;
	sum->tx_invalid_descs += s.tx_invalid_descs;
	sum->rx_ring_full += s.rx_ring_full;
	sum->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
	sum->tx_ring_empty_descs += s.tx_ring_empty_descs;
}

void fl_afxdp_teardown(struct fl_port *port)
{
	struct afxdp_priv *priv = port->priv;
	unsigned i = priv->n_queues;

	/* the first socket's fd is the UMEM's: close it last */
	while (i-- > 0) {
		struct xq *q = &priv->q[i];

		if (!q->xsk)
			continue;
		fl_afxdp_stats_add(&priv->gone, q->fd);
		xsk_socket__delete(q->xsk);
		q->xsk = NULL;
		q->fd = -1;
	}
	if (priv->umem) {
		xsk_umem__delete(priv->umem);
		priv->umem = NULL;
	}
	/* The sockets are closed: in copy mode the kernel has stopped writing
	 * (unbinding waits for receivers in flight). A zero-copy driver lets go
	 * of its ring in work the kernel defers a little longer; nothing tells
	 * us when, so a slot may still be written briefly after reuse. */
	for (i = 0; i < priv->n_queues; i++) {
		struct xq *q = &priv->q[i];

		if (!q->r.owned || !q->t.owned || !q->t.cache)
			continue; /* open failed while allocating: nothing was handed out */
		give_back(port->pool, q->r.owned, priv->map_words, priv->ctl);
		give_back(port->pool, q->t.owned, priv->map_words, priv->ctl);
		q->r.n_owned = 0;
		q->t.n_owned = 0;
		fl_pool_cache_flush(q->t.cache);
		memset(&q->r.rx, 0, sizeof(q->r.rx));
		memset(&q->r.fill, 0, sizeof(q->r.fill));
		memset(&q->t.tx, 0, sizeof(q->t.tx));
		memset(&q->t.comp, 0, sizeof(q->t.comp));
	}
	fl_pool_cache_flush(priv->ctl);
	__atomic_store_n(&priv->ifindex, 0, __ATOMIC_RELAXED);
}

int fl_afxdp_setup(struct fl_port *port, char *err, size_t errlen)
{
	static const uint32_t modes[] = {XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE};
	struct afxdp_priv *priv = port->priv;
	struct xdp_options opts = {0};
	socklen_t optlen = sizeof(opts);
	unsigned first = priv->mode == XMODE_SKB ? 1 : 0;
	unsigned last = priv->mode == XMODE_NATIVE ? 0 : 1;
	unsigned i, m, tried = first;
	char what[64], native_err[256];
	int ifindex, nq, ret = 0;

	ifindex = (int)if_nametoindex(priv->ifname);
	if (!ifindex) {
		snprintf(err, errlen, "afxdp: no such interface '%s'", priv->ifname);
		return -ENODEV;
	}
	nq = if_rx_queues(priv);
	if (nq < 0)
		return explain(port, nq, "reading its channels (ethtool -l)", err, errlen);
	if ((unsigned)nq < priv->n_queues) {
		snprintf(err, errlen, "afxdp: %s has %d receive queue%s, queues=%u needs %u "
			 "(ethtool -L %s combined %u, or fewer queues)", priv->ifname, nq,
			 nq == 1 ? "" : "s", priv->n_queues, priv->n_queues, priv->ifname,
			 priv->n_queues);
		return -EINVAL;
	}
	lib_msg_take(NULL, 0);

	/* mode=auto: native first, skb mode where the driver has no XDP */
	for (m = first; m <= last; m++) {
		tried = m;
		ret = socket_create(port, 0, modes[m]);
		if (ret == 0 || ret == -EPERM || ret == -EACCES || ret == -EAFNOSUPPORT)
			break;
		if (m < last) {
			explain(port, ret, "queue 0 in native mode", native_err,
				sizeof(native_err));
			FL_LOG(FL_LOG_INFO, "%s; trying skb mode", native_err);
		}
	}
	if (ret < 0) {
		snprintf(what, sizeof(what), "queue 0 in %s mode", tried == 0 ? "native" : "skb");
		return explain(port, ret, what, err, errlen);
	}
	priv->native = tried == 0;
	for (i = 1; i < priv->n_queues; i++) {
		ret = socket_create(port, i, modes[tried]);
		if (ret < 0) {
			snprintf(what, sizeof(what), "queue %u", i);
			explain(port, ret, what, err, errlen);
			goto err_teardown;
		}
	}
	priv->zerocopy = getsockopt(priv->q[0].fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen) == 0 &&
			 (opts.flags & XDP_OPTIONS_ZEROCOPY);
	for (i = 0; i < priv->n_queues; i++)
		fl_afxdp_fill(&priv->q[i].r, priv->ctl);
	fl_pool_cache_flush(priv->ctl);
	__atomic_store_n(&priv->ifindex, ifindex, __ATOMIC_RELAXED);
	__atomic_store_n(&priv->replaced_told, false, __ATOMIC_RELAXED);

	FL_LOG(FL_LOG_INFO, "%s: afxdp on %s: %u queue%s, %s mode, %s", port->name,
	       priv->ifname, priv->n_queues, priv->n_queues == 1 ? "" : "s",
	       priv->native ? "native" : "skb", priv->zerocopy ? "zero-copy" : "copy");
	if (if_is_veth(priv))
		FL_LOG(FL_LOG_WARN, "%s: %s is a veth: its peer must checksum and segment in "
		       "software, or TCP and UDP from it are lost (ethtool -K PEER tx off tso "
		       "off gso off)", port->name, priv->ifname);
	else if (!priv->native)
		FL_LOG(FL_LOG_WARN, "%s: afxdp on %s in skb mode: frames over %u bytes (GRO, "
		       "TSO) are dropped", port->name, priv->ifname, FL_PKT_DATAROOM);
	return 0;

err_teardown:
	fl_afxdp_teardown(port);
	return ret;
}
