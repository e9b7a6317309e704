/* Translation: the working key, wildcard tracking through it, and the
 * rewrites it turns into datapath actions (xlate_private.h has the model).
 *
 * The megaflow invariant rests on one rule here: every decision reads the
 * working key through xlate_wc_add(), and every value copied into a datapath
 * action is either a constant of the OpenFlow actions or bits that were read
 * that way. Then any packet that agrees with this one on wc walks the same
 * path and emits the same actions.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/xlate_private.h"
#include "proto/headers.h"

/* Key bits the datapath rewrites: Ethernet addresses, IPv4/IPv6 addresses
 * and traffic class, TCP/UDP ports. */
static const struct fl_key dp_fields = {
	.dl_dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	.dl_src = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	.nw_src = 0xffffffffu,
	.nw_dst = 0xffffffffu,
	.ipv6_src = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	.ipv6_dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	.nw_tos = 0xff,
	.nw_ttl = 0xff,
	.tp_src = 0xffff,
	.tp_dst = 0xffff,
};

void xlate_init_state(struct xlate_ctx *ctx, const struct fl_key *key)
{
	ctx->key = *key;
	memset(&ctx->written, 0, sizeof(ctx->written));
	memset(&ctx->dirty, 0, sizeof(ctx->dirty));
	/* VLAN bits are mapped through the tag slots instead. */
	ctx->written.vlan_tci = 0xffff;
	ctx->written.vlan2_tci = 0xffff;
	ctx->written.vlan_tpid = 0xffff;
	ctx->tags[0] = (struct xlate_tag){ .origin = XLATE_TAG_OUTER };
	ctx->tags[1] = (struct xlate_tag){ .origin = XLATE_TAG_INNER };
	ctx->n_hidden = 0;
	ctx->vlan_dirty = 0;
	ctx->push_idx = -1;
	ctx->ttl_changed = false;
}

/* --- reading --- */

static void wc_vlan(struct xlate_ctx *ctx, const struct xlate_tag *t, uint16_t bits)
{
	bits &= (uint16_t)~t->constant;
	if (!bits)
		return;
	if (t->origin == XLATE_TAG_OUTER)
		ctx->res->wc.vlan_tci |= fl_htons(bits);
	else if (t->origin == XLATE_TAG_INNER)
		ctx->res->wc.vlan2_tci |= fl_htons(bits);
}

void xlate_wc_add(struct xlate_ctx *ctx, const struct fl_key *mask)
{
	const uint64_t *m = fl_key_words(mask), *w = fl_key_words(&ctx->written);
	uint64_t *wc = (uint64_t *)(void *)&ctx->res->wc;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		wc[i] |= m[i] & ~w[i];
	/* Only the outer tag is ever read: lookups and actions see vlan_tci. */
	if (mask->vlan_tci)
		wc_vlan(ctx, &ctx->tags[0], fl_ntohs(mask->vlan_tci));
	if (ctx->ttl_changed && mask->nw_ttl)
		ctx->res->wc.nw_ttl = 0xff;
}

void xlate_read(struct xlate_ctx *ctx, size_t ofs, size_t len)
{
	struct fl_key m;

	memset(&m, 0, sizeof(m));
	memset((uint8_t *)&m + ofs, 0xff, len);
	xlate_wc_add(ctx, &m);
}

/* The key bits a field value mask stands for. */
static void field_key_mask(const struct fl_field *f, const union fl_field_value *mask,
			   struct fl_key *km)
{
	memset(km, 0, sizeof(*km));
	fl_field_set_masked(f, km, mask, mask);
}

void xlate_read_field(struct xlate_ctx *ctx, const struct fl_field *f,
		      const union fl_field_value *mask)
{
	struct fl_key km;

	field_key_mask(f, mask, &km);
	xlate_wc_add(ctx, &km);
}

bool xlate_vlan_present(struct xlate_ctx *ctx)
{
	wc_vlan(ctx, &ctx->tags[0], FL_VLAN_PRESENT);
	return (fl_ntohs(ctx->key.vlan_tci) & FL_VLAN_PRESENT) != 0;
}

