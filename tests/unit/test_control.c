/* Tests of the daemon's command handling (control/control.h) on a real
 * switch with ports that need no privileges (null, gen, ring, pcap):
 * requests go through fl_control_request() as the socket server sends
 * them, responses are parsed as flowctl parses them.
 *
 * What is checked is the contract of the control socket: every malformed
 * or refused request is an error that names what is wrong and changes
 * nothing (compared by dumping before and after), every accepted change is
 * in the state file before the reply, and a control reopened from that file
 * has the same ports, flows and settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/control.h"
#include "control/state.h"
#include "core/file.h"
#include "core/time.h"

static char tmpdir[64];
static char state_path[128];
static char err[1024];
static struct fl_control *ctl;
static struct fl_json *resp;   /* the last response */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct fl_control *open_ctl(void)
{
	struct fl_ctl_options o = {.state_path = state_path, .workers = 1, .buffers = 2048};
	struct fl_control *c = fl_control_open(&o, err, sizeof(err));

	if (!c)
		fail_msg("fl_control_open: %s", err);
	return c;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fl_test_control.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(state_path, sizeof(state_path), "%s/sub/state.json", tmpdir);
	ctl = open_ctl();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fl_json_free(resp);
	resp = NULL;
	fl_control_close(ctl);
	ctl = NULL;
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Send one request line; the response must be one line. Returns whether it
 * was ok; the result (or error text) is in resp. */
static bool request_on(struct fl_control *c, struct fl_ctl_session *s, const char *line)
{
	struct fl_jw out;
	bool ok = false;

	fl_jw_init(&out, false);
	fl_control_request(c, s, line, strlen(line), &out);
	assert_false(fl_jw_failed(&out));
	assert_true(out.len > 0 && out.buf[out.len - 1] == '\n');
	assert_null(memchr(out.buf, '\n', out.len - 1));
	fl_json_free(resp);
	if (fl_json_parse(out.buf, out.len - 1, &resp, NULL, err, sizeof(err)))
		fail_msg("response does not parse: %s: %s", err, out.buf);
	assert_true(fl_json_bool(fl_json_get(resp, "ok"), &ok));
	if (ok)
		assert_non_null(fl_json_get(resp, "result"));
	else
		assert_non_null(fl_json_str(fl_json_get(resp, "error")));
	fl_jw_free(&out);
	return ok;
}

static bool request(const char *line)
{
	return request_on(ctl, NULL, line);
}

static const struct fl_json *result(void)
{
	return fl_json_get(resp, "result");
}

static void ok(const char *line)
{
	if (!request(line))
		fail_msg("'%s' refused: %s", line, fl_json_str(fl_json_get(resp, "error")));
}

/* Refused with an error containing msg. */
static void refused(const char *line, const char *msg)
{
	const char *e;

	if (request(line))
		fail_msg("'%s' accepted", line);
	e = fl_json_str(fl_json_get(resp, "error"));
	if (!strstr(e, msg))
		fail_msg("'%s': error '%s' lacks '%s'", line, e, msg);
}

/* The compact JSON of a command's result (of its member key, if not
 * NULL), to compare before and after. */
static char *snapshot_of(const char *line, const char *key)
{
	struct fl_jw w;
	char *s;

	ok(line);
	fl_jw_init(&w, false);
	fl_jw_value(&w, key ? fl_json_get(result(), key) : result());
	s = strdup(w.buf);
	fl_jw_free(&w);
	return s;
}

static char *snapshot(const char *line)
{
	return snapshot_of(line, NULL);
}

/* Flows without their counters and durations (which move on their own). */
static char *flows_text(void)
{
	const struct fl_json *flows;
	size_t i, len = 0;
	char *s;

	ok("{\"cmd\":\"dump-flows\"}");
	flows = fl_json_get(result(), "flows");
	s = calloc(1, 65536);
	for (i = 0; i < flows->arr.n; i++) {
		const struct fl_json *f = flows->arr.v[i];
		uint64_t t = 0;

		fl_json_u64(fl_json_get(f, "table"), &t);
		len += (size_t)snprintf(s + len, 65536 - len, "table=%u %s actions=%s\n",
					(unsigned)t, fl_json_str(fl_json_get(f, "match")),
					fl_json_str(fl_json_get(f, "actions")));
	}
	return s;
}

static uint64_t n_items(const char *line, const char *key)
{
	ok(line);
	return fl_json_get(result(), key)->arr.n;
}

static void malformed_requests_are_named(void **state)
{
	(void)state;
	refused("", "request: json: empty input");
	refused("{\"cmd\":\"show\"", "request: json: unexpected end of input");
	refused("[\"show\"]", "request: expected an object");
	refused("{\"args\":{}}", "'cmd' is missing or not a string");
	refused("{\"cmd\":7}", "'cmd' is missing or not a string");
	refused("{\"cmd\":\"shwo\"}", "unknown command 'shwo'");
	refused("{\"cmd\":\"show\",\"id\":1}", "unknown member 'id'");
	refused("{\"cmd\":\"show\",\"args\":[]}", "'args' must be an object");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p1\"}}", "missing argument 'spec'");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p1\",\"spec\":\"null:\",\"mtu\":1}}",
		"add-port: unknown argument 'mtu'");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":1,\"spec\":\"null:\"}}",
		"argument 'name': expected a string, not number");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p\",\"spec\":\"null:\",\"port_no\":0}}",
		"argument 'port_no': 0 is out of range");
	refused("{\"cmd\":\"del-flows\",\"args\":{\"strict\":\"yes\"}}",
		"argument 'strict': expected true or false");
	assert_int_equal(n_items("{\"cmd\":\"show\"}", "ports"), 0);
}

