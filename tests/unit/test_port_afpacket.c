/* Tests of the AF_PACKET port against real veths.
 *
 * The program moves itself into a network namespace of its own (unshare),
 * so nothing it creates is visible outside and everything goes when it
 * exits, even on a crash. There it makes a veth pair hafp0 / hafp1 (IPv6 off,
 * so the kernel sends nothing of its own), opens the port on hafp0 and talks
 * to it through packet sockets on hafp1: frames in (contents, counters, VLAN
 * tags the kernel strips, partial checksums, GSO super frames sent with a
 * virtio-net header, frames too big), frames out, both rings (v2, v3), a
 * fanout over two queues, kernel drops when the ring overflows, link down /
 * up, the interface deleted and recreated (reopen), and an epoll sleeper not
 * woken in a loop by a dead socket. A last test runs real kernel TCP (TSO on)
 * from a second namespace through a veth into the port and checks that the
 * super frames arrive cut into valid MSS-sized segments.
 *
 * Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN for unshare), ip(8)
 * and veth: without them it exits 77 (skipped) and says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/byteorder.h"
#include "port/port.h"
#include "port_link.h"
#include "proto/build.h"
#include "proto/headers.h"
#include "ref_csum.h"

#define N_BUFS 8192u
#define BURST 32u
#define MAX_RX 4096u

static struct fl_pool *pool;
static struct fl_pool_cache cache;
static char err[512];
static struct fl_pkt *rx[MAX_RX];

static const uint8_t mac_peer[6] = {0x02, 0x48, 0x41, 0x46, 0x50, 0x01};
static const uint8_t mac_far[6] = {0x02, 0x48, 0x41, 0x46, 0x50, 0x02};

/* ---- helpers ------------------------------------------------------------ */

static int sh(const char *fmt, ...) FL_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static struct fl_port *open_ok(const char *spec)
{
	struct fl_port *port;

	err[0] = '\0';
	port = fl_port_open("p0", 1, spec, pool, err, sizeof(err));
	if (!port)
		fail_msg("open '%s': %s", spec, err);
	return port;
}

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

static void assert_pool_full(void)
{
	struct fl_pool_stats st;

	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &st);
	assert_int_equal(st.in_ring, N_BUFS);
	assert_int_equal(st.bad_puts, 0);
}

