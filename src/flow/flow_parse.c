/* Parsing flows: the match and flow-mod fields of one line, and files of
 * lines. Actions are parsed by flow_parse_actions.c.
 *
 * The line is copied and cut into tokens in place: tokens are separated by
 * commas and white space, "name=value" or a bare word, until "actions=",
 * which takes the rest of the line. Each field token adds its value and
 * mask to the match. Giving a field twice is allowed when the two agree
 * where both look (tcp,nw_proto=6 or dl_vlan=5,dl_vlan_pcp=3, which share
 * vlan_tci) and an error otherwise. Prerequisites are checked once the whole
 * match is known, so "tp_dst=80,tcp" is as good as "tcp,tp_dst=80", and the
 * error points at the first token, in text order, whose field lacks them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_private.h"
#include "proto/headers.h"

#define DELIMS ", \t\r\n"

int fl_parse_fail(const struct fl_parse_ctx *ctx, const char *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at)
		snprintf(ctx->err, ctx->errlen, "flow: %s at column %zu", msg,
			 (size_t)(at - ctx->base) + 1);
	else
		snprintf(ctx->err, ctx->errlen, "flow: %s", msg);
	return -EINVAL;
}

/* --- specs --- */

void fl_flow_spec_init(struct fl_flow_spec *spec, enum fl_flow_cmd cmd)
{
	memset(spec, 0, sizeof(*spec));
	fl_match_init_catchall(&spec->match);
	fl_ofpacts_init(&spec->actions);
	spec->out_port = FL_PORT_ANY;
	spec->priority = FL_PRIORITY_DEFAULT;
	spec->table_id = cmd == FL_FLOW_ADD ? 0 : FL_TABLE_ALL;
	spec->command = (uint8_t)cmd;
}

void fl_flow_spec_uninit(struct fl_flow_spec *spec)
{
	fl_ofpacts_uninit(&spec->actions);
}

bool fl_flow_spec_equal(const struct fl_flow_spec *a, const struct fl_flow_spec *b)
{
	return fl_match_equal(&a->match, &b->match) && fl_ofpacts_equal(&a->actions, &b->actions) &&
	       a->cookie == b->cookie && a->cookie_mask == b->cookie_mask &&
	       a->out_port == b->out_port && a->priority == b->priority &&
	       a->idle_timeout == b->idle_timeout && a->hard_timeout == b->hard_timeout &&
	       a->flags == b->flags && a->table_id == b->table_id && a->command == b->command;
}

const char *fl_flow_cmd_name(enum fl_flow_cmd cmd)
{
	switch (cmd) {
	case FL_FLOW_ADD:
		return "add";
	case FL_FLOW_MODIFY:
		return "modify";
	case FL_FLOW_MODIFY_STRICT:
		return "strict modify";
	case FL_FLOW_DELETE:
		return "delete";
	case FL_FLOW_DELETE_STRICT:
		return "strict delete";
	}
	return "?";
}

static bool cmd_is_delete(enum fl_flow_cmd cmd)
{
	return cmd == FL_FLOW_DELETE || cmd == FL_FLOW_DELETE_STRICT;
}

/* --- the match --- */

static const struct {
	const char *name;
	uint16_t dl_type;
	int16_t nw_proto; /* -1: none */
} shorthands[] = {
	{ "ip", FL_ETH_TYPE_IPV4, -1 },
	{ "ipv6", FL_ETH_TYPE_IPV6, -1 },
	{ "icmp", FL_ETH_TYPE_IPV4, FL_IPPROTO_ICMP },
	{ "icmp6", FL_ETH_TYPE_IPV6, FL_IPPROTO_ICMPV6 },
	{ "tcp", FL_ETH_TYPE_IPV4, FL_IPPROTO_TCP },
	{ "tcp6", FL_ETH_TYPE_IPV6, FL_IPPROTO_TCP },
	{ "udp", FL_ETH_TYPE_IPV4, FL_IPPROTO_UDP },
	{ "udp6", FL_ETH_TYPE_IPV6, FL_IPPROTO_UDP },
	{ "sctp", FL_ETH_TYPE_IPV4, FL_FLOW_IPPROTO_SCTP },
	{ "sctp6", FL_ETH_TYPE_IPV6, FL_FLOW_IPPROTO_SCTP },
	{ "arp", FL_ETH_TYPE_ARP, -1 },
	{ "rarp", FL_FLOW_ETH_TYPE_RARP, -1 },
};

