/* flowlane replay: what its three files share.
 *
 *   replay.c         ports, the capture check, the run, the files at the end
 *   replay_opts.c    the command line
 *   replay_report.c  the summary (text, JSON) and --trace's per-packet outcome
 */
#ifndef FL_TOOLS_REPLAY_PRIVATE_H
#define FL_TOOLS_REPLAY_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "datapath/dp.h"
#include "flow/flow.h"

/* One output port: its number, name, and the file it writes. */
struct replay_port {
	uint32_t no;
	char name[FL_PORT_NAME_MAX];
	struct fl_port *port;
	uint64_t in;                /* capture packets that arrived on it */
	char partial[PATH_MAX];     /* written while the replay runs */
	char final[PATH_MAX];       /* renamed to this when it succeeds */
	bool created;               /* partial exists on disk */
};

/* Counters of packets in and what became of them. */
struct replay_counts {
	uint64_t packets;           /* read from the capture */
	uint64_t injected;          /* ... run through the datapath */
	uint64_t skipped_short;     /* captured short of their length (snaplen) */
	uint64_t skipped_big;       /* longer than a buffer's data room */
	unsigned n_ifaces;          /* interfaces described (largest section) */
	uint32_t n_sections;
	bool ng;
};

/* --port NAME=NUM */
struct named_port {
	char name[FL_PORT_NAME_MAX];
	uint32_t no;
};

/* Everything one replay holds. */
struct replay {
	/* options */
	const char *flows_path, *in_path, *out_dir;
	unsigned n_ports_opt;        /* --ports N; 0: not given */
	struct named_port named[FL_DP_MAX_PORTS];
	unsigned n_named;
	uint32_t in_port;            /* --in-port; 0: by interface */
	unsigned mtu;                /* 0: the ports' default */
	const char *miss_args[FL_PIPELINE_TABLES];
	unsigned n_miss;
	bool trace, json, quiet;
	/* the port set, by number */
	uint64_t want[FL_DP_PORT_NO_MAX / 64];
	struct replay_port ports[FL_DP_MAX_PORTS];
	unsigned n_ports;
	struct fl_port_resolver resolver;
	struct fl_flow_spec *specs;
	size_t n_specs;
	struct replay_counts counts;
	struct fl_dp *dp;
	struct fl_worker *w;
	struct fl_pool_cache *cache;
	bool made_dir;               /* --out did not exist: removed on failure */
};

/* Parse the command line into *rp (zeroed). 0, or -EINVAL after saying why;
 * --help prints the usage and exits. */
int replay_parse_options(struct replay *rp, int argc, char **argv);

struct replay_report {
	const char *capture;
	const struct replay_port *ports;
	unsigned n_ports;
	const struct replay_counts *counts;
	struct fl_dp *dp;
	const struct fl_worker *w;
};

/* The summary at the end: packets in, out per port, drops by reason, cache
 * hits per level; as text or one JSON object. */
void replay_report_print(FILE *out, const struct replay_report *rep, bool json);

/* --trace: what one packet did, from counters read before (*before) and
 * after it went through; refreshes *before. */
struct replay_snapshot {
	uint64_t tx[FL_DP_MAX_PORTS];
	uint64_t tx_drops[FL_DP_MAX_PORTS][FL_PORT_DROP_MAX];
	struct fl_exec_stats exec;
};
void replay_snapshot(const struct replay_report *rep, struct replay_snapshot *s);
void replay_trace_outcome(FILE *out, const struct replay_report *rep,
			  struct replay_snapshot *before);

#endif
