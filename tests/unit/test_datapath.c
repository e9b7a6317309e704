/* Datapath tests: a worker moving frames between ring ports through the
 * pipeline and the flow caches, driven one pass at a time with
 * fl_worker_poll_once.
 *
 * Each test builds a dp with ring ports whose peers the test holds: it
 * injects frames by sending on a peer and reads what the dp sent from the
 * other peers, so every frame is accounted for, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/time.h"

#include "dp_fixture.h"

static int setup(void **state)
{
	return dp_fixture_setup(state, "dp", 64,
				&(struct fl_dp_params){.n_bufs = 1024, .huge = FL_POOL_HUGE_NEVER});
}

static void start_worker(struct fixture *f)
{
	f->w = fl_worker_create(f->dp, 0);
	assert_non_null(f->w);
}

/* Build frame `i` (distinct per i) of `len` bytes into a fresh buffer. */
static struct fl_pkt *make_frame(struct fixture *f, unsigned i, size_t len)
{
	return dp_fixture_udp(f, i, 1000 + i, len);
}

static void inject(struct fixture *f, unsigned peer, struct fl_pkt **pkts, unsigned n)
{
	assert_int_equal(fl_port_tx_burst(f->peer[peer], 0, &f->cache, pkts, n), n);
}

static void poll_until_quiet(struct fixture *f)
{
	while (fl_worker_poll_once(f->w))
		;
}

static void test_forward_in_order_byte_exact(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[100], *out[128];
	uint8_t copy[100][128];
	struct fl_port_stats st;
	unsigned i, n;

	assert_int_equal(fl_dp_map(f->dp, f->dp->ports[0], f->dp->ports[1]), 0);
	start_worker(f);
	/* 100 frames in bursts that do not line up with the batch size */
	for (i = 0; i < 100; i++) {
		in[i] = make_frame(f, i, 64 + i % 40);
		memcpy(copy[i], fl_pkt_data(in[i]), in[i]->len);
	}
	/* (the output ring holds 64: drain it as we go) */
	for (i = 0, n = 0; i < 100; i += 25) {
		inject(f, 0, in + i, 25);
		poll_until_quiet(f);
		n += drain(f, 1, out + n, 128 - n);
	}
	assert_int_equal(n, 100);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i]->len, 64 + i % 40);
		assert_memory_equal(fl_pkt_data(out[i]), copy[i], out[i]->len);
		assert_int_equal(out[i]->in_port, 100 + 1); /* stamped by the receiving peer */
	}
	fl_pool_put_bulk(&f->cache, out, n);

	fl_port_get_stats(f->dp->ports[0], &st);
	assert_int_equal(st.rx_packets, 100);
	fl_port_get_stats(f->dp->ports[1], &st);
	assert_int_equal(st.tx_packets, 100);
	assert_int_equal(drain(f, 2, out, 128), 0); /* nothing leaked to port 3 */
}

static void test_unmapped_and_drop_are_counted(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[10];
	struct fl_port_stats st;
	struct fl_worker_stats ws;
	unsigned i;

	fl_dp_map(f->dp, f->dp->ports[0], NULL); /* explicit drop; port 2 unmapped */
	start_worker(f);
	for (i = 0; i < 10; i++)
		in[i] = make_frame(f, i, 64);
	inject(f, 0, in, 6);
	inject(f, 1, in + 6, 4);
	poll_until_quiet(f);

	fl_port_get_stats(f->dp->ports[0], &st);
	assert_int_equal(st.rx_packets, 6);
	fl_port_get_stats(f->dp->ports[1], &st);
	assert_int_equal(st.rx_packets, 4);
	/* an explicit drop and a table miss both end in an empty action list */
	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.exec.dropped_by_actions, 10);
	assert_int_equal(ws.packets, 10);
	/* the rules read only in_port: one megaflow per input port serves all */
	assert_int_equal(ws.upcalls, 2);
}

