/* Random valid flow specs for property tests (test_flow.c).
 *
 * rand_spec() builds a spec the parser could have produced: a command kind;
 * a match whose protocol fields come from one of the shorthand classes, with
 * every other field set at random (value and, where the syntax allows, an
 * arbitrary mask) only when its prerequisites hold; flow-mod fields that the
 * command allows; and, for add and modify, random actions of every type,
 * each kept only if fl_ofpact_check() accepts it for that match and table.
 * The generator is a fixed-seed xorshift, so a failure replays. Assertions
 * use cmocka, so include this after <cmocka.h>.
 */
#ifndef FL_TESTS_FLOW_RANDOM_H
#define FL_TESTS_FLOW_RANDOM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "flow/flow.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static uint32_t rand_port(bool reserved_ok)
{
	static const uint32_t reserved[] = { FL_PORT_LOCAL, FL_PORT_NORMAL, FL_PORT_FLOOD,
					     FL_PORT_ALL, FL_PORT_IN_PORT };

	if (reserved_ok && !rn(4))
		return reserved[rn(5)];
	return rn(3) ? rn(64) + 1 : (uint32_t)(rnd() % (FL_PORT_MAX + 1ull));
}

/* A random value for f, masked when maskable (full, prefix-like or any). */
static void rand_value(const struct fl_field *f, bool masked, union fl_field_value *v,
		       union fl_field_value *m)
{
	unsigned n = fl_field_nbytes(f), i;
	union fl_field_value ones;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n; i++)
		v->b[i] = (uint8_t)rnd();
	fl_field_value_ones(f, &ones);
	v->b[0] &= ones.b[0];
	*m = ones;
	if (masked && (f->flags & FL_FIELD_F_MASKABLE)) {
		unsigned kind = rn(3), prefix = rn(f->n_bits + 1);

		for (i = 0; i < n; i++)
			m->b[i] = kind == 0 ? ones.b[i] : (uint8_t)rnd() & ones.b[i];
		if (kind == 2) {
			memset(m, 0, sizeof(*m));
			for (i = 0; i < prefix; i++)
				fl_bits_set(m->b, n, f->n_bits - 1 - i, true);
		}
	}
	if (f->fmt == FL_FFMT_PORT) {
		fl_field_value_from_u64(f, rand_port(true), v);
		*m = ones;
	}
	for (i = 0; i < n; i++)
		v->b[i] &= m->b[i];
}

static void set_exact(struct fl_match *m, enum fl_field_id id, uint64_t x)
{
	const struct fl_field *f = fl_field_by_id(id);
	union fl_field_value v, ones;

	fl_field_value_from_u64(f, x, &v);
	fl_field_value_ones(f, &ones);
	fl_field_set_match(f, m, &v, &ones);
}

static void rand_match(struct fl_match *m)
{
	static const struct {
		uint16_t dl_type;
		int proto, icmp6_type;
	} classes[] = {
		{ 0, -1, -1 },	   { 0x88cc, -1, -1 }, { 0x0800, -1, -1 }, { 0x86dd, -1, -1 },
		{ 0x0806, -1, -1 }, { 0x8035, -1, -1 }, { 0x0800, 6, -1 },  { 0x0800, 17, -1 },
		{ 0x0800, 132, -1 }, { 0x0800, 1, -1 }, { 0x86dd, 6, -1 },  { 0x86dd, 17, -1 },
		{ 0x86dd, 132, -1 }, { 0x86dd, 58, -1 }, { 0x86dd, 58, 135 }, { 0x86dd, 58, 136 },
	};
	unsigned c = rn(FL_ARRAY_SIZE(classes)), i;

	fl_match_init_catchall(m);
	if (classes[c].dl_type)
		set_exact(m, FL_FIELD_DL_TYPE, classes[c].dl_type);
	if (classes[c].proto >= 0)
		set_exact(m, FL_FIELD_NW_PROTO, (uint64_t)classes[c].proto);
	else if ((c == 2 || c == 3) && !rn(3))
		set_exact(m, FL_FIELD_NW_PROTO, rn(256));
	if (classes[c].icmp6_type >= 0)
		set_exact(m, FL_FIELD_ICMPV6_TYPE, (uint64_t)classes[c].icmp6_type);

	for (i = 0; i < FL_FIELD_N; i++) {
		const struct fl_field *f = fl_field_by_id((enum fl_field_id)i);
		union fl_field_value v, mask;

		/* Protocol fields come from the class, so prerequisites hold. */
		if (i == FL_FIELD_DL_TYPE || i == FL_FIELD_NW_PROTO || i == FL_FIELD_ARP_OP ||
		    ((i == FL_FIELD_ICMPV6_TYPE || i == FL_FIELD_ICMP_TYPE) &&
		     classes[c].icmp6_type >= 0) ||
		    rn(4) || !fl_field_prereqs_ok(f, m))
			continue;
		rand_value(f, true, &v, &mask);
		fl_field_set_match(f, m, &v, &mask);
	}
	if (c == 4 && rn(2))
		set_exact(m, FL_FIELD_ARP_OP, rn(256));
}

