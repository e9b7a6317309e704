/* flowlane run: the one-shot switch, run from the command line.
 *
 * One worker moves packets between ports given as spec strings through the
 * OpenFlow pipeline (flows from --flows, --map shorthands) and the flow
 * caches; counters are printed at exit and on SIGUSR1, and --trace shows
 * how a packet would be handled. The main thread is the control thread: it
 * sets things up, handles signals and the time limit, and reports; the
 * worker thread touches the packets.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/time.h"
#include "datapath/dp.h"
#include "proto/parse.h"
#include "report.h"
#include "tools.h"

#define MAX_MAPS FL_DP_MAX_PORTS

struct options {
	const char *port_args[FL_DP_MAX_PORTS];
	unsigned n_ports;
	const char *map_args[MAX_MAPS];
	unsigned n_maps;
	const char *flows_file;
	const char *miss_args[FL_PIPELINE_TABLES];
	unsigned n_miss;
	const char *trace;     /* flow text, or hex bytes with --trace-hex */
	bool trace_hex;
	unsigned trace_in_port;
	struct fl_dp_params dp;
	double duration;   /* seconds, 0 = until the input ends or a signal */
	double stats_interval;
	bool json;
	bool quiet;
};

static void usage(FILE *out)
{
	unsigned n, i;
	const struct fl_port_ops *const *b = fl_port_backends(&n);

	fprintf(out,
		"usage: flowlane run --port NAME[@NUM]=SPEC ... [--flows FILE] [--map IN=OUT ...]\n"
		"                    [options]\n"
		"\n"
		"Switch packets between ports by OpenFlow-style flow tables. Each frame\n"
		"received is parsed and looked up in the exact-match cache, then the\n"
		"megaflow cache, and on a miss translated through the tables (whose\n"
		"result is cached). Runs until every input is exhausted, --duration\n"
		"passes, or SIGINT / SIGTERM; prints per-port counters, cache hits and\n"
		"drops by reason at exit and on SIGUSR1. (Plain 'flowlane' runs the daemon\n"
		"that flowctl programs; see flowlane --help.)\n"
		"\n"
		"options:\n"
		"  -p, --port NAME[@NUM]=SPEC  add a port; NUM is its OpenFlow port number\n"
		"                              (default: the next free one from 1)\n"
		"  -f, --flows FILE            flows, one per line in ovs-ofctl syntax\n"
		"                              ('table=0,priority=10,ip,nw_dst=10.0.0.0/8\n"
		"                              actions=output:2'); all or nothing\n"
		"  -m, --map IN=OUT            shorthand for the flow 'in_port=IN\n"
		"                              actions=output:OUT' (names or numbers; OUT\n"
		"                              'drop' drops; IN=OUT,OUT=IN lists accepted).\n"
		"                              A packet no flow matches is dropped.\n"
		"  -t, --trace PACKET          after the run, show how PACKET is handled:\n"
		"                              which cache holds it, the rule of each table,\n"
		"                              the actions and the megaflow. PACKET is a\n"
		"                              match in flow syntax ('in_port=1,tcp,\n"
		"                              nw_dst=10.0.0.1,tp_dst=80'), or with\n"
		"                              --trace-hex a frame as hex bytes\n"
		"      --trace-hex             PACKET is hex bytes of a frame\n"
		"      --trace-in-port N       in_port for --trace-hex (default 1)\n"
		"      --table-miss T=ACTION   what table T does with a packet no rule\n"
		"                              matches: drop (default), continue (to table\n"
		"                              T+1) or normal (learning switch)\n"
		"      --emc N                 exact-match cache entries (default 8192)\n"
		"      --emc-insert-inv-prob N insert 1 in N EMC misses (default 100;\n"
		"                              1 = always, 0 = no EMC)\n"
		"      --megaflows N           megaflow cache limit (default 200000)\n"
		"  -d, --duration SECONDS      stop after this long (fractions allowed)\n"
		"  -b, --buffers N             packet buffers in the pool (default 16384)\n"
		"  -i, --stats-interval SEC    also print counters every SEC seconds\n"
		"  -j, --json                  print counters as JSON\n"
		"  -q, --quiet                 print nothing but errors\n"
		"  -v, --verbose               log more (repeat for debug)\n"
		"  -h, --help                  this text\n"
		"\n"
		"port specs:\n");
	for (i = 0; i < n; i++)
		fprintf(out, "  %s\n", b[i]->usage);
	fprintf(out,
		"\n"
		"examples:\n"
		"  flowlane run --port in=pcap:trace.pcap --port out=pcap:tx=out.pcap --map in=out\n"
		"  flowlane run -p in=pcap:trace.pcap -p web=pcap:tx=web.pcap -p rest=null: \\\n"
		"      --flows acl.flows --trace 'in_port=1,tcp,nw_dst=10.0.0.1,tp_dst=80'\n"
		"  flowlane run -p gen=gen:flows=1000,count=10000000 -p sink=null: -m gen=sink\n");
}

