/* Tests of the TAP port against real TAP devices.
 *
 * The test moves itself into a network namespace of its own (unshare) before
 * anything else, so the devices, addresses and neighbour entries it creates
 * are invisible to the host and vanish with the process, even if it crashes.
 * Devices are named htap*. The kernel side of each exchange is an ordinary
 * socket: UDP and TCP sent through an address routed via the tap (with a
 * static neighbour entry for the peer the port plays) must come out of the
 * port with correct contents and checksums; frames the port sends to the
 * tap's own address must reach a bound socket. TCP from the kernel arrives as
 * GSO frames of many segments (the device offers TSO), which the port must
 * cut to MSS-sized frames. Without root, /dev/net/tun or unshare, the test
 * exits 77 (skipped) and says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/byteorder.h"
#include "port/port.h"
#include "proto/build.h"
#include "proto/csum.h"
#include "proto/headers.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define N_BUFS 4096u
#define BURST 32u
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

static struct fl_pool *pool;
static struct fl_pool_cache cache;
static char err[512];
static int ctl = -1; /* AF_INET datagram socket for interface ioctls */
/* What a failing test leaves behind, for teardown: its open port and the
 * tun fds it holds (each keeps a device alive for the tests after it). */
static struct fl_port *cur_port;
static int held_fds[2] = {-1, -1};

static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x77, 0x02};

/* ---- helpers: the port ------------------------------------------------- */

static struct fl_port *open_ok(const char *spec)
{
	struct fl_port *port;

	err[0] = '\0';
	port = fl_port_open("t0", 1, spec, pool, err, sizeof(err));
	if (!port)
		fail_msg("open '%s': %s", spec, err);
	cur_port = port;
	return port;
}

static void close_port(struct fl_port *port)
{
	fl_port_close(port);
	cur_port = NULL;
}

