/* Parsing the actions of a flow ("actions=..."), in ovs-ofctl syntax.
 *
 * Actions are separated by commas or white space outside parentheses, so
 * "resubmit(,2)" and "controller(reason=no_match,max_len=64)" are one action
 * each. An action is "name", "name:arg" or "name(args)"; a bare port number
 * or a port name the resolver knows is an output. Each action is checked as
 * soon as it is built (fl_ofpact_check: writable fields, prerequisites
 * against the already complete match, goto_table forward), so the error
 * names the action where it is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "flow/flow.h"
#include "flow/flow_private.h"
#include "proto/headers.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

struct act_parse {
	struct fl_parse_ctx *ctx;
	const char *tok; /* the whole action, for columns and messages */
	const char *name;
	char *arg;       /* after ':' or inside '(...)'; NULL if none */
};

static void *put(struct act_parse *ap, enum fl_ofpact_type type, size_t len)
{
	void *a = fl_ofpacts_put(&ap->ctx->spec->actions, type, len);

	if (!a && errno == E2BIG)
		fl_parse_fail(ap->ctx, ap->tok, "too many actions (over %u bytes)",
			      FL_OFPACTS_MAX_LEN);
	else if (!a)
		fl_parse_fail(ap->ctx, ap->tok, "out of memory");
	return a;
}

static int need_arg(struct act_parse *ap)
{
	if (ap->arg && *ap->arg)
		return 0;
	return fl_parse_fail(ap->ctx, ap->tok, "%s needs an argument (%s:...)", ap->name, ap->name);
}

static int no_arg(struct act_parse *ap)
{
	if (!ap->arg)
		return 0;
	return fl_parse_fail(ap->ctx, ap->tok, "%s takes no argument", ap->name);
}

static int parse_u(struct act_parse *ap, const char *what, const char *s, uint64_t max,
		   uint64_t *out)
{
	return fl_parse_uint(ap->ctx, what, ap->name, s, max, out);
}

static int parse_port(struct act_parse *ap, const char *s, uint32_t *port)
{
	int r = fl_port_parse(s, ap->ctx->res, port);

	if (r == -ENOENT)
		return fl_parse_fail(ap->ctx, s, "unknown port '%.*s' for %s", FL_QUOTE_MAX, s,
				     ap->name);
	if (r)
		return fl_parse_fail(ap->ctx, s, "bad port '%.*s' for %s", FL_QUOTE_MAX, s,
				     ap->name);
	return 0;
}

static int put_port(struct act_parse *ap, uint32_t port)
{
	struct fl_ofpact_output *o = put(ap, FL_OFPACT_OUTPUT, sizeof(*o));

	if (!o)
		return -EINVAL;
	o->port = port;
	return 0;
}

/* output:CONTROLLER is the controller action, so a list has one spelling. */
static int put_output(struct act_parse *ap, uint32_t port)
{
	if (port == FL_PORT_CONTROLLER) {
		struct fl_ofpact_controller *c = put(ap, FL_OFPACT_CONTROLLER, sizeof(*c));

		if (!c)
			return -EINVAL;
		c->max_len = FL_OFPACT_MAX_LEN_ALL;
		c->reason = FL_CONTROLLER_ACTION;
		return 0;
	}
	return put_port(ap, port);
}

