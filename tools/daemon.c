/* flowlane (no subcommand): the daemon.
 *
 * Start-up order matters: the control socket is locked first (a second
 * daemon stops before it reads the state file or opens an interface), then
 * the state file is read and the switch built from it, then the daemon is
 * ready. With --detach the parent waits for that moment and exits 0, or
 * prints the child's start-up error and exits 1, so `flowlane --detach &&
 * flowctl show` works in a script. The main thread is the control thread
 * (src/control/server.c); SIGINT and SIGTERM are blocked in every thread and
 * read from a signalfd, so a stop always goes through the clean path:
 * clients closed, state saved, ports closed, socket removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "control/control.h"
#include "control/version.h"
#include "core/log.h"
#include "tools.h"

#define FL_LOG_MODULE "daemon"

struct daemon_opts {
	char socket[PATH_MAX];
	char state[PATH_MAX];
	char pidfile[PATH_MAX];
	unsigned workers, buffers;
	bool detach;
	bool pidfile_given;
	int verbosity;
};

static int ready_fd = -1; /* --detach: the pipe to the waiting parent */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flowlane [options]\n"
		"       flowlane run --port NAME=SPEC ... [options]   (one-shot; flowlane run --help)\n"
		"       flowlane replay --flows FILE --in CAPTURE --out DIR [options]\n"
		"                     (a capture through a rule set; flowlane replay --help)\n"
		"\n"
		"Run the switch as a daemon: ports, flows and settings come from flowctl\n"
		"over a control socket and are kept in a state file, so a restart (even\n"
		"after kill -9) comes back with everything that was acknowledged.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH   control socket (default " FL_CTL_SOCKET_DEFAULT ",\n"
		"                      mode 0660, directory created)\n"
		"  -S, --state PATH    state file (default " FL_CTL_STATE_DEFAULT ");\n"
		"                      missing = start empty, unreadable or corrupt = refuse\n"
		"                      to start\n"
		"  -w, --workers N     worker threads (default: from the state file, else one\n"
		"                      per CPU the control thread leaves); saved. Workers\n"
		"                      run on the CPUs flowlane may use (taskset, cpuset)\n"
		"  -b, --buffers N     packet buffers in the pool (default 16384); saved\n"
		"  -d, --detach        run in the background: logs to syslog, pidfile\n"
		"  -p, --pidfile PATH  with --detach (default " FL_CTL_PIDFILE_DEFAULT ")\n"
		"  -v, --verbose       log more (debug)\n"
		"  -q, --quiet         log warnings and errors only\n"
		"  -h, --help          this text\n"
		"\n"
		"Stops cleanly on SIGTERM or SIGINT: state saved, ports closed, socket\n"
		"removed. Program it with flowctl (flowctl --help):\n"
		"  flowlane --socket /tmp/fl.sock --state /tmp/fl.json &\n"
		"  flowctl --socket /tmp/fl.sock add-port p1 null:\n"
		"  flowctl --socket /tmp/fl.sock add-flow 'in_port=p1 actions=drop'\n");
}

/* Relative paths are made absolute: a detached daemon runs in /. */
static int absolute(char *dst, const char *path, const char *what)
{
	char cwd[PATH_MAX];
	int n;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		n = snprintf(dst, PATH_MAX, "%s", path);
	else
		n = snprintf(dst, PATH_MAX, "%s/%s", cwd, path);
	if (!path[0] || n >= PATH_MAX) {
		fprintf(stderr, "flowlane: %s '%s': empty or too long\n", what, path);
		return -EINVAL;
	}
	return 0;
}

static int parse_count(const char *s, const char *what, unsigned min, unsigned max,
		       unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "flowlane: %s: '%s' is not a number from %u to %u\n", what, s, min,
			max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_options(int argc, char **argv, struct daemon_opts *o)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"state", required_argument, NULL, 'S'},
		{"workers", required_argument, NULL, 'w'},
		{"buffers", required_argument, NULL, 'b'},
		{"detach", no_argument, NULL, 'd'},
		{"pidfile", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = FL_CTL_SOCKET_DEFAULT, *state = FL_CTL_STATE_DEFAULT;
	const char *pidfile = FL_CTL_PIDFILE_DEFAULT;
	int c;

	o->verbosity = FL_LOG_INFO;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:S:w:b:dp:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'w':
			if (parse_count(optarg, "--workers", 1, FL_SWITCH_MAX_WORKERS, &o->workers))
				return -EINVAL;
			break;
		case 'b':
			if (parse_count(optarg, "--buffers", 64, 1u << 24, &o->buffers))
				return -EINVAL;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'p':
			pidfile = optarg;
			o->pidfile_given = true;
			break;
		case 'v':
			o->verbosity = FL_LOG_DEBUG;
			break;
		case 'q':
			o->verbosity = FL_LOG_WARN;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "flowlane: %s needs an argument\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "flowlane: unknown option '%s'%s\nTry 'flowlane --help'.\n",
				argv[optind - 1],
				" (the one-shot switch with --port, --flows, --map is 'flowlane run')");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "flowlane: unknown command '%s' (commands: run)\n"
				"Try 'flowlane --help'.\n", argv[optind]);
		return -EINVAL;
	}
	if (o->pidfile_given && !o->detach) {
		fprintf(stderr, "flowlane: --pidfile goes with --detach\n");
		return -EINVAL;
	}
	if (absolute(o->socket, sock, "--socket") || absolute(o->state, state, "--state") ||
	    absolute(o->pidfile, pidfile, "--pidfile"))
		return -EINVAL;
	return 0;
}

