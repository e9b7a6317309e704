/* Tests of the AF_XDP port against veth pairs.
 *
 * The test process moves itself into a network namespace of its own
 * (unshare), so the veths it creates (all named hxdp*) exist only for it and
 * vanish with it, even if it crashes. A raw AF_PACKET socket on the peer end
 * of a pair sends frames to the port and receives what the port sends. Every
 * test checks that the pool gets every buffer back once the port is closed,
 * including buffers the kernel still held in its fill, rx and tx rings.
 *
 * Needs root and a kernel with AF_XDP; without them it exits 77 (skipped)
 * and says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "port/port.h"
#include "port_link.h"

#define N_BUFS 4096u
#define ETH_TEST 0x88b5 /* IEEE local experimental: nothing else sends it */
#define FRAME_MAX 1514u

static struct fl_pool *pool;
static struct fl_pool_cache cache;
static char err[512];

/* ---- helpers ---------------------------------------------------------- */

static void FL_PRINTF(1, 2) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void veth_add(const char *a, const char *b, unsigned queues)
{
	sh("ip link add %s numtxqueues %u numrxqueues %u type veth peer name %s "
	   "numtxqueues %u numrxqueues %u && ip link set %s up && ip link set %s up",
	   a, queues, queues, b, queues, queues, a, b);
}

/* Which XDP program mode `ip link` shows on ifname: "xdp" (native),
 * "xdpgeneric" (skb) or "" (none). */
static const char *xdp_mode_of(const char *ifname)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip link show dev %s | grep -q ' xdpgeneric '", ifname);
	if (system(cmd) == 0)
		return "xdpgeneric";
	snprintf(cmd, sizeof(cmd), "ip link show dev %s | grep -q ' xdp '", ifname);
	return system(cmd) == 0 ? "xdp" : "";
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A broadcast frame of `len` bytes of our ethertype whose bytes depend on seed. */
static void make_frame(uint8_t *buf, unsigned len, unsigned seed)
{
	unsigned i;

	memset(buf, 0xff, 6);
	memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
	buf[12] = ETH_TEST >> 8;
	buf[13] = ETH_TEST & 0xff;
	for (i = 14; i < len; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7);
	buf[14] = (uint8_t)seed;
	buf[15] = (uint8_t)(seed >> 8);
}

static unsigned frame_len(unsigned seed)
{
	return 60 + (seed * 97) % (FRAME_MAX - 60 + 1);
}

static bool pkt_is(const struct fl_pkt *pkt, unsigned seed)
{
	uint8_t want[FRAME_MAX];
	unsigned len = frame_len(seed);

	make_frame(want, len, seed);
	return pkt->len == len && !memcmp(fl_pkt_cdata(pkt), want, len);
}

static struct fl_pkt *make_pkt(struct fl_pool_cache *c, unsigned seed)
{
	struct fl_pkt *pkt = NULL;
	uint8_t buf[FRAME_MAX];
	unsigned len = frame_len(seed);

	assert_int_equal(fl_pool_get_burst(c, &pkt, 1), 1);
	make_frame(buf, len, seed);
	assert_int_equal(fl_pkt_set_data(pkt, buf, len), 0);
	return pkt;
}

/* A raw socket on `ifname` that sees frames of our ethertype coming in. */
static int raw_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_TEST),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};
	int one = 1, rcvbuf = 8 << 20; /* holds every frame a test sends */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_TEST));

	assert_true(fd >= 0);
	assert_true(sll.sll_ifindex > 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)), 0);
	return fd;
}

static void raw_send(int fd, unsigned seed)
{
	uint8_t buf[FRAME_MAX];
	unsigned len = frame_len(seed);

	make_frame(buf, len, seed);
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

/* Receive the next frame on a raw socket within 2 s; its seed, or -1. */
static int raw_recv(int fd, uint8_t *buf, unsigned *len)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	n = recv(fd, buf, 65536, 0);
	if (n < 16)
		return -1;
	*len = (unsigned)n;
	return buf[14] | buf[15] << 8;
}

