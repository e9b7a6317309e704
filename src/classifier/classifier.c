/* The classifier's writer side: create/destroy, insert/remove, prefix
 * configuration, deferred publication, memory accounting.
 *
 * Insert and remove are O(1) expected: find the subtable by mask (a hash
 * map), hash the value, probe, link the rule into its value's priority list.
 * A value seen for the first time also takes a table slot, one count in each
 * stage index and one count in each enabled trie (the address tries and the
 * subtable's ports trie); the last rule of a value gives them back. A rule
 * that becomes the highest-priority one of its value raises the priority
 * bounds of the value's index entries and trie nodes (lookups use them to
 * ignore rules that cannot beat the match they found). Everything an
 * insert may need to allocate is allocated before the first change a
 * reader could see, so a failed insert changes nothing (DESIGN.md, Bad
 * input).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier_private.h"

/* The compact rule (classifier.h): a header, the value words, the mask
 * words, the subtable pointer. */
static uint32_t mask_map(const struct fl_key *mask)
{
	const uint64_t *m = fl_key_words(mask);
	uint32_t map = 0;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		if (m[i])
			map |= 1u << i;
	return map;
}

size_t fl_cls_rule_size(const struct fl_match *match)
{
	size_t n = (size_t)__builtin_popcount(mask_map(&match->mask));

	return sizeof(struct fl_cls_rule) + (2 * n) * sizeof(uint64_t) +
	       sizeof(struct fl_cls_subtable *);
}

void fl_cls_rule_init(struct fl_cls_rule *rule, const struct fl_match *match, int priority,
		      uint64_t add_version)
{
	const uint64_t *v = fl_key_words(&match->value), *m = fl_key_words(&match->mask);
	uint32_t map = mask_map(&match->mask);
	unsigned n = (unsigned)__builtin_popcount(map), i, j = 0;

	rule->priority = priority;
	rule->map = map;
	rule->add_version = add_version;
	rule->remove_version = FL_CLS_VERSION_NOT_REMOVED;
	rule->next = NULL;
	for (i = 0; i < FL_KEY_WORDS; i++) {
		if (!m[i])
			continue;
		rule->words[j] = v[i] & m[i];
		rule->words[n + j] = m[i];
		j++;
	}
	*cls_rule_subtable(rule) = NULL;
}

/* Spread n compact words over the key words of map. */
static void expand(uint32_t map, const uint64_t *words, struct fl_key *out)
{
	uint64_t *o = (uint64_t *)(void *)out;
	unsigned j;

	memset(out, 0, sizeof(*out));
	for (j = 0; map; map &= map - 1, j++)
		o[__builtin_ctz(map)] = words[j];
}

void cls_rule_value(const struct fl_cls_rule *r, struct fl_key *value)
{
	expand(r->map, r->words, value);
}

void cls_rule_mask(const struct fl_cls_rule *r, struct fl_key *mask)
{
	expand(r->map, cls_rule_masks(r), mask);
}

void fl_cls_rule_get_match(const struct fl_cls_rule *rule, struct fl_match *out)
{
	cls_rule_value(rule, &out->value);
	cls_rule_mask(rule, &out->mask);
}

bool fl_cls_rule_is_inserted(const struct fl_cls_rule *rule)
{
	return *cls_rule_subtable(rule) != NULL;
}

struct fl_classifier *fl_cls_create(void)
{
	struct fl_classifier *cls = calloc(1, sizeof(*cls));
	unsigned f;

	if (!cls)
		goto fail;
	for (f = 0; f < CLS_N_TRIES; f++) {
		cls->tries[f] = cls_trie_new(f);
		if (!cls->tries[f])
			goto free_tries;
	}
	cls->prefix_fields = FL_CLS_PREFIX_ALL;
	return cls;

free_tries:
	for (f = 0; f < CLS_N_TRIES; f++)
		free(cls->tries[f]);
	free(cls);
fail:
	errno = ENOMEM;
	return NULL;
}

