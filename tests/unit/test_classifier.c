/* Tests of the classifier (src/classifier).
 *
 * The classifier is checked against a slow linear reference (scan every rule,
 * keep the best visible match): random rule sets over a handful of realistic
 * masks (exact fields, CIDR prefixes of random length on IPv4 and IPv6
 * addresses, masked ports, in_port, vlan), priorities with ties, overlapping
 * values, rules added and removed across versions, and packets derived from
 * rule values with bits flipped so that most of them hit or nearly hit.
 *
 * The megaflow invariant is checked the way the datapath relies on it: for a
 * packet P and the wildcards wc of its lookup, packets Q agreeing with P on
 * wc — the rest taken from random packets, from packets near other rules, or
 * random noise — must get a winner of the same priority from the reference.
 * With tries on and off; and the tries must actually narrow. An ACL shaped
 * like flowlane-bench's (random priorities, rules replaced so that the
 * priority bounds go stale) is checked with Q taken from exactly the bits
 * P's wildcards left out, and must give the same rule, not just priority.
 *
 * The prefix trie is also checked on its own (internal API) against a list
 * of prefixes: the walk's findings, and its proofs for a priority
 * threshold and a prefix length; a concurrency test runs readers against a
 * writer under QSBR. Fixed seeds throughout.
 *
 * A rule's size follows its mask (classifier.h): every rule here is its own
 * allocation of exactly that size, so ASan sees any access past it, inside
 * a wrapper that keeps the match the rule was made from. The reference and
 * the checks use that copy, never the rule's compact words.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "classifier/classifier.h"
#include "classifier/classifier_private.h"

/* Rounds per random test: sanitizers cost 5-20x; the whole file stays
 * around 10 s under ASan on the development VM. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCALE 2
#else
#define SCALE 6
#endif

/* ---- random numbers ---- */

#include "test_rng.h"

/* ---- keys and masks ---- */

static uint64_t *kwords(struct fl_key *k)
{
	return (uint64_t *)(void *)k;
}

static void set_be32_prefix(fl_be32 *f, unsigned len)
{
	*f = len ? fl_htonl(~0u << (32 - len)) : 0;
}

static void set_bytes_prefix(uint8_t *b, unsigned nbytes, unsigned len)
{
	unsigned i;

	for (i = 0; i < nbytes; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;

		b[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
	}
}

enum {
	F_IN_PORT = 1u << 0,
	F_REG0 = 1u << 1,
	F_DL_DST = 1u << 2,
	F_DL_TYPE = 1u << 3,
	F_VLAN = 1u << 4,
	F_NW_SRC = 1u << 5,
	F_NW_DST = 1u << 6,
	F_NW_PROTO = 1u << 7,
	F_IP6_SRC = 1u << 8,
	F_IP6_DST = 1u << 9,
	F_TP_SRC = 1u << 10,
	F_TP_DST = 1u << 11,
	F_NW_SRC_ODD = 1u << 12, /* a non-prefix mask on nw_src */
	F_ALL = (1u << 13) - 1,
};

struct mask_tmpl {
	unsigned fields;
	uint8_t nw_src_len, nw_dst_len, ip6_src_len, ip6_dst_len;
	uint16_t tp_src_mask, tp_dst_mask;
};

/* Port-heavy worlds: packets and rules take their ports from a wide,
 * clustered spread instead of five well-known ports, and tp_dst masks vary
 * too (prefix and non-prefix), so the ports tries have real shapes. */
static bool wide_ports;

static void build_mask(const struct mask_tmpl *t, struct fl_key *m)
{
	memset(m, 0, sizeof(*m));
	if (t->fields & F_IN_PORT)
		m->in_port = ~0u;
	if (t->fields & F_REG0)
		m->regs[0] = 0xffu;
	if (t->fields & F_DL_DST)
		memset(m->dl_dst, 0xff, 6);
	if (t->fields & F_DL_TYPE)
		m->dl_type = 0xffff;
	if (t->fields & F_VLAN)
		m->vlan_tci = fl_htons(0x1fff);
	if (t->fields & F_NW_SRC)
		set_be32_prefix(&m->nw_src, t->nw_src_len);
	if (t->fields & F_NW_SRC_ODD)
		m->nw_src = fl_htonl(0x00ff00f0);
	if (t->fields & F_NW_DST)
		set_be32_prefix(&m->nw_dst, t->nw_dst_len);
	if (t->fields & F_NW_PROTO)
		m->nw_proto = 0xff;
	if (t->fields & F_IP6_SRC)
		set_bytes_prefix(m->ipv6_src, 16, t->ip6_src_len);
	if (t->fields & F_IP6_DST)
		set_bytes_prefix(m->ipv6_dst, 16, t->ip6_dst_len);
	if (t->fields & F_TP_SRC)
		m->tp_src = fl_htons(t->tp_src_mask);
	if (t->fields & F_TP_DST)
		m->tp_dst = fl_htons(t->tp_dst_mask);
}

static const unsigned plen_pool[] = {8, 16, 24, 32};

static unsigned random_plen(unsigned max)
{
	if (rnd(3) == 0)
		return 1 + rnd(max);
	return max == 32 ? plen_pool[rnd(4)] : 16 * (1 + rnd(8));
}

static void random_tmpl(struct mask_tmpl *t, unsigned allowed)
{
	static const uint16_t port_masks[] = {0xffff, 0xfff0, 0xff00, 0x8000};

	do {
		unsigned n = 1 + rnd(4), i;

		t->fields = 0;
		for (i = 0; i < n; i++)
			t->fields |= 1u << rnd(13);
		t->fields &= allowed;
	} while (!t->fields && rnd(8));
	if ((t->fields & F_NW_SRC) && (t->fields & F_NW_SRC_ODD))
		t->fields &= ~(unsigned)F_NW_SRC_ODD;
	t->nw_src_len = (uint8_t)random_plen(32);
	t->nw_dst_len = (uint8_t)random_plen(32);
	t->ip6_src_len = (uint8_t)random_plen(128);
	t->ip6_dst_len = (uint8_t)random_plen(128);
	t->tp_src_mask = port_masks[rnd(4)];
	t->tp_dst_mask = 0xffff;
	if (wide_ports) {
		static const uint16_t dst_masks[] = {0xffff, 0xffff, 0xff00, 0xfffc, 0x0ff0};

		t->tp_dst_mask = dst_masks[rnd(5)];
	}
}

static const uint32_t ip4_pool[] = {0x0a000000, 0x0a010000, 0x0a010200, 0xc0a80100, 0xac100500,
				    0x0a800000};
static const uint16_t port_pool[] = {80, 443, 22, 53, 8080};

static uint16_t wide_port(void)
{
	switch (rnd(4)) {
	case 0:
		return port_pool[rnd(5)];
	case 1:
		return (uint16_t)rnd(64);
	case 2:
		return (uint16_t)(1024 + rnd(512));
	default:
		return (uint16_t)rng();
	}
}

/* A packet built from the same small pools as rule values, so packets and
 * rules meet often. */
static void random_packet(struct fl_key *k)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806};
	unsigned i;

	memset(k, 0, sizeof(*k));
	k->in_port = 1 + rnd(4);
	k->regs[0] = rnd(4);
	for (i = 0; i < 6; i++)
		k->dl_dst[i] = (uint8_t)(i == 5 ? rnd(4) : 0x02);
	k->dl_type = fl_htons(types[rnd(3)]);
	k->vlan_tci = rnd(2) ? fl_htons((uint16_t)(FL_VLAN_PRESENT | (1 + rnd(3)))) : 0;
	k->nw_src = fl_htonl(ip4_pool[rnd(6)] | (rnd(2) ? rnd(256) : (uint32_t)rng()) >> rnd(32));
	k->nw_dst = fl_htonl(ip4_pool[rnd(6)] | (uint32_t)(rnd(2) ? rnd(256) : rng() >> rnd(40)));
	k->ipv6_src[0] = 0x20;
	k->ipv6_src[1] = 0x01;
	k->ipv6_src[2] = (uint8_t)rnd(3);
	for (i = 3; i < 16; i++)
		k->ipv6_src[i] = (uint8_t)(rnd(4) ? 0 : rng());
	memcpy(k->ipv6_dst, k->ipv6_src, 16);
	k->ipv6_dst[rnd(16)] ^= (uint8_t)(1u << rnd(8));
	k->nw_proto = (uint8_t)(rnd(2) ? 6 : 17);
	k->tp_src = fl_htons(rnd(2) ? port_pool[rnd(5)] : (uint16_t)rng());
	k->tp_dst = fl_htons(port_pool[rnd(5)]);
	k->tcp_flags = (fl_be16)rng();
	if (wide_ports) {
		k->tp_src = fl_htons(wide_port());
		k->tp_dst = fl_htons(wide_port());
	}
}

static void flip_random_bit(struct fl_key *k)
{
	/* mostly in fields rules use, sometimes anywhere */
	static const uint16_t hot[] = {offsetof(struct fl_key, in_port),
				       offsetof(struct fl_key, nw_src),
				       offsetof(struct fl_key, nw_dst),
				       offsetof(struct fl_key, ipv6_src),
				       offsetof(struct fl_key, ipv6_dst),
				       offsetof(struct fl_key, tp_src),
				       offsetof(struct fl_key, tp_dst),
				       offsetof(struct fl_key, vlan_tci)};
	uint8_t *b = (uint8_t *)k;
	unsigned off = rnd(4) ? hot[rnd(8)] + rnd(4) : rnd(sizeof(*k));

	b[off] ^= (uint8_t)(1u << rnd(8));
}

/* ---- rules ---- */

struct trule {
	struct trule *prev, *next; /* all live test rules */
	struct fl_match m;         /* what the rule was made from, normalized */
	struct fl_cls_rule cr;     /* last: fl_cls_rule_size(&m) bytes */
};

static struct trule *trules;

static struct trule *trule_of(const struct fl_cls_rule *r)
{
	return FL_CONTAINER_OF(r, struct trule, cr);
}

/* The match a test rule was made from (the reference's view of it). */
static const struct fl_match *rule_match(const struct fl_cls_rule *r)
{
	return &trule_of(r)->m;
}

/* A rule of exactly fl_cls_rule_size(match) bytes; its compact form must
 * give the (normalized) match back. Freed by rule_free or rules_free_all. */
static struct fl_cls_rule *rule_new(const struct fl_match *match, int priority, uint64_t version)
{
	struct trule *t = malloc(offsetof(struct trule, cr) + fl_cls_rule_size(match));
	struct fl_match back;

