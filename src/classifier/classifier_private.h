/* Classifier internals shared by its files:
 *
 *   classifier.c     create/destroy, insert/remove, configuration, memory
 *   cls_lookup.c     the lookup (readers)
 *   cls_iter.c       find_exactly and cursors (writer)
 *   cls_subtable.c   subtables: creation from a mask, max priority, the
 *                    priority-ordered vector lookups walk, the mask map
 *   cls_table.c      the two RCU open-addressing tables a subtable uses
 *   cls_trie.c       prefix tries (the address tries and the ports tries)
 *   cls_rcu.c        deferred freeing after a grace period
 *
 * Every structure a reader can reach is either constant once published, or
 * changed only by single aligned stores (release for pointers) that leave it
 * consistent, or replaced whole: built aside, published with one release
 * store of a pointer, the old one retired (freed after a grace period).
 * Fields marked "writer" are never read by lookups.
 *
 * The release/acquire pairings (each use in the code names its pair):
 *   T1  table slot: payload stored, then the hash (release) | hash loaded
 *       (acquire), then the payload
 *   T2  whole table, stage index or subtable vector: built, then the
 *       pointer stored (release) | pointer loaded (acquire)
 *   V1  a subtable's priority raised in place in the vector, after its new
 *       rules are linked (release) | entry priority loaded (acquire)
 *   N1  trie node filled, then linked (release) | link loaded (acquire);
 *       also rule list links and table heads: rule complete, then linked
 *   P1  a field's trie built, then fl_classifier.tries[f] set (release) |
 *       loaded (acquire) once per lookup and field
 *   P2  a subtable's ports trie built, then fl_cls_subtable.ports set
 *       (release) | loaded (acquire) by a lookup that misses in it
 *
 * The priority bounds and length summaries (stage index entries, trie
 * nodes) are raised with relaxed stores before the rule that needs them is
 * linked and before its version is published: a lookup at a version that
 * can see the rule sees them (through the release store of the version).
 * One that cannot see the rule may read them old or new; either way the
 * rule is not one it has to rule out.
 */
#ifndef FL_CLASSIFIER_PRIVATE_H
#define FL_CLASSIFIER_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifier/classifier.h"
#include "core/compiler.h"
#include "core/hash.h"

#define CLS_N_STAGES 4
#define CLS_N_TRIES 4

/* Load/store helpers; every use names its pairing. */
#define CLS_LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define CLS_LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define CLS_STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define CLS_STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- cls_table.c: open addressing, linear probing, replaced whole ----
 *
 * Both tables keep 32-bit hashes in one array (16 per cache line, scanned
 * without touching anything else) and the payload in a parallel array, in
 * one allocation. Hash 0 marks an empty slot (cls_hash_final never returns
 * it). A used slot never becomes empty again until the table is rebuilt:
 * removal leaves a tombstone (payload TOMB, or count 0 in a ctable, which
 * keeps its hash), so a probe sequence a reader follows is never cut short;
 * a later insert may reuse an rtable tombstone. Filling a slot writes the
 * payload, then the hash with a release store; readers load the hash with
 * acquire before the payload (pairing T1). Growth and tombstone cleanup
 * build a new table and publish it whole (pairing T2: release store of the
 * table pointer, acquire load by readers).
 */

#define CLS_TOMB ((struct fl_cls_rule *)(uintptr_t)1)

/* hash of the full masked value -> highest-priority rule with that value */
struct cls_rtable {
	uint32_t mask; /* capacity - 1 */
	uint32_t pad_;
	struct fl_cls_rule **heads; /* points into this allocation, after hashes */
	uint32_t hashes[];
};

/* hash of the masked value up to a stage -> number of distinct values, and
 * an upper bound on the priorities of their rules (INT_MIN once the count
 * is 0). The bound only rises while values stay: a removal leaves it high,
 * which costs wildcards, never correctness. */
struct cls_ctable {
	uint32_t mask;
	uint32_t pad_;
	uint32_t *counts;
	int32_t *max_prio;
	uint32_t hashes[];
};

/* The last step of every hash the tables store or look for. CRC32C is
 * linear over GF(2), so values in a regular pattern can land in a regular
 * pattern of slots and make linear probing cluster: 1M values spaced 256
 * apart averaged 2.3 extra probes per insert with the raw CRC, 0.46 (what
 * random hashes give at that load) after this multiply and shift. 0 marks
 * an empty slot, so it is never returned. */
