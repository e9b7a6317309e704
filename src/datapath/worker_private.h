/* The worker structure, shared by the poll loop (worker.c) and the batch
 * path through the caches (fastpath.c). Everything here is owned by the
 * worker's thread; other threads only read counters. */
#ifndef FL_DATAPATH_WORKER_PRIVATE_H
#define FL_DATAPATH_WORKER_PRIVATE_H

#include <stdatomic.h>

#include "datapath/dp.h"
#include "datapath/txbuf.h"

struct fl_rxq_ref {
	struct fl_port *port;
	unsigned queue;
};

struct fl_worker {
	struct fl_dp *dp;
	unsigned id;
	atomic_bool stop;
	int epfd;    /* rx queue fds + stop_fd */
	int stop_fd; /* eventfd: wakes a sleeping worker for stop */
	bool nap;    /* some queue has no fd: sleep in short naps */
	unsigned n_rxqs;
	struct fl_rxq_ref rxqs[FL_DP_MAX_RXQS];
	struct fl_emc *emc; /* NULL when the EMC is off */
	bool emc_active;    /* the EMC pays here: see adapt_emc() in fastpath.c */
	uint64_t mf_hits_mark, mf_probed_mark; /* megaflow stats at the last adapt */
	struct fl_mf *mf;
	uint64_t next_sweep_ns; /* megaflow idle expiry, spread over loops */
	struct fl_worker_stats stats;
	struct fl_txbufs tx;
	struct fl_key keys[FL_BATCH_MAX];
	struct fl_pool_cache cache; /* last: large */
};

/* Move one received burst through parse, caches, upcalls and actions. */
void fl_fastpath_process(struct fl_worker *w, struct fl_pkt **pkts, unsigned n);
/* Housekeeping between loops: megaflow idle expiry. */
void fl_fastpath_maintain(struct fl_worker *w, uint64_t now_ns);

#endif
