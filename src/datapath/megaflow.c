/* The megaflow cache (datapath/megaflow.h): subtables, the shared bucket
 * table, the entry pool, and the staged batch lookup.
 *
 * Memory is reserved at creation with mmap, so pages are touched only as
 * entries are first used (a 200k-entry cache reserves 70 MB but a worker
 * with 1k flows touches ~400 KB), and it arrives zeroed: empty buckets and
 * never-used entries need no initialisation pass.
 *
 * The bucket table is open addressing over 64-byte buckets of 7 slots. An
 * entry lives in its home bucket (hash & mask) or, when that is full, in the
 * next bucket with room; every bucket it skipped counts it in `overflow`,
 * so a lookup goes past its home bucket only when some entry did, which at
 * the table's load (at most 2 entries per bucket on average, 7 slots) is
 * about one bucket in a thousand. The table is sized for `limit`, never
 * grows, and serves every subtable: the subtable salt in the hash spreads
 * them, and a candidate's subtable is checked before its value.
 *
 * Measured (EPYC dev box, batches of 32 hitting keys, 5-word masks, best of
 * 301 interleaved rounds; bench/bench_cache.c megaflow-*): one subtable of
 * 1k entries, 9.8 ns per packet; ten subtables of 100 (5.5 probed per hit),
 * 41 ns, so about 7 ns per subtable that misses. AVX2 makes no difference
 * here: verification compares the compact words, not whole keys.
 */
#include "datapath/megaflow.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <emmintrin.h>

#include "flow/keyops.h"

#define BUCKET_SLOTS 7
#define MAX_LIMIT (1u << 24)
#define EVICT_ROUNDS 4

/* One cache line: hash[] and overflow load as two 128-bit vectors. */
struct mf_bucket {
	uint32_t hash[BUCKET_SLOTS];
	uint32_t overflow;          /* entries homed here or before, stored after */
	uint32_t idx[BUCKET_SLOTS]; /* pool index + 1; 0 = empty slot */
	uint32_t pad;
};

_Static_assert(sizeof(struct mf_bucket) == FL_CACHE_LINE, "bucket is a line");

/* One distinct mask. Layout: the mask (3 lines, read by hashing), then the
 * compact mask words and the map (verification), then counters. */
struct fl_mf_subtable {
	struct fl_key mask;
	uint64_t mvals[FL_KEY_WORDS]; /* mask words in map order, as entry vals */
	uint32_t map;                 /* mask's non-zero words */
	uint32_t seed;                /* hash salt */
	uint32_t n_words;
	uint8_t idx[FL_KEY_WORDS];    /* the words of map, in order */
	uint64_t hits;                /* since the last re-rank */
	uint64_t n_entries;
} FL_CACHE_ALIGNED;

struct mf_counters {
	uint64_t hits, misses, inserts, removals, evictions, expirations, probed;
};

/* The cache. Lookup reads the first line; the rest is for inserts. */
struct fl_mf {
	struct mf_bucket *buckets;
	struct fl_mf_entry *pool;
	struct fl_mf_subtable **order; /* subtables, most hit first */
	uint32_t bucket_mask;
	uint32_t n_subtables;
	uint64_t lookups;              /* since the last re-rank */
	struct mf_counters c;
	uint64_t n_entries;
	uint32_t limit;
	uint32_t high_water;           /* pool entries ever handed out */
	uint32_t free_head;            /* pool index + 1 of a freed entry, 0 = none */
	uint32_t sweep_cursor;
	uint32_t cap_subtables;
	uint32_t pad;
	uint64_t rng;                  /* xorshift64 for eviction samples */
	size_t pool_bytes, bucket_bytes;
	fl_mf_release_fn *release;
};

static uint32_t pool_index(const struct fl_mf *mf, const struct fl_mf_entry *e)
{
	return (uint32_t)(e - mf->pool);
}

/* Fields other threads read (stats) are written by the owner only, with
 * relaxed stores, as core/counter.h does for counters. */
