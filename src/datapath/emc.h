/* The exact-match cache (EMC): the first cache a packet meets, one per worker.
 *
 * It maps a whole flow key to the megaflow (megaflow.h) that last handled
 * it, so a packet of a busy flow costs a hash, two slot reads and one key
 * compare instead of a tuple-space search. It is a cache: it holds a copy of
 * each key, checks it exactly, and forgets whatever it likes.
 *
 * Each key has two candidate slots, from two bit ranges of its 32-bit hash
 * (bits 0.. and 16.., as OVS uses 2 x 13 bits for its 8192 entries). A slot
 * remembers the megaflow entry and that entry's gen at insert time; a hit on
 * a slot whose megaflow has since died (removed, evicted, expired: its gen
 * moved on) is a miss. Insertion is probabilistic, 1 in N (default 100, OVS's
 * value: inserting every miss thrashes the cache once the flows outnumber its
 * slots and makes it slower than no EMC at all); N = 1 always inserts, N = 0
 * disables the EMC.
 *
 * Memory. Slots (hash, gen, entry pointer: 16 bytes, 4 per line) and keys
 * (192 bytes each) are separate arrays: a lookup reads the two slots of a
 * key, and the 3 lines of a stored key only when a slot's hash matches.
 * 8192 entries: 128 KiB of slots + 1.5 MiB of keys per worker.
 *
 * The megaflow cache the entries point into must outlive the EMC (its pool
 * is never freed before it is destroyed, which is what makes a stale slot
 * safe to check). Threads: the owner worker only; counters readable by any.
 */
#ifndef FL_DATAPATH_EMC_H
#define FL_DATAPATH_EMC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "datapath/megaflow.h"
#include "flow/keyops.h"
#include "proto/key.h"

#define FL_EMC_DEFAULT_ENTRIES 8192u
#define FL_EMC_MAX_ENTRIES (1u << 20)
#define FL_EMC_DEFAULT_INV_PROB 100u

/* Layout: 16 bytes, four slots per cache line. flow == NULL: empty. */
struct fl_emc_slot {
	uint32_t hash;
	uint32_t gen;             /* flow->gen when inserted */
	struct fl_mf_entry *flow;
};

struct fl_emc_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;   /* slots written (new key, or new megaflow for a key) */
	uint64_t evictions; /* inserts that overwrote a live entry of another key */
};

/* Layout: what a lookup reads on the first line; counters on the second. */
struct fl_emc {
	struct fl_emc_slot *slots;
	struct fl_key *keys;     /* keys[i] belongs to slots[i] */
	uint32_t mask;           /* entries - 1 */
	uint32_t inv_prob;       /* 0: never insert, 1: always, N: 1 in N */
	uint32_t insert_thresh;  /* insert when rng <= thresh (N > 1) */
	uint32_t rng;            /* xorshift32 state */
	struct fl_emc_stats stats FL_CACHE_ALIGNED;
} FL_CACHE_ALIGNED;

/* An EMC of `entries` slots (0: default 8192; a power of two up to 2^20),
 * inserting 1 in inv_prob misses. NULL with errno set. */
struct fl_emc *fl_emc_create(unsigned entries, unsigned inv_prob);
void fl_emc_destroy(struct fl_emc *emc);

/* Change the insertion probability to 1 in inv_prob (0 disables). */
void fl_emc_set_inv_prob(struct fl_emc *emc, unsigned inv_prob);

/* Forget every entry (statistics are kept). */
void fl_emc_flush(struct fl_emc *emc);

/* Look up keys[0..n) (n <= 32) with their hashes (any hash of the whole
 * key; the same one for insert and lookup). results[i]
 * is the live megaflow entry of an exact hit, or NULL; on return *miss_map
 * has bit i set for each key that missed. Returns the number of hits.
 * Staged: prefetch both slots of every key, then prefetch the stored key and
 * the megaflow entry of each hash match, then compare. */
unsigned fl_emc_lookup_batch(struct fl_emc *emc, const struct fl_key *keys,
			     const uint32_t *hashes, unsigned n, struct fl_mf_entry **results,
			     uint32_t *miss_map);

/* Offer key -> flow; stored with the configured probability. Returns
 * whether it was stored. `flow` must be live: an entry a megaflow lookup or
 * insert returned in this batch, with its hits accounted at the batch's
 * `now` before any megaflow insert (entries used at `now` are never
 * evicted; a freed entry's slot may be reused at once, and offering it
 * here would tie the key to whatever megaflow took the slot). */
/* The same for the keys whose bit is set in *map (results of the others
 * are left alone); on return *map holds the bits of those that missed. */
unsigned fl_emc_lookup_batch_map(struct fl_emc *emc, const struct fl_key *keys,
				 const uint32_t *hashes, unsigned n, struct fl_mf_entry **results,
				 uint32_t *map);

bool fl_emc_insert(struct fl_emc *emc, const struct fl_key *key, uint32_t hash,
		   struct fl_mf_entry *flow);

void fl_emc_get_stats(const struct fl_emc *emc, struct fl_emc_stats *st);

/* The two candidate slots of a hash. */
static inline uint32_t fl_emc_slot1(const struct fl_emc *emc, uint32_t hash)
{
	return hash & emc->mask;
}

static inline uint32_t fl_emc_slot2(const struct fl_emc *emc, uint32_t hash)
{
	return (hash >> 16 | hash << 16) & emc->mask;
}

/* Slot i holds key (with hash) and a live megaflow. */
static inline bool fl_emc_slot_hit(const struct fl_emc *emc, uint32_t i, const struct fl_key *key,
				   uint32_t hash)
{
	const struct fl_emc_slot *s = &emc->slots[i];

	return s->hash == hash && s->flow && fl_key_equal(&emc->keys[i], key) &&
	       fl_mf_entry_alive(s->flow, s->gen);
}

/* One key: the live megaflow entry, or NULL. Counts a hit or a miss. */
static inline struct fl_mf_entry *fl_emc_lookup(struct fl_emc *emc, const struct fl_key *key,
						uint32_t hash)
{
	uint32_t i = fl_emc_slot1(emc, hash);

	if (fl_emc_slot_hit(emc, i, key, hash) ||
	    fl_emc_slot_hit(emc, i = fl_emc_slot2(emc, hash), key, hash)) {
		fl_counter_inc(&emc->stats.hits);
		return emc->slots[i].flow;
	}
	fl_counter_inc(&emc->stats.misses);
	return NULL;
}

#endif
