/* Tests of datapath/megaflow: the cache against a reference list.
 *
 * The reference is a plain array of (match, entry, alive) searched linearly
 * with fl_match_matches. Megaflows cannot overlap by construction: every
 * mask matches nw_dst exactly and every megaflow gets its own nw_dst; on top
 * of that each megaflow takes one of ten random mask templates (whole and
 * partial fields across all four stages of the key), so the cache sees ten
 * subtables. Keys are drawn from megaflows (random outside the mask: a hit),
 * from megaflows with a masked bit flipped (usually a miss), and at random.
 * Actions are pointers to per-megaflow counters, so the release callback can
 * prove it ran exactly once per entry. The clock is a plain counter.
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

#define MAX_FLOWS 24000
#define N_TEMPLATES 10

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t *words(struct fl_key *k)
{
	return (uint64_t *)(void *)k;
}

/* ---- the reference ---- */

struct ref_flow {
	struct fl_match match;
	struct fl_mf_entry *e;
	uint32_t gen;
	bool alive;
};

static struct ref_flow *flows;
static unsigned n_flows;
static uint32_t next_nw_dst;
/* released[i]: times the actions of insertion i were released; actions of
 * flow i are &released[action_of[i]] */
static int *released;
static unsigned n_actions;
static struct fl_key templates[N_TEMPLATES];
/* flow index + 1 by nw_dst: every mask matches nw_dst exactly */
static unsigned *flow_of_dst;

static void release_cb(void *actions)
{
	(*(int *)actions)++;
}

static void *new_actions(void)
{
	assert_true(n_actions < 4 * MAX_FLOWS);
	return &released[n_actions++];
}

static void make_templates(void)
{
	unsigned t;

	for (t = 0; t < N_TEMPLATES; t++) {
		struct fl_key *m = &templates[t];
		uint64_t r = rng_next();

		memset(m, 0, sizeof(*m));
		m->nw_dst = UINT32_MAX; /* the shared exact field: no overlaps */
		if (r & 1)
			m->in_port = UINT32_MAX;
		if (r & 2)
			m->dl_type = 0xffff;
		if (r & 4)
			m->nw_src = fl_htonl(~0u << (rng_next() % 24));
		if (r & 8)
			m->tp_dst = 0xffff;
		if (r & 16)
			m->tp_src = (fl_be16)rng_next();
		if (r & 32)
			m->regs[rng_next() % 8] = (uint32_t)rng_next();
		if (r & 64)
			memset(m->ipv6_src, 0xff, 16);
		if (r & 128)
			m->vxlan_vni = (fl_be32)rng_next();
		if (r & 256)
			m->nw_proto = 0xff;
		m->metadata = t; /* templates differ even if r repeats */
	}
}

static void random_key(struct fl_key *k)
{
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		words(k)[i] = rng_next() % 3 ? 0 : rng_next();
}

static struct ref_flow *add_flow(struct fl_mf *mf, uint64_t now)
{
	struct ref_flow *f;
	struct fl_match m;
	void *actions;

	assert_true(n_flows < MAX_FLOWS);
	random_key(&m.value);
	m.mask = templates[rng_next() % N_TEMPLATES];
	m.value.nw_dst = ++next_nw_dst;
	fl_match_normalize(&m);
	actions = new_actions();
	f = &flows[n_flows];
	f->match = m;
	f->e = fl_mf_insert(mf, &m, actions, 1, &actions, 1, now);
	if (!f->e) {
		n_actions--; /* not taken: ours to drop */
		return NULL;
	}
	f->gen = f->e->gen;
	f->alive = true;
	flow_of_dst[next_nw_dst] = ++n_flows;
	return f;
}

/* Notice evictions: a flow whose entry's gen moved on is gone. */
static void refresh_alive(void)
{
	unsigned i;

	for (i = 0; i < n_flows; i++)
		if (flows[i].alive && !fl_mf_entry_alive(flows[i].e, flows[i].gen))
			flows[i].alive = false;
}

/* The obvious search: every live flow, asserting at most one matches. */
static struct fl_mf_entry *ref_lookup_scan(const struct fl_key *key)
{
	struct fl_mf_entry *found = NULL;
	unsigned i;

	for (i = 0; i < n_flows; i++)
		if (flows[i].alive && fl_match_matches(&flows[i].match, key)) {
			assert_null(found); /* non-overlapping */
			found = flows[i].e;
		}
	return found;
}

/* The same answer in O(1), through the nw_dst every flow has to itself
 * (batch_equals_reference checks the two agree). */
