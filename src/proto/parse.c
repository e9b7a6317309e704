/* Parser: one pass over a frame, front to back, into a flow key.
 *
 * The contract is in proto/parse.h and proto/key.h; this file adds the
 * rules those leave open:
 *  - A header's fields are written only once every check of that header has
 *    passed, so on an error the broken header and everything after it stay
 *    zero. The fields that name what follows (dl_type, nw_proto) hold the
 *    last value read completely: a truncated or third VLAN tag leaves
 *    dl_type at the TPID that announced it, a broken IPv6 extension header
 *    leaves nw_proto at the next-header value that named it.
 *  - pkt->l2_5_ofs/l3_ofs/l4_ofs are set only for headers that parsed
 *    cleanly (l3_ofs only for ARP, IPv4 and IPv6); l7_ofs is the L4 payload
 *    (for VXLAN its header) whenever the L4 header parsed.
 *  - L4 headers are bounded by the IP datagram (total or payload length),
 *    not by the frame, so Ethernet padding is never read as L4 data. A first
 *    fragment's UDP length describes the whole datagram and is only checked
 *    against the 8-byte minimum. A later fragment (nw_frag "later") has no
 *    L4 parse; an IPv6 atomic fragment (offset 0, M clear) is no fragment.
 *  - ICMP/ICMPv6 need their 8-byte header; NS/NA are parsed as ND only with
 *    code 0 (RFC 4861 7.1.1). The first SLL/TLL option of length 1 fills
 *    arp_sha/arp_tha; other options are skipped but must be well formed.
 *  - ARP's nw_proto is the low byte of the opcode, as key.h says.
 *
 * This is the general parser, behind fl_parse(); fl_parse_batch()
 * (parse_batch.c) hands it every frame its fast path does not take.
 *
 * Speed: the key is zeroed with one fixed-size memset (SSE stores), the
 * Ethernet, IPv4 and L4 fields land in the key as whole 64-bit words built
 * from unaligned loads, fields stay in network order, and the untagged
 * IPv4/IPv6 UDP/TCP path is straight-line code with the rare headers (ARP,
 * IPv6 extension headers, ICMPv6/ND) out of line. Batches of 32 prebuilt
 * frames in L1, keys reused, 32M packets, median of 7 runs on an EPYC (Zen 5)
 * VM with a 2.1 GHz TSC, gcc 12 -O3 -march=x86-64-v2, when it also served
 * fl_parse_batch: IPv4/UDP 64 B 11.9 TSC cycles (5.7 ns), IPv6/TCP 14.9
 * (7.1 ns), 802.1Q IPv4/UDP 14.9 (7.1 ns).
 */
#include <string.h>

#include "proto/headers.h"
#include "proto/parse.h"

/* A byte-swapped constant usable in constant expressions. */
#define FL_BE16C(x) ((uint16_t)((((x) & 0xffu) << 8) | (((x) >> 8) & 0xffu)))

#define FL_MASK48 0x0000ffffffffffffull
#define FL_IP6_EXT_MAX 8 /* extension headers followed before IP6_EXT_DEPTH */
#define FL_VLAN_MAX 2

/* Key words written whole by the fast path. */
#define FL_KW_ETH_DST 9  /* dl_dst, dl_type */
#define FL_KW_ETH_SRC 10 /* dl_src, vlan_tci */
#define FL_KW_NW_ADDR 12 /* nw_src, nw_dst */
#define FL_KW_NW_PROTO 17 /* ipv6_label, nw_proto, nw_tos, nw_ttl, nw_frag */
#define FL_KW_TP 22      /* tp_src, tp_dst, tcp_flags, encap, parse_err */

_Static_assert(offsetof(struct fl_key, dl_dst) == FL_KW_ETH_DST * 8, "word 9");
_Static_assert(offsetof(struct fl_key, dl_type) == FL_KW_ETH_DST * 8 + 6, "word 9");
_Static_assert(offsetof(struct fl_key, dl_src) == FL_KW_ETH_SRC * 8, "word 10");
_Static_assert(offsetof(struct fl_key, vlan_tci) == FL_KW_ETH_SRC * 8 + 6, "word 10");
_Static_assert(offsetof(struct fl_key, nw_src) == FL_KW_NW_ADDR * 8, "word 12");
_Static_assert(offsetof(struct fl_key, nw_dst) == FL_KW_NW_ADDR * 8 + 4, "word 12");
_Static_assert(offsetof(struct fl_key, ipv6_dst) == offsetof(struct fl_key, ipv6_src) + 16,
	       "addresses adjacent, as in the IPv6 header");
