/* Finding rules by match (writer side): fl_cls_find_exactly and cursors for
 * flow-mod semantics.
 *
 * A strict target names one mask and one value: one subtable, one probe, one
 * list. A loose target ("at least as specific as") can be matched by rules of
 * any subtable whose mask contains the target's mask, so those subtables are
 * scanned slot by slot. The cursor always holds the next rule to return,
 * found before the current one is handed out, so the caller may remove the
 * current rule: that never moves the next one (removal leaves tombstones and
 * never rebuilds a table), and a subtable emptied by it cannot be the one
 * holding the next rule.
 */
#include <string.h>

#include "classifier/classifier_private.h"

static long find_value(const struct fl_cls_subtable *st, const struct fl_match *m)
{
	const uint64_t *vw = fl_key_words(&m->value);
	uint64_t masked[FL_KEY_WORDS];
	uint32_t h = cls_hash_final(cls_hash_range(st, vw, masked, 0, st->n_words, 0));

	return cls_rtable_find(st->table, h, masked, st->n_words);
}

struct fl_cls_rule *fl_cls_find_exactly(const struct fl_classifier *cls,
					const struct fl_match *match, int priority,
					uint64_t version)
{
	const struct fl_cls_subtable *st;
	struct fl_cls_rule *r;
	struct fl_match m = *match;
	long slot;

	fl_match_normalize(&m);
	st = cls_subtable_find(cls, &m.mask);
	if (!st)
		return NULL;
	slot = find_value(st, &m);
	if (slot < 0)
		return NULL;
	for (r = st->table->heads[slot]; r; r = r->next)
		if (r->priority == priority && cls_rule_visible_any(r, version))
			return r;
	return NULL;
}

/* Does the mask contain every bit of the target's mask? */
static bool mask_covers(const struct fl_key *mask, const struct fl_key *tmask)
{
	const uint64_t *m = fl_key_words(mask), *t = fl_key_words(tmask);
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		if ((m[i] & t[i]) != t[i])
			return false;
	return true;
}

/* Does the rule's value agree with the target's on the target's bits? The
 * rule's mask covers the target's (checked per subtable), so the target has
 * no bits outside the rule's words, and the value is 0 there (normalized):
 * only the rule's own words need a look. */
static bool value_agrees(const struct fl_match *t, const struct fl_cls_rule *r)
{
	const uint64_t *tv = fl_key_words(&t->value), *tm = fl_key_words(&t->mask);
	uint32_t map = r->map;
	unsigned i, j;

	for (j = 0; map; map &= map - 1, j++) {
		i = (unsigned)__builtin_ctz(map);
		if ((r->words[j] & tm[i]) != tv[i])
			return false;
	}
	return true;
}

static bool qualifies(const struct fl_cls_cursor *cur, const struct fl_cls_rule *r)
{
	if (!cls_rule_visible_any(r, cur->version))
		return false;
	if (cur->strict)
		return r->priority == cur->priority;
	/* Loose: the subtable's mask covers the target's (checked per
	 * subtable); the values must agree on the target's bits. */
	return !cur->has_target || value_agrees(&cur->target, r);
}

static struct fl_cls_subtable *next_subtable(const struct fl_cls_cursor *cur,
					     struct fl_cls_subtable *st)
{
	for (; st; st = st->next_st)
		if (!cur->has_target || mask_covers(&st->full_mask, &cur->target.mask))
			return st;
	return NULL;
}

/* Position the cursor on the first qualifying rule at or after r (in r's
 * list), then in the following slots and subtables. */
static void advance(struct fl_cls_cursor *cur, struct fl_cls_rule *r)
{
	for (;;) {
		const struct cls_rtable *t;

		for (; r; r = r->next) {
			if (qualifies(cur, r)) {
				cur->next = r;
				return;
			}
		}
		if (cur->strict || !cur->st)
			break;
		t = cur->st->table;
		while (cur->slot <= t->mask &&
		       (!t->hashes[cur->slot] || t->heads[cur->slot] == CLS_TOMB))
			cur->slot++;
		if (cur->slot <= t->mask) {
			r = t->heads[cur->slot++];
			continue;
		}
		cur->st = next_subtable(cur, cur->st->next_st);
		cur->slot = 0;
	}
	cur->next = NULL;
	cur->st = NULL;
}

void fl_cls_cursor_init(struct fl_cls_cursor *cur, const struct fl_classifier *cls,
			const struct fl_match *target, int priority, bool strict,
			uint64_t version)
{
	struct fl_cls_subtable *st;
	long slot;

	cur->cls = cls;
	cur->has_target = target != NULL;
	cur->strict = strict && target;
	cur->priority = priority;
	cur->version = version;
	cur->st = NULL;
	cur->slot = 0;
	cur->next = NULL;
	if (target) {
		cur->target = *target;
		fl_match_normalize(&cur->target);
	}
	if (cur->strict) {
		st = cls_subtable_find(cls, &cur->target.mask);
		slot = st ? find_value(st, &cur->target) : -1;
		if (slot >= 0)
			advance(cur, st->table->heads[slot]);
		return;
	}
	cur->st = next_subtable(cur, cls->subtables);
	advance(cur, NULL);
}

struct fl_cls_rule *fl_cls_cursor_next(struct fl_cls_cursor *cur)
{
	struct fl_cls_rule *r = cur->next;

	if (r)
		advance(cur, r->next);
	return r;
}
