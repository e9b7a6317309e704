/* Tests of the port layer and its four backends (null, ring, pcap, gen).
 *
 * Spec parsing and open errors are checked against their exact messages,
 * since the messages are the user interface. Every backend is checked for
 * its counters and for leaving the pool as it found it (every buffer back in
 * the shared ring after the test's cache is flushed). Capture files are
 * written by the tests themselves, byte by byte, into a temporary directory:
 * good ones, and each kind of bad one the pcap port must name. Generated
 * frames are checked at fixed header offsets, without the parser module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/byteorder.h"
#include "port/port.h"

#define N_BUFS 2048u
#define BURST 32u

static struct fl_pool *pool;
static struct fl_pool_cache cache;
static char tmpdir[64];
static char err[512];

/* ---- helpers ---------------------------------------------------------- */

static const char *tmp_path(const char *name)
{
	static char bufs[4][256];
	static unsigned next;
	char *p = bufs[next++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return p;
}

static struct fl_port *open_ok(const char *name, uint32_t port_no, const char *spec)
{
	struct fl_port *port;

	err[0] = '\0';
	port = fl_port_open(name, port_no, spec, pool, err, sizeof(err));
	if (!port)
		fail_msg("open '%s': %s", spec, err);
	return port;
}

/* Opening `spec` as port "p0" fails with exactly `msg`. */
static void open_fails(const char *spec, const char *msg)
{
	struct fl_port *port;

	err[0] = '\0';
	errno = 0;
	port = fl_port_open("p0", 1, spec, pool, err, sizeof(err));
	assert_null(port);
	assert_true(errno > 0);
	assert_string_equal(err, msg);
}

/* Every buffer of the pool is back in the shared ring. */
static void assert_pool_full(void)
{
	struct fl_pool_stats st;

	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &st);
	assert_int_equal(st.in_ring, N_BUFS);
	assert_int_equal(st.bad_puts, 0);
}

/* Receive until eof, `max` frames, or many empty polls in a row. */
static unsigned rx_all(struct fl_port *port, struct fl_pkt **out, unsigned max, unsigned burst)
{
	unsigned total = 0, idle = 0, got;

	while (total < max && !fl_port_rx_eof(port) && idle < 100) {
		got = fl_port_rx_burst(port, 0, &cache, out + total, FL_MIN(burst, max - total));
		idle = got ? 0 : idle + 1;
		total += got;
	}
	return total;
}

static void put_all(struct fl_pkt **pkts, unsigned n)
{
	fl_pool_put_bulk(&cache, pkts, n);
}

/* A frame of `len` bytes whose content depends on `seed`. */
static void fill_frame(uint8_t *buf, unsigned len, unsigned seed)
{
	unsigned i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7);
	if (len >= 14) {
		buf[12] = 0x08;
		buf[13] = 0x00;
	}
}

static struct fl_pkt *make_pkt(unsigned len, unsigned seed)
{
	struct fl_pkt *pkt = NULL;
	uint8_t *p;

	assert_int_equal(fl_pool_get_burst(&cache, &pkt, 1), 1);
	p = fl_pkt_append(pkt, len);
	assert_non_null(p);
	fill_frame(p, len, seed);
	return pkt;
}

static bool frame_is(const struct fl_pkt *pkt, unsigned len, unsigned seed)
{
	uint8_t want[FL_PKT_DATAROOM];

	fill_frame(want, len, seed);
	return pkt->len == len && !memcmp(fl_pkt_cdata(pkt), want, len);
}

/* Capture files built byte by byte (host order is little endian). */
struct bytes {
	size_t len;
	uint8_t buf[64 * 1024];
};

static void put_le32(struct bytes *b, uint32_t v)
{
	memcpy(b->buf + b->len, &v, 4);
	b->len += 4;
}

static void put_le16(struct bytes *b, uint16_t v)
{
	memcpy(b->buf + b->len, &v, 2);
	b->len += 2;
}

