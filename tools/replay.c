/* flowlane replay: run every packet of a capture, in order, through a rule
 * set, and write what each port sends to DIR/port-N.pcap.
 *
 * The packets take the switch's own way (fl_worker_inject: parse, EMC,
 * megaflow cache, upcall, actions, tx buffers), one at a time, so state the
 * pipeline keeps (MAC learning) affects the next packet as it would live.
 * Every port is a transmit-only pcap port ("pcap:tx=FILE"): its MTU check
 * and counters are the live ones.
 *
 * Which ports exist: --ports N and --port NAME=NUM say it exactly; without
 * them, every port a capture interface arrives on (interface i of a section
 * is port i + 1, or --in-port), and every port number a flow outputs to.
 * Ports without a --port name are called pN, so flows can name them.
 *
 * Nothing looks finished until it is: the capture is read once to check it
 * (a malformed file fails before anything is written), flows are parsed
 * before any file exists, ports write to port-N.pcap.partial, and only when
 * every packet has gone through and every file has the size its counters
 * say are the files renamed to port-N.pcap. A failure removes the partial
 * files and leaves DIR as it was.
 */
#include "replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/flow.h"
#include "port/pcapng.h"
#include "proto/parse.h"
#include "replay_private.h"

static bool explicit_ports(const struct replay *rp)
{
	return rp->n_ports_opt || rp->n_named;
}

static bool wanted(const struct replay *rp, uint32_t no)
{
	return no && no < FL_DP_PORT_NO_MAX && (rp->want[no / 64] >> (no % 64) & 1);
}

static void want_port(struct replay *rp, uint32_t no)
{
	rp->want[no / 64] |= 1ull << (no % 64);
}

/* --- ports and names --- */

static const char *port_name(const struct replay *rp, uint32_t no, char *buf, size_t size)
{
	unsigned i;

	for (i = 0; i < rp->n_named; i++)
		if (rp->named[i].no == no)
			return rp->named[i].name;
	snprintf(buf, size, "p%u", no);
	return buf;
}

/* Names in flows: --port names, and pN for port N unless --port named it
 * (or, with an explicit port set, unless N is not in it). */
static int resolve(void *aux, const char *name, uint32_t *port)
{
	const struct replay *rp = aux;
	unsigned long no;
	unsigned i;
	char *end;

	for (i = 0; i < rp->n_named; i++) {
		if (!strcmp(rp->named[i].name, name)) {
			*port = rp->named[i].no;
			return 0;
		}
	}
	if (name[0] != 'p' || name[1] < '1' || name[1] > '9')
		return -ENOENT;
	no = strtoul(name + 1, &end, 10);
	if (*end || no >= FL_DP_PORT_NO_MAX)
		return -ENOENT;
	for (i = 0; i < rp->n_named; i++)
		if (rp->named[i].no == no)
			return -ENOENT;
	if (explicit_ports(rp) && !wanted(rp, (uint32_t)no))
		return -ENOENT;
	*port = (uint32_t)no;
	return 0;
}

/* The port a packet on interface idx (described by ifc) arrives on. */
static uint32_t iface_port(const struct replay *rp, const struct fl_pcapng_iface *ifc,
			   uint32_t idx)
{
	unsigned i;

	if (rp->in_port)
		return rp->in_port;
	for (i = 0; ifc->name[0] && i < rp->n_named; i++)
		if (!strcmp(rp->named[i].name, ifc->name))
			return rp->named[i].no;
	return idx + 1 < FL_DP_PORT_NO_MAX ? idx + 1 : 0;
}

static int check_iface_port(struct replay *rp, const struct fl_pcapng *r, uint32_t section,
			    uint32_t idx)
{
	const struct fl_pcapng_iface *ifc = fl_pcapng_iface(r, idx);
	uint32_t no = iface_port(rp, ifc, idx);

	if (!no) {
		fprintf(stderr, "flowlane replay: '%s': interface %u of section %u has no port "
				"number (the largest is %u); map it with --port or --in-port\n",
			rp->in_path, idx, section, FL_DP_PORT_NO_MAX - 1);
		return -EINVAL;
	}
	if (!explicit_ports(rp)) {
		want_port(rp, no);
		return 0;
	}
	if (wanted(rp, no))
		return 0;
	fprintf(stderr,
		"flowlane replay: '%s': interface %u%s%s%s of section %u arrives on port %u, "
		"which is not one of the ports (--ports, --port, --in-port)\n",
		rp->in_path, idx, ifc->name[0] ? " ('" : "", ifc->name, ifc->name[0] ? "')" : "",
		section, no);
	return -EINVAL;
}

