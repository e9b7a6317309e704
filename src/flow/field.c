/* The field table, name lookup, prerequisites, and bit-exact access to a
 * field's value in a struct fl_key or a struct fl_match.
 *
 * Access goes through the field's container: the container is read as a
 * big-endian byte string (host-order containers are byte-swapped, the host is
 * little-endian: core/byteorder.h), the field's bits are taken at
 * [shift, shift + n_bits), and written back the same way. Containers that hold
 * a subfield are at most 4 bytes and go through a uint64; whole-container
 * fields (MACs, IPv6 addresses) are copied byte by byte. This is what
 * set_field, load and move will execute in translation, so it has no
 * allocation and no branches on names. Text lives in field_value.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flow/field.h"
#include "proto/headers.h"

#define KOFS(m) ((uint16_t)offsetof(struct fl_key, m))
#define KSZ(m) ((uint8_t)sizeof(((struct fl_key *)0)->m))
#define OXM(f, len) FL_OXM_HEADER(FL_OXM_CLASS_BASIC, f, len)
#define NXM0(f, len) FL_OXM_HEADER(0, f, len)
#define NXM1(f, len) FL_OXM_HEADER(1, f, len)

#define M FL_FIELD_F_MASKABLE
#define W FL_FIELD_F_WRITABLE
#define H FL_FIELD_F_HOST

/* A whole-container field. */
#define FIELD(ID, NAME, MEMBER, FLAGS, FMT, PRE)                                   \
	[FL_FIELD_##ID] = { .id = FL_FIELD_##ID, .name = NAME, .ofs = KOFS(MEMBER),  \
			    .size = KSZ(MEMBER), .n_bits = KSZ(MEMBER) * 8,          \
			    .flags = (FLAGS), .fmt = FL_FFMT_##FMT, .prereq = FL_PREREQ_##PRE

#define REG(N)                                                                     \
	[FL_FIELD_REG##N] = { .id = FL_FIELD_REG##N, .name = "reg" #N,                \
			      .nxm_name = "NXM_NX_REG" #N,                            \
			      .ofs = (uint16_t)(KOFS(regs) + 4 * N), .size = 4,        \
			      .n_bits = 32, .flags = M | W | H, .fmt = FL_FFMT_HEX,    \
			      .nxm = NXM1(N, 4) }

/* A byte inside a 16-bit container (ICMP type/code live in the low-order
 * byte of tp_src/tp_dst, which is the byte at the higher address). */
#define ICMP_BYTE(ID, NAME, MEMBER, PRE)                                           \
	[FL_FIELD_##ID] = { .id = FL_FIELD_##ID, .name = NAME,                       \
			    .ofs = (uint16_t)(KOFS(MEMBER) + 1), .size = 1, .n_bits = 8, \
			    .flags = W, .fmt = FL_FFMT_DEC, .prereq = FL_PREREQ_##PRE

static const struct fl_field fl_fields[FL_FIELD_N] = {
	FIELD(IN_PORT, "in_port", in_port, H, PORT, NONE),
		.nxm_name = "NXM_OF_IN_PORT", .oxm_name = "OXM_OF_IN_PORT",
		.oxm = OXM(0, 4), .nxm = NXM0(0, 2) },
	FIELD(RECIRC_ID, "recirc_id", recirc_id, H, HEX, NONE),
		.nxm_name = "NXM_NX_RECIRC_ID", .nxm = NXM1(36, 4) },
	FIELD(METADATA, "metadata", metadata, M | W | H, HEX, NONE),
		.oxm_name = "OXM_OF_METADATA", .oxm = OXM(2, 8) },
	REG(0), REG(1), REG(2), REG(3), REG(4), REG(5), REG(6), REG(7),
	FIELD(CT_STATE, "ct_state", ct_state, M | H, CT_STATE, NONE),
		.nxm_name = "NXM_NX_CT_STATE", .nxm = NXM1(105, 4) },
	FIELD(CT_ZONE, "ct_zone", ct_zone, H, DEC, NONE),
		.nxm_name = "NXM_NX_CT_ZONE", .nxm = NXM1(106, 2) },
	FIELD(CT_MARK, "ct_mark", ct_mark, M | H, HEX, NONE),
		.nxm_name = "NXM_NX_CT_MARK", .nxm = NXM1(107, 4) },
	FIELD(TUN_ID, "tun_id", tun_id, M | W, HEX, NONE),
		.aliases = { "tunnel_id" }, .nxm_name = "NXM_NX_TUN_ID",
		.oxm_name = "OXM_OF_TUNNEL_ID", .oxm = OXM(38, 8), .nxm = NXM1(16, 8) },
	FIELD(TUN_SRC, "tun_src", tun_src, M | W, IP4, NONE),
		.nxm_name = "NXM_NX_TUN_IPV4_SRC", .nxm = NXM1(31, 4) },
	FIELD(TUN_DST, "tun_dst", tun_dst, M | W, IP4, NONE),
		.nxm_name = "NXM_NX_TUN_IPV4_DST", .nxm = NXM1(32, 4) },
	FIELD(DL_SRC, "dl_src", dl_src, M | W, MAC, NONE),
		.aliases = { "eth_src" }, .nxm_name = "NXM_OF_ETH_SRC",
		.oxm_name = "OXM_OF_ETH_SRC", .oxm = OXM(4, 6), .nxm = NXM0(2, 6) },
	FIELD(DL_DST, "dl_dst", dl_dst, M | W, MAC, NONE),
		.aliases = { "eth_dst" }, .nxm_name = "NXM_OF_ETH_DST",
		.oxm_name = "OXM_OF_ETH_DST", .oxm = OXM(3, 6), .nxm = NXM0(1, 6) },
	FIELD(DL_TYPE, "dl_type", dl_type, 0, HEX, NONE),
		.aliases = { "eth_type" }, .nxm_name = "NXM_OF_ETH_TYPE",
		.oxm_name = "OXM_OF_ETH_TYPE", .oxm = OXM(5, 2), .nxm = NXM0(3, 2) },
	FIELD(VLAN_TCI, "vlan_tci", vlan_tci, M | W, HEX, NONE),
		.nxm_name = "NXM_OF_VLAN_TCI", .nxm = NXM0(4, 2) },
	[FL_FIELD_DL_VLAN] = { .id = FL_FIELD_DL_VLAN, .name = "dl_vlan", .ofs = KOFS(vlan_tci),
			       .size = 2, .shift = 0, .n_bits = 12, .flags = W,
			       .fmt = FL_FFMT_DEC },
	[FL_FIELD_DL_VLAN_PCP] = { .id = FL_FIELD_DL_VLAN_PCP, .name = "dl_vlan_pcp",
				   .aliases = { "vlan_pcp" }, .oxm_name = "OXM_OF_VLAN_PCP",
				   .ofs = KOFS(vlan_tci), .size = 2, .shift = FL_VLAN_PCP_SHIFT,
				   .n_bits = 3, .flags = W, .fmt = FL_FFMT_DEC,
				   .oxm = OXM(7, 1) },
	[FL_FIELD_VLAN_VID] = { .id = FL_FIELD_VLAN_VID, .name = "vlan_vid",
				.oxm_name = "OXM_OF_VLAN_VID", .ofs = KOFS(vlan_tci), .size = 2,
				.n_bits = 13, .flags = M | W, .fmt = FL_FFMT_HEX,
				.oxm = OXM(6, 2) },
	FIELD(NW_SRC, "nw_src", nw_src, M | W | FL_FIELD_F_ARP_ALIAS, IP4, IP4),
		.aliases = { "ip_src" }, .nxm_name = "NXM_OF_IP_SRC",
		.oxm_name = "OXM_OF_IPV4_SRC", .oxm = OXM(11, 4), .nxm = NXM0(7, 4) },
	FIELD(NW_DST, "nw_dst", nw_dst, M | W | FL_FIELD_F_ARP_ALIAS, IP4, IP4),
		.aliases = { "ip_dst" }, .nxm_name = "NXM_OF_IP_DST",
		.oxm_name = "OXM_OF_IPV4_DST", .oxm = OXM(12, 4), .nxm = NXM0(8, 4) },
	FIELD(NW_PROTO, "nw_proto", nw_proto, FL_FIELD_F_ARP_ALIAS, DEC, IP_ANY),
		.aliases = { "ip_proto" }, .nxm_name = "NXM_OF_IP_PROTO",
		.oxm_name = "OXM_OF_IP_PROTO", .oxm = OXM(10, 1), .nxm = NXM0(6, 1) },
	[FL_FIELD_NW_TOS] = { .id = FL_FIELD_NW_TOS, .name = "nw_tos", .nxm_name = "NXM_OF_IP_TOS",
			      .ofs = KOFS(nw_tos), .size = 1, .shift = 2, .n_bits = 6,
			      .flags = W | FL_FIELD_F_INPLACE, .fmt = FL_FFMT_DEC,
			      .prereq = FL_PREREQ_IP_ANY, .nxm = NXM0(5, 1) },
	[FL_FIELD_IP_DSCP] = { .id = FL_FIELD_IP_DSCP, .name = "ip_dscp",
			       .oxm_name = "OXM_OF_IP_DSCP", .ofs = KOFS(nw_tos), .size = 1,
			       .shift = 2, .n_bits = 6, .flags = W, .fmt = FL_FFMT_DEC,
			       .prereq = FL_PREREQ_IP_ANY, .oxm = OXM(8, 1) },
	[FL_FIELD_NW_ECN] = { .id = FL_FIELD_NW_ECN, .name = "nw_ecn", .aliases = { "ip_ecn" },
			      .nxm_name = "NXM_NX_IP_ECN", .oxm_name = "OXM_OF_IP_ECN",
			      .ofs = KOFS(nw_tos), .size = 1, .n_bits = 2, .flags = W,
			      .fmt = FL_FFMT_DEC, .prereq = FL_PREREQ_IP_ANY,
			      .oxm = OXM(9, 1), .nxm = NXM1(28, 1) },
	FIELD(NW_TTL, "nw_ttl", nw_ttl, W, DEC, IP_ANY),
		.nxm_name = "NXM_NX_IP_TTL", .nxm = NXM1(29, 1) },
	[FL_FIELD_NW_FRAG] = { .id = FL_FIELD_NW_FRAG, .name = "nw_frag", .aliases = { "ip_frag" },
			       .nxm_name = "NXM_NX_IP_FRAG", .ofs = KOFS(nw_frag), .size = 1,
			       .n_bits = 2, .flags = M, .fmt = FL_FFMT_FRAG,
			       .prereq = FL_PREREQ_IP_ANY, .nxm = NXM1(26, 1) },
	FIELD(IPV6_SRC, "ipv6_src", ipv6_src, M | W, IP6, IP6),
		.nxm_name = "NXM_NX_IPV6_SRC", .oxm_name = "OXM_OF_IPV6_SRC",
		.oxm = OXM(26, 16), .nxm = NXM1(19, 16) },
	FIELD(IPV6_DST, "ipv6_dst", ipv6_dst, M | W, IP6, IP6),
		.nxm_name = "NXM_NX_IPV6_DST", .oxm_name = "OXM_OF_IPV6_DST",
		.oxm = OXM(27, 16), .nxm = NXM1(20, 16) },
	[FL_FIELD_IPV6_LABEL] = { .id = FL_FIELD_IPV6_LABEL, .name = "ipv6_label",
				  .nxm_name = "NXM_NX_IPV6_LABEL",
				  .oxm_name = "OXM_OF_IPV6_FLABEL", .ofs = KOFS(ipv6_label),
				  .size = 4, .n_bits = 20, .flags = M | W, .fmt = FL_FFMT_HEX,
				  .prereq = FL_PREREQ_IP6, .oxm = OXM(28, 4),
				  .nxm = NXM1(27, 4) },
	FIELD(ARP_OP, "arp_op", nw_proto, W, DEC, ARP),
		.nxm_name = "NXM_OF_ARP_OP", .oxm_name = "OXM_OF_ARP_OP",
		.oxm = OXM(21, 2), .nxm = NXM0(15, 2) },
	FIELD(ARP_SPA, "arp_spa", nw_src, M | W, IP4, ARP),
		.nxm_name = "NXM_OF_ARP_SPA", .oxm_name = "OXM_OF_ARP_SPA",
		.oxm = OXM(22, 4), .nxm = NXM0(16, 4) },
	FIELD(ARP_TPA, "arp_tpa", nw_dst, M | W, IP4, ARP),
		.nxm_name = "NXM_OF_ARP_TPA", .oxm_name = "OXM_OF_ARP_TPA",
		.oxm = OXM(23, 4), .nxm = NXM0(17, 4) },
	FIELD(ARP_SHA, "arp_sha", arp_sha, M | W, MAC, ARP),
		.nxm_name = "NXM_NX_ARP_SHA", .oxm_name = "OXM_OF_ARP_SHA",
		.oxm = OXM(24, 6), .nxm = NXM1(17, 6) },
	FIELD(ARP_THA, "arp_tha", arp_tha, M | W, MAC, ARP),
		.nxm_name = "NXM_NX_ARP_THA", .oxm_name = "OXM_OF_ARP_THA",
		.oxm = OXM(25, 6), .nxm = NXM1(18, 6) },
	FIELD(TP_SRC, "tp_src", tp_src, M | W, DEC, L4) },
	FIELD(TP_DST, "tp_dst", tp_dst, M | W, DEC, L4) },
	FIELD(TCP_SRC, "tcp_src", tp_src, M | W, DEC, TCP),
		.nxm_name = "NXM_OF_TCP_SRC", .oxm_name = "OXM_OF_TCP_SRC",
		.oxm = OXM(13, 2), .nxm = NXM0(9, 2) },
	FIELD(TCP_DST, "tcp_dst", tp_dst, M | W, DEC, TCP),
		.nxm_name = "NXM_OF_TCP_DST", .oxm_name = "OXM_OF_TCP_DST",
		.oxm = OXM(14, 2), .nxm = NXM0(10, 2) },
	FIELD(UDP_SRC, "udp_src", tp_src, M | W, DEC, UDP),
		.nxm_name = "NXM_OF_UDP_SRC", .oxm_name = "OXM_OF_UDP_SRC",
		.oxm = OXM(15, 2), .nxm = NXM0(11, 2) },
	FIELD(UDP_DST, "udp_dst", tp_dst, M | W, DEC, UDP),
		.nxm_name = "NXM_OF_UDP_DST", .oxm_name = "OXM_OF_UDP_DST",
		.oxm = OXM(16, 2), .nxm = NXM0(12, 2) },
	FIELD(SCTP_SRC, "sctp_src", tp_src, M | W, DEC, SCTP),
		.oxm_name = "OXM_OF_SCTP_SRC", .oxm = OXM(17, 2) },
	FIELD(SCTP_DST, "sctp_dst", tp_dst, M | W, DEC, SCTP),
		.oxm_name = "OXM_OF_SCTP_DST", .oxm = OXM(18, 2) },
	[FL_FIELD_TCP_FLAGS] = { .id = FL_FIELD_TCP_FLAGS, .name = "tcp_flags",
				 .nxm_name = "NXM_NX_TCP_FLAGS", .ofs = KOFS(tcp_flags),
				 .size = 2, .n_bits = 12, .flags = M, .fmt = FL_FFMT_TCP_FLAGS,
				 .prereq = FL_PREREQ_TCP, .nxm = NXM1(34, 2) },
	ICMP_BYTE(ICMP_TYPE, "icmp_type", tp_src, ICMP_ANY),
		.aliases = { "icmpv4_type" }, .nxm_name = "NXM_OF_ICMP_TYPE",
		.oxm_name = "OXM_OF_ICMPV4_TYPE", .oxm = OXM(19, 1), .nxm = NXM0(13, 1) },
	ICMP_BYTE(ICMP_CODE, "icmp_code", tp_dst, ICMP_ANY),
		.aliases = { "icmpv4_code" }, .nxm_name = "NXM_OF_ICMP_CODE",
		.oxm_name = "OXM_OF_ICMPV4_CODE", .oxm = OXM(20, 1), .nxm = NXM0(14, 1) },
	ICMP_BYTE(ICMPV6_TYPE, "icmpv6_type", tp_src, ICMP6),
		.nxm_name = "NXM_NX_ICMPV6_TYPE", .oxm_name = "OXM_OF_ICMPV6_TYPE",
		.oxm = OXM(29, 1), .nxm = NXM1(21, 1) },
	ICMP_BYTE(ICMPV6_CODE, "icmpv6_code", tp_dst, ICMP6),
		.nxm_name = "NXM_NX_ICMPV6_CODE", .oxm_name = "OXM_OF_ICMPV6_CODE",
		.oxm = OXM(30, 1), .nxm = NXM1(22, 1) },
	FIELD(ND_TARGET, "nd_target", nd_target, M | W, IP6, ND),
		.nxm_name = "NXM_NX_ND_TARGET", .oxm_name = "OXM_OF_IPV6_ND_TARGET",
		.oxm = OXM(31, 16), .nxm = NXM1(23, 16) },
	FIELD(ND_SLL, "nd_sll", arp_sha, M | W, MAC, ND_NS),
		.nxm_name = "NXM_NX_ND_SLL", .oxm_name = "OXM_OF_IPV6_ND_SLL",
		.oxm = OXM(32, 6), .nxm = NXM1(24, 6) },
	FIELD(ND_TLL, "nd_tll", arp_tha, M | W, MAC, ND_NA),
		.nxm_name = "NXM_NX_ND_TLL", .oxm_name = "OXM_OF_IPV6_ND_TLL",
		.oxm = OXM(33, 6), .nxm = NXM1(25, 6) },
};