static const struct {
	const char *name;
	uint16_t flag;
} flag_words[] = {
	{ "send_flow_rem", FL_FLOW_SEND_FLOW_REM },
	{ "check_overlap", FL_FLOW_CHECK_OVERLAP },
	{ "reset_counts", FL_FLOW_RESET_COUNTS },
	{ "no_packet_counts", FL_FLOW_NO_PKT_COUNTS },
	{ "no_byte_counts", FL_FLOW_NO_BYT_COUNTS },
};

/* Per parse: the fields the text named, in text order, for the
 * prerequisite check at the end. */
struct used_fields {
	uint8_t seen[FL_FIELD_N];
	struct {
		const struct fl_field *f;
		const char *name;
	} list[FL_FIELD_N];
	unsigned n;
};

static void note_used(struct used_fields *u, const struct fl_field *f, const char *name)
{
	if (u->seen[f->id])
		return;
	u->seen[f->id] = 1;
	u->list[u->n].f = f;
	u->list[u->n].name = name;
	u->n++;
}

/* AND a field condition into the match; error if it contradicts one the
 * match already has. `tok` is the token as the user wrote it. */
static int match_add(struct fl_parse_ctx *ctx, const struct fl_field *f,
		     const union fl_field_value *v, const union fl_field_value *mask,
		     const char *tok, const char *at)
{
	struct fl_match *m = &ctx->spec->match;
	union fl_field_value cv, cm, nv, nm;
	unsigned i;

	fl_field_get_match(f, m, &cv, &cm);
	for (i = 0; i < FL_FIELD_MAX_BYTES; i++) {
		if ((cv.b[i] ^ v->b[i]) & cm.b[i] & mask->b[i])
			return fl_parse_fail(ctx, at,
					     "'%.*s' conflicts with an earlier value of %s",
					     FL_QUOTE_MAX, tok, f->name);
		nm.b[i] = cm.b[i] | mask->b[i];
		nv.b[i] = (uint8_t)((cv.b[i] & cm.b[i]) | (v->b[i] & mask->b[i]));
	}
	fl_field_set_match(f, m, &nv, &nm);
	return 0;
}

static int match_add_u64(struct fl_parse_ctx *ctx, enum fl_field_id id, uint64_t value,
			 uint64_t mask, const char *tok, const char *at)
{
	const struct fl_field *f = fl_field_by_id(id);
	union fl_field_value v, m;

	fl_field_value_from_u64(f, value, &v);
	fl_field_value_from_u64(f, mask, &m);
	return match_add(ctx, f, &v, &m, tok, at);
}

/* dl_vlan and dl_vlan_pcp say "tagged, and ..." so they also set the
 * present bit of vlan_tci; dl_vlan=0xffff means "no tag" (vlan_tci=0). */
