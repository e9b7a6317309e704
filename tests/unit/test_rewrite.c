/* Rewrites of frames whose L4 checksum is offloaded (FL_OL_CSUM_PARTIAL):
 * the field holds only the pseudo-header sum, and whoever completes it sums
 * the L4 bytes. Property: for random TCP/UDP over IPv4/IPv6 frames and random
 * rewrites (addresses, ports, VLAN push/pop), rewriting the partial frame and
 * then completing its checksum gives exactly the frame that rewriting the
 * fully checksummed frame gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"
#include "proto/build.h"
#include "proto/csum.h"
#include "proto/parse.h"
#include "proto/rewrite.h"
#include "test_rng.h"

static struct fl_pool *pool;
static struct fl_pool_cache cache;

static struct fl_pkt *frame(const struct fl_build_flow *fl)
{
	struct fl_pkt *pkt = NULL;
	struct fl_key key;

	assert_int_equal(fl_pool_get_burst(&cache, &pkt, 1), 1);
	pkt->len = (uint16_t)fl_build_flow_frame(fl, fl_pkt_data(pkt), FL_PKT_DATAROOM);
	assert_true(pkt->len > 0);
	fl_parse(pkt, &key);
	return pkt;
}

/* Turn a fully checksummed frame into what a kernel hands over with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds the folded pseudo-header sum. */
static void make_partial(struct fl_pkt *pkt, const struct fl_build_flow *fl)
{
	uint8_t *d = fl_pkt_data(pkt);
	unsigned l4_len = pkt->len - pkt->l4_ofs, off = fl->proto == FL_IPPROTO_TCP ? 16 : 6;
	uint32_t pseudo;

	if (fl->ipv6)
		pseudo = fl_csum_pseudo_ipv6(d + pkt->l3_ofs + 8, d + pkt->l3_ofs + 24, fl->proto,
					     l4_len);
	else
		pseudo = fl_csum_pseudo_ipv4(fl_get_u32(d + pkt->l3_ofs + 12),
					     fl_get_u32(d + pkt->l3_ofs + 16), fl->proto,
					     (uint16_t)l4_len);
	fl_put_u16(d + pkt->l4_ofs + off, (fl_be16)~fl_csum_fold(pseudo));
	pkt->ol_flags |= FL_OL_CSUM_PARTIAL;
	pkt->csum_start = pkt->l4_ofs;
	pkt->csum_offset = (uint16_t)off;
}

static void complete(struct fl_pkt *pkt, uint8_t proto)
{
	uint8_t *d = fl_pkt_data(pkt);
	fl_be16 c = fl_csum_fold(fl_csum_partial(d + pkt->csum_start, pkt->len - pkt->csum_start, 0));

	if (proto == FL_IPPROTO_UDP && c == 0)
		c = 0xffff;
	fl_put_u16(d + pkt->csum_start + pkt->csum_offset, c);
	pkt->ol_flags &= (uint16_t)~FL_OL_CSUM_PARTIAL;
}

static void rewrite_both(struct fl_pkt *a, struct fl_pkt *b, const struct fl_build_flow *fl)
{
	unsigned op = rnd(5);

	switch (op) {
	case 0: { /* addresses */
		if (fl->ipv6) {
			uint8_t v[16], m[16], z[16] = {0};
			unsigned i;

			for (i = 0; i < 16; i++) {
				v[i] = (uint8_t)rng();
				m[i] = rnd(2) ? 0xff : (uint8_t)rng();
			}
			assert_int_equal(fl_rewrite_ipv6(a, fl->proto, v, m, v, z, 0, 0, 0, 0), 0);
			assert_int_equal(fl_rewrite_ipv6(b, fl->proto, v, m, v, z, 0, 0, 0, 0), 0);
		} else {
			fl_be32 s = (fl_be32)rng(), dd = (fl_be32)rng(), sm = (fl_be32)rng();

			assert_int_equal(fl_rewrite_ipv4(a, fl->proto, s, sm, dd, ~0u, 0, 0, 0, 0), 0);
			assert_int_equal(fl_rewrite_ipv4(b, fl->proto, s, sm, dd, ~0u, 0, 0, 0, 0), 0);
		}
		break;
	}
	case 1: { /* ports */
		fl_be16 s = (fl_be16)rng(), dd = (fl_be16)rng();

		assert_int_equal(fl_rewrite_l4_ports(a, fl->proto, s, 0xffff, dd, 0x00ff), 0);
		assert_int_equal(fl_rewrite_l4_ports(b, fl->proto, s, 0xffff, dd, 0x00ff), 0);
		break;
	}
	case 2: /* VLAN push: everything moves by 4, csum_start too */
		assert_int_equal(fl_vlan_push(a, fl_htons(0x8100), fl_htons(7)), 0);
		assert_int_equal(fl_vlan_push(b, fl_htons(0x8100), fl_htons(7)), 0);
		break;
	case 3: /* VLAN pop when tagged */
		if (fl_vlan_pop(a) == 0)
			assert_int_equal(fl_vlan_pop(b), 0);
		break;
	default: /* TTL / traffic class do not touch the L4 checksum */
		if (!fl->ipv6) {
			assert_int_equal(fl_rewrite_ipv4(a, fl->proto, 0, 0, 0, 0, 0x2e, 0xfc, 9, 0xff), 0);
			assert_int_equal(fl_rewrite_ipv4(b, fl->proto, 0, 0, 0, 0, 0x2e, 0xfc, 9, 0xff), 0);
		}
		break;
	}
}

static void test_partial_then_complete_equals_full(void **state)
{
	unsigned iter;

	(void)state;
	rng_seed(20261125);
	for (iter = 0; iter < 4000; iter++) {
		struct fl_build_flow fl = {
			.dl_src = {0x02, 0, 0, 0, 0, 1},
			.dl_dst = {0x02, 0, 0, 0, 0, 2},
			.vlan_tci = rnd(3) == 0 ? (uint16_t)(1 + rnd(4000)) : 0,
			.ipv6 = rnd(2),
			.ip4_src = (fl_be32)rng(),
			.ip4_dst = (fl_be32)rng(),
			.proto = rnd(2) ? FL_IPPROTO_TCP : FL_IPPROTO_UDP,
			.sport = (fl_be16)rng(),
			.dport = (fl_be16)rng(),
			.frame_len = 80 + rnd(1400),
		};
		struct fl_pkt *a, *b;
		unsigned i, n = 1 + rnd(4);

		for (i = 0; i < 16; i++) {
			fl.ip6_src[i] = (uint8_t)rng();
			fl.ip6_dst[i] = (uint8_t)rng();
		}
		a = frame(&fl);
		b = frame(&fl);
		make_partial(b, &fl);
		for (i = 0; i < n; i++)
			rewrite_both(a, b, &fl);
		assert_int_equal(b->csum_start, a->l4_ofs);
		complete(b, fl.proto);
		assert_int_equal(a->len, b->len);
		if (memcmp(fl_pkt_data(a), fl_pkt_data(b), a->len) != 0)
			fail_msg("iteration %u: frames differ after completion", iter);
		fl_pool_put(&cache, a);
		fl_pool_put(&cache, b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_then_complete_equals_full),
	};
	int ret;

	pool = fl_pool_create(&(struct fl_pool_params){
		.name = "t", .n_bufs = 64, .huge = FL_POOL_HUGE_NEVER});
	fl_pool_cache_init(&cache, pool, 0);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	return ret;
}
