/* The running switch: a datapath, its worker threads, and the changes the
 * control thread makes while packets flow.
 *
 * struct fl_dp (dp.h) is the passive part: pool, ports, pipeline. A
 * struct fl_switch adds N worker threads that poll the ports' rx queues,
 * and makes every change safe while they run:
 *
 *   control thread                          workers
 *   --------------                          -------
 *   add/del port, reassign rx queues  -->   pick up their new queue set at the
 *   (publish, kick, wait for ack)           top of the next loop, ack
 *   flow-mods (pipeline versions)     -->   see the new version on the next
 *                                           packet (megaflows re-translated)
 *   link monitor (once a second)      -->   a port that went down is taken off
 *                                           the workers; reopened when back
 *   fl_switch_call(worker, fn)        -->   fn runs on the worker between
 *                                           loops (dump caches, trace)
 *
 * Every function here is for the control thread (one thread); none may be
 * called from a worker. Functions that can fail return 0 or a negative errno
 * and write a one-line message naming what is wrong into err; on failure
 * nothing has changed.
 *
 * Receive queues are spread over workers round-robin at first and can be
 * moved by fl_switch_rebalance() (by measured load) or pinned with
 * fl_switch_assign_rxq(). A single-queue port can be spread by software
 * steering (RPS): its worker hashes each packet (Toeplitz over the 5-tuple)
 * and hands the packets of other workers' flows to them through rings, so a
 * flow stays on one worker.
 */
#ifndef FL_DATAPATH_SWITCH_H
#define FL_DATAPATH_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/dp.h"

#define FL_SWITCH_MAX_WORKERS 64

struct fl_switch_params {
	struct fl_dp_params dp;
	unsigned n_workers;   /* 0 = one per CPU the control thread leaves, at least 1 */
	unsigned idle_spins;  /* empty polls before a worker sleeps; 0 = default 256 */
	unsigned sleep_ms;    /* longest sleep when idle; 0 = default 100 */
	unsigned poll_us;     /* keep polling this long after the last packet before
			       * sleeping (worker.c: why); 0 = default 20000 */
	bool no_rps;          /* do not spread ports with fewer queues than workers */
};

struct fl_switch;

/* Create the datapath and start the workers (no ports yet). NULL with err. */
struct fl_switch *fl_switch_create(const struct fl_switch_params *params, char *err,
				   size_t errlen);
/* Stop the workers, close every port, free everything. */
void fl_switch_destroy(struct fl_switch *sw);

struct fl_dp *fl_switch_dp(struct fl_switch *sw);
struct fl_pipeline *fl_switch_pipeline(struct fl_switch *sw);
const struct fl_switch_params *fl_switch_params(const struct fl_switch *sw);

/* Ports, at any time. port_no 0 = next free number. The new port's queues
 * are polled before this returns. del waits until no worker uses the port,
 * then closes it; flows that name it stay (as in OVS) but output to it drops. */
int fl_switch_add_port(struct fl_switch *sw, const char *name, uint32_t port_no,
		       const char *spec, char *err, size_t errlen);
int fl_switch_del_port(struct fl_switch *sw, const char *name_or_no, char *err,
		       size_t errlen);

/* Worker count, at any time: queues are reassigned, caches of removed
 * workers dropped. Settings (cache sizes, idle thresholds) apply to workers
 * from then on; fl_switch_set_params restarts the workers if needed. */
int fl_switch_set_workers(struct fl_switch *sw, unsigned n, char *err, size_t errlen);
int fl_switch_set_params(struct fl_switch *sw, const struct fl_switch_params *params,
			 char *err, size_t errlen);

/* Move rx queue (port, queue) to a worker; rebalance spreads queues by
 * their share of recent busy cycles. */
int fl_switch_assign_rxq(struct fl_switch *sw, const char *port, unsigned queue,
			 unsigned worker, char *err, size_t errlen);
void fl_switch_rebalance(struct fl_switch *sw);

/* Control-thread housekeeping, call about once a second: link monitor
 * (ports down/up/reopened, logged and counted), flow timeouts and MAC aging
 * in the pipeline. Returns the number of state changes (ports up/down, flows
 * expired) so the caller knows when to save state. */
