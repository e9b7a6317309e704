/* Statistics counters written by one thread and read by any.
 *
 * The owner adds with a relaxed load and store (a plain add on x86, no lock
 * prefix); readers load relaxed. Counters are never written by two threads. */
#ifndef FL_CORE_COUNTER_H
#define FL_CORE_COUNTER_H

#include <stdint.h>

static inline void fl_counter_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void fl_counter_inc(uint64_t *c)
{
	fl_counter_add(c, 1);
}

static inline uint64_t fl_counter_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
