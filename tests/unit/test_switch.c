/* The running switch: worker threads forwarding between ring ports while the
 * test, as the control thread, changes ports, flows, workers and captures.
 *
 * The test holds the far end ("peer") of each switch port: it sends frames
 * into the switch on one peer and waits (bounded) for them on another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/time.h"
#include "datapath/switch.h"
#include "proto/build.h"
#include "proto/parse.h"

#define MAX_PEERS 4

struct fixture {
	struct fl_switch *sw;
	struct fl_dp *dp;
	struct fl_port *peer[MAX_PEERS];
	struct fl_pool_cache cache;
	unsigned id;
};

static unsigned ring_id;

static void add_port(struct fixture *f, unsigned i)
{
	char spec[64], name[16], err[256];

	snprintf(spec, sizeof(spec), "ring:sw%u-%u-%u,size=256", (unsigned)getpid(), f->id, i);
	snprintf(name, sizeof(name), "p%u", i + 1);
	assert_int_equal(fl_switch_add_port(f->sw, name, i + 1, spec, err, sizeof(err)), 0);
	f->peer[i] = fl_port_open("peer", 100 + i, spec, f->dp->pool, err, sizeof(err));
	assert_non_null(f->peer[i]);
}

static int setup_n(void **state, unsigned workers)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct fl_switch_params p = {
		.dp = {.n_bufs = 2048, .huge = FL_POOL_HUGE_NEVER},
		.n_workers = workers,
		.idle_spins = 16,
		.sleep_ms = 5,
	};
	char err[256];

	assert_non_null(f);
	f->id = ring_id++;
	f->sw = fl_switch_create(&p, err, sizeof(err));
	assert_non_null(f->sw);
	f->dp = fl_switch_dp(f->sw);
	fl_pool_cache_init(&f->cache, f->dp->pool, 0);
	add_port(f, 0);
	add_port(f, 1);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	for (i = 0; i < MAX_PEERS; i++)
		if (f->peer[i])
			fl_port_close(f->peer[i]);
	fl_pool_cache_flush(&f->cache);
	fl_switch_destroy(f->sw);
	free(f);
	return 0;
}

static void flows(struct fixture *f, const char *text)
{
	char err[256];

	assert_int_equal(fl_dp_add_flows(f->dp, text, err, sizeof(err)), 0);
}

static void send_frames(struct fixture *f, unsigned peer, unsigned n, uint16_t dport)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct fl_build_flow fl = {
			.dl_src = {0x02, 0, 0, 0, 0, 1},
			.dl_dst = {0x02, 0, 0, 0, 0, 2},
			.ip4_src = fl_htonl(0x0a000000 + i),
			.ip4_dst = fl_htonl(0x0a800001),
			.proto = FL_IPPROTO_UDP,
			.sport = fl_htons((uint16_t)(1000 + i)),
			.dport = fl_htons(dport),
			.frame_len = 64,
		};
		struct fl_pkt *pkt = NULL;

		assert_int_equal(fl_pool_get_burst(&f->cache, &pkt, 1), 1);
		pkt->len = (uint16_t)fl_build_flow_frame(&fl, fl_pkt_data(pkt), FL_PKT_DATAROOM);
		assert_int_equal(fl_port_tx_burst(f->peer[peer], 0, &f->cache, &pkt, 1), 1);
	}
}

/* Frames arriving on a peer within timeout_ms (all of them are freed). */
static unsigned receive(struct fixture *f, unsigned peer, unsigned want, unsigned timeout_ms)
{
	uint64_t deadline = fl_time_ns() + (uint64_t)timeout_ms * 1000000u;
	struct fl_pkt *pkts[32];
	unsigned got = 0;

	while (fl_time_ns() < deadline) {
		unsigned n = fl_port_rx_burst(f->peer[peer], 0, &f->cache, pkts, 32);

		fl_pool_put_bulk(&f->cache, pkts, n);
		got += n;
		if (want && got >= want)
			break;
		if (!n)
			usleep(200);
	}
	return got;
}

