/* flowctl's parts: the connection and the command table (flowctl.c), the
 * human-readable printers (flowctl_print.c), capture to pcap
 * (flowctl_capture.c). */
#ifndef FL_TOOLS_FLOWCTL_H
#define FL_TOOLS_FLOWCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "control/json.h"

/* Exit codes (flowctl --help documents them). */
enum {
	FLOWCTL_OK = 0,
	FLOWCTL_REFUSED = 1,     /* the daemon refused the request */
	FLOWCTL_USAGE = 2,       /* bad command line */
	FLOWCTL_UNREACHABLE = 3, /* no daemon, or no answer in time */
};

struct flowctl {
	const char *socket;
	bool json;
	double timeout_s;
	int fd;
	char *in;               /* received, not yet consumed */
	size_t in_len, in_cap;
	size_t scanned;         /* bytes of in known to hold no newline */
};

/* Connect (once); FLOWCTL_OK or FLOWCTL_UNREACHABLE with the message printed. */
int flowctl_connect(struct flowctl *fc);
/* Send a request line (the writer's text plus '\n'). */
int flowctl_send(struct flowctl *fc, const struct fl_jw *req);
/* The next line from the daemon, parsed; timeout_ms < 0: no limit.
 * FLOWCTL_OK with *out, or FLOWCTL_UNREACHABLE (message printed). */
int flowctl_recv(struct flowctl *fc, int timeout_ms, struct fl_json **out);
/* An interruptible wait for the next line: returns -EINTR when a signal
 * arrived (and nothing was read). */
int flowctl_recv_intr(struct flowctl *fc, int timeout_ms, struct fl_json **out);

/* Printers: one per command that shows something. */
void flowctl_print_show(FILE *out, const struct fl_json *res);
void flowctl_print_dump_flows(FILE *out, const struct fl_json *res);
void flowctl_print_dump_ports(FILE *out, const struct fl_json *res);
void flowctl_print_dump_caches(FILE *out, const struct fl_json *res);
void flowctl_print_trace(FILE *out, const struct fl_json *res);
void flowctl_print_settings(FILE *out, const struct fl_json *res);
void flowctl_print_version(FILE *out, const struct fl_json *res);
void flowctl_print_json(FILE *out, const struct fl_json *v);

/* capture PORT ...: the whole subcommand. */
int flowctl_capture(struct flowctl *fc, int argc, char **argv);

#endif
