/* The strict JSON parser (json.h): recursive descent over a length-bounded
 * buffer, never reading past text + len (the text need not be
 * NUL-terminated). Each error names what was expected and the byte offset
 * where it went wrong; the first error ends the parse and everything built
 * so far is freed. Recursion is bounded by FL_JSON_MAX_DEPTH.
 */
#include "control/json_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compiler.h"

int json_fail(struct json_parser *ps, const char *at, const char *fmt, ...)
{
	char what[128];
	va_list ap;
	size_t off = (size_t)(at - ps->start);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "json: %s at offset %zu", what, off);
	if (ps->err_off)
		*ps->err_off = off;
	ps->ret = -EINVAL;
	return -EINVAL;
}

int json_oom(struct json_parser *ps)
{
	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "json: out of memory at offset %zu",
			 (size_t)(ps->p - ps->start));
	if (ps->err_off)
		*ps->err_off = (size_t)(ps->p - ps->start);
	ps->ret = -ENOMEM;
	return -ENOMEM;
}

/* "unexpected 'x'" / "unexpected byte 0x01" / "unexpected end of input" */
static int unexpected(struct json_parser *ps, const char *expected)
{
	unsigned char c;

	if (ps->p >= ps->end)
		return json_fail(ps, ps->p, "unexpected end of input, expected %s", expected);
	c = (unsigned char)*ps->p;
	if (c > 0x20 && c < 0x7f)
		return json_fail(ps, ps->p, "unexpected '%c', expected %s", c, expected);
	return json_fail(ps, ps->p, "unexpected byte 0x%02x, expected %s", c, expected);
}

static void skip_ws(struct json_parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct fl_json *node(struct json_parser *ps, enum fl_json_type type)
{
	struct fl_json *v = calloc(1, sizeof(*v));

	if (!v) {
		json_oom(ps);
		return NULL;
	}
	v->type = type;
	return v;
}

/* Bytes of a UTF-8 sequence starting at p (lead byte >= 0x80), or 0 if it
 * is not well-formed (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF). */
static int parse_number(struct json_parser *ps, struct fl_json *v)
{
	const char *s = ps->p, *p = ps->p;
	char tmp[FL_JSON_MAX_NUMBER + 1];
	bool neg = false, integer = true, overflow = false;
	uint64_t mag = 0;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p >= ps->end || *p < '0' || *p > '9')
		return json_fail(ps, p, "expected a digit after '-'");
	if (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9')
		return json_fail(ps, p, "leading zero in number");
	for (; p < ps->end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (mag > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			mag = mag * 10 + d;
	}
	if (p < ps->end && *p == '.') {
		integer = false;
		if (++p >= ps->end || *p < '0' || *p > '9')
			return json_fail(ps, p, "expected a digit after '.'");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integer = false;
		if (++p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || *p < '0' || *p > '9')
			return json_fail(ps, p, "expected a digit in the exponent");
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p - s > FL_JSON_MAX_NUMBER)
		return json_fail(ps, s, "number longer than %d characters", FL_JSON_MAX_NUMBER);
	memcpy(tmp, s, (size_t)(p - s));
	tmp[p - s] = '\0';
	v->num.d = strtod(tmp, NULL);
	if (integer && !overflow) {
		if (!neg) {
			v->num.u = mag;
			v->num.flags |= FL_JSON_NUM_U64;
			if (mag <= INT64_MAX) {
				v->num.i = (int64_t)mag;
				v->num.flags |= FL_JSON_NUM_I64;
			}
		} else if (mag <= (uint64_t)INT64_MAX + 1) {
			v->num.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
			v->num.flags |= FL_JSON_NUM_I64;
			if (mag == 0) {
				v->num.u = 0;
				v->num.flags |= FL_JSON_NUM_U64;
			}
		}
	}
	ps->p = p;
	return 0;
}

static int parse_value(struct json_parser *ps, struct fl_json **out);

static int grow(struct json_parser *ps, void **arr, size_t n, size_t *cap, size_t size)
{
	void *na;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 4;
	na = realloc(*arr, *cap * size);
	if (!na)
		return json_oom(ps);
	*arr = na;
	return 0;
}

static int parse_array(struct json_parser *ps, struct fl_json *v)
{
	size_t cap = 0;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (grow(ps, (void **)&v->arr.v, v->arr.n, &cap, sizeof(*v->arr.v)))
			return ps->ret;
		parse_value(ps, &v->arr.v[v->arr.n]);
		if (v->arr.v[v->arr.n])
			v->arr.n++; /* kept even when bad, so that freeing frees it */
		if (ps->ret)
			return ps->ret;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		if (ps->p >= ps->end || *ps->p != ',')
			return unexpected(ps, "',' or ']' in an array");
		ps->p++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ']')
			return json_fail(ps, ps->p, "trailing comma in an array");
	}
}

static int cmp_member_key(const void *a, const void *b)
{
	return strcmp(((const struct fl_json_member *)a)->key,
		      ((const struct fl_json_member *)b)->key);
}

/* Duplicate keys, found by sorting a copy once the object is complete
 * (O(n log n) for the long objects a fuzzer writes). */