/* Read the whole capture once: it must be well-formed to the end, and it
 * tells which ports the interfaces arrive on. */
static int scan_capture(struct replay *rp)
{
	struct fl_pcapng_pkt pkt;
	struct fl_pcapng *r;
	uint32_t section = 0;
	unsigned noted = 0, i, n;
	char err[1024];
	int ret, bad = 0;

	r = fl_pcapng_open(rp->in_path, err, sizeof(err));
	if (!r) {
		ret = -errno;
		fprintf(stderr, "flowlane replay: %s\n", err);
		return ret;
	}
	rp->counts.ng = fl_pcapng_is_ng(r);
	do {
		ret = fl_pcapng_next(r, &pkt, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "flowlane replay: %s\n", err);
			break;
		}
		/* every interface described so far in this section, once (one
		 * described after the last packet of a section that is followed by
		 * another section goes unseen: it carries no packet anyway) */
		if (fl_pcapng_section(r) != section) {
			section = fl_pcapng_section(r);
			noted = 0;
		}
		n = fl_pcapng_n_ifaces(r);
		rp->counts.n_ifaces = FL_MAX(rp->counts.n_ifaces, n);
		for (i = noted; i < n && !explicit_ports(rp) && !bad; i++)
			bad = check_iface_port(rp, r, section, i);
		noted = n;
		/* with an explicit set, only interfaces that carry packets matter */
		if (ret == 1 && explicit_ports(rp) && !bad)
			bad = check_iface_port(rp, r, pkt.section, pkt.iface);
	} while (ret > 0 && !bad);
	rp->counts.n_sections = fl_pcapng_section(r) + 1;
	fl_pcapng_close(r);
	return ret < 0 ? ret : bad;
}

static int parse_flows(struct replay *rp)
{
	char err[1024];
	int ret;

	rp->resolver.lookup = resolve;
	rp->resolver.aux = rp;
	ret = fl_flow_parse_file(rp->flows_path, FL_FLOW_ADD, &rp->resolver, &rp->specs,
				 &rp->n_specs, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "flowlane replay: %s\n", err);
	return ret;
}

/* Without an explicit port set, a port a flow sends to gets a file too. */
static void want_flow_outputs(struct replay *rp)
{
	const struct fl_ofpact *a;
	size_t i;

	for (i = 0; i < rp->n_specs; i++) {
		const struct fl_ofpacts *acts = &rp->specs[i].actions;

		if (!acts->len)
			continue;
		FL_OFPACT_FOR_EACH(a, acts->data, acts->len) {
			uint32_t no = a->type == FL_OFPACT_OUTPUT ? FL_OFPACT_CAST(output, a)->port : 0;

			if (no && no < FL_DP_PORT_NO_MAX)
				want_port(rp, no);
		}
	}
}

static int list_ports(struct replay *rp)
{
	unsigned n = 0;
	uint32_t no;
	char buf[16];

	for (no = 1; no < FL_DP_PORT_NO_MAX; no++) {
		if (!wanted(rp, no))
			continue;
		if (n == FL_DP_MAX_PORTS) {
			fprintf(stderr, "flowlane replay: the capture and the flows use more than %u "
					"ports; say which with --ports or --port\n", FL_DP_MAX_PORTS);
			return -E2BIG;
		}
		rp->ports[n].no = no;
		snprintf(rp->ports[n].name, sizeof(rp->ports[n].name), "%s",
			 port_name(rp, no, buf, sizeof(buf)));
		n++;
	}
	rp->n_ports = n;
	return 0;
}

static int make_dir(const char *dir, bool *made)
{
	struct stat st;

	int e;

	if (mkdir(dir, 0777) == 0) {
		*made = true;
		return 0;
	}
	e = errno;
	if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fprintf(stderr, "flowlane replay: --out '%s': %s\n", dir,
		e == EEXIST ? "exists and is not a directory" : strerror(e));
	return -EINVAL;
}

