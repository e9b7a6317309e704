/* Cache scenarios: key operations (AVX2 against baseline), the EMC and the
 * megaflow cache, each on one core with keys already in memory.
 *
 * Keys look like parsed 64-byte IPv4/UDP frames: 6 of 24 words non-zero
 * (in_port, dl_dst/dl_type, dl_src, nw_src/nw_dst, proto/ttl, ports).
 * "-baseline" scenarios force FLOWLANE_CPU=baseline for their run, so one
 * binary shows what the run-time AVX2 choice buys. The "-compact" and
 * "-fnptr" scenarios measure designs keyops.h considered and rejected; their
 * code lives only here. Lookup scenarios pass hashes computed at setup
 * (key-hash is the cost of computing them) and report per key; the EMC and
 * megaflow ones print their hit rate and subtables probed at teardown.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/cpu.h"
#include "core/hash.h"
#include "datapath/emc.h"
#include "datapath/megaflow.h"
#include "flow/keyops.h"

extern const struct bench_scenario bench_cache_scenarios[];
extern const unsigned bench_cache_n;

#define BURST 32
#define N_HOT 256 /* keys cycled by the key-op scenarios: 48 KiB, in L2 */

static uint64_t rng_state = 0x5eed;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

/* A parsed IPv4/UDP key of flow i. */
static void udp_key(struct fl_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1 + (i & 3);
	memcpy(k->dl_dst, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(k->dl_src, "\x02\x00\x00\x00\x00\x01", 6);
	k->dl_type = fl_htons(0x0800);
	k->nw_src = fl_htonl(0x0a000000 | (i >> 8));
	k->nw_dst = fl_htonl(0x0b000000 | (i & 0xff));
	k->nw_proto = 17;
	k->nw_ttl = 64;
	k->tp_src = fl_htons((uint16_t)(1024 + (i & 0x3fff)));
	k->tp_dst = fl_htons(53);
}

static struct fl_key *alloc_keys(unsigned n)
{
	struct fl_key *k = aligned_alloc(FL_CACHE_LINE, (size_t)n * sizeof(*k));
	unsigned i;

	if (!k)
		return NULL;
	for (i = 0; i < n; i++)
		udp_key(k + i, i);
	return k;
}

/* Shuffle so consecutive lookups land on unrelated slots. */
static void shuffle(struct fl_key *k, unsigned n)
{
	unsigned i;

	for (i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)(rng_next() % (i + 1));
		struct fl_key t = k[i];

		k[i] = k[j];
		k[j] = t;
	}
}

/* ---- the ISA switch for "-baseline" scenarios ---- */

static char saved_cpu[32];
static bool had_cpu;

static void force_baseline(void)
{
	const char *cur = getenv("FLOWLANE_CPU");

	had_cpu = cur != NULL;
	if (cur)
		snprintf(saved_cpu, sizeof(saved_cpu), "%s", cur);
	setenv("FLOWLANE_CPU", "baseline", 1);
	fl_cpu_reset();
	fl_keyops_select();
}

static void restore_cpu(void)
{
	if (had_cpu)
		setenv("FLOWLANE_CPU", saved_cpu, 1);
	else
		unsetenv("FLOWLANE_CPU");
	fl_cpu_reset();
	fl_keyops_select();
}

/* ---- key operations ---- */

struct keys_state {
	bool baseline;
	struct fl_key *keys;   /* N_HOT */
	struct fl_key *copies; /* equal to keys, other addresses */
	struct fl_key mask;
};

static void *keys_setup_mode(bool baseline)
{
	struct keys_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->keys = alloc_keys(N_HOT);
	s->copies = alloc_keys(N_HOT);
	if (!s->keys || !s->copies) {
		free(s->keys);
		free(s->copies);
		free(s);
		return NULL;
	}
	memset(&s->mask, 0, sizeof(s->mask));
	s->mask.in_port = UINT32_MAX;
	s->mask.dl_type = 0xffff;
	s->mask.nw_src = UINT32_MAX;
	s->mask.nw_dst = UINT32_MAX;
	s->mask.nw_proto = 0xff;
	s->mask.tp_src = 0xffff;
	s->mask.tp_dst = 0xffff;
	s->baseline = baseline;
	if (baseline)
		force_baseline();
	else
		fl_keyops_select();
	return s;
}

static void *keys_setup(const struct bench_opts *o)
{
	(void)o;
	return keys_setup_mode(false);
}

static void *keys_setup_baseline(const struct bench_opts *o)
{
	(void)o;
	return keys_setup_mode(true);
}

static void keys_teardown(void *state)
{
	struct keys_state *s = state;

	if (s->baseline)
		restore_cpu();
	free(s->keys);
	free(s->copies);
	free(s);
}