/* --- emitting --- */

struct fl_dpact *xlate_emit(struct xlate_ctx *ctx, enum fl_dpact_type type)
{
	struct fl_dpact *a;

	if (ctx->exit)
		return NULL;
	if (ctx->n_acts == ctx->cap_acts) {
		unsigned cap = ctx->cap_acts * 2;
		struct fl_dpact *n;

		if (cap > XLATE_MAX_DPACTS) {
			xlate_fail(ctx, "more than %u datapath actions", XLATE_MAX_DPACTS);
			return NULL;
		}
		n = malloc(cap * sizeof(*n));
		if (!n) {
			ctx->nomem = true;
			xlate_fail(ctx, "out of memory");
			return NULL;
		}
		memcpy(n, ctx->acts, ctx->n_acts * sizeof(*n));
		if (ctx->acts != ctx->stack_acts)
			free(ctx->acts);
		ctx->acts = n;
		ctx->cap_acts = cap;
	}
	a = &ctx->acts[ctx->n_acts++];
	/* Zeroed whole: lists are compared with memcmp (fl_dp_actions_equal). */
	memset(a, 0, sizeof(*a));
	a->type = (uint8_t)type;
	return a;
}

static bool any(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return true;
	return false;
}

static void masked_copy(void *dst, const void *val, const void *mask, size_t n)
{
	const uint8_t *v = val, *m = mask;
	uint8_t *d = dst;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = v[i] & m[i];
}

static void commit_vlan(struct xlate_ctx *ctx)
{
	uint16_t bits = ctx->vlan_dirty, val;
	struct fl_dpact *a;

	if (!bits)
		return;
	ctx->vlan_dirty = 0;
	val = fl_ntohs(ctx->key.vlan_tci) & bits;
	if (ctx->push_idx >= 0) {
		/* The tag was pushed since the last output: give it its final
		 * value there rather than rewriting it afterwards. */
		a = &ctx->acts[ctx->push_idx];
		a->vlan.tci = fl_htons((uint16_t)((fl_ntohs(a->vlan.tci) & ~bits) | val));
		return;
	}
	a = xlate_emit(ctx, FL_DPACT_SET_VLAN);
	if (a) {
		a->vlan.tci = fl_htons(val);
		a->vlan.tci_mask = fl_htons(bits);
	}
}

static void commit_eth(struct xlate_ctx *ctx)
{
	const struct fl_key *d = &ctx->dirty, *k = &ctx->key;
	struct fl_dpact *a;

	if (!any(d->dl_src, 6) && !any(d->dl_dst, 6))
		return;
	a = xlate_emit(ctx, FL_DPACT_SET_ETH);
	if (!a)
		return;
	masked_copy(a->eth.src, k->dl_src, d->dl_src, 6);
	memcpy(a->eth.src_mask, d->dl_src, 6);
	masked_copy(a->eth.dst, k->dl_dst, d->dl_dst, 6);
	memcpy(a->eth.dst_mask, d->dl_dst, 6);
}

