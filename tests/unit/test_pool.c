/* Tests of core/pool and the buffer helpers of core/pkt.h.
 *
 * Creation (normal pages, hugepages when reserved, the fallback), the slot
 * layout of pkt.h, get/put through per-thread caches with exhaustion and
 * refill, accounting (every buffer is in the ring, a cache, or handed out),
 * the reset of handed-out buffers, the headroom/tailroom edges, the debug
 * checks against double and foreign puts, and a two-thread stress where
 * buffers cross threads through an SPSC ring as they do between an rx worker
 * and a tx thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/pool.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_SCALE 10
#elif defined(__SANITIZE_ADDRESS__)
#define STRESS_SCALE 4
#else
#define STRESS_SCALE 1
#endif

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Log messages of the pool module, so the tests can check what the debug
 * checks said (and keep the test output quiet). */
static unsigned log_double_free, log_foreign;

static void log_sink(enum fl_log_level level, const char *module, const char *msg)
{
	(void)level;
	if (strcmp(module, "pool") != 0)
		return;
	if (strstr(msg, "double free"))
		log_double_free++;
	else if (strstr(msg, "not a buffer of this pool"))
		log_foreign++;
}

/* Free hugepages of the default size, from /proc/meminfo. */
static unsigned long hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long n = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

static struct fl_pool *make_pool(unsigned n, enum fl_pool_huge huge)
{
	struct fl_pool_params p = { .name = "test", .n_bufs = n, .huge = huge };
	struct fl_pool *pool = fl_pool_create(&p);

	assert_non_null(pool);
	return pool;
}

static unsigned in_ring(const struct fl_pool *pool)
{
	struct fl_pool_stats st;

	fl_pool_get_stats(pool, &st);
	return st.in_ring;
}

static uint64_t bad_puts(const struct fl_pool *pool)
{
	struct fl_pool_stats st;

	fl_pool_get_stats(pool, &st);
	return st.bad_puts;
}

/* Every buffer of the free list exactly once: take them all through a fresh
 * cache and check the indices are a permutation of 0..n-1. */
static void check_free_list_exact(struct fl_pool *pool)
{
	struct fl_pool_cache *c = malloc(sizeof(*c));
	struct fl_pkt **all = calloc(pool->n_bufs + 1, sizeof(*all));
	uint8_t *seen = calloc(pool->n_bufs, 1);
	unsigned got = 0, i;

	assert_non_null(c);
	assert_non_null(all);
	assert_non_null(seen);
	assert_int_equal(in_ring(pool), pool->n_bufs);
	fl_pool_cache_init(c, pool, 0);
	while (got < pool->n_bufs) {
		unsigned n = fl_pool_get_burst(c, all + got, 32);

		assert_true(n > 0);
		got += n;
	}
	assert_int_equal(fl_pool_get_burst(c, all + got, 1), 0);
	for (i = 0; i < got; i++) {
		assert_true(all[i]->idx < pool->n_bufs);
		assert_ptr_equal(all[i], fl_pool_pkt(pool, all[i]->idx));
		assert_int_equal(seen[all[i]->idx], 0);
		seen[all[i]->idx] = 1;
	}
	fl_pool_put_bulk(c, all, got);
	fl_pool_cache_flush(c);
	assert_int_equal(in_ring(pool), pool->n_bufs);
	free(seen);
	free(all);
	free(c);
}

/* ---- creation ---- */

static void pool_create_normal_pages(void **state)
{
	struct fl_pool *pool = make_pool(1000, FL_POOL_HUGE_NEVER);
	struct fl_pool_stats st;

	(void)state;
	fl_pool_get_stats(pool, &st);
	assert_false(st.hugepages);
	assert_int_equal(st.n_bufs, 1000);
	assert_int_equal(st.in_ring, 1000);
	assert_int_equal(st.bad_puts, 0);
	assert_true(st.region_len >= 1000 * (size_t)FL_PKT_SLOT_SIZE);
	assert_int_equal(st.region_len % 4096, 0);
	assert_int_equal((uintptr_t)pool->region % 4096, 0);
	assert_string_equal(pool->name, "test");
	fl_pool_destroy(pool);
}

/* AUTO takes hugepages when reserved and falls back to normal pages when not
 * (the usual case on a test machine: vm.nr_hugepages = 0). The reservation
 * is machine-wide and may change while we run, so it is read before and after
 * and only a stable answer is asserted on. */
static void pool_create_auto(void **state)
{
	unsigned long before = hugepages_free(), after;
	struct fl_pool *pool = make_pool(1000, FL_POOL_HUGE_AUTO);

	(void)state;
	after = hugepages_free();
	print_message("      AUTO: %lu free hugepages, pool on %s, %zu bytes\n", before,
		      pool->hugepages ? "hugepages" : "normal pages", pool->region_len);
	if (before == 0 && after == 0)
		assert_false(pool->hugepages);
	if (pool->hugepages)
		assert_int_equal(pool->region_len % (2u << 20), 0);
	assert_int_equal(in_ring(pool), 1000);
	fl_pool_destroy(pool);
}

