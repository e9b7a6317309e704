/* The control plane's core: the command table, request dispatch (strict
 * about the request's shape and each command's arguments), the state save
 * that follows every change before the reply, and start-up from the state
 * file through the same functions the commands use.
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/time.h"
#include "control/version.h"

#define FL_LOG_MODULE "control"

static const char *const no_args[] = {NULL};
static const char *const port_add_args[] = {"name", "port_no", "spec", NULL};
static const char *const port_args[] = {"port", NULL};
static const char *const flow_args[] = {"flow", NULL};
static const char *const flows_args[] = {"text", NULL};
static const char *const flow_strict_args[] = {"flow", "strict", NULL};
static const char *const filter_args[] = {"filter", NULL};
static const char *const trace_args[] = {"packet", "hex", "in_port", NULL};
static const char *const set_args[] = {"key", "value", NULL};
static const char *const get_args[] = {"key", NULL};
static const char *const capture_args[] = {"port", "filter", "count", "dir", "snaplen", NULL};

static const struct ctl_command commands[] = {
	{"add-port", ctl_cmd_add_port, port_add_args},
	{"del-port", ctl_cmd_del_port, port_args},
	{"show", ctl_cmd_show, no_args},
	{"dump-ports", ctl_cmd_dump_ports, port_args},
	{"add-flow", ctl_cmd_add_flow, flow_args},
	{"add-flows", ctl_cmd_add_flows, flows_args},
	{"mod-flows", ctl_cmd_mod_flows, flow_strict_args},
	{"del-flows", ctl_cmd_del_flows, flow_strict_args},
	{"dump-flows", ctl_cmd_dump_flows, filter_args},
	{"dump-caches", ctl_cmd_dump_caches, no_args},
	{"trace", ctl_cmd_trace, trace_args},
	{"set", ctl_cmd_set, set_args},
	{"get", ctl_cmd_get, get_args},
	{"capture", ctl_cmd_capture, capture_args},
	{"version", ctl_cmd_version, no_args},
};

int ctl_fail(struct ctl_call *c, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return ret;
}

int ctl_arg_str(struct ctl_call *c, const char *key, bool required, const char **out)
{
	const struct fl_json *v = fl_json_get(c->args, key);

	if (!v) {
		if (required)
			return ctl_fail(c, -EINVAL, "missing argument '%s'", key);
		return 0;
	}
	if (v->type != FL_JSON_STRING)
		return ctl_fail(c, -EINVAL, "argument '%s': expected a string, not %s", key,
				fl_json_type_name(v->type));
	*out = v->str.s;
	return 0;
}

int ctl_arg_u64(struct ctl_call *c, const char *key, bool required, uint64_t min, uint64_t max,
		uint64_t *out)
{
	const struct fl_json *v = fl_json_get(c->args, key);
	uint64_t x;

	if (!v) {
		if (required)
			return ctl_fail(c, -EINVAL, "missing argument '%s'", key);
		return 0;
	}
	if (!fl_json_u64(v, &x))
		return ctl_fail(c, -EINVAL, "argument '%s': expected a non-negative integer", key);
	if (x < min || x > max)
		return ctl_fail(c, -EINVAL, "argument '%s': %llu is out of range (%llu to %llu)", key,
				(unsigned long long)x, (unsigned long long)min,
				(unsigned long long)max);
	*out = x;
	return 0;
}

int ctl_arg_bool(struct ctl_call *c, const char *key, bool *out)
{
	const struct fl_json *v = fl_json_get(c->args, key);

	if (v && !fl_json_bool(v, out))
		return ctl_fail(c, -EINVAL, "argument '%s': expected true or false", key);
	return 0;
}

static const struct ctl_command *find_command(const char *name)
{
	unsigned i;

	for (i = 0; i < FL_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int check_args(struct ctl_call *c, const struct ctl_command *cmd)
{
	size_t i;
	unsigned k;

	for (i = 0; i < c->args->obj.n; i++) {
		const char *key = c->args->obj.m[i].key;

		for (k = 0; cmd->args[k]; k++)
			if (!strcmp(cmd->args[k], key))
				break;
		if (!cmd->args[k])
			return ctl_fail(c, -EINVAL, "%s: unknown argument '%s'", cmd->name, key);
	}
	return 0;
}

static void reply_error(struct fl_jw *out, const char *msg)
{
	fl_jw_obj(out);
	fl_jw_kbool(out, "ok", false);
	fl_jw_kstr(out, "error", msg);
	fl_jw_obj_end(out);
}

/* {"cmd":NAME[,"args":{...}]}: anything else is refused before a handler
 * sees it. */
