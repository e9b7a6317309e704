/* Flow key text: parse-error names and fl_key_format().
 *
 * fl_key_format() is the format of the parser's golden tests and of debug
 * dumps, so it is deterministic and says exactly what the key holds. Rules:
 *
 *  - Fields appear in layout order, as "name=value" joined by commas, where
 *    name is the struct fl_key member name (arp_sha, tp_src...), so a line
 *    maps one to one onto the layout.
 *  - A field is printed when it is non-zero, and some fields are printed
 *    even when zero, because their zero means something once the header they
 *    come from has parsed:
 *      in_port                        always;
 *      dl_dst, dl_src, dl_type        when dl_type != 0 (Ethernet parsed);
 *      nw_src, nw_dst, nw_proto       when an ARP header parsed;
 *      nw_src, nw_dst, nw_proto,      when an IPv4 header parsed;
 *        nw_tos, nw_ttl, nw_frag
 *      ipv6_src, ipv6_dst, ipv6_label when an IPv6 header parsed;
 *        nw_proto, nw_tos, nw_ttl, nw_frag
 *      tp_src, tp_dst                 when a TCP, UDP, ICMP or ICMPv6 header
 *                                     parsed; tcp_flags too for TCP.
 *    "Parsed" is read off dl_type, nw_proto, nw_frag and parse_err alone (an
 *    error of that header or an earlier one means it did not), so a key
 *    built by hand formats by the same rules.
 *  - Values: MACs as 00:11:22:33:44:55; IPv4 dotted; IPv6 in the RFC 5952
 *    form (lower case, longest run of two or more zero groups as "::",
 *    leftmost on a tie, ::ffff:a.b.c.d for IPv4-mapped); EtherTypes, TCIs
 *    and TPIDs as 0x%04x; ipv6_label 0x%05x; tcp_flags 0x%03x; ports, ICMP
 *    type/code (tp_src/tp_dst), nw_* bytes, vxlan_vni, in_port and registers
 *    in decimal; nw_frag as no / first / later; encap as vxlan; parse_err by
 *    its short name (ip4_totlen).
 */
#include <stdarg.h>
#include <stdio.h>

#include "proto/headers.h"
#include "proto/key.h"

static const char *const fl_parse_err_names[] = {
#define FL_PARSE_ERR_NAME(name, text) [FL_PARSE_ERR_##name] = #name,
	FL_PARSE_ERRORS(FL_PARSE_ERR_NAME)
#undef FL_PARSE_ERR_NAME
};

static const char *const fl_parse_err_texts[] = {
#define FL_PARSE_ERR_TEXT(name, text) [FL_PARSE_ERR_##name] = text,
	FL_PARSE_ERRORS(FL_PARSE_ERR_TEXT)
#undef FL_PARSE_ERR_TEXT
};

/* The X-macro gives upper-case identifiers; tools print lower case. The
 * table is filled once before main() so readers on any thread see it ready
 * without a lock. */
static char fl_parse_err_lower[FL_PARSE_ERR_MAX][16];

__attribute__((constructor)) static void fl_parse_err_init(void)
{
	unsigned e;
	size_t i;

	for (e = 0; e < FL_PARSE_ERR_MAX; e++) {
		const char *src = fl_parse_err_names[e];
		char *dst = fl_parse_err_lower[e];

		for (i = 0; src[i] != '\0' && i + 1 < sizeof(fl_parse_err_lower[0]); i++)
			dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
		dst[i] = '\0';
	}
}

const char *fl_parse_err_name(enum fl_parse_err err)
{
	if ((unsigned)err >= FL_PARSE_ERR_MAX)
		return "unknown";
	return fl_parse_err_lower[err];
}

const char *fl_parse_err_text(enum fl_parse_err err)
{
	if ((unsigned)err >= FL_PARSE_ERR_MAX)
		return "unknown parse error";
	return fl_parse_err_texts[err];
}

/* snprintf-style appender: writes what fits, counts everything. */
struct fl_fmt {
	char *buf;
	size_t size;
	size_t len;
};

FL_PRINTF(2, 3)
static void fl_fmt_add(struct fl_fmt *f, const char *fmt, ...)
{
	va_list ap;
	size_t room = f->len < f->size ? f->size - f->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? f->buf + f->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->len += (size_t)n;
}

/* Start a "name=" item, with the comma that separates it from the last. */
static void fl_fmt_name(struct fl_fmt *f, const char *name)
{
	fl_fmt_add(f, "%s%s=", f->len ? "," : "", name);
}

