/* Clocks: the TSC for cycle counts on the fast path, CLOCK_MONOTONIC for time. */
#ifndef FL_CORE_TIME_H
#define FL_CORE_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t fl_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static inline uint64_t fl_time_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per second, measured once against CLOCK_MONOTONIC (about 20 ms
 * the first time it is called) and cached. */
uint64_t fl_tsc_hz(void);

#endif
