/* The OpenFlow rule classifier: tuple space search with priorities, and the
 * wildcards that make megaflows.
 *
 * What it does
 * ------------
 * A classifier holds rules: a match (value + mask over the flow key) and a
 * priority. fl_cls_lookup(key) returns the highest-priority rule whose match
 * the key satisfies, and ORs into `wc` every key bit that the answer depended
 * on. The pipeline ORs these masks over all the tables a packet went through;
 * the datapath then installs a megaflow (P & wc, wc) for packet P. That entry
 * is only correct if
 *
 *     every packet Q with (Q & wc) == (P & wc) gets the same winner (the
 *     same rule, even where matching rules tie on priority)
 *
 * and it is only useful if wc is narrow: a bit left at 0 is a bit the
 * megaflow need not match, so one entry covers more packets. A mask of all
 * ones is always correct and almost always useless. Everything below is about
 * looking at as few bits as possible while keeping that invariant.
 *
 * Tuple space search
 * ------------------
 * Rules with the same mask live in one subtable: a hash table keyed by the
 * masked value. Looking a key up in a subtable is one hash of (key & mask) and
 * one probe, whatever the number of rules; the classifier's cost grows with
 * the number of distinct masks, not rules. Rules with the same mask and value
 * but different priorities (or the old and new version of a modified flow)
 * hang off one hash slot as a list in descending priority order.
 *
 * Priority order, and why skipping un-wildcards nothing
 * ----------------------------------------------------
 * Subtables are visited in descending order of the highest priority they
 * hold. Once a match of priority p is found, a subtable whose best rule is
 * <= p cannot change the answer for any packet, so the lookup stops — and a
 * subtable it never looked into adds nothing to wc:
 *
 *     subtable (max prio)        P = 10.1.2.3 -> 192.168.0.9:80
 *     ------------------------   ----------------------------------------
 *     A  nw_dst/32       (300)   probed: no match        wc |= mask of A*
 *     B  nw_src/16,tp_dst (200)  probed: match prio 200  wc |= mask of B
 *     C  in_port          (150)  150 <= 200: stop        (nothing)
 *     D  catch-all          (0)  not visited             (nothing)
 *                                          (* narrowed further below)
 *
 * Staged lookup
 * -------------
 * A subtable that does not match still costs wildcards: "no rule in A equals
 * P & mask(A)" is a statement about every bit of mask(A). The key is laid out
 * in four stages (proto/key.h): metadata, L2, L3, L4. Each subtable keeps, for
 * every stage but its last, a set of the hashes of its rules' values over the
 * stages up to and including that one. The lookup hashes the key stage by
 * stage and checks the set after each: if no rule agrees with P on the
 * metadata and L2 bits of the mask, the subtable is done and only those bits
 * go into wc — not its L3 and L4 bits:
 *
 *     mask(A):   [ in_port ][ dl_type ][ nw_dst/32 ][ tp_dst ]
 *                  meta       L2         L3           L4
 *     hash so far  h1 ------> h2 ------> h3 ------->  h4 = full hash
 *     check        set1?      set2?      set3?        table lookup
 *     P misses at set2  =>  wc |= in_port, dl_type bits only
 *
 * Prefix tries
 * ------------
 * IP address masks are usually prefixes (CIDR). For nw_src, nw_dst, ipv6_src
 * and ipv6_dst (by default; fl_cls_set_prefixes() chooses) the classifier
 * keeps a binary trie (path compressed) of every prefix its rules use on the
 * field. When a subtable whose mask on the field is a /L prefix misses at or
 * after its L3 stage, the lookup walks P's address down the trie (once per
 * lookup and field, only as deep as needed) and asks: does any stored /L
 * prefix match P? If not, the miss is explained by the first min(L, d + 1)
 * bits of P's address alone, d being how far P's address runs along the
 * trie: any Q agreeing with P there falls off the trie at the same node, or
 * differs from every /L prefix. Only those bits go into wc:
 *
 *     trie of nw_dst prefixes:   10.0.0.0/8 ── 10.1.0.0/16 ── 10.1.2.3/32
 *                                      └────── 10.9.0.0/16
 *     P.nw_dst = 192.168.0.9: first bit 1, every prefix starts with 0:
 *     falls off at d = 0; the misses in the /32, /16 and /8 subtables cost
 *     one bit of nw_dst in wc instead of 32.
 *
 * Each node also knows which prefix lengths its subtree holds, so the walk
 * for a /L question stops where P enters a subtree without /L prefixes,
 * not where P leaves the trie. In the trie above, P = 10.9.1.1 asked about
 * the /32s enters the 10.9/16 branch at bit 12 (10.1 and 10.9 part there)
 * and that branch holds no /32: 13 bits, not the 17 of running down
 * 10.9/16 and falling off below it.
 *
 * A subtable that matches needs no trie (its whole mask goes into wc), so a
 * lookup that hits pays no trie walk, and neither does one without wc.
 * Proofs are rounded up to whole bytes of the field: fewer distinct
 * megaflow masks for the datapath to probe (cls_lookup.c has the numbers).
 *
 * Ports tries
 * -----------
 * Ports are matched exactly far more often than by prefix, but the same
 * proof works on them: each subtable whose mask has bits in tp_src or
 * tp_dst keeps a trie of the ports its own rules use, tp_src:tp_dst as one
 * 32-bit word under the subtable's mask (as OVS does). When the subtable
 * misses in its L4 stage (the L3 stage said some rule agrees with P up to
 * there, so the address tries cannot help), the lookup walks P's masked
 * ports down that trie; where P falls off after d bits, d + 1 bits of the
 * ports word (those the mask has) explain the miss on their own:
 *
 *     subtable tp_dst (exact), rules on ports 80, 443, 8080
 *     P.tp_dst = 12345 = 0011 0000 0011 1001
 *                80    = 0000 0000 0101 0000   (443 and 8080 start 000)
 *     P leaves the trie at the third bit: wc |= tp_dst 0xe000 (0xff00
 *     after rounding), not 0xffff
 *
 * Only misses in the L4 stage ask it: after an earlier miss, ports bits
 * would come on top of bits other subtables pay anyway. The tries are per
 * subtable rather than one per field for
 * the classifier because each proof is then about that subtable's rules
 * only: with a classifier-wide tp_dst trie, the 100 ports of an exact
 * "tp_dst" subtable would also have to be ruled out for a packet missing
 * in an "nw_src/16,tp_dst" subtable, costing it more bits. One 32-bit
 * word covers masks on either port, or both, in one walk.
 *
 * Rules that cannot win
 * ---------------------
 * Once the lookup knows its winner W (priority p), a subtable only has to
 * be shown to hold no rule of priority >= p that matches: rules below p
 * cannot change the answer for any packet, whatever bits it has. So the
 * lookup runs twice over the subtables it visits: first to find W, then to
 * work out the wildcards knowing p. Every stage index entry and every trie
 * node keeps an upper bound on the priorities of the rules behind it, and
 * the second pass treats an entry or subtree bounded below p as absent:
 *
 *     subtable nw_src/16,tp_dst: 130.9/16:22 at 200, 10.1/16:80 at 10
 *     P = 10.1.2.3:443, the winner (elsewhere) at 100
 *     one pass:  P's /16 is there, the L4 stage misses: the ports trie
 *                rules out 22 and 80 with 8 bits of tp_dst
 *     two:       the L3 index entry of 10.1/16 is bounded by 10 < 100:
 *                a miss at the L3 stage; the nw_src trie's 10.1/16 side
 *                is bounded by 10 too: 1 bit of nw_src (a byte after
 *                rounding, see cls_lookup.c), no tp_dst
 *
 * Rules equal to p count (a tie in a subtable visited before W's would
 * win), so a packet agreeing on wc gets W itself, not just its priority.
 * The bounds rise with inserts and are left high by removals (an index
 * entry or node whose values all go starts over): a stale bound costs
 * wildcards, never correctness.
 *
 * Versions
 * --------
 * A rule is visible to lookups at version v when add_version <= v <
 * remove_version. A flow-mod inserts its new rules with the next version and
 * marks replaced ones removed from it; when the whole change is in place the
 * caller publishes the new version number, and lookups see the change at
 * once, never half of it. Rules no lookup can see any more are removed
 * physically (fl_cls_remove) later. Visibility costs no key bits: it does not
 * depend on the packet.
 *
 * The wildcards of a lookup at version v are exact as long as the rules
 * visible at v stay inserted while it runs: hide a rule from version v + 1,
 * publish v + 1, wait for a grace period, then remove it. Inserting or
 * removing rules that lookups at v cannot see never disturbs them.
 *
 * Threads
 * -------
 * One writer (the control thread) calls everything that changes the
 * classifier; any number of readers call fl_cls_lookup concurrently, without
 * locks, under liburcu QSBR (a reader reports a quiescent state between
 * lookups; the classifier never does). The writer builds each new piece
 * privately and publishes it with one release store, so a reader sees the old
 * or the new structure, never a half-built one; memory a reader may still
 * hold is freed after a grace period. A rule given to fl_cls_remove may still
 * be returned by lookups already running: the caller frees or reuses it only
 * after a grace period (synchronize_rcu or call_rcu).
 *
 * Iteration, fl_cls_find_exactly, fl_cls_count and fl_cls_memory are for the
 * writer thread.
 */