void fl_cls_destroy(struct fl_classifier *cls)
{
	struct fl_cls_subtable *st, *next;
	unsigned f;

	if (!cls)
		return;
	for (st = cls->subtables; st; st = next) {
		next = st->next_st;
		cls_subtable_free(cls, st);
	}
	for (st = cls->dead; st; st = next) {
		next = st->map_next;
		cls_subtable_free(cls, st);
	}
	for (f = 0; f < CLS_N_TRIES; f++)
		if (cls->tries[f])
			cls_trie_retire(cls, cls->tries[f]);
	if (cls->pvec)
		cls_retire(cls, cls->pvec, 0);
	free(cls->map);
	cls_retire(cls, cls, sizeof(*cls));
	cls_retire_flush(cls, true);
}

/* The stage hashes and the full hash of a rule of st: its value words are
 * the masked words in subtable order, as a lookup of a key equal to the
 * value would compute them. Rules keep no hash: removal recomputes it from
 * the n words, and the 4 bytes would push a value word off line 0. */
static uint32_t rule_hashes(const struct fl_cls_subtable *st, const struct fl_cls_rule *rule,
			    uint32_t *stage_h)
{
	unsigned s, from = 0;
	uint32_t h = 0;

	for (s = 0; s < st->n_stages; s++) {
		h = fl_hash_words(&rule->words[from], st->stage_end[s] - from, h);
		from = st->stage_end[s];
		stage_h[s] = cls_hash_final(h);
	}
	return cls_hash_final(h);
}

static bool versions_overlap(const struct fl_cls_rule *a, const struct fl_cls_rule *b)
{
	return a->add_version < b->remove_version && b->add_version < a->remove_version;
}

/* Room in the table and the stage indices for one more value. */
static int reserve_value(struct fl_classifier *cls, struct fl_cls_subtable *st)
{
	uint32_t cap = cls_table_capacity(st->n_heads + 1), used;
	unsigned s;

	if (cls_table_full(st->table->mask, st->n_used + 1)) {
		struct cls_rtable *nt = cls_rtable_rebuild(st->table, cap), *old = st->table;

		if (!nt)
			return -ENOMEM;
		CLS_STORE_REL(&st->table, nt); /* T2 */
		cls_retire(cls, old, cls_rtable_bytes(old));
		st->n_used = st->n_heads;
	}
	for (s = 0; s + 1 < st->n_stages; s++) {
		struct cls_ctable *old = st->index[s], *ni;

		if (!cls_table_full(old->mask, st->index_used[s] + 1))
			continue;
		ni = cls_ctable_rebuild(old, cap, &used);
		if (!ni)
			return -ENOMEM;
		CLS_STORE_REL(&st->index[s], ni); /* T2 */
		cls_retire(cls, old, cls_ctable_bytes(old));
		st->index_used[s] = used;
	}
	return 0;
}

/* The trie of field f: an address trie (f < CLS_N_TRIES) or the
 * subtable's ports trie (CLS_PORTS_BIT); the value's key in it (value:
 * a rule's value, expanded) and the key's length. */
static struct cls_trie *trie_of(const struct fl_classifier *cls, const struct fl_cls_subtable *st,
				const struct fl_key *value, unsigned f, struct cls_prefix *p,
				unsigned *len)
{
	if (f == CLS_PORTS_BIT) {
		*p = cls_ports_prefix(st, value);
		*len = st->ports_len;
		return st->ports;
	}
	*p = cls_prefix_get(value, f);
	*len = st->plen[f];
	return cls->tries[f];
}

/* The tries a value of st is counted in: its prefix fields whose trie is
 * on, and its ports trie if it has one. */
static unsigned value_tries(const struct fl_classifier *cls, const struct fl_cls_subtable *st)
{
	return (st->trie_fields & cls->prefix_fields) | (st->ports ? FL_CLS_PREFIX_PORTS : 0u);
}

static void tries_remove(struct fl_classifier *cls, const struct fl_cls_subtable *st,
			 const struct fl_key *value, unsigned fields)
{
	while (fields) {
		unsigned f = (unsigned)__builtin_ctz(fields), len;
		struct cls_prefix p;
		struct cls_trie *t = trie_of(cls, st, value, f, &p, &len);

		fields &= fields - 1;
		cls_trie_remove(cls, t, &p, len);
	}
}

