/* Offloaded frames through the datapath: a TCP super-frame with a partial
 * checksum (as a TAP or AF_PACKET port with offloads on receives it) leaves
 * a port that takes offloads whole, and any other port as MSS-sized frames
 * with full checksums; a partial checksum alone is completed; flooding
 * copies a super-frame into big buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/csum.h"
#include "proto/parse.h"

#include "dp_fixture.h"

static int setup(void **state)
{
	struct fixture *f;

	dp_fixture_setup(state, "off", 512,
			 &(struct fl_dp_params){.n_bufs = 1024, .n_big_bufs = 8,
						.huge = FL_POOL_HUGE_NEVER});
	f = *state;
	/* port 3 stands for a TAP/AF_PACKET port: it takes offloaded frames */
	f->dp->ports[2]->tx_offloads = FL_PORT_TX_CSUM | FL_PORT_TX_TSO;
	f->w = fl_worker_create(f->dp, 0);
	assert_non_null(f->w);
	return 0;
}

#define MSS 1400u

/* A TCPv4 super-frame of `payload` bytes in a big buffer, checksum partial,
 * GSO metadata set, as fl_vnet_hdr_to_pkt leaves it. */
static struct fl_pkt *super_frame(struct fixture *f, unsigned payload, bool gso)
{
	struct fl_pkt *pkt = fl_pool_get_big(f->dp->pool);
	struct fl_builder b;
	uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 1};
	uint8_t *d;
	struct fl_key key;
	uint32_t pseudo;

	assert_non_null(pkt);
	fl_build_init(&b, fl_pkt_data(pkt), FL_PKT_BIG_DATAROOM);
	fl_build_eth(&b, dst, src);
	fl_build_ethertype(&b, FL_ETH_TYPE_IPV4);
	fl_build_ipv4(&b, fl_htonl(0x0a000001), fl_htonl(0x0a000002));
	fl_build_tcp(&b, fl_htons(40000), fl_htons(5201), 0x18);
	fl_build_payload(&b, payload, 7);
	pkt->len = (uint16_t)fl_build_finish(&b);
	pkt->in_port = 1;
	fl_parse(pkt, &key);
	assert_int_not_equal(pkt->l4_ofs, FL_OFS_NONE);
	d = fl_pkt_data(pkt);
	pseudo = fl_csum_pseudo_ipv4(fl_get_u32(d + 26), fl_get_u32(d + 30), FL_IPPROTO_TCP,
				     (uint16_t)(pkt->len - pkt->l4_ofs));
	fl_put_u16(d + pkt->l4_ofs + 16, (fl_be16)~fl_csum_fold(pseudo));
	pkt->ol_flags |= FL_OL_CSUM_PARTIAL;
	pkt->csum_start = pkt->l4_ofs;
	pkt->csum_offset = 16;
	if (gso) {
		pkt->ol_flags |= FL_OL_GSO_TCP4;
		pkt->gso_size = MSS;
	}
	return pkt;
}

static bool l4_csum_ok(struct fl_pkt *pkt)
{
	const uint8_t *d = fl_pkt_cdata(pkt);

	return fl_l4_csum_ipv4(fl_get_u32(d + 26), fl_get_u32(d + 30), FL_IPPROTO_TCP,
			       d + pkt->l4_ofs, pkt->len - pkt->l4_ofs) == 0;
}

static void test_super_frame_segmented_for_plain_port(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *pkt = super_frame(f, 20000, true), *out[64];
	unsigned n, i, total = 0;
	struct fl_key key;

	dp_fixture_flows(f, "in_port=1,actions=output:2");
	fl_worker_inject(f->w, &pkt, 1);
	n = drain(f, 1, out, 64);
	assert_int_equal(n, (20000 + MSS - 1) / MSS);
	for (i = 0; i < n; i++) {
		assert_false(out[i]->big);
		assert_true(out[i]->len <= 1514);
		fl_parse(out[i], &key);
		assert_true(l4_csum_ok(out[i]));
		total += out[i]->len - (out[i]->l4_ofs + 20u);
	}
	assert_int_equal(total, 20000);
	fl_pool_put_bulk(&f->cache, out, n);
}

static void test_super_frame_whole_for_offload_port(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *pkt = super_frame(f, 30000, true), *out[4];

	dp_fixture_flows(f, "in_port=1,actions=output:3");
	fl_worker_inject(f->w, &pkt, 1);
	assert_int_equal(drain(f, 2, out, 4), 1);
	assert_true(out[0]->big);
	assert_int_equal(out[0]->gso_size, MSS);
	assert_true(out[0]->ol_flags & FL_OL_CSUM_PARTIAL);
	assert_int_equal(out[0]->len, 14 + 20 + 20 + 30000);
	fl_pool_put(&f->cache, out[0]);
}

static void test_partial_checksum_completed(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *pkt = super_frame(f, 1000, false), *out[4];
	struct fl_key key;

	dp_fixture_flows(f, "ip,in_port=1,actions=mod_nw_dst:10.9.9.9,output:2");
	fl_worker_inject(f->w, &pkt, 1);
	assert_int_equal(drain(f, 1, out, 4), 1);
	assert_false(out[0]->ol_flags & FL_OL_CSUM_PARTIAL);
	fl_parse(out[0], &key);
	assert_true(l4_csum_ok(out[0]));
	fl_pool_put(&f->cache, out[0]);
}

static void test_flood_copies_super_frames(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *pkt = super_frame(f, 10000, true), *out[64];

	dp_fixture_flows(f, "in_port=1,actions=flood");
	fl_worker_inject(f->w, &pkt, 1);
	assert_int_equal(drain(f, 1, out, 64), (10000 + MSS - 1) / MSS); /* segmented */
	fl_pool_put_bulk(&f->cache, out, (10000 + MSS - 1) / MSS);
	assert_int_equal(drain(f, 2, out, 64), 1); /* whole */
	assert_true(out[0]->big);
	fl_pool_put(&f->cache, out[0]);
}

static void test_oversized_plain_frame_dropped(void **state)
{
	struct fixture *f = *state;
	struct fl_pkt *pkt = super_frame(f, 3000, false), *out[4];
	struct fl_port_stats st;

	pkt->ol_flags = 0; /* no offload: just too long for a 1500 MTU */
	dp_fixture_flows(f, "in_port=1,actions=output:2");
	fl_worker_inject(f->w, &pkt, 1);
	assert_int_equal(drain(f, 1, out, 4), 0);
	fl_port_get_stats(f->dp->ports[1], &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TOO_BIG], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_super_frame_segmented_for_plain_port, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_super_frame_whole_for_offload_port, setup,
						dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_partial_checksum_completed, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flood_copies_super_frames, setup, dp_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_oversized_plain_frame_dropped, setup, dp_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