/* Append a copy of entry a if it is valid for the spec. */
static void add_if_valid(struct fl_flow_spec *s, const struct fl_ofpact *a, bool last)
{
	char msg[256];
	void *dst;

	if (fl_ofpact_check(a, &s->match, s->table_id, last, msg, sizeof(msg)))
		return;
	dst = fl_ofpacts_put(&s->actions, (enum fl_ofpact_type)a->type, a->len);
	assert_non_null(dst);
	memcpy(dst, a, a->len);
}

static const struct fl_field *rand_field(bool writable)
{
	const struct fl_field *f;

	do
		f = fl_field_by_id((enum fl_field_id)rn(FL_FIELD_N));
	while (writable && !(f->flags & FL_FIELD_F_WRITABLE));
	return f;
}

static void rand_action(struct fl_flow_spec *s)
{
	static const enum fl_field_id mods[] = { FL_FIELD_DL_SRC, FL_FIELD_DL_DST, FL_FIELD_NW_SRC,
						 FL_FIELD_NW_DST, FL_FIELD_NW_TOS, FL_FIELD_NW_ECN,
						 FL_FIELD_NW_TTL, FL_FIELD_TP_SRC, FL_FIELD_TP_DST };
	union {
		struct fl_ofpact hdr;
		struct fl_ofpact_output out;
		struct fl_ofpact_controller ctl;
		struct fl_ofpact_set_field sf;
		struct fl_ofpact_move mv;
		struct fl_ofpact_resubmit rs;
		uint8_t note[64];
		uint64_t align;
	} u;
	const struct fl_field *f, *g;
	struct fl_subfield sub;
	union fl_field_value bits;
	unsigned i, kind = rn(14);

	memset(&u, 0, sizeof(u));
	u.hdr.len = 8;
	switch (kind) {
	case 0:
		u.hdr.type = FL_OFPACT_OUTPUT;
		u.out.port = rand_port(true);
		break;
	case 1:
		u.hdr.type = FL_OFPACT_CONTROLLER;
		u.ctl.max_len = rn(2) ? FL_OFPACT_MAX_LEN_ALL : (uint16_t)rnd();
		u.ctl.reason = (uint8_t)rn(3);
		break;
	case 2: /* set_field */
	case 3: /* mod_* */
		u.hdr.type = FL_OFPACT_SET_FIELD;
		u.hdr.len = sizeof(u.sf);
		f = kind == 2 ? rand_field(true) : fl_field_by_id(mods[rn(FL_ARRAY_SIZE(mods))]);
		u.sf.field = (uint16_t)f->id;
		u.sf.syntax = kind == 2 ? FL_SET_FIELD_SYNTAX_SET_FIELD : FL_SET_FIELD_SYNTAX_MOD;
		rand_value(f, kind == 2, &u.sf.value, &u.sf.mask);
		break;
	case 4: /* load */
		f = rand_field(true);
		sub.field = f;
		sub.n_bits = (uint16_t)(rn(f->n_bits) + 1);
		sub.ofs = (uint16_t)rn(f->n_bits - sub.n_bits + 1);
		memset(&bits, 0, sizeof(bits));
		for (i = 0; i < (sub.n_bits + 7u) / 8u; i++)
			bits.b[i] = (uint8_t)rnd();
		if (sub.n_bits % 8)
			bits.b[0] &= (uint8_t)((1u << (sub.n_bits % 8)) - 1);
		u.hdr.type = FL_OFPACT_SET_FIELD;
		u.hdr.len = sizeof(u.sf);
		u.sf.field = (uint16_t)f->id;
		u.sf.syntax = FL_SET_FIELD_SYNTAX_LOAD;
		fl_subfield_to_field(&sub, &bits, &u.sf.value, &u.sf.mask);
		break;
	case 5: /* move */
		f = rand_field(false);
		g = rand_field(true);
		u.hdr.type = FL_OFPACT_MOVE;
		u.hdr.len = sizeof(u.mv);
		u.mv.src_field = (uint16_t)f->id;
		u.mv.dst_field = (uint16_t)g->id;
		u.mv.n_bits = (uint16_t)(rn(FL_MIN(f->n_bits, g->n_bits)) + 1);
		u.mv.src_ofs = (uint16_t)rn(f->n_bits - u.mv.n_bits + 1);
		u.mv.dst_ofs = (uint16_t)rn(g->n_bits - u.mv.n_bits + 1);
		break;
	case 6:
		u.hdr.type = FL_OFPACT_SET_VLAN_VID;
		((struct fl_ofpact_vlan_vid *)(void *)&u)->vid = (uint16_t)rn(4096);
		break;
	case 7:
		u.hdr.type = FL_OFPACT_SET_VLAN_PCP;
		((struct fl_ofpact_vlan_pcp *)(void *)&u)->pcp = (uint8_t)rn(8);
		break;
	case 8:
		u.hdr.type = FL_OFPACT_PUSH_VLAN;
		((struct fl_ofpact_push_vlan *)(void *)&u)->tpid = rn(2) ? 0x8100 : 0x88a8;
		break;
	case 9:
		u.hdr.type = FL_OFPACT_POP_VLAN;
		((struct fl_ofpact_pop_vlan *)(void *)&u)->strip = (uint8_t)rn(2);
		break;
	case 10:
		u.hdr.type = FL_OFPACT_DEC_TTL;
		break;
	case 11:
		u.hdr.type = FL_OFPACT_RESUBMIT;
		u.hdr.len = sizeof(u.rs);
		u.rs.in_port = rn(2) ? FL_PORT_IN_PORT : rand_port(true);
		u.rs.table = rn(2) ? FL_OFPACT_TABLE_CURRENT : (uint8_t)rn(FL_TABLE_MAX + 1);
		break;
	default: {
		struct fl_ofpact_note *n = (struct fl_ofpact_note *)(void *)&u;

		n->hdr.type = FL_OFPACT_NOTE;
		n->n = (uint16_t)rn(30);
		for (i = 0; i < n->n; i++)
			n->data[i] = (uint8_t)rnd();
		n->hdr.len = (uint16_t)((offsetof(struct fl_ofpact_note, data) + n->n + 7) & ~7u);
		break;
	}
	}
	add_if_valid(s, &u.hdr, false);
}

