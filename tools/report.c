/* Counter reports: a table for people, one JSON object for scripts. */
#include "report.h"

#include <inttypes.h>

#include "core/time.h"

static void print_drops_json(FILE *out, const uint64_t *drops)
{
	unsigned d;

	fputc('{', out);
	for (d = 0; d < FL_PORT_DROP_MAX; d++)
		fprintf(out, "%s\"%s\":%" PRIu64, d ? "," : "", fl_port_drop_name(d), drops[d]);
	fputc('}', out);
}

static void print_json(FILE *out, struct fl_dp *dp, const struct fl_worker_stats *ws,
		       const struct fl_emc_stats *es, const struct fl_mf_stats *ms, uint64_t elapsed_ns)
{
	double secs = (double)elapsed_ns / 1e9;
	unsigned i, e;

	fprintf(out, "{\"elapsed_s\":%.6f,\"ports\":[", secs);
	for (i = 0; i < dp->n_ports; i++) {
		struct fl_port *port = dp->ports[i];
		struct fl_port_stats st;

		fl_port_get_stats(port, &st);
		fprintf(out,
			"%s{\"name\":\"%s\",\"port_no\":%" PRIu32 ",\"type\":\"%s\","
			"\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ","
			"\"tx_packets\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"rx_drops\":",
			i ? "," : "", port->name, port->port_no, port->ops->type, st.rx_packets,
			st.rx_bytes, st.tx_packets, st.tx_bytes);
		print_drops_json(out, st.rx_drops);
		fputs(",\"tx_drops\":", out);
		print_drops_json(out, st.tx_drops);
		fputc('}', out);
	}
	fprintf(out,
		"],\"worker\":{\"packets\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"loops\":%" PRIu64
		",\"idle_loops\":%" PRIu64 ",\"sleeps\":%" PRIu64 ",\"busy_cycles\":%" PRIu64
		",\"pps\":%.0f},",
		ws->packets, ws->batches, ws->loops, ws->idle_loops, ws->sleeps, ws->busy_cycles,
		secs > 0 ? (double)ws->packets / secs : 0.0);
	fprintf(out,
		"\"caches\":{\"burst_repeats\":%" PRIu64 ",\"emc_hits\":%" PRIu64 ",\"megaflow_hits\":%" PRIu64
		",\"upcalls\":%" PRIu64 ",\"revalidations\":%" PRIu64 ",\"uncached\":%" PRIu64
		",\"megaflows\":%" PRIu64 ",\"megaflow_subtables\":%" PRIu64
		",\"megaflow_evictions\":%" PRIu64 ",\"megaflow_expirations\":%" PRIu64
		",\"emc_inserts\":%" PRIu64 ",\"emc_evictions\":%" PRIu64
		",\"subtables_per_hit\":%.3f},",
		ws->batched_dups, ws->emc_hits, ws->mf_hits, ws->upcalls, ws->revalidations, ws->uncached, ms->entries,
		ms->subtables, ms->evictions, ms->expirations, es->inserts, es->evictions,
		ms->avg_probed_per_hit);
	fprintf(out,
		"\"actions\":{\"dropped\":%" PRIu64 ",\"no_port\":%" PRIu64 ",\"copies\":%" PRIu64
		",\"clone_failed\":%" PRIu64 ",\"bad_header\":%" PRIu64 "},\"parse_errors\":{",
		ws->exec.dropped_by_actions, ws->exec.no_port, ws->exec.copies, ws->exec.clone_failed,
		ws->exec.bad_header);
	for (e = 1; e < FL_PARSE_ERR_MAX; e++)
		fprintf(out, "%s\"%s\":%" PRIu64, e > 1 ? "," : "", fl_parse_err_name(e),
			ws->parse.errors[e]);
	fputs("}}\n", out);
}

static void print_drop_line(FILE *out, const char *port, const char *dir, const uint64_t *drops)
{
	unsigned d;

	for (d = 0; d < FL_PORT_DROP_MAX; d++)
		if (drops[d])
			fprintf(out, "  %-12s %s %-10s %12" PRIu64 "  (%s)\n", port, dir,
				fl_port_drop_name(d), drops[d], fl_port_drop_text(d));
}

