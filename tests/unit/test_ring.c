/* Tests of core/ring: argument checks, single-thread semantics against a
 * counting model, wraparound of the slot index and of the free-running 32-bit
 * indices, and multi-thread stress where every value must arrive exactly once
 * and, per producer, in order.
 *
 * Each single-thread test runs over the four ring modes (SP/MP x SC/MC),
 * because the single and multi paths of fl_ring__reserve and
 * fl_ring__publish are separate code. The stress tests start their rings with
 * the indices a little below 2^32, so the wrap also happens under contention.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include <cmocka.h>

#include "core/ring.h"

_Static_assert(offsetof(struct fl_ring, prod) % FL_CACHE_LINE == 0, "prod on its own line");
_Static_assert(offsetof(struct fl_ring, cons) - offsetof(struct fl_ring, prod) >= FL_CACHE_LINE,
	       "prod and cons on separate lines");
_Static_assert(offsetof(struct fl_ring, slots) % FL_CACHE_LINE == 0, "slots line aligned");

/* Sanitizers slow the stress tests by 5-20x; keep them under a few seconds. */
#if defined(__SANITIZE_THREAD__)
#define STRESS_SCALE 10
#elif defined(__SANITIZE_ADDRESS__)
#define STRESS_SCALE 4
#else
#define STRESS_SCALE 1
#endif

static const unsigned ring_modes[] = {
	FL_RING_SPSC,
	FL_RING_MPMC,
	FL_RING_SP_ENQ, /* SP, MC */
	FL_RING_SC_DEQ, /* MP, SC */
};
#define N_MODES (sizeof(ring_modes) / sizeof(ring_modes[0]))

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Move an empty ring's four indices (and each side's cached copy of the
 * other's tail) to x, as if x objects had passed through it. */
static void ring_set_index(struct fl_ring *r, uint32_t x)
{
	assert_int_equal(fl_ring_count(r), 0);
	atomic_store(&r->prod.head, x);
	atomic_store(&r->prod.tail, x);
	atomic_store(&r->cons.head, x);
	atomic_store(&r->cons.tail, x);
	r->prod.other_cache = x;
	r->cons.other_cache = x;
}

static void *tag(uintptr_t v)
{
	return (void *)v;
}

/* ---- argument checks ---- */

static void ring_create_rejects_bad_args(void **state)
{
	static const unsigned bad_sizes[] = { 0, 3, 6, 1000, 1025, FL_RING_SIZE_MAX + 1,
					      FL_RING_SIZE_MAX << 1, 0xffffffffu };
	struct fl_ring *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		errno = 0;
		r = fl_ring_create(bad_sizes[i], FL_RING_SPSC);
		assert_null(r);
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(fl_ring_create(64, 1u << 2));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fl_ring_create(64, FL_RING_SPSC | 0x100));
	assert_int_equal(errno, EINVAL);

	for (i = 0; i < N_MODES; i++) {
		r = fl_ring_create(1, ring_modes[i]);
		assert_non_null(r);
		assert_int_equal(r->size, 1);
		assert_int_equal(r->mask, 0);
		assert_int_equal(fl_ring_count(r), 0);
		assert_int_equal(fl_ring_free_count(r), 1);
		fl_ring_destroy(r);
	}
	fl_ring_destroy(NULL);
}

static void ring_init_rejects_bad_args(void **state)
{
	size_t sz = fl_ring_memsize(64);
	struct fl_ring *r;

	(void)state;
	assert_int_equal(fl_ring_memsize(64), sizeof(struct fl_ring) + 64 * sizeof(void *));
	r = aligned_alloc(FL_CACHE_LINE, (sz + FL_CACHE_LINE - 1) & ~(size_t)(FL_CACHE_LINE - 1));
	assert_non_null(r);
	assert_int_equal(fl_ring_init(r, 0, 0), -EINVAL);
	assert_int_equal(fl_ring_init(r, 48, 0), -EINVAL);
	assert_int_equal(fl_ring_init(r, FL_RING_SIZE_MAX << 1, 0), -EINVAL);
	assert_int_equal(fl_ring_init(r, 64, 8), -EINVAL);
	assert_int_equal(fl_ring_init(r, 64, FL_RING_SPSC), 0);
	assert_int_equal(r->size, 64);
	assert_int_equal(r->mask, 63);
	assert_int_equal(r->flags, FL_RING_SPSC);
	assert_int_equal(fl_ring_free_count(r), 64);
	free(r);
}

