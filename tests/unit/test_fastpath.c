/* Tests of the fast path's shortcuts (datapath/fastpath.c, txbuf.h): what
 * a burst skips must not change where a packet goes or what is counted.
 *
 *  - repeats: a packet equal to the one before shares its lookup, also when
 *    that lookup is an upcall;
 *  - shared megaflow: leaders are first matched against the megaflow the
 *    first leader found; a burst mixing two megaflows must still send every
 *    packet where its own rule says, in order;
 *  - one group: a burst that hit one megaflow is executed as it stands, and
 *    its megaflow and rule still count every packet and byte;
 *  - tx: a whole burst for an empty buffer goes out as it stands, after
 *    what waits in the buffer; a burst with an oversized frame takes the
 *    per-packet path.
 *
 * A dp with ring ports whose peers the test holds, driven one pass at a time
 * with fl_worker_poll_once; every buffer must be back in the pool at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/time.h"
#include "datapath/txbuf.h"

#include "dp_fixture.h"

static int setup(void **state)
{
	return dp_fixture_setup(state, "fp", 128,
				&(struct fl_dp_params){.n_bufs = 1024, .huge = FL_POOL_HUGE_NEVER});
}

static void start(struct fixture *f, const char *flows)
{
	dp_fixture_flows(f, flows);
	f->w = fl_worker_create(f->dp, 0);
	assert_non_null(f->w);
}

/* A UDP frame from 10.0.0.src, source port `sport`, `len` bytes. */
static struct fl_pkt *frame(struct fixture *f, unsigned src, unsigned sport, size_t len)
{
	return dp_fixture_udp(f, src, sport, len);
}

/* Send a burst from peer 0 and let the worker handle it. */
static void send_burst(struct fixture *f, struct fl_pkt **pkts, unsigned n)
{
	assert_int_equal(fl_port_tx_burst(f->peer[0], 0, &f->cache, pkts, n), n);
	while (fl_worker_poll_once(f->w))
		;
}

static void frame_id(struct fl_pkt *pkt, unsigned *src, unsigned *sport)
{
	const uint8_t *p = fl_pkt_data(pkt);

	*src = p[14 + 15];
	*sport = fl_get_be16(p + 34);
}

struct rule_sum {
	uint64_t packets, bytes;
};

static void sum_rule(const struct fl_rule_info *info, void *arg)
{
	struct rule_sum *s = arg;

	s->packets += info->packets;
	s->bytes += info->bytes;
}

/* Two megaflows (source /25 halves) interleaved in every burst, with
 * distinct flows: the shared-megaflow shortcut must not send a packet of one
 * half to the other's port. */
static void test_two_megaflows_interleaved(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[128];
	struct fl_worker_stats ws0, ws;
	unsigned round, i, n, src, sport, want_sport[2] = {1000, 1000};

	start(f, "priority=10,udp,nw_src=10.0.0.0/25,actions=output:2\n"
		 "priority=10,udp,nw_src=10.0.0.128/25,actions=output:3\n");
	for (round = 0; round < 4; round++) {
		if (round == 1)
			fl_worker_get_stats(f->w, &ws0);
		/* a pattern of halves that starts either way and has runs */
		for (i = 0; i < 32; i++) {
			unsigned half = (i * 7 + round) % 3 == 0;

			in[i] = frame(f, half ? 128 + i : i, 1000 + round * 32 + i, 64);
		}
		send_burst(f, in, 32);
		for (unsigned port = 1; port <= 2; port++) {
			n = drain(f, port, out, 128);
			for (i = 0; i < n; i++) {
				frame_id(out[i], &src, &sport);
				/* the right half, and in order within the port */
				assert_int_equal(src >= 128, port == 2);
				assert_true(sport >= want_sport[port - 1]);
				want_sport[port - 1] = sport + 1;
			}
			fl_pool_put_bulk(&f->cache, out, n);
		}
	}
	/* two megaflows, then every packet a cache hit */
	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.upcalls, 2);
	assert_int_equal(ws.emc_hits + ws.mf_hits - ws0.emc_hits - ws0.mf_hits, 3 * 32);
	assert_int_equal(ws.batched_dups, 0);
}

/* One megaflow, frames of different lengths: executed as one group, and the
 * rule counts every packet and byte. */
