/* Internals shared by the files of the pipeline: the pipeline and rule
 * structures, and the helpers one file offers another. Not part of the API.
 *
 *   pipeline.c    create/destroy, versions, ports, miss policies, stats,
 *                 grace periods and freeing (the garbage lists below)
 *   flow_mod.c    flow-mod validation and semantics, expiry
 *   dump.c        dump-flows
 *   xlate.c       translation: tables, actions, outputs, NORMAL
 *   xlate_commit.c  translation: the working key, wildcards, rewrites
 *   mac_learning.c  the MAC table behind NORMAL
 */
#ifndef FL_PIPELINE_PRIVATE_H
#define FL_PIPELINE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classifier/classifier.h"
#include "core/compiler.h"
#include "flow/flow.h"
#include "pipeline/mac_learning.h"
#include "pipeline/pipeline.h"

/* A rule. Everything but the counters is written by the control thread
 * before the rule is inserted and never changes while workers may see it
 * (a modify makes a new rule). The counters are written by workers and live
 * on their own cache line, away from what lookups and translations read.
 * The classifier rule comes last: its size follows its mask (classifier.h),
 * so a rule takes fl_rule_size() bytes, not sizeof(struct fl_rule).
 *
 *   line 0   actions, cookie, times, table, links   (control thread; workers
 *                                                    read actions, table_id)
 *   line 1   stats: packets, bytes, used_ns         (workers, relaxed atomics)
 *            succession: successor, handed_*        (control thread)
 *   line 2   cr: priority, versions, next, values   (lookups: one line for up
 *                                                    to 4 mask words)
 *   ...      cr: masks, subtable                    (control thread)
 *
 * The succession fields share the counters' line: the control thread
 * writes them once, when the rule is replaced, and reads them after a grace
 * period; elsewhere they would cost a line of every rule (a 4-word rule is
 * 256 bytes instead of 320).
 */
struct fl_rule {
	struct fl_ofpacts actions;
	uint64_t cookie;
	uint64_t created_ns;
	uint16_t idle_timeout, hard_timeout, flags;
	uint8_t table_id;
	bool has_timeout_link;

	/* Control thread. */
	struct fl_rule *gc_next;           /* zombie or garbage list */
	struct fl_rule *to_prev, *to_next; /* rules with a timeout */

	struct {
		uint64_t packets;
		uint64_t bytes;
		uint64_t used_ns;
	} stats FL_CACHE_ALIGNED;
	/* Control thread: a replaced or modified rule hands the counts workers
	 * still add to it before the grace period ends to its successor
	 * (forward_counts). */
	struct fl_rule *successor;
	uint64_t handed_packets, handed_bytes;

	struct fl_cls_rule cr FL_CACHE_ALIGNED; /* last: variable size */
};

_Static_assert(offsetof(struct fl_rule, stats) == FL_CACHE_LINE, "counters on line 1");
_Static_assert(offsetof(struct fl_rule, cr) == 2 * FL_CACHE_LINE, "lookups read line 2");

/* Bytes of a rule with this match, rounded up to whole cache lines. */
static inline size_t fl_rule_size(const struct fl_match *match)
{
	size_t n = offsetof(struct fl_rule, cr) + fl_cls_rule_size(match);

	return (n + FL_CACHE_LINE - 1) & ~(size_t)(FL_CACHE_LINE - 1);
}

struct fl_pl_port {
	uint32_t no;
	bool no_flood;
	char name[FL_PIPELINE_PORT_NAME_MAX];
};

/* The port list workers read: immutable once published, sorted by number,
 * replaced whole on a change and freed after a grace period. */
struct fl_pl_ports {
	unsigned n;
	struct fl_pl_port ports[];
};

struct fl_pl_table {
	struct fl_classifier *cls; /* created with the table's first rule (RCU pointer) */
	unsigned miss;             /* enum fl_table_miss (relaxed atomic) */
	size_t n_rules;            /* visible at the latest version (control thread) */
};