static void raw_expect(int fd, unsigned seed)
{
	uint8_t buf[65536], want[FRAME_MAX];
	unsigned len = 0;
	int got = raw_recv(fd, buf, &len);

	make_frame(want, frame_len(seed), seed);
	if (got != (int)seed)
		fail_msg("peer expected frame %u, got %d", seed, got);
	assert_int_equal(len, frame_len(seed));
	assert_memory_equal(buf, want, len);
}

/* Receive from every queue of the port until `want` frames or 2 s. */
static unsigned rx_wait(struct fl_port *port, struct fl_pkt **pkts, unsigned want)
{
	uint64_t deadline = now_ms() + 2000;
	unsigned got = 0, q;

	while (got < want && now_ms() < deadline) {
		for (q = 0; q < port->n_rxq && got < want; q++)
			got += fl_port_rx_burst(port, q, &cache, pkts + got,
						FL_MIN(32u, want - got));
		if (got < want)
			usleep(1000);
	}
	return got;
}

static struct fl_port *open_ok(const char *name, const char *spec)
{
	struct fl_port *port;

	err[0] = '\0';
	port = fl_port_open(name, 1, spec, pool, err, sizeof(err));
	if (!port)
		fail_msg("open '%s': %s", spec, err);
	return port;
}

static void open_fails(const char *spec, const char *msg)
{
	struct fl_port *port;

	err[0] = '\0';
	port = fl_port_open("p0", 1, spec, pool, err, sizeof(err));
	if (port)
		fl_port_close(port);
	assert_null(port);
	assert_string_equal(err, msg);
}

static void assert_pool_full_of(struct fl_pool *p, struct fl_pool_cache *c)
{
	struct fl_pool_stats st;

	fl_pool_cache_flush(c);
	fl_pool_get_stats(p, &st);
	assert_int_equal(st.in_ring, p->n_bufs);
	assert_int_equal(st.bad_puts, 0);
}

static void assert_pool_full(void)
{
	assert_pool_full_of(pool, &cache);
}

/* ---- tests ------------------------------------------------------------ */

/* Frames the peer sends arrive whole, in order, in slots of the pool, and
 * the queue's fd says so. */
static void rx_from_peer(void **state)
{
	struct fl_port *port = open_ok("x", "afxdp:hxdp0a");
	struct fl_pkt *pkts[64];
	struct fl_port_stats st;
	struct pollfd pfd;
	unsigned i;
	int raw = raw_open("hxdp0b");

	(void)state;
	assert_int_equal(port->n_rxq, 1);
	assert_int_equal(port->mtu, 1500);
	assert_string_equal(xdp_mode_of("hxdp0a"), "xdp"); /* veth has native XDP */
	pfd = (struct pollfd){.fd = fl_port_wait_fd(port, 0), .events = POLLIN};
	assert_true(pfd.fd >= 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	raw_send(raw, 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	for (i = 1; i < 64; i++)
		raw_send(raw, i);
	assert_int_equal(rx_wait(port, pkts, 64), 64);
	for (i = 0; i < 64; i++) {
		assert_true(pkt_is(pkts[i], i));
		assert_ptr_equal(pkts[i], fl_pool_pkt(pool, pkts[i]->idx));
		assert_int_equal(pkts[i]->data_off, FL_PKT_META_SIZE + FL_PKT_HEADROOM);
		assert_int_equal(pkts[i]->in_port, 1);
	}
	fl_pool_put_bulk(&cache, pkts, 64);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 64);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 0);
	close(raw);
	fl_port_close(port);
	assert_string_equal(xdp_mode_of("hxdp0a"), ""); /* the program went with the port */
	assert_pool_full();
}

/* Frames the port sends arrive at the peer whole and in order; a second
 * burst reaps the completions of the first. */
static void tx_to_peer(void **state)
{
	struct fl_port *port = open_ok("x", "afxdp:hxdp0a");
	struct fl_pkt *pkts[32];
	struct fl_port_stats st;
	unsigned i, round;
	int raw = raw_open("hxdp0b");

	(void)state;
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 32; i++)
			pkts[i] = make_pkt(&cache, round * 32 + i);
		assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 32), 32);
		for (i = 0; i < 32; i++)
			raw_expect(raw, round * 32 + i);
	}
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_packets, 128);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TX_FULL], 0);
	close(raw);
	fl_port_close(port);
	assert_pool_full();
}