/* A packet socket on `ifname`, seeing only frames that arrive there. */
static int peer_socket(const char *ifname, bool vnet)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL)), one = 1;

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)), 0);
	if (vnet)
		assert_int_equal(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void peer_send(int fd, const void *frame, size_t len)
{
	assert_int_equal(send(fd, frame, len, 0), (ssize_t)len);
}

static void peer_send_vnet(int fd, const struct virtio_net_hdr *vh, const void *frame,
			   size_t len)
{
	struct iovec iov[2] = {{(void *)vh, sizeof(*vh)}, {(void *)frame, len}};

	assert_int_equal(writev(fd, iov, 2), (ssize_t)(len + sizeof(*vh)));
}

/* Next frame from mac_peer's counterpart (sent by the port), or -1. */
static ssize_t peer_recv(int fd, uint8_t *buf, size_t cap, unsigned timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t r;

	for (;;) {
		if (poll(&pfd, 1, (int)timeout_ms) <= 0)
			return -1;
		r = recv(fd, buf, cap, 0);
		if (r >= 12 && !memcmp(buf + 6, mac_far, 6))
			return r;
	}
}

/* The same with the virtio-net header of a PACKET_VNET_HDR socket. */
static ssize_t peer_recv_vnet(int fd, struct virtio_net_hdr *vh, uint8_t *buf, size_t cap,
			      unsigned timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct iovec iov[2] = {{vh, sizeof(*vh)}, {buf, cap}};
	ssize_t r;

	for (;;) {
		if (poll(&pfd, 1, (int)timeout_ms) <= 0)
			return -1;
		r = readv(fd, iov, 2) - (ssize_t)sizeof(*vh);
		if (r >= 12 && !memcmp(buf + 6, mac_far, 6))
			return r;
	}
}

/* Receive on one queue until `want` frames from mac_peer arrived (others
 * are freed) or timeout. Returns how many are in rx[]. */
static unsigned rx_until(struct fl_port *port, unsigned q, unsigned want, unsigned timeout_ms)
{
	struct fl_pkt *burst[BURST];
	unsigned have = 0, i, n, waited = 0;

	while (have < want && waited <= timeout_ms) {
		n = fl_port_rx_burst(port, q, &cache, burst, BURST);
		for (i = 0; i < n; i++) {
			if (have < MAX_RX && !memcmp(fl_pkt_cdata(burst[i]) + 6, mac_peer, 6))
				rx[have++] = burst[i];
			else
				fl_pool_put(&cache, burst[i]);
		}
		if (!n) {
			sleep_ms(1);
			waited++;
		}
	}
	return have;
}

static void free_rx(unsigned n)
{
	fl_pool_put_bulk(&cache, rx, n);
}

static size_t udp_frame(uint8_t *buf, size_t cap, uint16_t sport, size_t len, uint16_t vlan)
{
	struct fl_build_flow f = {.vlan_tci = vlan, .proto = FL_IPPROTO_UDP,
				  .ip4_src = fl_htonl(0x0a4d0001), .ip4_dst = fl_htonl(0x0a4d0002),
				  .sport = fl_htons(sport), .dport = fl_htons(9), .frame_len = len};

	memcpy(f.dl_src, mac_peer, 6);
	memcpy(f.dl_dst, mac_far, 6);
	return fl_build_flow_frame(&f, buf, cap);
}

/* IPv4 + TCP/UDP at l3 of d: header checksum and L4 checksum verify. */
static void assert_ipv4_l4_ok(const uint8_t *d, unsigned len, unsigned l3)
{
	unsigned ihl = (d[l3] & 15u) * 4u, tot = (unsigned)(d[l3 + 2] << 8 | d[l3 + 3]);
	unsigned l4 = l3 + ihl;
	uint32_t acc;

	assert_true(l3 + tot <= len);
	assert_int_equal(ref_csum_fold(ref_csum_add(d + l3, ihl, 0)), 0xffff);
	acc = d[l3 + 9] + (tot - ihl);
	acc += ref_csum_fold(ref_csum_add(d + l3 + 12, 8, 0));
	assert_int_equal(ref_csum_fold(ref_csum_add(d + l4, tot - ihl, acc)), 0xffff);
}

/* ---- open ------------------------------------------------------------- */

static void open_errors_name_the_problem(void **state)
{
	(void)state;
	open_fails("afpacket:hafpnone", "p0: afpacket: no such interface 'hafpnone'");
	open_fails("afpacket:hafp0,queues=0", "p0: afpacket: queues: 1 to 64 (got 0)");
	open_fails("afpacket:hafp0,queues=65", "p0: afpacket: queues: 1 to 64 (got 65)");
	open_fails("afpacket:hafp0,rx=v4", "p0: afpacket: rx: 'v4' is not v2 or v3");
	open_fails("afpacket:", "p0: port spec 'afpacket:': missing interface name");
	open_fails("afpacket:hafp0123456789abcdef",
		   "p0: afpacket: interface name 'hafp0123456789abcdef' too long (at most 15 "
		   "characters)");
	open_fails("afpacket:hafp0,ring=3",
		   "p0: afpacket: unknown option 'ring' (known: queues, rx)");
	assert_pool_full();
}

/* Without CAP_NET_RAW the error says what is missing. */
static void not_permitted_says_why(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fl_port *port;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		port = fl_port_open("p0", 1, "afpacket:hafp0", pool, err, sizeof(err));
		_exit(!port && !strcmp(err, "p0: afpacket: cannot open a packet socket: Operation "
					    "not permitted (needs root or CAP_NET_RAW)") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void mtu_follows_interface(void **state)
{
	struct fl_port *port;

	(void)state;
	port = open_ok("afpacket:hafp0");
	assert_int_equal(port->mtu, 1500);
	assert_int_equal(port->n_rxq, 1);
	assert_int_equal(port->n_txq, 1);
	assert_true(fl_port_wait_fd(port, 0) >= 0);
	fl_port_close(port);
	port = open_ok("afpacket:hafp0,mtu=1400");
	assert_int_equal(port->mtu, 1400);
	fl_port_close(port);
	assert_int_equal(sh("ip link set hafp0 mtu 1280"), 0);
	port = open_ok("afpacket:hafp0,queues=3");
	assert_int_equal(port->mtu, 1280);
	assert_int_equal(port->n_rxq, 3);
	assert_int_equal(port->n_txq, 3);
	fl_port_close(port);
	assert_int_equal(sh("ip link set hafp0 mtu 9000"), 0);
	port = open_ok("afpacket:hafp0");
	assert_int_equal(port->mtu, 2030); /* what a buffer holds */
	fl_port_close(port);
	assert_int_equal(sh("ip link set hafp0 mtu 1500"), 0);
	assert_pool_full();
}

/* ---- rx and tx ---------------------------------------------------------- */

static void rx_frames(const char *spec)
{
	static const size_t sizes[] = {60, 61, 64, 128, 333, 1000, 1514};
	uint8_t frames[100][1600];
	size_t lens[100];
	struct fl_port_stats st;
	struct fl_port *port = open_ok(spec);
	int fd = peer_socket("hafp1", false);
	uint64_t bytes = 0;
	unsigned i, n;

	for (i = 0; i < 100; i++) {
		lens[i] = udp_frame(frames[i], sizeof(frames[i]), (uint16_t)(1000 + i),
				    sizes[i % FL_ARRAY_SIZE(sizes)], 0);
		assert_true(lens[i] > 0);
		peer_send(fd, frames[i], lens[i]);
		bytes += lens[i];
	}
	n = rx_until(port, 0, 100, 2000);
	assert_int_equal(n, 100);
	for (i = 0; i < n; i++) {
		assert_int_equal(rx[i]->len, lens[i]);
		assert_memory_equal(fl_pkt_cdata(rx[i]), frames[i], lens[i]);
		assert_int_equal(rx[i]->in_port, 1);
		assert_true(rx[i]->timestamp > 0);
	}
	free_rx(n);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 100);
	assert_int_equal(st.rx_bytes, bytes);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_ERROR], 0);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

static void rx_frames_v2(void **state)
{
	(void)state;
	rx_frames("afpacket:hafp0,rx=v2");
}

static void rx_frames_v3(void **state)
{
	(void)state;
	rx_frames("afpacket:hafp0,rx=v3");
}

static void tx_frames(void **state)
{
	struct fl_port *port = open_ok("afpacket:hafp0");
	int fd = peer_socket("hafp1", false);
	struct fl_pkt *pkts[100];
	uint8_t frame[1600], got[2048];
	struct fl_port_stats st;
	unsigned i;
	size_t len;

	(void)state;
	for (i = 0; i < 100; i++) {
		/* from mac_far, so peer_recv takes it */
		len = udp_frame(frame, sizeof(frame), (uint16_t)i, 60 + i * 10, 0);
		memcpy(frame + 6, mac_far, 6);
		memcpy(frame, mac_peer, 6);
		assert_int_equal(fl_pool_get_burst(&cache, &pkts[i], 1), 1);
		assert_int_equal(fl_pkt_set_data(pkts[i], frame, (unsigned)len), 0);
	}
	/* 100 in one call: two sendmmsg chunks */
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 100), 100);
	for (i = 0; i < 100; i++) {
		len = udp_frame(frame, sizeof(frame), (uint16_t)i, 60 + i * 10, 0);
		memcpy(frame + 6, mac_far, 6);
		memcpy(frame, mac_peer, 6);
		assert_int_equal(peer_recv(fd, got, sizeof(got), 1000), (ssize_t)len);
		assert_memory_equal(got, frame, len);
	}
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_packets, 100);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TX_FULL], 0);
	/* our own transmissions are not received back */
	assert_int_equal(rx_until(port, 0, 1, 20), 0);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* The kernel takes an outer tag into metadata on receive; the port puts it
 * back, so tagged frames arrive as sent (one tag, and 802.1ad over 802.1Q). */
