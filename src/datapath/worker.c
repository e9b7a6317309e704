/* A worker: polls its rx queues and hands each burst to the fast path.
 *
 *   fl_worker_poll_once
 *     for each rx queue (quota: one burst of FL_BATCH_MAX per pass)
 *       rx burst -> fl_fastpath_process (fastpath.c) -> flush tx buffers
 *
 * Everything a worker writes per packet is its own: its pool cache, keys,
 * flow caches, tx buffers and counters. The dp, its ports and the pipeline
 * are read under RCU: the worker is a registered QSBR reader that reports a
 * quiescent state after every pass and goes offline while it sleeps, so it
 * never holds up the control thread's grace periods.
 *
 * Idle behaviour (fl_worker_run): a worker busy-polls while bursts arrive,
 * keeps polling for a while after the last one, then sleeps in epoll on its
 * queues' fds: worker_idle.c says when and why.
 */
#define _LGPL_SOURCE /* inline QSBR read-side primitives (liburcu, LGPL) */
#include <urcu-qsbr.h>

#include "datapath/dp.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/time.h"
#include "proto/rss.h"
#include "datapath/switch.h"
#include "datapath/worker_private.h"

int fl_worker_set_rxqs(struct fl_worker *w, const struct fl_rxq_ref *rxqs, unsigned n)
{
	unsigned i, j;
	uint64_t cycles[FL_DP_MAX_RXQS];

	if (n > FL_DP_MAX_RXQS)
		return -E2BIG;
	/* keep the load history of queues that stay */
	for (i = 0; i < n; i++) {
		cycles[i] = 0;
		for (j = 0; j < w->n_rxqs; j++)
			if (w->rxqs[j].port == rxqs[i].port && w->rxqs[j].queue == rxqs[i].queue)
				cycles[i] = w->rxq_cycles[j];
	}
	memcpy(w->rxqs, rxqs, n * sizeof(rxqs[0]));
	memcpy(w->rxq_cycles, cycles, n * sizeof(cycles[0]));
	w->n_rxqs = n;
	return fl_worker__arm_epoll(w);
}

unsigned fl_worker_get_rxqs(const struct fl_worker *w, struct fl_rxq_ref *rxqs,
			    uint64_t *busy_cycles, unsigned max)
{
	unsigned i, n = w->n_rxqs < max ? w->n_rxqs : max;

	for (i = 0; i < n; i++) {
		if (rxqs)
			rxqs[i] = w->rxqs[i];
		if (busy_cycles)
			busy_cycles[i] = fl_counter_read(&w->rxq_cycles[i]);
	}
	return n;
}

void fl_worker_set_idle(struct fl_worker *w, unsigned idle_spins, unsigned sleep_ms)
{
	w->idle_spins = idle_spins ? idle_spins : FL_WORKER_IDLE_SPINS;
	w->sleep_ms = sleep_ms ? sleep_ms : FL_WORKER_SLEEP_MS;
}

void fl_worker_set_poll_us(struct fl_worker *w, unsigned poll_us)
{
	__atomic_store_n(&w->poll_ns, (uint64_t)(poll_us ? poll_us : FL_WORKER_POLL_US) * 1000u,
			 __ATOMIC_RELAXED);
}

int fl_worker_cpu(const struct fl_worker *w)
{
	return __atomic_load_n(&w->cpu, __ATOMIC_RELAXED);
}

static struct fl_worker *worker_alloc(struct fl_dp *dp, unsigned id)
{
	struct fl_worker *w;

	w = aligned_alloc(FL_CACHE_LINE, (sizeof(*w) + FL_CACHE_LINE - 1) &
						 ~(size_t)(FL_CACHE_LINE - 1));
	if (!w)
		return NULL;
	memset(w, 0, offsetof(struct fl_worker, cache));
	w->dp = dp;
	w->id = id;
	w->epfd = w->wake_fd = w->schedstat_fd = -1;
	w->cpu = -1;
	fl_worker_set_idle(w, 0, 0);
	fl_worker_set_poll_us(w, 0);
	w->nap_us = FL_WORKER_NAP_US;
	atomic_init(&w->stop, false);
	atomic_init(&w->call_seq, 0);
	atomic_init(&w->call_done, 0);
	atomic_init(&w->sleeping, false);
	fl_pool_cache_init(&w->cache, dp->pool, 0);
	return w;
}