#ifndef FL_CLASSIFIER_CLASSIFIER_H
#define FL_CLASSIFIER_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/match.h"
#include "proto/key.h"

/* Versions. A rule added at FL_CLS_VERSION_MIN and never removed is visible
 * at every version. FL_CLS_VERSION_LATEST sees every rule not marked removed
 * (whatever its add_version): what the writer means by "now and pending". */
#define FL_CLS_VERSION_MIN 0ull
#define FL_CLS_VERSION_LATEST (UINT64_MAX - 1)
#define FL_CLS_VERSION_NOT_REMOVED UINT64_MAX
/* Iteration and fl_cls_find_exactly only: every rule, visible or not. */
#define FL_CLS_VERSION_ANY UINT64_MAX

struct fl_classifier;
struct fl_cls_subtable;

/* A rule, embedded as the LAST member of the caller's own rule structure:
 * it ends in a flexible array, so its size follows its mask. The caller
 * allocates fl_cls_rule_size(match) bytes for it, fills it with
 * fl_cls_rule_init and owns its memory; while it is inserted, only the
 * remove_version may change (fl_cls_rule_set_remove_version).
 *
 * Only the mask's nonzero words are stored: a typical rule's mask has 2-5 of
 * the key's 24 (in_port, dl_type, nw_src/nw_dst, nw_proto, ports), so a full
 * value + mask pair (384 bytes) would be mostly zeros. flowlane-bench
 * install-100k: 832 bytes per rule (heap) with the full pair, 440 compact.
 * With n such words, for a rule that starts on a cache line:
 *
 *   bytes 0..31        priority, map, versions, next   (read by lookups first)
 *   32..32+8n          the n value words, in key order  (compared by lookups:
 *                                                        line 0 holds n <= 4)
 *   32+8n..32+16n      the n mask words, in key order   (writer side)
 *   32+16n..40+16n     the subtable while inserted      (writer side)
 *
 * A subtable lists the same nonzero words of the same mask in the same
 * order, so a lookup compares the rule's j-th value word with the key's
 * j-th masked word of the subtable: one contiguous run of n words.
 */