static void commit_ip(struct xlate_ctx *ctx)
{
	const struct fl_key *d = &ctx->dirty, *k = &ctx->key;
	struct fl_dpact *a;

	if (!d->nw_src && !d->nw_dst && !d->nw_tos && !d->nw_ttl && !any(d->ipv6_src, 16) &&
	    !any(d->ipv6_dst, 16))
		return;
	/* Which header, and which L4 checksum covers the addresses: the same
	 * for every packet of the megaflow only if these are in wc. */
	XLATE_READ(ctx, dl_type);
	XLATE_READ(ctx, nw_proto);
	if (k->dl_type == fl_htons(FL_ETH_TYPE_IPV4)) {
		a = xlate_emit(ctx, FL_DPACT_SET_IPV4);
		if (!a)
			return;
		a->ipv4.src = k->nw_src & d->nw_src;
		a->ipv4.src_mask = d->nw_src;
		a->ipv4.dst = k->nw_dst & d->nw_dst;
		a->ipv4.dst_mask = d->nw_dst;
		a->ipv4.tos = k->nw_tos & d->nw_tos;
		a->ipv4.tos_mask = d->nw_tos;
		a->ipv4.ttl = k->nw_ttl & d->nw_ttl;
		a->ipv4.ttl_mask = d->nw_ttl;
		a->ipv4.proto = k->nw_proto;
	} else if (k->dl_type == fl_htons(FL_ETH_TYPE_IPV6)) {
		a = xlate_emit(ctx, FL_DPACT_SET_IPV6);
		if (!a)
			return;
		masked_copy(a->ipv6.src, k->ipv6_src, d->ipv6_src, 16);
		memcpy(a->ipv6.src_mask, d->ipv6_src, 16);
		masked_copy(a->ipv6.dst, k->ipv6_dst, d->ipv6_dst, 16);
		memcpy(a->ipv6.dst_mask, d->ipv6_dst, 16);
		a->ipv6.tclass = k->nw_tos & d->nw_tos;
		a->ipv6.tclass_mask = d->nw_tos;
		a->ipv6.hlimit = k->nw_ttl & d->nw_ttl;
		a->ipv6.hlimit_mask = d->nw_ttl;
		a->ipv6.proto = k->nw_proto;
	} else {
		/* Flow-mod checks tie these writes to an IP match; nothing to
		 * rewrite on anything else. */
		xlate_trace(ctx, "IP rewrite on a non-IP packet: skipped");
	}
}

static void commit_l4(struct xlate_ctx *ctx)
{
	const struct fl_key *d = &ctx->dirty, *k = &ctx->key;
	struct fl_dpact *a;

	if (!d->tp_src && !d->tp_dst)
		return;
	XLATE_READ(ctx, nw_proto);
	XLATE_READ(ctx, nw_frag);
	if (k->nw_frag & FL_FRAG_LATER) {
		/* No L4 header in a later fragment: nothing to rewrite. */
		xlate_trace(ctx, "later fragment: port rewrite skipped");
		return;
	}
	if (k->nw_proto != FL_IPPROTO_TCP && k->nw_proto != FL_IPPROTO_UDP) {
		xlate_trace(ctx, "port rewrite on protocol %u: skipped", k->nw_proto);
		return;
	}
	a = xlate_emit(ctx, FL_DPACT_SET_L4);
	if (!a)
		return;
	a->l4.src = k->tp_src & d->tp_src;
	a->l4.src_mask = d->tp_src;
	a->l4.dst = k->tp_dst & d->tp_dst;
	a->l4.dst_mask = d->tp_dst;
	a->l4.proto = k->nw_proto;
}

void xlate_commit(struct xlate_ctx *ctx)
{
	commit_vlan(ctx);
	commit_eth(ctx);
	commit_ip(ctx);
	commit_l4(ctx);
	memset(&ctx->dirty, 0, sizeof(ctx->dirty));
}

void xlate_output(struct xlate_ctx *ctx, uint32_t port)
{
	struct fl_dpact *a;

	xlate_commit(ctx);
	a = xlate_emit(ctx, FL_DPACT_OUTPUT);
	if (a)
		a->output.port = port;
	ctx->push_idx = -1;
}

/* --- VLAN --- */

void xlate_push_vlan(struct xlate_ctx *ctx, uint16_t tpid, uint16_t tci)
{
	struct fl_dpact *a;

	/* Pending writes belong to the tag that is about to become inner. */
	commit_vlan(ctx);
	if (ctx->n_hidden == XLATE_HIDDEN_TAGS) {
		xlate_fail(ctx, "VLAN stack full (%u tags below the outer two)",
			   XLATE_HIDDEN_TAGS);
		return;
	}
	a = xlate_emit(ctx, FL_DPACT_PUSH_VLAN);
	if (!a)
		return;
	a->vlan.tpid = fl_htons(tpid);
	a->vlan.tci = fl_htons(tci & (uint16_t)~FL_VLAN_PRESENT);
	ctx->push_idx = (int)(a - ctx->acts);

	ctx->tags[2 + ctx->n_hidden] = ctx->tags[1];
	ctx->tags[2 + ctx->n_hidden].tci = fl_ntohs(ctx->key.vlan2_tci);
	ctx->n_hidden++;
	ctx->tags[1] = ctx->tags[0];
	ctx->key.vlan2_tci = ctx->key.vlan_tci;
	ctx->tags[0] = (struct xlate_tag){ .origin = XLATE_TAG_NONE, .constant = 0xffff };
	ctx->key.vlan_tci = fl_htons((uint16_t)(tci | FL_VLAN_PRESENT));
	ctx->key.vlan_tpid = fl_htons(tpid);
}

