/* virtio-net header conversion, checksum completion and software GSO (gso.h).
 *
 * Segmentation works from the frame's own headers, not from the virtio-net
 * header's hdr_len or csum_start (hints a sender may leave at zero): the
 * frame is parsed once, every segment gets a copy of all headers up to the
 * end of the TCP/UDP header followed by its slice of the payload, and then
 * its lengths, sequence number, flags and checksums are rewritten. The L4
 * checksum is computed from scratch over the segment (pseudo header, header,
 * payload), which costs one pass over bytes the copy has just brought into
 * the cache; an incremental scheme would save that pass but trust a checksum
 * field the sender may have left partial.
 */
#include "proto/gso.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/byteorder.h"
#include "proto/csum.h"
#include "proto/headers.h"

#define GSO_MAX_VLANS 2
#define GSO_MAX_IP6_EXT 8

/* Where the headers of a super frame are. */
struct gso_layout {
	unsigned l3;      /* IP header */
	unsigned l4;      /* TCP or UDP header */
	unsigned hdr_len; /* end of the L4 header: bytes copied into every segment */
	unsigned end;     /* end of the IP packet (<= frame length) */
	bool ipv6;
	uint8_t proto;
};

static inline uint16_t vh16(uint16_t v)
{
	return le16toh(v);
}

int fl_vnet_hdr_to_pkt(const struct virtio_net_hdr *vh, struct fl_pkt *pkt)
{
	unsigned start = vh16(vh->csum_start), off = vh16(vh->csum_offset);
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t flags = pkt->ol_flags & (uint16_t)~(FL_OL_CSUM_PARTIAL | FL_OL_CSUM_GOOD |
						       FL_OL_GSO_TCP4 | FL_OL_GSO_TCP6 |
						       FL_OL_GSO_UDP);

	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* the 2-byte field must lie inside the frame */
		if (start + off + 2u > pkt->len)
			return -EINVAL;
		flags |= FL_OL_CSUM_PARTIAL;
	} else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		flags |= FL_OL_CSUM_GOOD;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		if (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN)
			return -EINVAL; /* ECN is a TCP segmentation flag */
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		flags |= FL_OL_GSO_TCP4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		flags |= FL_OL_GSO_TCP6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN)
			return -EINVAL;
		flags |= FL_OL_GSO_UDP;
		break;
	default:
		return -EINVAL; /* UFO (IP fragmentation) and anything newer */
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE && vh16(vh->gso_size) == 0)
		return -EINVAL;

	pkt->ol_flags = flags;
	pkt->gso_size = gso != VIRTIO_NET_HDR_GSO_NONE ? vh16(vh->gso_size) : 0;
	pkt->csum_start = (flags & FL_OL_CSUM_PARTIAL) ? (uint16_t)start : 0;
	pkt->csum_offset = (flags & FL_OL_CSUM_PARTIAL) ? (uint16_t)off : 0;
	return 0;
}

/* End of the TCP or UDP header that starts at l4 (from the frame start),
 * or 0 if it cannot be told. */
static unsigned l4_hdr_end(const struct fl_pkt *pkt, unsigned l4, bool tcp)
{
	const uint8_t *d = fl_pkt_cdata(pkt);
	unsigned doff;

	if (l4 == FL_OFS_NONE)
		return 0;
	if (!tcp)
		return l4 + sizeof(struct fl_udp_hdr) <= pkt->len ? l4 + 8u : 0;
	if (l4 + sizeof(struct fl_tcp_hdr) > pkt->len)
		return 0;
	doff = (unsigned)(d[l4 + 12] >> 4) * 4u;
	return doff >= 20 && l4 + doff <= pkt->len ? l4 + doff : 0;
}

