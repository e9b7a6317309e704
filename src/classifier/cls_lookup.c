/* The lookup: readers, no locks (classifier.h explains the wildcards).
 *
 * Per subtable, in descending max-priority order until none can win:
 *
 *   for each non-empty stage s of the mask:
 *       h = crc(h, key & mask over the stage's words)
 *       if s is not the last stage and h is not in the stage index: miss
 *   probe the table with h; no value equal to key & mask: miss
 *   wc |= the whole mask; walk that value's list (descending priority)
 *   for the first rule visible at the version.
 *
 *   miss at stage s, s at or after the L3 stage, and a trie on a field the
 *   mask has a /L prefix on says no stored /L prefix matches the key
 *       => wc |= the first min(L, d + 1) bits of that field only
 *   other misses => wc |= mask over stages 0..s
 *
 * The trie proof does not add the earlier stages' bits: "no rule of this
 * subtable has a prefix matching the key" holds for every packet agreeing
 * on the trie bits, whatever its other fields. It gives the same wildcards
 * as asking the trie before hashing the L3 stage, as OVS does, but a
 * subtable that matches never pays for the walk: with 1M nw_dst/32 rules
 * (a 20-level trie, a cache miss per level) hits went from 4.7 us to 94 ns
 * per lookup when the walk moved behind the probe (bench_classifier.c,
 * cls-lookup-1m).
 */
#include "classifier/classifier_private.h"

struct lookup_ctx {
	const struct fl_classifier *cls;
	const struct fl_key *key;
	unsigned tries_started; /* fields whose trie pointer was loaded */
	unsigned tries_absent;  /* ... and found NULL */
	struct cls_trie_walk walk[CLS_N_TRIES];
};

/* A proof's bit count, rounded up to a multiple of CLS_WC_GRAIN (at most
 * len). More bits are always correct; fewer distinct counts mean fewer
 * distinct megaflow masks, and the megaflow cache pays per mask on every
 * miss (about 7 ns each, datapath/megaflow.c). pipeline-acl-100k, 100k
 * flows through 1,000 rules, translated once each (a scratch replay of
 * bench_forward.c's traffic): exact counts gave 8,116 masks, 4-bit grains
 * 231 (237 before the ports tries), 8-bit grains ~118; the megaflows stayed
 * at ~100k in all three (the addresses alone need >= 43k distinct
 * entries there), and the ports bits per megaflow went from 32 to 19 (4) or
 * 22 (8). */
#define CLS_WC_GRAIN 4u

static inline unsigned grain_bits(unsigned bits, unsigned len)
{
	bits = (bits + CLS_WC_GRAIN - 1) & ~(CLS_WC_GRAIN - 1);
	return bits < len ? bits : len;
}

static void unwildcard_words(struct fl_key *wc, const struct fl_cls_subtable *st, unsigned n)
{
	uint64_t *w = (uint64_t *)(void *)wc;
	unsigned j;

	for (j = 0; j < n; j++)
		w[st->idx[j]] |= st->mask[j];
}

static bool words_covered(const struct fl_key *wc, const struct fl_cls_subtable *st, unsigned n)
{
	const uint64_t *w = fl_key_words(wc);
	unsigned j;

	for (j = 0; j < n; j++)
		if ((w[st->idx[j]] & st->mask[j]) != st->mask[j])
			return false;
	return true;
}

/* Does the trie on field f prove that no /len prefix matches the key? If
 * so, *bits gets how many of the key's leading bits the proof rests on. */
static bool trie_proves(struct lookup_ctx *ctx, unsigned f, unsigned len, unsigned *bits)
{
	struct cls_trie_walk *w = &ctx->walk[f];

	if (!(ctx->tries_started & (1u << f))) {
		/* P1: a trie seen here is complete, and stays readable (if
		 * switched off meanwhile, it is retired untouched). */
		const struct cls_trie *t = CLS_LOAD_ACQ(&ctx->cls->tries[f]);
		struct cls_prefix p;

		ctx->tries_started |= 1u << f;
		if (!t) {
			ctx->tries_absent |= 1u << f;
			return false;
		}
		p = cls_prefix_get(ctx->key, f);
		cls_trie_walk_start(t, &p, w);
	} else if (ctx->tries_absent & (1u << f)) {
		return false;
	}
	cls_trie_walk_to(w, len, cls_trie_fields[f].n_bits);
	if (w->done && w->depth < len) {
		/* The key left the trie at bit d < len: d + 1 bits decide. */
		*bits = w->depth + 1;
		return true;
	}
	/* The key's first len bits run along the trie: is a /len here? */
	*bits = len;
	return !(w->plens[(len - 1) / 64] & (1ull << ((len - 1) % 64)));
}

/* True if a trie proves st has no rule matching the key; the proof's bits
 * are added to wc. Fields whose walk already went deep enough are asked
 * first: they cost nothing more. */
static bool tries_skip(const struct fl_cls_subtable *st, struct lookup_ctx *ctx,
		       struct fl_key *wc)
{
	unsigned fields = st->trie_fields, cheap = 0, order[2], pass, todo, f, bits;