/* The caller checked that a tag is present. */
void xlate_pop_vlan(struct xlate_ctx *ctx)
{
	struct fl_dpact *a;

	ctx->vlan_dirty = 0; /* writes to the tag that goes away */
	if (ctx->push_idx >= 0) {
		/* Popping the tag pushed since the last output: the pair is a
		 * no-op for the packet. Only DEC_TTL can follow the push entry
		 * (rewrites wait for the next output; any VLAN action moves
		 * push_idx), and it does not care about tags. */
		unsigned i = (unsigned)ctx->push_idx;

		memmove(&ctx->acts[i], &ctx->acts[i + 1],
			(ctx->n_acts - i - 1) * sizeof(ctx->acts[0]));
		ctx->n_acts--;
		ctx->push_idx = -1;
	} else {
		a = xlate_emit(ctx, FL_DPACT_POP_VLAN);
		if (!a)
			return;
	}
	ctx->tags[0] = ctx->tags[1];
	ctx->key.vlan_tci = ctx->key.vlan2_tci;
	ctx->key.vlan_tpid = ctx->key.vlan_tci ? fl_htons(FL_ETH_TYPE_VLAN) : 0;
	if (ctx->n_hidden) {
		ctx->n_hidden--;
		ctx->tags[1] = ctx->tags[2 + ctx->n_hidden];
		ctx->key.vlan2_tci = fl_htons(ctx->tags[1].tci);
	} else {
		ctx->tags[1] = (struct xlate_tag){ .origin = XLATE_TAG_NONE, .constant = 0xffff };
		ctx->key.vlan2_tci = 0;
	}
}

/* Write `bits` of the present outer tag. */
static void write_tag(struct xlate_ctx *ctx, uint16_t bits, uint16_t value)
{
	uint16_t tci = fl_ntohs(ctx->key.vlan_tci);

	bits &= (uint16_t)~FL_VLAN_PRESENT;
	tci = (uint16_t)((tci & ~bits) | (value & bits) | FL_VLAN_PRESENT);
	ctx->key.vlan_tci = fl_htons(tci);
	ctx->tags[0].constant |= bits;
	ctx->vlan_dirty |= bits;
}

void xlate_mod_vlan(struct xlate_ctx *ctx, uint16_t bits, uint16_t value)
{
	if (xlate_vlan_present(ctx))
		write_tag(ctx, bits, value);
	else
		xlate_push_vlan(ctx, FL_ETH_TYPE_VLAN, value & bits);
}

/* NXM vlan_tci, present bit included: clearing it pops the outer tag,
 * setting it on an untagged packet pushes one; the other bits of an absent
 * tag cannot be written (ignored). */
static void write_vlan_tci(struct xlate_ctx *ctx, uint16_t value, uint16_t mask)
{
	bool was = xlate_vlan_present(ctx);
	uint16_t cur = was ? fl_ntohs(ctx->key.vlan_tci) : 0;
	uint16_t nv = (uint16_t)((cur & ~mask) | (value & mask));

	if (was && !(nv & FL_VLAN_PRESENT))
		xlate_pop_vlan(ctx);
	else if (!was && (nv & FL_VLAN_PRESENT))
		xlate_push_vlan(ctx, FL_ETH_TYPE_VLAN, nv & (uint16_t)~FL_VLAN_PRESENT);
	else if (was)
		write_tag(ctx, mask, value);
	else
		xlate_trace(ctx, "no VLAN tag: write ignored");
}

