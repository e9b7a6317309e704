/* Inspection commands: dump-caches (per-worker EMC and megaflow counters and
 * the megaflows with their masks) and trace (a packet given as flow text or
 * as frame bytes, through worker 0's caches and the pipeline, with no side
 * effects).
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "proto/parse.h"

static void line_to_json(void *ctx, const char *line)
{
	fl_jw_str(ctx, line);
}

int ctl_cmd_dump_caches(struct ctl_call *c)
{
	struct fl_switch *sw = c->ctl->sw;
	unsigned i, n = fl_switch_n_workers(sw);
	struct fl_jw *w = c->res;

	fl_jw_key(w, "workers");
	fl_jw_arr(w);
	for (i = 0; i < n; i++) {
		struct fl_switch_worker_info wi;
		int ret;

		if (fl_switch_worker_info(sw, i, &wi))
			continue;
		fl_jw_obj(w);
		fl_jw_ku64(w, "id", wi.id);
		fl_jw_ku64(w, "packets", wi.stats.packets);
		fl_jw_ku64(w, "burst_repeats", wi.stats.batched_dups);
		fl_jw_ku64(w, "emc_hits", wi.stats.emc_hits);
		fl_jw_ku64(w, "megaflow_hits", wi.stats.mf_hits);
		fl_jw_ku64(w, "upcalls", wi.stats.upcalls);
		fl_jw_ku64(w, "revalidations", wi.stats.revalidations);
		fl_jw_ku64(w, "uncached", wi.stats.uncached);
		fl_jw_ku64(w, "megaflow_install_failed", wi.stats.mf_install_failed);
		fl_jw_ku64(w, "upcall_failed", wi.stats.upcall_failed);
		fl_jw_key(w, "emc");
		fl_jw_obj(w);
		fl_jw_ku64(w, "hits", wi.emc.hits);
		fl_jw_ku64(w, "misses", wi.emc.misses);
		fl_jw_ku64(w, "inserts", wi.emc.inserts);
		fl_jw_ku64(w, "evictions", wi.emc.evictions);
		fl_jw_obj_end(w);
		fl_jw_key(w, "megaflow");
		fl_jw_obj(w);
		fl_jw_ku64(w, "entries", wi.mf.entries);
		fl_jw_ku64(w, "subtables", wi.mf.subtables);
		fl_jw_ku64(w, "hits", wi.mf.hits);
		fl_jw_ku64(w, "misses", wi.mf.misses);
		fl_jw_ku64(w, "inserts", wi.mf.inserts);
		fl_jw_ku64(w, "removals", wi.mf.removals);
		fl_jw_ku64(w, "evictions", wi.mf.evictions);
		fl_jw_ku64(w, "expirations", wi.mf.expirations);
		fl_jw_kdouble(w, "probed_per_hit", wi.mf.avg_probed_per_hit);
		fl_jw_obj_end(w);
		fl_jw_key(w, "megaflows");
		fl_jw_arr(w);
		ret = fl_switch_dump_megaflows(sw, i, line_to_json, w);
		fl_jw_arr_end(w);
		if (ret < 0)
			fl_jw_kstr(w, "megaflows_error", strerror(-ret));
		fl_jw_obj_end(w);
	}
	fl_jw_arr_end(w);
	return 0;
}

/* "00 11 22..." or "001122..." (spaces, colons, newlines ignored). */
static int hex_frame(const char *hex, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	for (; *hex; hex++) {
		int hi, lo;

		if (*hex == ' ' || *hex == ':' || *hex == '\n' || *hex == '\t')
			continue;
		hi = fl_hex_digit((unsigned char)hex[0]);
		lo = hi < 0 ? -1 : fl_hex_digit((unsigned char)hex[1]);
		if (lo < 0 || n == cap)
			return -EINVAL;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		hex++;
	}
	*len = n;
	return n ? 0 : -EINVAL;
}

/* The key of a frame given as hex, parsed as a worker would. */
static int key_of_hex(struct ctl_call *c, const char *hex, uint32_t in_port, struct fl_key *key)
{
	struct fl_pool_cache *cache = malloc(sizeof(*cache));
	struct fl_pkt *pkt;
	size_t len;
	int ret = 0;

	if (!cache)
		return ctl_fail(c, -ENOMEM, "out of memory");
	fl_pool_cache_init(cache, fl_switch_dp(c->ctl->sw)->pool, 1);
	if (fl_pool_get_burst(cache, &pkt, 1) != 1) {
		ret = ctl_fail(c, -ENOBUFS, "trace: no free packet buffer");
		goto out;
	}
	if (hex_frame(hex, fl_pkt_data(pkt), FL_PKT_DATAROOM, &len)) {
		ret = ctl_fail(c, -EINVAL, "trace: expected a frame as hex bytes (at most %u)",
			       FL_PKT_DATAROOM);
	} else {
		pkt->len = (uint16_t)len;
		pkt->in_port = in_port;
		fl_parse(pkt, key);
	}
	fl_pool_put(cache, pkt);
out:
	fl_pool_cache_flush(cache);
	free(cache);
	return ret;
}

int ctl_cmd_trace(struct ctl_call *c)
{
	struct fl_flow_spec spec;
	struct fl_trace t;
	struct fl_key key;
	const char *packet;
	uint64_t in_port = 1;
	bool hex = false;
	char keytext[2048];
	char *text;
	int ret;

	if (ctl_arg_str(c, "packet", true, &packet) || ctl_arg_bool(c, "hex", &hex) ||
	    ctl_arg_u64(c, "in_port", false, 0, FL_PORT_MAX, &in_port))
		return -EINVAL;
	if (hex) {
		ret = key_of_hex(c, packet, (uint32_t)in_port, &key);
		if (ret < 0)
			return ret;
	} else {
		ret = fl_flow_parse(packet, FL_FLOW_DELETE,
				    fl_pipeline_port_resolver(fl_switch_pipeline(c->ctl->sw)),
				    &spec, c->err, sizeof(c->err));
		if (ret < 0)
			return ret;
		key = spec.match.value;
		fl_flow_spec_uninit(&spec);
	}
	text = malloc(65536);
	if (!text)
		return ctl_fail(c, -ENOMEM, "out of memory");
	fl_trace_init(&t, text, 65536);
	ret = fl_switch_trace(c->ctl->sw, &key, &t);
	if (ret < 0) {
		free(text);
		return ctl_fail(c, ret, "trace: %s", strerror(-ret));
	}
	fl_key_format(&key, keytext, sizeof(keytext));
	fl_jw_kstr(c->res, "key", keytext);
	fl_jw_kstr(c->res, "trace", text);
	free(text);
	return 0;
}
