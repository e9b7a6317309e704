/* Ports: where packets come from and go to.
 *
 * A port is opened from one spec string, "TYPE:ARGS", where ARGS is a comma
 * separated list of key=value options and at most one bare value first
 * ("pcap:in.pcap,loop=inf", "gen:flows=1024,size=64", "ring:a"). Every
 * backend is one file implementing the small ops table below, listed in one
 * array in port.c. Every backend also accepts mtu=N (68 to 2030, default
 * 1500), which port.c handles; numbers take k/M/G (x1000) suffixes.
 *
 * Queues: a port has n_rxq receive and n_txq transmit queues. Each queue is
 * served by exactly one thread at a time (the worker it is assigned to), so
 * its counters and any backend state behind it need no locks.
 *
 * Ownership: rx_burst hands the caller buffers it got from the caller's pool
 * cache. tx_burst takes the buffers it accepts (the first k of n) and returns
 * them to the pool when sent; the rest stay with the caller. fl_port_tx_burst
 * wraps that so a caller never leaks: what the backend refuses is dropped and
 * counted as "tx_full".
 */
#ifndef FL_PORT_PORT_H
#define FL_PORT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counter.h"
#include "core/pkt.h"
#include "core/pool.h"
#include "core/ring.h"

#define FL_PORT_NAME_MAX 32
#define FL_PORT_SPEC_MAX 256
#define FL_PORT_MAX_QUEUES 64
#define FL_PORT_MAX_ARGS 16

/* Drop reasons, counted per queue. */
#define FL_PORT_DROPS(X)                                                     \
	X(NO_BUFFER, "no_buffer", "no free buffer to receive into")          \
	X(RX_FULL, "rx_full", "receive queue full: the worker fell behind")  \
	X(TX_FULL, "tx_full", "transmit queue full")                         \
	X(MALFORMED, "malformed", "malformed frame")                         \
	X(TOO_BIG, "too_big", "frame longer than the port MTU or buffer")    \
	X(LINK_DOWN, "link_down", "port down")                               \
	X(RX_ERROR, "rx_error", "receive error")                             \
	X(TX_ERROR, "tx_error", "send error")                                \
	X(NO_ROUTE, "no_output", "no output for the frame")

enum fl_port_drop {
#define FL_PORT_DROP_ENUM(name, key, text) FL_PORT_DROP_##name,
	FL_PORT_DROPS(FL_PORT_DROP_ENUM)
#undef FL_PORT_DROP_ENUM
	FL_PORT_DROP_MAX
};

const char *fl_port_drop_name(enum fl_port_drop d); /* "tx_full" */
const char *fl_port_drop_text(enum fl_port_drop d); /* "transmit queue full" */

/* Counters of one queue, written only by the thread serving it. */
struct fl_port_qstats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops[FL_PORT_DROP_MAX];
} FL_CACHE_ALIGNED;

struct fl_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_drops[FL_PORT_DROP_MAX];
	uint64_t tx_drops[FL_PORT_DROP_MAX];
};

/* A parsed spec: "pcap:in.pcap,loop=3" -> type "pcap", args {"", "in.pcap"},
 * {"loop", "3"}. A bare value has the empty key. */
struct fl_port_args {
	char type[16];
	unsigned n;
	struct {
		char key[32];
		char value[FL_PORT_SPEC_MAX];
	} kv[FL_PORT_MAX_ARGS];
};

struct fl_port;

/* Offloads a port's transmit side accepts (port->tx_offloads): frames with a
 * partial L4 checksum (FL_OL_CSUM_PARTIAL) and super-frames to be segmented
 * (FL_OL_GSO_*), passed on to the kernel in a virtio-net header. For any
 * other port the datapath completes checksums and segments in software
 * first (datapath/offload.c). */
#define FL_PORT_TX_CSUM (1u << 0)
#define FL_PORT_TX_TSO (1u << 1)

struct fl_port_ops {
	const char *type;  /* spec prefix */
	const char *usage; /* one line: "pcap:FILE[,loop=N|inf][,tx=FILE]" */
	const char *const *keys; /* NULL-terminated option keys it accepts; "" = bare value */
	size_t priv_size;  /* backend state, zeroed, at port->priv */