/* A tun fd the test holds in slot i; closed by the test or by teardown. */
static int hold_tun(unsigned i, const char *name, short flags)
{
	struct ifreq ifr;

	held_fds[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	assert_true(held_fds[i] >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = flags;
	assert_int_equal(ioctl(held_fds[i], TUNSETIFF, &ifr), 0);
	return held_fds[i];
}

static void release_tun(unsigned i)
{
	close(held_fds[i]);
	held_fds[i] = -1;
}

static void open_fails(const char *spec, const char *msg)
{
	struct fl_port *port;

	err[0] = '\0';
	errno = 0;
	port = fl_port_open("p0", 1, spec, pool, err, sizeof(err));
	if (port) {
		fl_port_close(port);
		fail_msg("open '%s' succeeded", spec);
	}
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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef bool match_fn(const struct fl_pkt *pkt, const void *arg);

/* Receive from every queue of `port`, `burst` frames a call, sleeping on
 * the wait fds, until `want` frames for which match() holds have arrived or
 * `ms` passed. Keeps those in out[] (in arrival order), frees the others
 * (IPv6 chatter and the like). */
static unsigned rx_match_burst(struct fl_port *port, match_fn *match, const void *arg,
			       struct fl_pkt **out, unsigned want, int ms, unsigned burst)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct pollfd pfd[FL_PORT_MAX_QUEUES];
	struct fl_pkt *pkts[BURST];
	unsigned found = 0, q, got, i;

	for (q = 0; q < port->n_rxq; q++) {
		pfd[q].fd = fl_port_wait_fd(port, q);
		pfd[q].events = POLLIN;
	}
	while (found < want) {
		for (q = 0; q < port->n_rxq; q++) {
			while ((got = fl_port_rx_burst(port, q, &cache, pkts, burst)) > 0) {
				for (i = 0; i < got; i++) {
					if (found < want && match(pkts[i], arg))
						out[found++] = pkts[i];
					else
						fl_pool_put(&cache, pkts[i]);
				}
			}
		}
		if (found >= want || now_ms() >= end)
			break;
		poll(pfd, port->n_rxq, (int)FL_MIN(end - now_ms(), 50u));
	}
	return found;
}

static unsigned rx_match(struct fl_port *port, match_fn *match, const void *arg,
			 struct fl_pkt **out, unsigned want, int ms)
{
	return rx_match_burst(port, match, arg, out, want, ms, BURST);
}

/* ---- helpers: frames ---------------------------------------------------- */

static const struct fl_ipv4_hdr *ip4_of(const struct fl_pkt *pkt)
{
	const uint8_t *f = fl_pkt_cdata(pkt);

	if (pkt->len < FL_ETH_HLEN + sizeof(struct fl_ipv4_hdr) ||
	    fl_get_u16(f + 12) != fl_htons(FL_ETH_TYPE_IPV4))
		return NULL;
	return (const struct fl_ipv4_hdr *)(f + FL_ETH_HLEN);
}

static const uint8_t *l4_of(const struct fl_pkt *pkt, uint8_t proto)
{
	const struct fl_ipv4_hdr *ip = ip4_of(pkt);
	unsigned l4_len = proto == FL_IPPROTO_TCP ? sizeof(struct fl_tcp_hdr) :
			  sizeof(struct fl_udp_hdr);

	if (!ip || ip->proto != proto ||
	    pkt->len < FL_ETH_HLEN + (ip->ver_ihl & 0xfu) * 4 + l4_len)
		return NULL;
	return (const uint8_t *)ip + (ip->ver_ihl & 0xf) * 4;
}

/* UDP to the destination port *arg (host order). */
static bool is_udp_to(const struct fl_pkt *pkt, const void *arg)
{
	const uint8_t *udp = l4_of(pkt, FL_IPPROTO_UDP);

	return udp && fl_ntohs(((const struct fl_udp_hdr *)udp)->dst) == *(const uint16_t *)arg;
}

static bool is_tcp_to(const struct fl_pkt *pkt, const void *arg)
{
	const uint8_t *tcp = l4_of(pkt, FL_IPPROTO_TCP);

	return tcp && fl_ntohs(((const struct fl_tcp_hdr *)tcp)->dst) == *(const uint16_t *)arg;
}

/* The frame is IPv4 with a valid header checksum and a valid TCP/UDP
 * checksum over exactly tot_len - ihl bytes, and no longer than max_len. */
static void assert_ip4_valid(const struct fl_pkt *pkt, unsigned max_len)
{
	const struct fl_ipv4_hdr *ip = ip4_of(pkt);
	unsigned ihl, tot;
	uint32_t sum;

	assert_non_null(ip);
	ihl = (ip->ver_ihl & 0xfu) * 4;
	tot = fl_ntohs(ip->tot_len);
	assert_true(pkt->len <= max_len);
	assert_true(FL_ETH_HLEN + tot <= pkt->len);
	assert_int_equal(fl_ipv4_hdr_csum(ip, ihl), 0);
	sum = fl_csum_pseudo_ipv4(ip->src, ip->dst, ip->proto, (uint16_t)(tot - ihl));
	sum = fl_csum_partial((const uint8_t *)ip + ihl, tot - ihl, sum);
	assert_int_equal(fl_csum_fold(sum), 0);
}

static struct fl_pkt *pkt_from(const void *frame, size_t len)
{
	struct fl_pkt *pkt = NULL;

	assert_int_equal(fl_pool_get_burst(&cache, &pkt, 1), 1);
	assert_int_equal(fl_pkt_set_data(pkt, frame, (unsigned)len), 0);
	return pkt;
}

/* ---- helpers: the kernel side ------------------------------------------- */

static void ifr_set(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

static short dev_flags(const char *name)
{
	struct ifreq ifr;

	ifr_set(&ifr, name);
	assert_int_equal(ioctl(ctl, SIOCGIFFLAGS, &ifr), 0);
	return ifr.ifr_flags;
}

static void dev_set_up(const char *name, bool up)
{
	struct ifreq ifr;

	ifr_set(&ifr, name);
	assert_int_equal(ioctl(ctl, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
	assert_int_equal(ioctl(ctl, SIOCSIFFLAGS, &ifr), 0);
}

static int dev_mtu(const char *name)
{
	struct ifreq ifr;

	ifr_set(&ifr, name);
	assert_int_equal(ioctl(ctl, SIOCGIFMTU, &ifr), 0);
	return ifr.ifr_mtu;
}

static void dev_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;

	ifr_set(&ifr, name);
	assert_int_equal(ioctl(ctl, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
}

/* ip link del NAME, through rtnetlink. */
static void dev_del(const char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char pad[64];
	} req;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char reply[256];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct nlmsgerr *e;

	assert_true(fd >= 0);
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_DELLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)if_nametoindex(name);
	assert_true(req.ifi.ifi_index > 0);
	assert_true(sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
			   sizeof(sa)) >= 0);
	assert_true(recv(fd, reply, sizeof(reply), 0) >= (ssize_t)NLMSG_LENGTH(sizeof(*e)));
	e = NLMSG_DATA((struct nlmsghdr *)reply);
	assert_int_equal(e->error, 0);
	close(fd);
}

static fl_be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Give the tap `addr`/24 and a permanent neighbour entry peer -> peer_mac. */
static void setup_addr(const char *name, const char *addr, const char *peer)
{
	struct sockaddr_in *sin;
	struct arpreq arp;
	struct ifreq ifr;

	ifr_set(&ifr, name);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip4(addr);
	assert_int_equal(ioctl(ctl, SIOCSIFADDR, &ifr), 0);
	sin->sin_addr.s_addr = fl_htonl(0xffffff00u);
	assert_int_equal(ioctl(ctl, SIOCSIFNETMASK, &ifr), 0);

	memset(&arp, 0, sizeof(arp));
	sin = (struct sockaddr_in *)&arp.arp_pa;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip4(peer);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(arp.arp_ha.sa_data, peer_mac, 6);
	arp.arp_flags = ATF_PERM | ATF_COM;
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", name);
	assert_int_equal(ioctl(ctl, SIOCSARP, &arp), 0);
}

static int udp_socket(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = fl_htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = ip4(addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void udp_send(int fd, const char *addr, uint16_t port, const void *data, size_t len)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = fl_htons(port)};

	sin.sin_addr.s_addr = ip4(addr);
	assert_int_equal(sendto(fd, data, len, 0, (struct sockaddr *)&sin, sizeof(sin)),
			 (ssize_t)len);
}

/* ---- tests -------------------------------------------------------------- */

static void test_tap_bad_specs(void **state)
{
	(void)state;
	open_fails("tap:", "p0: tap: missing device name (usage: tap:NAME[,queues=N][,up=yes|no])");
	open_fails("tap:htap0123456789ab",
		   "p0: tap: device name 'htap0123456789ab' too long (at most 15 characters)");
	open_fails("tap:htap/0", "p0: tap: 'htap/0' is not a valid interface name");
	open_fails("tap:htap%d", "p0: tap: 'htap%d' is not a valid interface name");
	open_fails("tap:htap0,queues=0", "p0: tap: option queues: 0 is below the minimum 1");
	open_fails("tap:htap0,queues=65", "p0: tap: option queues: 65 is above the maximum 64");
	open_fails("tap:htap0,up=maybe", "p0: tap: option up: 'maybe' is not yes or no");
	open_fails("tap:htap0,qeues=2", "p0: tap: unknown option 'qeues' (known: queues, up)");
	open_fails("tap:lo", "p0: tap: device 'lo' exists and is not a tap (driver 'unknown')");

	/* a tun (layer 3) device and a single-queue tap, held open by the test */
	hold_tun(0, "htaptun", IFF_TUN | IFF_NO_PI);
	open_fails("tap:htaptun",
		   "p0: tap: device 'htaptun' exists and is a tun (layer 3) device, not a tap");
	hold_tun(1, "htapsq", IFF_TAP | IFF_NO_PI);
	open_fails("tap:htapsq", "p0: tap: cannot attach to 'htapsq': not a multi-queue tap "
		   "(create it with 'ip tuntap add ... multi_queue')");
	release_tun(1);
	release_tun(0);
	assert_int_equal(if_nametoindex("htap0"), 0); /* failed opens left nothing */
	assert_pool_full();
}

static void test_tap_create_up_close(void **state)
{
	struct fl_port *port;

	(void)state;
	port = open_ok("tap:htap1");
	assert_int_equal(port->n_rxq, 1);
	assert_int_equal(port->n_txq, 1);
	assert_true(fl_port_wait_fd(port, 0) >= 0);
	assert_true(if_nametoindex("htap1") > 0);
	assert_true(dev_flags("htap1") & IFF_UP);
	assert_true(fl_port_link_up(port));
	assert_int_equal(port->mtu, 1500);
	close_port(port);
	/* not persistent: closing the last fd removed the device */
	assert_int_equal(if_nametoindex("htap1"), 0);

	port = open_ok("tap:htap1,up=no");
	assert_true(if_nametoindex("htap1") > 0);
	assert_false(dev_flags("htap1") & IFF_UP);
	assert_false(fl_port_link_up(port));
	close_port(port);
	assert_int_equal(if_nametoindex("htap1"), 0);
	assert_pool_full();
}

static void test_tap_two_queues(void **state)
{
	struct fl_pkt *got[64];
	unsigned per_q[2] = {0, 0}, q, i, n;
	struct fl_port *port;
	struct ifreq ifr;
	uint16_t dport = 5002;
	int fd, hdr_len = 0;

	(void)state;
	port = open_ok("tap:htap2,queues=2");
	assert_int_equal(port->n_rxq, 2);
	assert_int_equal(port->n_txq, 2);
	assert_int_not_equal(fl_port_wait_fd(port, 0), fl_port_wait_fd(port, 1));
	for (q = 0; q < 2; q++) {
		memset(&ifr, 0, sizeof(ifr));
		assert_int_equal(ioctl(fl_port_wait_fd(port, q), TUNGETIFF, &ifr), 0);
		assert_string_equal(ifr.ifr_name, "htap2");
		assert_int_equal(ifr.ifr_flags & TAP_FLAGS, TAP_FLAGS);
	}
	assert_int_equal(ioctl(fl_port_wait_fd(port, 0), TUNGETVNETHDRSZ, &hdr_len), 0);
	assert_int_equal(hdr_len, 10); /* sizeof(struct virtio_net_hdr) */

	/* 32 flows: the kernel spreads them over both queues by hash */
	setup_addr("htap2", "10.77.2.1", "10.77.2.2");
	for (i = 0; i < 32; i++) {
		fd = udp_socket("10.77.2.1", (uint16_t)(4000 + i));
		udp_send(fd, "10.77.2.2", dport, &i, sizeof(i));
		close(fd);
	}
	n = rx_match(port, is_udp_to, &dport, got, 32, 2000);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++) {
		assert_true(got[i]->queue < 2);
		per_q[got[i]->queue]++;
	}
	assert_true(per_q[0] > 0 && per_q[1] > 0);
	fl_pool_put_bulk(&cache, got, n);
	close_port(port);
	assert_pool_full();
}

static void test_tap_rx_udp(void **state)
{
	const char msg[] = "flowlane htap rx: the kernel sent this";
	uint8_t big[1400], tap_mac[6];
	const struct fl_ipv4_hdr *ip;
	const uint8_t *f, *udp;
	struct fl_pkt *got[2];
	struct fl_port *port;
	uint16_t dport = 5003;
	unsigned i;
	int fd;

	(void)state;
	port = open_ok("tap:htap3");
	setup_addr("htap3", "10.77.3.1", "10.77.3.2");
	dev_mac("htap3", tap_mac);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	fd = udp_socket("10.77.3.1", 4003);
	udp_send(fd, "10.77.3.2", dport, msg, sizeof(msg));
	udp_send(fd, "10.77.3.2", dport, big, sizeof(big));
	close(fd);

	assert_int_equal(rx_match(port, is_udp_to, &dport, got, 2, 2000), 2);
	for (i = 0; i < 2; i++) {
		f = fl_pkt_cdata(got[i]);
		assert_memory_equal(f, peer_mac, 6);
		assert_memory_equal(f + 6, tap_mac, 6);
		ip = ip4_of(got[i]);
		assert_int_equal(ip->src, ip4("10.77.3.1"));
		assert_int_equal(ip->dst, ip4("10.77.3.2"));
		/* the kernel left the UDP checksum partial (TUN_F_CSUM); rx completed it */
		assert_ip4_valid(got[i], 1514);
		udp = l4_of(got[i], FL_IPPROTO_UDP);
		assert_int_equal(fl_ntohs(((const struct fl_udp_hdr *)udp)->src), 4003);
	}
	assert_int_equal(got[0]->len, FL_ETH_HLEN + 20 + 8 + sizeof(msg));
	assert_memory_equal(l4_of(got[0], FL_IPPROTO_UDP) + 8, msg, sizeof(msg));
	assert_int_equal(got[1]->len, FL_ETH_HLEN + 20 + 8 + sizeof(big));
	assert_memory_equal(l4_of(got[1], FL_IPPROTO_UDP) + 8, big, sizeof(big));
	fl_pool_put_bulk(&cache, got, 2);
	close_port(port);
	assert_pool_full();
}

/* A UDP frame from the peer to the tap's address: 10.77.4.2:7000 -> :6000. */
static size_t peer_udp_frame(uint8_t *buf, size_t cap, const uint8_t tap_mac[6],
			     size_t payload, uint8_t seed)
{
	struct fl_builder b;

	fl_build_init(&b, buf, cap);
	fl_build_eth(&b, tap_mac, peer_mac);
	fl_build_ipv4(&b, ip4("10.77.4.2"), ip4("10.77.4.1"));
	fl_build_udp(&b, fl_htons(7000), fl_htons(6000));
	fl_build_payload(&b, payload, seed);
	return fl_build_finish(&b);
}

static void udp_recv_check(int fd, size_t payload, uint8_t seed)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint8_t buf[2048];
	ssize_t r;
	size_t i;

	assert_int_equal(poll(&pfd, 1, 2000), 1);
	r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	assert_int_equal(r, (ssize_t)payload);
	assert_int_equal(from.sin_addr.s_addr, ip4("10.77.4.2"));
	assert_int_equal(fl_ntohs(from.sin_port), 7000);
	for (i = 0; i < payload; i++)
		assert_int_equal(buf[i], (uint8_t)(seed + i));
}

static void test_tap_tx_udp(void **state)
{
	struct fl_port_stats st;
	struct fl_pkt *pkts[2];
	struct fl_port *port;
	uint8_t frame[1600], tap_mac[6];
	size_t len;
	int fd;

	(void)state;
	port = open_ok("tap:htap4");
	setup_addr("htap4", "10.77.4.1", "10.77.4.2");
	dev_mac("htap4", tap_mac);
	fd = udp_socket("10.77.4.1", 6000);

	/* a plain frame with a full checksum */
	len = peer_udp_frame(frame, sizeof(frame), tap_mac, 300, 9);
	assert_true(len > 0);
	pkts[0] = pkt_from(frame, len);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 1), 1);
	udp_recv_check(fd, 300, 9);

	/* a partial checksum (garbage in the field) passed on as NEEDS_CSUM: UDP
	 * would drop the datagram if the header did not say so */
	len = peer_udp_frame(frame, sizeof(frame), tap_mac, 1000, 3);
	frame[FL_ETH_HLEN + 20 + 6] ^= 0x5a;
	pkts[1] = pkt_from(frame, len);
	pkts[1]->ol_flags |= FL_OL_CSUM_PARTIAL;
	pkts[1]->csum_start = FL_ETH_HLEN + 20;
	pkts[1]->csum_offset = 6;
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, &pkts[1], 1), 1);
	udp_recv_check(fd, 1000, 3);

	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_packets, 2);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_TX_ERROR], 0);
	close(fd);
	close_port(port);
	assert_pool_full();
}

