/* The running switch: worker threads over a datapath, and every change the
 * control thread makes while they run (switch.h has the picture).
 *
 * The rule for changes: workers only ever see a state that is whole. Their
 * rx queue lists change through fl_worker_call (the worker itself swaps the
 * list between two loops); anything a worker might still hold from before a
 * change (a port being deleted or reopened) is released only after an RCU
 * grace period, which every worker passes at the end of each poll loop or
 * while it sleeps.
 */
#define _LGPL_SOURCE
#define FL_LOG_MODULE "switch"
#include <urcu-qsbr.h>

#include "datapath/switch.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "datapath/switch_private.h"
#include "datapath/worker_private.h"

#define CALL_TIMEOUT_MS 5000u
#define REBALANCE_EVERY_S 10u

static void *worker_main(void *arg)
{
	struct sw_worker *sww = arg;
	char name[16];

	snprintf(name, sizeof(name), "flowlane-w%u", sww->w->id);
	pthread_setname_np(pthread_self(), name);
	fl_worker_run(sww->w, false);
	return NULL;
}

/* The CPUs this process may run on (taskset, cpusets), in order: workers
 * are placed among these, never outside them. */
static unsigned allowed_cpus(int *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;
	int c;

	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		for (c = 0; c < ncpu && n < max; c++)
			cpus[n++] = c;
		return n;
	}
	for (c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static int start_worker(struct fl_switch *sw, unsigned i, char *err, size_t errlen)
{
	struct sw_worker *sww = &sw->workers[i];
	int cpus[CPU_SETSIZE];
	unsigned ncpu = allowed_cpus(cpus, CPU_SETSIZE);
	int ret;

	sww->w = fl_worker_create_idle(sw->dp, i);
	if (!sww->w) {
		snprintf(err, errlen, "worker %u: %s", i, strerror(errno));
		return -errno;
	}
	fl_worker_set_idle(sww->w, sw->params.idle_spins, sw->params.sleep_ms);
	fl_worker_set_poll_us(sww->w, sw->params.poll_us);
	ret = pthread_create(&sww->thread, NULL, worker_main, sww);
	if (ret) {
		snprintf(err, errlen, "worker %u: cannot start a thread: %s", i, strerror(ret));
		fl_worker_destroy(sww->w);
		sww->w = NULL;
		return -ret;
	}
	/* workers on the allowed CPUs the control thread (on the first one)
	 * leaves; with no CPU to spare they float over all of them */
	if (ncpu > 1 && sw->n_workers < ncpu) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[(i + 1) % ncpu], &set);
		pthread_setaffinity_np(sww->thread, sizeof(set), &set);
	}
	return 0;
}

static void stop_worker(struct fl_switch *sw, unsigned i)
{
	struct sw_worker *sww = &sw->workers[i];

	if (!sww->w)
		return;
	fl_worker_stop(sww->w);
	pthread_join(sww->thread, NULL);
	fl_worker_destroy(sww->w);
	sww->w = NULL;
}

struct set_rxqs_call {
	const struct fl_rxq_ref *refs;
	unsigned n;
	int ret;
};

static void do_set_rxqs(struct fl_worker *w, void *arg)
{
	struct set_rxqs_call *c = arg;

	c->ret = fl_worker_set_rxqs(w, c->refs, c->n);
}

/* Give every worker the rx queues the assignment table says, skipping ports
 * that are down. Returns 0 or the first error. */
