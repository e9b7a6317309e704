/* Fields: everything a flow can match on or an action can write, by name.
 *
 * One table (field.c) describes each field: the names ovs-ofctl users type
 * (canonical name, aliases, the NXM_* / OXM_OF_* names of load and move),
 * where it lives in struct fl_key (container offset and size, bit position
 * and width for subfields such as dl_vlan = vlan_tci & 0x0fff), the byte order
 * of its container, how its value is written as text, whether it may be
 * masked or written by set_field / load / move, what a match must hold for
 * it to mean anything (its prerequisites), and its OXM / NXM header for the
 * OpenFlow channel.
 *
 * Field values travel as union fl_field_value: the field's bits as a
 * big-endian number of fl_field_nbytes() bytes in b[0..nbytes-1] (a 12-bit
 * dl_vlan is 2 bytes, a MAC 6, an IPv6 address 16; bytes after nbytes are
 * zero). Bit i of a field is bit i of that number, which is also what
 * subfield ranges ("NXM_NX_REG0[0..15]") count: bit 0 is the least
 * significant. Host-order containers (in_port, metadata, regs, ct_*,
 * recirc_id) are converted, so callers never see byte order.
 *
 * Ports are OpenFlow 1.3 numbers (32-bit; reserved ports at the top); they
 * are written as decimal numbers or reserved names (LOCAL, IN_PORT...), and a
 * caller may resolve other names (eth0) through struct fl_port_resolver.
 */
#ifndef FL_FLOW_FIELD_H
#define FL_FLOW_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/match.h"
#include "proto/key.h"

enum fl_field_id {
	FL_FIELD_IN_PORT,
	FL_FIELD_RECIRC_ID,
	FL_FIELD_METADATA,
	FL_FIELD_REG0,
	FL_FIELD_REG1,
	FL_FIELD_REG2,
	FL_FIELD_REG3,
	FL_FIELD_REG4,
	FL_FIELD_REG5,
	FL_FIELD_REG6,
	FL_FIELD_REG7,
	FL_FIELD_CT_STATE,
	FL_FIELD_CT_ZONE,
	FL_FIELD_CT_MARK,
	FL_FIELD_TUN_ID,
	FL_FIELD_TUN_SRC,
	FL_FIELD_TUN_DST,
	FL_FIELD_DL_SRC,
	FL_FIELD_DL_DST,
	FL_FIELD_DL_TYPE,
	FL_FIELD_VLAN_TCI,
	FL_FIELD_DL_VLAN,     /* vlan_tci bits 0..11 */
	FL_FIELD_DL_VLAN_PCP, /* vlan_tci bits 13..15 */
	FL_FIELD_VLAN_VID,    /* vlan_tci bits 0..12: OXM VLAN_VID, VID | 0x1000 present */
	FL_FIELD_NW_SRC,
	FL_FIELD_NW_DST,
	FL_FIELD_NW_PROTO,
	FL_FIELD_NW_TOS,      /* DSCP bits in place: nw_tos & 0xfc */
	FL_FIELD_IP_DSCP,     /* the same bits shifted: nw_tos >> 2 */
	FL_FIELD_NW_ECN,
	FL_FIELD_NW_TTL,
	FL_FIELD_NW_FRAG,
	FL_FIELD_IPV6_SRC,
	FL_FIELD_IPV6_DST,
	FL_FIELD_IPV6_LABEL,
	FL_FIELD_ARP_OP,
	FL_FIELD_ARP_SPA,
	FL_FIELD_ARP_TPA,
	FL_FIELD_ARP_SHA,
	FL_FIELD_ARP_THA,
	FL_FIELD_TP_SRC,
	FL_FIELD_TP_DST,
	FL_FIELD_TCP_SRC,
	FL_FIELD_TCP_DST,
	FL_FIELD_UDP_SRC,
	FL_FIELD_UDP_DST,
	FL_FIELD_SCTP_SRC,
	FL_FIELD_SCTP_DST,
	FL_FIELD_TCP_FLAGS,
	FL_FIELD_ICMP_TYPE,
	FL_FIELD_ICMP_CODE,
	FL_FIELD_ICMPV6_TYPE,
	FL_FIELD_ICMPV6_CODE,
	FL_FIELD_ND_TARGET,
	FL_FIELD_ND_SLL,
	FL_FIELD_ND_TLL,
	FL_FIELD_N
};