void fl_vnet_hdr_from_pkt(const struct fl_pkt *pkt, struct virtio_net_hdr *vh)
{
	uint16_t fl = pkt->ol_flags;
	unsigned hdr_len = 0;

	memset(vh, 0, sizeof(*vh));
	if (fl & FL_OL_CSUM_PARTIAL) {
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = htole16(pkt->csum_start);
		vh->csum_offset = htole16(pkt->csum_offset);
		hdr_len = (unsigned)pkt->csum_start + pkt->csum_offset + 2u;
		vh->hdr_len = htole16((uint16_t)hdr_len);
	}
	if (!(fl & (FL_OL_GSO_TCP4 | FL_OL_GSO_TCP6 | FL_OL_GSO_UDP)) || !pkt->gso_size)
		return;
	if (fl & FL_OL_GSO_TCP4)
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	else if (fl & FL_OL_GSO_TCP6)
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	else
		vh->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	vh->gso_size = htole16(pkt->gso_size);
	/* hdr_len is a hint (where the payload starts); the parsed L4 header
	 * gives it exactly, the checksum field at least its lower bound */
	if (fl_gso_hdr_len(pkt))
		hdr_len = fl_gso_hdr_len(pkt);
	vh->hdr_len = htole16((uint16_t)hdr_len);
}

unsigned fl_gso_hdr_len(const struct fl_pkt *pkt)
{
	/* a partial checksum says where L4 starts even when nothing was parsed */
	unsigned l4 = pkt->ol_flags & FL_OL_CSUM_PARTIAL ? pkt->csum_start : pkt->l4_ofs;

	if (!(pkt->ol_flags & FL_OL_GSO_MASK) || l4 == FL_OFS_NONE)
		return 0;
	return l4_hdr_end(pkt, l4, !(pkt->ol_flags & FL_OL_GSO_UDP));
}

int fl_csum_complete(struct fl_pkt *pkt)
{
	unsigned start = pkt->csum_start, off = pkt->csum_offset;
	uint8_t *d = fl_pkt_data(pkt);
	fl_be16 c;

	if (!(pkt->ol_flags & FL_OL_CSUM_PARTIAL))
		return 0;
	if (start + off + 2u > pkt->len)
		return -EINVAL;
	/* the field holds the folded pseudo-header sum: summing over it adds it in */
	c = fl_csum_fold(fl_csum_partial(d + start, pkt->len - start, 0));
	/* as the kernel does: 0 would mean "no checksum" to UDP, and ~0 is the
	 * same value in one's complement */
	fl_put_u16(d + start + off, c ? c : 0xffff);
	pkt->ol_flags &= (uint16_t)~FL_OL_CSUM_PARTIAL;
	return 0;
}

/* IPv6 header at l3 and the extension headers after it: find the L4 header. */
static int parse_ipv6(const uint8_t *f, size_t len, struct gso_layout *lo)
{
	const struct fl_ipv6_hdr *ip6;
	unsigned ofs, plen, i;
	uint8_t nh;

	if (lo->l3 + sizeof(*ip6) > len)
		return -EINVAL;
	ip6 = (const struct fl_ipv6_hdr *)(f + lo->l3);
	if ((f[lo->l3] >> 4) != 6)
		return -EINVAL;
	plen = fl_ntohs(fl_get_u16(&ip6->payload_len));
	/* 0 is a jumbogram (BIG TCP): larger than any frame handled here */
	if (plen == 0 || lo->l3 + 40u + plen > len)
		return -EINVAL;
	lo->end = lo->l3 + 40u + plen;
	nh = ip6->next_hdr;
	ofs = lo->l3 + 40u;
	for (i = 0; i < GSO_MAX_IP6_EXT; i++) {
		if (nh != FL_IPPROTO_HOPOPTS && nh != FL_IPPROTO_ROUTING &&
		    nh != FL_IPPROTO_DSTOPTS)
			break;
		if (ofs + 2u > lo->end)
			return -EINVAL;
		nh = f[ofs];
		ofs += (f[ofs + 1] + 1u) * 8u;
	}
	if (i == GSO_MAX_IP6_EXT || ofs > lo->end)
		return -EINVAL; /* a fragment header ends up here too: not TCP/UDP */
	lo->proto = nh;
	lo->l4 = ofs;
	lo->ipv6 = true;
	return 0;
}

