/* Prefix tries: which prefixes the rules use on an address field, and which
 * ports a subtable's rules use (the ports tries, classifier_private.h).
 *
 * A binary trie, path compressed: a node exists where a stored prefix ends
 * or where two stored prefixes part, and covers the run of bits from its
 * parent's end to its own. Each node counts the distinct rule values
 * (subtable heads, over all subtables) whose prefix on the field ends
 * exactly there; a node whose count drops to 0 is pruned, or merged into its
 * only child, so an IPv4 trie stays at most 2n - 1 nodes for n prefixes. An
 * IPv6 path may keep a count-less link where the merge would pass the 64-bit
 * window (a few per path at most: test_classifier checks 5n + 1).
 *
 * Readers walk it without locks (pairing N1: a node is filled before the
 * release store that links it; readers load links with acquire). Published
 * nodes never change except for their count, summaries and child links,
 * thanks to the absolute bit window described at struct cls_trie_node: an
 * insert that splits the edge above node X links a new node between X's
 * parent and X; a removal that leaves a node with no count and one child
 * links the child to the grandparent. Either way X is unchanged and
 * readers on the old path still compare the right bits. Unlinked nodes are
 * retired.
 *
 * Each node also bounds the priorities of the rules behind its values and
 * behind its subtree (own_max, sub_max), and knows which prefix lengths its
 * subtree holds (sub_plens). A lookup that has found a rule of priority p
 * only needs to rule out rules of priority >= p elsewhere, so a walk treats
 * a subtree bounded below p as absent and stops there; and a question
 * about /L prefixes is answered where the key enters a subtree without
 * any, however far the key runs along other prefixes below. Either way
 * fewer bits prove the miss.
 */
#include <errno.h>
#include <stdlib.h>

#include "classifier/classifier_private.h"

const struct cls_trie_field cls_trie_fields[CLS_N_TRIES] = {
	{offsetof(struct fl_key, nw_src), 32, offsetof(struct fl_key, nw_src) / 8},
	{offsetof(struct fl_key, nw_dst), 32, offsetof(struct fl_key, nw_dst) / 8},
	{offsetof(struct fl_key, ipv6_src), 128, offsetof(struct fl_key, ipv6_src) / 8},
	{offsetof(struct fl_key, ipv6_dst), 128, offsetof(struct fl_key, ipv6_dst) / 8},
};

static inline uint64_t top_bits(unsigned n)
{
	return n ? ~0ull << (64 - n) : 0;
}

/* Bits [start, start + n) of p, left-aligned; n <= 64, start + n <= 128. */
static inline uint64_t window(const struct cls_prefix *p, unsigned start, unsigned n)
{
	uint64_t w;

	if (start == 0)
		w = p->hi;
	else if (start < 64)
		w = p->hi << start | p->lo >> (64 - start);
	else
		w = p->lo << (start - 64);
	return w & top_bits(n);
}

static inline unsigned bit_at(const struct cls_prefix *p, unsigned pos)
{
	return pos < 64 ? (p->hi >> (63 - pos)) & 1 : (p->lo >> (127 - pos)) & 1;
}

static inline unsigned window_start(unsigned end)
{
	return end > 64 ? end - 64 : 0;
}

/* First position in [ofs, node->end) where p differs from the node's path,
 * or node->end. */
static inline unsigned first_diff(const struct cls_trie_node *node, const struct cls_prefix *p,
				  unsigned ofs)
{
	unsigned end = node->end, ws = window_start(end);
	uint64_t x = (window(p, ws, end - ws) ^ node->bits) & (~0ull >> (ofs - ws));

	return x ? ws + (unsigned)__builtin_clzll(x) : end;
}

struct cls_prefix cls_prefix_get(const struct fl_key *k, unsigned field)
{
	const uint8_t *b = (const uint8_t *)k + cls_trie_fields[field].offset;
	struct cls_prefix p;

	if (cls_trie_fields[field].n_bits == 32) {
		p.hi = (uint64_t)fl_get_be32(b) << 32;
		p.lo = 0;
	} else {
		p.hi = fl_ntohll(fl_get_u64(b));
		p.lo = fl_ntohll(fl_get_u64(b + 8));
	}
	return p;
}

