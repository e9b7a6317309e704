/* Pool creation, the per-thread cache's slow paths, and debug checks.
 * The get/put fast path is inline in pool.h. */
#include "core/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"

#define FL_LOG_MODULE "pool"
#define HUGE_2M (2u << 20)

static uint32_t next_pool_id = 1;

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Write one byte of every 4 KiB page from user space. The kernel's populate
 * (MAP_POPULATE, MADV_POPULATE_WRITE) fills the page tables, but under a
 * hypervisor that shadows them the first user write to each 4 KiB page can
 * still trap: 13-25 us a page on this project's VMs, measured (on a
 * transparent huge page, once per 2 MiB). Paid here, at start, rather than
 * by the first packets through each buffer. */
static void touch_pages(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 4096)
		((volatile uint8_t *)p)[i] = 0;
}

/* Normal pages, laid out for transparent huge pages: 2 MiB aligned and
 * advised before the first touch, so the kernel can back the region with
 * huge pages from the start (populating first, then advising, leaves 4 KiB
 * pages that khugepaged may or may not collapse some day). Buffers of a
 * pool are touched at random by the port copies; a 64 KiB super-frame
 * alone spans 16 small pages. Regions under 2 MiB are not worth the slack.
 * Without THP (mode "never") this is plain memory. */
static void *map_thp(size_t len, size_t *mapped)
{
	size_t align = len >= HUGE_2M ? HUGE_2M : 4096, total;
	uint8_t *raw, *p;

	len = (len + align - 1) & ~(align - 1);
	total = len + align - 4096; /* room to slide to an aligned start */
	raw = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	/* keep the aligned part, give back the slack on both sides */
	p = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	if (raw + total > p + len)
		munmap(p + len, (size_t)(raw + total - (p + len)));
	madvise(p, len, MADV_HUGEPAGE);
	/* populate now, as MAP_POPULATE did: no page faults on the data path */
	(void)madvise(p, len, MADV_POPULATE_WRITE);
	touch_pages(p, len);
	*mapped = len;
	return p;
}

static void *map_region(size_t len, enum fl_pool_huge huge, size_t *mapped, bool *on_huge)
{
	void *p;

	if (huge != FL_POOL_HUGE_NEVER) {
		size_t hlen = (len + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);

		p = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (p != MAP_FAILED) {
			touch_pages(p, hlen);
			*mapped = hlen;
			*on_huge = true;
			return p;
		}
		if (huge == FL_POOL_HUGE_ALWAYS)
			return NULL;
		FL_LOG(FL_LOG_DEBUG, "no hugepages for %zu bytes (%s), using normal pages",
		       hlen, strerror(errno));
	}
	p = map_thp(len, mapped);
	if (!p)
		return NULL;
	*on_huge = false;
	return p;
}

struct fl_pool *fl_pool_create(const struct fl_pool_params *params)
{
	struct fl_pool *pool;
	unsigned ring_size = 1, i;
	size_t len;

