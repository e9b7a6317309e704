/* flowctl's human-readable output: one printer per command, from the
 * daemon's JSON result. dump-flows prints ovs-ofctl's line format so people
 * (and scripts written for OVS) read it as they are used to. */
#include "flowctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t u(const struct fl_json *o, const char *key)
{
	uint64_t v = 0;

	fl_json_u64(fl_json_get(o, key), &v);
	return v;
}

static const char *s(const struct fl_json *o, const char *key)
{
	const char *v = fl_json_str(fl_json_get(o, key));

	return v ? v : "";
}

static bool b(const struct fl_json *o, const char *key)
{
	bool v = false;

	fl_json_bool(fl_json_get(o, key), &v);
	return v;
}

static size_t n_items(const struct fl_json *arr)
{
	return arr && arr->type == FL_JSON_ARRAY ? arr->arr.n : 0;
}

void flowctl_print_show(FILE *out, const struct fl_json *res)
{
	const struct fl_json *ports = fl_json_get(res, "ports");
	const struct fl_json *workers = fl_json_get(res, "workers");
	const struct fl_json *pl = fl_json_get(res, "pipeline");
	size_t i, q;

	fprintf(out, "ports: %zu\n", n_items(ports));
	for (i = 0; i < n_items(ports); i++) {
		const struct fl_json *p = ports->arr.v[i];
		const struct fl_json *rxw = fl_json_get(p, "rxq_workers");

		fprintf(out, "  %3" PRIu64 " %-12s %-28s %s", u(p, "port_no"), s(p, "name"),
			s(p, "spec"), !b(p, "open") ? "NOT OPEN" : b(p, "up") ? "up" : "DOWN");
		if (b(p, "open")) {
			fprintf(out, ", mtu %" PRIu64 ", %" PRIu64 " rxq (worker", u(p, "mtu"),
				u(p, "n_rxq"));
			for (q = 0; q < n_items(rxw); q++) {
				uint64_t wk = 0;

				fl_json_u64(rxw->arr.v[q], &wk);
				fprintf(out, "%s%" PRIu64, q ? "," : " ", wk);
			}
			fprintf(out, "), %" PRIu64 " txq", u(p, "n_txq"));
			if (u(p, "link_changes"))
				fprintf(out, ", %" PRIu64 " link changes", u(p, "link_changes"));
		}
		if (s(p, "error")[0])
			fprintf(out, "\n      error: %s", s(p, "error"));
		fputc('\n', out);
	}
	fprintf(out, "workers: %zu\n", n_items(workers));
	for (i = 0; i < n_items(workers); i++) {
		const struct fl_json *w = workers->arr.v[i];
		int64_t cpu = fl_json_get(w, "cpu") ? fl_json_get(w, "cpu")->num.i : -1;

		fprintf(out, "  %" PRIu64 ": cpu %" PRId64 ", %" PRIu64 " rx queues, %" PRIu64
			     " packets, %" PRIu64 " loops (%" PRIu64 " idle), %" PRIu64 " sleeps",
			u(w, "id"), cpu, u(w, "rxqs"), u(w, "packets"), u(w, "loops"),
			u(w, "idle_loops"), u(w, "sleeps"));
		/* polling gave way to other tasks on the worker's CPU */
		if (u(w, "polls_cut_short"))
			fprintf(out, " (%" PRIu64 " of them early: CPU shared)",
				u(w, "polls_cut_short"));
		fputc('\n', out);
	}
	fprintf(out, "pipeline: %" PRIu64 " rules, version %" PRIu64 ", %" PRIu64
		     " MAC entries\n",
		u(pl, "rules"), u(pl, "version"), u(pl, "mac_entries"));
}

static void flag_words(FILE *out, uint64_t flags)
{
	static const char *const names[] = {"send_flow_rem", "check_overlap", "reset_counts",
					    "no_packet_counts", "no_byte_counts"};
	unsigned i;

	for (i = 0; i < 5; i++)
		if (flags & (1u << i))
			fprintf(out, "%s ", names[i]);
}

void flowctl_print_dump_flows(FILE *out, const struct fl_json *res)
{
	const struct fl_json *flows = fl_json_get(res, "flows");
	size_t i;

	for (i = 0; i < n_items(flows); i++) {
		const struct fl_json *f = flows->arr.v[i];
		const char *match = s(f, "match");

		fprintf(out, " cookie=0x%" PRIx64 ", duration=%.3fs, table=%" PRIu64
			     ", n_packets=%" PRIu64 ", n_bytes=%" PRIu64 ", ",
			u(f, "cookie"), (double)u(f, "duration_ns") / 1e9, u(f, "table"),
			u(f, "n_packets"), u(f, "n_bytes"));
		if (u(f, "idle_timeout"))
			fprintf(out, "idle_timeout=%" PRIu64 ", ", u(f, "idle_timeout"));
		if (u(f, "hard_timeout"))
			fprintf(out, "hard_timeout=%" PRIu64 ", ", u(f, "hard_timeout"));
		fprintf(out, "idle_age=%" PRIu64 ", ", u(f, "idle_ns") / 1000000000u);
		flag_words(out, u(f, "flags"));
		fprintf(out, "%s%sactions=%s\n", match, match[0] ? " " : "", s(f, "actions"));
	}
}

