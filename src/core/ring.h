/* Lock-free rings of pointers: single or multi producer, single or multi consumer.
 *
 * A ring is a power-of-two array of slots and two pairs of free-running 32-bit
 * indices. Indices only move forward and wrap at 2^32; a slot is index & mask.
 * Because the indices are free-running, head - tail is the fill level even
 * when the ring is completely full, so all `size` slots are usable.
 *
 *   cache line 0: size, mask, flags                (read only after init)
 *   cache line 1: prod.head, prod.tail, prod.cons_cache   (producers write)
 *   cache line 2: cons.head, cons.tail, cons.prod_cache   (consumers write)
 *   slots[size]
 *
 * An enqueue reserves [head, head+n) by moving prod.head (a plain store with a
 * single producer, a CAS with several), copies the pointers in, then publishes
 * them by moving prod.tail. With several producers each one waits until the
 * reservations before its own are published, so prod.tail only ever covers
 * fully written slots. Dequeue is the mirror image on cons.
 *
 * Memory ordering — the two pairings everything rests on:
 *  (A) producer: store-release of prod.tail after writing slots
 *      consumer: load-acquire of prod.tail before reading slots
 *  (B) consumer: store-release of cons.tail after reading slots
 *      producer: load-acquire of cons.tail before overwriting slots
 * and, between threads of the same side (several producers or consumers),
 *  (C) the head CAS is a release, the head loads are acquires, and the wait
 *      for earlier reservations in fl_ring__publish is an acquire.
 *
 * A single producer (or consumer) keeps a private copy of the other side's
 * tail and only reloads it when the copy says the ring is full (empty), so in
 * steady state the two sides do not touch each other's cache line per call.
 *
 * Names carry the contract: _burst moves 0..n objects, _bulk moves n or 0.
 */
#ifndef FL_CORE_RING_H
#define FL_CORE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"

enum {
	FL_RING_SP_ENQ = 1u << 0, /* exactly one thread enqueues */
	FL_RING_SC_DEQ = 1u << 1, /* exactly one thread dequeues */
};
#define FL_RING_SPSC (FL_RING_SP_ENQ | FL_RING_SC_DEQ)
#define FL_RING_MPMC 0u
#define FL_RING_SIZE_MAX (1u << 30)

struct fl_ring_side {
	_Atomic uint32_t head; /* next index to reserve */
	_Atomic uint32_t tail; /* everything before it is published */
	uint32_t other_cache;  /* single-thread side: last seen tail of the other side */
};

struct fl_ring {
	uint32_t size;
	uint32_t mask;
	uint32_t flags;
	struct fl_ring_side prod FL_CACHE_ALIGNED;
	struct fl_ring_side cons FL_CACHE_ALIGNED;
	void *slots[] FL_CACHE_ALIGNED;
};

/* Bytes needed for a ring of `size` slots (size a power of two). */
size_t fl_ring_memsize(unsigned size);
/* Initialise a ring in caller memory of fl_ring_memsize(size) bytes, 64-byte
 * aligned. Returns 0 or -EINVAL for a size that is not a power of two. */
int fl_ring_init(struct fl_ring *r, unsigned size, unsigned flags);
/* Allocate and initialise; NULL with errno set on failure. */
struct fl_ring *fl_ring_create(unsigned size, unsigned flags);
void fl_ring_destroy(struct fl_ring *r);

static inline void fl_ring_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Reserve up to n slots on `side` against the other side's published tail.
 * `capacity_bias` is size for producers (free = size + other_tail - head) and
 * 0 for consumers (avail = other_tail - head). Returns the count reserved and
 * the old head in *start. */
static FL_ALWAYS_INLINE unsigned
fl_ring__reserve(struct fl_ring_side *self, struct fl_ring_side *other,
		 bool single, uint32_t capacity_bias, unsigned n, bool bulk, uint32_t *start)
{
	uint32_t head, room, other_tail;

	if (single) {
		head = atomic_load_explicit(&self->head, memory_order_relaxed);
		room = capacity_bias + self->other_cache - head;
		if (room < n) {
			/* pairs with the other side's store-release of its tail (A or B) */
			other_tail = atomic_load_explicit(&other->tail, memory_order_acquire);
			self->other_cache = other_tail;
			room = capacity_bias + other_tail - head;
		}
		if (room < n) {
			if (bulk)
				return 0;
			n = room;
		}
		atomic_store_explicit(&self->head, head + n, memory_order_relaxed);
		*start = head;
		return n;
	}

	head = atomic_load_explicit(&self->head, memory_order_acquire);
	for (;;) {
		unsigned want = n;

		/* pairs with the other side's store-release of its tail (A or B) */
		other_tail = atomic_load_explicit(&other->tail, memory_order_acquire);
		room = capacity_bias + other_tail - head;
		if (room < want) {
			if (bulk)
				return 0;
			want = room;
		}
		if (want == 0)
			return 0;
		/* (C) release on success pairs with the acquire loads of head (the
		 * one above and a failed CAS) in the other threads of this side:
		 * whoever sees our new head also sees a tail of the other side at
		 * least as new as the one we checked, so its room never underflows
		 * and it cannot reserve slots that are not published yet. */
		if (atomic_compare_exchange_weak_explicit(&self->head, &head, head + want,
							  memory_order_acq_rel,
							  memory_order_acquire)) {
			*start = head;
			return want;
		}
	}
}

