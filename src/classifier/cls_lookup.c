/* The lookup: readers, no locks (classifier.h explains the wildcards).
 *
 * Two passes. The first finds the winner, visiting subtables in descending
 * max-priority order until none can win:
 *
 *   for each non-empty stage s of the mask:
 *       h = crc(h, key & mask over the stage's words)
 *       if s is not the last stage and h is not in the stage index: miss
 *   probe the table with h; no value equal to key & mask: miss
 *   walk that value's list (descending priority) for the first rule
 *   visible at the version.
 *
 * Only then, when the caller wants wildcards, does a second pass over the
 * same subtables work out what each one costs: knowing the winner's
 * priority p, a subtable only has to be shown to hold no rule of priority
 * >= p that the key matches; rules below p could not have changed the
 * answer. The stage indices and the tries bound the priorities of what
 * they hold, so the second pass can stop at an earlier stage than the
 * first (no value agreeing with the key up to there has a rule >= p), and
 * a trie walk can treat subtrees bounded below p as absent. Per subtable:
 *
 *   e = first stage whose index entry for the key is absent or bounded
 *       below p; the table stage if the key's value there is absent or
 *       bounded below p; else none (the key's value has a rule >= p)
 *   none                                   => wc |= the whole mask
 *   e is the L4 stage, and the ports trie proves no rule >= p has the
 *   key's ports                            => wc |= those port bits only
 *   e at or after the L3 stage, and a trie on a field the mask has a /L
 *   prefix on says no /L prefix with a rule >= p matches the key
 *                                          => wc |= the first min(L, d + 1)
 *                                             bits of that field only
 *   otherwise                              => wc |= mask over stages 0..e
 *
 * The trie proofs do not add the earlier stages' bits: "no rule of this
 * subtable has a prefix matching the key" holds for every packet agreeing
 * on the trie bits, whatever its other fields. It gives the same wildcards
 * as asking the trie before hashing the L3 stage, as OVS does, but a
 * subtable that matches never pays for the walk: with 1M nw_dst/32 rules
 * (a 20-level trie, a cache miss per level) hits went from 4.7 us to 94 ns
 * per lookup when the walk moved behind the probe (bench_classifier.c,
 * cls-lookup-1m).
 *
 * Why the second pass is correct: let W (priority p) be the winner and Q
 * agree with the key on wc. Q finds W's value too (its whole mask is in
 * wc) and so W; every other subtable the first pass visited holds no rule
 * >= p matching Q; the subtables it did not visit hold nothing above p. So
 * Q's first pass visits the same subtables and ends with W (a rule below p
 * found before W's subtable cannot stop it early: the visiting order is by
 * descending max priority, and W's subtable holds p). Without a winner
 * (p is INT_MIN) every rule counts, as in a one-pass lookup.
 *
 * What it buys, on flowlane-bench's ACL (1,000 rules, 10 masks, random
 * priorities) and its 100,000 flows, translated once each: see
 * CLS_WC_GRAIN below.
 */
#include "classifier/classifier_private.h"

struct lookup_ctx {
	const struct fl_classifier *cls;
	const struct fl_key *key;
	int min_prio;           /* second pass: rules below this cannot matter */
	unsigned tries_started; /* fields whose trie pointer was loaded */
	unsigned tries_absent;  /* ... and found NULL */
	struct cls_trie_walk walk[CLS_N_TRIES];
};

