/* Flow commands: add-flow, add-flows, mod-flows, del-flows, dump-flows, and
 * the snapshot of the configuration the state file is written from.
 *
 * Every flow-mod goes through fl_pipeline_flow_mod() or, for add-flows,
 * fl_pipeline_flow_mod_text(), all or nothing: a bad line in add-flows
 * changes nothing. Text is parsed with the pipeline's port resolver, so
 * flows may name ports; the state file stores the canonical text, which
 * uses numbers.
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

static const struct fl_port_resolver *resolver(struct fl_control *ctl)
{
	return fl_pipeline_port_resolver(fl_switch_pipeline(ctl->sw));
}

int ctl_flows_add_text(struct fl_control *ctl, const char *text, size_t *changed, char *err,
		       size_t errlen)
{
	int ret = fl_pipeline_flow_mod_text(fl_switch_pipeline(ctl->sw), text, NULL, FL_FLOW_ADD,
					    err, errlen);

	if (ret < 0)
		return ret;
	*changed = (size_t)ret;
	return 0;
}

/* One flow of command `cmd` from the "flow" argument. */
static int flow_mod_one(struct ctl_call *c, enum fl_flow_cmd cmd, const char *text)
{
	struct fl_flow_spec spec;
	int ret;

	ret = fl_flow_parse(text, cmd, resolver(c->ctl), &spec, c->err, sizeof(c->err));
	if (ret < 0)
		return ret;
	ret = fl_pipeline_flow_mod(fl_switch_pipeline(c->ctl->sw), &spec, 1, c->err,
				   sizeof(c->err));
	fl_flow_spec_uninit(&spec);
	if (ret < 0)
		return ret;
	c->changed = ret > 0;
	c->flows_only = true;
	fl_jw_ku64(c->res, "changed", (uint64_t)ret);
	return 0;
}

int ctl_cmd_add_flow(struct ctl_call *c)
{
	const char *text;

	if (ctl_arg_str(c, "flow", true, &text))
		return -EINVAL;
	return flow_mod_one(c, FL_FLOW_ADD, text);
}

int ctl_cmd_add_flows(struct ctl_call *c)
{
	const char *text;
	size_t changed;
	int ret;

	if (ctl_arg_str(c, "text", true, &text))
		return -EINVAL;
	ret = ctl_flows_add_text(c->ctl, text, &changed, c->err, sizeof(c->err));
	if (ret < 0)
		return ret;
	c->changed = changed > 0;
	c->flows_only = true;
	fl_jw_ku64(c->res, "changed", changed);
	return 0;
}

int ctl_cmd_mod_flows(struct ctl_call *c)
{
	const char *text;
	bool strict = false;

	if (ctl_arg_str(c, "flow", true, &text) || ctl_arg_bool(c, "strict", &strict))
		return -EINVAL;
	return flow_mod_one(c, strict ? FL_FLOW_MODIFY_STRICT : FL_FLOW_MODIFY, text);
}

int ctl_cmd_del_flows(struct ctl_call *c)
{
	const char *text = "";
	bool strict = false;

	if (ctl_arg_str(c, "flow", false, &text) || ctl_arg_bool(c, "strict", &strict))
		return -EINVAL;
	return flow_mod_one(c, strict ? FL_FLOW_DELETE_STRICT : FL_FLOW_DELETE, text);
}

/* Text of snprintf-like formatters, in buf when it fits, else allocated.
 * Returns buf, a malloc'd string (the caller frees it when != buf), or NULL. */
typedef int format_fn(const void *obj, uint16_t arg, char *buf, size_t size);

static char *format_text(format_fn *fn, const void *obj, uint16_t arg, char *buf, size_t size)
{
	int n = fn(obj, arg, buf, size);
	char *big;

	if (n < 0)
		return NULL;
	if ((size_t)n < size)
		return buf;
	big = malloc((size_t)n + 1);
	if (big)
		fn(obj, arg, big, (size_t)n + 1);
	return big;
}

static int fmt_match(const void *spec, uint16_t prio, char *buf, size_t size)
{
	return fl_match_format(&((const struct fl_flow_spec *)spec)->match, prio, buf, size);
}

static int fmt_actions(const void *spec, uint16_t unused, char *buf, size_t size)
{
	const struct fl_ofpacts *a = &((const struct fl_flow_spec *)spec)->actions;

	(void)unused;
	return fl_ofpacts_format(a->data, a->len, buf, size);
}

static int fmt_flow(const void *spec, uint16_t unused, char *buf, size_t size)
{
	(void)unused;
	return fl_flow_format(spec, buf, size);
}

