/* The switch structure, shared by switch.c (workers, ports), switch_tick.c
 * (link monitor, rebalancing) and switch_dump.c (megaflow dumps, capture).
 * Control thread only. */
#ifndef FL_DATAPATH_SWITCH_PRIVATE_H
#define FL_DATAPATH_SWITCH_PRIVATE_H

#include <pthread.h>

#include "core/hash.h"
#include "core/ring.h"
#include "datapath/switch.h"

#define FL_SW_NO_WORKER 0xffffu

struct sw_worker {
	struct fl_worker *w;
	pthread_t thread;
};

/* What the switch knows of a port, by dp slot. */
struct sw_port {
	bool down;              /* queues off the workers, tx drops */
	uint64_t link_changes;
	uint64_t next_reopen_ns;
	uint16_t rxq_worker[FL_PORT_MAX_QUEUES];
	uint64_t rxq_cycles_mark[FL_PORT_MAX_QUEUES]; /* busy cycles at the last rebalance */
};

struct fl_switch {
	struct fl_dp *dp;
	struct fl_switch_params params;
	unsigned n_workers;
	struct sw_worker workers[FL_SWITCH_MAX_WORKERS];
	struct sw_port ports[FL_DP_MAX_PORTS];
	struct fl_capture *capture; /* the one running capture, or NULL */
	struct fl_toeplitz *toeplitz; /* RPS hash */
	unsigned rps_n;               /* workers the rings below connect; 0 = none */
	struct fl_ring *rps_ring[FL_SWITCH_MAX_WORKERS][FL_SWITCH_MAX_WORKERS]; /* [from][to] */
	uint64_t next_rebalance_ns;
};

int fl_switch__apply_rxqs(struct fl_switch *sw);
void fl_switch__remove_port(struct fl_switch *sw, struct fl_port *port);
void fl_switch__capture_detach(struct fl_switch *sw);
void fl_switch__rps_configure(struct fl_switch *sw);
void fl_switch__rps_free(struct fl_switch *sw);

/* capture.c */
struct fl_capture *fl_capture_create(const struct fl_port *port, unsigned dir,
				     const char *filter, uint64_t max_packets, unsigned snaplen,
				     unsigned n_rings, char *err, size_t errlen);
struct fl_capture_ring *fl_capture_ring(struct fl_capture *c, unsigned i);
const struct fl_port *fl_capture_port(const struct fl_capture *c);
void fl_capture_free(struct fl_capture *c);

#endif