static int parse_ipv4(const uint8_t *f, size_t len, struct gso_layout *lo)
{
	const struct fl_ipv4_hdr *ip;
	unsigned ihl, tot;

	if (lo->l3 + sizeof(*ip) > len)
		return -EINVAL;
	ip = (const struct fl_ipv4_hdr *)(f + lo->l3);
	ihl = (ip->ver_ihl & 0x0fu) * 4u;
	tot = fl_ntohs(fl_get_u16(&ip->tot_len));
	if ((ip->ver_ihl >> 4) != 4 || ihl < 20 || tot < ihl || lo->l3 + tot > len)
		return -EINVAL;
	/* a fragment cannot be segmented: its L4 header may be elsewhere */
	if (fl_ntohs(fl_get_u16(&ip->frag_off)) & (FL_IP4_MF | FL_IP4_OFFMASK))
		return -EINVAL;
	lo->end = lo->l3 + tot;
	lo->l4 = lo->l3 + ihl;
	lo->proto = ip->proto;
	lo->ipv6 = false;
	return 0;
}

/* Parse Ethernet, VLAN tags, IP and the L4 header; check they are what the
 * GSO type says. */
static int gso_parse(const uint8_t *f, size_t len, uint8_t gso, struct gso_layout *lo)
{
	unsigned ofs = FL_ETH_HLEN, vlans = 0, l4len;
	uint16_t type;
	int ret;

	if (len < FL_ETH_HLEN)
		return -EINVAL;
	type = fl_get_be16(f + 12);
	while (type == FL_ETH_TYPE_VLAN || type == FL_ETH_TYPE_QINQ) {
		if (++vlans > GSO_MAX_VLANS || ofs + FL_VLAN_HLEN > len)
			return -EINVAL;
		type = fl_get_be16(f + ofs + 2);
		ofs += FL_VLAN_HLEN;
	}
	lo->l3 = ofs;
	if (type == FL_ETH_TYPE_IPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6)
		ret = parse_ipv4(f, len, lo);
	else if (type == FL_ETH_TYPE_IPV6 && gso != VIRTIO_NET_HDR_GSO_TCPV4)
		ret = parse_ipv6(f, len, lo);
	else
		ret = -EINVAL;
	if (ret < 0)
		return ret;

	if (gso == VIRTIO_NET_HDR_GSO_UDP_L4) {
		if (lo->proto != FL_IPPROTO_UDP)
			return -EINVAL;
		l4len = sizeof(struct fl_udp_hdr);
	} else {
		if (lo->proto != FL_IPPROTO_TCP || lo->l4 + sizeof(struct fl_tcp_hdr) > lo->end)
			return -EINVAL;
		l4len = (unsigned)(f[lo->l4 + 12] >> 4) * 4u;
		if (l4len < sizeof(struct fl_tcp_hdr))
			return -EINVAL;
	}
	if (lo->l4 + l4len > lo->end)
		return -EINVAL;
	lo->hdr_len = lo->l4 + l4len;
	return 0;
}

/* Rewrite the headers of one segment of plen payload bytes: segment i of
 * n, starting `offset` payload bytes into the super frame. */
