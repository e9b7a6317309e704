/* capture: copies of the frames a port receives (or sends), streamed to the
 * client while switching goes on.
 *
 *   client: {"cmd":"capture","args":{"port":"p1","count":10}}
 *   daemon: {"ok":true,"result":{"port":"p1","snaplen":2048,"linktype":1}}
 *           {"frame":{"ts_ns":...,"len":60,"data":"<base64>"}}    (repeated)
 *           {"ok":true,"result":{"packets":10,"dropped":0}}        (the end)
 *
 * The workers copy frames into per-worker rings (datapath/capture.c); the
 * server drains them from the control loop, and only while the client's
 * output buffer is short, so a slow reader makes the rings fill and frames
 * be counted as dropped — never the switch wait. The stream ends when
 * `count` frames were copied, when the client sends any line (flowctl does
 * on Ctrl-C), or when the port is deleted; the client closing the
 * connection stops it too. Timestamps go out as CLOCK_REALTIME nanoseconds
 * (pcap wants wall-clock time).
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


struct fl_ctl_session *fl_ctl_session_new(void)
{
	return calloc(1, sizeof(struct fl_ctl_session));
}

static void stop_capture(struct fl_control *ctl, struct fl_ctl_session *s)
{
	if (!s->cap)
		return;
	fl_switch_capture_stop(ctl->sw, s->cap);
	s->cap = NULL;
	if (ctl->capturing == s)
		ctl->capturing = NULL;
}

void fl_ctl_session_free(struct fl_control *ctl, struct fl_ctl_session *s)
{
	if (!s)
		return;
	stop_capture(ctl, s);
	free(s);
}

bool fl_ctl_session_streaming(const struct fl_ctl_session *s)
{
	return s->cap != NULL;
}

static void base64(struct fl_jw *w, const uint8_t *p, unsigned n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4 * ((FL_PKT_DATAROOM + 2) / 3) + 4];
	unsigned i, o = 0;

	if (n > FL_PKT_DATAROOM)
		n = FL_PKT_DATAROOM;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	fl_jw_strn(w, out, o);
}

struct drain_ctx {
	struct fl_ctl_session *s;
	struct fl_jw *out;
};

static void frame_line(void *arg, uint64_t ts_ns, const uint8_t *data, unsigned caplen,
		       unsigned len)
{
	struct drain_ctx *d = arg;
	struct fl_jw *w = d->out;

	/* the switch stamps copies with the wall-clock time (switch.h) */
	fl_jw_obj(w);
	fl_jw_key(w, "frame");
	fl_jw_obj(w);
	fl_jw_ku64(w, "ts_ns", ts_ns);
	fl_jw_ku64(w, "len", len);
	fl_jw_key(w, "data");
	base64(w, data, caplen);
	fl_jw_obj_end(w);
	fl_jw_obj_end(w);
	fl_jw_raw(w, "\n", 1);
	d->s->frames++;
	d->s->bytes += len;
}

static void finish(struct fl_control *ctl, struct fl_ctl_session *s, struct fl_jw *out)
{
	uint64_t dropped = fl_capture_dropped(s->cap);

	stop_capture(ctl, s);
	fl_jw_obj(out);
	fl_jw_kbool(out, "ok", true);
	fl_jw_key(out, "result");
	fl_jw_obj(out);
	fl_jw_ku64(out, "packets", s->frames);
	fl_jw_ku64(out, "bytes", s->bytes);
	fl_jw_ku64(out, "dropped", dropped);
	fl_jw_obj_end(out);
	fl_jw_obj_end(out);
	fl_jw_raw(out, "\n", 1);
	s->stopping = false;
	s->done_seen = false;
}

bool fl_ctl_session_drain(struct fl_control *ctl, struct fl_ctl_session *s, struct fl_jw *out,
			  size_t max_out)
{
	struct drain_ctx d = {s, out};
	bool done;

	if (!s->cap)
		return true;
	if (out->len >= max_out && !s->stopping)
		return false;
	/* count reached: workers publish a batch's records after claiming
	 * them, so drain once more on the next round before ending */
	done = fl_capture_done(s->cap);
	fl_capture_drain(s->cap, frame_line, &d);
	if (s->stopping || (done && s->done_seen)) {
		finish(ctl, s, out);
		return true;
	}
	s->done_seen = done;
	return false;
}

void fl_ctl_session_stop(struct fl_control *ctl, struct fl_ctl_session *s, struct fl_jw *out)
{
	struct drain_ctx d = {s, out};

	if (!s->cap)
		return;
	fl_capture_drain(s->cap, frame_line, &d);
	finish(ctl, s, out);
}

static int parse_dir(const char *dir, unsigned *out)
{
	if (!strcmp(dir, "rx"))
		*out = FL_CAPTURE_RX;
	else if (!strcmp(dir, "tx"))
		*out = FL_CAPTURE_TX;
	else if (!strcmp(dir, "both"))
		*out = FL_CAPTURE_RX | FL_CAPTURE_TX;
	else
		return -EINVAL;
	return 0;
}

int ctl_cmd_capture(struct ctl_call *c)
{
	struct fl_control *ctl = c->ctl;
	struct fl_ctl_session *s = c->session;
	const char *port, *filter = "", *dirname = "rx";
	uint64_t count = 0, snaplen = FL_PKT_DATAROOM;
	struct ctl_port *p;
	unsigned dir;

	if (ctl_arg_str(c, "port", true, &port) || ctl_arg_str(c, "filter", false, &filter) ||
	    ctl_arg_str(c, "dir", false, &dirname) ||
	    ctl_arg_u64(c, "count", false, 0, UINT64_MAX, &count) ||
	    ctl_arg_u64(c, "snaplen", false, 14, FL_PKT_DATAROOM, &snaplen))
		return -EINVAL;
	if (!s)
		return ctl_fail(c, -EINVAL, "capture: only over a connection");
	if (parse_dir(dirname, &dir))
		return ctl_fail(c, -EINVAL, "capture: dir '%s': rx, tx or both", dirname);
	p = ctl_port_find(ctl, port);
	if (!p)
		return ctl_fail(c, -ENOENT, "capture: no port '%s'", port);
	if (!p->open)
		return ctl_fail(c, -ENODEV, "capture: port %s is not open: %s", p->name, p->error);
	s->cap = fl_switch_capture_start(ctl->sw, p->name, dir, filter, count, (unsigned)snaplen,
					 c->err, sizeof(c->err));
	if (!s->cap)
		return -EINVAL;
	s->frames = s->bytes = 0;
	s->stopping = s->done_seen = false;
	snprintf(s->port, sizeof(s->port), "%s", p->name);
	ctl->capturing = s;
	c->stream = true;
	fl_jw_kstr(c->res, "port", p->name);
	fl_jw_kstr(c->res, "dir", dirname);
	fl_jw_ku64(c->res, "snaplen", snaplen);
	fl_jw_ku64(c->res, "linktype", 1); /* DLT_EN10MB */
	return 0;
}

void ctl_capture_port_gone(struct fl_control *ctl, const char *name)
{
	if (ctl->capturing && !strcmp(ctl->capturing->port, name))
		ctl->capturing->stopping = true;
}