static struct fl_worker *worker_create(struct fl_dp *dp, unsigned id, bool all_queues)
{
	struct fl_rxq_ref refs[FL_DP_MAX_RXQS];
	struct fl_worker *w = worker_alloc(dp, id);
	unsigned p, q, n = 0;
	int err = -ENOMEM;

	if (!w)
		goto err_free;
	for (p = 0; all_queues && p < dp->n_ports; p++) {
		struct fl_port *port = dp->ports[p];

		for (q = 0; port && q < port->n_rxq; q++) {
			if (n == FL_DP_MAX_RXQS) {
				err = -E2BIG;
				goto err_free;
			}
			refs[n++] = (struct fl_rxq_ref){.port = port, .queue = q};
		}
	}
	if (!dp->params.emc_off) {
		w->emc = fl_emc_create(dp->params.emc_entries, dp->params.emc_inv_prob);
		if (!w->emc)
			goto err_free;
	}
	w->mf = fl_mf_create(dp->params.mf_limit, (fl_mf_release_fn *)fl_dp_actions_unref);
	if (!w->mf)
		goto err_free;
	w->emc_active = w->emc != NULL;
	fl_txbufs_init(&w->tx, dp, id, &w->capture);
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wake_fd < 0) {
		err = -errno;
		goto err_free;
	}
	err = fl_worker_set_rxqs(w, refs, n);
	if (err)
		goto err_free;
	return w;

err_free:
	fl_worker_destroy(w);
	errno = -err;
	return NULL;
}

struct fl_worker *fl_worker_create(struct fl_dp *dp, unsigned id)
{
	return worker_create(dp, id, true);
}

struct fl_worker *fl_worker_create_idle(struct fl_dp *dp, unsigned id)
{
	return worker_create(dp, id, false);
}

void fl_worker_destroy(struct fl_worker *w)
{
	if (!w)
		return;
	fl_txbufs_flush_all(&w->tx, &w->cache);
	fl_pool_cache_flush(&w->cache);
	fl_emc_destroy(w->emc);
	fl_mf_destroy(w->mf);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w);
}

static void wake(struct fl_worker *w);

/* Keep the packets whose hash is ours, hand the others to their workers
 * (one ring operation per destination per burst). Returns the kept count,
 * compacted at the front of pkts. */
static unsigned rps_steer(struct fl_worker *w, struct fl_pkt **pkts, unsigned n)
{
	struct fl_rps *r = &w->rps;
	struct fl_pkt *to[FL_RPS_MAX_WORKERS][FL_BATCH_MAX];
	unsigned cnt[FL_RPS_MAX_WORKERS] = {0};
	unsigned i, j, kept = 0;

	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = pkts[i];
		uint32_t h = fl_rss_frame(r->toeplitz, fl_pkt_cdata(pkt), pkt->len);

		pkt->rss_hash = h;
		pkt->ol_flags |= FL_OL_RSS_VALID;
		j = (unsigned)(((uint64_t)h * r->n_workers) >> 32);
		if (j == r->self)
			pkts[kept++] = pkt;
		else
			to[j][cnt[j]++] = pkt;
	}
	for (j = 0; j < r->n_workers; j++) {
		unsigned sent;

		if (!cnt[j])
			continue;
		sent = fl_ring_enqueue_burst(r->out[j], (void *const *)to[j], cnt[j]);
		fl_counter_add(&w->stats.rps_steered, sent);
		if (sent < cnt[j]) {
			fl_counter_add(&w->stats.rps_dropped, cnt[j] - sent);
			fl_pool_put_bulk(&w->cache, to[j] + sent, cnt[j] - sent);
		}
		/* the peer sets sleeping before its last look at the rings: with the
		 * enqueue before this load (both seq_cst), one of us sees the other */
		atomic_thread_fence(memory_order_seq_cst);
		if (sent && atomic_load(&r->peer[j]->sleeping))
			wake(r->peer[j]);
	}
	return kept;
}