/* ---- single thread ---- */

static void ring_burst_vs_bulk(void **state)
{
	void *in[16], *out[16];
	unsigned m, i;

	(void)state;
	for (i = 0; i < 16; i++)
		in[i] = tag(100 + i);
	for (m = 0; m < N_MODES; m++) {
		struct fl_ring *r = fl_ring_create(8, ring_modes[m]);

		assert_non_null(r);
		/* bulk is all or nothing */
		assert_int_equal(fl_ring_enqueue_bulk(r, in, 9), 0);
		assert_int_equal(fl_ring_count(r), 0);
		assert_int_equal(fl_ring_enqueue_bulk(r, in, 0), 0);
		assert_int_equal(fl_ring_enqueue_bulk(r, in, 5), 5);
		assert_int_equal(fl_ring_enqueue_bulk(r, in + 5, 4), 0);
		assert_int_equal(fl_ring_count(r), 5);
		/* burst takes what fits */
		assert_int_equal(fl_ring_enqueue_burst(r, in + 5, 4), 3);
		assert_int_equal(fl_ring_count(r), 8);
		assert_int_equal(fl_ring_free_count(r), 0);
		assert_int_equal(fl_ring_enqueue_burst(r, in, 1), 0);
		assert_int_equal(fl_ring_enqueue_bulk(r, in, 1), 0);

		assert_int_equal(fl_ring_dequeue_bulk(r, out, 9), 0);
		assert_int_equal(fl_ring_count(r), 8);
		assert_int_equal(fl_ring_dequeue_bulk(r, out, 3), 3);
		assert_int_equal(fl_ring_dequeue_burst(r, out + 3, 10), 5);
		for (i = 0; i < 8; i++)
			assert_ptr_equal(out[i], in[i]);
		assert_int_equal(fl_ring_count(r), 0);
		assert_int_equal(fl_ring_free_count(r), 8);
		assert_int_equal(fl_ring_dequeue_burst(r, out, 4), 0);
		assert_int_equal(fl_ring_dequeue_bulk(r, out, 1), 0);
		assert_int_equal(fl_ring_dequeue_burst(r, out, 0), 0);

		/* a partly drained ring: bulk dequeue larger than the fill fails */
		assert_int_equal(fl_ring_enqueue_burst(r, in, 3), 3);
		assert_int_equal(fl_ring_dequeue_bulk(r, out, 4), 0);
		assert_int_equal(fl_ring_dequeue_burst(r, out, 4), 3);
		fl_ring_destroy(r);
	}
}

