/* Packet builders (build.h): frames appended header by header in wire order,
 * then finished with correct lengths and checksums. The tests, the traffic
 * generator port (port_gen.c) and the benchmarks make their packets here; the
 * checksum arithmetic comes from csum.c and the wire formats from headers.h.
 *
 * Each header is reserved zeroed, so every field the caller does not name is
 * zero unless said otherwise below. The builder remembers where the "next
 * protocol" field of the last header is (an EtherType, or an IP protocol /
 * IPv6 next header) and the next header writes its own type there.
 * fl_build_finish() then walks the layers from the last to the first: inner
 * IP lengths and checksums are final before an outer UDP checksum sums over
 * them, which is what makes VXLAN frames right at both levels.
 *
 * Choices the interface leaves open, made here once:
 *  - padding (fl_build_pad_to) is payload, so it counts in the IP and UDP
 *    lengths, as packet generators do; a frame never has an Ethernet trailer;
 *  - every IP datagram runs to the end of the frame;
 *  - TCP: sequence and acknowledgement 0, data offset 5, window 65535;
 *  - IPv4 protocol is 0 and IPv6 next header 59 (none) until a header follows;
 *  - a routing header has type 253 (RFC 4727, experimental) with segments
 *    left 0, which every node skips (RFC 8200 section 4.4), and zeroed data:
 *    it has no options area to pad, and type 0 would need an even length;
 *  - a fragment header has identification 0;
 *  - a neighbour advertisement carries S and O; ND sets the hop limit of its
 *    IPv6 header to 255 (RFC 4861 drops anything else);
 *  - L4 checksums of fragments are computed over what the frame holds.
 * Fields with no argument (TCP sequence, fragment id...) may be written
 * between the header call and fl_build_finish(): the checksums cover them.
 * Arguments a header cannot hold (IPv4 options not a multiple of 4, an
 * extension header length not a multiple of 8) fail the frame like an
 * overflow does.
 */
#include "proto/build.h"

#include <string.h>

#include "core/compiler.h"
#include "proto/csum.h"

enum {
	FL_BUILD_NP_ETHERTYPE = 0, /* a 16-bit EtherType */
	FL_BUILD_NP_IPPROTO = 1,   /* an 8-bit IP protocol / next header */
};

#define FL_BUILD_NO_IPPROTO (-1)

void fl_build_init(struct fl_builder *b, void *buf, size_t cap)
{
	b->buf = buf;
	b->cap = buf ? cap : 0;
	b->len = 0;
	b->overflow = false;
	b->n_layers = 0;
	b->next_proto_ofs = -1;
	b->next_proto_kind = FL_BUILD_NP_ETHERTYPE;
}

/* Reserve len zeroed bytes at the end of the frame for a header of `kind`,
 * or mark the frame failed. Offsets are recorded in 16 bits, so a frame also
 * fails past 65535 bytes. */
static uint8_t *fl_build_push(struct fl_builder *b, enum fl_build_layer_kind kind, size_t len)
{
	struct fl_build_layer *l;
	uint8_t *h;

	if (b->overflow)
		return NULL;
	if (len > b->cap - b->len || b->len + len > UINT16_MAX ||
	    b->n_layers >= FL_BUILD_MAX_LAYERS) {
		b->overflow = true;
		return NULL;
	}
	h = b->buf + b->len;
	memset(h, 0, len);
	l = &b->layers[b->n_layers++];
	l->kind = kind;
	l->ofs = (uint16_t)b->len;
	l->len = (uint16_t)len;
	b->len += len;
	return h;
}

/* Write the type of the header just pushed into the "next protocol" field of
 * the one before, in the form that field takes. A header with no value of
 * that form (TCP straight after Ethernet) leaves the field as it is. */
static void fl_build_link(struct fl_builder *b, uint16_t ethertype, int ipproto)
{
	uint8_t *f;

	if (b->next_proto_ofs < 0)
		return;
	f = b->buf + b->next_proto_ofs;
	if (b->next_proto_kind == FL_BUILD_NP_ETHERTYPE) {
		if (ethertype)
			fl_put_u16(f, fl_htons(ethertype));
	} else if (ipproto >= 0) {
		*f = (uint8_t)ipproto;
	}
}

