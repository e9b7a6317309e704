/* Tests of datapath/emc: exact hits, overwrites, dead megaflows, insertion
 * probability, batches against single lookups, and a property test.
 *
 * The EMC points at megaflow entries, so the tests make real ones in a
 * megaflow cache. The property test drives the EMC the way a worker does
 * (EMC batch -> megaflow batch for the misses -> install megaflow -> offer
 * to the EMC) while megaflows are removed and evicted under it, and checks
 * against a reference list of live megaflows that every EMC hit is the one
 * live megaflow matching the key. The EMC may miss anything; it may never
 * answer wrongly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpu.h"
#include "datapath/emc.h"
#include "datapath/megaflow.h"
#include "flow/keyops.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static int n_released;

static void release_cb(void *actions)
{
	(void)actions;
	n_released++;
}

static void make_key(struct fl_key *k, uint32_t in_port, uint32_t src, uint16_t sport)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	k->dl_type = fl_htons(0x0800);
	k->nw_src = fl_htonl(src);
	k->nw_dst = fl_htonl(0x0a000001);
	k->nw_proto = 17;
	k->tp_src = fl_htons(sport);
	k->tp_dst = fl_htons(53);
}

/* A megaflow matching in_port and nw_src of key exactly. */
static struct fl_mf_entry *add_megaflow(struct fl_mf *mf, const struct fl_key *key, uint64_t now)
{
	struct fl_match m;

	memset(&m, 0, sizeof(m));
	m.mask.in_port = UINT32_MAX;
	m.mask.nw_src = UINT32_MAX;
	m.value = *key;
	fl_match_normalize(&m);
	return fl_mf_insert(mf, &m, (void *)(uintptr_t)1, 1, NULL, 0, now);
}

struct fixture {
	struct fl_mf *mf;
	struct fl_emc *emc;
};

static struct fixture make(unsigned mf_limit, unsigned emc_entries, unsigned inv_prob)
{
	struct fixture f;

	n_released = 0;
	f.mf = fl_mf_create(mf_limit, release_cb);
	f.emc = fl_emc_create(emc_entries, inv_prob);
	assert_non_null(f.mf);
	assert_non_null(f.emc);
	return f;
}

static void unmake(struct fixture *f)
{
	fl_emc_destroy(f->emc);
	fl_mf_destroy(f->mf);
}

static struct fl_mf_entry *lookup_one(struct fl_emc *emc, const struct fl_key *k)
{
	struct fl_mf_entry *res[1], *single;
	uint32_t h = fl_key_hash(k), miss;

	single = fl_emc_lookup(emc, k, h);
	fl_emc_lookup_batch(emc, k, &h, 1, res, &miss);
	assert_ptr_equal(res[0], single);
	assert_int_equal(miss, single ? 0 : 1);
	return single;
}

/* ---- tests ---- */

static void insert_then_hit(void **state)
{
	struct fixture f = make(16, 0, 1);
	struct fl_emc_stats st;
	struct fl_key k, other;
	struct fl_mf_entry *e;

	(void)state;
	make_key(&k, 1, 0x0a000002, 1000);
	make_key(&other, 1, 0x0a000002, 1001); /* same megaflow, other key */
	e = add_megaflow(f.mf, &k, 1);
	assert_null(lookup_one(f.emc, &k));
	assert_true(fl_emc_insert(f.emc, &k, fl_key_hash(&k), e));
	assert_ptr_equal(lookup_one(f.emc, &k), e);
	assert_null(lookup_one(f.emc, &other)); /* exact: not the megaflow's job */
	fl_emc_get_stats(f.emc, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.evictions, 0);
	unmake(&f);
}

/* The same key offered with a new megaflow takes over its slot. */
static void same_key_overwrites(void **state)
{
	struct fixture f = make(16, 0, 1);
	struct fl_emc_stats st;
	struct fl_mf_entry *e1, *e2;
	struct fl_key k;

	(void)state;
	make_key(&k, 2, 0x0a000003, 1000);
	e1 = add_megaflow(f.mf, &k, 1);
	fl_emc_insert(f.emc, &k, fl_key_hash(&k), e1);
	fl_mf_remove(f.mf, e1);
	assert_null(lookup_one(f.emc, &k));
	e2 = add_megaflow(f.mf, &k, 2);
	fl_emc_insert(f.emc, &k, fl_key_hash(&k), e2);
	assert_ptr_equal(lookup_one(f.emc, &k), e2);
	fl_emc_get_stats(f.emc, &st);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.evictions, 0);
	unmake(&f);
}

