/* Packet buffers: fixed-size slots in one contiguous region.
 *
 * Every packet flowlane touches lives in a slot of a region allocated once at
 * start (core/pool.c). A slot is addressable by its index, so a port backend
 * can describe a buffer to the kernel as an offset (AF_XDP UMEM) and a ring can
 * carry either a pointer or an index.
 *
 *   slot i = region + i * FL_PKT_SLOT_SIZE
 *   +----------------+----------------+---------------------------------+
 *   | struct fl_pkt  |   headroom     |           data room             |
 *   |   128 B        |   128 B        |           2048 B                |
 *   +----------------+----------------+---------------------------------+
 *   0                128              256                          2304
 *
 * The data room starts 256 bytes into the slot, which is also where the kernel
 * writes a received frame when the slot is handed to AF_XDP (XDP_PACKET_HEADROOM
 * is 256): the same region can be the UMEM without moving anything. The
 * headroom lets encapsulation (VLAN push, VXLAN) prepend without a copy.
 *
 * Ownership: a packet is owned by exactly one party at a time — the pool, a
 * port backend, or the worker that received it. Whoever owns it may write any
 * field; nothing here is shared between threads.
 */
#ifndef FL_CORE_PKT_H
#define FL_CORE_PKT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/compiler.h"

#define FL_PKT_META_SIZE 128u
#define FL_PKT_HEADROOM 128u
#define FL_PKT_DATAROOM 2048u
#define FL_PKT_SLOT_SIZE (FL_PKT_META_SIZE + FL_PKT_HEADROOM + FL_PKT_DATAROOM)

/* Big buffers: the same layout with a 64 KiB data room, from a small
 * companion pool (fl_pool_get_big), for frames that carry segmentation
 * offload (a TSO/GSO super-frame from a TAP or AF_PACKET port) through the
 * switch whole instead of being cut into MTU-sized frames. A frame length is
 * 16 bits, so the largest frame is 65535 bytes. */
#define FL_PKT_BIG_DATAROOM 65536u
#define FL_PKT_BIG_SLOT_SIZE (FL_PKT_META_SIZE + FL_PKT_HEADROOM + FL_PKT_BIG_DATAROOM)

/* Offset of an absent header in the parsed-offset fields. */
#define FL_OFS_NONE 0xffffu

/* Offload flags (pkt->ol_flags): what the receiver or an earlier stage knows
 * about checksums and segmentation, so a port that can pass it on (virtio-net
 * header on TAP/AF_PACKET) does not recompute or resegment. */
enum {
	FL_OL_CSUM_PARTIAL = 1u << 0, /* L4 checksum to complete: csum_start/offset */
	FL_OL_CSUM_GOOD = 1u << 1,    /* L4 checksum verified by the sender */
	FL_OL_GSO_TCP4 = 1u << 2,     /* segment as TCPv4 with gso_size */
	FL_OL_GSO_TCP6 = 1u << 3,
	FL_OL_GSO_UDP = 1u << 4,
	FL_OL_RSS_VALID = 1u << 5,    /* rss_hash holds a Toeplitz hash */
};

#define FL_OL_GSO_MASK (FL_OL_GSO_TCP4 | FL_OL_GSO_TCP6 | FL_OL_GSO_UDP)
/* Work a port must do, or have done for it, before the frame goes out. */
#define FL_OL_TX_WORK (FL_OL_CSUM_PARTIAL | FL_OL_GSO_MASK)

struct fl_pkt {
	/* --- cache line 0: what rx writes and the fast path reads --- */
	uint32_t idx;      /* slot index in the region; constant */
	uint16_t data_off; /* start of the frame, from the slot start */
	uint16_t len;      /* frame length in bytes */
	uint32_t in_port;  /* port number the frame arrived on */
	uint32_t rss_hash; /* Toeplitz hash, valid with FL_OL_RSS_VALID */
	uint16_t ol_flags; /* FL_OL_* */
	uint16_t l2_5_ofs; /* first VLAN tag, FL_OFS_NONE if untagged */
	uint16_t l3_ofs;   /* network header, FL_OFS_NONE if none parsed */
	uint16_t l4_ofs;   /* transport header, FL_OFS_NONE if none parsed */
	uint16_t l7_ofs;   /* transport payload (VXLAN header for VXLAN) */
	uint16_t queue;    /* rx queue the frame arrived on */
	uint32_t flow_hash; /* hash of the flow key, for the flow caches */
	uint64_t timestamp; /* ns, CLOCK_MONOTONIC or capture time; 0 if unknown */
	uint8_t state;      /* FL_PKT_STATE_*: debug double-free detection */
	uint8_t big;        /* a big buffer (FL_PKT_BIG_SLOT_SIZE); constant */
	uint8_t cl0_spare[22];