/* The SYN-ACK the port's peer (10.77.5.2:8000) answers a SYN with: MSS 1460,
 * window 65535 without scaling, so the kernel may send 64 KiB at once. */
static size_t syn_ack(uint8_t *f, const struct fl_pkt *syn, const uint8_t tap_mac[6])
{
	const struct fl_tcp_hdr *s = (const struct fl_tcp_hdr *)l4_of(syn, FL_IPPROTO_TCP);
	struct fl_ipv4_hdr *ip = (struct fl_ipv4_hdr *)(f + FL_ETH_HLEN);
	struct fl_tcp_hdr *t = (struct fl_tcp_hdr *)(ip + 1);
	uint8_t *opt = (uint8_t *)(t + 1);

	memset(f, 0, FL_ETH_HLEN + 20 + 24);
	memcpy(f, tap_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	ip->ver_ihl = 0x45;
	ip->tot_len = fl_htons(20 + 24);
	ip->ttl = 64;
	ip->proto = FL_IPPROTO_TCP;
	ip->src = ip4("10.77.5.2");
	ip->dst = ip4("10.77.5.1");
	ip->csum = fl_ipv4_hdr_csum(ip, 20);
	t->src = s->dst;
	t->dst = s->src;
	t->seq = fl_htonl(0x10000000u);
	t->ack = fl_htonl(fl_ntohl(s->seq) + 1);
	t->off_flags = fl_htons(6 << 12 | FL_TCP_SYN | FL_TCP_ACK);
	t->window = fl_htons(65535);
	opt[0] = 2; /* MSS */
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	t->csum = fl_l4_csum_ipv4(ip->src, ip->dst, FL_IPPROTO_TCP, t, 24);
	return FL_ETH_HLEN + 20 + 24;
}

/* Open a TCP connection from the kernel side of tap `dev` to a fake peer
 * the test plays (it answers the SYN itself), then send `len` bytes of
 * data. Returns the socket; *isn is the kernel's initial sequence number. */
/* (syn_ack answers as 10.77.5.2 to 10.77.5.1: use those addresses) */
static int tso_connect(struct fl_port *port, const char *dev, const char *addr,
		       const char *peer, const uint8_t *data, size_t len, uint32_t *isn)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = fl_htons(8000)};
	struct ethtool_value tso = {.cmd = ETHTOOL_GTSO};
	struct fl_pkt *syn, *pkt;
	uint8_t tap_mac[6], frame[128];
	uint16_t dport = 8000;
	struct ifreq ifr;
	ssize_t sent = -1;
	unsigned i;
	int fd;

	setup_addr(dev, addr, peer);
	dev_mac(dev, tap_mac);
	/* the port offered TSO, so the kernel leaves segmentation to us */
	ifr_set(&ifr, dev);
	ifr.ifr_data = (void *)&tso;
	assert_int_equal(ioctl(ctl, SIOCETHTOOL, &ifr), 0);
	assert_int_equal(tso.data, 1);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = ip4(peer);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_int_equal(rx_match(port, is_tcp_to, &dport, &syn, 1, 2000), 1);
	*isn = fl_ntohl(((const struct fl_tcp_hdr *)l4_of(syn, FL_IPPROTO_TCP))->seq);
	pkt = pkt_from(frame, syn_ack(frame, syn, tap_mac));
	fl_pool_put(&cache, syn);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, &pkt, 1), 1);
	for (i = 0; i < 200 && (sent = send(fd, data, len, 0)) < 0; i++)
		usleep(10 * 1000); /* until our SYN-ACK completed the handshake */
	assert_true(sent > 0);
	return fd;
}