static inline uint32_t cls_hash_final(uint32_t h)
{
	h *= 0x9e3779b1u;
	h ^= h >> 15;
	return h ? h : 1;
}

struct cls_rtable *cls_rtable_alloc(uint32_t capacity);
size_t cls_rtable_bytes(const struct cls_rtable *t);
/* Writer: slot of the live entry with this hash whose head has this value
 * (the subtable's n_words masked words), or -1. */
long cls_rtable_find(const struct cls_rtable *t, uint32_t hash, const uint64_t *masked,
		     unsigned n_words);
/* Writer: put a new head in a free slot (empty or tombstone); returns true
 * when the slot was empty (one more used slot). The caller ensured room. */
bool cls_rtable_add(struct cls_rtable *t, uint32_t hash, struct fl_cls_rule *head);
/* Writer: copy the live entries into a fresh table of `capacity` slots. */
struct cls_rtable *cls_rtable_rebuild(const struct cls_rtable *t, uint32_t capacity);

struct cls_ctable *cls_ctable_alloc(uint32_t capacity);
size_t cls_ctable_bytes(const struct cls_ctable *t);
/* Writer: +1 for hash, whose value has a rule of priority prio (the caller
 * ensured room); returns true when a slot went from empty to used. */
bool cls_ctable_inc(struct cls_ctable *t, uint32_t hash, int prio);
/* Writer: a value counted under hash now has a rule of priority prio. */
void cls_ctable_raise(struct cls_ctable *t, uint32_t hash, int prio);
void cls_ctable_dec(struct cls_ctable *t, uint32_t hash);
struct cls_ctable *cls_ctable_rebuild(const struct cls_ctable *t, uint32_t capacity,
				      uint32_t *used);

/* Reader: is there a value with this stage hash? If so, *bound gets an
 * upper bound on its rules' priorities. */
static inline bool cls_ctable_bound(const struct cls_ctable *t, uint32_t hash, int *bound)
{
	uint32_t i = hash & t->mask, h;

	for (;;) {
		h = CLS_LOAD_ACQ(&t->hashes[i]); /* T1: pairs with the release in cls_ctable_inc */
		if (h == hash) {
			*bound = CLS_LOAD_RLX(&t->max_prio[i]);
			return CLS_LOAD_RLX(&t->counts[i]) != 0;
		}
		if (h == 0)
			return false;
		i = (i + 1) & t->mask;
	}
}

/* Capacity (a power of two >= 16) for n entries at most 1/2 full; tables
 * are rebuilt when used slots (live + tombstones) would pass 3/4. */
static inline uint32_t cls_table_capacity(uint32_t n)
{
	uint32_t cap = 16;

	while (cap / 2 < n)
		cap *= 2;
	return cap;
}

static inline bool cls_table_full(uint32_t mask, uint32_t used_after)
{
	return (uint64_t)used_after * 4 > (uint64_t)(mask + 1) * 3;
}

/* ---- cls_trie.c ---- */

/* A prefix: up to 128 bits, left-aligned in hi:lo (IPv4 in the top 32 bits
 * of hi). */
struct cls_prefix {
	uint64_t hi, lo;
};

/* Priority bounds in trie nodes take 16 bits (OpenFlow priorities are
 * 0..65535), saturating: the map is monotone, so a bound compared through
 * it is still a bound; priorities outside 0..65535 only narrow less. */
static inline uint16_t cls_prio16(int prio)
{
	return prio <= 0 ? 0 : prio >= 0xffff ? 0xffff : (uint16_t)prio;
}

/* Prefix lengths are summarized in 32 buckets: length L (1..128) falls in
 * bucket min((L - 1) >> shift, 31); shift is 0 for 32-bit fields (one
 * length per bucket) and 2 for IPv6 (four). */
static inline uint32_t cls_plen_bit(unsigned len, unsigned shift)
{
	unsigned b = (len - 1) >> shift;

	return 1u << (b < 31 ? b : 31);
}

/* A trie node covers the bits [start, end) of a path, where start is the
 * parent's end (0 for the root). It stores the path's bits as an absolute
 * window [max(0, end - 64), end) rather than just its own segment, so that
 * splitting the edge above it (insert) or removing the node above it
 * (merge on removal) never changes a published node: a reader that read the
 * old parent compares a longer segment of the same, unchanged window.
 * Segments are at most 64 bits, so a /128 takes at least two nodes.
 *
 * Summaries for lookups that only care about some rules: bounds on the
 * priorities of the rules whose values end exactly here (own_max, 0 once
 * n_values is 0) and anywhere in the subtree (sub_max), and the length
 * buckets of the prefixes in the subtree (sub_plens). They grow with
 * inserts and stay on removals: a stale summary costs wildcards, never
 * correctness. 40 bytes (a 48-byte malloc chunk, as the 32 bytes without
 * them). */
