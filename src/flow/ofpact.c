/* Action lists: building (fl_ofpacts_put), checking against the flow they
 * belong to, and printing in ovs-ofctl syntax.
 *
 * The checks here are the ones that do not depend on how a list was written,
 * so the text parser (flow_parse_actions.c) and later the OpenFlow decoder
 * share them; the parser adds the column of the offending action to the
 * message. Printing picks the syntax each entry remembers (set_field, load or
 * mod_*), so a list prints back as it was written, in canonical form.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_private.h"
#include "flow/ofpact.h"
#include "proto/headers.h"

static const struct {
	const char *name;
	enum fl_field_id field;
} fl_mod_actions[] = {
	{ "mod_dl_src", FL_FIELD_DL_SRC }, { "mod_dl_dst", FL_FIELD_DL_DST },
	{ "mod_nw_src", FL_FIELD_NW_SRC }, { "mod_nw_dst", FL_FIELD_NW_DST },
	{ "mod_nw_tos", FL_FIELD_NW_TOS }, { "mod_nw_ecn", FL_FIELD_NW_ECN },
	{ "mod_nw_ttl", FL_FIELD_NW_TTL }, { "mod_tp_src", FL_FIELD_TP_SRC },
	{ "mod_tp_dst", FL_FIELD_TP_DST },
};

const struct fl_field *fl_ofpact_mod_field(const char *name)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_SIZE(fl_mod_actions); i++)
		if (!strcmp(name, fl_mod_actions[i].name))
			return fl_field_by_id(fl_mod_actions[i].field);
	return NULL;
}

static const char *mod_name(enum fl_field_id field)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_SIZE(fl_mod_actions); i++)
		if (fl_mod_actions[i].field == field)
			return fl_mod_actions[i].name;
	return NULL;
}

/* --- the list --- */

void fl_ofpacts_init(struct fl_ofpacts *acts)
{
	acts->data = NULL;
	acts->len = 0;
	acts->cap = 0;
}

void fl_ofpacts_uninit(struct fl_ofpacts *acts)
{
	free(acts->data);
	fl_ofpacts_init(acts);
}

void *fl_ofpacts_put(struct fl_ofpacts *acts, enum fl_ofpact_type type, size_t len)
{
	size_t alen = (len + FL_OFPACT_ALIGN - 1) & ~(size_t)(FL_OFPACT_ALIGN - 1);
	struct fl_ofpact *a;

	if (len < sizeof(*a) || alen > UINT16_MAX || alen > FL_OFPACTS_MAX_LEN - acts->len) {
		errno = E2BIG;
		return NULL;
	}
	if (acts->len + alen > acts->cap) {
		size_t cap = acts->cap ? acts->cap * 2 : 64;
		void *data;

		while (cap < acts->len + alen)
			cap *= 2;
		data = realloc(acts->data, cap);
		if (!data) {
			errno = ENOMEM;
			return NULL;
		}
		acts->data = data;
		acts->cap = (uint32_t)cap;
	}
	a = (struct fl_ofpact *)(void *)((uint8_t *)acts->data + acts->len);
	memset(a, 0, alen);
	a->type = (uint16_t)type;
	a->len = (uint16_t)alen;
	acts->len += (uint32_t)alen;
	return a;
}

int fl_ofpacts_copy(struct fl_ofpacts *dst, const struct fl_ofpacts *src)
{
	fl_ofpacts_init(dst);
	if (!src->len)
		return 0;
	dst->data = malloc(src->len);
	if (!dst->data)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	dst->len = dst->cap = src->len;
	return 0;
}