static const struct ctl_command *parse_request(struct ctl_call *c, const struct fl_json *req)
{
	static const struct fl_json empty = {.type = FL_JSON_OBJECT};
	const struct ctl_command *cmd;
	const char *name;
	size_t i;

	if (req->type != FL_JSON_OBJECT) {
		ctl_fail(c, -EINVAL, "request: expected an object {\"cmd\":...}");
		return NULL;
	}
	for (i = 0; i < req->obj.n; i++) {
		if (strcmp(req->obj.m[i].key, "cmd") && strcmp(req->obj.m[i].key, "args")) {
			ctl_fail(c, -EINVAL, "request: unknown member '%s' (only cmd and args)",
				 req->obj.m[i].key);
			return NULL;
		}
	}
	name = fl_json_str(fl_json_get(req, "cmd"));
	if (!name) {
		ctl_fail(c, -EINVAL, "request: 'cmd' is missing or not a string");
		return NULL;
	}
	cmd = find_command(name);
	if (!cmd) {
		ctl_fail(c, -EINVAL, "unknown command '%s'", name);
		return NULL;
	}
	c->args = fl_json_get(req, "args");
	if (!c->args)
		c->args = &empty;
	if (c->args->type != FL_JSON_OBJECT) {
		ctl_fail(c, -EINVAL, "%s: 'args' must be an object", name);
		return NULL;
	}
	return check_args(c, cmd) ? NULL : cmd;
}

/* Back to an earlier length (a reply abandoned half-way), at depth 0. */
static void rewind_to(struct fl_jw *w, size_t mark)
{
	w->len = mark;
	if (w->buf)
		w->buf[mark] = '\0';
	w->failed = false;
	w->depth = 0;
	w->nonempty = 0;
	w->after_key = false;
}

void fl_control_request(struct fl_control *ctl, struct fl_ctl_session *s, const char *line,
			size_t len, struct fl_jw *out)
{
	struct ctl_call c = {.ctl = ctl, .session = s};
	const struct ctl_command *cmd;
	struct fl_json *req = NULL;
	size_t mark = out->len;
	char msg[1200];
	int ret;

	if (fl_json_parse(line, len, &req, NULL, c.err, sizeof(c.err))) {
		snprintf(msg, sizeof(msg), "request: %s", c.err);
		reply_error(out, msg);
		goto out;
	}
	cmd = parse_request(&c, req);
	if (!cmd) {
		reply_error(out, c.err);
		goto out;
	}
	/* the result is written in place (a dump can be tens of MB) and
	 * rewound if the command fails after all */
	fl_jw_obj(out);
	fl_jw_kbool(out, "ok", true);
	fl_jw_key(out, "result");
	c.res = out;
	fl_jw_obj(out);
	ret = cmd->fn(&c);
	fl_jw_obj_end(out);
	fl_jw_obj_end(out);
	if (ret < 0 || fl_jw_failed(out)) {
		rewind_to(out, mark);
		reply_error(out, ret < 0 ? (c.err[0] ? c.err : strerror(-ret))
				  : "out of memory building the reply");
		goto out;
	}
	if (c.changed) {
		if (ctl_persist(ctl, c.flows_only, c.err, sizeof(c.err)) < 0) {
			/* the change is live but not durable: say so, and keep
			 * trying from the tick */
			snprintf(msg, sizeof(msg), "%s: applied, but the state file was not saved "
				 "(%s): the change will be lost at restart", cmd->name, c.err);
			FL_LOG(FL_LOG_ERR, "%s", msg);
			rewind_to(out, mark);
			reply_error(out, msg);
			goto out;
		}
	}
out:
	fl_jw_raw(out, "\n", 1);
	/* the writer is reused for the next line at depth 0 */
	out->depth = 0;
	out->nonempty = 0;
	out->after_key = false;
	fl_json_free(req);
}