/* Packets other workers steered to us. */
static unsigned rps_drain(struct fl_worker *w)
{
	struct fl_pkt *pkts[FL_BATCH_MAX];
	unsigned j, total = 0;

	for (j = 0; j < w->rps.n_workers; j++) {
		unsigned n;

		if (!w->rps.in[j])
			continue;
		n = fl_ring_dequeue_burst(w->rps.in[j], (void **)pkts, FL_BATCH_MAX);
		if (!n)
			continue;
		fl_fastpath_process(w, pkts, n);
		fl_txbufs_flush_pending(&w->tx, &w->cache);
		total += n;
	}
	return total;
}

bool fl_worker__rps_pending(const struct fl_worker *w)
{
	unsigned j;

	for (j = 0; j < w->rps.n_workers; j++)
		if (w->rps.in[j] && fl_ring_count(w->rps.in[j]))
			return true;
	return false;
}

void fl_worker_set_rps(struct fl_worker *w, const struct fl_rps *rps)
{
	if (rps)
		w->rps = *rps;
	else
		memset(&w->rps, 0, sizeof(w->rps));
}

unsigned fl_worker_poll_once(struct fl_worker *w)
{
	struct fl_pkt *pkts[FL_BATCH_MAX];
	unsigned i, total = 0, steered_in = 0;
	uint64_t t0 = fl_rdtsc(), t = t0;

	if (FL_UNLIKELY(w->rps.n_workers > 1))
		steered_in = rps_drain(w);
	for (i = 0; i < w->n_rxqs; i++) {
		const struct fl_rxq_ref *rxq = &w->rxqs[i];
		uint64_t t1;
		unsigned n, got;

		n = got = fl_port_rx_burst(rxq->port, rxq->queue, &w->cache, pkts, FL_BATCH_MAX);
		if (n == 0)
			continue;
		if (FL_UNLIKELY(w->capture != NULL))
			fl_capture_copy(w->capture, rxq->port, FL_CAPTURE_RX, pkts, n);
		if (FL_UNLIKELY(rxq->steer && w->rps.n_workers > 1))
			n = rps_steer(w, pkts, n);
		if (n)
			fl_fastpath_process(w, pkts, n);
		fl_txbufs_flush_pending(&w->tx, &w->cache);
		fl_counter_inc(&w->stats.batches);
		total += got;
		/* busy cycles per queue: what fl_switch_rebalance weighs queues by */
		t1 = fl_rdtsc();
		fl_counter_add(&w->rxq_cycles[i], t1 - t);
		t = t1;
	}
	if ((fl_counter_read(&w->stats.loops) & 1023) == 1023)
		fl_fastpath_maintain(w, fl_time_ns());
	fl_counter_inc(&w->stats.loops);
	fl_counter_add(&w->stats.packets, total); /* received from ports */
	if (total + steered_in)
		fl_counter_add(&w->stats.busy_cycles, fl_rdtsc() - t0);
	else
		fl_counter_inc(&w->stats.idle_loops);
	return total + steered_in;
}

void fl_worker_inject(struct fl_worker *w, struct fl_pkt **pkts, unsigned n)
{
	if (!n)
		return;
	if (FL_UNLIKELY(w->capture != NULL)) {
		unsigned i;

		for (i = 0; i < n; i++) {
			unsigned slot = fl_dp_slot_of(w->dp, pkts[i]->in_port);

			if (slot != FL_DP_NO_PORT && w->dp->ports[slot])
				fl_capture_copy(w->capture, w->dp->ports[slot], FL_CAPTURE_RX,
						&pkts[i], 1);
		}
	}
	fl_fastpath_process(w, pkts, n);
	fl_txbufs_flush_pending(&w->tx, &w->cache);
	fl_counter_add(&w->stats.packets, n);
}

