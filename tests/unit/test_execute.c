/* Header rewrites (proto/rewrite.c) and datapath action execution
 * (datapath/execute.c).
 *
 * The rewrite tests compare each incrementally updated frame with the same
 * frame built from scratch by the builders (full checksums): thousands of
 * random frames and random masked rewrites, fixed seed. The execute tests
 * run action lists through a dp with ring ports and read what comes out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datapath/dp.h"
#include "datapath/execute.h"
#include "proto/build.h"
#include "proto/parse.h"
#include "proto/rewrite.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A frame described by its fields; built with full checksums. */
struct frame {
	struct fl_build_flow f;
	uint8_t tos;
	uint8_t ttl;
};

static size_t build(const struct frame *fr, uint8_t *buf)
{
	struct fl_builder b;
	struct fl_build_ipv4_opts o = {.tos = fr->tos, .ttl = fr->ttl};
	const struct fl_build_flow *f = &fr->f;

	fl_build_init(&b, buf, 256);
	fl_build_eth(&b, f->dl_dst, f->dl_src);
	if (f->vlan_tci)
		fl_build_vlan(&b, FL_ETH_TYPE_VLAN, f->vlan_tci);
	if (f->ipv6)
		fl_build_ipv6(&b, f->ip6_src, f->ip6_dst, fr->tos, 0);
	else
		fl_build_ipv4_ex(&b, f->ip4_src, f->ip4_dst, &o);
	if (f->proto == FL_IPPROTO_TCP)
		fl_build_tcp(&b, f->sport, f->dport, FL_TCP_ACK);
	else
		fl_build_udp(&b, f->sport, f->dport);
	fl_build_payload(&b, 20, 7);
	return fl_build_finish(&b);
}

static void random_frame(struct frame *fr)
{
	unsigned i;

	memset(fr, 0, sizeof(*fr));
	for (i = 0; i < 6; i++) {
		fr->f.dl_src[i] = (uint8_t)rnd();
		fr->f.dl_dst[i] = (uint8_t)rnd();
	}
	fr->f.vlan_tci = rnd() % 3 == 0 ? (uint16_t)(rnd() & 0xefff) | 1 : 0;
	fr->f.ipv6 = rnd() % 2;
	fr->f.ip4_src = rnd();
	fr->f.ip4_dst = rnd();
	for (i = 0; i < 16; i++) {
		fr->f.ip6_src[i] = (uint8_t)rnd();
		fr->f.ip6_dst[i] = (uint8_t)rnd();
	}
	fr->f.proto = rnd() % 2 ? FL_IPPROTO_TCP : FL_IPPROTO_UDP;
	fr->f.sport = (fl_be16)rnd();
	fr->f.dport = (fl_be16)rnd();
	fr->tos = fr->f.ipv6 ? 0 : (uint8_t)rnd();
	fr->ttl = (uint8_t)(2 + rnd() % 250);
}

static struct fl_pkt *pkt_of(uint8_t *slot, const uint8_t *frame, size_t len)
{
	struct fl_pkt *pkt = (struct fl_pkt *)(void *)slot;
	struct fl_key key;

	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	assert_int_equal(fl_pkt_set_data(pkt, frame, (unsigned)len), 0);
	assert_int_equal(fl_parse(pkt, &key), FL_PARSE_ERR_NONE);
	return pkt;
}

static _Alignas(64) uint8_t slot[FL_PKT_SLOT_SIZE];

