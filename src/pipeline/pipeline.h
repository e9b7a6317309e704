/* The OpenFlow pipeline: tables of rules, flow-mod semantics, translation of
 * a flow key into datapath actions and a megaflow mask, and NORMAL (MAC
 * learning).
 *
 *                 control thread                         workers (upcall)
 *   flow-mods --> fl_pipeline_flow_mod ---+          fl_pipeline_translate
 *   timers -----> fl_pipeline_expire     |  publish        |
 *                                        v  version V+1    v
 *        tables[0..254]: classifier (versioned rules) + miss policy
 *        MAC learning table (its own mutex: translation, expiry, mac_touch;
 *                            never the datapath's cached fast path)
 *
 * Versions (the consistency promise of DESIGN.md): every change — a
 * flow-mod, a table setting, a port change, a MAC table change that could
 * alter a translation — publishes a new version number. Translation reads
 * the tables as of one version and says which in its result; the datapath
 * remembers it in the megaflow and re-translates a megaflow whose version is
 * older than fl_pipeline_version() before using its actions. So once
 * fl_pipeline_flow_mod() returns, no packet that arrives later is handled by
 * the old rules.
 *
 * Concurrency: one writer (the control thread) calls everything that
 * changes state; workers call fl_pipeline_version(), fl_pipeline_translate(),
 * fl_rule_account() and fl_pipeline_mac_touch() concurrently, inside RCU
 * read-side sections (liburcu QSBR: a worker reports a quiescent state
 * between batches). Rules, action lists and port lists are freed only after
 * a grace period.
 *
 * Grace periods: the writer waits for them with synchronize_rcu(), which is
 * fine whether the control thread is a registered QSBR thread or not (an
 * online caller is put offline while it waits). A flow-mod that only adds
 * rules never waits; one that replaces or deletes rules waits for one grace
 * period (removed rules are unlinked after it and freed after the next one,
 * at the next such flow-mod or fl_pipeline_expire()); port changes wait for
 * one. So a worker that sleeps (epoll) must be offline while it sleeps
 * (rcu_thread_offline), or flow-mods stall until it wakes.
 *
 * Rule pointers in a translation result: the datapath may hand them to
 * fl_rule_account() as long as the megaflow's version equals the
 * fl_pipeline_version() the worker read at the start of its current batch.
 * A rule is removed only after a new version is published and freed only
 * after a grace period, so such a pointer is valid until the worker's next
 * quiescent state; the rules of a stale megaflow must not be touched.
 *
 * Translation tracks wildcards: every key bit any table lookup or action
 * looked at is set in result->wc; the datapath installs the megaflow
 * (key & wc, wc). For every key Q with (Q & wc) == (key & wc), translating Q
 * gives the same actions — the megaflow invariant the tests check.
 */
#ifndef FL_PIPELINE_PIPELINE_H
#define FL_PIPELINE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "pipeline/dpact.h"
#include "proto/key.h"

#define FL_PIPELINE_TABLES 255u      /* tables 0..254 */
#define FL_XLATE_MAX_RULES 16u       /* rules remembered per translation */
#define FL_XLATE_MAX_DEPTH 64u       /* resubmit nesting limit (goto only goes forward) */
#define FL_MAC_AGING_DEFAULT 300u    /* seconds */
#define FL_MAC_TABLE_DEFAULT 8192u   /* entries */

/* What a table does with a packet no rule matches. */
enum fl_table_miss {
	FL_MISS_DROP = 0,  /* OpenFlow 1.3 default */
	FL_MISS_CONTINUE,  /* go on to the next table */
	FL_MISS_NORMAL,    /* act as a learning switch */
};

struct fl_pipeline_params {
	unsigned mac_table_size; /* 0 = FL_MAC_TABLE_DEFAULT */
	unsigned mac_aging_s;    /* 0 = FL_MAC_AGING_DEFAULT */
};

struct fl_pipeline;
struct fl_rule; /* a rule in a table; opaque outside the pipeline */

struct fl_pipeline *fl_pipeline_create(const struct fl_pipeline_params *params);
void fl_pipeline_destroy(struct fl_pipeline *pl);

/* The published version; workers read it once per batch. It only grows,
 * and not only the control thread moves it: a worker whose translation
 * learns or moves a MAC address (NORMAL) bumps it too. Version 1 is the
 * first; 0 is never published, so a megaflow with version 0 is always
 * stale. */
uint64_t fl_pipeline_version(const struct fl_pipeline *pl);

/* Ports the pipeline forwards to (FLOOD, ALL, NORMAL, in_port checks).
 * Outputs to port numbers the pipeline does not know are allowed, as in
 * OVS: the datapath drops and counts them. Each change publishes a new
 * version. port_add: -EINVAL (number above FL_PORT_MAX, name empty or longer
 * than FL_PIPELINE_PORT_NAME_MAX - 1, or a number or reserved port name),
 * -EEXIST (number or name taken), -ENOMEM. port_del: -ENOENT; it also
 * forgets the MAC addresses learned on the port. name may be NULL. */