int cls_prefix_len(const struct fl_key *mask, unsigned field)
{
	struct cls_prefix m = cls_prefix_get(mask, field);
	unsigned n;

	if (m.hi != ~0ull)
		n = (unsigned)__builtin_clzll(~m.hi);
	else if (m.lo != ~0ull)
		n = 64 + (unsigned)__builtin_clzll(~m.lo);
	else
		n = 128;
	if (n <= 64 ? (m.hi != top_bits(n) || m.lo != 0) : m.lo != top_bits(n - 64))
		return -1;
	return (int)n;
}

void cls_prefix_unwildcard(struct fl_key *wc, unsigned field, unsigned n)
{
	uint8_t *b = (uint8_t *)wc + cls_trie_fields[field].offset;
	unsigned i;

	for (i = 0; n >= 8; i++, n -= 8)
		b[i] = 0xff;
	if (n)
		b[i] |= (uint8_t)(0xff00u >> n);
}

struct cls_trie *cls_trie_new(unsigned f)
{
	struct cls_trie *t = calloc(1, sizeof(*t));

	if (t && f < CLS_N_TRIES && cls_trie_fields[f].n_bits == 128)
		t->plen_shift = 2;
	return t;
}

static struct cls_trie_node *node_new(const struct cls_prefix *p, unsigned end)
{
	struct cls_trie_node *n = calloc(1, sizeof(*n));
	unsigned ws = window_start(end);

	if (n) {
		n->end = (uint8_t)end;
		n->bits = window(p, ws, end - ws);
	}
	return n;
}

/* What one value adds to the summaries of the nodes above and at it. */
struct trie_sum {
	uint16_t prio;    /* cls_prio16 of its rules' highest priority */
	uint32_t plen_bit;
};

/* Writer: widen a node's subtree summary (relaxed: lookups that may see
 * the new rule learn of it through a release store after this). */
static void raise_sub(struct cls_trie_node *n, const struct trie_sum *v)
{
	if (v->prio > n->sub_max)
		CLS_STORE_RLX(&n->sub_max, v->prio);
	if (v->plen_bit & ~n->sub_plens)
		CLS_STORE_RLX(&n->sub_plens, n->sub_plens | v->plen_bit);
}

/* ... of the node the value ends at. */
static void raise_own(struct cls_trie_node *n, const struct trie_sum *v)
{
	if (v->prio > n->own_max)
		CLS_STORE_RLX(&n->own_max, v->prio);
	raise_sub(n, v);
}

/* Nodes for p's bits [start, len), counted once at len; *n_new gets how
 * many. Nothing is published. */
static struct cls_trie_node *chain_new(const struct cls_prefix *p, unsigned start, unsigned len,
				       const struct trie_sum *v, unsigned *n_new)
{
	struct cls_trie_node *leaf = node_new(p, len), *top;

	if (!leaf)
		return NULL;
	raise_own(leaf, v);
	leaf->n_values = 1;
	*n_new = 1;
	if (len - start <= 64)
		return leaf;
	/* a /65../128 hanging below bit 64 or less: one more node at start+64 */
	top = node_new(p, start + 64);
	if (!top) {
		free(leaf);
		return NULL;
	}
	top->child[bit_at(p, start + 64)] = leaf;
	raise_sub(top, v);
	*n_new = 2;
	return top;
}

int cls_trie_insert(struct fl_classifier *cls, struct cls_trie *t, const struct cls_prefix *p,
		    unsigned len, int prio)
{
	const struct trie_sum v = {cls_prio16(prio), cls_plen_bit(len, t->plen_shift)};
	struct cls_trie_node **link = &t->root, *node, *m, *tail;
	unsigned ofs = 0, sp, n_new = 0;

	(void)cls;
	for (;;) {
		node = *link;
		if (!node) {
			tail = chain_new(p, ofs, len, &v, &n_new);
			if (!tail)
				return -ENOMEM;
			CLS_STORE_REL(link, tail); /* N1 */
			t->n_nodes += n_new;
			return 0;
		}
		sp = first_diff(node, p, ofs);
		if (sp > len)
			sp = len;
		if (sp == node->end) {
			/* Summaries widen on the way down even if an
			 * allocation below fails: too wide is harmless. */
			if (sp == len) {
				raise_own(node, &v);
				CLS_STORE_RLX(&node->n_values, node->n_values + 1);
				return 0;
			}
			raise_sub(node, &v);
			ofs = sp;
			link = &node->child[bit_at(p, ofs)];
			continue;
		}
		/* p leaves (or ends inside) this node's run at sp: a new node
		 * at sp takes the node's place and the node becomes its child. */
		m = node_new(p, sp);
		if (!m)
			return -ENOMEM;
		m->child[(node->bits >> (63 - (sp - window_start(node->end)))) & 1] = node;
		m->sub_max = node->sub_max;
		m->sub_plens = node->sub_plens;
		if (sp == len) {
			raise_own(m, &v);
			m->n_values = 1;
		} else {
			tail = chain_new(p, sp, len, &v, &n_new);
			if (!tail) {
				free(m);
				return -ENOMEM;
			}
			raise_sub(m, &v);
			m->child[bit_at(p, sp)] = tail;
		}
		CLS_STORE_REL(link, m); /* N1 */
		t->n_nodes += 1 + n_new;
		return 0;
	}
}