int fl_switch__apply_rxqs(struct fl_switch *sw)
{
	struct fl_rxq_ref refs[FL_DP_MAX_RXQS];
	unsigned i, s, q;
	int ret = 0;

	for (i = 0; i < sw->n_workers; i++) {
		struct set_rxqs_call c = {.refs = refs};

		for (s = 0; s < sw->dp->n_ports; s++) {
			struct fl_port *port = sw->dp->ports[s];

			if (!port || sw->ports[s].down)
				continue;
			for (q = 0; q < port->n_rxq; q++)
				if (sw->ports[s].rxq_worker[q] == i && c.n < FL_DP_MAX_RXQS)
					refs[c.n++] = (struct fl_rxq_ref){
						port, q,
						sw->rps_n > 1 && port->n_rxq < sw->n_workers};
		}
		if (fl_worker_call(sw->workers[i].w, do_set_rxqs, &c, CALL_TIMEOUT_MS) < 0) {
			FL_LOG(FL_LOG_ERR, "worker %u did not take its new rx queues in %u ms", i,
			       CALL_TIMEOUT_MS);
			ret = ret ? ret : -ETIMEDOUT;
		} else if (c.ret < 0 && !ret) {
			ret = c.ret;
		}
	}
	return ret;
}

static unsigned rxqs_of_worker(const struct fl_switch *sw, unsigned worker)
{
	unsigned s, q, n = 0;

	for (s = 0; s < sw->dp->n_ports; s++)
		for (q = 0; sw->dp->ports[s] && q < sw->dp->ports[s]->n_rxq; q++)
			n += sw->ports[s].rxq_worker[q] == worker;
	return n;
}

static unsigned least_loaded_worker(const struct fl_switch *sw)
{
	unsigned i, best = 0, best_n = ~0u;

	for (i = 0; i < sw->n_workers; i++) {
		unsigned n = rxqs_of_worker(sw, i);

		if (n < best_n) {
			best = i;
			best_n = n;
		}
	}
	return best;
}

/* tx queues shared by several workers need the per-burst lock */
static void update_tx_sharing(struct fl_switch *sw)
{
	unsigned s;

	for (s = 0; s < sw->dp->n_ports; s++) {
		struct fl_port *port = sw->dp->ports[s];

		if (port)
			__atomic_store_n(&port->tx_shared, sw->n_workers > port->n_txq,
					 __ATOMIC_RELAXED);
	}
}

