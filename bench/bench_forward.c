/* End to end on one core: a capture replayed from memory (each frame copied
 * into a fresh buffer, as a NIC writes into one) -> parse -> forward by the
 * port map -> a null port that frees. This is the datapath flowlane runs,
 * driven by fl_worker_poll_once on the bench thread. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "datapath/dp.h"
#include "proto/build.h"

struct fwd_state {
	struct fl_dp *dp;
	struct fl_worker *worker;
	char tmp_pcap[64];
};

/* The default capture: 64-byte UDP frames of one flow, as testpmd's pcap
 * comparison uses. */
static int write_default_pcap(char *path, size_t len)
{
	struct fl_build_flow f = {
		.dl_src = {0x02, 0, 0, 0, 0, 1},
		.dl_dst = {0x02, 0, 0, 0, 0, 2},
		.ip4_src = fl_htonl(0x0a000001),
		.ip4_dst = fl_htonl(0x0a000002),
		.proto = FL_IPPROTO_UDP,
		.sport = fl_htons(1024),
		.dport = fl_htons(1025),
		.frame_len = 64,
	};
	uint8_t frame[64];
	struct pcap_pkthdr h = {.caplen = 64, .len = 64};
	pcap_dumper_t *d;
	pcap_t *p;
	int fd, i;

	snprintf(path, len, "/tmp/flowlane-bench-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	if (fl_build_flow_frame(&f, frame, sizeof(frame)) != 64)
		return -EINVAL;
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!p)
		return -ENOMEM;
	d = pcap_dump_open(p, path);
	if (!d) {
		pcap_close(p);
		return -EIO;
	}
	for (i = 0; i < 64; i++)
		pcap_dump((u_char *)d, &h, frame);
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static void fwd_teardown(void *state)
{
	struct fwd_state *s = state;

	fl_worker_destroy(s->worker);
	fl_dp_destroy(s->dp);
	if (s->tmp_pcap[0])
		unlink(s->tmp_pcap);
	free(s);
}

static void *fwd_setup(const struct bench_opts *opts)
{
	struct fwd_state *s = calloc(1, sizeof(*s));
	char spec[FL_PORT_SPEC_MAX], err[512];
	const char *pcap = opts->pcap;

	if (!s)
		return NULL;
	if (!pcap) {
		if (write_default_pcap(s->tmp_pcap, sizeof(s->tmp_pcap))) {
			fprintf(stderr, "flowlane-bench: forward: cannot write a temporary pcap\n");
			goto err;
		}
		pcap = s->tmp_pcap;
	}
	s->dp = fl_dp_create(&(struct fl_dp_params){.n_bufs = 8192});
	if (!s->dp)
		goto err;
	snprintf(spec, sizeof(spec), "pcap:%s,loop=inf", pcap);
	if (fl_dp_add_port(s->dp, "in", 1, spec, err, sizeof(err)) ||
	    fl_dp_add_port(s->dp, "out", 2, "null:", err, sizeof(err))) {
		fprintf(stderr, "flowlane-bench: forward: %s\n", err);
		goto err;
	}
	fl_dp_map(s->dp, s->dp->ports[0], s->dp->ports[1]);
	s->worker = fl_worker_create(s->dp, 0);
	if (!s->worker)
		goto err;
	return s;
err:
	fwd_teardown(s);
	return NULL;
}

static uint64_t fwd_run(void *state, uint64_t work)
{
	struct fwd_state *s = state;
	uint64_t done = 0;
	unsigned idle = 0;

	while (done < work) {
		unsigned n = fl_worker_poll_once(s->worker);

		done += n;
		if (n == 0 && ++idle > 1000)
			break; /* the capture holds nothing we can send */
	}
	return done;
}

const struct bench_scenario bench_forward_scenarios[] = {
	{"forward", "packet",
	 "pcap replayed from memory -> parse -> port map -> null, one core (--pcap FILE)",
	 fwd_setup, fwd_run, fwd_teardown},
};
const unsigned bench_forward_n =
	sizeof(bench_forward_scenarios) / sizeof(bench_forward_scenarios[0]);