static int parse_double(const char *s, const char *what, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "flowlane: %s: '%s' is not a non-negative number\n", what, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"map", required_argument, NULL, 'm'},
		{"duration", required_argument, NULL, 'd'},
		{"buffers", required_argument, NULL, 'b'},
		{"stats-interval", required_argument, NULL, 'i'},
		{"flows", required_argument, NULL, 'f'},
		{"trace", required_argument, NULL, 't'},
		{"trace-hex", no_argument, NULL, 'X'},
		{"trace-in-port", required_argument, NULL, 'I'},
		{"emc", required_argument, NULL, 'E'},
		{"emc-insert-inv-prob", required_argument, NULL, 'P'},
		{"megaflows", required_argument, NULL, 'M'},
		{"table-miss", required_argument, NULL, 'T'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, verbosity = FL_LOG_WARN;
	double d;

	o->trace_in_port = 1;
	while ((c = getopt_long(argc, argv, "p:m:d:b:i:f:t:jqvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->flows_file = optarg;
			break;
		case 'T':
			if (o->n_miss == FL_PIPELINE_TABLES)
				return -EINVAL;
			o->miss_args[o->n_miss++] = optarg;
			break;
		case 't':
			o->trace = optarg;
			break;
		case 'X':
			o->trace_hex = true;
			break;
		case 'I':
			if (parse_double(optarg, "--trace-in-port", &d) || d < 1 || d >= FL_DP_PORT_NO_MAX)
				return -EINVAL;
			o->trace_in_port = (unsigned)d;
			break;
		case 'E':
			if (parse_double(optarg, "--emc", &d) || d < 1 || d > FL_EMC_MAX_ENTRIES ||
			    !fl_is_pow2((unsigned long)d)) {
				fprintf(stderr, "flowlane: --emc: a power of two, 1 to %u\n",
					FL_EMC_MAX_ENTRIES);
				return -EINVAL;
			}
			o->dp.emc_entries = (unsigned)d;
			break;
		case 'P':
			if (parse_double(optarg, "--emc-insert-inv-prob", &d) || d > 1e9)
				return -EINVAL;
			if (d == 0)
				o->dp.emc_off = true;
			else
				o->dp.emc_inv_prob = (unsigned)d;
			break;
		case 'M':
			if (parse_double(optarg, "--megaflows", &d) || d < 1 || d > (1u << 24)) {
				fprintf(stderr, "flowlane: --megaflows: 1 to %u\n", 1u << 24);
				return -EINVAL;
			}
			o->dp.mf_limit = (unsigned)d;
			break;
		case 'p':
			if (o->n_ports == FL_DP_MAX_PORTS) {
				fprintf(stderr, "flowlane: at most %u ports\n", FL_DP_MAX_PORTS);
				return -EINVAL;
			}
			o->port_args[o->n_ports++] = optarg;
			break;
		case 'm':
			if (o->n_maps == MAX_MAPS) {
				fprintf(stderr, "flowlane: at most %u --map options\n", MAX_MAPS);
				return -EINVAL;
			}
			o->map_args[o->n_maps++] = optarg;
			break;
		case 'd':
			if (parse_double(optarg, "--duration", &o->duration))
				return -EINVAL;
			break;
		case 'b':
			if (parse_double(optarg, "--buffers", &d) || d < 64 || d > (1u << 24)) {
				fprintf(stderr, "flowlane: --buffers: 64 to %u\n", 1u << 24);
				return -EINVAL;
			}
			o->dp.n_bufs = (unsigned)d;
			break;
		case 'i':
			if (parse_double(optarg, "--stats-interval", &o->stats_interval))
				return -EINVAL;
			break;
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			if (verbosity < FL_LOG_DEBUG)
				verbosity++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'flowlane run --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowlane: unexpected argument '%s'\nTry 'flowlane run --help'.\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->n_ports == 0) {
		fprintf(stderr, "flowlane: no ports given\nTry 'flowlane run --help'.\n");
		return -EINVAL;
	}
	fl_log_set_level(verbosity);
	return 0;
}

/* "NAME[@NUM]=SPEC" */
static int add_port(struct fl_dp *dp, const char *arg)
{
	char name[FL_PORT_NAME_MAX + 16], err[512], *at, *end;
	const char *eq = strchr(arg, '=');
	unsigned long no = 0;
	size_t len;

	if (!eq || eq == arg) {
		fprintf(stderr, "flowlane: --port '%s': expected NAME[@NUM]=SPEC\n", arg);
		return -EINVAL;
	}
	len = (size_t)(eq - arg);
	if (len >= sizeof(name)) {
		fprintf(stderr, "flowlane: --port '%s': name too long\n", arg);
		return -EINVAL;
	}
	memcpy(name, arg, len);
	name[len] = '\0';
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		no = strtoul(at + 1, &end, 10);
		if (!at[1] || *end || no == 0 || no >= FL_DP_PORT_NO_MAX) {
			fprintf(stderr, "flowlane: --port '%s': port number must be 1 to %u\n",
				arg, FL_DP_PORT_NO_MAX - 1);
			return -EINVAL;
		}
	}
	if (fl_dp_add_port(dp, name, (uint32_t)no, eq + 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowlane: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* "IN=OUT[,IN=OUT...]" */
static int add_maps(struct fl_dp *dp, const char *arg)
{
	char buf[512], *save = NULL, *item;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "flowlane: --map: argument too long\n");
		return -EINVAL;
	}
	strcpy(buf, arg);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		struct fl_port *in, *out = NULL;

		if (!eq) {
			fprintf(stderr, "flowlane: --map '%s': expected IN=OUT\n", item);
			return -EINVAL;
		}
		*eq = '\0';
		in = fl_dp_find_port(dp, item);
		if (!in) {
			fprintf(stderr, "flowlane: --map: no port '%s'\n", item);
			return -EINVAL;
		}
		if (strcmp(eq + 1, "drop") != 0) {
			out = fl_dp_find_port(dp, eq + 1);
			if (!out) {
				fprintf(stderr, "flowlane: --map: no port '%s'\n", eq + 1);
				return -EINVAL;
			}
		}
		if (fl_dp_map(dp, in, out) < 0) {
			fprintf(stderr, "flowlane: --map %s: cannot add the flow\n", item);
			return -EINVAL;
		}
	}
	return 0;
}

/* "T=drop|continue|normal" */
static int set_table_miss(struct fl_dp *dp, const char *arg)
{
	static const char *const names[] = {"drop", "continue", "normal"};
	char *end;
	unsigned long table = strtoul(arg, &end, 10);
	unsigned i;

	if (end == arg || *end != '=' || table >= FL_PIPELINE_TABLES) {
		fprintf(stderr, "flowlane: --table-miss '%s': expected TABLE=ACTION, TABLE 0 to %u\n",
			arg, FL_PIPELINE_TABLES - 1);
		return -EINVAL;
	}
	for (i = 0; i < FL_ARRAY_SIZE(names); i++)
		if (strcmp(end + 1, names[i]) == 0)
			return fl_pipeline_set_miss(dp->pl, (unsigned)table, (enum fl_table_miss)i);
	fprintf(stderr, "flowlane: --table-miss '%s': ACTION is drop, continue or normal\n", arg);
	return -EINVAL;
}

static int load_flows(struct fl_dp *dp, const char *path)
{
	char err[512], *text;
	int ret;

	text = fl_flow_read_file(path, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "flowlane: %s\n", err);
		return -EINVAL;
	}
	ret = fl_pipeline_flow_mod_text(dp->pl, text, path, FL_FLOW_ADD, err, sizeof(err));
	free(text);
	if (ret < 0) {
		fprintf(stderr, "flowlane: %s\n", err);
		return ret;
	}
	return 0;
}

