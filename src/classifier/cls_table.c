/* The two hash tables of a subtable, both open addressing with linear
 * probing over an array of 32-bit hashes and a parallel payload array:
 *
 *   rtable  full hash of the masked value -> head of that value's rule list
 *   ctable  hash of the masked value up to a stage -> number of such values
 *           and a bound on their rules' priorities (the staged-lookup
 *           index: readers ask "any?", and for wildcards "any that could
 *           beat priority p?")
 *
 *   one allocation:  [ header | hashes[cap] | payload[cap] (| max_prio[cap]) ]
 *
 * Why our own table rather than liburcu's cds_lfht: a lookup here is a scan
 * of consecutive 32-bit hashes (16 per cache line) and one payload load,
 * where a split-ordered list walks a chain of nodes (a dummy bucket node,
 * then entries, each its own cache line) and puts a 16-byte node in every
 * entry on top of its bucket array. With one writer the RCU rules here are
 * simple (classifier_private.h, pairings T1 and T2): slots never move in a
 * published table; growth and tombstone cleanup rebuild it. Measured on the
 * development VM (2 vCPUs, shared and noisy), 1M nw_dst/32 rules, random
 * hits, paired runs: the whole fl_cls_lookup took 307-906 ns against
 * 459-1472 ns for cds_lfht_lookup alone on the same rules, hash and
 * compare; ours was faster in 8 runs of 9. Memory: 12 B per slot at 1/4 to
 * 3/4 load, 16-48 B per distinct value (25 B at 1M values); a ctable slot
 * is 12 B too.
 */
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier_private.h"

struct cls_rtable *cls_rtable_alloc(uint32_t capacity)
{
	size_t hbytes = (size_t)capacity * sizeof(uint32_t);
	struct cls_rtable *t;

	t = calloc(1, sizeof(*t) + hbytes + (size_t)capacity * sizeof(struct fl_cls_rule *));
	if (!t)
		return NULL;
	t->mask = capacity - 1;
	/* capacity >= 16, so the payload array after the hashes is 8-aligned */
	t->heads = (struct fl_cls_rule **)(void *)((char *)t->hashes + hbytes);
	return t;
}

size_t cls_rtable_bytes(const struct cls_rtable *t)
{
	size_t cap = (size_t)t->mask + 1;

	return sizeof(*t) + cap * (sizeof(uint32_t) + sizeof(struct fl_cls_rule *));
}

long cls_rtable_find(const struct cls_rtable *t, uint32_t hash, const uint64_t *masked,
		     unsigned n_words)
{
	uint32_t i = hash & t->mask;

	for (;;) {
		uint32_t h = t->hashes[i];

		if (h == 0)
			return -1;
		if (h == hash) {
			const struct fl_cls_rule *r = t->heads[i];

			if (r != CLS_TOMB && cls_value_equal(r, masked, n_words))
				return i;
		}
		i = (i + 1) & t->mask;
	}
}

bool cls_rtable_add(struct cls_rtable *t, uint32_t hash, struct fl_cls_rule *head)
{
	uint32_t i = hash & t->mask;

	for (;;) {
		uint32_t h = t->hashes[i];

		if (h == 0) {
			t->heads[i] = head;
			/* T1: the head (and the rule behind it) before the hash
			 * that lets a reader find it. */
			CLS_STORE_REL(&t->hashes[i], hash);
			return true;
		}
		if (t->heads[i] == CLS_TOMB) {
			/* A reader that still sees the old hash here and this
			 * head fails the value comparison; one that sees the
			 * new hash sees this head (T1). */
			CLS_STORE_REL(&t->heads[i], head); /* T1 */
			CLS_STORE_REL(&t->hashes[i], hash); /* T1 */
			return false;
		}
		i = (i + 1) & t->mask;
	}
}

struct cls_rtable *cls_rtable_rebuild(const struct cls_rtable *t, uint32_t capacity)
{
	struct cls_rtable *n = cls_rtable_alloc(capacity);
	uint32_t i;

	if (!n)
		return NULL;
	for (i = 0; i <= t->mask; i++) {
		uint32_t h = t->hashes[i], j;

		if (h == 0 || t->heads[i] == CLS_TOMB)
			continue;
		for (j = h & n->mask; n->hashes[j]; j = (j + 1) & n->mask)
			;
		n->hashes[j] = h;
		n->heads[j] = t->heads[i];
	}
	return n;
}

struct cls_ctable *cls_ctable_alloc(uint32_t capacity)
{
	size_t hbytes = (size_t)capacity * sizeof(uint32_t);
	struct cls_ctable *t;

	t = calloc(1, sizeof(*t) + 3 * hbytes);
	if (!t)
		return NULL;
	t->mask = capacity - 1;
	t->counts = t->hashes + capacity;
	t->max_prio = (int32_t *)(t->counts + capacity);
	return t;
}

size_t cls_ctable_bytes(const struct cls_ctable *t)
{
	return sizeof(*t) + ((size_t)t->mask + 1) * 3 * sizeof(uint32_t);
}

static uint32_t ctable_slot(const struct cls_ctable *t, uint32_t hash)
{
	uint32_t i = hash & t->mask;

	while (t->hashes[i] != hash)
		i = (i + 1) & t->mask;
	return i;
}

bool cls_ctable_inc(struct cls_ctable *t, uint32_t hash, int prio)
{
	uint32_t i = hash & t->mask;

	/* A hash keeps its slot while its count drops to 0 and comes back, so
	 * there is never a second slot with the same hash to find. */
	for (;;) {
		uint32_t h = t->hashes[i];

		if (h == hash) {
			/* Relaxed: lookups that may see the new value learn of
			 * it through the release store of a version (or of
			 * the rule link), after both stores. */
			if (prio > t->max_prio[i]) /* INT_MIN at count 0 */
				CLS_STORE_RLX(&t->max_prio[i], prio);
			CLS_STORE_RLX(&t->counts[i], t->counts[i] + 1);
			return false;
		}
		if (h == 0) {
			t->counts[i] = 1;
			t->max_prio[i] = prio;
			/* T1: the count and bound before the hash. */
			CLS_STORE_REL(&t->hashes[i], hash);
			return true;
		}
		i = (i + 1) & t->mask;
	}
}

void cls_ctable_raise(struct cls_ctable *t, uint32_t hash, int prio)
{
	uint32_t i = ctable_slot(t, hash);

	if (prio > t->max_prio[i])
		CLS_STORE_RLX(&t->max_prio[i], prio);
}

void cls_ctable_dec(struct cls_ctable *t, uint32_t hash)
{
	uint32_t i = ctable_slot(t, hash);

	CLS_STORE_RLX(&t->counts[i], t->counts[i] - 1);
	/* The bound is only exact again once no value is left. */
	if (t->counts[i] == 0)
		CLS_STORE_RLX(&t->max_prio[i], INT_MIN);
}

struct cls_ctable *cls_ctable_rebuild(const struct cls_ctable *t, uint32_t capacity,
				      uint32_t *used)
{
	struct cls_ctable *n = cls_ctable_alloc(capacity);
	uint32_t i;

	if (!n)
		return NULL;
	*used = 0;
	for (i = 0; i <= t->mask; i++) {
		uint32_t h = t->hashes[i], j;

		if (h == 0 || t->counts[i] == 0)
			continue;
		for (j = h & n->mask; n->hashes[j]; j = (j + 1) & n->mask)
			;
		n->hashes[j] = h;
		n->counts[j] = t->counts[i];
		n->max_prio[j] = t->max_prio[i];
		(*used)++;
	}
	return n;
}