	assert_non_null(t);
	t->m = *match;
	fl_match_normalize(&t->m);
	fl_cls_rule_init(&t->cr, match, priority, version);
	fl_cls_rule_get_match(&t->cr, &back);
	assert_true(fl_match_equal(&back, &t->m));
	t->prev = NULL;
	t->next = trules;
	if (trules)
		trules->prev = t;
	trules = t;
	return &t->cr;
}

static void rule_free(struct fl_cls_rule *r)
{
	struct trule *t = trule_of(r);

	if (t->prev)
		t->prev->next = t->next;
	else
		trules = t->next;
	if (t->next)
		t->next->prev = t->prev;
	free(t);
}

static void rules_free_all(void)
{
	while (trules)
		rule_free(&trules->cr);
}

/* ---- the reference classifier ---- */

struct ref {
	struct fl_cls_rule **rules;
	unsigned n, cap;
};

static void ref_add(struct ref *ref, struct fl_cls_rule *r)
{
	if (ref->n == ref->cap) {
		ref->cap = ref->cap ? ref->cap * 2 : 64;
		ref->rules = realloc(ref->rules, ref->cap * sizeof(*ref->rules));
		assert_non_null(ref->rules);
	}
	ref->rules[ref->n++] = r;
}

static void ref_del(struct ref *ref, unsigned i)
{
	ref->rules[i] = ref->rules[--ref->n];
}

/* Highest priority of a visible matching rule, INT_MIN if none. */
static int ref_lookup(const struct ref *ref, uint64_t version, const struct fl_key *k)
{
	int best = INT32_MIN;
	unsigned i;

	for (i = 0; i < ref->n; i++) {
		const struct fl_cls_rule *r = ref->rules[i];

		if (r->priority > best && fl_cls_rule_visible(r, version) &&
		    fl_match_matches(rule_match(r), k))
			best = r->priority;
	}
	return best;
}

static int prio_of(const struct fl_cls_rule *r)
{
	return r ? r->priority : INT32_MIN;
}

static void ref_free(struct ref *ref)
{
	free(ref->rules);
	memset(ref, 0, sizeof(*ref));
}

/* ---- random rule sets ---- */

struct world {
	struct fl_classifier *cls;
	struct ref ref;
	unsigned n_pool, used; /* at most n_pool rules inserted; used so far */
	struct mask_tmpl tmpl[16];
	unsigned n_tmpl;
};

static void world_init(struct world *w, unsigned n_pool, unsigned n_masks, unsigned allowed)
{
	unsigned i;

	memset(w, 0, sizeof(*w));
	w->cls = fl_cls_create();
	assert_non_null(w->cls);
	w->n_pool = n_pool;
	w->n_tmpl = n_masks;
	for (i = 0; i < n_masks; i++)
		random_tmpl(&w->tmpl[i], allowed);
}

/* Also frees every test rule made so far. */
static void world_free(struct world *w)
{
	fl_cls_destroy(w->cls);
	rules_free_all();
	ref_free(&w->ref);
}

/* A random rule with a mask from the world's templates; versions: mostly
 * always visible, some added later, some removed. */
static struct fl_cls_rule *random_rule(struct world *w, bool versions)
{
	struct fl_cls_rule *r;
	struct fl_match m;
	struct fl_key pkt;
	uint64_t add = 0;

	build_mask(&w->tmpl[rnd(w->n_tmpl)], &m.mask);
	random_packet(&pkt);
	if (rnd(3) == 0)
		flip_random_bit(&pkt);
	m.value = pkt;
	if (versions && rnd(3) == 0)
		add = 1 + rnd(4);
	r = rule_new(&m, (int)rnd(24) - 4, add);
	if (versions && rnd(4) == 0)
		fl_cls_rule_set_remove_version(r, add + 1 + rnd(4));
	return r;
}

/* Insert; a duplicate (same match and priority, overlapping versions) must
 * be refused exactly when the reference has one, and is freed. */
static bool world_insert(struct world *w, struct fl_cls_rule *r)
{
	bool dup = false;
	unsigned i;
	int err;

	for (i = 0; i < w->ref.n; i++) {
		const struct fl_cls_rule *o = w->ref.rules[i];

		if (o->priority == r->priority && fl_match_equal(rule_match(o), rule_match(r)) &&
		    o->add_version < r->remove_version && r->add_version < o->remove_version)
			dup = true;
	}
	err = fl_cls_insert(w->cls, r);
	assert_int_equal(err, dup ? -EEXIST : 0);
	if (!err)
		ref_add(&w->ref, r);
	else
		rule_free(r);
	return !err;
}

static void world_fill(struct world *w, unsigned n, bool versions)
{
	unsigned i;

	for (i = 0; i < n && w->used < w->n_pool; i++)
		if (world_insert(w, random_rule(w, versions)))
			w->used++;
}

static void world_remove_random(struct world *w, unsigned n)
{
	while (n-- && w->ref.n) {
		unsigned i = rnd(w->ref.n);

		fl_cls_remove(w->cls, w->ref.rules[i]);
		assert_false(fl_cls_rule_is_inserted(w->ref.rules[i]));
		ref_del(&w->ref, i);
	}
	assert_int_equal(fl_cls_count(w->cls), w->ref.n);
}

/* Overlay a rule's value on k, in the words chosen by `words` (bit i: word i). */
static void overlay_rule(struct fl_key *k, const struct fl_cls_rule *r, uint32_t words)
{
	uint64_t *kw = kwords(k);
	const struct fl_match *rm = rule_match(r);
	const uint64_t *v = fl_key_words(&rm->value), *m = fl_key_words(&rm->mask);
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		if (words & (1u << i))
			kw[i] = (kw[i] & ~m[i]) | v[i];
}

/* A packet: near a random rule (its value, other bits random, a few bits
 * flipped); a crossover, each key word from one of two rules (so that it
 * passes some stages of a subtable and not others); or from the pools. */
static void world_packet(const struct world *w, struct fl_key *k)
{
	unsigned n, mode = rnd(6);

	random_packet(k);
	if (!w->ref.n || mode == 0)
		return;
	if (mode <= 3) {
		overlay_rule(k, w->ref.rules[rnd(w->ref.n)], ~0u);
	} else {
		uint32_t words = (uint32_t)rng();

		overlay_rule(k, w->ref.rules[rnd(w->ref.n)], words);
		overlay_rule(k, w->ref.rules[rnd(w->ref.n)], ~words);
	}
	for (n = rnd(3); n; n--)
		flip_random_bit(k);
}

/* Check one lookup against the reference; returns the winner's priority. */
static int check_lookup(const struct world *w, uint64_t version, const struct fl_key *k,
			struct fl_key *wc)
{
	const struct fl_cls_rule *r = fl_cls_lookup(w->cls, version, k, wc);
	int want = ref_lookup(&w->ref, version, k);

	if (prio_of(r) != want)
		fail_msg("lookup at version %llu: priority %d, reference %d",
			 (unsigned long long)version, prio_of(r), want);
	if (r) {
		assert_true(fl_match_matches(rule_match(r), k));
		assert_true(fl_cls_rule_visible(r, version));
	}
	return want;
}

/* P's lookup gives wc; every Q agreeing with P on wc must get the same
 * priority from the reference (and from the classifier). */
static unsigned check_megaflow(const struct world *w, uint64_t version, const struct fl_key *p,
			       unsigned n_q)
{
	struct fl_key wc, q, donor;
	int want;
	unsigned i, j, checked = 0;

	memset(&wc, 0, sizeof(wc));
	want = check_lookup(w, version, p, &wc);
	for (i = 0; i < n_q; i++) {
		const uint64_t *pw = fl_key_words(p), *ww = fl_key_words(&wc);
		uint64_t *qw = kwords(&q), *dw = kwords(&donor);

		switch (i % 4) {
		case 0:
			random_packet(&donor);
			break;
		case 1:
			world_packet(w, &donor);
			break;
		case 2:
			for (j = 0; j < FL_KEY_WORDS; j++)
				dw[j] = rng();
			break;
		default:
			donor = *p;
			for (j = 1 + rnd(4); j; j--)
				flip_random_bit(&donor);
			break;
		}
		for (j = 0; j < FL_KEY_WORDS; j++)
			qw[j] = (pw[j] & ww[j]) | (dw[j] & ~ww[j]);
		if (ref_lookup(&w->ref, version, &q) != want)
			fail_msg("megaflow invariant broken: P prio %d, Q prio %d (case %u)", want,
				 ref_lookup(&w->ref, version, &q), i % 4);
		check_lookup(w, version, &q, NULL);
		checked++;
	}
	return checked;
}

/* ---- basic operations ---- */

static void match_nw_dst(struct fl_match *m, uint32_t addr, unsigned len)
{
	memset(m, 0, sizeof(*m));
	m->mask.dl_type = 0xffff;
	m->value.dl_type = fl_htons(0x0800);
	set_be32_prefix(&m->mask.nw_dst, len);
	m->value.nw_dst = fl_htonl(addr);
	fl_match_normalize(m);
}

static void ipv4_packet(struct fl_key *k, uint32_t dst)
{
	memset(k, 0, sizeof(*k));
	k->dl_type = fl_htons(0x0800);
	k->nw_dst = fl_htonl(dst);
	k->nw_src = fl_htonl(0x01020304);
	k->tp_dst = fl_htons(80);
}

static unsigned popcount_key_field(const void *f, size_t n)
{
	const uint8_t *b = f;
	unsigned c = 0;

	while (n--)
		c += (unsigned)__builtin_popcount(*b++);
	return c;
}

static void rule_init_normalizes(void **state)
{
	struct fl_cls_rule *r;
	struct fl_match m, got;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.value.nw_dst = fl_htonl(0x0a0102ff);
	m.value.nw_src = fl_htonl(0x01020304); /* outside the mask: dropped */
	set_be32_prefix(&m.mask.nw_dst, 24);
	r = rule_new(&m, 7, 3);
	fl_cls_rule_get_match(r, &got);
	assert_int_equal(got.value.nw_dst, fl_htonl(0x0a010200));
	assert_int_equal(got.value.nw_src, 0);
	assert_int_equal(got.mask.nw_dst, fl_htonl(0xffffff00));
	assert_int_equal(r->priority, 7);
	assert_false(fl_cls_rule_visible(r, 2));
	assert_true(fl_cls_rule_visible(r, 3));
	assert_true(fl_cls_rule_visible(r, FL_CLS_VERSION_LATEST));
	fl_cls_rule_set_remove_version(r, 5);
	assert_true(fl_cls_rule_visible(r, 4));
	assert_false(fl_cls_rule_visible(r, 5));
	assert_false(fl_cls_rule_is_inserted(r));
	rule_free(r);
}