	/* Set up: read args, set n_rxq/n_txq (default 1 each), acquire resources.
	 * Returns 0 or a negative errno with a message in err. name, spec, pool,
	 * mtu and priv are set; rxq/txq are allocated after open returns (their
	 * size is what open decides), so open must not touch them. */
	int (*open)(struct fl_port *port, const struct fl_port_args *args, char *err,
		    size_t errlen);
	void (*close)(struct fl_port *port);

	/* Receive up to n frames into buffers from `cache`. Never blocks. */
	unsigned (*rx_burst)(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n);
	/* Send up to n frames; returns how many it took (and will free). */
	unsigned (*tx_burst)(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n);

	/* Optional. Link state: true if up. NULL means always up. Called by the
	 * control thread (about once a second) while workers use the queues, so it
	 * only looks (ioctl, if_nametoindex), never changes queue state. */
	bool (*link_up)(struct fl_port *port);
	/* Optional. An fd that becomes readable when rx queue `queue` has frames,
	 * for sleeping in epoll when idle; -1 (or NULL op) if there is none. */
	int (*wait_fd)(struct fl_port *port, unsigned queue);
	/* Optional. Add backend-specific counters (kernel drops...) to *st. */
	void (*stats)(struct fl_port *port, struct fl_port_stats *st);
	/* Optional, kernel-interface backends. After link_up said the interface
	 * was gone (deleted, moved away) and it is back under the same name:
	 * re-acquire what open acquired (socket, ring, ifindex) with the same
	 * queue counts. Called from the control thread while no worker uses the
	 * port's queues. 0, or a negative errno with a message (try again later). */
	int (*reopen)(struct fl_port *port, char *err, size_t errlen);
};

struct fl_port_rxq {
	struct fl_port_qstats stats;
	bool eof; /* a finite source (pcap read once, gen count=N) is exhausted */
};

struct fl_port_txq {
	struct fl_port_qstats stats;
	int lock; /* taken per burst when workers share the queue (tx_shared) */
};

struct fl_port {
	char name[FL_PORT_NAME_MAX];
	char spec[FL_PORT_SPEC_MAX];
	uint32_t port_no;       /* OpenFlow port number */
	const struct fl_port_ops *ops;
	struct fl_pool *pool;   /* buffers the port receives into */
	unsigned n_rxq, n_txq;
	uint16_t mtu;           /* largest L3 payload the port sends; frames above are dropped */
	char error[256];        /* last fatal error of a backend (a pcap file cut short...) */
	uint32_t tx_offloads;   /* FL_PORT_TX_*: what tx_burst takes as is (set by open) */
	/* Set by the datapath's control thread, read by workers per burst: */
	uint8_t down;           /* link down or interface gone: tx drops as link_down */
	uint8_t tx_shared;      /* more workers than tx queues: tx takes txq->lock */
	struct fl_port_rxq *rxq;
	struct fl_port_txq *txq;
	void *priv;
};

/* Parse "TYPE:ARGS" into *args. Returns 0 or -EINVAL with a message. */
int fl_port_parse_spec(const char *spec, struct fl_port_args *args, char *err, size_t errlen);
/* Look up an option; NULL if absent. key "" is the bare value. */
const char *fl_port_arg(const struct fl_port_args *args, const char *key);
/* Parse an unsigned option within [min, max]; absent gives `def`. Returns 0 or
 * -EINVAL with "TYPE: option KEY: ..." in err. */