static void test_forwards_with_workers(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_port_info info;

	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 50, 53);
	assert_int_equal(receive(f, 1, 50, 2000), 50);
	assert_int_equal(fl_switch_n_ports(f->sw), 2);
	assert_int_equal(fl_switch_port_info(f->sw, 0, &info), 0);
	assert_string_equal(info.name, "p1");
	assert_true(info.up);
	assert_int_equal(info.stats.rx_packets, 50);
	assert_true(info.rxq_worker[0] < 2);
	assert_int_equal(fl_switch_port_info(f->sw, 1, &info), 0);
	assert_int_equal(info.stats.tx_packets, 50);
	assert_int_equal(fl_switch_port_info(f->sw, 2, &info), -ENOENT);
	/* the two ports' queues went to different workers */
	{
		struct fl_switch_port_info a, b;

		fl_switch_port_info(f->sw, 0, &a);
		fl_switch_port_info(f->sw, 1, &b);
		assert_int_not_equal(a.rxq_worker[0], b.rxq_worker[0]);
	}
}

/* After a flow-mod returns, the next packet sees the new rules even though
 * the old verdict sits in the worker's caches. */
static void test_flow_change_takes_effect_at_once(void **state)
{
	struct fixture *f = *state;

	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 10, 53);
	assert_int_equal(receive(f, 1, 10, 2000), 10);
	flows(f, "priority=40000,in_port=1,actions=drop");
	send_frames(f, 0, 10, 53);
	assert_int_equal(receive(f, 1, 0, 200), 0);
}

static void test_port_deleted_and_added_while_running(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_port_info info;
	char err[256];
	int i;

	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 5, 53);
	assert_int_equal(receive(f, 1, 5, 2000), 5);
	assert_int_equal(fl_switch_del_port(f->sw, "p2", err, sizeof(err)), 0);
	assert_int_equal(fl_switch_del_port(f->sw, "p2", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "p2"));
	assert_int_equal(fl_switch_n_ports(f->sw), 1);
	fl_port_close(f->peer[1]);
	f->peer[1] = NULL;
	/* output to the missing port drops; the switch keeps going */
	send_frames(f, 0, 5, 53);
	for (i = 0; i < 2000; i++) { /* the worker takes them in its own time */
		assert_int_equal(fl_switch_port_info(f->sw, 0, &info), 0);
		if (info.stats.rx_packets >= 10)
			break;
		usleep(1000);
	}
	assert_int_equal(info.stats.rx_packets, 10);
	add_port(f, 2); /* p3, port 3 */
	flows(f, "in_port=1,actions=output:3");
	send_frames(f, 0, 7, 53);
	assert_int_equal(receive(f, 2, 7, 2000), 7);
}

/* Workers run where the process may (taskset, cpusets): started with one
 * CPU allowed, the switch has one worker, and it runs on that CPU. */
static void test_workers_stay_on_the_allowed_cpus(void **unused)
{
	struct fl_switch_worker_info info;
	cpu_set_t saved, one;
	void *state;
	int first = -1, c;

	(void)unused;
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	if (CPU_COUNT(&saved) < 2)
		skip(); /* nothing to choose from */
	for (c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &saved))
			first = c;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	setup_n(&state, 0);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);

	flows(state, "in_port=1,actions=output:2");
	send_frames(state, 0, 4, 53);
	assert_int_equal(receive(state, 1, 4, 2000), 4);
	assert_int_equal(fl_switch_n_workers(((struct fixture *)state)->sw), 1);
	/* the CPU is noted when the worker starts and after every sleep: look
	 * after a few sleeps (the first note can precede a pinning) */
	for (c = 0; c < 2000; c++) {
		assert_int_equal(fl_switch_worker_info(((struct fixture *)state)->sw, 0, &info), 0);
		if (info.stats.sleeps >= 3)
			break;
		usleep(1000);
	}
	assert_true(info.stats.sleeps >= 3);
	assert_int_equal(info.cpu, first);
	teardown(&state);
}

