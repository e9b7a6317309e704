/* Subtables: one per distinct mask, and the order lookups visit them in.
 *
 * A subtable is made from a mask once: the mask's nonzero words in key
 * order, cut into the stages of proto/key.h (empty stages dropped), the
 * prefix length of the mask on each trie field and its ports mask. Lookups
 * read only that, the hash table, the stage indices and the ports trie.
 *
 * The visiting order is a vector of (max priority, subtable) sorted by
 * descending priority, published whole (pairing T2). A subtable's max
 * priority is an upper bound on its rules' priorities, exact except after
 * removals: when the last rule at the maximum goes, finding the new maximum
 * is a scan of the table, so the bound is left high ("stale": lookups stay
 * correct, they just may not stop as early) and recomputed once removals
 * since then reach 1/16 of the table's slots — amortized O(1) per removal
 * even when rules are deleted in priority order. A changed priority is
 * written into the published vector in place when the order survives
 * (pairing V1), otherwise the vector is rebuilt: O(subtables) to move one
 * entry, O(subtables log subtables) to sort after fl_cls_defer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier_private.h"

static const uint8_t stage_ends[CLS_N_STAGES] = {
	FL_KEY_STAGE_META_END, FL_KEY_STAGE_L2_END, FL_KEY_STAGE_L3_END, FL_KEY_STAGE_L4_END};

static uint32_t mask_hash(const struct fl_key *mask)
{
	return fl_hash_words(fl_key_words(mask), FL_KEY_WORDS, 0x5eed);
}

struct fl_cls_subtable *cls_subtable_find(const struct fl_classifier *cls,
					  const struct fl_key *mask)
{
	uint32_t h = mask_hash(mask);
	struct fl_cls_subtable *st;

	if (!cls->map)
		return NULL;
	for (st = cls->map[h & cls->map_mask]; st; st = st->map_next)
		if (st->mask_hash == h && !memcmp(&st->full_mask, mask, sizeof(*mask)))
			return st;
	return NULL;
}

static int map_grow(struct fl_classifier *cls)
{
	uint32_t n = cls->map ? (cls->map_mask + 1) * 2 : 16, i;
	struct fl_cls_subtable **map = calloc(n, sizeof(*map)), *st, *next;

	if (!map)
		return -ENOMEM;
	for (i = 0; cls->map && i <= cls->map_mask; i++) {
		for (st = cls->map[i]; st; st = next) {
			next = st->map_next;
			st->map_next = map[st->mask_hash & (n - 1)];
			map[st->mask_hash & (n - 1)] = st;
		}
	}
	free(cls->map);
	cls->map = map;
	cls->map_mask = n - 1;
	return 0;
}

static void layout_from_mask(struct fl_cls_subtable *st, const struct fl_key *mask)
{
	const uint64_t *m = fl_key_words(mask);
	unsigned w = 0, s, f, n = 0, l3_stage = 0xff, l4_stage = 0xff;

	for (s = 0; s < CLS_N_STAGES; s++) {
		unsigned before = n;

		for (; w < stage_ends[s]; w++) {
			if (m[w]) {
				st->idx[n] = (uint8_t)w;
				st->mask[n++] = m[w];
			}
		}
		if (n > before) {
			if (s == 2)
				l3_stage = st->n_stages;
			if (s == 3)
				l4_stage = st->n_stages;
			st->stage_end[st->n_stages++] = (uint8_t)n;
		}
	}
	/* The ports trie answers misses in the L4 stage only. On an earlier
	 * miss its bits would come on top of the stage's own, which other
	 * subtables mostly pay anyway: pipeline-acl-100k's traffic, replayed,
	 * gave 75 megaflow masks and 9.9 tp_dst bits per megaflow this way,
	 * 73 and 10.7 when an L3 miss asked the ports trie too (231 and 9.6
	 * against 234 and 9.9 before the lookup's priority bounds). */
	st->ports_mask = fl_get_be32(&mask->tp_src);
	st->ports_len = (uint8_t)(st->ports_mask ? 32 - __builtin_ctz(st->ports_mask) : 0);
	st->ports_stage = (uint8_t)(st->ports_len ? l4_stage : 0xff);
	st->n_words = (uint8_t)n;
	for (f = 0; f < CLS_N_TRIES; f++) {
		int len = cls_prefix_len(mask, f);

		if (len > 0) {
			st->plen[f] = (uint8_t)len;
			st->trie_fields |= (uint8_t)(1u << f);
		}
	}
	st->trie_stage = (uint8_t)(st->trie_fields ? l3_stage : 0xff);
}

struct fl_cls_subtable *cls_subtable_create(struct fl_classifier *cls, const struct fl_key *mask)
{
	struct fl_cls_subtable *st;
	unsigned s;