/* Where the header just pushed keeps the type of what follows it. */
static void fl_build_expect(struct fl_builder *b, const uint8_t *field, int kind)
{
	b->next_proto_ofs = field ? (int)(field - b->buf) : -1;
	b->next_proto_kind = kind;
}

static void fl_build_fail(struct fl_builder *b)
{
	b->overflow = true;
}

void fl_build_eth(struct fl_builder *b, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t *h = fl_build_push(b, FL_BL_ETH, sizeof(struct fl_eth_hdr));

	if (!h)
		return;
	memcpy(h + offsetof(struct fl_eth_hdr, dst), dst, FL_ETH_ADDR_LEN);
	memcpy(h + offsetof(struct fl_eth_hdr, src), src, FL_ETH_ADDR_LEN);
	fl_build_expect(b, h + offsetof(struct fl_eth_hdr, type), FL_BUILD_NP_ETHERTYPE);
}

void fl_build_ethertype(struct fl_builder *b, uint16_t type)
{
	if (b->overflow)
		return;
	fl_build_link(b, type, FL_BUILD_NO_IPPROTO);
	fl_build_expect(b, NULL, FL_BUILD_NP_ETHERTYPE);
}

void fl_build_vlan(struct fl_builder *b, uint16_t tpid, uint16_t tci)
{
	uint8_t *h = fl_build_push(b, FL_BL_VLAN, sizeof(struct fl_vlan_hdr));

	if (!h)
		return;
	/* The TPID sits where the EtherType would; the tag is TCI + EtherType. */
	fl_build_link(b, tpid, FL_BUILD_NO_IPPROTO);
	fl_put_u16(h + offsetof(struct fl_vlan_hdr, tci), fl_htons(tci));
	fl_build_expect(b, h + offsetof(struct fl_vlan_hdr, next_type), FL_BUILD_NP_ETHERTYPE);
}

void fl_build_arp(struct fl_builder *b, uint16_t op, const uint8_t sha[6], fl_be32 spa,
		  const uint8_t tha[6], fl_be32 tpa)
{
	uint8_t *h = fl_build_push(b, FL_BL_ARP, sizeof(struct fl_arp_hdr));

	if (!h)
		return;
	fl_build_link(b, FL_ETH_TYPE_ARP, FL_BUILD_NO_IPPROTO);
	fl_put_u16(h + offsetof(struct fl_arp_hdr, hrd), fl_htons(1));
	fl_put_u16(h + offsetof(struct fl_arp_hdr, pro), fl_htons(FL_ETH_TYPE_IPV4));
	h[offsetof(struct fl_arp_hdr, hln)] = FL_ETH_ADDR_LEN;
	h[offsetof(struct fl_arp_hdr, pln)] = 4;
	fl_put_u16(h + offsetof(struct fl_arp_hdr, op), fl_htons(op));
	memcpy(h + offsetof(struct fl_arp_hdr, sha), sha, FL_ETH_ADDR_LEN);
	fl_put_u32(h + offsetof(struct fl_arp_hdr, spa), spa);
	memcpy(h + offsetof(struct fl_arp_hdr, tha), tha, FL_ETH_ADDR_LEN);
	fl_put_u32(h + offsetof(struct fl_arp_hdr, tpa), tpa);
	fl_build_expect(b, NULL, FL_BUILD_NP_ETHERTYPE);
}

void fl_build_ipv4(struct fl_builder *b, fl_be32 src, fl_be32 dst)
{
	fl_build_ipv4_ex(b, src, dst, NULL);
}