	/* --- cache line 1: offload metadata and per-stage scratch --- */
	uint16_t gso_size;     /* MSS to segment with (FL_OL_GSO_*) */
	uint16_t csum_start;   /* from the frame start (FL_OL_CSUM_PARTIAL) */
	uint16_t csum_offset;  /* from csum_start */
	uint16_t out_port_hint; /* scratch: decided output, for stages that pass it on */
	uint32_t pool_id;       /* owning pool, checked in debug builds */
	void *owner;            /* big buffers: the pool to return to (core/pool.c) */
	uint8_t cl1_spare[40];
} FL_ALIGNED(64);

enum {
	FL_PKT_STATE_FREE = 0xf5,
	FL_PKT_STATE_USED = 0xa7,
};

_Static_assert(sizeof(struct fl_pkt) == FL_PKT_META_SIZE, "metadata is two cache lines");
_Static_assert(FL_PKT_SLOT_SIZE % 64 == 0, "slots stay cache-line aligned");
_Static_assert(FL_PKT_META_SIZE + FL_PKT_HEADROOM == 256, "data room at XDP_PACKET_HEADROOM");

/* First byte of the slot's buffer area (headroom start). */
static inline uint8_t *fl_pkt_buf(struct fl_pkt *pkt)
{
	return (uint8_t *)pkt;
}

/* First byte of the frame. */
static inline uint8_t *fl_pkt_data(struct fl_pkt *pkt)
{
	return (uint8_t *)pkt + pkt->data_off;
}

static inline const uint8_t *fl_pkt_cdata(const struct fl_pkt *pkt)
{
	return (const uint8_t *)pkt + pkt->data_off;
}

/* Bytes free in front of the frame (usable by fl_pkt_prepend). */
static inline unsigned fl_pkt_headroom(const struct fl_pkt *pkt)
{
	return pkt->data_off - FL_PKT_META_SIZE;
}

/* Bytes the data room holds (2 KiB, or 64 KiB for a big buffer). */
static inline unsigned fl_pkt_dataroom(const struct fl_pkt *pkt)
{
	return pkt->big ? FL_PKT_BIG_DATAROOM : FL_PKT_DATAROOM;
}

/* Bytes free after the frame. */
static inline unsigned fl_pkt_tailroom(const struct fl_pkt *pkt)
{
	unsigned end = pkt->big ? FL_PKT_BIG_SLOT_SIZE : FL_PKT_SLOT_SIZE;

	return end - pkt->data_off - pkt->len;
}

/* Reset the per-packet fields a new frame must not inherit. Called by pool
 * get, so every buffer a backend receives into starts clean. */
static inline void fl_pkt_reset(struct fl_pkt *pkt)
{
	pkt->data_off = FL_PKT_META_SIZE + FL_PKT_HEADROOM;
	pkt->len = 0;
	pkt->in_port = 0;
	pkt->rss_hash = 0;
	pkt->ol_flags = 0;
	pkt->l2_5_ofs = FL_OFS_NONE;
	pkt->l3_ofs = FL_OFS_NONE;
	pkt->l4_ofs = FL_OFS_NONE;
	pkt->l7_ofs = FL_OFS_NONE;
	pkt->queue = 0;
	pkt->timestamp = 0;
	pkt->flow_hash = 0;
}

/* Grow the frame at the front by n bytes; NULL if the headroom is too small. */
static inline uint8_t *fl_pkt_prepend(struct fl_pkt *pkt, unsigned n)
{
	if (FL_UNLIKELY(n > fl_pkt_headroom(pkt)))
		return NULL;
	pkt->data_off -= n;
	pkt->len += n;
	return fl_pkt_data(pkt);
}

/* Shrink the frame at the front by n bytes; NULL if shorter than n. */
static inline uint8_t *fl_pkt_pull(struct fl_pkt *pkt, unsigned n)
{
	if (FL_UNLIKELY(n > pkt->len))
		return NULL;
	pkt->data_off += n;
	pkt->len -= n;
	return fl_pkt_data(pkt);
}

/* Grow the frame at the end by n bytes; returns the first new byte or NULL. */
static inline uint8_t *fl_pkt_append(struct fl_pkt *pkt, unsigned n)
{
	uint8_t *tail;

	if (FL_UNLIKELY(n > fl_pkt_tailroom(pkt)))
		return NULL;
	tail = fl_pkt_data(pkt) + pkt->len;
	pkt->len += n;
	return tail;
}

/* Replace the frame with a copy of len bytes; returns 0 or -EMSGSIZE. */
static inline int fl_pkt_set_data(struct fl_pkt *pkt, const void *data, unsigned len)
{
	if (FL_UNLIKELY(len > fl_pkt_dataroom(pkt) || len > UINT16_MAX))
		return -EMSGSIZE;
	pkt->data_off = FL_PKT_META_SIZE + FL_PKT_HEADROOM;
	pkt->len = (uint16_t)len;
	memcpy(fl_pkt_data(pkt), data, len);
	return 0;
}

#endif