static void test_one_group_counts_bytes(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[64];
	struct rule_sum s = {0};
	uint64_t bytes = 0;
	unsigned round, i;

	start(f, "priority=10,udp,actions=output:2");
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 32; i++) {
			in[i] = frame(f, i, 2000 + i, 64 + (i * 13 + round) % 200);
			bytes += in[i]->len;
		}
		send_burst(f, in, 32);
		assert_int_equal(drain(f, 1, out, 64), 32);
		for (i = 0; i < 32; i++)
			assert_int_equal(out[i]->len, 64 + (i * 13 + round) % 200);
		fl_pool_put_bulk(&f->cache, out, 32);
	}
	fl_pipeline_dump(f->dp->pl, NULL, fl_time_ns(), sum_rule, &s);
	assert_int_equal(s.packets, 96);
	assert_int_equal(s.bytes, bytes);
}

/* Runs of copies of new flows in one burst: each run's first packet is an
 * upcall, the copies repeat it and are not translated again. */
static void test_repeats_of_an_upcall(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[64];
	struct fl_worker_stats ws;
	unsigned i, src, sport;

	start(f, "priority=20,udp,nw_src=10.0.0.1,actions=output:3\n"
		 "priority=10,udp,actions=output:2\n");
	for (i = 0; i < 32; i++)
		in[i] = frame(f, i < 10 ? 1 : i < 20 ? 2 : 1, 3000, 64);
	send_burst(f, in, 32);
	fl_worker_get_stats(f->w, &ws);
	/* the megaflows of 10.0.0.1 and 10.0.0.2 differ (the /32 rule looks at
	 * nw_src); the third run finds the first's megaflow */
	assert_int_equal(ws.upcalls, 2);
	assert_int_equal(ws.batched_dups, 29);
	assert_int_equal(drain(f, 2, out, 64), 22);
	for (i = 0; i < 22; i++) {
		frame_id(out[i], &src, &sport);
		assert_int_equal(src, 1);
	}
	fl_pool_put_bulk(&f->cache, out, 22);
	assert_int_equal(drain(f, 1, out, 64), 10);
	fl_pool_put_bulk(&f->cache, out, 10);
}

/* Whole bursts to an empty tx buffer, a burst with an oversized frame, and
 * bursts that leave packets waiting: every frame out once, in order. */
static void test_tx_bursts(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[128];
	unsigned want[128], n_want = 0;
	struct fl_port_stats st;
	unsigned round, i, n, src, sport;

	f->dp->ports[1]->mtu = 200;
	start(f, "priority=10,udp,actions=output:2");
	for (round = 0; round < 4; round++) {
		unsigned burst = round == 2 ? 7 : 32;

		for (i = 0; i < burst; i++) {
			bool big = round == 1 && i == 5;

			in[i] = frame(f, 1 + i % 3, 4000 + round * 32 + i, big ? 300 : 64);
			if (!big)
				want[n_want++] = 4000 + round * 32 + i;
		}
		send_burst(f, in, burst);
	}
	n = drain(f, 1, out, 128);
	assert_int_equal(n, n_want);
	for (i = 0; i < n; i++) {
		frame_id(out[i], &src, &sport);
		assert_int_equal(sport, want[i]);
	}
	fl_pool_put_bulk(&f->cache, out, n);
	fl_port_get_stats(f->dp->ports[1], &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TOO_BIG], 1);
	assert_int_equal(st.tx_packets, n);
}

/* The tx buffers directly: packets already waiting go out before a whole
 * burst added after them, and a burst that overflows the buffer is split. */
static void test_txbufs_keep_order(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[128];
	struct fl_txbufs tx;
	unsigned sizes[] = {7, 32, 30, 5, 32}, k, i, n, total = 0, src, sport;

	fl_txbufs_init(&tx, f->dp, 0, NULL);
	for (k = 0; k < FL_ARRAY_SIZE(sizes); k++) {
		for (i = 0; i < sizes[k]; i++)
			in[i] = frame(f, 1, 5000 + total + i, 64);
		fl_txbufs_add_burst(&tx, &f->cache, 1, in, sizes[k]);
		total += sizes[k];
	}
	fl_txbufs_flush_pending(&tx, &f->cache);
	n = drain(f, 1, out, 128);
	assert_int_equal(n, total);
	for (i = 0; i < n; i++) {
		frame_id(out[i], &src, &sport);
		assert_int_equal(sport, 5000 + i);
	}
	fl_pool_put_bulk(&f->cache, out, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_megaflows_interleaved, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_one_group_counts_bytes, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_repeats_of_an_upcall, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_tx_bursts, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_txbufs_keep_order, setup, dp_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