void xlate_set_field(struct xlate_ctx *ctx, const struct fl_field *f,
		     const union fl_field_value *value, const union fl_field_value *mask)
{
	uint64_t *w = (uint64_t *)(void *)&ctx->written, *d = (uint64_t *)(void *)&ctx->dirty;
	const uint64_t *dp = fl_key_words(&dp_fields), *km;
	struct fl_key kv, kmask;
	unsigned i;

	field_key_mask(f, mask, &kmask);
	switch (f->id) {
	case FL_FIELD_VLAN_TCI:
	case FL_FIELD_DL_VLAN:
	case FL_FIELD_DL_VLAN_PCP:
	case FL_FIELD_VLAN_VID:
		/* The field's bits at their place in the container. */
		memset(&kv, 0, sizeof(kv));
		fl_field_set_masked(f, &kv, value, mask);
		if (f->id == FL_FIELD_VLAN_TCI) {
			write_vlan_tci(ctx, fl_ntohs(kv.vlan_tci), fl_ntohs(kmask.vlan_tci));
		} else if (xlate_vlan_present(ctx)) {
			/* OXM vlan_vid's 0x1000 is the present bit: the tag
			 * stays either way. */
			write_tag(ctx, fl_ntohs(kmask.vlan_tci), fl_ntohs(kv.vlan_tci));
		} else {
			xlate_trace(ctx, "no VLAN tag: %s not set", f->name);
		}
		return;
	default:
		break;
	}
	fl_field_set_masked(f, &ctx->key, value, mask);
	km = fl_key_words(&kmask);
	for (i = 0; i < FL_KEY_WORDS; i++) {
		w[i] |= km[i];
		d[i] |= km[i] & dp[i];
	}
}

void xlate_move(struct xlate_ctx *ctx, const struct fl_ofpact_move *mv)
{
	struct fl_subfield src = { fl_field_by_id((enum fl_field_id)mv->src_field), mv->src_ofs,
				   mv->n_bits };
	struct fl_subfield dst = { fl_field_by_id((enum fl_field_id)mv->dst_field), mv->dst_ofs,
				   mv->n_bits };
	union fl_field_value ones, v, m, bits;
	unsigned i, bn = (mv->n_bits + 7u) / 8u;

	memset(&ones, 0, sizeof(ones));
	for (i = 0; i < mv->n_bits; i++)
		fl_bits_set(ones.b, bn, i, true);
	/* The source bits decide the value written: pin them. */
	fl_subfield_to_field(&src, &ones, &v, &m);
	xlate_read_field(ctx, src.field, &m);
	fl_subfield_read(&src, &ctx->key, &bits);
	fl_subfield_to_field(&dst, &bits, &v, &m);
	xlate_set_field(ctx, dst.field, &v, &m);
}

/* --- TTL --- */

bool xlate_dec_ttl(struct xlate_ctx *ctx)
{
	struct fl_key m;
	struct fl_dpact *a;

	XLATE_READ(ctx, dl_type);
	if (ctx->key.dl_type != fl_htons(FL_ETH_TYPE_IPV4) &&
	    ctx->key.dl_type != fl_htons(FL_ETH_TYPE_IPV6)) {
		xlate_trace(ctx, "not IP: nothing to decrement");
		return true;
	}
	/* TTL > 1 exactly when one of bits 1..7 is set: a megaflow covers
	 * every TTL >= 2 instead of one per value. */
	memset(&m, 0, sizeof(m));
	m.nw_ttl = 0xfe;
	xlate_wc_add(ctx, &m);
	if (ctx->key.nw_ttl <= 1)
		return false;
	/* a pending set of the TTL must reach the packet before the decrement */
	if (ctx->dirty.nw_ttl)
		xlate_commit(ctx);
	a = xlate_emit(ctx, FL_DPACT_DEC_TTL);
	if (!a)
		return true;
	ctx->key.nw_ttl--;
	ctx->ttl_changed = true;
	ctx->written.nw_ttl = 0xff;
	return true;
}