static int parse_vlan(struct fl_parse_ctx *ctx, const struct fl_field *f, const char *name,
		      const char *value, const char *tok)
{
	union fl_field_value num, v;
	char msg[256];
	uint64_t x;

	if (strchr(value, '/'))
		return fl_parse_fail(ctx, value, "%s cannot be masked ('%.*s')", name,
				     FL_QUOTE_MAX, value);
	if (f->id == FL_FIELD_DL_VLAN_PCP) {
		if (fl_field_parse_value(f, name, value, NULL, &v, NULL, msg, sizeof(msg)))
			return fl_parse_fail(ctx, value, "%s", msg);
		x = fl_field_value_to_u64(f, &v);
		return match_add_u64(ctx, FL_FIELD_VLAN_TCI,
				     FL_VLAN_PRESENT | x << FL_VLAN_PCP_SHIFT,
				     FL_VLAN_PRESENT | 7u << FL_VLAN_PCP_SHIFT, tok, name);
	}
	if (fl_field_parse_number(value, &num) == -EINVAL)
		return fl_parse_fail(ctx, value, "bad value '%.*s' for %s", FL_QUOTE_MAX, value,
				     name);
	if (!fl_field_number_narrow(&num, 16, &v) ||
	    ((x = (uint64_t)v.b[0] << 8 | v.b[1]) > FL_VLAN_VID_MASK && x != 0xffff))
		return fl_parse_fail(ctx, value,
				     "value '%.*s' is too large for %s (0..4095, or 0xffff for no tag)",
				     FL_QUOTE_MAX, value, name);
	if (x == 0xffff)
		return match_add_u64(ctx, FL_FIELD_VLAN_TCI, 0, 0xffff, tok, name);
	return match_add_u64(ctx, FL_FIELD_VLAN_TCI, FL_VLAN_PRESENT | x,
			     FL_VLAN_PRESENT | FL_VLAN_VID_MASK, tok, name);
}

/* "name=value" for messages about this token. On every field of every flow,
 * so plain copies: snprintf was 6% of parsing a large flows file. */
static void join_token(char *tok, size_t size, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);

	if (n > size - 2)
		n = size - 2;
	memcpy(tok, name, n);
	tok[n] = '=';
	if (v > size - n - 2)
		v = size - n - 2;
	memcpy(tok + n + 1, value, v);
	tok[n + 1 + v] = '\0';
}

static int parse_field(struct fl_parse_ctx *ctx, struct used_fields *used, const char *name,
		       const char *value)
{
	const struct fl_field *f = fl_field_by_name(name);
	union fl_field_value v, mask;
	char msg[512], tok[256];

	if (!f)
		return fl_parse_fail(ctx, name, "unknown field '%.*s'", FL_QUOTE_MAX, name);
	join_token(tok, sizeof(tok), name, value);
	if (!*value)
		return fl_parse_fail(ctx, name, "missing value for %s", name);
	note_used(used, f, name);
	if (f->id == FL_FIELD_DL_VLAN || f->id == FL_FIELD_DL_VLAN_PCP)
		return parse_vlan(ctx, f, name, value, tok);
	if (fl_field_parse_value(f, name, value, ctx->res, &v, &mask, msg, sizeof(msg)))
		return fl_parse_fail(ctx, value, "%s", msg);
	if (f->id == FL_FIELD_IN_PORT && fl_field_value_to_u64(f, &v) == FL_PORT_ANY)
		return fl_parse_fail(ctx, value, "in_port cannot be %.*s", FL_QUOTE_MAX, value);
	return match_add(ctx, f, &v, &mask, tok, name);
}

static int parse_shorthand(struct fl_parse_ctx *ctx, const char *word, bool *handled)
{
	size_t i;
	int r;

	*handled = false;
	for (i = 0; i < FL_ARRAY_SIZE(shorthands); i++) {
		if (strcmp(word, shorthands[i].name))
			continue;
		*handled = true;
		r = match_add_u64(ctx, FL_FIELD_DL_TYPE, shorthands[i].dl_type, 0xffff, word, word);
		if (!r && shorthands[i].nw_proto >= 0)
			r = match_add_u64(ctx, FL_FIELD_NW_PROTO, (uint64_t)shorthands[i].nw_proto,
					  0xff, word, word);
		return r;
	}
	return 0;
}

/* --- flow-mod fields --- */

