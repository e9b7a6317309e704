/* Classifier scenarios: lookups (one per unit, wildcards tracked, as the
 * upcall path does) over rule sets of different shapes, and the insert rate.
 *
 *   cls-lookup-1mask   1,000 nw_dst/32 rules, one subtable
 *   cls-lookup-acl     10 ACL-like masks x 1,000 rules, priorities by mask
 *   cls-lookup-100k    10 masks x 10,000 rules
 *   cls-lookup-1m      1,000,000 nw_dst/32 rules, one subtable
 *   cls-lookup-acl-notrie  as cls-lookup-acl, prefix tries off
 *   cls-insert-100k    insert 100,000 ACL-like rules into an empty
 *                      classifier (then start over); unit: one insert
 *
 * Keys are built from rule values (most lookups hit, through the priority
 * order) with a quarter of them perturbed so they miss or fall through to
 * lower subtables. Setup prints the memory per rule: the classifier's own
 * structures (fl_cls_memory), the rule itself (fl_cls_rule_size: it follows
 * the mask), and the heap growth malloc saw (mallinfo2), which includes
 * allocator overhead. Rules start on cache lines, as the pipeline's do.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "classifier/classifier.h"

#define N_KEYS 4096

struct cls_state {
	struct fl_classifier *cls;
	struct fl_cls_rule **rules; /* into arena */
	char *arena;
	size_t rule_bytes;          /* sum of fl_cls_rule_size */
	unsigned n_rules, n_inserted;
	unsigned prefixes;
	struct fl_key keys[N_KEYS];
};

static uint64_t xs;

static uint64_t rnd64(void)
{
	xs ^= xs >> 12;
	xs ^= xs << 25;
	xs ^= xs >> 27;
	return xs * 0x2545F4914F6CDD1Dull;
}

static fl_be32 prefix_mask(unsigned len)
{
	return len ? fl_htonl(~0u << (32 - len)) : 0;
}

/* Ten ACL-like shapes, most specific first; every one matches IPv4. */
static void acl_mask(unsigned shape, struct fl_key *m)
{
	static const struct {
		uint8_t src, dst, proto, sport, dport, in_port;
	} shapes[10] = {
		{24, 32, 1, 0, 1, 0}, {16, 24, 1, 0, 1, 0}, {0, 32, 1, 0, 1, 0}, {32, 0, 1, 0, 0, 0},
		{0, 24, 0, 0, 0, 0},  {8, 16, 0, 0, 0, 0},  {0, 32, 0, 0, 0, 1}, {0, 0, 1, 1, 0, 0},
		{0, 16, 0, 0, 1, 0},  {24, 0, 0, 0, 0, 1},
	};

	memset(m, 0, sizeof(*m));
	m->dl_type = 0xffff;
	m->nw_src = prefix_mask(shapes[shape].src);
	m->nw_dst = prefix_mask(shapes[shape].dst);
	m->nw_proto = shapes[shape].proto ? 0xff : 0;
	m->tp_src = shapes[shape].sport ? 0xffff : 0;
	m->tp_dst = shapes[shape].dport ? 0xffff : 0;
	m->in_port = shapes[shape].in_port ? ~0u : 0;
}

static void random_ipv4_key(struct fl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1 + (uint32_t)(rnd64() % 8);
	k->dl_type = fl_htons(0x0800);
	k->nw_src = fl_htonl((uint32_t)rnd64());
	k->nw_dst = fl_htonl((uint32_t)rnd64());
	k->nw_proto = rnd64() % 2 ? 6 : 17;
	k->tp_src = fl_htons((uint16_t)(1024 + rnd64() % 60000));
	k->tp_dst = fl_htons((uint16_t)(rnd64() % 1024));
}

/* Cache lines a rule of this match takes in the arena. */
static size_t rule_stride(const struct fl_match *m)
{
	return (fl_cls_rule_size(m) + 63) & ~(size_t)63;
}