/* A rule stores the nonzero words of its mask and the value under them:
 * its size grows by 16 bytes per word, whatever the word holds, and the
 * rule works in a classifier at exactly that size (ASan checks). */
static void rule_size_follows_mask(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r1, *r5;
	struct fl_match m1, m5, m;
	struct fl_key k;
	size_t base = sizeof(struct fl_cls_rule) + sizeof(void *);

	(void)state;
	fl_match_init_catchall(&m);
	assert_int_equal(fl_cls_rule_size(&m), base);
	memset(&m.mask, 0xff, sizeof(m.mask));
	assert_int_equal(fl_cls_rule_size(&m), base + FL_KEY_WORDS * 16);

	/* one word: nw_src and nw_dst share key word 12 */
	memset(&m1, 0, sizeof(m1));
	set_be32_prefix(&m1.mask.nw_dst, 24);
	m1.value.nw_dst = fl_htonl(0x0a010200);
	set_be32_prefix(&m1.mask.nw_src, 1);
	assert_int_equal(fl_cls_rule_size(&m1), base + 16);
	/* five: in_port (word 0), dl_type (9), nw_dst (12), nw_proto (17),
	 * tp_dst (22) */
	m5 = m1;
	m5.mask.in_port = ~0u;
	m5.value.in_port = 3;
	m5.mask.dl_type = 0xffff;
	m5.value.dl_type = fl_htons(0x0800);
	m5.mask.nw_proto = 0xff;
	m5.value.nw_proto = 6;
	m5.mask.tp_dst = 0xffff;
	m5.value.tp_dst = fl_htons(80);
	assert_int_equal(fl_cls_rule_size(&m5), base + 5 * 16);
	assert_int_equal(fl_cls_rule_size(&m5) - fl_cls_rule_size(&m1), 4 * 16);

	r1 = rule_new(&m1, 10, 0);
	r5 = rule_new(&m5, 20, 0);
	assert_int_equal(fl_cls_insert(cls, r1), 0);
	assert_int_equal(fl_cls_insert(cls, r5), 0);
	assert_true(fl_cls_rule_is_inserted(r5));
	ipv4_packet(&k, 0x0a010203);
	k.nw_src = 0;
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r1);
	k.in_port = 3;
	k.nw_proto = 6;
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r5);
	assert_ptr_equal(fl_cls_find_exactly(cls, &m5, 20, 0), r5);
	fl_cls_remove(cls, r5);
	assert_false(fl_cls_rule_is_inserted(r5));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r1);
	fl_cls_remove(cls, r1);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* fl_cls_rule_get_match gives back the normalized match, for masks from the
 * property tests' templates and for words of random bits. */
static void rule_match_round_trip(void **state)
{
	unsigned i, w;

	(void)state;
	rng_seed(3);
	for (i = 0; i < 2000 * SCALE; i++) {
		struct fl_match m, want, got;
		struct fl_cls_rule *r;
		struct mask_tmpl t;
		size_t size;
		unsigned n = 0;

		if (i % 2) {
			random_tmpl(&t, F_ALL);
			build_mask(&t, &m.mask);
			random_packet(&m.value);
		} else {
			for (w = 0; w < FL_KEY_WORDS; w++) {
				kwords(&m.mask)[w] = rnd(3) ? 0 : rnd(2) ? ~0ull : rng();
				kwords(&m.value)[w] = rng();
			}
		}
		want = m;
		fl_match_normalize(&want);
		for (w = 0; w < FL_KEY_WORDS; w++)
			n += kwords(&m.mask)[w] != 0;
		size = fl_cls_rule_size(&m);
		assert_int_equal(size, sizeof(struct fl_cls_rule) + 16 * n + sizeof(void *));
		r = malloc(size);
		assert_non_null(r);
		fl_cls_rule_init(r, &m, (int)i, 0);
		fl_cls_rule_get_match(r, &got);
		assert_memory_equal(&got, &want, sizeof(got));
		free(r);
	}
}

static void empty_classifier(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_key k, wc;

	(void)state;
	assert_non_null(cls);
	ipv4_packet(&k, 0x0a000001);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(popcount_key_field(&wc, sizeof(wc)), 0);
	assert_int_equal(fl_cls_count(cls), 0);
	assert_int_equal(fl_cls_n_subtables(cls), 0);
	fl_cls_destroy(cls);
}

static void insert_find_remove(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r[4];
	struct fl_match m;
	struct fl_key k;
	size_t base = fl_cls_memory(cls);

	(void)state;
	match_nw_dst(&m, 0x0a000000, 8);
	r[0] = rule_new(&m, 10, 0);
	r[1] = rule_new(&m, 20, 0); /* same match, higher priority */
	match_nw_dst(&m, 0x0a010203, 32);
	r[2] = rule_new(&m, 5, 0);
	fl_match_init_catchall(&m);
	r[3] = rule_new(&m, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fl_cls_insert(cls, r[i]), 0);
	assert_int_equal(fl_cls_count(cls), 4);
	assert_int_equal(fl_cls_n_subtables(cls), 3);

	ipv4_packet(&k, 0x0a010203);
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r[1]);
	ipv4_packet(&k, 0x0b010203);
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r[3]);

	match_nw_dst(&m, 0x0a0000ff, 8); /* normalized by find */
	assert_ptr_equal(fl_cls_find_exactly(cls, &m, 10, 0), r[0]);
	assert_ptr_equal(fl_cls_find_exactly(cls, &m, 20, FL_CLS_VERSION_ANY), r[1]);
	assert_null(fl_cls_find_exactly(cls, &m, 15, 0));
	match_nw_dst(&m, 0x0a000000, 16);
	assert_null(fl_cls_find_exactly(cls, &m, 10, 0));

	fl_cls_remove(cls, r[1]);
	ipv4_packet(&k, 0x0a010203);
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r[0]);
	fl_cls_remove(cls, r[0]);
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, NULL), r[2]);
	assert_int_equal(fl_cls_n_subtables(cls), 2);
	fl_cls_remove(cls, r[2]);
	fl_cls_remove(cls, r[3]);
	fl_cls_remove(cls, r[3]); /* not inserted: nothing */
	assert_int_equal(fl_cls_count(cls), 0);
	assert_int_equal(fl_cls_n_subtables(cls), 0);
	assert_null(fl_cls_lookup(cls, 0, &k, NULL));
	/* only the (bigger) mask map stays */
	assert_true(fl_cls_memory(cls) <= base + 256);
	fl_cls_destroy(cls);
	rules_free_all();
}

static void duplicates_and_versions(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *old, *new, *dup;
	struct fl_match m;
	struct fl_key k;

	(void)state;
	match_nw_dst(&m, 0x0a000000, 8);
	old = rule_new(&m, 10, 1);
	assert_int_equal(fl_cls_insert(cls, old), 0);
	dup = rule_new(&m, 10, 0);
	assert_int_equal(fl_cls_insert(cls, dup), -EEXIST);
	assert_int_equal(fl_cls_count(cls), 1);

	/* A modify: the old rule goes at version 3, its replacement comes. */
	fl_cls_rule_set_remove_version(old, 3);
	new = rule_new(&m, 10, 3);
	assert_int_equal(fl_cls_insert(cls, new), 0);
	ipv4_packet(&k, 0x0a0a0a0a);
	assert_null(fl_cls_lookup(cls, 0, &k, NULL));
	assert_ptr_equal(fl_cls_lookup(cls, 1, &k, NULL), old);
	assert_ptr_equal(fl_cls_lookup(cls, 2, &k, NULL), old);
	assert_ptr_equal(fl_cls_lookup(cls, 3, &k, NULL), new);
	assert_ptr_equal(fl_cls_lookup(cls, FL_CLS_VERSION_LATEST, &k, NULL), new);
	assert_ptr_equal(fl_cls_find_exactly(cls, &m, 10, 2), old);
	assert_ptr_equal(fl_cls_find_exactly(cls, &m, 10, 3), new);
	/* rolled back: both visible from 3 on would overlap, so a third
	 * copy still conflicts with one of them */
	dup = rule_new(&m, 10, 5);
	assert_int_equal(fl_cls_insert(cls, dup), -EEXIST);
	fl_cls_remove(cls, old);
	assert_ptr_equal(fl_cls_lookup(cls, 2, &k, NULL), NULL);
	fl_cls_remove(cls, new);
	fl_cls_destroy(cls);
	rules_free_all();
}