/* A proof's bit count, rounded up to a multiple of CLS_WC_GRAIN (at most
 * len). More bits are always correct; fewer distinct counts mean fewer
 * distinct megaflow masks, and the megaflow cache probes masks one by one
 * (about 7 ns each, datapath/megaflow.c). pipeline-acl-100k's ACL and its
 * 100,000 flows, translated in order through a model megaflow cache (a
 * scratch replay of the gen port's traffic); bits per megaflow of nw_src +
 * nw_dst + tp_src + tp_dst, masks, and the subtables flowlane-bench saw
 * probed per megaflow hit:
 *
 *                                  bits                       masks  probes
 *   one pass, no bounds, grain 4   18.9 + 23.5 + 9.4 + 9.6 = 61.5   222   28
 *   two passes, grain 1            16.1 + 21.0 + 7.1 + 7.7 = 51.8 11625
 *   two passes, grain 4            17.1 + 22.4 + 8.5 + 8.6 = 56.5   389   41
 *   two passes, grain 8            18.2 + 23.9 + 9.8 + 9.9 = 61.8    75  8.4
 *   OVS 3.1, same ACL and traffic  16.6 + 21.6 + 8.0 + 8.7 = 54.9  3978
 *
 * (OVS: its dpctl/dump-flows after 90k of the flows; at 10k flows it had
 * 1,731 masks and probed 239 per hit.) Every row has about one megaflow
 * per flow: the traffic's random addresses and ports leave 30 or more
 * random bits in any of these masks. Grain 8 spends what the priority
 * bounds and length summaries saved on a third of the masks: the width of
 * before, 8.4 probes per hit instead of 28. */
#define CLS_WC_GRAIN 8u

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

/* Does the trie on field f prove that no /len prefix with a rule of
 * priority >= ctx->min_prio matches the key? If so, *bits gets how many of
 * the key's leading bits the proof rests on. */
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
		cls_trie_walk_start(t, &p, ctx->min_prio, w);
	} else if (ctx->tries_absent & (1u << f)) {
		return false;
	}
	return cls_trie_walk_proves(w, len, cls_trie_fields[f].n_bits, bits);
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
		    (ctx->walk[f].done || ctx->walk[f].ofs >= st->plen[f] ||
		     !(ctx->walk[f].alive & cls_plen_bit(st->plen[f], ctx->walk[f].shift))))
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

/* True if st's ports trie proves it has no rule that could matter matching
 * the key; the proof's bits (those of the first d + 1 the mask has) are
 * added to wc. */
static bool ports_skip(const struct fl_cls_subtable *st, const struct lookup_ctx *ctx,
		       struct fl_key *wc)
{
	/* P2: a trie seen here is complete and stays readable. */
	const struct cls_trie *t = CLS_LOAD_ACQ(&st->ports);
	struct cls_prefix p;
	unsigned bits;
	uint32_t m;

	if (!t)
		return false;
	p = cls_ports_prefix(st, ctx->key);
	if (!cls_trie_miss_bits(t, &p, st->ports_len, ctx->min_prio, &bits))
		return false;
	bits = grain_bits(bits, st->ports_len);
	m = bits ? st->ports_mask & (~0u << (32 - bits)) : 0;
	fl_put_u32(&wc->tp_src, fl_get_u32(&wc->tp_src) | fl_htonl(m));
	return true;
}

/* What the first pass saw in one subtable, for the second. */
struct probe {
	unsigned miss;                /* stage with no value agreeing with the
				       * key (the last stage: the table);
				       * n_stages: the key's value is there */
	int bound[CLS_N_STAGES - 1];  /* index stages before miss: the entry's
				       * priority bound */
	int head_prio;                /* found: the value's highest priority */
};

/* The first rule visible at `version` in st's list for the key's value, or
 * NULL; *pr records where the probe stopped and the bounds it passed. */
static const struct fl_cls_rule *subtable_probe(const struct fl_cls_subtable *st,
						uint64_t version, const uint64_t *kw,
						struct probe *pr)
{
	uint64_t masked[FL_KEY_WORDS];
	const struct cls_rtable *t;
	const struct fl_cls_rule *r;
	unsigned s, from = 0, last = st->n_stages - 1u;
	uint32_t h = 0, i, hh;

	for (s = 0; s < st->n_stages; s++) {
		unsigned to = st->stage_end[s];

		h = cls_hash_range(st, kw, masked, from, to, h);
		from = to;
		if (s < last &&
		    !cls_ctable_bound(CLS_LOAD_ACQ(&st->index[s]), cls_hash_final(h), /* T2 */
				      &pr->bound[s])) {
			pr->miss = s;
			return NULL;
		}
	}