static void set_relaxed(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static uint64_t rng_next(struct fl_mf *mf)
{
	mf->rng ^= mf->rng << 13;
	mf->rng ^= mf->rng >> 7;
	mf->rng ^= mf->rng << 17;
	return mf->rng;
}

static void *map_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

struct fl_mf *fl_mf_create(unsigned limit, fl_mf_release_fn *release)
{
	struct fl_mf *mf;
	size_t n_buckets = 1;
	int err;

	if (limit == 0 || limit > MAX_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	/* at least 2 buckets (14 slots) per 4 entries: load <= 2/7 at the limit */
	while (n_buckets * 2 < limit)
		n_buckets <<= 1;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return NULL;
	mf->limit = limit;
	mf->release = release;
	mf->rng = 0x2545F4914F6CDD1Dull;
	mf->bucket_mask = (uint32_t)(n_buckets - 1);
	mf->bucket_bytes = n_buckets * sizeof(struct mf_bucket);
	mf->pool_bytes = (size_t)limit * sizeof(struct fl_mf_entry);
	mf->buckets = map_zeroed(mf->bucket_bytes);
	if (!mf->buckets)
		goto err_free_mf;
	mf->pool = map_zeroed(mf->pool_bytes);
	if (!mf->pool)
		goto err_unmap_buckets;
	return mf;

err_unmap_buckets:
	err = errno;
	munmap(mf->buckets, mf->bucket_bytes);
	errno = err;
err_free_mf:
	err = errno;
	free(mf);
	errno = err;
	return NULL;
}

/* ---- subtables ---- */

static struct fl_mf_subtable *subtable_find(const struct fl_mf *mf, const struct fl_key *mask)
{
	uint32_t i;

	for (i = 0; i < mf->n_subtables; i++)
		if (fl_key_equal(&mf->order[i]->mask, mask))
			return mf->order[i];
	return NULL;
}

static struct fl_mf_subtable *subtable_create(struct fl_mf *mf, const struct fl_key *mask)
{
	struct fl_mf_subtable *st;
	const uint64_t *m = fl_key_words(mask);
	uint32_t map, n = 0;

	if (mf->n_subtables == mf->cap_subtables) {
		uint32_t cap = mf->cap_subtables ? mf->cap_subtables * 2 : 16;
		struct fl_mf_subtable **order = realloc(mf->order, cap * sizeof(*order));

		if (!order)
			return NULL;
		mf->order = order;
		mf->cap_subtables = cap;
	}
	st = aligned_alloc(FL_CACHE_LINE, sizeof(*st));
	if (!st)
		return NULL;
	memset(st, 0, sizeof(*st));
	st->mask = *mask;
	st->map = fl_key_nonzero_map(mask);
	for (map = st->map; map; map &= map - 1, n++) {
		st->idx[n] = (uint8_t)__builtin_ctz(map);
		st->mvals[n] = m[st->idx[n]];
	}
	st->n_words = n;
	st->seed = fl_key_hash(mask);
	/* new subtables go last: they have no hits yet */
	mf->order[mf->n_subtables] = st;
	__atomic_store_n(&mf->n_subtables, mf->n_subtables + 1, __ATOMIC_RELAXED);
	return st;
}

static void subtable_destroy(struct fl_mf *mf, struct fl_mf_subtable *st)
{
	uint32_t i;

	for (i = 0; i < mf->n_subtables; i++)
		if (mf->order[i] == st)
			break;
	memmove(&mf->order[i], &mf->order[i + 1], (mf->n_subtables - i - 1) * sizeof(*mf->order));
	__atomic_store_n(&mf->n_subtables, mf->n_subtables - 1, __ATOMIC_RELAXED);
	free(st);
}

/* fl_key_hash_masked_map(key, &st->mask, st->map, st->seed), computed from
 * the subtable's word list and compact mask: a counted loop instead of a
 * walk over the map's bits. Measured (bench_cache.c, best of 15 runs):
 * megaflow-1 12.0 -> 9.4 ns per packet, megaflow-10 58 -> 50 ns (and
 * skipping stage 3 for keys without candidates: -> 41 ns).
 * fl_mf_check() verifies the two agree. */
static inline uint32_t subtable_hash(const struct fl_mf_subtable *st, const struct fl_key *key)
{
	const uint64_t *k = fl_key_words(key);
	uint64_t a = ~st->seed, b = st->seed ^ st->map;
	unsigned t = 0, n = st->n_words;

	for (; t + 2 <= n; t += 2) {
		a = fl_key_crc_step(a, k[st->idx[t]] & st->mvals[t]);
		b = fl_key_crc_step(b, k[st->idx[t + 1]] & st->mvals[t + 1]);
	}
	if (t < n)
		a = fl_key_crc_step(a, k[st->idx[t]] & st->mvals[t]);
	return ~(uint32_t)fl_key_crc_step(a, b);
}

/* (key & mask) == value over the subtable's words, from the compact forms. */
static inline bool entry_matches(const struct fl_mf_subtable *st, const struct fl_mf_entry *e,
				 const struct fl_key *key)
{
	const uint64_t *k = fl_key_words(key);
	uint64_t diff = 0;
	unsigned t;

	if (e->subtable != st)
		return false;
	for (t = 0; t < st->n_words; t++)
		diff |= (k[st->idx[t]] & st->mvals[t]) ^ e->vals[t];
	return diff == 0;
}

/* ---- bucket table ---- */

/* Slots of bucket b whose hash is h and which hold an entry (bit per slot). */
static inline uint32_t bucket_match(const struct mf_bucket *b, uint32_t h)
{
	__m128i hv = _mm_set1_epi32((int)h);
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)b->hash);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(b->hash + 4));
	uint32_t m;

	m = (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, hv))) |
	    (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, hv))) << 4;
	return m & ((1u << BUCKET_SLOTS) - 1);
}

