/* Translation: a flow key through the OpenFlow tables into datapath actions
 * and a megaflow mask (fl_pipeline_translate).
 *
 * The walk: start at table 0; look the working key up at the rules version
 * the translation started with, ORing into wc what the classifier looked at;
 * run the winner's actions in order; goto_table continues at a later table
 * once the actions are done, resubmit runs another table (and its goto
 * chain) in the middle of the actions and comes back. A miss applies the
 * table's miss policy. Outputs, NORMAL and the end of the walk are here;
 * what happens to the working key and how rewrites become datapath actions
 * is xlate_commit.c.
 *
 * Semantics worth knowing (the rest is OpenFlow 1.3 / OVS):
 *  - output to the packet's in_port is dropped unless written IN_PORT;
 *    FLOOD and ALL go to every pipeline port but in_port (FLOOD skips ports
 *    with flooding off), in port number order.
 *  - CONTROLLER is not supported yet: it sends nothing, is counted, and the
 *    other actions go on.
 *  - dec_ttl at TTL <= 1 drops the packet: translation stops there (outputs
 *    before it stay). On a non-IP packet it does nothing.
 *  - a resubmit to a table that misses with policy "drop" ends that
 *    resubmit only; the actions after it still run (as in OVS).
 *  - errors (resubmit depth or count, VLAN stack, too many actions) make the
 *    whole result drop, counted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "pipeline/xlate_private.h"

/* --- trace --- */

static void trace_vappend(struct fl_trace *t, const char *fmt, va_list ap)
{
	size_t room = t->len < t->size ? t->size - t->len : 0;
	int n;

	if (room <= 1)
		return;
	n = vsnprintf(t->buf + t->len, room, fmt, ap);
	if (n > 0)
		t->len += (size_t)n < room ? (size_t)n : room - 1;
}

static void trace_append(struct fl_trace *t, const char *fmt, ...) FL_PRINTF(2, 3);
static void trace_append(struct fl_trace *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vappend(t, fmt, ap);
	va_end(ap);
}

void xlate_trace(struct xlate_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->trace)
		return;
	trace_append(ctx->trace, "%*s", (int)(2 * ctx->depth + 2), "");
	va_start(ap, fmt);
	trace_vappend(ctx->trace, fmt, ap);
	va_end(ap);
	trace_append(ctx->trace, "\n");
}

/* A table-level line: no action indent. */
static void trace_table(struct xlate_ctx *ctx, const char *fmt, ...) FL_PRINTF(2, 3);
static void trace_table(struct xlate_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->trace)
		return;
	trace_append(ctx->trace, "%*s", (int)(2 * ctx->depth), "");
	va_start(ap, fmt);
	trace_vappend(ctx->trace, fmt, ap);
	va_end(ap);
	trace_append(ctx->trace, "\n");
}

void xlate_fail(struct xlate_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->trace) {
		trace_append(ctx->trace, "%*serror: ", (int)(2 * ctx->depth + 2), "");
		va_start(ap, fmt);
		trace_vappend(ctx->trace, fmt, ap);
		va_end(ap);
		trace_append(ctx->trace, " -> drop\n");
	}
	ctx->error = true;
	ctx->exit = true;
}

