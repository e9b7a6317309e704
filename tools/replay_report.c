/* flowlane replay: the summary at the end and --trace's outcome lines.
 *
 * Packets in (per port, by the interface they were captured on), packets out
 * per port (what each port file holds), drops by reason — the datapath's own
 * counters: lists with no output, outputs to missing ports, the ports' tx
 * drops (too_big for frames over the MTU) — plus what the capture held that
 * could not be replayed, and hits per cache level.
 */
#include <inttypes.h>
#include <string.h>

#include "replay_private.h"

struct totals {
	struct fl_worker_stats ws;
	struct fl_emc_stats es;
	struct fl_mf_stats ms;
	struct fl_pipeline_stats ps;
	uint64_t tx_drops[FL_PORT_DROP_MAX]; /* over every port */
};

static void get_totals(const struct replay_report *rep, struct totals *t)
{
	unsigned i, d;

	memset(t, 0, sizeof(*t));
	fl_worker_get_stats(rep->w, &t->ws);
	fl_worker_get_cache_stats(rep->w, &t->es, &t->ms);
	fl_pipeline_get_stats(rep->dp->pl, &t->ps);
	for (i = 0; i < rep->n_ports; i++) {
		struct fl_port_stats st;

		fl_port_get_stats(rep->ports[i].port, &st);
		for (d = 0; d < FL_PORT_DROP_MAX; d++)
			t->tx_drops[d] += st.tx_drops[d];
	}
}

/* A JSON string: names come from the command line and may hold anything. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct replay_report *rep, const struct totals *t)
{
	const struct replay_counts *c = rep->counts;
	unsigned i, d;

	fputs("{\"capture\":{\"file\":", out);
	json_str(out, rep->capture);
	fprintf(out, ",\"format\":\"%s\",\"sections\":%" PRIu32 ",\"interfaces\":%u},",
		c->ng ? "pcapng" : "pcap", c->n_sections, c->n_ifaces);
	fprintf(out,
		"\"packets_in\":%" PRIu64 ",\"injected\":%" PRIu64 ",\"skipped\":{\"cut_short\":%" PRIu64
		",\"too_big\":%" PRIu64 "},\"ports\":[",
		c->packets, c->injected, c->skipped_short, c->skipped_big);
	for (i = 0; i < rep->n_ports; i++) {
		const struct replay_port *p = &rep->ports[i];
		struct fl_port_stats st;

		fl_port_get_stats(p->port, &st);
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		json_str(out, p->name);
		fprintf(out,
			",\"port_no\":%" PRIu32 ",\"in\":%" PRIu64 ",\"out\":%" PRIu64
			",\"out_bytes\":%" PRIu64 ",\"drops\":{",
			p->no, p->in, st.tx_packets, st.tx_bytes);
		for (d = 0; d < FL_PORT_DROP_MAX; d++)
			fprintf(out, "%s\"%s\":%" PRIu64, d ? "," : "", fl_port_drop_name(d),
				st.tx_drops[d]);
		fputs("}}", out);
	}
	fprintf(out,
		"],\"drops\":{\"no_actions\":%" PRIu64 ",\"no_port\":%" PRIu64
		",\"bad_header\":%" PRIu64 ",\"clone_failed\":%" PRIu64 ",\"upcall_failed\":%" PRIu64
		",\"tx\":{",
		t->ws.exec.dropped_by_actions, t->ws.exec.no_port, t->ws.exec.bad_header,
		t->ws.exec.clone_failed, t->ws.upcall_failed);
	for (d = 0; d < FL_PORT_DROP_MAX; d++)
		fprintf(out, "%s\"%s\":%" PRIu64, d ? "," : "", fl_port_drop_name(d), t->tx_drops[d]);
	fprintf(out,
		"}},\"caches\":{\"emc_hits\":%" PRIu64 ",\"megaflow_hits\":%" PRIu64
		",\"upcalls\":%" PRIu64 ",\"revalidations\":%" PRIu64 ",\"uncached\":%" PRIu64
		",\"megaflows\":%" PRIu64 "},",
		t->ws.emc_hits, t->ws.mf_hits, t->ws.upcalls, t->ws.revalidations, t->ws.uncached,
		t->ms.entries);
	fprintf(out,
		"\"pipeline\":{\"translations\":%" PRIu64 ",\"ttl_expired\":%" PRIu64
		",\"controller\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"mac_learned\":%" PRIu64
		",\"mac_moved\":%" PRIu64 "},\"parse_errors\":{",
		t->ps.translations, t->ps.xlate_ttl_expired, t->ps.xlate_controller,
		t->ps.xlate_errors, t->ps.mac_learned, t->ps.mac_moved);
	for (d = 1; d < FL_PARSE_ERR_MAX; d++)
		fprintf(out, "%s\"%s\":%" PRIu64, d > 1 ? "," : "", fl_parse_err_name(d),
			t->ws.parse.errors[d]);
	fputs("}}\n", out);
}

/* One reason, under a "dropped:" heading printed before the first. */
static void drop_line(FILE *out, bool *any, uint64_t n, const char *what)
{
	if (!n)
		return;
	if (!*any)
		fputs("dropped:\n", out);
	*any = true;
	fprintf(out, "  %-60s %8" PRIu64 "\n", what, n);
}

