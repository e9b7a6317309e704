/* Parser scenarios: fl_parse_batch over bursts of 32 frames already in
 * buffers (as after rx), so what is timed is the parse alone. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/pool.h"
#include "proto/build.h"
#include "proto/parse.h"

#define BURST 32

enum frame_kind { IPV4_UDP, IPV6_TCP, VLAN_IPV4_UDP };

struct parse_state {
	struct fl_pool *pool;
	struct fl_pool_cache cache;
	struct fl_pkt *pkts[BURST];
	struct fl_parse_stats stats;
	struct fl_key keys[BURST];
};

static void *parse_setup(enum frame_kind kind)
{
	struct fl_pool_params pp = {.name = "bench-parse", .n_bufs = 1024};
	struct parse_state *s = aligned_alloc(64, sizeof(*s));
	unsigned i;

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->pool = fl_pool_create(&pp);
	if (!s->pool) {
		free(s);
		return NULL;
	}
	fl_pool_cache_init(&s->cache, s->pool, 0);
	fl_pool_get_burst(&s->cache, s->pkts, BURST);
	for (i = 0; i < BURST; i++) {
		struct fl_build_flow f = {
			.dl_src = {0x02, 0, 0, 0, 0, 1},
			.dl_dst = {0x02, 0, 0, 0, 0, 2},
			.ip4_src = fl_htonl(0x0a000001 + i),
			.ip4_dst = fl_htonl(0x0a010001),
			.ip6_src = {0x20, 0x01, 0x0d, 0xb8, [15] = (uint8_t)i},
			.ip6_dst = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xff},
			.sport = fl_htons((uint16_t)(1024 + i)),
			.dport = fl_htons(80),
			.frame_len = 64,
		};
		struct fl_pkt *pkt = s->pkts[i];

		f.proto = FL_IPPROTO_UDP;
		if (kind == IPV6_TCP) {
			f.ipv6 = true;
			f.proto = FL_IPPROTO_TCP;
			f.tcp_flags = FL_TCP_ACK;
			f.frame_len = 74; /* 14 + 40 + 20: the smallest IPv6/TCP frame */
		}
		if (kind == VLAN_IPV4_UDP)
			f.vlan_tci = 100;
		pkt->len = (uint16_t)fl_build_flow_frame(&f, fl_pkt_data(pkt), FL_PKT_DATAROOM);
	}
	return s;
}

static void *ipv4_udp_setup(const struct bench_opts *o)
{
	(void)o;
	return parse_setup(IPV4_UDP);
}

static void *ipv6_tcp_setup(const struct bench_opts *o)
{
	(void)o;
	return parse_setup(IPV6_TCP);
}

static void *vlan_setup(const struct bench_opts *o)
{
	(void)o;
	return parse_setup(VLAN_IPV4_UDP);
}

static uint64_t parse_run(void *state, uint64_t work)
{
	struct parse_state *s = state;
	uint64_t done = 0;

	while (done < work) {
		fl_parse_batch(s->pkts, BURST, s->keys, &s->stats);
		done += BURST;
	}
	bench_sink(s->keys[BURST - 1].tp_src);
	return done;
}

static void parse_teardown(void *state)
{
	struct parse_state *s = state;

	fl_pool_put_bulk(&s->cache, s->pkts, BURST);
	fl_pool_cache_flush(&s->cache);
	fl_pool_destroy(s->pool);
	free(s);
}

const struct bench_scenario bench_parse_scenarios[] = {
	{"parse-ipv4-udp", "packet", "parse 64 B Ethernet/IPv4/UDP frames, bursts of 32",
	 ipv4_udp_setup, parse_run, parse_teardown, NULL},
	{"parse-ipv6-tcp", "packet", "parse 74 B Ethernet/IPv6/TCP frames, bursts of 32",
	 ipv6_tcp_setup, parse_run, parse_teardown, NULL},
	{"parse-vlan", "packet", "parse 64 B Ethernet/802.1Q/IPv4/UDP frames, bursts of 32",
	 vlan_setup, parse_run, parse_teardown, NULL},
};
const unsigned bench_parse_n = sizeof(bench_parse_scenarios) / sizeof(bench_parse_scenarios[0]);