/* Two ports on one pool forward between two veth pairs, both ways. */
static void forward_between_two_ports(void **state)
{
	struct fl_port *a = open_ok("a", "afxdp:hxdp1a");
	struct fl_port *b = open_ok("b", "afxdp:hxdp2a");
	int ra = raw_open("hxdp1b"), rb = raw_open("hxdp2b");
	struct fl_pkt *pkts[32];
	unsigned i, n, sent = 0;
	uint64_t gets;

	(void)state;
	for (i = 0; i < 200; i++)
		raw_send(ra, i);
	while (sent < 200) {
		n = rx_wait(a, pkts, FL_MIN(32u, 200 - sent));
		assert_true(n > 0);
		/* the frames go out from the slots they came in: no buffer to copy into */
		gets = cache.gets;
		assert_int_equal(fl_port_tx_burst(b, 0, &cache, pkts, n), n);
		assert_int_equal(cache.gets, gets);
		sent += n;
	}
	for (i = 0; i < 200; i++)
		raw_expect(rb, i);
	for (i = 0; i < 10; i++)
		raw_send(rb, 1000 + i);
	assert_int_equal(rx_wait(b, pkts, 10), 10);
	assert_int_equal(fl_port_tx_burst(a, 0, &cache, pkts, 10), 10);
	for (i = 0; i < 10; i++)
		raw_expect(ra, 1000 + i);
	close(ra);
	close(rb);
	fl_port_close(a);
	fl_port_close(b);
	assert_pool_full();
}

/* A frame from another pool is copied into a UMEM slot; the original goes
 * straight back to its own pool. One too long for a slot (a big buffer) is
 * dropped as too_big and the frames after it still go. */
static void tx_copies_frames_of_another_pool(void **state)
{
	struct fl_pool_params pp = {.name = "other", .n_bufs = 256, .huge = FL_POOL_HUGE_NEVER};
	struct fl_pool_params bp = {.name = "big", .n_bufs = 4, .huge = FL_POOL_HUGE_NEVER,
				    .big = true};
	struct fl_pool *other = fl_pool_create(&pp), *bigs = fl_pool_create(&bp);
	struct fl_pool_cache *oc = malloc(sizeof(*oc));
	struct fl_port *port = open_ok("x", "afxdp:hxdp0a");
	struct fl_pkt *pkts[17];
	struct fl_port_stats st;
	struct fl_pool_stats ps;
	uint8_t jumbo[3000];
	unsigned i;
	int raw = raw_open("hxdp0b");

	(void)state;
	assert_non_null(other);
	assert_non_null(bigs);
	assert_non_null(oc);
	fl_pool_attach_big(other, bigs);
	fl_pool_cache_init(oc, other, 0);
	for (i = 0; i < 16; i++)
		pkts[i < 8 ? i : i + 1] = make_pkt(oc, 500 + i);
	pkts[8] = fl_pool_get_big(other);
	assert_non_null(pkts[8]);
	make_frame(jumbo, sizeof(jumbo), 9999);
	assert_int_equal(fl_pkt_set_data(pkts[8], jumbo, sizeof(jumbo)), 0);
	assert_int_equal(fl_port_tx_burst(port, 0, oc, pkts, 17), 17);
	for (i = 0; i < 16; i++)
		raw_expect(raw, 500 + i);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TOO_BIG], 1);
	assert_pool_full_of(other, oc);
	fl_pool_get_stats(bigs, &ps);
	assert_int_equal(ps.in_ring, 4);
	close(raw);
	fl_port_close(port);
	assert_pool_full();
	fl_pool_destroy(other);
	fl_pool_destroy(bigs);
	free(oc);
}

/* Buffers the kernel holds at close — fill ring, received but not polled,
 * sent but not completed — all go back to the pool. */