/* n rules over `shapes` masks (shape i holds rules i, i + shapes, ...);
 * priorities fall with the shape, so specific rules win, as in an ACL.
 * The rules go one after the other into one arena, each on a cache line,
 * sized by its match. */
static void make_rules(struct cls_state *s, unsigned n, unsigned shapes, bool single_dst32)
{
	struct fl_match *ms = malloc((size_t)n * sizeof(*ms));
	int *prio = malloc((size_t)n * sizeof(*prio));
	size_t arena = 0, off = 0;
	unsigned i;

	s->rules = malloc((size_t)n * sizeof(*s->rules));
	if (!ms || !prio || !s->rules)
		goto out;
	for (i = 0; i < n; i++) {
		struct fl_match *mp = &ms[i];
		unsigned shape = i % shapes;

		random_ipv4_key(&mp->value);
		if (single_dst32) {
			memset(&mp->mask, 0, sizeof(mp->mask));
			mp->mask.dl_type = 0xffff;
			mp->mask.nw_dst = ~0u;
			/* distinct addresses */
			mp->value.nw_dst = fl_htonl((uint32_t)(i * 2654435761u));
		} else {
			acl_mask(shape, &mp->mask);
		}
		fl_match_normalize(mp);
		prio[i] = (int)((shapes - shape) * 100000 + rnd64() % 100000);
		arena += rule_stride(mp);
	}
	s->arena = aligned_alloc(64, arena);
	if (!s->arena)
		goto out;
	s->n_rules = n;
	for (i = 0; i < n; i++) {
		s->rules[i] = (struct fl_cls_rule *)(void *)(s->arena + off);
		off += rule_stride(&ms[i]);
		s->rule_bytes += fl_cls_rule_size(&ms[i]);
		fl_cls_rule_init(s->rules[i], &ms[i], prio[i], 0);
	}
out:
	free(prio);
	free(ms);
}

static void make_keys(struct cls_state *s)
{
	unsigned i;

	for (i = 0; i < N_KEYS; i++) {
		struct fl_key *k = &s->keys[i];
		const struct fl_cls_rule *r = s->rules[rnd64() % s->n_inserted];
		struct fl_match rm;
		const uint64_t *v = fl_key_words(&rm.value), *m = fl_key_words(&rm.mask);
		uint64_t *kw = (uint64_t *)(void *)k;
		unsigned w;

		fl_cls_rule_get_match(r, &rm);
		random_ipv4_key(k);
		for (w = 0; w < FL_KEY_WORDS; w++)
			kw[w] = (kw[w] & ~m[w]) | v[w];
		if (i % 4 == 3)
			k->nw_dst ^= fl_htonl(1u << (rnd64() % 32));
	}
}

static void report_memory(const struct cls_state *s, size_t heap_before, const char *name)
{
	size_t cls_bytes = fl_cls_memory(s->cls);
	size_t heap = mallinfo2().uordblks + mallinfo2().hblkhd - heap_before;
	double n = s->n_inserted, rule = (double)s->rule_bytes / s->n_rules;

	fprintf(stderr,
		"%s: %u rules, %u subtables: classifier %.1f B/rule + rule %.1f B"
		" = %.1f B/rule; heap growth incl. rules and allocator overhead %.1f B/rule\n",
		name, s->n_inserted, fl_cls_n_subtables(s->cls), cls_bytes / n, rule,
		cls_bytes / n + rule, heap / n);
}

static void *setup_common(unsigned n, unsigned shapes, bool dst32, unsigned prefixes,
			  const char *name)
{
	struct cls_state *s = aligned_alloc(64, sizeof(*s));
	size_t heap0 = mallinfo2().uordblks + mallinfo2().hblkhd;
	unsigned i;

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	xs = 0x1234567 + n;
	s->prefixes = prefixes;
	s->cls = fl_cls_create();
	make_rules(s, n, shapes, dst32);
	if (!s->cls || !s->arena) {
		fprintf(stderr, "%s: out of memory\n", name);
		return NULL;
	}
	fl_cls_set_prefixes(s->cls, prefixes);
	fl_cls_defer(s->cls);
	for (i = 0; i < n; i++)
		s->n_inserted += fl_cls_insert(s->cls, s->rules[i]) == 0;
	fl_cls_publish(s->cls);
	make_keys(s);
	report_memory(s, heap0, name);
	return s;
}

