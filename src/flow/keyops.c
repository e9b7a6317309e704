/* Choosing the key operations' implementation (flow/keyops.h).
 *
 * The choice is made once, on first use, from core/cpu.h, and kept in a
 * plain int the inline wrappers test: a load and a predictable branch per
 * call, with the baseline path inlined into the caller. A table of function
 * pointers was the other option; it makes the baseline path an indirect call
 * too (measured in bench/bench_cache.c: key-equal-fnptr). Workers only read
 * the flag; it is written before they start or by tests between cases, so
 * relaxed atomics are enough (no other data is published with it).
 */
#include "flow/keyops.h"

#include "core/cpu.h"

int fl_keyops_isa = -1;

int fl_keyops_select(void)
{
	int isa = fl_cpu_has(FL_CPU_AVX2) ? 1 : 0;

	__atomic_store_n(&fl_keyops_isa, isa, __ATOMIC_RELAXED);
	return isa;
}