_Static_assert(offsetof(struct fl_key, ipv6_label) == FL_KW_NW_PROTO * 8, "word 17");
_Static_assert(offsetof(struct fl_key, nw_proto) == FL_KW_NW_PROTO * 8 + 4, "word 17");
_Static_assert(offsetof(struct fl_key, nw_tos) == FL_KW_NW_PROTO * 8 + 5, "word 17");
_Static_assert(offsetof(struct fl_key, nw_ttl) == FL_KW_NW_PROTO * 8 + 6, "word 17");
_Static_assert(offsetof(struct fl_key, nw_frag) == FL_KW_NW_PROTO * 8 + 7, "word 17");
_Static_assert(offsetof(struct fl_key, tp_src) == FL_KW_TP * 8, "word 22");
_Static_assert(offsetof(struct fl_key, tp_dst) == FL_KW_TP * 8 + 2, "word 22");
_Static_assert(offsetof(struct fl_key, tcp_flags) == FL_KW_TP * 8 + 4, "word 22");

/* The four offsets are written as one 64-bit store. */
_Static_assert(offsetof(struct fl_pkt, l3_ofs) == offsetof(struct fl_pkt, l2_5_ofs) + 2, "ofs");
_Static_assert(offsetof(struct fl_pkt, l4_ofs) == offsetof(struct fl_pkt, l2_5_ofs) + 4, "ofs");
_Static_assert(offsetof(struct fl_pkt, l7_ofs) == offsetof(struct fl_pkt, l2_5_ofs) + 6, "ofs");

#define FL_OFS_SHIFT_L2_5 0
#define FL_OFS_SHIFT_L3 16
#define FL_OFS_SHIFT_L4 32
#define FL_OFS_SHIFT_L7 48
#define FL_OFS_ALL_NONE (~0ull)

static FL_ALWAYS_INLINE void fl_key_set_word(struct fl_key *k, unsigned w, uint64_t v)
{
	memcpy((uint8_t *)k + w * 8, &v, 8);
}

/* Zero the key with twelve 16-byte stores: a plain memset of 192 bytes
 * becomes "rep stos" with GCC 12, which costs ~30 cycles to start. */
typedef uint64_t fl_u64x2 __attribute__((vector_size(16)));

static FL_ALWAYS_INLINE void fl_key_zero(struct fl_key *k)
{
	fl_u64x2 *v = (fl_u64x2 *)(void *)k;
	const fl_u64x2 z = { 0, 0 };

	_Static_assert(sizeof(*k) == 12 * sizeof(z), "key is twelve vectors");
	v[0] = z;
	v[1] = z;
	v[2] = z;
	v[3] = z;
	v[4] = z;
	v[5] = z;
	v[6] = z;
	v[7] = z;
	v[8] = z;
	v[9] = z;
	v[10] = z;
	v[11] = z;
}

static FL_ALWAYS_INLINE uint64_t fl_ofs_set(uint64_t ofs, unsigned shift, uint32_t v)
{
	return (ofs & ~(0xffffull << shift)) | (uint64_t)v << shift;
}

/* Where the parse stands: the L4 header's offset, the end of the IP
 * datagram, and what the IP header said about the payload. */
struct fl_l4_ctx {
	uint32_t l4;
	uint32_t end;
	uint8_t proto;
	uint8_t frag;
};

static FL_ALWAYS_INLINE enum fl_parse_err fl_parse_vlan(const uint8_t *p, uint32_t len,
							 struct fl_key *k, uint32_t *l3p,
							 fl_be16 *typep)
{
	uint32_t ofs = FL_ETH_HLEN;
	fl_be16 type = *typep;
	unsigned n = 0;

	do {
		fl_be16 tci, next;

		if (FL_UNLIKELY(n == FL_VLAN_MAX))
			return FL_PARSE_ERR_VLAN_DEPTH;
		if (FL_UNLIKELY(len - ofs < FL_VLAN_HLEN))
			return FL_PARSE_ERR_VLAN_TRUNC;
		tci = fl_get_u16(p + ofs) | FL_BE16C(FL_VLAN_PRESENT);
		next = fl_get_u16(p + ofs + 2);
		if (n == 0) {
			k->vlan_tci = tci;
			k->vlan_tpid = type;
		} else {
			k->vlan2_tci = tci;
		}
		k->dl_type = next;
		type = next;
		ofs += FL_VLAN_HLEN;
		n++;
		*l3p = ofs;
		*typep = type;
	} while (type == FL_BE16C(FL_ETH_TYPE_VLAN) || type == FL_BE16C(FL_ETH_TYPE_QINQ));
	return FL_PARSE_ERR_NONE;
}

