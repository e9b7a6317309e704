/* Field values as text: parsing and printing the value (and mask) of each
 * field format, numbers of up to 128 bits, and subfield references.
 *
 * The parsers are strict where ovs-ofctl users would be surprised otherwise:
 * numbers are decimal or 0x hex (never octal), IPv4 addresses are four
 * decimal bytes, and a value must fit its field. Printing follows ovs-ofctl:
 * decimal for ports and small numbers, hex for registers, metadata and TCIs,
 * CIDR for prefix masks, and names for nw_frag and flag fields. Every printed
 * form parses back to the same value and mask.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "flow/field.h"
#include "flow/flow_private.h"

void fl_sbuf_printf(struct fl_sbuf *s, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	char *tail = fl_sbuf_tail(s, &room);
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tail, room, fmt, ap);
	va_end(ap);
	fl_sbuf_advance(s, n);
}

/* --- numbers --- */

int fl_field_parse_number(const char *s, union fl_field_value *v)
{
	const char *p;
	size_t n, i;

	memset(v, 0, sizeof(*v));
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		p = s + 2;
		n = strlen(p);
		if (!n)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (fl_hex_digit(p[i]) < 0)
				return -EINVAL;
		while (n > 1 && *p == '0') {
			p++;
			n--;
		}
		if (n > 2 * FL_FIELD_MAX_BYTES)
			return -ERANGE;
		for (i = 0; i < n; i++) {
			unsigned nib = (unsigned)fl_hex_digit(p[n - 1 - i]);
			uint8_t *b = &v->b[FL_FIELD_MAX_BYTES - 1 - i / 2];

			*b = (uint8_t)(*b | (i % 2 ? nib << 4 : nib));
		}
		return 0;
	} else {
		uint64_t x = 0;

		if (!*s)
			return -EINVAL;
		for (p = s; *p; p++) {
			unsigned d = (unsigned)(*p - '0');

			if (*p < '0' || *p > '9')
				return -EINVAL;
			if (x > (UINT64_MAX - d) / 10)
				return -ERANGE;
			x = x * 10 + d;
		}
		for (i = 0; i < 8; i++)
			v->b[FL_FIELD_MAX_BYTES - 1 - i] = (uint8_t)(x >> (8 * i));
		return 0;
	}
}

bool fl_field_number_narrow(const union fl_field_value *num, unsigned n_bits,
			    union fl_field_value *out)
{
	unsigned nb = (n_bits + 7) / 8, i;
	union fl_field_value r;

	for (i = 0; i < FL_FIELD_MAX_BYTES - nb; i++)
		if (num->b[i])
			return false;
	memset(&r, 0, sizeof(r));
	memcpy(r.b, num->b + FL_FIELD_MAX_BYTES - nb, nb);
	if (n_bits % 8 && (r.b[0] >> (n_bits % 8)))
		return false;
	*out = r;
	return true;
}

int fl_field_format_number(const uint8_t *b, unsigned n, char *buf, size_t size)
{
	struct fl_sbuf s;
	unsigned i = 0;

	fl_sbuf_init(&s, buf, size);
	while (i + 1 < n && !b[i])
		i++;
	if (i >= n) {
		fl_sbuf_printf(&s, "0x0");
		return fl_sbuf_result(&s);
	}
	fl_sbuf_printf(&s, "0x%x", b[i]);
	for (i++; i < n; i++)
		fl_sbuf_printf(&s, "%02x", b[i]);
	return fl_sbuf_result(&s);
}

/* --- addresses --- */