static int parse_controller(struct act_parse *ap, bool paren)
{
	struct fl_ofpact_controller *c;
	uint64_t max_len = FL_OFPACT_MAX_LEN_ALL;
	uint8_t reason = FL_CONTROLLER_ACTION;
	char *p = ap->arg, *opt;

	if (p && !paren && parse_u(ap, "max_len", p, UINT16_MAX, &max_len))
		return -EINVAL;
	while (p && paren && *p) {
		char *value;

		opt = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = '\0';
		value = strchr(opt, '=');
		if (!value)
			return fl_parse_fail(ap->ctx, opt, "bad controller option '%.*s' (want key=value)",
					     FL_QUOTE_MAX, opt);
		*value++ = '\0';
		if (!strcmp(opt, "max_len")) {
			if (parse_u(ap, "max_len", value, UINT16_MAX, &max_len))
				return -EINVAL;
		} else if (!strcmp(opt, "reason")) {
			if (!strcmp(value, "action"))
				reason = FL_CONTROLLER_ACTION;
			else if (!strcmp(value, "no_match"))
				reason = FL_CONTROLLER_NO_MATCH;
			else if (!strcmp(value, "invalid_ttl"))
				reason = FL_CONTROLLER_INVALID_TTL;
			else
				return fl_parse_fail(ap->ctx, value,
						     "unknown controller reason '%.*s' (action, no_match, invalid_ttl)",
						     FL_QUOTE_MAX, value);
		} else {
			return fl_parse_fail(ap->ctx, opt, "unknown controller option '%.*s'",
					     FL_QUOTE_MAX, opt);
		}
	}
	c = put(ap, FL_OFPACT_CONTROLLER, sizeof(*c));
	if (!c)
		return -EINVAL;
	c->max_len = (uint16_t)max_len;
	c->reason = reason;
	return 0;
}

static int put_set_field(struct act_parse *ap, const struct fl_field *f,
			 const union fl_field_value *v, const union fl_field_value *mask,
			 enum fl_set_field_syntax syntax)
{
	struct fl_ofpact_set_field *sf = put(ap, FL_OFPACT_SET_FIELD, sizeof(*sf));
	unsigned i;

	if (!sf)
		return -EINVAL;
	sf->field = (uint16_t)f->id;
	sf->syntax = (uint8_t)syntax;
	sf->mask = *mask;
	for (i = 0; i < FL_FIELD_MAX_BYTES; i++)
		sf->value.b[i] = v->b[i] & mask->b[i];
	return 0;
}

/* "V->DST": cut at the arrow; *dst points after it. */
static int split_arrow(struct act_parse *ap, char **dst)
{
	char *arrow = strstr(ap->arg, "->");

	if (!arrow)
		return fl_parse_fail(ap->ctx, ap->tok, "%s needs 'source->destination'", ap->name);
	*arrow = '\0';
	*dst = arrow + 2;
	if (!*ap->arg || !**dst)
		return fl_parse_fail(ap->ctx, ap->tok, "%s needs 'source->destination'", ap->name);
	return 0;
}

static int parse_set_field(struct act_parse *ap)
{
	const struct fl_field *f;
	union fl_field_value v, mask;
	char msg[512], *dst = NULL;

	if (need_arg(ap) || split_arrow(ap, &dst))
		return -EINVAL;
	f = fl_field_by_name(dst);
	if (!f)
		return fl_parse_fail(ap->ctx, dst, "unknown field '%.*s'", FL_QUOTE_MAX, dst);
	if (fl_field_parse_value(f, dst, ap->arg, ap->ctx->res, &v, &mask, msg, sizeof(msg)))
		return fl_parse_fail(ap->ctx, ap->arg, "%s", msg);
	return put_set_field(ap, f, &v, &mask, FL_SET_FIELD_SYNTAX_SET_FIELD);
}

static int parse_subfield(struct act_parse *ap, const char *s, struct fl_subfield *sf)
{
	const char *end;
	char msg[512];

	if (fl_subfield_parse(s, sf, &end, msg, sizeof(msg)))
		return fl_parse_fail(ap->ctx, s, "%s", msg);
	if (*end)
		return fl_parse_fail(ap->ctx, end, "unexpected '%.*s' after a field in %s",
				     FL_QUOTE_MAX, end, ap->name);
	return 0;
}

static int parse_load(struct act_parse *ap)
{
	struct fl_subfield sf;
	union fl_field_value num, bits, v, mask;
	char *dst = NULL;
	int r;

	if (need_arg(ap) || split_arrow(ap, &dst) || parse_subfield(ap, dst, &sf))
		return -EINVAL;
	r = fl_field_parse_number(ap->arg, &num);
	if (r == -EINVAL)
		return fl_parse_fail(ap->ctx, ap->arg, "bad value '%.*s' for load", FL_QUOTE_MAX,
				     ap->arg);
	if (r || !fl_field_number_narrow(&num, sf.n_bits, &bits))
		return fl_parse_fail(ap->ctx, ap->arg, "value '%.*s' is too large for %s (%u bits)",
				     FL_QUOTE_MAX, ap->arg, dst, sf.n_bits);
	fl_subfield_to_field(&sf, &bits, &v, &mask);
	return put_set_field(ap, sf.field, &v, &mask, FL_SET_FIELD_SYNTAX_LOAD);
}

