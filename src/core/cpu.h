/* CPU features chosen at run time.
 *
 * The baseline is x86-64-v2 (SSE4.2, POPCNT), which the build assumes. Wider
 * instruction sets (AVX2) are used only through functions compiled for them
 * and picked here at run time. FLOWLANE_CPU=baseline in the environment
 * forces the baseline paths, which is how the tests run both. */
#ifndef FL_CORE_CPU_H
#define FL_CORE_CPU_H

#include <stdbool.h>

enum fl_cpu_feature {
	FL_CPU_SSE42,
	FL_CPU_AVX2,
};

bool fl_cpu_has(enum fl_cpu_feature f);
/* Forget the cached answer and re-read FLOWLANE_CPU (tests). */
void fl_cpu_reset(void);

#endif