static void drop_line(FILE *out, const struct fl_json *drops)
{
	uint64_t total = 0;
	size_t i;
	bool any = false;

	for (i = 0; drops && drops->type == FL_JSON_OBJECT && i < drops->obj.n; i++)
		total += u(drops, drops->obj.m[i].key);
	fprintf(out, ", drop=%" PRIu64, total);
	for (i = 0; total && i < drops->obj.n; i++) {
		uint64_t n = u(drops, drops->obj.m[i].key);

		if (!n)
			continue;
		fprintf(out, "%s%s=%" PRIu64, any ? ", " : " (", drops->obj.m[i].key, n);
		any = true;
	}
	fprintf(out, "%s\n", any ? ")" : "");
}

void flowctl_print_dump_ports(FILE *out, const struct fl_json *res)
{
	const struct fl_json *ports = fl_json_get(res, "ports");
	size_t i;

	for (i = 0; i < n_items(ports); i++) {
		const struct fl_json *p = ports->arr.v[i];

		fprintf(out, "  port %3" PRIu64 " %s: %s\n", u(p, "port_no"), s(p, "name"),
			!b(p, "open") ? "not open" : b(p, "up") ? "up" : "down");
		if (!b(p, "open"))
			continue;
		fprintf(out, "           rx pkts=%" PRIu64 ", bytes=%" PRIu64, u(p, "rx_packets"),
			u(p, "rx_bytes"));
		drop_line(out, fl_json_get(p, "rx_drops"));
		fprintf(out, "           tx pkts=%" PRIu64 ", bytes=%" PRIu64, u(p, "tx_packets"),
			u(p, "tx_bytes"));
		drop_line(out, fl_json_get(p, "tx_drops"));
	}
}

void flowctl_print_dump_caches(FILE *out, const struct fl_json *res)
{
	const struct fl_json *workers = fl_json_get(res, "workers");
	size_t i, m;

	for (i = 0; i < n_items(workers); i++) {
		const struct fl_json *w = workers->arr.v[i];
		const struct fl_json *emc = fl_json_get(w, "emc"), *mf = fl_json_get(w, "megaflow");
		const struct fl_json *flows = fl_json_get(w, "megaflows");
		const struct fl_json *probed = fl_json_get(mf, "probed_per_hit");

		fprintf(out, "worker %" PRIu64 ": %" PRIu64 " packets: %" PRIu64 " burst repeats, %"
			     PRIu64 " EMC hits, %" PRIu64 " megaflow hits, %" PRIu64 " upcalls, %"
			     PRIu64 " revalidations\n",
			u(w, "id"), u(w, "packets"), u(w, "burst_repeats"), u(w, "emc_hits"),
			u(w, "megaflow_hits"), u(w, "upcalls"), u(w, "revalidations"));
		fprintf(out, "  emc: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64 " inserts, %"
			     PRIu64 " evictions\n",
			u(emc, "hits"), u(emc, "misses"), u(emc, "inserts"), u(emc, "evictions"));
		fprintf(out, "  megaflows: %" PRIu64 " in %" PRIu64 " subtables (%.2f probed per "
			     "hit), %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64 " evicted, %"
			     PRIu64 " expired\n",
			u(mf, "entries"), u(mf, "subtables"),
			probed && probed->type == FL_JSON_NUMBER ? probed->num.d : 0.0, u(mf, "hits"),
			u(mf, "misses"), u(mf, "evictions"), u(mf, "expirations"));
		for (m = 0; m < n_items(flows); m++)
			fprintf(out, "    %s\n", fl_json_str(flows->arr.v[m]) ?: "");
	}
}

void flowctl_print_trace(FILE *out, const struct fl_json *res)
{
	const char *t = s(res, "trace");

	fprintf(out, "trace: %s\n%s", s(res, "key"), t);
	if (t[0] && t[strlen(t) - 1] != '\n')
		fputc('\n', out);
}

void flowctl_print_settings(FILE *out, const struct fl_json *res)
{
	const struct fl_json *set = fl_json_get(res, "settings");
	const struct fl_json *miss = fl_json_get(res, "table_miss");
	size_t i;

	for (i = 0; i < n_items(set); i++) {
		const struct fl_json *x = set->arr.v[i];
		const struct fl_json *v = fl_json_get(x, "value"), *e = fl_json_get(x, "effective");
		char val[32], eff[32];

		if (v && v->type == FL_JSON_BOOL)
			snprintf(val, sizeof(val), "%s", v->b ? "on" : "off");
		else if (u(x, "value"))
			snprintf(val, sizeof(val), "%" PRIu64, u(x, "value"));
		else
			snprintf(val, sizeof(val), "default");
		if (e && e->type == FL_JSON_BOOL)
			snprintf(eff, sizeof(eff), "%s", e->b ? "on" : "off");
		else if (u(x, "effective"))
			snprintf(eff, sizeof(eff), "%" PRIu64, u(x, "effective"));
		else
			snprintf(eff, sizeof(eff), "the default");
		fprintf(out, "%-20s %-10s (in effect: %s)%s\n", s(x, "name"), val, eff,
			b(x, "start_only") ? " [at start]" : "");
	}
	if (!miss || miss->type != FL_JSON_OBJECT)
		return;
	fprintf(out, "%-20s ", "table-miss");
	if (!miss->obj.n)
		fprintf(out, "drop in every table");
	for (i = 0; i < miss->obj.n; i++)
		fprintf(out, "%s%s=%s", i ? " " : "", miss->obj.m[i].key,
			fl_json_str(miss->obj.m[i].value) ?: "?");
	fprintf(out, "%s\n", miss->obj.n ? " (others drop)" : "");
}

void flowctl_print_version(FILE *out, const struct fl_json *res)
{
	fprintf(out, "flowlane %s, up %.0f s, state file %s\n", s(res, "version"),
		(double)u(res, "uptime_ns") / 1e9, s(res, "state_file"));
}