int fl_parse_uint(const struct fl_parse_ctx *ctx, const char *what, const char *owner,
		  const char *s, uint64_t max, uint64_t *out)
{
	union fl_field_value num;
	uint64_t x = 0;
	unsigned i;
	int r = fl_field_parse_number(s, &num);

	if (r == -EINVAL)
		return fl_parse_fail(ctx, s, "bad %s '%.*s' for %s", what, FL_QUOTE_MAX, s, owner);
	for (i = 0; i < 8 && !r; i++)
		if (num.b[i])
			r = -ERANGE;
	for (i = 8; i < FL_FIELD_MAX_BYTES; i++)
		x = x << 8 | num.b[i];
	if (r || x > max)
		return fl_parse_fail(ctx, s, "%s '%.*s' is too large for %s (max %llu)", what,
				     FL_QUOTE_MAX, s, owner, (unsigned long long)max);
	*out = x;
	return 0;
}

static int parse_uint(struct fl_parse_ctx *ctx, const char *name, const char *value, uint64_t max,
		      uint64_t *out)
{
	if (!*value)
		return fl_parse_fail(ctx, name, "missing value for %s", name);
	return fl_parse_uint(ctx, "value", name, value, max, out);
}

/* Which command kinds accept a flow-mod keyword. */
#define ONLY_ADD_MOD 1
#define ONLY_MOD_DEL 2
#define NOT_LOOSE_DEL 3

static int keyword_allowed(struct fl_parse_ctx *ctx, const char *name, int rule)
{
	enum fl_flow_cmd cmd = (enum fl_flow_cmd)ctx->spec->command;
	bool ok = rule == ONLY_ADD_MOD	 ? !cmd_is_delete(cmd)
		  : rule == ONLY_MOD_DEL ? cmd != FL_FLOW_ADD
					 : cmd != FL_FLOW_DELETE;

	if (ok)
		return 0;
	return fl_parse_fail(ctx, name, "'%s' is not allowed in %s", name, fl_flow_cmd_name(cmd));
}

static int given_once(struct fl_parse_ctx *ctx, const char *name, uint32_t bit)
{
	if (ctx->spec->given & bit)
		return fl_parse_fail(ctx, name, "'%s' given twice", name);
	ctx->spec->given |= bit;
	return 0;
}

static int parse_cookie(struct fl_parse_ctx *ctx, const char *name, char *value)
{
	struct fl_flow_spec *spec = ctx->spec;
	char *slash = strchr(value, '/');
	uint64_t x;
	int r;

	if (slash) {
		if (spec->command == FL_FLOW_ADD)
			return fl_parse_fail(ctx, name, "cookie mask is not allowed in add");
		*slash = '\0';
		r = parse_uint(ctx, name, value, UINT64_MAX, &x);
		if (!r)
			r = parse_uint(ctx, name, slash + 1, UINT64_MAX, &spec->cookie_mask);
		if (r)
			return r;
		spec->cookie = x & spec->cookie_mask;
		return given_once(ctx, name, FL_FLOW_GIVEN_COOKIE | FL_FLOW_GIVEN_COOKIE_MASK);
	}
	if (cmd_is_delete((enum fl_flow_cmd)spec->command))
		return fl_parse_fail(ctx, name,
				     "cookie without a mask is not allowed in %s (use cookie=V/M)",
				     fl_flow_cmd_name((enum fl_flow_cmd)spec->command));
	r = parse_uint(ctx, name, value, UINT64_MAX, &spec->cookie);
	return r ? r : given_once(ctx, name, FL_FLOW_GIVEN_COOKIE);
}