	if (!params || params->n_bufs == 0 || params->n_bufs > FL_RING_SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	snprintf(pool->name, sizeof(pool->name), "%s", params->name ? params->name : "pool");
	pool->n_bufs = params->n_bufs;
	pool->id = __atomic_fetch_add(&next_pool_id, 1, __ATOMIC_RELAXED);

	pool->slot_size = params->big ? FL_PKT_BIG_SLOT_SIZE : FL_PKT_SLOT_SIZE;
	len = (size_t)params->n_bufs * pool->slot_size;
	pool->region = map_region(len, params->huge, &pool->region_len, &pool->hugepages);
	if (!pool->region) {
		errno = ENOMEM;
		goto err_free_pool;
	}
	while (ring_size < params->n_bufs)
		ring_size <<= 1;
	pool->free_ring = fl_ring_create(ring_size, FL_RING_MPMC);
	if (!pool->free_ring)
		goto err_unmap;

	for (i = 0; i < params->n_bufs; i++) {
		struct fl_pkt *pkt = fl_pool_pkt(pool, i);

		pkt->idx = i;
		pkt->pool_id = pool->id;
		pkt->big = params->big;
		pkt->owner = params->big ? pool : NULL;
		pkt->state = FL_PKT_STATE_FREE;
		fl_pkt_reset(pkt);
		fl_ring_enqueue_bulk(pool->free_ring, (void **)&pkt, 1);
	}
	FL_LOG(FL_LOG_DEBUG, "%s: %u buffers, %zu bytes on %s", pool->name, pool->n_bufs,
	       pool->region_len, pool->hugepages ? "hugepages" : "normal pages");
	return pool;

err_unmap:
	munmap(pool->region, pool->region_len);
err_free_pool:
	free(pool);
	return NULL;
}

void fl_pool_destroy(struct fl_pool *pool)
{
	if (!pool)
		return;
	fl_ring_destroy(pool->free_ring);
	munmap(pool->region, pool->region_len);
	free(pool);
}

void fl_pool_get_stats(const struct fl_pool *pool, struct fl_pool_stats *st)
{
	st->n_bufs = pool->n_bufs;
	st->in_ring = fl_ring_count(pool->free_ring);
	st->bad_puts = __atomic_load_n(&pool->bad_puts, __ATOMIC_RELAXED);
	st->hugepages = pool->hugepages;
	st->region_len = pool->region_len;
}

void fl_pool_cache_init(struct fl_pool_cache *c, struct fl_pool *pool, unsigned size)
{
	memset(c, 0, offsetof(struct fl_pool_cache, stack));
	c->pool = pool;
	c->size = size == 0 ? FL_POOL_CACHE_SIZE_DEFAULT
			    : (size > FL_POOL_CACHE_SIZE_MAX ? FL_POOL_CACHE_SIZE_MAX : size);
}

void fl_pool_cache_flush(struct fl_pool_cache *c)
{
	if (c->len)
		fl_ring_enqueue_burst(c->pool->free_ring, (void **)c->stack, c->len);
	c->len = 0;
	while (c->n_big) {
		struct fl_pkt *pkt = c->big[--c->n_big];
		struct fl_pool *home = pkt->owner;

		fl_ring_enqueue_burst(home->free_ring, (void **)&pkt, 1);
	}
}

/* Fill the stack so that `want` can be served and `size` remain after. */
unsigned fl_pool__refill(struct fl_pool_cache *c, unsigned want)
{
	unsigned target = c->size + want, room = FL_ARRAY_SIZE(c->stack) - c->len;

	if (target > room + c->len)
		target = room + c->len;
	if (target > c->len)
		c->len += fl_ring_dequeue_burst(c->pool->free_ring, (void **)&c->stack[c->len],
						target - c->len);
	return c->len < want ? c->len : want;
}

/* Move everything above `size` back to the shared ring. The ring holds every
 * buffer of the pool, so this always fits. */
void fl_pool__spill(struct fl_pool_cache *c)
{
	unsigned excess = c->len - c->size;

	fl_ring_enqueue_bulk(c->pool->free_ring, (void **)&c->stack[c->size], excess);
	c->len = c->size;
}

/* Debug check of a put: the buffer belongs to this pool and is in use. */
bool fl_pool__check_put(struct fl_pool_cache *c, struct fl_pkt *pkt)
{
	struct fl_pool *pool = c->pool;
	uintptr_t off = (uintptr_t)pkt - (uintptr_t)pool->region;

	if (off >= (size_t)pool->n_bufs * pool->slot_size || off % pool->slot_size) {
		__atomic_fetch_add(&pool->bad_puts, 1, __ATOMIC_RELAXED);
		FL_LOG_RL(FL_LOG_ERR, "%s: put of %p, not a buffer of this pool", pool->name,
			  (void *)pkt);
		return false;
	}
	if (pkt->state != FL_PKT_STATE_USED) {
		__atomic_fetch_add(&pool->bad_puts, 1, __ATOMIC_RELAXED);
		FL_LOG_RL(FL_LOG_ERR, "%s: double free of buffer %u", pool->name, pkt->idx);
		return false;
	}
	pkt->state = FL_PKT_STATE_FREE;
	return true;
}

void fl_pool_attach_big(struct fl_pool *pool, struct fl_pool *big)
{
	pool->big = big;
}

/* A big buffer leaving a free list (the ring or a cache): reset for a new
 * frame; debug builds check it was free. */
static struct fl_pkt *big_taken(struct fl_pkt *pkt)
{
#ifndef NDEBUG
	if (pkt->state != FL_PKT_STATE_FREE)
		__builtin_trap(); /* a buffer on a free list is in use: memory corruption */
	pkt->state = FL_PKT_STATE_USED;
#endif
	fl_pkt_reset(pkt);
	return pkt;
}

/* A big buffer going back: debug builds refuse (count, log) a double free. */
static bool big_freed(struct fl_pkt *pkt)
{
#ifndef NDEBUG
	struct fl_pool *home = pkt->owner;

	if (pkt->state != FL_PKT_STATE_USED) {
		__atomic_fetch_add(&home->bad_puts, 1, __ATOMIC_RELAXED);
		FL_LOG_RL(FL_LOG_ERR, "%s: double free of big buffer %u", home->name, pkt->idx);
		return false;
	}
	pkt->state = FL_PKT_STATE_FREE;
#endif
	(void)pkt;
	return true;
}

struct fl_pkt *fl_pool_get_big(struct fl_pool *pool)
{
	struct fl_pkt *pkt = NULL;

	if (!pool->big || fl_ring_dequeue_burst(pool->big->free_ring, (void **)&pkt, 1) != 1) {
		__atomic_fetch_add(&pool->big_short, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return big_taken(pkt);
}

struct fl_pkt *fl_pool_cache_get_big(struct fl_pool_cache *c)
{
	return c->n_big ? big_taken(c->big[--c->n_big]) : fl_pool_get_big(c->pool);
}

/* A big buffer of this cache's companion pool stays in the cache while
 * there is room; any other goes home. */
void fl_pool__put_big_cached(struct fl_pool_cache *c, struct fl_pkt *pkt)
{
	if (c->n_big == FL_POOL_CACHE_BIG || pkt->owner != c->pool->big)
		fl_pool__put_big(pkt);
	else if (big_freed(pkt))
		c->big[c->n_big++] = pkt;
}

void fl_pool__put_big(struct fl_pkt *pkt)
{
	struct fl_pool *home = pkt->owner;

	if (big_freed(pkt))
		fl_ring_enqueue_burst(home->free_ring, (void **)&pkt, 1);
}