struct fl_switch *fl_switch_create(const struct fl_switch_params *params, char *err,
				   size_t errlen)
{
	struct fl_switch *sw = calloc(1, sizeof(*sw));
	int cpus[CPU_SETSIZE];
	unsigned ncpu = allowed_cpus(cpus, CPU_SETSIZE);
	unsigned i;

	if (!sw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (params)
		sw->params = *params;
	if (!sw->params.n_workers)
		sw->params.n_workers = ncpu > 1 ? ncpu - 1 : 1;
	if (sw->params.n_workers > FL_SWITCH_MAX_WORKERS) {
		snprintf(err, errlen, "workers: 1 to %u", FL_SWITCH_MAX_WORKERS);
		free(sw);
		errno = EINVAL;
		return NULL;
	}
	sw->dp = fl_dp_create(&sw->params.dp);
	if (!sw->dp) {
		snprintf(err, errlen, "cannot create the datapath: %s", strerror(errno));
		free(sw);
		return NULL;
	}
	sw->params.dp = sw->dp->params;
	sw->n_workers = sw->params.n_workers;
	for (i = 0; i < sw->n_workers; i++) {
		if (start_worker(sw, i, err, errlen) < 0) {
			sw->n_workers = i;
			fl_switch_destroy(sw);
			return NULL;
		}
	}
	fl_switch__rps_configure(sw);
	sw->next_rebalance_ns = fl_time_ns() + REBALANCE_EVERY_S * 1000000000ull;
	return sw;
}

void fl_switch_destroy(struct fl_switch *sw)
{
	unsigned i;

	if (!sw)
		return;
	for (i = 0; i < sw->n_workers; i++)
		if (sw->workers[i].w)
			fl_worker_stop(sw->workers[i].w);
	for (i = 0; i < sw->n_workers; i++)
		stop_worker(sw, i);
	sw->n_workers = 0;
	fl_switch__rps_free(sw);
	free(sw->toeplitz);
	fl_capture_free(sw->capture);
	fl_dp_destroy(sw->dp);
	free(sw);
}

struct fl_dp *fl_switch_dp(struct fl_switch *sw)
{
	return sw->dp;
}

struct fl_pipeline *fl_switch_pipeline(struct fl_switch *sw)
{
	return sw->dp->pl;
}

const struct fl_switch_params *fl_switch_params(const struct fl_switch *sw)
{
	return &sw->params;
}

static int slot_of_port(const struct fl_switch *sw, const struct fl_port *port)
{
	unsigned s;

	for (s = 0; s < sw->dp->n_ports; s++)
		if (sw->dp->ports[s] == port)
			return (int)s;
	return -1;
}

int fl_switch_add_port(struct fl_switch *sw, const char *name, uint32_t port_no,
		       const char *spec, char *err, size_t errlen)
{
	struct fl_port *port;
	unsigned q;
	int ret, slot;

	ret = fl_dp_add_port(sw->dp, name, port_no, spec, err, errlen);
	if (ret < 0)
		return ret;
	port = fl_dp_find_port(sw->dp, name);
	slot = slot_of_port(sw, port);
	memset(&sw->ports[slot], 0, sizeof(sw->ports[slot]));
	for (q = 0; q < FL_PORT_MAX_QUEUES; q++)
		sw->ports[slot].rxq_worker[q] = FL_SW_NO_WORKER;
	for (q = 0; q < port->n_rxq; q++)
		sw->ports[slot].rxq_worker[q] = (uint16_t)least_loaded_worker(sw);
	/* least_loaded counts this port's queues as they are assigned: a port
	 * of several queues spreads over the workers */
	update_tx_sharing(sw);
	ret = fl_switch__apply_rxqs(sw);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: workers did not take its queues: %s", name,
			 strerror(-ret));
		fl_switch__remove_port(sw, port);
		return ret;
	}
	FL_LOG(FL_LOG_INFO, "port %s (%u): %s, %u rx / %u tx queues", name, port->port_no, spec,
	       port->n_rxq, port->n_txq);
	return 0;
}

void fl_switch__remove_port(struct fl_switch *sw, struct fl_port *port)
{
	int slot = slot_of_port(sw, port);

	if (sw->capture && fl_capture_port(sw->capture) == port)
		fl_switch__capture_detach(sw);
	/* off the workers' rx lists, then out of the maps, then a grace period
	 * so no worker is still between looking it up and sending to it */
	sw->ports[slot].down = true;
	fl_switch__apply_rxqs(sw);
	fl_dp_unmap_port(sw->dp, port);
	synchronize_rcu();
	fl_dp_close_port(sw->dp, port);
	memset(&sw->ports[slot], 0, sizeof(sw->ports[slot]));
}

int fl_switch_del_port(struct fl_switch *sw, const char *name_or_no, char *err,
		       size_t errlen)
{
	struct fl_port *port = fl_dp_find_port(sw->dp, name_or_no);
	char name[FL_PORT_NAME_MAX];

	if (!port) {
		snprintf(err, errlen, "no port '%s'", name_or_no);
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "%s", port->name);
	fl_switch__remove_port(sw, port);
	FL_LOG(FL_LOG_INFO, "port %s deleted", name);
	return 0;
}

/* Spread every rx queue over workers [0, n) round-robin. */
static void spread_rxqs(struct fl_switch *sw, unsigned n)
{
	unsigned s, q, next = 0;

	for (s = 0; s < sw->dp->n_ports; s++)
		for (q = 0; sw->dp->ports[s] && q < sw->dp->ports[s]->n_rxq; q++)
			sw->ports[s].rxq_worker[q] = (uint16_t)(next++ % n);
}

