/* What port_afpacket.c (setup) and port_afpacket_rxtx.c (the data path)
 * share: per-queue state and ring geometry. See port_afpacket.c for the
 * design.
 *
 * Ring memory (mmap'd, shared with the kernel), block_nr blocks of
 * block_size bytes:
 *
 *   V2  block: | frame 0 | frame 1 | ... | frame fpb-1 | slack |
 *       frame: | tpacket2_hdr | sockaddr_ll | pad | virtio_net_hdr | data |
 *              tp_status: kernel -> user when written (TP_STATUS_USER),
 *              user -> kernel when released (TP_STATUS_KERNEL)
 *   V3  block: | tpacket_block_desc | pkt | pkt | ... (tp_next_offset) |
 *              block_status: whole block handed over and back at once
 *
 * Ownership: a queue belongs to the thread serving it (rx and tx state); the
 * socket, ring and kernel_drops are changed only by the control thread
 * (open, reopen, close, stats) while no worker uses the queue.
 */
#ifndef FL_PORT_AFPACKET_PRIVATE_H
#define FL_PORT_AFPACKET_PRIVATE_H

#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/log.h"
#include "port/port.h"
#include "proto/gso.h"

#define FL_LOG_MODULE "port_afpacket"

/* Which ring when rx= is not given: see the latency figures in port_afpacket.c. */
#define AFP_RX_V3_DEFAULT false

/* V2: a slot holds the tpacket header (76 bytes before the frame with the
 * virtio-net header) and a full buffer's worth of frame. */
#define AFP_V2_FRAME_SIZE 2176u
#define AFP_V2_BLOCK_SIZE (1u << 16) /* 30 slots */
#define AFP_V2_BLOCK_NR 68u          /* 2040 slots, 4.3 MiB */
/* V3: a block must hold a 64 KiB GSO frame with its headers. */
#define AFP_V3_BLOCK_SIZE (1u << 17)
#define AFP_V3_BLOCK_NR 32u          /* 4 MiB */
#define AFP_V3_FRAME_SIZE 2048u
#define AFP_V3_TOV_MS 1u
/* V2 frames too large for a slot are read with recvmsg into this. */
#define AFP_BIG_SIZE (65536u + 256u)

#define AFP_MTU_MIN 68u
#define AFP_MTU_MAX (FL_PKT_DATAROOM - 18u)
#define AFP_TX_MAX 64u
#define AFP_ERR_CHECK_POLLS 1024u

struct afp_queue {
	/* --- the serving thread --- */
	uint8_t *ring;            /* NULL while closed */
	unsigned blk;             /* V2: block of the next slot; V3: current block */
	unsigned slot;            /* V2: slot within blk */
	unsigned v3_left;         /* V3: frames left in the current block */
	uint8_t *v3_next;         /* V3: next frame in the current block */
	unsigned idle_polls;      /* empty polls since the last SO_ERROR read */
	unsigned stash_head, stash_len; /* segments waiting for the next burst */
	int fd;                   /* -1 while closed */
	/* geometry, set with the ring */
	size_t ring_len;
	unsigned block_size, block_nr, frame_size, frames_per_block;
	uint8_t *big;             /* V2: recvmsg buffer, AFP_BIG_SIZE */
	/* --- the control thread --- */
	uint64_t kernel_drops;    /* PACKET_STATISTICS tp_drops, accumulated */
	/* --- tx (the thread serving the tx queue) --- */
	struct mmsghdr msgs[AFP_TX_MAX];
	struct iovec iov[AFP_TX_MAX][2];
	struct virtio_net_hdr vh[AFP_TX_MAX];
	struct fl_pkt *stash[FL_GSO_MAX_SEGS];
} FL_CACHE_ALIGNED;

struct afp_priv {
	char ifname[IFNAMSIZ];
	int ifindex;              /* the sockets are bound to this one */
	bool v3;
	bool mtu_from_iface;      /* no mtu= given: follow the interface */
	bool pending;             /* opened while down: bound for nothing until reopen */
	bool down_reported;       /* link_up: "down" said since the last reopen/up */
	uint16_t fanout_id;
	unsigned n_queues;
	int ctl_fd;               /* interface ioctls */
	struct afp_queue *q;      /* n_queues */
};

void afp_tx_init(struct afp_queue *q);
unsigned afp_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
		      struct fl_pkt **pkts, unsigned n);
unsigned afp_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
		      struct fl_pkt **pkts, unsigned n);

#endif