static void put_raw(struct bytes *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void pcap_hdr(struct bytes *b, uint32_t magic, uint32_t linktype)
{
	b->len = 0;
	put_le32(b, magic);
	put_le16(b, 2);
	put_le16(b, 4);
	put_le32(b, 0);
	put_le32(b, 0);
	put_le32(b, 65535);
	put_le32(b, linktype);
}

/* A record of caplen bytes of frame `seed` claiming wire length len. */
static void pcap_rec(struct bytes *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
		     unsigned seed)
{
	uint8_t frame[4096];

	put_le32(b, sec);
	put_le32(b, frac);
	put_le32(b, caplen);
	put_le32(b, len);
	fill_frame(frame, caplen, seed);
	put_raw(b, frame, caplen);
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *path = tmp_path(name);
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static const char *spec_of(const char *fmt, const char *path)
{
	static char spec[FL_PORT_SPEC_MAX];

	snprintf(spec, sizeof(spec), fmt, path);
	return spec;
}

/* ---- spec parsing ----------------------------------------------------- */

static void spec_parses_type_and_options(void **state)
{
	struct fl_port_args a;

	(void)state;
	assert_int_equal(fl_port_parse_spec("pcap:in.pcap,loop=3", &a, err, sizeof(err)), 0);
	assert_string_equal(a.type, "pcap");
	assert_int_equal(a.n, 2);
	assert_string_equal(a.kv[0].key, "");
	assert_string_equal(a.kv[0].value, "in.pcap");
	assert_string_equal(a.kv[1].key, "loop");
	assert_string_equal(a.kv[1].value, "3");
	assert_string_equal(fl_port_arg(&a, ""), "in.pcap");
	assert_string_equal(fl_port_arg(&a, "loop"), "3");
	assert_null(fl_port_arg(&a, "tx"));

	assert_int_equal(fl_port_parse_spec("null:", &a, err, sizeof(err)), 0);
	assert_string_equal(a.type, "null");
	assert_int_equal(a.n, 0);
	assert_int_equal(fl_port_parse_spec("null", &a, err, sizeof(err)), 0);
	assert_string_equal(a.type, "null");
	assert_int_equal(a.n, 0);

	assert_int_equal(fl_port_parse_spec("gen:flows=10,size=64-128,rate=1M", &a, err,
					    sizeof(err)), 0);
	assert_int_equal(a.n, 3);
	assert_string_equal(fl_port_arg(&a, "size"), "64-128");
	assert_null(fl_port_arg(&a, ""));

	/* a value may contain '=' and ':' after the first '=' */
	assert_int_equal(fl_port_parse_spec("pcap:tx=a=b:c", &a, err, sizeof(err)), 0);
	assert_string_equal(fl_port_arg(&a, "tx"), "a=b:c");
}

static void spec_parse_fail(const char *spec, const char *msg)
{
	struct fl_port_args a;

	err[0] = '\0';
	assert_int_equal(fl_port_parse_spec(spec, &a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void spec_rejects_bad_syntax(void **state)
{
	char spec[400];
	unsigned i;

	(void)state;
	spec_parse_fail("", "empty port spec (expected TYPE:ARGS)");
	spec_parse_fail(":a", "port spec ':a': missing type before ':'");
	spec_parse_fail("pcap:a,,loop=1", "port spec 'pcap:a,,loop=1': empty option at column 8");
	spec_parse_fail("pcap:a,", "port spec 'pcap:a,': empty option at column 8");
	spec_parse_fail("pcap:a,b",
			"port spec 'pcap:a,b': unexpected value 'b' (only the first argument may "
			"omit 'key=')");
	spec_parse_fail("pcap:loop=1,a",
			"port spec 'pcap:loop=1,a': unexpected value 'a' (only the first "
			"argument may omit 'key=')");
	spec_parse_fail("pcap:a,=3", "port spec 'pcap:a,=3': option '=3' has no name");
	spec_parse_fail("pcap:a,loop=1,loop=2",
			"port spec 'pcap:a,loop=1,loop=2': option 'loop' given twice");
	spec_parse_fail("averyveryverylongtype:",
			"port spec 'averyveryverylongtype:': type 'averyveryverylongtype' too long");

	strcpy(spec, "gen:");
	for (i = 0; i < FL_PORT_MAX_ARGS + 1; i++)
		sprintf(spec + strlen(spec), "%sk%u=1", i ? "," : "", i);
	{
		char want[512];

		snprintf(want, sizeof(want), "port spec '%s': too many options (at most 16)", spec);
		spec_parse_fail(spec, want);
	}
	memset(spec, 'a', 300);
	memcpy(spec, "pcap:", 5);
	spec[300] = '\0';
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "port spec '%.32s...' too long (at most 255 characters)", spec);
		spec_parse_fail(spec, want);
	}
}

static void arg_u64_parses_numbers_and_suffixes(void **state)
{
	struct fl_port_args a;
	uint64_t v;

	(void)state;
	assert_int_equal(fl_port_parse_spec("gen:rate=1M,flows=2k,count=12,seed=3G,size=,x=12q,"
					    "y=99999999999999999999,z=k", &a, err, sizeof(err)), 0);
	assert_int_equal(fl_port_arg_u64(&a, "rate", 0, 1, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(fl_port_arg_u64(&a, "flows", 0, 1, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(fl_port_arg_u64(&a, "count", 0, 1, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 12);
	assert_int_equal(fl_port_arg_u64(&a, "seed", 0, 0, UINT64_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 3000000000ull);
	assert_int_equal(fl_port_arg_u64(&a, "absent", 77, 1, 5, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 77);

	assert_int_equal(fl_port_arg_u64(&a, "count", 0, 13, 100, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "gen: option count: 12 is below the minimum 13");
	assert_int_equal(fl_port_arg_u64(&a, "flows", 0, 1, 1000, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "gen: option flows: 2k is above the maximum 1000");
	assert_int_equal(fl_port_arg_u64(&a, "size", 0, 1, 100, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "gen: option size: empty value");
	assert_int_equal(fl_port_arg_u64(&a, "x", 0, 1, 100, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "gen: option x: '12q' is not a number");
	assert_int_equal(fl_port_arg_u64(&a, "z", 0, 1, 100, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "gen: option z: 'k' is not a number");
	assert_int_equal(fl_port_arg_u64(&a, "y", 0, 1, UINT64_MAX, &v, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "gen: option y: 99999999999999999999 is above the maximum "
				 "18446744073709551615");
}

/* ---- open, close, the backend list ------------------------------------ */

static void open_rejects_bad_specs(void **state)
{
	char long_name[FL_PORT_NAME_MAX + 8], want[128];

	(void)state;
#ifdef FL_HAVE_AFXDP
	open_fails("pcapp:x", "p0: unknown port type 'pcapp' (known: pcap, gen, null, ring, tap, "
			      "afpacket, afxdp)");
#else
	open_fails("pcapp:x", "p0: unknown port type 'pcapp' (known: pcap, gen, null, ring, tap, "
			      "afpacket)");
#endif
	open_fails("pcap:x.pcap,lop=3", "p0: pcap: unknown option 'lop' (known: loop, tx)");
	open_fails("null:x=1", "p0: null: unknown option 'x' (known: mtu)");
	open_fails("pcap:", "p0: port spec 'pcap:': missing file");
	open_fails("gen:foo", "p0: gen: unexpected value 'foo' (usage: gen:[flows=N][,size=S|S1-S2]"
			      "[,proto=udp|tcp|icmp|mix][,ipv6=PCT][,vlan=VID][,rate=PPS]"
			      "[,count=N][,seed=S])");
	open_fails("null:mtu=10", "p0: null: option mtu: 10 is below the minimum 68");
	open_fails("null:mtu=9000", "p0: null: option mtu: 9000 is above the maximum 2030");
	open_fails("pcap:a,b", "p0: port spec 'pcap:a,b': unexpected value 'b' (only the first "
			       "argument may omit 'key=')");

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_null(fl_port_open(long_name, 1, "null:", pool, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	snprintf(want, sizeof(want), "port name '%s' must be 1 to 31 characters", long_name);
	assert_string_equal(err, want);
	assert_null(fl_port_open("", 1, "null:", pool, err, sizeof(err)));
	assert_string_equal(err, "port name '' must be 1 to 31 characters");
}

static void backends_are_listed(void **state)
{
	const struct fl_port_ops *const *list;
	unsigned n;

	(void)state;
	list = fl_port_backends(&n);
#ifdef FL_HAVE_AFXDP
	assert_int_equal(n, 7);
	assert_string_equal(list[6]->type, "afxdp");
#else
	assert_int_equal(n, 6);
#endif
	assert_string_equal(list[0]->type, "pcap");
	assert_string_equal(list[1]->type, "gen");
	assert_string_equal(list[2]->type, "null");
	assert_string_equal(list[3]->type, "ring");
	assert_string_equal(list[4]->type, "tap");
	assert_string_equal(list[5]->type, "afpacket");
	assert_ptr_equal(fl_port_backend("ring"), &fl_port_ring_ops);
	assert_null(fl_port_backend("nope"));
	assert_string_equal(fl_port_backend("pcap")->usage,
			    "pcap:FILE[,loop=N|inf][,tx=OUT] or pcap:tx=OUT");
	assert_string_equal(fl_port_backend("ring")->usage, "ring:NAME[,size=N]");
}

static void drop_names_come_from_the_list(void **state)
{
	(void)state;
	assert_string_equal(fl_port_drop_name(FL_PORT_DROP_NO_BUFFER), "no_buffer");
	assert_string_equal(fl_port_drop_name(FL_PORT_DROP_TX_FULL), "tx_full");
	assert_string_equal(fl_port_drop_name(FL_PORT_DROP_NO_ROUTE), "no_output");
	assert_string_equal(fl_port_drop_text(FL_PORT_DROP_TX_FULL), "transmit queue full");
	assert_string_equal(fl_port_drop_name(FL_PORT_DROP_MAX), "unknown");
}

static void open_sets_name_spec_and_mtu(void **state)
{
	struct fl_port *port;

	(void)state;
	port = open_ok("n0", 7, "null:");
	assert_string_equal(port->name, "n0");
	assert_string_equal(port->spec, "null:");
	assert_int_equal(port->port_no, 7);
	assert_int_equal(port->mtu, 1500);
	assert_int_equal(port->n_rxq, 1);
	assert_int_equal(port->n_txq, 1);
	assert_ptr_equal(port->pool, pool);
	assert_int_equal((uintptr_t)port->rxq % FL_CACHE_LINE, 0);
	assert_int_equal((uintptr_t)port->txq % FL_CACHE_LINE, 0);
	fl_port_close(port);

	port = open_ok("n1", 8, "null:mtu=1400");
	assert_int_equal(port->mtu, 1400);
	fl_port_close(port);
	fl_port_close(NULL);
}

/* ---- null --------------------------------------------------------------- */

static void null_drops_everything_and_counts(void **state)
{
	struct fl_pkt *pkts[BURST];
	struct fl_port_stats st;
	struct fl_port *port;
	unsigned i;

	(void)state;
	port = open_ok("null0", 1, "null:");
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
	assert_true(fl_port_rx_eof(port)); /* a source that never delivers */
	assert_int_equal(fl_port_wait_fd(port, 0), -1);
	assert_true(fl_port_link_up(port));
	for (i = 0; i < 10; i++)
		pkts[i] = make_pkt(60 + i, i);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 10), 10);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 0), 0);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_packets, 10);
	assert_int_equal(st.tx_bytes, 10 * 60 + 45);
	assert_int_equal(st.rx_packets, 0);
	for (i = 0; i < FL_PORT_DROP_MAX; i++)
		assert_int_equal(st.tx_drops[i] + st.rx_drops[i], 0);
	fl_port_close(port);
	assert_pool_full();
}

/* ---- ring --------------------------------------------------------------- */

static void ring_pair_moves_frames_both_ways(void **state)
{
	struct fl_pkt *pkts[BURST], *sent[BURST];
	struct fl_port *a, *b;
	struct fl_port_stats st;
	unsigned i;

	(void)state;
	a = open_ok("ra", 1, "ring:cable");
	assert_false(fl_port_link_up(a));
	b = open_ok("rb", 2, "ring:cable");
	assert_true(fl_port_link_up(a));
	assert_true(fl_port_link_up(b));
	open_fails("ring:cable", "p0: ring 'cable': both ends are already open");

	for (i = 0; i < 5; i++) {
		sent[i] = pkts[i] = make_pkt(64 + i, i);
		pkts[i]->l3_ofs = 14;
		pkts[i]->timestamp = 1000 + i;
	}
	assert_int_equal(fl_port_tx_burst(a, 0, &cache, pkts, 5), 5);
	assert_int_equal(fl_port_rx_burst(a, 0, &cache, pkts, BURST), 0);
	assert_int_equal(fl_port_rx_burst(b, 0, &cache, pkts, BURST), 5);
	for (i = 0; i < 5; i++) {
		assert_ptr_equal(pkts[i], sent[i]); /* zero copy */
		assert_true(frame_is(pkts[i], 64 + i, i));
		assert_int_equal(pkts[i]->in_port, 2);
		assert_int_equal(pkts[i]->l3_ofs, FL_OFS_NONE);
		assert_int_equal(pkts[i]->timestamp, 1000 + i);
	}
	/* and back */
	assert_int_equal(fl_port_tx_burst(b, 0, &cache, pkts, 5), 5);
	assert_int_equal(fl_port_rx_burst(a, 0, &cache, pkts, BURST), 5);
	for (i = 0; i < 5; i++) {
		assert_true(frame_is(pkts[i], 64 + i, i));
		assert_int_equal(pkts[i]->in_port, 1);
	}
	put_all(pkts, 5);

	fl_port_get_stats(a, &st);
	assert_int_equal(st.tx_packets, 5);
	assert_int_equal(st.rx_packets, 5);
	assert_int_equal(st.tx_bytes, 5 * 64 + 10);
	assert_int_equal(st.rx_bytes, 5 * 64 + 10);
	assert_int_equal(fl_port_wait_fd(a, 0), -1);
	assert_false(fl_port_rx_eof(a));

	fl_port_close(b);
	assert_false(fl_port_link_up(a));
	/* a closed end can be opened again */
	b = open_ok("rb", 2, "ring:cable");
	assert_true(fl_port_link_up(a));
	fl_port_close(a);
	fl_port_close(b);
	assert_pool_full();
}

static void ring_full_refuses_and_counts_tx_full(void **state)
{
	struct fl_pkt *pkts[BURST];
	struct fl_port *a, *b;
	struct fl_port_stats st;
	unsigned i;

	(void)state;
	a = open_ok("ra", 1, "ring:small,size=4");
	open_fails("ring:small,size=8", "p0: ring 'small': size 8 differs from the 4 of the open end");
	b = open_ok("rb", 2, "ring:small");
	for (i = 0; i < 6; i++)
		pkts[i] = make_pkt(100, i);
	assert_int_equal(fl_port_tx_burst(a, 0, &cache, pkts, 6), 4);
	fl_port_get_stats(a, &st);
	assert_int_equal(st.tx_packets, 4);
	assert_int_equal(st.tx_bytes, 400);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TX_FULL], 2);
	assert_int_equal(fl_port_rx_burst(b, 0, &cache, pkts, BURST), 4);
	for (i = 0; i < 4; i++)
		assert_true(frame_is(pkts[i], 100, i));
	put_all(pkts, 4);
	fl_port_close(a);
	fl_port_close(b);
	assert_pool_full();
}

static void ring_close_returns_queued_buffers(void **state)
{
	struct fl_pkt *pkts[BURST];
	struct fl_port *a, *b;
	struct fl_pool_stats ps;
	unsigned i;

	(void)state;
	a = open_ok("ra", 1, "ring:leaky,size=64");
	b = open_ok("rb", 2, "ring:leaky");
	for (i = 0; i < 20; i++)
		pkts[i] = make_pkt(80, i);
	assert_int_equal(fl_port_tx_burst(a, 0, &cache, pkts, 12), 12);
	assert_int_equal(fl_port_tx_burst(b, 0, &cache, pkts + 12, 8), 8);
	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &ps);
	assert_int_equal(ps.in_ring, N_BUFS - 20);
	/* a drains what b sent it; b, the last end, drains the rest */
	fl_port_close(a);
	fl_pool_get_stats(pool, &ps);
	assert_int_equal(ps.in_ring, N_BUFS - 12);
	fl_port_close(b);
	assert_pool_full();
}

static void ring_rejects_bad_options(void **state)
{
	(void)state;
	open_fails("ring:", "p0: port spec 'ring:': missing ring name");
	open_fails("ring:x,size=1000", "p0: ring: option size: 1000 is not a power of two");
	open_fails("ring:x,size=1", "p0: ring: option size: 1 is below the minimum 2");
	open_fails("ring:x,speed=1", "p0: ring: unknown option 'speed' (known: size)");
	open_fails("ring:abcdefghijabcdefghijabcdefghijab",
		   "p0: ring: name 'abcdefghijabcdefghijabcdefghijab' too long (at most 31 "
		   "characters)");
}

/* ---- pcap --------------------------------------------------------------- */

static void pcap_write_then_read_back(void **state)
{
	static const unsigned lens[] = {60, 64, 1514, 2048, 61, 128, 1000, 77};
	struct fl_pkt *pkts[BURST];
	struct fl_port *out, *in;
	struct fl_port_stats st;
	const char *path = tmp_path("rt.pcap");
	uint64_t bytes = 0, before;
	struct timespec now;
	unsigned i, n = FL_ARRAY_SIZE(lens);

	(void)state;
	out = open_ok("out", 1, spec_of("pcap:tx=%s", path));
	for (i = 0; i < n; i++) {
		pkts[i] = make_pkt(lens[i], i);
		pkts[i]->timestamp = (i + 1) * 1000000000ull + i * 1001; /* ns survive */
		bytes += lens[i];
	}
	pkts[n] = make_pkt(70, 99); /* no timestamp: written with the current time */
	clock_gettime(CLOCK_REALTIME, &now);
	before = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	assert_int_equal(fl_port_tx_burst(out, 0, &cache, pkts, n + 1), n + 1);
	fl_port_get_stats(out, &st);
	assert_int_equal(st.tx_packets, n + 1);
	assert_int_equal(st.tx_bytes, bytes + 70);
	/* a tx-only port has nothing to receive */
	assert_int_equal(fl_port_rx_burst(out, 0, &cache, pkts, BURST), 0);
	assert_true(fl_port_rx_eof(out));
	fl_port_close(out);

	in = open_ok("in", 3, spec_of("pcap:%s", path));
	assert_false(fl_port_rx_eof(in));
	assert_int_equal(rx_all(in, pkts, BURST, 3), n + 1);
	assert_true(fl_port_rx_eof(in));
	for (i = 0; i < n; i++) {
		assert_true(frame_is(pkts[i], lens[i], i));
		assert_int_equal(pkts[i]->timestamp, (i + 1) * 1000000000ull + i * 1001);
		assert_int_equal(pkts[i]->in_port, 3);
	}
	assert_true(frame_is(pkts[n], 70, 99));
	assert_true(pkts[n]->timestamp >= before);
	assert_true(pkts[n]->timestamp < before + 60 * 1000000000ull);
	fl_port_get_stats(in, &st);
	assert_int_equal(st.rx_packets, n + 1);
	assert_int_equal(st.rx_bytes, bytes + 70);
	put_all(pkts, n + 1);
	assert_int_equal(fl_port_rx_burst(in, 0, &cache, pkts, BURST), 0);

	/* a port without tx= discards what it is sent */
	pkts[0] = make_pkt(60, 1);
	assert_int_equal(fl_port_tx_burst(in, 0, &cache, pkts, 1), 1);
	fl_port_close(in);
	assert_pool_full();
}

static const char *write_records(const char *name, unsigned n, unsigned first_len)
{
	static struct bytes b;
	unsigned i;

	pcap_hdr(&b, 0xa1b2c3d4, 1);
	for (i = 0; i < n; i++)
		pcap_rec(&b, 100 + i, 10 * i, first_len + i, first_len + i, i);
	return write_file(name, b.buf, b.len);
}

static void pcap_loop_plays_the_file_n_times(void **state)
{
	struct fl_pkt *pkts[64];
	struct fl_port *port;
	struct fl_port_stats st;
	const char *path = write_records("loop.pcap", 7, 60);
	uint64_t last_ts = 0;
	unsigned i;

	(void)state;
	port = open_ok("lp", 1, spec_of("pcap:%s,loop=3", path));
	/* bursts of 4 cross the pass boundaries at odd places */
	assert_int_equal(rx_all(port, pkts, 64, 4), 21);
	assert_true(fl_port_rx_eof(port));
	for (i = 0; i < 21; i++) {
		assert_true(frame_is(pkts[i], 60 + i % 7, i % 7));
		assert_true(pkts[i]->timestamp > last_ts); /* grows across passes */
		last_ts = pkts[i]->timestamp;
	}
	assert_int_equal(pkts[0]->timestamp, 100 * 1000000000ull);
	assert_int_equal(pkts[1]->timestamp, 101 * 1000000000ull + 10000);
	put_all(pkts, 21);
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 21);
	assert_int_equal(st.rx_bytes, 3 * (7 * 60 + 21));
	fl_port_close(port);

	port = open_ok("lp", 1, spec_of("pcap:%s,loop=inf", path));
	for (i = 0; i < 100; i++) {
		assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), BURST);
		assert_true(frame_is(pkts[BURST - 1], 60 + (i * BURST + BURST - 1) % 7,
				     (i * BURST + BURST - 1) % 7));
		put_all(pkts, BURST);
	}
	assert_false(fl_port_rx_eof(port));
	fl_port_close(port);

	/* a file of no records ends at once, looping or not */
	path = write_records("none.pcap", 0, 60);
	port = open_ok("lp", 1, spec_of("pcap:%s,loop=inf", path));
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
	assert_true(fl_port_rx_eof(port));
	fl_port_close(port);
	port = open_ok("lp", 1, spec_of("pcap:%s", path));
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
	assert_true(fl_port_rx_eof(port));
	fl_port_close(port);

	open_fails(spec_of("pcap:%s,loop=0", path), "p0: pcap: option loop: 0 is below the minimum 1");
	open_fails(spec_of("pcap:%s,loop=forever", path),
		   "p0: pcap: option loop: 'forever' is not a number");
	open_fails("pcap:loop=2", "p0: pcap: loop= needs a file to read");
	open_fails(spec_of("pcap:%s,tx=x.pcap", "x.pcap"),
		   "p0: pcap: 'x.pcap' cannot be both read and written");
	assert_pool_full();
}

/* Records a port must skip: captured short, and longer than a buffer. */
static void pcap_skips_short_and_oversized_records(void **state)
{
	static struct bytes b;
	struct fl_pkt *pkts[64];
	struct fl_port *port;
	struct fl_port_stats st;
	const char *path;
	unsigned loop;

	(void)state;
	pcap_hdr(&b, 0xa1b2c3d4, 1);
	pcap_rec(&b, 1, 0, 60, 60, 0);
	pcap_rec(&b, 2, 0, 64, 1500, 1);   /* snapped: malformed */
	pcap_rec(&b, 3, 0, 3000, 3000, 2); /* larger than the data room */
	pcap_rec(&b, 4, 0, 2048, 2048, 3); /* exactly the data room: fine */
	path = write_file("skips.pcap", b.buf, b.len);

	for (loop = 1; loop <= 2; loop++) {
		port = open_ok("sk", 1, loop == 1 ? spec_of("pcap:%s", path)
						  : spec_of("pcap:%s,loop=2", path));
		assert_int_equal(rx_all(port, pkts, 64, BURST), 2 * loop);
		assert_true(frame_is(pkts[0], 60, 0));
		assert_true(frame_is(pkts[1], 2048, 3));
		fl_port_get_stats(port, &st);
		assert_int_equal(st.rx_packets, 2 * loop);
		assert_int_equal(st.rx_drops[FL_PORT_DROP_MALFORMED], loop);
		assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], loop);
		put_all(pkts, 2 * loop);
		fl_port_close(port);
	}
	assert_pool_full();
}

static void pcap_reports_bad_files(void **state)
{
	static struct bytes b;
	char want[512];
	const char *path;

	(void)state;
	path = tmp_path("missing.pcap");
	snprintf(want, sizeof(want), "p0: pcap: cannot open '%s': No such file or directory", path);
	open_fails(spec_of("pcap:%s", path), want);

	path = write_file("empty.pcap", "", 0);
	snprintf(want, sizeof(want), "p0: pcap: '%s' is empty", path);
	open_fails(spec_of("pcap:%s", path), want);

	path = write_file("garbage.pcap", "this is not a capture file at all, just text\n", 45);
	snprintf(want, sizeof(want), "p0: pcap: '%s' is not a pcap or pcapng file", path);
	open_fails(spec_of("pcap:%s", path), want);

	pcap_hdr(&b, 0xa1b2c3d4, 1);
	path = write_file("shorthdr.pcap", b.buf, 10);
	snprintf(want, sizeof(want), "p0: pcap: '%s': truncated file header (10 of 24 bytes)",
		 path);
	open_fails(spec_of("pcap:%s", path), want);
	path = write_file("tiny.pcap", b.buf, 3);
	snprintf(want, sizeof(want), "p0: pcap: '%s': truncated file header (3 bytes)", path);
	open_fails(spec_of("pcap:%s", path), want);

	pcap_hdr(&b, 0xa1b2c3d4, 0);
	pcap_rec(&b, 1, 0, 60, 60, 0);
	path = write_file("null.pcap", b.buf, b.len);
	snprintf(want, sizeof(want), "p0: pcap: '%s': link type 0 (NULL) not supported, only EN10MB",
		 path);
	open_fails(spec_of("pcap:%s", path), want);
	open_fails(spec_of("pcap:%s,loop=2", path), want);

	snprintf(want, sizeof(want), "p0: pcap: cannot create '%s/no/such/dir.pcap': No such file "
				     "or directory", tmpdir);
	open_fails(spec_of("pcap:tx=%s/no/such/dir.pcap", tmpdir), want);
}

static void pcap_truncated_record(void **state)
{
	static struct bytes b;
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	struct fl_port_stats st;
	char want[512];
	const char *path;

	(void)state;
	pcap_hdr(&b, 0xa1b2c3d4, 1);
	pcap_rec(&b, 1, 0, 60, 60, 0);
	pcap_rec(&b, 2, 0, 100, 100, 1);
	path = write_file("cut.pcap", b.buf, b.len - 90); /* second record: 10 of 100 bytes */

	/* loop mode loads the whole file at open: the open fails */
	port = fl_port_open("p0", 1, spec_of("pcap:%s,loop=2", path), pool, err, sizeof(err));
	assert_null(port);
	snprintf(want, sizeof(want), "p0: pcap: '%s': record 2: truncated dump file", path);
	assert_memory_equal(err, want, strlen(want));

	/* read once: the first record arrives, then the stream ends in an error */
	port = open_ok("cut", 1, spec_of("pcap:%s", path));
	assert_int_equal(rx_all(port, pkts, BURST, BURST), 1);
	assert_true(frame_is(pkts[0], 60, 0));
	assert_true(fl_port_rx_eof(port));
	snprintf(want, sizeof(want), "pcap: '%s': truncated dump file", path);
	assert_memory_equal(port->error, want, strlen(want));
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 1);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_ERROR], 1);
	put_all(pkts, 1);
	fl_port_close(port);
	assert_pool_full();
}

/* Nanosecond and byte-swapped pcap files, and pcapng, read the same. */
static void pcap_reads_other_formats(void **state)
{
	static struct bytes b;
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	const char *path;
	uint8_t frame[100];
	uint32_t w;
	unsigned i;

	(void)state;
	/* nanosecond magic */
	pcap_hdr(&b, 0xa1b23c4d, 1);
	pcap_rec(&b, 5, 123456789, 60, 60, 4);
	path = write_file("ns.pcap", b.buf, b.len);
	port = open_ok("ns", 1, spec_of("pcap:%s", path));
	assert_int_equal(rx_all(port, pkts, BURST, BURST), 1);
	assert_int_equal(pkts[0]->timestamp, 5123456789ull);
	assert_true(frame_is(pkts[0], 60, 4));
	put_all(pkts, 1);
	fl_port_close(port);

	/* big-endian microsecond file: every header field swapped */
	pcap_hdr(&b, 0xa1b2c3d4, 1);
	pcap_rec(&b, 5, 7, 60, 60, 4);
	for (i = 0; i < 24 + 16; i += 4) {
		memcpy(&w, b.buf + i, 4);
		w = __builtin_bswap32(w);
		memcpy(b.buf + i, &w, 4);
	}
	/* version fields are two 16-bit values, not one 32-bit one */
	b.buf[4] = 0, b.buf[5] = 2, b.buf[6] = 0, b.buf[7] = 4;
	path = write_file("be.pcap", b.buf, b.len);
	port = open_ok("be", 1, spec_of("pcap:%s", path));
	assert_int_equal(rx_all(port, pkts, BURST, BURST), 1);
	assert_int_equal(pkts[0]->timestamp, 5000007000ull);
	assert_true(frame_is(pkts[0], 60, 4));
	put_all(pkts, 1);
	fl_port_close(port);

	/* pcapng: section header, interface description, two enhanced packets */
	b.len = 0;
	put_le32(&b, 0x0a0d0d0a);
	put_le32(&b, 28);
	put_le32(&b, 0x1a2b3c4d);
	put_le16(&b, 1);
	put_le16(&b, 0);
	put_le32(&b, 0xffffffff);
	put_le32(&b, 0xffffffff);
	put_le32(&b, 28);
	put_le32(&b, 1);
	put_le32(&b, 20);
	put_le16(&b, 1); /* LINKTYPE_ETHERNET */
	put_le16(&b, 0);
	put_le32(&b, 65535);
	put_le32(&b, 20);
	for (i = 0; i < 2; i++) {
		unsigned len = 62 + i, padded = (len + 3) & ~3u;
		uint64_t ts = 1000000ull * (10 + i) + 5; /* microseconds by default */

		put_le32(&b, 6);
		put_le32(&b, 32 + padded);
		put_le32(&b, 0);
		put_le32(&b, (uint32_t)(ts >> 32));
		put_le32(&b, (uint32_t)ts);
		put_le32(&b, len);
		put_le32(&b, len);
		fill_frame(frame, len, 20 + i);
		memset(frame + len, 0, padded - len);
		put_raw(&b, frame, padded);
		put_le32(&b, 32 + padded);
	}
	path = write_file("ng.pcapng", b.buf, b.len);
	for (i = 0; i < 2; i++) {
		port = open_ok("ng", 1, spec_of(i ? "pcap:%s,loop=1" : "pcap:%s", path));
		assert_int_equal(rx_all(port, pkts, BURST, BURST), 2);
		assert_true(frame_is(pkts[0], 62, 20));
		assert_true(frame_is(pkts[1], 63, 21));
		assert_int_equal(pkts[0]->timestamp, 10000005000ull);
		assert_int_equal(pkts[1]->timestamp, 11000005000ull);
		put_all(pkts, 2);
		fl_port_close(port);
	}
	assert_pool_full();
}

/* ---- pool exhaustion -------------------------------------------------- */

/* Hold all but `keep` buffers of the pool in `held`; returns how many. */
static unsigned hold_buffers(struct fl_pkt **held, unsigned keep)
{
	unsigned n = 0;

	while (n < N_BUFS - keep)
		n += fl_pool_get_burst(&cache, held + n, FL_MIN(BURST, N_BUFS - keep - n));
	return n;
}

static void rx_without_buffers_counts_no_buffer(void **state)
{
	static struct fl_pkt *held[N_BUFS];
	static const char *const fmts[] = {"gen:count=100", "pcap:%s", "pcap:%s,loop=10"};
	const char *path = write_records("nobuf.pcap", 10, 60);
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	struct fl_port_stats st;
	unsigned n_held, f, got, total;

	(void)state;
	for (f = 0; f < FL_ARRAY_SIZE(fmts); f++) {
		uint64_t frames = f == 1 ? 10 : 100;

		port = open_ok("nb", 1, spec_of(fmts[f], path));
		/* nothing at all: every frame offered is dropped */
		n_held = hold_buffers(held, 0);
		fl_pool_cache_flush(&cache);
		assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, 4), 0);
		fl_port_get_stats(port, &st);
		assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 4);
		put_all(held, n_held);

		/* three buffers: bursts of 8 deliver 3 and drop 5 */
		n_held = hold_buffers(held, 3);
		fl_pool_cache_flush(&cache);
		total = 0;
		while (!fl_port_rx_eof(port)) {
			got = fl_port_rx_burst(port, 0, &cache, pkts, 8);
			assert_true(got <= 3);
			total += got;
			put_all(pkts, got);
			fl_pool_cache_flush(&cache);
		}
		fl_port_get_stats(port, &st);
		assert_int_equal(st.rx_packets, total);
		assert_int_equal(st.rx_packets + st.rx_drops[FL_PORT_DROP_NO_BUFFER], frames);
		assert_true(total >= 3);
		put_all(held, n_held);
		fl_port_close(port);
	}
	assert_pool_full();
}