static void ports_are_checked_before_anything_changes(void **state)
{
	char *before, *after;

	(void)state;
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p1\",\"spec\":\"null:\"}}");
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p2\",\"port_no\":7,\"spec\":\"null:\"}}");
	before = snapshot_of("{\"cmd\":\"show\"}", "ports");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p1\",\"spec\":\"null:\"}}",
		"port p1 exists (number 1, null:)");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p3\",\"port_no\":7,\"spec\":\"null:\"}}",
		"number 7 is taken by port p2");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p3\",\"spec\":\"bogus:x\"}}",
		"bogus");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p3\",\"spec\":\"pcap:/nonexistent/x.pcap\"}}",
		"/nonexistent/x.pcap");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"42\",\"spec\":\"null:\"}}",
		"a number would read as a port number");
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"a,b\",\"spec\":\"null:\"}}",
		"only letters, digits");
	refused("{\"cmd\":\"del-port\",\"args\":{\"port\":\"p9\"}}", "no port 'p9'");
	after = snapshot_of("{\"cmd\":\"show\"}", "ports");
	assert_string_equal(after, before);
	free(before);
	free(after);

	/* the next free number skips 7; del by number */
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"p3\",\"spec\":\"null:\"}}");
	assert_int_equal(fl_json_get(result(), "port_no")->num.u, 2);
	ok("{\"cmd\":\"del-port\",\"args\":{\"port\":\"7\"}}");
	assert_string_equal(fl_json_str(fl_json_get(result(), "name")), "p2");
	assert_int_equal(n_items("{\"cmd\":\"show\"}", "ports"), 2);
	ok("{\"cmd\":\"dump-ports\",\"args\":{\"port\":\"p3\"}}");
	assert_int_equal(fl_json_get(result(), "ports")->arr.n, 1);
	refused("{\"cmd\":\"dump-ports\",\"args\":{\"port\":\"p2\"}}", "no port 'p2'");
}