static void fl_fmt_mac(struct fl_fmt *f, const char *name, const uint8_t m[6])
{
	fl_fmt_name(f, name);
	fl_fmt_add(f, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fl_fmt_ip4(struct fl_fmt *f, const char *name, fl_be32 a)
{
	const uint8_t *b = (const uint8_t *)&a;

	fl_fmt_name(f, name);
	fl_fmt_add(f, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

/* RFC 5952 text form of an IPv6 address. */
static void fl_fmt_ip6(struct fl_fmt *f, const char *name, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned g[8], i, run, best = 0, best_len = 0, ngroups = 8;

	fl_fmt_name(f, name);
	if (!memcmp(a, mapped, sizeof(mapped))) {
		fl_fmt_add(f, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return;
	}
	for (i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < ngroups; i += run ? run : 1) {
		for (run = 0; i + run < ngroups && g[i + run] == 0; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	if (best_len < 2)
		best_len = 0;
	for (i = 0; i < ngroups; i++) {
		if (best_len && i == best) {
			fl_fmt_add(f, "::");
			i += best_len - 1;
			continue;
		}
		fl_fmt_add(f, "%s%x", i && !(best_len && i == best + best_len) ? ":" : "", g[i]);
	}
}

static bool fl_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Did the header that a parse error belongs to, or an earlier one, fail?
 * The errors are listed in header order, so "err in [first, last]" names
 * the headers that did not parse; the asserts pin the order relied on. */
_Static_assert(FL_PARSE_ERR_ETH_TRUNC + 2 == FL_PARSE_ERR_VLAN_DEPTH, "L2 errors");
_Static_assert(FL_PARSE_ERR_ARP_TRUNC + 1 == FL_PARSE_ERR_ARP_BAD, "ARP errors");
_Static_assert(FL_PARSE_ERR_IP4_TRUNC + 3 == FL_PARSE_ERR_IP4_TOTLEN, "IPv4 errors");
_Static_assert(FL_PARSE_ERR_IP6_TRUNC + 2 == FL_PARSE_ERR_IP6_PLEN, "IPv6 errors");
_Static_assert(FL_PARSE_ERR_IP6_PLEN + 1 == FL_PARSE_ERR_IP6_EXT_TRUNC &&
		       FL_PARSE_ERR_IP6_EXT_TRUNC + 7 == FL_PARSE_ERR_ICMP6_TRUNC,
	       "extension header and L4 header errors");
static bool fl_err_in(const struct fl_key *k, enum fl_parse_err first, enum fl_parse_err last)
{
	return k->parse_err >= first && k->parse_err <= last;
}

static bool fl_l2_failed(const struct fl_key *k)
{
	return fl_err_in(k, FL_PARSE_ERR_ETH_TRUNC, FL_PARSE_ERR_VLAN_DEPTH);
}

static bool fl_arp_parsed(const struct fl_key *k)
{
	return k->dl_type == fl_htons(FL_ETH_TYPE_ARP) && !fl_l2_failed(k) &&
	       !fl_err_in(k, FL_PARSE_ERR_ARP_TRUNC, FL_PARSE_ERR_ARP_BAD);
}

static bool fl_ip4_parsed(const struct fl_key *k)
{
	return k->dl_type == fl_htons(FL_ETH_TYPE_IPV4) && !fl_l2_failed(k) &&
	       !fl_err_in(k, FL_PARSE_ERR_IP4_TRUNC, FL_PARSE_ERR_IP4_TOTLEN);
}

static bool fl_ip6_parsed(const struct fl_key *k)
{
	return k->dl_type == fl_htons(FL_ETH_TYPE_IPV6) && !fl_l2_failed(k) &&
	       !fl_err_in(k, FL_PARSE_ERR_IP6_TRUNC, FL_PARSE_ERR_IP6_PLEN);
}

/* The L4 header parsed: IP parsed, no extension-header error, not a later
 * fragment, a protocol the parser reads, and no error of that header. */
static bool fl_l4_parsed(const struct fl_key *k)
{
	bool ip4 = fl_ip4_parsed(k), ip6 = fl_ip6_parsed(k);

	if (!(ip4 || ip6) || (k->nw_frag & FL_FRAG_LATER) ||
	    fl_err_in(k, FL_PARSE_ERR_IP6_EXT_TRUNC, FL_PARSE_ERR_ICMP6_TRUNC))
		return false;
	return k->nw_proto == FL_IPPROTO_TCP || k->nw_proto == FL_IPPROTO_UDP ||
	       (ip4 && k->nw_proto == FL_IPPROTO_ICMP) || (ip6 && k->nw_proto == FL_IPPROTO_ICMPV6);
}

static void fl_fmt_u(struct fl_fmt *f, const char *name, unsigned long long v, bool show)
{
	if (show || v) {
		fl_fmt_name(f, name);
		fl_fmt_add(f, "%llu", v);
	}
}

static void fl_fmt_x(struct fl_fmt *f, const char *name, const char *vfmt, unsigned long long v,
		     bool show)
{
	if (show || v) {
		fl_fmt_name(f, name);
		fl_fmt_add(f, vfmt, v);
	}
}

static void fl_fmt_meta(struct fl_fmt *f, const struct fl_key *k)
{
	static const char *const reg_names[8] = { "reg0", "reg1", "reg2", "reg3",
						  "reg4", "reg5", "reg6", "reg7" };
	unsigned i;

	fl_fmt_u(f, "in_port", k->in_port, true);
	fl_fmt_x(f, "recirc_id", "0x%llx", k->recirc_id, false);
	fl_fmt_x(f, "metadata", "0x%llx", k->metadata, false);
	for (i = 0; i < 8; i++)
		fl_fmt_u(f, reg_names[i], k->regs[i], false);
	fl_fmt_x(f, "ct_mark", "0x%llx", k->ct_mark, false);
	fl_fmt_u(f, "ct_zone", k->ct_zone, false);
	fl_fmt_x(f, "ct_state", "0x%llx", k->ct_state, false);
	fl_fmt_x(f, "tun_id", "0x%llx", fl_ntohll(k->tun_id), false);
	if (k->tun_src)
		fl_fmt_ip4(f, "tun_src", k->tun_src);
	if (k->tun_dst)
		fl_fmt_ip4(f, "tun_dst", k->tun_dst);
}

static void fl_fmt_l2(struct fl_fmt *f, const struct fl_key *k)
{
	bool eth = k->dl_type != 0;

	if (eth || !fl_is_zero(k->dl_dst, 6))
		fl_fmt_mac(f, "dl_dst", k->dl_dst);
	fl_fmt_x(f, "dl_type", "0x%04llx", fl_ntohs(k->dl_type), false);
	if (eth || !fl_is_zero(k->dl_src, 6))
		fl_fmt_mac(f, "dl_src", k->dl_src);
	fl_fmt_x(f, "vlan_tci", "0x%04llx", fl_ntohs(k->vlan_tci), false);
	fl_fmt_x(f, "vlan2_tci", "0x%04llx", fl_ntohs(k->vlan2_tci), false);
	fl_fmt_x(f, "vlan_tpid", "0x%04llx", fl_ntohs(k->vlan_tpid), false);
}

static void fl_fmt_l3(struct fl_fmt *f, const struct fl_key *k)
{
	bool arp = fl_arp_parsed(k), ip4 = fl_ip4_parsed(k), ip6 = fl_ip6_parsed(k);
	bool ip = ip4 || ip6;

	if (arp || ip4 || k->nw_src)
		fl_fmt_ip4(f, "nw_src", k->nw_src);
	if (arp || ip4 || k->nw_dst)
		fl_fmt_ip4(f, "nw_dst", k->nw_dst);
	if (ip6 || !fl_is_zero(k->ipv6_src, 16))
		fl_fmt_ip6(f, "ipv6_src", k->ipv6_src);
	if (ip6 || !fl_is_zero(k->ipv6_dst, 16))
		fl_fmt_ip6(f, "ipv6_dst", k->ipv6_dst);
	fl_fmt_x(f, "ipv6_label", "0x%05llx", fl_ntohl(k->ipv6_label), ip6);
	fl_fmt_u(f, "nw_proto", k->nw_proto, arp || ip);
	fl_fmt_u(f, "nw_tos", k->nw_tos, ip);
	fl_fmt_u(f, "nw_ttl", k->nw_ttl, ip);
	if (ip || k->nw_frag) {
		fl_fmt_name(f, "nw_frag");
		if (k->nw_frag == 0)
			fl_fmt_add(f, "no");
		else if (k->nw_frag == FL_FRAG_ANY)
			fl_fmt_add(f, "first");
		else if (k->nw_frag == (FL_FRAG_ANY | FL_FRAG_LATER))
			fl_fmt_add(f, "later");
		else
			fl_fmt_add(f, "0x%x", k->nw_frag);
	}
	if (arp || !fl_is_zero(k->arp_sha, 6))
		fl_fmt_mac(f, "arp_sha", k->arp_sha);
	if (arp || !fl_is_zero(k->arp_tha, 6))
		fl_fmt_mac(f, "arp_tha", k->arp_tha);
	if (!fl_is_zero(k->nd_target, 16))
		fl_fmt_ip6(f, "nd_target", k->nd_target);
}

static void fl_fmt_l4(struct fl_fmt *f, const struct fl_key *k)
{
	bool l4 = fl_l4_parsed(k);

	fl_fmt_u(f, "tp_src", fl_ntohs(k->tp_src), l4);
	fl_fmt_u(f, "tp_dst", fl_ntohs(k->tp_dst), l4);
	fl_fmt_x(f, "tcp_flags", "0x%03llx", fl_ntohs(k->tcp_flags),
		 l4 && k->nw_proto == FL_IPPROTO_TCP);
	if (k->encap == FL_ENCAP_VXLAN)
		fl_fmt_add(f, "%sencap=vxlan", f->len ? "," : "");
	else
		fl_fmt_u(f, "encap", k->encap, false);
	if (k->parse_err) {
		fl_fmt_name(f, "parse_err");
		fl_fmt_add(f, "%s", fl_parse_err_name((enum fl_parse_err)k->parse_err));
	}
	fl_fmt_u(f, "vxlan_vni", fl_ntohl(k->vxlan_vni), k->encap == FL_ENCAP_VXLAN);
}

int fl_key_format(const struct fl_key *k, char *buf, size_t size)
{
	struct fl_fmt f = { .buf = buf, .size = size, .len = 0 };

	if (size)
		buf[0] = '\0';
	fl_fmt_meta(&f, k);
	fl_fmt_l2(&f, k);
	fl_fmt_l3(&f, k);
	fl_fmt_l4(&f, k);
	return (int)f.len;
}