int ctl_cmd_version(struct ctl_call *c)
{
	fl_jw_kstr(c->res, "version", FL_VERSION);
	fl_jw_ku64(c->res, "uptime_ns", fl_time_ns() - c->ctl->start_ns);
	fl_jw_kstr(c->res, "state_file", c->ctl->state_path ? c->ctl->state_path : "");
	return 0;
}

void fl_control_tick(struct fl_control *ctl, uint64_t now_ns)
{
	char err[512];

	/* Expired flows are in ctl->ops now, for the journal; links going
	 * up or down change nothing the state file holds. */
	fl_switch_tick(ctl->sw, now_ns);
	if ((ctl->ops.len || ctl->ops.failed) && ctl_persist(ctl, true, err, sizeof(err)) < 0)
		FL_LOG(FL_LOG_ERR, "saving the state: %s", err);
	ctl_ports_retry(ctl, now_ns);
	if (ctl->save_pending && now_ns - ctl->last_save_ns >= 1000000000ull &&
	    fl_control_save(ctl, err, sizeof(err)) < 0)
		FL_LOG(FL_LOG_ERR, "saving the state: %s", err);
}

struct fl_switch *fl_control_switch(struct fl_control *ctl)
{
	return ctl->sw;
}

/* Apply a loaded state to a new switch: table-miss settings, then ports,
 * then flows (which may name the ports), each through the functions the
 * commands use. */
static int restore(struct fl_control *ctl, const struct fl_ctl_state *st, char *err,
		   size_t errlen)
{
	struct fl_pipeline *pl = fl_switch_pipeline(ctl->sw);
	char msg[512];
	size_t i, len = 0, changed;
	char *text, *p;
	int ret;

	for (i = 0; i < FL_PIPELINE_TABLES; i++)
		if (st->miss[i] != FL_MISS_DROP)
			fl_pipeline_set_miss(pl, (unsigned)i, (enum fl_table_miss)st->miss[i]);
	for (i = 0; i < st->n_ports; i++) {
		const struct fl_ctl_state_port *sp = &st->ports[i];

		ret = ctl_port_add(ctl, sp->name, sp->port_no, sp->spec, true, msg, sizeof(msg));
		if (ret < 0) {
			snprintf(err, errlen, "ports[%zu]: %s", i, msg);
			return ret;
		}
	}
	if (!st->n_flows)
		return 0;
	for (i = 0; i < st->n_flows; i++)
		len += strlen(st->flows[i]) + 1;
	text = malloc(len + 1);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0, p = text; i < st->n_flows; i++) {
		size_t n = strlen(st->flows[i]);

		memcpy(p, st->flows[i], n);
		p[n] = '\n';
		p += n + 1;
	}
	*p = '\0';
	ret = ctl_flows_add_text(ctl, text, &changed, msg, sizeof(msg));
	free(text);
	if (ret < 0)
		snprintf(err, errlen, "flows: %s", msg);
	return ret;
}

struct fl_control *fl_control_open(const struct fl_ctl_options *opt, char *err, size_t errlen)
{
	struct fl_control *ctl = calloc(1, sizeof(*ctl));
	struct fl_ctl_state st;
	char msg[1024];
	int ret;