static struct fl_mf_entry *ref_lookup(const struct fl_key *key)
{
	const struct ref_flow *f;
	uint32_t dst = key->nw_dst;

	if (dst == 0 || dst > next_nw_dst || !flow_of_dst[dst])
		return NULL;
	f = &flows[flow_of_dst[dst] - 1];
	return f->alive && fl_match_matches(&f->match, key) ? f->e : NULL;
}

/* Index of a random set bit of w (w != 0). */
static unsigned random_set_bit(uint64_t w)
{
	unsigned k = (unsigned)(rng_next() % (unsigned)__builtin_popcountll(w));

	while (k--)
		w &= w - 1;
	return (unsigned)__builtin_ctzll(w);
}

/* A key for a random flow (alive or not): random outside its mask (a hit
 * if the flow is alive), or with one masked bit flipped too (a miss), or
 * noise. */
static void draw_key(struct fl_key *k)
{
	unsigned r = (unsigned)(rng_next() % 8), i, w;
	const struct fl_match *m;

	random_key(k);
	if (r == 0 || !n_flows)
		return;
	m = &flows[rng_next() % n_flows].match;
	for (i = 0; i < FL_KEY_WORDS; i++)
		words(k)[i] = (words(k)[i] & ~fl_key_words(&m->mask)[i]) |
			      fl_key_words(&m->value)[i];
	if (r == 1) {
		do
			w = (unsigned)(rng_next() % FL_KEY_WORDS);
		while (!fl_key_words(&m->mask)[w]);
		words(k)[w] ^= 1ull << random_set_bit(fl_key_words(&m->mask)[w]);
	}
}

/* Look up random batches and compare each result with the reference, and
 * with a single lookup. */
static void check_batches(struct fl_mf *mf, unsigned rounds)
{
	struct fl_key keys[32];
	struct fl_mf_entry *res[32];
	unsigned r, i;

	for (r = 0; r < rounds; r++) {
		unsigned n = 1 + (unsigned)(rng_next() % 32), hits = 0, got;
		uint32_t in = (uint32_t)rng_next() | (r % 2 ? UINT32_MAX : 0), map = in;
		uint32_t want_miss = 0;

		for (i = 0; i < n; i++) {
			draw_key(&keys[i]);
			res[i] = (struct fl_mf_entry *)(uintptr_t)1; /* poison */
		}
		got = fl_mf_lookup_batch(mf, keys, n, res, &map);
		for (i = 0; i < n; i++) {
			struct fl_mf_entry *want;

			if (!(in & (1u << i)))
				continue;
			want = ref_lookup(&keys[i]);
			assert_ptr_equal(res[i], want);
			assert_ptr_equal(fl_mf_lookup(mf, &keys[i]), want);
			if (want)
				hits++;
			else
				want_miss |= 1u << i;
		}
		assert_int_equal(map, want_miss);
		assert_int_equal(got, hits);
	}
}

static struct fl_mf *setup_cache(unsigned limit, unsigned n, uint64_t seed)
{
	struct fl_mf *mf;
	unsigned i;

	rng_state = seed;
	n_flows = 0;
	n_actions = 0;
	next_nw_dst = 0;
	memset(released, 0, 4 * MAX_FLOWS * sizeof(*released));
	memset(flow_of_dst, 0, 4 * MAX_FLOWS * sizeof(*flow_of_dst));
	make_templates();
	mf = fl_mf_create(limit, release_cb);
	assert_non_null(mf);
	for (i = 0; i < n; i++)
		assert_non_null(add_flow(mf, 1));
	return mf;
}

/* Every set of actions handed to the cache was released exactly once. */
static void assert_all_released_once(void)
{
	unsigned i;

	for (i = 0; i < n_actions; i++)
		assert_int_equal(released[i], 1);
}

/* ---- tests ---- */

static void batch_equals_reference(void **state)
{
	struct fl_mf *mf = setup_cache(4096, 2000, 0x1001);
	struct fl_mf_stats st;

	struct fl_key k;
	unsigned i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		draw_key(&k);
		assert_ptr_equal(ref_lookup(&k), ref_lookup_scan(&k));
	}
	check_batches(mf, 1000);
	assert_int_equal(fl_mf_check(mf), 0);
	fl_mf_get_stats(mf, &st);
	assert_int_equal(st.entries, 2000);
	assert_int_equal(st.subtables, N_TEMPLATES);
	assert_true(st.hits > 0 && st.misses > 0);
	assert_true(st.avg_probed_per_hit >= 1.0 && st.avg_probed_per_hit <= N_TEMPLATES);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Near-full bucket table (16k entries, 8k buckets): some buckets overflow
 * into the next, and removals must undo that. */