static int check_duplicates(struct json_parser *ps, const struct fl_json *v, const char *open)
{
	struct fl_json_member *copy;
	size_t i;

	if (v->obj.n < 2)
		return 0;
	copy = malloc(v->obj.n * sizeof(*copy));
	if (!copy)
		return json_oom(ps);
	memcpy(copy, v->obj.m, v->obj.n * sizeof(*copy));
	qsort(copy, v->obj.n, sizeof(*copy), cmp_member_key);
	for (i = 1; i < v->obj.n; i++) {
		if (!strcmp(copy[i - 1].key, copy[i].key)) {
			char key[48];

			snprintf(key, sizeof(key), "%s", copy[i].key);
			free(copy);
			return json_fail(ps, open, "duplicate key \"%s\" in the object starting here", key);
		}
	}
	free(copy);
	return 0;
}

static int parse_object(struct json_parser *ps, struct fl_json *v)
{
	const char *open = ps->p;
	size_t cap = 0, len;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct fl_json_member *m;

		if (ps->p >= ps->end || *ps->p != '"')
			return unexpected(ps, "a string key");
		if (grow(ps, (void **)&v->obj.m, v->obj.n, &cap, sizeof(*v->obj.m)))
			return ps->ret;
		m = &v->obj.m[v->obj.n];
		m->value = NULL;
		if (json_parse_string(ps, &m->key, &len))
			return ps->ret;
		v->obj.n++;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return unexpected(ps, "':' after an object key");
		ps->p++;
		if (parse_value(ps, &m->value))
			return ps->ret;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return check_duplicates(ps, v, open);
		}
		if (ps->p >= ps->end || *ps->p != ',')
			return unexpected(ps, "',' or '}' in an object");
		ps->p++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '}')
			return json_fail(ps, ps->p, "trailing comma in an object");
	}
}

static int literal(struct json_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return json_fail(ps, ps->p, "invalid literal (expected '%s')", word);
	ps->p += n;
	return 0;
}

static int parse_value(struct json_parser *ps, struct fl_json **out)
{
	struct fl_json *v;
	int ret;

	*out = NULL;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return unexpected(ps, "a value");
	switch (*ps->p) {
	case '{':
	case '[':
		if (ps->depth == FL_JSON_MAX_DEPTH)
			return json_fail(ps, ps->p, "nesting deeper than %d levels", FL_JSON_MAX_DEPTH);
		v = node(ps, *ps->p == '{' ? FL_JSON_OBJECT : FL_JSON_ARRAY);
		if (!v)
			return ps->ret;
		ps->depth++;
		ret = v->type == FL_JSON_OBJECT ? parse_object(ps, v) : parse_array(ps, v);
		ps->depth--;
		break;
	case '"':
		v = node(ps, FL_JSON_STRING);
		if (!v)
			return ps->ret;
		ret = json_parse_string(ps, &v->str.s, &v->str.len);
		break;
	case 't':
	case 'f':
		v = node(ps, FL_JSON_BOOL);
		if (!v)
			return ps->ret;
		v->b = *ps->p == 't';
		ret = literal(ps, v->b ? "true" : "false");
		break;
	case 'n':
		v = node(ps, FL_JSON_NULL);
		if (!v)
			return ps->ret;
		ret = literal(ps, "null");
		break;
	default:
		if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
			return unexpected(ps, "a value");
		v = node(ps, FL_JSON_NUMBER);
		if (!v)
			return ps->ret;
		ret = parse_number(ps, v);
		break;
	}
	*out = v;
	return ret;
}

int fl_json_parse(const char *text, size_t len, struct fl_json **out, size_t *err_off,
		  char *err, size_t errlen)
{
	struct json_parser ps = {
		.start = text, .p = text, .end = text + len,
		.err_off = err_off, .err = err, .errlen = errlen,
	};
	struct fl_json *v;

	*out = NULL;
	skip_ws(&ps);
	if (ps.p == ps.end)
		return json_fail(&ps, ps.p, "empty input (expected a JSON value)");
	if (parse_value(&ps, &v)) {
		fl_json_free(v);
		return ps.ret;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fl_json_free(v);
		return unexpected(&ps, "the end after the value");
	}
	*out = v;
	return 0;
}

void fl_json_free(struct fl_json *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case FL_JSON_STRING:
		free(v->str.s);
		break;
	case FL_JSON_ARRAY:
		for (i = 0; i < v->arr.n; i++)
			fl_json_free(v->arr.v[i]);
		free(v->arr.v);
		break;
	case FL_JSON_OBJECT:
		for (i = 0; i < v->obj.n; i++) {
			free(v->obj.m[i].key);
			fl_json_free(v->obj.m[i].value);
		}
		free(v->obj.m);
		break;
	default:
		break;
	}
	free(v);
}

const struct fl_json *fl_json_get(const struct fl_json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != FL_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->obj.n; i++)
		if (!strcmp(obj->obj.m[i].key, key))
			return obj->obj.m[i].value;
	return NULL;
}

const char *fl_json_str(const struct fl_json *v)
{
	return v && v->type == FL_JSON_STRING ? v->str.s : NULL;
}

bool fl_json_u64(const struct fl_json *v, uint64_t *out)
{
	if (!v || v->type != FL_JSON_NUMBER || !(v->num.flags & FL_JSON_NUM_U64))
		return false;
	*out = v->num.u;
	return true;
}

bool fl_json_bool(const struct fl_json *v, bool *out)
{
	if (!v || v->type != FL_JSON_BOOL)
		return false;
	*out = v->b;
	return true;
}

const char *fl_json_type_name(enum fl_json_type t)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "array",
					    "object"};

	return (unsigned)t < FL_ARRAY_SIZE(names) ? names[t] : "?";
}