	fl_ctl_state_init(&st);
	if (!ctl)
		goto oom;
	ctl->start_ns = fl_time_ns();
	ctl->state_lock_fd = -1;
	fl_ctl_journal_init(&ctl->journal);
	if (opt->state_path) {
		char lock[4096];

		ctl->state_path = strdup(opt->state_path);
		if (!ctl->state_path)
			goto oom;
		if (fl_ctl_make_parent_dirs(opt->state_path, 0755, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "state file %s: %s", opt->state_path, msg);
			goto fail;
		}
		snprintf(lock, sizeof(lock), "%s.lock", opt->state_path);
		ctl->state_lock_fd = ctl_lock_file(lock, "state file", opt->state_path, err, errlen);
		if (ctl->state_lock_fd < 0)
			goto fail;
		ret = fl_ctl_state_load(opt->state_path, &st, err, errlen);
		if (ret < 0)
			goto fail;
		if (ret == 1)
			FL_LOG(FL_LOG_INFO, "no state file %s: starting with no ports and no flows",
			       opt->state_path);
	}
	ctl->cfg = st.params;
	if (opt->workers)
		ctl->cfg.n_workers = opt->workers;
	if (opt->buffers)
		ctl->cfg.dp.n_bufs = opt->buffers;
	ctl->sw = fl_switch_create(&ctl->cfg, msg, sizeof(msg));
	if (!ctl->sw) {
		snprintf(err, errlen, "cannot start the switch: %s", msg);
		goto fail;
	}
	if (restore(ctl, &st, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "state file %s: %s", opt->state_path, msg);
		goto fail;
	}
	if (ctl->state_path) {
		bool foreign = false;
		long changes = fl_ctl_journal_replay(ctl->state_path, st.journal, ctl_journal_apply,
						     ctl, &foreign, err, errlen);

		if (changes < 0)
			goto fail;
		if (foreign)
			FL_LOG(FL_LOG_WARN, "%s.journal belongs to an older state file: not replayed",
			       ctl->state_path);
		if (changes)
			FL_LOG(FL_LOG_INFO, "replayed %ld flow changes from the journal", changes);
		if (fl_ctl_journal_open(&ctl->journal, ctl->state_path, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "state journal: %s", msg);
			goto fail;
		}
	}
	FL_LOG(FL_LOG_INFO, "restored %u ports and %zu flows", st.n_ports, st.n_flows);
	fl_ctl_state_clear(&st);
	fl_pipeline_set_change_observer(fl_switch_pipeline(ctl->sw), ctl_observe_rule, ctl);
	/* written once now: an unwritable state file is found at start, not
	 * at the first change someone expects to survive a restart */
	if (fl_control_save(ctl, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "state file: cannot write it: %s", msg);
		goto fail;
	}
	return ctl;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	fl_ctl_state_clear(&st);
	if (ctl) {
		fl_ctl_journal_close(&ctl->journal);
		fl_switch_destroy(ctl->sw);
		if (ctl->state_lock_fd >= 0)
			close(ctl->state_lock_fd);
		free(ctl->state_path);
		free(ctl);
	}
	return NULL;
}

void fl_control_close(struct fl_control *ctl)
{
	char err[512];

	if (!ctl)
		return;
	if ((ctl->save_pending || ctl->ops.len || ctl->ops.failed) &&
	    fl_control_save(ctl, err, sizeof(err)) < 0)
		FL_LOG(FL_LOG_ERR, "saving the state at exit: %s", err);
	fl_pipeline_set_change_observer(fl_switch_pipeline(ctl->sw), NULL, NULL);
	fl_ctl_journal_close(&ctl->journal);
	ctl_ops_free(ctl);
	fl_switch_destroy(ctl->sw);
	if (ctl->state_lock_fd >= 0)
		close(ctl->state_lock_fd);
	free(ctl->state_path);
	free(ctl);
}