static void flow_mods_are_all_or_nothing(void **state)
{
	char *before, *after;

	(void)state;
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"a\",\"spec\":\"null:\"}}");
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"b\",\"spec\":\"null:\"}}");
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=10,in_port=a,ip actions=output:b\"}}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 1);
	before = flows_text();
	refused("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=10,in_port=a,ipp actions=drop\"}}",
		"flow: unknown keyword 'ipp' at column 23");
	refused("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"in_port=zz actions=drop\"}}", "zz");
	refused("{\"cmd\":\"add-flows\",\"args\":{\"text\":\"priority=1 actions=drop\\n"
		"# comment\\nnw_src=1.2.3.4 actions=drop\\n\"}}", "line 3");
	refused("{\"cmd\":\"mod-flows\",\"args\":{}}", "missing argument 'flow'");
	after = flows_text();
	assert_string_equal(before, after);
	free(after);

	ok("{\"cmd\":\"add-flows\",\"args\":{\"text\":\"priority=1 actions=drop\\n"
	   "table=1,priority=5,udp actions=output:a\\n\"}}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 2);
	ok("{\"cmd\":\"dump-flows\",\"args\":{\"filter\":\"table=1\"}}");
	assert_int_equal(fl_json_get(result(), "count")->num.u, 1);
	/* loose modify reaches both table-0 rules that are at least as specific */
	ok("{\"cmd\":\"mod-flows\",\"args\":{\"flow\":\"table=0 actions=output:a\"}}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 2);
	/* strict delete needs the exact match and priority */
	ok("{\"cmd\":\"del-flows\",\"args\":{\"flow\":\"priority=11,in_port=a,ip\",\"strict\":true}}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 0);
	ok("{\"cmd\":\"del-flows\",\"args\":{\"flow\":\"priority=10,in_port=a,ip\",\"strict\":true}}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 1);
	ok("{\"cmd\":\"del-flows\"}");
	assert_int_equal(fl_json_get(result(), "changed")->num.u, 2);
	ok("{\"cmd\":\"dump-flows\"}");
	assert_int_equal(fl_json_get(result(), "count")->num.u, 0);
	free(before);
}

static void counters_grow_with_traffic(void **state)
{
	uint64_t packets = 0;
	int i;

	(void)state;
	/* the flow first (by number), so every generated frame meets it */
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"sink\",\"spec\":\"null:\"}}");
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"in_port=2 actions=output:sink\"}}");
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"g\",\"port_no\":2,"
	   "\"spec\":\"gen:flows=4,count=300\"}}");
	for (i = 0; i < 200; i++) {
		const struct fl_json *f;

		ok("{\"cmd\":\"dump-flows\"}");
		f = fl_json_get(result(), "flows")->arr.v[0];
		fl_json_u64(fl_json_get(f, "n_packets"), &packets);
		ok("{\"cmd\":\"dump-ports\",\"args\":{\"port\":\"g\"}}");
		if (fl_json_get(fl_json_get(result(), "ports")->arr.v[0], "rx_packets")->num.u == 300)
			break;
		usleep(10000);
	}
	ok("{\"cmd\":\"dump-flows\"}");
	fl_json_u64(fl_json_get(fl_json_get(result(), "flows")->arr.v[0], "n_packets"), &packets);
	assert_int_equal(packets, 300);
	ok("{\"cmd\":\"dump-ports\",\"args\":{\"port\":\"sink\"}}");
	assert_int_equal(fl_json_get(fl_json_get(result(), "ports")->arr.v[0], "tx_packets")->num.u,
			 packets);
	ok("{\"cmd\":\"dump-caches\"}");
	assert_int_equal(fl_json_get(result(), "workers")->arr.n, 1);
	ok("{\"cmd\":\"trace\",\"args\":{\"packet\":\"in_port=g,udp,nw_dst=10.0.0.1\"}}");
	assert_non_null(strstr(fl_json_str(fl_json_get(result(), "trace")), "output:1"));
	refused("{\"cmd\":\"trace\",\"args\":{\"packet\":\"in_port=g,udpp\"}}", "udpp");
	refused("{\"cmd\":\"trace\",\"args\":{\"packet\":\"0011zz\",\"hex\":true}}",
		"expected a frame as hex bytes");
	ok("{\"cmd\":\"trace\",\"args\":{\"packet\":\"ffffffffffff 020000000001 0806\",\"hex\":true}}");
	assert_non_null(strstr(fl_json_str(fl_json_get(result(), "key")), "dl_type=0x0806"));
}

