/* The ring port: `ring:NAME[,size=N]` — an in-process cable for tests.
 *
 * The first open of NAME creates a pair of SPSC rings; the second attaches
 * as the other end. What one end transmits, the other receives: buffer
 * pointers move through the ring, the frames are not copied. A third open of
 * a NAME whose two ends are both open is an error; a closed end can be
 * opened again.
 *
 *   end 0  tx ──► ring[0] ──► rx  end 1
 *          rx ◄── ring[1] ◄── tx
 *
 * size (a power of two, default 1024) is the capacity of each direction;
 * tx on a full ring takes what fits and the caller counts the rest as
 * tx_full. Link is up while both ends are open. There is no fd to sleep on.
 *
 * Pairs live in a registry behind a mutex: open and close are control path.
 * Frames still queued when an end closes are returned to their pool (the
 * receiving end drains its direction; the last end drains both).
 */
#include "port/port.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ring.h"

#define FL_LOG_MODULE "port_ring"
#define RING_NAME_MAX 32
#define RING_SIZE_DEFAULT 1024u
#define RING_SIZE_MAX (1u << 20)

struct ring_pair {
	struct ring_pair *next;
	char name[RING_NAME_MAX];
	unsigned size;
	struct fl_ring *ring[2];  /* ring[s]: frames sent by end s */
	struct fl_port *end[2];   /* open ends; read by link_up without the lock */
	struct fl_pool *pool[2];  /* each end's pool, to return queued frames to */
	struct fl_pool_cache cache[2]; /* for those returns (close only) */
};

struct ring_priv {
	struct fl_ring *rx, *tx;
	struct ring_pair *pair;
	unsigned side;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ring_pair *registry;

static struct ring_pair *pair_find(const char *name)
{
	struct ring_pair *p;

