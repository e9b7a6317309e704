/* Header rewrites with incremental checksum updates (see rewrite.h). */
#include "proto/rewrite.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "proto/csum.h"
#include "proto/headers.h"

static inline fl_be32 merge32(fl_be32 old, fl_be32 val, fl_be32 mask)
{
	return (old & ~mask) | (val & mask);
}

/* Pointer to the L4 checksum field of a frame whose L4 header is present,
 * or NULL (later fragment, no checksum for this protocol, frame too short). */
static uint8_t *l4_csum_field(struct fl_pkt *pkt, uint8_t proto)
{
	unsigned ofs;

	if (pkt->l4_ofs == FL_OFS_NONE)
		return NULL;
	switch (proto) {
	case FL_IPPROTO_TCP:
		ofs = 16;
		break;
	case FL_IPPROTO_UDP:
		ofs = 6;
		break;
	case FL_IPPROTO_ICMPV6:
		ofs = 2;
		break;
	default:
		return NULL;
	}
	if ((unsigned)pkt->l4_ofs + ofs + 2 > pkt->len)
		return NULL;
	return fl_pkt_data(pkt) + pkt->l4_ofs + ofs;
}

/* Apply a checksum change to an L4 checksum field, keeping UDP's rule that
 * zero means "no checksum" (leave it) and a computed zero is sent as 0xffff. */
static void l4_csum_store(uint8_t *field, uint8_t proto, fl_be16 old, fl_be16 updated)
{
	if (proto == FL_IPPROTO_UDP) {
		if (old == 0)
			return;
		if (updated == 0)
			updated = 0xffff;
	}
	fl_put_u16(field, updated);
}

/* With an offloaded checksum (FL_OL_CSUM_PARTIAL, from a TAP or AF_PACKET
 * port's virtio-net header) the L4 checksum field holds the folded sum of
 * the pseudo-header alone, not complemented, and whoever completes it adds
 * the L4 header and payload. Ports are not in the pseudo-header, so a port
 * rewrite leaves the field alone; an address rewrite updates the partial
 * sum, which is the incremental update of its complement. */
static inline bool csum_partial(const struct fl_pkt *pkt)
{
	return (pkt->ol_flags & FL_OL_CSUM_PARTIAL) != 0;
}

int fl_rewrite_eth(struct fl_pkt *pkt, const uint8_t src[6], const uint8_t src_mask[6],
		   const uint8_t dst[6], const uint8_t dst_mask[6])
{
	uint8_t *eth = fl_pkt_data(pkt);
	unsigned i;

	if (pkt->len < FL_ETH_HLEN)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		eth[i] = (uint8_t)((eth[i] & ~dst_mask[i]) | (dst[i] & dst_mask[i]));
		eth[6 + i] = (uint8_t)((eth[6 + i] & ~src_mask[i]) | (src[i] & src_mask[i]));
	}
	return 0;
}

static uint8_t *ipv4_header(struct fl_pkt *pkt)
{
	uint8_t *ip;

	if (pkt->l3_ofs == FL_OFS_NONE || (unsigned)pkt->l3_ofs + 20 > pkt->len)
		return NULL;
	ip = fl_pkt_data(pkt) + pkt->l3_ofs;
	return (ip[0] >> 4) == 4 ? ip : NULL;
}

static uint8_t *ipv6_header(struct fl_pkt *pkt)
{
	uint8_t *ip;

	if (pkt->l3_ofs == FL_OFS_NONE || (unsigned)pkt->l3_ofs + 40 > pkt->len)
		return NULL;
	ip = fl_pkt_data(pkt) + pkt->l3_ofs;
	return (ip[0] >> 4) == 6 ? ip : NULL;
}