/* How a value is written as text. */
enum fl_field_fmt {
	FL_FFMT_DEC,       /* 80; masked 0x1000/0xf000 */
	FL_FFMT_HEX,       /* 0x1064, zero-padded to the width for fields of <= 24 bits */
	FL_FFMT_MAC,       /* 00:11:22:33:44:55 */
	FL_FFMT_IP4,       /* 10.0.0.0/8, 10.0.0.0/255.0.255.0 */
	FL_FFMT_IP6,       /* 2001:db8::/32 */
	FL_FFMT_PORT,      /* 1, LOCAL, or a name through the resolver */
	FL_FFMT_FRAG,      /* no, yes, first, later, not_later */
	FL_FFMT_TCP_FLAGS, /* +syn-ack, or 0x002/0x012 */
	FL_FFMT_CT_STATE,  /* +trk+est */
};

/* What a match must hold for a field to mean anything. */
enum fl_field_prereq {
	FL_PREREQ_NONE,
	FL_PREREQ_IP4,      /* dl_type=0x0800 */
	FL_PREREQ_IP6,      /* dl_type=0x86dd */
	FL_PREREQ_IP_ANY,   /* IPv4 or IPv6 */
	FL_PREREQ_ARP,      /* dl_type=0x0806 */
	FL_PREREQ_L4,       /* IPv4/IPv6 with nw_proto tcp, udp or sctp */
	FL_PREREQ_TCP,
	FL_PREREQ_UDP,
	FL_PREREQ_SCTP,
	FL_PREREQ_ICMP4,    /* IPv4, nw_proto=1 */
	FL_PREREQ_ICMP6,    /* IPv6, nw_proto=58 */
	FL_PREREQ_ICMP_ANY, /* either */
	FL_PREREQ_ND,       /* ICMPv6 type 135 or 136 */
	FL_PREREQ_ND_NS,    /* ICMPv6 type 135 */
	FL_PREREQ_ND_NA,    /* ICMPv6 type 136 */
};

/* struct fl_field.flags */
#define FL_FIELD_F_HOST 0x01u      /* container in host byte order */
#define FL_FIELD_F_MASKABLE 0x02u  /* a match may give value/mask */
#define FL_FIELD_F_WRITABLE 0x04u  /* set_field, load and move may write it */
#define FL_FIELD_F_INPLACE 0x08u   /* text value is the container bits unshifted (nw_tos) */
#define FL_FIELD_F_ARP_ALIAS 0x10u /* also accepted on ARP, as the arp_* field in its place */

#define FL_FIELD_MAX_BYTES 16
#define FL_FIELD_MAX_NAMES 4

struct fl_field {
	enum fl_field_id id;
	const char *name;                       /* canonical (printed) name */
	const char *aliases[FL_FIELD_MAX_NAMES]; /* other accepted names, NULL after the last */
	const char *nxm_name;                   /* NXM_OF_ETH_SRC, or NULL */
	const char *oxm_name;                   /* OXM_OF_ETH_SRC, or NULL */
	uint16_t ofs;                           /* container's byte offset in struct fl_key */
	uint8_t size;                           /* container bytes: 1, 2, 4, 6, 8 or 16 */
	uint8_t shift;                          /* lsb position in the container's value */
	uint8_t n_bits;                         /* field width */
	uint8_t flags;                          /* FL_FIELD_F_* */
	uint8_t fmt;                            /* enum fl_field_fmt */
	uint8_t prereq;                         /* enum fl_field_prereq */
	uint32_t oxm;                           /* OXM header (class 0x8000, no mask), 0 if none */
	uint32_t nxm;                           /* NXM header (class 0 or 1, no mask), 0 if none */
};

