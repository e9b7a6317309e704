/* The JSON writer (json.h): appends to a growing buffer, placing commas
 * and colons from a one-bit-per-level record of which containers already
 * have an item. Strings are escaped so the output always parses with the
 * strict parser: '"', '\\' and control characters escaped, bytes that are
 * not valid UTF-8 replaced by U+FFFD (a port name from the kernel or a pcap
 * path need not be UTF-8, and the reader must not choke on it).
 */
#include "control/json_private.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_jw_init(struct fl_jw *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
}

void fl_jw_free(struct fl_jw *w)
{
	free(w->buf);
	fl_jw_init(w, w->pretty);
}

void fl_jw_reset(struct fl_jw *w)
{
	w->len = 0;
	if (w->buf)
		w->buf[0] = '\0';
	w->failed = false;
	w->after_key = false;
	w->depth = 0;
	w->nonempty = 0;
}

static bool reserve(struct fl_jw *w, size_t n)
{
	size_t cap;
	char *nb;

	if (w->failed)
		return false;
	if (w->len + n + 1 <= w->cap)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap < w->len + n + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->failed = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(struct fl_jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct fl_jw *w, char c)
{
	put(w, &c, 1);
}

static void newline(struct fl_jw *w, unsigned depth)
{
	unsigned i;

	putc_(w, '\n');
	for (i = 0; i < depth; i++)
		put(w, "  ", 2);
}

/* Before any value or key: the comma and indentation it needs. */
static void item(struct fl_jw *w)
{
	uint64_t bit;

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0 || w->depth > 64)
		return;
	bit = 1ull << (w->depth - 1);
	if (w->nonempty & bit)
		putc_(w, ',');
	w->nonempty |= bit;
	if (w->pretty)
		newline(w, w->depth);
}

static void open_(struct fl_jw *w, char c)
{
	item(w);
	putc_(w, c);
	w->depth++;
	if (w->depth <= 64)
		w->nonempty &= ~(1ull << (w->depth - 1));
}

static void close_(struct fl_jw *w, char c)
{
	bool had = w->depth >= 1 && w->depth <= 64 && (w->nonempty & (1ull << (w->depth - 1)));

	if (w->depth)
		w->depth--;
	if (w->pretty && had)
		newline(w, w->depth);
	putc_(w, c);
}

void fl_jw_obj(struct fl_jw *w)
{
	open_(w, '{');
}

void fl_jw_obj_end(struct fl_jw *w)
{
	close_(w, '}');
}

void fl_jw_arr(struct fl_jw *w)
{
	open_(w, '[');
}

void fl_jw_arr_end(struct fl_jw *w)
{
	close_(w, ']');
}

static void string(struct fl_jw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	putc_(w, '"');
	while (p < end) {
		const unsigned char *run = p;
		char esc[8];
		unsigned n;

		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		put(w, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p >= 0x80) {
			n = json_utf8_len(p, (size_t)(end - p));
			if (n) {
				put(w, (const char *)p, n);
				p += n;
			} else {
				put(w, "\xef\xbf\xbd", 3);
				p++;
			}
			continue;
		}
		switch (*p) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\t': put(w, "\\t", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\b': put(w, "\\b", 2); break;
		case '\f': put(w, "\\f", 2); break;
		default:
			/* NUL included: the strict parser refuses \u0000, so a NUL
			 * (only possible through fl_jw_strn) becomes U+FFFD */
			if (*p == 0)
				put(w, "\xef\xbf\xbd", 3);
			else {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				put(w, esc, 6);
			}
			break;
		}
		p++;
	}
	putc_(w, '"');
}

void fl_jw_key(struct fl_jw *w, const char *key)
{
	item(w);
	string(w, key, strlen(key));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void fl_jw_strn(struct fl_jw *w, const char *s, size_t len)
{
	item(w);
	string(w, s, len);
}

void fl_jw_str(struct fl_jw *w, const char *s)
{
	fl_jw_strn(w, s ? s : "", s ? strlen(s) : 0);
}

void fl_jw_u64(struct fl_jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	item(w);
	put(w, b, (size_t)n);
}

void fl_jw_i64(struct fl_jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	item(w);
	put(w, b, (size_t)n);
}

void fl_jw_double(struct fl_jw *w, double v)
{
	char b[40];
	int n;

	if (!isfinite(v)) {
		fl_jw_null(w);
		return;
	}
	/* -0.0 would print as "-0", which reads back as the integer 0 */
	n = v == 0 ? snprintf(b, sizeof(b), "0") : snprintf(b, sizeof(b), "%.17g", v);
	item(w);
	put(w, b, (size_t)n);
}

void fl_jw_bool(struct fl_jw *w, bool v)
{
	item(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void fl_jw_null(struct fl_jw *w)
{
	item(w);
	put(w, "null", 4);
}

void fl_jw_raw(struct fl_jw *w, const char *json, size_t len)
{
	item(w);
	put(w, json, len);
}

void fl_jw_value(struct fl_jw *w, const struct fl_json *v)
{
	size_t i;

	switch (v->type) {
	case FL_JSON_NULL:
		fl_jw_null(w);
		break;
	case FL_JSON_BOOL:
		fl_jw_bool(w, v->b);
		break;
	case FL_JSON_NUMBER:
		if (v->num.flags & FL_JSON_NUM_U64)
			fl_jw_u64(w, v->num.u);
		else if (v->num.flags & FL_JSON_NUM_I64)
			fl_jw_i64(w, v->num.i);
		else
			fl_jw_double(w, v->num.d);
		break;
	case FL_JSON_STRING:
		fl_jw_strn(w, v->str.s, v->str.len);
		break;
	case FL_JSON_ARRAY:
		fl_jw_arr(w);
		for (i = 0; i < v->arr.n; i++)
			fl_jw_value(w, v->arr.v[i]);
		fl_jw_arr_end(w);
		break;
	case FL_JSON_OBJECT:
		fl_jw_obj(w);
		for (i = 0; i < v->obj.n; i++) {
			fl_jw_key(w, v->obj.m[i].key);
			fl_jw_value(w, v->obj.m[i].value);
		}
		fl_jw_obj_end(w);
		break;
	}
}