/* The table is indexed by id; the unit tests check that every entry sits at
 * its own id (a hole would be a silent mismatch). */
_Static_assert(FL_FIELD_N == 56, "update the field table with the enum");

const struct fl_field *fl_field_by_id(enum fl_field_id id)
{
	if ((unsigned)id >= FL_FIELD_N)
		return NULL;
	return &fl_fields[id];
}

/* Every accepted name (canonical, NXM, OXM, aliases) of every field, sorted
 * once, so a lookup is a binary search instead of a scan of ~250 strings:
 * the scan was 12% of loading a 20,000-flow file. Built by a constructor,
 * before any thread exists. */
struct name_ref {
	const char *name;
	size_t len;
	const struct fl_field *field;
};

static struct name_ref name_index[FL_FIELD_N * (FL_FIELD_MAX_NAMES + 3)];
static unsigned name_count;

static int name_ref_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void add_name(const char *name, const struct fl_field *f)
{
	if (name)
		name_index[name_count++] = (struct name_ref){name, strlen(name), f};
}

__attribute__((constructor)) static void build_name_index(void)
{
	unsigned i, j;

	for (i = 0; i < FL_FIELD_N; i++) {
		const struct fl_field *f = &fl_fields[i];

		add_name(f->name, f);
		add_name(f->nxm_name, f);
		add_name(f->oxm_name, f);
		for (j = 0; j < FL_FIELD_MAX_NAMES && f->aliases[j]; j++)
			add_name(f->aliases[j], f);
	}
	/* stable for equal names: the first field listed keeps precedence */
	for (i = 1; i < name_count; i++) {
		struct name_ref x = name_index[i];

		for (j = i; j > 0 && name_ref_cmp(&name_index[j - 1], &x) > 0; j--)
			name_index[j] = name_index[j - 1];
		name_index[j] = x;
	}
}