static void vlan_tags_kept(void **state)
{
	static const char *const specs[] = {"afpacket:hafp0,rx=v2", "afpacket:hafp0,rx=v3"};
	uint8_t f1[128], f2[128];
	struct fl_builder b;
	unsigned k, n;
	size_t l1, l2;
	int fd;

	(void)state;
	l1 = udp_frame(f1, sizeof(f1), 7, 80, 100);
	fl_build_init(&b, f2, sizeof(f2));
	fl_build_eth(&b, mac_far, mac_peer);
	fl_build_vlan(&b, FL_ETH_TYPE_QINQ, 0x2005);
	fl_build_vlan(&b, FL_ETH_TYPE_VLAN, 300);
	fl_build_ipv4(&b, fl_htonl(0x0a000001), fl_htonl(0x0a000002));
	fl_build_udp(&b, fl_htons(1), fl_htons(2));
	fl_build_payload(&b, 40, 0);
	l2 = fl_build_finish(&b);
	for (k = 0; k < 2; k++) {
		struct fl_port *port = open_ok(specs[k]);

		fd = peer_socket("hafp1", false);
		peer_send(fd, f1, l1);
		peer_send(fd, f2, l2);
		n = rx_until(port, 0, 2, 2000);
		assert_int_equal(n, 2);
		assert_int_equal(rx[0]->len, l1);
		assert_memory_equal(fl_pkt_cdata(rx[0]), f1, l1);
		assert_int_equal(rx[1]->len, l2);
		assert_memory_equal(fl_pkt_cdata(rx[1]), f2, l2);
		free_rx(n);
		close(fd);
		fl_port_close(port);
	}
	assert_pool_full();
}

/* A frame with NEEDS_CSUM (as the host stack sends with offload on) arrives
 * with its checksum completed. */
static void partial_checksum_completed(void **state)
{
	static const char *const specs[] = {"afpacket:hafp0,rx=v2", "afpacket:hafp0,rx=v3"};
	uint8_t frame[256], want[256];
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
				    .csum_offset = 6};
	uint32_t acc;
	uint16_t ps;
	unsigned k;
	size_t len;

	(void)state;
	len = udp_frame(frame, sizeof(frame), 4242, 200, 0);
	memcpy(want, frame, len);
	/* leave only the pseudo-header sum in the field, as the kernel does */
	acc = FL_IPPROTO_UDP + (unsigned)(len - 34);
	ps = ref_csum_fold(ref_csum_add(frame + 26, 8, acc));
	frame[40] = (uint8_t)(ps >> 8);
	frame[41] = (uint8_t)ps;
	for (k = 0; k < 2; k++) {
		struct fl_port *port = open_ok(specs[k]);
		int fd = peer_socket("hafp1", true);

		peer_send_vnet(fd, &vh, frame, len);
		assert_int_equal(rx_until(port, 0, 1, 2000), 1);
		assert_int_equal(rx[0]->len, len);
		assert_memory_equal(fl_pkt_cdata(rx[0]), want, len);
		assert_int_equal(rx[0]->ol_flags & FL_OL_CSUM_PARTIAL, 0);
		free_rx(1);
		close(fd);
		fl_port_close(port);
	}
	assert_pool_full();
}

/* A 20 kB TCP super frame sent with a GSO header on the peer reaches the
 * port as one GSO skb and leaves it as MSS-sized segments. */
/* A TCPv4 super frame mac_peer -> mac_far, VLAN-tagged if vlan, with
 * `payload` bytes after the headers, and the virtio-net header its sender
 * gives it: MSS 1448, the checksum left partial. Returns its length. */