/* A one-slot EMC: the second key evicts the first. */
static void collision_evicts(void **state)
{
	struct fixture f = make(16, 1, 1);
	struct fl_emc_stats st;
	struct fl_mf_entry *ea, *eb;
	struct fl_key a, b;

	(void)state;
	make_key(&a, 1, 0x0a000004, 1);
	make_key(&b, 1, 0x0a000005, 2);
	ea = add_megaflow(f.mf, &a, 1);
	eb = add_megaflow(f.mf, &b, 1);
	fl_emc_insert(f.emc, &a, fl_key_hash(&a), ea);
	fl_emc_insert(f.emc, &b, fl_key_hash(&b), eb);
	assert_null(lookup_one(f.emc, &a));
	assert_ptr_equal(lookup_one(f.emc, &b), eb);
	fl_emc_get_stats(f.emc, &st);
	assert_int_equal(st.evictions, 1);
	/* a dead entry is overwritten without counting an eviction */
	fl_mf_remove(f.mf, eb);
	fl_emc_insert(f.emc, &a, fl_key_hash(&a), ea);
	fl_emc_get_stats(f.emc, &st);
	assert_int_equal(st.evictions, 1);
	assert_ptr_equal(lookup_one(f.emc, &a), ea);
	unmake(&f);
}

/* A removed megaflow makes its EMC entries miss, even after its pool slot
 * is reused by a megaflow that matches the same key. */
static void dead_megaflow_misses(void **state)
{
	struct fixture f = make(1, 0, 1);
	struct fl_mf_entry *e1, *e2;
	struct fl_key k;

	(void)state;
	make_key(&k, 3, 0x0a000006, 1000);
	e1 = add_megaflow(f.mf, &k, 1);
	fl_emc_insert(f.emc, &k, fl_key_hash(&k), e1);
	assert_ptr_equal(lookup_one(f.emc, &k), e1);
	fl_mf_remove(f.mf, e1);
	assert_int_equal(n_released, 1);
	assert_null(lookup_one(f.emc, &k));
	e2 = add_megaflow(f.mf, &k, 2);
	assert_ptr_equal(e2, e1); /* the pool has one slot */
	assert_null(lookup_one(f.emc, &k));
	/* eviction kills too: a limit-1 cache evicts e2 for a new megaflow */
	fl_emc_insert(f.emc, &k, fl_key_hash(&k), e2);
	assert_ptr_equal(lookup_one(f.emc, &k), e2);
	{
		struct fl_key k2;

		make_key(&k2, 4, 0x0a000007, 1000);
		assert_non_null(add_megaflow(f.mf, &k2, 3));
	}
	assert_null(lookup_one(f.emc, &k));
	/* and flush */
	fl_emc_insert(f.emc, &k, fl_key_hash(&k), e2);
	fl_emc_flush(f.emc);
	assert_null(lookup_one(f.emc, &k));
	unmake(&f);
}

static void probability_zero_one_n(void **state)
{
	struct fixture f = make(16, 1 << 16, 0);
	struct fl_emc_stats st;
	struct fl_mf_entry *e;
	struct fl_key k;
	unsigned i, stored = 0;

	(void)state;
	make_key(&k, 1, 1, 1);
	e = add_megaflow(f.mf, &k, 1);
	for (i = 0; i < 1000; i++) {
		k.tp_src = (fl_be16)i;
		assert_false(fl_emc_insert(f.emc, &k, fl_key_hash(&k), e));
		assert_null(lookup_one(f.emc, &k));
	}
	fl_emc_get_stats(f.emc, &st);
	assert_int_equal(st.inserts, 0);
	fl_emc_set_inv_prob(f.emc, 1);
	for (i = 0; i < 1000; i++) {
		k.tp_src = (fl_be16)i;
		assert_true(fl_emc_insert(f.emc, &k, fl_key_hash(&k), e));
	}
	fl_emc_flush(f.emc);
	fl_emc_set_inv_prob(f.emc, FL_EMC_DEFAULT_INV_PROB);
	for (i = 0; i < 100000; i++) {
		k.tp_src = (fl_be16)i;
		k.tp_dst = (fl_be16)(i >> 16);
		stored += fl_emc_insert(f.emc, &k, fl_key_hash(&k), e);
	}
	/* 1000 expected; binomial sd ~31 */
	assert_in_range(stored, 850, 1150);
	unmake(&f);
}

