/* flowlane-bench scenarios: each measures one thing in memory, on one core
 * unless it says otherwise, and reports how many units (packets, buffers,
 * hashes) it processed; the runner times it and takes the median of runs. */
#ifndef FL_BENCH_H
#define FL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_opts {
	const char *pcap;  /* forward, pipeline: the capture to replay */
	const char *flows; /* pipeline: the flows file */
	unsigned batch;    /* burst size where the scenario has one */
};

struct bench_scenario {
	const char *name;
	const char *unit; /* what one "packet" of the report is */
	const char *help;
	/* Prepare; returns opaque state or NULL with a message printed. */
	void *(*setup)(const struct bench_opts *opts);
	/* Do about `work` units; return how many were done. */
	uint64_t (*run)(void *state, uint64_t work);
	void (*teardown)(void *state);
	/* Optional: extra figures after the runs, as JSON members without
	 * braces (",\"emc_hits\":12"), also shown under the table row. */
	void (*stats)(void *state, char *buf, size_t size);
};

extern const struct bench_scenario bench_core_scenarios[];
extern const unsigned bench_core_n;
extern const struct bench_scenario bench_parse_scenarios[];
extern const unsigned bench_parse_n;
extern const struct bench_scenario bench_cache_scenarios[];
extern const unsigned bench_cache_n;
extern const struct bench_scenario bench_classifier_scenarios[];
extern const unsigned bench_classifier_n;
extern const struct bench_scenario bench_forward_scenarios[];
extern const unsigned bench_forward_n;

/* Keep the compiler from discarding a computed value. */
static inline void bench_sink(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

#endif
