/* The generator port: synthetic traffic for benchmarks and tests.
 *
 *   gen:[flows=N][,size=S|S1-S2][,proto=udp|tcp|icmp|mix][,ipv6=PCT][,vlan=VID]
 *       [,rate=PPS][,count=N][,seed=S]
 *
 * Defaults: flows=1 (at most 1M), size=64, proto=udp, ipv6=0, untagged,
 * unlimited rate, endless, seed=1. size is the frame length in the buffer
 * (no FCS), 60 to 2048, raised where the headers need more (IPv6 + TCP + VLAN
 * is 78 bytes); a range gives each flow its own size, uniform in [S1, S2].
 * k/M/G suffixes multiply by 1000 (rate=1M).
 *
 * Everything is decided at open from the seed: one template frame per flow
 * (fl_build_flow_frame, checksums included), each with its own source and
 * destination address — 10.0.0.0/8 -> 172.16.0.0/12, or fd00:0:0:a::/64 ->
 * fd00:0:0:b::/64 for the ipv6=PCT share of flows, spread evenly — and its
 * own ports. proto=mix rotates UDP, TCP, ICMP (echo) over the flows. The same
 * spec always yields the same frames, in the same order.
 *
 * rx copies templates round-robin into fresh buffers (the copy a NIC's DMA
 * would do, which a benchmark must pay for), timestamp 0. rate= paces with a
 * token bucket on the TSC holding at most 1 ms of frames (at least one burst
 * of 32); count= ends the stream (eof) after that many frames. A frame that
 * finds no buffer is still "sent": it counts toward count= and as a
 * no_buffer drop, as on a wire.
 */
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "proto/build.h"
#include "proto/headers.h"

#define GEN_FLOWS_MAX (1u << 20)
#define GEN_SIZE_MIN 60u
#define GEN_TMPL_MEM_MAX (1ull << 30)
#define GEN_RATE_MAX 1000000000000ull
#define GEN_BUCKET_MIN 32u
#define GEN_FOREVER UINT64_MAX

enum gen_proto { GEN_UDP, GEN_TCP, GEN_ICMP, GEN_MIX };

struct gen_cfg {
	uint64_t flows, size_min, size_max, ipv6_pct, vlan, rate, count, seed;
	enum gen_proto proto;
};

struct gen_priv {
	uint8_t *tmpl;     /* flow i's frame at tmpl + i * stride */
	uint16_t *lens;    /* flow i's frame length */
	size_t stride;
	uint32_t n_flows;
	uint32_t next;     /* flow of the next frame */
	uint64_t left;     /* frames before eof, GEN_FOREVER: endless */
	uint64_t rate;     /* frames per second, 0: unlimited */
	uint64_t hz;       /* TSC ticks per second */
	uint64_t last_tsc; /* when tokens were last added */
	uint64_t frac;     /* remainder of the last token division, in tick-frames */
	uint64_t tokens, depth;
};

/* splitmix64: tiny, fast, and every seed (0 included) gives a good stream. */
static uint64_t rnd_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int parse_size(const struct fl_port_args *args, struct gen_cfg *c, char *err,
		      size_t errlen)
{
	const char *v = fl_port_arg(args, "size"), *dash;
	char lo[FL_PORT_SPEC_MAX];
	int ret;

	if (!v) {
		c->size_min = c->size_max = 64;
		return 0;
	}
	dash = strchr(v, '-');
	if (!dash)
		ret = fl_port_parse_u64("gen", "size", v, GEN_SIZE_MIN, FL_PKT_DATAROOM,
					&c->size_min, err, errlen);
	else {
		snprintf(lo, sizeof(lo), "%.*s", (int)(dash - v), v);
		ret = fl_port_parse_u64("gen", "size", lo, GEN_SIZE_MIN, FL_PKT_DATAROOM,
					&c->size_min, err, errlen);
		if (ret == 0)
			ret = fl_port_parse_u64("gen", "size", dash + 1, GEN_SIZE_MIN,
						FL_PKT_DATAROOM, &c->size_max, err, errlen);
		if (ret == 0 && c->size_max < c->size_min) {
			snprintf(err, errlen, "gen: option size: %s is an empty range", v);
			ret = -EINVAL;
		}
	}
	if (!dash)
		c->size_max = c->size_min;
	return ret;
}

