/* Private to the AF_XDP port: port_afxdp.c (open, close, the datapath) and
 * port_afxdp_setup.c (sockets, UMEM and XDP program through libxdp, and
 * taking them down again). See port_afxdp.c for the design.
 */
#ifndef FL_PORT_AFXDP_PRIVATE_H
#define FL_PORT_AFXDP_PRIVATE_H

#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

#include "port/port.h"

#define XQ_RING_SIZE 2048u  /* each of the four rings, in descriptors */
#define XQ_FILL_BATCH 32u   /* refill the fill ring in steps of at least this */
#define XQ_BUSY_TRIES 50    /* x 20 ms: the kernel frees a closed socket's queue late */
#define XQ_BURST_MAX 64u    /* frames per rx or tx call */

_Static_assert(FL_PKT_META_SIZE + FL_PKT_HEADROOM == XDP_PACKET_HEADROOM,
	       "the kernel writes frames where a slot's data room starts");

enum xdp_mode { XMODE_AUTO, XMODE_NATIVE, XMODE_SKB };
enum xdp_zc { XZC_AUTO, XZC_YES, XZC_NO };

/* Receive side of a queue: used by the thread polling rx queue i. */
struct xq_rx {
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fill;
	uint64_t *owned;      /* bit per slot: in the fill ring or being received into */
	unsigned n_owned;
	unsigned fill_target; /* slots to keep with the kernel */
} FL_CACHE_ALIGNED;

/* Transmit side: used by the thread sending on tx queue i. */
struct xq_tx {
	struct xsk_ring_prod tx;
	struct xsk_ring_cons comp;
	uint64_t *owned;      /* bit per slot: on the tx ring or sent, not yet completed */
	unsigned n_owned;
	struct fl_pool_cache *cache; /* UMEM slots when the caller's cache is another pool's */
} FL_CACHE_ALIGNED;

struct xq {
	struct xq_rx r;
	struct xq_tx t;
	struct xsk_socket *xsk; /* NULL while torn down */
	int fd;
};

struct afxdp_priv {
	char ifname[IF_NAMESIZE];
	unsigned n_queues;
	enum xdp_mode mode;
	enum xdp_zc zc;
	bool native, zerocopy;  /* what the last setup got */
	int ifindex;            /* the interface the sockets are bound to; 0 when none */
	bool replaced_told;     /* link_up has reported a replaced interface down once */
	int ctl_fd;             /* for interface ioctls */
	size_t map_words;
	struct xsk_umem *umem;
	struct xq *q;
	struct fl_pool_cache *ctl; /* moves slots on the control path (setup, teardown) */
	struct xdp_statistics gone; /* counters of sockets since closed */
};

/* Slot bitmaps: bit i is slot i of the pool. */
static inline bool bit_test(const uint64_t *map, uint64_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static inline void bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ull << (i % 64);
}

static inline void bit_clear(uint64_t *map, uint64_t i)
{
	map[i / 64] &= ~(1ull << (i % 64));
}

static inline uint64_t slot_addr(const struct fl_pkt *pkt)
{
	return (uint64_t)pkt->idx * FL_PKT_SLOT_SIZE;
}

/* Top the fill ring up to the queue's target from `c`, in steps of at most
 * 64 (what a pool cache hands out cheaply). */
static inline void fl_afxdp_fill(struct xq_rx *r, struct fl_pool_cache *c)
{
	struct fl_pkt *bufs[64];
	unsigned want, got, i;
	uint32_t at;

	while (r->n_owned < r->fill_target) {
		want = FL_MIN(r->fill_target - r->n_owned, (unsigned)FL_ARRAY_SIZE(bufs));
		got = fl_pool_get_burst(c, bufs, want);
		/* the ring holds fill_target >= n_owned entries: reserve cannot fail */
		if (got == 0 || xsk_ring_prod__reserve(&r->fill, got, &at) != got) {
			fl_pool_put_bulk(c, bufs, got);
			return;
		}
		for (i = 0; i < got; i++) {
			*xsk_ring_prod__fill_addr(&r->fill, at + i) = slot_addr(bufs[i]);
			bit_set(r->owned, bufs[i]->idx);
		}
		xsk_ring_prod__submit(&r->fill, got);
		r->n_owned += got;
	}
}

/* Route libxdp's and libbpf's messages to our log (once per process). */
void fl_afxdp_lib_init(void);
/* An ioctl on the port's interface by name (SIOCGIFFLAGS, SIOCGIFMTU...). */
int fl_afxdp_if_ioctl(struct afxdp_priv *priv, unsigned long req, struct ifreq *ifr);
/* Bind every queue's socket to the interface, loading the XDP program, and
 * give the kernel its fill buffers. 0, or a negative errno with a message;
 * on failure nothing is left behind. */
int fl_afxdp_setup(struct fl_port *port, char *err, size_t errlen);
/* Close every socket and the UMEM, and give every slot the kernel held back
 * to the pool. Safe on a port that is partly or not at all set up. */
void fl_afxdp_teardown(struct fl_port *port);
/* Add the kernel's counters of socket fd (XDP_STATISTICS) to *sum. */
void fl_afxdp_stats_add(struct xdp_statistics *sum, int fd);

#endif