static void tso_data(uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
}

static void test_tap_rx_tcp_tso(void **state)
{
	static uint8_t data[60000], seen[60000];
	uint32_t isn, seq, covered = 0;
	struct fl_pkt *got[BURST * 8];
	struct fl_port *port;
	uint16_t dport = 8000;
	unsigned n, i, plen, hl;
	int fd;

	(void)state;
	port = open_ok("tap:htap5");
	tso_data(data, sizeof(data));
	fd = tso_connect(port, "htap5", "10.77.5.1", "10.77.5.2", data, sizeof(data), &isn);

	/* the first flight: up to 64 KiB in GSO frames, cut to 1460-byte
	 * segments; collect a second's worth (the pure ACK is among them) */
	n = rx_match(port, is_tcp_to, &dport, got, FL_ARRAY_SIZE(got), 1000);
	for (i = 0; i < n; i++) {
		const struct fl_ipv4_hdr *ip = ip4_of(got[i]);
		const struct fl_tcp_hdr *t = (const struct fl_tcp_hdr *)l4_of(got[i],
									    FL_IPPROTO_TCP);

		assert_ip4_valid(got[i], FL_ETH_HLEN + 20 + 20 + 1460);
		hl = (fl_ntohs(t->off_flags) >> 12) * 4;
		plen = fl_ntohs(ip->tot_len) - 20 - hl;
		seq = fl_ntohl(t->seq) - isn - 1;
		if (!plen)
			continue;
		assert_true(seq + plen <= sizeof(data));
		/* a retransmission may repeat bytes; each must be what was sent */
		assert_memory_equal((const uint8_t *)t + hl, data + seq, plen);
		memset(seen + seq, 1, plen);
	}
	fl_pool_put_bulk(&cache, got, n);
	while (covered < sizeof(seen) && seen[covered])
		covered++;
	/* ten segments is the initial congestion window */
	assert_true(covered >= 10 * 1460);
	close(fd);
	close_port(port);
	assert_pool_full();
}