static void put_text(struct fl_jw *w, const char *key, format_fn *fn, const void *obj,
		     uint16_t arg)
{
	char buf[2048], *s = format_text(fn, obj, arg, buf, sizeof(buf));

	fl_jw_key(w, key);
	if (!s) {
		w->failed = true;
		fl_jw_null(w);
		return;
	}
	fl_jw_str(w, s);
	if (s != buf)
		free(s);
}

static void dump_one(const struct fl_rule_info *info, void *arg)
{
	struct fl_jw *w = arg;
	const struct fl_flow_spec *s = info->spec;

	fl_jw_obj(w);
	fl_jw_ku64(w, "table", s->table_id);
	fl_jw_ku64(w, "priority", s->priority);
	fl_jw_ku64(w, "cookie", s->cookie);
	fl_jw_ku64(w, "duration_ns", info->duration_ns);
	fl_jw_ku64(w, "idle_ns", info->idle_ns);
	fl_jw_ku64(w, "n_packets", info->packets);
	fl_jw_ku64(w, "n_bytes", info->bytes);
	fl_jw_ku64(w, "idle_timeout", s->idle_timeout);
	fl_jw_ku64(w, "hard_timeout", s->hard_timeout);
	fl_jw_ku64(w, "flags", s->flags);
	put_text(w, "match", fmt_match, s, s->priority);
	put_text(w, "actions", fmt_actions, s, 0);
	fl_jw_obj_end(w);
}

int ctl_cmd_dump_flows(struct ctl_call *c)
{
	struct fl_flow_spec filter;
	const char *text = NULL;
	bool have_filter;
	size_t n;

	if (ctl_arg_str(c, "filter", false, &text))
		return -EINVAL;
	have_filter = text && text[0];
	if (have_filter && fl_flow_parse(text, FL_FLOW_DELETE, resolver(c->ctl), &filter, c->err,
					 sizeof(c->err)) < 0)
		return -EINVAL;
	fl_jw_key(c->res, "flows");
	fl_jw_arr(c->res);
	n = fl_pipeline_dump(fl_switch_pipeline(c->ctl->sw), have_filter ? &filter : NULL,
			     fl_time_ns(), dump_one, c->res);
	fl_jw_arr_end(c->res);
	fl_jw_ku64(c->res, "count", n);
	if (have_filter)
		fl_flow_spec_uninit(&filter);
	return 0;
}

/* --- the configuration for the state file --- */

struct snap {
	struct fl_ctl_state *st;
	int ret;
};

char *ctl_state_flow_text(const struct fl_flow_spec *spec, char *buf, size_t size)
{
	struct fl_flow_spec s = *spec;

	/* instructions to the flow-mod, not properties of the rule: a rule
	 * restored with check_overlap could be refused by a neighbour it was
	 * allowed to overlap when it was added */
	s.flags &= (uint16_t)~(FL_FLOW_CHECK_OVERLAP | FL_FLOW_RESET_COUNTS);
	if (!s.flags)
		s.given &= ~FL_FLOW_GIVEN_FLAGS;
	return format_text(fmt_flow, &s, 0, buf, size);
}

static void snap_flow(const struct fl_rule_info *info, void *arg)
{
	struct snap *sn = arg;
	char buf[2048], *text;

	text = ctl_state_flow_text(info->spec, buf, sizeof(buf));
	if (!text || fl_ctl_state_add_flow(sn->st, text))
		sn->ret = -ENOMEM;
	if (text && text != buf)
		free(text);
}

int ctl_state_snapshot(struct fl_control *ctl, struct fl_ctl_state *st)
{
	struct fl_pipeline *pl = fl_switch_pipeline(ctl->sw);
	struct snap sn = {st, 0};
	unsigned i;

	st->params = ctl->cfg;
	for (i = 0; i < FL_PIPELINE_TABLES; i++)
		st->miss[i] = (uint8_t)fl_pipeline_get_miss(pl, i);
	for (i = 0; i < ctl->n_ports; i++) {
		struct fl_ctl_state_port *p = &st->ports[st->n_ports++];

		snprintf(p->name, sizeof(p->name), "%s", ctl->ports[i].name);
		snprintf(p->spec, sizeof(p->spec), "%s", ctl->ports[i].spec);
		p->port_no = ctl->ports[i].port_no;
	}
	fl_pipeline_dump(pl, NULL, fl_time_ns(), snap_flow, &sn);
	return sn.ret;
}