const struct fl_field *fl_field_by_name_len(const char *name, size_t len)
{
	struct name_ref key = {name, len, NULL};
	unsigned lo = 0, hi = name_count;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		int c = name_ref_cmp(&name_index[mid], &key);

		if (c == 0) {
			/* the first of equal names, as the old linear scan returned */
			while (mid > 0 && name_ref_cmp(&name_index[mid - 1], &key) == 0)
				mid--;
			return name_index[mid].field;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fl_field *fl_field_by_name(const char *name)
{
	return fl_field_by_name_len(name, strlen(name));
}

/* --- values --- */

void fl_field_value_ones(const struct fl_field *f, union fl_field_value *v)
{
	unsigned n = fl_field_nbytes(f), extra = n * 8 - f->n_bits;

	memset(v, 0, sizeof(*v));
	memset(v->b, 0xff, n);
	v->b[0] = (uint8_t)(0xffu >> extra);
}

bool fl_field_value_is_zero(const struct fl_field *f, const union fl_field_value *v)
{
	unsigned i;

	for (i = 0; i < fl_field_nbytes(f); i++)
		if (v->b[i])
			return false;
	return true;
}

bool fl_field_value_is_ones(const struct fl_field *f, const union fl_field_value *v)
{
	union fl_field_value ones;

	fl_field_value_ones(f, &ones);
	return !memcmp(ones.b, v->b, fl_field_nbytes(f));
}

bool fl_field_value_fits(const struct fl_field *f, const union fl_field_value *v)
{
	unsigned extra = fl_field_nbytes(f) * 8 - f->n_bits;

	return !(v->b[0] & (uint8_t)~(0xffu >> extra));
}

void fl_field_value_from_u64(const struct fl_field *f, uint64_t x, union fl_field_value *v)
{
	unsigned n = fl_field_nbytes(f), i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < n && i < 8; i++)
		v->b[n - 1 - i] = (uint8_t)(x >> (8 * i));
}

uint64_t fl_field_value_to_u64(const struct fl_field *f, const union fl_field_value *v)
{
	unsigned n = fl_field_nbytes(f), i;
	uint64_t x = 0;

	for (i = n > 8 ? n - 8 : 0; i < n; i++)
		x = x << 8 | v->b[i];
	return x;
}

/* --- access --- */

static bool field_is_whole(const struct fl_field *f)
{
	return f->shift == 0 && f->n_bits == f->size * 8u;
}

/* The container as a big-endian byte string. */
static void container_read(const struct fl_field *f, const struct fl_key *key, uint8_t *c)
{
	const uint8_t *p = (const uint8_t *)key + f->ofs;
	unsigned i;

	if (f->flags & FL_FIELD_F_HOST) {
		for (i = 0; i < f->size; i++)
			c[i] = p[f->size - 1 - i];
	} else {
		memcpy(c, p, f->size);
	}
}

static void container_write(const struct fl_field *f, struct fl_key *key, const uint8_t *c)
{
	uint8_t *p = (uint8_t *)key + f->ofs;
	unsigned i;

	if (f->flags & FL_FIELD_F_HOST) {
		for (i = 0; i < f->size; i++)
			p[f->size - 1 - i] = c[i];
	} else {
		memcpy(p, c, f->size);
	}
}

static uint64_t be_to_u64(const uint8_t *b, unsigned n)
{
	uint64_t x = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		x = x << 8 | b[i];
	return x;
}

static void u64_to_be(uint64_t x, uint8_t *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		b[n - 1 - i] = (uint8_t)(x >> (8 * i));
}

static uint64_t width_mask(unsigned n_bits)
{
	return n_bits >= 64 ? UINT64_MAX : (UINT64_C(1) << n_bits) - 1;
}

void fl_field_get(const struct fl_field *f, const struct fl_key *key, union fl_field_value *v)
{
	uint8_t c[FL_FIELD_MAX_BYTES];
	uint64_t x;

	memset(v, 0, sizeof(*v));
	container_read(f, key, c);
	if (field_is_whole(f)) {
		memcpy(v->b, c, f->size);
		return;
	}
	x = (be_to_u64(c, f->size) >> f->shift) & width_mask(f->n_bits);
	u64_to_be(x, v->b, fl_field_nbytes(f));
}

void fl_field_set_masked(const struct fl_field *f, struct fl_key *key,
			 const union fl_field_value *v, const union fl_field_value *mask)
{
	uint8_t c[FL_FIELD_MAX_BYTES];
	unsigned i, n = fl_field_nbytes(f);
	uint64_t x, fv, fm;

	container_read(f, key, c);
	if (field_is_whole(f)) {
		for (i = 0; i < f->size; i++)
			c[i] = (uint8_t)((c[i] & ~mask->b[i]) | (v->b[i] & mask->b[i]));
	} else {
		x = be_to_u64(c, f->size);
		fm = be_to_u64(mask->b, n) & width_mask(f->n_bits);
		fv = be_to_u64(v->b, n) & fm;
		x = (x & ~(fm << f->shift)) | fv << f->shift;
		u64_to_be(x, c, f->size);
	}
	container_write(f, key, c);
}

void fl_field_set(const struct fl_field *f, struct fl_key *key, const union fl_field_value *v)
{
	union fl_field_value ones;

	fl_field_value_ones(f, &ones);
	fl_field_set_masked(f, key, v, &ones);
}

void fl_field_get_match(const struct fl_field *f, const struct fl_match *m,
			union fl_field_value *v, union fl_field_value *mask)
{
	fl_field_get(f, &m->value, v);
	fl_field_get(f, &m->mask, mask);
}

void fl_field_set_match(const struct fl_field *f, struct fl_match *m,
			const union fl_field_value *v, const union fl_field_value *mask)
{
	union fl_field_value mv;
	unsigned i;

	memset(&mv, 0, sizeof(mv));
	for (i = 0; i < fl_field_nbytes(f); i++)
		mv.b[i] = v->b[i] & mask->b[i];
	fl_field_set(f, &m->value, &mv);
	fl_field_set(f, &m->mask, mask);
}

/* --- prerequisites --- */

static bool dl_type_is(const struct fl_match *m, uint16_t type)
{
	return m->mask.dl_type == 0xffff && m->value.dl_type == fl_htons(type);
}

static bool proto_is(const struct fl_match *m, uint8_t proto)
{
	return m->mask.nw_proto == 0xff && m->value.nw_proto == proto;
}

static bool ip_any(const struct fl_match *m)
{
	return dl_type_is(m, FL_ETH_TYPE_IPV4) || dl_type_is(m, FL_ETH_TYPE_IPV6);
}

/* RARP has ARP's layout, and the parser fills the same fields. */
static bool arp_any(const struct fl_match *m)
{
	return dl_type_is(m, FL_ETH_TYPE_ARP) || dl_type_is(m, FL_FLOW_ETH_TYPE_RARP);
}

static bool icmp6_type_is(const struct fl_match *m, uint8_t type)
{
	const uint8_t *v = (const uint8_t *)&m->value.tp_src;
	const uint8_t *k = (const uint8_t *)&m->mask.tp_src;

	return dl_type_is(m, FL_ETH_TYPE_IPV6) && proto_is(m, FL_IPPROTO_ICMPV6) &&
	       k[1] == 0xff && v[1] == type;
}

static bool prereq_ok(enum fl_field_prereq p, const struct fl_match *m)
{
	switch (p) {
	case FL_PREREQ_NONE:
		return true;
	case FL_PREREQ_IP4:
		return dl_type_is(m, FL_ETH_TYPE_IPV4);
	case FL_PREREQ_IP6:
		return dl_type_is(m, FL_ETH_TYPE_IPV6);
	case FL_PREREQ_IP_ANY:
		return ip_any(m);
	case FL_PREREQ_ARP:
		return arp_any(m);
	case FL_PREREQ_L4:
		return ip_any(m) && (proto_is(m, FL_IPPROTO_TCP) || proto_is(m, FL_IPPROTO_UDP) ||
				     proto_is(m, FL_FLOW_IPPROTO_SCTP));
	case FL_PREREQ_TCP:
		return ip_any(m) && proto_is(m, FL_IPPROTO_TCP);
	case FL_PREREQ_UDP:
		return ip_any(m) && proto_is(m, FL_IPPROTO_UDP);
	case FL_PREREQ_SCTP:
		return ip_any(m) && proto_is(m, FL_FLOW_IPPROTO_SCTP);
	case FL_PREREQ_ICMP4:
		return dl_type_is(m, FL_ETH_TYPE_IPV4) && proto_is(m, FL_IPPROTO_ICMP);
	case FL_PREREQ_ICMP6:
		return dl_type_is(m, FL_ETH_TYPE_IPV6) && proto_is(m, FL_IPPROTO_ICMPV6);
	case FL_PREREQ_ICMP_ANY:
		return prereq_ok(FL_PREREQ_ICMP4, m) || prereq_ok(FL_PREREQ_ICMP6, m);
	case FL_PREREQ_ND:
		return icmp6_type_is(m, FL_ND_NEIGHBOR_SOLICIT) ||
		       icmp6_type_is(m, FL_ND_NEIGHBOR_ADVERT);
	case FL_PREREQ_ND_NS:
		return icmp6_type_is(m, FL_ND_NEIGHBOR_SOLICIT);
	case FL_PREREQ_ND_NA:
		return icmp6_type_is(m, FL_ND_NEIGHBOR_ADVERT);
	}
	return false;
}

bool fl_field_prereqs_ok(const struct fl_field *f, const struct fl_match *m)
{
	if (prereq_ok((enum fl_field_prereq)f->prereq, m))
		return true;
	/* ovs-ofctl's nw_src, nw_dst and nw_proto also mean arp_spa, arp_tpa
	 * and arp_op on ARP; they share the key's storage. */
	return (f->flags & FL_FIELD_F_ARP_ALIAS) && arp_any(m);
}

const char *fl_field_prereq_text(const struct fl_field *f)
{
	static const char *const texts[] = {
		[FL_PREREQ_NONE] = "nothing",
		[FL_PREREQ_IP4] = "'ip' or 'dl_type=0x0800'",
		[FL_PREREQ_IP6] = "'ipv6' or 'dl_type=0x86dd'",
		[FL_PREREQ_IP_ANY] = "'ip' or 'ipv6'",
		[FL_PREREQ_ARP] = "'arp', 'rarp' or 'dl_type=0x0806'",
		[FL_PREREQ_L4] = "'tcp', 'udp', 'sctp', 'tcp6', 'udp6' or 'sctp6'",
		[FL_PREREQ_TCP] = "'tcp' or 'tcp6'",
		[FL_PREREQ_UDP] = "'udp' or 'udp6'",
		[FL_PREREQ_SCTP] = "'sctp' or 'sctp6'",
		[FL_PREREQ_ICMP4] = "'icmp'",
		[FL_PREREQ_ICMP6] = "'icmp6'",
		[FL_PREREQ_ICMP_ANY] = "'icmp' or 'icmp6'",
		[FL_PREREQ_ND] = "'icmp6,icmp_type=135' or 'icmp6,icmp_type=136'",
		[FL_PREREQ_ND_NS] = "'icmp6,icmp_type=135'",
		[FL_PREREQ_ND_NA] = "'icmp6,icmp_type=136'",
	};

	return f->prereq < FL_ARRAY_SIZE(texts) ? texts[f->prereq] : "?";
}

/* --- subfields --- */

void fl_subfield_read(const struct fl_subfield *sf, const struct fl_key *key,
		      union fl_field_value *bits)
{
	const struct fl_field *f = sf->field;
	unsigned fn = fl_field_nbytes(f), bn = (sf->n_bits + 7u) / 8u, i;
	union fl_field_value v;

	fl_field_get(f, key, &v);
	memset(bits, 0, sizeof(*bits));
	for (i = 0; i < sf->n_bits; i++)
		if (fl_bits_get(v.b, fn, sf->ofs + i))
			fl_bits_set(bits->b, bn, i, true);
}

void fl_subfield_to_field(const struct fl_subfield *sf, const union fl_field_value *bits,
			  union fl_field_value *v, union fl_field_value *mask)
{
	unsigned fn = fl_field_nbytes(sf->field), bn = (sf->n_bits + 7u) / 8u, i;

	memset(v, 0, sizeof(*v));
	memset(mask, 0, sizeof(*mask));
	for (i = 0; i < sf->n_bits; i++) {
		fl_bits_set(mask->b, fn, sf->ofs + i, true);
		if (fl_bits_get(bits->b, bn, i))
			fl_bits_set(v->b, fn, sf->ofs + i, true);
	}
}

void fl_subfield_write(const struct fl_subfield *sf, struct fl_key *key,
		       const union fl_field_value *bits)
{
	union fl_field_value v, mask;

	fl_subfield_to_field(sf, bits, &v, &mask);
	fl_field_set_masked(sf->field, key, &v, &mask);
}

/* --- ports --- */

static const struct {
	const char *name;
	uint32_t port;
} fl_reserved_ports[] = {
	{ "IN_PORT", FL_PORT_IN_PORT },	      { "TABLE", FL_PORT_TABLE },
	{ "NORMAL", FL_PORT_NORMAL },	      { "FLOOD", FL_PORT_FLOOD },
	{ "ALL", FL_PORT_ALL },		      { "CONTROLLER", FL_PORT_CONTROLLER },
	{ "LOCAL", FL_PORT_LOCAL },	      { "ANY", FL_PORT_ANY },
	{ "NONE", FL_PORT_ANY },
};

const char *fl_port_reserved_name(uint32_t port)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_SIZE(fl_reserved_ports); i++)
		if (fl_reserved_ports[i].port == port)
			return fl_reserved_ports[i].name;
	return NULL;
}

