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
 * Idle behaviour (fl_worker_run): a worker busy-polls while bursts arrive.
 * After FL_WORKER_IDLE_SPINS passes that found nothing it sleeps in epoll on
 * the rx queues' fds, or for FL_WORKER_NAP_US when a queue has no fd (a pcap
 * or generator port), so an idle switch costs no CPU.
 */
#define _LGPL_SOURCE /* inline QSBR read-side primitives (liburcu, LGPL) */
#include <urcu-qsbr.h>

#include "datapath/dp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/time.h"
#include "datapath/worker_private.h"

#define FL_WORKER_IDLE_SPINS 256
#define FL_WORKER_NAP_US 200
#define FL_WORKER_SLEEP_MS 100

static int arm_epoll(struct fl_worker *w)
{
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned i;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stop_fd, &ev) < 0)
		return -errno;
	for (i = 0; i < w->n_rxqs; i++) {
		int fd = fl_port_wait_fd(w->rxqs[i].port, w->rxqs[i].queue);

		if (fd < 0) {
			w->nap = true;
			continue;
		}
		ev.data.u32 = i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

struct fl_worker *fl_worker_create(struct fl_dp *dp, unsigned id)
{
	struct fl_worker *w;
	unsigned p, q;
	int err;

	w = aligned_alloc(FL_CACHE_LINE, (sizeof(*w) + FL_CACHE_LINE - 1) &
						 ~(size_t)(FL_CACHE_LINE - 1));
	if (!w)
		return NULL;
	memset(w, 0, offsetof(struct fl_worker, cache));
	w->dp = dp;
	w->id = id;
	w->epfd = w->stop_fd = -1;
	atomic_init(&w->stop, false);
	fl_pool_cache_init(&w->cache, dp->pool, 0);
	for (p = 0; p < dp->n_ports; p++) {
		struct fl_port *port = dp->ports[p];

		for (q = 0; q < port->n_rxq; q++) {
			if (w->n_rxqs == FL_DP_MAX_RXQS) {
				err = -E2BIG;
				goto err_free;
			}
			w->rxqs[w->n_rxqs++] = (struct fl_rxq_ref){port, q};
		}
	}
	err = -ENOMEM;
	if (!dp->params.emc_off) {
		w->emc = fl_emc_create(dp->params.emc_entries, dp->params.emc_inv_prob);
		if (!w->emc)
			goto err_free;
	}
	w->mf = fl_mf_create(dp->params.mf_limit, (fl_mf_release_fn *)fl_dp_actions_unref);
	if (!w->mf)
		goto err_free;
	w->emc_active = w->emc != NULL;
	fl_txbufs_init(&w->tx, dp, id);
	err = arm_epoll(w);
	if (err)
		goto err_free;
	return w;

err_free:
	fl_worker_destroy(w);
	errno = -err;
	return NULL;
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
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	free(w);
}

unsigned fl_worker_poll_once(struct fl_worker *w)
{
	struct fl_pkt *pkts[FL_BATCH_MAX];
	unsigned i, total = 0;
	uint64_t t0 = fl_rdtsc();

	for (i = 0; i < w->n_rxqs; i++) {
		const struct fl_rxq_ref *rxq = &w->rxqs[i];
		unsigned n;

		n = fl_port_rx_burst(rxq->port, rxq->queue, &w->cache, pkts, FL_BATCH_MAX);
		if (n == 0)
			continue;
		fl_fastpath_process(w, pkts, n);
		fl_txbufs_flush_pending(&w->tx, &w->cache);
		fl_counter_inc(&w->stats.batches);
		total += n;
	}
	if ((fl_counter_read(&w->stats.loops) & 1023) == 1023)
		fl_fastpath_maintain(w, fl_time_ns());
	fl_counter_inc(&w->stats.loops);
	if (total) {
		fl_counter_add(&w->stats.packets, total);
		fl_counter_add(&w->stats.busy_cycles, fl_rdtsc() - t0);
	} else {
		fl_counter_inc(&w->stats.idle_loops);
	}
	return total;
}

static bool all_rx_eof(const struct fl_worker *w)
{
	unsigned i;

	for (i = 0; i < w->n_rxqs; i++)
		if (!w->rxqs[i].port->rxq[w->rxqs[i].queue].eof)
			return false;
	return true;
}

static void sleep_until_traffic(struct fl_worker *w)
{
	struct epoll_event evs[8];
	int timeout_ms = w->nap ? 0 : FL_WORKER_SLEEP_MS;
	uint64_t drain;

	fl_counter_inc(&w->stats.sleeps);
	/* asleep, the worker holds no RCU references: let grace periods pass */
	rcu_thread_offline();
	if (w->nap) {
		/* a queue without an fd: look again after a short nap, but still wake
		 * at once for a stop or for traffic on the queues that have fds */
		if (epoll_wait(w->epfd, evs, FL_ARRAY_SIZE(evs), timeout_ms) > 0)
			goto drain_stop;
		usleep(FL_WORKER_NAP_US);
		goto online;
	}
	if (epoll_wait(w->epfd, evs, FL_ARRAY_SIZE(evs), timeout_ms) <= 0)
		goto online;
drain_stop:
	if (read(w->stop_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		goto online;
online:
	rcu_thread_online();
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
	unsigned idle = 0;

	fl_worker_thread_enter();
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		unsigned got = fl_worker_poll_once(w);

		rcu_quiescent_state();
		if (got) {
			idle = 0;
			continue;
		}
		if (stop_at_eof && all_rx_eof(w))
			break;
		if (++idle >= FL_WORKER_IDLE_SPINS)
			sleep_until_traffic(w);
	}
	fl_txbufs_flush_all(&w->tx, &w->cache);
	fl_worker_thread_leave();
}

void fl_worker_stop(struct fl_worker *w)
{
	uint64_t one = 1;

	atomic_store_explicit(&w->stop, true, memory_order_relaxed);
	if (w->stop_fd >= 0 && write(w->stop_fd, &one, sizeof(one)) < 0)
		return; /* the counter is saturated: a wakeup is already pending */
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
