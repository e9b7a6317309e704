/* Flow-mods: OpenFlow 1.3 add / modify / delete semantics over versioned
 * classifiers, all or nothing, and timeouts.
 *
 * A batch runs in three steps, all on the control thread:
 *
 *   1. check   every spec alone: command, table, actions against the match
 *              (fl_ofpacts_check) and against what the datapath can rewrite.
 *   2. apply   the specs in order, at version V+1 (V = the published rules
 *              version): new rules are inserted visible from V+1, replaced
 *              and deleted ones marked invisible from V+1. Readers keep
 *              translating at V meanwhile and see none of it. Each change is
 *              logged; a spec that fails here (overlap, a modify whose
 *              actions do not fit a matched rule, no memory) undoes the log
 *              in reverse: marked rules are unmarked, inserted ones removed
 *              (and freed after a grace period: readers may be walking past
 *              them).
 *   3. publish V+1 (one version for the whole batch), then collect: one
 *              grace period, and the rules that became invisible leave their
 *              classifiers (pipeline.c explains the freeing).
 *
 * Later specs of a batch see the earlier ones (lookups at the "latest"
 * version include pending rules), so "add X; delete X" in one batch leaves
 * nothing, as it would one flow-mod at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/heap.h"
#include "core/time.h"
#include "pipeline/pipeline_private.h"
#include "proto/headers.h"

#define LATEST FL_CLS_VERSION_LATEST

struct fm_change {
	struct fl_rule *rule;
	bool inserted; /* else marked removed */
};

struct fm_batch {
	struct fl_pipeline *pl;
	uint64_t version; /* V + 1 */
	uint64_t now;
	struct fm_change *log;
	size_t n_log, cap_log;
	size_t changes;
	size_t index; /* 1-based spec number, for messages (0: none) */
	size_t applied;
	char *err;
	size_t errlen;
	uint8_t deferred[(FL_PIPELINE_TABLES + 7) / 8];
};