static void fix_segment(uint8_t *d, const struct gso_layout *lo, unsigned i, unsigned n,
			unsigned offset, unsigned plen)
{
	unsigned seg_end = lo->hdr_len + plen, l4len = seg_end - lo->l4;
	uint8_t *l4 = d + lo->l4;
	fl_be16 c;

	if (lo->ipv6) {
		struct fl_ipv6_hdr *ip6 = (struct fl_ipv6_hdr *)(d + lo->l3);

		fl_put_u16(&ip6->payload_len, fl_htons((uint16_t)(seg_end - lo->l3 - 40u)));
	} else {
		struct fl_ipv4_hdr *ip = (struct fl_ipv4_hdr *)(d + lo->l3);
		uint16_t id = fl_ntohs(fl_get_u16(&ip->id));

		fl_put_u16(&ip->tot_len, fl_htons((uint16_t)(seg_end - lo->l3)));
		fl_put_u16(&ip->id, fl_htons((uint16_t)(id + i)));
		fl_put_u16(&ip->csum, 0);
		fl_put_u16(&ip->csum, fl_ipv4_hdr_csum(ip, lo->l4 - lo->l3));
	}

	if (lo->proto == FL_IPPROTO_TCP) {
		struct fl_tcp_hdr *th = (struct fl_tcp_hdr *)l4;
		uint16_t of = fl_ntohs(fl_get_u16(&th->off_flags));

		fl_put_u32(&th->seq, fl_htonl(fl_get_be32(&th->seq) + offset));
		if (i + 1 < n)
			of &= (uint16_t)~(FL_TCP_FIN | FL_TCP_PSH);
		if (i > 0)
			of &= (uint16_t)~FL_TCP_CWR;
		fl_put_u16(&th->off_flags, fl_htons(of));
		fl_put_u16(&th->csum, 0);
	} else {
		struct fl_udp_hdr *uh = (struct fl_udp_hdr *)l4;

		fl_put_u16(&uh->len, fl_htons((uint16_t)l4len));
		fl_put_u16(&uh->csum, 0);
	}
	if (lo->ipv6) {
		const struct fl_ipv6_hdr *ip6 = (const struct fl_ipv6_hdr *)(d + lo->l3);

		c = fl_l4_csum_ipv6(ip6->src, ip6->dst, lo->proto, l4, l4len);
	} else {
		const struct fl_ipv4_hdr *ip = (const struct fl_ipv4_hdr *)(d + lo->l3);

		c = fl_l4_csum_ipv4(fl_get_u32(&ip->src), fl_get_u32(&ip->dst), lo->proto, l4,
				    l4len);
	}
	fl_put_u16(l4 + (lo->proto == FL_IPPROTO_TCP ? 16 : 6), c);
}

int fl_gso_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh,
		   struct fl_pool_cache *cache, struct fl_pkt **out, unsigned max_out)
{
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	unsigned mss = vh16(vh->gso_size), payload, n, i, got;
	struct gso_layout lo;
	int ret;

	if (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6 &&
	    gso != VIRTIO_NET_HDR_GSO_UDP_L4)
		return -EINVAL;
	if (mss == 0)
		return -EINVAL;
	ret = gso_parse(frame, len, gso, &lo);
	if (ret < 0)
		return ret;
	payload = lo.end - lo.hdr_len;
	/* a super frame with no payload still goes out, as one frame */
	n = payload ? (payload + mss - 1) / mss : 1;
	if (lo.hdr_len + FL_MIN(mss, payload) > FL_PKT_DATAROOM)
		return -EMSGSIZE;
	if (n > max_out || n > FL_GSO_MAX_SEGS)
		return -ENOSPC;
	got = fl_pool_get_burst(cache, out, n);
	if (got < n) {
		fl_pool_put_bulk(cache, out, got);
		return -ENOBUFS;
	}
	for (i = 0; i < n; i++) {
		unsigned offset = i * mss, plen = FL_MIN(mss, payload - offset);
		uint8_t *d = fl_pkt_data(out[i]);

		memcpy(d, frame, lo.hdr_len);
		memcpy(d + lo.hdr_len, frame + lo.hdr_len + offset, plen);
		out[i]->len = (uint16_t)(lo.hdr_len + plen);
		fix_segment(d, &lo, i, n, offset, plen);
	}
	return (int)n;
}