static void bad_params(void **state)
{
	(void)state;
	errno = 0;
	assert_null(fl_emc_create(1000, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(fl_emc_create(FL_EMC_MAX_ENTRIES * 2, 1));
}

/* ---- property test ---- */

#define N_KEYS 3000
#define MF_LIMIT 200

struct ref_mf {
	struct fl_match match;
	struct fl_mf_entry *e;
	uint32_t gen;
};

static struct ref_mf refs[MF_LIMIT * 4];
static unsigned n_refs;

/* Forget megaflows that died (removed or evicted). */
static void ref_prune(void)
{
	unsigned i, n = 0;

	for (i = 0; i < n_refs; i++)
		if (fl_mf_entry_alive(refs[i].e, refs[i].gen))
			refs[n++] = refs[i];
	n_refs = n;
}

/* The live megaflow matching key, from the reference list. */
static struct fl_mf_entry *ref_find(const struct fl_key *key)
{
	struct fl_mf_entry *found = NULL;
	unsigned i;

	for (i = 0; i < n_refs; i++)
		if (refs[i].match.value.nw_src == key->nw_src && /* quick reject, same test */
		    fl_mf_entry_alive(refs[i].e, refs[i].gen) &&
		    fl_match_matches(&refs[i].match, key)) {
			assert_null(found);
			found = refs[i].e;
		}
	return found;
}

static void run_property(unsigned emc_entries, unsigned inv_prob, uint64_t seed)
{
	struct fixture f = make(MF_LIMIT, emc_entries, inv_prob);
	static struct fl_key pool[N_KEYS];
	struct fl_emc_stats st;
	unsigned i, r;

	rng_state = seed;
	n_refs = 0;
	for (i = 0; i < N_KEYS; i++)
		make_key(&pool[i], (uint32_t)(rng_next() % 8), (uint32_t)(rng_next() % 60),
			 (uint16_t)rng_next());
	for (r = 0; r < 1500; r++) {
		struct fl_key keys[32];
		uint32_t hashes[32], miss, mf_map;
		struct fl_mf_entry *res[32], *mres[32];
		unsigned n = 1 + (unsigned)(rng_next() % 32);
		uint64_t now = 10 + r;

		for (i = 0; i < n; i++) {
			keys[i] = pool[rng_next() % N_KEYS];
			hashes[i] = fl_key_hash(&keys[i]);
		}
		fl_emc_lookup_batch(f.emc, keys, hashes, n, res, &miss);
		for (i = 0; i < n; i++) {
			if (miss & (1u << i)) {
				assert_null(res[i]);
				continue;
			}
			assert_non_null(res[i]);
			assert_ptr_equal(res[i], ref_find(&keys[i]));
			fl_mf_entry_account(res[i], 1, 64, now);
		}
		/* as a worker does: megaflow lookup for the EMC misses, account every
		 * hit at `now` (which keeps their entries from eviction), then the
		 * upcalls */
		mf_map = miss;
		fl_mf_lookup_batch(f.mf, keys, n, mres, &mf_map);
		for (i = 0; i < n; i++) {
			if (!(miss & (1u << i)))
				continue;
			assert_ptr_equal((mf_map & (1u << i)) ? NULL : mres[i], ref_find(&keys[i]));
			if (!(mf_map & (1u << i)))
				fl_mf_entry_account(mres[i], 1, 64, now);
		}
		for (i = 0; i < n; i++) {
			struct fl_mf_entry *e;

			if (!(miss & (1u << i)))
				continue;
			e = (mf_map & (1u << i)) ? fl_mf_lookup(f.mf, &keys[i]) : mres[i];
			if (!e) {
				e = add_megaflow(f.mf, &keys[i], now);
				if (!e)
					continue; /* everything in use at `now` */
				assert_true(n_refs < FL_ARRAY_SIZE(refs));
				refs[n_refs].e = e;
				refs[n_refs].gen = e->gen;
				fl_mf_entry_get_match(e, &refs[n_refs].match);
				n_refs++;
			}
			assert_ptr_equal(e, ref_find(&keys[i]));
			fl_emc_insert(f.emc, &keys[i], hashes[i], e);
		}
		ref_prune();
		/* the control plane removes a megaflow now and then */
		if (rng_next() % 4 == 0 && n_refs) {
			struct ref_mf *victim = &refs[rng_next() % n_refs];

			if (fl_mf_entry_alive(victim->e, victim->gen))
				fl_mf_remove(f.mf, victim->e);
		}
	}
	fl_emc_get_stats(f.emc, &st);
	/* both paths were exercised, many times */
	assert_true(st.hits > 200);
	assert_true(st.misses > 200);
	if (emc_entries < N_KEYS && inv_prob == 1)
		assert_true(st.evictions > 0);
	unmake(&f);
}

static void property_always_insert(void **state)
{
	(void)state;
	run_property(1024, 1, 0xe1);
}

static void property_one_in_three(void **state)
{
	(void)state;
	run_property(256, 3, 0xe2);
}

static void property_big_emc(void **state)
{
	(void)state;
	run_property(8192, 1, 0xe3);
}

static int mode_native(void **state)
{
	(void)state;
	unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	fl_keyops_select();
	return 0;
}

static int mode_baseline(void **state)
{
	(void)state;
	setenv("FLOWLANE_CPU", "baseline", 1);
	fl_cpu_reset();
	fl_keyops_select();
	return 0;
}

#define EMC_TESTS                                      \
	cmocka_unit_test(insert_then_hit),             \
	cmocka_unit_test(same_key_overwrites),         \
	cmocka_unit_test(collision_evicts),            \
	cmocka_unit_test(dead_megaflow_misses),        \
	cmocka_unit_test(probability_zero_one_n),      \
	cmocka_unit_test(bad_params),                  \
	cmocka_unit_test(property_always_insert),      \
	cmocka_unit_test(property_one_in_three),       \
	cmocka_unit_test(property_big_emc)

int main(void)
{
	const struct CMUnitTest tests[] = {EMC_TESTS};
	int fails = 0;

	fails += cmocka_run_group_tests_name("emc", tests, mode_native, NULL);
	fails += cmocka_run_group_tests_name("emc_baseline", tests, mode_baseline, mode_native);
	return fails;
}