static int tries_insert(struct fl_classifier *cls, const struct fl_cls_subtable *st,
			const struct fl_key *value, int prio, unsigned fields)
{
	unsigned done = 0;

	while (fields) {
		unsigned f = (unsigned)__builtin_ctz(fields), len;
		struct cls_prefix p;
		struct cls_trie *t = trie_of(cls, st, value, f, &p, &len);

		fields &= fields - 1;
		if (cls_trie_insert(cls, t, &p, len, prio)) {
			tries_remove(cls, st, value, done);
			return -ENOMEM;
		}
		done |= 1u << f;
	}
	return 0;
}

/* A new head for a stored value: its priority bounds in the stage indices
 * and tries rise before the rule is linked. */
static void raise_value(struct fl_classifier *cls, const struct fl_cls_subtable *st,
			const struct fl_cls_rule *rule, const uint32_t *stage_h)
{
	unsigned s, fields = value_tries(cls, st);
	struct fl_key value;

	for (s = 0; s + 1 < st->n_stages; s++)
		cls_ctable_raise(st->index[s], stage_h[s], rule->priority);
	if (fields)
		cls_rule_value(rule, &value);
	while (fields) {
		unsigned f = (unsigned)__builtin_ctz(fields), len;
		struct cls_prefix p;
		struct cls_trie *t = trie_of(cls, st, &value, f, &p, &len);

		fields &= fields - 1;
		cls_trie_raise(t, &p, len, rule->priority);
	}
}

int fl_cls_insert(struct fl_classifier *cls, struct fl_cls_rule *rule)
{
	uint32_t stage_h[CLS_N_STAGES], h;
	struct fl_cls_subtable *st;
	struct fl_cls_rule *head, *prev, *r;
	struct cls_pvec *nv;
	struct fl_key mask, value;
	unsigned s, tries;
	bool new_st = false;
	long slot;
	int err;

	cls_rule_mask(rule, &mask);
	st = cls_subtable_find(cls, &mask);
	if (!st) {
		st = cls_subtable_create(cls, &mask);
		if (!st)
			return -ENOMEM;
		new_st = true;
	}
	assert(st->n_words == cls_rule_n_words(rule));
	h = rule_hashes(st, rule, stage_h);
	slot = cls_rtable_find(st->table, h, rule->words, st->n_words);

	if (slot >= 0) {
		/* Another priority (or version) of a value already here. */
		head = st->table->heads[slot];
		for (r = head; r; r = r->next)
			if (r->priority == rule->priority && versions_overlap(r, rule))
				return -EEXIST;
		nv = cls_pvec_prepare(cls, st, rule->priority, &err);
		if (err)
			return err;
		for (prev = NULL, r = head; r && r->priority >= rule->priority; r = r->next)
			prev = r;
		if (!prev)
			raise_value(cls, st, rule, stage_h);
		rule->next = r;
		*cls_rule_subtable(rule) = st;
		/* N1: the rule is complete before it is linked. */
		if (prev)
			CLS_STORE_REL(&prev->next, rule);
		else
			CLS_STORE_REL(&st->table->heads[slot], rule);
	} else {
		tries = value_tries(cls, st);
		if (tries)
			cls_rule_value(rule, &value);
		err = reserve_value(cls, st);
		if (!err)
			err = tries_insert(cls, st, &value, rule->priority, tries);
		if (err)
			goto fail;
		nv = cls_pvec_prepare(cls, st, rule->priority, &err);
		if (err) {
			tries_remove(cls, st, &value, tries);
			goto fail;
		}
		/* Indices and tries first: a reader that finds the rule in
		 * the table also gets past them. */
		for (s = 0; s + 1 < st->n_stages; s++)
			st->index_used[s] +=
				cls_ctable_inc(st->index[s], stage_h[s], rule->priority);
		rule->next = NULL;
		*cls_rule_subtable(rule) = st;
		st->n_used += cls_rtable_add(st->table, h, rule);
		st->n_heads++;
	}
	st->n_rules++;
	cls->n_rules++;
	cls_subtable_prio_added(cls, st, rule->priority, nv);
	cls_retire_flush(cls, false);
	return 0;

fail:
	if (new_st)
		cls_subtable_destroy(cls, st);
	cls_retire_flush(cls, false);
	return err;
}