static void test_rewrites_equal_full_recompute(void **state)
{
	unsigned round;

	(void)state;
	for (round = 0; round < 5000; round++) {
		struct frame fr, want;
		uint8_t orig[256], expect[256];
		size_t len;
		struct fl_pkt *pkt;
		unsigned kind = rnd() % 4, i;

		random_frame(&fr);
		len = build(&fr, orig);
		assert_true(len > 0);
		pkt = pkt_of(slot, orig, len);
		want = fr;
		if (kind == 0) { /* addresses, masked */
			if (fr.f.ipv6) {
				uint8_t v[2][16], m[2][16];

				for (i = 0; i < 16; i++) {
					v[0][i] = (uint8_t)rnd(), m[0][i] = (uint8_t)rnd();
					v[1][i] = (uint8_t)rnd(), m[1][i] = (uint8_t)rnd();
					want.f.ip6_src[i] = (uint8_t)((fr.f.ip6_src[i] & ~m[0][i]) |
								      (v[0][i] & m[0][i]));
					want.f.ip6_dst[i] = (uint8_t)((fr.f.ip6_dst[i] & ~m[1][i]) |
								      (v[1][i] & m[1][i]));
				}
				assert_int_equal(fl_rewrite_ipv6(pkt, fr.f.proto, v[0], m[0], v[1],
								 m[1], 0, 0, 0, 0), 0);
			} else {
				fl_be32 vs = rnd(), ms = rnd(), vd = rnd(), md = rnd();
				uint8_t tos = (uint8_t)rnd(), tm = (uint8_t)rnd();

				want.f.ip4_src = (fr.f.ip4_src & ~ms) | (vs & ms);
				want.f.ip4_dst = (fr.f.ip4_dst & ~md) | (vd & md);
				want.tos = (uint8_t)((fr.tos & ~tm) | (tos & tm));
				assert_int_equal(fl_rewrite_ipv4(pkt, fr.f.proto, vs, ms, vd, md, tos,
								 tm, 0, 0), 0);
			}
		} else if (kind == 1) { /* ports */
			fl_be16 vs = (fl_be16)rnd(), ms = (fl_be16)rnd(), vd = (fl_be16)rnd();

			want.f.sport = (fl_be16)((fr.f.sport & ~ms) | (vs & ms));
			want.f.dport = vd;
			assert_int_equal(fl_rewrite_l4_ports(pkt, fr.f.proto, vs, ms, vd, 0xffff), 0);
		} else if (kind == 2) { /* ttl: decrement, or a masked set */
			if (fr.f.ipv6)
				continue; /* the builder fixes hop limit at 64: covered below */
			if (rnd() % 2) {
				want.ttl = (uint8_t)(fr.ttl - 1);
				assert_int_equal(fl_rewrite_dec_ttl(pkt), 0);
			} else {
				uint8_t t = (uint8_t)rnd(), tm = (uint8_t)rnd();

				want.ttl = (uint8_t)((fr.ttl & ~tm) | (t & tm));
				if (want.ttl == 0)
					continue; /* the builder reads ttl 0 as "default 64" */
				assert_int_equal(fl_rewrite_ipv4(pkt, fr.f.proto, 0, 0, 0, 0, 0, 0,
								 t, tm), 0);
			}
		} else { /* macs */
			uint8_t v[6], m[6], d[6], dm[6];

			for (i = 0; i < 6; i++) {
				v[i] = (uint8_t)rnd(), m[i] = (uint8_t)rnd();
				d[i] = (uint8_t)rnd(), dm[i] = 0xff;
				want.f.dl_src[i] = (uint8_t)((fr.f.dl_src[i] & ~m[i]) | (v[i] & m[i]));
				want.f.dl_dst[i] = d[i];
			}
			assert_int_equal(fl_rewrite_eth(pkt, v, m, d, dm), 0);
		}
		assert_int_equal(build(&want, expect), len);
		assert_memory_equal(fl_pkt_data(pkt), expect, len);
	}
}

static void test_udp_zero_checksum_stays_zero(void **state)
{
	struct frame fr;
	uint8_t frame[256];
	struct fl_pkt *pkt;
	size_t len;

	(void)state;
	random_frame(&fr);
	fr.f.ipv6 = false;
	fr.f.proto = FL_IPPROTO_UDP;
	fr.f.vlan_tci = 0;
	len = build(&fr, frame);
	frame[14 + 20 + 6] = frame[14 + 20 + 7] = 0; /* "no checksum" */
	pkt = pkt_of(slot, frame, len);
	assert_int_equal(fl_rewrite_ipv4(pkt, FL_IPPROTO_UDP, fl_htonl(0x01020304), 0xffffffff,
					 0, 0, 0, 0, 0, 0), 0);
	assert_int_equal(fl_get_u16(fl_pkt_data(pkt) + 14 + 26), 0);
	assert_int_equal(fl_rewrite_l4_ports(pkt, FL_IPPROTO_UDP, fl_htons(9), 0xffff, 0, 0), 0);
	assert_int_equal(fl_get_u16(fl_pkt_data(pkt) + 14 + 26), 0);
}

static void test_wrong_checksum_stays_as_wrong(void **state)
{
	struct frame fr, want;
	uint8_t frame[256], expect[256];
	struct fl_pkt *pkt;
	size_t len;
	fl_be16 good;

	(void)state;
	random_frame(&fr);
	fr.f.ipv6 = false;
	fr.f.proto = FL_IPPROTO_TCP;
	fr.f.vlan_tci = 0;
	len = build(&fr, frame);
	good = fl_get_u16(frame + 14 + 20 + 16);
	fl_put_u16(frame + 14 + 20 + 16, (fl_be16)(good ^ 0x0101)); /* off by a known amount */
	pkt = pkt_of(slot, frame, len);
	assert_int_equal(fl_rewrite_ipv4(pkt, FL_IPPROTO_TCP, 0, 0, fl_htonl(0x0a0b0c0d),
					 0xffffffff, 0, 0, 0, 0), 0);
	want = fr;
	want.f.ip4_dst = fl_htonl(0x0a0b0c0d);
	build(&want, expect);
	/* the new checksum is the correct one, off by the same amount */
	assert_int_not_equal(fl_get_u16(fl_pkt_data(pkt) + 14 + 36),
			     fl_get_u16(expect + 14 + 36));
	assert_memory_equal(fl_pkt_data(pkt), expect, 14 + 36);
}