static void same_value_priority_list(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r[40];
	struct fl_match m;
	struct fl_key k;
	unsigned i, order[40];

	(void)state;
	rng_seed(11);
	match_nw_dst(&m, 0x0a000000, 8);
	for (i = 0; i < 40; i++)
		order[i] = i;
	for (i = 39; i > 0; i--) {
		unsigned j = rnd(i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* priorities x / 2, each twice: the even rule visible at version 0
	 * only, the odd one from version 1 (a modified flow, 20 times over) */
	for (i = 0; i < 40; i++) {
		unsigned x = order[i];

		r[x] = rule_new(&m, (int)(x / 2), x % 2);
		if (x % 2 == 0)
			fl_cls_rule_set_remove_version(r[x], 1);
		assert_int_equal(fl_cls_insert(cls, r[x]), 0);
	}
	assert_int_equal(fl_cls_n_subtables(cls), 1);
	ipv4_packet(&k, 0x0a000001);
	for (i = 40; i > 0; i -= 2) {
		const struct fl_cls_rule *got0 = fl_cls_lookup(cls, 0, &k, NULL);
		const struct fl_cls_rule *got1 = fl_cls_lookup(cls, 1, &k, NULL);

		assert_ptr_equal(got0, r[i - 2]);
		assert_ptr_equal(got1, r[i - 1]);
		fl_cls_remove(cls, r[i - 1]);
		fl_cls_remove(cls, r[i - 2]);
	}
	assert_int_equal(fl_cls_n_subtables(cls), 0);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* ---- iteration ---- */

static unsigned count_cursor(struct fl_classifier *cls, const struct fl_match *target, int prio,
			     bool strict, uint64_t version)
{
	struct fl_cls_cursor cur;
	struct fl_cls_rule *r;
	unsigned n = 0;

	fl_cls_cursor_init(&cur, cls, target, prio, strict, version);
	FL_CLS_FOR_EACH(r, &cur)
		n++;
	return n;
}

static bool loose_match(const struct fl_match *t, const struct fl_cls_rule *r)
{
	const uint64_t *tm = fl_key_words(&t->mask), *tv = fl_key_words(&t->value);
	const uint64_t *rm = fl_key_words(&rule_match(r)->mask);
	const uint64_t *rv = fl_key_words(&rule_match(r)->value);
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		if ((rm[i] & tm[i]) != tm[i] || (rv[i] & tm[i]) != tv[i])
			return false;
	return true;
}

static bool visible_any(const struct fl_cls_rule *r, uint64_t v)
{
	return v == FL_CLS_VERSION_ANY || fl_cls_rule_visible(r, v);
}

static void iterate_loose_strict(void **state)
{
	struct world w;
	unsigned round, i, cases = 0;

	(void)state;
	rng_seed(21);
	for (round = 0; round < 30 * SCALE; round++) {
		world_init(&w, 300, 2 + rnd(8), F_ALL);
		world_fill(&w, 300, true);
		for (i = 0; i < 40; i++) {
			const struct fl_cls_rule *src = w.ref.rules[rnd(w.ref.n)];
			uint64_t v = rnd(4) ? rnd(9) : FL_CLS_VERSION_ANY;
			struct fl_match t = *rule_match(src);
			unsigned want_loose = 0, want_strict = 0, j;

			/* loosen the target: drop some mask words */
			if (rnd(2))
				for (j = 0; j < FL_KEY_WORDS; j++)
					if (rnd(3) == 0)
						kwords(&t.mask)[j] = 0;
			fl_match_normalize(&t);
			for (j = 0; j < w.ref.n; j++) {
				const struct fl_cls_rule *r = w.ref.rules[j];

				if (!visible_any(r, v))
					continue;
				want_loose += loose_match(&t, r);
				want_strict += r->priority == src->priority &&
					       fl_match_equal(&t, rule_match(r));
			}
			assert_int_equal(count_cursor(w.cls, &t, 0, false, v), want_loose);
			assert_int_equal(count_cursor(w.cls, &t, src->priority, true, v),
					 want_strict);
			cases++;
		}
		assert_int_equal(count_cursor(w.cls, NULL, 0, false, FL_CLS_VERSION_ANY), w.ref.n);
		world_free(&w);
	}
	assert_true(cases >= 1000);
}

static void iterate_and_remove(void **state)
{
	struct world w;
	struct fl_cls_cursor cur;
	struct fl_cls_rule *r;
	struct fl_match t;
	unsigned round, removed, left;

	(void)state;
	rng_seed(22);
	for (round = 0; round < 20 * SCALE; round++) {
		world_init(&w, 400, 2 + rnd(10), F_ALL);
		world_fill(&w, 400, true);
		/* delete everything loosely matching a target, as a flow-mod */
		memset(&t, 0, sizeof(t));
		if (rnd(2)) {
			t.mask.dl_type = 0xffff;
			t.value.dl_type = fl_htons(0x0800);
		}
		removed = 0;
		fl_cls_cursor_init(&cur, w.cls, &t, 0, false, FL_CLS_VERSION_ANY);
		FL_CLS_FOR_EACH(r, &cur) {
			assert_true(loose_match(&t, r));
			fl_cls_remove(w.cls, r);
			removed++;
		}
		left = 0;
		for (unsigned j = 0; j < w.ref.n; j++)
			left += !loose_match(&t, w.ref.rules[j]);
		assert_int_equal(fl_cls_count(w.cls), left);
		assert_int_equal(removed + left, w.ref.n);
		for (unsigned j = w.ref.n; j-- > 0;)
			if (!fl_cls_rule_is_inserted(w.ref.rules[j]))
				ref_del(&w.ref, j);
		for (unsigned j = 0; j < 50; j++) {
			struct fl_key k;

			world_packet(&w, &k);
			check_lookup(&w, rnd(9), &k, NULL);
		}
		world_free(&w);
	}
}

/* ---- against the reference ---- */

static void random_vs_reference(unsigned prefixes, uint64_t seed)
{
	struct world w;
	unsigned round, step, i, cases = 0;

	rng_seed(seed);
	for (round = 0; round < 25 * SCALE; round++) {
		world_init(&w, 600, 1 + rnd(12), F_ALL);
		assert_int_equal(fl_cls_set_prefixes(w.cls, prefixes), 0);
		for (step = 0; step < 6; step++) {
			world_fill(&w, 100, true);
			for (i = 0; i < 60; i++) {
				struct fl_key k;

				world_packet(&w, &k);
				check_lookup(&w, rnd(9), &k, NULL);
				cases++;
			}
			world_remove_random(&w, rnd(60));
		}
		world_free(&w);
	}
	assert_true(cases >= 5000);
}

static void random_vs_reference_tries(void **state)
{
	(void)state;
	random_vs_reference(FL_CLS_PREFIX_ALL, 31);
}

static void random_vs_reference_no_tries(void **state)
{
	(void)state;
	random_vs_reference(0, 32);
}

static void megaflow_invariant(unsigned prefixes, uint64_t seed, unsigned allowed)
{
	struct world w;
	unsigned round, step, i, checked = 0;

	rng_seed(seed);
	for (round = 0; round < 15 * SCALE; round++) {
		world_init(&w, 400, 1 + rnd(10), allowed);
		assert_int_equal(fl_cls_set_prefixes(w.cls, prefixes), 0);
		for (step = 0; step < 4; step++) {
			world_fill(&w, 100, true);
			for (i = 0; i < 30; i++) {
				struct fl_key p;

				world_packet(&w, &p);
				checked += check_megaflow(&w, rnd(9), &p, 8);
			}
			world_remove_random(&w, rnd(50));
		}
		world_free(&w);
	}
	assert_true(checked >= 10000);
}

static void megaflow_invariant_tries(void **state)
{
	(void)state;
	megaflow_invariant(FL_CLS_PREFIX_ALL, 41, F_ALL);
}

static void megaflow_invariant_no_tries(void **state)
{
	(void)state;
	megaflow_invariant(0, 42, F_ALL);
}

/* Address-heavy rule sets: where the tries do most of the work. */
static void megaflow_invariant_prefixes(void **state)
{
	(void)state;
	megaflow_invariant(FL_CLS_PREFIX_ALL, 43,
			   F_NW_SRC | F_NW_DST | F_IP6_SRC | F_IP6_DST | F_TP_DST | F_DL_TYPE);
}

/* Port-heavy rule sets: where the ports tries do most of the work, with
 * the address tries on, and off (ports tries alone). */
static void megaflow_invariant_ports(void **state)
{
	const unsigned allowed = F_TP_SRC | F_TP_DST | F_NW_PROTO | F_DL_TYPE | F_NW_SRC |
				 F_NW_DST | F_IN_PORT;

	(void)state;
	wide_ports = true;
	megaflow_invariant(FL_CLS_PREFIX_ALL, 44, allowed);
	megaflow_invariant(FL_CLS_PREFIX_PORTS, 45, allowed);
	megaflow_invariant(FL_CLS_PREFIX_ALL, 46, F_TP_SRC | F_TP_DST);
	wide_ports = false;
}

/* flowlane-bench's ACL in small: ten masks over IPv4/UDP (nw_src /16 /24,
 * nw_dst /20 /24 /28, exact ports, nw_src/16 with tp_dst, nw_dst/16 with
 * tp_dst/0xff00, in_port with nw_dst/24), random priorities, values from
 * narrow pools so packets run along them; rules are replaced between
 * rounds of packets, which leaves the priority bounds stale. Q is P with
 * bits flipped where P's wildcards are 0 — exactly the bits the narrowing
 * claims do not matter — or P's wildcarded bits over another packet. */
static void acl_packet(struct fl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1 + rnd(2);
	k->dl_type = fl_htons(0x0800);
	k->nw_proto = 17;
	k->nw_src = fl_htonl(0x0a000000 | rnd(16) << 16 | (uint32_t)rng() >> (16 + rnd(3)));
	k->nw_dst = fl_htonl(0xac100000 | rnd(4) << 16 | (uint32_t)rng() >> (16 + rnd(3)));
	k->tp_src = fl_htons((uint16_t)(1000 + rnd(64)));
	k->tp_dst = fl_htons((uint16_t)(rnd(2) ? 1000 + rnd(64) : rng()));
}

static struct fl_cls_rule *acl_rule(void)
{
	static const uint8_t shapes[10][4] = {
		/* nw_src len, nw_dst len, ports (1 src, 2 dst, 3 dst/0xff00), in_port */
		{16, 0, 0, 0}, {24, 0, 0, 0}, {0, 20, 0, 0}, {0, 24, 0, 0}, {0, 0, 2, 0},
		{0, 0, 1, 0},  {16, 0, 2, 0}, {0, 16, 3, 0}, {0, 28, 0, 0}, {0, 24, 0, 1},
	};
	const uint8_t *sh = shapes[rnd(10)];
	struct fl_match m;

	memset(&m, 0, sizeof(m));
	acl_packet(&m.value);
	m.mask.dl_type = 0xffff;
	m.mask.nw_proto = 0xff;
	set_be32_prefix(&m.mask.nw_src, sh[0]);
	set_be32_prefix(&m.mask.nw_dst, sh[1]);
	if (sh[2] == 1)
		m.mask.tp_src = 0xffff;
	if (sh[2] == 2)
		m.mask.tp_dst = 0xffff;
	if (sh[2] == 3)
		m.mask.tp_dst = fl_htons(0xff00);
	if (sh[3])
		m.mask.in_port = ~0u;
	fl_match_normalize(&m);
	return rule_new(&m, 100 + (int)rnd(900), 0);
}

static void flip_outside(struct fl_key *q, const struct fl_key *wc)
{
	static const uint8_t fields[][2] = {
		{offsetof(struct fl_key, nw_src), 4}, {offsetof(struct fl_key, nw_dst), 4},
		{offsetof(struct fl_key, tp_src), 2}, {offsetof(struct fl_key, tp_dst), 2},
		{offsetof(struct fl_key, in_port), 4},
	};
	unsigned n, tries;

	for (n = 1 + rnd(3); n; n--) {
		for (tries = 0; tries < 20; tries++) {
			const uint8_t *f = fields[rnd(5)];
			unsigned byte = f[0] + rnd(f[1]), bit = 1u << rnd(8);

			if (!(((const uint8_t *)wc)[byte] & bit)) {
				((uint8_t *)q)[byte] ^= (uint8_t)bit;
				break;
			}
		}
	}
}

static void megaflow_invariant_acl(void **state)
{
	struct world w;
	unsigned round, step, i, j, checked = 0, narrow = 0;

	(void)state;
	rng_seed(47);
	for (round = 0; round < 4 * SCALE; round++) {
		struct fl_cls_rule *any;
		struct fl_match m;

		world_init(&w, 1200, 1, F_ALL);
		if (round % 2)
			assert_int_equal(fl_cls_set_prefixes(w.cls, FL_CLS_PREFIX_PORTS), 0);
		fl_match_init_catchall(&m);
		any = rule_new(&m, 0, 0);
		if (round % 3) {
			assert_int_equal(fl_cls_insert(w.cls, any), 0);
			ref_add(&w.ref, any);
		}
		for (step = 0; step < 4; step++) {
			for (i = 0; i < 250 && w.used < w.n_pool; i++)
				if (world_insert(&w, acl_rule()))
					w.used++;
			for (i = 0; i < 150; i++) {
				const struct fl_cls_rule *win;
				struct fl_key p, q, wc;
				int want;

				acl_packet(&p);
				memset(&wc, 0, sizeof(wc));
				want = check_lookup(&w, 0, &p, &wc);
				win = fl_cls_lookup(w.cls, 0, &p, NULL);
				narrow += popcount_key_field(&wc.tp_dst, 2) < 16;
				for (j = 0; j < 12; j++) {
					const uint64_t *pw = fl_key_words(&p), *ww = fl_key_words(&wc);
					uint64_t *qw = kwords(&q);
					unsigned x;

					if (j % 3) {
						q = p;
						flip_outside(&q, &wc);
					} else {
						acl_packet(&q);
						for (x = 0; x < FL_KEY_WORDS; x++)
							qw[x] = (pw[x] & ww[x]) | (qw[x] & ~ww[x]);
					}
					if (ref_lookup(&w.ref, 0, &q) != want)
						fail_msg("ACL megaflow invariant broken: P prio %d, Q prio %d",
							 want, ref_lookup(&w.ref, 0, &q));
					/* Stronger than the contract: the same rule even
					 * where rules of P's priority tie, since Q's
					 * lookup visits what P's did in the same order. */
					assert_ptr_equal(fl_cls_lookup(w.cls, 0, &q, NULL), win);
					checked++;
				}
			}
			/* replace rules: removals leave bounds high */
			for (i = 0; i < 100 && w.ref.n > 1; i++) {
				unsigned x = rnd(w.ref.n);

				if (w.ref.rules[x] == any)
					continue;
				fl_cls_remove(w.cls, w.ref.rules[x]);
				ref_del(&w.ref, x);
			}
		}
		if (fl_cls_rule_is_inserted(any))
			fl_cls_remove(w.cls, any);
		world_free(&w);
	}
	assert_true(checked >= 20000);
	assert_true(narrow > 0);
}

/* ---- wildcard narrowing ---- */

static unsigned nw_dst_bits(const struct fl_key *wc)
{
	return popcount_key_field(&wc->nw_dst, 4);
}

static void trie_narrows_ipv4(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r8, *r32, *any;
	struct fl_match m;
	struct fl_key k, wc;

	(void)state;
	match_nw_dst(&m, 0x0a000000, 8);
	r8 = rule_new(&m, 10, 0);
	assert_int_equal(fl_cls_insert(cls, r8), 0);

	/* 192.168.1.1 vs 10/8: differs in the first bit */
	ipv4_packet(&k, 0xc0a80101);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_true(nw_dst_bits(&wc) <= 9);
	assert_int_equal(nw_dst_bits(&wc), 8) /* 1 bit decides, rounded to the grain of 8 */;
	/* 11.0.0.1: agrees on 7 bits, 8th differs */
	ipv4_packet(&k, 0x0b000001);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(nw_dst_bits(&wc), 8);
	/* a hit: the subtable's mask */
	ipv4_packet(&k, 0x0a7f0001);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), r8);
	assert_int_equal(nw_dst_bits(&wc), 8);
	assert_int_equal(wc.dl_type, 0xffff);
	fl_cls_remove(cls, r8);

	/* a /32 above a catch-all: a miss costs a few bits, not 32 */
	match_nw_dst(&m, 0x0a010203, 32);
	r32 = rule_new(&m, 10, 0);
	fl_match_init_catchall(&m);
	any = rule_new(&m, 0, 0);
	assert_int_equal(fl_cls_insert(cls, r32), 0);
	assert_int_equal(fl_cls_insert(cls, any), 0);
	ipv4_packet(&k, 0xc0a80101);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(nw_dst_bits(&wc), 8);
	ipv4_packet(&k, 0x0a010303); /* agrees on 23 bits */
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(nw_dst_bits(&wc), 24);

	/* without tries, the whole /32 */
	assert_int_equal(fl_cls_set_prefixes(cls, 0), 0);
	ipv4_packet(&k, 0xc0a80101);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(nw_dst_bits(&wc), 32);
	/* back on: rebuilt from the rules */
	assert_int_equal(fl_cls_set_prefixes(cls, FL_CLS_PREFIX_NW_DST), 0);
	assert_int_equal(fl_cls_get_prefixes(cls), FL_CLS_PREFIX_NW_DST);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(nw_dst_bits(&wc), 8);
	assert_int_equal(fl_cls_set_prefixes(cls, 1u << 7), -EINVAL);
	fl_cls_remove(cls, r32);
	fl_cls_remove(cls, any);
	fl_cls_destroy(cls);
	rules_free_all();
}

static void trie_narrows_ipv6(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r[3];
	struct fl_match m;
	struct fl_key k, wc;
	static const unsigned lens[3] = {48, 64, 128};
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		set_bytes_prefix(m.mask.ipv6_dst, 16, lens[i]);
		m.value.ipv6_dst[0] = 0x20;
		m.value.ipv6_dst[1] = 0x01;
		m.value.ipv6_dst[2] = 0x0d;
		m.value.ipv6_dst[3] = 0xb8;
		m.value.ipv6_dst[15] = 1;
		fl_match_normalize(&m);
		r[i] = rule_new(&m, 10 + (int)i, 0);
		assert_int_equal(fl_cls_insert(cls, r[i]), 0);
	}
	memset(&k, 0, sizeof(k));
	k.ipv6_dst[0] = 0xfe;
	k.ipv6_dst[1] = 0x80;
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(popcount_key_field(wc.ipv6_dst, 16), 8);
	/* 2001:db8::2: runs the whole /64 and 126 bits of the /128 */
	memcpy(k.ipv6_dst, rule_match(r[2])->value.ipv6_dst, 16);
	k.ipv6_dst[15] = 2;
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), r[1]);
	assert_int_equal(popcount_key_field(wc.ipv6_dst, 16), 128); /* 127, rounded */
	for (i = 0; i < 3; i++)
		fl_cls_remove(cls, r[i]);
	fl_cls_destroy(cls);
	rules_free_all();
}