#define FL_PIPELINE_PORT_NAME_MAX 32
int fl_pipeline_port_add(struct fl_pipeline *pl, uint32_t port_no, const char *name);
int fl_pipeline_port_del(struct fl_pipeline *pl, uint32_t port_no);
/* Whether FLOOD (and NORMAL's flooding) sends to the port (default: yes;
 * OpenFlow 1.0's OFPPC_NO_FLOOD). ALL ignores it. -ENOENT. */
int fl_pipeline_port_set_flood(struct fl_pipeline *pl, uint32_t port_no, bool flood);
/* Name <-> number for the flow syntax (output:NAME, in_port=NAME). */
const struct fl_port_resolver *fl_pipeline_port_resolver(const struct fl_pipeline *pl);

/* Apply flow-mods, all or nothing: every spec is checked first (tables,
 * actions against the match, goto order, rewrites the datapath can do);
 * if any is bad nothing changes and err says which ("flow 3: ..."). Then
 * all are applied in order and one new version is published (none when
 * nothing changed). Each spec's command (spec->command) is OpenFlow 1.3's:
 *  - ADD: an identical match and priority in the table is replaced; the
 *    counters carry over unless reset_counts (OpenFlow 1.3 6.4), the
 *    duration restarts. check_overlap refuses a rule of the same priority
 *    that some packet could match together with the new one (-EEXIST).
 *  - MODIFY (loose: rules at least as specific as the match) and
 *    MODIFY_STRICT (identical match and priority), in the table or all
 *    (255): new actions; counters, timeouts, flags and duration stay
 *    (counters reset with reset_counts); the cookie changes only when the
 *    spec gives one without a mask (FL_FLOW_GIVEN_COOKIE, as ovs-ofctl
 *    mod-flows). Filters: cookie/mask, out_port. Matching nothing adds
 *    nothing.
 *  - DELETE / DELETE_STRICT: same selection, rules removed.
 * Returns the number of rules added, changed or removed; -EINVAL (bad
 * spec), -EEXIST (overlap), -ENOMEM. */
int fl_pipeline_flow_mod(struct fl_pipeline *pl, const struct fl_flow_spec *specs, size_t n,
			 char *err, size_t errlen);
/* The same for flows text (one per line, all of command cmd), parsed and
 * applied one line at a time, so a big file never needs all its specs in
 * memory; all or nothing as above. err names the line ("PATH:N: ..." or
 * "line N: ..."). */
int fl_pipeline_flow_mod_text(struct fl_pipeline *pl, const char *text, const char *path,
			      enum fl_flow_cmd cmd, char *err, size_t errlen);

int fl_pipeline_set_miss(struct fl_pipeline *pl, unsigned table, enum fl_table_miss miss);
enum fl_table_miss fl_pipeline_get_miss(const struct fl_pipeline *pl, unsigned table);

/* Remove rules whose idle or hard timeout passed at `now_ns`
 * (CLOCK_MONOTONIC) and MAC entries older than the aging time; returns the
 * rules removed. The control thread calls it about once a second. */
unsigned fl_pipeline_expire(struct fl_pipeline *pl, uint64_t now_ns);

/* --- translation (workers) --- */

/* One line per step, for `trace`: table, rule or miss, actions. */
struct fl_trace {
	char *buf;
	size_t size, len;
};

static inline void fl_trace_init(struct fl_trace *t, char *buf, size_t size)
{
	t->buf = buf;
	t->size = size;
	t->len = 0;
	if (size)
		buf[0] = '\0';
}

/* A MAC learning entry NORMAL learned or refreshed from the packet's source:
 * the datapath keeps it with the megaflow and refreshes the entry's age
 * with fl_pipeline_mac_touch() while the megaflow is hit. */
struct fl_mac_ref {
	uint8_t mac[6];
	uint16_t vlan; /* VID, 0 for untagged */
	uint32_t port;
};

struct fl_xlate_result {
	struct fl_dp_actions *actions;  /* a new reference for the caller */
	struct fl_key wc;               /* the megaflow mask (OR-ed across tables) */
	uint64_t version;               /* tables as of this version */
	unsigned n_rules;               /* rules that matched (the first FL_XLATE_MAX_RULES) */
	struct fl_rule *rules[FL_XLATE_MAX_RULES];
	bool cacheable;                 /* false: execute, do not install a megaflow */
	bool has_mac;                   /* mac is set: NORMAL learned from this flow */
	struct fl_mac_ref mac;
};