static void close_returns_buffers_the_kernel_held(void **state)
{
	struct fl_pool_stats before;
	struct fl_port *port;
	struct fl_pkt *pkts[32];
	unsigned i;
	int raw = raw_open("hxdp0b");

	(void)state;
	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &before);
	port = open_ok("x", "afxdp:hxdp0a");
	for (i = 0; i < 100; i++)
		raw_send(raw, i);
	usleep(100 * 1000);
	for (i = 0; i < 32; i++)
		pkts[i] = make_pkt(&cache, i);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 32), 32);
	fl_port_close(port);
	close(raw);
	assert_pool_full();
	assert_int_equal(before.in_ring, N_BUFS);
}

/* With fewer buffers than frames, the rest are counted as no_buffer (and
 * not again as too_big), and what fit arrives. */
static void no_buffer_is_counted(void **state)
{
	struct fl_pool_params pp = {.name = "small", .n_bufs = 128, .huge = FL_POOL_HUGE_NEVER};
	struct fl_pool *small = fl_pool_create(&pp);
	struct fl_pool_cache *sc = malloc(sizeof(*sc));
	struct fl_port *port;
	struct fl_pkt *pkts[64];
	struct fl_port_stats st;
	unsigned got = 0, n;
	uint64_t deadline;
	int raw = raw_open("hxdp0b"), i, idle = 0;

	(void)state;
	assert_non_null(small);
	assert_non_null(sc);
	fl_pool_cache_init(sc, small, 0);
	port = fl_port_open("x", 1, "afxdp:hxdp0a", small, err, sizeof(err));
	if (!port)
		fail_msg("%s", err);
	for (i = 0; i < 100; i++)
		raw_send(raw, (unsigned)i);
	deadline = now_ms() + 2000;
	do {
		usleep(10 * 1000);
		fl_port_get_stats(port, &st);
	} while (st.rx_drops[FL_PORT_DROP_NO_BUFFER] < 36 && now_ms() < deadline);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 36); /* 64 buffers given */
	assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], 0);
	while (idle < 50) {
		n = fl_port_rx_burst(port, 0, sc, pkts, 64 - got > 32 ? 32 : 64 - got);
		idle = n ? 0 : idle + 1;
		fl_pool_put_bulk(sc, pkts, n);
		got += n;
	}
	assert_int_equal(got, 64);
	close(raw);
	fl_port_close(port);
	assert_pool_full_of(small, sc);
	fl_pool_destroy(small);
	free(sc);
}

/* In skb mode a frame longer than a chunk is dropped and counted too_big;
 * the port's MTU is the interface's, capped at what a buffer holds. */
static void oversized_frames_are_counted_too_big(void **state)
{
	struct fl_port *port;
	struct fl_pkt *pkts[4];
	struct fl_port_stats st;
	uint8_t big[3000];
	int raw;

	(void)state;
	sh("ip link set hxdp0a mtu 4000 && ip link set hxdp0b mtu 4000");
	port = open_ok("x", "afxdp:hxdp0a,mode=skb");
	assert_int_equal(port->mtu, FL_PKT_DATAROOM - 18);
	assert_string_equal(xdp_mode_of("hxdp0a"), "xdpgeneric");
	raw = raw_open("hxdp0b");
	make_frame(big, sizeof(big), 7);
	assert_int_equal(send(raw, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(send(raw, big, sizeof(big), 0), (ssize_t)sizeof(big));
	raw_send(raw, 8);
	assert_int_equal(rx_wait(port, pkts, 1), 1);
	assert_true(pkt_is(pkts[0], 8));
	fl_pool_put(&cache, pkts[0]);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], 2);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 0);
	close(raw);
	fl_port_close(port);
	sh("ip link set hxdp0a mtu 1500 && ip link set hxdp0b mtu 1500");
	assert_pool_full();
}