static unsigned port_bits(fl_be16 p)
{
	return (unsigned)__builtin_popcount(p);
}

static void match_ports(struct fl_match *m, uint16_t src, uint16_t src_mask, uint16_t dst,
			uint16_t dst_mask)
{
	memset(m, 0, sizeof(*m));
	m->mask.tp_src = fl_htons(src_mask);
	m->value.tp_src = fl_htons(src);
	m->mask.tp_dst = fl_htons(dst_mask);
	m->value.tp_dst = fl_htons(dst);
	fl_match_normalize(m);
}

static void ports_trie_narrows(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r80, *r443, *rsrc, *any, *r16;
	struct fl_match m;
	struct fl_key k, wc;

	(void)state;
	/* one rule tp_dst=80; P.tp_dst = 12345 (0x3039) parts from 80 (0x0050)
	 * at the third bit: a few high bits of tp_dst (rounded up to a grain
	 * of 8), no tp_src bits, not all 16 */
	match_ports(&m, 0, 0, 80, 0xffff);
	r80 = rule_new(&m, 10, 0);
	assert_int_equal(fl_cls_insert(cls, r80), 0);
	ipv4_packet(&k, 0x0a000001);
	k.tp_src = fl_htons(40000);
	k.tp_dst = fl_htons(12345);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
	assert_int_equal(wc.tp_src, 0);
	assert_int_equal(wc.nw_dst, 0);
	/* 81 runs along 80 for 15 bits: all 16 */
	k.tp_dst = fl_htons(81);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(wc.tp_dst, 0xffff);
	/* a hit: the mask */
	k.tp_dst = fl_htons(80);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), r80);
	assert_int_equal(wc.tp_dst, 0xffff);

	/* 443 (0x01bb) joins: 12345 still leaves at bit 2, 0x0200 at bit 6 */
	match_ports(&m, 0, 0, 443, 0xffff);
	r443 = rule_new(&m, 10, 0);
	assert_int_equal(fl_cls_insert(cls, r443), 0);
	k.tp_dst = fl_htons(12345);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
	k.tp_dst = fl_htons(0x0200);
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);

	/* both ports in one mask, tp_dst by prefix: one walk of 24 bits */
	match_ports(&m, 53, 0xffff, 0x1200, 0xff00);
	rsrc = rule_new(&m, 20, 0);
	assert_int_equal(fl_cls_insert(cls, rsrc), 0);
	k.tp_src = fl_htons(53);
	k.tp_dst = fl_htons(0x1300); /* src runs along, dst parts at bit 7 */
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(wc.tp_src, 0xffff);
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
	k.tp_src = fl_htons(0x8035); /* src parts at bit 0 */
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(fl_ntohs(wc.tp_src), 0xff00);
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00); /* from the tp_dst subtable */

	/* behind the L3 stage: nw_src/16 + tp_dst, address tries off, P
	 * agrees on nw_src (the L3 stage passes) and misses on the port */
	assert_int_equal(fl_cls_set_prefixes(cls, FL_CLS_PREFIX_PORTS), 0);
	fl_cls_remove(cls, rsrc);
	memset(&m, 0, sizeof(m));
	m.mask.dl_type = 0xffff;
	m.value.dl_type = fl_htons(0x0800);
	set_be32_prefix(&m.mask.nw_src, 16);
	m.value.nw_src = fl_htonl(0x01020000);
	m.mask.tp_dst = 0xffff;
	m.value.tp_dst = fl_htons(22);
	fl_match_normalize(&m);
	r16 = rule_new(&m, 30, 0);
	assert_int_equal(fl_cls_insert(cls, r16), 0);
	fl_match_init_catchall(&m);
	any = rule_new(&m, 0, 0);
	assert_int_equal(fl_cls_insert(cls, any), 0);
	k.tp_src = fl_htons(40000);
	k.tp_dst = fl_htons(0x8000 | 22);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(wc.nw_src, 0);
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
	assert_int_equal(wc.tp_src, 0);
	/* P misses in the L3 stage: the ports trie is not asked there (no
	 * address trie either: the stage's bits); tp_dst bits only from the
	 * tp_dst subtable */
	k.nw_src = fl_htonl(0x01030000);
	k.tp_dst = fl_htons(0x4000);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(fl_ntohl(wc.nw_src), 0xffff0000);
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);

	/* ports tries off: whole masks; back on: rebuilt from the rules */
	assert_int_equal(fl_cls_set_prefixes(cls, 0), 0);
	k.nw_src = fl_htonl(0x01020304);
	k.tp_dst = fl_htons(12345);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_int_equal(wc.tp_dst, 0xffff);
	assert_int_equal(fl_cls_set_prefixes(cls, FL_CLS_PREFIX_ALL), 0);
	assert_int_equal(fl_cls_get_prefixes(cls), FL_CLS_PREFIX_ALL);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
	assert_true(port_bits(wc.tp_dst) <= 8);
	assert_int_equal(wc.tp_src, 0);
	assert_true(fl_cls_memory(cls) > 0);

	fl_cls_remove(cls, r80);
	fl_cls_remove(cls, r443);
	fl_cls_remove(cls, r16);
	fl_cls_remove(cls, any);
	assert_int_equal(fl_cls_n_subtables(cls), 0);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* A subtable over in_port, nw_dst and tp_dst that P misses on in_port adds
 * only the in_port bits; a stop by priority adds nothing of what follows. */
