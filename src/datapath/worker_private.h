/* The worker structure, shared by the poll loop (worker.c) and the batch
 * path through the caches (fastpath.c). Everything here is owned by the
 * worker's thread; other threads only read counters. */
#ifndef FL_DATAPATH_WORKER_PRIVATE_H
#define FL_DATAPATH_WORKER_PRIVATE_H

#include <stdatomic.h>

#include "core/hash.h"
#include "core/ring.h"
#include "datapath/dp.h"
#include "datapath/txbuf.h"

struct fl_capture_ring;

/* Idle behaviour defaults (worker_idle.c explains them). */
#define FL_WORKER_IDLE_SPINS 256 /* empty passes before the poll window counts */
#define FL_WORKER_POLL_US 20000  /* polling on after the last packet */
#define FL_WORKER_NAP_US 200     /* first nap when a queue has no fd */
#define FL_WORKER_SLEEP_MS 100   /* longest sleep */

#define FL_RPS_MAX_WORKERS 64
#define FL_RPS_RING_SIZE 1024u

/* Software steering (RPS), configured by the switch through calls: packets
 * of a steered rx queue whose RSS hash belongs to another worker go to it
 * through an SPSC ring (out[j]); each worker drains the rings of the others
 * (in[j]) as if they were rx queues. */
struct fl_rps {
	unsigned n_workers; /* 0 or 1: off */
	unsigned self;
	const struct fl_toeplitz *toeplitz;
	struct fl_ring *out[FL_RPS_MAX_WORKERS]; /* to worker j; NULL for self */
	struct fl_ring *in[FL_RPS_MAX_WORKERS];  /* from worker j; NULL for self */
	struct fl_worker *peer[FL_RPS_MAX_WORKERS];
};

struct fl_worker {
	struct fl_dp *dp;
	unsigned id;
	atomic_bool stop;
	int epfd;    /* rx queue fds + wake_fd */
	int wake_fd; /* eventfd: wakes a sleeping worker (stop, a call) */
	bool nap;    /* some queue has no fd: sleep in short naps */
	unsigned idle_spins; /* empty polls before sleeping */
	uint64_t poll_ns;    /* ... and this long since the last packet (any
			      * thread sets it, atomically) */
	unsigned sleep_ms;   /* longest sleep */
	unsigned nap_us;     /* next nap when some queue has no fd: grows while idle */
	/* the CPU share the poll window measures (fl_worker__poll_window_over) */
	struct {
		uint64_t start;      /* this interval began */
		uint64_t lost;       /* ... and lost so much to others */
		uint64_t last_pass;  /* the last pass of the window */
		uint64_t prev_len;   /* the interval before: its length */
		uint64_t prev_lost;  /* ... and what it lost */
		uint64_t run_delay;  /* the thread's run_delay when this interval began */
	} share;
	int schedstat_fd;    /* /proc/thread-self/schedstat of the running worker, or -1 */
	int cpu;             /* CPU of the last loop (sched_getcpu) */
	unsigned n_rxqs;
	struct fl_rxq_ref rxqs[FL_DP_MAX_RXQS];
	uint64_t rxq_cycles[FL_DP_MAX_RXQS]; /* busy cycles per rx queue, for rebalancing */
	/* rx queue fds in epfd only while the worker may sleep (see
	 * rx_fds_arm in worker_idle.c): the fd added, or -1 */
	int armed_fd[FL_DP_MAX_RXQS];
	bool muted[FL_DP_MAX_RXQS]; /* reported an error: not listened to again */
	bool fds_armed;             /* some armed_fd is set */

	/* A call from the control thread (fl_worker_call): fn runs on this
	 * thread between loops; call_seq moves when one is posted, call_done
	 * when it ran. */
	atomic_uint call_seq;
	atomic_uint call_done;
	fl_worker_call_fn *call_fn;
	void *call_arg;

	struct fl_capture_ring *capture; /* set and cleared by calls; NULL = none */
	atomic_bool sleeping; /* in epoll: a steering peer must wake it */
	struct fl_rps rps;

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

/* Software steering on or off (the worker's thread, or while it is stopped). */
void fl_worker_set_rps(struct fl_worker *w, const struct fl_rps *rps);
/* Packets waiting in the steering rings from other workers. */
bool fl_worker__rps_pending(const struct fl_worker *w);

/* Between bursts (worker_idle.c), all on the worker's thread: */
/* (Re)build the epoll set with the wake eventfd and every rx queue's fd. */
int fl_worker__arm_epoll(struct fl_worker *w);
/* Take the rx fds out of the epoll set: packets came, the worker polls. */
void fl_worker__rx_fds_disarm(struct fl_worker *w);
/* On the worker's thread, as it starts and ends its loop: open and close
 * its schedstat (the poll window's measure of what other threads took). */
void fl_worker__idle_enter(struct fl_worker *w);
void fl_worker__idle_leave(struct fl_worker *w);
/* After idle_spins empty passes: is the poll window over (sleep now)? */
bool fl_worker__poll_window_over(struct fl_worker *w, unsigned idle, uint64_t idle_since);
/* Sleep until traffic, a call or a stop wakes the worker (or a timeout). */
void fl_worker__sleep(struct fl_worker *w);

#endif