static size_t tcp4_super_frame(uint8_t *frame, size_t cap, uint16_t vlan, uint8_t tcp_flags,
			       unsigned payload, struct virtio_net_hdr *vh)
{
	unsigned l4 = (vlan ? 18u : 14u) + 20;
	struct fl_build_flow f = {.vlan_tci = vlan, .proto = FL_IPPROTO_TCP,
				  .ip4_src = fl_htonl(0x0a4d0001), .ip4_dst = fl_htonl(0x0a4d0002),
				  .sport = fl_htons(5000), .dport = fl_htons(80),
				  .tcp_flags = tcp_flags, .frame_len = l4 + 20 + payload};
	size_t len;

	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->gso_size = 1448;
	vh->hdr_len = (uint16_t)(l4 + 20);
	vh->csum_start = (uint16_t)l4;
	vh->csum_offset = 16;
	memcpy(f.dl_src, mac_peer, 6);
	memcpy(f.dl_dst, mac_far, 6);
	len = fl_build_flow_frame(&f, frame, cap);
	assert_int_equal(len, l4 + 20 + payload);
	return len;
}

static void gso_frame_segmented(const char *spec, uint16_t vlan)
{
	static uint8_t frame[21000];
	struct fl_port *port = open_ok(spec);
	int fd = peer_socket("hafp1", true);
	unsigned l3 = vlan ? 18 : 14, l4 = l3 + 20, n, i, payload = 20000, seq0 = 1000;
	struct virtio_net_hdr vh;
	struct fl_port_stats st;
	size_t len = tcp4_super_frame(frame, sizeof(frame), vlan, FL_TCP_ACK | FL_TCP_PSH,
				      payload, &vh);

	frame[l4 + 7] = (uint8_t)seq0 & 0xff;
	frame[l4 + 6] = (uint8_t)(seq0 >> 8);
	peer_send_vnet(fd, &vh, frame, len);

	n = rx_until(port, 0, 14, 2000);
	assert_int_equal(n, 14);
	for (i = 0; i < n; i++) {
		const uint8_t *d = fl_pkt_cdata(rx[i]);
		unsigned plen = i < 13 ? 1448 : payload - 13 * 1448;
		uint32_t seq = (uint32_t)d[l4 + 4] << 24 | (uint32_t)d[l4 + 5] << 16 |
			       (uint32_t)d[l4 + 6] << 8 | d[l4 + 7];

		assert_int_equal(rx[i]->len, l4 + 20 + plen);
		assert_memory_equal(d, frame, l3); /* addresses, tag */
		assert_int_equal(seq, seq0 + i * 1448);
		assert_int_equal(d[l4 + 13] & FL_TCP_PSH, i == 13 ? FL_TCP_PSH : 0);
		assert_memory_equal(d + l4 + 20, frame + l4 + 20 + i * 1448, plen);
		assert_ipv4_l4_ok(d, rx[i]->len, l3);
		/* all cut from one frame: one capture time */
		assert_int_equal(rx[i]->timestamp, rx[0]->timestamp);
	}
	free_rx(n);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_packets, 14);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

static void gso_frame_segmented_v2(void **state)
{
	(void)state;
	gso_frame_segmented("afpacket:hafp0,rx=v2", 0);
	gso_frame_segmented("afpacket:hafp0,rx=v2", 42);
}

static void gso_frame_segmented_v3(void **state)
{
	(void)state;
	gso_frame_segmented("afpacket:hafp0,rx=v3", 0);
	gso_frame_segmented("afpacket:hafp0,rx=v3", 42);
}

/* With big buffers in the pool a super frame arrives whole, offload flags
 * and partial checksum kept, and leaves the same way (tx_offloads). */
static void gso_frame_whole(uint16_t vlan)
{
	static uint8_t frame[21000], back[21000];
	struct fl_pool_params params = {.name = "big", .n_bufs = 4, .huge = FL_POOL_HUGE_NEVER,
					 .big = true};
	struct fl_pool *big = fl_pool_create(&params);
	struct fl_pool_stats bst;
	unsigned l4 = (vlan ? 18 : 14) + 20;
	struct virtio_net_hdr vh, got_vh;
	struct fl_port *port;
	struct fl_pkt *pkt;
	size_t len;
	int fd;

	assert_non_null(big);
	fl_pool_attach_big(pool, big);
	port = open_ok("afpacket:hafp0");
	assert_int_equal(port->tx_offloads, FL_PORT_TX_CSUM | FL_PORT_TX_TSO);
	fd = peer_socket("hafp1", true);
	len = tcp4_super_frame(frame, sizeof(frame), vlan, FL_TCP_ACK, 20000, &vh);
	peer_send_vnet(fd, &vh, frame, len);

	assert_int_equal(rx_until(port, 0, 1, 2000), 1);
	pkt = rx[0];
	assert_int_equal(pkt->len, len);
	assert_memory_equal(fl_pkt_cdata(pkt), frame, len);
	assert_int_equal(pkt->ol_flags & ~FL_OL_RSS_VALID, FL_OL_GSO_TCP4 | FL_OL_CSUM_PARTIAL);
	assert_int_equal(pkt->gso_size, 1448);
	assert_int_equal(pkt->csum_start, l4);
	assert_int_equal(pkt->csum_offset, 16);

	/* back out, whole: the peer sees the same super frame and header */
	memcpy(fl_pkt_data(pkt), mac_peer, 6);
	memcpy(fl_pkt_data(pkt) + 6, mac_far, 6);
	memcpy(frame, mac_peer, 6);
	memcpy(frame + 6, mac_far, 6);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, &pkt, 1), 1);
	/* the peer's kernel takes the tag into metadata, as it did on our side */
	if (vlan) {
		memmove(frame + 12, frame + 16, len - 16);
		len -= 4;
	}
	assert_int_equal(peer_recv_vnet(fd, &got_vh, back, sizeof(back), 1000), (ssize_t)len);
	assert_memory_equal(back, frame, len);
	assert_int_equal(got_vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(got_vh.gso_size, 1448);
	assert_int_equal(got_vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);

	close(fd);
	fl_port_close(port);
	fl_pool_attach_big(pool, NULL);
	fl_pool_cache_flush(&cache); /* it keeps the last big buffers */
	fl_pool_get_stats(big, &bst);
	assert_int_equal(bst.in_ring, 4);
	fl_pool_destroy(big);
	assert_pool_full();
}

