/* Translation state shared by xlate.c (tables, actions, outputs, NORMAL)
 * and xlate_commit.c (the working key, wildcards and rewrites).
 *
 * Three views of the packet travel through a translation:
 *
 *   key      the working key: the packet as the OpenFlow actions have
 *            changed it so far; table lookups and actions read it.
 *   written  bits of the working key that no longer hold the packet's own
 *            bit at the same place: set to a constant by set_field, copied
 *            there by move (from bits whose source is pinned in wc), or the
 *            in_port a resubmit substituted. Reading them costs no
 *            wildcard: they are the same for every packet of the megaflow.
 *   res->wc  the megaflow mask, over the packet as it arrived.
 *
 * Every read of the working key goes through xlate_wc_add(): it takes a
 * mask over the working key and adds to wc the bits of the original packet
 * that produced what was read. For most fields that is the same place minus
 * `written`. Two kinds of state move bits around and are tracked apart:
 *  - VLAN tags: push and pop shift tags between the outer (vlan_tci) and
 *    inner (vlan2_tci) slots; each slot remembers which tag of the original
 *    packet it holds (or none: a pushed tag) and which of its bits were
 *    overwritten since.
 *  - TTL: after dec_ttl the working TTL is the original minus k; reading any
 *    of its bits then needs all 8 bits of the original.
 *
 * Rewrites are not emitted as they happen: set_field marks bits `dirty`, and
 * xlate_commit() turns them into one masked rewrite per header (SET_ETH,
 * SET_IPV4 / SET_IPV6, SET_L4, SET_VLAN) just before an output, so writes
 * between two outputs group, and writes after the last output cost nothing.
 * VLAN push/pop and dec_ttl are emitted in place (their order matters);
 * actions after the last output are cut off at the end.
 */
#ifndef FL_PIPELINE_XLATE_PRIVATE_H
#define FL_PIPELINE_XLATE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "flow/field.h"
#include "pipeline/pipeline_private.h"

#define XLATE_MAX_RESUBMITS 4096u /* total resubmits per translation (fan-out bound) */
#define XLATE_MAX_DPACTS 4096u    /* datapath actions per translation */
#define XLATE_HIDDEN_TAGS 4u      /* tags pushed below the two the key holds */
#define XLATE_STACK_DPACTS 32u

enum xlate_tag_origin {
	XLATE_TAG_OUTER, /* the packet's outer tag (key vlan_tci) */
	XLATE_TAG_INNER, /* the packet's inner tag (key vlan2_tci) */
	XLATE_TAG_NONE,  /* pushed by the actions */
};

struct xlate_tag {
	uint8_t origin;    /* enum xlate_tag_origin */
	uint16_t constant; /* tci bits (host order) overwritten since */
	uint16_t tci;      /* hidden tags only: the value (the key holds the other two) */
};

struct xlate_ctx {
	struct fl_key key;
	struct fl_key written;
	struct fl_key dirty;  /* rewrites not emitted yet (Ethernet, IP, L4 fields) */

	struct fl_pipeline *pl;
	const struct fl_pl_ports *ports;
	uint64_t rules_version;
	struct fl_xlate_result *res;
	struct fl_trace *trace;

	/* VLAN: tags[0] outer, tags[1] inner, tags[2..2+n_hidden) below. */
	struct xlate_tag tags[2 + XLATE_HIDDEN_TAGS];
	unsigned n_hidden;
	uint16_t vlan_dirty;  /* outer tag bits to rewrite (host order, no present bit) */
	int push_idx;         /* PUSH_VLAN entry that made the outer tag, no output since; -1 */
	bool ttl_changed;

	struct fl_dpact *acts;
	unsigned n_acts, cap_acts;

	unsigned depth, n_resubmits;
	bool exit;  /* stop translating */
	bool error; /* ... because of an error: the result drops */
	bool nomem;

	struct fl_dpact stack_acts[XLATE_STACK_DPACTS];
};

/* xlate.c */
void xlate_trace(struct xlate_ctx *ctx, const char *fmt, ...) FL_PRINTF(2, 3);
void xlate_fail(struct xlate_ctx *ctx, const char *fmt, ...) FL_PRINTF(2, 3);

/* xlate_commit.c */
void xlate_init_state(struct xlate_ctx *ctx, const struct fl_key *key);
void xlate_wc_add(struct xlate_ctx *ctx, const struct fl_key *mask);
/* Read whole bytes [ofs, ofs + len) of the working key. */
void xlate_read(struct xlate_ctx *ctx, size_t ofs, size_t len);
#define XLATE_READ(ctx, member) \
	xlate_read((ctx), offsetof(struct fl_key, member), sizeof((ctx)->key.member))
/* Read the field bits set in mask (field format). */
void xlate_read_field(struct xlate_ctx *ctx, const struct fl_field *f,
		      const union fl_field_value *mask);
bool xlate_vlan_present(struct xlate_ctx *ctx);

struct fl_dpact *xlate_emit(struct xlate_ctx *ctx, enum fl_dpact_type type);
void xlate_commit(struct xlate_ctx *ctx);
void xlate_output(struct xlate_ctx *ctx, uint32_t port);

void xlate_set_field(struct xlate_ctx *ctx, const struct fl_field *f,
		     const union fl_field_value *value, const union fl_field_value *mask);
void xlate_move(struct xlate_ctx *ctx, const struct fl_ofpact_move *mv);
void xlate_push_vlan(struct xlate_ctx *ctx, uint16_t tpid, uint16_t tci);
void xlate_pop_vlan(struct xlate_ctx *ctx);
/* mod_vlan_vid / mod_vlan_pcp: write `bits` of the outer tag, pushing one
 * (0x8100) if there is none. */
void xlate_mod_vlan(struct xlate_ctx *ctx, uint16_t bits, uint16_t value);
/* false: TTL <= 1, the packet must be dropped. */
bool xlate_dec_ttl(struct xlate_ctx *ctx);

#endif
