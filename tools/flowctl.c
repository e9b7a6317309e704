/* flowctl: program and inspect a running flowlane daemon.
 *
 * Each subcommand is one JSON request over the control socket and one
 * response (capture: a stream). The command table below maps a command
 * line to a request and the response to a printer; --json prints the
 * daemon's result object instead. Exit codes are fixed so scripts can rely
 * on them: 0 done, 1 refused by the daemon, 2 bad command line, 3 daemon
 * unreachable or silent.
 */
#include "flowctl.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/control.h"
#include "control/state.h"
#include "core/file.h"
#include "core/time.h"

struct command;
typedef int build_fn(const struct command *cmd, int argc, char **argv, struct fl_jw *args);
typedef void print_fn(FILE *out, const struct fl_json *res);

struct command {
	const char *name;
	const char *synopsis;
	const char *example;
	const char *request;   /* the protocol command */
	build_fn *build;       /* argv -> args; NULL: no arguments */
	print_fn *print;       /* NULL: nothing to show on success */
	int (*run)(struct flowctl *fc, int argc, char **argv); /* whole subcommand */
};

static const char *file_name; /* add-flows FILE, for error messages */

static int usage_error(const struct command *cmd, const char *msg)
{
	fprintf(stderr, "flowctl %s: %s\nusage: flowctl %s\n", cmd->name, msg, cmd->synopsis);
	return -EINVAL;
}

static int want_args(const struct command *cmd, int argc, int min, int max)
{
	if (argc < min)
		return usage_error(cmd, "missing argument");
	if (argc > max)
		return usage_error(cmd, "too many arguments");
	return 0;
}

/* NAME[@NUM] SPEC */
static int build_add_port(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	char name[64], *at, *end;
	unsigned long no;

	if (want_args(cmd, argc, 2, 2))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s", argv[0]);
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		no = strtoul(at + 1, &end, 10);
		if (!at[1] || *end || no == 0 || no >= 0xff00)
			return usage_error(cmd, "NAME@NUM: NUM is a port number, 1 to 65279");
		fl_jw_ku64(a, "port_no", no);
	}
	fl_jw_kstr(a, "name", name);
	fl_jw_kstr(a, "spec", argv[1]);
	return 0;
}

static int build_port(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	bool optional = !strcmp(cmd->name, "dump-ports");

	if (want_args(cmd, argc, optional ? 0 : 1, 1))
		return -EINVAL;
	if (argc)
		fl_jw_kstr(a, "port", argv[0]);
	return 0;
}

static int build_flow(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	bool strict = false, optional = !strcmp(cmd->name, "del-flows");
	bool takes_strict = strcmp(cmd->name, "add-flow") != 0;

	if (takes_strict && argc && !strcmp(argv[0], "--strict")) {
		strict = true;
		argc--;
		argv++;
	}
	if (want_args(cmd, argc, optional ? 0 : 1, 1))
		return -EINVAL;
	if (argc)
		fl_jw_kstr(a, "flow", argv[0]);
	if (strict)
		fl_jw_kbool(a, "strict", true);
	return 0;
}

static int build_add_flows(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	char *text;
	size_t len;

	if (want_args(cmd, argc, 1, 1))
		return -EINVAL;
	file_name = argv[0];
	text = fl_read_file(!strcmp(argv[0], "-") ? "/dev/stdin" : argv[0], &len);
	if (!text) {
		fprintf(stderr, "flowctl add-flows: %s: %s\n", argv[0], strerror(errno));
		return -EINVAL;
	}
	fl_jw_key(a, "text");
	fl_jw_strn(a, text, len);
	free(text);
	return 0;
}

static int build_filter(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	if (want_args(cmd, argc, 0, 1))
		return -EINVAL;
	if (argc)
		fl_jw_kstr(a, "filter", argv[0]);
	return 0;
}

/* PACKET [--hex] [--in-port N] */
static int build_trace(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	const char *packet = NULL;
	unsigned long in_port = 0;
	bool hex = false;
	char *end;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--hex")) {
			hex = true;
		} else if (!strcmp(argv[i], "--in-port") && i + 1 < argc) {
			in_port = strtoul(argv[++i], &end, 10);
			if (*end || !argv[i][0])
				return usage_error(cmd, "--in-port takes a port number");
		} else if (!packet && argv[i][0] != '-') {
			packet = argv[i];
		} else {
			return usage_error(cmd, "unexpected argument");
		}
	}
	if (!packet)
		return usage_error(cmd, "missing PACKET");
	fl_jw_kstr(a, "packet", packet);
	if (hex)
		fl_jw_kbool(a, "hex", true);
	if (in_port)
		fl_jw_ku64(a, "in_port", in_port);
	return 0;
}