/* A port number: 1 and *x set, 0 if s is not a number, -1 if out of range. */
static int port_number(const char *s, uint32_t *x)
{
	unsigned long long v = 0;
	const char *p = s;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return 0;
	for (; *p; p++) {
		int d = (*p >= '0' && *p <= '9')   ? *p - '0'
			: (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
			: (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
						   : 99;

		if (d >= base)
			return 0;
		if (v <= UINT32_MAX)
			v = v * (unsigned)base + (unsigned)d;
	}
	if (v > UINT32_MAX || (v > FL_PORT_MAX && !fl_port_reserved_name((uint32_t)v)))
		return -1;
	*x = (uint32_t)v;
	return 1;
}

int fl_port_parse(const char *s, const struct fl_port_resolver *res, uint32_t *port)
{
	size_t i;
	int r;

	if (!*s)
		return -EINVAL;
	r = port_number(s, port);
	if (r)
		return r > 0 ? 0 : -EINVAL;
	for (i = 0; i < FL_ARRAY_SIZE(fl_reserved_ports); i++) {
		if (!strcasecmp(s, fl_reserved_ports[i].name)) {
			*port = fl_reserved_ports[i].port;
			return 0;
		}
	}
	if (res && res->lookup && res->lookup(res->aux, s, port) == 0)
		return 0;
	return -ENOENT;
}

int fl_port_format(uint32_t port, char *buf, size_t size)
{
	const char *name = fl_port_reserved_name(port);

	if (name)
		return snprintf(buf, size, "%s", name);
	return snprintf(buf, size, "%u", port);
}
