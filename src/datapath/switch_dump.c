/* Reading workers' private state from the control thread: megaflow dumps
 * (copied into text on the worker, handed out on the control thread) and
 * captures (rings installed on each worker by a call). */
#include "datapath/switch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "datapath/switch_private.h"
#include "datapath/worker_private.h"
#include "flow/flow.h"
#include "pipeline/dpact.h"

#define CALL_TIMEOUT_MS 5000u

struct dump_call {
	char *text; /* lines, '\n' separated */
	size_t len, cap;
	uint64_t now_ns;
	bool oom;
};

static void append(struct dump_call *d, const char *line, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 65536;
		char *t;

		while (cap < d->len + n + 1)
			cap *= 2;
		t = realloc(d->text, cap);
		if (!t) {
			d->oom = true;
			return;
		}
		d->text = t;
		d->cap = cap;
	}
	memcpy(d->text + d->len, line, n);
	d->len += n;
	d->text[d->len] = '\0';
}

static void dump_entry(const struct fl_mf_entry *e, void *arg)
{
	struct dump_call *d = arg;
	struct fl_match m;
	char match[1024], acts[1024], line[2304];
	uint64_t used = __atomic_load_n(&e->used, __ATOMIC_RELAXED);
	int n;

	if (d->oom)
		return;
	fl_mf_entry_get_match(e, &m);
	if (fl_match_format(&m, FL_PRIORITY_DEFAULT, match, sizeof(match)) < 0)
		snprintf(match, sizeof(match), "(match too long)");
	if (fl_dp_actions_format(e->actions, acts, sizeof(acts)) < 0)
		snprintf(acts, sizeof(acts), "(actions too long)");
	n = snprintf(line, sizeof(line),
		     "%s, packets:%" PRIu64 ", bytes:%" PRIu64 ", used:%.3fs, actions:%s\n",
		     match[0] ? match : "(any)", fl_counter_read(&e->n_packets),
		     fl_counter_read(&e->n_bytes),
		     used && used <= d->now_ns ? (double)(d->now_ns - used) / 1e9 : 0.0, acts);
	append(d, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
}

static void do_dump(struct fl_worker *w, void *arg)
{
	struct dump_call *d = arg;

	d->now_ns = fl_time_ns();
	fl_mf_foreach(w->mf, dump_entry, d);
}

int fl_switch_dump_megaflows(struct fl_switch *sw, unsigned i, fl_switch_line_fn *fn, void *ctx)
{
	struct dump_call d = {0};
	char *line, *nl;
	int ret;

	ret = fl_switch_call(sw, i, do_dump, &d, CALL_TIMEOUT_MS);
	if (ret < 0)
		return ret; /* d may still be written: leak rather than free under it */
	if (d.oom) {
		free(d.text);
		return -ENOMEM;
	}
	for (line = d.text; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		fn(ctx, line);
	}
	free(d.text);
	return 0;
}

struct capture_call {
	struct fl_capture_ring *ring;
};

static void do_set_capture(struct fl_worker *w, void *arg)
{
	struct capture_call *c = arg;

	w->capture = c->ring;
}

void fl_switch__capture_detach(struct fl_switch *sw)
{
	unsigned i;

	for (i = 0; i < sw->n_workers; i++) {
		struct capture_call c = {NULL};

		fl_switch_call(sw, i, do_set_capture, &c, CALL_TIMEOUT_MS);
	}
}

struct fl_capture *fl_switch_capture_start(struct fl_switch *sw, const char *name, unsigned dir,
					   const char *filter, uint64_t max_packets,
					   unsigned snaplen, char *err, size_t errlen)
{
	struct fl_port *port = fl_dp_find_port(sw->dp, name);
	struct fl_capture *c;
	unsigned i;

	if (!port) {
		snprintf(err, errlen, "capture: no port '%s'", name);
		errno = ENOENT;
		return NULL;
	}
	if (sw->capture) {
		snprintf(err, errlen, "capture: one is already running on port %s",
			 fl_capture_port(sw->capture)->name);
		errno = EBUSY;
		return NULL;
	}
	c = fl_capture_create(port, dir, filter, max_packets, snaplen, sw->n_workers, err, errlen);
	if (!c)
		return NULL;
	for (i = 0; i < sw->n_workers; i++) {
		struct capture_call cc = {fl_capture_ring(c, i)};

		if (fl_switch_call(sw, i, do_set_capture, &cc, CALL_TIMEOUT_MS) < 0) {
			fl_switch__capture_detach(sw);
			snprintf(err, errlen, "capture: worker %u did not answer", i);
			fl_capture_free(c);
			errno = ETIMEDOUT;
			return NULL;
		}
	}
	sw->capture = c;
	return c;
}

void fl_switch_capture_stop(struct fl_switch *sw, struct fl_capture *c)
{
	if (!c)
		return;
	if (sw->capture == c) {
		fl_switch__capture_detach(sw);
		sw->capture = NULL;
	}
	fl_capture_free(c);
}