/* 1 if name was a flow-mod keyword (handled or failed through r). */
static int parse_keyword(struct fl_parse_ctx *ctx, const char *name, char *value, int *r)
{
	struct fl_flow_spec *spec = ctx->spec;
	uint64_t x = 0;

	if (!strcmp(name, "duration") || !strcmp(name, "n_packets") || !strcmp(name, "n_bytes") ||
	    !strcmp(name, "idle_age") || !strcmp(name, "hard_age")) {
		/* Statistics that dump-flows prints: ignored, so its output can
		 * be fed back, as ovs-ofctl allows. */
		*r = 0;
	} else if (!strcmp(name, "table")) {
		*r = parse_uint(ctx, name, value, 255, &x);
		if (!*r && x == FL_TABLE_ALL && spec->command == FL_FLOW_ADD)
			*r = fl_parse_fail(ctx, value, "table 255 is not a table to add to (0..%u)",
					   FL_TABLE_MAX);
		if (!*r)
			*r = given_once(ctx, name, FL_FLOW_GIVEN_TABLE);
		spec->table_id = (uint8_t)x;
	} else if (!strcmp(name, "priority")) {
		*r = keyword_allowed(ctx, name, NOT_LOOSE_DEL);
		if (!*r)
			*r = parse_uint(ctx, name, value, UINT16_MAX, &x);
		if (!*r)
			*r = given_once(ctx, name, FL_FLOW_GIVEN_PRIORITY);
		spec->priority = (uint16_t)(*r ? spec->priority : x);
	} else if (!strcmp(name, "cookie")) {
		*r = parse_cookie(ctx, name, value);
	} else if (!strcmp(name, "idle_timeout") || !strcmp(name, "hard_timeout")) {
		bool idle = name[0] == 'i';

		*r = keyword_allowed(ctx, name, ONLY_ADD_MOD);
		if (!*r)
			*r = parse_uint(ctx, name, value, UINT16_MAX, &x);
		if (!*r)
			*r = given_once(ctx, name, idle ? FL_FLOW_GIVEN_IDLE : FL_FLOW_GIVEN_HARD);
		if (!*r && idle)
			spec->idle_timeout = (uint16_t)x;
		else if (!*r)
			spec->hard_timeout = (uint16_t)x;
	} else if (!strcmp(name, "out_port")) {
		uint32_t port;
		int pr;

		*r = keyword_allowed(ctx, name, ONLY_MOD_DEL);
		if (*r)
			return 1;
		if (!*value) {
			*r = fl_parse_fail(ctx, name, "missing value for %s", name);
			return 1;
		}
		pr = fl_port_parse(value, ctx->res, &port);
		if (pr == -ENOENT)
			*r = fl_parse_fail(ctx, value, "unknown port '%.*s' for out_port",
					   FL_QUOTE_MAX, value);
		else if (pr)
			*r = fl_parse_fail(ctx, value, "bad port '%.*s' for out_port", FL_QUOTE_MAX,
					   value);
		if (!*r)
			*r = given_once(ctx, name, FL_FLOW_GIVEN_OUT_PORT);
		if (!*r)
			spec->out_port = port;
	} else {
		return 0;
	}
	return 1;
}

static int parse_word(struct fl_parse_ctx *ctx, const char *word)
{
	bool handled;
	size_t i;
	int r;

	r = parse_shorthand(ctx, word, &handled);
	if (handled)
		return r;
	for (i = 0; i < FL_ARRAY_SIZE(flag_words); i++) {
		if (strcmp(word, flag_words[i].name))
			continue;
		r = keyword_allowed(ctx, word, ONLY_ADD_MOD);
		if (!r && (ctx->spec->flags & flag_words[i].flag))
			r = fl_parse_fail(ctx, word, "'%s' given twice", word);
		ctx->spec->flags |= flag_words[i].flag;
		ctx->spec->given |= FL_FLOW_GIVEN_FLAGS;
		return r;
	}
	if (fl_field_by_name(word) || !strcmp(word, "table") || !strcmp(word, "priority") ||
	    !strcmp(word, "cookie") || !strcmp(word, "out_port") ||
	    !strcmp(word, "idle_timeout") || !strcmp(word, "hard_timeout"))
		return fl_parse_fail(ctx, word, "missing value for %s (%s=...)", word, word);
	if (!strcmp(word, "actions") || !strcmp(word, "action"))
		return fl_parse_fail(ctx, word, "missing '=' after '%s'", word);
	return fl_parse_fail(ctx, word, "unknown keyword '%.*s'", FL_QUOTE_MAX, word);
}