static void dense_table_with_removals(void **state)
{
	struct fl_mf *mf = setup_cache(16384, 16384, 0x1002);
	unsigned i;

	(void)state;
	assert_int_equal(fl_mf_check(mf), 0);
	check_batches(mf, 300);
	for (i = 0; i < n_flows; i++)
		if (rng_next() % 2) {
			fl_mf_remove(mf, flows[i].e);
			flows[i].alive = false;
			assert_int_equal(released[i], 1);
		}
	assert_int_equal(fl_mf_check(mf), 0);
	check_batches(mf, 300);
	for (i = 0; i < 4000; i++)
		assert_non_null(add_flow(mf, 2));
	assert_int_equal(fl_mf_check(mf), 0);
	check_batches(mf, 300);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

static void remove_releases_once(void **state)
{
	struct fl_mf *mf = setup_cache(1024, 300, 0x1003);
	struct fl_mf_stats st;
	unsigned i, removed = 0;

	(void)state;
	for (i = 0; i < n_flows; i += 2) {
		uint32_t gen = flows[i].e->gen;

		fl_mf_remove(mf, flows[i].e);
		flows[i].alive = false;
		removed++;
		assert_int_not_equal(flows[i].e->gen, gen);
		assert_int_equal(released[i], 1);
		assert_null(fl_mf_lookup(mf, &flows[i].match.value));
	}
	fl_mf_get_stats(mf, &st);
	assert_int_equal(st.entries, 300 - removed);
	assert_int_equal(st.removals, removed);
	assert_int_equal(fl_mf_check(mf), 0);
	check_batches(mf, 300);
	for (i = 1; i < n_flows; i += 2)
		assert_int_equal(released[i], 0);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

static unsigned count_live_masks(void)
{
	unsigned i, j, n = 0;

	for (i = 0; i < n_flows; i++) {
		if (!flows[i].alive)
			continue;
		for (j = 0; j < i; j++)
			if (flows[j].alive && fl_key_equal(&flows[j].match.mask, &flows[i].match.mask))
				break;
		n += j == i;
	}
	return n;
}

/* A subtable lives while it has entries. */
static void subtables_follow_entries(void **state)
{
	struct fl_mf *mf = setup_cache(1024, 0, 0x1004);
	struct fl_mf_stats st;
	unsigned i;

	(void)state;
	for (i = 0; i < 40; i++) {
		assert_non_null(add_flow(mf, 1));
		fl_mf_get_stats(mf, &st);
		assert_int_equal(st.subtables, count_live_masks());
	}
	assert_int_equal(st.subtables, N_TEMPLATES);
	for (i = 0; i < n_flows; i++) {
		fl_mf_remove(mf, flows[i].e);
		flows[i].alive = false;
		fl_mf_get_stats(mf, &st);
		assert_int_equal(st.subtables, count_live_masks());
		assert_int_equal(fl_mf_check(mf), 0);
	}
	assert_int_equal(st.subtables, 0);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

static void flush_empties_and_releases(void **state)
{
	struct fl_mf *mf = setup_cache(1024, 500, 0x1005);
	struct fl_mf_stats st;
	unsigned i;

	(void)state;
	fl_mf_flush(mf);
	for (i = 0; i < n_flows; i++)
		flows[i].alive = false;
	assert_all_released_once();
	fl_mf_get_stats(mf, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.subtables, 0);
	check_batches(mf, 100);
	for (i = 0; i < 100; i++)
		assert_non_null(add_flow(mf, 1));
	check_batches(mf, 100);
	assert_int_equal(fl_mf_check(mf), 0);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Inserting a match that is already there keeps the entry and swaps the
 * actions; replace keeps the entry too. */
static void replace_keeps_entry(void **state)
{
	struct fl_mf *mf = setup_cache(64, 1, 0x1006);
	struct fl_mf_entry *e = flows[0].e, *again;
	void *a2 = new_actions(), *a3 = new_actions(), *rules[10];
	struct fl_match got;
	unsigned i;

	(void)state;
	for (i = 0; i < 10; i++)
		rules[i] = &rules[i];
	fl_mf_replace(mf, e, a2, 7, rules, 3);
	assert_int_equal(released[0], 1);
	assert_ptr_equal(e->actions, a2);
	assert_int_equal(e->version, 7);
	assert_int_equal(e->n_rules, 3);
	fl_mf_replace(mf, e, a2, 8, rules, 10); /* same actions: not released */
	assert_int_equal(released[1], 0);
	assert_int_equal(e->n_rules, FL_MF_MAX_RULES);
	assert_true(e->rules_truncated);
	assert_ptr_equal(e->rules[FL_MF_MAX_RULES - 1], rules[FL_MF_MAX_RULES - 1]);
	again = fl_mf_insert(mf, &flows[0].match, a3, 9, NULL, 0, 1);
	assert_ptr_equal(again, e);
	assert_int_equal(released[1], 1);
	assert_int_equal(e->version, 9);
	assert_int_equal(fl_mf_entry_alive(e, flows[0].gen), true);
	fl_mf_entry_get_match(e, &got);
	assert_true(fl_match_equal(&got, &flows[0].match));
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Idle expiry with a fake clock, whole and in slices. */
static void sweep_expires_idle(void **state)
{
	struct fl_mf *mf = setup_cache(1024, 0, 0x1007);
	struct fl_mf_stats st;
	unsigned i, expired = 0, guard = 0;

	(void)state;
	for (i = 0; i < 200; i++)
		assert_non_null(add_flow(mf, i));
	for (i = 0; i < 200; i += 2)
		fl_mf_entry_account(flows[i].e, 1, 64, 1000);
	assert_int_equal(fl_mf_sweep(mf, 100, 100, 0), 0); /* none idle long enough */
	/* idle since before 50: the odd ones among 0..49 */
	assert_int_equal(fl_mf_sweep(mf, 150, 100, 0), 25);
	for (i = 0; i < 50; i++)
		assert_int_equal(released[i], i % 2);
	/* the rest of the odd ones, in slices of 7 pool slots */
	while (guard++ < 1000 && expired < 75)
		expired += fl_mf_sweep(mf, 1050, 100, 7);
	assert_int_equal(expired, 75);
	for (i = 0; i < 200; i++) {
		flows[i].alive = i % 2 == 0;
		assert_int_equal(released[i], i % 2);
		assert_int_equal(fl_mf_entry_alive(flows[i].e, flows[i].gen), i % 2 == 0);
	}
	fl_mf_get_stats(mf, &st);
	assert_int_equal(st.expirations, 100);
	assert_int_equal(st.entries, 100);
	assert_int_equal(flows[0].e->n_packets, 1);
	assert_int_equal(flows[0].e->n_bytes, 64);
	check_batches(mf, 100);
	assert_int_equal(fl_mf_sweep(mf, 1101, 100, 0), 100);
	assert_all_released_once();
	fl_mf_destroy(mf);
}

/* At the limit an insert evicts; evicted entries are dead to the EMC too. */
static void eviction_at_limit(void **state)
{
	struct fl_mf *mf = setup_cache(64, 0, 0x1008);
	struct fl_emc *emc = fl_emc_create(1024, 1);
	struct fl_mf_stats st;
	struct fl_emc_stats est;
	unsigned i, dead = 0;

	(void)state;
	assert_non_null(emc);
	for (i = 0; i < 300; i++) {
		struct ref_flow *f = add_flow(mf, 10 + i);

		assert_non_null(f);
		assert_true(fl_emc_insert(emc, &f->match.value, fl_key_hash(&f->match.value), f->e));
		fl_mf_get_stats(mf, &st);
		assert_true(st.entries <= 64);
	}
	refresh_alive();
	fl_mf_get_stats(mf, &st);
	assert_int_equal(st.entries, 64);
	assert_int_equal(st.evictions, 300 - 64);
	for (i = 0; i < n_flows; i++) {
		struct fl_mf_entry *hit = fl_emc_lookup(emc, &flows[i].match.value,
						       fl_key_hash(&flows[i].match.value));

		assert_int_equal(released[i], flows[i].alive ? 0 : 1);
		if (!flows[i].alive) {
			dead++;
			assert_null(hit);
			assert_null(fl_mf_lookup(mf, &flows[i].match.value));
		} else {
			assert_true(hit == NULL || hit == flows[i].e);
			assert_ptr_equal(fl_mf_lookup(mf, &flows[i].match.value), flows[i].e);
		}
	}
	assert_int_equal(dead, 300 - 64);
	fl_emc_get_stats(emc, &est);
	assert_true(est.hits > 0);
	assert_int_equal(fl_mf_check(mf), 0);
	check_batches(mf, 200);
	fl_emc_destroy(emc);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Entries used at `now` are not evicted: a full cache of them refuses. */
static void eviction_spares_current_batch(void **state)
{
	struct fl_mf *mf = setup_cache(8, 8, 0x1009);
	struct fl_match m = flows[0].match;
	void *actions = new_actions();
	struct fl_mf_entry *e;

	(void)state;
	m.value.nw_dst = ++next_nw_dst;
	errno = 0;
	assert_null(fl_mf_insert(mf, &m, actions, 1, NULL, 0, 1));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(released[n_actions - 1], 0); /* still ours */
	fl_mf_entry_account(flows[3].e, 1, 60, 2);
	e = fl_mf_insert(mf, &m, actions, 1, NULL, 0, 2);
	assert_non_null(e);
	assert_true(fl_mf_entry_alive(flows[3].e, flows[3].gen));
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Sampled LRU keeps entries that are hit between inserts. */
static void eviction_prefers_idle(void **state)
{
	struct fl_mf *mf = setup_cache(256, 256, 0x100a);
	unsigned i, j, hot_lost = 0;

	(void)state;
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 16; j++) /* flows 0..15 are busy */
			fl_mf_entry_account(flows[j].e, 1, 64, 2 + i);
		assert_non_null(add_flow(mf, 3 + i));
	}
	refresh_alive();
	for (j = 0; j < 16; j++)
		hot_lost += !flows[j].alive;
	assert_int_equal(hot_lost, 0);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

/* Re-ranking changes the order of subtables, never a result; after it the
 * busiest subtable is probed first. */
static void rerank_keeps_results(void **state)
{
	struct fl_mf *mf = setup_cache(4096, 1000, 0x100b);
	const struct fl_key *busy_mask = &flows[n_flows - 1].match.mask;
	struct fl_mf_stats st0, st1;
	struct fl_mf_entry *res[32];
	struct fl_key keys[32];
	unsigned i, r, n_busy = 0;
	uint32_t map;

	(void)state;
	for (i = 0; i < n_flows && n_busy < 32; i++)
		if (fl_key_equal(&flows[i].match.mask, busy_mask))
			keys[n_busy++] = flows[i].match.value;
	check_batches(mf, 300);
	for (r = 0; r < 50; r++) {
		map = UINT32_MAX;
		assert_int_equal(fl_mf_lookup_batch(mf, keys, n_busy, res, &map), n_busy);
		assert_int_equal(map, 0);
	}
	fl_mf_rerank(mf);
	fl_mf_get_stats(mf, &st0);
	map = UINT32_MAX;
	fl_mf_lookup_batch(mf, keys, n_busy, res, &map);
	fl_mf_get_stats(mf, &st1);
	assert_int_equal(st1.hits - st0.hits, n_busy);
	assert_int_equal(st1.subtables_probed - st0.subtables_probed, n_busy);
	check_batches(mf, 300);
	fl_mf_rerank(mf);
	check_batches(mf, 300);
	fl_mf_destroy(mf);
	assert_all_released_once();
}

static void bad_params(void **state)
{
	(void)state;
	errno = 0;
	assert_null(fl_mf_create(0, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(fl_mf_create((1u << 24) + 1, NULL));
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

#define MF_TESTS                                            \
	cmocka_unit_test(batch_equals_reference),           \
	cmocka_unit_test(dense_table_with_removals),        \
	cmocka_unit_test(remove_releases_once),             \
	cmocka_unit_test(subtables_follow_entries),         \
	cmocka_unit_test(flush_empties_and_releases),       \
	cmocka_unit_test(replace_keeps_entry),              \
	cmocka_unit_test(sweep_expires_idle),               \
	cmocka_unit_test(eviction_at_limit),                \
	cmocka_unit_test(eviction_spares_current_batch),    \
	cmocka_unit_test(eviction_prefers_idle),            \
	cmocka_unit_test(rerank_keeps_results),             \
	cmocka_unit_test(bad_params)

int main(void)
{
	const struct CMUnitTest tests[] = {MF_TESTS};
	const struct CMUnitTest baseline[] = {cmocka_unit_test(batch_equals_reference)};
	int fails = 0;

	flows = calloc(MAX_FLOWS, sizeof(*flows));
	released = calloc(4 * MAX_FLOWS, sizeof(*released));
	flow_of_dst = calloc(4 * MAX_FLOWS, sizeof(*flow_of_dst));
	if (!flows || !released || !flow_of_dst)
		return 1;
	fails += cmocka_run_group_tests_name("megaflow", tests, mode_native, NULL);
	fails += cmocka_run_group_tests_name("megaflow_baseline", baseline, mode_baseline,
					     mode_native);
	free(flows);
	free(released);
	free(flow_of_dst);
	return fails;
}