/* The entry for key in subtable st among candidates `cands` of bucket b. */
static inline struct fl_mf_entry *bucket_scan(const struct fl_mf *mf,
					      const struct fl_mf_subtable *st,
					      const struct fl_key *key, const struct mf_bucket *b,
					      uint32_t cands)
{
	for (; cands; cands &= cands - 1) {
		uint32_t idx = b->idx[__builtin_ctz(cands)];

		if (idx && entry_matches(st, &mf->pool[idx - 1], key))
			return &mf->pool[idx - 1];
	}
	return NULL;
}

/* The same over the buckets after b, while b's neighbourhood overflowed. */
static __attribute__((noinline)) struct fl_mf_entry *
overflow_find(const struct fl_mf *mf, const struct fl_mf_subtable *st, const struct fl_key *key,
	      uint32_t h, const struct mf_bucket *b)
{
	uint32_t bi = (uint32_t)(b - mf->buckets);
	struct fl_mf_entry *e;

	while (b->overflow) {
		bi = (bi + 1) & mf->bucket_mask;
		b = &mf->buckets[bi];
		e = bucket_scan(mf, st, key, b, bucket_match(b, h));
		if (e)
			return e;
	}
	return NULL;
}

/* Find the entry for key in subtable st: bucket b (the home bucket of hash
 * h) and, if it overflowed, the ones after it. */
static inline struct fl_mf_entry *bucket_find(const struct fl_mf *mf,
					      const struct fl_mf_subtable *st,
					      const struct fl_key *key, uint32_t h,
					      const struct mf_bucket *b, uint32_t cands)
{
	struct fl_mf_entry *e = bucket_scan(mf, st, key, b, cands);

	if (e || FL_LIKELY(!b->overflow))
		return e;
	return overflow_find(mf, st, key, h, b);
}

static void table_insert(struct fl_mf *mf, struct fl_mf_entry *e)
{
	uint32_t bi = e->hash & mf->bucket_mask;

	for (;;) {
		struct mf_bucket *b = &mf->buckets[bi];
		unsigned s;

		for (s = 0; s < BUCKET_SLOTS; s++)
			if (!b->idx[s])
				break;
		if (s < BUCKET_SLOTS) {
			b->hash[s] = e->hash;
			b->idx[s] = pool_index(mf, e) + 1;
			break;
		}
		b->overflow++;
		bi = (bi + 1) & mf->bucket_mask;
	}
}

static void table_remove(struct fl_mf *mf, struct fl_mf_entry *e)
{
	uint32_t bi = e->hash & mf->bucket_mask, want = pool_index(mf, e) + 1;

	for (;;) {
		struct mf_bucket *b = &mf->buckets[bi];
		unsigned s;

		for (s = 0; s < BUCKET_SLOTS; s++)
			if (b->idx[s] == want) {
				b->idx[s] = 0;
				b->hash[s] = 0;
				return;
			}
		b->overflow--;
		bi = (bi + 1) & mf->bucket_mask;
	}
}

/* ---- entries ---- */

static struct fl_mf_entry *entry_alloc(struct fl_mf *mf)
{
	struct fl_mf_entry *e;

	if (mf->free_head) {
		e = &mf->pool[mf->free_head - 1];
		mf->free_head = e->next_free;
		return e;
	}
	if (mf->high_water < mf->limit)
		return &mf->pool[mf->high_water++];
	return NULL;
}