/* link_up follows the carrier; reopen after down/up gives a working port. */
static void link_down_and_up(void **state)
{
	struct fl_port *port = open_ok("x", "afxdp:hxdp0a");
	struct fl_pkt *pkts[4];
	int raw;

	(void)state;
	assert_true(port_link_becomes(port, true, 3000));
	sh("ip link set hxdp0b down");
	assert_true(port_link_becomes(port, false, 3000));
	sh("ip link set hxdp0b up");
	assert_true(port_link_becomes(port, true, 3000));
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), 0);
	raw = raw_open("hxdp0b");
	raw_send(raw, 3);
	assert_int_equal(rx_wait(port, pkts, 1), 1);
	assert_true(pkt_is(pkts[0], 3));
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 1), 1);
	raw_expect(raw, 3);
	close(raw);
	fl_port_close(port);
	assert_pool_full();
}

/* The interface is deleted and created again: link_up says down (once more
 * after it is back, because the sockets are bound to the old one), reopen
 * fails while it is gone and works once it is back. While torn down, rx
 * gives nothing and tx drops as link_down. */
static void interface_deleted_and_back(void **state)
{
	struct fl_port *port;
	struct fl_pkt *pkts[4];
	struct fl_port_stats st;
	int raw;

	(void)state;
	veth_add("hxdp3a", "hxdp3b", 1);
	port = open_ok("x", "afxdp:hxdp3a");
	sh("ip link del hxdp3a");
	assert_false(fl_port_link_up(port));
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "afxdp: no such interface 'hxdp3a'");
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, 4), 0);
	pkts[0] = make_pkt(&cache, 1);
	fl_port_tx_burst(port, 0, &cache, pkts, 1);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_LINK_DOWN], 1);

	veth_add("hxdp3a", "hxdp3b", 1);
	assert_false(fl_port_link_up(port)); /* bound to the old one */
	assert_true(port_link_becomes(port, true, 3000));
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), 0);
	assert_true(fl_port_link_up(port));
	raw = raw_open("hxdp3b");
	raw_send(raw, 9);
	assert_int_equal(rx_wait(port, pkts, 1), 1);
	assert_true(pkt_is(pkts[0], 9));
	fl_pool_put(&cache, pkts[0]);
	close(raw);
	fl_port_close(port);
	sh("ip link del hxdp3a");
	assert_pool_full();
}

/* queues=2 binds a socket to each of two queues; frames arrive on both. */
static void two_queues(void **state)
{
	struct fl_port *port = open_ok("x", "afxdp:hxdpqa,queues=2");
	struct fl_pkt *pkts[64];
	unsigned i;
	int raw = raw_open("hxdpqb");

	(void)state;
	assert_int_equal(port->n_rxq, 2);
	assert_int_equal(port->n_txq, 2);
	assert_true(fl_port_wait_fd(port, 0) != fl_port_wait_fd(port, 1));
	for (i = 0; i < 64; i++)
		raw_send(raw, i);
	assert_int_equal(rx_wait(port, pkts, 64), 64);
	fl_pool_put_bulk(&cache, pkts, 64);
	for (i = 0; i < 2; i++) {
		pkts[0] = make_pkt(&cache, 70 + i);
		assert_int_equal(fl_port_tx_burst(port, i, &cache, pkts, 1), 1);
		raw_expect(raw, 70 + i);
	}
	close(raw);
	fl_port_close(port);
	assert_pool_full();
}

static void bad_specs(void **state)
{
	(void)state;
	open_fails("afxdp:", "p0: afxdp: missing interface name (usage: "
		   "afxdp:IFACE[,queues=N][,mode=auto|native|skb][,zerocopy=auto|yes|no] "
		   "(veth peer: ethtool -K PEER tx off tso off gso off))");
	open_fails("afxdp:hxdpnosuch", "p0: afxdp: no such interface 'hxdpnosuch'");
	open_fails("afxdp:hxdp-a-very-long-name", "p0: afxdp: interface name "
		   "'hxdp-a-very-long-name' too long (at most 15 characters)");
	open_fails("afxdp:hxdp0a,queues=0", "p0: afxdp: option queues: 0 is below the minimum 1");
	open_fails("afxdp:hxdp0a,queues=65",
		   "p0: afxdp: option queues: 65 is above the maximum 64");
	open_fails("afxdp:hxdp0a,queues=2", "p0: afxdp: hxdp0a has 1 receive queue, queues=2 "
		   "needs 2 (ethtool -L hxdp0a combined 2, or fewer queues)");
	open_fails("afxdp:hxdp0a,mode=fast",
		   "p0: afxdp: option mode: 'fast' is not auto, native or skb");
	open_fails("afxdp:hxdp0a,zerocopy=maybe",
		   "p0: afxdp: option zerocopy: 'maybe' is not auto, yes or no");
	open_fails("afxdp:hxdp0a,zerocopy=yes,mode=skb",
		   "p0: afxdp: zerocopy=yes needs mode=native (or auto)");
	open_fails("afxdp:hxdp0a,zerocopy=yes", "p0: afxdp: zerocopy=yes needs the buffer pool "
		   "on hugepages (its 2304-byte slots cross 4 KiB pages)");
	open_fails("afxdp:hxdp0a,ring=4",
		   "p0: afxdp: unknown option 'ring' (known: queues, mode, zerocopy)");
	assert_pool_full();
}

