/* The control plane of the flowlane daemon: the commands flowctl sends,
 * the state file that makes them survive a restart, and the Unix socket
 * server that carries them.
 *
 *   flowctl --(one JSON request per line)--> server.c (epoll, per-client
 *   buffers, never blocks on a client) --> fl_control_request()
 *     --> command handler (cmd_*.c) --> struct fl_switch (datapath/switch.h)
 *     --> state saved (state.c) --> one JSON response line back
 *
 * Protocol: {"cmd":"add-flow","args":{"flow":"ip actions=drop"}} is
 * answered by {"ok":true,"result":{...}} or {"ok":false,"error":"..."}.
 * A rejected request changes nothing. A request that changes the
 * configuration (ports, flows, settings) is answered only after the state
 * file holds the change (written atomically: temp file, fsync, rename,
 * fsync of the directory). `capture` is the one streaming command: after its
 * first response come {"frame":{...}} lines and a final response; any line
 * the client sends meanwhile stops it.
 *
 * At start the state file is read and applied through the same handlers as
 * the commands: a missing file is a fresh start, an unreadable or corrupt
 * one an error (the daemon refuses to start rather than run empty). A port
 * whose backend cannot open at start (an interface not there yet) stays
 * configured, is shown with its error, and is retried every few seconds.
 *
 * Everything here runs on the control thread.
 */
#ifndef FL_CONTROL_CONTROL_H
#define FL_CONTROL_CONTROL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/json.h"
#include "datapath/switch.h"

#define FL_CTL_SOCKET_DEFAULT "/run/flowlane/flowlane.sock"
#define FL_CTL_STATE_DEFAULT "/var/lib/flowlane/state.json"
#define FL_CTL_PIDFILE_DEFAULT "/run/flowlane/flowlane.pid"
#define FL_CTL_MAX_REQUEST (64u << 20) /* bytes in one request line (add-flows text) */

struct fl_control;
struct fl_ctl_session;

struct fl_ctl_options {
	const char *state_path;  /* NULL: nothing persisted (tests) */
	unsigned workers;        /* 0: from the state file, else auto */
	unsigned buffers;        /* 0: from the state file, else the default */
};

/* Read the state file, create the switch with its settings (options
 * override), restore ports, table-miss settings and flows. NULL with a
 * message naming the file and what is wrong in err. */
struct fl_control *fl_control_open(const struct fl_ctl_options *opt, char *err, size_t errlen);
/* Save the state (if a change is not on disk yet), stop the switch, free. */
void fl_control_close(struct fl_control *ctl);
struct fl_switch *fl_control_switch(struct fl_control *ctl);

/* A client connection's state between requests (a running capture). */
struct fl_ctl_session *fl_ctl_session_new(void);
/* Stops what the session runs and frees it. */
void fl_ctl_session_free(struct fl_control *ctl, struct fl_ctl_session *s);

/* Handle one request line (without its newline): appends exactly one
 * response line, newline included, to out. */
void fl_control_request(struct fl_control *ctl, struct fl_ctl_session *s, const char *line,
			size_t len, struct fl_jw *out);

/* A streaming session (capture): whether it has a stream running; drain
 * appends frame lines to out while out->len < max_out, and the final
 * response line when the stream ends (count reached, or stop). Returns true
 * when the stream has ended. */
bool fl_ctl_session_streaming(const struct fl_ctl_session *s);
bool fl_ctl_session_drain(struct fl_control *ctl, struct fl_ctl_session *s, struct fl_jw *out,
			  size_t max_out);
void fl_ctl_session_stop(struct fl_control *ctl, struct fl_ctl_session *s, struct fl_jw *out);

/* About once a second: the switch's housekeeping (links, timeouts), ports
 * waiting to open, and a state save when something changed or an earlier
 * save failed (at most once a second). */
void fl_control_tick(struct fl_control *ctl, uint64_t now_ns);

/* Write the state file now. 0 or a negative errno with a message. */
int fl_control_save(struct fl_control *ctl, char *err, size_t errlen);

/* --- the socket server (server.c) --- */

struct fl_ctl_server;

/* Take the socket: lock PATH.lock (another daemon holding it is an error
 * naming its pid), create the directory, replace a stale socket, bind,
 * chmod 0660, listen. Done before anything else at start, so a second
 * daemon stops before it touches the state file or any interface. NULL
 * with a message. */
struct fl_ctl_server *fl_ctl_server_open(const char *path, char *err, size_t errlen);
/* Serve ctl until one of `stop` (blocked by the caller in every thread)
 * arrives; returns the signal number, or a negative errno if epoll fails. */
int fl_ctl_server_run(struct fl_ctl_server *srv, struct fl_control *ctl, const sigset_t *stop);
/* Close the clients and the socket and remove it (the lock file stays:
 * removing it would let two daemons lock two inodes of one name). */
void fl_ctl_server_close(struct fl_ctl_server *srv);

#endif
