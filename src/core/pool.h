/* Packet buffer pool: one region of fixed slots, a shared free ring, and
 * per-thread caches in front of it.
 *
 *              region (one mmap, hugepages when reserved)
 *   +--------+--------+--------+-----     -----+--------+
 *   | slot 0 | slot 1 | slot 2 |     ...       | slot N-1|   FL_PKT_SLOT_SIZE each
 *   +--------+--------+--------+-----     -----+--------+
 *
 *   free ring (MPMC, N slots)  <-- refill / spill -->  fl_pool_cache (one per thread)
 *
 * A thread gets and puts through its own fl_pool_cache: a stack of free
 * buffers it touches without atomics. Only when the stack runs dry (or
 * overflows) does it move a chunk to or from the shared ring, so the cost of
 * the ring's CAS is paid once per chunk, not once per packet.
 *
 * Exhaustion is not an error: get returns fewer buffers and counts the
 * shortfall; a receiving port counts the frames it could not take as
 * "no buffer" drops. Debug builds (no NDEBUG) catch a double put or a put to
 * the wrong pool: the buffer is not re-added, the put is counted and logged.
 */
#ifndef FL_CORE_POOL_H
#define FL_CORE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/counter.h"
#include "core/pkt.h"
#include "core/ring.h"

#define FL_POOL_CACHE_SIZE_DEFAULT 256u
#define FL_POOL_CACHE_SIZE_MAX 512u
#define FL_POOL_CACHE_BIG 4u /* big buffers a cache keeps (see fl_pool_cache_get_big) */

enum fl_pool_huge {
	FL_POOL_HUGE_AUTO = 0, /* hugepages when reserved, else normal pages */
	FL_POOL_HUGE_NEVER,
	FL_POOL_HUGE_ALWAYS,   /* fail if hugepages cannot be had */
};

struct fl_pool_params {
	const char *name;      /* for logs and stats */
	unsigned n_bufs;       /* number of slots, > 0 */
	enum fl_pool_huge huge;
	bool big;              /* FL_PKT_BIG_SLOT_SIZE slots (see fl_pool_attach_big) */
};

struct fl_pool {
	uint8_t *region;       /* slot 0; page (or hugepage) aligned */
	size_t region_len;     /* bytes mapped */
	unsigned n_bufs;
	uint32_t id;           /* stamped into each fl_pkt.pool_id */
	bool hugepages;        /* region is on hugepages */
	char name[32];
	struct fl_ring *free_ring; /* MPMC, n_bufs slots */
	size_t slot_size;      /* FL_PKT_SLOT_SIZE or FL_PKT_BIG_SLOT_SIZE */
	struct fl_pool *big;   /* companion pool of big buffers, or NULL */
	uint64_t big_short;    /* fl_pool_get_big found none (updated atomically) */
	uint64_t bad_puts;     /* puts caught by debug checks (updated atomically) */
};

/* A thread's private cache. Lives in the thread's own memory (embed it in the
 * worker structure); never shared. Counters are readable by other threads. */
struct fl_pool_cache {
	struct fl_pool *pool;
	unsigned len;          /* buffers on the stack */
	unsigned size;         /* refill target; spill above 2*size */
	uint64_t gets;         /* buffers handed out */
	uint64_t puts;         /* buffers taken back */
	uint64_t short_gets;   /* buffers asked for but not available */
	unsigned n_big;        /* big buffers on big[] */
	struct fl_pkt *big[FL_POOL_CACHE_BIG];
	struct fl_pkt *stack[2 * FL_POOL_CACHE_SIZE_MAX + 64];
};

struct fl_pool_stats {
	unsigned n_bufs;
	unsigned in_ring;      /* free in the shared ring (caches hold more) */
	uint64_t bad_puts;
	bool hugepages;
	size_t region_len;
};

/* Create a pool; NULL with errno set (ENOMEM, EINVAL). */
struct fl_pool *fl_pool_create(const struct fl_pool_params *params);
/* Destroy a pool. Every cache must have been flushed. */
void fl_pool_destroy(struct fl_pool *pool);
void fl_pool_get_stats(const struct fl_pool *pool, struct fl_pool_stats *st);