static void print_text(FILE *out, const struct replay_report *rep, const struct totals *t)
{
	const struct replay_counts *c = rep->counts;
	uint64_t skipped = c->skipped_short + c->skipped_big;
	bool any = false;
	char what[128];
	unsigned i, d;

	fprintf(out, "replay: %" PRIu64 " packets from %s (%s, %" PRIu32 " section%s, %u interface%s)",
		c->packets, rep->capture, c->ng ? "pcapng" : "pcap", c->n_sections,
		c->n_sections == 1 ? "" : "s", c->n_ifaces, c->n_ifaces == 1 ? "" : "s");
	if (skipped)
		fprintf(out, ", %" PRIu64 " skipped", skipped);
	fprintf(out, "\n%-16s %5s %10s %10s %12s %10s\n", "port", "no", "in", "out", "out_bytes",
		"dropped");
	for (i = 0; i < rep->n_ports; i++) {
		struct fl_port_stats st;
		uint64_t dropped = 0;

		fl_port_get_stats(rep->ports[i].port, &st);
		for (d = 0; d < FL_PORT_DROP_MAX; d++)
			dropped += st.tx_drops[d];
		fprintf(out, "%-16s %5" PRIu32 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %10" PRIu64
			     "\n",
			rep->ports[i].name, rep->ports[i].no, rep->ports[i].in, st.tx_packets,
			st.tx_bytes, dropped);
	}
	drop_line(out, &any, c->skipped_short, "skipped: captured short of its length (snaplen)");
	drop_line(out, &any, c->skipped_big, "skipped: longer than a packet buffer (2048 bytes)");
	drop_line(out, &any, t->ws.exec.dropped_by_actions,
		  "no output (rule, table miss, output to in_port)");
	drop_line(out, &any, t->ws.exec.no_port, "output to a port that does not exist");
	drop_line(out, &any, t->ws.exec.bad_header, "rewrite of a header the packet lacks");
	drop_line(out, &any, t->ws.exec.clone_failed, "no buffer for a copy");
	drop_line(out, &any, t->ws.upcall_failed, "translation ran out of memory");
	for (i = 0; i < rep->n_ports; i++) {
		struct fl_port_stats st;

		fl_port_get_stats(rep->ports[i].port, &st);
		for (d = 0; d < FL_PORT_DROP_MAX; d++) {
			snprintf(what, sizeof(what), "%s on %s (%s)", fl_port_drop_name(d),
				 rep->ports[i].name, fl_port_drop_text(d));
			drop_line(out, &any, st.tx_drops[d], what);
		}
	}
	if (!any)
		fputs("dropped: none\n", out);
	for (d = 1; d < FL_PARSE_ERR_MAX; d++)
		if (t->ws.parse.errors[d])
			fprintf(out, "parse error %-14s %10" PRIu64 "  (%s; still matched by the flows)\n",
				fl_parse_err_name(d), t->ws.parse.errors[d], fl_parse_err_text(d));
	fprintf(out,
		"caches: %" PRIu64 " EMC hits, %" PRIu64 " megaflow hits, %" PRIu64 " upcalls, %" PRIu64
		" revalidations; %" PRIu64 " megaflows\n",
		t->ws.emc_hits, t->ws.mf_hits, t->ws.upcalls, t->ws.revalidations, t->ms.entries);
	fprintf(out,
		"pipeline: %" PRIu64 " translations, %" PRIu64 " with TTL expired, %" PRIu64
		" to CONTROLLER (not sent), %" PRIu64 " errors; MAC %" PRIu64 " learned, %" PRIu64
		" moved\n",
		t->ps.translations, t->ps.xlate_ttl_expired, t->ps.xlate_controller,
		t->ps.xlate_errors, t->ps.mac_learned, t->ps.mac_moved);
}

void replay_report_print(FILE *out, const struct replay_report *rep, bool json)
{
	struct totals t;

	get_totals(rep, &t);
	if (json)
		print_json(out, rep, &t);
	else
		print_text(out, rep, &t);
}

void replay_snapshot(const struct replay_report *rep, struct replay_snapshot *s)
{
	struct fl_worker_stats ws;
	unsigned i;

	for (i = 0; i < rep->n_ports; i++) {
		struct fl_port_stats st;

		fl_port_get_stats(rep->ports[i].port, &st);
		s->tx[i] = st.tx_packets;
		memcpy(s->tx_drops[i], st.tx_drops, sizeof(s->tx_drops[i]));
	}
	fl_worker_get_stats(rep->w, &ws);
	s->exec = ws.exec;
}

/* "-> sent on p2 (port 2); dropped: too_big on p3" from counter deltas. */
void replay_trace_outcome(FILE *out, const struct replay_report *rep,
			  struct replay_snapshot *before)
{
	struct replay_snapshot now;
	const char *sep = "";
	unsigned i, d;

	replay_snapshot(rep, &now);
	fputs("outcome:", out);
	for (i = 0; i < rep->n_ports; i++) {
		uint64_t n = now.tx[i] - before->tx[i];

		if (n) {
			fprintf(out, "%s sent on %s (port %" PRIu32 ")", sep, rep->ports[i].name,
				rep->ports[i].no);
			if (n > 1)
				fprintf(out, " x%" PRIu64, n);
			sep = ",";
		}
	}
	for (i = 0; i < rep->n_ports; i++) {
		for (d = 0; d < FL_PORT_DROP_MAX; d++) {
			if (now.tx_drops[i][d] != before->tx_drops[i][d]) {
				fprintf(out, "%s dropped on %s: %s", sep, rep->ports[i].name,
					fl_port_drop_name(d));
				sep = ",";
			}
		}
	}
	if (now.exec.dropped_by_actions != before->exec.dropped_by_actions) {
		fprintf(out, "%s dropped: no output", sep);
		sep = ",";
	}
	if (now.exec.no_port != before->exec.no_port) {
		fprintf(out, "%s dropped: output to a port that does not exist", sep);
		sep = ",";
	}
	if (now.exec.bad_header != before->exec.bad_header) {
		fprintf(out, "%s dropped: no header to rewrite", sep);
		sep = ",";
	}
	if (!*sep)
		fputs(" nothing sent", out);
	fputs("\n\n", out);
	*before = now;
}