/* With big buffers in the pool, a TSO frame from the kernel arrives whole:
 * one frame larger than the MTU, its offload metadata kept (MSS, partial
 * checksum) for the switch to pass on or cut at output. */
static void test_tap_rx_tcp_tso_whole(void **state)
{
	struct fl_pool *big = fl_pool_create(&(struct fl_pool_params){
		.name = "tapbig", .n_bufs = 32, .huge = FL_POOL_HUGE_NEVER, .big = true});
	static uint8_t data[60000];
	struct fl_pkt *got[BURST * 8];
	struct fl_pool_stats bs;
	struct fl_port *port;
	uint16_t dport = 8000;
	unsigned n, i, n_big = 0, hl, plen;
	uint32_t isn, seq;
	int fd;

	(void)state;
	assert_non_null(big);
	fl_pool_attach_big(pool, big);
	port = open_ok("tap:htap9");
	tso_data(data, sizeof(data));
	fd = tso_connect(port, "htap9", "10.77.5.1", "10.77.5.2", data, sizeof(data), &isn);
	n = rx_match(port, is_tcp_to, &dport, got, FL_ARRAY_SIZE(got), 1000);
	for (i = 0; i < n; i++) {
		const uint8_t *d = fl_pkt_cdata(got[i]);
		const struct fl_tcp_hdr *t = (const struct fl_tcp_hdr *)(d + FL_ETH_HLEN + 20);

		if (!got[i]->big)
			continue;
		n_big++;
		assert_true(got[i]->len > 1514);
		assert_true(got[i]->ol_flags & FL_OL_GSO_TCP4);
		assert_true(got[i]->ol_flags & FL_OL_CSUM_PARTIAL);
		assert_int_equal(got[i]->gso_size, 1460);
		assert_int_equal(got[i]->csum_start, FL_ETH_HLEN + 20);
		hl = (fl_ntohs(t->off_flags) >> 12) * 4;
		plen = got[i]->len - FL_ETH_HLEN - 20 - hl;
		seq = fl_ntohl(t->seq) - isn - 1;
		assert_true(seq + plen <= sizeof(data));
		assert_memory_equal((const uint8_t *)t + hl, data + seq, plen);
	}
	assert_true(n_big >= 1);
	fl_pool_put_bulk(&cache, got, n);
	close(fd);
	close_port(port);
	fl_pool_cache_flush(&cache); /* it keeps the last big buffers */
	fl_pool_get_stats(big, &bs);
	assert_int_equal(bs.in_ring, bs.n_bufs);
	fl_pool_attach_big(pool, NULL);
	fl_pool_destroy(big);
	assert_pool_full();
}