/* A ring of size N holds exactly N, one at a time and in one bulk. */
static void ring_full_and_empty_edges(void **state)
{
	static const unsigned sizes[] = { 1, 2, 4, 64, 1024 };
	void **buf = calloc(1024, sizeof(void *));
	size_t s, m;
	unsigned i;

	(void)state;
	assert_non_null(buf);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (m = 0; m < N_MODES; m++) {
			unsigned n = sizes[s];
			struct fl_ring *r = fl_ring_create(n, ring_modes[m]);
			void *one;

			assert_non_null(r);
			for (i = 0; i < n; i++) {
				one = tag(i + 1);
				assert_int_equal(fl_ring_enqueue_burst(r, &one, 1), 1);
				assert_int_equal(fl_ring_count(r), i + 1);
				assert_int_equal(fl_ring_free_count(r), n - i - 1);
			}
			one = tag(0xdead);
			assert_int_equal(fl_ring_enqueue_burst(r, &one, 1), 0);
			assert_int_equal(fl_ring_enqueue_bulk(r, &one, 1), 0);
			for (i = 0; i < n; i++) {
				assert_int_equal(fl_ring_dequeue_bulk(r, &one, 1), 1);
				assert_ptr_equal(one, tag(i + 1));
			}
			assert_int_equal(fl_ring_dequeue_burst(r, &one, 1), 0);
			assert_int_equal(fl_ring_count(r), 0);

			/* all n in one bulk, out in one bulk */
			for (i = 0; i < n; i++)
				buf[i] = tag(i + 7);
			assert_int_equal(fl_ring_enqueue_bulk(r, buf, n), n);
			assert_int_equal(fl_ring_free_count(r), 0);
			memset(buf, 0, n * sizeof(void *));
			assert_int_equal(fl_ring_dequeue_bulk(r, buf, n), n);
			for (i = 0; i < n; i++)
				assert_ptr_equal(buf[i], tag(i + 7));
			fl_ring_destroy(r);
		}
	free(buf);
}

/* Push a stream of tagged values through r in odd-sized bursts and bulks,
 * checking order, counts and free counts against a model at every step. */
static void run_model(struct fl_ring *r, unsigned steps)
{
	void *in[64], *out[64];
	uintptr_t next_in = 1, next_out = 1;
	unsigned fill = 0, step, i, got, want;

	for (step = 0; step < steps; step++) {
		unsigned n = 1 + 2 * (unsigned)(rng_next() % 16); /* odd, 1..31 */
		bool bulk = rng_next() & 1;

		if (rng_next() % 2) {
			for (i = 0; i < n; i++)
				in[i] = tag(next_in + i);
			want = n <= r->size - fill ? n : (bulk ? 0 : r->size - fill);
			got = bulk ? fl_ring_enqueue_bulk(r, in, n) : fl_ring_enqueue_burst(r, in, n);
			assert_int_equal(got, want);
			next_in += got;
			fill += got;
		} else {
			want = n <= fill ? n : (bulk ? 0 : fill);
			got = bulk ? fl_ring_dequeue_bulk(r, out, n) : fl_ring_dequeue_burst(r, out, n);
			assert_int_equal(got, want);
			for (i = 0; i < got; i++)
				assert_ptr_equal(out[i], tag(next_out + i));
			next_out += got;
			fill -= got;
		}
		assert_int_equal(fl_ring_count(r), fill);
		assert_int_equal(fl_ring_free_count(r), r->size - fill);
	}
	/* drain */
	while (fill) {
		got = fl_ring_dequeue_burst(r, out, 64);
		assert_true(got > 0);
		for (i = 0; i < got; i++)
			assert_ptr_equal(out[i], tag(next_out + i));
		next_out += got;
		fill -= got;
	}
	assert_int_equal(next_out, next_in);
}

/* Many cycles of odd-sized bursts make the slot index wrap at every offset,
 * so the two-part copy at the end of the slot array is exercised. */
static void ring_slot_index_wraps(void **state)
{
	static const unsigned sizes[] = { 16, 32, 64 };
	size_t s, m;

	(void)state;
	rng_state = 0x5eed1001;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (m = 0; m < N_MODES; m++) {
			struct fl_ring *r = fl_ring_create(sizes[s], ring_modes[m]);
			uint32_t start;

			assert_non_null(r);
			run_model(r, 20000);
			start = atomic_load(&r->prod.tail);
			assert_true(start > 20 * sizes[s]); /* went around many times */
			fl_ring_destroy(r);
		}
}

/* The free-running 32-bit indices wrap at 2^32: start just below and push
 * through, for every mode (the SP/SC paths compare against a cached tail,
 * the MP/MC paths against a fresh one). */