static int check_prereqs(struct fl_parse_ctx *ctx, const struct used_fields *used)
{
	unsigned i;

	for (i = 0; i < used->n; i++) {
		const struct fl_field *f = used->list[i].f;
		union fl_field_value v, mask;

		fl_field_get_match(f, &ctx->spec->match, &v, &mask);
		if (fl_field_value_is_zero(f, &mask) || fl_field_prereqs_ok(f, &ctx->spec->match))
			continue;
		return fl_parse_fail(ctx, used->list[i].name, "'%s' needs %s (prerequisites not met)",
				     used->list[i].name, fl_field_prereq_text(f));
	}
	return 0;
}

/* Tokens up to "actions=", then the actions. */
static int parse_line(struct fl_parse_ctx *ctx, char *p)
{
	enum fl_flow_cmd cmd = (enum fl_flow_cmd)ctx->spec->command;
	char *actions = NULL, *actions_name = NULL;
	struct used_fields used;
	int r = 0;

	memset(&used, 0, sizeof(used));
	for (;;) {
		char *name, *eq, *value;
		size_t n;

		p += strspn(p, DELIMS);
		if (!*p)
			break;
		name = p;
		n = strcspn(p, "=" DELIMS);
		eq = p + n;
		if (*eq != '=') {
			p = *eq ? eq + 1 : eq;
			*eq = '\0';
			r = parse_word(ctx, name);
			if (r)
				break;
			continue;
		}
		*eq = '\0';
		value = eq + 1;
		if (!strcmp(name, "actions") || !strcmp(name, "action")) {
			actions_name = name;
			actions = value;
			break;
		}
		n = strcspn(value, DELIMS);
		p = value[n] ? value + n + 1 : value + n;
		value[n] = '\0';
		if (parse_keyword(ctx, name, value, &r)) {
			if (r)
				break;
			continue;
		}
		r = parse_field(ctx, &used, name, value);
		if (r)
			break;
	}
	if (!r)
		r = check_prereqs(ctx, &used);
	if (r)
		return r;
	if (cmd_is_delete(cmd) && actions_name)
		return fl_parse_fail(ctx, actions_name, "actions are not allowed in %s",
				     fl_flow_cmd_name(cmd));
	if (!cmd_is_delete(cmd) && !actions_name)
		return fl_parse_fail(ctx, NULL, "missing actions (%s needs 'actions=...')",
				     fl_flow_cmd_name(cmd));
	if (!actions)
		return 0;
	ctx->spec->given |= FL_FLOW_GIVEN_ACTIONS;
	return fl_parse_actions(ctx, actions);
}

int fl_flow_parse(const char *text, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		  struct fl_flow_spec *spec, char *err, size_t errlen)
{
	char *copy;
	int r;

	copy = strdup(text);
	if (!copy) {
		snprintf(err, errlen, "flow: out of memory");
		return -ENOMEM;
	}
	r = fl_flow_parse_buf(copy, cmd, res, spec, err, errlen);
	free(copy);
	return r;
}

int fl_flow_parse_buf(char *line, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		      struct fl_flow_spec *spec, char *err, size_t errlen)
{
	struct fl_parse_ctx ctx = { .err = err, .errlen = errlen, .res = res, .spec = spec };
	int r;

	if (errlen)
		err[0] = '\0';
	fl_flow_spec_init(spec, cmd);
	if ((unsigned)cmd > FL_FLOW_DELETE_STRICT) {
		snprintf(err, errlen, "flow: unknown command %d", (int)cmd);
		return -EINVAL;
	}
	ctx.base = line;
	r = parse_line(&ctx, line);
	if (r == -ENOMEM && errlen && !err[0])
		snprintf(err, errlen, "flow: out of memory");
	if (r)
		fl_flow_spec_uninit(spec);
	return r;
}