static int parse_cfg(const struct fl_port_args *args, struct gen_cfg *c, char *err,
		     size_t errlen)
{
	static const char *const protos[] = {"udp", "tcp", "icmp", "mix"};
	const char *proto = fl_port_arg(args, "proto");
	unsigned i;
	int ret;

	ret = fl_port_arg_u64(args, "flows", 1, 1, GEN_FLOWS_MAX, &c->flows, err, errlen);
	if (!ret)
		ret = parse_size(args, c, err, errlen);
	if (!ret)
		ret = fl_port_arg_u64(args, "ipv6", 0, 0, 100, &c->ipv6_pct, err, errlen);
	if (!ret)
		ret = fl_port_arg_u64(args, "vlan", 0, 1, 4094, &c->vlan, err, errlen);
	if (!ret)
		ret = fl_port_arg_u64(args, "rate", 0, 1, GEN_RATE_MAX, &c->rate, err, errlen);
	if (!ret)
		ret = fl_port_arg_u64(args, "count", GEN_FOREVER, 1, GEN_FOREVER - 1, &c->count,
				      err, errlen);
	if (!ret)
		ret = fl_port_arg_u64(args, "seed", 1, 0, UINT64_MAX, &c->seed, err, errlen);
	if (ret)
		return ret;
	c->proto = GEN_UDP;
	if (proto) {
		for (i = 0; i < FL_ARRAY_SIZE(protos) && strcmp(proto, protos[i]); i++)
			;
		if (i == FL_ARRAY_SIZE(protos)) {
			snprintf(err, errlen, "gen: option proto: '%s' is not udp, tcp, icmp or mix",
				 proto);
			return -EINVAL;
		}
		c->proto = (enum gen_proto)i;
	}
	return 0;
}

/* Flow i's headers, sizes and addresses: everything but the payload pattern. */
static void flow_describe(const struct gen_cfg *c, uint32_t i, uint64_t *rnd,
			  const uint32_t ofs[2], struct fl_build_flow *f)
{
	static const uint8_t protos[] = {FL_IPPROTO_UDP, FL_IPPROTO_TCP, FL_IPPROTO_ICMP};
	/* odd multipliers make i -> address a bijection: distinct flows, distinct IPs */
	uint32_t a = (i * 0x9e3779b1u + ofs[0]) & 0xffffffu; /* 24 bits of 10/8 */
	uint32_t b = (i * 0x85ebca77u + ofs[1]) & 0xfffffu;  /* 20 bits of 172.16/12 */
	uint64_t r = rnd_next(rnd);

	memset(f, 0, sizeof(*f));
	memcpy(f->dl_src, (const uint8_t[6]){0x02, 0, 0, 0, 0, 0x01}, 6);
	memcpy(f->dl_dst, (const uint8_t[6]){0x02, 0, 0, 0, 0, 0x02}, 6);
	f->vlan_tci = (uint16_t)c->vlan;
	/* flow i is IPv6 when floor((i+1)p/100) steps up: exactly p% of any run */
	f->ipv6 = ((uint64_t)(i + 1) * c->ipv6_pct) / 100 != ((uint64_t)i * c->ipv6_pct) / 100;
	f->proto = protos[c->proto == GEN_MIX ? i % 3 : c->proto];
	if (f->ipv6 && f->proto == FL_IPPROTO_ICMP)
		f->proto = FL_IPPROTO_ICMPV6;
	f->ip4_src = fl_htonl(0x0a000000u | a);
	f->ip4_dst = fl_htonl(0xac100000u | b);
	f->ip6_src[0] = f->ip6_dst[0] = 0xfd;
	f->ip6_src[7] = 0x0a;
	f->ip6_dst[7] = 0x0b;
	fl_put_u32(&f->ip6_src[12], fl_htonl(a));
	fl_put_u32(&f->ip6_dst[12], fl_htonl(b));
	f->sport = fl_htons((uint16_t)(1024 + (r & 0xffff) % 64512));
	f->dport = fl_htons((uint16_t)(1024 + ((r >> 16) & 0xffff) % 64512));
	f->tcp_flags = 0x10; /* ACK: mid-connection traffic */
	f->frame_len = c->size_min;
	if (c->size_max > c->size_min)
		f->frame_len += (r >> 32) % (c->size_max - c->size_min + 1);
	/* where the headers need more than frame_len, the builder makes it longer */
}