__attribute__((noinline)) static enum fl_parse_err fl_parse_arp(const uint8_t *h, uint32_t rem,
								 struct fl_key *k)
{
	static const uint8_t eth_ip4[6] = { 0, 1, 8, 0, 6, 4 }; /* hrd, pro, hln, pln */

	if (rem < sizeof(struct fl_arp_hdr))
		return FL_PARSE_ERR_ARP_TRUNC;
	if (memcmp(h, eth_ip4, sizeof(eth_ip4)))
		return FL_PARSE_ERR_ARP_BAD;
	k->nw_proto = h[offsetof(struct fl_arp_hdr, op) + 1];
	memcpy(k->arp_sha, h + offsetof(struct fl_arp_hdr, sha), 6);
	memcpy(&k->nw_src, h + offsetof(struct fl_arp_hdr, spa), 4);
	memcpy(k->arp_tha, h + offsetof(struct fl_arp_hdr, tha), 6);
	memcpy(&k->nw_dst, h + offsetof(struct fl_arp_hdr, tpa), 4);
	return FL_PARSE_ERR_NONE;
}

static FL_ALWAYS_INLINE bool fl_ip6_is_ext(uint8_t proto)
{
	const uint64_t ext = 1ull << FL_IPPROTO_HOPOPTS | 1ull << FL_IPPROTO_ROUTING |
			     1ull << FL_IPPROTO_FRAGMENT | 1ull << FL_IPPROTO_DSTOPTS;

	return proto < 64 && (ext >> proto & 1);
}

/* Walk the IPv6 extension headers from c->l4, leaving c->l4 at the upper
 * layer header and c->proto naming it (or, on an error, naming the header
 * that broke). A later fragment stops the walk. */
__attribute__((noinline)) static enum fl_parse_err fl_parse_ip6_ext(const uint8_t *p,
								     struct fl_l4_ctx *c)
{
	unsigned n;

	for (n = 0; fl_ip6_is_ext(c->proto); n++) {
		const uint8_t *h = p + c->l4;
		uint32_t rem = c->end - c->l4, hlen;

		if (n == FL_IP6_EXT_MAX)
			return FL_PARSE_ERR_IP6_EXT_DEPTH;
		/* Every extension header is at least 8 bytes. */
		if (rem < 8)
			return FL_PARSE_ERR_IP6_EXT_TRUNC;
		if (c->proto == FL_IPPROTO_FRAGMENT) {
			fl_be16 off = fl_get_u16(h + offsetof(struct fl_ipv6_frag_hdr, off_flags));

			if (off & FL_BE16C(FL_IP6_FRAG_OFFMASK | FL_IP6_FRAG_MORE)) {
				c->frag = FL_FRAG_ANY;
				if (off & FL_BE16C(FL_IP6_FRAG_OFFMASK))
					c->frag |= FL_FRAG_LATER;
			}
			hlen = sizeof(struct fl_ipv6_frag_hdr);
		} else {
			hlen = ((uint32_t)h[1] + 1) * 8;
			if (hlen > rem)
				return FL_PARSE_ERR_IP6_EXT_TRUNC;
		}
		c->proto = h[0];
		c->l4 += hlen;
		if (c->frag & FL_FRAG_LATER)
			break;
	}
	return FL_PARSE_ERR_NONE;
}

static FL_ALWAYS_INLINE enum fl_parse_err fl_parse_udp(const uint8_t *p, const struct fl_l4_ctx *c,
							struct fl_key *k, uint64_t *ofs)
{
	const uint8_t *h = p + c->l4;
	uint32_t rem = c->end - c->l4, ulen;