static void test_worker_count_changes(void **state)
{
	struct fixture *f = *state;
	char err[256];

	flows(f, "in_port=1,actions=output:2");
	assert_int_equal(fl_switch_set_workers(f->sw, 3, err, sizeof(err)), 0);
	assert_int_equal(fl_switch_n_workers(f->sw), 3);
	send_frames(f, 0, 20, 53);
	assert_int_equal(receive(f, 1, 20, 2000), 20);
	assert_int_equal(fl_switch_set_workers(f->sw, 1, err, sizeof(err)), 0);
	send_frames(f, 0, 20, 53);
	assert_int_equal(receive(f, 1, 20, 2000), 20);
	assert_int_equal(fl_switch_set_workers(f->sw, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "workers"));
	assert_int_equal(fl_switch_assign_rxq(f->sw, "p1", 0, 5, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_switch_assign_rxq(f->sw, "p1", 1, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_switch_assign_rxq(f->sw, "nope", 0, 0, err, sizeof(err)), -ENOENT);
	assert_int_equal(fl_switch_assign_rxq(f->sw, "p1", 0, 0, err, sizeof(err)), 0);
}

static uint64_t idle_loops(struct fixture *f, unsigned worker)
{
	struct fl_switch_worker_info wi;

	assert_int_equal(fl_switch_worker_info(f->sw, worker, &wi), 0);
	return wi.stats.idle_loops;
}

/* Empty passes of a worker over the next ms milliseconds. */
static uint64_t idle_loops_in(struct fixture *f, unsigned worker, unsigned ms)
{
	uint64_t a = idle_loops(f, worker);

	usleep(ms * 1000u);
	return idle_loops(f, worker) - a;
}

static uint64_t polls_cut_short(struct fixture *f, unsigned worker)
{
	struct fl_switch_worker_info wi;

	assert_int_equal(fl_switch_worker_info(f->sw, worker, &wi), 0);
	return wi.stats.polls_cut_short;
}

/* After traffic a worker keeps polling for idle-poll-us (an empty pass
 * every few microseconds), then naps (ring ports have no fd: 16 passes per
 * nap of 0.2 to 2.5 ms here); with a 1 us window it naps at once. A window
 * that gave way to other tasks on the worker's CPU (tests running beside
 * this one) says nothing: measured again, and if the CPU never comes free,
 * skipped. */
static void test_worker_polls_for_a_while_after_traffic(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_params p = *fl_switch_params(f->sw);
	struct fl_switch_port_info info;
	uint64_t polling, napping, short_window, cut;
	char err[256];
	unsigned w, tries;

	p.poll_us = 200000;
	assert_int_equal(fl_switch_set_params(f->sw, &p, err, sizeof(err)), 0);
	flows(f, "in_port=1,actions=output:2");
	assert_int_equal(fl_switch_port_info(f->sw, 0, &info), 0);
	w = info.rxq_worker[0];
	for (tries = 0; tries < 20; tries++) {
		cut = polls_cut_short(f, w);
		send_frames(f, 0, 8, 53);
		assert_int_equal(receive(f, 1, 8, 2000), 8);
		polling = idle_loops_in(f, w, 50);
		usleep(300000); /* the window is over */
		if (polls_cut_short(f, w) == cut)
			break;
	}
	if (tries == 20) {
		/* 20 windows in a row (6 s) gave way to other threads: this
		 * CPU is never the worker's alone, so it is right not to poll
		 * on, and there is no window to measure */
		print_message("every poll window was cut short (the CPUs are busy with other "
			      "work): nothing to measure\n");
		skip();
	}
	napping = idle_loops_in(f, w, 50);
	assert_true(polling > 4 * napping);

	p.poll_us = 1;
	assert_int_equal(fl_switch_set_params(f->sw, &p, err, sizeof(err)), 0);
	send_frames(f, 0, 8, 53);
	assert_int_equal(receive(f, 1, 8, 2000), 8);
	short_window = idle_loops_in(f, w, 50);
	assert_true(polling > 4 * short_window);
}

struct hog {
	int cpu;
	atomic_bool stop;
};

static void *hog_cpu(void *arg)
{
	struct hog *h = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		;
	return NULL;
}

static uint64_t worker_sleeps(struct fixture *f, unsigned w, int *cpu)
{
	struct fl_switch_worker_info info;

	assert_int_equal(fl_switch_worker_info(f->sw, w, &info), 0);
	if (cpu)
		*cpu = info.cpu;
	return info.stats.sleeps;
}

/* A worker in its poll window gives way to a task that shares its CPU: its
 * yields hand the CPU to the task, so it stops polling and sleeps long
 * before the window (10 s here) is over. */
static void test_worker_stops_polling_when_its_cpu_is_shared(void **unused)
{
	struct fl_switch_params p;
	struct hog h = {.stop = false};
	pthread_t thread;
	uint64_t sleeps, cut;
	char err[256];
	void *state;
	int i;

	(void)unused;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip(); /* the test's own thread needs a CPU besides the two */
	setup_n(&state, 1);
	p = *fl_switch_params(((struct fixture *)state)->sw);
	p.poll_us = 10000000;
	assert_int_equal(fl_switch_set_params(((struct fixture *)state)->sw, &p, err, sizeof(err)),
			 0);
	flows(state, "in_port=1,actions=output:2");
	/* the CPU is noted after each sleep: wait for a current one */
	for (i = 0; i < 2000 && worker_sleeps(state, 0, NULL) < 3; i++)
		usleep(1000);
	worker_sleeps(state, 0, &h.cpu);
	assert_true(h.cpu >= 0);

	/* shared: the worker still forwards, then stops polling (alone it would
	 * poll for the whole window: test_worker_polls_for_a_while_after_traffic;
	 * not checked here, as tests running beside this one share CPUs too) */
	assert_int_equal(pthread_create(&thread, NULL, hog_cpu, &h), 0);
	cut = polls_cut_short(state, 0);
	send_frames(state, 0, 8, 53);
	assert_int_equal(receive(state, 1, 8, 5000), 8);
	sleeps = worker_sleeps(state, 0, NULL);
	for (i = 0; i < 3000 && polls_cut_short(state, 0) == cut; i++)
		usleep(1000);
	atomic_store(&h.stop, true);
	pthread_join(thread, NULL);
	assert_true(polls_cut_short(state, 0) > cut);
	assert_true(worker_sleeps(state, 0, NULL) > sleeps);
	teardown(&state);
}

/* A switch that has seen no packet has no poll window to run: its worker
 * sleeps from the start (sleep-ms, 100 ms, at a time), however long the
 * window is set. */
static void test_worker_does_not_poll_before_traffic(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_params p = *fl_switch_params(f->sw);
	char err[256];
	int i;

	p.poll_us = 10000000;
	assert_int_equal(fl_switch_set_params(f->sw, &p, err, sizeof(err)), 0);
	for (i = 0; i < 3000 && worker_sleeps(f, 0, NULL) < 3; i++)
		usleep(1000);
	assert_true(worker_sleeps(f, 0, NULL) >= 3);
	assert_int_equal(polls_cut_short(f, 0), 0);
}

struct seen {
	unsigned n;
	unsigned dport53;
};

static void count_capture(void *ctx, uint64_t ts, const uint8_t *data, unsigned caplen,
			  unsigned len)
{
	struct seen *s = ctx;

	(void)ts;
	assert_int_equal(caplen, len);
	s->n++;
	/* UDP destination port, untagged IPv4 without options: bytes 36-37 */
	s->dport53 += data[36] == 0 && data[37] == 53;
}

static void test_capture_with_filter(void **state)
{
	struct fixture *f = *state;
	struct fl_capture *c;
	struct seen s = {0};
	char err[256];

	flows(f, "in_port=1,actions=output:2");
	c = fl_switch_capture_start(f->sw, "p1", FL_CAPTURE_RX, "udp dst port 53", 0, 0, err,
				    sizeof(err));
	assert_non_null(c);
	assert_null(fl_switch_capture_start(f->sw, "p1", FL_CAPTURE_RX, "", 0, 0, err,
					    sizeof(err)));
	assert_non_null(strstr(err, "already"));
	send_frames(f, 0, 6, 53);
	send_frames(f, 0, 4, 80);
	assert_int_equal(receive(f, 1, 10, 2000), 10);
	fl_capture_drain(c, count_capture, &s);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.dport53, 6);
	assert_false(fl_capture_done(c));
	fl_switch_capture_stop(f->sw, c);

	/* a count limit, and bad filters/ports are errors */
	c = fl_switch_capture_start(f->sw, "1", FL_CAPTURE_RX, "", 3, 0, err, sizeof(err));
	assert_non_null(c);
	send_frames(f, 0, 10, 53);
	assert_int_equal(receive(f, 1, 10, 2000), 10);
	memset(&s, 0, sizeof(s));
	fl_capture_drain(c, count_capture, &s);
	assert_int_equal(s.n, 3);
	assert_true(fl_capture_done(c));
	fl_switch_capture_stop(f->sw, c);
	/* what a port sends, and both directions */
	c = fl_switch_capture_start(f->sw, "p2", FL_CAPTURE_TX, "udp dst port 80", 0, 0, err,
				    sizeof(err));
	assert_non_null(c);
	send_frames(f, 0, 5, 53);
	send_frames(f, 0, 3, 80);
	assert_int_equal(receive(f, 1, 8, 2000), 8);
	memset(&s, 0, sizeof(s));
	fl_capture_drain(c, count_capture, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.dport53, 0);
	fl_switch_capture_stop(f->sw, c);
	c = fl_switch_capture_start(f->sw, "p1", FL_CAPTURE_RX | FL_CAPTURE_TX, "", 0, 0, err,
				    sizeof(err));
	assert_non_null(c);
	send_frames(f, 0, 4, 53);
	assert_int_equal(receive(f, 1, 4, 2000), 4);
	memset(&s, 0, sizeof(s));
	fl_capture_drain(c, count_capture, &s);
	assert_int_equal(s.n, 4); /* p1 received 4 and sent none */
	fl_switch_capture_stop(f->sw, c);
	assert_null(fl_switch_capture_start(f->sw, "p1", FL_CAPTURE_RX, "udp port nonsense", 0,
					    0, err, sizeof(err)));
	assert_non_null(strstr(err, "filter"));
	assert_null(fl_switch_capture_start(f->sw, "p9", FL_CAPTURE_RX, "", 0, 0, err,
					    sizeof(err)));
	assert_non_null(strstr(err, "p9"));
}

struct lines {
	unsigned n;
	bool has_actions;
};

static void count_line(void *ctx, const char *line)
{
	struct lines *l = ctx;

	l->n++;
	l->has_actions |= strstr(line, "actions:") != NULL && strstr(line, "packets:") != NULL;
}

static void test_megaflow_dump_and_trace(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_worker_info wi;
	struct lines l = {0};
	unsigned i, total = 0;
	char text[4096];
	struct fl_trace t;
	struct fl_key key;

	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 10, 53);
	assert_int_equal(receive(f, 1, 10, 2000), 10);
	for (i = 0; i < fl_switch_n_workers(f->sw); i++) {
		assert_int_equal(fl_switch_dump_megaflows(f->sw, i, count_line, &l), 0);
		assert_int_equal(fl_switch_worker_info(f->sw, i, &wi), 0);
		total += (unsigned)wi.stats.packets;
	}
	assert_int_equal(total, 10);
	/* one megaflow (only in_port was looked at) on each worker that saw
	 * packets: with RPS both may have */
	assert_true(l.n >= 1 && l.n <= fl_switch_n_workers(f->sw));
	assert_true(l.has_actions);
	assert_int_equal(fl_switch_dump_megaflows(f->sw, 9, count_line, &l), -ENOENT);

	memset(&key, 0, sizeof(key));
	fl_trace_init(&t, text, sizeof(text));
	/* a key from a real frame: parse one */
	{
		struct fl_build_flow fl = {
			.dl_src = {0x02, 0, 0, 0, 0, 1},
			.dl_dst = {0x02, 0, 0, 0, 0, 2},
			.ip4_src = fl_htonl(0x0a000001),
			.ip4_dst = fl_htonl(0x0a800001),
			.proto = FL_IPPROTO_UDP,
			.sport = fl_htons(1000),
			.dport = fl_htons(53),
			.frame_len = 64,
		};
		struct fl_pkt *pkt = NULL;

		assert_int_equal(fl_pool_get_burst(&f->cache, &pkt, 1), 1);
		pkt->len = (uint16_t)fl_build_flow_frame(&fl, fl_pkt_data(pkt), FL_PKT_DATAROOM);
		pkt->in_port = 1;
		fl_parse(pkt, &key);
		fl_pool_put(&f->cache, pkt);
	}
	assert_int_equal(fl_switch_trace(f->sw, &key, &t), 0);
	assert_non_null(strstr(text, "output:2"));
}