	if (cls->n_subtables >= (cls->map ? cls->map_mask + 1 : 0) && map_grow(cls))
		return NULL;
	st = aligned_alloc(FL_CACHE_LINE, sizeof(*st));
	if (!st)
		return NULL;
	memset(st, 0, sizeof(*st));
	layout_from_mask(st, mask);
	st->table = cls_rtable_alloc(16);
	if (!st->table)
		goto free_st;
	for (s = 0; s + 1 < st->n_stages; s++) {
		st->index[s] = cls_ctable_alloc(16);
		if (!st->index[s])
			goto free_tables;
	}
	if (st->ports_len && (cls->prefix_fields & FL_CLS_PREFIX_PORTS)) {
		st->ports = cls_trie_new(CLS_PORTS_BIT);
		if (!st->ports)
			goto free_tables;
	}
	st->full_mask = *mask;
	st->mask_hash = mask_hash(mask);
	st->max_priority = INT_MIN;
	st->pvec_idx = -1;

	st->map_next = cls->map[st->mask_hash & cls->map_mask];
	cls->map[st->mask_hash & cls->map_mask] = st;
	st->next_st = cls->subtables;
	st->prev = NULL;
	if (cls->subtables)
		cls->subtables->prev = st;
	cls->subtables = st;
	cls->n_subtables++;
	return st;

free_tables:
	for (s = 0; s + 1 < st->n_stages; s++)
		free(st->index[s]);
	free(st->table);
free_st:
	free(st);
	return NULL;
}

size_t cls_subtable_bytes(const struct fl_cls_subtable *st)
{
	size_t b = sizeof(*st) + cls_rtable_bytes(st->table);
	unsigned s;

	for (s = 0; s + 1 < st->n_stages; s++)
		b += cls_ctable_bytes(st->index[s]);
	if (st->ports)
		b += cls_trie_bytes(st->ports);
	return b;
}

void cls_subtable_free(struct fl_classifier *cls, struct fl_cls_subtable *st)
{
	unsigned s;

	cls_retire(cls, st->table, cls_rtable_bytes(st->table));
	for (s = 0; s + 1 < st->n_stages; s++)
		cls_retire(cls, st->index[s], cls_ctable_bytes(st->index[s]));
	if (st->ports)
		cls_trie_retire(cls, st->ports);
	cls_retire(cls, st, sizeof(*st));
}

/* ---- the priority vector ---- */

static struct cls_pvec *pvec_alloc(unsigned n)
{
	struct cls_pvec *v = malloc(sizeof(*v) + (size_t)(n ? n : 1) * sizeof(v->e[0]));

	if (v)
		v->n = 0;
	return v;
}

static void pvec_install(struct fl_classifier *cls, struct cls_pvec *nv)
{
	struct cls_pvec *old = cls->pvec;
	struct fl_cls_subtable *st, *next;
	unsigned i;

	for (i = 0; i < nv->n; i++)
		nv->e[i].st->pvec_idx = (int)i;
	CLS_STORE_REL(&cls->pvec, nv); /* T2 */
	if (old)
		cls_retire(cls, old, sizeof(*old) + old->n * sizeof(old->e[0]));
	/* Nothing published refers to emptied subtables any more. */
	for (st = cls->dead; st; st = next) {
		next = st->map_next;
		cls_subtable_free(cls, st);
	}
	cls->dead = NULL;
	cls->pvec_dirty = false;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct cls_pvec_entry *x = a, *y = b;

	return (x->priority < y->priority) - (x->priority > y->priority);
}

/* Sort every live subtable into a new vector (nv: preallocated, or NULL). */
static int pvec_rebuild(struct fl_classifier *cls, struct cls_pvec *nv)
{
	struct fl_cls_subtable *st;

	if (!nv)
		nv = pvec_alloc(cls->n_subtables);
	if (!nv)
		return -ENOMEM;
	nv->n = 0;
	for (st = cls->subtables; st; st = st->next_st)
		nv->e[nv->n++] = (struct cls_pvec_entry){st->max_priority, st};
	qsort(nv->e, nv->n, sizeof(nv->e[0]), cmp_entry);
	pvec_install(cls, nv);
	return 0;
}

int cls_pvec_publish(struct fl_classifier *cls)
{
	return pvec_rebuild(cls, NULL);
}

/* The published vector with st moved to where its max priority belongs (or
 * dropped, if st is no longer live): O(subtables), since the rest is sorted. */
static void pvec_move(struct fl_classifier *cls, struct fl_cls_subtable *st, struct cls_pvec *nv)
{
	const struct cls_pvec *old = cls->pvec;
	bool place = st->n_rules > 0;
	unsigned i;

	nv->n = 0;
	for (i = 0; old && i < old->n; i++) {
		struct fl_cls_subtable *o = old->e[i].st;

		if (o == st)
			continue;
		if (place && st->max_priority > o->max_priority) {
			nv->e[nv->n++] = (struct cls_pvec_entry){st->max_priority, st};
			place = false;
		}
		nv->e[nv->n++] = (struct cls_pvec_entry){o->max_priority, o};
	}
	if (place)
		nv->e[nv->n++] = (struct cls_pvec_entry){st->max_priority, st};
	if (st->n_rules == 0)
		st->pvec_idx = -1;
	pvec_install(cls, nv);
}

