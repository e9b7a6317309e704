/* The daemon's configuration as data: the settings (one table that drives
 * flowctl set/get, the state file and --help), and the state file that
 * holds ports, table-miss settings, flows and settings across restarts.
 *
 * State file (JSON, pretty-printed so a person can read and diff it):
 *
 *   {
 *     "flowlane_state": 1,
 *     "settings": {"workers": 2, "buffers": 0, "emc-entries": 0, ...},
 *     "table_miss": {"0": "normal"},
 *     "ports": [{"name": "p1", "port_no": 1, "spec": "afpacket:veth0"}],
 *     "flows": ["table=0, priority=10,ip actions=output:2", ...]
 *   }
 *
 * Settings hold what was configured, 0 meaning "the default" (for workers:
 * one per CPU the control thread leaves). Flows are fl_flow_format()'s
 * canonical text of each rule (table, priority, cookie, timeouts, flags).
 * Reading is strict: unknown keys, wrong types, out-of-range values and
 * duplicates are errors naming the item ("ports[2].spec: missing"), never
 * skipped, so a damaged file cannot silently lose configuration.
 */
#ifndef FL_CONTROL_STATE_H
#define FL_CONTROL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/json.h"
#include "datapath/switch.h"

#define FL_CTL_STATE_VERSION 1

/* --- settings --- */

struct fl_ctl_setting {
	const char *name;     /* "emc-entries" */
	const char *help;     /* one line */
	bool boolean;         /* true/false (on/off); else a number in [min, max] */
	bool pow2;            /* a power of two */
	bool start_only;      /* saved now, takes effect at the next start */
	uint64_t min, max;    /* for `set`; the state file also takes 0 = default */
	uint64_t (*get)(const struct fl_switch_params *p);
	void (*set)(struct fl_switch_params *p, uint64_t v);
};

const struct fl_ctl_setting *fl_ctl_settings(unsigned *n);
const struct fl_ctl_setting *fl_ctl_setting_find(const char *name);
/* Parse a value as text ("4096", "on") for setting s; 0 or -EINVAL with
 * "emc-entries: ..." in err. zero_ok: 0 (= default) allowed (state file). */
int fl_ctl_setting_parse(const struct fl_ctl_setting *s, const char *text, bool zero_ok,
			 uint64_t *v, char *err, size_t errlen);
int fl_ctl_setting_check(const struct fl_ctl_setting *s, uint64_t v, bool zero_ok, char *err,
			 size_t errlen);

/* --- the state --- */

struct fl_ctl_state_port {
	char name[FL_PORT_NAME_MAX];
	char spec[FL_PORT_SPEC_MAX];
	uint32_t port_no;
};

struct fl_ctl_state {
	struct fl_switch_params params;          /* settings as configured */
	uint8_t miss[FL_PIPELINE_TABLES];        /* enum fl_table_miss per table */
	unsigned n_ports;
	struct fl_ctl_state_port ports[FL_DP_MAX_PORTS];
	size_t n_flows, cap_flows;
	char **flows;
};

void fl_ctl_state_init(struct fl_ctl_state *st);
void fl_ctl_state_clear(struct fl_ctl_state *st); /* frees the flows, back to init */
int fl_ctl_state_add_flow(struct fl_ctl_state *st, const char *text); /* copies; -ENOMEM */

const char *fl_ctl_miss_name(enum fl_table_miss m);          /* "drop" */
int fl_ctl_miss_parse(const char *name, enum fl_table_miss *m); /* 0 or -EINVAL */

/* The state as JSON text (pretty, ending in a newline) appended to w. */
void fl_ctl_state_to_json(const struct fl_ctl_state *st, struct fl_jw *w);
/* Fill st (initialised by the caller) from JSON text; -EINVAL with what and
 * where in err. */
int fl_ctl_state_from_json(struct fl_ctl_state *st, const char *text, size_t len, char *err,
			   size_t errlen);

/* Write atomically: PATH.tmp, fsync, rename over PATH, fsync the directory.
 * 0 or a negative errno with "PATH: ..." in err; on failure PATH is as it
 * was. */
int fl_ctl_state_save(const char *path, const struct fl_ctl_state *st, char *err, size_t errlen);
/* 0 when loaded, 1 when PATH does not exist (a fresh start), or a negative
 * errno with "state file PATH: ..." in err. */
int fl_ctl_state_load(const char *path, struct fl_ctl_state *st, char *err, size_t errlen);

#endif
