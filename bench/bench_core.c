/* Core scenarios: pool get/put, rings on one core and across two, hashes. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/hash.h"
#include "core/pool.h"
#include "core/ring.h"
#include "proto/key.h"

#define BURST 32

/* --- pool: get a burst of 32 through a thread cache, put it back --- */

struct pool_state {
	struct fl_pool *pool;
	struct fl_pool_cache cache;
};

static void *pool_setup(const struct bench_opts *opts)
{
	struct fl_pool_params pp = {.name = "bench", .n_bufs = 8192, .huge = FL_POOL_HUGE_AUTO};
	struct pool_state *s = aligned_alloc(64, sizeof(*s));

	(void)opts;
	if (!s)
		return NULL;
	s->pool = fl_pool_create(&pp);
	if (!s->pool) {
		free(s);
		return NULL;
	}
	fl_pool_cache_init(&s->cache, s->pool, 0);
	return s;
}

static uint64_t pool_run(void *state, uint64_t work)
{
	struct pool_state *s = state;
	struct fl_pkt *pkts[BURST];
	uint64_t done = 0;

	while (done < work) {
		unsigned n = fl_pool_get_burst(&s->cache, pkts, BURST);

		fl_pool_put_bulk(&s->cache, pkts, n);
		done += n;
	}
	return done;
}

static void pool_teardown(void *state)
{
	struct pool_state *s = state;

	fl_pool_cache_flush(&s->cache);
	fl_pool_destroy(s->pool);
	free(s);
}

/* --- rings on one core: bulk enqueue 32 then bulk dequeue 32 --- */

struct ring_state {
	struct fl_ring *ring;
	atomic_uint_fast64_t consumed;
	uint64_t work;
	pthread_t consumer;
};

static void *ring_setup_flags(unsigned flags)
{
	struct ring_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ring = fl_ring_create(1024, flags);
	if (!s->ring) {
		free(s);
		return NULL;
	}
	return s;
}

static void *ring_spsc_setup(const struct bench_opts *o)
{
	(void)o;
	return ring_setup_flags(FL_RING_SPSC);
}

static void *ring_mpmc_setup(const struct bench_opts *o)
{
	(void)o;
	return ring_setup_flags(FL_RING_MPMC);
}

static uint64_t ring_run(void *state, uint64_t work)
{
	struct ring_state *s = state;
	void *objs[BURST];
	uint64_t done = 0;
	unsigned i;

	for (i = 0; i < BURST; i++)
		objs[i] = (void *)(uintptr_t)(i + 1);
	while (done < work) {
		fl_ring_enqueue_bulk(s->ring, objs, BURST);
		done += fl_ring_dequeue_bulk(s->ring, objs, BURST);
	}
	return done;
}

static void ring_teardown(void *state)
{
	struct ring_state *s = state;

	fl_ring_destroy(s->ring);
	free(s);
}

/* --- rings across two cores: a producer thread and the timed consumer --- */

static void *producer_main(void *arg)
{
	struct ring_state *s = arg;
	void *objs[BURST];
	uint64_t sent = 0;
	unsigned i;

	for (i = 0; i < BURST; i++)
		objs[i] = (void *)(uintptr_t)(i + 1);
	while (sent < s->work)
		sent += fl_ring_enqueue_burst(s->ring, objs, BURST);
	return NULL;
}

static uint64_t ring_2core_run(void *state, uint64_t work)
{
	struct ring_state *s = state;
	void *objs[BURST];
	uint64_t got = 0;

	s->work = work;
	if (pthread_create(&s->consumer, NULL, producer_main, s))
		return 0;
	while (got < work)
		got += fl_ring_dequeue_burst(s->ring, objs, BURST);
	pthread_join(s->consumer, NULL);
	return got;
}

/* --- hashes --- */

struct hash_state {
	struct fl_toeplitz tz;
	struct fl_key keys[64];
	uint8_t ip6[64][16];
};