static void set_rules(struct fl_mf_entry *e, void *const *rules, unsigned n_rules)
{
	unsigned n = FL_MIN(n_rules, FL_MF_MAX_RULES);

	if (n)
		memcpy(e->rules, rules, n * sizeof(*rules));
	e->n_rules = (uint8_t)n;
	e->rules_truncated = n_rules > FL_MF_MAX_RULES;
}

/* Take the entry out of the table and its subtable, release its actions,
 * make every EMC copy stale, and return it to the pool. */
static void entry_free(struct fl_mf *mf, struct fl_mf_entry *e)
{
	struct fl_mf_subtable *st = e->subtable;
	void *actions = e->actions;

	table_remove(mf, e);
	e->gen++;
	e->subtable = NULL;
	e->actions = NULL;
	e->next_free = mf->free_head;
	mf->free_head = pool_index(mf, e) + 1;
	set_relaxed(&mf->n_entries, mf->n_entries - 1);
	if (--st->n_entries == 0)
		subtable_destroy(mf, st);
	if (mf->release)
		mf->release(actions);
}

/* The idlest of a few random live entries not used at `now`; NULL if a few
 * rounds of samples found none. Sampled LRU (as Redis evicts keys): a true
 * LRU list would cost two extra cache-line writes on every hit, and the
 * sample's idlest is older than most entries (8 samples: older than 8/9 of
 * them on average), which is what keeps busy megaflows in the cache. */
static struct fl_mf_entry *evict_pick(struct fl_mf *mf, uint64_t now)
{
	struct fl_mf_entry *victim = NULL;
	unsigned round, i;

	for (round = 0; round < EVICT_ROUNDS && !victim; round++)
		for (i = 0; i < FL_MF_EVICT_SAMPLE; i++) {
			uint32_t idx = (uint32_t)(((rng_next(mf) >> 32) * mf->high_water) >> 32);
			struct fl_mf_entry *e = &mf->pool[idx];

			if (!e->subtable || e->used >= now)
				continue;
			if (!victim || e->used < victim->used)
				victim = e;
		}
	return victim;
}

struct fl_mf_entry *fl_mf_insert(struct fl_mf *mf, const struct fl_match *match, void *actions,
				 uint64_t version, void *const *rules, unsigned n_rules,
				 uint64_t now)
{
	struct fl_mf_subtable *st;
	struct fl_mf_entry *e;
	struct fl_key value;
	uint32_t map;
	unsigned t = 0;

	fl_key_and(&match->value, &match->mask, &value);
	st = subtable_find(mf, &match->mask);
	if (st) {
		uint32_t h = subtable_hash(st, &value);
		const struct mf_bucket *b = &mf->buckets[h & mf->bucket_mask];

		e = bucket_find(mf, st, &value, h, b, bucket_match(b, h));
		if (e) {
			fl_mf_replace(mf, e, actions, version, rules, n_rules);
			return e;
		}
	}
	e = entry_alloc(mf);
	if (!e) {
		struct fl_mf_entry *victim = evict_pick(mf, now);

		if (!victim) {
			errno = ENOSPC;
			return NULL;
		}
		entry_free(mf, victim);
		fl_counter_inc(&mf->c.evictions);
		e = entry_alloc(mf);
		/* the victim may have been its subtable's last entry */
		st = subtable_find(mf, &match->mask);
	}
	if (!st) {
		st = subtable_create(mf, &match->mask);
		if (!st) {
			e->next_free = mf->free_head;
			mf->free_head = pool_index(mf, e) + 1;
			errno = ENOMEM;
			return NULL;
		}
	}
	for (map = st->map; map; map &= map - 1)
		e->vals[t++] = fl_key_words(&value)[__builtin_ctz(map)];
	e->hash = subtable_hash(st, &value);
	e->subtable = st;
	e->actions = actions;
	e->version = version;
	e->n_packets = 0;
	e->n_bytes = 0;
	e->used = now;
	set_rules(e, rules, n_rules);
	table_insert(mf, e);
	st->n_entries++;
	set_relaxed(&mf->n_entries, mf->n_entries + 1);
	fl_counter_inc(&mf->c.inserts);
	return e;
}

void fl_mf_replace(struct fl_mf *mf, struct fl_mf_entry *e, void *actions, uint64_t version,
		   void *const *rules, unsigned n_rules)
{
	void *old = e->actions;

	e->actions = actions;
	e->version = version;
	set_rules(e, rules, n_rules);
	if (old != actions && mf->release)
		mf->release(old);
}

void fl_mf_remove(struct fl_mf *mf, struct fl_mf_entry *e)
{
	entry_free(mf, e);
	fl_counter_inc(&mf->c.removals);
}