static void ring_u32_index_wraps(void **state)
{
	static const uint32_t starts[] = { 0xffffffffu - 100, 0xffffffffu - 15, 0xffffffffu,
					   0x7fffffffu - 3 };
	size_t s, m;

	(void)state;
	rng_state = 0x5eed1002;
	for (s = 0; s < sizeof(starts) / sizeof(starts[0]); s++)
		for (m = 0; m < N_MODES; m++) {
			struct fl_ring *r = fl_ring_create(32, ring_modes[m]);
			void *buf[32];
			unsigned i;

			assert_non_null(r);
			ring_set_index(r, starts[s]);
			/* a full ring whose contents straddle the wrap */
			for (i = 0; i < 32; i++)
				buf[i] = tag(i + 1);
			assert_int_equal(fl_ring_enqueue_bulk(r, buf, 32), 32);
			assert_int_equal(fl_ring_count(r), 32);
			assert_int_equal(fl_ring_free_count(r), 0);
			assert_int_equal(fl_ring_enqueue_burst(r, buf, 1), 0);
			assert_int_equal(fl_ring_dequeue_bulk(r, buf, 32), 32);
			for (i = 0; i < 32; i++)
				assert_ptr_equal(buf[i], tag(i + 1));
			assert_int_equal(fl_ring_dequeue_burst(r, buf, 1), 0);

			ring_set_index(r, starts[s]);
			run_model(r, 2000);
			/* far enough to have crossed 2^32 (or 2^31 for the last start) */
			assert_true(atomic_load(&r->cons.tail) - starts[s] > 200);
			if (starts[s] > 0x80000000u)
				assert_true(atomic_load(&r->cons.tail) < starts[s]);
			fl_ring_destroy(r);
		}
}

/* ---- threads ---- */

#define STRESS_RING_SIZE 1024
#define STRESS_INDEX_START (0xffffffffu - 5000)

struct stress {
	struct fl_ring *r;
	unsigned n_prod, n_cons;
	uint64_t per_prod;          /* values each producer sends */
	_Atomic uint64_t consumed;  /* by all consumers */
	uint8_t *seen[2][4];        /* [consumer][producer] -> count per sequence */
};

struct stress_thread {
	struct stress *s;
	unsigned id;
	uint64_t seed;
	bool failed;
};

/* Values are (producer << 48) | sequence, sequence from 1, never NULL. */
static void *stress_producer(void *arg)
{
	struct stress_thread *t = arg;
	struct fl_ring *r = t->s->r;
	uint64_t seq = 1, rng = t->seed;
	void *buf[32];

	while (seq <= t->s->per_prod) {
		unsigned n, i, got;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		n = 1 + (unsigned)(rng % 32);
		if (n > t->s->per_prod - seq + 1)
			n = (unsigned)(t->s->per_prod - seq + 1);
		for (i = 0; i < n; i++)
			buf[i] = (void *)(uintptr_t)(((uint64_t)t->id << 48) | (seq + i));
		got = (rng >> 40) & 1 ? fl_ring_enqueue_bulk(r, buf, n)
				       : fl_ring_enqueue_burst(r, buf, n);
		seq += got;
		if (got == 0)
			sched_yield(); /* 2 cores, up to 4 threads: let a consumer run */
	}
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress_thread *t = arg;
	struct stress *s = t->s;
	uint64_t total = s->per_prod * s->n_prod, rng = t->seed;
	uint64_t last[4] = { 0 };
	void *buf[32];

	while (atomic_load_explicit(&s->consumed, memory_order_relaxed) < total) {
		unsigned n, i, got;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		n = 1 + (unsigned)(rng % 32);
		got = (rng >> 40) & 1 ? fl_ring_dequeue_bulk(s->r, buf, n)
				       : fl_ring_dequeue_burst(s->r, buf, n);
		if (got == 0) {
			sched_yield();
			continue;
		}
		for (i = 0; i < got; i++) {
			uint64_t v = (uintptr_t)buf[i];
			unsigned p = (unsigned)(v >> 48);
			uint64_t seq = v & 0xffffffffffffull;

			if (p >= s->n_prod || seq == 0 || seq > s->per_prod || seq <= last[p]) {
				t->failed = true; /* out of order, duplicate or garbage */
				continue;
			}
			/* with one consumer, nothing may be skipped either */
			if (s->n_cons == 1 && seq != last[p] + 1)
				t->failed = true;
			last[p] = seq;
			s->seen[t->id][p][seq]++;
		}
		atomic_fetch_add_explicit(&s->consumed, got, memory_order_relaxed);
	}
	return NULL;
}