static void test_vlan_push_pop_and_offsets(void **state)
{
	struct frame fr, tagged;
	uint8_t frame[256], expect[256];
	struct fl_pkt *pkt;
	struct fl_key key;
	size_t len;
	uint16_t l3, l4;

	(void)state;
	random_frame(&fr);
	fr.f.vlan_tci = 0;
	len = build(&fr, frame);
	pkt = pkt_of(slot, frame, len);
	l3 = pkt->l3_ofs;
	l4 = pkt->l4_ofs;
	assert_int_equal(fl_vlan_push(pkt, fl_htons(FL_ETH_TYPE_VLAN), fl_htons(0x2064)), 0);
	tagged = fr;
	tagged.f.vlan_tci = 0x2064;
	assert_int_equal(build(&tagged, expect), len + 4);
	assert_int_equal(pkt->len, len + 4);
	assert_memory_equal(fl_pkt_data(pkt), expect, len + 4);
	assert_int_equal(pkt->l3_ofs, l3 + 4);
	assert_int_equal(pkt->l4_ofs, l4 + 4);
	assert_int_equal(pkt->l2_5_ofs, 12);
	/* the offsets agree with a fresh parse of the new frame */
	{
		struct fl_pkt copy = *pkt;

		fl_parse(pkt, &key);
		assert_int_equal(pkt->l3_ofs, copy.l3_ofs);
		assert_int_equal(pkt->l4_ofs, copy.l4_ofs);
		assert_int_equal(fl_ntohs(key.vlan_tci), 0x3064); /* with the present bit */
	}
	assert_int_equal(fl_vlan_set_tci(pkt, fl_htons(0x0005), fl_htons(0x0fff)), 0);
	assert_int_equal(fl_get_be16(fl_pkt_data(pkt) + 14), 0x2005);
	assert_int_equal(fl_vlan_pop(pkt), 0);
	assert_int_equal(pkt->len, len);
	assert_memory_equal(fl_pkt_data(pkt), frame, len);
	assert_int_equal(pkt->l3_ofs, l3);
	assert_int_equal(pkt->l2_5_ofs, FL_OFS_NONE);
	assert_int_equal(fl_vlan_pop(pkt), -EINVAL); /* untagged now */
	assert_int_equal(fl_vlan_set_tci(pkt, 0, 0xffff), -EINVAL);
}

static void test_dec_ttl_ipv6_and_floor(void **state)
{
	struct frame fr;
	uint8_t frame[256];
	struct fl_pkt *pkt;
	size_t len;

	(void)state;
	random_frame(&fr);
	fr.f.ipv6 = true;
	fr.f.vlan_tci = 0;
	len = build(&fr, frame);
	pkt = pkt_of(slot, frame, len);
	assert_int_equal(fl_rewrite_dec_ttl(pkt), 0);
	assert_int_equal(fl_pkt_data(pkt)[14 + 7], 63);
	fl_pkt_data(pkt)[14 + 7] = 0;
	assert_int_equal(fl_rewrite_dec_ttl(pkt), 0);
	assert_int_equal(fl_pkt_data(pkt)[14 + 7], 0); /* never wraps */
	pkt->l3_ofs = FL_OFS_NONE;
	assert_int_equal(fl_rewrite_dec_ttl(pkt), -EINVAL);
}

/* --- execution through a dp with ring ports --- */

struct fixture {
	struct fl_dp *dp;
	struct fl_port *peer[3];
	struct fl_pool_cache cache;
	struct fl_txbufs tx;
	struct fl_exec_stats st;
};

static int setup(void **state)
{
	static unsigned id;
	struct fixture *f = calloc(1, sizeof(*f));
	char spec[64], err[256];
	unsigned i;

	assert_non_null(f);
	f->dp = fl_dp_create(&(struct fl_dp_params){.n_bufs = 512, .huge = FL_POOL_HUGE_NEVER});
	assert_non_null(f->dp);
	for (i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), "ring:ex%u-%u", id, i);
		assert_int_equal(fl_dp_add_port(f->dp, spec + 5, 0, spec, err, sizeof(err)), 0);
		f->peer[i] = fl_port_open("peer", 100, spec, f->dp->pool, err, sizeof(err));
		assert_non_null(f->peer[i]);
	}
	id++;
	fl_pool_cache_init(&f->cache, f->dp->pool, 0);
	fl_txbufs_init(&f->tx, f->dp, 0, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct fl_pool_stats ps;
	unsigned i;

	fl_txbufs_flush_all(&f->tx, &f->cache);
	for (i = 0; i < 3; i++)
		fl_port_close(f->peer[i]);
	fl_pool_cache_flush(&f->cache);
	fl_pool_get_stats(f->dp->pool, &ps);
	assert_int_equal(ps.in_ring, ps.n_bufs);
	fl_dp_destroy(f->dp);
	free(f);
	return 0;
}

