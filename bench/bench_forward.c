/* End to end on one core: frames replayed from memory (each copied into a
 * fresh buffer, as a NIC writes into one) -> parse -> EMC -> megaflow cache
 * -> upcall to the pipeline -> actions -> a null port that frees. This is
 * the datapath flowlane runs, driven by fl_worker_poll_once on the bench
 * thread, which is registered as an RCU reader like a worker thread.
 *
 *   forward                 the given capture (or 64 B UDP, one flow) and
 *                           one rule: in_port=1 actions=output:2
 *   pipeline                --pcap FILE --flows FILE
 *   pipeline-1flow          64 B UDP, 1 flow, 1 rule
 *   pipeline-10kflows       10,000 flows, 1 rule
 *   pipeline-acl-10k        10,000 flows through the ACL below
 *   pipeline-acl-100k       100,000 flows through a 1,000-rule ACL over ten
 *                           masks (source and destination prefixes, ports)
 *   pipeline-1mflows        1,000,000 flows, 1 rule: the EMC thrashes
 *
 *   install-100k            100,000 rules parsed from text and installed in
 *                           one flow-mod batch (units: rules), with the heap
 *                           bytes each rule costs
 *
 * The source port is OpenFlow port 1 and the null port 2, so a flows file
 * written for OVS with those numbers runs unchanged. */
#include <errno.h>
#include <malloc.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "core/time.h"
#include "datapath/dp.h"
#include "proto/build.h"

struct fwd_state {
	struct fl_dp *dp;
	struct fl_worker *worker;
	char tmp_pcap[64];
};

static void fwd_teardown(void *state);

/* The default capture: 64-byte UDP frames of one flow, as testpmd's pcap
 * comparison uses. */