void fl_cls_remove(struct fl_classifier *cls, struct fl_cls_rule *rule)
{
	struct fl_cls_subtable *st = *cls_rule_subtable(rule);
	uint32_t stage_h[CLS_N_STAGES], h;
	struct cls_rtable *t;
	struct fl_cls_rule *prev;
	struct fl_key value;
	unsigned s, tries;
	long slot;

	if (!st)
		return;
	t = st->table;
	h = rule_hashes(st, rule, stage_h);
	slot = cls_rtable_find(t, h, rule->words, st->n_words);
	assert(slot >= 0);
	if (t->heads[slot] == rule) {
		if (rule->next) {
			CLS_STORE_REL(&t->heads[slot], rule->next); /* N1 */
		} else {
			/* Last rule of this value: the slot becomes a
			 * tombstone; its hash stays for probes going past. */
			CLS_STORE_REL(&t->heads[slot], CLS_TOMB); /* N1 */
			st->n_heads--;
			for (s = 0; s + 1 < st->n_stages; s++)
				cls_ctable_dec(st->index[s], stage_h[s]);
			tries = value_tries(cls, st);
			if (tries) {
				cls_rule_value(rule, &value);
				tries_remove(cls, st, &value, tries);
			}
		}
	} else {
		for (prev = t->heads[slot]; prev->next != rule; prev = prev->next)
			;
		CLS_STORE_REL(&prev->next, rule->next); /* N1 */
	}
	/* rule->next stays: a reader may be standing on the rule. */
	*cls_rule_subtable(rule) = NULL;
	st->n_rules--;
	cls->n_rules--;
	if (st->n_rules == 0)
		cls_subtable_destroy(cls, st);
	else
		cls_subtable_prio_removed(cls, st, rule->priority);
	cls_retire_flush(cls, false);
}

/* Fill trie t of field f with every value of every subtable masked with a
 * prefix on it. */