static int parse_move(struct act_parse *ap)
{
	struct fl_subfield src, dst;
	struct fl_ofpact_move *mv;
	char *dtext = NULL;

	if (need_arg(ap) || split_arrow(ap, &dtext) || parse_subfield(ap, ap->arg, &src) ||
	    parse_subfield(ap, dtext, &dst))
		return -EINVAL;
	if (src.n_bits != dst.n_bits)
		return fl_parse_fail(ap->ctx, ap->tok,
				     "move: source %s is %u bits but destination %s is %u bits",
				     ap->arg, src.n_bits, dtext, dst.n_bits);
	mv = put(ap, FL_OFPACT_MOVE, sizeof(*mv));
	if (!mv)
		return -EINVAL;
	mv->src_field = (uint16_t)src.field->id;
	mv->dst_field = (uint16_t)dst.field->id;
	mv->src_ofs = src.ofs;
	mv->dst_ofs = dst.ofs;
	mv->n_bits = src.n_bits;
	return 0;
}

static int parse_mod(struct act_parse *ap, const struct fl_field *f)
{
	union fl_field_value v, mask;
	char msg[512];

	if (need_arg(ap))
		return -EINVAL;
	if (fl_field_parse_value(f, f->name, ap->arg, NULL, &v, NULL, msg, sizeof(msg)))
		return fl_parse_fail(ap->ctx, ap->arg, "%s", msg);
	fl_field_value_ones(f, &mask);
	return put_set_field(ap, f, &v, &mask, FL_SET_FIELD_SYNTAX_MOD);
}

static int parse_resubmit(struct act_parse *ap, bool paren)
{
	struct fl_ofpact_resubmit *r;
	uint32_t port = FL_PORT_IN_PORT;
	uint64_t table = FL_OFPACT_TABLE_CURRENT;
	char *tbl;

	if (need_arg(ap))
		return -EINVAL;
	if (!paren) {
		if (parse_port(ap, ap->arg, &port))
			return -EINVAL;
	} else {
		tbl = strchr(ap->arg, ',');
		if (tbl)
			*tbl++ = '\0';
		if (tbl && strchr(tbl, ','))
			return fl_parse_fail(ap->ctx, tbl, "resubmit takes (port,table)");
		if (*ap->arg && parse_port(ap, ap->arg, &port))
			return -EINVAL;
		if (tbl && *tbl && parse_u(ap, "table", tbl, FL_TABLE_MAX, &table))
			return -EINVAL;
		if (!*ap->arg && !(tbl && *tbl))
			return fl_parse_fail(ap->ctx, ap->tok, "resubmit needs a port or a table");
	}
	r = put(ap, FL_OFPACT_RESUBMIT, sizeof(*r));
	if (!r)
		return -EINVAL;
	r->in_port = port;
	r->table = (uint8_t)table;
	return 0;
}

static int parse_note(struct act_parse *ap)
{
	uint8_t data[FL_OFPACT_NOTE_MAX];
	struct fl_ofpact_note *note;
	const char *s = ap->arg ? ap->arg : "";
	size_t n = 0;

	while (*s) {
		if (*s == '.') {
			s++;
			continue;
		}
		if (fl_hex_digit(s[0]) < 0 || fl_hex_digit(s[1]) < 0)
			return fl_parse_fail(ap->ctx, ap->arg,
					     "bad note '%.*s' (want hex bytes, '.' between them allowed)",
					     FL_QUOTE_MAX, ap->arg);
		if (n == sizeof(data))
			return fl_parse_fail(ap->ctx, ap->tok, "note longer than %u bytes",
					     FL_OFPACT_NOTE_MAX);
		data[n++] = (uint8_t)(fl_hex_digit(s[0]) << 4 | fl_hex_digit(s[1]));
		s += 2;
	}
	note = put(ap, FL_OFPACT_NOTE, offsetof(struct fl_ofpact_note, data) + n);
	if (!note)
		return -EINVAL;
	note->n = (uint16_t)n;
	memcpy(note->data, data, n);
	return 0;
}

