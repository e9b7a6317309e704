/* Ring creation; the enqueue/dequeue fast path is inline in ring.h. */
#include "core/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t fl_ring_memsize(unsigned size)
{
	return sizeof(struct fl_ring) + (size_t)size * sizeof(void *);
}

int fl_ring_init(struct fl_ring *r, unsigned size, unsigned flags)
{
	if (!fl_is_pow2(size) || size > FL_RING_SIZE_MAX)
		return -EINVAL;
	if (flags & ~(unsigned)FL_RING_SPSC)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->mask = size - 1;
	r->flags = flags;
	return 0;
}

struct fl_ring *fl_ring_create(unsigned size, unsigned flags)
{
	struct fl_ring *r;
	int err;

	if (!fl_is_pow2(size) || size > FL_RING_SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(FL_CACHE_LINE, (fl_ring_memsize(size) + FL_CACHE_LINE - 1) &
					     ~(size_t)(FL_CACHE_LINE - 1));
	if (!r)
		return NULL;
	err = fl_ring_init(r, size, flags);
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

void fl_ring_destroy(struct fl_ring *r)
{
	free(r);
}