/* Without the capabilities AF_XDP needs, open says so (in a child that
 * dropped them). */
static void without_capabilities(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fl_pool_cache_flush(&cache);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct data[2] = {{0}};
		struct fl_port *port;

		if (syscall(SYS_capset, &hdr, data) != 0)
			_exit(2);
		port = fl_port_open("p0", 1, "afxdp:hxdp0a", pool, err, sizeof(err));
		if (port)
			_exit(3);
		_exit(strcmp(err, "p0: afxdp: hxdp0a: permission denied (AF_XDP needs "
			     "CAP_NET_RAW, the XDP program CAP_NET_ADMIN and "
			     "CAP_BPF: run as root)") ? 4 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- setup ------------------------------------------------------------ */

static int setup(void **state)
{
	struct fl_pool_params pp = {.name = "afxdp-test", .n_bufs = N_BUFS,
				    .huge = FL_POOL_HUGE_NEVER};

	(void)state;
	pool = fl_pool_create(&pp);
	if (!pool)
		return -1;
	fl_pool_cache_init(&cache, pool, 0);
	veth_add("hxdp0a", "hxdp0b", 1);
	veth_add("hxdp1a", "hxdp1b", 1);
	veth_add("hxdp2a", "hxdp2b", 1);
	veth_add("hxdpqa", "hxdpqb", 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	return 0;
}

/* Exit 77 (skipped) with the reason when the machine cannot run these. */
static void skip_unless_possible(void)
{
	const char *why = NULL;
	int fd;

	if (!fl_port_backend("afxdp"))
		why = "afxdp backend not built (libxdp missing at build time)";
	else if (geteuid() != 0)
		why = "needs root (network namespace, veths, AF_XDP)";
	else if (unshare(CLONE_NEWNET) < 0)
		why = "cannot create a network namespace";
	else if ((fd = socket(AF_XDP, SOCK_RAW, 0)) < 0)
		why = "no AF_XDP sockets in this kernel";
	else if (close(fd), system("ip link set lo up") != 0)
		why = "no 'ip' command (iproute2)";
	if (why) {
		printf("SKIP: %s\n", why);
		exit(77);
	}
	/* no IPv6 router solicitations or DAD on the test links */
	if (system("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		   "net.ipv6.conf.default.disable_ipv6=1") != 0)
		printf("note: could not disable IPv6 in the test namespace\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_specs),
		cmocka_unit_test(rx_from_peer),
		cmocka_unit_test(tx_to_peer),
		cmocka_unit_test(forward_between_two_ports),
		cmocka_unit_test(tx_copies_frames_of_another_pool),
		cmocka_unit_test(close_returns_buffers_the_kernel_held),
		cmocka_unit_test(no_buffer_is_counted),
		cmocka_unit_test(oversized_frames_are_counted_too_big),
		cmocka_unit_test(link_down_and_up),
		cmocka_unit_test(interface_deleted_and_back),
		cmocka_unit_test(two_queues),
		cmocka_unit_test(without_capabilities),
	};

	skip_unless_possible();
	fl_log_set_level(FL_LOG_ERR); /* the veth warning of every open */
	return cmocka_run_group_tests(tests, setup, teardown);
}