static int build_set(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	if (want_args(cmd, argc, 2, 2))
		return -EINVAL;
	fl_jw_kstr(a, "key", argv[0]);
	fl_jw_kstr(a, "value", argv[1]);
	return 0;
}

static int build_get(const struct command *cmd, int argc, char **argv, struct fl_jw *a)
{
	if (want_args(cmd, argc, 0, strcmp(cmd->name, "list") ? 1 : 0))
		return -EINVAL;
	if (argc)
		fl_jw_kstr(a, "key", argv[0]);
	return 0;
}

static const struct command commands[] = {
	{"add-port", "add-port NAME[@NUM] SPEC", "add-port p1@1 afpacket:veth0",
	 "add-port", build_add_port, NULL, NULL},
	{"del-port", "del-port NAME", "del-port p1", "del-port", build_port, NULL, NULL},
	{"show", "show", "show", "show", NULL, flowctl_print_show, NULL},
	{"add-flow", "add-flow FLOW", "add-flow 'priority=10,ip,in_port=p1 actions=output:p2'",
	 "add-flow", build_flow, NULL, NULL},
	{"add-flows", "add-flows FILE (- for stdin)", "add-flows acl.flows", "add-flows",
	 build_add_flows, NULL, NULL},
	{"mod-flows", "mod-flows [--strict] FLOW", "mod-flows 'in_port=1 actions=drop'",
	 "mod-flows", build_flow, NULL, NULL},
	{"del-flows", "del-flows [--strict] [FLOW]", "del-flows 'table=0,tcp'", "del-flows",
	 build_flow, NULL, NULL},
	{"dump-flows", "dump-flows [FILTER]", "dump-flows 'table=0,ip'", "dump-flows",
	 build_filter, flowctl_print_dump_flows, NULL},
	{"dump-ports", "dump-ports [PORT]", "dump-ports p1", "dump-ports", build_port,
	 flowctl_print_dump_ports, NULL},
	{"dump-caches", "dump-caches", "dump-caches", "dump-caches", NULL,
	 flowctl_print_dump_caches, NULL},
	{"trace", "trace PACKET [--hex] [--in-port N]",
	 "trace 'in_port=1,tcp,nw_dst=10.0.0.1,tp_dst=80'", "trace", build_trace,
	 flowctl_print_trace, NULL},
	{"capture", "capture PORT [-f FILTER] [-c N] [--dir rx|tx|both] [-s SNAPLEN] -w FILE",
	 "capture p1 -f 'udp port 53' -c 100 -w dns.pcap", "capture", NULL, NULL,
	 flowctl_capture},
	{"set", "set KEY VALUE", "set workers 2    (or: set table-miss 0=normal)", "set",
	 build_set, NULL, NULL},
	{"get", "get [KEY]", "get emc-entries", "get", build_get, flowctl_print_settings, NULL},
	{"list", "list", "list", "get", build_get, flowctl_print_settings, NULL},
	{"version", "version", "version", "version", NULL, flowctl_print_version, NULL},
};

static void usage(FILE *out)
{
	unsigned i, n;
	const struct fl_ctl_setting *set = fl_ctl_settings(&n);

	fprintf(out,
		"usage: flowctl [--socket PATH] [--json] [--timeout SEC] COMMAND [ARGS]\n"
		"\n"
		"Program and inspect a running flowlane daemon.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   the daemon's control socket (default $FLOWLANE_SOCKET,\n"
		"                      else " FL_CTL_SOCKET_DEFAULT ")\n"
		"  -j, --json          print the daemon's result as JSON (every command;\n"
		"                      --json may also follow the command)\n"
		"  -t, --timeout SEC   wait at most SEC seconds for an answer (default 60)\n"
		"  -h, --help          this text\n"
		"\ncommands (and an example of each):\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n      e.g. flowctl %s\n", commands[i].synopsis,
			commands[i].example);
	fprintf(out,
		"\nFLOW is ovs-ofctl syntax; ports may be named ('in_port=p1 actions=output:p2').\n"
		"SPEC is a port spec (flowlane run --help lists them). PACKET is a match\n"
		"('in_port=1,udp,nw_dst=10.0.0.1,tp_dst=53') or, with --hex, frame bytes.\n"
		"capture writes a pcap (-w - for stdout) until -c N frames or Ctrl-C.\n"
		"\nsettings (set KEY VALUE, get KEY):\n");
	for (i = 0; i < n; i++)
		fprintf(out, "  %-20s %s\n", set[i].name, set[i].help);
	fprintf(out,
		"  %-20s %s\n", "table-miss", "TABLE=drop|continue|normal: a table's miss");
	fprintf(out,
		"\nexit codes:\n"
		"  0  done\n"
		"  1  the daemon refused the request (why on stderr); nothing changed\n"
		"  2  usage error\n"
		"  3  the daemon is not running, the socket is unreachable, or no answer\n"
		"     within the timeout\n");
}