int fl_switch_set_workers(struct fl_switch *sw, unsigned n, char *err, size_t errlen)
{
	unsigned i, old = sw->n_workers;
	int ret;

	if (n < 1 || n > FL_SWITCH_MAX_WORKERS) {
		snprintf(err, errlen, "workers: 1 to %u", FL_SWITCH_MAX_WORKERS);
		return -EINVAL;
	}
	if (n == old)
		return 0;
	fl_switch__rps_free(sw);
	if (n > old) {
		for (i = old; i < n; i++) {
			ret = start_worker(sw, i, err, errlen);
			if (ret < 0) {
				while (i-- > old)
					stop_worker(sw, i);
				fl_switch__rps_configure(sw);
				return ret;
			}
		}
		sw->n_workers = n;
		spread_rxqs(sw, n);
		update_tx_sharing(sw);
	} else {
		/* queues off the workers that go, before they go */
		spread_rxqs(sw, n);
		fl_switch__apply_rxqs(sw);
		for (i = n; i < old; i++)
			stop_worker(sw, i);
		sw->n_workers = n;
		update_tx_sharing(sw);
	}
	fl_switch__rps_configure(sw);
	fl_switch__apply_rxqs(sw);
	sw->params.n_workers = n;
	FL_LOG(FL_LOG_INFO, "workers: %u (was %u)", n, old);
	return 0;
}

int fl_switch_set_params(struct fl_switch *sw, const struct fl_switch_params *params,
			 char *err, size_t errlen)
{
	struct fl_dp_params *dpp = &sw->dp->params;
	unsigned i, n = params->n_workers ? params->n_workers : sw->n_workers;
	bool restart = params->dp.emc_entries != dpp->emc_entries ||
		       params->dp.emc_inv_prob != dpp->emc_inv_prob ||
		       params->dp.emc_off != dpp->emc_off ||
		       params->dp.mf_limit != dpp->mf_limit ||
		       params->dp.mf_idle_ms != dpp->mf_idle_ms;
	int ret;

	if (params->dp.n_bufs != dpp->n_bufs || params->dp.huge != dpp->huge ||
	    params->dp.mac_aging_s != dpp->mac_aging_s) {
		snprintf(err, errlen, "the buffer pool and MAC aging are set at start only");
		return -EINVAL;
	}
	if (restart) {
		/* caches are sized at worker creation: new workers, empty caches */
		unsigned old = sw->n_workers;

		fl_switch__rps_free(sw);
		for (i = 0; i < old; i++)
			stop_worker(sw, i);
		sw->n_workers = 0;
		dpp->emc_entries = params->dp.emc_entries;
		dpp->emc_inv_prob = params->dp.emc_inv_prob;
		dpp->emc_off = params->dp.emc_off;
		dpp->mf_limit = params->dp.mf_limit;
		dpp->mf_idle_ms = params->dp.mf_idle_ms;
		for (i = 0; i < old; i++) {
			ret = start_worker(sw, i, err, errlen);
			if (ret < 0)
				return ret;
			sw->n_workers = i + 1;
		}
		fl_switch__rps_configure(sw);
		fl_switch__apply_rxqs(sw);
	}
	sw->params.idle_spins = params->idle_spins;
	sw->params.sleep_ms = params->sleep_ms;
	sw->params.poll_us = params->poll_us;
	sw->params.no_rps = params->no_rps;
	sw->params.dp = *dpp;
	for (i = 0; i < sw->n_workers; i++) {
		fl_worker_set_idle(sw->workers[i].w, params->idle_spins, params->sleep_ms);
		fl_worker_set_poll_us(sw->workers[i].w, params->poll_us);
	}
	return n != sw->n_workers ? fl_switch_set_workers(sw, n, err, errlen) : 0;
}