/* OXM / NXM headers: class(16) | field(7) | hasmask(1) | length(8). */
#define FL_OXM_HEADER(cls, field, len) \
	((uint32_t)(cls) << 16 | (uint32_t)(field) << 9 | (uint32_t)(len))
#define FL_OXM_CLASS_BASIC 0x8000u
#define FL_OXM_HASMASK 0x100u

union fl_field_value {
	uint8_t b[FL_FIELD_MAX_BYTES];
	uint64_t u64[FL_FIELD_MAX_BYTES / 8]; /* alignment, and fast clearing */
};

/* The table, indexed by enum fl_field_id. */
const struct fl_field *fl_field_by_id(enum fl_field_id id);
/* Any accepted name (canonical, alias, NXM or OXM name); NULL if none. */
const struct fl_field *fl_field_by_name(const char *name);
const struct fl_field *fl_field_by_name_len(const char *name, size_t len);

static inline unsigned fl_field_nbytes(const struct fl_field *f)
{
	return (f->n_bits + 7u) / 8u;
}

/* Value helpers over a field's nbytes. */
void fl_field_value_ones(const struct fl_field *f, union fl_field_value *v);
bool fl_field_value_is_zero(const struct fl_field *f, const union fl_field_value *v);
bool fl_field_value_is_ones(const struct fl_field *f, const union fl_field_value *v);
/* True when v has no bit set at or above n_bits. */
bool fl_field_value_fits(const struct fl_field *f, const union fl_field_value *v);
/* A uint64 as a field value (truncating nothing: callers check fits). */
void fl_field_value_from_u64(const struct fl_field *f, uint64_t x, union fl_field_value *v);
uint64_t fl_field_value_to_u64(const struct fl_field *f, const union fl_field_value *v);

/* Read a field of a key; write it whole, or only the bits set in mask. */
void fl_field_get(const struct fl_field *f, const struct fl_key *key, union fl_field_value *v);
void fl_field_set(const struct fl_field *f, struct fl_key *key, const union fl_field_value *v);
void fl_field_set_masked(const struct fl_field *f, struct fl_key *key,
			 const union fl_field_value *v, const union fl_field_value *mask);

/* A field's value and mask in a match; setting replaces both (value &= mask),
 * leaving the other bits of a shared container alone. */
void fl_field_get_match(const struct fl_field *f, const struct fl_match *m,
			union fl_field_value *v, union fl_field_value *mask);
void fl_field_set_match(const struct fl_field *f, struct fl_match *m,
			const union fl_field_value *v, const union fl_field_value *mask);

/* Prerequisites: whether m matches exactly what f needs, and the text that
 * says what that is ("'ip' or 'dl_type=0x0800'"). */
bool fl_field_prereqs_ok(const struct fl_field *f, const struct fl_match *m);
const char *fl_field_prereq_text(const struct fl_field *f);

/* Field value text. Parse fills v (and mask, all ones when the text has
 * none); mask == NULL refuses a mask. On error returns -EINVAL with a
 * message naming the value and the field (as given in `name`), without the
 * "flow: " prefix or a column: "bad IPv4 address '10.0.0.256' for nw_dst".
 * Value bits outside the mask are cleared. */
struct fl_port_resolver;
int fl_field_parse_value(const struct fl_field *f, const char *name, const char *s,
			 const struct fl_port_resolver *res, union fl_field_value *v,
			 union fl_field_value *mask, char *msg, size_t msglen);
/* "value" or "value/mask" (mask NULL or all ones: no mask); snprintf-like. */
int fl_field_format_value(const struct fl_field *f, const union fl_field_value *v,
			  const union fl_field_value *mask, char *buf, size_t size);

/* Numbers as ovs-ofctl writes them: decimal (up to 64 bits) or 0x hex (up
 * to 128 bits), into a 16-byte big-endian number in v->b. 0, -EINVAL for
 * bad syntax, -ERANGE when too large. */