struct cls_trie_node {
	uint64_t bits;     /* window of the path, left-aligned; constant */
	struct cls_trie_node *child[2]; /* RCU */
	uint32_t n_values; /* distinct rule values with exactly this prefix (atomic) */
	uint32_t sub_plens; /* atomic */
	uint16_t own_max;  /* cls_prio16 (atomic) */
	uint16_t sub_max;  /* cls_prio16 (atomic) */
	uint8_t end;       /* prefix length at this node; constant */
};
_Static_assert(sizeof(struct cls_trie_node) == 40, "a trie node is 40 bytes");

/* One field's trie. Published as a whole through fl_classifier.tries[f]
 * (pairing P1) so that a lookup that picked it up keeps a complete trie even
 * if the field is switched off meanwhile: switching off unpublishes it and
 * retires it untouched. */
struct cls_trie {
	struct cls_trie_node *root; /* RCU */
	size_t n_nodes;             /* writer */
	uint8_t plen_shift;         /* constant: cls_plen_bit's shift */
};

/* A walk of a key's field down a trie, resumable: it goes only as deep as
 * the questions asked so far need. Only rules of priority >= min_prio count
 * ("relevant"): a subtree bounded below that is as good as absent.
 *
 * After cls_trie_walk_to(w, limit, n_bits, watch): done (the key fell off
 * the relevant part of the trie after `depth` bits: no relevant prefix
 * longer than that matches it, and its first need = depth + 1 bits prove
 * it, 0 if nothing in the trie is relevant; or it ran its whole width
 * along it), or ofs >= limit, or no bucket of
 * `watch` is alive any more. plens is complete for every length <= ofs (or
 * every length, when done). A length bucket b not alive is gone: no
 * relevant prefix with a length in b matches the key below bit gone[b] - 1,
 * and the key's first gone[b] bits prove it (0: none in the whole trie,
 * which is what gone[] means for buckets missing from root_plens). */
struct cls_trie_walk {
	struct cls_prefix key;
	const struct cls_trie_node *node; /* next node to enter */
	unsigned ofs;      /* the key's first ofs bits run along the trie */
	bool done;
	uint8_t shift;     /* the trie's plen_shift */
	uint16_t min_prio; /* cls_prio16 */
	unsigned depth;    /* when done: see above */
	unsigned need;
	uint32_t alive;    /* buckets some relevant prefix below may still be in */
	uint32_t root_plens; /* the buckets alive at the start */
	uint64_t plens[2]; /* bit L-1 set: some relevant stored /L prefix matches the key */
	uint8_t gone[32];
};

/* Geometry of the four fields a trie can be on. */
struct cls_trie_field {
	uint16_t offset; /* byte offset in struct fl_key */
	uint8_t n_bits;  /* 32 or 128 */
	uint8_t word;    /* key word holding the first byte */
};
extern const struct cls_trie_field cls_trie_fields[CLS_N_TRIES];

struct cls_prefix cls_prefix_get(const struct fl_key *k, unsigned field);
/* Prefix length of the mask on the field: 0..n_bits, or -1 if it is not a
 * prefix (not contiguous from the top). */
int cls_prefix_len(const struct fl_key *mask, unsigned field);
/* Set the first n bits of the field in wc. */
void cls_prefix_unwildcard(struct fl_key *wc, unsigned field, unsigned n);

/* An empty trie for field f (< CLS_N_TRIES), or a ports trie
 * (CLS_PORTS_BIT); NULL on ENOMEM. */
struct cls_trie *cls_trie_new(unsigned f);
/* Count one more value with prefix p/len, whose rules' highest priority is
 * prio. */
int cls_trie_insert(struct fl_classifier *cls, struct cls_trie *t, const struct cls_prefix *p,
		    unsigned len, int prio);
/* A value counted at p/len now has a rule of priority prio. */
void cls_trie_raise(struct cls_trie *t, const struct cls_prefix *p, unsigned len, int prio);
void cls_trie_remove(struct fl_classifier *cls, struct cls_trie *t, const struct cls_prefix *p,
		     unsigned len);
