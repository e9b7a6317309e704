/* Counters of action execution, per worker (kept apart from execute.h so
 * dp.h can embed them without pulling in the tx buffers). */
#ifndef FL_DATAPATH_EXECUTE_STATS_H
#define FL_DATAPATH_EXECUTE_STATS_H

#include <stdint.h>

struct fl_exec_stats {
	uint64_t dropped_by_actions; /* lists with no output */
	uint64_t no_port;            /* output to a port that does not exist */
	uint64_t clone_failed;       /* no buffer for a copy */
	uint64_t bad_header;         /* a rewrite found no header to rewrite */
	uint64_t copies;             /* extra copies made for multiple outputs */
};

#endif