static void test_tap_rx_udp_gso(void **state)
{
	static uint8_t data[60000];
	struct fl_pkt *got[64];
	struct fl_port *port;
	uint16_t dport = 5006;
	const uint8_t *udp;
	int fd, seg = 1200;
	unsigned i, k, n, tries;

	(void)state;
	port = open_ok("tap:htap6");
	setup_addr("htap6", "10.77.6.1", "10.77.6.2");
	fd = udp_socket("10.77.6.1", 4006);
	assert_int_equal(setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)), 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3 + i / 256);
	udp_send(fd, "10.77.6.2", dport, data, sizeof(data));

	/* one send of 60000 bytes, one USO frame of 60 KiB where the kernel has
	 * USO: 50 datagrams of 1200, taken 7 a call, so most wait in the stash */
	assert_int_equal(rx_match_burst(port, is_udp_to, &dport, got, 50, 2000, 7), 50);
	for (i = 0; i < 50; i++) {
		assert_ip4_valid(got[i], FL_ETH_HLEN + 20 + 8 + 1200);
		udp = l4_of(got[i], FL_IPPROTO_UDP);
		assert_int_equal(fl_ntohs(((const struct fl_udp_hdr *)udp)->len), 8 + 1200);
		assert_memory_equal(udp + 8, data + i * 1200, 1200);
	}
	fl_pool_put_bulk(&cache, got, 50);

	/* segments still in the stash when the port closes go back to the pool */
	udp_send(fd, "10.77.6.2", dport, data, sizeof(data));
	close(fd);
	for (tries = 0, n = 0; tries < 200 && !n; tries++) {
		k = fl_port_rx_burst(port, 0, &cache, got, 3);
		for (i = 0; i < k; i++)
			n += is_udp_to(got[i], &dport);
		fl_pool_put_bulk(&cache, got, k);
		if (!n)
			usleep(10 * 1000);
	}
	assert_true(n > 0); /* at most 3 of 50 taken: the rest are stashed */
	close_port(port);
	assert_pool_full();
}