/* ---- gen ------------------------------------------------------------------ */

#define ETH_TYPE(p) fl_get_be16((p) + 12)

/* Offset of the L3 header of a generated frame. */
static unsigned l3_of(const uint8_t *p)
{
	return ETH_TYPE(p) == 0x8100 ? 18 : 14;
}

static unsigned l4_proto(const uint8_t *p)
{
	unsigned l3 = l3_of(p);

	return fl_get_be16(p + l3 - 2) == 0x86dd ? p[l3 + 6] : p[l3 + 9];
}

static unsigned gen_take(const char *spec, struct fl_pkt **pkts, unsigned n)
{
	struct fl_port *port = open_ok("g", 1, spec);
	unsigned got = rx_all(port, pkts, n, BURST);

	fl_port_close(port);
	return got;
}

static void gen_defaults_are_64_byte_udp(void **state)
{
	struct fl_pkt *pkts[BURST];
	const uint8_t *p;
	uint32_t sum = 0;
	unsigned i;

	(void)state;
	assert_int_equal(gen_take("gen:", pkts, BURST), BURST);
	for (i = 0; i < BURST; i++) {
		p = fl_pkt_cdata(pkts[i]);
		assert_int_equal(pkts[i]->len, 64);
		assert_int_equal(pkts[i]->timestamp, 0);
		assert_int_equal(ETH_TYPE(p), 0x0800);
		assert_int_equal(p[14], 0x45);
		assert_int_equal(p[23], 17);
		assert_int_equal(fl_get_be16(p + 16), 50); /* IPv4 total length */
		assert_memory_equal(p, fl_pkt_cdata(pkts[0]), 64); /* one flow */
	}
	/* the IPv4 header checksum is right: the ones' complement sum is 0xffff */
	p = fl_pkt_cdata(pkts[0]);
	for (i = 0; i < 20; i += 2)
		sum += fl_get_be16(p + 14 + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	put_all(pkts, BURST);
	assert_pool_full();
}

static void gen_same_seed_same_frames(void **state)
{
	static struct fl_pkt *a[256], *b[256];
	const char *spec = "gen:flows=100,size=60-300,proto=mix,ipv6=30";
	unsigned i, differ = 0;

	(void)state;
	assert_int_equal(gen_take(spec, a, 256), 256);
	assert_int_equal(gen_take(spec, b, 256), 256);
	for (i = 0; i < 256; i++) {
		assert_int_equal(a[i]->len, b[i]->len);
		assert_memory_equal(fl_pkt_cdata(a[i]), fl_pkt_cdata(b[i]), a[i]->len);
	}
	put_all(b, 256);
	assert_int_equal(gen_take("gen:flows=100,size=60-300,proto=mix,ipv6=30,seed=2", b, 256),
			 256);
	for (i = 0; i < 256; i++)
		differ += a[i]->len != b[i]->len ||
			  memcmp(fl_pkt_cdata(a[i]), fl_pkt_cdata(b[i]), a[i]->len);
	assert_true(differ > 200);
	put_all(a, 256);
	put_all(b, 256);
	assert_pool_full();
}

static void gen_flows_have_distinct_addresses(void **state)
{
	static struct fl_pkt *pkts[300];
	static uint64_t pairs[100];
	unsigned i, j;

	(void)state;
	assert_int_equal(gen_take("gen:flows=100", pkts, 300), 300);
	for (i = 0; i < 100; i++) {
		const uint8_t *p = fl_pkt_cdata(pkts[i]);
		uint32_t src = fl_get_be32(p + 26), dst = fl_get_be32(p + 30);

		assert_int_equal(src >> 24, 10);
		assert_int_equal(dst >> 20, 0xac1);
		pairs[i] = (uint64_t)src << 32 | dst;
		for (j = 0; j < i; j++) {
			assert_true(pairs[j] != pairs[i]);
			assert_true((uint32_t)(pairs[j] >> 32) != src);
			assert_true((uint32_t)pairs[j] != dst);
		}
		/* round robin: flow i comes back every 100 frames */
		assert_memory_equal(p, fl_pkt_cdata(pkts[i + 100]), 64);
		assert_memory_equal(p, fl_pkt_cdata(pkts[i + 200]), 64);
	}
	put_all(pkts, 300);
	open_fails("gen:flows=2M", "p0: gen: option flows: 2M is above the maximum 1048576");
	open_fails("gen:flows=1M,size=2000",
		   "p0: gen: 1000000 flows of up to 2000 bytes need 1953 MiB of templates (at most "
		   "1024)");
	assert_pool_full();
}

static void gen_sizes_honour_the_range(void **state)
{
	static struct fl_pkt *pkts[200];
	bool seen[301] = {false};
	unsigned i, distinct = 0;

	(void)state;
	assert_int_equal(gen_take("gen:size=128", pkts, 10), 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(pkts[i]->len, 128);
	put_all(pkts, 10);

	assert_int_equal(gen_take("gen:flows=200,size=100-300", pkts, 200), 200);
	for (i = 0; i < 200; i++) {
		assert_in_range(pkts[i]->len, 100, 300);
		distinct += !seen[pkts[i]->len];
		seen[pkts[i]->len] = true;
	}
	assert_true(distinct > 50);
	put_all(pkts, 200);

	/* headers longer than the size win: IPv6 + TCP + VLAN is 78 bytes */
	assert_int_equal(gen_take("gen:size=60,ipv6=100,proto=tcp,vlan=5", pkts, 1), 1);
	assert_int_equal(pkts[0]->len, 78);
	put_all(pkts, 1);
	assert_int_equal(gen_take("gen:size=2048", pkts, 1), 1);
	assert_int_equal(pkts[0]->len, 2048);
	put_all(pkts, 1);

	open_fails("gen:size=59", "p0: gen: option size: 59 is below the minimum 60");
	open_fails("gen:size=2049", "p0: gen: option size: 2049 is above the maximum 2048");
	open_fails("gen:size=300-100", "p0: gen: option size: 300-100 is an empty range");
	open_fails("gen:size=64-", "p0: gen: option size: empty value");
	open_fails("gen:size=-64", "p0: gen: option size: empty value");
	assert_pool_full();
}

static void gen_protocols_vlan_and_ipv6(void **state)
{
	static struct fl_pkt *pkts[100];
	const uint8_t *p;
	unsigned i, v6 = 0;

	(void)state;
	assert_int_equal(gen_take("gen:proto=tcp", pkts, 1), 1);
	assert_int_equal(l4_proto(fl_pkt_cdata(pkts[0])), 6);
	assert_int_equal(fl_pkt_cdata(pkts[0])[34 + 13], 0x10); /* ACK */
	put_all(pkts, 1);

	assert_int_equal(gen_take("gen:proto=icmp", pkts, 1), 1);
	p = fl_pkt_cdata(pkts[0]);
	assert_int_equal(l4_proto(p), 1);
	assert_int_equal(p[34], 8); /* echo request */
	put_all(pkts, 1);

	assert_int_equal(gen_take("gen:proto=mix,flows=3", pkts, 3), 3);
	assert_int_equal(l4_proto(fl_pkt_cdata(pkts[0])), 17);
	assert_int_equal(l4_proto(fl_pkt_cdata(pkts[1])), 6);
	assert_int_equal(l4_proto(fl_pkt_cdata(pkts[2])), 1);
	put_all(pkts, 3);

	assert_int_equal(gen_take("gen:vlan=100,flows=4", pkts, 4), 4);
	for (i = 0; i < 4; i++) {
		p = fl_pkt_cdata(pkts[i]);
		assert_int_equal(ETH_TYPE(p), 0x8100);
		assert_int_equal(fl_get_be16(p + 14) & 0xfff, 100);
		assert_int_equal(fl_get_be16(p + 16), 0x0800);
		assert_int_equal(pkts[i]->len, 64);
	}
	put_all(pkts, 4);

	assert_int_equal(gen_take("gen:ipv6=100,proto=icmp", pkts, 1), 1);
	p = fl_pkt_cdata(pkts[0]);
	assert_int_equal(ETH_TYPE(p), 0x86dd);
	assert_int_equal(l4_proto(p), 58);
	assert_int_equal(p[22], 0xfd); /* fd00:0:0:a:: */
	assert_int_equal(p[38], 0xfd);
	put_all(pkts, 1);

	assert_int_equal(gen_take("gen:ipv6=50,flows=100", pkts, 100), 100);
	for (i = 0; i < 100; i++) {
		p = fl_pkt_cdata(pkts[i]);
		if (ETH_TYPE(p) == 0x86dd) {
			v6++;
			assert_int_equal(l4_proto(p), 17);
		} else {
			assert_int_equal(ETH_TYPE(p), 0x0800);
		}
	}
	assert_int_equal(v6, 50);
	put_all(pkts, 100);

	open_fails("gen:proto=sctp", "p0: gen: option proto: 'sctp' is not udp, tcp, icmp or mix");
	open_fails("gen:ipv6=101", "p0: gen: option ipv6: 101 is above the maximum 100");
	open_fails("gen:vlan=4095", "p0: gen: option vlan: 4095 is above the maximum 4094");
	open_fails("gen:vlan=0", "p0: gen: option vlan: 0 is below the minimum 1");
	assert_pool_full();
}

static void gen_count_ends_the_stream(void **state)
{
	static struct fl_pkt *pkts[200];
	struct fl_port *port;
	struct fl_port_stats st;

	(void)state;
	port = open_ok("g", 1, "gen:count=100,flows=7");
	assert_int_equal(rx_all(port, pkts, 200, BURST), 100);
	assert_true(fl_port_rx_eof(port));
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts + 100, BURST), 0);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 100);
	assert_int_equal(st.rx_bytes, 6400);
	assert_memory_equal(fl_pkt_cdata(pkts[0]), fl_pkt_cdata(pkts[98]), 64);
	put_all(pkts, 100);
	fl_port_close(port);
	assert_pool_full();
}

