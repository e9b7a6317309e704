/* libFuzzer target for virtio-net headers and software segmentation
 * (proto/gso): what a TAP or AF_PACKET port does with a frame and the
 * virtio-net header in front of it. On a TAP port both come from whoever
 * writes to the device, so any bytes are possible.
 *
 * Input: a struct virtio_net_hdr (10 bytes), then the frame. The frame is
 * copied to an allocation of exactly its size, so ASan reports any read past
 * its end. Besides the sanitizers, checks against simple reference models:
 *   fl_gso_segment  an error is one of those documented and leaves no buffer
 *                   taken; on success every segment but the last carries
 *                   gso_size bytes of payload, the payloads in order are the
 *                   frame's, and each segment's TCP or UDP checksum verifies
 *                   (a reference one's-complement sum over the pseudo
 *                   header), wherever fl_parse finds the same L4 header
 *   fl_vnet_hdr_to_pkt / fl_vnet_hdr_from_pkt
 *                   an accepted header comes back out with the same
 *                   checksum request and GSO type and size
 *   fl_csum_complete
 *                   never fails on a header fl_vnet_hdr_to_pkt accepted,
 *                   and writes the reference sum over [csum_start, end)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/pool.h"
#include "proto/gso.h"
#include "proto/parse.h"
#include "../unit/ref_csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct fl_pool *pool;
static struct fl_pool_cache cache;
static struct fl_pkt *segs[FL_GSO_MAX_SEGS];

static uint16_t le16(uint16_t v)
{
	const uint8_t *b = (const uint8_t *)&v;

	return (uint16_t)(b[0] | b[1] << 8);
}

/* ---- segmentation ------------------------------------------------------------ */

static void check_pool_full(void)
{
	struct fl_pool_stats st;

	fl_pool_cache_flush(&cache);
	fl_pool_get_stats(pool, &st);
	CHECK(st.in_ring == pool->n_bufs);
}

/* The TCP or UDP checksum of a segment verifies, if fl_parse finds its L4
 * header where the segment's payload says it ends (hdr_len; 0: unknown). */
static void check_l4_csum(struct fl_pkt *seg, bool tcp, unsigned hdr_len)
{
	const uint8_t *d = fl_pkt_cdata(seg);
	unsigned l3, l4, l4_len, end = seg->len;
	struct fl_key key;
	uint32_t acc;

	fl_parse(seg, &key);
	l3 = seg->l3_ofs;
	l4 = seg->l4_ofs;
	if (l3 == FL_OFS_NONE || l4 == FL_OFS_NONE || l4 + (tcp ? 20u : 8u) > end)
		return;
	l4_len = tcp ? (unsigned)(d[l4 + 12] >> 4) * 4u : 8u;
	if (hdr_len && l4 + l4_len != hdr_len)
		return; /* the parsers disagree on where L4 is: nothing to compare */
	if ((d[l3] >> 4) == 4)
		acc = ref_csum_add(d + l3 + 12, 8, 0);
	else if ((d[l3] >> 4) == 6)
		acc = ref_csum_add(d + l3 + 8, 32, 0);
	else
		return;
	acc += (tcp ? 6u : 17u) + (end - l4);
	acc = ref_csum_add(d + l4, end - l4, acc);
	CHECK(ref_csum_fold(acc) == 0xffff);
}

static void fuzz_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh)
{
	unsigned mss = le16(vh->gso_size), hdr = 0, i, off = 0;
	bool tcp = (vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_UDP_L4;
	int n = fl_gso_segment(frame, len, vh, &cache, segs, FL_GSO_MAX_SEGS);

	if (n < 0) {
		CHECK(n == -EINVAL || n == -EMSGSIZE || n == -ENOSPC || n == -ENOBUFS);
		check_pool_full();
		return;
	}
	CHECK(n >= 1 && (unsigned)n <= FL_GSO_MAX_SEGS && mss > 0);
	if (n > 1) {
		CHECK(segs[0]->len > mss);
		hdr = segs[0]->len - mss;
	}
	for (i = 0; i < (unsigned)n; i++) {
		const uint8_t *d = fl_pkt_cdata(segs[i]);
		unsigned plen;

		CHECK(segs[i]->len <= FL_PKT_DATAROOM);
		if (hdr) {
			CHECK(segs[i]->len > hdr || (i == 0 && segs[i]->len == hdr));
			plen = segs[i]->len - hdr;
			CHECK(i + 1 == (unsigned)n ? plen <= mss : plen == mss);
			CHECK(hdr + off + plen <= len);
			CHECK(!memcmp(d + hdr, frame + hdr + off, plen));
			CHECK(!memcmp(d, frame, 12)); /* the MAC addresses */
			off += plen;
		}
		check_l4_csum(segs[i], tcp, hdr);
	}
	fl_pool_put_bulk(&cache, segs, (unsigned)n);
	check_pool_full();
}

/* ---- headers on a frame that fits a buffer ------------------------------------ */

static void fuzz_vnet_hdr(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh)
{
	struct virtio_net_hdr out;
	struct fl_pkt *pkt;
	struct fl_key key;
	unsigned start, off;
	uint16_t want;
	void *mem;
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (len > FL_PKT_DATAROOM || posix_memalign(&mem, FL_CACHE_LINE, sizeof(*pkt) + len))
		return;
	pkt = mem;
	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	pkt->data_off = sizeof(*pkt);
	pkt->len = (uint16_t)len;
	if (len)
		memcpy(fl_pkt_data(pkt), frame, len);
	fl_parse(pkt, &key);
	if (fl_vnet_hdr_to_pkt(vh, pkt) < 0) {
		free(mem);
		return;
	}
	CHECK(fl_gso_hdr_len(pkt) <= pkt->len);
	fl_vnet_hdr_from_pkt(pkt, &out);
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		CHECK(out.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
		CHECK(out.csum_start == vh->csum_start && out.csum_offset == vh->csum_offset);
	}
	CHECK(out.gso_type == gso);
	CHECK(gso == VIRTIO_NET_HDR_GSO_NONE || out.gso_size == vh->gso_size);

	start = pkt->csum_start;
	off = pkt->csum_offset;
	CHECK(fl_csum_complete(pkt) == 0);
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* the field held the pseudo-header sum: the sum over the rest
		 * with it, complemented, is the checksum (0 sent as 0xffff) */
		want = (uint16_t)~ref_csum_fold(ref_csum_add(frame + start, len - start, 0));
		if (!want)
			want = 0xffff;
		CHECK(!(pkt->ol_flags & FL_OL_CSUM_PARTIAL));
		CHECK(fl_pkt_cdata(pkt)[start + off] == want >> 8 &&
		      fl_pkt_cdata(pkt)[start + off + 1] == (want & 0xff));
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr vh;
	uint8_t *frame;
	size_t len;

	if (!pool) {
		struct fl_pool_params params = {.name = "fuzz_gso", .n_bufs = 2 * FL_GSO_MAX_SEGS,
						.huge = FL_POOL_HUGE_NEVER};

		pool = fl_pool_create(&params);
		if (!pool)
			abort();
		fl_pool_cache_init(&cache, pool, 0);
	}
	if (size < sizeof(vh))
		return 0;
	memcpy(&vh, data, sizeof(vh));
	len = size - sizeof(vh);
	if (len > 65535)
		len = 65535;
	frame = malloc(len ? len : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + sizeof(vh), len);
	fuzz_segment(frame, len, &vh);
	fuzz_vnet_hdr(frame, len, &vh);
	free(frame);
	return 0;
}