static void settings_apply_and_are_checked(void **state)
{
	const struct fl_json *s;

	(void)state;
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"emc-entries\",\"value\":\"4096\"}}");
	ok("{\"cmd\":\"get\",\"args\":{\"key\":\"emc-entries\"}}");
	s = fl_json_get(result(), "settings")->arr.v[0];
	assert_int_equal(fl_json_get(s, "value")->num.u, 4096);
	assert_int_equal(fl_json_get(s, "effective")->num.u, 4096);
	refused("{\"cmd\":\"set\",\"args\":{\"key\":\"emc-entries\",\"value\":1000}}",
		"emc-entries: 1000 is not a power of two");
	refused("{\"cmd\":\"set\",\"args\":{\"key\":\"workers\",\"value\":0}}",
		"workers: 0 is out of range");
	refused("{\"cmd\":\"set\",\"args\":{\"key\":\"colour\",\"value\":1}}",
		"unknown setting 'colour'");
	refused("{\"cmd\":\"set\",\"args\":{\"key\":\"table-miss\",\"value\":\"0=flood\"}}",
		"ACTION is drop, continue or normal");
	refused("{\"cmd\":\"set\",\"args\":{\"key\":\"table-miss\",\"value\":\"255=drop\"}}",
		"TABLE 0 to 254");
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"table-miss\",\"value\":\"0=normal\"}}");
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"buffers\",\"value\":4096}}");
	assert_true(fl_json_get(result(), "restart_needed")->b);
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"workers\",\"value\":2}}");
	ok("{\"cmd\":\"show\"}");
	assert_int_equal(fl_json_get(result(), "workers")->arr.n, 2);
	ok("{\"cmd\":\"get\"}");
	assert_string_equal(fl_json_str(fl_json_get(fl_json_get(result(), "table_miss"), "0")),
			    "normal");
}

/* Everything acknowledged is in the file before the reply, and a control
 * opened from the file has it back. */
static void state_survives_a_reopen(void **state)
{
	struct fl_ctl_state st;
	char *flows, *show_before, *ports_before, *after;

	(void)state;
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"a\",\"port_no\":3,\"spec\":\"null:\"}}");
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_load(state_path, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n_ports, 1);
	fl_ctl_state_clear(&st);
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"b\",\"spec\":\"ring:x\"}}");
	ok("{\"cmd\":\"add-flows\",\"args\":{\"text\":\"cookie=0x7,priority=9,in_port=a,tcp,"
	   "tp_dst=80 actions=mod_vlan_vid:5,output:b\\ntable=2,idle_timeout=300,priority=1 "
	   "actions=drop\\n\"}}");
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"table-miss\",\"value\":\"1=continue\"}}");
	ok("{\"cmd\":\"set\",\"args\":{\"key\":\"megaflow-limit\",\"value\":1000}}");
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_load(state_path, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n_flows, 2);
	assert_int_equal(st.miss[1], FL_MISS_CONTINUE);
	fl_ctl_state_clear(&st);

	flows = flows_text();
	ports_before = snapshot("{\"cmd\":\"get\"}");
	ok("{\"cmd\":\"show\"}");
	show_before = strdup(fl_json_str(fl_json_get(fl_json_get(result(), "ports")->arr.v[1],
						     "spec")));
	fl_control_close(ctl);
	ctl = open_ctl();
	after = flows_text();
	assert_string_equal(after, flows);
	free(after);
	after = snapshot("{\"cmd\":\"get\"}");
	assert_string_equal(after, ports_before);
	free(after);
	ok("{\"cmd\":\"show\"}");
	assert_int_equal(fl_json_get(result(), "ports")->arr.n, 2);
	assert_string_equal(fl_json_str(fl_json_get(fl_json_get(result(), "ports")->arr.v[1],
						    "spec")), show_before);
	free(flows);
	free(ports_before);
	free(show_before);
}

/* Stop the control (as a crash would, files as they are) and put text in
 * the state file. */
