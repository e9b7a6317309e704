/* The switch's once-a-second work on the control thread: follow link state,
 * expire flows, and move rx queues between workers by load. */
#define _LGPL_SOURCE
#define FL_LOG_MODULE "switch"
#include <urcu-qsbr.h>

#include "datapath/switch.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "datapath/switch_private.h"
#include "datapath/worker_private.h"

#define REOPEN_RETRY_NS 1000000000ull
#define REBALANCE_EVERY_NS 10000000000ull

static void port_went_down(struct fl_switch *sw, unsigned slot, struct fl_port *port)
{
	struct sw_port *sp = &sw->ports[slot];

	sp->down = true;
	sp->link_changes++;
	__atomic_store_n(&port->down, 1, __ATOMIC_RELAXED);
	fl_switch__apply_rxqs(sw);
	/* after this no worker is inside rx or tx on the port: reopen may run */
	synchronize_rcu();
	FL_LOG(FL_LOG_WARN, "port %s: link down%s", port->name,
	       port->ops->reopen ? " (will reopen when the interface is back)" : "");
}

static bool port_came_back(struct fl_switch *sw, unsigned slot, struct fl_port *port,
			   uint64_t now_ns)
{
	struct sw_port *sp = &sw->ports[slot];
	char err[256] = "";

	if (port->ops->reopen) {
		if (now_ns < sp->next_reopen_ns)
			return false;
		if (port->ops->reopen(port, err, sizeof(err)) < 0) {
			sp->next_reopen_ns = now_ns + REOPEN_RETRY_NS;
			FL_LOG_RL(FL_LOG_WARN, "port %s: cannot reopen: %s", port->name, err);
			return false;
		}
	}
	sp->down = false;
	sp->link_changes++;
	__atomic_store_n(&port->down, 0, __ATOMIC_RELAXED);
	fl_switch__apply_rxqs(sw);
	FL_LOG(FL_LOG_INFO, "port %s: link up", port->name);
	return true;
}

static unsigned monitor_links(struct fl_switch *sw, uint64_t now_ns)
{
	unsigned s, changes = 0;

	for (s = 0; s < sw->dp->n_ports; s++) {
		struct fl_port *port = sw->dp->ports[s];
		bool up;

		if (!port || !port->ops->link_up)
			continue;
		up = fl_port_link_up(port);
		if (!up && !sw->ports[s].down) {
			port_went_down(sw, s, port);
			changes++;
		} else if (up && sw->ports[s].down) {
			changes += port_came_back(sw, s, port, now_ns);
		}
	}
	return changes;
}

struct rxq_load {
	unsigned slot, queue;
	uint64_t cycles;
};

/* Greedy: heaviest queue first onto the least loaded worker. Applied only
 * when it lowers the busiest worker's load by a tenth or more, so queues do
 * not move back and forth on noise. */
void fl_switch_rebalance(struct fl_switch *sw)
{
	struct rxq_load loads[FL_DP_MAX_RXQS];
	uint64_t now_load[FL_SWITCH_MAX_WORKERS] = {0}, new_load[FL_SWITCH_MAX_WORKERS] = {0};
	uint64_t now_max = 0, new_max = 0;
	uint16_t choice[FL_DP_MAX_RXQS];
	unsigned n = 0, i, j, w;

	if (sw->n_workers < 2)
		return;
	for (w = 0; w < sw->n_workers; w++) {
		struct fl_rxq_ref refs[FL_DP_MAX_RXQS];
		uint64_t cycles[FL_DP_MAX_RXQS];
		unsigned k = fl_worker_get_rxqs(sw->workers[w].w, refs, cycles, FL_DP_MAX_RXQS);

		for (i = 0; i < k && n < FL_DP_MAX_RXQS; i++) {
			int slot = -1;

			for (j = 0; j < sw->dp->n_ports; j++)
				if (sw->dp->ports[j] == refs[i].port)
					slot = (int)j;
			if (slot < 0)
				continue;
			loads[n].slot = (unsigned)slot;
			loads[n].queue = refs[i].queue;
			loads[n].cycles = cycles[i] - sw->ports[slot].rxq_cycles_mark[refs[i].queue];
			sw->ports[slot].rxq_cycles_mark[refs[i].queue] = cycles[i];
			now_load[w] += loads[n].cycles;
			n++;
		}
	}
	for (i = 1; i < n; i++) /* by load, heaviest first (insertion sort) */
		for (j = i; j > 0 && loads[j].cycles > loads[j - 1].cycles; j--) {
			struct rxq_load t = loads[j];

			loads[j] = loads[j - 1];
			loads[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		unsigned best = 0;

		for (w = 1; w < sw->n_workers; w++)
			if (new_load[w] < new_load[best])
				best = w;
		choice[i] = (uint16_t)best;
		new_load[best] += loads[i].cycles;
	}
	for (w = 0; w < sw->n_workers; w++) {
		now_max = now_load[w] > now_max ? now_load[w] : now_max;
		new_max = new_load[w] > new_max ? new_load[w] : new_max;
	}
	if (new_max * 10 > now_max * 9)
		return;
	for (i = 0; i < n; i++)
		sw->ports[loads[i].slot].rxq_worker[loads[i].queue] = choice[i];
	fl_switch__apply_rxqs(sw);
	FL_LOG(FL_LOG_INFO, "rx queues rebalanced: busiest worker %.0f%% of before",
	       now_max ? 100.0 * (double)new_max / (double)now_max : 0.0);
}

unsigned fl_switch_tick(struct fl_switch *sw, uint64_t now_ns)
{
	unsigned changes = monitor_links(sw, now_ns);

	changes += fl_pipeline_expire(sw->dp->pl, now_ns);
	if (now_ns >= sw->next_rebalance_ns) {
		sw->next_rebalance_ns = now_ns + REBALANCE_EVERY_NS;
		fl_switch_rebalance(sw);
	}
	return changes;
}
