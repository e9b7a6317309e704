/* TSC frequency calibration. */
#include "core/time.h"

static uint64_t tsc_hz;

uint64_t fl_tsc_hz(void)
{
	uint64_t hz = __atomic_load_n(&tsc_hz, __ATOMIC_RELAXED);
	struct timespec pause = {0, 20 * 1000 * 1000};
	uint64_t t0, c0, t1, c1;

	if (hz)
		return hz;
	t0 = fl_time_ns();
	c0 = fl_rdtsc();
	nanosleep(&pause, NULL);
	t1 = fl_time_ns();
	c1 = fl_rdtsc();
	hz = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
	if (hz == 0)
		hz = 1;
	__atomic_store_n(&tsc_hz, hz, __ATOMIC_RELAXED);
	return hz;
}