	for (p = registry; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static struct ring_pair *pair_create(const char *name, unsigned size)
{
	struct ring_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->size = size;
	p->ring[0] = fl_ring_create(size, FL_RING_SPSC);
	if (!p->ring[0])
		goto err_free_pair;
	p->ring[1] = fl_ring_create(size, FL_RING_SPSC);
	if (!p->ring[1])
		goto err_destroy_ring0;
	p->next = registry;
	registry = p;
	return p;

err_destroy_ring0:
	fl_ring_destroy(p->ring[0]);
err_free_pair:
	free(p);
	return NULL;
}

/* Return every frame queued on `r` to the pool it came from. Only the pools
 * of the two ends are known here; a frame from any other pool is leaked
 * (and logged) rather than put into the wrong pool. */
static void drain(struct ring_pair *p, struct fl_ring *r)
{
	struct fl_pkt *pkts[64];
	unsigned n, i, s;

	for (s = 0; s < 2; s++)
		if (p->pool[s])
			fl_pool_cache_init(&p->cache[s], p->pool[s], 0);
	while ((n = fl_ring_dequeue_burst(r, (void **)pkts, FL_ARRAY_SIZE(pkts))) > 0) {
		for (i = 0; i < n; i++) {
			for (s = 0; s < 2; s++) {
				if (p->pool[s] && pkts[i]->pool_id == p->pool[s]->id) {
					fl_pool_put(&p->cache[s], pkts[i]);
					break;
				}
			}
			if (s == 2)
				FL_LOG(FL_LOG_ERR, "ring %s: buffer %u of pool %u has no known pool",
				       p->name, pkts[i]->idx, pkts[i]->pool_id);
		}
	}
	for (s = 0; s < 2; s++)
		if (p->pool[s])
			fl_pool_cache_flush(&p->cache[s]);
}

static int ring_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		     size_t errlen)
{
	struct ring_priv *priv = port->priv;
	const char *name = fl_port_arg(args, "");
	struct ring_pair *p;
	uint64_t size;
	unsigned side;
	int ret;

	if (!name) {
		snprintf(err, errlen, "port spec '%s': missing ring name", port->spec);
		return -EINVAL;
	}
	if (strlen(name) >= RING_NAME_MAX) {
		snprintf(err, errlen, "ring: name '%s' too long (at most %u characters)", name,
			 RING_NAME_MAX - 1);
		return -EINVAL;
	}
	ret = fl_port_arg_u64(args, "size", RING_SIZE_DEFAULT, 2, RING_SIZE_MAX, &size, err,
			      errlen);
	if (ret < 0)
		return ret;
	if (!fl_is_pow2(size)) {
		snprintf(err, errlen, "ring: option size: %llu is not a power of two",
			 (unsigned long long)size);
		return -EINVAL;
	}

	pthread_mutex_lock(&registry_lock);
	p = pair_find(name);
	if (!p) {
		p = pair_create(name, (unsigned)size);
		if (!p) {
			snprintf(err, errlen, "ring '%s': out of memory for 2 x %llu slots", name,
				 (unsigned long long)size);
			ret = -ENOMEM;
			goto out_unlock;
		}
	} else if (p->end[0] && p->end[1]) {
		snprintf(err, errlen, "ring '%s': both ends are already open", name);
		ret = -EBUSY;
		goto out_unlock;
	} else if (fl_port_arg(args, "size") && size != p->size) {
		snprintf(err, errlen, "ring '%s': size %llu differs from the %u of the open end",
			 name, (unsigned long long)size, p->size);
		ret = -EINVAL;
		goto out_unlock;
	}
	side = p->end[0] ? 1 : 0;
	priv->pair = p;
	priv->side = side;
	priv->tx = p->ring[side];
	priv->rx = p->ring[!side];
	p->pool[side] = port->pool;
	/* release pairs with the acquire in the peer's ring_link_up: an end seen
	 * up is fully attached */
	__atomic_store_n(&p->end[side], port, __ATOMIC_RELEASE);
	ret = 0;
out_unlock:
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

static void ring_close(struct fl_port *port)
{
	struct ring_priv *priv = port->priv;
	struct ring_pair *p = priv->pair, **pp;

	pthread_mutex_lock(&registry_lock);
	__atomic_store_n(&p->end[priv->side], NULL, __ATOMIC_RELEASE);
	/* this end was the only consumer of its rx ring: nobody else frees those */
	drain(p, priv->rx);
	if (!p->end[!priv->side]) {
		drain(p, priv->tx);
		for (pp = &registry; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		fl_ring_destroy(p->ring[0]);
		fl_ring_destroy(p->ring[1]);
		free(p);
	}
	pthread_mutex_unlock(&registry_lock);
}

static unsigned ring_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	struct ring_priv *priv = port->priv;
	unsigned got, i;

	(void)queue;
	(void)cache;
	got = fl_ring_dequeue_burst(priv->rx, (void **)pkts, n);
	/* crossing the cable forgets what the sender's pipeline learnt about the
	 * frame; data, length, timestamp and offload flags travel with it */
	for (i = 0; i < got; i++) {
		struct fl_pkt *pkt = pkts[i];

		pkt->l2_5_ofs = FL_OFS_NONE;
		pkt->l3_ofs = FL_OFS_NONE;
		pkt->l4_ofs = FL_OFS_NONE;
		pkt->l7_ofs = FL_OFS_NONE;
		pkt->flow_hash = 0;
		pkt->rss_hash = 0;
		pkt->ol_flags &= (uint16_t)~FL_OL_RSS_VALID;
	}
	return got;
}

static unsigned ring_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	struct ring_priv *priv = port->priv;

	(void)queue;
	(void)cache;
	return fl_ring_enqueue_burst(priv->tx, (void *const *)pkts, n);
}

static bool ring_link_up(struct fl_port *port)
{
	struct ring_priv *priv = port->priv;

	return __atomic_load_n(&priv->pair->end[!priv->side], __ATOMIC_ACQUIRE) != NULL;
}

static const char *const ring_keys[] = {"", "size", NULL};

const struct fl_port_ops fl_port_ring_ops = {
	.type = "ring",
	.usage = "ring:NAME[,size=N]",
	.keys = ring_keys,
	.priv_size = sizeof(struct ring_priv),
	.open = ring_open,
	.close = ring_close,
	.rx_burst = ring_rx_burst,
	.tx_burst = ring_tx_burst,
	.link_up = ring_link_up,
};