/* One transmit-only pcap port per number, writing DIR/port-N.pcap.partial. */
static int open_ports(struct replay *rp)
{
	char spec[FL_PORT_SPEC_MAX + 1], mtu[32] = "", err[512];
	unsigned i;
	int n;

	if (strpbrk(rp->out_dir, ",=")) {
		/* the directory goes into a port spec, where these separate options */
		fprintf(stderr, "flowlane replay: --out '%s': a directory name with ',' or '=' "
				"is not supported\n", rp->out_dir);
		return -EINVAL;
	}
	if (make_dir(rp->out_dir, &rp->made_dir) < 0)
		return -EINVAL;
	if (rp->mtu)
		snprintf(mtu, sizeof(mtu), ",mtu=%u", rp->mtu);
	for (i = 0; i < rp->n_ports; i++) {
		struct replay_port *p = &rp->ports[i];

		n = snprintf(p->final, sizeof(p->final), "%s/port-%u.pcap", rp->out_dir, p->no);
		if (n > 0 && (size_t)n < sizeof(p->final))
			n = snprintf(p->partial, sizeof(p->partial), "%s/port-%u.pcap.partial",
				     rp->out_dir, p->no);
		if (n > 0 && (size_t)n < sizeof(p->partial))
			n = snprintf(spec, sizeof(spec), "pcap:tx=%s%s", p->partial, mtu);
		if (n < 0 || (size_t)n >= FL_PORT_SPEC_MAX) {
			fprintf(stderr, "flowlane replay: --out '%s': path too long (a port spec "
					"holds %u characters)\n", rp->out_dir, FL_PORT_SPEC_MAX - 1);
			return -ENAMETOOLONG;
		}
		p->created = true; /* the port may create it and still fail: removed then */
		if (fl_dp_add_port(rp->dp, p->name, p->no, spec, err, sizeof(err)) < 0) {
			fprintf(stderr, "flowlane replay: port %s (%u): %s\n", p->name, p->no, err);
			return -EINVAL;
		}
		p->port = fl_dp_find_port(rp->dp, p->name);
	}
	return 0;
}

/* "T=drop|continue|normal" */
static int set_table_miss(struct replay *rp, const char *arg)
{
	static const char *const names[] = {"drop", "continue", "normal"};
	unsigned long table;
	unsigned i;
	char *end;

	errno = 0;
	table = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != '=' || table >= FL_PIPELINE_TABLES) {
		fprintf(stderr, "flowlane replay: --table-miss '%s': expected TABLE=ACTION, TABLE "
				"0 to %u\n", arg, FL_PIPELINE_TABLES - 1);
		return -EINVAL;
	}
	for (i = 0; i < FL_ARRAY_SIZE(names); i++)
		if (!strcmp(end + 1, names[i]))
			return fl_pipeline_set_miss(rp->dp->pl, (unsigned)table,
						    (enum fl_table_miss)i);
	fprintf(stderr, "flowlane replay: --table-miss '%s': ACTION is drop, continue or normal\n",
		arg);
	return -EINVAL;
}

static int load_pipeline(struct replay *rp)
{
	char err[1024];
	unsigned i;
	int ret;

	for (i = 0; i < rp->n_miss; i++)
		if (set_table_miss(rp, rp->miss_args[i]) < 0)
			return -EINVAL;
	ret = fl_pipeline_flow_mod(rp->dp->pl, rp->specs, rp->n_specs, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "flowlane replay: %s: %s\n", rp->flows_path, err);
		return ret;
	}
	return 0;
}

/* --- the run --- */

static struct replay_port *find_port(struct replay *rp, uint32_t no)
{
	unsigned lo = 0, hi = rp->n_ports;