void fl_build_ipv4_ex(struct fl_builder *b, fl_be32 src, fl_be32 dst,
		      const struct fl_build_ipv4_opts *opts)
{
	size_t olen = opts ? opts->options_len : 0;
	uint8_t *h;

	if (olen % 4 || olen > 40 || (olen && !opts->options)) {
		fl_build_fail(b);
		return;
	}
	h = fl_build_push(b, FL_BL_IPV4, sizeof(struct fl_ipv4_hdr) + olen);
	if (!h)
		return;
	fl_build_link(b, FL_ETH_TYPE_IPV4, 4 /* IP in IP */);
	h[offsetof(struct fl_ipv4_hdr, ver_ihl)] =
		(uint8_t)(0x40 | (sizeof(struct fl_ipv4_hdr) + olen) / 4);
	h[offsetof(struct fl_ipv4_hdr, ttl)] = 64;
	if (opts) {
		h[offsetof(struct fl_ipv4_hdr, tos)] = opts->tos;
		if (opts->ttl)
			h[offsetof(struct fl_ipv4_hdr, ttl)] = opts->ttl;
		fl_put_u16(h + offsetof(struct fl_ipv4_hdr, id), fl_htons(opts->id));
		fl_put_u16(h + offsetof(struct fl_ipv4_hdr, frag_off), fl_htons(opts->frag_off));
		if (olen)
			memcpy(h + sizeof(struct fl_ipv4_hdr), opts->options, olen);
	}
	fl_put_u32(h + offsetof(struct fl_ipv4_hdr, src), src);
	fl_put_u32(h + offsetof(struct fl_ipv4_hdr, dst), dst);
	fl_build_expect(b, h + offsetof(struct fl_ipv4_hdr, proto), FL_BUILD_NP_IPPROTO);
}

void fl_build_ipv6(struct fl_builder *b, const uint8_t src[16], const uint8_t dst[16],
		   uint8_t tclass, uint32_t flow_label)
{
	uint8_t *h = fl_build_push(b, FL_BL_IPV6, sizeof(struct fl_ipv6_hdr));
	uint32_t vtf = 6u << 28 | (uint32_t)tclass << 20 | (flow_label & 0xfffffu);

	if (!h)
		return;
	fl_build_link(b, FL_ETH_TYPE_IPV6, 41 /* IPv6 encapsulation */);
	fl_put_u32(h + offsetof(struct fl_ipv6_hdr, ver_tc_flow), fl_htonl(vtf));
	h[offsetof(struct fl_ipv6_hdr, next_hdr)] = FL_IPPROTO_NONE;
	h[offsetof(struct fl_ipv6_hdr, hop_limit)] = 64;
	memcpy(h + offsetof(struct fl_ipv6_hdr, src), src, 16);
	memcpy(h + offsetof(struct fl_ipv6_hdr, dst), dst, 16);
	fl_build_expect(b, h + offsetof(struct fl_ipv6_hdr, next_hdr), FL_BUILD_NP_IPPROTO);
}

/* Fill an options area with PadN options (RFC 8200 section 4.2), Pad1 for a
 * single byte. PadN holds at most 255 data bytes, so long areas take several,
 * and a chunk is never cut so as to leave exactly one byte behind. */
static void fl_build_padn(uint8_t *p, size_t n)
{
	while (n) {
		size_t c = FL_MIN(n, (size_t)257);

		if (n == 1) {
			*p = 0; /* Pad1 */
			return;
		}
		if (n - c == 1)
			c--;
		p[0] = 1; /* PadN */
		p[1] = (uint8_t)(c - 2);
		memset(p + 2, 0, c - 2);
		p += c;
		n -= c;
	}
}

void fl_build_ipv6_ext(struct fl_builder *b, uint8_t type, size_t len, uint16_t frag_off_flags)
{
	uint8_t *h;

	if (type == FL_IPPROTO_FRAGMENT) {
		len = sizeof(struct fl_ipv6_frag_hdr);
	} else if ((type != FL_IPPROTO_HOPOPTS && type != FL_IPPROTO_ROUTING &&
		    type != FL_IPPROTO_DSTOPTS) || len < 8 || len % 8 || len > 2048) {
		fl_build_fail(b);
		return;
	}
	h = fl_build_push(b, FL_BL_IPV6_EXT, len);
	if (!h)
		return;
	fl_build_link(b, 0, type);
	h[0] = FL_IPPROTO_NONE; /* next header, until one follows */
	if (type == FL_IPPROTO_FRAGMENT) {
		fl_put_u16(h + offsetof(struct fl_ipv6_frag_hdr, off_flags),
			   fl_htons(frag_off_flags));
	} else {
		h[1] = (uint8_t)(len / 8 - 1);
		if (type == FL_IPPROTO_ROUTING)
			h[2] = 253; /* routing type; segments left and data stay 0 */
		else
			fl_build_padn(h + 2, len - 2);
	}
	fl_build_expect(b, h, FL_BUILD_NP_IPPROTO);
}

