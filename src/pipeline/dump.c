/* dump-flows: the rules a DELETE-style filter selects, in table order and,
 * within a table, from the highest priority down (ties in a fixed order of
 * their matches, so dumps compare across runs). Control thread. */
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline_private.h"

static int by_priority(const void *a, const void *b)
{
	const struct fl_rule *x = *(const struct fl_rule *const *)a;
	const struct fl_rule *y = *(const struct fl_rule *const *)b;
	struct fl_match mx, my;

	if (x->cr.priority != y->cr.priority)
		return x->cr.priority > y->cr.priority ? -1 : 1;
	fl_cls_rule_get_match(&x->cr, &mx);
	fl_cls_rule_get_match(&y->cr, &my);
	return memcmp(&mx, &my, sizeof(mx));
}

void fl_pl_rule_report(const struct fl_rule *r, uint64_t now_ns,
		       void (*cb)(const struct fl_rule_info *info, void *arg), void *arg)
{
	struct fl_flow_spec spec;
	struct fl_rule_info info;
	uint64_t used = __atomic_load_n(&r->stats.used_ns, __ATOMIC_RELAXED);

	fl_flow_spec_init(&spec, FL_FLOW_ADD);
	fl_cls_rule_get_match(&r->cr, &spec.match);
	spec.actions = r->actions; /* borrowed: the callback gets it const */
	spec.cookie = r->cookie;
	spec.priority = (uint16_t)r->cr.priority;
	spec.idle_timeout = r->idle_timeout;
	spec.hard_timeout = r->hard_timeout;
	spec.flags = r->flags;
	spec.table_id = r->table_id;
	spec.given = FL_FLOW_GIVEN_TABLE | FL_FLOW_GIVEN_PRIORITY | FL_FLOW_GIVEN_ACTIONS |
		     (r->cookie ? FL_FLOW_GIVEN_COOKIE : 0) |
		     (r->idle_timeout ? FL_FLOW_GIVEN_IDLE : 0) |
		     (r->hard_timeout ? FL_FLOW_GIVEN_HARD : 0) | (r->flags ? FL_FLOW_GIVEN_FLAGS : 0);
	if (used < r->created_ns)
		used = r->created_ns;
	info.spec = &spec;
	info.packets = __atomic_load_n(&r->stats.packets, __ATOMIC_RELAXED);
	info.bytes = __atomic_load_n(&r->stats.bytes, __ATOMIC_RELAXED);
	info.duration_ns = now_ns > r->created_ns ? now_ns - r->created_ns : 0;
	info.idle_ns = now_ns > used ? now_ns - used : 0;
	cb(&info, arg);
}

size_t fl_pipeline_dump(struct fl_pipeline *pl, const struct fl_flow_spec *filter,
			uint64_t now_ns, void (*cb)(const struct fl_rule_info *info, void *arg),
			void *arg)
{
	unsigned t, first = 0, last = FL_TABLE_MAX;
	struct fl_rule **v = NULL, **nv;
	size_t cap = 0, total = 0, n, i;
	struct fl_cls_cursor cur;
	struct fl_cls_rule *cr;

	if (filter && filter->table_id != FL_TABLE_ALL) {
		if (filter->table_id > FL_TABLE_MAX)
			return 0;
		first = last = filter->table_id;
	}
	for (t = first; t <= last; t++) {
		struct fl_classifier *cls = pl->tables[t].cls;

		if (!cls || !pl->tables[t].n_rules)
			continue;
		fl_cls_cursor_init(&cur, cls, filter ? &filter->match : NULL, 0, false,
				   pl->rules_version);
		n = 0;
		FL_CLS_FOR_EACH(cr, &cur) {
			struct fl_rule *r = fl_rule_from_cls(cr);

			if (filter && (((r->cookie ^ filter->cookie) & filter->cookie_mask) ||
				       (filter->out_port != FL_PORT_ANY &&
					!fl_pl_rule_outputs_to(r, filter->out_port))))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					break; /* report what fits */
				v = nv;
			}
			v[n++] = r;
		}
		if (n)
			qsort(v, n, sizeof(*v), by_priority);
		for (i = 0; i < n; i++)
			fl_pl_rule_report(v[i], now_ns, cb, arg);
		total += n;
	}
	free(v);
	return total;
}

/* --- the change observer --- */

struct observed {
	struct fl_pipeline *pl;
	bool added;
};

static void tell_observer(const struct fl_rule_info *info, void *arg)
{
	const struct observed *o = arg;

	o->pl->observer(o->pl->observer_arg, info, o->added);
}

void fl_pl_observe(struct fl_pipeline *pl, const struct fl_rule *r, bool added)
{
	struct observed o = {pl, added};

	if (pl->observer)
		fl_pl_rule_report(r, r->created_ns, tell_observer, &o);
}

void fl_pipeline_set_change_observer(struct fl_pipeline *pl, fl_pipeline_change_fn *fn,
				     void *arg)
{
	pl->observer = fn;
	pl->observer_arg = arg;
}
