/* Log sink, level and rate limiter. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/time.h"

#define RL_BURST 10
#define RL_WINDOW_NS (5ull * 1000 * 1000 * 1000)

static enum fl_log_level current_level = FL_LOG_WARN;
static fl_log_sink_fn *current_sink;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

static void stderr_sink(enum fl_log_level level, const char *module, const char *msg)
{
	fprintf(stderr, "flowlane: %s: %s: %s\n", level_names[level], module, msg);
}

void fl_log_set_level(enum fl_log_level level)
{
	__atomic_store_n(&current_level, level, __ATOMIC_RELAXED);
}

enum fl_log_level fl_log_get_level(void)
{
	return __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

void fl_log_set_sink(fl_log_sink_fn *sink)
{
	current_sink = sink;
}

static void emit(enum fl_log_level level, const char *module, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	(current_sink ? current_sink : stderr_sink)(level, module, msg);
}

void fl_log_write(enum fl_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, module, fmt, ap);
	va_end(ap);
}

void fl_log_write_rl(struct fl_log_rl *rl, enum fl_log_level level, const char *module,
		     const char *fmt, ...)
{
	uint64_t now = fl_time_ns();
	va_list ap;

	if (now - rl->window_start_ns >= RL_WINDOW_NS) {
		if (rl->suppressed)
			fl_log_write(level, module, "%u similar messages suppressed",
				     rl->suppressed);
		rl->window_start_ns = now;
		rl->in_window = 0;
		rl->suppressed = 0;
	}
	if (rl->in_window >= RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->in_window++;
	va_start(ap, fmt);
	emit(level, module, fmt, ap);
	va_end(ap);
}