/* The bucket starts empty and holds at most max(32, rate/1000) frames, so
 * the bounds below hold however slow or busy the machine is. */
static void gen_rate_limits_bursts(void **state)
{
	struct fl_pkt *pkts[256];
	struct timespec pause = {0, 100 * 1000 * 1000};
	struct fl_port *port;
	unsigned got;

	(void)state;
	port = open_ok("g", 1, "gen:rate=1000");
	got = fl_port_rx_burst(port, 0, &cache, pkts, 256);
	assert_true(got <= 32);
	put_all(pkts, got);
	/* 100 ms earn 100 frames at 1000/s, but the bucket stops at 32 */
	nanosleep(&pause, NULL);
	got = fl_port_rx_burst(port, 0, &cache, pkts, 256);
	assert_int_equal(got, 32);
	put_all(pkts, got);
	/* the bucket is empty again: it cannot refill within a few ms */
	got = fl_port_rx_burst(port, 0, &cache, pkts, 256);
	assert_true(got < 32);
	put_all(pkts, got);
	fl_port_close(port);

	port = open_ok("g", 1, "gen:rate=1M,count=10");
	nanosleep(&pause, NULL);
	assert_int_equal(rx_all(port, pkts, 256, 256), 10);
	put_all(pkts, 10);
	fl_port_close(port);
	assert_pool_full();
}

