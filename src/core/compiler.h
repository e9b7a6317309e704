/* Compiler helpers used everywhere: branch hints, alignment, prefetch. */
#ifndef FL_CORE_COMPILER_H
#define FL_CORE_COMPILER_H

#include <stddef.h>

#define FL_CACHE_LINE 64

#define FL_LIKELY(x) __builtin_expect(!!(x), 1)
#define FL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define FL_ALIGNED(n) __attribute__((aligned(n)))
#define FL_CACHE_ALIGNED FL_ALIGNED(FL_CACHE_LINE)
#define FL_PACKED __attribute__((packed))
#define FL_UNUSED __attribute__((unused))
#define FL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FL_ALWAYS_INLINE inline __attribute__((always_inline))

#define FL_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#define FL_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)

#define FL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define FL_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline int fl_is_pow2(unsigned long x)
{
	return x && !(x & (x - 1));
}

#endif