static void staged_and_priority_narrowing(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *a, *b;
	struct fl_match m;
	struct fl_key k, wc;

	(void)state;
	assert_int_equal(fl_cls_set_prefixes(cls, 0), 0);
	memset(&m, 0, sizeof(m));
	m.mask.in_port = ~0u;
	m.value.in_port = 1;
	m.mask.nw_dst = ~0u;
	m.value.nw_dst = fl_htonl(0x0a000001);
	m.mask.tp_dst = 0xffff;
	m.value.tp_dst = fl_htons(80);
	a = rule_new(&m, 100, 0);
	assert_int_equal(fl_cls_insert(cls, a), 0);
	memset(&m, 0, sizeof(m));
	m.mask.tp_src = 0xffff;
	m.value.tp_src = fl_htons(53);
	b = rule_new(&m, 50, 0);
	assert_int_equal(fl_cls_insert(cls, b), 0);

	ipv4_packet(&k, 0x0a000001);
	k.in_port = 2;
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(wc.in_port, ~0u);
	assert_int_equal(wc.nw_dst, 0);
	assert_int_equal(wc.tp_dst, 0);
	assert_int_equal(wc.tp_src, 0xffff); /* b's subtable was probed */

	k.in_port = 1;
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), a);
	assert_int_equal(wc.nw_dst, ~0u);
	assert_int_equal(wc.tp_dst, 0xffff);
	assert_int_equal(wc.tp_src, 0); /* 50 < 100: never visited */

	/* a drops below b: b's subtable first now */
	fl_cls_remove(cls, a);
	m = *rule_match(a);
	a = rule_new(&m, 10, 0);
	assert_int_equal(fl_cls_insert(cls, a), 0);
	k.tp_src = fl_htons(53);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), b);
	assert_int_equal(wc.in_port, 0);
	fl_cls_remove(cls, a);
	fl_cls_remove(cls, b);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* Rules below the winner's priority cost no wildcards. The nw_src/16 +
 * tp_dst subtable holds 130.9/16 at 200 (so it is visited first) and
 * 10.1/16 at 10; P (10.1.2.3, tp_src 53) wins the tp_src rule at 100. The
 * stage index says every rule agreeing with P on nw_src/16 is below 100, so
 * the subtable costs no tp_dst bits (one pass looking at all rules had to
 * rule out tp_dst 80 and 22: 8 bits); with the nw_src trie, not even all of
 * nw_src/16: 10.1/16 and 130.9/16 part at bit 0, and 10.1/16's side holds
 * nothing >= 100. */
static void priority_bounds_narrow(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *a_hi, *a_lo, *a_lo2, *b, *any;
	struct fl_match m;
	struct fl_key k, wc;
	unsigned prefixes;

	(void)state;
	for (prefixes = 0; prefixes < 2; prefixes++) {
		assert_int_equal(fl_cls_set_prefixes(cls, prefixes ? FL_CLS_PREFIX_ALL
							 : FL_CLS_PREFIX_PORTS), 0);
		memset(&m, 0, sizeof(m));
		m.mask.dl_type = 0xffff;
		m.value.dl_type = fl_htons(0x0800);
		set_be32_prefix(&m.mask.nw_src, 16);
		m.value.nw_src = fl_htonl(0x82090000);
		m.mask.tp_dst = 0xffff;
		m.value.tp_dst = fl_htons(22);
		a_hi = rule_new(&m, 200, 0);
		assert_int_equal(fl_cls_insert(cls, a_hi), 0);
		m.value.nw_src = fl_htonl(0x0a010000);
		m.value.tp_dst = fl_htons(80);
		a_lo = rule_new(&m, 10, 0);
		assert_int_equal(fl_cls_insert(cls, a_lo), 0);
		match_ports(&m, 53, 0xffff, 0, 0);
		b = rule_new(&m, 100, 0);
		assert_int_equal(fl_cls_insert(cls, b), 0);
		fl_match_init_catchall(&m);
		any = rule_new(&m, 0, 0);
		assert_int_equal(fl_cls_insert(cls, any), 0);

		ipv4_packet(&k, 0xc0a80101);
		k.nw_src = fl_htonl(0x0a010203);
		k.tp_src = fl_htons(53);
		k.tp_dst = fl_htons(443);
		memset(&wc, 0, sizeof(wc));
		assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), b);
		assert_int_equal(wc.tp_dst, 0);
		assert_int_equal(wc.tp_src, 0xffff);
		if (prefixes)
			assert_true(popcount_key_field(&wc.nw_src, 4) <= 8);
		else
			assert_int_equal(fl_ntohl(wc.nw_src), 0xffff0000);
		/* P off tp_src 53: the catch-all wins and every rule counts;
		 * the ports trie rules out 22 and 80 on tp_dst alone */
		k.tp_src = fl_htons(54);
		memset(&wc, 0, sizeof(wc));
		assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), any);
		assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
		assert_int_equal(wc.nw_src, 0);

		/* A stale bound after a removal only costs bits: the value
		 * of a_lo gets a rule at 150 and one at 10, the 150 goes; the
		 * bound stays 150 and P pays for the L4 stage again. */
		fl_cls_remove(cls, a_lo);
		m = *rule_match(a_lo);
		a_lo = rule_new(&m, 150, 0);
		assert_int_equal(fl_cls_insert(cls, a_lo), 0);
		a_lo2 = rule_new(&m, 10, 0);
		assert_int_equal(fl_cls_insert(cls, a_lo2), 0);
		fl_cls_remove(cls, a_lo);
		k.tp_src = fl_htons(53);
		memset(&wc, 0, sizeof(wc));
		assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), b);
		assert_true(wc.tp_dst != 0);
		fl_cls_remove(cls, a_lo2);
		fl_cls_remove(cls, any);
		fl_cls_remove(cls, a_hi);
		fl_cls_remove(cls, b);
		assert_int_equal(fl_cls_n_subtables(cls), 0);
	}
	fl_cls_destroy(cls);
	rules_free_all();
}

/* The ports trie ignores ports whose rules cannot beat the winner: tp_dst
 * 80 at 5 and 443 at 300 in one subtable, the winner at 100 elsewhere. P's
 * 81 runs along 80 for 15 bits; against 443 alone it parts at bit 7. */