	if (FL_UNLIKELY(rem < sizeof(struct fl_udp_hdr)))
		return FL_PARSE_ERR_UDP_TRUNC;
	ulen = fl_get_be16(h + offsetof(struct fl_udp_hdr, len));
	if (FL_UNLIKELY(ulen < sizeof(struct fl_udp_hdr) || (ulen > rem && !c->frag)))
		return FL_PARSE_ERR_UDP_LEN;
	fl_key_set_word(k, FL_KW_TP, fl_get_u32(h));
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L4, c->l4);
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L7, c->l4 + 8);
	if (FL_UNLIKELY(fl_get_u16(h + 2) == FL_BE16C(FL_VXLAN_PORT))) {
		const uint8_t *v = h + sizeof(struct fl_udp_hdr);

		if (FL_MIN(ulen, rem) < sizeof(struct fl_udp_hdr) + sizeof(struct fl_vxlan_hdr))
			return FL_PARSE_ERR_VXLAN_TRUNC;
		if (v[0] & FL_VXLAN_FLAG_I) {
			k->encap = FL_ENCAP_VXLAN;
			/* Bytes 3..7: reserved, VNI (3 bytes); drop the first. */
			k->vxlan_vni = fl_get_u32(v + 3) & fl_htonl(0x00ffffffu);
		}
	}
	return FL_PARSE_ERR_NONE;
}

static FL_ALWAYS_INLINE enum fl_parse_err fl_parse_tcp(const uint8_t *p, const struct fl_l4_ctx *c,
							struct fl_key *k, uint64_t *ofs)
{
	const uint8_t *h = p + c->l4;
	uint32_t rem = c->end - c->l4, doff;
	fl_be16 off_flags;

	if (FL_UNLIKELY(rem < sizeof(struct fl_tcp_hdr)))
		return FL_PARSE_ERR_TCP_TRUNC;
	off_flags = fl_get_u16(h + offsetof(struct fl_tcp_hdr, off_flags));
	doff = (uint32_t)(h[offsetof(struct fl_tcp_hdr, off_flags)] >> 4) * 4;
	if (FL_UNLIKELY(doff < sizeof(struct fl_tcp_hdr) || doff > rem))
		return FL_PARSE_ERR_TCP_DOFF;
	fl_key_set_word(k, FL_KW_TP,
			fl_get_u32(h) |
				(uint64_t)(off_flags & FL_BE16C(FL_TCP_FLAGS_MASK)) << 32);
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L4, c->l4);
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L7, c->l4 + doff);
	return FL_PARSE_ERR_NONE;
}

/* ICMP and ICMPv6 share the 8-byte header: type into tp_src, code into
 * tp_dst, each as the low (second) byte of a network-order 16-bit value. */
static FL_ALWAYS_INLINE bool fl_parse_icmp_hdr(const uint8_t *p, const struct fl_l4_ctx *c,
						struct fl_key *k, uint64_t *ofs)
{
	const uint8_t *h = p + c->l4;

	if (c->end - c->l4 < sizeof(struct fl_icmp_hdr))
		return false;
	fl_key_set_word(k, FL_KW_TP, (uint64_t)h[0] << 8 | (uint64_t)h[1] << 24);
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L4, c->l4);
	*ofs = fl_ofs_set(*ofs, FL_OFS_SHIFT_L7, c->l4 + sizeof(struct fl_icmp_hdr));
	return true;
}

/* Neighbour solicitation / advertisement body and options. */
static enum fl_parse_err fl_parse_nd(const uint8_t *p, const struct fl_l4_ctx *c,
				     struct fl_key *k)
{
	uint32_t o = c->l4 + sizeof(struct fl_nd_msg);
	bool have_sll = false, have_tll = false;

	if (c->end - c->l4 < sizeof(struct fl_nd_msg))
		return FL_PARSE_ERR_ND_TRUNC;
	memcpy(k->nd_target, p + c->l4 + offsetof(struct fl_nd_msg, target), 16);
	while (o < c->end) {
		const uint8_t *opt = p + o;
		uint32_t olen;

		if (c->end - o < sizeof(struct fl_nd_opt) || opt[1] == 0)
			return FL_PARSE_ERR_ND_OPT;
		olen = (uint32_t)opt[1] * 8;
		if (olen > c->end - o)
			return FL_PARSE_ERR_ND_OPT;
		if (opt[1] == 1 && opt[0] == FL_ND_OPT_SOURCE_LL && !have_sll) {
			memcpy(k->arp_sha, opt + 2, 6);
			have_sll = true;
		} else if (opt[1] == 1 && opt[0] == FL_ND_OPT_TARGET_LL && !have_tll) {
			memcpy(k->arp_tha, opt + 2, 6);
			have_tll = true;
		}
		o += olen;
	}
	return FL_PARSE_ERR_NONE;
}

/* ICMPv6 and ND; the caller sets the offsets unless the header was short
 * (so that its offsets need not live in memory). */
