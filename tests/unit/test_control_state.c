/* Tests of the state file and the settings table (control/state.h).
 *
 * The state file is what makes a restart lose nothing, so the tests check
 * that a written state reads back equal, that every kind of damage is an
 * error naming the bad item (never a silent partial load), that a file cut
 * at any byte is refused, and that a failed save leaves the old file as it
 * was. Files live in a temporary directory the tests make and remove.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/state.h"
#include "core/file.h"

static char tmpdir[64];
static char err[1024];

static const char *tmp_path(const char *name)
{
	static char bufs[4][256];
	static unsigned next;
	char *p = bufs[next++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fl_test_state.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A state with something in every part. */
static void sample(struct fl_ctl_state *st)
{
	const struct fl_ctl_setting *s;

	fl_ctl_state_init(st);
	fl_ctl_setting_find("workers")->set(&st->params, 3);
	fl_ctl_setting_find("emc-entries")->set(&st->params, 4096);
	fl_ctl_setting_find("emc")->set(&st->params, 0);
	fl_ctl_setting_find("rps")->set(&st->params, 0);
	s = fl_ctl_setting_find("buffers");
	s->set(&st->params, 65536);
	st->miss[0] = FL_MISS_NORMAL;
	st->miss[254] = FL_MISS_CONTINUE;
	st->n_ports = 2;
	strcpy(st->ports[0].name, "p1");
	strcpy(st->ports[0].spec, "null:");
	st->ports[0].port_no = 1;
	strcpy(st->ports[1].name, "veth-b");
	strcpy(st->ports[1].spec, "pcap:/tmp/x \"quoted\".pcap,loop=inf");
	st->ports[1].port_no = 65279;
	assert_int_equal(fl_ctl_state_add_flow(st, "priority=10,ip actions=output:1"), 0);
	assert_int_equal(fl_ctl_state_add_flow(st, "table=3, cookie=0x5, idle_timeout=10, "
						   "priority=1 actions=drop"), 0);
}

static void assert_states_equal(const struct fl_ctl_state *a, const struct fl_ctl_state *b)
{
	unsigned n, i;
	const struct fl_ctl_setting *set = fl_ctl_settings(&n);

	for (i = 0; i < n; i++)
		if (set[i].get(&a->params) != set[i].get(&b->params))
			fail_msg("setting %s differs", set[i].name);
	assert_memory_equal(a->miss, b->miss, sizeof(a->miss));
	assert_int_equal(a->n_ports, b->n_ports);
	for (i = 0; i < a->n_ports; i++) {
		assert_string_equal(a->ports[i].name, b->ports[i].name);
		assert_string_equal(a->ports[i].spec, b->ports[i].spec);
		assert_int_equal(a->ports[i].port_no, b->ports[i].port_no);
	}
	assert_int_equal(a->n_flows, b->n_flows);
	for (i = 0; i < a->n_flows; i++)
		assert_string_equal(a->flows[i], b->flows[i]);
	assert_string_equal(a->journal, b->journal);
}

