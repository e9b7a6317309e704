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
 *     "flows": ["table=0, priority=10,ip actions=output:2", ...],
 *     "journal": "5f0c9a1e77d2b3c4"
 *   }
 *
 * Settings hold what was configured, 0 meaning "the default" (for workers:
 * one per CPU the control thread leaves). Flows are fl_flow_format()'s
 * canonical text of each rule (table, priority, cookie, timeouts, flags).
 * Flow changes made since the file was written are in STATE.journal, the
 * one whose first line names the same "journal" (journal.c).
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
#define FL_CTL_JOURNAL_ID_LEN 16

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
	/* Names the journal that goes with this state file (journal.c):
	 * 16 hex digits, "" in a file written before journals. */
	char journal[FL_CTL_JOURNAL_ID_LEN + 1];
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

/* --- the journal (journal.c has the format and why) --- */

/* STATE.journal, open for appending (control thread). */
struct fl_ctl_journal {
	int fd;       /* -1: closed */
	size_t bytes; /* committed length */
	bool broken;  /* a failed append could not be taken back: no appends
		       * until a reset */
};

void fl_ctl_journal_init(struct fl_ctl_journal *j);
/* Create or open STATE.journal for appending. 0 or a negative errno with
 * "PATH: ..." in err. */
int fl_ctl_journal_open(struct fl_ctl_journal *j, const char *state_path, char *err,
			size_t errlen);
void fl_ctl_journal_close(struct fl_ctl_journal *j);
/* One change: ops ("+FLOW\n" / "-FLOW\n" lines) and its end, written
 * together and fdatasync'd. 0, or a negative errno with err (the journal
 * is as it was before, or marked broken). */
int fl_ctl_journal_append(struct fl_ctl_journal *j, const char *ops, size_t len, char *err,
			  size_t errlen);
/* A new journal id for a state file about to be written. */
void fl_ctl_journal_new_id(char id[FL_CTL_JOURNAL_ID_LEN + 1]);
/* Start it over for the state file just written with everything in it
 * and journal id `id`: emptied, then the id line. */
int fl_ctl_journal_reset(struct fl_ctl_journal *j, const char *id, char *err, size_t errlen);

/* Hand each complete change of STATE.journal (its op lines, NUL-terminated,
 * without the end line) to fn, in order; a torn change at the end is
 * ignored. Only a journal whose id line is `id` (the state file's) counts:
 * another (the state file was replaced after it, or by hand) is skipped
 * whole and *foreign set. Returns the number of changes (0 without a
 * journal), or a negative errno with err naming the file and line: a line
 * that is not an op or an end, or fn's error. */
typedef int (*fl_ctl_journal_fn)(void *ctx, char *ops, size_t len, char *err, size_t errlen);
long fl_ctl_journal_replay(const char *state_path, const char *id, fl_ctl_journal_fn fn,
			   void *ctx, bool *foreign, char *err, size_t errlen);

#endif
