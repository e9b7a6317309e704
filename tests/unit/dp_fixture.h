/* A datapath with three ring ports whose far ends ("peers") the test holds,
 * shared by the datapath, fast-path and offload tests: the test sends on a
 * peer, drives a worker, and reads what the dp sent from the other peers, so
 * every frame is accounted for. Teardown checks that every buffer (normal
 * and big) went back to its pool. */
#ifndef FL_TEST_DP_FIXTURE_H
#define FL_TEST_DP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "datapath/dp.h"
#include "proto/build.h"

struct fixture {
	struct fl_dp *dp;
	struct fl_worker *w;
	struct fl_port *peer[3]; /* test side of dp ports 1..3 */
	struct fl_pool_cache cache; /* the test's own cache on the dp pool */
};

/* Ports p1..p3 (numbers 1..3) on rings "TAG<n>-<i>" of ring_size entries. */
static inline int dp_fixture_setup(void **state, const char *tag, unsigned ring_size,
				   const struct fl_dp_params *params)
{
	static unsigned ring_id;
	struct fixture *f = calloc(1, sizeof(*f));
	char spec[64], name[8], err[256];
	unsigned i;

	assert_non_null(f);
	f->dp = fl_dp_create(params);
	assert_non_null(f->dp);
	for (i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), "ring:%s%u-%u,size=%u", tag, ring_id, i, ring_size);
		snprintf(name, sizeof(name), "p%u", i + 1);
		assert_int_equal(fl_dp_add_port(f->dp, name, i + 1, spec, err, sizeof(err)), 0);
		f->peer[i] = fl_port_open("peer", 100 + i, spec, f->dp->pool, err, sizeof(err));
		assert_non_null(f->peer[i]);
	}
	ring_id++;
	fl_pool_cache_init(&f->cache, f->dp->pool, 0);
	fl_worker_thread_enter();
	*state = f;
	return 0;
}

static inline int dp_fixture_teardown(void **state)
{
	struct fixture *f = *state;
	struct fl_pool_stats ps, bs;
	unsigned i;

	fl_worker_destroy(f->w);
	fl_worker_thread_leave();
	fl_pool_cache_flush(&f->cache);
	for (i = 0; i < 3; i++)
		fl_port_close(f->peer[i]);
	/* every buffer is back: nothing leaked on any path */
	fl_pool_get_stats(f->dp->pool, &ps);
	fl_pool_get_stats(f->dp->big_pool, &bs);
	assert_int_equal(ps.in_ring, ps.n_bufs);
	assert_int_equal(bs.in_ring, bs.n_bufs);
	assert_int_equal(ps.bad_puts + bs.bad_puts, 0);
	fl_dp_destroy(f->dp);
	free(f);
	return 0;
}

static inline void dp_fixture_flows(struct fixture *f, const char *text)
{
	char err[256];

	if (fl_dp_add_flows(f->dp, text, err, sizeof(err)) != 0)
		fail_msg("flows '%s': %s", text, err);
}

/* A UDP frame 10.0.0.src:sport -> 10.128.0.1:53 of `len` bytes, fresh buffer. */
static inline struct fl_pkt *dp_fixture_udp(struct fixture *f, unsigned src, unsigned sport, size_t len)
{
	struct fl_build_flow fl = {
		.dl_src = {0x02, 0, 0, 0, 0, 1},
		.dl_dst = {0x02, 0, 0, 0, 0, 2},
		.ip4_src = fl_htonl(0x0a000000 + src),
		.ip4_dst = fl_htonl(0x0a800001),
		.proto = FL_IPPROTO_UDP,
		.sport = fl_htons((uint16_t)sport),
		.dport = fl_htons(53),
		.frame_len = len,
	};
	struct fl_pkt *pkt = NULL;

	assert_int_equal(fl_pool_get_burst(&f->cache, &pkt, 1), 1);
	pkt->len = (uint16_t)fl_build_flow_frame(&fl, fl_pkt_data(pkt), FL_PKT_DATAROOM);
	assert_int_equal(pkt->len, len);
	return pkt;
}

/* Up to max frames waiting on a peer. */
static inline unsigned drain(struct fixture *f, unsigned peer, struct fl_pkt **pkts, unsigned max)
{
	unsigned got = 0, n;

	do {
		n = fl_port_rx_burst(f->peer[peer], 0, &f->cache, pkts + got, max - got);
		got += n;
	} while (n && got < max);
	return got;
}

#endif
