/* flowlane-bench: run named scenarios in memory and report packets/s, ns and
 * cycles per packet, the median of several runs.
 *
 * Each run is sized to take about --time seconds (calibrated by a short
 * warm-up run), timed with CLOCK_MONOTONIC for ns and the TSC for cycles. The
 * machine is shared and noisy, so one run means little: the median of
 * --runs (default 5) is reported, and the spread (min..max pps) with it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/compiler.h"
#include "core/log.h"
#include "core/time.h"

#define MAX_RUNS 51

struct result {
	double pps, ns_per_pkt, cycles_per_pkt, pps_min, pps_max;
	unsigned runs;
	char extra[512]; /* the scenario's own figures, JSON members */
};

/* Every scenario file, in the order of the layers they measure. */
static const struct {
	const struct bench_scenario *list;
	const unsigned *n;
} groups[] = {
	{bench_core_scenarios, &bench_core_n},
	{bench_parse_scenarios, &bench_parse_n},
	{bench_cache_scenarios, &bench_cache_n},
	{bench_classifier_scenarios, &bench_classifier_n},
	{bench_forward_scenarios, &bench_forward_n},
};

static const struct bench_scenario *find_scenario(const char *name)
{
	unsigned g, i;

	for (g = 0; g < FL_ARRAY_SIZE(groups); g++)
		for (i = 0; i < *groups[g].n; i++)
			if (strcmp(groups[g].list[i].name, name) == 0)
				return &groups[g].list[i];
	return NULL;
}

static void for_each_scenario(void (*fn)(const struct bench_scenario *, void *), void *arg)
{
	unsigned g, i;

	for (g = 0; g < FL_ARRAY_SIZE(groups); g++)
		for (i = 0; i < *groups[g].n; i++)
			fn(&groups[g].list[i], arg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int measure(const struct bench_scenario *s, const struct bench_opts *opts, unsigned runs,
		   double run_secs, struct result *res)
{
	double pps[MAX_RUNS], cpp[MAX_RUNS];
	uint64_t work = 1 << 14, done, t0, t1, c0, c1;
	void *state;
	unsigned r;

	state = s->setup(opts);
	if (!state)
		return -1;
	/* warm up (caches, page faults, branch predictors) and size the runs */
	for (;;) {
		t0 = fl_time_ns();
		done = s->run(state, work);
		t1 = fl_time_ns();
		if (t1 - t0 > 20 * 1000 * 1000 || done < work)
			break;
		work *= 4;
	}
	if (done == 0) {
		fprintf(stderr, "flowlane-bench: %s: scenario did no work\n", s->name);
		s->teardown(state);
		return -1;
	}
	work = (uint64_t)((double)done * run_secs * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1));
	if (work < 1)
		work = 1;
	for (r = 0; r < runs; r++) {
		t0 = fl_time_ns();
		c0 = fl_rdtsc();
		done = s->run(state, work);
		c1 = fl_rdtsc();
		t1 = fl_time_ns();
		pps[r] = (double)done * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1);
		cpp[r] = done ? (double)(c1 - c0) / (double)done : 0;
	}
	res->extra[0] = '\0';
	if (s->stats)
		s->stats(state, res->extra, sizeof(res->extra));
	s->teardown(state);
	res->runs = runs;
	res->pps = median(pps, runs);
	res->pps_min = pps[0];
	res->pps_max = pps[runs - 1];
	res->cycles_per_pkt = median(cpp, runs);
	res->ns_per_pkt = res->pps > 0 ? 1e9 / res->pps : 0;
	return 0;
}

static void print_result(const struct bench_scenario *s, const struct result *r, bool json)
{
	if (json) {
		printf("{\"scenario\":\"%s\",\"unit\":\"%s\",\"pps\":%.0f,\"ns_per_pkt\":%.3f,"
		       "\"cycles_per_pkt\":%.2f,\"runs\":%u,\"pps_min\":%.0f,\"pps_max\":%.0f%s}\n",
		       s->name, s->unit, r->pps, r->ns_per_pkt, r->cycles_per_pkt, r->runs,
		       r->pps_min, r->pps_max, r->extra);
	} else {
		printf("%-18s %-8s %12.2f %10.2f %12.2f %6u   %.2f..%.2f\n", s->name, s->unit,
		       r->pps / 1e6, r->ns_per_pkt, r->cycles_per_pkt, r->runs, r->pps_min / 1e6,
		       r->pps_max / 1e6);
		if (r->extra[0])
			printf("%-18s   %s\n", "", r->extra + 1);
	}
	fflush(stdout);
}

