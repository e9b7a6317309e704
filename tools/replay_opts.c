/* flowlane replay: the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_private.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flowlane replay --flows FILE --in CAPTURE --out DIR [options]\n"
		"\n"
		"Run every packet of CAPTURE, in capture order and one at a time, through\n"
		"the flows and the switch's caches, and write what each port sends to\n"
		"DIR/port-N.pcap (every port gets a file, empty if it sent nothing).\n"
		"CAPTURE is pcap (every packet arrives on port 1) or pcapng (interface i\n"
		"of a section arrives on port i+1). Prints packets in, out per port,\n"
		"drops by reason and cache hits at the end.\n"
		"\n"
		"options:\n"
		"  -f, --flows FILE         flows, one per line in ovs-ofctl syntax\n"
		"  -i, --in CAPTURE         pcap or pcapng file\n"
		"  -o, --out DIR            directory for port-N.pcap (created if missing)\n"
		"  -n, --ports N            the ports are 1..N (default: the ports the capture's\n"
		"                           interfaces arrive on and the flows output to)\n"
		"  -p, --port NAME=NUM      port NUM is called NAME (flows may use the name), and\n"
		"                           pcapng interfaces named NAME arrive on it; repeat\n"
		"      --in-port N          every packet arrives on port N\n"
		"      --mtu N              MTU of every port (default 1500): longer frames\n"
		"                           are dropped and counted as too_big\n"
		"      --table-miss T=ACTION  drop (default), continue or normal\n"
		"  -t, --trace              print how each packet is handled\n"
		"  -j, --json               print the summary as JSON\n"
		"  -q, --quiet              print nothing but errors\n"
		"  -h, --help               this text\n"
		"\n"
		"Ports not named by --port are called pN (output:p3). On any error no\n"
		"port-N.pcap is written and the exit status is 1.\n"
		"\n"
		"example:\n"
		"  flowlane replay --flows acl.flows --in trace.pcapng --out out/ --ports 4\n");
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "flowlane replay: %s: '%s' is not a number from %lu to %lu\n", opt,
			s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "NAME=NUM" */
static int add_named(struct replay *rp, const char *arg)
{
	const char *eq = strrchr(arg, '=');
	struct named_port *np;
	unsigned long no;
	unsigned i;

	if (!eq || eq == arg || (size_t)(eq - arg) >= FL_PORT_NAME_MAX) {
		fprintf(stderr, "flowlane replay: --port '%s': expected NAME=NUM, NAME of 1 to %u "
				"characters\n", arg, FL_PORT_NAME_MAX - 1);
		return -EINVAL;
	}
	if (parse_uint("--port", eq + 1, 1, FL_DP_PORT_NO_MAX - 1, &no))
		return -EINVAL;
	if (rp->n_named == FL_DP_MAX_PORTS) {
		fprintf(stderr, "flowlane replay: at most %u --port options\n", FL_DP_MAX_PORTS);
		return -EINVAL;
	}
	np = &rp->named[rp->n_named];
	memcpy(np->name, arg, (size_t)(eq - arg));
	np->name[eq - arg] = '\0';
	np->no = (uint32_t)no;
	for (i = 0; i < rp->n_named; i++) {
		if (!strcmp(rp->named[i].name, np->name) || rp->named[i].no == np->no) {
			fprintf(stderr, "flowlane replay: --port '%s': name or number given twice\n",
				arg);
			return -EINVAL;
		}
	}
	rp->n_named++;
	return 0;
}

int replay_parse_options(struct replay *rp, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"flows", required_argument, NULL, 'f'},
		{"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'},
		{"ports", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"in-port", required_argument, NULL, 'I'},
		{"mtu", required_argument, NULL, 'M'},
		{"table-miss", required_argument, NULL, 'T'},
		{"trace", no_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:i:o:n:p:tjqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			rp->flows_path = optarg;
			break;
		case 'i':
			rp->in_path = optarg;
			break;
		case 'o':
			rp->out_dir = optarg;
			break;
		case 'n':
			if (parse_uint("--ports", optarg, 1, FL_DP_MAX_PORTS, &v))
				return -EINVAL;
			rp->n_ports_opt = (unsigned)v;
			break;
		case 'p':
			if (add_named(rp, optarg))
				return -EINVAL;
			break;
		case 'I':
			if (parse_uint("--in-port", optarg, 1, FL_DP_PORT_NO_MAX - 1, &v))
				return -EINVAL;
			rp->in_port = (uint32_t)v;
			break;
		case 'M':
			if (parse_uint("--mtu", optarg, 68, 2030, &v))
				return -EINVAL;
			rp->mtu = (unsigned)v;
			break;
		case 'T':
			if (rp->n_miss == FL_PIPELINE_TABLES)
				return -EINVAL;
			rp->miss_args[rp->n_miss++] = optarg;
			break;
		case 't':
			rp->trace = true;
			break;
		case 'j':
			rp->json = true;
			break;
		case 'q':
			rp->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'flowlane replay --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowlane replay: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!rp->flows_path || !rp->in_path || !rp->out_dir) {
		fprintf(stderr, "flowlane replay: --flows, --in and --out are required\n"
				"Try 'flowlane replay --help'.\n");
		return -EINVAL;
	}
	return 0;
}