void cls_trie_raise(struct cls_trie *t, const struct cls_prefix *p, unsigned len, int prio)
{
	const struct trie_sum v = {cls_prio16(prio), cls_plen_bit(len, t->plen_shift)};
	struct cls_trie_node *node = t->root;

	/* The value is stored: its path exists, down to a node ending at len. */
	while (node && node->end < len) {
		raise_sub(node, &v);
		node = node->child[bit_at(p, node->end)];
	}
	if (node && node->end == len)
		raise_own(node, &v);
}

void cls_trie_remove(struct fl_classifier *cls, struct cls_trie *t, const struct cls_prefix *p,
		     unsigned len)
{
	struct cls_trie_node **links[130], **link = &t->root, *node, *c;
	unsigned starts[130], ofs = 0;
	int n = 0, i;

	for (;;) {
		node = *link;
		if (!node || node->end > len)
			return; /* not there: the caller's bookkeeping is wrong */
		links[n] = link;
		starts[n++] = ofs;
		if (node->end == len)
			break;
		ofs = node->end;
		link = &node->child[bit_at(p, ofs)];
	}
	if (node->n_values == 0)
		return;
	CLS_STORE_RLX(&node->n_values, node->n_values - 1);
	if (node->n_values == 0)
		CLS_STORE_RLX(&node->own_max, 0);

	/* Prune upward: drop empty leaves, splice out a count-less node with
	 * one child when the child's window reaches back to the node's start. */
	for (i = n - 1; i >= 0; i--) {
		node = *links[i];
		if (node->n_values)
			break;
		if (!node->child[0] && !node->child[1]) {
			CLS_STORE_REL(links[i], NULL); /* N1 */
			cls_retire(cls, node, sizeof(*node));
			t->n_nodes--;
			continue;
		}
		if (node->child[0] && node->child[1])
			break;
		c = node->child[0] ? node->child[0] : node->child[1];
		if (c->end - starts[i] <= 64) {
			CLS_STORE_REL(links[i], c); /* N1 */
			cls_retire(cls, node, sizeof(*node));
			t->n_nodes--;
		}
		break;
	}
}

static void retire_subtree(struct fl_classifier *cls, struct cls_trie_node *node)
{
	while (node) {
		struct cls_trie_node *next = node->child[1];

		retire_subtree(cls, node->child[0]);
		cls_retire(cls, node, sizeof(*node));
		node = next;
	}
}

void cls_trie_retire(struct fl_classifier *cls, struct cls_trie *t)
{
	retire_subtree(cls, t->root);
	cls_retire(cls, t, sizeof(*t));
}

size_t cls_trie_bytes(const struct cls_trie *t)
{
	return sizeof(*t) + t->n_nodes * sizeof(struct cls_trie_node);
}

/* Does a walk enter this node? Not if it is absent or holds no rule that
 * could matter. */
static inline bool relevant(const struct cls_trie_node *n, uint16_t min_prio)
{
	return n && CLS_LOAD_RLX(&n->sub_max) >= min_prio;
}

/* The ports tries' question, without the bookkeeping of a resumable walk:
 * every stored prefix is len bits long, so the key either leaves the
 * relevant part of the trie after d < len bits (d + 1 bits prove the miss;
 * 0 when nothing is relevant) or runs into a stored value, which proves
 * nothing if one of its rules is relevant and takes all len bits if not. */