__attribute__((noinline)) static enum fl_parse_err fl_parse_icmp6(const uint8_t *p,
								   struct fl_l4_ctx c,
								   struct fl_key *k)
{
	const uint8_t *h = p + c.l4;
	uint64_t unused = 0;

	if (!fl_parse_icmp_hdr(p, &c, k, &unused))
		return FL_PARSE_ERR_ICMP6_TRUNC;
	if ((h[0] == FL_ND_NEIGHBOR_SOLICIT || h[0] == FL_ND_NEIGHBOR_ADVERT) && h[1] == 0)
		return fl_parse_nd(p, &c, k);
	return FL_PARSE_ERR_NONE;
}

/* The whole frame. Fills the packet fields of a zeroed key and the four
 * header offsets (packed as in struct fl_pkt). Reads only p[0..len-1]. */
static FL_ALWAYS_INLINE enum fl_parse_err fl_parse_frame(const uint8_t *p, uint32_t len,
							  struct fl_key *k, uint64_t *ofs_out)
{
	uint64_t ofs = FL_OFS_ALL_NONE;
	enum fl_parse_err err = FL_PARSE_ERR_NONE;
	struct fl_l4_ctx c;
	const uint8_t *ip;
	uint32_t l3 = FL_ETH_HLEN, rem;
	fl_be16 type;

	if (FL_UNLIKELY(len < FL_ETH_HLEN)) {
		err = FL_PARSE_ERR_ETH_TRUNC;
		goto out;
	}
	type = fl_get_u16(p + 12);
	fl_key_set_word(k, FL_KW_ETH_DST, (fl_get_u64(p) & FL_MASK48) | (uint64_t)type << 48);
	fl_key_set_word(k, FL_KW_ETH_SRC, fl_get_u64(p + 6) & FL_MASK48);
	if (FL_LIKELY(type == FL_BE16C(FL_ETH_TYPE_IPV4)))
		goto ipv4;
	if (FL_LIKELY(type == FL_BE16C(FL_ETH_TYPE_IPV6)))
		goto ipv6;
	if (type == FL_BE16C(FL_ETH_TYPE_VLAN) || type == FL_BE16C(FL_ETH_TYPE_QINQ)) {
		err = fl_parse_vlan(p, len, k, &l3, &type);
		if (l3 != FL_ETH_HLEN)
			ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L2_5, FL_ETH_HLEN);
		if (err)
			goto out;
		if (FL_LIKELY(type == FL_BE16C(FL_ETH_TYPE_IPV4)))
			goto ipv4;
		if (type == FL_BE16C(FL_ETH_TYPE_IPV6))
			goto ipv6;
	}
	if (type == FL_BE16C(FL_ETH_TYPE_ARP)) {
		err = fl_parse_arp(p + l3, len - l3, k);
		if (!err)
			ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L3, l3);
	} else if (fl_ntohs(type) < FL_ETH_TYPE_MIN) {
		k->dl_type = FL_BE16C(FL_DL_TYPE_NONE);
	}
	goto out;

ipv4:
	ip = p + l3;
	rem = len - l3;
	{
		uint32_t hlen = 20, tot;
		fl_be16 frag_off;

		if (FL_UNLIKELY(rem < sizeof(struct fl_ipv4_hdr))) {
			err = FL_PARSE_ERR_IP4_TRUNC;
			goto out;
		}
		if (FL_UNLIKELY(ip[0] != 0x45)) {
			if (ip[0] >> 4 != 4) {
				err = FL_PARSE_ERR_IP4_VERSION;
				goto out;
			}
			hlen = (uint32_t)(ip[0] & 0xf) * 4;
			if (hlen < sizeof(struct fl_ipv4_hdr) || hlen > rem) {
				err = FL_PARSE_ERR_IP4_HLEN;
				goto out;
			}
		}
		tot = fl_get_be16(ip + offsetof(struct fl_ipv4_hdr, tot_len));
		if (FL_UNLIKELY(tot < hlen || tot > rem)) {
			err = FL_PARSE_ERR_IP4_TOTLEN;
			goto out;
		}
		frag_off = fl_get_u16(ip + offsetof(struct fl_ipv4_hdr, frag_off));
		c.frag = 0;
		if (FL_UNLIKELY(frag_off & FL_BE16C(FL_IP4_MF | FL_IP4_OFFMASK))) {
			c.frag = FL_FRAG_ANY;
			if (frag_off & FL_BE16C(FL_IP4_OFFMASK))
				c.frag |= FL_FRAG_LATER;
		}
		c.proto = ip[offsetof(struct fl_ipv4_hdr, proto)];
		c.l4 = l3 + hlen;
		c.end = l3 + tot;
		fl_key_set_word(k, FL_KW_NW_ADDR, fl_get_u64(ip + offsetof(struct fl_ipv4_hdr, src)));
		fl_key_set_word(k, FL_KW_NW_PROTO,
				(uint64_t)c.proto << 32 | (uint64_t)ip[1] << 40 |
					(uint64_t)ip[offsetof(struct fl_ipv4_hdr, ttl)] << 48 |
					(uint64_t)c.frag << 56);
		ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L3, l3);
		if (FL_UNLIKELY(c.frag & FL_FRAG_LATER))
			goto out;
	}
	if (FL_LIKELY(c.proto == FL_IPPROTO_UDP))
		err = fl_parse_udp(p, &c, k, &ofs);
	else if (FL_LIKELY(c.proto == FL_IPPROTO_TCP))
		err = fl_parse_tcp(p, &c, k, &ofs);
	else if (c.proto == FL_IPPROTO_ICMP && !fl_parse_icmp_hdr(p, &c, k, &ofs))
		err = FL_PARSE_ERR_ICMP_TRUNC;
	goto out;