static void gso_frame_whole_in_big_buffer(void **state)
{
	(void)state;
	gso_frame_whole(0);
	gso_frame_whole(42);
}

/* A partial checksum leaves in the virtio-net header. */
static void tx_partial_checksum_in_header(void **state)
{
	struct fl_port *port = open_ok("afpacket:hafp0");
	int fd = peer_socket("hafp1", true);
	struct virtio_net_hdr vh;
	uint8_t frame[256], back[2048];
	struct fl_pkt *pkt;
	size_t len = udp_frame(frame, sizeof(frame), 11, 200, 0);

	(void)state;
	memcpy(frame, mac_peer, 6);
	memcpy(frame + 6, mac_far, 6);
	assert_int_equal(fl_pool_get_burst(&cache, &pkt, 1), 1);
	assert_int_equal(fl_pkt_set_data(pkt, frame, (unsigned)len), 0);
	pkt->ol_flags = FL_OL_CSUM_PARTIAL;
	pkt->csum_start = 34;
	pkt->csum_offset = 6;
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, &pkt, 1), 1);
	assert_int_equal(peer_recv_vnet(fd, &vh, back, sizeof(back), 1000), (ssize_t)len);
	assert_memory_equal(back, frame, len);
	assert_int_equal(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 6);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* Segments beyond one burst wait for the next: rx with bursts of 4. */
static void gso_segments_across_bursts(void **state)
{
	static uint8_t frame[10000];
	struct fl_port *port = open_ok("afpacket:hafp0");
	int fd = peer_socket("hafp1", true);
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = 5 /* UDP_L4 */, .gso_size = 1000,
				    .csum_start = 34, .csum_offset = 6};
	struct fl_pkt *burst[4];
	unsigned total = 0, waited = 0, n, i;
	size_t len = udp_frame(frame, sizeof(frame), 99, 14 + 20 + 8 + 9000, 0);

	(void)state;
	peer_send_vnet(fd, &vh, frame, len);
	while (total < 9 && waited < 2000) {
		n = fl_port_rx_burst(port, 0, &cache, burst, 4);
		assert_true(n <= 4);
		for (i = 0; i < n; i++) {
			const uint8_t *d = fl_pkt_cdata(burst[i]);

			assert_int_equal(burst[i]->len, 14 + 20 + 8 + 1000);
			assert_memory_equal(d + 42, frame + 42 + (total + i) * 1000, 1000);
			assert_ipv4_l4_ok(d, burst[i]->len, 14);
		}
		total += n;
		fl_pool_put_bulk(&cache, burst, n);
		if (!n) {
			sleep_ms(1);
			waited++;
		}
	}
	assert_int_equal(total, 9);
	/* segments still waiting when the port closes go back to the pool */
	peer_send_vnet(fd, &vh, frame, len);
	for (waited = 0; waited < 2000; waited++) {
		n = fl_port_rx_burst(port, 0, &cache, burst, 4);
		fl_pool_put_bulk(&cache, burst, n);
		if (n)
			break;
		sleep_ms(1);
	}
	assert_int_equal(n, 4);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* A frame larger than a buffer (MTU 9000 on both ends) is a too_big drop. */
static void jumbo_frame_too_big(void **state)
{
	static const char *const specs[] = {"afpacket:hafp0,rx=v2", "afpacket:hafp0,rx=v3"};
	static uint8_t frame[4000];
	struct fl_port_stats st;
	unsigned k;
	size_t len;

	(void)state;
	assert_int_equal(sh("ip link set hafp0 mtu 9000 && ip link set hafp1 mtu 9000"), 0);
	len = udp_frame(frame, sizeof(frame), 1, 3000, 0);
	for (k = 0; k < 2; k++) {
		struct fl_port *port = open_ok(specs[k]);
		int fd = peer_socket("hafp1", false);
		uint8_t small[64];
		size_t slen = udp_frame(small, sizeof(small), 2, 60, 0);

		peer_send(fd, frame, len);
		peer_send(fd, small, slen);
		/* the small frame behind it still comes through */
		assert_int_equal(rx_until(port, 0, 1, 2000), 1);
		assert_int_equal(rx[0]->len, slen);
		free_rx(1);
		fl_port_get_stats(port, &st);
		assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], 1);
		close(fd);
		fl_port_close(port);
	}
	assert_int_equal(sh("ip link set hafp0 mtu 1500 && ip link set hafp1 mtu 1500"), 0);
	assert_pool_full();
}