static int fm_fail(struct fm_batch *b, int code, const char *fmt, ...) FL_PRINTF(3, 4);
static int fm_fail(struct fm_batch *b, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->errlen)
		return code;
	n = b->index ? snprintf(b->err, b->errlen, "flow %zu: ", b->index) : 0;
	if (n >= 0 && (size_t)n < b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* --- 1. checks --- */

static bool match_dl_type_is(const struct fl_match *m, uint16_t type)
{
	return m->mask.dl_type == 0xffff && m->value.dl_type == fl_htons(type);
}

/* What the datapath can rewrite (dpact.h): Ethernet addresses, IPv4 and
 * IPv6 addresses and DSCP/ECN, TCP and UDP ports, the outer VLAN tag.
 * Metadata, registers and tunnel fields only change the working key (no
 * tunnel port exists yet for tun_* to mean anything on output). The rest
 * would be silently ignored by the datapath, so it is refused here. */
static int check_rewrite(struct fm_batch *b, const char *act, const struct fl_field *f,
			 const struct fl_match *m)
{
	switch (f->id) {
	case FL_FIELD_METADATA:
	case FL_FIELD_REG0: case FL_FIELD_REG1: case FL_FIELD_REG2: case FL_FIELD_REG3:
	case FL_FIELD_REG4: case FL_FIELD_REG5: case FL_FIELD_REG6: case FL_FIELD_REG7:
	case FL_FIELD_TUN_ID:
	case FL_FIELD_TUN_SRC:
	case FL_FIELD_TUN_DST:
	case FL_FIELD_DL_SRC:
	case FL_FIELD_DL_DST:
	case FL_FIELD_VLAN_TCI:
	case FL_FIELD_DL_VLAN:
	case FL_FIELD_DL_VLAN_PCP:
	case FL_FIELD_VLAN_VID:
	case FL_FIELD_IPV6_SRC:
	case FL_FIELD_IPV6_DST:
	case FL_FIELD_NW_TOS:
	case FL_FIELD_IP_DSCP:
	case FL_FIELD_NW_ECN:
	case FL_FIELD_NW_TTL:
		return 0;
	case FL_FIELD_NW_SRC:
	case FL_FIELD_NW_DST:
		if (match_dl_type_is(m, FL_ETH_TYPE_IPV4))
			return 0;
		return fm_fail(b, -EINVAL,
			       "%s: the datapath cannot rewrite ARP addresses (%s on ARP)", act,
			       f->name);
	case FL_FIELD_TP_SRC:
	case FL_FIELD_TP_DST:
	case FL_FIELD_TCP_SRC:
	case FL_FIELD_TCP_DST:
	case FL_FIELD_UDP_SRC:
	case FL_FIELD_UDP_DST:
		if (m->mask.nw_proto == 0xff && m->value.nw_proto == FL_FLOW_IPPROTO_SCTP)
			return fm_fail(b, -EINVAL, "%s: the datapath cannot rewrite SCTP ports",
				       act);
		return 0;
	default:
		return fm_fail(b, -EINVAL, "%s: the datapath cannot rewrite %s", act, f->name);
	}
}

static int check_actions(struct fm_batch *b, const struct fl_ofpacts *acts,
			 const struct fl_match *m, uint8_t table)
{
	const struct fl_ofpact *a;
	char msg[256];
	int r;

	r = fl_ofpacts_check(acts->data, acts->len, m, table, msg, sizeof(msg));
	if (r)
		return fm_fail(b, r, "%s", msg);
	FL_OFPACT_FOR_EACH(a, acts->data, acts->len) {
		const struct fl_field *f = NULL;
		const char *name = NULL;

		if (a->type == FL_OFPACT_SET_FIELD) {
			f = fl_field_by_id((enum fl_field_id)FL_OFPACT_CAST(set_field, a)->field);
			name = "set_field";
		} else if (a->type == FL_OFPACT_MOVE) {
			f = fl_field_by_id((enum fl_field_id)FL_OFPACT_CAST(move, a)->dst_field);
			name = "move";
		}
		if (f && (r = check_rewrite(b, name, f, m)) != 0)
			return r;
	}
	return 0;
}

static int check_spec(struct fm_batch *b, const struct fl_flow_spec *spec)
{
	bool adds = spec->command == FL_FLOW_ADD;

	if (spec->command > FL_FLOW_DELETE_STRICT)
		return fm_fail(b, -EINVAL, "unknown command %u", spec->command);
	if (spec->table_id > FL_TABLE_MAX && (adds || spec->table_id != FL_TABLE_ALL))
		return fm_fail(b, -EINVAL, "table %u is not a table (0..%u%s)", spec->table_id,
			       FL_TABLE_MAX, adds ? "" : " or 255 for all");
	if (adds || spec->command == FL_FLOW_MODIFY || spec->command == FL_FLOW_MODIFY_STRICT)
		/* With table=255 goto_table is checked against each matched
		 * rule's table when the modify is applied. */
		return check_actions(b, &spec->actions, &spec->match,
				     spec->table_id == FL_TABLE_ALL ? 0 : spec->table_id);
	return 0;
}

/* --- 2. apply --- */

static int log_change(struct fm_batch *b, struct fl_rule *rule, bool inserted)
{
	if (b->n_log == b->cap_log) {
		size_t cap = b->cap_log ? b->cap_log * 2 : 16;
		struct fm_change *log = realloc(b->log, cap * sizeof(*log));

		if (!log)
			return -ENOMEM;
		b->log = log;
		b->cap_log = cap;
	}
	b->log[b->n_log].rule = rule;
	b->log[b->n_log].inserted = inserted;
	b->n_log++;
	return 0;
}

static struct fl_classifier *table_for_insert(struct fm_batch *b, unsigned table)
{
	struct fl_classifier *cls = fl_pl_table_cls(b->pl, table, true);

	if (cls && !(b->deferred[table / 8] & (1u << (table % 8)))) {
		/* Collect subtable reordering for the whole batch; published
		 * before the version (step 3). */
		fl_cls_defer(cls);
		b->deferred[table / 8] |= (uint8_t)(1u << (table % 8));
	}
	return cls;
}

static struct fl_rule *rule_new(struct fm_batch *b, const struct fl_match *match, int priority,
				uint8_t table, const struct fl_ofpacts *acts)
{
	/* Sized by the match (pipeline_private.h); fl_cls_rule_init fills the
	 * classifier part. */
	struct fl_rule *r = aligned_alloc(FL_CACHE_LINE, fl_rule_size(match));

	if (!r)
		return NULL;
	memset(r, 0, offsetof(struct fl_rule, cr));
	if (fl_ofpacts_copy(&r->actions, acts)) {
		free(r);
		return NULL;
	}
	fl_cls_rule_init(&r->cr, match, priority, b->version);
	r->table_id = table;
	r->created_ns = b->now;
	r->stats.used_ns = b->now;
	return r;
}

static int insert(struct fm_batch *b, struct fl_rule *r)
{
	struct fl_classifier *cls = table_for_insert(b, r->table_id);
	int err;

	if (!cls || log_change(b, r, true)) {
		fl_pl_rule_free(r);
		return fm_fail(b, -ENOMEM, "out of memory");
	}
	err = fl_cls_insert(cls, &r->cr);
	if (err) {
		b->n_log--;
		fl_pl_rule_free(r);
		return fm_fail(b, err, "table %u: cannot insert (%s)", r->table_id,
			       err == -EEXIST ? "duplicate" : "out of memory");
	}
	b->changes++;
	return 0;
}

/* `replaced`: a successor takes the rule's place, and its insertion is the
 * one change counted. */
static int mark_removed(struct fm_batch *b, struct fl_rule *r, bool replaced)
{
	if (log_change(b, r, false))
		return fm_fail(b, -ENOMEM, "out of memory");
	fl_cls_rule_set_remove_version(&r->cr, b->version);
	if (!replaced)
		b->changes++;
	return 0;
}

/* `next` takes over from `old`: its counters (unless reset) and, for the
 * counts workers add to old until the grace period, the succession. */
static void succeed(struct fl_rule *next, struct fl_rule *old, bool reset)
{
	if (reset)
		return;
	old->handed_packets = __atomic_load_n(&old->stats.packets, __ATOMIC_RELAXED);
	old->handed_bytes = __atomic_load_n(&old->stats.bytes, __ATOMIC_RELAXED);
	next->stats.packets = old->handed_packets;
	next->stats.bytes = old->handed_bytes;
	old->successor = next;
}

static bool matches_overlap(const struct fl_match *a, const struct fl_match *b)
{
	const uint64_t *av = fl_key_words(&a->value), *am = fl_key_words(&a->mask);
	const uint64_t *bv = fl_key_words(&b->value), *bm = fl_key_words(&b->mask);
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		if ((av[i] ^ bv[i]) & am[i] & bm[i])
			return false;
	return true;
}

static int check_overlap(struct fm_batch *b, struct fl_classifier *cls,
			 const struct fl_flow_spec *spec)
{
	struct fl_match m = spec->match, rm;
	struct fl_cls_cursor cur;
	struct fl_cls_rule *cr;
	char text[512];

	fl_match_normalize(&m);
	fl_cls_cursor_init(&cur, cls, NULL, 0, false, LATEST);
	FL_CLS_FOR_EACH(cr, &cur) {
		if (cr->priority != spec->priority)
			continue;
		fl_cls_rule_get_match(cr, &rm);
		if (!matches_overlap(&rm, &m))
			continue;
		fl_pl_rule_format(fl_rule_from_cls(cr), text, sizeof(text));
		return fm_fail(b, -EEXIST,
			       "overlaps '%s' in table %u (same priority, check_overlap)", text,
			       spec->table_id);
	}
	return 0;
}

static int apply_add(struct fm_batch *b, const struct fl_flow_spec *spec)
{
	struct fl_classifier *cls = table_for_insert(b, spec->table_id);
	struct fl_cls_rule *old_cr;
	struct fl_rule *r, *old;
	int err;

	if (!cls)
		return fm_fail(b, -ENOMEM, "out of memory");
	if (spec->flags & FL_FLOW_CHECK_OVERLAP) {
		err = check_overlap(b, cls, spec);
		if (err)
			return err;
	}
	r = rule_new(b, &spec->match, spec->priority, spec->table_id, &spec->actions);
	if (!r)
		return fm_fail(b, -ENOMEM, "out of memory");
	r->cookie = spec->cookie;
	r->idle_timeout = spec->idle_timeout;
	r->hard_timeout = spec->hard_timeout;
	r->flags = spec->flags;
	old_cr = fl_cls_find_exactly(cls, &spec->match, spec->priority, LATEST);
	old = old_cr ? fl_rule_from_cls(old_cr) : NULL;
	if (old) {
		err = mark_removed(b, old, true);
		if (err) {
			fl_pl_rule_free(r);
			return err;
		}
		succeed(r, old, spec->flags & FL_FLOW_RESET_COUNTS);
	}
	return insert(b, r);
}

static bool cookie_ok(const struct fl_flow_spec *spec, const struct fl_rule *r)
{
	return ((r->cookie ^ spec->cookie) & spec->cookie_mask) == 0;
}

/* The rules a modify or delete selects, at the latest version: collected
 * first, because the classifier cursor allows no insertion meanwhile. */
static int select_rules(struct fm_batch *b, const struct fl_flow_spec *spec,
			struct fl_rule ***out, size_t *n_out)
{
	bool strict = spec->command == FL_FLOW_MODIFY_STRICT ||
		      spec->command == FL_FLOW_DELETE_STRICT;
	unsigned t, first = spec->table_id, last = spec->table_id;
	struct fl_rule **v = NULL, **nv;
	size_t n = 0, cap = 0;
	struct fl_cls_cursor cur;
	struct fl_cls_rule *cr;

	if (spec->table_id == FL_TABLE_ALL) {
		first = 0;
		last = FL_TABLE_MAX;
	}
	for (t = first; t <= last; t++) {
		struct fl_classifier *cls = b->pl->tables[t].cls;

		if (!cls)
			continue;
		fl_cls_cursor_init(&cur, cls, &spec->match, spec->priority, strict, LATEST);
		FL_CLS_FOR_EACH(cr, &cur) {
			struct fl_rule *r = fl_rule_from_cls(cr);

			if (!cookie_ok(spec, r) || (spec->out_port != FL_PORT_ANY &&
						    !fl_pl_rule_outputs_to(r, spec->out_port)))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return fm_fail(b, -ENOMEM, "out of memory");
				}
				v = nv;
			}
			v[n++] = r;
		}
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int apply_modify(struct fm_batch *b, const struct fl_flow_spec *spec)
{
	bool set_cookie = (spec->given & FL_FLOW_GIVEN_COOKIE) &&
			  !(spec->given & FL_FLOW_GIVEN_COOKIE_MASK);
	struct fl_rule **sel, *old, *r;
	struct fl_match m;
	size_t n, i;
	int err;

	err = select_rules(b, spec, &sel, &n);
	for (i = 0; !err && i < n; i++) {
		old = sel[i];
		fl_cls_rule_get_match(&old->cr, &m);
		err = check_actions(b, &spec->actions, &m, old->table_id);
		if (err)
			break;
		r = rule_new(b, &m, old->cr.priority, old->table_id, &spec->actions);
		if (!r) {
			err = fm_fail(b, -ENOMEM, "out of memory");
			break;
		}
		r->cookie = set_cookie ? spec->cookie : old->cookie;
		r->idle_timeout = old->idle_timeout;
		r->hard_timeout = old->hard_timeout;
		r->flags = old->flags;
		r->created_ns = old->created_ns;
		r->stats.used_ns = __atomic_load_n(&old->stats.used_ns, __ATOMIC_RELAXED);
		err = mark_removed(b, old, true);
		if (err) {
			fl_pl_rule_free(r);
			break;
		}
		succeed(r, old, spec->flags & FL_FLOW_RESET_COUNTS);
		err = insert(b, r);
	}
	free(sel);
	return err;
}

static int apply_delete(struct fm_batch *b, const struct fl_flow_spec *spec)
{
	struct fl_rule **sel;
	size_t n, i;
	int err;

	err = select_rules(b, spec, &sel, &n);
	for (i = 0; !err && i < n; i++)
		err = mark_removed(b, sel[i], false);
	free(sel);
	return err;
}

static void rollback(struct fm_batch *b)
{
	struct fl_pipeline *pl = b->pl;
	size_t i = b->n_log;

	while (i--) {
		struct fl_rule *r = b->log[i].rule;

		if (b->log[i].inserted) {
			/* Never visible (V+1 was not published), but a lookup may
			 * be walking past it: free after a grace period. */
			fl_cls_remove(pl->tables[r->table_id].cls, &r->cr);
			r->gc_next = pl->garbage;
			pl->garbage = r;
		} else {
			fl_cls_rule_set_remove_version(&r->cr, FL_CLS_VERSION_NOT_REMOVED);
			r->successor = NULL;
			r->handed_packets = r->handed_bytes = 0;
		}
	}
	b->n_log = 0;
}

static void commit(struct fm_batch *b)
{
	struct fl_pipeline *pl = b->pl;
	struct fl_rule *zombies = NULL;
	size_t i;

	/* Backwards, pushing on the front: the zombie list ends up in the
	 * order rules were removed, which hand_over_counts relies on. */
	for (i = b->n_log; i--;) {
		struct fl_rule *r = b->log[i].rule;

		if (!b->log[i].inserted) {
			r->gc_next = zombies;
			zombies = r;
		}
	}
	for (i = 0; i < b->n_log; i++) {
		struct fl_rule *r = b->log[i].rule;

		fl_pl_observe(pl, r, b->log[i].inserted);
		if (b->log[i].inserted) {
			fl_pl_timeout_link(pl, r);
			pl->n_rules++;
			pl->tables[r->table_id].n_rules++;
		} else {
			fl_pl_timeout_unlink(pl, r);
			pl->n_rules--;
			pl->tables[r->table_id].n_rules--;
		}
	}
	pl->zombies = zombies;
}

static void publish_tables(struct fm_batch *b)
{
	unsigned t;

	for (t = 0; t < FL_PIPELINE_TABLES; t++)
		if (b->deferred[t / 8] & (1u << (t % 8)))
			fl_cls_publish(b->pl->tables[t].cls);
}

static void batch_begin(struct fm_batch *b, struct fl_pipeline *pl, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->pl = pl;
	b->err = err;
	b->errlen = errlen;
	if (errlen)
		err[0] = '\0';
	b->version = pl->rules_version + 1;
	b->now = fl_time_ns();
}

static int batch_apply(struct fm_batch *b, const struct fl_flow_spec *spec)
{
	if (b->applied++ % 4096 == 0)
		fl_heap_advise(); /* a new heap step, advised while mostly untouched */
	switch ((enum fl_flow_cmd)spec->command) {
	case FL_FLOW_ADD:
		return apply_add(b, spec);
	case FL_FLOW_MODIFY:
	case FL_FLOW_MODIFY_STRICT:
		return apply_modify(b, spec);
	case FL_FLOW_DELETE:
	case FL_FLOW_DELETE_STRICT:
		return apply_delete(b, spec);
	}
	return fm_fail(b, -EINVAL, "unknown command %u", spec->command);
}

/* Step 3, or the undo of step 2 when r is an error. */
static int batch_end(struct fm_batch *b, int r)
{
	if (r)
		rollback(b);
	else
		commit(b);
	publish_tables(b);
	free(b->log);
	if (r)
		return r;
	if (b->changes) {
		fl_pl_publish(b->pl, b->version);
		fl_pl_collect(b->pl, true);
	}
	return (int)(b->changes > INT32_MAX ? INT32_MAX : b->changes);
}

int fl_pipeline_flow_mod(struct fl_pipeline *pl, const struct fl_flow_spec *specs, size_t n,
			 char *err, size_t errlen)
{
	struct fm_batch b;
	size_t i;
	int r = 0;

	batch_begin(&b, pl, err, errlen);
	for (i = 0; i < n; i++) {
		b.index = i + 1;
		r = check_spec(&b, &specs[i]);
		if (r)
			return r;
	}
	for (i = 0; i < n && !r; i++) {
		b.index = i + 1;
		r = batch_apply(&b, &specs[i]);
	}
	return batch_end(&b, r);
}

/* One spec of a text, checked and applied at once; the caller's message
 * gets the line number, so no "flow N: " here. */
static int apply_streamed(void *ctx, struct fl_flow_spec *spec, char *err, size_t errlen)
{
	struct fm_batch *b = ctx;
	int r;

	b->err = err;
	b->errlen = errlen;
	r = check_spec(b, spec);
	return r ? r : batch_apply(b, spec);
}

int fl_pipeline_flow_mod_text(struct fl_pipeline *pl, const char *text, const char *path,
			      enum fl_flow_cmd cmd, char *err, size_t errlen)
{
	struct fm_batch b;
	long r;

	batch_begin(&b, pl, err, errlen);
	r = fl_flow_parse_each(text, path, cmd, fl_pipeline_port_resolver(pl), apply_streamed, &b,
			       err, errlen);
	b.err = err; /* apply_streamed pointed it at the parser's line buffer */
	b.errlen = errlen;
	return batch_end(&b, r < 0 ? (int)r : 0);
}

/* --- timeouts --- */

void fl_pl_remove_rules(struct fl_pipeline *pl, struct fl_rule **rules, size_t n)
{
	uint64_t version = pl->rules_version + 1;
	size_t i;

	if (!n)
		return;
	for (i = n; i--;) {
		struct fl_rule *r = rules[i];

		fl_cls_rule_set_remove_version(&r->cr, version);
		fl_pl_observe(pl, r, false);
		fl_pl_timeout_unlink(pl, r);
		pl->n_rules--;
		pl->tables[r->table_id].n_rules--;
		r->gc_next = pl->zombies;
		pl->zombies = r;
	}
	fl_pl_publish(pl, version);
	fl_pl_collect(pl, true);
}

static bool expired(const struct fl_rule *r, uint64_t now)
{
	uint64_t used = __atomic_load_n(&r->stats.used_ns, __ATOMIC_RELAXED);

	if (r->hard_timeout && now >= r->created_ns &&
	    now - r->created_ns >= (uint64_t)r->hard_timeout * 1000000000ull)
		return true;
	if (used < r->created_ns)
		used = r->created_ns;
	return r->idle_timeout && now >= used &&
	       now - used >= (uint64_t)r->idle_timeout * 1000000000ull;
}

unsigned fl_pipeline_expire(struct fl_pipeline *pl, uint64_t now_ns)
{
	struct fl_rule **v = NULL, **nv, *r;
	size_t n = 0, cap = 0;

	for (r = pl->timeouts; r; r = r->to_next) {
		if (!expired(r, now_ns))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break; /* the rest expire next time */
			v = nv;
		}
		v[n++] = r;
	}
	fl_pl_remove_rules(pl, v, n);
	free(v);
	if (fl_mac_expire(pl->mac, now_ns))
		fl_pl_bump(pl);
	/* Free what earlier batches left for a grace period. */
	fl_pl_collect(pl, false);
	return (unsigned)n;
}