static uint64_t hash_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += fl_key_hash(&s->keys[done % N_HOT]);
	bench_sink(acc);
	return done;
}

static uint64_t hash_masked_map_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	uint32_t map = fl_key_nonzero_map(&s->mask);
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += fl_key_hash_masked_map(&s->keys[done % N_HOT], &s->mask, map, 7);
	bench_sink(acc);
	return done;
}

/* The rejected compact hash: CRC32C over the non-zero words and their map.
 * The map from compares and movemask (AVX2: 6 x 4 words; SSE4.1: 12 x 2). */
static uint32_t compact_crc(const uint64_t *w, uint32_t map)
{
	uint64_t h = __builtin_ia32_crc32di(~0u, map);

	for (; map; map &= map - 1)
		h = __builtin_ia32_crc32di(h, w[__builtin_ctz(map)]);
	return ~(uint32_t)h;
}

__attribute__((target("avx2"))) static uint32_t compact_hash_avx2(const struct fl_key *k)
{
	const __m256i *p = (const __m256i *)(const void *)k;
	uint32_t zero = 0;
	unsigned i;

	for (i = 0; i < 6; i++)
		zero |= (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(
				_mm256_cmpeq_epi64(_mm256_loadu_si256(p + i), _mm256_setzero_si256())))
			<< (4 * i);
	return compact_crc(fl_key_words(k), ~zero & 0xffffff);
}

static uint32_t compact_hash_sse(const struct fl_key *k)
{
	const __m128i *p = (const __m128i *)(const void *)k;
	uint32_t zero = 0;
	unsigned i;

	for (i = 0; i < 12; i++)
		zero |= (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(
				_mm_cmpeq_epi64(_mm_loadu_si128(p + i), _mm_setzero_si128())))
			<< (2 * i);
	return compact_crc(fl_key_words(k), ~zero & 0xffffff);
}

static uint64_t compact_avx2_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	uint64_t done, acc = 0;

	if (!__builtin_cpu_supports("avx2"))
		return 0;
	for (done = 0; done < work; done++)
		acc += compact_hash_avx2(&s->keys[done % N_HOT]);
	bench_sink(acc);
	return done;
}

static uint64_t compact_sse_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += compact_hash_sse(&s->keys[done % N_HOT]);
	bench_sink(acc);
	return done;
}

/* Equal keys at different addresses: an EMC hit compares all 192 bytes. */
static uint64_t equal_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	uint64_t done, acc = 0;

	for (done = 0; done < work; done++)
		acc += fl_key_equal(&s->keys[done % N_HOT], &s->copies[done % N_HOT]);
	bench_sink(acc);
	return done;
}

/* The function-pointer alternative to keyops.h's flag. */
typedef bool key_equal_fn(const struct fl_key *, const struct fl_key *);

static bool equal_generic_fn(const struct fl_key *a, const struct fl_key *b)
{
	return fl_key_equal_generic(a, b);
}

static key_equal_fn *volatile equal_ptr;

static uint64_t equal_fnptr_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	key_equal_fn *fn;
	uint64_t done, acc = 0;

	equal_ptr = s->baseline || !fl_keyops_use_avx2() ? equal_generic_fn : fl_key_equal_avx2;
	fn = equal_ptr;
	for (done = 0; done < work; done++)
		acc += fn(&s->keys[done % N_HOT], &s->copies[done % N_HOT]);
	bench_sink(acc);
	return done;
}

static uint64_t masked_equal_run(void *state, uint64_t work)
{
	struct keys_state *s = state;
	struct fl_key *vals = s->copies;
	uint64_t done, acc = 0;
	unsigned i;

	for (i = 0; i < N_HOT; i++)
		fl_key_and(&s->keys[i], &s->mask, &vals[i]);
	for (done = 0; done < work; done++)
		acc += fl_key_masked_equal(&s->keys[done % N_HOT], &s->mask, &vals[done % N_HOT]);
	bench_sink(acc);
	for (i = 0; i < N_HOT; i++)
		vals[i] = s->keys[i];
	return done;
}

/* ---- EMC ---- */

struct emc_state {
	bool baseline;
	unsigned n_keys;
	struct fl_key *keys;
	uint32_t *hashes;
	struct fl_mf *mf;
	struct fl_emc *emc;
	struct fl_mf_entry *flow;
	uint64_t pos;
	const char *name;
};