static void syslog_sink(enum fl_log_level level, const char *module, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	syslog(prio[level], "%s: %s", module, msg);
}

/* A start-up error: to the waiting parent (--detach) or stderr. */
static int fail_start(const char *msg)
{
	if (ready_fd >= 0) {
		char buf[1100];
		int n = snprintf(buf, sizeof(buf), "1%s", msg);

		if (write(ready_fd, buf, (size_t)n) < 0)
			syslog(LOG_ERR, "flowlane: %s", msg);
		close(ready_fd);
		ready_fd = -1;
	} else {
		fprintf(stderr, "flowlane: %s\n", msg);
	}
	return 1;
}

/* --detach: fork; the parent waits for the child's word and exits with it. */
static void detach(void)
{
	char buf[1100];
	int pfd[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "flowlane: cannot detach: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(pfd[1]);
		n = read(pfd[0], buf, sizeof(buf) - 1);
		if (n <= 0) {
			fprintf(stderr, "flowlane: the daemon exited during start-up (see syslog)\n");
			exit(1);
		}
		buf[n] = '\0';
		if (buf[0] == '0')
			exit(0);
		fprintf(stderr, "flowlane: %s\n", buf + 1);
		exit(1);
	}
	close(pfd[0]);
	ready_fd = pfd[1];
	setsid();
	openlog("flowlane", LOG_PID, LOG_DAEMON);
	fl_log_set_sink(syslog_sink);
}

static int write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");

	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		int e = errno;

		/* the path may be long: the reason matters more than all of it */
		snprintf(err, errlen, "pidfile: %s: %.900s", strerror(e), path);
		return -e;
	}
	return 0;
}

/* --detach: tell the parent, leave the terminal. */
static void ready(void)
{
	int null;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, "0", 1) < 0)
		FL_LOG(FL_LOG_WARN, "the starting process went away");
	close(ready_fd);
	ready_fd = -1;
	if (chdir("/") < 0)
		FL_LOG(FL_LOG_WARN, "chdir /: %s", strerror(errno));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
}

int fl_tool_daemon(int argc, char **argv)
{
	struct daemon_opts o = {0};
	struct fl_ctl_options copts = {0};
	struct fl_ctl_server *srv;
	struct fl_control *ctl;
	char err[1024];
	sigset_t stop;
	int sig;

	if (parse_options(argc, argv, &o))
		return 2;
	fl_log_set_level(o.verbosity);
	if (o.detach)
		detach();
	/* before any thread exists, so every thread inherits the mask */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = fl_ctl_server_open(o.socket, err, sizeof(err));
	if (!srv)
		return fail_start(err);
	copts.state_path = o.state;
	copts.workers = o.workers;
	copts.buffers = o.buffers;
	ctl = fl_control_open(&copts, err, sizeof(err));
	if (!ctl) {
		fl_ctl_server_close(srv);
		return fail_start(err);
	}
	if (o.detach && write_pidfile(o.pidfile, err, sizeof(err)) < 0) {
		fl_control_close(ctl);
		fl_ctl_server_close(srv);
		return fail_start(err);
	}
	FL_LOG(FL_LOG_INFO, "flowlane %s ready: socket %s, state %s, %u workers", FL_VERSION,
	       o.socket, o.state, fl_switch_n_workers(fl_control_switch(ctl)));
	ready();
	sig = fl_ctl_server_run(srv, ctl, &stop);
	if (sig > 0)
		FL_LOG(FL_LOG_INFO, "stopping on %s", strsignal(sig));
	else
		FL_LOG(FL_LOG_ERR, "control loop failed: %s", strerror(-sig));
	fl_ctl_server_close(srv);
	fl_control_close(ctl);
	if (o.detach)
		unlink(o.pidfile);
	FL_LOG(FL_LOG_INFO, "stopped");
	return sig > 0 ? 0 : 1;
}