/* ALWAYS fails with ENOMEM rather than fall back. */
static void pool_create_huge_always(void **state)
{
	struct fl_pool_params p = { .name = "huge", .n_bufs = 100, .huge = FL_POOL_HUGE_ALWAYS };
	unsigned long before = hugepages_free(), after;
	struct fl_pool *pool;

	(void)state;
	errno = 0;
	pool = fl_pool_create(&p);
	after = hugepages_free();
	print_message("      ALWAYS: %lu free hugepages, %s\n", before,
		      pool ? "created on hugepages" : "refused");
	if (!pool) {
		assert_int_equal(errno, ENOMEM);
		assert_true(before == 0 || after == 0); /* 100 buffers need one 2 MiB page */
		return;
	}
	assert_true(pool->hugepages);
	assert_int_equal(pool->region_len % (2u << 20), 0);
	fl_pool_destroy(pool);
}

static void pool_create_rejects_bad_params(void **state)
{
	struct fl_pool_params p = { .n_bufs = 0 };

	(void)state;
	errno = 0;
	assert_null(fl_pool_create(NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fl_pool_create(&p));
	assert_int_equal(errno, EINVAL);
	p.n_bufs = FL_RING_SIZE_MAX + 1;
	errno = 0;
	assert_null(fl_pool_create(&p));
	assert_int_equal(errno, EINVAL);
	fl_pool_destroy(NULL);
}

/* ---- layout ---- */

static void pool_slot_layout(void **state)
{
	struct fl_pool *pool = make_pool(300, FL_POOL_HUGE_NEVER);
	struct fl_pool *other = make_pool(1, FL_POOL_HUGE_NEVER);
	unsigned i;

	(void)state;
	assert_int_not_equal(pool->id, other->id);
	for (i = 0; i < pool->n_bufs; i++) {
		struct fl_pkt *pkt = fl_pool_pkt(pool, i);

		assert_ptr_equal(pkt, pool->region + (size_t)i * FL_PKT_SLOT_SIZE);
		assert_int_equal((uintptr_t)pkt % 64, 0);
		assert_int_equal(pkt->idx, i);
		assert_int_equal(pkt->pool_id, pool->id);
		assert_int_equal(pkt->state, FL_PKT_STATE_FREE);
		/* frame at XDP_PACKET_HEADROOM, data room up to the next slot */
		assert_int_equal(pkt->data_off, 256);
		assert_ptr_equal(fl_pkt_data(pkt), (uint8_t *)pkt + 256);
		assert_ptr_equal(fl_pkt_buf(pkt), (uint8_t *)pkt);
		assert_int_equal(fl_pkt_headroom(pkt), FL_PKT_HEADROOM);
		assert_int_equal(fl_pkt_tailroom(pkt), FL_PKT_DATAROOM);
		assert_ptr_equal(fl_pkt_data(pkt) + fl_pkt_tailroom(pkt),
				 (uint8_t *)pkt + FL_PKT_SLOT_SIZE);
	}
	assert_true(pool->region_len >= (size_t)pool->n_bufs * FL_PKT_SLOT_SIZE);
	fl_pool_destroy(other);
	fl_pool_destroy(pool);
}

/* ---- get / put ---- */

static void pool_exhaustion_and_refill(void **state)
{
	struct fl_pool *pool = make_pool(100, FL_POOL_HUGE_NEVER);
	struct fl_pool_cache *c = malloc(sizeof(*c));
	struct fl_pkt *pkts[128];
	unsigned got = 0, n;

	(void)state;
	assert_non_null(c);
	fl_pool_cache_init(c, pool, 32);
	assert_int_equal(c->size, 32);
	while ((n = fl_pool_get_burst(c, pkts + got, 32)) == 32)
		got += n;
	got += n;
	assert_int_equal(got, 100);
	assert_int_equal(n, 4);                 /* the last burst got what was left */
	assert_int_equal(c->short_gets, 28);
	assert_int_equal(fl_pool_get_burst(c, pkts + got, 5), 0);
	assert_int_equal(c->short_gets, 33);
	assert_int_equal(c->gets, 100);
	assert_int_equal(c->len, 0);
	assert_int_equal(in_ring(pool), 0);

	fl_pool_put_bulk(c, pkts, 100);
	assert_int_equal(c->puts, 100);
	assert_true(c->len <= 2 * c->size);     /* the surplus went to the ring */
	assert_int_equal(in_ring(pool) + c->len, 100);

	/* all of them again, in one burst */
	memset(pkts, 0, sizeof(pkts));
	assert_int_equal(fl_pool_get_burst(c, pkts, 100), 100);
	assert_int_equal(c->short_gets, 33);
	for (n = 0; n < 100; n++)
		fl_pool_put(c, pkts[n]);
	fl_pool_cache_flush(c);
	assert_int_equal(c->len, 0);
	check_free_list_exact(pool);
	free(c);
	fl_pool_destroy(pool);
}

/* Cache size bounds: 0 is the default, above the maximum is clamped. */
static void pool_cache_size_bounds(void **state)
{
	struct fl_pool *pool = make_pool(4, FL_POOL_HUGE_NEVER);
	struct fl_pool_cache *c = malloc(sizeof(*c));

	(void)state;
	assert_non_null(c);
	fl_pool_cache_init(c, pool, 0);
	assert_int_equal(c->size, FL_POOL_CACHE_SIZE_DEFAULT);
	fl_pool_cache_init(c, pool, 100000);
	assert_int_equal(c->size, FL_POOL_CACHE_SIZE_MAX);
	assert_ptr_equal(c->pool, pool);
	assert_int_equal(c->len + c->gets + c->puts + c->short_gets, 0);
	free(c);
	fl_pool_destroy(pool);
}

/* Two caches share the ring: what one cache spills, the other can take. */
static void pool_two_caches_share_the_ring(void **state)
{
	struct fl_pool *pool = make_pool(100, FL_POOL_HUGE_NEVER);
	struct fl_pool_cache *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct fl_pkt *pa[100], *pb[100];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	fl_pool_cache_init(a, pool, 32);
	fl_pool_cache_init(b, pool, 32);
	assert_int_equal(fl_pool_get_burst(a, pa, 100), 100);
	assert_int_equal(fl_pool_get_burst(b, pb, 1), 0);
	assert_int_equal(b->short_gets, 1);
	fl_pool_put_bulk(a, pa, 100);
	assert_int_equal(in_ring(pool) + a->len, 100);
	assert_int_equal(fl_pool_get_burst(b, pb, 50), 50);
	assert_int_equal(in_ring(pool) + a->len + b->len + 50, 100);
	fl_pool_put_bulk(b, pb, 50);
	fl_pool_cache_flush(a);
	fl_pool_cache_flush(b);
	check_free_list_exact(pool);
	free(a);
	free(b);
	fl_pool_destroy(pool);
}

/* Random gets and puts over two caches: at every step each buffer is in the
 * ring, in a cache, or held by the test, and none is held twice. */
static void pool_accounting_random(void **state)
{
	enum { N = 700 };
	struct fl_pool *pool = make_pool(N, FL_POOL_HUGE_NEVER);
	struct fl_pool_cache *c[2] = { malloc(sizeof(struct fl_pool_cache)),
				       malloc(sizeof(struct fl_pool_cache)) };
	struct fl_pkt **held = calloc(N, sizeof(*held));
	uint8_t *holding = calloc(N, 1);
	unsigned n_held = 0, step, i;

	(void)state;
	assert_non_null(c[0]);
	assert_non_null(c[1]);
	assert_non_null(held);
	assert_non_null(holding);
	rng_state = 0x5eed2001;
	fl_pool_cache_init(c[0], pool, 16);
	fl_pool_cache_init(c[1], pool, 64);
	for (step = 0; step < 20000; step++) {
		struct fl_pool_cache *cc = c[rng_next() & 1];
		unsigned k = 1 + (unsigned)(rng_next() % 100);

		if (rng_next() % 2) {
			unsigned room = N - n_held, got;

			got = fl_pool_get_burst(cc, held + n_held, k <= room ? k : room);
			for (i = n_held; i < n_held + got; i++) {
				assert_int_equal(holding[held[i]->idx], 0);
				holding[held[i]->idx] = 1;
			}
			n_held += got;
		} else {
			if (k > n_held)
				k = n_held;
			/* put the last k (any order will do for the pool) */
			for (i = n_held - k; i < n_held; i++)
				holding[held[i]->idx] = 0;
			fl_pool_put_bulk(cc, held + n_held - k, k);
			n_held -= k;
		}
		assert_true(c[0]->len <= 2 * c[0]->size);
		assert_true(c[1]->len <= 2 * c[1]->size);
		assert_int_equal(in_ring(pool) + c[0]->len + c[1]->len + n_held, N);
	}
	fl_pool_put_bulk(c[0], held, n_held);
	fl_pool_cache_flush(c[0]);
	fl_pool_cache_flush(c[1]);
	assert_int_equal(c[0]->gets + c[1]->gets, c[0]->puts + c[1]->puts);
	assert_int_equal(bad_puts(pool), 0);
	check_free_list_exact(pool);
	free(holding);
	free(held);
	free(c[0]);
	free(c[1]);
	fl_pool_destroy(pool);
}

/* A buffer handed out does not inherit anything from its previous frame. */
static void pool_get_resets_buffer(void **state)
{
	struct fl_pool *pool = make_pool(8, FL_POOL_HUGE_NEVER);
	struct fl_pool_cache *c = malloc(sizeof(*c));
	struct fl_pkt *pkt = NULL, *again = NULL;
	uint32_t idx;

	(void)state;
	assert_non_null(c);
	fl_pool_cache_init(c, pool, 4);
	assert_int_equal(fl_pool_get_burst(c, &pkt, 1), 1);
	idx = pkt->idx;
	assert_non_null(fl_pkt_prepend(pkt, 18));
	assert_non_null(fl_pkt_append(pkt, 100));
	pkt->in_port = 7;
	pkt->rss_hash = 0xdeadbeef;
	pkt->ol_flags = FL_OL_RSS_VALID | FL_OL_CSUM_GOOD;
	pkt->l2_5_ofs = 12;
	pkt->l3_ofs = 14;
	pkt->l4_ofs = 34;
	pkt->l7_ofs = 42;
	pkt->queue = 3;
	pkt->flow_hash = 0x1234;
	pkt->timestamp = 99;
	fl_pool_put(c, pkt);
	/* the cache is a stack: the same buffer comes back */
	assert_int_equal(fl_pool_get_burst(c, &again, 1), 1);
	assert_ptr_equal(again, pkt);
	assert_int_equal(again->idx, idx);
	assert_int_equal(again->pool_id, pool->id);
	assert_int_equal(again->data_off, FL_PKT_META_SIZE + FL_PKT_HEADROOM);
	assert_int_equal(again->len, 0);
	assert_int_equal(again->in_port, 0);
	assert_int_equal(again->rss_hash, 0);
	assert_int_equal(again->ol_flags, 0);
	assert_int_equal(again->l2_5_ofs, FL_OFS_NONE);
	assert_int_equal(again->l3_ofs, FL_OFS_NONE);
	assert_int_equal(again->l4_ofs, FL_OFS_NONE);
	assert_int_equal(again->l7_ofs, FL_OFS_NONE);
	assert_int_equal(again->queue, 0);
	assert_int_equal(again->flow_hash, 0);
	assert_int_equal(again->timestamp, 0);
#ifndef NDEBUG
	assert_int_equal(again->state, FL_PKT_STATE_USED);
#endif
	fl_pool_put(c, again);
	fl_pool_cache_flush(c);
	free(c);
	fl_pool_destroy(pool);
}

/* ---- frame edges ---- */

static void pkt_prepend_pull_append_edges(void **state)
{
	struct fl_pool *pool = make_pool(4, FL_POOL_HUGE_NEVER);
	struct fl_pkt *pkt = fl_pool_pkt(pool, 1);
	uint8_t *p;

	(void)state;
	fl_pkt_reset(pkt);
	/* prepend: exactly the headroom fits, one more byte does not */
	p = fl_pkt_prepend(pkt, FL_PKT_HEADROOM);
	assert_ptr_equal(p, (uint8_t *)pkt + FL_PKT_META_SIZE);
	assert_int_equal(pkt->len, FL_PKT_HEADROOM);
	assert_int_equal(fl_pkt_headroom(pkt), 0);
	assert_null(fl_pkt_prepend(pkt, 1));
	assert_int_equal(pkt->len, FL_PKT_HEADROOM);
	assert_non_null(fl_pkt_prepend(pkt, 0));

	/* pull: all of the frame, not a byte more */
	assert_null(fl_pkt_pull(pkt, pkt->len + 1));
	assert_int_equal(pkt->len, FL_PKT_HEADROOM);
	p = fl_pkt_pull(pkt, 28);
	assert_ptr_equal(p, (uint8_t *)pkt + FL_PKT_META_SIZE + 28);
	assert_int_equal(fl_pkt_headroom(pkt), 28);
	assert_non_null(fl_pkt_pull(pkt, pkt->len));
	assert_int_equal(pkt->len, 0);
	assert_int_equal(fl_pkt_headroom(pkt), FL_PKT_HEADROOM);
	assert_null(fl_pkt_pull(pkt, 1));

	/* append: exactly the tailroom fits, up to the next slot */
	fl_pkt_reset(pkt);
	assert_null(fl_pkt_append(pkt, FL_PKT_DATAROOM + 1));
	assert_int_equal(pkt->len, 0);
	p = fl_pkt_append(pkt, 1000);
	assert_ptr_equal(p, (uint8_t *)pkt + 256);
	p = fl_pkt_append(pkt, FL_PKT_DATAROOM - 1000);
	assert_ptr_equal(p, (uint8_t *)pkt + 256 + 1000);
	assert_int_equal(pkt->len, FL_PKT_DATAROOM);
	assert_int_equal(fl_pkt_tailroom(pkt), 0);
	assert_null(fl_pkt_append(pkt, 1));
	assert_non_null(fl_pkt_append(pkt, 0));

	/* pulling everything leaves the frame at the slot's end, still valid */
	assert_non_null(fl_pkt_pull(pkt, FL_PKT_DATAROOM));
	assert_int_equal(pkt->data_off, FL_PKT_SLOT_SIZE);
	assert_int_equal(fl_pkt_tailroom(pkt), 0);
	assert_null(fl_pkt_append(pkt, 1));
	assert_int_equal(fl_pkt_headroom(pkt), FL_PKT_HEADROOM + FL_PKT_DATAROOM);
	fl_pool_destroy(pool);
}

static void pkt_set_data_edges(void **state)
{
	struct fl_pool *pool = make_pool(4, FL_POOL_HUGE_NEVER);
	struct fl_pkt *pkt = fl_pool_pkt(pool, 1), *next = fl_pool_pkt(pool, 2);
	static uint8_t frame[FL_PKT_DATAROOM + 1];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	fl_pkt_reset(pkt);
	assert_non_null(fl_pkt_prepend(pkt, 50));
	assert_int_equal(fl_pkt_set_data(pkt, frame, 60), 0);
	assert_int_equal(pkt->data_off, 256); /* set_data starts over at the default */
	assert_int_equal(pkt->len, 60);
	assert_memory_equal(fl_pkt_data(pkt), frame, 60);

	assert_int_equal(fl_pkt_set_data(pkt, frame, FL_PKT_DATAROOM), 0);
	assert_int_equal(pkt->len, FL_PKT_DATAROOM);
	assert_memory_equal(fl_pkt_data(pkt), frame, FL_PKT_DATAROOM);
	assert_int_equal(fl_pkt_tailroom(pkt), 0);
	/* the next slot's metadata is untouched */
	assert_int_equal(next->idx, 2);
	assert_int_equal(next->pool_id, pool->id);
	assert_int_equal(next->state, FL_PKT_STATE_FREE);

	assert_int_equal(fl_pkt_set_data(pkt, frame, FL_PKT_DATAROOM + 1), -EMSGSIZE);
	assert_int_equal(pkt->len, FL_PKT_DATAROOM); /* a rejected copy changes nothing */
	assert_int_equal(fl_pkt_set_data(pkt, frame, 0), 0);
	assert_int_equal(pkt->len, 0);
	fl_pool_destroy(pool);
}

/* ---- debug checks ---- */

static void pool_double_put_caught(void **state)
{
	struct fl_pool *pool;
	struct fl_pool_cache *c;
	struct fl_pkt *p[2], *dup[2];
	uint64_t puts;

	(void)state;
#ifdef NDEBUG
	skip();
#endif
	/* 10 buffers, a 16-slot ring: a duplicate would fit and show in the count */
	pool = make_pool(10, FL_POOL_HUGE_NEVER);
	c = malloc(sizeof(*c));
	assert_non_null(c);
	fl_pool_cache_init(c, pool, 4);
	log_double_free = 0;
	assert_int_equal(fl_pool_get_burst(c, p, 2), 2);
	fl_pool_put(c, p[0]);
	puts = c->puts;
	fl_pool_put(c, p[0]);
	assert_int_equal(bad_puts(pool), 1);
	assert_int_equal(c->puts, puts);
	/* the same buffer twice in one bulk: the second is refused */
	dup[0] = dup[1] = p[1];
	fl_pool_put_bulk(c, dup, 2);
	assert_int_equal(bad_puts(pool), 2);
	assert_int_equal(c->puts, puts + 1);
	assert_int_equal(log_double_free, 2);
	fl_pool_cache_flush(c);
	assert_int_equal(in_ring(pool), 10);
	check_free_list_exact(pool);
	free(c);
	fl_pool_destroy(pool);
}

static void pool_foreign_put_caught(void **state)
{
	struct fl_pool *pool, *other;
	struct fl_pool_cache *c, *oc;
	struct fl_pkt *theirs = NULL, *bogus[3];
	static struct fl_pkt on_stack;
	unsigned len;

	(void)state;
#ifdef NDEBUG
	skip();
#endif
	pool = make_pool(10, FL_POOL_HUGE_NEVER);
	other = make_pool(10, FL_POOL_HUGE_NEVER);
	c = malloc(sizeof(*c));
	oc = malloc(sizeof(*oc));
	assert_non_null(c);
	assert_non_null(oc);
	fl_pool_cache_init(c, pool, 4);
	fl_pool_cache_init(oc, other, 4);
	log_foreign = 0;
	assert_int_equal(fl_pool_get_burst(oc, &theirs, 1), 1);
	on_stack.state = FL_PKT_STATE_USED;
	bogus[0] = &on_stack;
	bogus[1] = (struct fl_pkt *)(void *)(pool->region + FL_PKT_SLOT_SIZE + 64); /* mid-slot */
	bogus[2] = (struct fl_pkt *)(void *)(pool->region + 10 * FL_PKT_SLOT_SIZE); /* past end */
	len = c->len;
	fl_pool_put(c, theirs);
	fl_pool_put_bulk(c, bogus, 3);
	assert_int_equal(bad_puts(pool), 4);
	assert_int_equal(bad_puts(other), 0);
	assert_int_equal(c->len, len);
	assert_int_equal(c->puts, 0);
	assert_int_equal(log_foreign, 4);
	/* the buffer goes home properly */
	fl_pool_put(oc, theirs);
	fl_pool_cache_flush(oc);
	fl_pool_cache_flush(c);
	check_free_list_exact(pool);
	check_free_list_exact(other);
	free(c);
	free(oc);
	fl_pool_destroy(other);
	fl_pool_destroy(pool);
}

/* ---- two threads ---- */

#define STRESS_BUFS 4096u

struct pool_stress {
	struct fl_pool *pool;
	struct fl_ring *ring;         /* SPSC, getter -> putter */
	uint64_t total;               /* buffers to pass */
	struct fl_pool_cache getter;  /* each thread's own cache */
	struct fl_pool_cache putter;
	uint64_t put_back;            /* got, but did not fit the ring */
	bool getter_failed;           /* one flag per thread: no shared writes */
	bool putter_failed;
};

/* Gets buffers, stamps each with a sequence number, passes them on. */
/* Big buffers: a companion pool hands out 64 KiB buffers one at a time, and
 * any cache's put sends them home, never into the normal pool. */
static void pool_big_companion(void **state)
{
	struct fl_pool *pool = fl_pool_create(&(struct fl_pool_params){
		.name = "t", .n_bufs = 64, .huge = FL_POOL_HUGE_NEVER});
	struct fl_pool *big = fl_pool_create(&(struct fl_pool_params){
		.name = "tb", .n_bufs = 4, .huge = FL_POOL_HUGE_NEVER, .big = true});
	struct fl_pool_stats ps, bs;
	struct fl_pool_cache c;
	struct fl_pkt *b[5], *n[2];
	unsigned i;

	(void)state;
	assert_non_null(pool);
	assert_non_null(big);
	assert_null(fl_pool_get_big(pool)); /* no companion yet */
	fl_pool_attach_big(pool, big);
	fl_pool_cache_init(&c, pool, 0);
	for (i = 0; i < 4; i++) {
		b[i] = fl_pool_get_big(pool);
		assert_non_null(b[i]);
		assert_true(b[i]->big);
		assert_int_equal(fl_pkt_dataroom(b[i]), FL_PKT_BIG_DATAROOM);
		assert_int_equal(fl_pkt_tailroom(b[i]), FL_PKT_BIG_DATAROOM);
		assert_non_null(fl_pkt_append(b[i], 60000));
		memset(fl_pkt_data(b[i]), (int)i, b[i]->len); /* the whole room is ours */
	}
	assert_null(fl_pool_get_big(pool)); /* exhausted: NULL, counted */
	assert_true(pool->big_short >= 2);
	assert_int_equal(fl_pool_get_burst(&c, n, 2), 2);
	assert_false(n[0]->big);
	assert_int_equal(fl_pkt_tailroom(n[0]), FL_PKT_DATAROOM);
	/* mixed put through the normal cache */
	b[4] = n[0];
	fl_pool_put_bulk(&c, b, 5);
	fl_pool_put(&c, n[1]);
	fl_pool_cache_flush(&c);
	fl_pool_get_stats(pool, &ps);
	fl_pool_get_stats(big, &bs);
	assert_int_equal(ps.in_ring, 64);
	assert_int_equal(bs.in_ring, 4);
	assert_int_equal(ps.bad_puts + bs.bad_puts, 0);
	b[0] = fl_pool_get_big(pool);
	assert_non_null(b[0]);
	assert_int_equal(b[0]->len, 0); /* reset */
	fl_pool_put(&c, b[0]);
	fl_pool_cache_flush(&c);
	fl_pool_destroy(big);
	fl_pool_destroy(pool);
}

/* A cache keeps the last FL_POOL_CACHE_BIG big buffers put to it and hands
 * them out again last in first out (the one just sent is the one still in
 * this core's cache); more than that, or another pool's, go home. */
static void pool_big_cached_lifo(void **state)
{
	struct fl_pool *pool = fl_pool_create(&(struct fl_pool_params){
		.name = "t", .n_bufs = 64, .huge = FL_POOL_HUGE_NEVER});
	struct fl_pool *big = fl_pool_create(&(struct fl_pool_params){
		.name = "tb", .n_bufs = 8, .huge = FL_POOL_HUGE_NEVER, .big = true});
	struct fl_pool *other = fl_pool_create(&(struct fl_pool_params){
		.name = "ob", .n_bufs = 1, .huge = FL_POOL_HUGE_NEVER, .big = true});
	struct fl_pool *other_home = fl_pool_create(&(struct fl_pool_params){
		.name = "o", .n_bufs = 1, .huge = FL_POOL_HUGE_NEVER});
	struct fl_pkt *b[8], *taken[FL_POOL_CACHE_BIG], *x;
	struct fl_pool_stats bs, os;
	struct fl_pool_cache c;
	unsigned i;

	(void)state;
	fl_pool_attach_big(pool, big);
	fl_pool_attach_big(other_home, other);
	fl_pool_cache_init(&c, pool, 0);
	for (i = 0; i < 8; i++)
		assert_non_null(b[i] = fl_pool_cache_get_big(&c));
	assert_null(fl_pool_cache_get_big(&c)); /* none cached, none free */
	fl_pool_put_bulk(&c, b, 8);             /* 4 kept, 4 home */
	fl_pool_get_stats(big, &bs);
	assert_int_equal(bs.in_ring, 8 - FL_POOL_CACHE_BIG);
	for (i = 0; i < FL_POOL_CACHE_BIG; i++) {
		x = fl_pool_cache_get_big(&c);
		assert_ptr_equal(x, b[FL_POOL_CACHE_BIG - 1 - i]); /* last in, first out */
		assert_int_equal(x->len, 0);                       /* reset */
		fl_pool_put_bulk(&c, &x, 1);
		assert_ptr_equal(fl_pool_cache_get_big(&c), x); /* the same one again */
		taken[i] = x;
	}
	fl_pool_put_bulk(&c, taken, FL_POOL_CACHE_BIG);
	/* another pool's big buffer goes home, it is not kept here */
	x = fl_pool_get_big(other_home);
	assert_non_null(x);
	fl_pool_put_bulk(&c, &x, 1);
	fl_pool_get_stats(other, &os);
	assert_int_equal(os.in_ring, 1);
	/* flushed, every big buffer is home */
	fl_pool_cache_flush(&c);
	fl_pool_get_stats(big, &bs);
	assert_int_equal(bs.in_ring, 8);
	assert_int_equal(bs.bad_puts, 0);
#ifndef NDEBUG
	/* a double free through the cache is refused and counted, and the
	 * buffer is handed out once */
	x = fl_pool_cache_get_big(&c);
	fl_pool_put_bulk(&c, &x, 1);
	fl_pool_put_bulk(&c, &x, 1);
	fl_pool_get_stats(big, &bs);
	assert_int_equal(bs.bad_puts, 1);
	assert_ptr_equal(fl_pool_cache_get_big(&c), x);
	taken[0] = fl_pool_cache_get_big(&c);
	assert_ptr_not_equal(taken[0], x);
	fl_pool_put_bulk(&c, &x, 1);
	fl_pool_put_bulk(&c, taken, 1);
	fl_pool_cache_flush(&c);
#endif
	fl_pool_destroy(other_home);
	fl_pool_destroy(other);
	fl_pool_destroy(big);
	fl_pool_destroy(pool);
}

/* AnonHugePages (kB) of the mapping holding p, or -1 if none. */
static long anon_huge_kb(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	uintptr_t a = (uintptr_t)p;
	bool inside = false;
	char line[512];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Without reserved huge pages, a pool of 2 MiB or more still sits on
 * transparent huge pages where the kernel allows them (mode "madvise" or
 * "always"): the region is aligned and advised before it is populated. */
static void pool_region_on_transparent_huge_pages(void **state)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	struct fl_pool *pool;
	char mode[128] = "";

	(void)state;
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	if (!strchr(mode, '[') || strstr(mode, "[never]")) {
		print_message("transparent huge pages are off in this kernel: nothing to check\n");
		skip();
	}
	pool = fl_pool_create(&(struct fl_pool_params){
		.name = "thp", .n_bufs = 4096, .huge = FL_POOL_HUGE_NEVER});
	assert_non_null(pool);
	assert_false(pool->hugepages);
	assert_int_equal((uintptr_t)pool->region % (2u << 20), 0);
	assert_true(anon_huge_kb(pool->region) >= 2048);
	fl_pool_destroy(pool);
}

static void *stress_getter(void *arg)
{
	struct pool_stress *s = arg;
	struct fl_pkt *pkts[32];
	uint64_t seq = 0, rng = 0x9e3779b97f4a7c15ull;

	while (seq < s->total) {
		unsigned n, got, sent, i;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		n = 1 + (unsigned)(rng % 32);
		if (n > s->total - seq)
			n = (unsigned)(s->total - seq);
		got = fl_pool_get_burst(&s->getter, pkts, n);
		for (i = 0; i < got; i++) {
			uint64_t v = seq + i;

			if (fl_pkt_set_data(pkts[i], &v, sizeof(v)))
				s->getter_failed = true;
		}
		sent = fl_ring_enqueue_burst(s->ring, (void **)pkts, got);
		if (sent < got) {
			fl_pool_put_bulk(&s->getter, pkts + sent, got - sent);
			s->put_back += got - sent;
		}
		seq += sent;
		if (sent == 0)
			sched_yield();
	}
	fl_pool_cache_flush(&s->getter);
	return NULL;
}

/* Checks each buffer is the next in sequence and clean, and puts it. */
static void *stress_putter(void *arg)
{
	struct pool_stress *s = arg;
	struct fl_pkt *pkts[32];
	uint64_t seq = 0;

	while (seq < s->total) {
		unsigned got = fl_ring_dequeue_burst(s->ring, (void **)pkts, 32), i;

		if (got == 0) {
			sched_yield();
			continue;
		}
		for (i = 0; i < got; i++) {
			struct fl_pkt *pkt = pkts[i];
			uint64_t v;

			memcpy(&v, fl_pkt_cdata(pkt), sizeof(v));
			if (v != seq + i || pkt->len != sizeof(v) || pkt->l3_ofs != FL_OFS_NONE ||
			    pkt->idx >= STRESS_BUFS || pkt != fl_pool_pkt(s->pool, pkt->idx))
				s->putter_failed = true;
#ifndef NDEBUG
			if (pkt->state != FL_PKT_STATE_USED)
				s->putter_failed = true;
#endif
			pkt->l3_ofs = 14; /* dirty it: the next get must clean it */
		}
		fl_pool_put_bulk(&s->putter, pkts, got);
		seq += got;
	}
	fl_pool_cache_flush(&s->putter);
	return NULL;
}

static void pool_stress_two_threads(void **state)
{
	struct pool_stress *s = calloc(1, sizeof(*s));
	pthread_t tg, tp;

	(void)state;
	assert_non_null(s);
	s->pool = make_pool(STRESS_BUFS, FL_POOL_HUGE_AUTO);
	s->ring = fl_ring_create(1024, FL_RING_SPSC);
	assert_non_null(s->ring);
	s->total = 4000000 / STRESS_SCALE;
	fl_pool_cache_init(&s->getter, s->pool, 0);
	fl_pool_cache_init(&s->putter, s->pool, 0);
	assert_int_equal(pthread_create(&tg, NULL, stress_getter, s), 0);
	assert_int_equal(pthread_create(&tp, NULL, stress_putter, s), 0);
	assert_int_equal(pthread_join(tg, NULL), 0);
	assert_int_equal(pthread_join(tp, NULL), 0);

	assert_false(s->getter_failed);
	assert_false(s->putter_failed);
	assert_int_equal(fl_ring_count(s->ring), 0);
	assert_int_equal(s->getter.len + s->putter.len, 0);
	assert_int_equal(s->getter.gets, s->total + s->put_back);
	assert_int_equal(s->getter.puts, s->put_back);
	assert_int_equal(s->putter.puts, s->total);
	assert_int_equal(bad_puts(s->pool), 0);
	check_free_list_exact(s->pool); /* no leak, no duplicate */
	fl_ring_destroy(s->ring);
	fl_pool_destroy(s->pool);
	free(s);
}

static int quiet_logs(void **state)
{
	(void)state;
	fl_log_set_sink(log_sink);
	return 0;
}

static int restore_logs(void **state)
{
	(void)state;
	fl_log_set_sink(NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_create_normal_pages),
		cmocka_unit_test(pool_create_auto),
		cmocka_unit_test(pool_create_huge_always),
		cmocka_unit_test(pool_create_rejects_bad_params),
		cmocka_unit_test(pool_slot_layout),
		cmocka_unit_test(pool_exhaustion_and_refill),
		cmocka_unit_test(pool_cache_size_bounds),
		cmocka_unit_test(pool_two_caches_share_the_ring),
		cmocka_unit_test(pool_accounting_random),
		cmocka_unit_test(pool_get_resets_buffer),
		cmocka_unit_test(pool_big_companion),
		cmocka_unit_test(pool_big_cached_lifo),
		cmocka_unit_test(pool_region_on_transparent_huge_pages),
		cmocka_unit_test(pkt_prepend_pull_append_edges),
		cmocka_unit_test(pkt_set_data_edges),
		cmocka_unit_test(pool_double_put_caught),
		cmocka_unit_test(pool_foreign_put_caught),
		cmocka_unit_test(pool_stress_two_threads),
	};

	return cmocka_run_group_tests_name("pool", tests, quiet_logs, restore_logs);
}