static int write_default_pcap(char *path, size_t len)
{
	struct fl_build_flow f = {
		.dl_src = {0x02, 0, 0, 0, 0, 1},
		.dl_dst = {0x02, 0, 0, 0, 0, 2},
		.ip4_src = fl_htonl(0x0a000001),
		.ip4_dst = fl_htonl(0x0a000002),
		.proto = FL_IPPROTO_UDP,
		.sport = fl_htons(1024),
		.dport = fl_htons(1025),
		.frame_len = 64,
	};
	uint8_t frame[64];
	struct pcap_pkthdr h = {.caplen = 64, .len = 64};
	pcap_dumper_t *d;
	pcap_t *p;
	int fd, i;

	snprintf(path, len, "/tmp/flowlane-bench-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	if (fl_build_flow_frame(&f, frame, sizeof(frame)) != 64)
		return -EINVAL;
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!p)
		return -ENOMEM;
	d = pcap_dump_open(p, path);
	if (!d) {
		pcap_close(p);
		return -EIO;
	}
	for (i = 0; i < 64; i++)
		pcap_dump((u_char *)d, &h, frame);
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static void fwd_teardown(void *state)
{
	struct fwd_state *s = state;

	fl_worker_destroy(s->worker);
	fl_dp_destroy(s->dp);
	fl_worker_thread_leave();
	if (s->tmp_pcap[0])
		unlink(s->tmp_pcap);
	free(s);
}

/* A dp with `in_spec` as port 1 and a null port 2, flows from text or a file,
 * and a worker. */
static void *dp_setup(struct fwd_state *s, const char *in_spec, const char *flows_text,
		      const char *flows_file, unsigned mf_limit)
{
	char err[512];
	struct fl_dp_params params = {.n_bufs = 8192, .mf_limit = mf_limit};

	fl_worker_thread_enter();
	s->dp = fl_dp_create(&params);
	if (!s->dp)
		goto err;
	if (fl_dp_add_port(s->dp, "in", 1, in_spec, err, sizeof(err)) ||
	    fl_dp_add_port(s->dp, "out", 2, "null:", err, sizeof(err))) {
		fprintf(stderr, "flowlane-bench: %s\n", err);
		goto err;
	}
	if (flows_text && fl_dp_add_flows(s->dp, flows_text, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowlane-bench: flows: %s\n", err);
		goto err;
	}
	if (flows_file) {
		char *text = fl_flow_read_file(flows_file, err, sizeof(err));
		int ret = -1;

		if (text)
			ret = fl_pipeline_flow_mod_text(s->dp->pl, text, flows_file, FL_FLOW_ADD, err,
							sizeof(err));
		free(text);
		if (ret < 0) {
			fprintf(stderr, "flowlane-bench: %s\n", err);
			goto err;
		}
	}
	s->worker = fl_worker_create(s->dp, 0);
	if (!s->worker)
		goto err;
	return s;
err:
	fwd_teardown(s);
	return NULL;
}

static void *fwd_setup(const struct bench_opts *opts)
{
	struct fwd_state *s = calloc(1, sizeof(*s));
	char spec[FL_PORT_SPEC_MAX];
	const char *pcap = opts->pcap;

	if (!s)
		return NULL;
	if (!pcap) {
		if (write_default_pcap(s->tmp_pcap, sizeof(s->tmp_pcap))) {
			fprintf(stderr, "flowlane-bench: forward: cannot write a temporary pcap\n");
			free(s);
			return NULL;
		}
		pcap = s->tmp_pcap;
	}
	snprintf(spec, sizeof(spec), "pcap:%s,loop=inf", pcap);
	return dp_setup(s, spec, "in_port=1,actions=output:2", NULL, 0);
}

/* Replay until the caches are warm: no new upcall for 100,000 packets in a
 * row (at most 20 s), so a run measures the steady state of any capture. */
static void warm_up(struct fwd_state *s)
{
	struct fl_worker_stats ws;
	uint64_t last_upcalls = UINT64_MAX, mark = 0, t_end = fl_time_ns() + 20000000000ull;

	for (;;) {
		fl_worker_poll_once(s->worker);
		fl_worker_get_stats(s->worker, &ws);
		if (ws.upcalls != last_upcalls) {
			last_upcalls = ws.upcalls;
			mark = ws.packets;
		} else if (ws.packets - mark >= 100000 || fl_time_ns() > t_end) {
			return;
		}
	}
}

static void *pipeline_setup(const struct bench_opts *opts)
{
	struct fwd_state *s;
	char spec[FL_PORT_SPEC_MAX];

	if (!opts->pcap || !opts->flows) {
		fprintf(stderr, "flowlane-bench: pipeline needs --pcap FILE and --flows FILE\n");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(spec, sizeof(spec), "pcap:%s,loop=inf", opts->pcap);
	if (!dp_setup(s, spec, NULL, opts->flows, 0))
		return NULL;
	warm_up(s);
	return s;
}

/* Generated traffic, measured in steady state: every flow goes through
 * once before the timed runs, so the caches hold what they can and a run
 * measures hits (and the upcalls that a full cache keeps causing), not the
 * first translation of each flow. */
static void *gen_setup(unsigned flows, const char *rules, unsigned mf_limit)
{
	struct fwd_state *s = calloc(1, sizeof(*s));
	char spec[FL_PORT_SPEC_MAX];
	struct fl_worker_stats ws;

	if (!s)
		return NULL;
	snprintf(spec, sizeof(spec), "gen:flows=%u,size=64,proto=udp", flows);
	if (!dp_setup(s, spec, rules, NULL, mf_limit))
		return NULL;
	do {
		fl_worker_poll_once(s->worker);
		fl_worker_get_stats(s->worker, &ws);
	} while (ws.packets < 2ull * flows);
	return s;
}

static void *one_flow_setup(const struct bench_opts *o)
{
	(void)o;
	return gen_setup(1, "in_port=1,actions=output:2", 0);
}

static void *tenk_setup(const struct bench_opts *o)
{
	(void)o;
	return gen_setup(10000, "in_port=1,actions=output:2", 0);
}

static void *onem_setup(const struct bench_opts *o)
{
	(void)o;
	return gen_setup(1000000, "in_port=1,actions=output:2", 0);
}

/* 1,000 rules, 100 on each of ten masks, over the generator's address
 * space (10.0.0.0/8 -> 172.16.0.0/12, ports 1024-65535), priorities and
 * verdicts from a fixed seed, and a catch-all that forwards. */
static char *acl_text(void)
{
	size_t size = 1000 * 160 + 256, len = 0;
	char *t = malloc(size);
	uint64_t r = 0x2545f4914f6cdd1dull;
	unsigned i;

	if (!t)
		return NULL;
	for (i = 0; i < 1000; i++) {
		unsigned a, b, port, prio;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		a = (unsigned)(r & 0xffffff);
		b = (unsigned)((r >> 24) & 0xfffff);
		port = 1024 + (unsigned)((r >> 44) % 64512);
		prio = 100 + (unsigned)((r >> 20) % 900);
		len += (size_t)snprintf(t + len, size - len, "priority=%u,udp,", prio);
		switch (i % 10) {
		case 0:
			len += (size_t)snprintf(t + len, size - len, "nw_src=10.%u.0.0/16", a >> 16);
			break;
		case 1:
			len += (size_t)snprintf(t + len, size - len, "nw_src=10.%u.%u.0/24", a >> 16,
						(a >> 8) & 255);
			break;
		case 2:
			len += (size_t)snprintf(t + len, size - len, "nw_dst=172.%u.%u.0/20",
						16 + (b >> 16), (b >> 8) & 0xf0);
			break;
		case 3:
			len += (size_t)snprintf(t + len, size - len, "nw_dst=172.%u.%u.0/24",
						16 + (b >> 16), (b >> 8) & 255);
			break;
		case 4:
			len += (size_t)snprintf(t + len, size - len, "tp_dst=%u", port);
			break;
		case 5:
			len += (size_t)snprintf(t + len, size - len, "tp_src=%u", port);
			break;
		case 6:
			len += (size_t)snprintf(t + len, size - len, "nw_src=10.%u.0.0/16,tp_dst=%u",
						a >> 16, port);
			break;
		case 7:
			len += (size_t)snprintf(t + len, size - len,
						"nw_dst=172.%u.0.0/16,tp_dst=0x%x/0xff00",
						16 + (b >> 16), port & 0xff00);
			break;
		case 8:
			len += (size_t)snprintf(t + len, size - len, "nw_dst=172.%u.%u.%u/28",
						16 + (b >> 16), (b >> 8) & 255, b & 0xf0);
			break;
		default:
			len += (size_t)snprintf(t + len, size - len, "in_port=1,nw_dst=172.%u.%u.0/24",
						16 + (b >> 16), (b >> 4) & 255);
			break;
		}
		len += (size_t)snprintf(t + len, size - len, ",actions=%s\n",
					(r >> 60) & 1 ? "drop" : "output:2");
	}
	snprintf(t + len, size - len, "priority=0,actions=output:2\n");
	return t;
}

static void *acl_flows_setup(unsigned flows)
{
	char *rules = acl_text();
	void *s;

	if (!rules)
		return NULL;
	s = gen_setup(flows, rules, 0);
	free(rules);
	return s;
}

static void *acl_setup(const struct bench_opts *o)
{
	(void)o;
	return acl_flows_setup(100000);
}

static void *acl_10k_setup(const struct bench_opts *o)
{
	(void)o;
	return acl_flows_setup(10000);
}

static void fwd_stats(void *state, char *buf, size_t size)
{
	struct fwd_state *s = state;
	struct fl_worker_stats ws;
	struct fl_mf_stats ms;

	fl_worker_get_stats(s->worker, &ws);
	fl_worker_get_cache_stats(s->worker, NULL, &ms);
	snprintf(buf, size,
		 ",\"burst_repeats\":%llu,\"emc_hits\":%llu,\"megaflow_hits\":%llu,\"upcalls\":%llu,\"megaflows\":%llu,"
		 "\"subtables_per_hit\":%.2f",
		 (unsigned long long)ws.batched_dups, (unsigned long long)ws.emc_hits,
		 (unsigned long long)ws.mf_hits,
		 (unsigned long long)ws.upcalls, (unsigned long long)ms.entries,
		 ms.avg_probed_per_hit);
}

static uint64_t fwd_run(void *state, uint64_t work)
{
	struct fwd_state *s = state;
	uint64_t done = 0;
	unsigned idle = 0;

	while (done < work) {
		unsigned n = fl_worker_poll_once(s->worker);

		done += n;
		if (n == 0 && ++idle > 1000)
			break; /* the capture holds nothing we can send */
	}
	return done;
}

/* --- rule install rate --- */

#define INSTALL_RULES 100000u

struct install_state {
	char *text;
	double bytes_per_rule;
};

static void *install_setup(const struct bench_opts *o)
{
	struct install_state *s = calloc(1, sizeof(*s));
	size_t size = INSTALL_RULES * 64, len = 0;
	unsigned i;

	(void)o;
	if (!s)
		return NULL;
	s->text = malloc(size);
	if (!s->text) {
		free(s);
		return NULL;
	}
	/* as an ACL of host routes would be written for ovs-ofctl add-flows */
	for (i = 0; i < INSTALL_RULES; i++)
		len += (size_t)snprintf(s->text + len, size - len,
					"priority=%u,udp,nw_dst=10.%u.%u.%u,actions=output:2\n",
					1 + i % 1000, (i >> 16) & 255, (i >> 8) & 255, i & 255);
	return s;
}

static uint64_t install_run(void *state, uint64_t work)
{
	struct install_state *s = state;
	uint64_t done = 0;

	while (done < work) {
		struct fl_pipeline *pl = fl_pipeline_create(NULL);
		struct mallinfo2 before, after;
		char err[256];

		if (!pl)
			break;
		fl_pipeline_port_add(pl, 2, "out");
		before = mallinfo2();
		if (fl_pipeline_flow_mod_text(pl, s->text, NULL, FL_FLOW_ADD, err, sizeof(err)) < 0) {
			fprintf(stderr, "flowlane-bench: install: %s\n", err);
			fl_pipeline_destroy(pl);
			break;
		}
		after = mallinfo2();
		s->bytes_per_rule = (double)(after.uordblks + after.hblkhd - before.uordblks -
					     before.hblkhd) / INSTALL_RULES;
		fl_pipeline_destroy(pl);
		done += INSTALL_RULES;
	}
	return done;
}

static void install_teardown(void *state)
{
	struct install_state *s = state;

	free(s->text);
	free(s);
}

static void install_stats(void *state, char *buf, size_t size)
{
	struct install_state *s = state;

	snprintf(buf, size, ",\"rules\":%u,\"bytes_per_rule\":%.0f", INSTALL_RULES,
		 s->bytes_per_rule);
}

const struct bench_scenario bench_forward_scenarios[] = {
	{"forward", "packet",
	 "pcap from memory -> parse -> caches -> output:2 -> null, one core (--pcap FILE)",
	 fwd_setup, fwd_run, fwd_teardown, fwd_stats},
	{"pipeline-1flow", "packet", "64 B UDP, 1 flow, 1 rule, whole pipeline", one_flow_setup,
	 fwd_run, fwd_teardown, fwd_stats},
	{"pipeline-10kflows", "packet", "64 B UDP, 10,000 flows, 1 rule", tenk_setup, fwd_run,
	 fwd_teardown, fwd_stats},
	{"pipeline-acl-10k", "packet", "64 B UDP, 10,000 flows, the same ACL",
	 acl_10k_setup, fwd_run, fwd_teardown, fwd_stats},
	{"pipeline-acl-100k", "packet", "64 B UDP, 100,000 flows, a 1,000-rule ACL of 10 masks",
	 acl_setup, fwd_run, fwd_teardown, fwd_stats},
	{"pipeline-1mflows", "packet", "64 B UDP, 1,000,000 flows, 1 rule (EMC thrashing)",
	 onem_setup, fwd_run, fwd_teardown, fwd_stats},
	{"pipeline", "packet", "--pcap FILE through --flows FILE, whole pipeline", pipeline_setup,
	 fwd_run, fwd_teardown, fwd_stats},
	{"install-100k", "rule", "parse and install 100,000 rules in one batch", install_setup,
	 install_run, install_teardown, install_stats},
};
const unsigned bench_forward_n =
	sizeof(bench_forward_scenarios) / sizeof(bench_forward_scenarios[0]);