/* Retire the trie object and all its nodes, without changing any of them. */
void cls_trie_retire(struct fl_classifier *cls, struct cls_trie *t);
size_t cls_trie_bytes(const struct cls_trie *t);
void cls_trie_walk_start(const struct cls_trie *t, const struct cls_prefix *key, int min_prio,
			 struct cls_trie_walk *w);
void cls_trie_walk_to(struct cls_trie_walk *w, unsigned limit, unsigned n_bits, uint32_t watch);
/* Reader: does the walk prove that no relevant /len prefix matches the
 * key? If so, *bits gets how many of its leading bits the proof rests on.
 * Walks on as far as needed. */
bool cls_trie_walk_proves(struct cls_trie_walk *w, unsigned len, unsigned n_bits,
			  unsigned *bits);
/* Reader, every stored prefix being len bits long: true if no stored prefix
 * with a rule of priority >= min_prio equals the len-bit key, with *bits
 * set to how many of the key's leading bits prove it. Walks only until the
 * key falls off the relevant part of the trie. */
bool cls_trie_miss_bits(const struct cls_trie *t, const struct cls_prefix *key, unsigned len,
			int min_prio, unsigned *bits);

/* ---- rules: the compact form (classifier.h) ---- */

static inline unsigned cls_rule_n_words(const struct fl_cls_rule *r)
{
	return (unsigned)__builtin_popcount(r->map);
}

static inline const uint64_t *cls_rule_masks(const struct fl_cls_rule *r)
{
	return r->words + cls_rule_n_words(r);
}

/* Writer: where the rule keeps its subtable (NULL while not inserted). */
static inline struct fl_cls_subtable **cls_rule_subtable(const struct fl_cls_rule *r)
{
	return (struct fl_cls_subtable **)(void *)(uintptr_t)(r->words + 2 * cls_rule_n_words(r));
}

/* Writer: the rule's value, or its mask, as a whole key (zeros elsewhere). */
void cls_rule_value(const struct fl_cls_rule *r, struct fl_key *value);
void cls_rule_mask(const struct fl_cls_rule *r, struct fl_key *mask);

/* ---- subtables ---- */

struct fl_cls_subtable {
	/* Read by lookups; set before the subtable is first published, then
	 * constant. The mask's nonzero words, in key order, split in stages. */
	uint8_t n_words;
	uint8_t n_stages;                 /* stages with at least one word */
	uint8_t stage_end[CLS_N_STAGES];  /* stage s: words [stage_end[s-1], stage_end[s]) */
	uint8_t trie_stage;               /* a miss from this stage on asks the tries; 0xff: none */
	uint8_t trie_fields;              /* FL_CLS_PREFIX_* fields masked with a prefix */
	uint8_t plen[CLS_N_TRIES];        /* that prefix's length */
	uint8_t ports_len;                /* 32 - ctz(ports_mask); 0: no port bits */
	uint8_t ports_stage;              /* a miss in this stage (L4) asks the ports trie */
	uint32_t ports_mask;              /* mask on tp_src:tp_dst, host order */
	uint8_t idx[FL_KEY_WORDS];        /* key word of each mask word */
	uint64_t mask[FL_KEY_WORDS];

	/* Replaced whole by the writer (T2). index[s] for s < n_stages - 1. */
	struct cls_rtable *table;
	struct cls_ctable *index[CLS_N_STAGES - 1];
	/* The ports trie (P2); NULL when the mask has no port bits or the
	 * ports tries are switched off. */
	struct cls_trie *ports;

	/* writer */
	uint32_t n_rules;
	uint32_t n_heads;                 /* distinct values = live table slots */
	uint32_t n_used;                  /* live + tombstone table slots */
	uint32_t index_used[CLS_N_STAGES - 1];
	int max_priority;                 /* an upper bound on every rule's priority */
	uint32_t max_count;               /* rules at max_priority, unless stale */
	bool max_stale;                   /* max_count unknown; recompute lazily */
	uint32_t stale_removals;
	int pvec_idx;                     /* position in the published vector, -1 */
	uint32_t mask_hash;
	struct fl_cls_subtable *map_next; /* mask map chain */
	struct fl_cls_subtable *prev, *next_st; /* all live subtables */
	struct fl_key full_mask;
};

/* The order lookups visit subtables in: descending max priority. Published
 * whole (T2); an entry's priority may also be updated in place when that
 * keeps the order (pairing V1: release store by the writer, acquire load by
 * readers: a raised priority is seen with the rule that raised it). */
struct cls_pvec_entry {
	int priority;
	struct fl_cls_subtable *st;
};