static void *hash_setup(const struct bench_opts *o)
{
	struct hash_state *s = aligned_alloc(64, sizeof(*s));
	unsigned i, j;

	(void)o;
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	fl_toeplitz_init(&s->tz, fl_toeplitz_default_key, false);
	for (i = 0; i < 64; i++) {
		s->keys[i].in_port = i;
		s->keys[i].nw_src = fl_htonl(0x0a000000 + i);
		s->keys[i].nw_dst = fl_htonl(0x0b000000 + i * 7);
		s->keys[i].tp_src = fl_htons((uint16_t)(1000 + i));
		s->keys[i].tp_dst = fl_htons(80);
		s->keys[i].dl_type = fl_htons(0x0800);
		for (j = 0; j < 16; j++)
			s->ip6[i][j] = (uint8_t)(i * 31 + j);
	}
	return s;
}

static uint64_t crc_key_run(void *state, uint64_t work)
{
	struct hash_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += fl_hash_words(fl_key_words(&s->keys[done & 63]), FL_KEY_WORDS, 0);
	bench_sink(acc);
	return done;
}

static uint64_t crc_64b_run(void *state, uint64_t work)
{
	struct hash_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += fl_crc32c(&s->keys[done & 63], 64, (uint32_t)done);
	bench_sink(acc);
	return done;
}

static uint64_t toeplitz4_run(void *state, uint64_t work)
{
	struct hash_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++) {
		const struct fl_key *k = &s->keys[done & 63];

		acc += fl_rss_ipv4(&s->tz, k->nw_src, k->nw_dst, k->tp_src, k->tp_dst, true);
	}
	bench_sink(acc);
	return done;
}

static uint64_t toeplitz6_run(void *state, uint64_t work)
{
	struct hash_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++) {
		unsigned i = done & 63;

		acc += fl_rss_ipv6(&s->tz, s->ip6[i], s->ip6[(i + 1) & 63], fl_htons(1000),
				   fl_htons(80), true);
	}
	bench_sink(acc);
	return done;
}

static void free_state(void *state)
{
	free(state);
}

const struct bench_scenario bench_core_scenarios[] = {
	{"pool", "buffer", "get a burst of 32 buffers from a thread cache and put it back",
	 pool_setup, pool_run, pool_teardown, NULL},
	{"ring-spsc", "object", "SPSC ring: bulk enqueue 32, bulk dequeue 32, one core",
	 ring_spsc_setup, ring_run, ring_teardown, NULL},
	{"ring-mpmc", "object", "MPMC ring: bulk enqueue 32, bulk dequeue 32, one core",
	 ring_mpmc_setup, ring_run, ring_teardown, NULL},
	{"ring-spsc-2core", "object", "SPSC ring: producer and consumer on two threads",
	 ring_spsc_setup, ring_2core_run, ring_teardown, NULL},
	{"ring-mpmc-2core", "object", "MPMC ring: producer and consumer on two threads",
	 ring_mpmc_setup, ring_2core_run, ring_teardown, NULL},
	{"crc32c-key", "hash", "CRC32C of a 192-byte flow key, 24 words (fl_hash_words)",
	 hash_setup, crc_key_run, free_state, NULL},
	{"crc32c-64B", "hash", "CRC32C of 64 bytes (fl_crc32c, dispatched)", hash_setup,
	 crc_64b_run, free_state, NULL},
	{"toeplitz-ipv4", "hash", "Toeplitz RSS hash of an IPv4 4-tuple (12 bytes)", hash_setup,
	 toeplitz4_run, free_state, NULL},
	{"toeplitz-ipv6", "hash", "Toeplitz RSS hash of an IPv6 4-tuple (36 bytes)", hash_setup,
	 toeplitz6_run, free_state, NULL},
};
const unsigned bench_core_n = sizeof(bench_core_scenarios) / sizeof(bench_core_scenarios[0]);