/* Publish [start, start+n) on `self`: wait for earlier reservations (several
 * threads only), then move the tail with release semantics (A or B).
 * (C) The wait is an acquire: it pairs with the earlier thread's store-release of
 * the tail, so that thread's slot accesses happen before our release and
 * reach whoever acquires our tail. (A store is not part of another thread's
 * release sequence; with a relaxed wait the other side would synchronise
 * with us only, not with the earlier thread whose slots it then touches.) */
static FL_ALWAYS_INLINE void fl_ring__publish(struct fl_ring_side *self, bool single,
					      uint32_t start, unsigned n)
{
	if (!single)
		while (atomic_load_explicit(&self->tail, memory_order_acquire) != start)
			fl_ring_pause();
	atomic_store_explicit(&self->tail, start + n, memory_order_release);
}

static FL_ALWAYS_INLINE unsigned fl_ring__enqueue(struct fl_ring *r, void *const *objs,
						  unsigned n, bool bulk)
{
	bool single = r->flags & FL_RING_SP_ENQ;
	uint32_t start, idx;
	unsigned i, got;

	got = fl_ring__reserve(&r->prod, &r->cons, single, r->size, n, bulk, &start);
	if (got == 0)
		return 0;
	idx = start & r->mask;
	if (FL_LIKELY(idx + got <= r->size)) {
		for (i = 0; i < got; i++)
			r->slots[idx + i] = objs[i];
	} else {
		unsigned first = r->size - idx;

		for (i = 0; i < first; i++)
			r->slots[idx + i] = objs[i];
		for (; i < got; i++)
			r->slots[i - first] = objs[i];
	}
	fl_ring__publish(&r->prod, single, start, got);
	return got;
}

static FL_ALWAYS_INLINE unsigned fl_ring__dequeue(struct fl_ring *r, void **objs,
						  unsigned n, bool bulk)
{
	bool single = r->flags & FL_RING_SC_DEQ;
	uint32_t start, idx;
	unsigned i, got;

	got = fl_ring__reserve(&r->cons, &r->prod, single, 0, n, bulk, &start);
	if (got == 0)
		return 0;
	idx = start & r->mask;
	if (FL_LIKELY(idx + got <= r->size)) {
		for (i = 0; i < got; i++)
			objs[i] = r->slots[idx + i];
	} else {
		unsigned first = r->size - idx;

		for (i = 0; i < first; i++)
			objs[i] = r->slots[idx + i];
		for (; i < got; i++)
			objs[i] = r->slots[i - first];
	}
	fl_ring__publish(&r->cons, single, start, got);
	return got;
}

/* Enqueue up to n objects; returns how many were enqueued (0..n). */
static inline unsigned fl_ring_enqueue_burst(struct fl_ring *r, void *const *objs, unsigned n)
{
	return fl_ring__enqueue(r, objs, n, false);
}

/* Enqueue all n objects or none; returns n or 0. */
static inline unsigned fl_ring_enqueue_bulk(struct fl_ring *r, void *const *objs, unsigned n)
{
	return fl_ring__enqueue(r, objs, n, true);
}

/* Dequeue up to n objects; returns how many were dequeued (0..n). */
static inline unsigned fl_ring_dequeue_burst(struct fl_ring *r, void **objs, unsigned n)
{
	return fl_ring__dequeue(r, objs, n, false);
}

/* Dequeue exactly n objects or none; returns n or 0. */
static inline unsigned fl_ring_dequeue_bulk(struct fl_ring *r, void **objs, unsigned n)
{
	return fl_ring__dequeue(r, objs, n, true);
}

/* Objects in the ring. Exact when no enqueue or dequeue is in flight. */
static inline unsigned fl_ring_count(const struct fl_ring *r)
{
	/* cons first: a later prod can only overstate the count, which is clamped */
	uint32_t cons = atomic_load_explicit(&r->cons.tail, memory_order_acquire);
	uint32_t prod = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
	uint32_t count = prod - cons;

	return count > r->size ? r->size : count;
}

static inline unsigned fl_ring_free_count(const struct fl_ring *r)
{
	return r->size - fl_ring_count(r);
}

#endif