static void rand_spec(struct fl_flow_spec *s)
{
	enum fl_flow_cmd cmd = (enum fl_flow_cmd)rn(5);
	bool del = cmd == FL_FLOW_DELETE || cmd == FL_FLOW_DELETE_STRICT;
	unsigned i, n;

	fl_flow_spec_init(s, cmd);
	rand_match(&s->match);
	if (cmd != FL_FLOW_DELETE && rn(2))
		s->priority = (uint16_t)rnd();
	if (rn(2))
		s->table_id = (uint8_t)(cmd == FL_FLOW_ADD ? rn(FL_TABLE_MAX + 1) : rn(256));
	if (cmd == FL_FLOW_ADD || (cmd != FL_FLOW_DELETE && cmd != FL_FLOW_DELETE_STRICT && rn(2))) {
		s->cookie = rn(2) ? rnd() : 0;
	} else if (rn(2)) {
		s->cookie_mask = rnd() | 1;
		s->cookie = rnd() & s->cookie_mask;
	}
	if (!del) {
		s->idle_timeout = rn(2) ? (uint16_t)rnd() : 0;
		s->hard_timeout = rn(2) ? (uint16_t)rnd() : 0;
		s->flags = (uint16_t)rn(32);
		n = rn(7);
		for (i = 0; i < n; i++)
			rand_action(s);
		if (rn(4) == 0 && s->table_id < FL_TABLE_MAX) {
			struct fl_ofpact_goto_table g = { { FL_OFPACT_GOTO_TABLE, 8 }, 0, { 0 } };

			g.table = (uint8_t)(s->table_id + 1 + rn(FL_TABLE_MAX - s->table_id));
			add_if_valid(s, &g.hdr, true);
		}
	}
	if (cmd != FL_FLOW_ADD && rn(2))
		s->out_port = rand_port(true);
}

#endif
