/* Run-time CPU feature detection with an environment override. */
#include "core/cpu.h"

#include <stdlib.h>
#include <string.h>

static int cached = -1; /* bit per feature, -1 = not read yet */

static int detect(void)
{
	const char *force = getenv("FLOWLANE_CPU");
	int bits = 0;

#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2"))
		bits |= 1 << FL_CPU_SSE42;
	if (__builtin_cpu_supports("avx2"))
		bits |= 1 << FL_CPU_AVX2;
#endif
	if (force && strcmp(force, "baseline") == 0)
		bits &= 1 << FL_CPU_SSE42;
	if (force && strcmp(force, "scalar") == 0)
		bits = 0;
	return bits;
}

bool fl_cpu_has(enum fl_cpu_feature f)
{
	int bits = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (bits < 0) {
		bits = detect();
		__atomic_store_n(&cached, bits, __ATOMIC_RELAXED);
	}
	return bits & (1 << f);
}

void fl_cpu_reset(void)
{
	__atomic_store_n(&cached, -1, __ATOMIC_RELAXED);
}