void fl_build_tcp(struct fl_builder *b, fl_be16 sport, fl_be16 dport, uint16_t flags)
{
	uint8_t *h = fl_build_push(b, FL_BL_TCP, sizeof(struct fl_tcp_hdr));

	if (!h)
		return;
	fl_build_link(b, 0, FL_IPPROTO_TCP);
	fl_put_u16(h + offsetof(struct fl_tcp_hdr, src), sport);
	fl_put_u16(h + offsetof(struct fl_tcp_hdr, dst), dport);
	fl_put_u16(h + offsetof(struct fl_tcp_hdr, off_flags),
		   fl_htons(5u << 12 | (flags & FL_TCP_FLAGS_MASK)));
	fl_put_u16(h + offsetof(struct fl_tcp_hdr, window), fl_htons(65535));
	fl_build_expect(b, NULL, FL_BUILD_NP_IPPROTO);
}

void fl_build_udp(struct fl_builder *b, fl_be16 sport, fl_be16 dport)
{
	uint8_t *h = fl_build_push(b, FL_BL_UDP, sizeof(struct fl_udp_hdr));

	if (!h)
		return;
	fl_build_link(b, 0, FL_IPPROTO_UDP);
	fl_put_u16(h + offsetof(struct fl_udp_hdr, src), sport);
	fl_put_u16(h + offsetof(struct fl_udp_hdr, dst), dport);
	fl_build_expect(b, NULL, FL_BUILD_NP_IPPROTO);
}

static void fl_build_icmp_common(struct fl_builder *b, enum fl_build_layer_kind kind, int proto,
				 uint8_t type, uint8_t code, uint32_t rest)
{
	uint8_t *h = fl_build_push(b, kind, sizeof(struct fl_icmp_hdr));

	if (!h)
		return;
	fl_build_link(b, 0, proto);
	h[offsetof(struct fl_icmp_hdr, type)] = type;
	h[offsetof(struct fl_icmp_hdr, code)] = code;
	fl_put_u32(h + offsetof(struct fl_icmp_hdr, rest), fl_htonl(rest));
	fl_build_expect(b, NULL, FL_BUILD_NP_IPPROTO);
}

void fl_build_icmp(struct fl_builder *b, uint8_t type, uint8_t code, uint32_t rest)
{
	fl_build_icmp_common(b, FL_BL_ICMP, FL_IPPROTO_ICMP, type, code, rest);
}

void fl_build_icmp6(struct fl_builder *b, uint8_t type, uint8_t code, uint32_t rest)
{
	fl_build_icmp_common(b, FL_BL_ICMP6, FL_IPPROTO_ICMPV6, type, code, rest);
}

/* Index of the last layer of an IP header before layer `before`, or -1. */
static int fl_build_enclosing_ip(const struct fl_builder *b, unsigned int before)
{
	while (before-- > 0) {
		if (b->layers[before].kind == FL_BL_IPV4 || b->layers[before].kind == FL_BL_IPV6)
			return (int)before;
	}
	return -1;
}

static uint8_t *fl_build_nd_opt(uint8_t *p, uint8_t type, const uint8_t lladdr[6])
{
	p[0] = type;
	p[1] = 1; /* 8 bytes */
	memcpy(p + 2, lladdr, FL_ETH_ADDR_LEN);
	return p + 8;
}