static void *emc_setup_n(unsigned n_keys, unsigned inv_prob, bool baseline, const char *name)
{
	struct emc_state *s = calloc(1, sizeof(*s));
	struct fl_match m;
	unsigned i;

	if (!s)
		return NULL;
	s->n_keys = n_keys;
	s->name = name;
	s->keys = alloc_keys(n_keys);
	s->hashes = malloc(n_keys * sizeof(*s->hashes));
	s->mf = fl_mf_create(16, NULL);
	s->emc = fl_emc_create(FL_EMC_DEFAULT_ENTRIES, 1);
	if (!s->keys || !s->hashes || !s->mf || !s->emc)
		goto err;
	shuffle(s->keys, n_keys);
	/* one catch-all megaflow: the EMC only needs a live entry to point at */
	memset(&m, 0, sizeof(m));
	s->flow = fl_mf_insert(s->mf, &m, NULL, 1, NULL, 0, 1);
	if (!s->flow)
		goto err;
	for (i = 0; i < n_keys; i++) {
		s->hashes[i] = fl_key_hash(&s->keys[i]);
		fl_emc_insert(s->emc, &s->keys[i], s->hashes[i], s->flow);
	}
	fl_emc_set_inv_prob(s->emc, inv_prob);
	s->baseline = baseline;
	if (baseline)
		force_baseline();
	else
		fl_keyops_select();
	return s;

err:
	fprintf(stderr, "bench_cache: %s: setup failed\n", name);
	fl_emc_destroy(s->emc);
	fl_mf_destroy(s->mf);
	free(s->hashes);
	free(s->keys);
	free(s);
	return NULL;
}

static void *emc_1k_setup(const struct bench_opts *o)
{
	(void)o;
	return emc_setup_n(1000, 1, false, "emc-1k");
}

static void *emc_1k_baseline_setup(const struct bench_opts *o)
{
	(void)o;
	return emc_setup_n(1000, 1, true, "emc-1k-baseline");
}

static void *emc_100k_setup(const struct bench_opts *o)
{
	(void)o;
	return emc_setup_n(100000, FL_EMC_DEFAULT_INV_PROB, false, "emc-100k");
}

/* Batches of 32 consecutive (shuffled) keys; misses are offered back to the
 * EMC as a worker would after its megaflow lookup. */
static uint64_t emc_run(void *state, uint64_t work)
{
	struct emc_state *s = state;
	struct fl_mf_entry *res[BURST];
	uint64_t done = 0;

	while (done < work) {
		unsigned base = (unsigned)(s->pos % (s->n_keys - BURST + 1)), i;
		uint32_t miss;

		fl_emc_lookup_batch(s->emc, &s->keys[base], &s->hashes[base], BURST, res, &miss);
		for (; miss; miss &= miss - 1) {
			i = (unsigned)__builtin_ctz(miss);
			fl_emc_insert(s->emc, &s->keys[base + i], s->hashes[base + i], s->flow);
		}
		s->pos += BURST;
		done += BURST;
	}
	return done;
}

static void emc_teardown(void *state)
{
	struct emc_state *s = state;
	struct fl_emc_stats st;

	fl_emc_get_stats(s->emc, &st);
	fprintf(stderr, "%s: EMC hit rate %.1f%% (%llu inserts, %llu evictions)\n", s->name,
		100.0 * (double)st.hits / (double)(st.hits + st.misses ? st.hits + st.misses : 1),
		(unsigned long long)st.inserts, (unsigned long long)st.evictions);
	if (s->baseline)
		restore_cpu();
	fl_emc_destroy(s->emc);
	fl_mf_destroy(s->mf);
	free(s->hashes);
	free(s->keys);
	free(s);
}

/* ---- megaflow cache ---- */

/* 1k megaflows either way, so the two scenarios differ only in subtables */
#define MF_FLOWS 1000

struct mf_state {
	unsigned n_keys;
	struct fl_key *keys;
	struct fl_mf *mf;
	uint64_t pos;
	const char *name;
};

/* Mask t: the 5-tuple with nw_src narrowed to /(32 - t): ten distinct masks
 * of five words each, the shape of ACL-derived megaflows. */
static void mf_mask(struct fl_key *m, unsigned t)
{
	memset(m, 0, sizeof(*m));
	m->in_port = UINT32_MAX;
	m->dl_type = 0xffff;
	m->nw_src = fl_htonl(~0u << t);
	m->nw_dst = UINT32_MAX;
	m->nw_proto = 0xff;
	m->tp_src = 0xffff;
	m->tp_dst = 0xffff;
}

static void *mf_setup_n(unsigned n_sub, const char *name)
{
	struct mf_state *s = calloc(1, sizeof(*s));
	unsigned per = MF_FLOWS / n_sub, t, i;

	if (!s)
		return NULL;
	s->name = name;
	s->n_keys = n_sub * per;
	s->keys = alloc_keys(s->n_keys);
	s->mf = fl_mf_create(s->n_keys, NULL);
	if (!s->keys || !s->mf)
		goto err;
	fl_keyops_select();
	/* flow i of subtable t: its own nw_dst, so megaflows cannot overlap */
	for (t = 0; t < n_sub; t++)
		for (i = 0; i < per; i++) {
			struct fl_key *k = &s->keys[t * per + i];
			struct fl_match m;

			k->nw_dst = fl_htonl(0x0b000000 | (t * per + i));
			mf_mask(&m.mask, t);
			m.value = *k;
			fl_match_normalize(&m);
			if (!fl_mf_insert(s->mf, &m, NULL, 1, NULL, 0, 1))
				goto err;
		}
	shuffle(s->keys, s->n_keys);
	return s;

err:
	fprintf(stderr, "bench_cache: %s: setup failed\n", name);
	fl_mf_destroy(s->mf);
	free(s->keys);
	free(s);
	return NULL;
}