static int build_templates(struct gen_priv *p, const struct gen_cfg *c, char *err,
			   size_t errlen)
{
	uint64_t rnd = c->seed, mem;
	struct fl_build_flow f;
	uint32_t ofs[2], i;
	size_t len;

	/* 78: the longest headers, IPv6 + TCP + VLAN */
	p->stride = (FL_MAX(c->size_max, 78u) + FL_CACHE_LINE - 1) & ~(size_t)(FL_CACHE_LINE - 1);
	mem = c->flows * p->stride;
	if (mem > GEN_TMPL_MEM_MAX) {
		snprintf(err, errlen,
			 "gen: %llu flows of up to %llu bytes need %llu MiB of templates (at most "
			 "%llu)", (unsigned long long)c->flows, (unsigned long long)c->size_max,
			 (unsigned long long)(mem >> 20), GEN_TMPL_MEM_MAX >> 20);
		return -E2BIG;
	}
	p->tmpl = aligned_alloc(FL_CACHE_LINE, mem);
	p->lens = calloc(c->flows, sizeof(*p->lens));
	if (!p->tmpl || !p->lens) {
		snprintf(err, errlen, "gen: out of memory for %llu flows",
			 (unsigned long long)c->flows);
		return -ENOMEM;
	}
	memset(p->tmpl, 0, mem); /* rx copies whole 64-byte blocks (copy_frame) */
	ofs[0] = (uint32_t)rnd_next(&rnd);
	ofs[1] = (uint32_t)rnd_next(&rnd);
	for (i = 0; i < c->flows; i++) {
		flow_describe(c, i, &rnd, ofs, &f);
		len = fl_build_flow_frame(&f, p->tmpl + i * p->stride, p->stride);
		if (len == 0 || len > p->stride) {
			snprintf(err, errlen, "gen: cannot build the frame of flow %u (%zu bytes)", i,
				 f.frame_len);
			return -EINVAL;
		}
		p->lens[i] = (uint16_t)len;
	}
	p->n_flows = (uint32_t)c->flows;
	return 0;
}

static void gen_close(struct fl_port *port)
{
	struct gen_priv *p = port->priv;

	free(p->tmpl);
	free(p->lens);
}

static int gen_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		    size_t errlen)
{
	struct gen_priv *p = port->priv;
	struct gen_cfg c;
	int ret;

	ret = parse_cfg(args, &c, err, errlen);
	if (ret < 0)
		return ret;
	ret = build_templates(p, &c, err, errlen);
	if (ret < 0)
		goto err_free_templates;
	p->left = c.count;
	p->rate = c.rate;
	if (p->rate) {
		p->hz = fl_tsc_hz();
		p->depth = FL_MAX(p->rate / 1000, GEN_BUCKET_MIN);
		p->last_tsc = fl_rdtsc();
	}
	return 0;

err_free_templates:
	gen_close(port);
	return ret;
}