/* Actions with a small number argument, or none. */
static int parse_simple(struct act_parse *ap, enum fl_ofpact_type type)
{
	uint64_t x = 0;
	struct fl_ofpact *a;

	switch (type) {
	case FL_OFPACT_SET_VLAN_VID:
	case FL_OFPACT_SET_VLAN_PCP:
	case FL_OFPACT_PUSH_VLAN:
	case FL_OFPACT_GOTO_TABLE:
		if (need_arg(ap) || parse_u(ap, "value", ap->arg,
					    type == FL_OFPACT_SET_VLAN_VID ? FL_VLAN_VID_MASK
					    : type == FL_OFPACT_SET_VLAN_PCP ? 7
					    : type == FL_OFPACT_GOTO_TABLE  ? FL_TABLE_MAX
									     : UINT16_MAX,
					    &x))
			return -EINVAL;
		break;
	default:
		if (no_arg(ap))
			return -EINVAL;
		break;
	}
	a = put(ap, type, 8);
	if (!a)
		return -EINVAL;
	switch (type) {
	case FL_OFPACT_SET_VLAN_VID:
		((struct fl_ofpact_vlan_vid *)(void *)a)->vid = (uint16_t)x;
		break;
	case FL_OFPACT_SET_VLAN_PCP:
		((struct fl_ofpact_vlan_pcp *)(void *)a)->pcp = (uint8_t)x;
		break;
	case FL_OFPACT_PUSH_VLAN:
		((struct fl_ofpact_push_vlan *)(void *)a)->tpid = (uint16_t)x;
		break;
	case FL_OFPACT_GOTO_TABLE:
		((struct fl_ofpact_goto_table *)(void *)a)->table = (uint8_t)x;
		break;
	case FL_OFPACT_POP_VLAN:
		((struct fl_ofpact_pop_vlan *)(void *)a)->strip = !strcasecmp(ap->name, "strip_vlan");
		break;
	default:
		break;
	}
	return 0;
}

static const struct {
	const char *name;
	enum fl_ofpact_type type;
} simple_actions[] = {
	{ "mod_vlan_vid", FL_OFPACT_SET_VLAN_VID }, { "mod_vlan_pcp", FL_OFPACT_SET_VLAN_PCP },
	{ "push_vlan", FL_OFPACT_PUSH_VLAN },	    { "pop_vlan", FL_OFPACT_POP_VLAN },
	{ "strip_vlan", FL_OFPACT_POP_VLAN },	    { "dec_ttl", FL_OFPACT_DEC_TTL },
	{ "goto_table", FL_OFPACT_GOTO_TABLE },
};

static const struct {
	const char *name;
	uint32_t port;
} port_actions[] = {
	{ "normal", FL_PORT_NORMAL }, { "flood", FL_PORT_FLOOD },     { "all", FL_PORT_ALL },
	{ "in_port", FL_PORT_IN_PORT }, { "local", FL_PORT_LOCAL },
};