int flowctl_connect(struct flowctl *fc)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (strlen(fc->socket) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "flowctl: socket path %s is too long\n", fc->socket);
		return FLOWCTL_USAGE;
	}
	strcpy(addr.sun_path, fc->socket);
	fc->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fc->fd < 0 || connect(fc->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "flowctl: cannot reach flowlane at %s: %s (is the daemon running?)\n",
			fc->socket, strerror(errno));
		return FLOWCTL_UNREACHABLE;
	}
	return FLOWCTL_OK;
}

int flowctl_send(struct flowctl *fc, const struct fl_jw *req)
{
	const char *p = req->buf;
	size_t left = req->len;

	while (left) {
		ssize_t n = send(fc->fd, p, left, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "flowctl: sending to %s: %s\n", fc->socket, strerror(errno));
			return FLOWCTL_UNREACHABLE;
		}
		p += n;
		left -= (size_t)n;
	}
	return FLOWCTL_OK;
}

int flowctl_recv_intr(struct flowctl *fc, int timeout_ms, struct fl_json **out)
{
	uint64_t deadline = fl_time_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
	char err[256];

	for (;;) {
		/* only the new bytes are searched: a 20 MB reply comes in 64 KB reads */
		char *nl = fc->in ? memchr(fc->in + fc->scanned, '\n', fc->in_len - fc->scanned)
				  : NULL;
		struct pollfd pfd = {fc->fd, POLLIN, 0};
		int wait = -1, r;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - fc->in);

			r = fl_json_parse(fc->in, len, out, NULL, err, sizeof(err));
			memmove(fc->in, nl + 1, fc->in_len - len - 1);
			fc->in_len -= len + 1;
			fc->scanned = 0;
			if (r) {
				fprintf(stderr, "flowctl: bad reply from the daemon: %s\n", err);
				return FLOWCTL_UNREACHABLE;
			}
			return FLOWCTL_OK;
		}
		fc->scanned = fc->in_len;
		if (timeout_ms >= 0) {
			uint64_t now = fl_time_ns();

			if (now >= deadline) {
				fprintf(stderr, "flowctl: no answer from flowlane at %s within %d ms\n",
					fc->socket, timeout_ms);
				return FLOWCTL_UNREACHABLE;
			}
			wait = (int)((deadline - now + 999999) / 1000000);
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			return -EINTR;
		if (r <= 0)
			continue;
		if (fc->in_cap - fc->in_len < 65536) {
			size_t cap = fc->in_cap ? fc->in_cap * 2 : 131072;
			char *ni = realloc(fc->in, cap);

			if (!ni) {
				fprintf(stderr, "flowctl: out of memory\n");
				return FLOWCTL_UNREACHABLE;
			}
			fc->in = ni;
			fc->in_cap = cap;
		}
		n = recv(fc->fd, fc->in + fc->in_len, fc->in_cap - fc->in_len, 0);
		if (n < 0 && errno == EINTR)
			return -EINTR;
		if (n <= 0) {
			fprintf(stderr, "flowctl: flowlane at %s closed the connection%s%s\n",
				fc->socket, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return FLOWCTL_UNREACHABLE;
		}
		fc->in_len += (size_t)n;
	}
}

int flowctl_recv(struct flowctl *fc, int timeout_ms, struct fl_json **out)
{
	int r;

	while ((r = flowctl_recv_intr(fc, timeout_ms, out)) == -EINTR)
		;
	return r;
}