static void *mf_1_setup(const struct bench_opts *o)
{
	(void)o;
	return mf_setup_n(1, "megaflow-1");
}

static void *mf_10_setup(const struct bench_opts *o)
{
	(void)o;
	return mf_setup_n(10, "megaflow-10");
}

static uint64_t mf_run(void *state, uint64_t work)
{
	struct mf_state *s = state;
	struct fl_mf_entry *res[BURST];
	uint64_t done = 0;

	while (done < work) {
		unsigned base = (unsigned)(s->pos % (s->n_keys - BURST + 1));
		uint32_t map = UINT32_MAX;

		fl_mf_lookup_batch(s->mf, &s->keys[base], BURST, res, &map);
		s->pos += BURST;
		done += BURST;
	}
	return done;
}

static void mf_teardown(void *state)
{
	struct mf_state *s = state;
	struct fl_mf_stats st;

	fl_mf_get_stats(s->mf, &st);
	fprintf(stderr, "%s: %llu subtables, hit rate %.1f%%, %.2f subtables probed per hit\n",
		s->name, (unsigned long long)st.subtables,
		100.0 * (double)st.hits / (double)(st.hits + st.misses ? st.hits + st.misses : 1),
		st.avg_probed_per_hit);
	fl_mf_destroy(s->mf);
	free(s->keys);
	free(s);
}

const struct bench_scenario bench_cache_scenarios[] = {
	{"key-hash", "key", "fl_key_hash: CRC32C of a 24-word key in 4 lanes", keys_setup, hash_run,
	 keys_teardown, NULL},
	{"key-hash-map", "key", "fl_key_hash_masked_map over a 5-word 5-tuple mask", keys_setup,
	 hash_masked_map_run, keys_teardown, NULL},
	{"key-hash-compact", "key", "rejected: CRC of non-zero words + map, map by AVX2",
	 keys_setup, compact_avx2_run, keys_teardown, NULL},
	{"key-hash-compact-sse", "key", "rejected: the same with the map by SSE4.1", keys_setup,
	 compact_sse_run, keys_teardown, NULL},
	{"key-equal", "key", "fl_key_equal of equal keys, CPU as detected (AVX2 here)", keys_setup,
	 equal_run, keys_teardown, NULL},
	{"key-equal-baseline", "key", "fl_key_equal of equal keys, FLOWLANE_CPU=baseline",
	 keys_setup_baseline, equal_run, keys_teardown, NULL},
	{"key-equal-fnptr", "key", "rejected: fl_key_equal through a function pointer",
	 keys_setup, equal_fnptr_run, keys_teardown, NULL},
	{"key-equal-fnptr-base", "key", "rejected: baseline equal through a function pointer",
	 keys_setup_baseline, equal_fnptr_run, keys_teardown, NULL},
	{"key-masked-equal", "key", "fl_key_masked_equal, CPU as detected", keys_setup,
	 masked_equal_run, keys_teardown, NULL},
	{"key-masked-eq-base", "key", "fl_key_masked_equal, FLOWLANE_CPU=baseline",
	 keys_setup_baseline, masked_equal_run, keys_teardown, NULL},
	{"emc-1k", "packet", "EMC lookup_batch(32), 1k flows all cached: 100% hits", emc_1k_setup,
	 emc_run, emc_teardown, NULL},
	{"emc-1k-baseline", "packet", "emc-1k with FLOWLANE_CPU=baseline", emc_1k_baseline_setup,
	 emc_run, emc_teardown, NULL},
	{"emc-100k", "packet", "EMC lookup_batch(32), 100k flows > 8k slots, insert 1/100",
	 emc_100k_setup, emc_run, emc_teardown, NULL},
	{"megaflow-1", "packet", "megaflow lookup_batch(32), 1 subtable, 1k flows", mf_1_setup,
	 mf_run, mf_teardown, NULL},
	{"megaflow-10", "packet", "megaflow lookup_batch(32), 10 subtables, 100 flows each",
	 mf_10_setup, mf_run, mf_teardown, NULL},
};
const unsigned bench_cache_n = sizeof(bench_cache_scenarios) / sizeof(bench_cache_scenarios[0]);