static void print_text(FILE *out, struct fl_dp *dp, const struct fl_worker_stats *ws,
		       const struct fl_emc_stats *es, const struct fl_mf_stats *ms, uint64_t elapsed_ns)
{
	double secs = (double)elapsed_ns / 1e9;
	bool any = false;
	unsigned i, e;

	fprintf(out, "%-12s %5s %14s %16s %14s %16s\n", "port", "no", "rx_packets", "rx_bytes",
		"tx_packets", "tx_bytes");
	for (i = 0; i < dp->n_ports; i++) {
		struct fl_port_stats st;

		fl_port_get_stats(dp->ports[i], &st);
		fprintf(out, "%-12s %5" PRIu32 " %14" PRIu64 " %16" PRIu64 " %14" PRIu64
			     " %16" PRIu64 "\n",
			dp->ports[i]->name, dp->ports[i]->port_no, st.rx_packets, st.rx_bytes,
			st.tx_packets, st.tx_bytes);
	}
	for (i = 0; i < dp->n_ports; i++) {
		struct fl_port_stats st;
		unsigned d;

		fl_port_get_stats(dp->ports[i], &st);
		for (d = 0; d < FL_PORT_DROP_MAX; d++) {
			if (!st.rx_drops[d] && !st.tx_drops[d])
				continue;
			if (!any)
				fputs("drops:\n", out);
			any = true;
			break;
		}
		print_drop_line(out, dp->ports[i]->name, "rx", st.rx_drops);
		print_drop_line(out, dp->ports[i]->name, "tx", st.tx_drops);
	}
	for (e = 1; e < FL_PARSE_ERR_MAX; e++)
		if (ws->parse.errors[e])
			fprintf(out, "parse error %-14s %12" PRIu64 "  (%s)\n", fl_parse_err_name(e),
				ws->parse.errors[e], fl_parse_err_text(e));
	fprintf(out, "worker: %" PRIu64 " packets in %" PRIu64 " batches (%.1f per batch), "
		     "%" PRIu64 " loops, %" PRIu64 " idle, %" PRIu64 " sleeps",
		ws->packets, ws->batches,
		ws->batches ? (double)ws->packets / (double)ws->batches : 0.0, ws->loops,
		ws->idle_loops, ws->sleeps);
	if (ws->packets)
		fprintf(out, ", %.1f cycles/packet busy",
			(double)ws->busy_cycles / (double)ws->packets);
	fputc('\n', out);
	fprintf(out,
		"caches: %" PRIu64 " burst repeats, %" PRIu64 " EMC hits, %" PRIu64 " megaflow hits, %" PRIu64 " upcalls, %" PRIu64
		" revalidations; %" PRIu64 " megaflows in %" PRIu64 " subtables (%.2f probed per hit), "
		"%" PRIu64 " evicted, %" PRIu64 " expired; EMC %" PRIu64 " inserts, %" PRIu64
		" evictions\n",
		ws->batched_dups, ws->emc_hits, ws->mf_hits, ws->upcalls, ws->revalidations, ms->entries,
		ms->subtables, ms->avg_probed_per_hit, ms->evictions, ms->expirations, es->inserts,
		es->evictions);
	if (ws->exec.dropped_by_actions || ws->exec.no_port || ws->exec.bad_header ||
	    ws->exec.clone_failed)
		fprintf(out,
			"actions: %" PRIu64 " dropped by rules, %" PRIu64 " to missing ports, %" PRIu64
			" without a header to rewrite, %" PRIu64 " copies failed\n",
			ws->exec.dropped_by_actions, ws->exec.no_port, ws->exec.bad_header,
			ws->exec.clone_failed);
	fprintf(out, "elapsed %.3f s, %.3f Mpps received\n", secs,
		secs > 0 ? (double)ws->packets / secs / 1e6 : 0.0);
}

void fl_report_print(FILE *out, struct fl_dp *dp, const struct fl_worker *w,
		     uint64_t elapsed_ns, int json)
{
	struct fl_worker_stats ws;
	struct fl_emc_stats es;
	struct fl_mf_stats ms;

	fl_worker_get_stats(w, &ws);
	fl_worker_get_cache_stats(w, &es, &ms);
	if (json)
		print_json(out, dp, &ws, &es, &ms, elapsed_ns);
	else
		print_text(out, dp, &ws, &es, &ms, elapsed_ns);
	fflush(out);
}

unsigned fl_report_port_errors(FILE *out, const struct fl_dp *dp)
{
	unsigned i, n = 0;

	for (i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i]->error[0]) {
			fprintf(out, "flowlane: port %s: %s\n", dp->ports[i]->name,
				dp->ports[i]->error);
			n++;
		}
	}
	return n;
}