static void priority_bounds_ports(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r80, *r443, *win;
	struct fl_match m;
	struct fl_key k, wc;

	(void)state;
	match_ports(&m, 0, 0, 80, 0xffff);
	r80 = rule_new(&m, 5, 0);
	assert_int_equal(fl_cls_insert(cls, r80), 0);
	match_ports(&m, 0, 0, 443, 0xffff);
	r443 = rule_new(&m, 300, 0);
	assert_int_equal(fl_cls_insert(cls, r443), 0);
	memset(&m, 0, sizeof(m));
	m.mask.in_port = ~0u;
	m.value.in_port = 1;
	win = rule_new(&m, 100, 0);
	assert_int_equal(fl_cls_insert(cls, win), 0);

	memset(&k, 0, sizeof(k));
	k.in_port = 1;
	k.tp_dst = fl_htons(81);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), win);
	assert_int_equal(fl_ntohs(wc.tp_dst), 0xff00);
	/* in_port 2: nothing wins, 80 counts again: all 16 bits */
	k.in_port = 2;
	memset(&wc, 0, sizeof(wc));
	assert_null(fl_cls_lookup(cls, 0, &k, &wc));
	assert_int_equal(wc.tp_dst, 0xffff);
	fl_cls_remove(cls, r80);
	fl_cls_remove(cls, r443);
	fl_cls_remove(cls, win);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* A /24 subtable's miss is proven where the key's path enters a subtree
 * without /24 prefixes, not where it leaves the trie: 10.1.0.0/16 (a value
 * of another subtable) and 10.2.3.0/24 part at bit 14, so P = 10.1.5.6
 * needs 15 bits against the /24s, not the 17 of running down the /16 (20
 * and 24 after rounding, more than the /16 winner's own 16). */
static void length_summary_narrows(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct fl_cls_rule *r16, *r24;
	struct fl_match m;
	struct fl_key k, wc;

	(void)state;
	memset(&m, 0, sizeof(m));
	set_be32_prefix(&m.mask.nw_src, 24);
	m.value.nw_src = fl_htonl(0x0a020300);
	r24 = rule_new(&m, 60, 0);
	assert_int_equal(fl_cls_insert(cls, r24), 0);
	set_be32_prefix(&m.mask.nw_src, 16);
	m.value.nw_src = fl_htonl(0x0a010000);
	r16 = rule_new(&m, 50, 0);
	assert_int_equal(fl_cls_insert(cls, r16), 0);

	memset(&k, 0, sizeof(k));
	k.nw_src = fl_htonl(0x0a010506);
	memset(&wc, 0, sizeof(wc));
	assert_ptr_equal(fl_cls_lookup(cls, 0, &k, &wc), r16);
	assert_int_equal(fl_ntohl(wc.nw_src), 0xffff0000);
	fl_cls_remove(cls, r16);
	fl_cls_remove(cls, r24);
	fl_cls_destroy(cls);
	rules_free_all();
}

/* ---- subtable lifecycle and order ---- */

static void many_masks_lifecycle(void **state)
{
	struct world w;
	unsigned round, i;
	size_t base;

	(void)state;
	rng_seed(51);
	for (round = 0; round < 6 * SCALE; round++) {
		struct fl_classifier *cls = fl_cls_create();
		struct ref ref = {0};

		base = fl_cls_memory(cls);
		if (round % 2)
			fl_cls_defer(cls);
		/* 500 rules, up to 500 masks: every rule its own nw_src/nw_dst
		 * prefix-length pair and port mask */
		for (i = 0; i < 500; i++) {
			struct fl_cls_rule *r;
			struct fl_match m;

			memset(&m, 0, sizeof(m));
			set_be32_prefix(&m.mask.nw_src, 1 + rnd(32));
			set_be32_prefix(&m.mask.nw_dst, 1 + rnd(32));
			m.mask.tp_dst = rnd(2) ? 0xffff : 0;
			random_packet(&m.value);
			fl_match_normalize(&m);
			r = rule_new(&m, (int)rnd(1000), 0);
			if (fl_cls_insert(cls, r) == 0)
				ref_add(&ref, r);
		}
		if (round % 2)
			fl_cls_publish(cls);
		assert_true(fl_cls_n_subtables(cls) > 200);
		w.cls = cls;
		w.ref = ref;
		/* wildcards over hundreds of subtables: more than a lookup
		 * keeps its first-pass probes for */
		for (i = 0; i < 40; i++) {
			struct fl_key k;

			world_packet(&w, &k);
			check_megaflow(&w, 0, &k, 8);
		}
		/* remove in descending priority: every removal takes a max */
		while (ref.n) {
			unsigned best = 0;

			for (i = 1; i < ref.n; i++)
				if (ref.rules[i]->priority > ref.rules[best]->priority)
					best = i;
			fl_cls_remove(cls, ref.rules[best]);
			ref_del(&ref, best);
			w.ref = ref;
			if (ref.n % 7 == 0) {
				for (i = 0; i < 10; i++) {
					struct fl_key k;

					world_packet(&w, &k);
					check_lookup(&w, 0, &k, NULL);
				}
			}
		}
		assert_int_equal(fl_cls_n_subtables(cls), 0);
		assert_int_equal(fl_cls_count(cls), 0);
		assert_true(fl_cls_memory(cls) <= base + 1024 * sizeof(void *));
		fl_cls_destroy(cls);
		ref_free(&ref);
		rules_free_all();
	}
}

/* A few subtables with many priorities each, emptied from the top: every
 * removal takes some subtable's maximum, so the visiting order keeps
 * changing (stale maxima, in-place updates, moves). */
static void priority_order_after_removals(void **state)
{
	static const unsigned shapes[] = {F_NW_DST, F_TP_DST | F_DL_TYPE, F_IN_PORT, F_NW_SRC | F_TP_SRC};
	struct world w;
	unsigned round, i, checks = 0;

	(void)state;
	rng_seed(55);
	for (round = 0; round < 4 * SCALE; round++) {
		world_init(&w, 800, 4, F_ALL);
		for (i = 0; i < 4; i++)
			w.tmpl[i].fields = shapes[i];
		for (i = 0; i < 800; i++) {
			struct fl_cls_rule *r = random_rule(&w, false);

			r->priority = (int)rnd(round % 2 ? 50 : 100000);
			if (world_insert(&w, r))
				w.used++;
		}
		while (w.ref.n) {
			unsigned best = 0;

			if (round % 4 < 2) {
				for (i = 1; i < w.ref.n; i++)
					if (w.ref.rules[i]->priority > w.ref.rules[best]->priority)
						best = i;
			} else {
				best = rnd(w.ref.n);
			}
			fl_cls_remove(w.cls, w.ref.rules[best]);
			ref_del(&w.ref, best);
			for (i = 0; i < 4; i++) {
				struct fl_key k;

				world_packet(&w, &k);
				if (i == 0)
					check_megaflow(&w, 0, &k, 2);
				else
					check_lookup(&w, 0, &k, NULL);
				checks++;
			}
		}
		assert_int_equal(fl_cls_n_subtables(w.cls), 0);
		world_free(&w);
	}
	assert_true(checks >= 10000);
}

static void defer_publish(void **state)
{
	struct world w;
	unsigned i;

	(void)state;
	rng_seed(61);
	world_init(&w, 1000, 12, F_ALL);
	fl_cls_defer(w.cls);
	world_fill(&w, 500, false);
	world_remove_random(&w, 200);
	fl_cls_publish(w.cls);
	for (i = 0; i < 2000; i++) {
		struct fl_key k;

		world_packet(&w, &k);
		check_lookup(&w, 0, &k, NULL);
	}
	world_free(&w);
}

/* ---- the trie on its own ---- */

struct ref_prefix {
	struct cls_prefix p;
	unsigned len;
};

static unsigned lcp(const struct cls_prefix *a, const struct cls_prefix *b)
{
	if (a->hi != b->hi)
		return (unsigned)__builtin_clzll(a->hi ^ b->hi);
	if (a->lo != b->lo)
		return 64 + (unsigned)__builtin_clzll(a->lo ^ b->lo);
	return 128;
}

static void mask_prefix(struct cls_prefix *p, unsigned len)
{
	p->hi &= len >= 64 ? ~0ull : (len ? ~0ull << (64 - len) : 0);
	p->lo &= len >= 128 ? ~0ull : (len > 64 ? ~0ull << (128 - len) : 0);
}

static void trie_against_list(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct ref_prefix *list = malloc(3000 * sizeof(*list));
	unsigned round, op, n, i, width, checks = 0;

	(void)state;
	rng_seed(71);
	assert_non_null(list);
	for (round = 0; round < 40 * SCALE; round++) {
		struct cls_trie t = {0};

		width = round % 2 ? 128 : 32;
		n = 0;
		for (op = 0; op < 400; op++) {
			struct cls_trie_walk walk;
			struct cls_prefix key;
			uint64_t want[2] = {0, 0};
			unsigned depth = 0;

			if (n && rnd(3) == 0) {
				i = rnd(n);
				cls_trie_remove(cls, &t, &list[i].p, list[i].len);
				list[i] = list[--n];
			} else if (n < 3000) {
				/* prefixes from a few bases so they share paths */
				struct ref_prefix *rp = &list[n++];

				rp->p.hi = (rnd(4) * 0x4000000000000000ull) | (rng() >> (rnd(3) * 8 + 2));
				rp->p.lo = width == 128 ? rng() >> rnd(64) : 0;
				rp->len = 1 + rnd(width);
				if (width == 32)
					rp->p.hi &= 0xffffffff00000000ull;
				mask_prefix(&rp->p, rp->len);
				assert_int_equal(cls_trie_insert(cls, &t, &rp->p, rp->len, 0), 0);
			}
			/* a key near a stored prefix, or random */
			if (n && rnd(4)) {
				key = list[rnd(n)].p;
				key.hi ^= rnd(2) ? 1ull << rnd(64) : 0;
				key.lo ^= rnd(2) ? 1ull << rnd(64) : 0;
			} else {
				key.hi = rng();
				key.lo = rng();
			}
			if (width == 32) {
				key.hi &= 0xffffffff00000000ull;
				key.lo = 0;
			}
			for (i = 0; i < n; i++) {
				unsigned c = lcp(&list[i].p, &key);

				if (c >= list[i].len)
					want[(list[i].len - 1) / 64] |= 1ull << ((list[i].len - 1) % 64);
				depth = FL_MAX(depth, FL_MIN(c, list[i].len));
			}
			if (rnd(2)) {
				/* in steps, as lookups do */
				cls_trie_walk_start(&t, &key, INT_MIN, &walk);
				for (i = 1 + rnd(width); !walk.done && i < 4 * width;
				     i += 1 + rnd(width))
					cls_trie_walk_to(&walk, FL_MIN(i, width), width, ~0u);
			} else {
				cls_trie_walk_start(&t, &key, INT_MIN, &walk);
				cls_trie_walk_to(&walk, width, width, ~0u);
			}
			assert_true(walk.done);
			assert_int_equal(walk.plens[0], want[0]);
			assert_int_equal(walk.plens[1], want[1]);
			assert_int_equal(walk.depth, depth);
			/* Patricia bound for IPv4; IPv6 may keep count-less
			 * links where a merge would pass the 64-bit window */
			assert_true(t.n_nodes <= (width == 32 ? 2 * n : 5 * n + 1));
			checks++;
		}
		while (n) {
			cls_trie_remove(cls, &t, &list[n - 1].p, list[n - 1].len);
			n--;
		}
		assert_null(t.root);
		assert_int_equal(t.n_nodes, 0);
	}
	assert_true(checks >= 10000);
	free(list);
	fl_cls_destroy(cls);
}

/* Proofs of the walk against the list, with priorities: for a key, a
 * threshold and lengths asked in random order (resuming one walk, as a
 * lookup does), a proof must hold for every listed prefix of that length
 * and priority >= threshold (it parts from the key within the proof's
 * bits), and without removals a proof is found exactly when none matches.
 * The same for cls_trie_miss_bits on tries of one length (ports tries). */
static void trie_proofs_against_list(void **state)
{
	struct fl_classifier *cls = fl_cls_create();
	struct ref_prefix *list = malloc(400 * sizeof(*list));
	int *prio = malloc(400 * sizeof(*prio));
	unsigned round, n, i, j, q, width, checks = 0, proofs = 0;

	(void)state;
	rng_seed(73);
	assert_non_null(list);
	assert_non_null(prio);
	for (round = 0; round < 60 * SCALE; round++) {
		bool one_len = round % 4 == 3, removals = round % 3 == 0;
		unsigned field = round % 2 ? FL_CLS_PREFIX_IPV6_SRC : 0, fixed = 8 + rnd(25);
		struct cls_trie *t = cls_trie_new(field ? 2 : 0);

		width = field ? 128 : 32;
		if (one_len)
			width = 32;
		assert_non_null(t);
		n = 1 + rnd(300);
		for (i = 0; i < n; i++) {
			list[i].p.hi = (rnd(4) * 0x4000000000000000ull) | (rng() >> (rnd(3) * 8 + 2));
			list[i].p.lo = width == 128 ? rng() >> rnd(64) : 0;
			list[i].len = one_len ? fixed : rnd(2) ? 8 * (1 + rnd(width / 8)) : 1 + rnd(width);
			if (width == 32)
				list[i].p.hi &= 0xffffffff00000000ull;
			mask_prefix(&list[i].p, list[i].len);
			prio[i] = (int)rnd(1000);
			assert_int_equal(cls_trie_insert(cls, t, &list[i].p, list[i].len, prio[i]), 0);
		}
		if (removals) {
			for (i = n / 3; i; i--) {
				j = rnd(n);
				cls_trie_remove(cls, t, &list[j].p, list[j].len);
				list[j] = list[--n];
				prio[j] = prio[n];
			}
		}
		for (q = 0; q < 40; q++) {
			struct cls_trie_walk walk;
			struct cls_prefix key;
			int min = rnd(4) ? (int)rnd(1100) : INT_MIN;
			unsigned bits, len, k;
			bool ok;

			if (n && rnd(4)) {
				key = list[rnd(n)].p;
				key.hi ^= rnd(2) ? 1ull << rnd(64) : 0;
				key.lo ^= rnd(2) ? 1ull << rnd(64) : 0;
			} else {
				key.hi = rng();
				key.lo = rng();
			}
			if (width == 32) {
				key.hi &= 0xffffffff00000000ull;
				key.lo = 0;
			}
			if (one_len)
				key.hi &= ~0ull << (64 - fixed);
			cls_trie_walk_start(t, &key, min, &walk);
			for (k = 0; k < 8; k++) {
				bool match = false;

				len = one_len ? fixed : n && rnd(2) ? list[rnd(n)].len : 1 + rnd(width);
				if (one_len)
					ok = cls_trie_miss_bits(t, &key, len, min, &bits);
				else
					ok = cls_trie_walk_proves(&walk, len, width, &bits);
				if (ok)
					assert_true(bits <= len);
				for (i = 0; i < n; i++) {
					unsigned c = lcp(&list[i].p, &key);

					if (list[i].len != len || prio[i] < min)
						continue;
					if (ok && c >= bits)
						fail_msg("proof of %u bits for /%u misses a prefix agreeing "
							 "on %u bits (min %d, prio %d)", bits, len, c, min,
							 prio[i]);
					match |= c >= len;
				}
				if (!removals)
					assert_int_equal(ok, !match);
				proofs += ok;
				checks++;
			}
		}
		cls_trie_retire(cls, t);
	}
	assert_true(checks >= 10000);
	assert_true(proofs > checks / 4);
	free(prio);
	free(list);
	fl_cls_destroy(cls);
}

/* ---- concurrency ---- */

#define CONC_RULES 2048

struct conc {
	struct fl_classifier *cls;
	uint64_t version; /* published by the writer (release) */
	int stop;
	unsigned long lookups, hits;
	int bad_match, bad_megaflow;
};

/* Readers: look up P (with wildcards) and a Q agreeing with P on wc, at the
 * same version, between two quiescent states. The writer only removes
 * rules physically once no reader can still be at a version that sees
 * them, so both must get the same priority. */
static void *reader_main(void *arg)
{
	struct conc *c = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed;
	unsigned long n = 0, hits = 0;

	urcu_qsbr_register_thread();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		struct fl_key k, q, wc;
		const struct fl_cls_rule *r, *rq;
		uint64_t v = __atomic_load_n(&c->version, __ATOMIC_ACQUIRE);
		unsigned i, j;

		for (i = 0; i < 16; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			ipv4_packet(&k, 0x0a000000 | (uint32_t)(seed >> 40) % CONC_RULES);
			k.in_port = (uint32_t)(seed >> 20) % 4;
			k.tp_dst = fl_htons((uint16_t)((seed >> 10) % 5 * 4099u));
			memset(&wc, 0, sizeof(wc));
			r = fl_cls_lookup(c->cls, v, &k, &wc);
			if (r) {
				hits++;
				if (!fl_match_matches(rule_match(r), &k))
					__atomic_store_n(&c->bad_match, 1, __ATOMIC_RELAXED);
			}
			/* Q: every bit outside wc random, or a few of them
			 * flipped (stays near the rules P was near) */
			q = k;
			for (j = 0; j < (i % 2 ? FL_KEY_WORDS : 4u); j++) {
				unsigned w = i % 2 ? j : (unsigned)(seed >> (8 * j)) % 14 + 10;

				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				if (i % 2)
					kwords(&q)[w] ^= seed & ~kwords(&wc)[w];
				else
					kwords(&q)[w] ^= (1ull << (seed >> 58)) & ~kwords(&wc)[w];
			}
			rq = fl_cls_lookup(c->cls, v, &q, NULL);
			if (prio_of(rq) != prio_of(r))
				__atomic_store_n(&c->bad_megaflow, 1, __ATOMIC_RELAXED);
			n += 2;
		}
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	__atomic_fetch_add(&c->lookups, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

static struct fl_cls_rule *conc_rule(unsigned i, uint64_t version)
{
	struct fl_match m;

	memset(&m, 0, sizeof(m));
	m.mask.dl_type = 0xffff;
	m.value.dl_type = fl_htons(0x0800);
	set_be32_prefix(&m.mask.nw_dst, 20 + rnd(13));
	m.value.nw_dst = fl_htonl(0x0a000000 | rnd(CONC_RULES));
	if (rnd(2)) {
		m.mask.in_port = ~0u;
		m.value.in_port = rnd(4);
	}
	if (rnd(3) == 0) {
		m.mask.tp_dst = 0xffff;
		m.value.tp_dst = fl_htons((uint16_t)(rnd(4) * 4099u));
	}
	fl_match_normalize(&m);
	return rule_new(&m, (int)(i % 97), version);
}

/* The writer, as the pipeline does flow-mods: new rules at the next
 * version, replaced ones hidden from it; publish the version; after a grace
 * period (no reader left at an older version) remove the hidden ones
 * physically; free them after another grace period (ASan would see a
 * reader still on one). */
static void concurrent_run(bool writer_online, double seconds)
{
	struct fl_cls_rule **rules = calloc(CONC_RULES, sizeof(*rules));
	/* 0 free, 1 inserted, 2 hidden (to remove), 3 removed (to reuse) */
	uint8_t *st = calloc(CONC_RULES, 1);
	struct conc c = {0};
	pthread_t th[2];
	struct timespec t0, t1;
	unsigned long ops = 0, rounds = 0;
	unsigned i;

	assert_non_null(rules);
	assert_non_null(st);
	rng_seed(writer_online ? 81 : 82);
	c.cls = fl_cls_create();
	if (writer_online)
		urcu_qsbr_register_thread();
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &c), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		uint64_t next = c.version + 1;
		unsigned batch;

		for (batch = 0; batch < 48; batch++) {
			i = rnd(CONC_RULES);
			if (st[i] == 1) {
				fl_cls_rule_set_remove_version(rules[i], next);
				st[i] = 2;
			} else if (st[i] == 0) {
				rules[i] = conc_rule(i, next);
				if (fl_cls_insert(c.cls, rules[i]) == 0) {
					st[i] = 1;
				} else {
					rule_free(rules[i]);
					rules[i] = NULL;
				}
			}
			ops++;
		}
		if (rnd(16) == 0)
			assert_int_equal(fl_cls_set_prefixes(c.cls, rnd(2) ? FL_CLS_PREFIX_ALL : 0), 0);
		__atomic_store_n(&c.version, next, __ATOMIC_RELEASE);
		urcu_qsbr_synchronize_rcu();
		for (i = 0; i < CONC_RULES; i++) {
			if (st[i] == 3) {
				st[i] = 0; /* a grace period since its removal */
				rule_free(rules[i]);
				rules[i] = NULL;
			} else if (st[i] == 2) {
				fl_cls_remove(c.cls, rules[i]);
				st[i] = 3;
			}
		}
		if (writer_online)
			urcu_qsbr_quiescent_state();
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while ((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	if (writer_online)
		urcu_qsbr_thread_offline();
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (writer_online) {
		urcu_qsbr_thread_online();
		urcu_qsbr_unregister_thread();
	}
	assert_int_equal(c.bad_match, 0);
	assert_int_equal(c.bad_megaflow, 0);
	assert_true(c.lookups > 1000);
	assert_true(c.hits > 0);
	assert_true(ops > 1000);
	assert_true(rounds > 20);
	fl_cls_destroy(c.cls);
	urcu_qsbr_barrier();
	rules_free_all();
	free(rules);
	free(st);
}

static void concurrent_readers_online_writer(void **state)
{
	(void)state;
	concurrent_run(true, 1.5);
}

static void concurrent_readers_offline_writer(void **state)
{
	(void)state;
	concurrent_run(false, 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_init_normalizes),
		cmocka_unit_test(rule_size_follows_mask),
		cmocka_unit_test(rule_match_round_trip),
		cmocka_unit_test(empty_classifier),
		cmocka_unit_test(insert_find_remove),
		cmocka_unit_test(duplicates_and_versions),
		cmocka_unit_test(same_value_priority_list),
		cmocka_unit_test(iterate_loose_strict),
		cmocka_unit_test(iterate_and_remove),
		cmocka_unit_test(random_vs_reference_tries),
		cmocka_unit_test(random_vs_reference_no_tries),
		cmocka_unit_test(megaflow_invariant_tries),
		cmocka_unit_test(megaflow_invariant_no_tries),
		cmocka_unit_test(megaflow_invariant_prefixes),
		cmocka_unit_test(megaflow_invariant_ports),
		cmocka_unit_test(megaflow_invariant_acl),
		cmocka_unit_test(trie_narrows_ipv4),
		cmocka_unit_test(trie_narrows_ipv6),
		cmocka_unit_test(ports_trie_narrows),
		cmocka_unit_test(staged_and_priority_narrowing),
		cmocka_unit_test(priority_bounds_narrow),
		cmocka_unit_test(priority_bounds_ports),
		cmocka_unit_test(length_summary_narrows),
		cmocka_unit_test(many_masks_lifecycle),
		cmocka_unit_test(priority_order_after_removals),
		cmocka_unit_test(defer_publish),
		cmocka_unit_test(trie_against_list),
		cmocka_unit_test(trie_proofs_against_list),
		cmocka_unit_test(concurrent_readers_online_writer),
		cmocka_unit_test(concurrent_readers_offline_writer),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	urcu_qsbr_barrier();
	return rc;
}