void fl_build_nd(struct fl_builder *b, uint8_t type, const uint8_t target[16],
		 const uint8_t sll[6], const uint8_t tll[6])
{
	size_t len = sizeof(struct fl_nd_msg) + (sll ? 8 : 0) + (tll ? 8 : 0);
	uint8_t *h = fl_build_push(b, FL_BL_ICMP6, len);
	uint8_t *p;
	int ip;

	if (!h)
		return;
	fl_build_link(b, 0, FL_IPPROTO_ICMPV6);
	h[offsetof(struct fl_nd_msg, type)] = type;
	if (type == FL_ND_NEIGHBOR_ADVERT)
		fl_put_u32(h + offsetof(struct fl_nd_msg, flags), fl_htonl(0x60000000u)); /* S, O */
	memcpy(h + offsetof(struct fl_nd_msg, target), target, 16);
	p = h + sizeof(struct fl_nd_msg);
	if (sll)
		p = fl_build_nd_opt(p, FL_ND_OPT_SOURCE_LL, sll);
	if (tll)
		fl_build_nd_opt(p, FL_ND_OPT_TARGET_LL, tll);

	ip = fl_build_enclosing_ip(b, b->n_layers - 1);
	if (ip >= 0 && b->layers[ip].kind == FL_BL_IPV6)
		b->buf[b->layers[ip].ofs + offsetof(struct fl_ipv6_hdr, hop_limit)] = 255;
	fl_build_expect(b, NULL, FL_BUILD_NP_IPPROTO);
}

void fl_build_vxlan(struct fl_builder *b, uint32_t vni)
{
	uint8_t *h = fl_build_push(b, FL_BL_VXLAN, sizeof(struct fl_vxlan_hdr));

	if (!h)
		return;
	h[offsetof(struct fl_vxlan_hdr, flags)] = FL_VXLAN_FLAG_I;
	fl_put_u32(h + offsetof(struct fl_vxlan_hdr, vni_rsvd), fl_htonl((vni & 0xffffffu) << 8));
	/* An inner Ethernet header follows; it has no type to announce. */
	fl_build_expect(b, NULL, FL_BUILD_NP_ETHERTYPE);
}

void fl_build_payload(struct fl_builder *b, size_t len, uint8_t seed)
{
	struct fl_build_layer *last = b->n_layers ? &b->layers[b->n_layers - 1] : NULL;
	uint8_t *p;
	size_t i;

	/* Payload after payload extends one layer, so padding costs no slot. */
	if (!b->overflow && last && last->kind == FL_BL_PAYLOAD) {
		if (len > b->cap - b->len || b->len + len > UINT16_MAX) {
			fl_build_fail(b);
			return;
		}
		p = b->buf + b->len;
		last->len = (uint16_t)(last->len + len);
		b->len += len;
	} else {
		p = fl_build_push(b, FL_BL_PAYLOAD, len);
		if (!p)
			return;
	}
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
	fl_build_expect(b, NULL, FL_BUILD_NP_ETHERTYPE);
}

void fl_build_pad_to(struct fl_builder *b, size_t len)
{
	if (!b->overflow && b->len < len)
		fl_build_payload(b, len - b->len, 0);
}

/* The L4 checksum of the layer at index i, which runs to the end of the
 * frame, with the pseudo-header of the IP header enclosing it. */
static void fl_build_l4_csum(struct fl_builder *b, unsigned int i, uint8_t proto, size_t csum_ofs)
{
	const struct fl_build_layer *l = &b->layers[i];
	uint8_t *h = b->buf + l->ofs;
	size_t len = b->len - l->ofs;
	const uint8_t *iph;
	fl_be16 c;
	int ip;

	fl_put_u16(h + csum_ofs, 0);
	if (proto == FL_IPPROTO_ICMP) {
		fl_put_u16(h + csum_ofs, fl_icmp_csum(h, len));
		return;
	}
	ip = fl_build_enclosing_ip(b, i);
	if (ip < 0)
		return; /* no pseudo-header to sum: leave the checksum zero */
	iph = b->buf + b->layers[ip].ofs;
	if (b->layers[ip].kind == FL_BL_IPV4)
		c = fl_l4_csum_ipv4(fl_get_u32(iph + offsetof(struct fl_ipv4_hdr, src)),
				    fl_get_u32(iph + offsetof(struct fl_ipv4_hdr, dst)), proto, h,
				    len);
	else
		c = fl_l4_csum_ipv6(iph + offsetof(struct fl_ipv6_hdr, src),
				    iph + offsetof(struct fl_ipv6_hdr, dst), proto, h, len);
	fl_put_u16(h + csum_ofs, c);
}

