/* The flow syntax: flows as ovs-ofctl users write them, parsed into a
 * struct fl_flow_spec and printed back in one canonical form.
 *
 *   table=1, priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80 actions=output:2
 *
 * A spec is what a flow-mod carries: the match (flow/match.h), the action
 * list (flow/ofpact.h), priority, cookie, timeouts, flags, the table and, for
 * modify/delete, the out_port and cookie filters. The command kind decides
 * what the text may hold, as in ovs-ofctl: actions are required to add or
 * modify and refused when deleting; timeouts and flags only add or modify;
 * out_port only modifies or deletes; priority is refused in a non-strict
 * delete (which ignores it).
 *
 * Canonical text (fl_flow_format), close to `ovs-ofctl dump-flows
 * --no-stats`, every part optional:
 *
 *   cookie=0x5[/0xff], table=1, idle_timeout=10, hard_timeout=20,
 *   send_flow_rem check_overlap reset_counts no_packet_counts no_byte_counts
 *   out_port=2, <match> actions=<actions>
 *
 *  - cookie when non-zero (with its mask when the mask is non-zero); table
 *    when it is not the command's default (0 to add, all tables otherwise);
 *    timeouts when non-zero; flags as words; out_port when not ANY.
 *  - the match (fl_match_format): priority first when not 32768, then
 *    recirc_id, ct_state, ct_zone, ct_mark, reg0..reg7, tun_id, tun_src,
 *    tun_dst, metadata, in_port; the protocol as a shorthand (ip, ipv6,
 *    tcp, udp, sctp, icmp, tcp6, udp6, sctp6, icmp6, arp, rarp) or
 *    dl_type=0x....; VLAN as dl_vlan / dl_vlan_pcp when they say it exactly,
 *    else vlan_tci=V[/M]; dl_src, dl_dst; ipv6_src, ipv6_dst, ipv6_label or
 *    nw_src, nw_dst (arp_spa, arp_tpa for ARP); nw_proto (arp_op for ARP)
 *    unless a shorthand said it; arp_sha, arp_tha; nw_tos, nw_ecn, nw_ttl,
 *    nw_frag; icmp_type, icmp_code (ICMP), icmpv6_type, icmpv6_code,
 *    nd_target, nd_sll, nd_tll (ICMPv6), tp_src, tp_dst (others);
 *    tcp_flags. Items are joined by ','. Values as field.h prints them:
 *    full masks are not printed, IPv4/IPv6 prefix masks as /N.
 *  - " actions=" and the list (fl_ofpacts_format: "drop" when empty), only
 *    for add and modify.
 * Parsing the canonical text gives back an equal spec (fl_flow_spec_equal)
 * for every spec the parser can produce; a spec built by hand prints the
 * same way but may not parse back if the syntax cannot say it (a priority in
 * a non-strict delete, a partial mask on a field that takes none).
 *
 * Errors are one line naming the token and its 1-based column:
 *   flow: unknown field 'nw_dstt' at column 14
 *   flow: 'nw_src' needs 'ip' or 'dl_type=0x0800' (prerequisites not met) at column 5
 *   flow: bad IPv4 address '10.0.0.256' for nw_dst at column 11
 * The column is that of the quoted text (a field name, a value, an action).
 */
#ifndef FL_FLOW_FLOW_H
#define FL_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/field.h"
#include "flow/match.h"
#include "flow/ofpact.h"

/* Flow-mod commands, numbered as OpenFlow's OFPFC_*. */
enum fl_flow_cmd {
	FL_FLOW_ADD = 0,
	FL_FLOW_MODIFY = 1,
	FL_FLOW_MODIFY_STRICT = 2,
	FL_FLOW_DELETE = 3,
	FL_FLOW_DELETE_STRICT = 4,
};

#define FL_PRIORITY_DEFAULT 0x8000u
#define FL_TABLE_MAX 254u /* highest table a flow may live in */
#define FL_TABLE_ALL 0xffu

/* Flow-mod flags (OpenFlow 1.3 OFPFF_*). */
#define FL_FLOW_SEND_FLOW_REM 0x0001u
#define FL_FLOW_CHECK_OVERLAP 0x0002u
#define FL_FLOW_RESET_COUNTS 0x0004u
#define FL_FLOW_NO_PKT_COUNTS 0x0008u
#define FL_FLOW_NO_BYT_COUNTS 0x0010u

/* fl_flow_spec.given: what the text said (whatever the value). */
#define FL_FLOW_GIVEN_TABLE 0x0001u
#define FL_FLOW_GIVEN_PRIORITY 0x0002u
#define FL_FLOW_GIVEN_COOKIE 0x0004u      /* cookie=V: the cookie to set */
#define FL_FLOW_GIVEN_COOKIE_MASK 0x0008u /* cookie=V/M: a filter */
#define FL_FLOW_GIVEN_IDLE 0x0010u
#define FL_FLOW_GIVEN_HARD 0x0020u
#define FL_FLOW_GIVEN_OUT_PORT 0x0040u
#define FL_FLOW_GIVEN_FLAGS 0x0080u
#define FL_FLOW_GIVEN_ACTIONS 0x0100u