static void test_two_ports_cross_and_mtu(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[4], *out[8];
	struct fl_port_stats st;

	fl_dp_map(f->dp, f->dp->ports[0], f->dp->ports[2]);
	fl_dp_map(f->dp, f->dp->ports[2], f->dp->ports[0]);
	f->dp->ports[2]->mtu = 1000;
	start_worker(f);
	in[0] = make_frame(f, 0, 1022); /* 1000 + Ethernet + two tags: the largest allowed */
	in[1] = make_frame(f, 1, 1023); /* one byte over */
	in[2] = make_frame(f, 2, 60);
	in[3] = make_frame(f, 3, 70);
	inject(f, 0, in, 2);
	inject(f, 2, in + 2, 2);
	poll_until_quiet(f);

	assert_int_equal(drain(f, 2, out, 8), 1);
	assert_int_equal(out[0]->len, 1022);
	fl_pool_put_bulk(&f->cache, out, 1);
	assert_int_equal(drain(f, 0, out, 8), 2);
	fl_pool_put_bulk(&f->cache, out, 2);
	fl_port_get_stats(f->dp->ports[2], &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TOO_BIG], 1);
	assert_int_equal(st.tx_packets, 1);
}

static void test_full_output_drops_not_leaks(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[32], *out[128];
	struct fl_port_stats st;
	unsigned i, round, total_in = 0;

	fl_dp_map(f->dp, f->dp->ports[0], f->dp->ports[1]);
	start_worker(f);
	/* the output ring holds 64; nobody drains it while 160 frames arrive */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 32; i++)
			in[i] = make_frame(f, i, 64);
		inject(f, 0, in, 32);
		total_in += 32;
		poll_until_quiet(f);
	}
	fl_port_get_stats(f->dp->ports[1], &st);
	assert_int_equal(st.tx_packets, 64);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TX_FULL], total_in - 64);
	assert_int_equal(drain(f, 1, out, 128), 64);
	fl_pool_put_bulk(&f->cache, out, 64);
}

static void test_parse_errors_counted_and_forwarded(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *in[3], *out[8];
	struct fl_worker_stats ws;

	fl_dp_map(f->dp, f->dp->ports[0], f->dp->ports[1]);
	start_worker(f);
	in[0] = make_frame(f, 0, 64);
	in[1] = make_frame(f, 1, 64);
	in[1]->len = 20; /* cut inside the IPv4 header */
	in[2] = make_frame(f, 2, 64);
	fl_pkt_data(in[2])[14] = 0x44; /* IHL 4: too short */
	inject(f, 0, in, 3);
	poll_until_quiet(f);

	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.parse.packets, 3);
	assert_int_equal(ws.parse.errors[FL_PARSE_ERR_IP4_TRUNC], 1);
	assert_int_equal(ws.parse.errors[FL_PARSE_ERR_IP4_HLEN], 1);
	/* a malformed frame is still a frame: the port map forwards it */
	assert_int_equal(drain(f, 1, out, 8), 3);
	fl_pool_put_bulk(&f->cache, out, 3);
}

/* Send `n` copies of frame i from peer 0 and poll until the dp is quiet. */
static void send_copies(struct fixture *f, unsigned i, unsigned n)
{
	struct fl_pkt *in[32];
	unsigned k;

	for (k = 0; k < n; k++)
		in[k] = make_frame(f, i, 64);
	inject(f, 0, in, n);
	poll_until_quiet(f);
}

static unsigned drain_and_free(struct fixture *f, unsigned peer)
{
	struct fl_pkt *out[64];
	unsigned n = drain(f, peer, out, 64);

	fl_pool_put_bulk(&f->cache, out, n);
	return n;
}