/* ---- main --------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fl_pool_params params = {.name = "test_port", .n_bufs = N_BUFS,
					.huge = FL_POOL_HUGE_NEVER};

	(void)state;
	pool = fl_pool_create(&params);
	if (!pool)
		return -1;
	fl_pool_cache_init(&cache, pool, 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fl-test-port-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_parses_type_and_options),
		cmocka_unit_test(spec_rejects_bad_syntax),
		cmocka_unit_test(arg_u64_parses_numbers_and_suffixes),
		cmocka_unit_test(open_rejects_bad_specs),
		cmocka_unit_test(backends_are_listed),
		cmocka_unit_test(drop_names_come_from_the_list),
		cmocka_unit_test(open_sets_name_spec_and_mtu),
		cmocka_unit_test(null_drops_everything_and_counts),
		cmocka_unit_test(ring_pair_moves_frames_both_ways),
		cmocka_unit_test(ring_full_refuses_and_counts_tx_full),
		cmocka_unit_test(ring_close_returns_queued_buffers),
		cmocka_unit_test(ring_rejects_bad_options),
		cmocka_unit_test(pcap_write_then_read_back),
		cmocka_unit_test(pcap_loop_plays_the_file_n_times),
		cmocka_unit_test(pcap_skips_short_and_oversized_records),
		cmocka_unit_test(pcap_reports_bad_files),
		cmocka_unit_test(pcap_truncated_record),
		cmocka_unit_test(pcap_reads_other_formats),
		cmocka_unit_test(rx_without_buffers_counts_no_buffer),
		cmocka_unit_test(gen_defaults_are_64_byte_udp),
		cmocka_unit_test(gen_same_seed_same_frames),
		cmocka_unit_test(gen_flows_have_distinct_addresses),
		cmocka_unit_test(gen_sizes_honour_the_range),
		cmocka_unit_test(gen_protocols_vlan_and_ipv6),
		cmocka_unit_test(gen_count_ends_the_stream),
		cmocka_unit_test(gen_rate_limits_bursts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