struct fl_cls_rule {
	int priority;             /* higher wins */
	uint32_t map;             /* internal: key words the mask has (bit i: word i) */
	uint64_t add_version;     /* visible from this version on */
	uint64_t remove_version;  /* invisible from this version on (atomic) */
	struct fl_cls_rule *next; /* internal: same value, next lower priority (RCU) */
	uint64_t words[];         /* internal: values, masks, subtable (above) */
};
_Static_assert(sizeof(struct fl_cls_rule) == 32, "4 value words share line 0 with the header");
_Static_assert(FL_KEY_WORDS <= 32, "map has a bit per key word");

/* ---- rules ---- */

/* Bytes a rule with this match needs (40 + 16 per nonzero mask word). */
size_t fl_cls_rule_size(const struct fl_match *match);

/* Fill a rule of fl_cls_rule_size(match) bytes: copies the match's nonzero
 * mask words and the value under them (normalized); the rule becomes
 * visible at add_version once inserted, and stays so until marked removed. */
void fl_cls_rule_init(struct fl_cls_rule *rule, const struct fl_match *match, int priority,
		      uint64_t add_version);

/* The rule's match, expanded (normalized: value == value & mask). For the
 * writer side (dumps, messages, modify); lookups never need it. */
void fl_cls_rule_get_match(const struct fl_cls_rule *rule, struct fl_match *out);

static inline bool fl_cls_rule_visible(const struct fl_cls_rule *rule, uint64_t version)
{
	/* Relaxed: a reader learns `version` from the writer's release store of
	 * the table version, which comes after this field's store. */
	return rule->add_version <= version &&
	       version < __atomic_load_n(&rule->remove_version, __ATOMIC_RELAXED);
}

/* Make an inserted rule invisible from `version` on (a deleted or replaced
 * flow). FL_CLS_VERSION_NOT_REMOVED undoes it (a rolled-back flow-mod). */
static inline void fl_cls_rule_set_remove_version(struct fl_cls_rule *rule, uint64_t version)
{
	/* Pairs with the relaxed load in fl_cls_rule_visible through the
	 * caller's publication of the version number. */
	__atomic_store_n(&rule->remove_version, version, __ATOMIC_RELEASE);
}

/* Whether the rule is in a classifier (writer thread). */
bool fl_cls_rule_is_inserted(const struct fl_cls_rule *rule);

/* ---- the classifier ---- */

/* A new, empty classifier with the four default prefix tries. NULL with
 * errno = ENOMEM. */