int fl_rewrite_ipv4(struct fl_pkt *pkt, uint8_t proto, fl_be32 src, fl_be32 src_mask,
		    fl_be32 dst, fl_be32 dst_mask, uint8_t tos, uint8_t tos_mask, uint8_t ttl,
		    uint8_t ttl_mask)
{
	uint8_t *ip = ipv4_header(pkt), *l4sum = l4_csum_field(pkt, proto);
	fl_be32 old_src, old_dst, new_src, new_dst;
	fl_be16 csum, l4_old = 0, l4 = 0;

	if (!ip)
		return -EINVAL;
	old_src = fl_get_u32(ip + 12);
	old_dst = fl_get_u32(ip + 16);
	new_src = merge32(old_src, src, src_mask);
	new_dst = merge32(old_dst, dst, dst_mask);
	csum = fl_get_u16(ip + 10);
	if (l4sum && proto != FL_IPPROTO_ICMPV6)
		l4 = l4_old = fl_get_u16(l4sum);
	if (csum_partial(pkt))
		l4 = (fl_be16)~l4;
	if (new_src != old_src) {
		csum = fl_csum_update32(csum, old_src, new_src);
		l4 = fl_csum_update32(l4, old_src, new_src);
		fl_put_u32(ip + 12, new_src);
	}
	if (new_dst != old_dst) {
		csum = fl_csum_update32(csum, old_dst, new_dst);
		l4 = fl_csum_update32(l4, old_dst, new_dst);
		fl_put_u32(ip + 16, new_dst);
	}
	if (tos_mask) {
		fl_be16 old_word = fl_get_u16(ip), new_word;

		ip[1] = (uint8_t)((ip[1] & ~tos_mask) | (tos & tos_mask));
		new_word = fl_get_u16(ip);
		csum = fl_csum_update16(csum, old_word, new_word);
	}
	if (ttl_mask) {
		fl_be16 old_word = fl_get_u16(ip + 8);

		ip[8] = (uint8_t)((ip[8] & ~ttl_mask) | (ttl & ttl_mask));
		csum = fl_csum_update16(csum, old_word, fl_get_u16(ip + 8));
	}
	fl_put_u16(ip + 10, csum);
	if (l4sum && proto != FL_IPPROTO_ICMPV6 && (new_src != old_src || new_dst != old_dst)) {
		if (csum_partial(pkt))
			fl_put_u16(l4sum, (fl_be16)~l4);
		else
			l4_csum_store(l4sum, proto, l4_old, l4);
	}
	return 0;
}

int fl_rewrite_ipv6(struct fl_pkt *pkt, uint8_t proto, const uint8_t src[16],
		    const uint8_t src_mask[16], const uint8_t dst[16], const uint8_t dst_mask[16],
		    uint8_t tclass, uint8_t tclass_mask, uint8_t hlimit, uint8_t hlimit_mask)
{
	uint8_t *ip = ipv6_header(pkt), *l4sum = l4_csum_field(pkt, proto);
	uint8_t new_addr[16];
	fl_be16 l4_old = 0, l4 = 0;
	bool changed = false;
	unsigned i, a;

	if (!ip)
		return -EINVAL;
	if (l4sum)
		l4 = l4_old = fl_get_u16(l4sum);
	if (csum_partial(pkt))
		l4 = (fl_be16)~l4;
	for (a = 0; a < 2; a++) {
		uint8_t *old = ip + 8 + 16 * a;
		const uint8_t *val = a ? dst : src, *mask = a ? dst_mask : src_mask;

		for (i = 0; i < 16; i++)
			new_addr[i] = (uint8_t)((old[i] & ~mask[i]) | (val[i] & mask[i]));
		if (memcmp(new_addr, old, 16) == 0)
			continue;
		l4 = fl_csum_update128(l4, old, new_addr);
		memcpy(old, new_addr, 16);
		changed = true;
	}
	if (tclass_mask) {
		/* traffic class: low nibble of byte 0, high nibble of byte 1 */
		uint8_t tc = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);

		tc = (uint8_t)((tc & ~tclass_mask) | (tclass & tclass_mask));
		ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
		ip[1] = (uint8_t)((ip[1] & 0x0f) | (tc & 0x0f) << 4);
	}
	if (hlimit_mask)
		ip[7] = (uint8_t)((ip[7] & ~hlimit_mask) | (hlimit & hlimit_mask));
	if (l4sum && changed) {
		if (csum_partial(pkt))
			fl_put_u16(l4sum, (fl_be16)~l4);
		else
			l4_csum_store(l4sum, proto, l4_old, l4);
	}
	return 0;
}

