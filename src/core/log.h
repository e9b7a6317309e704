/* Logging for libraries: levels, a replaceable sink, rate limiting.
 *
 * A .c file defines FL_LOG_MODULE before using FL_LOG. Libraries never print
 * directly; the program chooses the sink (stderr by default, syslog for a
 * detached daemon). Anything a worker may log per packet uses FL_LOG_RL, which
 * lets a burst of 10 messages through per call site and then one per 5 s,
 * saying how many it suppressed. */
#ifndef FL_CORE_LOG_H
#define FL_CORE_LOG_H

#include <stdint.h>

#include "core/compiler.h"

enum fl_log_level {
	FL_LOG_ERR = 0,
	FL_LOG_WARN,
	FL_LOG_INFO,
	FL_LOG_DEBUG,
};

typedef void fl_log_sink_fn(enum fl_log_level level, const char *module, const char *msg);

void fl_log_set_level(enum fl_log_level level);
enum fl_log_level fl_log_get_level(void);
void fl_log_set_sink(fl_log_sink_fn *sink); /* NULL restores stderr */
void fl_log_write(enum fl_log_level level, const char *module, const char *fmt, ...)
	FL_PRINTF(3, 4);

/* Per-call-site state for FL_LOG_RL. */
struct fl_log_rl {
	uint64_t window_start_ns;
	uint32_t in_window;
	uint32_t suppressed;
};
void fl_log_write_rl(struct fl_log_rl *rl, enum fl_log_level level, const char *module,
		     const char *fmt, ...) FL_PRINTF(4, 5);

#define FL_LOG(level, ...)                                        \
	do {                                                      \
		if ((level) <= fl_log_get_level())                \
			fl_log_write((level), FL_LOG_MODULE, __VA_ARGS__); \
	} while (0)

#define FL_LOG_RL(level, ...)                                                   \
	do {                                                                    \
		static struct fl_log_rl fl_log_rl_site_;                        \
		if ((level) <= fl_log_get_level())                              \
			fl_log_write_rl(&fl_log_rl_site_, (level), FL_LOG_MODULE, __VA_ARGS__); \
	} while (0)

#endif