	while (lo < hi) { /* ports[] is sorted by number */
		unsigned mid = (lo + hi) / 2;

		if (rp->ports[mid].no == no)
			return &rp->ports[mid];
		if (rp->ports[mid].no < no)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct replay_report report_of(struct replay *rp)
{
	return (struct replay_report){
		.capture = rp->in_path,
		.ports = rp->ports,
		.n_ports = rp->n_ports,
		.counts = &rp->counts,
		.dp = rp->dp,
		.w = rp->w,
	};
}

static void trace_packet(struct replay *rp, struct fl_pkt *pkt, const struct fl_pcapng_pkt *cp,
			 struct replay_snapshot *snap)
{
	static char text[16384];
	struct replay_report rep = report_of(rp);
	struct fl_trace t;
	struct fl_key key;
	char keytext[1024];

	fl_trace_init(&t, text, sizeof(text));
	fl_parse(pkt, &key); /* (sets header offsets the fast path sets again) */
	fl_key_format(&key, keytext, sizeof(keytext));
	printf("packet %llu: %s %llu at offset %llu, interface %u -> in_port %u, %u bytes\n"
	       "key: %s\n",
	       (unsigned long long)rp->counts.packets, rp->counts.ng ? "block" : "record",
	       (unsigned long long)cp->block_no, (unsigned long long)cp->offset, cp->iface,
	       pkt->in_port, pkt->len, keytext);
	fl_worker_trace(rp->w, &key, &t);
	fputs(text, stdout);
	replay_snapshot(&rep, snap);
}

static int replay_one(struct replay *rp, const struct fl_pcapng *r, const struct fl_pcapng_pkt *cp)
{
	uint32_t no = iface_port(rp, fl_pcapng_iface(r, cp->iface), cp->iface);
	struct replay_port *port = find_port(rp, no);
	struct replay_snapshot snap;
	struct fl_pkt *pkt;

	if (!port) {
		fprintf(stderr, "flowlane replay: '%s' changed while it was read\n", rp->in_path);
		return -EAGAIN;
	}
	rp->counts.packets++;
	port->in++;
	if (cp->caplen < cp->len || cp->caplen > FL_PKT_DATAROOM) {
		/* a frame cut short by the snaplen is not the frame that was sent */
		if (cp->caplen < cp->len)
			rp->counts.skipped_short++;
		else
			rp->counts.skipped_big++;
		if (rp->trace)
			printf("packet %llu: %u of %u bytes captured: skipped (%s)\n\n",
			       (unsigned long long)rp->counts.packets, cp->caplen, cp->len,
			       cp->caplen < cp->len ? "cut short by the capture"
						    : "longer than a packet buffer");
		return 0;
	}
	if (fl_pool_get_burst(rp->cache, &pkt, 1) != 1) {
		fprintf(stderr, "flowlane replay: out of packet buffers\n");
		return -ENOBUFS;
	}
	memcpy(fl_pkt_data(pkt), cp->data, cp->caplen);
	pkt->len = (uint16_t)cp->caplen;
	pkt->in_port = no;
	pkt->timestamp = cp->ts_ns;
	if (rp->trace)
		trace_packet(rp, pkt, cp, &snap);
	fl_worker_inject(rp->w, &pkt, 1);
	rp->counts.injected++;
	if (rp->trace) {
		struct replay_report rep = report_of(rp);

		replay_trace_outcome(stdout, &rep, &snap);
	}
	return 0;
}

static int run(struct replay *rp)
{
	struct fl_pcapng_pkt pkt;
	struct fl_pcapng *r;
	char err[1024];
	int ret;

	r = fl_pcapng_open(rp->in_path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "flowlane replay: %s\n", err);
		return -EIO;
	}
	fl_worker_thread_enter();
	while ((ret = fl_pcapng_next(r, &pkt, err, sizeof(err))) == 1) {
		ret = replay_one(rp, r, &pkt); /* says what went wrong itself */
		if (ret < 0)
			break;
	}
	if (ret < 0 && ret != -EAGAIN && ret != -ENOBUFS)
		fprintf(stderr, "flowlane replay: %s\n", err);
	fl_worker_thread_leave();
	fl_pcapng_close(r);
	return ret;
}

/* --- the end: files complete, or gone --- */

/* Close everything; then keep the files (renamed to port-N.pcap) only if
 * all went well and each holds what its port sent: a pcap header and a
 * record header plus the bytes of every frame. */
static int finish(struct replay *rp, int status)
{
	uint64_t expect[FL_DP_MAX_PORTS];
	char *summary = NULL;
	size_t summary_len = 0;
	struct stat st;
	unsigned i;

	for (i = 0; i < rp->n_ports && rp->dp; i++) {
		struct fl_port_stats ps;

		if (!rp->ports[i].port)
			continue;
		fl_port_get_stats(rp->ports[i].port, &ps);
		expect[i] = 24 + 16 * ps.tx_packets + ps.tx_bytes;
		if (rp->ports[i].port->error[0]) {
			fprintf(stderr, "flowlane replay: port %s: %s\n", rp->ports[i].name,
				rp->ports[i].port->error);
			status = -EIO;
		}
	}
	if (status == 0 && !rp->quiet) {
		/* printed once the files are known to be good */
		FILE *m = open_memstream(&summary, &summary_len);
		struct replay_report rep = report_of(rp);

		if (m) {
			replay_report_print(m, &rep, rp->json);
			fclose(m);
		}
	}
	fl_worker_destroy(rp->w);
	if (rp->cache) {
		fl_pool_cache_flush(rp->cache);
		free(rp->cache);
	}
	fl_dp_destroy(rp->dp); /* closes the ports: the files are flushed */
	for (i = 0; i < rp->n_ports && status == 0; i++) {
		if (stat(rp->ports[i].partial, &st) < 0) {
			fprintf(stderr, "flowlane replay: '%s': %s\n", rp->ports[i].partial,
				strerror(errno));
			status = -EIO;
		} else if ((uint64_t)st.st_size != expect[i]) {
			fprintf(stderr, "flowlane replay: '%s' holds %lld bytes, not the %llu written "
					"to it (disk full?)\n", rp->ports[i].partial,
				(long long)st.st_size, (unsigned long long)expect[i]);
			status = -EIO;
		}
	}
	for (i = 0; i < rp->n_ports && status == 0; i++) {
		if (rename(rp->ports[i].partial, rp->ports[i].final) < 0) {
			fprintf(stderr, "flowlane replay: cannot rename '%s' to '%s': %s\n",
				rp->ports[i].partial, rp->ports[i].final, strerror(errno));
			status = -EIO;
		}
		rp->ports[i].created = status < 0;
	}
	for (i = 0; i < rp->n_ports; i++)
		if (rp->ports[i].created)
			unlink(rp->ports[i].partial);
	if (status < 0 && rp->made_dir)
		rmdir(rp->out_dir);
	if (status == 0 && summary)
		fputs(summary, stdout);
	free(summary);
	fl_flow_specs_free(rp->specs, rp->n_specs);
	return status;
}

static int setup(struct replay *rp)
{
	unsigned i;
	int ret;

	/* an explicit port set is known before the flows name ports */
	for (i = 1; i <= rp->n_ports_opt; i++)
		want_port(rp, i);
	for (i = 0; i < rp->n_named; i++)
		want_port(rp, rp->named[i].no);
	ret = parse_flows(rp);
	if (ret == 0)
		ret = scan_capture(rp);
	if (ret < 0)
		return ret;
	if (!explicit_ports(rp)) {
		want_flow_outputs(rp);
		if (rp->in_port)
			want_port(rp, rp->in_port);
	}
	ret = list_ports(rp);
	if (ret < 0)
		return ret;
	rp->dp = fl_dp_create(NULL);
	if (!rp->dp) {
		fprintf(stderr, "flowlane replay: cannot allocate the packet pool: %s\n",
			strerror(errno));
		return -ENOMEM;
	}
	ret = open_ports(rp);
	if (ret == 0)
		ret = load_pipeline(rp);
	if (ret < 0)
		return ret;
	rp->w = fl_worker_create(rp->dp, 0);
	rp->cache = malloc(sizeof(*rp->cache));
	if (!rp->w || !rp->cache) {
		fprintf(stderr, "flowlane replay: cannot create the worker: %s\n", strerror(errno));
		return -ENOMEM;
	}
	fl_pool_cache_init(rp->cache, rp->dp->pool, 0);
	return 0;
}

int flowlane_replay_main(int argc, char **argv)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int ret;

	if (!rp) {
		fprintf(stderr, "flowlane replay: out of memory\n");
		return 1;
	}
	if (replay_parse_options(rp, argc, argv)) {
		free(rp);
		return 2;
	}
	ret = setup(rp);
	if (ret == 0)
		ret = run(rp);
	ret = finish(rp, ret);
	free(rp);
	return ret < 0 ? 1 : 0;
}