bool fl_ofpacts_equal(const struct fl_ofpacts *a, const struct fl_ofpacts *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

const char *fl_ofpact_type_name(enum fl_ofpact_type type)
{
	static const char *const names[FL_OFPACT_N] = {
		[FL_OFPACT_OUTPUT] = "output",
		[FL_OFPACT_CONTROLLER] = "controller",
		[FL_OFPACT_SET_FIELD] = "set_field",
		[FL_OFPACT_MOVE] = "move",
		[FL_OFPACT_SET_VLAN_VID] = "mod_vlan_vid",
		[FL_OFPACT_SET_VLAN_PCP] = "mod_vlan_pcp",
		[FL_OFPACT_PUSH_VLAN] = "push_vlan",
		[FL_OFPACT_POP_VLAN] = "pop_vlan",
		[FL_OFPACT_DEC_TTL] = "dec_ttl",
		[FL_OFPACT_RESUBMIT] = "resubmit",
		[FL_OFPACT_NOTE] = "note",
		[FL_OFPACT_GOTO_TABLE] = "goto_table",
	};

	return (unsigned)type < FL_OFPACT_N && names[type] ? names[type] : "unknown";
}

/* --- checks --- */

static size_t min_len(enum fl_ofpact_type type)
{
	switch (type) {
	case FL_OFPACT_OUTPUT:
		return sizeof(struct fl_ofpact_output);
	case FL_OFPACT_CONTROLLER:
		return sizeof(struct fl_ofpact_controller);
	case FL_OFPACT_SET_FIELD:
		return sizeof(struct fl_ofpact_set_field);
	case FL_OFPACT_MOVE:
		return sizeof(struct fl_ofpact_move);
	case FL_OFPACT_SET_VLAN_VID:
		return sizeof(struct fl_ofpact_vlan_vid);
	case FL_OFPACT_SET_VLAN_PCP:
		return sizeof(struct fl_ofpact_vlan_pcp);
	case FL_OFPACT_PUSH_VLAN:
		return sizeof(struct fl_ofpact_push_vlan);
	case FL_OFPACT_POP_VLAN:
		return sizeof(struct fl_ofpact_pop_vlan);
	case FL_OFPACT_DEC_TTL:
		return sizeof(struct fl_ofpact_dec_ttl);
	case FL_OFPACT_RESUBMIT:
		return sizeof(struct fl_ofpact_resubmit);
	case FL_OFPACT_NOTE:
		return sizeof(struct fl_ofpact_note);
	case FL_OFPACT_GOTO_TABLE:
		return sizeof(struct fl_ofpact_goto_table);
	case FL_OFPACT_N:
		break;
	}
	return 0;
}

static int fail(char *msg, size_t msglen, const char *fmt, ...) FL_PRINTF(3, 4);
static int fail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_dst(const char *act, const struct fl_field *f, const struct fl_match *m,
		     char *msg, size_t msglen)
{
	if (!(f->flags & FL_FIELD_F_WRITABLE))
		return fail(msg, msglen, "%s: %s is read-only", act, f->name);
	if (!fl_field_prereqs_ok(f, m))
		return fail(msg, msglen, "%s: %s needs %s (prerequisites not met)", act, f->name,
			    fl_field_prereq_text(f));
	return 0;
}

static bool port_valid(uint32_t port)
{
	return port <= FL_PORT_MAX || fl_port_reserved_name(port);
}

int fl_ofpact_check(const struct fl_ofpact *a, const struct fl_match *m, uint8_t table_id,
		    bool is_last, char *msg, size_t msglen)
{
	const struct fl_field *f, *g;
	unsigned i;

	switch ((enum fl_ofpact_type)a->type) {
	case FL_OFPACT_OUTPUT: {
		uint32_t port = FL_OFPACT_CAST(output, a)->port;

		if (!port_valid(port) || port == FL_PORT_ANY || port == FL_PORT_TABLE)
			return fail(msg, msglen, "output: port %u is not a port to output to",
				    port);
		break;
	}
	case FL_OFPACT_CONTROLLER:
		if (FL_OFPACT_CAST(controller, a)->reason > FL_CONTROLLER_INVALID_TTL)
			return fail(msg, msglen, "controller: unknown reason %u",
				    FL_OFPACT_CAST(controller, a)->reason);
		break;
	case FL_OFPACT_SET_FIELD: {
		const struct fl_ofpact_set_field *sf = FL_OFPACT_CAST(set_field, a);

		f = fl_field_by_id((enum fl_field_id)sf->field);
		if (!f)
			return fail(msg, msglen, "set_field: unknown field %u", sf->field);
		if (!fl_field_value_fits(f, &sf->value) || !fl_field_value_fits(f, &sf->mask))
			return fail(msg, msglen, "set_field: value too wide for %s (%u bits)",
				    f->name, f->n_bits);
		for (i = 0; i < FL_FIELD_MAX_BYTES; i++)
			if (sf->value.b[i] & ~sf->mask.b[i])
				return fail(msg, msglen, "set_field: value outside its mask");
		return check_dst(sf->syntax == FL_SET_FIELD_SYNTAX_LOAD  ? "load"
				 : sf->syntax == FL_SET_FIELD_SYNTAX_MOD ? "mod"
									 : "set_field",
				 f, m, msg, msglen);
	}
	case FL_OFPACT_MOVE: {
		const struct fl_ofpact_move *mv = FL_OFPACT_CAST(move, a);

		f = fl_field_by_id((enum fl_field_id)mv->src_field);
		g = fl_field_by_id((enum fl_field_id)mv->dst_field);
		if (!f || !g)
			return fail(msg, msglen, "move: unknown field");
		if (!mv->n_bits || mv->src_ofs + mv->n_bits > f->n_bits ||
		    mv->dst_ofs + mv->n_bits > g->n_bits)
			return fail(msg, msglen, "move: bits outside the fields");
		if (!fl_field_prereqs_ok(f, m))
			return fail(msg, msglen, "move: %s needs %s (prerequisites not met)",
				    f->name, fl_field_prereq_text(f));
		return check_dst("move", g, m, msg, msglen);
	}
	case FL_OFPACT_SET_VLAN_VID:
		if (FL_OFPACT_CAST(vlan_vid, a)->vid > FL_VLAN_VID_MASK)
			return fail(msg, msglen, "mod_vlan_vid: VID %u is not 0..4095",
				    FL_OFPACT_CAST(vlan_vid, a)->vid);
		break;
	case FL_OFPACT_SET_VLAN_PCP:
		if (FL_OFPACT_CAST(vlan_pcp, a)->pcp > 7)
			return fail(msg, msglen, "mod_vlan_pcp: PCP %u is not 0..7",
				    FL_OFPACT_CAST(vlan_pcp, a)->pcp);
		break;
	case FL_OFPACT_PUSH_VLAN: {
		uint16_t tpid = FL_OFPACT_CAST(push_vlan, a)->tpid;

		if (tpid != FL_ETH_TYPE_VLAN && tpid != FL_ETH_TYPE_QINQ)
			return fail(msg, msglen, "push_vlan: 0x%04x is not 0x8100 or 0x88a8", tpid);
		break;
	}
	case FL_OFPACT_POP_VLAN:
	case FL_OFPACT_DEC_TTL:
		break;
	case FL_OFPACT_RESUBMIT: {
		const struct fl_ofpact_resubmit *r = FL_OFPACT_CAST(resubmit, a);

		if (!port_valid(r->in_port) || r->in_port == FL_PORT_ANY)
			return fail(msg, msglen, "resubmit: bad port %u", r->in_port);
		break;
	}
	case FL_OFPACT_NOTE:
		if (FL_OFPACT_CAST(note, a)->n > a->len - offsetof(struct fl_ofpact_note, data))
			return fail(msg, msglen, "note: longer than its entry");
		break;
	case FL_OFPACT_GOTO_TABLE: {
		uint8_t t = FL_OFPACT_CAST(goto_table, a)->table;

		if (table_id == FL_OFPACT_TABLE_CURRENT)
			return fail(msg, msglen,
				    "goto_table:%u needs the flow's table (table=N) to go forward from",
				    t);
		if (t == FL_OFPACT_TABLE_CURRENT || t <= table_id)
			return fail(msg, msglen,
				    "goto_table:%u must go to a later table than this flow's table %u",
				    t, table_id);
		if (!is_last)
			return fail(msg, msglen, "goto_table must be the last action");
		break;
	}
	default:
		return fail(msg, msglen, "unknown action type %u", a->type);
	}
	return 0;
}

int fl_ofpacts_check(const struct fl_ofpact *acts, size_t len, const struct fl_match *m,
		     uint8_t table_id, char *msg, size_t msglen)
{
	const uint8_t *p = (const uint8_t *)acts, *end = len ? p + len : p;
	int r;

	if (len && ((uintptr_t)p % FL_OFPACT_ALIGN || len % FL_OFPACT_ALIGN))
		return fail(msg, msglen, "action list misaligned");
	while (p < end) {
		const struct fl_ofpact *a = (const struct fl_ofpact *)(const void *)p;
		size_t need = min_len((enum fl_ofpact_type)a->type);

		if ((size_t)(end - p) < sizeof(*a) || a->len % FL_OFPACT_ALIGN ||
		    a->len > (size_t)(end - p) || !need || a->len < need)
			return fail(msg, msglen, "action %u has a bad length %u", a->type, a->len);
		r = fl_ofpact_check(a, m, table_id, p + a->len == end, msg, msglen);
		if (r)
			return r;
		p += a->len;
	}
	return 0;
}

/* --- text --- */

/* The one run of set bits in mask as a subfield; false if it is not one run. */
static bool mask_to_subfield(const struct fl_field *f, const union fl_field_value *mask,
			     struct fl_subfield *sf)
{
	unsigned n = fl_field_nbytes(f), i, first = 0, count = 0;
	bool seen = false;

	for (i = 0; i < f->n_bits; i++) {
		if (!fl_bits_get(mask->b, n, i))
			continue;
		if (!seen)
			first = i;
		else if (i != first + count)
			return false;
		seen = true;
		count++;
	}
	if (!count)
		return false;
	sf->field = f;
	sf->ofs = (uint16_t)first;
	sf->n_bits = (uint16_t)count;
	return true;
}

static void format_subfield(struct fl_sbuf *s, const struct fl_subfield *sf)
{
	size_t room;
	char *tail = fl_sbuf_tail(s, &room);

	fl_sbuf_advance(s, fl_subfield_format(sf, tail, room));
}

static void format_set_field(struct fl_sbuf *s, const struct fl_ofpact_set_field *sf)
{
	const struct fl_field *f = fl_field_by_id((enum fl_field_id)sf->field);
	const char *mod = f ? mod_name(f->id) : NULL;
	struct fl_subfield sub;
	union fl_field_value bits, ones;
	unsigned i, bn;
	char *tail;
	size_t room;

	if (!f) {
		fl_sbuf_printf(s, "set_field:?");
		return;
	}
	fl_field_value_ones(f, &ones);
	if (sf->syntax == FL_SET_FIELD_SYNTAX_MOD && mod &&
	    !memcmp(sf->mask.b, ones.b, sizeof(ones.b))) {
		fl_sbuf_printf(s, "%s:", mod);
		tail = fl_sbuf_tail(s, &room);
		fl_sbuf_advance(s, fl_field_format_value(f, &sf->value, NULL, tail, room));
		return;
	}
	if (sf->syntax == FL_SET_FIELD_SYNTAX_LOAD && mask_to_subfield(f, &sf->mask, &sub)) {
		bn = (sub.n_bits + 7u) / 8u;
		memset(&bits, 0, sizeof(bits));
		for (i = 0; i < sub.n_bits; i++)
			if (fl_bits_get(sf->value.b, fl_field_nbytes(f), sub.ofs + i))
				fl_bits_set(bits.b, bn, i, true);
		fl_sbuf_printf(s, "load:");
		tail = fl_sbuf_tail(s, &room);
		fl_sbuf_advance(s, fl_field_format_number(bits.b, bn, tail, room));
		fl_sbuf_printf(s, "->");
		format_subfield(s, &sub);
		return;
	}
	fl_sbuf_printf(s, "set_field:");
	tail = fl_sbuf_tail(s, &room);
	fl_sbuf_advance(s, fl_field_format_value(f, &sf->value, &sf->mask, tail, room));
	fl_sbuf_printf(s, "->%s", f->name);
}

static void format_port(struct fl_sbuf *s, uint32_t port)
{
	char buf[32];

	fl_port_format(port, buf, sizeof(buf));
	fl_sbuf_printf(s, "%s", buf);
}

static const char *reason_name(uint8_t reason)
{
	switch (reason) {
	case FL_CONTROLLER_NO_MATCH:
		return "no_match";
	case FL_CONTROLLER_ACTION:
		return "action";
	case FL_CONTROLLER_INVALID_TTL:
		return "invalid_ttl";
	}
	return "?";
}

static void format_one(struct fl_sbuf *s, const struct fl_ofpact *a)
{
	unsigned i;

	switch ((enum fl_ofpact_type)a->type) {
	case FL_OFPACT_OUTPUT: {
		uint32_t port = FL_OFPACT_CAST(output, a)->port;

		if (port <= FL_PORT_MAX || port == FL_PORT_CONTROLLER || port == FL_PORT_ANY ||
		    port == FL_PORT_TABLE || !fl_port_reserved_name(port))
			fl_sbuf_printf(s, "output:");
		format_port(s, port);
		break;
	}
	case FL_OFPACT_CONTROLLER: {
		const struct fl_ofpact_controller *c = FL_OFPACT_CAST(controller, a);

		if (c->reason == FL_CONTROLLER_ACTION) {
			fl_sbuf_printf(s, "CONTROLLER:%u", c->max_len);
		} else {
			fl_sbuf_printf(s, "controller(reason=%s", reason_name(c->reason));
			if (c->max_len != FL_OFPACT_MAX_LEN_ALL)
				fl_sbuf_printf(s, ",max_len=%u", c->max_len);
			fl_sbuf_printf(s, ")");
		}
		break;
	}
	case FL_OFPACT_SET_FIELD:
		format_set_field(s, FL_OFPACT_CAST(set_field, a));
		break;
	case FL_OFPACT_MOVE: {
		const struct fl_ofpact_move *mv = FL_OFPACT_CAST(move, a);
		struct fl_subfield src = { fl_field_by_id((enum fl_field_id)mv->src_field),
					   mv->src_ofs, mv->n_bits };
		struct fl_subfield dst = { fl_field_by_id((enum fl_field_id)mv->dst_field),
					   mv->dst_ofs, mv->n_bits };

		if (!src.field || !dst.field) {
			fl_sbuf_printf(s, "move:?");
			break;
		}
		fl_sbuf_printf(s, "move:");
		format_subfield(s, &src);
		fl_sbuf_printf(s, "->");
		format_subfield(s, &dst);
		break;
	}
	case FL_OFPACT_SET_VLAN_VID:
		fl_sbuf_printf(s, "mod_vlan_vid:%u", FL_OFPACT_CAST(vlan_vid, a)->vid);
		break;
	case FL_OFPACT_SET_VLAN_PCP:
		fl_sbuf_printf(s, "mod_vlan_pcp:%u", FL_OFPACT_CAST(vlan_pcp, a)->pcp);
		break;
	case FL_OFPACT_PUSH_VLAN:
		fl_sbuf_printf(s, "push_vlan:0x%04x", FL_OFPACT_CAST(push_vlan, a)->tpid);
		break;
	case FL_OFPACT_POP_VLAN:
		fl_sbuf_printf(s, "%s", FL_OFPACT_CAST(pop_vlan, a)->strip ? "strip_vlan" : "pop_vlan");
		break;
	case FL_OFPACT_DEC_TTL:
		fl_sbuf_printf(s, "dec_ttl");
		break;
	case FL_OFPACT_RESUBMIT: {
		const struct fl_ofpact_resubmit *r = FL_OFPACT_CAST(resubmit, a);

		if (r->table == FL_OFPACT_TABLE_CURRENT) {
			fl_sbuf_printf(s, "resubmit:");
			format_port(s, r->in_port);
			break;
		}
		fl_sbuf_printf(s, "resubmit(");
		if (r->in_port != FL_PORT_IN_PORT)
			format_port(s, r->in_port);
		fl_sbuf_printf(s, ",%u)", r->table);
		break;
	}
	case FL_OFPACT_NOTE: {
		const struct fl_ofpact_note *n = FL_OFPACT_CAST(note, a);

		fl_sbuf_printf(s, "note:");
		for (i = 0; i < n->n; i++)
			fl_sbuf_printf(s, "%s%02x", i ? "." : "", n->data[i]);
		break;
	}
	case FL_OFPACT_GOTO_TABLE:
		fl_sbuf_printf(s, "goto_table:%u", FL_OFPACT_CAST(goto_table, a)->table);
		break;
	default:
		fl_sbuf_printf(s, "unknown(%u)", a->type);
		break;
	}
}

int fl_ofpact_format(const struct fl_ofpact *a, char *buf, size_t size)
{
	struct fl_sbuf s;

	fl_sbuf_init(&s, buf, size);
	format_one(&s, a);
	return fl_sbuf_result(&s);
}

int fl_ofpacts_format(const struct fl_ofpact *acts, size_t len, char *buf, size_t size)
{
	const struct fl_ofpact *a;
	struct fl_sbuf s;

	fl_sbuf_init(&s, buf, size);
	if (!len) {
		fl_sbuf_printf(&s, "drop");
		return fl_sbuf_result(&s);
	}
	FL_OFPACT_FOR_EACH(a, acts, len) {
		if (a != acts)
			fl_sbuf_printf(&s, ",");
		format_one(&s, a);
	}
	return fl_sbuf_result(&s);
}