/* Versions. `version` is the number the datapath compares megaflows with:
 * the control thread bumps it after every change, and a worker bumps it
 * when NORMAL learns or moves a MAC address, so it is advanced with an
 * atomic add (release). `rules_version` is the classifier's version: only
 * the control thread writes it, with a release store, before bumping
 * `version`. A translation loads `version` (acquire) first, then
 * `rules_version` (acquire): a result never claims a version newer than the
 * rules and MAC table it used, so a stale megaflow always re-translates. */
struct fl_pipeline {
	uint64_t version FL_CACHE_ALIGNED;
	uint64_t rules_version;
	struct fl_pl_ports *ports; /* RCU */
	struct fl_mac_table *mac;

	/* Worker counters (relaxed atomic adds: several workers). */
	uint64_t translations FL_CACHE_ALIGNED;
	uint64_t xlate_errors;
	uint64_t xlate_controller;
	uint64_t xlate_ttl_expired;

	/* Control thread. */
	struct fl_port_resolver resolver FL_CACHE_ALIGNED;
	size_t n_rules;
	struct fl_rule *zombies;  /* marked removed, still in a classifier */
	struct fl_rule *garbage;  /* out of the classifiers: free after the next grace period */
	struct fl_rule *timeouts; /* rules with an idle or hard timeout */
	fl_pipeline_change_fn *observer;
	void *observer_arg;
	struct fl_pl_table tables[FL_PIPELINE_TABLES];
};

/* --- dump.c --- */

/* A rule as fl_rule_info, to cb. */
void fl_pl_rule_report(const struct fl_rule *r, uint64_t now_ns,
		       void (*cb)(const struct fl_rule_info *info, void *arg), void *arg);
/* Tell the change observer, if any, that r was added or removed. */
void fl_pl_observe(struct fl_pipeline *pl, const struct fl_rule *r, bool added);

/* --- pipeline.c --- */

static inline uint64_t fl_pl_rules_version(const struct fl_pipeline *pl)
{
	return __atomic_load_n(&pl->rules_version, __ATOMIC_ACQUIRE);
}

/* Make rules_version `v` visible, then announce it through `version`. */
void fl_pl_publish(struct fl_pipeline *pl, uint64_t rules_version);
/* Bump `version` alone (ports, miss policy, MAC table). */
void fl_pl_bump(struct fl_pipeline *pl);
/* After a publish that put rules on the zombie list: wait for a grace
 * period, free the garbage, move the zombies out of their classifiers into
 * the garbage (handing their last counts to their successors). With
 * `zombies_only` false it also runs when only garbage is waiting. */
void fl_pl_collect(struct fl_pipeline *pl, bool zombies_only);
struct fl_classifier *fl_pl_table_cls(struct fl_pipeline *pl, unsigned table, bool create);
void fl_pl_rule_free(struct fl_rule *rule);
void fl_pl_timeout_link(struct fl_pipeline *pl, struct fl_rule *rule);
void fl_pl_timeout_unlink(struct fl_pipeline *pl, struct fl_rule *rule);

static inline struct fl_rule *fl_rule_from_cls(const struct fl_cls_rule *cr)
{
	return FL_CONTAINER_OF(cr, struct fl_rule, cr);
}

/* Whether the rule's actions output to `port` (the out_port filter);
 * CONTROLLER also matches the controller action. */
bool fl_pl_rule_outputs_to(const struct fl_rule *rule, uint32_t port);
/* Rule text for traces and messages: "priority=100,ip actions=output:2". */
int fl_pl_rule_format(const struct fl_rule *rule, char *buf, size_t size);

/* --- flow_mod.c --- */

/* Remove rules as one batch (expiry): mark, publish, collect. */
void fl_pl_remove_rules(struct fl_pipeline *pl, struct fl_rule **rules, size_t n);

#endif