/* Run a call the control thread posted, if any (fl_worker_call). */
static void serve_call(struct fl_worker *w)
{
	unsigned seq = atomic_load_explicit(&w->call_seq, memory_order_acquire);

	if (FL_LIKELY(seq == atomic_load_explicit(&w->call_done, memory_order_relaxed)))
		return;
	w->call_fn(w, w->call_arg);
	atomic_store_explicit(&w->call_done, seq, memory_order_release);
}

static void wake(struct fl_worker *w)
{
	uint64_t one = 1;

	if (w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is saturated: a wakeup is already pending */
}

int fl_worker_call(struct fl_worker *w, fl_worker_call_fn *fn, void *arg, unsigned timeout_ms)
{
	unsigned seq = atomic_load_explicit(&w->call_seq, memory_order_relaxed) + 1;
	uint64_t deadline = fl_time_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned spins = 0;

	w->call_fn = fn;
	w->call_arg = arg;
	/* release: the worker that sees seq sees fn and arg */
	atomic_store_explicit(&w->call_seq, seq, memory_order_release);
	wake(w);
	while (atomic_load_explicit(&w->call_done, memory_order_acquire) != seq) {
		if (fl_time_ns() > deadline)
			return -ETIMEDOUT;
		if (++spins > 64)
			usleep(50);
	}
	return 0;
}

static bool all_rx_eof(const struct fl_worker *w)
{
	unsigned i;

	for (i = 0; i < w->n_rxqs; i++)
		if (!w->rxqs[i].port->rxq[w->rxqs[i].queue].eof)
			return false;
	return true;
}

void fl_worker_thread_enter(void)
{
	rcu_register_thread();
}

void fl_worker_thread_leave(void)
{
	rcu_unregister_thread();
}

void fl_worker_run(struct fl_worker *w, bool stop_at_eof)
{
	uint64_t idle_since = 1; /* no packet yet: no poll window to run */
	unsigned idle = 0;

	fl_worker_thread_enter();
	fl_worker__idle_enter(w);
	__atomic_store_n(&w->cpu, sched_getcpu(), __ATOMIC_RELAXED);
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		unsigned got = fl_worker_poll_once(w);

		rcu_quiescent_state();
		serve_call(w);
		if (got) {
			if (FL_UNLIKELY(w->fds_armed))
				fl_worker__rx_fds_disarm(w);
			idle = 0;
			idle_since = 0;
			w->nap_us = FL_WORKER_NAP_US;
			continue;
		}
		if (stop_at_eof && w->n_rxqs && all_rx_eof(w))
			break;
		/* the poll window runs from the first empty pass after a packet;
		 * a sleep that ends without one does not open another */
		if (!idle_since)
			idle_since = fl_time_ns();
		if (++idle >= w->idle_spins && fl_worker__poll_window_over(w, idle, idle_since)) {
			fl_worker__sleep(w);
			__atomic_store_n(&w->cpu, sched_getcpu(), __ATOMIC_RELAXED);
			idle = 0;
		}
	}
	fl_txbufs_flush_all(&w->tx, &w->cache);
	serve_call(w);
	fl_worker__idle_leave(w);
	fl_worker_thread_leave();
}

void fl_worker_stop(struct fl_worker *w)
{
	atomic_store_explicit(&w->stop, true, memory_order_relaxed);
	wake(w);
}

void fl_worker_get_cache_stats(const struct fl_worker *w, struct fl_emc_stats *emc,
			       struct fl_mf_stats *mf)
{
	if (emc) {
		memset(emc, 0, sizeof(*emc));
		if (w->emc)
			fl_emc_get_stats(w->emc, emc);
	}
	if (mf)
		fl_mf_get_stats(w->mf, mf);
}

void fl_worker_get_stats(const struct fl_worker *w, struct fl_worker_stats *st)
{
	const uint64_t *src = (const uint64_t *)(const void *)&w->stats;
	uint64_t *dst = (uint64_t *)(void *)st;
	size_t i;

	_Static_assert(sizeof(*st) % sizeof(uint64_t) == 0, "stats are all counters");
	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = fl_counter_read(&src[i]);
}
