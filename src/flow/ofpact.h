/* OpenFlow actions as flowlane keeps them: a compact list in one buffer.
 *
 * An action list is a byte buffer of variable-length entries in execution
 * order. Every entry starts with struct fl_ofpact {type, len}; len covers the
 * whole entry and is a multiple of 8, and the buffer starts 8-byte aligned,
 * so every entry (and the 64-bit values inside) is aligned:
 *
 *   +------+-----+---------------+------+-----+------------------------+
 *   | type | len | payload  pad  | type | len | payload ...            |
 *   +------+-----+---------------+------+-----+------------------------+
 *   0      2     4               len    ...
 *
 * An empty list is "drop". The pipeline walks a list with
 * FL_OFPACT_FOR_EACH during translation and never allocates; the flow syntax
 * (flow_parse*.c) and later the OpenFlow channel build lists with
 * fl_ofpacts_put(). goto_table, an OpenFlow instruction, is kept as the last
 * entry of the list.
 *
 * set_field, load and the mod_* actions are one entry type, SET_FIELD: a
 * field with a value and a mask of the bits to write (load:V->F[a..b] writes
 * V << a under a mask of bits a..b), so translation executes them all with
 * fl_field_set_masked(). The entry remembers which syntax wrote it, only to
 * print it back the same way. mod_vlan_vid and mod_vlan_pcp are entries of
 * their own because they push a tag when the packet has none (OpenFlow 1.0
 * semantics, as in OVS), which no field write does.
 */
#ifndef FL_FLOW_OFPACT_H
#define FL_FLOW_OFPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/field.h"
#include "flow/match.h"

enum fl_ofpact_type {
	FL_OFPACT_OUTPUT = 1,  /* struct fl_ofpact_output: output:N, NORMAL, FLOOD, ALL, IN_PORT, LOCAL */
	FL_OFPACT_CONTROLLER,  /* struct fl_ofpact_controller */
	FL_OFPACT_SET_FIELD,   /* struct fl_ofpact_set_field: set_field, load, mod_dl_src... */
	FL_OFPACT_MOVE,        /* struct fl_ofpact_move */
	FL_OFPACT_SET_VLAN_VID, /* struct fl_ofpact_vlan_vid: mod_vlan_vid */
	FL_OFPACT_SET_VLAN_PCP, /* struct fl_ofpact_vlan_pcp: mod_vlan_pcp */
	FL_OFPACT_PUSH_VLAN,   /* struct fl_ofpact_push_vlan */
	FL_OFPACT_POP_VLAN,    /* struct fl_ofpact_pop_vlan: pop_vlan, strip_vlan */
	FL_OFPACT_DEC_TTL,     /* struct fl_ofpact_dec_ttl */
	FL_OFPACT_RESUBMIT,    /* struct fl_ofpact_resubmit */
	FL_OFPACT_NOTE,        /* struct fl_ofpact_note */
	FL_OFPACT_GOTO_TABLE,  /* struct fl_ofpact_goto_table: always last */
	FL_OFPACT_N
};

#define FL_OFPACT_ALIGN 8
#define FL_OFPACTS_MAX_LEN 65536u  /* bytes of one list, as an OpenFlow message bounds it */
#define FL_OFPACT_NOTE_MAX 1024u   /* bytes of one note */
#define FL_OFPACT_TABLE_CURRENT 0xffu /* resubmit's "the table it is in" */
#define FL_OFPACT_MAX_LEN_ALL 0xffffu /* controller max_len: the whole packet */

struct fl_ofpact {
	uint16_t type; /* enum fl_ofpact_type */
	uint16_t len;  /* of the whole entry, a multiple of FL_OFPACT_ALIGN */
};

struct fl_ofpact_output {
	struct fl_ofpact hdr;
	uint32_t port; /* physical port or FL_PORT_NORMAL/FLOOD/ALL/IN_PORT/LOCAL */
};

/* Packet-in reasons (OpenFlow 1.3 OFPR_*). */
enum fl_controller_reason {
	FL_CONTROLLER_NO_MATCH = 0,
	FL_CONTROLLER_ACTION = 1,
	FL_CONTROLLER_INVALID_TTL = 2,
};

struct fl_ofpact_controller {
	struct fl_ofpact hdr;
	uint16_t max_len; /* bytes of the packet to send, FL_OFPACT_MAX_LEN_ALL for all */
	uint8_t reason;   /* enum fl_controller_reason */
	uint8_t pad;
};

/* How a SET_FIELD entry was written, to print it back the same way. */
enum fl_set_field_syntax {
	FL_SET_FIELD_SYNTAX_SET_FIELD, /* set_field:V[/M]->F */
	FL_SET_FIELD_SYNTAX_LOAD,      /* load:V->F[a..b] (mask is one run of bits) */
	FL_SET_FIELD_SYNTAX_MOD,       /* mod_dl_src:V, mod_nw_tos:V ... (whole field) */
};

struct fl_ofpact_set_field {
	struct fl_ofpact hdr;
	uint16_t field; /* enum fl_field_id; writable */
	uint8_t syntax; /* enum fl_set_field_syntax */
	uint8_t pad;
	union fl_field_value value; /* field-format value (field.h), value & ~mask == 0 */
	union fl_field_value mask;  /* bits written */
};