static const char *mac_text(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* --- outputs --- */

static uint32_t read_in_port(struct xlate_ctx *ctx)
{
	XLATE_READ(ctx, in_port);
	return ctx->key.in_port;
}

static void flood(struct xlate_ctx *ctx, bool honour_no_flood)
{
	uint32_t in_port = read_in_port(ctx);
	unsigned i, n = 0;

	for (i = 0; i < ctx->ports->n && !ctx->exit; i++) {
		const struct fl_pl_port *p = &ctx->ports->ports[i];

		if (p->no == in_port || (honour_no_flood && p->no_flood))
			continue;
		xlate_output(ctx, p->no);
		n++;
	}
	xlate_trace(ctx, "%s to %u port%s", honour_no_flood ? "flooded" : "sent", n,
		    n == 1 ? "" : "s");
}

/* NORMAL: a VLAN-transparent learning switch. Learn the source on in_port
 * (a new or moved entry publishes a new version, so megaflows built on the
 * old table re-translate), then send to the port the destination was
 * learned on, or flood. */
static void normal(struct xlate_ctx *ctx)
{
	struct fl_pipeline *pl = ctx->pl;
	const struct fl_key *k = &ctx->key;
	enum fl_mac_learn_result lr = FL_MAC_UNCHANGED;
	char src[18], dst[18], learned[96] = "";
	uint32_t in_port, port;
	uint16_t vid = 0;

	in_port = read_in_port(ctx);
	XLATE_READ(ctx, dl_src);
	XLATE_READ(ctx, dl_dst);
	if (xlate_vlan_present(ctx)) {
		struct fl_key m;

		memset(&m, 0, sizeof(m));
		m.vlan_tci = fl_htons(FL_VLAN_VID_MASK);
		xlate_wc_add(ctx, &m);
		vid = fl_ntohs(k->vlan_tci) & FL_VLAN_VID_MASK;
	}
	mac_text(k->dl_src, src);
	mac_text(k->dl_dst, dst);
	if (!(k->dl_src[0] & 1)) {
		lr = fl_mac_learn(pl->mac, vid, k->dl_src, in_port, fl_time_ns());
		if (lr != FL_MAC_UNCHANGED)
			fl_pl_bump(pl);
		if (!ctx->res->has_mac) {
			ctx->res->has_mac = true;
			memcpy(ctx->res->mac.mac, k->dl_src, 6);
			ctx->res->mac.vlan = vid;
			ctx->res->mac.port = in_port;
		}
		snprintf(learned, sizeof(learned), "%s %s@vlan %u on port %u",
			 lr == FL_MAC_LEARNED ? "learned" : lr == FL_MAC_MOVED ? "moved" : "known", src,
			 vid, in_port);
	} else {
		snprintf(learned, sizeof(learned), "multicast source %s not learned", src);
	}
	if (k->dl_dst[0] & 1) {
		xlate_trace(ctx, "normal: %s; dst %s multicast -> flood", learned, dst);
		flood(ctx, true);
		return;
	}
	port = fl_mac_lookup(pl->mac, vid, k->dl_dst);
	if (port == FL_PORT_ANY) {
		xlate_trace(ctx, "normal: %s; dst unknown -> flood", learned);
		flood(ctx, true);
	} else if (port == in_port) {
		xlate_trace(ctx, "normal: %s; dst %s on in_port -> drop", learned, dst);
	} else {
		xlate_trace(ctx, "normal: %s; dst %s on port %u -> output", learned, dst, port);
		xlate_output(ctx, port);
	}
}

static void output(struct xlate_ctx *ctx, uint32_t port)
{
	switch (port) {
	case FL_PORT_IN_PORT:
		xlate_output(ctx, read_in_port(ctx));
		break;
	case FL_PORT_NORMAL:
		normal(ctx);
		break;
	case FL_PORT_FLOOD:
		flood(ctx, true);
		break;
	case FL_PORT_ALL:
		flood(ctx, false);
		break;
	case FL_PORT_CONTROLLER:
		__atomic_fetch_add(&ctx->pl->xlate_controller, 1, __ATOMIC_RELAXED);
		xlate_trace(ctx, "controller: not supported yet, nothing sent (counted)");
		break;
	default:
		if (port == read_in_port(ctx)) {
			xlate_trace(ctx, "port %u is in_port: dropped (output:IN_PORT sends there)",
				    port);
			break;
		}
		xlate_output(ctx, port);
		break;
	}
}

/* --- tables --- */

static void run_table(struct xlate_ctx *ctx, unsigned table);

static void resubmit(struct xlate_ctx *ctx, const struct fl_ofpact_resubmit *r, unsigned table)
{
	unsigned t = r->table == FL_OFPACT_TABLE_CURRENT ? table : r->table;
	uint32_t in_port = ctx->key.in_port, in_port_w = ctx->written.in_port;

	if (ctx->depth + 1 >= FL_XLATE_MAX_DEPTH) {
		xlate_fail(ctx, "resubmit nesting deeper than %u", FL_XLATE_MAX_DEPTH);
		return;
	}
	if (++ctx->n_resubmits > XLATE_MAX_RESUBMITS) {
		xlate_fail(ctx, "more than %u resubmits", XLATE_MAX_RESUBMITS);
		return;
	}
	if (r->in_port != FL_PORT_IN_PORT) {
		/* A constant for the lookups inside: no wildcard cost. */
		ctx->key.in_port = r->in_port;
		ctx->written.in_port = UINT32_MAX;
	}
	ctx->depth++;
	run_table(ctx, t);
	ctx->depth--;
	ctx->key.in_port = in_port;
	ctx->written.in_port = in_port_w;
}

/* Run a rule's actions; the table to go to next, or -1. */
static int run_actions(struct xlate_ctx *ctx, const struct fl_rule *rule, unsigned table)
{
	const struct fl_ofpact *a;
	char text[256];

	FL_OFPACT_FOR_EACH(a, rule->actions.data, rule->actions.len) {
		if (ctx->exit)
			return -1;
		if (ctx->trace) {
			fl_ofpact_format(a, text, sizeof(text));
			xlate_trace(ctx, "%s", text);
		}
		switch ((enum fl_ofpact_type)a->type) {
		case FL_OFPACT_OUTPUT:
			output(ctx, FL_OFPACT_CAST(output, a)->port);
			break;
		case FL_OFPACT_CONTROLLER:
			output(ctx, FL_PORT_CONTROLLER);
			break;
		case FL_OFPACT_SET_FIELD: {
			const struct fl_ofpact_set_field *sf = FL_OFPACT_CAST(set_field, a);

			xlate_set_field(ctx, fl_field_by_id((enum fl_field_id)sf->field), &sf->value,
					&sf->mask);
			break;
		}
		case FL_OFPACT_MOVE:
			xlate_move(ctx, FL_OFPACT_CAST(move, a));
			break;
		case FL_OFPACT_SET_VLAN_VID:
			xlate_mod_vlan(ctx, FL_VLAN_VID_MASK, FL_OFPACT_CAST(vlan_vid, a)->vid);
			break;
		case FL_OFPACT_SET_VLAN_PCP: {
			uint16_t pcp = FL_OFPACT_CAST(vlan_pcp, a)->pcp;

			xlate_mod_vlan(ctx, 0x7u << FL_VLAN_PCP_SHIFT,
				       (uint16_t)(pcp << FL_VLAN_PCP_SHIFT));
			break;
		}
		case FL_OFPACT_PUSH_VLAN:
			/* VID 0, PCP 0 (as OVS); set_field sets them after. */
			xlate_push_vlan(ctx, FL_OFPACT_CAST(push_vlan, a)->tpid, 0);
			break;
		case FL_OFPACT_POP_VLAN:
			if (xlate_vlan_present(ctx))
				xlate_pop_vlan(ctx);
			else
				xlate_trace(ctx, "no VLAN tag: nothing to pop");
			break;
		case FL_OFPACT_DEC_TTL:
			if (!xlate_dec_ttl(ctx)) {
				__atomic_fetch_add(&ctx->pl->xlate_ttl_expired, 1,
						   __ATOMIC_RELAXED);
				xlate_trace(ctx, "TTL %u: expired, packet dropped "
					    "(not sent to a controller)", ctx->key.nw_ttl);
				ctx->exit = true;
			}
			break;
		case FL_OFPACT_RESUBMIT:
			resubmit(ctx, FL_OFPACT_CAST(resubmit, a), table);
			break;
		case FL_OFPACT_NOTE:
			break;
		case FL_OFPACT_GOTO_TABLE:
			return FL_OFPACT_CAST(goto_table, a)->table;
		case FL_OFPACT_N:
			break;
		}
	}
	return -1;
}

static const struct fl_rule *lookup(struct xlate_ctx *ctx, unsigned table)
{
	const struct fl_classifier *cls =
		__atomic_load_n(&ctx->pl->tables[table].cls, __ATOMIC_ACQUIRE);
	const struct fl_cls_rule *cr;
	struct fl_key m;

	if (!cls)
		return NULL;
	memset(&m, 0, sizeof(m));
	cr = fl_cls_lookup(cls, ctx->rules_version, &ctx->key, &m);
	xlate_wc_add(ctx, &m);
	return cr ? fl_rule_from_cls(cr) : NULL;
}

static void run_table(struct xlate_ctx *ctx, unsigned table)
{
	struct fl_xlate_result *res = ctx->res;
	const struct fl_rule *rule;
	char text[512];
	int next;

	while (!ctx->exit) {
		rule = lookup(ctx, table);
		if (!rule) {
			switch (fl_pipeline_get_miss(ctx->pl, table)) {
			case FL_MISS_CONTINUE:
				if (table < FL_TABLE_MAX) {
					trace_table(ctx, "table %u: miss -> continue", table);
					table++;
					continue;
				}
				trace_table(ctx, "table %u: miss -> drop (last table)", table);
				return;
			case FL_MISS_NORMAL:
				trace_table(ctx, "table %u: miss -> normal", table);
				normal(ctx);
				return;
			case FL_MISS_DROP:
			default:
				trace_table(ctx, "table %u: miss -> drop", table);
				return;
			}
		}
		if (ctx->trace) {
			fl_pl_rule_format(rule, text, sizeof(text));
			trace_table(ctx, "table %u: rule '%s' (cookie 0x%llx)", table, text,
				    (unsigned long long)rule->cookie);
		}
		if (res->n_rules < FL_XLATE_MAX_RULES)
			res->rules[res->n_rules++] = (struct fl_rule *)(uintptr_t)rule;
		next = run_actions(ctx, rule, table);
		if (next < 0)
			return;
		table = (unsigned)next;
	}
}

/* --- result --- */

static int finish(struct xlate_ctx *ctx)
{
	struct fl_xlate_result *res = ctx->res;
	unsigned n = 0, i, outputs = 0;
	struct fl_dp_actions *acts;

	if (ctx->nomem)
		return -ENOMEM;
	if (!ctx->error) {
		/* Everything after the last output changes no packet that
		 * leaves. */
		for (i = 0; i < ctx->n_acts; i++) {
			if (ctx->acts[i].type == FL_DPACT_OUTPUT) {
				n = i + 1;
				outputs++;
			}
		}
	}
	acts = fl_dp_actions_alloc(n);
	if (!acts)
		return -ENOMEM;
	memcpy(acts->acts, ctx->acts, n * sizeof(acts->acts[0]));
	acts->n_outputs = (uint16_t)outputs;
	res->actions = acts;
	return 0;
}

static void trace_result(struct xlate_ctx *ctx, const struct fl_key *key)
{
	struct fl_xlate_result *res = ctx->res;
	const uint64_t *k = fl_key_words(key), *w = fl_key_words(&res->wc);
	struct fl_match mf;
	uint64_t *v = (uint64_t *)(void *)&mf.value;
	char text[1024];
	unsigned i;

	fl_dp_actions_format(res->actions, text, sizeof(text));
	trace_append(ctx->trace, "datapath actions: %s\n", text);
	for (i = 0; i < FL_KEY_WORDS; i++)
		v[i] = k[i] & w[i];
	mf.mask = res->wc;
	fl_match_format(&mf, FL_PRIORITY_DEFAULT, text, sizeof(text));
	trace_append(ctx->trace, "megaflow: %s\n", text[0] ? text : "(any packet)");
}

int fl_pipeline_translate(struct fl_pipeline *pl, const struct fl_key *key,
			  struct fl_xlate_result *res, struct fl_trace *trace)
{
	struct xlate_ctx ctx;
	int r;

	memset(res, 0, sizeof(*res));
	/* The version first, then the rules and ports: the result never
	 * claims a version newer than what it read (pipeline_private.h). */
	res->version = fl_pipeline_version(pl);
	res->cacheable = true;
	ctx.pl = pl;
	ctx.rules_version = fl_pl_rules_version(pl);
	ctx.ports = __atomic_load_n(&pl->ports, __ATOMIC_ACQUIRE);
	ctx.res = res;
	ctx.trace = trace;
	ctx.acts = ctx.stack_acts;
	ctx.n_acts = 0;
	ctx.cap_acts = XLATE_STACK_DPACTS;
	ctx.depth = 0;
	ctx.n_resubmits = 0;
	ctx.exit = ctx.error = ctx.nomem = false;
	xlate_init_state(&ctx, key);

	run_table(&ctx, 0);

	r = finish(&ctx);
	if (ctx.acts != ctx.stack_acts)
		free(ctx.acts);
	__atomic_fetch_add(&pl->translations, 1, __ATOMIC_RELAXED);
	if (ctx.error)
		__atomic_fetch_add(&pl->xlate_errors, 1, __ATOMIC_RELAXED);
	if (r)
		return r;
	if (trace)
		trace_result(&ctx, key);
	return 0;
}
