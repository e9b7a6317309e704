/* Capture: copies of what a port receives or sends, taken on the workers
 * while switching goes on, read by the control thread.
 *
 * Each worker gets its own single-producer single-consumer ring of fixed
 * records (timestamp, lengths, up to snaplen bytes), so the worker never
 * waits and never shares a cache line with another worker: a full ring
 * means the copy is skipped and counted, never that switching slows down.
 * The filter is a classic BPF program compiled by libpcap once; the workers
 * only run it (bpf_filter is a pure function of the program and the frame).
 * When no capture is active the cost is one pointer test per rx burst.
 */
#include "datapath/switch.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datapath/switch_private.h"
#include "datapath/worker_private.h"

#define CAPTURE_RING_RECORDS 1024u /* per worker, power of two */

struct capture_record {
	uint64_t ts_ns;
	uint32_t len;
	uint32_t caplen;
	uint8_t data[];
};

struct fl_capture_ring {
	struct fl_capture *cap;
	_Alignas(FL_CACHE_LINE) atomic_uint head; /* worker writes */
	_Alignas(FL_CACHE_LINE) atomic_uint tail; /* control thread writes */
	uint8_t *records;
};

struct fl_capture {
	const struct fl_port *port;
	unsigned dir;
	bool filtered;
	struct bpf_program prog;
	uint64_t max_packets;
	unsigned snaplen;
	size_t stride;
	atomic_uint_fast64_t taken;   /* records claimed, across workers */
	atomic_uint_fast64_t dropped; /* ring full */
	unsigned n_rings;
	struct fl_capture_ring rings[];
};

static struct capture_record *record_at(const struct fl_capture_ring *r, unsigned i)
{
	return (struct capture_record *)(void *)(r->records +
						 (size_t)(i & (CAPTURE_RING_RECORDS - 1)) *
							 r->cap->stride);
}

void fl_capture_copy(struct fl_capture_ring *r, const struct fl_port *port, unsigned dir,
		     struct fl_pkt *const *pkts, unsigned n)
{
	struct fl_capture *c = r->cap;
	unsigned head, i;
	uint64_t now;

	if (port != c->port || !(dir & c->dir))
		return;
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	now = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *data = fl_pkt_cdata(pkts[i]);
		unsigned len = pkts[i]->len;
		struct capture_record *rec;

		if (c->filtered) {
			struct pcap_pkthdr h = {.caplen = len, .len = len};

			if (!pcap_offline_filter(&c->prog, &h, data))
				continue;
		}
		if (head - atomic_load_explicit(&r->tail, memory_order_acquire) ==
		    CAPTURE_RING_RECORDS) {
			atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
			continue;
		}
		if (c->max_packets &&
		    atomic_fetch_add_explicit(&c->taken, 1, memory_order_relaxed) >= c->max_packets)
			break;
		rec = record_at(r, head);
		if (!now) {
			/* wall-clock time, as tcpdump stamps what it sees: read once
			 * per burst, and only when something is copied */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
		rec->ts_ns = now;
		rec->len = len;
		rec->caplen = len < c->snaplen ? len : c->snaplen;
		memcpy(rec->data, data, rec->caplen);
		head++;
	}
	/* release: the reader that sees head sees the records before it */
	atomic_store_explicit(&r->head, head, memory_order_release);
}

struct fl_capture *fl_capture_create(const struct fl_port *port, unsigned dir,
				     const char *filter, uint64_t max_packets, unsigned snaplen,
				     unsigned n_rings, char *err, size_t errlen)
{
	struct fl_capture *c;
	unsigned i;

	if (!(dir & (FL_CAPTURE_RX | FL_CAPTURE_TX)) || (dir & ~3u)) {
		snprintf(err, errlen, "capture: direction must be rx, tx or both");
		errno = EINVAL;
		return NULL;
	}
	if (snaplen == 0 || snaplen > FL_PKT_DATAROOM)
		snaplen = FL_PKT_DATAROOM;
	c = calloc(1, sizeof(*c) + n_rings * sizeof(c->rings[0]));
	if (!c) {
		snprintf(err, errlen, "capture: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->port = port;
	c->dir = dir;
	c->max_packets = max_packets;
	c->snaplen = snaplen;
	c->stride = (sizeof(struct capture_record) + snaplen + 7) & ~(size_t)7;
	c->n_rings = n_rings;
	if (filter && filter[0]) {
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)snaplen);

		if (!dead || pcap_compile(dead, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "capture: filter '%s': %s", filter,
				 dead ? pcap_geterr(dead) : "libpcap failed");
			if (dead)
				pcap_close(dead);
			free(c);
			errno = EINVAL;
			return NULL;
		}
		pcap_close(dead);
		c->filtered = true;
	}
	for (i = 0; i < n_rings; i++) {
		c->rings[i].cap = c;
		atomic_init(&c->rings[i].head, 0);
		atomic_init(&c->rings[i].tail, 0);
		c->rings[i].records = malloc(CAPTURE_RING_RECORDS * c->stride);
		if (!c->rings[i].records) {
			snprintf(err, errlen, "capture: out of memory");
			fl_capture_free(c);
			errno = ENOMEM;
			return NULL;
		}
	}
	return c;
}

struct fl_capture_ring *fl_capture_ring(struct fl_capture *c, unsigned i)
{
	return i < c->n_rings ? &c->rings[i] : NULL;
}

unsigned fl_capture_drain(struct fl_capture *c, fl_capture_fn *fn, void *ctx)
{
	unsigned i, total = 0;

	for (i = 0; i < c->n_rings; i++) {
		struct fl_capture_ring *r = &c->rings[i];
		unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);

		for (; tail != head; tail++, total++) {
			const struct capture_record *rec = record_at(r, tail);

			fn(ctx, rec->ts_ns, rec->data, rec->caplen, rec->len);
		}
		/* release: the worker reuses a record only after we are done with it */
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	return total;
}

bool fl_capture_done(const struct fl_capture *c)
{
	return c->max_packets &&
	       atomic_load_explicit(&c->taken, memory_order_relaxed) >= c->max_packets;
}

uint64_t fl_capture_dropped(const struct fl_capture *c)
{
	return atomic_load_explicit(&c->dropped, memory_order_relaxed);
}

const struct fl_port *fl_capture_port(const struct fl_capture *c)
{
	return c->port;
}

void fl_capture_free(struct fl_capture *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n_rings; i++)
		free(c->rings[i].records);
	if (c->filtered)
		pcap_freecode(&c->prog);
	free(c);
}
