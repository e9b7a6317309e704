/* Settings commands: set KEY VALUE and get [KEY], over the settings table
 * (settings.c) plus table-miss (TABLE=drop|continue|normal).
 *
 * A setting is applied to the running switch first and recorded in the
 * configuration only when the switch took it; settings the switch fixes at
 * start (the buffer pool, MAC aging) are recorded and take effect at the
 * next start, which the reply says.
 */
#include "control/control_private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The "value" argument as text: strings as they are, numbers and booleans
 * spelled out, so `set` takes {"value":4096} and {"value":"4096"} alike. */
static int value_text(struct ctl_call *c, char *buf, size_t size, const char **out)
{
	const struct fl_json *v = fl_json_get(c->args, "value");

	if (!v)
		return ctl_fail(c, -EINVAL, "missing argument 'value'");
	switch (v->type) {
	case FL_JSON_STRING:
		*out = v->str.s;
		return 0;
	case FL_JSON_BOOL:
		*out = v->b ? "true" : "false";
		return 0;
	case FL_JSON_NUMBER:
		if (v->num.flags & FL_JSON_NUM_U64) {
			snprintf(buf, size, "%" PRIu64, v->num.u);
			*out = buf;
			return 0;
		}
		break;
	default:
		break;
	}
	return ctl_fail(c, -EINVAL, "argument 'value': expected a string, a non-negative "
			"integer or a boolean");
}

/* "T=ACTION" */
static int set_miss(struct ctl_call *c, const char *value)
{
	struct fl_pipeline *pl = fl_switch_pipeline(c->ctl->sw);
	enum fl_table_miss m;
	unsigned long t;
	char *end;

	t = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '=' || t >= FL_PIPELINE_TABLES)
		return ctl_fail(c, -EINVAL, "table-miss: '%s': expected TABLE=ACTION, TABLE 0 to %u",
				value, FL_PIPELINE_TABLES - 1);
	if (fl_ctl_miss_parse(end + 1, &m))
		return ctl_fail(c, -EINVAL, "table-miss: '%s': ACTION is drop, continue or normal",
				value);
	if (fl_pipeline_set_miss(pl, (unsigned)t, m) < 0)
		return ctl_fail(c, -EINVAL, "table-miss: table %lu refused", t);
	c->changed = true;
	fl_jw_ku64(c->res, "table", t);
	fl_jw_kstr(c->res, "table_miss", fl_ctl_miss_name(m));
	return 0;
}

int ctl_cmd_set(struct ctl_call *c)
{
	struct fl_control *ctl = c->ctl;
	const struct fl_ctl_setting *s;
	struct fl_switch_params p;
	const char *key, *value = "";
	char buf[32];
	uint64_t v;
	int ret;

	if (ctl_arg_str(c, "key", true, &key) || value_text(c, buf, sizeof(buf), &value))
		return -EINVAL;
	if (!strcmp(key, "table-miss"))
		return set_miss(c, value);
	s = fl_ctl_setting_find(key);
	if (!s)
		return ctl_fail(c, -EINVAL, "unknown setting '%s' (flowctl get lists them)", key);
	if (fl_ctl_setting_parse(s, value, false, &v, c->err, sizeof(c->err)))
		return -EINVAL;
	if (s->start_only) {
		fl_jw_kbool(c->res, "restart_needed", true);
	} else if (!strcmp(s->name, "workers")) {
		ret = fl_switch_set_workers(ctl->sw, (unsigned)v, c->err, sizeof(c->err));
		if (ret < 0)
			return ret;
	} else {
		p = *fl_switch_params(ctl->sw);
		s->set(&p, v);
		ret = fl_switch_set_params(ctl->sw, &p, c->err, sizeof(c->err));
		if (ret < 0)
			return ret;
	}
	s->set(&ctl->cfg, v);
	c->changed = true;
	fl_jw_kstr(c->res, "key", s->name);
	fl_jw_key(c->res, "value");
	if (s->boolean)
		fl_jw_bool(c->res, v);
	else
		fl_jw_u64(c->res, v);
	return 0;
}

static void setting_json(struct fl_control *ctl, struct fl_jw *w, const struct fl_ctl_setting *s)
{
	uint64_t eff = s->get(fl_switch_params(ctl->sw));

	if (!strcmp(s->name, "workers"))
		eff = fl_switch_n_workers(ctl->sw);
	fl_jw_obj(w);
	fl_jw_kstr(w, "name", s->name);
	fl_jw_key(w, "value");
	if (s->boolean)
		fl_jw_bool(w, s->get(&ctl->cfg));
	else
		fl_jw_u64(w, s->get(&ctl->cfg));  /* 0: the default */
	fl_jw_key(w, "effective");
	if (s->boolean)
		fl_jw_bool(w, eff);
	else
		fl_jw_u64(w, eff);
	fl_jw_kbool(w, "start_only", s->start_only);
	fl_jw_kstr(w, "help", s->help);
	fl_jw_obj_end(w);
}

int ctl_cmd_get(struct ctl_call *c)
{
	struct fl_pipeline *pl = fl_switch_pipeline(c->ctl->sw);
	const struct fl_ctl_setting *set, *only = NULL;
	const char *key = NULL;
	bool misses;
	unsigned n, i;

	if (ctl_arg_str(c, "key", false, &key))
		return -EINVAL;
	if (key && strcmp(key, "table-miss") && !(only = fl_ctl_setting_find(key)))
		return ctl_fail(c, -EINVAL, "unknown setting '%s'", key);
	misses = !key || !strcmp(key, "table-miss");
	fl_jw_key(c->res, "settings");
	fl_jw_arr(c->res);
	set = fl_ctl_settings(&n);
	for (i = 0; i < n; i++)
		if (!key || only == &set[i])
			setting_json(c->ctl, c->res, &set[i]);
	fl_jw_arr_end(c->res);
	if (!misses)
		return 0;
	fl_jw_key(c->res, "table_miss");
	fl_jw_obj(c->res);
	for (i = 0; i < FL_PIPELINE_TABLES; i++) {
		enum fl_table_miss m = fl_pipeline_get_miss(pl, i);
		char t[8];

		if (m == FL_MISS_DROP)
			continue;
		snprintf(t, sizeof(t), "%u", i);
		fl_jw_kstr(c->res, t, fl_ctl_miss_name(m));
	}
	fl_jw_obj_end(c->res);
	return 0;
}