	for (todo = fields; todo; todo &= todo - 1) {
		f = (unsigned)__builtin_ctz(todo);
		if ((ctx->tries_started & ~ctx->tries_absent & (1u << f)) &&
		    (ctx->walk[f].done || ctx->walk[f].ofs >= st->plen[f]))
			cheap |= 1u << f;
	}
	order[0] = cheap;
	order[1] = fields & ~cheap;
	for (pass = 0; pass < 2; pass++) {
		for (todo = order[pass]; todo; todo &= todo - 1) {
			f = (unsigned)__builtin_ctz(todo);
			if (trie_proves(ctx, f, st->plen[f], &bits)) {
				bits = grain_bits(bits, st->plen[f]);
				cls_prefix_unwildcard(wc, f, bits);
				return true;
			}
		}
	}
	return false;
}

/* True if st's ports trie proves it has no rule matching the key; the
 * proof's bits (those of the first d + 1 the mask has) are added to wc. */
static bool ports_skip(const struct fl_cls_subtable *st, const struct fl_key *key,
		       struct fl_key *wc)
{
	/* P2: a trie seen here is complete and stays readable. */
	const struct cls_trie *t = CLS_LOAD_ACQ(&st->ports);
	struct cls_prefix p;
	unsigned bits;
	uint32_t m;

	if (!t)
		return false;
	p = cls_ports_prefix(st, key);
	bits = cls_trie_miss_bits(t, &p, st->ports_len);
	if (!bits)
		return false;
	bits = grain_bits(bits, st->ports_len);
	m = st->ports_mask & (~0u << (32 - bits));
	fl_put_u32(&wc->tp_src, fl_get_u32(&wc->tp_src) | fl_htonl(m));
	return true;
}

static const struct fl_cls_rule *subtable_lookup(const struct fl_cls_subtable *st,
						 uint64_t version, struct lookup_ctx *ctx,
						 struct fl_key *wc)
{
	const uint64_t *kw = fl_key_words(ctx->key);
	uint64_t masked[FL_KEY_WORDS];
	const struct cls_rtable *t;
	const struct fl_cls_rule *r;
	unsigned s, from = 0, n = st->n_words, last = st->n_stages - 1u;
	uint32_t h = 0, i, hh;

	for (s = 0; s < st->n_stages; s++) {
		unsigned to = st->stage_end[s];

		h = cls_hash_range(st, kw, masked, from, to, h);
		from = to;
		if (s < last &&
		    !cls_ctable_contains(CLS_LOAD_ACQ(&st->index[s]), cls_hash_final(h))) /* T2 */
			goto miss;
	}

	h = cls_hash_final(h);
	t = CLS_LOAD_ACQ(&st->table); /* T2 */
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		hh = CLS_LOAD_ACQ(&t->hashes[i]); /* T1 */
		if (hh == 0)
			goto miss;
		if (hh != h)
			continue;
		r = CLS_LOAD_ACQ(&t->heads[i]); /* N1: a new head is linked with release */
		if (r != CLS_TOMB && cls_value_equal(r, masked, st->idx, n))
			break;
	}
	if (wc)
		unwildcard_words(wc, st, n);
	/* The list is in descending priority: the first visible rule wins. */
	for (; r; r = CLS_LOAD_ACQ(&r->next)) /* N1 */
		if (fl_cls_rule_visible(r, version))
			return r;
	return NULL;

miss:
	/* No value agrees with the key on stages 0..s. A trie may prove the
	 * same with fewer bits: the address tries only look at a prefix of
	 * one address, the ports trie at a prefix of the ports, each a subset
	 * of what stages 0..s cover. The walk is paid here, on a miss, and
	 * never when the caller does not want wildcards: a hit un-wildcards
	 * the whole mask anyway. */
	if (wc) {
		unsigned end = s < st->n_stages ? st->stage_end[s] : n;

		if (s >= st->n_stages)
			s = last; /* the table probe is the last stage's check */
		/* Bits already in wc cost nothing: no walk needed then. */
		if (words_covered(wc, st, end))
			return NULL;
		/* A miss in the L4 stage: the L3 stage said some rule agrees
		 * with the key up to there, so the address tries can hardly
		 * help; the ports trie is asked first. */
		if (s == st->ports_stage && ports_skip(st, ctx->key, wc))
			return NULL;
		if (s >= st->trie_stage && tries_skip(st, ctx, wc))
			return NULL;
		unwildcard_words(wc, st, end);
	}
	return NULL;
}

const struct fl_cls_rule *fl_cls_lookup(const struct fl_classifier *cls, uint64_t version,
					const struct fl_key *key, struct fl_key *wc)
{
	const struct cls_pvec *v = CLS_LOAD_ACQ(&cls->pvec); /* T2 */
	const struct fl_cls_rule *best = NULL, *r;
	struct lookup_ctx ctx;
	unsigned i;

	if (!v)
		return NULL;
	ctx.cls = cls;
	ctx.key = key;
	ctx.tries_started = 0;
	ctx.tries_absent = 0;
	for (i = 0; i < v->n; i++) {
		/* V1: a priority raised in place comes with its rules. */
		int prio = CLS_LOAD_ACQ(&v->e[i].priority);

		if (best && prio <= best->priority)
			break;
		r = subtable_lookup(v->e[i].st, version, &ctx, wc);
		if (r && (!best || r->priority > best->priority))
			best = r;
	}
	return best;
}