struct run {
	struct fl_worker *worker;
	atomic_bool done;
};

static void *worker_main(void *arg)
{
	struct run *run = arg;

	fl_worker_run(run->worker, true);
	atomic_store(&run->done, true);
	return NULL;
}

/* The control loop: wait for the worker, a signal or the time limit. */
static void control_loop(struct fl_dp *dp, struct run *run, const struct options *o,
			 uint64_t t_start)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	uint64_t next_stats = t_start + (uint64_t)(o->stats_interval * 1e9);
	uint64_t next_expire = t_start + 1000000000ull;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	while (!atomic_load(&run->done)) {
		uint64_t now = fl_time_ns();

		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGUSR1 && !o->quiet)
			fl_report_print(stdout, dp, run->worker, now - t_start, o->json);
		if (o->duration > 0 && now - t_start >= (uint64_t)(o->duration * 1e9))
			break;
		/* idle and hard timeouts, MAC aging: the control thread's timers */
		if (now >= next_expire) {
			fl_pipeline_expire(dp->pl, now);
			next_expire = now + 1000000000ull;
		}
		if (o->stats_interval > 0 && now >= next_stats && !o->quiet) {
			fl_report_print(stdout, dp, run->worker, now - t_start, o->json);
			next_stats += (uint64_t)(o->stats_interval * 1e9);
		}
	}
	fl_worker_stop(run->worker);
}

