/* Inside the control module: the control structure, the request being
 * handled, and the command handlers (one file per group of commands:
 * cmd_port.c, cmd_flow.c, cmd_stats.c, cmd_settings.c, cmd_capture.c),
 * listed in one table in control.c.
 */
#ifndef FL_CONTROL_CONTROL_PRIVATE_H
#define FL_CONTROL_CONTROL_PRIVATE_H

#include <sys/types.h>

#include "control/control.h"
#include "control/state.h"
#include "core/compiler.h"

#define CTL_RETRY_PORT_NS (5ull * 1000000000ull) /* a port waiting to open */

/* A configured port. Normally open in the switch; after a restart whose
 * backend could not open it (interface missing), kept here, shown with its
 * error, retried, and saved like any other. */
struct ctl_port {
	char name[FL_PORT_NAME_MAX];
	char spec[FL_PORT_SPEC_MAX];
	uint32_t port_no;
	bool open;
	char error[256];       /* why it is not open */
	uint64_t next_try_ns;
};

/* Flow changes not yet on disk, as journal op lines (persist.c). */
struct ctl_ops {
	char *buf;
	size_t len, cap;
	bool failed; /* out of memory on the way: write the whole state */
};

struct fl_control {
	struct fl_switch *sw;
	char *state_path;               /* NULL: nothing persisted */
	int state_lock_fd;              /* STATE.lock, held while running */
	struct fl_switch_params cfg;    /* settings as configured (0 = default) */
	unsigned n_ports;
	struct ctl_port ports[FL_DP_MAX_PORTS]; /* in the order they were added */
	bool save_pending;              /* a change is not on disk yet */
	uint64_t last_save_ns;
	size_t state_bytes;             /* the state file's size when last written */
	struct fl_ctl_journal journal;  /* flow changes since then */
	struct ctl_ops ops;             /* flow changes not in either yet */
	uint64_t start_ns;
	struct fl_ctl_session *capturing; /* the session that runs the capture */
};

/* A streaming session (cmd_capture.c). */
struct fl_ctl_session {
	struct fl_capture *cap;
	uint64_t frames, bytes;
	bool stopping;              /* end the stream at the next drain */
	bool done_seen;             /* count reached at the last drain */
	char port[FL_PORT_NAME_MAX];
};

/* One request being handled. */
struct ctl_call {
	struct fl_control *ctl;
	struct fl_ctl_session *session;
	const struct fl_json *args;   /* an object (empty when none was sent) */
	struct fl_jw *res;            /* members of the result object */
	bool changed;                 /* the configuration changed: save */
	bool flows_only;              /* ... and only flows: the journal will do */
	bool stream;                  /* the handler started a stream */
	char err[1024];
};

typedef int ctl_handler(struct ctl_call *c);

struct ctl_command {
	const char *name;
	ctl_handler *fn;
	const char *const *args;      /* argument names it takes, NULL-terminated */
};

int ctl_fail(struct ctl_call *c, int ret, const char *fmt, ...) FL_PRINTF(3, 4);

/* Arguments: absent optional ones leave *out untouched and return 0; a
 * wrong type is an error naming the argument. */
int ctl_arg_str(struct ctl_call *c, const char *key, bool required, const char **out);
int ctl_arg_u64(struct ctl_call *c, const char *key, bool required, uint64_t min, uint64_t max,
		uint64_t *out);
int ctl_arg_bool(struct ctl_call *c, const char *key, bool *out);

/* Shared by the handlers and the state restore. */
struct ctl_port *ctl_port_find(struct fl_control *ctl, const char *name_or_no);
int ctl_port_add(struct fl_control *ctl, const char *name, uint32_t port_no, const char *spec,
		 bool keep_if_fails, char *err, size_t errlen);
void ctl_ports_retry(struct fl_control *ctl, uint64_t now_ns);
int ctl_flows_add_text(struct fl_control *ctl, const char *text, size_t *changed, char *err,
		       size_t errlen);
/* A deleted port ends the capture that runs on it. */
void ctl_capture_port_gone(struct fl_control *ctl, const char *name);
/* mkdir -p of the directory a file path is in. */
int fl_ctl_make_parent_dirs(const char *path, mode_t mode, char *err, size_t errlen);
/* Lock LOCK (created if needed) for this process's life: the fd, or a
 * negative errno with "another flowlane (pid N) is running on WHAT PATH". */
int ctl_lock_file(const char *lock, const char *what, const char *path, char *err,
		  size_t errlen);
/* The configuration as it is now, for the state file. */
int ctl_state_snapshot(struct fl_control *ctl, struct fl_ctl_state *st);
/* A rule's text as the state file and the journal keep it: in buf when it
 * fits, else malloc'd (free it when != buf); NULL without memory. */
char *ctl_state_flow_text(const struct fl_flow_spec *spec, char *buf, size_t size);

/* Persistence (persist.c). */
void ctl_observe_rule(void *arg, const struct fl_rule_info *info, bool added);
/* fl_ctl_journal_fn for the journal at start. */
int ctl_journal_apply(void *arg, char *ops, size_t len, char *err, size_t errlen);
/* Make the changes so far durable before a reply: the journal when only
 * flows changed (flows_only) and it may grow, else the whole state file. */
int ctl_persist(struct fl_control *ctl, bool flows_only, char *err, size_t errlen);
void ctl_ops_free(struct fl_control *ctl);

/* Handlers. */
int ctl_cmd_add_port(struct ctl_call *c);
int ctl_cmd_del_port(struct ctl_call *c);
int ctl_cmd_show(struct ctl_call *c);
int ctl_cmd_dump_ports(struct ctl_call *c);
int ctl_cmd_add_flow(struct ctl_call *c);
int ctl_cmd_add_flows(struct ctl_call *c);
int ctl_cmd_mod_flows(struct ctl_call *c);
int ctl_cmd_del_flows(struct ctl_call *c);
int ctl_cmd_dump_flows(struct ctl_call *c);
int ctl_cmd_dump_caches(struct ctl_call *c);
int ctl_cmd_trace(struct ctl_call *c);
int ctl_cmd_set(struct ctl_call *c);
int ctl_cmd_get(struct ctl_call *c);
int ctl_cmd_capture(struct ctl_call *c);
int ctl_cmd_version(struct ctl_call *c);

#endif