	h = cls_hash_final(h);
	t = CLS_LOAD_ACQ(&st->table); /* T2 */
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		hh = CLS_LOAD_ACQ(&t->hashes[i]); /* T1 */
		if (hh == 0) {
			pr->miss = last;
			return NULL;
		}
		if (hh != h)
			continue;
		r = CLS_LOAD_ACQ(&t->heads[i]); /* N1: a new head is linked with release */
		if (r != CLS_TOMB && cls_value_equal(r, masked, st->n_words))
			break;
	}
	pr->miss = st->n_stages;
	pr->head_prio = r->priority;
	/* The list is in descending priority: the first visible rule wins. */
	for (; r; r = CLS_LOAD_ACQ(&r->next)) /* N1 */
		if (fl_cls_rule_visible(r, version))
			return r;
	return NULL;
}

/* Second pass: add to wc what shows that st holds no rule of priority >=
 * ctx->min_prio matching the key, or st's whole mask if it holds one. */
static void subtable_wc(const struct fl_cls_subtable *st, const struct probe *pr,
			struct lookup_ctx *ctx, struct fl_key *wc)
{
	unsigned s, end, last = st->n_stages - 1u;

	/* The first stage where no value agreeing with the key so far has a
	 * rule that counts. */
	for (s = 0; s < pr->miss && s < last; s++)
		if (pr->bound[s] < ctx->min_prio)
			break;
	if (s == last && pr->miss == st->n_stages && pr->head_prio >= ctx->min_prio) {
		/* The key's value has a rule that counts: only the whole
		 * mask keeps every packet on that value. */
		unwildcard_words(wc, st, st->n_words);
		return;
	}
	/* A trie may prove the same with fewer bits: the address tries only
	 * look at a prefix of one address, the ports trie at a prefix of the
	 * ports, each a subset of what stages 0..s cover. */
	end = st->stage_end[s];
	if (words_covered(wc, st, end))
		return;
	/* At the L4 stage the L3 stage said some value agrees with the key
	 * up to there, so the address tries can hardly help; the ports trie
	 * is asked first. */
	if (s == st->ports_stage && ports_skip(st, ctx, wc))
		return;
	if (s >= st->trie_stage && tries_skip(st, ctx, wc))
		return;
	unwildcard_words(wc, st, end);
}

/* Subtables whose first-pass probe is kept for the second; a lookup that
 * visits more probes the rest again. */
#define LOOKUP_PROBES 32

const struct fl_cls_rule *fl_cls_lookup(const struct fl_classifier *cls, uint64_t version,
					const struct fl_key *key, struct fl_key *wc)
{
	const struct cls_pvec *v = CLS_LOAD_ACQ(&cls->pvec); /* T2 */
	const uint64_t *kw = fl_key_words(key);
	const struct fl_cls_rule *best = NULL, *r;
	const struct fl_cls_subtable *best_st = NULL, *st;
	struct probe probes[LOOKUP_PROBES], extra;
	struct lookup_ctx ctx;
	unsigned i, n;

	if (!v)
		return NULL;
	for (i = 0; i < v->n; i++) {
		/* V1: a priority raised in place comes with its rules. */
		int prio = CLS_LOAD_ACQ(&v->e[i].priority);

		if (best && prio <= best->priority)
			break;
		st = v->e[i].st;
		r = subtable_probe(st, version, kw, i < LOOKUP_PROBES ? &probes[i] : &extra);
		if (r && (!best || r->priority > best->priority)) {
			best = r;
			best_st = st;
		}
	}
	if (!wc)
		return best;

	/* The winner's subtable first: its whole mask is due anyway, and
	 * bits it puts in wc make other subtables' proofs free. */
	n = i;
	ctx.cls = cls;
	ctx.key = key;
	ctx.min_prio = best ? best->priority : INT_MIN;
	ctx.tries_started = 0;
	ctx.tries_absent = 0;
	if (best_st)
		unwildcard_words(wc, best_st, best_st->n_words);
	for (i = 0; i < n; i++) {
		st = v->e[i].st;
		/* Bits already in wc cost nothing. */
		if (words_covered(wc, st, st->n_words))
			continue;
		if (i < LOOKUP_PROBES) {
			subtable_wc(st, &probes[i], &ctx, wc);
		} else {
			subtable_probe(st, version, kw, &extra);
			subtable_wc(st, &extra, &ctx, wc);
		}
	}
	return best;
}
