/* JSON strings (json_private.h): escapes, \u surrogate pairs, and UTF-8
 * checked byte by byte, for the parser; the UTF-8 check is shared with the
 * writer, which replaces what fails it. Never reads past the closing quote
 * found before decoding starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/json_private.h"
#include "core/hex.h"

unsigned json_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	unsigned n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0, i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int d = fl_hex_digit((unsigned char)p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One \uXXXX escape (or a surrogate pair) at ps->p (on the 'u'). */
static int unicode_escape(struct json_parser *ps, const char *esc, unsigned *cp)
{
	unsigned lo;

	if (hex4(ps->p + 1, ps->end, cp))
		return json_fail(ps, esc, "expected 4 hex digits after \\u");
	ps->p += 5;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return json_fail(ps, esc, "unpaired surrogate \\u%04x", *cp);
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, ps->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return json_fail(ps, esc, "unpaired surrogate \\u%04x", *cp);
		ps->p += 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*cp == 0)
		return json_fail(ps, esc, "\\u0000 (NUL) is not allowed in strings");
	return 0;
}

/* A string at ps->p (on the opening quote) into a new NUL-terminated buffer.
 * The decoded text is never longer than the source, so one allocation of the
 * source length suffices. */
int json_parse_string(struct json_parser *ps, char **out, size_t *outlen)
{
	const char *open = ps->p, *q = ps->p + 1;
	char *buf, *o;

	while (q < ps->end && *q != '"')
		q += (*q == '\\') ? 2 : 1;
	if (q >= ps->end)
		return json_fail(ps, open, "unterminated string");
	buf = malloc((size_t)(q - open));
	if (!buf)
		return json_oom(ps);
	o = buf;
	ps->p = open + 1;
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		const char *esc = ps->p;
		unsigned cp = 0, n;

		if (c < 0x20) {
			free(buf);
			return json_fail(ps, ps->p,
					 "raw control character 0x%02x in string (escape it)", c);
		}
		if (c >= 0x80) {
			n = json_utf8_len((const unsigned char *)ps->p, (size_t)(q - ps->p));
			if (!n) {
				free(buf);
				return json_fail(ps, ps->p, "invalid UTF-8 in string");
			}
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		switch (*ps->p) {
		case '"': case '\\': case '/':
			*o++ = *ps->p;
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (unicode_escape(ps, esc, &cp)) {
				free(buf);
				return ps->ret;
			}
			o += put_utf8(o, cp);
			continue;
		default:
			free(buf);
			if ((unsigned char)*ps->p > 0x20 && (unsigned char)*ps->p < 0x7f)
				return json_fail(ps, esc, "invalid escape '\\%c'", *ps->p);
			return json_fail(ps, esc, "invalid escape");
		}
		ps->p++;
	}
	ps->p++;
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	return 0;
}