size_t fl_build_finish(struct fl_builder *b)
{
	unsigned int i;

	if (b->overflow)
		return 0;
	/* Last layer first: everything a checksum covers is final before it. */
	for (i = b->n_layers; i-- > 0;) {
		const struct fl_build_layer *l = &b->layers[i];
		uint8_t *h = b->buf + l->ofs;
		size_t rest = b->len - l->ofs; /* this header and all after it */

		switch (l->kind) {
		case FL_BL_IPV4:
			fl_put_u16(h + offsetof(struct fl_ipv4_hdr, tot_len),
				   fl_htons((uint16_t)rest));
			fl_put_u16(h + offsetof(struct fl_ipv4_hdr, csum), 0);
			fl_put_u16(h + offsetof(struct fl_ipv4_hdr, csum),
				   fl_ipv4_hdr_csum(h, l->len));
			break;
		case FL_BL_IPV6:
			fl_put_u16(h + offsetof(struct fl_ipv6_hdr, payload_len),
				   fl_htons((uint16_t)(rest - sizeof(struct fl_ipv6_hdr))));
			break;
		case FL_BL_UDP:
			fl_put_u16(h + offsetof(struct fl_udp_hdr, len), fl_htons((uint16_t)rest));
			fl_build_l4_csum(b, i, FL_IPPROTO_UDP, offsetof(struct fl_udp_hdr, csum));
			break;
		case FL_BL_TCP:
			fl_build_l4_csum(b, i, FL_IPPROTO_TCP, offsetof(struct fl_tcp_hdr, csum));
			break;
		case FL_BL_ICMP:
			fl_build_l4_csum(b, i, FL_IPPROTO_ICMP, offsetof(struct fl_icmp_hdr, csum));
			break;
		case FL_BL_ICMP6:
			fl_build_l4_csum(b, i, FL_IPPROTO_ICMPV6,
					 offsetof(struct fl_icmp_hdr, csum));
			break;
		default:
			break;
		}
	}
	return b->len;
}

int fl_build_find(const struct fl_builder *b, enum fl_build_layer_kind kind, unsigned from)
{
	unsigned int i;

	for (i = from; i < b->n_layers; i++) {
		if (b->layers[i].kind == kind)
			return b->layers[i].ofs;
	}
	return -1;
}

size_t fl_build_flow_frame(const struct fl_build_flow *f, void *buf, size_t cap)
{
	struct fl_builder b;
	bool icmp = f->proto == FL_IPPROTO_ICMP || f->proto == FL_IPPROTO_ICMPV6;
	uint32_t echo = (uint32_t)fl_ntohs(f->sport) << 16 | fl_ntohs(f->dport);

	if (!icmp && f->proto != FL_IPPROTO_UDP && f->proto != FL_IPPROTO_TCP)
		return 0;
	fl_build_init(&b, buf, cap);
	fl_build_eth(&b, f->dl_dst, f->dl_src);
	if (f->vlan_tci)
		fl_build_vlan(&b, FL_ETH_TYPE_VLAN, f->vlan_tci);
	if (f->ipv6)
		fl_build_ipv6(&b, f->ip6_src, f->ip6_dst, 0, 0);
	else
		fl_build_ipv4(&b, f->ip4_src, f->ip4_dst);

	if (icmp && f->ipv6)
		fl_build_icmp6(&b, FL_ICMP6_ECHO_REQUEST, 0, echo);
	else if (icmp)
		fl_build_icmp(&b, 8 /* echo request */, 0, echo);
	else if (f->proto == FL_IPPROTO_TCP)
		fl_build_tcp(&b, f->sport, f->dport, f->tcp_flags);
	else
		fl_build_udp(&b, f->sport, f->dport);
	fl_build_pad_to(&b, FL_MAX(f->frame_len, (size_t)FL_ETH_MIN_FRAME));
	return fl_build_finish(&b);
}