void fl_mf_flush(struct fl_mf *mf)
{
	uint32_t i;

	for (i = 0; i < mf->high_water; i++)
		if (mf->pool[i].subtable)
			fl_mf_remove(mf, &mf->pool[i]);
}

unsigned fl_mf_sweep(struct fl_mf *mf, uint64_t now, uint64_t idle_timeout, unsigned max_visit)
{
	unsigned visited, expired = 0;

	if (!mf->high_water)
		return 0;
	if (max_visit == 0 || max_visit > mf->high_water)
		max_visit = mf->high_water;
	for (visited = 0; visited < max_visit; visited++) {
		struct fl_mf_entry *e;

		if (mf->sweep_cursor >= mf->high_water)
			mf->sweep_cursor = 0;
		e = &mf->pool[mf->sweep_cursor++];
		if (e->subtable && e->used + idle_timeout < now) {
			entry_free(mf, e);
			expired++;
		}
	}
	fl_counter_add(&mf->c.expirations, expired);
	return expired;
}

size_t fl_mf_foreach(const struct fl_mf *mf,
		     void (*cb)(const struct fl_mf_entry *e, void *arg), void *arg)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < mf->high_water; i++) {
		if (mf->pool[i].subtable) {
			cb(&mf->pool[i], arg);
			n++;
		}
	}
	return n;
}

void fl_mf_destroy(struct fl_mf *mf)
{
	if (!mf)
		return;
	fl_mf_flush(mf);
	free(mf->order);
	munmap(mf->pool, mf->pool_bytes);
	munmap(mf->buckets, mf->bucket_bytes);
	free(mf);
}

/* ---- lookup ---- */

void fl_mf_rerank(struct fl_mf *mf)
{
	uint32_t i, j;

	/* insertion sort, stable: a handful of subtables, mostly in order */
	for (i = 1; i < mf->n_subtables; i++) {
		struct fl_mf_subtable *st = mf->order[i];

		for (j = i; j > 0 && mf->order[j - 1]->hits < st->hits; j--)
			mf->order[j] = mf->order[j - 1];
		mf->order[j] = st;
	}
	for (i = 0; i < mf->n_subtables; i++)
		mf->order[i]->hits = 0;
	mf->lookups = 0;
}

#define FOR_EACH_BIT(i, m, map) \
	for ((m) = (map); (m) && ((i) = (unsigned)__builtin_ctz(m), 1); (m) &= (m) - 1)

unsigned fl_mf_lookup_batch(struct fl_mf *mf, const struct fl_key *keys, unsigned n,
			    struct fl_mf_entry **results, uint32_t *mapp)
{
	uint32_t hashes[32], cands[32];
	const struct mf_bucket *bks[32];
	uint32_t map, todo, m, s, found = 0;
	uint64_t probed = 0;
	unsigned i;

	assert(n <= 32);
	map = *mapp & (n >= 32 ? UINT32_MAX : (1u << n) - 1);
	FOR_EACH_BIT(i, m, map)
		results[i] = NULL;
	mf->lookups += (unsigned)__builtin_popcount(map);
	for (s = 0; s < mf->n_subtables && map; s++) {
		struct fl_mf_subtable *st = mf->order[s];
		uint32_t hits = 0;

		/* 1: hash, prefetch the home buckets */
		FOR_EACH_BIT(i, m, map) {
			uint32_t h = subtable_hash(st, &keys[i]);

			hashes[i] = h;
			bks[i] = &mf->buckets[h & mf->bucket_mask];
			FL_PREFETCH(bks[i]);
		}
		/* 2: hashes in the bucket, prefetch the first candidate's lines;
		 * keys with no candidate and no overflow miss here already */
		todo = 0;
		FOR_EACH_BIT(i, m, map) {
			uint32_t c = bucket_match(bks[i], hashes[i]);

			cands[i] = c;
			if (c) {
				uint32_t idx = bks[i]->idx[__builtin_ctz(c)];
				const struct fl_mf_entry *e = &mf->pool[idx ? idx - 1 : 0];

				FL_PREFETCH(e);
				FL_PREFETCH(e->vals);
				todo |= 1u << i;
			} else if (FL_UNLIKELY(bks[i]->overflow)) {
				todo |= 1u << i;
			}
		}
		/* 3: verify */
		FOR_EACH_BIT(i, m, todo) {
			struct fl_mf_entry *e = bucket_find(mf, st, &keys[i], hashes[i], bks[i],
							    cands[i]);

			if (e) {
				results[i] = e;
				map &= ~(1u << i);
				hits++;
			}
		}
		if (hits) {
			st->hits += hits;
			found += hits;
			probed += (uint64_t)hits * (s + 1);
		}
	}
	fl_counter_add(&mf->c.hits, found);
	fl_counter_add(&mf->c.misses, (unsigned)__builtin_popcount(map));
	fl_counter_add(&mf->c.probed, probed);
	if (FL_UNLIKELY(mf->lookups >= FL_MF_RERANK_INTERVAL))
		fl_mf_rerank(mf);
	*mapp = map;
	return found;
}