unsigned fl_switch_tick(struct fl_switch *sw, uint64_t now_ns);

/* --- Reading state (momentary snapshots) --- */

struct fl_switch_port_info {
	char name[FL_PORT_NAME_MAX];
	char spec[FL_PORT_SPEC_MAX];
	const char *type;         /* "afxdp", "tap", ... */
	uint32_t port_no;
	uint16_t mtu;
	bool up;                  /* link up and queues polled */
	uint64_t link_changes;    /* times it went down or came back */
	unsigned n_rxq, n_txq;
	uint16_t rxq_worker[FL_PORT_MAX_QUEUES]; /* worker polling each rx queue */
	struct fl_port_stats stats;
	char error[256];          /* last backend error, "" if none */
};

unsigned fl_switch_n_ports(const struct fl_switch *sw);
/* Port i (0 <= i < n_ports, in order of port number). 0 or -ENOENT. */
int fl_switch_port_info(struct fl_switch *sw, unsigned i, struct fl_switch_port_info *info);

struct fl_switch_worker_info {
	unsigned id;
	int cpu;                  /* CPU it last ran on */
	unsigned n_rxqs;
	struct fl_worker_stats stats;
	struct fl_emc_stats emc;
	struct fl_mf_stats mf;
};

unsigned fl_switch_n_workers(const struct fl_switch *sw);
int fl_switch_worker_info(struct fl_switch *sw, unsigned i, struct fl_switch_worker_info *info);

/* Run fn(worker, arg) on worker i's thread between two poll loops and wait
 * for it (a sleeping worker is woken). For reading a worker's private state:
 * megaflow dumps, traces with cache levels. 0, or -ETIMEDOUT after timeout_ms. */
typedef void fl_switch_call_fn(struct fl_worker *w, void *arg);
int fl_switch_call(struct fl_switch *sw, unsigned i, fl_switch_call_fn *fn, void *arg,
		   unsigned timeout_ms);

/* Megaflows of worker i as text lines "MATCH-WITH-MASKS, packets:N, bytes:N,
 * used:Xs, actions:DPACTIONS" (as ovs-appctl dpctl/dump-flows), one callback
 * per megaflow, called on the control thread after the worker copied them. */
typedef void fl_switch_line_fn(void *ctx, const char *line);
int fl_switch_dump_megaflows(struct fl_switch *sw, unsigned i, fl_switch_line_fn *fn,
			     void *ctx);

/* Trace a packet key through worker 0's caches and the pipeline (no side
 * effects: nothing learned, nothing installed). */
int fl_switch_trace(struct fl_switch *sw, const struct fl_key *key, struct fl_trace *trace);

/* --- Capture: copies of what a port receives or sends, while switching --- */

enum {
	FL_CAPTURE_RX = 1u << 0,
	FL_CAPTURE_TX = 1u << 1,
};

struct fl_capture;

/* Start copying frames of `port` (direction FL_CAPTURE_*) that pass `filter`
 * (libpcap filter syntax, "" for all) on every worker, at most max_packets
 * (0 = unlimited), each cut to snaplen bytes. Copies are made on the worker
 * into a bounded ring; when it is full, frames are not copied and counted as
 * capture drops (switching never waits for a capture). */
struct fl_capture *fl_switch_capture_start(struct fl_switch *sw, const char *port,
					   unsigned dir, const char *filter,
					   uint64_t max_packets, unsigned snaplen, char *err,
					   size_t errlen);
/* One callback per captured frame, in order per worker, ts_ns the
 * wall-clock (CLOCK_REALTIME) time it was copied. Returns how many. */
typedef void fl_capture_fn(void *ctx, uint64_t ts_ns, const uint8_t *data, unsigned caplen,
			   unsigned len);
unsigned fl_capture_drain(struct fl_capture *c, fl_capture_fn *fn, void *ctx);
bool fl_capture_done(const struct fl_capture *c);  /* max_packets copied */
uint64_t fl_capture_dropped(const struct fl_capture *c);
/* Stop copying (waits until no worker copies any more) and free. */
void fl_switch_capture_stop(struct fl_switch *sw, struct fl_capture *c);

#endif