int fl_tool_run(int argc, char **argv)
{
	struct options o = {0};
	struct run run = {0};
	struct fl_dp *dp;
	pthread_t thread;
	sigset_t set;
	uint64_t t_start, elapsed;
	int status = 1;
	unsigned i;

	if (parse_options(argc, argv, &o))
		return 2;
	/* signals go to the control loop only, never interrupt the worker */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	dp = fl_dp_create(&o.dp);
	if (!dp) {
		fprintf(stderr, "flowlane: cannot allocate the packet pool: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < o.n_ports; i++)
		if (add_port(dp, o.port_args[i]))
			goto out_dp;
	for (i = 0; i < o.n_miss; i++)
		if (set_table_miss(dp, o.miss_args[i]) < 0)
			goto out_dp;
	if (o.flows_file && load_flows(dp, o.flows_file))
		goto out_dp;
	for (i = 0; i < o.n_maps; i++)
		if (add_maps(dp, o.map_args[i]))
			goto out_dp;
	if (!o.flows_file && !o.n_maps && !o.n_miss && !o.quiet)
		fprintf(stderr, "flowlane: no --flows or --map: every packet misses table 0 "
				"and is dropped\n");
	run.worker = fl_worker_create(dp, 0);
	if (!run.worker) {
		fprintf(stderr, "flowlane: cannot create the worker: %s\n", strerror(errno));
		goto out_dp;
	}
	t_start = fl_time_ns();
	if (pthread_create(&thread, NULL, worker_main, &run)) {
		fprintf(stderr, "flowlane: cannot start the worker thread\n");
		goto out_worker;
	}
	control_loop(dp, &run, &o, t_start);
	pthread_join(thread, NULL);
	elapsed = fl_time_ns() - t_start;
	if (!o.quiet)
		fl_report_print(stdout, dp, run.worker, elapsed, o.json);
	status = fl_report_port_errors(stderr, dp) ? 1 : 0;
	if (o.trace && fl_run_trace(dp, run.worker, o.trace, o.trace_hex, o.trace_in_port) < 0)
		status = 2;
out_worker:
	fl_worker_destroy(run.worker);
out_dp:
	fl_dp_destroy(dp);
	return status;
}