struct cls_pvec {
	unsigned n;
	struct cls_pvec_entry e[];
};

/* ---- cls_rcu.c: retiring memory ---- */

struct cls_garbage;

/* Free p (of `bytes`, for the flush policy) after a grace period. */
void cls_retire(struct fl_classifier *cls, void *p, size_t bytes);
/* End of a writer operation: hand retired memory over when enough piled up
 * (force: whatever there is). */
void cls_retire_flush(struct fl_classifier *cls, bool force);

/* ---- the classifier ---- */

struct fl_classifier {
	/* read by lookups */
	struct cls_pvec *pvec;       /* RCU (T2) */
	struct cls_trie *tries[CLS_N_TRIES]; /* RCU (P1); NULL: field has no trie */

	/* writer */
	unsigned prefix_fields;                /* fields whose tries[] is set */
	size_t n_rules;
	unsigned n_subtables;
	struct fl_cls_subtable *subtables;     /* list of live subtables */
	struct fl_cls_subtable **map;          /* mask hash -> subtable chains */
	uint32_t map_mask;
	bool deferred;
	bool pvec_dirty;
	struct fl_cls_subtable *dead;          /* emptied while deferred, via map_next */
	struct cls_garbage *garbage;
};

/* cls_subtable.c */
struct fl_cls_subtable *cls_subtable_find(const struct fl_classifier *cls,
					  const struct fl_key *mask);
struct fl_cls_subtable *cls_subtable_create(struct fl_classifier *cls, const struct fl_key *mask);
void cls_subtable_destroy(struct fl_classifier *cls, struct fl_cls_subtable *st);
void cls_subtable_free(struct fl_classifier *cls, struct fl_cls_subtable *st);
size_t cls_subtable_bytes(const struct fl_cls_subtable *st);
struct cls_pvec *cls_pvec_prepare(struct fl_classifier *cls, struct fl_cls_subtable *st, int p,
				  int *err);
void cls_subtable_prio_added(struct fl_classifier *cls, struct fl_cls_subtable *st, int prio,
			     struct cls_pvec *nv);
void cls_subtable_prio_removed(struct fl_classifier *cls, struct fl_cls_subtable *st, int prio);
int cls_pvec_publish(struct fl_classifier *cls);

/* ---- ports tries ----
 *
 * A subtable whose mask has bits in tp_src or tp_dst keeps a trie of its
 * values' ports: tp_src:tp_dst read as one 32-bit big-endian word, masked
 * with the subtable's mask there. A mask that is not a prefix of that word
 * (tp_dst alone is 0x0000ffff) works too: the stored values are the masked
 * words cut after the mask's last bit (ports_len bits), and bits the mask
 * leaves out are 0 in every stored value and in the masked key alike, so a
 * walk runs along them for free and only mask bits reach wc. */
#define CLS_PORTS_BIT 4 /* FL_CLS_PREFIX_PORTS == 1u << CLS_PORTS_BIT */

static inline struct cls_prefix cls_ports_prefix(const struct fl_cls_subtable *st,
						 const struct fl_key *k)
{
	struct cls_prefix p;

	p.hi = (uint64_t)(fl_get_be32(&k->tp_src) & st->ports_mask) << 32;
	p.lo = 0;
	return p;
}

/* Hash of the masked value over the subtable's words [from, to), continuing
 * from `h`; masked[] receives the masked words (in subtable word order). */
static inline uint32_t cls_hash_range(const struct fl_cls_subtable *st, const uint64_t *kw,
				      uint64_t *masked, unsigned from, unsigned to, uint32_t h)
{
	unsigned j;

	for (j = from; j < to; j++)
		masked[j] = kw[st->idx[j]] & st->mask[j];
	return fl_hash_words(&masked[from], to - from, h);
}

/* Does a rule's value equal the masked key (masked in subtable word order)?
 * The rule is one of the subtable's, so its j-th stored value word is the
 * subtable's j-th word: n_words contiguous words, right after the header. */
static inline bool cls_value_equal(const struct fl_cls_rule *r, const uint64_t *masked,
				   unsigned n_words)
{
	uint64_t diff = 0;
	unsigned j;

	for (j = 0; j < n_words; j++)
		diff |= r->words[j] ^ masked[j];
	return diff == 0;
}

static inline bool cls_rule_visible_any(const struct fl_cls_rule *r, uint64_t version)
{
	return version == FL_CLS_VERSION_ANY || fl_cls_rule_visible(r, version);
}

#endif