/* A single-queue port spread over two workers by RSS hash: every frame is
 * delivered once, both workers handle some, and a flow stays on one. */
static void test_rps_spreads_a_single_queue_port(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_worker_info w0, w1;

	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 200, 53); /* 200 flows (source address and port vary) */
	assert_int_equal(receive(f, 1, 200, 3000), 200);
	assert_int_equal(receive(f, 1, 0, 50), 0);
	assert_int_equal(fl_switch_worker_info(f->sw, 0, &w0), 0);
	assert_int_equal(fl_switch_worker_info(f->sw, 1, &w1), 0);
	assert_true(w0.stats.rps_steered + w1.stats.rps_steered > 0);
	assert_int_equal(w0.stats.rps_dropped + w1.stats.rps_dropped, 0);
	/* upcalls = megaflow misses: one flow per source, translated where it
	 * landed; both workers translated some */
	assert_true(w0.stats.upcalls > 0);
	assert_true(w1.stats.upcalls > 0);
}

static void test_rps_off_keeps_one_worker(void **state)
{
	struct fixture *f = *state;
	struct fl_switch_params p = *fl_switch_params(f->sw);
	struct fl_switch_worker_info w0, w1;
	char err[256];

	p.no_rps = true;
	assert_int_equal(fl_switch_set_params(f->sw, &p, err, sizeof(err)), 0);
	assert_int_equal(fl_switch_set_workers(f->sw, 1, err, sizeof(err)), 0);
	assert_int_equal(fl_switch_set_workers(f->sw, 2, err, sizeof(err)), 0);
	flows(f, "in_port=1,actions=output:2");
	send_frames(f, 0, 100, 53);
	assert_int_equal(receive(f, 1, 100, 3000), 100);
	fl_switch_worker_info(f->sw, 0, &w0);
	fl_switch_worker_info(f->sw, 1, &w1);
	assert_int_equal(w0.stats.rps_steered + w1.stats.rps_steered, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forwards_with_workers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_change_takes_effect_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_deleted_and_added_while_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_worker_count_changes, setup, teardown),
		cmocka_unit_test(test_workers_stay_on_the_allowed_cpus),
		cmocka_unit_test(test_worker_stops_polling_when_its_cpu_is_shared),
		cmocka_unit_test_setup_teardown(test_worker_does_not_poll_before_traffic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_worker_polls_for_a_while_after_traffic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_capture_with_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_megaflow_dump_and_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rps_spreads_a_single_queue_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rps_off_keeps_one_worker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