/* Contains a struct fl_key, which is cache-line aligned: allocate specs with
 * aligned_alloc() / posix_memalign() (or on the stack), not plain malloc(). */
struct fl_flow_spec {
	struct fl_match match;
	struct fl_ofpacts actions; /* owned; empty = drop */
	uint64_t cookie;           /* add: the cookie; modify/delete with a mask: to compare */
	uint64_t cookie_mask;      /* modify/delete: bits of cookie that must match */
	uint32_t out_port;         /* delete filter; FL_PORT_ANY when not given */
	uint32_t given;            /* FL_FLOW_GIVEN_* */
	uint16_t priority;
	uint16_t idle_timeout;     /* seconds, 0 = none */
	uint16_t hard_timeout;
	uint16_t flags;            /* FL_FLOW_SEND_FLOW_REM ... */
	uint8_t table_id;          /* FL_TABLE_ALL: every table (modify/delete) */
	uint8_t command;           /* enum fl_flow_cmd */
};

/* Defaults: catch-all match, no actions, priority 32768, cookie 0, no
 * timeouts or flags, out_port ANY, table 0 to add and all tables otherwise. */
void fl_flow_spec_init(struct fl_flow_spec *spec, enum fl_flow_cmd cmd);
void fl_flow_spec_uninit(struct fl_flow_spec *spec);
/* Same flow-mod: everything but `given` equal. */
bool fl_flow_spec_equal(const struct fl_flow_spec *a, const struct fl_flow_spec *b);
const char *fl_flow_cmd_name(enum fl_flow_cmd cmd);

/* Parse one flow. res may be NULL (ports by number and reserved name only).
 * On success spec is initialised and owns its actions (fl_flow_spec_uninit);
 * on error returns -EINVAL (or -ENOMEM) with the message in err, and spec
 * holds nothing to free. */
int fl_flow_parse(const char *text, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		  struct fl_flow_spec *spec, char *err, size_t errlen);

/* Flows one per line ('#' comments and blank lines skipped), handed to
 * fn one at a time as they are parsed: a file of a million rules never
 * needs a million specs in memory. fn may take spec->actions (leaving
 * them empty); the spec is uninitialised after fn returns. Parsing stops
 * at the first bad line or the first fn error, and err says where:
 * "line N: flow: ..." (with path: "PATH:N: ..."), fn's message after the
 * location. Returns the number of flows, or the error. All or nothing is
 * the caller's part (fl_pipeline_flow_mod_text undoes what fn applied). */
typedef int (*fl_flow_spec_fn)(void *ctx, struct fl_flow_spec *spec, char *err, size_t errlen);
long fl_flow_parse_each(const char *text, const char *path, enum fl_flow_cmd cmd,
			const struct fl_port_resolver *res, fl_flow_spec_fn fn, void *ctx,
			char *err, size_t errlen);

/* Parse flows one per line into an array, all or nothing. On success
 * *specs is an aligned array of *n specs (NULL when 0) for
 * fl_flow_specs_free(). On error nothing is returned and err says
 * "line N: flow: ..." (parse_file: "PATH:N: flow: ..."). */
int fl_flow_parse_text(const char *text, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		       struct fl_flow_spec **specs, size_t *n, char *err, size_t errlen);
int fl_flow_parse_file(const char *path, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		       struct fl_flow_spec **specs, size_t *n, char *err, size_t errlen);
void fl_flow_specs_free(struct fl_flow_spec *specs, size_t n);
/* A growing array of specs (start it {NULL, 0, 0}; fl_flow_specs_free(v, n)
 * at the end). Append takes spec's actions, leaving spec empty; -ENOMEM. */
struct fl_flow_specs {
	struct fl_flow_spec *v;
	size_t n, cap;
};
int fl_flow_specs_append(struct fl_flow_specs *a, struct fl_flow_spec *spec);
/* A flows file's text, NUL-terminated, to free(); NULL with errno and err
 * ("PATH: reason", "PATH: contains a NUL byte") on failure. */
char *fl_flow_read_file(const char *path, char *err, size_t errlen);

/* Canonical text (rules above); snprintf-like: returns the length the full
 * text needs and writes what fits, NUL-terminated. */
int fl_flow_format(const struct fl_flow_spec *spec, char *buf, size_t size);
/* The match part alone, with "priority=N," first unless N is 32768 (pass
 * FL_PRIORITY_DEFAULT to leave it out); "" for a catch-all. */
int fl_match_format(const struct fl_match *m, uint16_t priority, char *buf, size_t size);

#endif
