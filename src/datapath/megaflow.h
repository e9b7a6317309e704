/* The megaflow cache: wildcard flows in tuple space, one cache per worker.
 *
 * A packet that misses the exact-match cache (emc.h) is looked up here before
 * it goes to the pipeline. Each entry is a (mask, value) pair that
 * translation produced — the mask holds the fields the pipeline looked at —
 * with the actions translation decided. Entries with the same mask share a
 * subtable; a lookup visits subtables one after the other, hashing the key
 * masked by each subtable's mask and probing for the masked value. Entries
 * never overlap (translation builds them so: two megaflows that both match a
 * packet would have to disagree on a field that one of them looked at), so
 * the first hit is the answer and subtables are visited in whatever order
 * finds hits soonest: by hits since the last re-rank.
 *
 *   lookup_batch(keys[0..n), map)
 *     for each subtable, most hit first, while map has bits:
 *       1. hash the keys in map masked by the subtable, prefetch buckets
 *       2. compare the 32-bit hashes in each bucket, prefetch candidates
 *       3. compare masked key with the candidate's value; on a hit clear
 *          the key's bit in map
 *
 * Storage. Entries come from a pool of `limit` fixed-size entries allocated
 * at creation; one open-addressing table (buckets of 7 hashes + 7 entry
 * indices, one cache line) serves every subtable, sized at creation too, so
 * an insert only allocates when it creates a subtable (a new mask: rare).
 * A subtable's hash covers only its mask's words and is salted per subtable
 * (keyops.h fl_key_hash_masked_map); an entry stores only those words of its
 * value (OVS stores a miniflow for the same reason), so verifying a 5-tuple
 * entry reads one line of it.
 *
 * Lifetime. An entry leaves through fl_mf_remove, eviction (insert at the
 * limit), idle expiry (fl_mf_sweep) or flush. Its actions are then released
 * through the callback given at creation, exactly once, and its `gen` is
 * bumped: an EMC slot that copied the entry's gen no longer matches, so it
 * misses. The entry's memory stays in the pool (it is reused, never freed
 * before fl_mf_destroy), which is what makes such a stale pointer safe to
 * read. The cache must therefore outlive the EMC that points into it.
 *
 * Threads: one worker owns a cache; nothing here locks. Counters are written
 * by the owner with fl_counter_* and may be read by any thread.
 */
#ifndef FL_DATAPATH_MEGAFLOW_H
#define FL_DATAPATH_MEGAFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/counter.h"
#include "flow/match.h"
#include "proto/key.h"

#define FL_MF_MAX_RULES 6
/* Re-rank subtables after this many lookups (also on fl_mf_rerank()). OVS
 * re-sorts once a second; at 10 Mpps per worker 1M lookups is 0.1 s. */
#define FL_MF_RERANK_INTERVAL (1u << 20)
/* Eviction looks at this many random entries and evicts the idlest. */
#define FL_MF_EVICT_SAMPLE 8

struct fl_mf;
struct fl_mf_subtable;

/* Called when the cache lets go of an entry's actions: the entry was removed,
 * evicted, expired or flushed, or its actions were replaced. */
typedef void fl_mf_release_fn(void *actions);

/* One megaflow. Layout (64-byte lines):
 *
 *   line 0      gen, hash, subtable, actions, version, counters: read (and
 *               the counters written) on every hit
 *   line 1..3   vals: the masked value, only the subtable's mask words, in
 *               word order; a 5-tuple mask uses the first 40 bytes
 *   line 4      rules, for attributing statistics, and the MAC address NORMAL
 *               learned from this flow, to keep it from aging out: cold
 *
 * Owner: the worker. The caller reads actions, version, rules and writes the
 * counters (fl_mf_entry_account); the rest belongs to the cache. */
struct fl_mf_entry {
	uint32_t gen;                     /* bumped when the entry is freed */
	uint32_t hash;                    /* of the masked value, in its subtable */
	struct fl_mf_subtable *subtable;  /* NULL while free */
	void *actions;                    /* opaque, released by the callback */
	uint64_t version;                 /* table version translated under */
	uint64_t n_packets;
	uint64_t n_bytes;
	uint64_t used;                    /* caller's clock, last hit or insert */
	uint8_t n_rules;
	uint8_t rules_truncated;          /* translation named more than FL_MF_MAX_RULES */
	uint16_t pad_;
	uint32_t next_free;               /* pool index + 1 of the next free entry */
	uint64_t vals[FL_KEY_WORDS];
	void *rules[FL_MF_MAX_RULES];
	/* Caller-owned: set after each insert or replace (learn_port 0: none). */
	uint8_t learn_mac[6];
	uint16_t learn_vlan;
	uint32_t learn_port;
	uint32_t learn_touched_s; /* caller's clock in seconds, last refresh */
} FL_CACHE_ALIGNED;

_Static_assert(offsetof(struct fl_mf_entry, vals) == FL_CACHE_LINE, "hot header is one line");
_Static_assert(sizeof(struct fl_mf_entry) == 5 * FL_CACHE_LINE, "entry is five lines");

