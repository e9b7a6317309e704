/* The datapath: ports, workers, and the way of a packet between them.
 *
 * A struct fl_dp owns the buffer pool, the ports and the OpenFlow pipeline;
 * workers (worker.c, fastpath.c) poll the ports' rx queues and move packets
 * in batches:
 *
 *   rx burst (<= 32) -> parse batch -> EMC -> megaflow cache -> upcall
 *     (translation by the pipeline, installs a megaflow and an EMC entry)
 *     -> packets grouped by megaflow -> actions executed per group
 *     -> per-port tx buffers -> one tx burst per port per batch
 *
 * Threads: the control thread creates the dp, adds ports and changes flows
 * (the pipeline publishes versions); workers read the dp and the pipeline
 * under RCU (liburcu QSBR: a worker reports a quiescent state once per poll
 * loop and goes offline while it sleeps). Counters are per worker and per
 * queue, each written by one thread, read by anyone (core/counter.h).
 */
#ifndef FL_DATAPATH_DP_H
#define FL_DATAPATH_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/pool.h"
#include "datapath/emc.h"
#include "datapath/execute_stats.h"
#include "datapath/megaflow.h"
#include "pipeline/pipeline.h"
#include "port/port.h"
#include "proto/key.h"
#include "proto/parse.h"

#define FL_DP_MAX_PORTS 64
#define FL_DP_PORT_NO_MAX 0xff00u /* OpenFlow's largest physical port number */
#define FL_DP_NO_PORT 0xffffu     /* "none" in slot maps */
#define FL_DP_MAX_RXQS 128

struct fl_dp_params {
	unsigned n_bufs;         /* pool size; 0 = default */
	unsigned n_big_bufs;     /* 64 KiB buffers for offloaded super-frames; 0 = default 128 */
	enum fl_pool_huge huge;
	unsigned emc_entries;    /* per worker; 0 = FL_EMC_DEFAULT_ENTRIES */
	unsigned emc_inv_prob;   /* insert 1 in N EMC misses; 0 = default 100 */
	bool emc_off;            /* no EMC at all */
	unsigned mf_limit;       /* megaflows per worker; 0 = default 200000 (as OVS) */
	unsigned mf_idle_ms;     /* megaflow idle expiry; 0 = default 10000 */
	unsigned mac_aging_s;    /* NORMAL's MAC aging; 0 = the pipeline's default (300) */
};

struct fl_dp {
	struct fl_pool *pool;
	struct fl_pool *big_pool;               /* companion of pool (fl_pool_get_big) */
	struct fl_pipeline *pl;
	struct fl_dp_params params;             /* with defaults filled in */
	unsigned n_ports;                       /* slots in use, deleted ones NULL */
	struct fl_port *ports[FL_DP_MAX_PORTS]; /* by slot */
	uint16_t *slot_of_no;                   /* port_no -> slot, FL_DP_PORT_NO_MAX entries */
};

struct fl_dp *fl_dp_create(const struct fl_dp_params *params);
/* Close every port and free the pool. Workers must have stopped. */
void fl_dp_destroy(struct fl_dp *dp);

/* Open a port from a spec and add it. port_no 0 = next free number from 1.
 * Returns 0 or a negative errno with a message in err. */
int fl_dp_add_port(struct fl_dp *dp, const char *name, uint32_t port_no, const char *spec,
		   char *err, size_t errlen);
/* Removing a port while workers run (switch.c does the choreography):
 * unmap makes output to its number drop (and the pipeline forget it), then,
 * once no worker can still hold it (an RCU grace period, its rx queues
 * taken off the workers), close frees its slot and closes it. */
void fl_dp_unmap_port(struct fl_dp *dp, struct fl_port *port);
void fl_dp_close_port(struct fl_dp *dp, struct fl_port *port);
/* A port by name or by number given as text ("2"); NULL if none. */
struct fl_port *fl_dp_find_port(const struct fl_dp *dp, const char *name_or_no);
static inline unsigned fl_dp_slot_of(const struct fl_dp *dp, uint32_t port_no)
{
	return port_no < FL_DP_PORT_NO_MAX
		       ? __atomic_load_n(&dp->slot_of_no[port_no], __ATOMIC_ACQUIRE)
		       : FL_DP_NO_PORT;
}

/* Shorthand for a flow in table 0: frames received on `in` go to `out`
 * ("in_port=IN,actions=output:OUT"), or are dropped when out is NULL.
 * Returns 0 or a negative errno. */
int fl_dp_map(struct fl_dp *dp, const struct fl_port *in, const struct fl_port *out);
/* Add flows from text, one per line, all or nothing (ports by name too). */
int fl_dp_add_flows(struct fl_dp *dp, const char *text, char *err, size_t errlen);