/* Can st's published entry take priority p without breaking the order? */
static bool pvec_fits(const struct fl_classifier *cls, const struct fl_cls_subtable *st, int p)
{
	const struct cls_pvec *v = cls->pvec;
	int i = st->pvec_idx;

	if (i < 0)
		return false;
	return (i == 0 || v->e[i - 1].priority >= p) &&
	       ((unsigned)i + 1 == v->n || v->e[i + 1].priority <= p);
}

/* Bring the published vector up to date with st (n_rules and max_priority
 * already changed). With `nv` (room for every subtable) this cannot fail;
 * without, a failed allocation leaves the vector dirty but correct: entries
 * too high or emptied subtables only cost lookups time. */
static void pvec_sync(struct fl_classifier *cls, struct fl_cls_subtable *st, struct cls_pvec *nv)
{
	if (cls->deferred) {
		free(nv);
		cls->pvec_dirty = true;
		return;
	}
	if (cls->pvec_dirty) {
		if (pvec_rebuild(cls, nv))
			cls->pvec_dirty = true;
		return;
	}
	if (st->n_rules > 0 && pvec_fits(cls, st, st->max_priority)) {
		free(nv);
		/* V1: the rules that raised the priority are already linked. */
		CLS_STORE_REL(&cls->pvec->e[st->pvec_idx].priority, st->max_priority);
		return;
	}
	if (!nv)
		nv = pvec_alloc(cls->n_subtables + 1);
	if (!nv) {
		cls->pvec_dirty = true;
		return;
	}
	pvec_move(cls, st, nv);
}

/* ---- max priority ---- */

/* Memory for the vector change that raising st's max priority to p will
 * need, allocated before the insert commits so the insert cannot fail
 * halfway. NULL with *err = 0 when no change or no memory is needed. */
struct cls_pvec *cls_pvec_prepare(struct fl_classifier *cls, struct fl_cls_subtable *st, int p,
				  int *err)
{
	struct cls_pvec *nv;

	*err = 0;
	if (cls->deferred || (st->n_rules > 0 && p <= st->max_priority))
		return NULL;
	if (!cls->pvec_dirty && st->n_rules > 0 && pvec_fits(cls, st, p))
		return NULL;
	nv = pvec_alloc(cls->n_subtables + 1);
	if (!nv)
		*err = -ENOMEM;
	return nv;
}

void cls_subtable_prio_added(struct fl_classifier *cls, struct fl_cls_subtable *st, int prio,
			     struct cls_pvec *nv)
{
	if (st->n_rules == 1 || prio > st->max_priority) {
		st->max_priority = prio;
		st->max_count = 1;
		st->max_stale = false;
		pvec_sync(cls, st, nv);
		return;
	}
	free(nv);
	if (prio == st->max_priority && !st->max_stale)
		st->max_count++;
}

static void recompute_max(struct fl_cls_subtable *st)
{
	const struct cls_rtable *t = st->table;
	const struct fl_cls_rule *r;
	int max = INT_MIN;
	uint32_t i, count = 0;

	for (i = 0; i <= t->mask; i++) {
		r = t->heads[i];
		if (!t->hashes[i] || r == CLS_TOMB)
			continue;
		if (r->priority > max) {
			max = r->priority;
			count = 0;
		}
		for (; r && r->priority == max; r = r->next)
			count++;
	}
	st->max_priority = max;
	st->max_count = count;
	st->max_stale = false;
}

void cls_subtable_prio_removed(struct fl_classifier *cls, struct fl_cls_subtable *st, int prio)
{
	int old = st->max_priority;

	if (!st->max_stale && prio == st->max_priority && --st->max_count == 0) {
		st->max_stale = true;
		st->stale_removals = 0;
	}
	if (!st->max_stale)
		return;
	if ((uint64_t)++st->stale_removals * 16 < (uint64_t)st->table->mask + 1)
		return;
	recompute_max(st);
	if (st->max_priority != old)
		pvec_sync(cls, st, NULL);
}

/* st has no rules left: out of the map and the list now, out of the
 * published vector at the next sync, freed after that. */
void cls_subtable_destroy(struct fl_classifier *cls, struct fl_cls_subtable *st)
{
	struct fl_cls_subtable **pp = &cls->map[st->mask_hash & cls->map_mask];

	while (*pp != st)
		pp = &(*pp)->map_next;
	*pp = st->map_next;
	if (st->prev)
		st->prev->next_st = st->next_st;
	else
		cls->subtables = st->next_st;
	if (st->next_st)
		st->next_st->prev = st->prev;
	cls->n_subtables--;

	if (st->pvec_idx < 0) {
		cls_subtable_free(cls, st);
		return;
	}
	st->map_next = cls->dead;
	cls->dead = st;
	pvec_sync(cls, st, NULL);
}