struct fl_mf_stats {
	uint64_t entries;
	uint64_t subtables;
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t removals;         /* fl_mf_remove and flush */
	uint64_t evictions;
	uint64_t expirations;
	uint64_t subtables_probed; /* summed over hits: the hit was in the n-th subtable */
	double avg_probed_per_hit; /* subtables_probed / hits */
};

/* A cache of at most `limit` entries (1..2^24). NULL with errno set. */
struct fl_mf *fl_mf_create(unsigned limit, fl_mf_release_fn *release);
/* Release every entry's actions and free the cache. */
void fl_mf_destroy(struct fl_mf *mf);

/* Look up keys[i] for each bit i set in *map (n <= 32, bits >= n ignored).
 * results[i] is the entry found, or NULL; on return *map has the bits of the
 * keys not found. Returns the number found. No allocation, no locks. */
unsigned fl_mf_lookup_batch(struct fl_mf *mf, const struct fl_key *keys, unsigned n,
			    struct fl_mf_entry **results, uint32_t *map);

/* One key; the same result as a batch of one. */
struct fl_mf_entry *fl_mf_lookup(struct fl_mf *mf, const struct fl_key *key);

/* Install a megaflow. `now` is the caller's clock, the one it passes to
 * fl_mf_entry_account and fl_mf_sweep; it should be fine (a batch timestamp
 * in ns or TSC ticks), since entries used at `now` are not evicted.
 * The cache takes ownership of `actions` when it returns
 * an entry. The value is masked here (value & mask). rules[0..n_rules) is
 * kept up to FL_MF_MAX_RULES. If an entry with the same match exists, its
 * actions, version and rules are replaced and it is returned. At the limit
 * an idle entry is evicted first: the idlest of FL_MF_EVICT_SAMPLE random
 * ones whose `used` is before `now` (entries hit or inserted at `now`, i.e.
 * by the batch in hand, are never evicted, so results[] of the current batch
 * stay valid). Returns NULL with errno ENOSPC when nothing could be evicted,
 * ENOMEM when a new subtable could not be allocated; the caller then still
 * owns `actions`. */
struct fl_mf_entry *fl_mf_insert(struct fl_mf *mf, const struct fl_match *match, void *actions,
				 uint64_t version, void *const *rules, unsigned n_rules,
				 uint64_t now);

/* Re-translation gave new actions for the same match: keep the entry (and
 * any EMC slots pointing at it), release the old actions (unless the same
 * pointer), store the new ones with their version and rules. */
void fl_mf_replace(struct fl_mf *mf, struct fl_mf_entry *e, void *actions, uint64_t version,
		   void *const *rules, unsigned n_rules);

/* Remove an entry: its actions are released, its gen bumped. */
void fl_mf_remove(struct fl_mf *mf, struct fl_mf_entry *e);

/* Remove every entry. */
void fl_mf_flush(struct fl_mf *mf);

/* Expire entries whose `used` + idle_timeout < now (same clock as the
 * caller's `now` everywhere). Visits at most max_visit pool slots from where
 * the previous call stopped (0: the whole pool), so a worker can spread the
 * walk over its loops. Returns the number expired. */
unsigned fl_mf_sweep(struct fl_mf *mf, uint64_t now, uint64_t idle_timeout, unsigned max_visit);

/* Order subtables by hits since the last re-rank, most first, and reset the
 * counts. lookup_batch calls it every FL_MF_RERANK_INTERVAL lookups. */
void fl_mf_rerank(struct fl_mf *mf);

void fl_mf_get_stats(const struct fl_mf *mf, struct fl_mf_stats *st);

/* Check the cache's invariants (every entry findable from its home bucket,
 * overflow counts, entry and subtable counts): 0, or -EUCLEAN. O(size); for
 * tests and debugging. */
int fl_mf_check(const struct fl_mf *mf);

/* Call cb for every entry, in pool order (the owner's thread). Returns how many. */
size_t fl_mf_foreach(const struct fl_mf *mf,
		     void (*cb)(const struct fl_mf_entry *e, void *arg), void *arg);

/* The entry's match, expanded from the subtable's mask and the stored words. */
void fl_mf_entry_get_match(const struct fl_mf_entry *e, struct fl_match *match);

/* Whether `e` is still the incarnation that had generation `gen` (the EMC's
 * check): freeing bumps gen, so a removed entry, or its slot reused for
 * another megaflow, fails. (A slot would have to be reused 2^32 times under
 * one EMC copy for the check to pass wrongly.) */
static inline bool fl_mf_entry_alive(const struct fl_mf_entry *e, uint32_t gen)
{
	return e->gen == gen;
}

/* Account hits to an entry (the worker, once per entry per batch). */
static inline void fl_mf_entry_account(struct fl_mf_entry *e, uint64_t packets, uint64_t bytes,
				       uint64_t now)
{
	fl_counter_add(&e->n_packets, packets);
	fl_counter_add(&e->n_bytes, bytes);
	__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
}

#endif