/* ---- queues and drops ---------------------------------------------------- */

static void fanout_spreads_flows(void **state)
{
	struct fl_port *port = open_ok("afpacket:hafp0,queues=2");
	int fd = peer_socket("hafp1", false);
	unsigned queue_of[64], per_q[2] = {0, 0}, q, i, j, n;
	uint8_t frame[128];
	size_t len;

	(void)state;
	assert_int_not_equal(fl_port_wait_fd(port, 0), fl_port_wait_fd(port, 1));
	for (j = 0; j < 4; j++) {
		for (i = 0; i < 64; i++) {
			len = udp_frame(frame, sizeof(frame), (uint16_t)(2000 + i * 7), 64, 0);
			peer_send(fd, frame, len);
		}
	}
	memset(queue_of, 0xff, sizeof(queue_of));
	for (q = 0; q < 2; q++) {
		n = rx_until(port, q, 256, 300);
		per_q[q] = n;
		for (i = 0; i < n; i++) {
			const uint8_t *d = fl_pkt_cdata(rx[i]);
			unsigned flow = ((unsigned)(d[34] << 8 | d[35]) - 2000) / 7;

			assert_true(flow < 64);
			/* a flow stays on one queue */
			if (queue_of[flow] == 0xffffffffu)
				queue_of[flow] = q;
			assert_int_equal(queue_of[flow], q);
			assert_int_equal(rx[i]->queue, q);
		}
		free_rx(n);
	}
	assert_int_equal(per_q[0] + per_q[1], 256);
	assert_true(per_q[0] > 0);
	assert_true(per_q[1] > 0);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* Frames the kernel could not put in a full ring show in the stats. */
static void ring_overflow_counted(void **state)
{
	struct fl_port *port = open_ok("afpacket:hafp0");
	int fd = peer_socket("hafp1", false);
	struct fl_port_stats st;
	uint8_t frame[128];
	unsigned i, n;
	size_t len = udp_frame(frame, sizeof(frame), 5, 64, 0);

	(void)state;
	for (i = 0; i < 2500; i++)
		peer_send(fd, frame, len);
	n = rx_until(port, 0, 2500, 200);
	free_rx(n);
	fl_port_get_stats(port, &st);
	assert_true(n < 2500);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_FULL], 2500 - n);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_ERROR], 0);
	/* read and reset by the kernel, kept by the port */
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_FULL], 2500 - n);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* Super frames the socket had no room to queue whole (the worker behind)
 * come as V2 slots cut short: rx_full, not too_big, and the rest arrive. */
static void socket_buffer_full_counted(void **state)
{
	static uint8_t frame[21000];
	struct fl_port *port = open_ok("afpacket:hafp0,rx=v2");
	int fd = peer_socket("hafp1", true);
	unsigned sent = 800, segs = 0, idle = 0, i, n;
	struct virtio_net_hdr vh;
	struct fl_pkt *burst[BURST];
	struct fl_port_stats st;
	size_t len = tcp4_super_frame(frame, sizeof(frame), 0, FL_TCP_ACK, 20000, &vh);

	(void)state;
	/* 800 x 20 KB is more than the socket holds (twice 4 MiB), fewer
	 * frames than slots */
	for (i = 0; i < sent; i++)
		peer_send_vnet(fd, &vh, frame, len);
	while (idle < 20) {
		n = fl_port_rx_burst(port, 0, &cache, burst, BURST);
		for (i = 0; i < n; i++)
			segs += !memcmp(fl_pkt_cdata(burst[i]) + 6, mac_peer, 6);
		fl_pool_put_bulk(&cache, burst, n);
		idle = n ? 0 : idle + 1;
		if (!n)
			sleep_ms(2);
	}
	fl_port_get_stats(port, &st);
	assert_int_equal(segs % 14, 0); /* whole frames, 14 segments each */
	assert_true(segs / 14 > 0 && segs / 14 < sent);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_FULL], sent - segs / 14);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], 0);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* ---- link ---------------------------------------------------------------- */

/* One frame each way works. */
static void assert_traffic(struct fl_port *port)
{
	int fd = peer_socket("hafp1", false);
	uint8_t frame[128], got[2048];
	struct fl_pkt *pkt;
	size_t len = udp_frame(frame, sizeof(frame), 77, 100, 0);

	peer_send(fd, frame, len);
	assert_int_equal(rx_until(port, 0, 1, 2000), 1);
	assert_memory_equal(fl_pkt_cdata(rx[0]), frame, len);
	pkt = rx[0];
	memcpy(fl_pkt_data(pkt), mac_peer, 6);
	memcpy(fl_pkt_data(pkt) + 6, mac_far, 6);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, &pkt, 1), 1);
	assert_int_equal(peer_recv(fd, got, sizeof(got), 1000), (ssize_t)len);
	close(fd);
}

static void link_down_up(void **state)
{
	struct fl_port *port = open_ok("afpacket:hafp0");

	(void)state;
	assert_true(port_link_becomes(port, true, 2000));
	assert_traffic(port);
	assert_int_equal(sh("ip link set hafp0 down"), 0);
	assert_true(port_link_becomes(port, false, 2000));
	assert_int_equal(sh("ip link set hafp0 up"), 0);
	assert_true(port_link_becomes(port, true, 3000));
	/* the same sockets work again, no reopen needed */
	assert_traffic(port);
	/* the peer down takes the carrier away */
	assert_int_equal(sh("ip link set hafp1 down"), 0);
	assert_true(port_link_becomes(port, false, 2000));
	assert_int_equal(sh("ip link set hafp1 up"), 0);
	assert_true(port_link_becomes(port, true, 3000));
	assert_traffic(port);
	fl_port_close(port);
	assert_pool_full();
}