static void print_header(void)
{
	printf("%-18s %-8s %12s %10s %12s %6s   %s\n", "scenario", "unit", "Mpps", "ns/unit",
	       "cycles/unit", "runs", "Mpps min..max");
}

static void list_one(const struct bench_scenario *s, void *arg)
{
	(void)arg;
	printf("  %-18s %s\n", s->name, s->help);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flowlane-bench [options] [SCENARIO...]\n"
		"\n"
		"Run benchmark scenarios in memory and print, for each, the median of\n"
		"several runs: millions of units per second, ns and TSC cycles per unit.\n"
		"With no SCENARIO, run them all.\n"
		"\n"
		"options:\n"
		"  -j, --json          one JSON object per scenario per line\n"
		"  -r, --runs N        runs per scenario, median reported (default 5)\n"
		"  -t, --time SEC      length of each run (default 0.3; also --seconds)\n"
		"  -p, --pcap FILE     capture for 'forward' and 'pipeline'\n"
		"                      (forward's default: 64 B UDP, one flow)\n"
		"  -f, --flows FILE    flows for 'pipeline' (pcap port is 1, null port 2)\n"
		"  -l, --list          list the scenarios\n"
		"  -h, --help          this text\n"
		"\n"
		"  flowlane-bench forward --pcap FILE   replays FILE from memory through\n"
		"  parse -> caches -> in_port=1 actions=output:2 -> null on one core.\n"
		"  flowlane-bench pipeline --pcap FILE --flows FILE   the same with your\n"
		"  flows; reports hits per cache level, upcalls and megaflows too.\n"
		"\nscenarios:\n");
	for_each_scenario(list_one, NULL);
}

struct run_all {
	const struct bench_opts *opts;
	bool all;       /* no scenario named: skip those that need input */
	unsigned runs;
	double secs;
	bool json;
	int failures;
};

/* Scenarios that measure the user's own input run only when named. */
static bool needs_user_input(const struct bench_scenario *s)
{
	return strcmp(s->name, "pipeline") == 0;
}

static void run_one(const struct bench_scenario *s, void *arg)
{
	struct run_all *ra = arg;
	struct result r;

	if (ra->all && needs_user_input(s))
		return;
	if (measure(s, ra->opts, ra->runs, ra->secs, &r) == 0)
		print_result(s, &r, ra->json);
	else
		ra->failures++;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},    {"runs", required_argument, NULL, 'r'},
		{"time", required_argument, NULL, 't'}, {"pcap", required_argument, NULL, 'p'},
		{"flows", required_argument, NULL, 'f'}, {"seconds", required_argument, NULL, 't'},
		{"list", no_argument, NULL, 'l'},    {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench_opts opts = {.batch = 32};
	struct run_all ra = {.opts = &opts, .runs = 5, .secs = 0.3};
	char *end;
	int c, i;

	while ((c = getopt_long(argc, argv, "jr:t:p:f:lh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			opts.flows = optarg;
			break;
		case 'j':
			ra.json = true;
			break;
		case 'r':
			ra.runs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || ra.runs < 1 || ra.runs > MAX_RUNS) {
				fprintf(stderr, "flowlane-bench: --runs: 1 to %d\n", MAX_RUNS);
				return 2;
			}
			break;
		case 't':
			ra.secs = strtod(optarg, &end);
			if (*end || !(ra.secs > 0 && ra.secs <= 60)) {
				fprintf(stderr, "flowlane-bench: --time: seconds, above 0, at most 60\n");
				return 2;
			}
			break;
		case 'p':
			opts.pcap = optarg;
			break;
		case 'l':
			for_each_scenario(list_one, NULL);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'flowlane-bench --help'.\n");
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		if (!find_scenario(argv[i])) {
			fprintf(stderr, "flowlane-bench: unknown scenario '%s' (see --list)\n",
				argv[i]);
			return 2;
		}
	}
	fl_tsc_hz();
	if (!ra.json)
		print_header();
	ra.all = optind == argc;
	if (ra.all)
		for_each_scenario(run_one, &ra);
	for (i = optind; i < argc; i++)
		run_one(find_scenario(argv[i]), &ra);
	return ra.failures ? 1 : 0;
}