static unsigned drain(struct fixture *f, unsigned peer, struct fl_pkt **out, unsigned max)
{
	return fl_port_rx_burst(f->peer[peer], 0, &f->cache, out, max);
}

static void make_batch(struct fixture *f, struct fl_pkt **pkts, unsigned n)
{
	unsigned i;

	assert_int_equal(fl_pool_get_burst(&f->cache, pkts, n), n);
	for (i = 0; i < n; i++) {
		struct frame fr;
		uint8_t frame[256];
		size_t len;
		struct fl_key key;

		random_frame(&fr);
		fr.f.ipv6 = false;
		fr.f.vlan_tci = 0;
		fr.f.proto = FL_IPPROTO_UDP;
		len = build(&fr, frame);
		fl_pkt_set_data(pkts[i], frame, (unsigned)len);
		fl_parse(pkts[i], &key);
	}
}

static void test_execute_rewrite_then_two_outputs(void **state)
{
	struct fixture *f = *state;
	struct fl_dp_actions *a = fl_dp_actions_alloc(4);
	struct fl_pkt *pkts[8], *out[16];
	unsigned i;

	/* output:1, set_ipv4(dst=10.9.9.9), output:2 */
	a->acts[0] = (struct fl_dpact){.type = FL_DPACT_OUTPUT, .output.port = 1};
	a->acts[1] = (struct fl_dpact){.type = FL_DPACT_SET_IPV4};
	a->acts[1].ipv4.dst = fl_htonl(0x0a090909);
	a->acts[1].ipv4.dst_mask = 0xffffffff;
	a->acts[1].ipv4.proto = FL_IPPROTO_UDP;
	a->acts[2] = (struct fl_dpact){.type = FL_DPACT_OUTPUT, .output.port = 2};
	a->n = 3;
	a->n_outputs = 2;
	make_batch(f, pkts, 8);
	fl_execute(&f->tx, &f->cache, &f->st, a, pkts, 8);
	fl_txbufs_flush_all(&f->tx, &f->cache);
	assert_int_equal(drain(f, 0, out, 16), 8);
	assert_int_equal(drain(f, 1, out + 8, 8), 8);
	for (i = 0; i < 8; i++) {
		assert_int_not_equal(fl_get_u32(fl_pkt_data(out[i]) + 30), fl_htonl(0x0a090909));
		assert_int_equal(fl_get_u32(fl_pkt_data(out[8 + i]) + 30), fl_htonl(0x0a090909));
		assert_ptr_not_equal(out[i], out[8 + i]);
	}
	assert_int_equal(f->st.copies, 8);
	fl_pool_put_bulk(&f->cache, out, 16);
	fl_dp_actions_unref(a);
}

static void test_execute_drop_and_missing_port(void **state)
{
	struct fixture *f = *state;
	struct fl_dp_actions *drop = fl_dp_actions_alloc(0), *bad = fl_dp_actions_alloc(1);
	struct fl_pkt *pkts[4];
	char text[128];

	make_batch(f, pkts, 4);
	fl_execute(&f->tx, &f->cache, &f->st, drop, pkts, 4);
	assert_int_equal(f->st.dropped_by_actions, 4);
	bad->acts[0] = (struct fl_dpact){.type = FL_DPACT_OUTPUT, .output.port = 77};
	bad->n_outputs = 1;
	make_batch(f, pkts, 4);
	fl_execute(&f->tx, &f->cache, &f->st, bad, pkts, 4);
	assert_int_equal(f->st.no_port, 4);
	fl_dp_actions_format(drop, text, sizeof(text));
	assert_string_equal(text, "drop");
	fl_dp_actions_format(bad, text, sizeof(text));
	assert_string_equal(text, "output:77");
	fl_dp_actions_unref(drop);
	fl_dp_actions_unref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrites_equal_full_recompute),
		cmocka_unit_test(test_udp_zero_checksum_stays_zero),
		cmocka_unit_test(test_wrong_checksum_stays_as_wrong),
		cmocka_unit_test(test_vlan_push_pop_and_offsets),
		cmocka_unit_test(test_dec_ttl_ipv6_and_floor),
		cmocka_unit_test_setup_teardown(test_execute_rewrite_then_two_outputs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_execute_drop_and_missing_port, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