static void saved_state_loads_back_equal(void **state)
{
	struct fl_ctl_state st, back;
	const char *path = tmp_path("state.json");

	(void)state;
	sample(&st);
	fl_ctl_journal_new_id(st.journal);
	assert_int_equal(strlen(st.journal), FL_CTL_JOURNAL_ID_LEN);
	assert_int_equal(fl_ctl_state_save(path, &st, err, sizeof(err)), 0);
	assert_int_equal(access(tmp_path("state.json.tmp"), F_OK), -1); /* renamed away */
	fl_ctl_state_init(&back);
	assert_int_equal(fl_ctl_state_load(path, &back, err, sizeof(err)), 0);
	assert_states_equal(&st, &back);
	fl_ctl_state_clear(&back);

	/* saving again replaces the file */
	st.n_ports = 1;
	assert_int_equal(fl_ctl_state_save(path, &st, err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_state_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_ports, 1);
	fl_ctl_state_clear(&back);
	fl_ctl_state_clear(&st);
}

static void a_missing_file_is_a_fresh_start_and_an_unreadable_one_an_error(void **state)
{
	struct fl_ctl_state st;

	(void)state;
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_load(tmp_path("none.json"), &st, err, sizeof(err)), 1);
	assert_int_equal(st.n_ports, 0);
	/* a directory where the file should be: readable by nobody as a file */
	assert_int_equal(mkdir(tmp_path("adir"), 0755), 0);
	assert_true(fl_ctl_state_load(tmp_path("adir"), &st, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot read it"));
	assert_non_null(strstr(err, "adir"));
}

struct bad {
	const char *text;
	const char *msg;
};

static void every_kind_of_damage_is_named(void **state)
{
	static const struct bad cases[] = {
		{"", "json: empty input"},
		{"[]", "expected a JSON object, not array"},
		{"{}", "flowlane_state: missing"},
		{"{\"flowlane_state\":2}", "version 2 is not supported"},
		{"{\"flowlane_state\":\"1\"}", "flowlane_state: expected a version number"},
		{"{\"flowlane_state\":1,\"extra\":0}", "unknown key 'extra'"},
		{"{\"flowlane_state\":1,\"settings\":[]}", "settings: expected an object"},
		{"{\"flowlane_state\":1,\"settings\":{\"wrokers\":1}}", "unknown setting 'wrokers'"},
		{"{\"flowlane_state\":1,\"settings\":{\"workers\":\"2\"}}",
		 "settings.workers: expected a non-negative integer"},
		{"{\"flowlane_state\":1,\"settings\":{\"workers\":-1}}",
		 "settings.workers: expected a non-negative integer"},
		{"{\"flowlane_state\":1,\"settings\":{\"workers\":65}}",
		 "settings.workers: 65 is out of range (1 to 64)"},
		{"{\"flowlane_state\":1,\"settings\":{\"emc-entries\":1000}}",
		 "settings.emc-entries: 1000 is not a power of two"},
		{"{\"flowlane_state\":1,\"settings\":{\"emc\":1}}",
		 "settings.emc: expected true or false"},
		{"{\"flowlane_state\":1,\"table_miss\":{\"255\":\"drop\"}}",
		 "table_miss: '255' is not a table"},
		{"{\"flowlane_state\":1,\"table_miss\":{\"01\":\"drop\"}}",
		 "table_miss: '01' is not a table"},
		{"{\"flowlane_state\":1,\"table_miss\":{\"0\":\"flood\"}}",
		 "table_miss.0: expected \"drop\", \"continue\" or \"normal\""},
		{"{\"flowlane_state\":1,\"ports\":{}}", "ports: expected an array, not object"},
		{"{\"flowlane_state\":1,\"ports\":[1]}", "ports[0]: expected an object"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"port_no\":1}]}",
		 "ports[0].spec: missing"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"spec\":\"null:\"}]}",
		 "ports[0].port_no: missing"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"port_no\":1,\"spec\":\"null:\","
		 "\"mtu\":9000}]}", "ports[0]: unknown key 'mtu'"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":7,\"port_no\":1,\"spec\":\"null:\"}]}",
		 "ports[0].name: expected a string"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"port_no\":0,\"spec\":\"null:\"}]}",
		 "ports[0].port_no: 0 is out of range"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"\",\"port_no\":1,\"spec\":\"null:\"}]}",
		 "ports[0].name: 1 to 31 characters"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"port_no\":1,\"spec\":\"null:\"},"
		 "{\"name\":\"a\",\"port_no\":2,\"spec\":\"null:\"}]}",
		 "ports[1]: a second port named 'a'"},
		{"{\"flowlane_state\":1,\"ports\":[{\"name\":\"a\",\"port_no\":1,\"spec\":\"null:\"},"
		 "{\"name\":\"b\",\"port_no\":1,\"spec\":\"null:\"}]}",
		 "ports[1]: port number 1 used twice"},
		{"{\"flowlane_state\":1,\"flows\":[\"ip actions=drop\",3]}",
		 "flows[1]: expected the text of a flow"},
		{"{\"flowlane_state\":1,\"flows\":[\"\"]}", "flows[0]: expected the text of a flow"},
		{"{\"flowlane_state\":1,\"flows\":[\"ip actions=drop\"],}",
		 "json: trailing comma in an object"},
	};
	struct fl_ctl_state st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = tmp_path("bad.json");

		write_text(path, cases[i].text, strlen(cases[i].text));
		fl_ctl_state_init(&st);
		if (fl_ctl_state_load(path, &st, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu '%s' loaded", i, cases[i].text);
		if (!strstr(err, cases[i].msg) || !strstr(err, path))
			fail_msg("case %zu: '%s' lacks '%s' or the path", i, err, cases[i].msg);
		/* nothing half-loaded is left behind */
		assert_int_equal(st.n_ports, 0);
		assert_int_equal(st.n_flows, 0);
	}
}

static void too_many_ports_are_refused(void **state)
{
	struct fl_jw w;
	struct fl_ctl_state st;
	unsigned i;

	(void)state;
	fl_jw_init(&w, false);
	fl_jw_obj(&w);
	fl_jw_ku64(&w, "flowlane_state", 1);
	fl_jw_key(&w, "ports");
	fl_jw_arr(&w);
	for (i = 0; i <= FL_DP_MAX_PORTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%u", i);
		fl_jw_obj(&w);
		fl_jw_kstr(&w, "name", name);
		fl_jw_ku64(&w, "port_no", i + 1);
		fl_jw_kstr(&w, "spec", "null:");
		fl_jw_obj_end(&w);
	}
	fl_jw_arr_end(&w);
	fl_jw_obj_end(&w);
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_from_json(&st, w.buf, w.len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ports: 65 ports, at most 64"));
	fl_jw_free(&w);
}

/* A file cut at any byte before its last '}' is refused: a crash can never
 * make a shorter configuration load as if it were complete. */
static void a_file_cut_anywhere_is_refused(void **state)
{
	struct fl_ctl_state st;
	const char *path = tmp_path("cut.json");
	size_t len, cut, last;
	char *full;

	(void)state;
	sample(&st);
	assert_int_equal(fl_ctl_state_save(path, &st, err, sizeof(err)), 0);
	fl_ctl_state_clear(&st);
	full = fl_read_file(path, &len);
	assert_non_null(full);
	last = (size_t)(strrchr(full, '}') - full);
	for (cut = 0; cut <= last; cut++) {
		fl_ctl_state_init(&st);
		if (fl_ctl_state_from_json(&st, full, cut, err, sizeof(err)) == 0)
			fail_msg("cut at %zu of %zu loaded", cut, len);
		assert_int_equal(st.n_ports, 0);
	}
	fl_ctl_state_init(&st);
	assert_int_equal(fl_ctl_state_from_json(&st, full, last + 1, err, sizeof(err)), 0);
	fl_ctl_state_clear(&st);
	free(full);
}

static void a_failed_save_leaves_the_old_file(void **state)
{
	struct fl_ctl_state st, back;
	const char *path = tmp_path("keep.json");
	char *before, *after;
	size_t n1, n2;

	(void)state;
	sample(&st);
	assert_int_equal(fl_ctl_state_save(path, &st, err, sizeof(err)), 0);
	before = fl_read_file(path, &n1);
	/* the temp file's name taken by a directory: the write fails */
	assert_int_equal(mkdir(tmp_path("keep.json.tmp"), 0755), 0);
	st.n_ports = 0;
	assert_true(fl_ctl_state_save(path, &st, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "keep.json.tmp"));
	after = fl_read_file(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	fl_ctl_state_init(&back);
	assert_int_equal(fl_ctl_state_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_ports, 2);
	fl_ctl_state_clear(&back);
	fl_ctl_state_clear(&st);
	free(before);
	free(after);
	rmdir(tmp_path("keep.json.tmp"));
}

/* --- the journal --- */

struct replayed {
	unsigned n, fail_at;
	char ops[8][256];
};

static int collect(void *ctx, char *ops, size_t len, char *msg, size_t msglen)
{
	struct replayed *r = ctx;

	assert_int_equal(strlen(ops), len);
	if (++r->n == r->fail_at) {
		snprintf(msg, msglen, "no such table");
		return -EINVAL;
	}
	if (r->n <= 8)
		snprintf(r->ops[r->n - 1], sizeof(r->ops[0]), "%s", ops);
	return 0;
}

static long replay(const char *state, const char *id, struct replayed *r, bool *foreign)
{
	unsigned fail_at = r->fail_at;

	memset(r, 0, sizeof(*r));
	r->fail_at = fail_at;
	return fl_ctl_journal_replay(state, id, collect, r, foreign, err, sizeof(err));
}

static void journal_replays_complete_changes_of_its_own_state(void **state)
{
	const char *st_path = tmp_path("jstate.json"), *j_path = tmp_path("jstate.json.journal");
	static const char change1[] = "+table=0, priority=5,ip actions=drop\n"
				      "-table=1,priority=3,udp\n";
	static const char change2[] = "+priority=9 actions=output:1\n";
	struct fl_ctl_journal j;
	struct replayed r = {0};
	char id[FL_CTL_JOURNAL_ID_LEN + 1], other[FL_CTL_JOURNAL_ID_LEN + 1], *text;
	bool foreign;
	size_t len;
	FILE *f;

	(void)state;
	fl_ctl_journal_new_id(id);
	fl_ctl_journal_new_id(other);
	assert_string_not_equal(id, other);
	/* no journal at all: nothing to replay */
	assert_int_equal(replay(st_path, id, &r, &foreign), 0);
	assert_false(foreign);

	fl_ctl_journal_init(&j);
	assert_int_equal(fl_ctl_journal_open(&j, st_path, err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_journal_reset(&j, id, err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_journal_append(&j, change1, strlen(change1), err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_journal_append(&j, change2, strlen(change2), err, sizeof(err)), 0);
	text = fl_read_file(j_path, &len);
	assert_non_null(text);
	assert_int_equal(len, j.bytes);
	assert_int_equal(strncmp(text, "#", 1), 0);
	assert_non_null(strstr(text, "udp\n.\n+priority=9 actions=output:1\n.\n"));
	free(text);

	assert_int_equal(replay(st_path, id, &r, &foreign), 2);
	assert_false(foreign);
	assert_string_equal(r.ops[0], "+table=0, priority=5,ip actions=drop\n"
				      "-table=1,priority=3,udp\n");
	assert_string_equal(r.ops[1], "+priority=9 actions=output:1\n");
	/* the journal of another state file is not replayed */
	assert_int_equal(replay(st_path, other, &r, &foreign), 0);
	assert_true(foreign);
	assert_int_equal(r.n, 0);
	assert_int_equal(replay(st_path, "", &r, &foreign), 0);
	assert_true(foreign);

	/* a crash in the middle of a change: its ops without the end, or a
	 * line cut short, are not a change */
	fl_ctl_journal_close(&j);
	f = fopen(j_path, "a");
	assert_non_null(f);
	fputs("+priority=1 actions=drop\n-table=0,prio", f);
	fclose(f);
	assert_int_equal(replay(st_path, id, &r, &foreign), 2);
	/* fn's error names the change's lines */
	r.fail_at = 2;
	assert_int_equal(replay(st_path, id, &r, &foreign), -EINVAL);
	assert_non_null(strstr(err, "jstate.json.journal: the change on lines 5-6: no such table"));
	r.fail_at = 0;
	/* anything but ops and ends is damage, named by line */
	f = fopen(j_path, "a");
	fputs("\n.\nflow\n.\n", f);
	fclose(f);
	assert_int_equal(replay(st_path, id, &r, &foreign), -EINVAL);
	assert_non_null(strstr(err, "line 10: expected '+FLOW', '-FLOW' or '.'"));

	/* reset starts it over with the new id */
	assert_int_equal(fl_ctl_journal_open(&j, st_path, err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_journal_reset(&j, other, err, sizeof(err)), 0);
	assert_int_equal(j.bytes, FL_CTL_JOURNAL_ID_LEN + 2);
	assert_int_equal(replay(st_path, other, &r, &foreign), 0);
	assert_false(foreign);
	assert_int_equal(replay(st_path, id, &r, &foreign), 0);
	assert_true(foreign);
	fl_ctl_journal_close(&j);

	/* a state file's journal id is checked like everything else */
	{
		static const char bad_id[] = "{\"flowlane_state\":1,\"journal\":\"12\"}";

		write_text(st_path, bad_id, strlen(bad_id));
	}
	{
		struct fl_ctl_state st;

		fl_ctl_state_init(&st);
		assert_int_equal(fl_ctl_state_load(st_path, &st, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "journal: expected 16 hex digits"));
	}
}

static void settings_parse_and_check_ranges(void **state)
{
	const struct fl_ctl_setting *s;
	uint64_t v;
	unsigned n, i;

	(void)state;
	s = fl_ctl_setting_find("emc-entries");
	assert_non_null(s);
	assert_int_equal(fl_ctl_setting_parse(s, "4096", false, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(fl_ctl_setting_parse(s, "4095", false, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "emc-entries: 4095 is not a power of two");
	assert_int_equal(fl_ctl_setting_parse(s, "0", false, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_ctl_setting_parse(s, "0", true, &v, err, sizeof(err)), 0);
	assert_int_equal(fl_ctl_setting_parse(s, "-1", false, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "emc-entries: '-1' is not a number");
	assert_int_equal(fl_ctl_setting_parse(s, "12x", false, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_ctl_setting_parse(s, "99999999999999999999", false, &v, err,
					      sizeof(err)), -EINVAL);

	s = fl_ctl_setting_find("rps");
	assert_true(s->boolean);
	assert_int_equal(fl_ctl_setting_parse(s, "off", false, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(fl_ctl_setting_parse(s, "ON", false, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);
	assert_int_equal(fl_ctl_setting_parse(s, "maybe", false, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "rps: 'maybe' is not on or off");

	assert_null(fl_ctl_setting_find("nope"));
	/* every setting writes where it reads */
	s = fl_ctl_settings(&n);
	for (i = 0; i < n; i++) {
		struct fl_switch_params p = {0};

		s[i].set(&p, s[i].boolean ? 1 : s[i].min);
		assert_int_equal(s[i].get(&p), s[i].boolean ? 1 : s[i].min);
		assert_non_null(s[i].help);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(saved_state_loads_back_equal),
		cmocka_unit_test(a_missing_file_is_a_fresh_start_and_an_unreadable_one_an_error),
		cmocka_unit_test(every_kind_of_damage_is_named),
		cmocka_unit_test(too_many_ports_are_refused),
		cmocka_unit_test(a_file_cut_anywhere_is_refused),
		cmocka_unit_test(a_failed_save_leaves_the_old_file),
		cmocka_unit_test(settings_parse_and_check_ranges),
		cmocka_unit_test(journal_replays_complete_changes_of_its_own_state),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
