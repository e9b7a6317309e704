/* Helpers shared by the files of the flow syntax (field_value.c,
 * ofpact.c, flow_parse*.c, flow_format.c); not part of the module's API.
 *
 * struct fl_sbuf is an snprintf-style appender: it writes what fits, always
 * NUL-terminates, and counts everything, so a formatter returns the length
 * the full text needs, as snprintf does.
 */
#ifndef FL_FLOW_PRIVATE_H
#define FL_FLOW_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "flow/flow.h"

struct fl_sbuf {
	char *buf;
	size_t size;
	size_t len; /* what the text needs, may exceed size */
};

static inline void fl_sbuf_init(struct fl_sbuf *s, char *buf, size_t size)
{
	s->buf = buf;
	s->size = size;
	s->len = 0;
	if (size)
		buf[0] = '\0';
}

/* Where the next snprintf-like call writes, and how much room it has. */
static inline char *fl_sbuf_tail(const struct fl_sbuf *s, size_t *room)
{
	*room = s->len < s->size ? s->size - s->len : 0;
	return *room ? s->buf + s->len : NULL;
}

static inline void fl_sbuf_advance(struct fl_sbuf *s, int n)
{
	if (n > 0)
		s->len += (size_t)n;
}

static inline int fl_sbuf_result(const struct fl_sbuf *s)
{
	return s->len > (size_t)0x7fffffff ? 0x7fffffff : (int)s->len;
}

void fl_sbuf_printf(struct fl_sbuf *s, const char *fmt, ...) FL_PRINTF(2, 3);

/* The field a mod_* action name writes ("mod_nw_src" -> nw_src), or NULL. */
struct fl_field;
const struct fl_field *fl_ofpact_mod_field(const char *name);

/* State of one flow's parse: flow_parse.c parses the match and the flow-mod
 * fields, flow_parse_actions.c the actions. Text is a writable copy whose
 * tokens are NUL-terminated in place; columns count from base. */
struct fl_parse_ctx {
	const char *base;
	char *err;
	size_t errlen;
	const struct fl_port_resolver *res;
	struct fl_flow_spec *spec;
};

/* "flow: <message> at column N" (no column when at is NULL); -EINVAL. */
int fl_parse_fail(const struct fl_parse_ctx *ctx, const char *at, const char *fmt, ...)
	FL_PRINTF(3, 4);
/* A number (decimal or 0x) up to max: "bad WHAT 's' for OWNER" or
 * "WHAT 's' is too large for OWNER (max N)" at the column of s. */
int fl_parse_uint(const struct fl_parse_ctx *ctx, const char *what, const char *owner,
		  const char *s, uint64_t max, uint64_t *out);
/* Parse the text after "actions=" into ctx->spec->actions, checking each
 * action against the (complete) match and table. */
int fl_parse_actions(struct fl_parse_ctx *ctx, char *text);

/* fl_flow_parse on a line the parser may cut up in place (no copy). */
int fl_flow_parse_buf(char *line, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		      struct fl_flow_spec *spec, char *err, size_t errlen);

/* User text quoted in messages is cut at this many characters. */
#define FL_QUOTE_MAX 100

#endif