static int trie_build(struct fl_classifier *cls, struct cls_trie *t, unsigned f)
{
	struct fl_cls_subtable *st;
	uint32_t i;

	for (st = cls->subtables; st; st = st->next_st) {
		const struct cls_rtable *rt = st->table;

		if (!(st->trie_fields & (1u << f)))
			continue;
		for (i = 0; i <= rt->mask; i++) {
			struct cls_prefix p;
			struct fl_key value;

			if (!rt->hashes[i] || rt->heads[i] == CLS_TOMB)
				continue;
			cls_rule_value(rt->heads[i], &value);
			p = cls_prefix_get(&value, f);
			if (cls_trie_insert(cls, t, &p, st->plen[f], rt->heads[i]->priority))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Ports tries for every live subtable with port bits (entry i for the
 * i-th subtable of the list, NULL for those without), all built before any
 * is published. NULL on ENOMEM, with nothing left over. */
static struct cls_trie **ports_build(struct fl_classifier *cls)
{
	struct cls_trie **built = calloc(cls->n_subtables + 1, sizeof(*built));
	struct fl_cls_subtable *st;
	unsigned n = 0, j;
	uint32_t i;

	if (!built)
		return NULL;
	for (st = cls->subtables; st; st = st->next_st, n++) {
		const struct cls_rtable *rt = st->table;

		if (!st->ports_len)
			continue;
		built[n] = cls_trie_new(CLS_PORTS_BIT);
		if (!built[n])
			goto unwind;
		for (i = 0; i <= rt->mask; i++) {
			struct cls_prefix p;
			struct fl_key value;

			if (!rt->hashes[i] || rt->heads[i] == CLS_TOMB)
				continue;
			cls_rule_value(rt->heads[i], &value);
			p = cls_ports_prefix(st, &value);
			if (cls_trie_insert(cls, built[n], &p, st->ports_len,
					    rt->heads[i]->priority))
				goto unwind;
		}
	}
	return built;

unwind:
	for (j = 0; j <= n; j++)
		if (built[j])
			cls_trie_retire(cls, built[j]);
	free(built);
	return NULL;
}

/* Publish (built != NULL) or take down every subtable's ports trie. */
static void ports_switch(struct fl_classifier *cls, struct cls_trie **built)
{
	struct fl_cls_subtable *st;
	unsigned n = 0;

	for (st = cls->subtables; st; st = st->next_st, n++) {
		struct cls_trie *old = st->ports;

		CLS_STORE_REL(&st->ports, built ? built[n] : NULL); /* P2 */
		if (old)
			cls_trie_retire(cls, old);
	}
}

int fl_cls_set_prefixes(struct fl_classifier *cls, unsigned fields)
{
	struct cls_trie *built[CLS_N_TRIES] = {NULL}, **ports = NULL;
	unsigned on, off, f;

	if (fields & ~FL_CLS_PREFIX_ALL)
		return -EINVAL;
	on = fields & ~cls->prefix_fields;
	off = cls->prefix_fields & ~fields;
	/* New tries are built completely before anything is published. */
	for (f = 0; f < CLS_N_TRIES; f++) {
		if (!(on & (1u << f)))
			continue;
		built[f] = cls_trie_new(f);
		if (!built[f] || trie_build(cls, built[f], f))
			goto unwind;
	}
	if (on & FL_CLS_PREFIX_PORTS) {
		ports = ports_build(cls);
		if (!ports)
			goto unwind;
	}
	for (f = 0; f < CLS_N_TRIES; f++) {
		if (on & (1u << f)) {
			CLS_STORE_REL(&cls->tries[f], built[f]); /* P1 */
		} else if (off & (1u << f)) {
			struct cls_trie *t = cls->tries[f];

			CLS_STORE_REL(&cls->tries[f], NULL); /* P1 */
			cls_trie_retire(cls, t);
		}
	}
	if ((on | off) & FL_CLS_PREFIX_PORTS)
		ports_switch(cls, ports);
	free(ports);
	cls->prefix_fields = fields;
	cls_retire_flush(cls, true);
	return 0;

unwind:
	for (f = 0; f < CLS_N_TRIES; f++)
		if (built[f])
			cls_trie_retire(cls, built[f]);
	cls_retire_flush(cls, true);
	return -ENOMEM;
}

unsigned fl_cls_get_prefixes(const struct fl_classifier *cls)
{
	return cls->prefix_fields;
}

void fl_cls_defer(struct fl_classifier *cls)
{
	cls->deferred = true;
}

void fl_cls_publish(struct fl_classifier *cls)
{
	cls->deferred = false;
	if (cls->pvec_dirty)
		cls_pvec_publish(cls); /* on failure it stays dirty: retried on the next change */
	cls_retire_flush(cls, true);
}

size_t fl_cls_count(const struct fl_classifier *cls)
{
	return cls->n_rules;
}

unsigned fl_cls_n_subtables(const struct fl_classifier *cls)
{
	return cls->n_subtables;
}

size_t fl_cls_memory(const struct fl_classifier *cls)
{
	const struct fl_cls_subtable *st;
	size_t bytes = sizeof(*cls);
	unsigned f;

	for (st = cls->subtables; st; st = st->next_st)
		bytes += cls_subtable_bytes(st);
	for (st = cls->dead; st; st = st->map_next)
		bytes += cls_subtable_bytes(st);
	for (f = 0; f < CLS_N_TRIES; f++)
		if (cls->tries[f])
			bytes += sizeof(struct cls_trie) +
				 cls->tries[f]->n_nodes * sizeof(struct cls_trie_node);
	if (cls->pvec)
		bytes += sizeof(*cls->pvec) + cls->pvec->n * sizeof(cls->pvec->e[0]);
	if (cls->map)
		bytes += ((size_t)cls->map_mask + 1) * sizeof(cls->map[0]);
	return bytes;
}