static bool parse_mac(const char *s, uint8_t *mac)
{
	unsigned i;

	for (i = 0; i < 6; i++) {
		int hi = fl_hex_digit(s[0]), lo;

		if (hi < 0)
			return false;
		lo = fl_hex_digit(s[1]);
		if (lo >= 0) {
			mac[i] = (uint8_t)(hi << 4 | lo);
			s += 2;
		} else {
			mac[i] = (uint8_t)hi;
			s += 1;
		}
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

static bool parse_ip4(const char *s, uint8_t *a)
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		unsigned x = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			x = x * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || x > 255)
			return false;
		a[i] = (uint8_t)x;
		if (i < 3 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

static bool parse_ip6(const char *s, uint8_t *a)
{
	char tmp[INET6_ADDRSTRLEN + 8];

	if (strlen(s) >= sizeof(tmp))
		return false;
	strcpy(tmp, s);
	return inet_pton(AF_INET6, tmp, a) == 1;
}

/* "/N" prefix length as a mask of nbytes bytes. */
static bool parse_prefix(const char *s, unsigned nbytes, uint8_t *mask)
{
	unsigned n = 0, i, digits = 0;

	for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
		n = n * 10 + (unsigned)(*s - '0');
	if (*s || !digits || n > nbytes * 8)
		return false;
	memset(mask, 0, nbytes);
	for (i = 0; i < n; i++)
		mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return true;
}

/* Prefix length of a mask, or -1 if it is not a prefix. */
static int mask_prefix(const uint8_t *m, unsigned nbytes)
{
	unsigned i, n = 0;

	for (i = 0; i < nbytes * 8; i++) {
		bool on = m[i / 8] & (0x80u >> (i % 8));

		if (on && n != i)
			return -1;
		if (on)
			n++;
	}
	return (int)n;
}

/* --- flag fields --- */

struct flag_name {
	const char *name;
	uint16_t bit;
};

static const struct flag_name tcp_flag_names[] = {
	{ "fin", 0x001 }, { "syn", 0x002 }, { "rst", 0x004 }, { "psh", 0x008 }, { "ack", 0x010 },
	{ "urg", 0x020 }, { "ece", 0x040 }, { "cwr", 0x080 }, { "ns", 0x100 }, { NULL, 0 },
};

/* ct_state bits as OVS defines them (CS_NEW ... CS_DST_NAT). */
static const struct flag_name ct_flag_names[] = {
	{ "new", 0x01 }, { "est", 0x02 }, { "rel", 0x04 },  { "rpl", 0x08 }, { "inv", 0x10 },
	{ "trk", 0x20 }, { "snat", 0x40 }, { "dnat", 0x80 }, { NULL, 0 },
};

static uint16_t flag_names_all(const struct flag_name *names)
{
	uint16_t all = 0;

	for (; names->name; names++)
		all |= names->bit;
	return all;
}

/* "+syn-ack": value and mask; false with msg on a bad name or a repeat. */
static bool parse_flags(const char *s, const struct flag_name *names, uint16_t *value,
			uint16_t *mask, const char *fname, char *msg, size_t msglen)
{
	const char *whole = s;

	*value = *mask = 0;
	while (*s) {
		const struct flag_name *fn;
		bool on = *s == '+';
		size_t len;

		if (*s != '+' && *s != '-') {
			snprintf(msg, msglen, "bad flags '%.*s' for %s (want +flag or -flag)",
				 FL_QUOTE_MAX, whole, fname);
			return false;
		}
		s++;
		len = strcspn(s, "+-");
		for (fn = names; fn->name; fn++)
			if (strlen(fn->name) == len && !memcmp(fn->name, s, len))
				break;
		if (!fn->name) {
			snprintf(msg, msglen, "unknown flag '%.*s' for %s", (int)FL_MIN(len, 32), s,
				 fname);
			return false;
		}
		if (*mask & fn->bit) {
			snprintf(msg, msglen, "flag '%s' given twice for %s", fn->name, fname);
			return false;
		}
		*mask |= fn->bit;
		if (on)
			*value |= fn->bit;
		s += len;
	}
	return true;
}

static void format_flags(struct fl_sbuf *sb, const struct flag_name *names, uint16_t value,
			 uint16_t mask)
{
	for (; names->name; names++)
		if (mask & names->bit)
			fl_sbuf_printf(sb, "%c%s", value & names->bit ? '+' : '-', names->name);
}

/* nw_frag names as ovs-ofctl reads them. Printing uses a name only where
 * reading the name gives back the same value and mask. */
static const struct {
	const char *name;
	uint8_t value, mask;
} frag_names[] = {
	{ "no", 0, FL_FRAG_ANY | FL_FRAG_LATER },
	{ "first", FL_FRAG_ANY, FL_FRAG_ANY | FL_FRAG_LATER },
	{ "later", FL_FRAG_ANY | FL_FRAG_LATER, FL_FRAG_ANY | FL_FRAG_LATER },
	{ "yes", FL_FRAG_ANY, FL_FRAG_ANY },
	{ "not_later", 0, FL_FRAG_LATER },
};

/* --- values --- */

static int bad(char *msg, size_t msglen, const char *what, const char *s, const char *fname)
{
	snprintf(msg, msglen, "bad %s '%.*s' for %s", what, FL_QUOTE_MAX, s, fname);
	return -EINVAL;
}

/* An integer field value of the field's width. */
static int parse_int(const struct fl_field *f, const char *fname, const char *s, bool is_mask,
		     union fl_field_value *v, char *msg, size_t msglen)
{
	union fl_field_value num;
	unsigned shift = (f->flags & FL_FIELD_F_INPLACE) ? f->shift : 0;
	int r = fl_field_parse_number(s, &num);
	unsigned i;

	if (r == -EINVAL)
		return bad(msg, msglen, is_mask ? "mask" : "value", s, fname);
	if (r == 0 && shift) {
		/* nw_tos: the text is the TOS byte, whose low bits are ECN. */
		if (num.b[FL_FIELD_MAX_BYTES - 1] & ((1u << shift) - 1)) {
			snprintf(msg, msglen,
				 "%s '%.*s' for %s has its low %u bits set (they are not part of the field)",
				 is_mask ? "mask" : "value", FL_QUOTE_MAX, s, fname, shift);
			return -EINVAL;
		}
		for (i = FL_FIELD_MAX_BYTES; i-- > 0;)
			num.b[i] = (uint8_t)(num.b[i] >> shift | (i ? num.b[i - 1] << (8 - shift) : 0));
	}
	if (r || !fl_field_number_narrow(&num, f->n_bits, v)) {
		snprintf(msg, msglen, "%s '%.*s' is too large for %s (%u bits)",
			 is_mask ? "mask" : "value", FL_QUOTE_MAX, s, fname, f->n_bits + shift);
		return -EINVAL;
	}
	return 0;
}

static int parse_part(const struct fl_field *f, const char *fname, const char *s, bool is_mask,
		      const struct fl_port_resolver *res, union fl_field_value *v, char *msg,
		      size_t msglen)
{
	const char *what = is_mask ? "mask" : NULL;
	uint32_t port;
	int r;

	memset(v, 0, sizeof(*v));
	switch ((enum fl_field_fmt)f->fmt) {
	case FL_FFMT_MAC:
		if (!parse_mac(s, v->b))
			return bad(msg, msglen, what ? what : "MAC address", s, fname);
		return 0;
	case FL_FFMT_IP4:
		if (is_mask && s[0] && !strchr(s, '.') && parse_prefix(s, 4, v->b))
			return 0;
		if (!parse_ip4(s, v->b))
			return bad(msg, msglen, what ? what : "IPv4 address", s, fname);
		return 0;
	case FL_FFMT_IP6:
		if (is_mask && s[0] && !strchr(s, ':') && parse_prefix(s, 16, v->b))
			return 0;
		if (!parse_ip6(s, v->b))
			return bad(msg, msglen, what ? what : "IPv6 address", s, fname);
		return 0;
	case FL_FFMT_PORT:
		r = fl_port_parse(s, res, &port);
		if (r == -ENOENT) {
			snprintf(msg, msglen, "unknown port '%.*s' for %s", FL_QUOTE_MAX, s, fname);
			return -EINVAL;
		}
		if (r)
			return bad(msg, msglen, "port", s, fname);
		fl_field_value_from_u64(f, port, v);
		return 0;
	case FL_FFMT_DEC:
	case FL_FFMT_HEX:
	case FL_FFMT_FRAG:
	case FL_FFMT_TCP_FLAGS:
	case FL_FFMT_CT_STATE:
		return parse_int(f, fname, s, is_mask, v, msg, msglen);
	}
	return bad(msg, msglen, "value", s, fname);
}

/* Flag and name forms that give value and mask in one word. */
static int parse_special(const struct fl_field *f, const char *fname, const char *s,
			 union fl_field_value *v, union fl_field_value *mask, char *msg,
			 size_t msglen)
{
	const struct flag_name *names;
	uint16_t fv, fm;
	size_t i;

	if (f->fmt == FL_FFMT_FRAG) {
		for (i = 0; i < FL_ARRAY_SIZE(frag_names); i++) {
			if (!strcmp(s, frag_names[i].name)) {
				fl_field_value_from_u64(f, frag_names[i].value, v);
				fl_field_value_from_u64(f, frag_names[i].mask, mask);
				return 1;
			}
		}
		return 0;
	}
	if (s[0] != '+' && s[0] != '-')
		return 0;
	names = f->fmt == FL_FFMT_TCP_FLAGS ? tcp_flag_names : ct_flag_names;
	if (!parse_flags(s, names, &fv, &fm, fname, msg, msglen))
		return -EINVAL;
	fl_field_value_from_u64(f, fv, v);
	fl_field_value_from_u64(f, fm, mask);
	return 1;
}

int fl_field_parse_value(const struct fl_field *f, const char *name, const char *s,
			 const struct fl_port_resolver *res, union fl_field_value *v,
			 union fl_field_value *mask, char *msg, size_t msglen)
{
	char vtext[256];
	const char *slash;
	union fl_field_value m;
	unsigned i;
	int r;

	if (!name)
		name = f->name;
	if (!*s) {
		snprintf(msg, msglen, "missing value for %s", name);
		return -EINVAL;
	}
	if (f->fmt == FL_FFMT_FRAG || f->fmt == FL_FFMT_TCP_FLAGS || f->fmt == FL_FFMT_CT_STATE) {
		r = parse_special(f, name, s, v, &m, msg, msglen);
		if (r < 0)
			return r;
		if (r > 0) {
			if (!mask && !fl_field_value_is_ones(f, &m))
				goto no_mask;
			goto done;
		}
	}
	slash = strchr(s, '/');
	if (slash && (!mask || !(f->flags & FL_FIELD_F_MASKABLE)))
		goto no_mask;
	if (slash) {
		if ((size_t)(slash - s) >= sizeof(vtext))
			return bad(msg, msglen, "value", s, name);
		memcpy(vtext, s, (size_t)(slash - s));
		vtext[slash - s] = '\0';
		r = parse_part(f, name, vtext, false, res, v, msg, msglen);
		if (!r)
			r = parse_part(f, name, slash + 1, true, res, &m, msg, msglen);
		if (r)
			return r;
	} else {
		r = parse_part(f, name, s, false, res, v, msg, msglen);
		if (r)
			return r;
		fl_field_value_ones(f, &m);
	}
done:
	for (i = 0; i < FL_FIELD_MAX_BYTES; i++)
		v->b[i] &= m.b[i];
	if (mask)
		*mask = m;
	return 0;
no_mask:
	snprintf(msg, msglen, "%s cannot be masked ('%.*s')", name, FL_QUOTE_MAX, s);
	return -EINVAL;
}

static void format_ip(struct fl_sbuf *sb, const struct fl_field *f, const uint8_t *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (f->fmt == FL_FFMT_IP4)
		fl_sbuf_printf(sb, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else
		fl_sbuf_printf(sb, "%s", inet_ntop(AF_INET6, a, tmp, sizeof(tmp)) ? tmp : "?");
}

static void format_int(struct fl_sbuf *sb, const struct fl_field *f,
		       const union fl_field_value *v, bool hex)
{
	uint64_t x = fl_field_value_to_u64(f, v);

	if (f->flags & FL_FIELD_F_INPLACE)
		x <<= f->shift;
	if (!hex)
		fl_sbuf_printf(sb, "%llu", (unsigned long long)x);
	else if (f->n_bits <= 24)
		fl_sbuf_printf(sb, "0x%0*llx", (f->n_bits + 3) / 4, (unsigned long long)x);
	else
		fl_sbuf_printf(sb, "0x%llx", (unsigned long long)x);
}

int fl_field_format_value(const struct fl_field *f, const union fl_field_value *v,
			  const union fl_field_value *mask, char *buf, size_t size)
{
	bool masked = mask && !fl_field_value_is_ones(f, mask);
	struct fl_sbuf sb;
	char port[32];
	uint16_t fv, fm;
	size_t i;
	int prefix;

	fl_sbuf_init(&sb, buf, size);
	switch ((enum fl_field_fmt)f->fmt) {
	case FL_FFMT_MAC:
		fl_sbuf_printf(&sb, "%02x:%02x:%02x:%02x:%02x:%02x", v->b[0], v->b[1], v->b[2],
			       v->b[3], v->b[4], v->b[5]);
		if (masked)
			fl_sbuf_printf(&sb, "/%02x:%02x:%02x:%02x:%02x:%02x", mask->b[0],
				       mask->b[1], mask->b[2], mask->b[3], mask->b[4], mask->b[5]);
		break;
	case FL_FFMT_IP4:
	case FL_FFMT_IP6:
		format_ip(&sb, f, v->b);
		if (!masked)
			break;
		prefix = mask_prefix(mask->b, fl_field_nbytes(f));
		if (prefix >= 0) {
			fl_sbuf_printf(&sb, "/%d", prefix);
		} else {
			fl_sbuf_printf(&sb, "/");
			format_ip(&sb, f, mask->b);
		}
		break;
	case FL_FFMT_PORT:
		fl_port_format((uint32_t)fl_field_value_to_u64(f, v), port, sizeof(port));
		fl_sbuf_printf(&sb, "%s", port);
		break;
	case FL_FFMT_FRAG:
		fv = (uint16_t)fl_field_value_to_u64(f, v);
		fm = mask ? (uint16_t)fl_field_value_to_u64(f, mask) : 3;
		for (i = 0; i < FL_ARRAY_SIZE(frag_names); i++) {
			if (frag_names[i].value == fv && frag_names[i].mask == fm) {
				fl_sbuf_printf(&sb, "%s", frag_names[i].name);
				return fl_sbuf_result(&sb);
			}
		}
		fl_sbuf_printf(&sb, "0x%x/0x%x", fv, fm);
		break;
	case FL_FFMT_TCP_FLAGS:
	case FL_FFMT_CT_STATE: {
		const struct flag_name *names =
			f->fmt == FL_FFMT_TCP_FLAGS ? tcp_flag_names : ct_flag_names;

		fv = (uint16_t)fl_field_value_to_u64(f, v);
		fm = mask ? (uint16_t)fl_field_value_to_u64(f, mask) : 0xffff;
		fm &= (uint16_t)((1u << f->n_bits) - 1);
		if (fm && !(fm & ~flag_names_all(names))) {
			format_flags(&sb, names, fv, fm);
			break;
		}
		format_int(&sb, f, v, true);
		if (masked) {
			fl_sbuf_printf(&sb, "/");
			format_int(&sb, f, mask, true);
		}
		break;
	}
	case FL_FFMT_DEC:
	case FL_FFMT_HEX:
		format_int(&sb, f, v, f->fmt == FL_FFMT_HEX || masked);
		if (masked) {
			fl_sbuf_printf(&sb, "/");
			format_int(&sb, f, mask, true);
		}
		break;
	}
	return fl_sbuf_result(&sb);
}

/* --- subfields --- */

static bool parse_bit(const char **sp, unsigned *bit)
{
	const char *s = *sp;
	unsigned x = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		x = x * 10 + (unsigned)(*s++ - '0');
		digits++;
	}
	if (!digits || (*s >= '0' && *s <= '9'))
		return false;
	*bit = x;
	*sp = s;
	return true;
}

int fl_subfield_parse(const char *s, struct fl_subfield *sf, const char **end, char *msg,
		      size_t msglen)
{
	size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	const struct fl_field *f = fl_field_by_name_len(s, len);
	const char *p = s + len, *open;
	unsigned a, b;

	if (!len) {
		snprintf(msg, msglen, "missing field name at '%.*s'", FL_QUOTE_MAX, s);
		return -EINVAL;
	}
	if (!f) {
		snprintf(msg, msglen, "unknown field '%.*s'", (int)FL_MIN(len, FL_QUOTE_MAX), s);
		return -EINVAL;
	}
	sf->field = f;
	sf->ofs = 0;
	sf->n_bits = f->n_bits;
	if (*p != '[') {
		*end = p;
		return 0;
	}
	open = p++;
	if (*p == ']') {
		*end = p + 1;
		return 0;
	}
	if (!parse_bit(&p, &a))
		goto bad_range;
	b = a;
	if (p[0] == '.' && p[1] == '.') {
		p += 2;
		if (!parse_bit(&p, &b))
			goto bad_range;
	}
	if (*p != ']' || b < a)
		goto bad_range;
	if (b >= f->n_bits) {
		snprintf(msg, msglen, "bits %u..%u are outside %.*s (%u bits)", a, b,
			 (int)FL_MIN(len, FL_QUOTE_MAX), s, f->n_bits);
		return -EINVAL;
	}
	sf->ofs = (uint16_t)a;
	sf->n_bits = (uint16_t)(b - a + 1);
	*end = p + 1;
	return 0;
bad_range:
	snprintf(msg, msglen, "bad bit range '%.*s' for %.*s (want [start..end], [bit] or [])",
		 (int)FL_MIN(strcspn(open, "]") + 1, FL_QUOTE_MAX), open,
		 (int)FL_MIN(len, FL_QUOTE_MAX), s);
	return -EINVAL;
}

int fl_subfield_format(const struct fl_subfield *sf, char *buf, size_t size)
{
	const struct fl_field *f = sf->field;
	const char *name = f->nxm_name ? f->nxm_name : f->name;

	if (sf->ofs == 0 && sf->n_bits == f->n_bits)
		return snprintf(buf, size, "%s[]", name);
	if (sf->n_bits == 1)
		return snprintf(buf, size, "%s[%u]", name, sf->ofs);
	return snprintf(buf, size, "%s[%u..%u]", name, sf->ofs, sf->ofs + sf->n_bits - 1);
}
