/* Executing datapath actions on a group of packets.
 *
 * The worker groups the packets of a burst by the megaflow (and so the
 * action list) they hit, then runs each list once per group: every action
 * is applied to all packets of the group before the next action, so the
 * action's code and data stay hot while the group streams through it.
 * OUTPUT hands packets to the worker's per-port tx buffers; all but the last
 * output of a list send copies (a fresh buffer each), the last one the
 * original. Packets are always consumed: sent, or dropped and counted.
 */
#ifndef FL_DATAPATH_EXECUTE_H
#define FL_DATAPATH_EXECUTE_H

#include "core/pool.h"
#include "datapath/execute_stats.h"
#include "datapath/txbuf.h"
#include "pipeline/dpact.h"

void fl_execute(struct fl_txbufs *tx, struct fl_pool_cache *cache, struct fl_exec_stats *st,
		const struct fl_dp_actions *acts, struct fl_pkt **pkts, unsigned n);

#endif