static void stop_and_write_state(const char *text)
{
	FILE *f;

	fl_control_close(ctl);
	ctl = NULL;
	f = fopen(state_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *file_text(const char *path)
{
	size_t len;
	char *t = fl_read_file(path, &len);

	if (!t)
		t = strdup("");
	return t;
}

/* Flow changes append to STATE.journal and leave the state file alone;
 * what is in the files alone (the control closed with nothing pending is
 * what a kill -9 leaves) comes back at the next start, which folds the
 * journal into a new state file. A change cut short by a crash, or a
 * journal that belongs to another state file, is not replayed. */
static void flow_changes_go_to_the_journal(void **state)
{
	char journal[160], *st_before, *flows, *after, *j;
	FILE *f;

	(void)state;
	snprintf(journal, sizeof(journal), "%s.journal", state_path);
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"a\",\"spec\":\"null:\"}}");
	st_before = file_text(state_path);
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=5,ip,nw_dst=10.0.0.1 "
	   "actions=output:a\"}}");
	ok("{\"cmd\":\"add-flows\",\"args\":{\"text\":\"table=1,priority=7,udp actions=drop\\n"
	   "priority=9,tcp,tp_dst=80 actions=output:1\\npriority=3 actions=drop\\n\"}}");
	ok("{\"cmd\":\"mod-flows\",\"args\":{\"flow\":\"tcp actions=drop\"}}");
	ok("{\"cmd\":\"del-flows\",\"args\":{\"flow\":\"priority=3\",\"strict\":true}}");
	/* a rule that replaces an identical one */
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=5,ip,nw_dst=10.0.0.1 "
	   "actions=output:a,output:a\"}}");
	after = file_text(state_path);
	assert_string_equal(after, st_before);
	free(after);
	j = file_text(journal);
	assert_int_equal(j[0], '#');
	assert_non_null(strstr(j, "\n+table=1, priority=7,udp actions=drop\n"));
	assert_non_null(strstr(j, "\n-table=0,priority=3\n.\n"));
	assert_non_null(strstr(j, "\n-table=0,priority=9,tcp,tp_dst=80\n+priority=9,tcp,tp_dst=80 "
				  "actions=drop\n.\n"));
	free(j);
	flows = flows_text();

	fl_control_close(ctl);
	ctl = open_ctl();
	after = flows_text();
	assert_string_equal(after, flows);
	free(after);
	/* folded into the state file at start, the journal started over */
	j = file_text(journal);
	assert_int_equal(strlen(j), 18);
	free(j);
	after = file_text(state_path);
	assert_non_null(strstr(after, "priority=9,tcp,tp_dst=80 actions=drop"));
	free(after);

	/* a change without its end (a crash in the middle of writing it) */
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=11,arp actions=drop\"}}");
	f = fopen(journal, "a");
	assert_non_null(f);
	fputs("-table=0,priority=11,arp\n+priority=12 actions=drop\n", f);
	fclose(f);
	fl_control_close(ctl);
	ctl = open_ctl();
	after = flows_text();
	assert_non_null(strstr(after, "priority=11,arp"));
	assert_null(strstr(after, "priority=12"));
	free(after);

	/* a journal left from another state file is not replayed */
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=13,arp actions=drop\"}}");
	stop_and_write_state("{\"flowlane_state\":1}");
	ctl = open_ctl();
	after = flows_text();
	assert_string_equal(after, "");
	free(after);

	/* a flow that times out goes to the journal from the tick */
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"hard_timeout=1,priority=14,arp "
	   "actions=drop\"}}");
	ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"priority=15,arp actions=drop\"}}");
	fl_control_tick(ctl, fl_time_ns() + 2000000000ull);
	j = file_text(journal);
	assert_non_null(strstr(j, "\n-table=0,priority=14,arp\n.\n"));
	free(j);
	fl_control_close(ctl);
	ctl = open_ctl();
	after = flows_text();
	assert_string_equal(after, "table=0 priority=15,arp actions=drop\n");
	free(after);
	free(flows);
	free(st_before);
}

/* A port whose backend cannot open at start stays configured, is shown
 * with its error and is saved again; a broken state refuses to start. */