struct fl_mf_entry *fl_mf_lookup(struct fl_mf *mf, const struct fl_key *key)
{
	struct fl_mf_entry *e;
	uint32_t map = 1;

	fl_mf_lookup_batch(mf, key, 1, &e, &map);
	return e;
}

/* ---- introspection ---- */

void fl_mf_get_stats(const struct fl_mf *mf, struct fl_mf_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = __atomic_load_n(&mf->n_entries, __ATOMIC_RELAXED);
	st->subtables = __atomic_load_n(&mf->n_subtables, __ATOMIC_RELAXED);
	st->hits = fl_counter_read(&mf->c.hits);
	st->misses = fl_counter_read(&mf->c.misses);
	st->inserts = fl_counter_read(&mf->c.inserts);
	st->removals = fl_counter_read(&mf->c.removals);
	st->evictions = fl_counter_read(&mf->c.evictions);
	st->expirations = fl_counter_read(&mf->c.expirations);
	st->subtables_probed = fl_counter_read(&mf->c.probed);
	st->avg_probed_per_hit = st->hits ? (double)st->subtables_probed / (double)st->hits : 0;
}

void fl_mf_entry_get_match(const struct fl_mf_entry *e, struct fl_match *match)
{
	const struct fl_mf_subtable *st = e->subtable;
	uint64_t *v = (uint64_t *)(void *)&match->value;
	uint32_t map;
	unsigned t = 0;

	memset(match, 0, sizeof(*match));
	if (!st)
		return;
	match->mask = st->mask;
	for (map = st->map; map; map &= map - 1)
		v[__builtin_ctz(map)] = e->vals[t++];
}

int fl_mf_check(const struct fl_mf *mf)
{
	uint32_t n_buckets = mf->bucket_mask + 1, bi, i, *overflow;
	uint64_t live = 0, in_subtables = 0;
	int err = 0;

	overflow = calloc(n_buckets, sizeof(*overflow));
	if (!overflow)
		return -ENOMEM;
	for (bi = 0; bi < n_buckets; bi++) {
		const struct mf_bucket *b = &mf->buckets[bi];
		unsigned s;

		for (s = 0; s < BUCKET_SLOTS; s++) {
			const struct fl_mf_entry *e;
			uint32_t home;

			if (!b->idx[s])
				continue;
			e = &mf->pool[b->idx[s] - 1];
			if (!e->subtable || e->hash != b->hash[s])
				err = -EUCLEAN;
			for (home = e->hash & mf->bucket_mask; home != bi;
			     home = (home + 1) & mf->bucket_mask)
				overflow[home]++;
			live++;
		}
	}
	for (bi = 0; bi < n_buckets; bi++)
		if (overflow[bi] != mf->buckets[bi].overflow)
			err = -EUCLEAN;
	free(overflow);
	for (i = 0; i < mf->high_water; i++) {
		const struct fl_mf_entry *e = &mf->pool[i];
		const struct mf_bucket *b;
		struct fl_match m;

		if (!e->subtable)
			continue;
		fl_mf_entry_get_match(e, &m);
		b = &mf->buckets[e->hash & mf->bucket_mask];
		if (subtable_hash(e->subtable, &m.value) != e->hash ||
		    fl_key_hash_masked_map(&m.value, &m.mask, e->subtable->map, e->subtable->seed) !=
			    e->hash ||
		    bucket_find(mf, e->subtable, &m.value, e->hash, b, bucket_match(b, e->hash)) != e)
			err = -EUCLEAN;
	}
	for (i = 0; i < mf->n_subtables; i++) {
		if (!mf->order[i]->n_entries)
			err = -EUCLEAN;
		in_subtables += mf->order[i]->n_entries;
	}
	if (live != mf->n_entries || in_subtables != mf->n_entries)
		err = -EUCLEAN;
	return err;
}