struct fl_classifier *fl_cls_create(void);

/* Free the classifier's own memory (after a grace period). Rules still
 * inserted are forgotten, not freed: they belong to the caller. */
void fl_cls_destroy(struct fl_classifier *cls);

/* Insert a rule (O(1) expected). Returns 0; -EEXIST if a rule with the same
 * match and priority is visible at some version where this one would be
 * (nothing is changed); -ENOMEM (nothing is changed). The rule is visible
 * to lookups from its add_version on. */
int fl_cls_insert(struct fl_classifier *cls, struct fl_cls_rule *rule);

/* Take an inserted rule out (O(1) expected). Lookups already running may
 * still return it: free or reuse it only after a grace period. */
void fl_cls_remove(struct fl_classifier *cls, struct fl_cls_rule *rule);

/* The highest-priority rule visible at `version` that matches `key`, or NULL;
 * among rules of equal priority, any one. ORs into *wc the key bits the
 * answer depended on (wc may be NULL). Safe against a concurrent writer. */
const struct fl_cls_rule *fl_cls_lookup(const struct fl_classifier *cls, uint64_t version,
					const struct fl_key *key, struct fl_key *wc);

/* The rule with exactly this match (normalized here) and priority that is
 * visible at `version` (FL_CLS_VERSION_ANY: any of them), or NULL. */
struct fl_cls_rule *fl_cls_find_exactly(const struct fl_classifier *cls,
					const struct fl_match *match, int priority,
					uint64_t version);

size_t fl_cls_count(const struct fl_classifier *cls);
unsigned fl_cls_n_subtables(const struct fl_classifier *cls);
/* Bytes of the classifier's own structures (subtables, hash tables, indices,
 * tries), not counting the rules, which the caller allocates. */
size_t fl_cls_memory(const struct fl_classifier *cls);

/* ---- prefix and ports tries ---- */

enum {
	FL_CLS_PREFIX_NW_SRC = 1u << 0,
	FL_CLS_PREFIX_NW_DST = 1u << 1,
	FL_CLS_PREFIX_IPV6_SRC = 1u << 2,
	FL_CLS_PREFIX_IPV6_DST = 1u << 3,
	FL_CLS_PREFIX_PORTS = 1u << 4, /* every subtable's ports trie */
};
#define FL_CLS_PREFIX_ALL 0x1fu

/* Choose the fields that get a prefix trie, and whether subtables keep
 * ports tries (the default is all five). A trie being enabled is built
 * completely before lookups start using it; a trie being disabled is freed
 * after a grace period. Returns 0, -EINVAL for an unknown field bit,
 * -ENOMEM (the tries are then as before). */
int fl_cls_set_prefixes(struct fl_classifier *cls, unsigned fields);
unsigned fl_cls_get_prefixes(const struct fl_classifier *cls);

/* ---- batching ---- */

/* Between fl_cls_defer and fl_cls_publish, changes to the order in which
 * lookups visit subtables are collected and published once, so loading many
 * rules with many masks costs O(masks log masks) instead of O(masks^2).
 * Lookups may miss rules inserted in that window (and keep visiting emptied
 * subtables): insert them with a version not yet published, as a flow-mod
 * does anyway. */
void fl_cls_defer(struct fl_classifier *cls);
void fl_cls_publish(struct fl_classifier *cls);

/* ---- iteration (writer thread) ---- */

/* Visits the rules visible at `version` (FL_CLS_VERSION_ANY: all) that
 *  - target NULL:        every rule;
 *  - loose (!strict):    are at least as specific as the target: every bit of
 *                        the target's mask is in the rule's mask and the values
 *                        agree there (OpenFlow non-strict modify/delete);
 *  - strict:             have exactly the target's match and `priority`.
 * Between two calls of fl_cls_cursor_next the caller may remove the rule it
 * was just given (and only that one); nothing may be inserted. */
struct fl_cls_cursor {
	const struct fl_classifier *cls;
	struct fl_match target; /* normalized copy */
	bool has_target;
	bool strict;
	int priority;
	uint64_t version;
	/* position: the next rule to return and where it is */
	struct fl_cls_subtable *st;
	uint32_t slot;
	struct fl_cls_rule *next;
};

void fl_cls_cursor_init(struct fl_cls_cursor *cur, const struct fl_classifier *cls,
			const struct fl_match *target, int priority, bool strict,
			uint64_t version);
struct fl_cls_rule *fl_cls_cursor_next(struct fl_cls_cursor *cur);

#define FL_CLS_FOR_EACH(rule, cur)                                      \
	for ((rule) = fl_cls_cursor_next(cur); (rule) != NULL;          \
	     (rule) = fl_cls_cursor_next(cur))

#endif