int fl_port_arg_u64(const struct fl_port_args *args, const char *key, uint64_t def,
		    uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* The value parser behind fl_port_arg_u64, for parts of a value ("size=64-128"):
 * decimal with an optional k, M or G (x1000) suffix. */
int fl_port_parse_u64(const char *type, const char *key, const char *value, uint64_t min,
		      uint64_t max, uint64_t *out, char *err, size_t errlen);

/* Open a port from a spec. NULL with a message in err (errno set) on failure:
 * unknown type, unknown option, bad value, resource errors. */
struct fl_port *fl_port_open(const char *name, uint32_t port_no, const char *spec,
			     struct fl_pool *pool, char *err, size_t errlen);
void fl_port_close(struct fl_port *port);

/* Backend lookup and listing (for --help). */
const struct fl_port_ops *fl_port_backend(const char *type);
const struct fl_port_ops *const *fl_port_backends(unsigned *n);

void fl_port_get_stats(struct fl_port *port, struct fl_port_stats *st);
bool fl_port_link_up(struct fl_port *port);
int fl_port_wait_fd(struct fl_port *port, unsigned queue);
bool fl_port_rx_eof(const struct fl_port *port); /* every rx queue at eof */

/* Receive: stamps in_port and queue on each frame and counts. */
static inline unsigned fl_port_rx_burst(struct fl_port *port, unsigned queue,
					struct fl_pool_cache *cache, struct fl_pkt **pkts,
					unsigned n)
{
	struct fl_port_qstats *st = &port->rxq[queue].stats;
	unsigned got = port->ops->rx_burst(port, queue, cache, pkts, n), i;
	uint64_t bytes = 0;

	for (i = 0; i < got; i++) {
		pkts[i]->in_port = port->port_no;
		pkts[i]->queue = (uint16_t)queue;
		bytes += pkts[i]->len;
	}
	fl_counter_add(&st->packets, got);
	fl_counter_add(&st->bytes, bytes);
	return got;
}

/* Transmit all n frames or drop the rest: afterwards the caller owns none of
 * them. Returns how many the backend took. */
static inline unsigned fl_port__tx_burst(struct fl_port *port, unsigned queue,
					 struct fl_pool_cache *cache, struct fl_pkt **pkts,
					 unsigned n)
{
	struct fl_port_qstats *st = &port->txq[queue].stats;
	uint64_t bytes = 0, unsent_bytes = 0;
	unsigned sent, i;

	/* lengths before the call: the backend may recycle what it sends */
	for (i = 0; i < n; i++)
		bytes += pkts[i]->len;
	sent = port->ops->tx_burst(port, queue, cache, pkts, n);
	if (FL_UNLIKELY(sent < n)) {
		for (i = sent; i < n; i++)
			unsent_bytes += pkts[i]->len;
		fl_counter_add(&st->drops[FL_PORT_DROP_TX_FULL], n - sent);
		fl_pool_put_bulk(cache, pkts + sent, n - sent);
	}
	fl_counter_add(&st->packets, sent);
	fl_counter_add(&st->bytes, bytes - unsent_bytes);
	return sent;
}

static inline unsigned fl_port_tx_burst(struct fl_port *port, unsigned queue,
					struct fl_pool_cache *cache, struct fl_pkt **pkts,
					unsigned n)
{
	unsigned sent;

	if (n == 0)
		return 0;
	if (FL_UNLIKELY(__atomic_load_n(&port->down, __ATOMIC_RELAXED))) {
		fl_counter_add(&port->txq[queue].stats.drops[FL_PORT_DROP_LINK_DOWN], n);
		fl_pool_put_bulk(cache, pkts, n);
		return 0;
	}
	if (FL_LIKELY(!port->tx_shared))
		return fl_port__tx_burst(port, queue, cache, pkts, n);
	/* a queue two workers share: one burst at a time (a lock per burst,
	 * never per packet; the switch only shares when queues are scarce) */
	while (__atomic_exchange_n(&port->txq[queue].lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&port->txq[queue].lock, __ATOMIC_RELAXED))
			fl_ring_pause();
	sent = fl_port__tx_burst(port, queue, cache, pkts, n);
	__atomic_store_n(&port->txq[queue].lock, 0, __ATOMIC_RELEASE);
	return sent;
}

/* Count a drop on an rx or tx queue. */
static inline void fl_port_count_rx_drop(struct fl_port *port, unsigned queue,
					 enum fl_port_drop why, uint64_t n)
{
	fl_counter_add(&port->rxq[queue].stats.drops[why], n);
}

static inline void fl_port_count_tx_drop(struct fl_port *port, unsigned queue,
					 enum fl_port_drop why, uint64_t n)
{
	fl_counter_add(&port->txq[queue].stats.drops[why], n);
}

/* Backends (one file each). */
extern const struct fl_port_ops fl_port_pcap_ops;
extern const struct fl_port_ops fl_port_gen_ops;
extern const struct fl_port_ops fl_port_null_ops;
extern const struct fl_port_ops fl_port_ring_ops;
extern const struct fl_port_ops fl_port_tap_ops;
extern const struct fl_port_ops fl_port_afpacket_ops;
extern const struct fl_port_ops fl_port_afxdp_ops; /* only with FL_HAVE_AFXDP */

#endif