/* Slot by index and index by slot. */
static inline struct fl_pkt *fl_pool_pkt(const struct fl_pool *pool, uint32_t idx)
{
	return (struct fl_pkt *)(pool->region + (size_t)idx * pool->slot_size);
}

/* Big buffers. A pool of normal buffers can have a companion pool of big
 * ones; fl_pool_get_big takes one (reset, or NULL when there is no companion
 * or none is free: counted) straight from the companion's shared ring — one
 * atomic operation per big frame, which carries up to 64 KiB. A big buffer
 * goes back through any cache's put (fl_pool_put_bulk).
 *
 * fl_pool_cache_get_big serves from the cache first: a cache keeps the last
 * FL_POOL_CACHE_BIG big buffers put to it, last in first out. The shared
 * ring is first in first out, so without the cache every super-frame would
 * be written into the coldest of all the big buffers (8 MiB of them by
 * default, far more than a core's L2) instead of the one just sent, whose
 * lines are still in this core's cache. */
void fl_pool_attach_big(struct fl_pool *pool, struct fl_pool *big);
struct fl_pkt *fl_pool_get_big(struct fl_pool *pool);
struct fl_pkt *fl_pool_cache_get_big(struct fl_pool_cache *c);
void fl_pool__put_big(struct fl_pkt *pkt);
void fl_pool__put_big_cached(struct fl_pool_cache *c, struct fl_pkt *pkt);

/* Attach a cache to a pool; size 0 means the default. */
void fl_pool_cache_init(struct fl_pool_cache *c, struct fl_pool *pool, unsigned size);
/* Return every cached buffer to the shared ring (before a thread exits). */
void fl_pool_cache_flush(struct fl_pool_cache *c);

/* Slow paths of get and put, out of line. */
unsigned fl_pool__refill(struct fl_pool_cache *c, unsigned want);
void fl_pool__spill(struct fl_pool_cache *c);
bool fl_pool__check_put(struct fl_pool_cache *c, struct fl_pkt *pkt);

/* Get up to n buffers, each reset for a new frame (fl_pkt_reset). Returns how
 * many (0..n); a shortfall is counted in c->short_gets. */
static inline unsigned fl_pool_get_burst(struct fl_pool_cache *c, struct fl_pkt **pkts,
					 unsigned n)
{
	unsigned i;

	if (FL_UNLIKELY(c->len < n)) {
		unsigned got = fl_pool__refill(c, n);

		if (got < n) {
			fl_counter_add(&c->short_gets, n - got);
			n = got;
		}
	}
	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = c->stack[--c->len];

#ifndef NDEBUG
		if (pkt->state != FL_PKT_STATE_FREE)
			__builtin_trap(); /* a buffer on the free list is in use: memory corruption */
		pkt->state = FL_PKT_STATE_USED;
#endif
		fl_pkt_reset(pkt);
		pkts[i] = pkt;
	}
	fl_counter_add(&c->gets, n);
	return n;
}

/* Return n buffers to the pool. Never fails. */
static inline void fl_pool_put_bulk(struct fl_pool_cache *c, struct fl_pkt *const *pkts,
				    unsigned n)
{
	while (n > 0) {
		/* the stack has room for 64 above the spill mark: move at most that */
		unsigned chunk = n < 64 ? n : 64, i, taken = 0;

		for (i = 0; i < chunk; i++) {
			if (FL_UNLIKELY(pkts[i]->big)) {
				fl_pool__put_big_cached(c, pkts[i]);
				continue;
			}
#ifndef NDEBUG
			if (!fl_pool__check_put(c, pkts[i]))
				continue;
#endif
			c->stack[c->len++] = pkts[i];
			taken++;
		}
		fl_counter_add(&c->puts, taken);
		if (FL_UNLIKELY(c->len > 2 * c->size))
			fl_pool__spill(c);
		pkts += chunk;
		n -= chunk;
	}
}

static inline void fl_pool_put(struct fl_pool_cache *c, struct fl_pkt *pkt)
{
	fl_pool_put_bulk(c, &pkt, 1);
}

#endif