static void *one_mask_setup(const struct bench_opts *o)
{
	(void)o;
	return setup_common(1000, 1, true, FL_CLS_PREFIX_ALL, "cls-lookup-1mask");
}

static void *acl_setup(const struct bench_opts *o)
{
	(void)o;
	return setup_common(10000, 10, false, FL_CLS_PREFIX_ALL, "cls-lookup-acl");
}

static void *acl_notrie_setup(const struct bench_opts *o)
{
	(void)o;
	return setup_common(10000, 10, false, 0, "cls-lookup-acl-notrie");
}

static void *k100_setup(const struct bench_opts *o)
{
	(void)o;
	return setup_common(100000, 10, false, FL_CLS_PREFIX_ALL, "cls-lookup-100k");
}

static void *m1_setup(const struct bench_opts *o)
{
	(void)o;
	return setup_common(1000000, 1, true, FL_CLS_PREFIX_ALL, "cls-lookup-1m");
}

static uint64_t lookup_run(void *state, uint64_t work)
{
	struct cls_state *s = state;
	uint64_t done, acc = 0;
	struct fl_key wc;

	for (done = 0; done < work; done++) {
		const struct fl_cls_rule *r;

		memset(&wc, 0, sizeof(wc));
		r = fl_cls_lookup(s->cls, 0, &s->keys[done % N_KEYS], &wc);
		acc += r ? (uint64_t)r->priority : 0;
		acc += wc.nw_dst;
	}
	bench_sink(acc);
	return done;
}

static void cls_teardown(void *state)
{
	struct cls_state *s = state;

	fl_cls_destroy(s->cls);
	free(s->rules);
	free(s->arena);
	free(s);
}

/* --- insert rate --- */

static void *insert_setup(const struct bench_opts *o)
{
	struct cls_state *s = aligned_alloc(64, sizeof(*s));

	(void)o;
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	xs = 0x7777;
	make_rules(s, 100000, 10, false);
	s->cls = fl_cls_create();
	if (!s->arena || !s->cls)
		return NULL;
	return s;
}

static uint64_t insert_run(void *state, uint64_t work)
{
	struct cls_state *s = state;
	uint64_t done;

	for (done = 0; done < work; done++) {
		if (s->n_inserted == s->n_rules) {
			fl_cls_destroy(s->cls);
			s->cls = fl_cls_create();
			s->n_inserted = 0;
		}
		fl_cls_insert(s->cls, s->rules[s->n_inserted++]);
	}
	return done;
}

const struct bench_scenario bench_classifier_scenarios[] = {
	{"cls-lookup-1mask", "lookup", "classifier lookup, 1,000 nw_dst/32 rules in one subtable",
	 one_mask_setup, lookup_run, cls_teardown, NULL},
	{"cls-lookup-acl", "lookup", "classifier lookup, 10 ACL-like masks x 1,000 rules",
	 acl_setup, lookup_run, cls_teardown, NULL},
	{"cls-lookup-acl-notrie", "lookup", "as cls-lookup-acl with the prefix tries off",
	 acl_notrie_setup, lookup_run, cls_teardown, NULL},
	{"cls-lookup-100k", "lookup", "classifier lookup, 10 masks x 10,000 rules", k100_setup,
	 lookup_run, cls_teardown, NULL},
	{"cls-lookup-1m", "lookup", "classifier lookup, 1,000,000 nw_dst/32 rules in one subtable",
	 m1_setup, lookup_run, cls_teardown, NULL},
	{"cls-insert-100k", "rule", "insert 100,000 ACL-like rules (10 masks), then start over",
	 insert_setup, insert_run, cls_teardown, NULL},
};
const unsigned bench_classifier_n =
	sizeof(bench_classifier_scenarios) / sizeof(bench_classifier_scenarios[0]);