int fl_rewrite_l4_ports(struct fl_pkt *pkt, uint8_t proto, fl_be16 src, fl_be16 src_mask,
			fl_be16 dst, fl_be16 dst_mask)
{
	uint8_t *l4sum = l4_csum_field(pkt, proto), *l4;
	fl_be16 old_src, old_dst, new_src, new_dst, sum;

	if ((proto != FL_IPPROTO_TCP && proto != FL_IPPROTO_UDP) || !l4sum)
		return -EINVAL;
	l4 = fl_pkt_data(pkt) + pkt->l4_ofs;
	old_src = fl_get_u16(l4);
	old_dst = fl_get_u16(l4 + 2);
	new_src = (fl_be16)((old_src & ~src_mask) | (src & src_mask));
	new_dst = (fl_be16)((old_dst & ~dst_mask) | (dst & dst_mask));
	sum = fl_get_u16(l4sum);
	fl_put_u16(l4, new_src);
	fl_put_u16(l4 + 2, new_dst);
	if (csum_partial(pkt))
		return 0; /* the ports are summed when the checksum is completed */
	l4_csum_store(l4sum, proto, sum,
		      fl_csum_update16(fl_csum_update16(sum, old_src, new_src), old_dst, new_dst));
	return 0;
}

int fl_rewrite_dec_ttl(struct fl_pkt *pkt)
{
	uint8_t *ip;

	ip = ipv4_header(pkt);
	if (ip) {
		fl_be16 old_word = fl_get_u16(ip + 8);

		if (ip[8] == 0)
			return 0;
		ip[8]--;
		fl_put_u16(ip + 10, fl_csum_update16(fl_get_u16(ip + 10), old_word,
						      fl_get_u16(ip + 8)));
		return 0;
	}
	ip = ipv6_header(pkt);
	if (!ip)
		return -EINVAL;
	if (ip[7])
		ip[7]--;
	return 0;
}

static void shift_offsets(struct fl_pkt *pkt, int delta)
{
	if (pkt->l3_ofs != FL_OFS_NONE)
		pkt->l3_ofs = (uint16_t)(pkt->l3_ofs + delta);
	if (pkt->l4_ofs != FL_OFS_NONE)
		pkt->l4_ofs = (uint16_t)(pkt->l4_ofs + delta);
	if (pkt->l7_ofs != FL_OFS_NONE)
		pkt->l7_ofs = (uint16_t)(pkt->l7_ofs + delta);
	if (csum_partial(pkt))
		pkt->csum_start = (uint16_t)(pkt->csum_start + delta);
}

static bool is_vlan_tpid(fl_be16 type)
{
	return type == fl_htons(FL_ETH_TYPE_VLAN) || type == fl_htons(FL_ETH_TYPE_QINQ);
}

int fl_vlan_push(struct fl_pkt *pkt, fl_be16 tpid, fl_be16 tci)
{
	uint8_t *eth;

	if (pkt->len < FL_ETH_HLEN)
		return -EINVAL;
	eth = fl_pkt_prepend(pkt, FL_VLAN_HLEN);
	if (!eth)
		return -ENOSPC;
	memmove(eth, eth + FL_VLAN_HLEN, 2 * FL_ETH_ADDR_LEN);
	fl_put_u16(eth + 12, tpid);
	fl_put_u16(eth + 14, tci);
	pkt->l2_5_ofs = 12;
	shift_offsets(pkt, FL_VLAN_HLEN);
	return 0;
}

int fl_vlan_pop(struct fl_pkt *pkt)
{
	uint8_t *eth = fl_pkt_data(pkt);

	if (pkt->len < FL_ETH_HLEN + FL_VLAN_HLEN || !is_vlan_tpid(fl_get_u16(eth + 12)))
		return -EINVAL;
	memmove(eth + FL_VLAN_HLEN, eth, 2 * FL_ETH_ADDR_LEN);
	eth = fl_pkt_pull(pkt, FL_VLAN_HLEN);
	pkt->l2_5_ofs = is_vlan_tpid(fl_get_u16(eth + 12)) && pkt->len >= FL_ETH_HLEN + 4
				? 12
				: FL_OFS_NONE;
	shift_offsets(pkt, -(int)FL_VLAN_HLEN);
	return 0;
}

int fl_vlan_set_tci(struct fl_pkt *pkt, fl_be16 tci, fl_be16 mask)
{
	uint8_t *eth = fl_pkt_data(pkt);
	fl_be16 old;

	if (pkt->len < FL_ETH_HLEN + FL_VLAN_HLEN || !is_vlan_tpid(fl_get_u16(eth + 12)))
		return -EINVAL;
	old = fl_get_u16(eth + 14);
	fl_put_u16(eth + 14, (fl_be16)((old & ~mask) | (tci & mask)));
	return 0;
}