static void recreate_veth(void)
{
	assert_int_equal(sh("ip link del hafp0 2>/dev/null; ip link add hafp0 type veth peer "
			    "name hafp1 && ip link set hafp0 up && ip link set hafp1 up"), 0);
}

static void interface_recreated_reopen(const char *spec)
{
	struct fl_port *port = open_ok(spec);
	struct fl_pkt *pkts[10];
	struct fl_port_stats st;
	struct epoll_event ev = {.events = EPOLLIN};
	int ep, fd, old_fd, i;

	assert_true(port_link_becomes(port, true, 2000));
	assert_traffic(port);
	old_fd = fl_port_wait_fd(port, 0);
	ep = epoll_create1(0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, old_fd, &ev), 0);

	assert_int_equal(sh("ip link del hafp0"), 0);
	assert_false(fl_port_link_up(port));
	/* a dead socket: tx drops and counts, rx finds nothing, nothing blocks */
	assert_int_equal(fl_pool_get_burst(&cache, pkts, 10), 10);
	for (i = 0; i < 10; i++)
		fl_pkt_set_data(pkts[i], "0123456789abcdef", 16);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 10), 10);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_LINK_DOWN], 10);
	/* the socket error wakes an epoll sleeper until rx clears it */
	for (i = 0; i < 2048; i++)
		assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, 10), 0);
	assert_int_equal(epoll_wait(ep, &ev, 1, 50), 0);
	close(ep);

	recreate_veth();
	assert_true(port_link_becomes(port, true, 3000));
	assert_int_equal(fl_port_backend("afpacket")->reopen(port, err, sizeof(err)), 0);
	assert_true(fl_port_link_up(port));
	fd = fl_port_wait_fd(port, 0);
	assert_true(fd >= 0);
	assert_traffic(port);

	/* deleted and recreated between two looks: "down" once, then "up" */
	recreate_veth();
	assert_false(fl_port_link_up(port));
	assert_true(port_link_becomes(port, true, 3000));
	assert_int_equal(fl_port_backend("afpacket")->reopen(port, err, sizeof(err)), 0);
	assert_traffic(port);
	fl_port_close(port);
	assert_pool_full();
}

static void interface_recreated_reopen_v2(void **state)
{
	(void)state;
	interface_recreated_reopen("afpacket:hafp0");
}

static void interface_recreated_reopen_v3_queues(void **state)
{
	(void)state;
	interface_recreated_reopen("afpacket:hafp0,rx=v3,queues=2");
}

/* A multi-queue port opened on a down interface waits for reopen; then the
 * fanout group forms and each frame arrives once. */
static void opened_down_then_reopen(void **state)
{
	struct fl_port *port;
	uint8_t frame[128];
	unsigned n0, n1, i;
	int fd;
	size_t len;

	(void)state;
	assert_int_equal(sh("ip link set hafp0 down"), 0);
	port = open_ok("afpacket:hafp0,queues=2");
	assert_false(fl_port_link_up(port));
	assert_int_equal(sh("ip link set hafp0 up"), 0);
	assert_true(port_link_becomes(port, true, 3000));
	assert_int_equal(fl_port_backend("afpacket")->reopen(port, err, sizeof(err)), 0);
	fd = peer_socket("hafp1", false);
	for (i = 0; i < 32; i++) {
		len = udp_frame(frame, sizeof(frame), (uint16_t)(300 + i), 64, 0);
		peer_send(fd, frame, len);
	}
	n0 = rx_until(port, 0, 32, 200);
	free_rx(n0);
	n1 = rx_until(port, 1, 32, 200);
	free_rx(n1);
	assert_int_equal(n0 + n1, 32);
	close(fd);
	fl_port_close(port);
	assert_pool_full();
}

/* ---- kernel TCP ---------------------------------------------------------- */

#define TCP_BYTES 300000u