bool cls_trie_miss_bits(const struct cls_trie *t, const struct cls_prefix *key, unsigned len,
			int min_prio, unsigned *bits)
{
	const struct cls_trie_node *node = CLS_LOAD_ACQ(&t->root); /* N1 */
	uint16_t min = cls_prio16(min_prio);
	unsigned ofs = 0, d;

	if (!relevant(node, min)) {
		*bits = 0;
		return true;
	}
	for (;;) {
		d = first_diff(node, key, ofs);
		if (d < node->end) {
			*bits = d + 1;
			return true;
		}
		ofs = d;
		if (ofs >= len) {
			if (CLS_LOAD_RLX(&node->n_values) && CLS_LOAD_RLX(&node->own_max) >= min)
				return false;
			*bits = len;
			return true;
		}
		node = CLS_LOAD_ACQ(&node->child[bit_at(key, ofs)]); /* N1 */
		if (!relevant(node, min)) {
			*bits = ofs + 1;
			return true;
		}
	}
}

/* The walk goes into node (already found relevant), having decided that on
 * the key's first `need` bits: length buckets absent below are gone there. */
static void walk_enter(struct cls_trie_walk *w, const struct cls_trie_node *node, unsigned need)
{
	uint32_t below = CLS_LOAD_RLX(&node->sub_plens), lost = w->alive & ~below;

	for (; lost; lost &= lost - 1)
		w->gone[__builtin_ctz(lost)] = (uint8_t)need;
	w->alive &= below;
	w->node = node;
}

/* Nothing relevant below bit ofs: every bucket still alive is gone there. */
static void walk_end(struct cls_trie_walk *w, unsigned ofs, unsigned need)
{
	uint32_t lost = w->alive;

	for (; lost; lost &= lost - 1)
		w->gone[__builtin_ctz(lost)] = (uint8_t)need; /* <= 129 */
	w->alive = 0;
	w->ofs = w->depth = ofs;
	w->need = need;
	w->done = true;
}

void cls_trie_walk_start(const struct cls_trie *t, const struct cls_prefix *key, int min_prio,
			 struct cls_trie_walk *w)
{
	const struct cls_trie_node *root = CLS_LOAD_ACQ(&t->root); /* N1 */

	w->key = *key;
	w->min_prio = cls_prio16(min_prio);
	w->shift = t->plen_shift;
	w->ofs = 0;
	w->depth = 0;
	w->need = 0;
	w->plens[0] = w->plens[1] = 0;
	w->node = root;
	/* Buckets missing from the root's summary are gone at 0 bits
	 * (cls_trie_walk_proves), without a loop over them here. */
	w->done = !relevant(root, w->min_prio);
	w->alive = w->done ? 0 : CLS_LOAD_RLX(&root->sub_plens);
	w->root_plens = w->alive;
}

void cls_trie_walk_to(struct cls_trie_walk *w, unsigned limit, unsigned n_bits, uint32_t watch)
{
	const struct cls_trie_node *node = w->node;
	unsigned ofs = w->ofs, d;

	if (w->done)
		return;
	while (ofs < limit && (w->alive & watch)) {
		d = first_diff(node, &w->key, ofs);
		if (d < node->end) {
			/* The key parts from the trie at bit d. */
			walk_end(w, d, d + 1);
			return;
		}
		ofs = d;
		if (ofs && CLS_LOAD_RLX(&node->n_values) &&
		    CLS_LOAD_RLX(&node->own_max) >= w->min_prio)
			w->plens[(ofs - 1) / 64] |= 1ull << ((ofs - 1) % 64);
		if (ofs >= n_bits) {
			walk_end(w, ofs, ofs + 1);
			return;
		}
		node = CLS_LOAD_ACQ(&node->child[bit_at(&w->key, ofs)]); /* N1 */
		if (!relevant(node, w->min_prio)) {
			/* Bit ofs picks a child that holds nothing relevant. */
			walk_end(w, ofs, ofs + 1);
			return;
		}
		walk_enter(w, node, ofs + 1);
	}
	w->ofs = ofs;
}

bool cls_trie_walk_proves(struct cls_trie_walk *w, unsigned len, unsigned n_bits,
			  unsigned *bits)
{
	uint32_t bit = cls_plen_bit(len, w->shift);
	unsigned b = (unsigned)__builtin_ctz(bit);

	cls_trie_walk_to(w, len, n_bits, bit);
	if (!(w->alive & bit)) {
		unsigned g = w->root_plens & bit ? w->gone[b] : 0;

		if (g <= len) {
			/* Gone above bit len: nothing of this length
			 * below matches. */
			*bits = g;
			return true;
		}
	}
	/* The key's first len bits run along the trie: is a /len here? */
	*bits = len;
	return !(w->plens[(len - 1) / 64] & (1ull << ((len - 1) % 64)));
}