ipv6:
	ip = p + l3;
	rem = len - l3;
	{
		uint32_t plen;

		if (FL_UNLIKELY(rem < sizeof(struct fl_ipv6_hdr))) {
			err = FL_PARSE_ERR_IP6_TRUNC;
			goto out;
		}
		if (FL_UNLIKELY(ip[0] >> 4 != 6)) {
			err = FL_PARSE_ERR_IP6_VERSION;
			goto out;
		}
		plen = fl_get_be16(ip + offsetof(struct fl_ipv6_hdr, payload_len));
		if (FL_UNLIKELY(plen > rem - sizeof(struct fl_ipv6_hdr))) {
			err = FL_PARSE_ERR_IP6_PLEN;
			goto out;
		}
		memcpy(k->ipv6_src, ip + offsetof(struct fl_ipv6_hdr, src), 32);
		c.proto = ip[offsetof(struct fl_ipv6_hdr, next_hdr)];
		c.frag = 0;
		c.l4 = l3 + sizeof(struct fl_ipv6_hdr);
		c.end = c.l4 + plen;
		ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L3, l3);
		if (FL_UNLIKELY(fl_ip6_is_ext(c.proto))) {
			struct fl_l4_ctx ext = c; /* keeps c itself in registers */

			err = fl_parse_ip6_ext(p, &ext);
			c = ext;
		}
		/* Traffic class: the 8 bits after the version nibble. */
		fl_key_set_word(k, FL_KW_NW_PROTO,
				(fl_get_u32(ip) & fl_htonl(0x000fffffu)) | (uint64_t)c.proto << 32 |
					(uint64_t)((fl_get_be16(ip) >> 4) & 0xff) << 40 |
					(uint64_t)ip[offsetof(struct fl_ipv6_hdr, hop_limit)] << 48 |
					(uint64_t)c.frag << 56);
		if (FL_UNLIKELY(err || (c.frag & FL_FRAG_LATER)))
			goto out;
	}
	if (FL_LIKELY(c.proto == FL_IPPROTO_TCP))
		err = fl_parse_tcp(p, &c, k, &ofs);
	else if (FL_LIKELY(c.proto == FL_IPPROTO_UDP))
		err = fl_parse_udp(p, &c, k, &ofs);
	else if (c.proto == FL_IPPROTO_ICMPV6) {
		err = fl_parse_icmp6(p, c, k);
		if (err != FL_PARSE_ERR_ICMP6_TRUNC) {
			ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L4, c.l4);
			ofs = fl_ofs_set(ofs, FL_OFS_SHIFT_L7, c.l4 + sizeof(struct fl_icmp_hdr));
		}
	}

out:
	k->parse_err = (uint8_t)err;
	*ofs_out = ofs;
	return err;
}

enum fl_parse_err fl_parse(struct fl_pkt *pkt, struct fl_key *key)
{
	enum fl_parse_err err;
	uint64_t ofs;

	fl_key_zero(key);
	key->in_port = pkt->in_port;
	err = fl_parse_frame(fl_pkt_cdata(pkt), pkt->len, key, &ofs);
	memcpy((uint8_t *)pkt + offsetof(struct fl_pkt, l2_5_ofs), &ofs, sizeof(ofs));
	return err;
}