/* One action token (NUL-terminated). *drop is set for "drop". */
static int parse_action(struct fl_parse_ctx *ctx, char *tok, bool *drop)
{
	struct act_parse ap = { .ctx = ctx, .tok = tok, .name = tok };
	size_t n = strspn(tok, NAME_CHARS), i, len;
	const struct fl_field *f;
	bool paren = false;
	uint32_t port;

	if (tok[n] == ':') {
		tok[n] = '\0';
		ap.arg = tok + n + 1;
	} else if (tok[n] == '(' && n) {
		len = strlen(tok);
		if (tok[len - 1] != ')')
			return fl_parse_fail(ctx, tok, "bad action '%.*s' (missing ')')", FL_QUOTE_MAX,
					     tok);
		tok[len - 1] = '\0';
		tok[n] = '\0';
		ap.arg = tok + n + 1;
		paren = true;
	} else if (tok[n] != '\0' || !n) {
		/* Not a name: maybe a port name with other characters. */
		if (fl_port_parse(tok, ctx->res, &port) == 0)
			return put_output(&ap, port);
		return fl_parse_fail(ctx, tok, "unknown action '%.*s'", FL_QUOTE_MAX, tok);
	}

	if (!strcasecmp(ap.name, "drop")) {
		*drop = true;
		return no_arg(&ap);
	}
	if (!strcasecmp(ap.name, "output")) {
		if (need_arg(&ap) || paren)
			return paren ? fl_parse_fail(ctx, tok, "output takes output:PORT") : -EINVAL;
		return parse_port(&ap, ap.arg, &port) ? -EINVAL : put_output(&ap, port);
	}
	for (i = 0; i < FL_ARRAY_SIZE(port_actions); i++)
		if (!strcasecmp(ap.name, port_actions[i].name))
			return no_arg(&ap) ? -EINVAL : put_output(&ap, port_actions[i].port);
	if (!strcasecmp(ap.name, "controller"))
		return parse_controller(&ap, paren);
	for (i = 0; i < FL_ARRAY_SIZE(simple_actions); i++)
		if (!strcasecmp(ap.name, simple_actions[i].name))
			return parse_simple(&ap, simple_actions[i].type);
	if (!strcasecmp(ap.name, "set_field"))
		return parse_set_field(&ap);
	if (!strcasecmp(ap.name, "load"))
		return parse_load(&ap);
	if (!strcasecmp(ap.name, "move"))
		return parse_move(&ap);
	if (!strcasecmp(ap.name, "resubmit"))
		return parse_resubmit(&ap, paren);
	if (!strcasecmp(ap.name, "note"))
		return parse_note(&ap);
	f = fl_ofpact_mod_field(ap.name);
	if (f)
		return parse_mod(&ap, f);
	if (!ap.arg && fl_port_parse(tok, ctx->res, &port) == 0)
		return put_output(&ap, port);
	return fl_parse_fail(ctx, tok, "unknown action '%.*s'", FL_QUOTE_MAX, ap.name);
}

int fl_parse_actions(struct fl_parse_ctx *ctx, char *p)
{
	struct fl_flow_spec *spec = ctx->spec;
	const char *goto_at = NULL, *drop_at = NULL, *first = NULL;
	char msg[512];
	int r;

	for (;;) {
		uint32_t before = spec->actions.len;
		const struct fl_ofpact *a;
		bool drop = false;
		char *tok;
		int depth = 0;

		p += strspn(p, ", \t\r\n");
		if (!*p)
			break;
		tok = p;
		for (; *p; p++) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && --depth < 0)
				break;
			else if (!depth && strchr(", \t\r\n", *p))
				break;
		}
		if (*p == ')')
			return fl_parse_fail(ctx, p, "unexpected ')'");
		if (depth)
			return fl_parse_fail(ctx, tok, "unbalanced parentheses in '%.*s'",
					     FL_QUOTE_MAX, tok);
		if (*p)
			*p++ = '\0';
		if (goto_at)
			return fl_parse_fail(ctx, goto_at, "goto_table must be the last action");
		if (drop_at)
			return fl_parse_fail(ctx, drop_at, "'drop' must be the only action");
		r = parse_action(ctx, tok, &drop);
		if (r)
			return r;
		if (drop) {
			if (first)
				return fl_parse_fail(ctx, tok, "'drop' must be the only action");
			drop_at = tok;
		}
		first = tok;
		if (spec->actions.len == before)
			continue;
		a = (const struct fl_ofpact *)(const void *)((const uint8_t *)spec->actions.data +
							     before);
		if (fl_ofpact_check(a, &spec->match, spec->table_id, true, msg, sizeof(msg)))
			return fl_parse_fail(ctx, tok, "%s", msg);
		if (a->type == FL_OFPACT_GOTO_TABLE)
			goto_at = tok;
	}
	return 0;
}