/* Counters a worker keeps. */
struct fl_worker_stats {
	uint64_t loops;         /* poll loops */
	uint64_t idle_loops;    /* loops that found no packet */
	uint64_t sleeps;        /* times the worker slept in epoll */
	uint64_t polls_cut_short; /* poll windows ended early: others wanted the CPU */
	uint64_t batches;       /* non-empty rx bursts */
	uint64_t packets;       /* packets received */
	uint64_t busy_cycles;   /* TSC cycles in loops that moved packets */
	uint64_t batched_dups;  /* packets that shared the lookup of the one before */
	uint64_t emc_hits;      /* packets served by the EMC */
	uint64_t mf_hits;       /* packets served by the megaflow cache */
	uint64_t upcalls;       /* packets translated by the pipeline */
	uint64_t revalidations; /* megaflows re-translated under a newer version */
	uint64_t uncached;      /* translations the pipeline marked not cacheable */
	uint64_t mf_install_failed; /* megaflow cache full: executed uncached */
	uint64_t upcall_failed; /* translation ran out of memory: dropped */
	uint64_t rps_steered;   /* packets handed to another worker (RPS) */
	uint64_t rps_dropped;   /* ... that found its ring full: dropped */
	struct fl_exec_stats exec;
	struct fl_parse_stats parse;
};

struct fl_worker;

/* A worker serving every rx queue of every port added so far, or none with
 * fl_worker_create_idle (queues then come from fl_worker_set_rxqs; see
 * switch.h for workers of a running switch). `id` picks the tx queue it uses
 * on each port (id % n_txq). NULL with errno set on failure. */
struct fl_worker *fl_worker_create(struct fl_dp *dp, unsigned id);
struct fl_worker *fl_worker_create_idle(struct fl_dp *dp, unsigned id);
void fl_worker_destroy(struct fl_worker *w);

struct fl_rxq_ref {
	struct fl_port *port;
	unsigned queue;
	bool steer; /* spread its packets over the workers by RSS hash (RPS) */
};

/* Replace the rx queues the worker polls. On the worker's thread (inside a
 * call) or while it is not running. 0, -E2BIG, or -errno from epoll. */
int fl_worker_set_rxqs(struct fl_worker *w, const struct fl_rxq_ref *rxqs, unsigned n);
unsigned fl_worker_get_rxqs(const struct fl_worker *w, struct fl_rxq_ref *rxqs,
			    uint64_t *busy_cycles, unsigned max);
void fl_worker_set_idle(struct fl_worker *w, unsigned idle_spins, unsigned sleep_ms);
/* How long the worker keeps polling after its last packet before it sleeps
 * (0: FL_WORKER_POLL_US); any thread, seen at the worker's next idle pass. */
void fl_worker_set_poll_us(struct fl_worker *w, unsigned poll_us);
int fl_worker_cpu(const struct fl_worker *w);

/* Run fn(w, arg) on the worker's thread between two loops, waking it if it
 * sleeps, and wait up to timeout_ms for it to have run (any other thread;
 * one caller at a time). 0 or -ETIMEDOUT (fn may still run later: arg must
 * stay valid; callers treat a timeout as a stuck worker). */
typedef void fl_worker_call_fn(struct fl_worker *w, void *arg);
int fl_worker_call(struct fl_worker *w, fl_worker_call_fn *fn, void *arg, unsigned timeout_ms);

/* One pass over the worker's rx queues, each up to its quota; returns the
 * packets received. The worker loop and the benchmark both call this. */
unsigned fl_worker_poll_once(struct fl_worker *w);
/* Hand the worker packets that did not come from one of its rx queues (a
 * replayed capture, a test): each must have in_port set (and be from the
 * dp's pool); they go through the same parse, caches, upcall and actions as
 * received ones, and whatever they produce is transmitted before this
 * returns. The worker's thread (or a stopped worker). n <= FL_BATCH_MAX. */
void fl_worker_inject(struct fl_worker *w, struct fl_pkt **pkts, unsigned n);
/* Poll until fl_worker_stop() or, if stop_at_eof, until every rx queue is at
 * eof; sleeps on the queues' fds (or briefly) after a run of idle loops. */
void fl_worker_run(struct fl_worker *w, bool stop_at_eof);
void fl_worker_stop(struct fl_worker *w); /* any thread */
/* Counters (any thread, momentary). */
void fl_worker_get_stats(const struct fl_worker *w, struct fl_worker_stats *st);
void fl_worker_get_cache_stats(const struct fl_worker *w, struct fl_emc_stats *emc,
			       struct fl_mf_stats *mf);

/* The worker's own thread, around fl_worker_poll_once loops that are not
 * run by fl_worker_run (benchmarks, tests): registers with RCU. */
void fl_worker_thread_enter(void);
void fl_worker_thread_leave(void);

/* Trace a key through this worker: which cache level holds it (EMC,
 * megaflow, none) and the pipeline's translation. Call from the worker's
 * thread, or while the worker is stopped. */
int fl_worker_trace(struct fl_worker *w, const struct fl_key *key, struct fl_trace *trace);

#endif