static void restore_keeps_ports_that_cannot_open_and_refuses_bad_files(void **state)
{
	static const char text[] =
		"{\"flowlane_state\":1,\"ports\":[{\"name\":\"gone\",\"port_no\":4,"
		"\"spec\":\"pcap:/nonexistent/in.pcap\"}],\"flows\":[\"in_port=4 actions=drop\"]}";
	struct fl_ctl_options o = {.state_path = state_path, .workers = 1, .buffers = 2048};
	struct fl_ctl_state st;
	const struct fl_json *p;
	FILE *f;

	(void)state;
	stop_and_write_state(text);
	ctl = open_ctl();
	ok("{\"cmd\":\"show\"}");
	p = fl_json_get(result(), "ports")->arr.v[0];
	assert_false(fl_json_get(p, "open")->b);
	assert_non_null(strstr(fl_json_str(fl_json_get(p, "error")), "/nonexistent/in.pcap"));
	refused("{\"cmd\":\"add-port\",\"args\":{\"name\":\"x\",\"port_no\":4,\"spec\":\"null:\"}}",
		"number 4 is taken by port gone");
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_load(state_path, &st, err, sizeof(err)), 0);
	assert_int_equal(st.n_ports, 1);
	assert_int_equal(st.n_flows, 1);
	fl_ctl_state_clear(&st);
	ok("{\"cmd\":\"del-port\",\"args\":{\"port\":\"gone\"}}");

	stop_and_write_state("{\"flowlane_state\":1,\"flows\":[\"nw_src=1.2.3.4 actions=drop\"]}");
	assert_null(fl_control_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "state file"));
	assert_non_null(strstr(err, "flows: line 1"));
	f = fopen(state_path, "w");
	fputs("{\"flowlane_state\":1,", f);
	fclose(f);
	assert_null(fl_control_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "unexpected end of input"));
	/* a second daemon on the same state file is refused */
	remove(state_path);
	ctl = open_ctl();
	assert_null(fl_control_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "another flowlane"));
}

static void capture_streams_frames_then_ends(void **state)
{
	struct fl_ctl_session *s = fl_ctl_session_new();
	struct fl_jw out;
	unsigned frames = 0, i;
	bool done = false;
	char *line, *save = NULL;

	(void)state;
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"g\",\"spec\":\"gen:flows=2,rate=2000\"}}");
	ok("{\"cmd\":\"add-port\",\"args\":{\"name\":\"sink\",\"spec\":\"null:\"}}");
	refused("{\"cmd\":\"capture\",\"args\":{\"port\":\"g\"}}", "only over a connection");
	assert_false(request_on(ctl, s, "{\"cmd\":\"capture\",\"args\":{\"port\":\"nope\"}}"));
	assert_non_null(strstr(fl_json_str(fl_json_get(resp, "error")), "no port 'nope'"));
	assert_false(request_on(ctl, s, "{\"cmd\":\"capture\",\"args\":{\"port\":\"g\","
					 "\"filter\":\"udp porrt 5\"}}"));
	assert_non_null(strstr(fl_json_str(fl_json_get(resp, "error")), "filter"));
	assert_false(fl_ctl_session_streaming(s));
	assert_true(request_on(ctl, s, "{\"cmd\":\"capture\",\"args\":{\"port\":\"g\","
					"\"count\":5,\"filter\":\"udp\"}}"));
	assert_true(fl_ctl_session_streaming(s));
	fl_jw_init(&out, false);
	for (i = 0; i < 300 && !done; i++) {
		done = fl_ctl_session_drain(ctl, s, &out, 1u << 20);
		usleep(10000);
	}
	assert_true(done);
	assert_false(fl_ctl_session_streaming(s));
	for (line = strtok_r(out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct fl_json *v;

		assert_int_equal(fl_json_parse(line, strlen(line), &v, NULL, err, sizeof(err)), 0);
		if (fl_json_get(v, "frame")) {
			frames++;
			assert_non_null(fl_json_str(fl_json_get(fl_json_get(v, "frame"), "data")));
		} else {
			assert_int_equal(fl_json_get(fl_json_get(v, "result"), "packets")->num.u, 5);
		}
		fl_json_free(v);
	}
	assert_int_equal(frames, 5);
	fl_jw_free(&out);
	fl_ctl_session_free(ctl, s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(malformed_requests_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(ports_are_checked_before_anything_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(flow_mods_are_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(counters_grow_with_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(settings_apply_and_are_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(state_survives_a_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(flow_changes_go_to_the_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_keeps_ports_that_cannot_open_and_refuses_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(capture_streams_frames_then_ends, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