/* Translate `key` (the parsed packet, in_port set). Never fails for a
 * well-formed pipeline: errors (resubmit nesting deeper than
 * FL_XLATE_MAX_DEPTH or more than 4096 resubmits, a VLAN stack deeper than
 * the packet's two tags plus 4 pushes, more than 4096 datapath actions)
 * make the whole result drop, with a trace line, counted. trace may be
 * NULL (a full trace buffer truncates the text, never the translation).
 * Returns 0 or -ENOMEM (res->actions is then NULL).
 *
 * Semantics beyond OpenFlow 1.3 / OVS that the datapath should know:
 *  - output to in_port is dropped unless written IN_PORT; FLOOD / ALL /
 *    NORMAL's flood go to the pipeline's ports in number order, minus
 *    in_port (FLOOD minus ports with flooding off). Outputs to unknown port
 *    numbers are emitted (the datapath drops and counts them).
 *  - CONTROLLER sends nothing yet (counted in xlate_controller); dec_ttl at
 *    TTL <= 1 drops the packet from there on (earlier outputs stay; counted
 *    in xlate_ttl_expired); dec_ttl on non-IP does nothing.
 *  - rewrites between two outputs are grouped into one masked entry per
 *    header; nothing is emitted after the last output; TCP/UDP port
 *    rewrites are skipped on later IP fragments (no L4 header).
 *  - push_vlan pushes VID 0 / PCP 0 (as OVS); set_field to vlan_vid,
 *    dl_vlan, dl_vlan_pcp on an untagged packet does nothing; mod_vlan_vid
 *    and mod_vlan_pcp push a tag when there is none (OpenFlow 1.0, as OVS);
 *    a write to NXM vlan_tci that clears / sets the present bit pops /
 *    pushes (802.1Q) the outer tag.
 *  - NORMAL is VLAN-transparent: it learns (VID, source MAC) -> in_port,
 *    floods multicast and unknown destinations, drops a destination
 *    learned on in_port. A new or moved entry publishes a new version, so
 *    the result of the translation that learned is already stale.
 *  - set_field to metadata, registers and tun_* changes only what later
 *    tables see (no tunnel ports yet). */
int fl_pipeline_translate(struct fl_pipeline *pl, const struct fl_key *key,
			  struct fl_xlate_result *res, struct fl_trace *trace);

/* Add packets and bytes the datapath handled for a rule (workers; relaxed
 * atomics), and mark it used now (idle timeout). */
void fl_rule_account(struct fl_rule *rule, uint64_t packets, uint64_t bytes, uint64_t now_ns);

/* Refresh the age of a learned MAC entry (struct fl_mac_ref of a result)
 * that still points to `port`; nothing if it moved or expired. Takes the
 * MAC table's lock: call it at most about once a second per megaflow (a
 * megaflow hit that finds its last touch older than 1 s), never per packet. */
void fl_pipeline_mac_touch(struct fl_pipeline *pl, const struct fl_mac_ref *ref, uint64_t now_ns);

/* --- dumping (control thread) --- */

struct fl_rule_info {
	const struct fl_flow_spec *spec; /* match, actions, priority, cookie, table, timeouts */
	uint64_t packets, bytes;
	uint64_t duration_ns;            /* since added */
	uint64_t idle_ns;                /* since last used */
};

/* Call cb for every rule matching filter (a DELETE-style spec: loose match,
 * table, out_port, cookie/mask; NULL for all), in table then priority order.
 * Returns how many. */
size_t fl_pipeline_dump(struct fl_pipeline *pl, const struct fl_flow_spec *filter,
			uint64_t now_ns, void (*cb)(const struct fl_rule_info *info, void *arg),
			void *arg);

/* Told of every rule a flow-mod adds or removes once the batch is
 * committed (a replaced or modified rule: removed, then its successor
 * added), and of every rule a timeout removes, in order, on the control
 * thread: what a journal of the rule set needs. One observer; NULL stops. */
typedef void fl_pipeline_change_fn(void *arg, const struct fl_rule_info *info, bool added);
void fl_pipeline_set_change_observer(struct fl_pipeline *pl, fl_pipeline_change_fn *fn,
				     void *arg);

struct fl_pipeline_stats {
	uint64_t version;
	size_t n_rules;
	uint64_t translations;
	uint64_t xlate_errors;       /* resubmit limits, VLAN stack or action list overflow */
	uint64_t xlate_controller;   /* CONTROLLER actions met (not supported yet: dropped) */
	uint64_t xlate_ttl_expired;  /* dec_ttl met TTL <= 1: dropped */
	uint64_t mac_learned, mac_moved, mac_expired, mac_evicted;
	size_t mac_entries;
};
void fl_pipeline_get_stats(const struct fl_pipeline *pl, struct fl_pipeline_stats *st);

#endif