int fl_switch_assign_rxq(struct fl_switch *sw, const char *name, unsigned queue,
			 unsigned worker, char *err, size_t errlen)
{
	struct fl_port *port = fl_dp_find_port(sw->dp, name);

	if (!port) {
		snprintf(err, errlen, "no port '%s'", name);
		return -ENOENT;
	}
	if (queue >= port->n_rxq) {
		snprintf(err, errlen, "port %s has rx queues 0 to %u", port->name,
			 port->n_rxq - 1);
		return -EINVAL;
	}
	if (worker >= sw->n_workers) {
		snprintf(err, errlen, "workers are 0 to %u", sw->n_workers - 1);
		return -EINVAL;
	}
	sw->ports[slot_of_port(sw, port)].rxq_worker[queue] = (uint16_t)worker;
	return fl_switch__apply_rxqs(sw);
}

unsigned fl_switch_n_workers(const struct fl_switch *sw)
{
	return sw->n_workers;
}

unsigned fl_switch_n_ports(const struct fl_switch *sw)
{
	unsigned s, n = 0;

	for (s = 0; s < sw->dp->n_ports; s++)
		n += sw->dp->ports[s] != NULL;
	return n;
}

int fl_switch_port_info(struct fl_switch *sw, unsigned i, struct fl_switch_port_info *info)
{
	struct fl_port *by_no[FL_DP_MAX_PORTS], *port;
	unsigned s, n = 0, a, b, q;
	int slot;

	for (s = 0; s < sw->dp->n_ports; s++)
		if (sw->dp->ports[s])
			by_no[n++] = sw->dp->ports[s];
	if (i >= n)
		return -ENOENT;
	/* the i-th smallest port number (a few dozen ports: selection is fine) */
	for (a = 0; a <= i; a++)
		for (b = a + 1; b < n; b++)
			if (by_no[b]->port_no < by_no[a]->port_no) {
				port = by_no[a];
				by_no[a] = by_no[b];
				by_no[b] = port;
			}
	port = by_no[i];
	slot = slot_of_port(sw, port);
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", port->name);
	snprintf(info->spec, sizeof(info->spec), "%s", port->spec);
	info->type = port->ops->type;
	info->port_no = port->port_no;
	info->mtu = port->mtu;
	info->up = !sw->ports[slot].down;
	info->link_changes = sw->ports[slot].link_changes;
	info->n_rxq = port->n_rxq;
	info->n_txq = port->n_txq;
	for (q = 0; q < port->n_rxq && q < FL_PORT_MAX_QUEUES; q++)
		info->rxq_worker[q] = sw->ports[slot].rxq_worker[q];
	fl_port_get_stats(port, &info->stats);
	snprintf(info->error, sizeof(info->error), "%s", port->error);
	return 0;
}

int fl_switch_worker_info(struct fl_switch *sw, unsigned i, struct fl_switch_worker_info *info)
{
	struct fl_worker *w;

	if (i >= sw->n_workers)
		return -ENOENT;
	w = sw->workers[i].w;
	memset(info, 0, sizeof(*info));
	info->id = i;
	info->cpu = fl_worker_cpu(w);
	info->n_rxqs = fl_worker_get_rxqs(w, NULL, NULL, FL_DP_MAX_RXQS);
	fl_worker_get_stats(w, &info->stats);
	fl_worker_get_cache_stats(w, &info->emc, &info->mf);
	return 0;
}

int fl_switch_call(struct fl_switch *sw, unsigned i, fl_switch_call_fn *fn, void *arg,
		   unsigned timeout_ms)
{
	if (i >= sw->n_workers)
		return -ENOENT;
	return fl_worker_call(sw->workers[i].w, fn, arg, timeout_ms);
}

struct trace_call {
	const struct fl_key *key;
	struct fl_trace *trace;
	int ret;
};

static void do_trace(struct fl_worker *w, void *arg)
{
	struct trace_call *c = arg;

	c->ret = fl_worker_trace(w, c->key, c->trace);
}

int fl_switch_trace(struct fl_switch *sw, const struct fl_key *key, struct fl_trace *trace)
{
	struct trace_call c = {.key = key, .trace = trace};
	int ret = fl_switch_call(sw, 0, do_trace, &c, CALL_TIMEOUT_MS);

	return ret < 0 ? ret : c.ret;
}