static void test_caches_serve_repeats_and_count_rules(void **state)
{
	struct fixture *f = *state;
	struct fl_worker_stats ws;
	char err[256];

	f->dp->params.emc_inv_prob = 1; /* always insert, for a deterministic EMC */
	assert_int_equal(fl_dp_add_flows(f->dp, "priority=10,udp,actions=output:2", err,
					 sizeof(err)), 0);
	start_worker(f);
	send_copies(f, 1, 1);  /* upcall: installs a megaflow and an EMC entry */
	send_copies(f, 1, 20); /* the same flow: EMC */
	send_copies(f, 2, 5);  /* another source, same megaflow (only udp matters) */
	assert_int_equal(drain_and_free(f, 1), 26);
	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.upcalls, 1);
	/* every packet after the first is served by a cache, directly or as a
	 * repeat of the packet before it in its burst */
	assert_int_equal(ws.emc_hits + ws.mf_hits + ws.batched_dups, 25);
	assert_int_equal(ws.batched_dups, 19 + 4); /* two runs of copies: 20 and 5 */
	assert_true(ws.mf_hits >= 1);
}

struct dump_sum {
	uint64_t packets;
	size_t rules;
};

static void sum_rule(const struct fl_rule_info *info, void *arg)
{
	struct dump_sum *d = arg;

	d->packets += info->packets;
	d->rules++;
}

static void test_rule_counters_include_cache_hits(void **state)
{
	struct fixture *f = *state;
	struct dump_sum d = {0};
	char err[256];

	assert_int_equal(fl_dp_add_flows(f->dp, "priority=10,udp,actions=output:2", err,
					 sizeof(err)), 0);
	start_worker(f);
	send_copies(f, 1, 1);
	send_copies(f, 1, 30);
	assert_int_equal(drain_and_free(f, 1), 31);
	fl_pipeline_dump(f->dp->pl, NULL, fl_time_ns(), sum_rule, &d);
	assert_int_equal(d.rules, 1);
	assert_int_equal(d.packets, 31);
}

/* After a flow-mod returns, the next packet is handled by the new rules even
 * though the old translation sits in the EMC and the megaflow cache. */
static void test_flow_mod_takes_effect_for_next_packet(void **state)
{
	struct fixture *f = *state;
	struct fl_worker_stats ws;
	char err[256];

	f->dp->params.emc_inv_prob = 1;
	assert_int_equal(fl_dp_add_flows(f->dp, "priority=10,udp,actions=output:2", err,
					 sizeof(err)), 0);
	start_worker(f);
	send_copies(f, 1, 8);
	assert_int_equal(drain_and_free(f, 1), 8);
	assert_int_equal(fl_dp_add_flows(f->dp, "priority=20,udp,actions=output:3", err,
					 sizeof(err)), 0);
	send_copies(f, 1, 8); /* an EMC hit on a now stale megaflow */
	assert_int_equal(drain_and_free(f, 1), 0);
	assert_int_equal(drain_and_free(f, 2), 8);
	fl_worker_get_stats(f->w, &ws);
	assert_true(ws.revalidations >= 1);
	/* and deleting every flow drops the next packet */
	assert_int_equal(fl_dp_add_flows(f->dp, "", err, sizeof(err)), 0);
	{
		struct fl_flow_spec *specs = NULL;
		size_t n = 0;

		assert_int_equal(fl_flow_parse_text("udp", FL_FLOW_DELETE, NULL, &specs, &n, err,
						    sizeof(err)), 0);
		assert_true(fl_pipeline_flow_mod(f->dp->pl, specs, n, err, sizeof(err)) >= 2);
		fl_flow_specs_free(specs, n);
	}
	send_copies(f, 1, 8);
	assert_int_equal(drain_and_free(f, 1) + drain_and_free(f, 2), 0);
}

static struct fl_pkt *make_l2_frame(struct fixture *f, uint8_t src, uint8_t dst)
{
	struct fl_pkt *pkt = make_frame(f, 0, 64);

