/* RSS hash of a raw frame (rss.h). */
#include "proto/rss.h"

#include "core/byteorder.h"
#include "proto/headers.h"

uint32_t fl_rss_frame(const struct fl_toeplitz *t, const uint8_t *frame, unsigned len)
{
	unsigned off = 12, tags;
	uint16_t type;

	if (len < 14)
		return 0;
	type = fl_get_be16(frame + off);
	for (tags = 0; tags < 2 && (type == FL_ETH_TYPE_VLAN || type == FL_ETH_TYPE_QINQ); tags++) {
		off += 4;
		if (off + 2 > len)
			return 0;
		type = fl_get_be16(frame + off);
	}
	off += 2;
	if (type == FL_ETH_TYPE_IPV4 && off + 20 <= len) {
		const uint8_t *ip = frame + off;
		unsigned ihl = (ip[0] & 0xfu) * 4u;
		bool frag = (fl_get_be16(ip + 6) & 0x3fffu) != 0;
		fl_be32 src = fl_get_u32(ip + 12), dst = fl_get_u32(ip + 16);

		if (!frag && ihl >= 20 && (ip[9] == FL_IPPROTO_TCP || ip[9] == FL_IPPROTO_UDP) &&
		    off + ihl + 4 <= len)
			return fl_rss_ipv4(t, src, dst, fl_get_u16(ip + ihl), fl_get_u16(ip + ihl + 2),
					   true);
		return fl_rss_ipv4(t, src, dst, 0, 0, false);
	}
	if (type == FL_ETH_TYPE_IPV6 && off + 40 <= len) {
		const uint8_t *ip = frame + off;

		if ((ip[6] == FL_IPPROTO_TCP || ip[6] == FL_IPPROTO_UDP) && off + 44 <= len)
			return fl_rss_ipv6(t, ip + 8, ip + 24, fl_get_u16(ip + 40),
					   fl_get_u16(ip + 42), true);
		return fl_rss_ipv6(t, ip + 8, ip + 24, 0, 0, false);
	}
	return fl_crc32c(frame, 12, 0);
}