static void test_tap_rx_no_buffer(void **state)
{
	static struct fl_pkt *all[N_BUFS];
	struct fl_port_stats st;
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	uint16_t dport = 5009;
	unsigned n, i;
	int fd;

	(void)state;
	port = open_ok("tap:htap9,up=no");
	setup_addr("htap9", "10.77.9.1", "10.77.9.2");
	/* the pool is empty: a frame is read and dropped, as a NIC does */
	for (n = 0; n < N_BUFS && (i = fl_pool_get_burst(&cache, all + n, 64)) > 0; n += i)
		;
	assert_int_equal(n, N_BUFS);
	dev_set_up("htap9", true);
	fd = udp_socket("10.77.9.1", 4009);
	udp_send(fd, "10.77.9.2", dport, "dropped", 7);
	close(fd);
	for (i = 0; i < 100; i++) {
		assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
		fl_port_get_stats(port, &st);
		if (st.rx_drops[FL_PORT_DROP_NO_BUFFER])
			break;
		usleep(10 * 1000);
	}
	assert_true(st.rx_drops[FL_PORT_DROP_NO_BUFFER] >= 1);
	fl_pool_put_bulk(&cache, all, n);
	close_port(port);
	assert_pool_full();
}

/* Frames the kernel could not queue to us (the worker fell behind: the
 * device's ring is full) count as rx_full, each once, and none else does. */
static void test_tap_full_ring_counts_rx_full(void **state)
{
	static const char path[] = "/proc/sys/net/ipv6/conf/htap10/disable_ipv6";
	struct fl_port_stats st;
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	uint16_t dport = 5010;
	unsigned i, k, got = 0, idle = 0;
	uint8_t data[64] = {0};
	FILE *f;
	int fd;

	(void)state;
	port = open_ok("tap:htap10,up=no");
	/* no IPv6: router solicitations and MLD reports would share the ring */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs("1", f) >= 0);
	assert_int_equal(fclose(f), 0);
	setup_addr("htap10", "10.77.10.1", "10.77.10.2");
	dev_set_up("htap10", true);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_FULL], 0);

	fd = udp_socket("10.77.10.1", 4010);
	for (i = 0; i < 3000; i++)
		udp_send(fd, "10.77.10.2", dport, data, sizeof(data));
	close(fd);
	while (idle < 20) {
		k = fl_port_rx_burst(port, 0, &cache, pkts, BURST);
		for (i = 0; i < k; i++)
			assert_true(is_udp_to(pkts[i], &dport));
		fl_pool_put_bulk(&cache, pkts, k);
		got += k;
		idle = k ? 0 : idle + 1;
		if (!k)
			usleep(5 * 1000);
	}
	fl_port_get_stats(port, &st);
	assert_true(got > 0 && got < 3000);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_FULL], 3000 - got);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_NO_BUFFER], 0);
	close_port(port);
	assert_pool_full();
}

static void test_tap_mtu(void **state)
{
	struct fl_port *port;
	struct ifreq ifr;

	(void)state;
	/* mtu= sets the MTU of a device the port creates */
	port = open_ok("tap:htap7,mtu=1400");
	assert_int_equal(port->mtu, 1400);
	assert_int_equal(dev_mtu("htap7"), 1400);
	close_port(port);

	/* attached to an existing multi-queue tap, the port takes its MTU and
	 * leaves the device when it closes */
	hold_tun(0, "htap7", TAP_FLAGS);
	ifr_set(&ifr, "htap7");
	ifr.ifr_mtu = 1300;
	assert_int_equal(ioctl(ctl, SIOCSIFMTU, &ifr), 0);
	port = open_ok("tap:htap7,queues=3");
	assert_int_equal(port->mtu, 1300);
	assert_true(fl_port_link_up(port));
	close_port(port);
	assert_true(if_nametoindex("htap7") > 0);
	release_tun(0);
	assert_int_equal(if_nametoindex("htap7"), 0);
	assert_pool_full();
}