	fl_pkt_data(pkt)[5] = dst;
	fl_pkt_data(pkt)[11] = src;
	return pkt;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A MAC learned by NORMAL stays learned while its packets keep hitting the
 * cached megaflow (the datapath refreshes it once a second), and ages out
 * once they stop. Real time: aging 2 s, traffic for 3 s, then 2.5 s idle. */
/* MAC aging of 2 s, so the test sees an entry age out. */
static int setup_mac_aging(void **state)
{
	return dp_fixture_setup(state, "dpmac", 64,
				&(struct fl_dp_params){.n_bufs = 1024, .huge = FL_POOL_HUGE_NEVER,
						       .mac_aging_s = 2});
}

static void test_normal_learning_refreshed_by_cache_hits(void **state)
{
	struct fixture *f = *state;
	struct fl_pipeline_stats ps;
	struct fl_pkt *pkt;
	char err[256];
	unsigned i;

	assert_int_equal(fl_dp_add_flows(f->dp, "actions=normal", err, sizeof(err)), 0);
	start_worker(f);
	for (i = 0; i < 12; i++) { /* 3 s of a frame every 250 ms from MAC 0x0a */
		pkt = make_l2_frame(f, 0x0a, 0x0b);
		inject(f, 0, &pkt, 1);
		poll_until_quiet(f);
		drain_and_free(f, 1);
		drain_and_free(f, 2);
		fl_pipeline_expire(f->dp->pl, fl_time_ns());
		sleep_ms(250);
	}
	fl_pipeline_get_stats(f->dp->pl, &ps);
	assert_int_equal(ps.mac_entries, 1);
	assert_int_equal(ps.mac_expired, 0);
	sleep_ms(2500);
	fl_pipeline_expire(f->dp->pl, fl_time_ns());
	fl_pipeline_get_stats(f->dp->pl, &ps);
	assert_int_equal(ps.mac_expired, 1);
	assert_int_equal(ps.mac_entries, 0);
}

/* With one megaflow subtable the EMC cannot pay (see adapt_emc): after
 * enough megaflow hits the worker stops consulting it. */
static void test_emc_bypassed_when_megaflows_are_cheap(void **state)
{
	struct fixture *f = *state;
	struct fl_worker_stats ws;
	struct fl_pkt *in[32];
	uint64_t emc_before;
	char err[256];
	unsigned i, k;

	f->dp->params.emc_inv_prob = 1;
	assert_int_equal(fl_dp_add_flows(f->dp, "priority=10,udp,actions=output:2", err,
					 sizeof(err)), 0);
	start_worker(f);
	/* a repeated flow the EMC holds */
	send_copies(f, 7, 1);
	send_copies(f, 7, 1);
	drain_and_free(f, 1);
	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.emc_hits, 1);
	/* 8,192 distinct flows: every one a megaflow hit in the only subtable */
	for (k = 0; k < 256; k++) {
		for (i = 0; i < 32; i++)
			in[i] = make_frame(f, 1000 + k * 32 + i, 64);
		inject(f, 0, in, 32);
		poll_until_quiet(f);
		drain_and_free(f, 1);
	}
	for (i = 0; i < 2048; i++) /* let the worker's maintenance run */
		fl_worker_poll_once(f->w);
	fl_worker_get_stats(f->w, &ws);
	emc_before = ws.emc_hits;
	/* an active EMC would take the flow in again and then hit */
	send_copies(f, 7, 1);
	send_copies(f, 7, 1);
	assert_int_equal(drain_and_free(f, 1), 2);
	fl_worker_get_stats(f->w, &ws);
	assert_int_equal(ws.emc_hits, emc_before);
	assert_true(ws.mf_hits >= 8192);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward_in_order_byte_exact, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_and_drop_are_counted, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_two_ports_cross_and_mtu, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_full_output_drops_not_leaks, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_parse_errors_counted_and_forwarded, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_caches_serve_repeats_and_count_rules, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_rule_counters_include_cache_hits, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flow_mod_takes_effect_for_next_packet, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_normal_learning_refreshed_by_cache_hits,
						setup_mac_aging, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_emc_bypassed_when_megaflows_are_cheap, setup,
						dp_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