/* Add the tokens earned since the last call, up to the bucket depth. */
static void refill(struct gen_priv *p)
{
	uint64_t now = fl_rdtsc();
	unsigned __int128 acc = (unsigned __int128)(now - p->last_tsc) * p->rate + p->frac;
	uint64_t add = (uint64_t)(acc / p->hz);

	p->frac = (uint64_t)(acc % p->hz);
	p->last_tsc = now;
	p->tokens = add >= p->depth - p->tokens ? p->depth : p->tokens + add;
}

/* Copy a template into a buffer in whole 64-byte blocks, inline: the
 * templates are zero-padded to their stride (a multiple of 64 bytes, at
 * least the frame) and a buffer's data room (2048 bytes, a multiple of 64)
 * holds any frame rounded up the same way, so the over-copy stays inside
 * both. A call to memcpy for a 64-byte frame costs more than the copy. */
static FL_ALWAYS_INLINE void copy_frame(uint8_t *dst, const uint8_t *src, unsigned len)
{
	unsigned o;

	memcpy(dst, src, 64);
	for (o = 64; FL_UNLIKELY(o < len); o += 64)
		memcpy(dst + o, src + o, 64);
}

_Static_assert(FL_PKT_DATAROOM % 64 == 0, "frames are copied in 64-byte blocks");

/* Fill pkts[0..n) from the templates, round-robin from p->next. */
static void copy_frames(struct gen_priv *p, struct fl_pkt **pkts, unsigned n)
{
	uint32_t next = p->next, n_flows = p->n_flows;
	const uint8_t *t = p->tmpl + (size_t)next * p->stride;
	size_t stride = p->stride;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = pkts[i];
		unsigned len = p->lens[next];

		copy_frame(fl_pkt_data(pkt), t, len);
		pkt->len = (uint16_t)len;
		t += stride;
		if (FL_UNLIKELY(++next == n_flows)) {
			next = 0;
			t = p->tmpl;
		}
		FL_PREFETCH(t);
	}
	p->next = next;
}

static unsigned gen_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n)
{
	struct gen_priv *p = port->priv;
	unsigned want = n, got;

	if (p->left != GEN_FOREVER) {
		if (p->left == 0)
			return 0;
		want = (unsigned)FL_MIN((uint64_t)want, p->left);
	}
	if (p->rate) {
		if (p->tokens < want)
			refill(p);
		want = (unsigned)FL_MIN((uint64_t)want, p->tokens);
		p->tokens -= want;
	}
	if (want == 0)
		return 0;
	got = fl_pool_get_burst(cache, pkts, want);
	copy_frames(p, pkts, got);
	if (FL_UNLIKELY(got < want)) {
		p->next = (uint32_t)(((uint64_t)p->next + (want - got)) % p->n_flows);
		fl_port_count_rx_drop(port, queue, FL_PORT_DROP_NO_BUFFER, want - got);
	}
	if (p->left != GEN_FOREVER) {
		p->left -= want;
		if (p->left == 0)
			__atomic_store_n(&port->rxq[queue].eof, true, __ATOMIC_RELAXED);
	}
	return got;
}

static unsigned gen_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			     struct fl_pkt **pkts, unsigned n)
{
	(void)port;
	(void)queue;
	/* a generator is a source; what is sent to it is taken and discarded */
	fl_pool_put_bulk(cache, pkts, n);
	return n;
}

static const char *const gen_keys[] = {"flows", "size", "proto", "ipv6", "vlan",
				       "rate",  "count", "seed", NULL};

const struct fl_port_ops fl_port_gen_ops = {
	.type = "gen",
	.usage = "gen:[flows=N][,size=S|S1-S2][,proto=udp|tcp|icmp|mix][,ipv6=PCT][,vlan=VID]"
		 "[,rate=PPS][,count=N][,seed=S]",
	.keys = gen_keys,
	.priv_size = sizeof(struct gen_priv),
	.open = gen_open,
	.close = gen_close,
	.rx_burst = gen_rx_burst,
	.tx_burst = gen_tx_burst,
};