struct fl_ofpact_move {
	struct fl_ofpact hdr;
	uint16_t src_field; /* enum fl_field_id */
	uint16_t dst_field; /* enum fl_field_id; writable */
	uint16_t src_ofs;
	uint16_t dst_ofs;
	uint16_t n_bits;
	uint16_t pad;
};

struct fl_ofpact_vlan_vid {
	struct fl_ofpact hdr;
	uint16_t vid; /* 0..4095 */
	uint16_t pad;
};

struct fl_ofpact_vlan_pcp {
	struct fl_ofpact hdr;
	uint8_t pcp; /* 0..7 */
	uint8_t pad[3];
};

struct fl_ofpact_push_vlan {
	struct fl_ofpact hdr;
	uint16_t tpid; /* host order: 0x8100 or 0x88a8 */
	uint16_t pad;
};

struct fl_ofpact_pop_vlan {
	struct fl_ofpact hdr;
	uint8_t strip; /* written strip_vlan (OpenFlow 1.0 name); same action */
	uint8_t pad[3];
};

struct fl_ofpact_dec_ttl {
	struct fl_ofpact hdr;
	uint32_t pad;
};

struct fl_ofpact_resubmit {
	struct fl_ofpact hdr;
	uint32_t in_port; /* FL_PORT_IN_PORT: keep the packet's in_port */
	uint8_t table;    /* FL_OFPACT_TABLE_CURRENT: the table it is in */
	uint8_t pad[7];
};

struct fl_ofpact_note {
	struct fl_ofpact hdr;
	uint16_t n;      /* bytes in data */
	uint8_t data[];
};

struct fl_ofpact_goto_table {
	struct fl_ofpact hdr;
	uint8_t table;
	uint8_t pad[3];
};

_Static_assert(sizeof(struct fl_ofpact_output) == 8, "output");
_Static_assert(sizeof(struct fl_ofpact_set_field) == 40, "set_field");
_Static_assert(sizeof(struct fl_ofpact_move) == 16, "move");
_Static_assert(sizeof(struct fl_ofpact_resubmit) == 16, "resubmit");
_Static_assert(offsetof(struct fl_ofpact_note, data) == 6, "note");

/* Typed view of an entry: FL_OFPACT_CAST(output, a)->port. */
#define FL_OFPACT_CAST(kind, a) ((const struct fl_ofpact_##kind *)(const void *)(a))

static inline const struct fl_ofpact *fl_ofpact_next(const struct fl_ofpact *a)
{
	return (const struct fl_ofpact *)(const void *)((const uint8_t *)a + a->len);
}

/* Walk a list of len bytes that fl_ofpacts_check() (or the parser) accepted. */
/* (len first: an empty list may be NULL, and NULL + 0 is undefined in C) */
#define FL_OFPACT_FOR_EACH(a, acts, len)                                                  \
	for ((a) = (acts); (len) && (const uint8_t *)(a) < (const uint8_t *)(acts) + (len); \
	     (a) = fl_ofpact_next(a))

/* A growable list (owned memory). */
struct fl_ofpacts {
	struct fl_ofpact *data; /* NULL while empty */
	uint32_t len;           /* bytes in use */
	uint32_t cap;
};

void fl_ofpacts_init(struct fl_ofpacts *acts);
void fl_ofpacts_uninit(struct fl_ofpacts *acts);
/* Append a zeroed entry of len bytes (rounded up to FL_OFPACT_ALIGN) with its
 * header filled in. NULL with errno ENOMEM, or E2BIG past FL_OFPACTS_MAX_LEN.
 * Pointers to earlier entries may move. */
void *fl_ofpacts_put(struct fl_ofpacts *acts, enum fl_ofpact_type type, size_t len);
int fl_ofpacts_copy(struct fl_ofpacts *dst, const struct fl_ofpacts *src);
bool fl_ofpacts_equal(const struct fl_ofpacts *a, const struct fl_ofpacts *b);

const char *fl_ofpact_type_name(enum fl_ofpact_type type);

/* Whether one action may stand in a flow with match m in table table_id:
 * field ids valid, set_field/move destinations writable and their
 * prerequisites met by m, values within their fields, subfields within
 * theirs, ports and tables in range, goto_table forward (to a higher table)
 * and last (is_last). 0, or -EINVAL with a message (no "flow: " prefix). */
int fl_ofpact_check(const struct fl_ofpact *a, const struct fl_match *m, uint8_t table_id,
		    bool is_last, char *msg, size_t msglen);
/* The same for a whole list from an untrusted source: also checks the
 * layout (entry lengths, types, sizes) before reading any entry. */
int fl_ofpacts_check(const struct fl_ofpact *acts, size_t len, const struct fl_match *m,
		     uint8_t table_id, char *msg, size_t msglen);

/* ovs-ofctl text of one action ("output:2", "load:0x1->NXM_NX_REG0[0..15]")
 * and of a list ("drop" when empty, else actions joined by ','). snprintf-like. */
int fl_ofpact_format(const struct fl_ofpact *a, char *buf, size_t size);
int fl_ofpacts_format(const struct fl_ofpact *acts, size_t len, char *buf, size_t size);

#endif