int fl_field_parse_number(const char *s, union fl_field_value *v);
/* Narrow a 16-byte number to n_bits (right-aligned in DIV_ROUND_UP(n_bits, 8)
 * bytes); false if it does not fit. */
bool fl_field_number_narrow(const union fl_field_value *num, unsigned n_bits,
			    union fl_field_value *out);
/* A big-endian number of n bytes as "0x..." without leading zeros. */
int fl_field_format_number(const uint8_t *b, unsigned n, char *buf, size_t size);

/* Subfields: bits [ofs, ofs + n_bits) of a field, for load and move. */
struct fl_subfield {
	const struct fl_field *field;
	uint16_t ofs;
	uint16_t n_bits;
};

/* "NAME[]", "NAME[a..b]", "NAME[a]" or "NAME". *end is set past the text
 * used; errors as fl_field_parse_value (the name or range in the message). */
int fl_subfield_parse(const char *s, struct fl_subfield *sf, const char **end, char *msg,
		      size_t msglen);
/* The NXM name if the field has one (as ovs-ofctl prints), else its name. */
int fl_subfield_format(const struct fl_subfield *sf, char *buf, size_t size);
/* The subfield's bits as a number of DIV_ROUND_UP(n_bits, 8) bytes, in
 * b[0..]; write takes the same form. */
void fl_subfield_read(const struct fl_subfield *sf, const struct fl_key *key,
		      union fl_field_value *bits);
void fl_subfield_write(const struct fl_subfield *sf, struct fl_key *key,
		       const union fl_field_value *bits);
/* The field value and mask that write the bits at the subfield's place:
 * load:V->F[a..b] is set_masked(F, V << a, ones(a..b)). */
void fl_subfield_to_field(const struct fl_subfield *sf, const union fl_field_value *bits,
			  union fl_field_value *v, union fl_field_value *mask);

/* Bit helpers on big-endian numbers of nbytes bytes (bit 0 = lsb). */
static inline bool fl_bits_get(const uint8_t *b, unsigned nbytes, unsigned i)
{
	return (b[nbytes - 1 - i / 8] >> (i % 8)) & 1;
}

static inline void fl_bits_set(uint8_t *b, unsigned nbytes, unsigned i, bool on)
{
	uint8_t bit = (uint8_t)(1u << (i % 8));

	if (on)
		b[nbytes - 1 - i / 8] |= bit;
	else
		b[nbytes - 1 - i / 8] &= (uint8_t)~bit;
}

/* Protocol numbers the syntax knows that proto/headers.h does not. */
#define FL_FLOW_IPPROTO_SCTP 132
#define FL_FLOW_ETH_TYPE_RARP 0x8035u

/* --- Ports: OpenFlow 1.3 numbers --- */
#define FL_PORT_MAX 0xffffff00u      /* largest physical port number */
#define FL_PORT_IN_PORT 0xfffffff8u
#define FL_PORT_TABLE 0xfffffff9u
#define FL_PORT_NORMAL 0xfffffffau
#define FL_PORT_FLOOD 0xfffffffbu
#define FL_PORT_ALL 0xfffffffcu
#define FL_PORT_CONTROLLER 0xfffffffdu
#define FL_PORT_LOCAL 0xfffffffeu
#define FL_PORT_ANY 0xffffffffu      /* "no port"; written ANY or NONE */

/* Resolves port names for the parser; lookup returns 0 and sets *port, or a
 * negative errno (-ENOENT) when it does not know the name. */
struct fl_port_resolver {
	int (*lookup)(void *aux, const char *name, uint32_t *port);
	void *aux;
};

/* A port: decimal or 0x number (<= FL_PORT_MAX or a reserved number), a
 * reserved name (any case), or a name the resolver knows (res may be NULL).
 * -EINVAL for a bad number, -ENOENT for an unknown name. */
int fl_port_parse(const char *s, const struct fl_port_resolver *res, uint32_t *port);
/* Reserved name ("LOCAL") or NULL for a physical port number. */
const char *fl_port_reserved_name(uint32_t port);
int fl_port_format(uint32_t port, char *buf, size_t size);

#endif
