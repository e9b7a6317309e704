/* Making changes durable: the state file, and the journal of flow changes
 * in between (journal.c says why and how).
 *
 * The pipeline tells us of every rule a flow-mod or an expiry adds or
 * removes (fl_pipeline_set_change_observer); each becomes an op line in
 * ctl->ops. When a command that changed only flows succeeds, its ops are
 * appended to the journal as one change before the reply goes out. Any
 * other change (ports, settings, table-miss), a journal that has grown
 * past the state file, or a failed append writes the whole state file
 * instead, and empties the journal.
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/time.h"

#define FL_LOG_MODULE "control"

/* The journal may grow to the state file's size, and to this much at
 * least, before the state file is rewritten. */
#define JOURNAL_MIN_LIMIT (1u << 20)

static void ops_put(struct fl_control *ctl, char op, const char *text, size_t len)
{
	struct ctl_ops *o = &ctl->ops;

	if (o->failed)
		return;
	if (o->len + len + 2 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (cap < o->len + len + 2)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b) {
			o->failed = true; /* the next save writes the whole state */
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	o->buf[o->len++] = op;
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	o->buf[o->len++] = '\n';
}

static void ops_clear(struct fl_control *ctl)
{
	ctl->ops.len = 0;
	ctl->ops.failed = false;
}

void ctl_ops_free(struct fl_control *ctl)
{
	free(ctl->ops.buf);
	memset(&ctl->ops, 0, sizeof(ctl->ops));
}

/* The pipeline's change observer. An added rule is its canonical text (as
 * the state file has it); a removed one only what identifies it, for a
 * strict delete: table, priority, match. */
void ctl_observe_rule(void *arg, const struct fl_rule_info *info, bool added)
{
	struct fl_control *ctl = arg;
	char buf[2048], *text;
	int n;

	if (added) {
		text = ctl_state_flow_text(info->spec, buf, sizeof(buf));
		if (!text) {
			ctl->ops.failed = true;
			return;
		}
		ops_put(ctl, '+', text, strlen(text));
		if (text != buf)
			free(text);
		return;
	}
	n = snprintf(buf, sizeof(buf), "table=%u,priority=%u,", info->spec->table_id,
		     info->spec->priority);
	if (n < 0 || fl_match_format(&info->spec->match, FL_PRIORITY_DEFAULT, buf + n,
				     sizeof(buf) - (size_t)n) >= (int)(sizeof(buf) - (size_t)n)) {
		ctl->ops.failed = true; /* cannot happen for a match; be safe anyway */
		return;
	}
	n = (int)strlen(buf);
	if (buf[n - 1] == ',')
		buf[--n] = '\0';
	ops_put(ctl, '-', buf, (size_t)n);
}

/* One journal change at start: its ops as one flow-mod batch. */
int ctl_journal_apply(void *arg, char *ops, size_t len, char *err, size_t errlen)
{
	struct fl_control *ctl = arg;
	struct fl_pipeline *pl = fl_switch_pipeline(ctl->sw);
	struct fl_flow_specs specs = {NULL, 0, 0};
	struct fl_flow_spec spec;
	char *line = ops, msg[1024];
	int ret = 0;

	(void)len;
	while (*line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		ret = fl_flow_parse(line + 1, line[0] == '+' ? FL_FLOW_ADD : FL_FLOW_DELETE_STRICT,
				    fl_pipeline_port_resolver(pl), &spec, msg, sizeof(msg));
		if (ret < 0) {
			snprintf(err, errlen, "'%.200s': %s", line, msg);
			break;
		}
		ret = fl_flow_specs_append(&specs, &spec);
		fl_flow_spec_uninit(&spec);
		if (ret < 0) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	if (!ret && specs.n) {
		ret = fl_pipeline_flow_mod(pl, specs.v, specs.n, msg, sizeof(msg));
		if (ret < 0)
			snprintf(err, errlen, "%s", msg);
	}
	fl_flow_specs_free(specs.v, specs.n);
	return ret < 0 ? ret : 0;
}

static size_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

int fl_control_save(struct fl_control *ctl, char *err, size_t errlen)
{
	struct fl_ctl_state st;
	int ret;

	ops_clear(ctl); /* the state file will hold them, or save_pending stays */
	if (!ctl->state_path) {
		ctl->save_pending = false;
		return 0;
	}
	fl_ctl_state_init(&st);
	ret = ctl_state_snapshot(ctl, &st);
	fl_ctl_journal_new_id(st.journal);
	if (ret < 0)
		snprintf(err, errlen, "out of memory");
	else
		ret = fl_ctl_state_save(ctl->state_path, &st, err, errlen);
	ctl->last_save_ns = fl_time_ns();
	if (ret == 0) {
		ctl->state_bytes = file_size(ctl->state_path);
		/* everything is in the state file now; a failure here only
		 * means the next change writes the state file again */
		if (fl_ctl_journal_reset(&ctl->journal, st.journal, err, errlen) < 0)
			FL_LOG(FL_LOG_WARN, "state file saved, but %s", err);
		ctl->save_pending = false;
	}
	fl_ctl_state_clear(&st);
	return ret;
}

int ctl_persist(struct fl_control *ctl, bool flows_only, char *err, size_t errlen)
{
	size_t limit = ctl->state_bytes > JOURNAL_MIN_LIMIT ? ctl->state_bytes : JOURNAL_MIN_LIMIT;
	const struct fl_ctl_journal *j = &ctl->journal;

	if (!ctl->state_path) {
		ops_clear(ctl);
		return 0;
	}
	if (flows_only && !ctl->save_pending && !ctl->ops.failed && j->fd >= 0 && !j->broken &&
	    j->bytes + ctl->ops.len + 2 <= limit) {
		int ret = ctl->ops.len ? fl_ctl_journal_append(&ctl->journal, ctl->ops.buf,
							       ctl->ops.len, err, errlen)
				       : 0;

		if (ret == 0) {
			ops_clear(ctl);
			return 0;
		}
		FL_LOG(FL_LOG_WARN, "%s: writing the state file instead", err);
	}
	ctl->save_pending = true;
	return fl_control_save(ctl, err, errlen);
}