static void test_tap_link_and_reopen(void **state)
{
	uint8_t frame[256], tap_mac[6];
	struct fl_port_stats st;
	struct fl_pkt *pkts[BURST];
	struct fl_port *port;
	uint16_t dport = 5008;
	unsigned old_index;
	size_t len;
	int fd, wfd;

	(void)state;
	port = open_ok("tap:htap8");
	old_index = if_nametoindex("htap8");
	wfd = fl_port_wait_fd(port, 0);
	assert_true(fl_port_link_up(port));
	/* nothing to do while the device is there */
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), 0);
	assert_int_equal(fl_port_wait_fd(port, 0), wfd);

	/* down by the admin: link down, and reopen does not overrule that */
	dev_set_up("htap8", false);
	assert_false(fl_port_link_up(port));
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), 0);
	assert_false(dev_flags("htap8") & IFF_UP);
	dev_mac("htap8", tap_mac);
	len = peer_udp_frame(frame, sizeof(frame), tap_mac, 50, 1);
	pkts[0] = pkt_from(frame, len);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 1), 1);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_LINK_DOWN], 1);
	dev_set_up("htap8", true);
	assert_true(fl_port_link_up(port));

	/* deleted under the port: link down, rx and tx fail softly */
	dev_del("htap8");
	assert_int_equal(if_nametoindex("htap8"), 0);
	assert_false(fl_port_link_up(port));
	assert_int_equal(fl_port_rx_burst(port, 0, &cache, pkts, BURST), 0);
	pkts[0] = pkt_from(frame, len);
	assert_int_equal(fl_port_tx_burst(port, 0, &cache, pkts, 1), 1);
	fl_port_get_stats(port, &st);
	assert_int_equal(st.tx_drops[FL_PORT_DROP_LINK_DOWN], 2);
	assert_int_equal(st.rx_drops[FL_PORT_DROP_RX_ERROR], 0);

	/* reopen creates it again, up, and it carries traffic */
	err[0] = '\0';
	assert_int_equal(port->ops->reopen(port, err, sizeof(err)), 0);
	assert_true(if_nametoindex("htap8") > 0);
	assert_int_not_equal(if_nametoindex("htap8"), old_index);
	assert_true(dev_flags("htap8") & IFF_UP);
	assert_true(fl_port_link_up(port));
	setup_addr("htap8", "10.77.8.1", "10.77.8.2");
	fd = udp_socket("10.77.8.1", 4008);
	udp_send(fd, "10.77.8.2", dport, "again", 5);
	close(fd);
	assert_int_equal(rx_match(port, is_udp_to, &dport, pkts, 1, 2000), 1);
	assert_memory_equal(l4_of(pkts[0], FL_IPPROTO_UDP) + 8, "again", 5);
	fl_pool_put(&cache, pkts[0]);
	close_port(port);
	assert_int_equal(if_nametoindex("htap8"), 0);
	assert_pool_full();
}

/* ---- setup -------------------------------------------------------------- */

static int setup(void **state)
{
	struct fl_pool_params pp = {.name = "tap", .n_bufs = N_BUFS, .huge = FL_POOL_HUGE_NEVER};

	(void)state;
	pool = fl_pool_create(&pp);
	if (!pool)
		return -1;
	fl_pool_cache_init(&cache, pool, 0);
	return 0;
}

/* After a failure too: close what the test left open (buffers it held are
 * simply lost with the pool), so the next test starts clean. */
static int teardown(void **state)
{
	unsigned i;

	(void)state;
	if (cur_port)
		close_port(cur_port);
	for (i = 0; i < FL_ARRAY_SIZE(held_fds); i++)
		if (held_fds[i] >= 0)
			release_tun(i);
	fl_pool_cache_flush(&cache);
	fl_pool_destroy(pool);
	pool = NULL;
	return 0;
}

static int skip_all(const char *why)
{
	printf("SKIP: test_port_tap: %s\n", why);
	return 77;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tap_bad_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_create_up_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_two_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_rx_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_tx_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_rx_tcp_tso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_rx_tcp_tso_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_rx_udp_gso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_rx_no_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_full_ring_counts_rx_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_link_and_reopen, setup, teardown),
	};
	char why[128];
	int ret;

	if (geteuid() != 0)
		return skip_all("needs root (CAP_NET_ADMIN) to create TAP devices");
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		snprintf(why, sizeof(why), "/dev/net/tun: %s", strerror(errno));
		return skip_all(why);
	}
	/* a network namespace of our own: nothing leaks to the host */
	if (unshare(CLONE_NEWNET) != 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return skip_all(why);
	}
	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0)
		return skip_all("no AF_INET socket");
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	close(ctl);
	return ret;
}