static void run_stress(unsigned flags, unsigned n_prod, unsigned n_cons, uint64_t per_prod)
{
	struct stress s = { .n_prod = n_prod, .n_cons = n_cons, .per_prod = per_prod };
	struct stress_thread prod[4], cons[2];
	pthread_t tid[6];
	unsigned i, p, c;
	uint64_t seq;

	s.r = fl_ring_create(STRESS_RING_SIZE, flags);
	assert_non_null(s.r);
	ring_set_index(s.r, STRESS_INDEX_START);
	atomic_init(&s.consumed, 0);
	for (c = 0; c < n_cons; c++)
		for (p = 0; p < n_prod; p++) {
			s.seen[c][p] = calloc(per_prod + 1, 1);
			assert_non_null(s.seen[c][p]);
		}
	for (c = 0; c < n_cons; c++) {
		cons[c] = (struct stress_thread){ .s = &s, .id = c, .seed = 0x1234567 + c };
		assert_int_equal(pthread_create(&tid[c], NULL, stress_consumer, &cons[c]), 0);
	}
	for (p = 0; p < n_prod; p++) {
		prod[p] = (struct stress_thread){ .s = &s, .id = p, .seed = 0x7654321 + p };
		assert_int_equal(pthread_create(&tid[n_cons + p], NULL, stress_producer, &prod[p]),
				 0);
	}
	for (i = 0; i < n_cons + n_prod; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);

	for (c = 0; c < n_cons; c++)
		assert_false(cons[c].failed);
	assert_int_equal(atomic_load(&s.consumed), per_prod * n_prod);
	assert_int_equal(fl_ring_count(s.r), 0);
	/* every value exactly once over all consumers */
	for (p = 0; p < n_prod; p++)
		for (seq = 1; seq <= per_prod; seq++) {
			unsigned times = 0;

			for (c = 0; c < n_cons; c++)
				times += s.seen[c][p][seq];
			if (times != 1)
				fail_msg("producer %u value %llu received %u times", p,
					 (unsigned long long)seq, times);
		}
	/* the indices went through 2^32 */
	assert_true(atomic_load(&s.r->prod.tail) < STRESS_INDEX_START);
	for (c = 0; c < n_cons; c++)
		for (p = 0; p < n_prod; p++)
			free(s.seen[c][p]);
	fl_ring_destroy(s.r);
}

static void ring_stress_spsc(void **state)
{
	(void)state;
	run_stress(FL_RING_SPSC, 1, 1, 10000000 / STRESS_SCALE);
}

static void ring_stress_mpmc(void **state)
{
	(void)state;
	run_stress(FL_RING_MPMC, 2, 2, 2000000 / STRESS_SCALE);
}

static void ring_stress_mpsc(void **state)
{
	(void)state;
	run_stress(FL_RING_SC_DEQ, 2, 1, 1000000 / STRESS_SCALE);
}

static void ring_stress_spmc(void **state)
{
	(void)state;
	run_stress(FL_RING_SP_ENQ, 1, 2, 1000000 / STRESS_SCALE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_create_rejects_bad_args),
		cmocka_unit_test(ring_init_rejects_bad_args),
		cmocka_unit_test(ring_burst_vs_bulk),
		cmocka_unit_test(ring_full_and_empty_edges),
		cmocka_unit_test(ring_slot_index_wraps),
		cmocka_unit_test(ring_u32_index_wraps),
		cmocka_unit_test(ring_stress_spsc),
		cmocka_unit_test(ring_stress_mpmc),
		cmocka_unit_test(ring_stress_mpsc),
		cmocka_unit_test(ring_stress_spmc),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
