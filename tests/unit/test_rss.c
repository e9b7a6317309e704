/* fl_rss_frame: the hash of a raw frame equals the RSS hash of its fields,
 * VLAN tags and IPv4 options are skipped, fragments and non-IP frames fall
 * back as documented, and no length makes it read past the frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/build.h"
#include "proto/rss.h"

static struct fl_toeplitz tz;

static size_t udp4(uint8_t *buf, size_t cap, bool vlan)
{
	struct fl_build_flow fl = {
		.dl_src = {0x02, 0, 0, 0, 0, 1},
		.dl_dst = {0x02, 0, 0, 0, 0, 2},
		.ip4_src = fl_htonl(0x0a000001),
		.ip4_dst = fl_htonl(0x0a800001),
		.proto = FL_IPPROTO_UDP,
		.sport = fl_htons(1234),
		.dport = fl_htons(53),
		.vlan_tci = vlan ? fl_htons(100) : 0,
		.frame_len = 64,
	};

	return fl_build_flow_frame(&fl, buf, cap);
}

static void test_ipv4_udp_matches_field_hash(void **state)
{
	uint8_t f[128], g[128];
	size_t n = udp4(f, sizeof(f), false), m = udp4(g, sizeof(g), true);
	uint32_t want = fl_rss_ipv4(&tz, fl_htonl(0x0a000001), fl_htonl(0x0a800001),
				    fl_htons(1234), fl_htons(53), true);

	(void)state;
	assert_int_equal(fl_rss_frame(&tz, f, (unsigned)n), want);
	assert_int_equal(fl_rss_frame(&tz, g, (unsigned)m), want);
	/* a fragment hashes on addresses only */
	f[14 + 6] = 0x20; /* more fragments */
	assert_int_equal(fl_rss_frame(&tz, f, (unsigned)n),
			 fl_rss_ipv4(&tz, fl_htonl(0x0a000001), fl_htonl(0x0a800001), 0, 0, false));
}

static void test_every_truncation_is_safe(void **state)
{
	uint8_t f[128];
	size_t n = udp4(f, sizeof(f), true), len;

	(void)state;
	for (len = 0; len <= n; len++) {
		/* a copy of exactly len bytes on the heap: ASan catches overreads */
		uint8_t *p = malloc(len ? len : 1);

		memcpy(p, f, len);
		(void)fl_rss_frame(&tz, p, (unsigned)len);
		free(p);
	}
}

static void test_non_ip_hashes_macs(void **state)
{
	uint8_t a[64] = {0}, b[64] = {0};

	(void)state;
	a[12] = b[12] = 0x88; /* some non-IP ethertype */
	a[13] = b[13] = 0xcc;
	a[5] = 1;
	b[5] = 2;
	assert_int_not_equal(fl_rss_frame(&tz, a, 64), fl_rss_frame(&tz, b, 64));
	b[5] = 1;
	b[40] = 7; /* payload does not matter */
	assert_int_equal(fl_rss_frame(&tz, a, 64), fl_rss_frame(&tz, b, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_udp_matches_field_hash),
		cmocka_unit_test(test_every_truncation_is_safe),
		cmocka_unit_test(test_non_ip_hashes_macs),
	};

	fl_toeplitz_init(&tz, fl_toeplitz_default_key, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