/* The child: its own namespace, the far end of hafp2/hafp3, a TCP client. */
static void tcp_child(int ready_fd, int go_fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
	static uint8_t buf[TCP_BYTES];
	size_t off = 0;
	ssize_t r;
	char c = 'r';
	int s, tries;

	if (unshare(CLONE_NEWNET) < 0 || write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(2);
	if (sh("ip link set lo up && ip addr add 10.77.0.1/24 dev hafp3 && "
	       "ip link set hafp3 up") != 0)
		_exit(3);
	inet_pton(AF_INET, "10.77.0.2", &sa.sin_addr);
	for (tries = 0; tries < 100; tries++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(s);
		s = -1;
		sleep_ms(20);
	}
	if (s < 0)
		_exit(4);
	memset(buf, 'x', sizeof(buf));
	while (off < sizeof(buf)) {
		r = send(s, buf + off, sizeof(buf) - off, 0);
		if (r <= 0)
			_exit(5);
		off += (size_t)r;
	}
	close(s);
	_exit(0);
}

static void kernel_tcp_segmented(void **state)
{
	int ready[2], go[2], ls, cs = -1, one = 1, status;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
	struct fl_pkt *burst[BURST];
	uint64_t data_bytes = 0, tcp_read = 0;
	struct fl_port_stats st;
	unsigned n, i, same_ts_runs = 0, waited = 0, idle = 0;
	uint64_t last_ts = 0;
	struct fl_port *port;
	char c, buf[65536];
	bool eof = false;
	pid_t pid;

	(void)state;
	assert_int_equal(sh("ip link add hafp2 type veth peer name hafp3"), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		tcp_child(ready[1], go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(sh("ip link set hafp3 netns %d && ip addr add 10.77.0.2/24 dev hafp2 && "
			    "ip link set hafp2 up", (int)pid), 0);
	port = open_ok("afpacket:hafp2");
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, "10.77.0.2", &sa.sin_addr);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(write(go[1], "g", 1), 1);

	/* until the client is done and the port has been quiet for 100 ms */
	while ((!eof || idle < 100) && waited < 5000) {
		if (cs < 0)
			cs = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
		if (cs >= 0) {
			ssize_t r = recv(cs, buf, sizeof(buf), 0);

			if (r > 0)
				tcp_read += (uint64_t)r;
			else if (r == 0)
				eof = true;
		}
		n = fl_port_rx_burst(port, 0, &cache, burst, BURST);
		for (i = 0; i < n; i++) {
			const uint8_t *d = fl_pkt_cdata(burst[i]);
			unsigned len = burst[i]->len, l4, doff;

			if (len < 54 || d[12] != 0x08 || d[13] != 0 || d[23] != FL_IPPROTO_TCP)
				continue;
			assert_true(len <= 1514);
			assert_ipv4_l4_ok(d, len, 14);
			l4 = 14 + (d[14] & 15u) * 4u;
			doff = (d[l4 + 12] >> 4) * 4u;
			data_bytes += len - l4 - doff;
			/* segments of one super frame share its capture time */
			if (len - l4 - doff > 0 && burst[i]->timestamp == last_ts)
				same_ts_runs++;
			last_ts = burst[i]->timestamp;
		}
		fl_pool_put_bulk(&cache, burst, n);
		idle = n ? 0 : idle + 1;
		if (!n) {
			sleep_ms(1);
			waited++;
		}
	}
	/* nothing dropped: every super frame was cut */
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_MALFORMED], 0);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_TOO_BIG], 0);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 0);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_ERROR], 0);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tcp_read, TCP_BYTES);
	/* everything the client sent passed the port, retransmissions aside */
	assert_true(data_bytes >= TCP_BYTES);
	assert_true(same_ts_runs > 0);
	print_message("kernel TCP: %llu payload bytes, %u segments cut from super frames\n",
		      (unsigned long long)data_bytes, same_ts_runs);
	close(cs);
	close(ls);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	fl_port_close(port);
	sh("ip link del hafp2 2>/dev/null");
	assert_pool_full();
}

/* ---- setup --------------------------------------------------------------- */

static int setup(void **state)
{
	struct fl_pool_params params = {.name = "test_afpacket", .n_bufs = N_BUFS,
					.huge = FL_POOL_HUGE_NEVER};

	(void)state;
	pool = fl_pool_create(&params);
	if (!pool)
		return -1;
	fl_pool_cache_init(&cache, pool, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	return 0;
}

/* Into a namespace of our own with the veth pair, or exit 77. */
static void enter_test_netns(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root (network namespaces, veths, packet sockets)\n");
		exit(77);
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		exit(77);
	}
	if (sh("ip link set lo up 2>/dev/null") != 0) {
		printf("SKIP: ip(8) not usable\n");
		exit(77);
	}
	/* no IPv6: the kernel would send router solicitations and MLD reports */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if (sh("ip link add hafp0 type veth peer name hafp1 2>/dev/null") != 0) {
		printf("SKIP: cannot create a veth pair (veth module?)\n");
		exit(77);
	}
	if (sh("ip link set hafp0 up && ip link set hafp1 up") != 0)
		exit(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_errors_name_the_problem),
		cmocka_unit_test(not_permitted_says_why),
		cmocka_unit_test(mtu_follows_interface),
		cmocka_unit_test(rx_frames_v2),
		cmocka_unit_test(rx_frames_v3),
		cmocka_unit_test(tx_frames),
		cmocka_unit_test(vlan_tags_kept),
		cmocka_unit_test(partial_checksum_completed),
		cmocka_unit_test(gso_frame_segmented_v2),
		cmocka_unit_test(gso_frame_segmented_v3),
		cmocka_unit_test(gso_frame_whole_in_big_buffer),
		cmocka_unit_test(tx_partial_checksum_in_header),
		cmocka_unit_test(gso_segments_across_bursts),
		cmocka_unit_test(jumbo_frame_too_big),
		cmocka_unit_test(socket_buffer_full_counted),
		cmocka_unit_test(fanout_spreads_flows),
		cmocka_unit_test(ring_overflow_counted),
		cmocka_unit_test(link_down_up),
		cmocka_unit_test(interface_recreated_reopen_v2),
		cmocka_unit_test(interface_recreated_reopen_v3_queues),
		cmocka_unit_test(opened_down_then_reopen),
		cmocka_unit_test(kernel_tcp_segmented),
	};

	signal(SIGPIPE, SIG_IGN);
	enter_test_netns();
	return cmocka_run_group_tests(tests, setup, teardown);
}