void flowctl_print_json(FILE *out, const struct fl_json *v)
{
	struct fl_jw w;

	fl_jw_init(&w, false);
	fl_jw_value(&w, v);
	fprintf(out, "%s\n", w.buf ? w.buf : "null");
	fl_jw_free(&w);
}

/* One request, one response: print it, return the exit code. */
static int run_command(struct flowctl *fc, const struct command *cmd, int argc, char **argv)
{
	struct fl_json *resp = NULL;
	const struct fl_json *res;
	const char *error;
	struct fl_jw req;
	bool ok = false;
	int ret;

	fl_jw_init(&req, false);
	fl_jw_obj(&req);
	fl_jw_kstr(&req, "cmd", cmd->request);
	fl_jw_key(&req, "args");
	fl_jw_obj(&req);
	if (cmd->build) {
		if (cmd->build(cmd, argc, argv, &req) < 0) {
			fl_jw_free(&req);
			return FLOWCTL_USAGE;
		}
	} else if (want_args(cmd, argc, 0, 0)) {
		fl_jw_free(&req);
		return FLOWCTL_USAGE;
	}
	fl_jw_obj_end(&req);
	fl_jw_obj_end(&req);
	fl_jw_raw(&req, "\n", 1);
	if (fl_jw_failed(&req)) {
		fl_jw_free(&req);
		fprintf(stderr, "flowctl: out of memory\n");
		return FLOWCTL_REFUSED;
	}
	ret = flowctl_connect(fc);
	if (ret == FLOWCTL_OK)
		ret = flowctl_send(fc, &req);
	fl_jw_free(&req);
	if (ret == FLOWCTL_OK)
		ret = flowctl_recv(fc, (int)(fc->timeout_s * 1000), &resp);
	if (ret != FLOWCTL_OK)
		return ret;
	fl_json_bool(fl_json_get(resp, "ok"), &ok);
	res = fl_json_get(resp, "result");
	error = fl_json_str(fl_json_get(resp, "error"));
	if (!ok) {
		if (file_name)
			fprintf(stderr, "flowctl: %s: %s\n", file_name,
				error ? error : "request refused");
		else
			fprintf(stderr, "flowctl: %s\n", error ? error : "request refused");
		if (fc->json)
			flowctl_print_json(stdout, resp);
		ret = FLOWCTL_REFUSED;
	} else if (fc->json) {
		flowctl_print_json(stdout, res);
	} else if (cmd->print && res) {
		cmd->print(stdout, res);
	}
	fl_json_free(resp);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct flowctl fc = {.fd = -1, .timeout_s = 60};
	const char *env = getenv("FLOWLANE_SOCKET");
	char *end;
	unsigned i;
	int c, ret;

	fc.socket = env && env[0] ? env : FL_CTL_SOCKET_DEFAULT;
	while ((c = getopt_long(argc, argv, "+s:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			fc.socket = optarg;
			break;
		case 'j':
			fc.json = true;
			break;
		case 't':
			fc.timeout_s = strtod(optarg, &end);
			if (*end || !(fc.timeout_s > 0) || fc.timeout_s > 86400) {
				fprintf(stderr, "flowctl: --timeout: seconds, more than 0\n");
				return FLOWCTL_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return FLOWCTL_OK;
		default:
			fprintf(stderr, "Try 'flowctl --help'.\n");
			return FLOWCTL_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flowctl: no command\nTry 'flowctl --help'.\n");
		return FLOWCTL_USAGE;
	}
	/* scripts write "flowctl show --json" as often as "flowctl --json show":
	 * --json and --help are taken after the command too (no command has an
	 * argument or option spelled so) */
	for (i = (unsigned)optind + 1, c = optind + 1; i < (unsigned)argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			fc.json = true;
			continue;
		}
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return FLOWCTL_OK;
		}
		argv[c++] = argv[i];
	}
	argc = c;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(argv[optind], cmd->name))
			continue;
		if (cmd->run)
			ret = cmd->run(&fc, argc - optind - 1, argv + optind + 1);
		else
			ret = run_command(&fc, cmd, argc - optind - 1, argv + optind + 1);
		if (fc.fd >= 0)
			close(fc.fd);
		free(fc.in);
		return ret;
	}
	fprintf(stderr, "flowctl: unknown command '%s'\nTry 'flowctl --help'.\n", argv[optind]);
	return FLOWCTL_USAGE;
}
