/* Tests of the OpenFlow pipeline (src/pipeline).
 *
 *  - flow-mod semantics: add and replace (counters carried or reset),
 *    check_overlap, loose and strict modify and delete with out_port and
 *    cookie filters, table=255, all-or-nothing batches (a bad spec in the
 *    middle, checked first or failing while applied, changes nothing),
 *    versions, timeouts with a fake clock, counters through dump;
 *  - translation of every action kind, compared as datapath action text:
 *    outputs and in_port, FLOOD/ALL, grouped rewrites, VLAN push/pop/set,
 *    dec_ttl, goto/resubmit chains and limits, miss policies, NORMAL;
 *  - the megaflow invariant as a property: random rule sets over four
 *    tables and random packets P; for each, packets Q that agree with P on
 *    the megaflow mask and are random everywhere else must translate to
 *    exactly P's datapath actions (fixed seeds);
 *  - a worker translating under QSBR while the main thread changes rules.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <urcu/urcu-qsbr.h>

#include "core/time.h"
#include "flow/flow.h"
#include "pipeline/pipeline.h"
#include "proto/headers.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SCALE 1
#else
#define SCALE 4
#endif

#define NS 1000000000ull

/* ---- random numbers ---- */

#include "test_rng.h"

/* ---- helpers ---- */

/* Ports 1..4 named p1..p4. */
static struct fl_pipeline *mk(void)
{
	struct fl_pipeline *pl = fl_pipeline_create(NULL);
	char name[8];
	uint32_t i;

	assert_non_null(pl);
	for (i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		assert_int_equal(fl_pipeline_port_add(pl, i, name), 0);
	}
	return pl;
}

static struct fl_flow_spec *parse(struct fl_pipeline *pl, enum fl_flow_cmd cmd, const char *text)
{
	struct fl_flow_spec *s = aligned_alloc(FL_CACHE_LINE, sizeof(*s));
	char err[512];

	assert_non_null(s);
	if (fl_flow_parse(text, cmd, fl_pipeline_port_resolver(pl), s, err, sizeof(err)))
		fail_msg("parse '%s': %s", text, err);
	return s;
}

static void spec_free(struct fl_flow_spec *s)
{
	fl_flow_spec_uninit(s);
	free(s);
}

/* One flow-mod; returns flow_mod's result, err gets the message. */
static int fm_err(struct fl_pipeline *pl, enum fl_flow_cmd cmd, const char *text, char *err,
		  size_t errlen)
{
	struct fl_flow_spec *s = parse(pl, cmd, text);
	int r = fl_pipeline_flow_mod(pl, s, 1, err, errlen);

	spec_free(s);
	return r;
}

static int fm(struct fl_pipeline *pl, enum fl_flow_cmd cmd, const char *text)
{
	char err[512];
	int r = fm_err(pl, cmd, text, err, sizeof(err));

	if (r < 0)
		fail_msg("flow-mod '%s': %d %s", text, r, err);
	return r;
}

static void add(struct fl_pipeline *pl, const char *text)
{
	assert_int_equal(fm(pl, FL_FLOW_ADD, text), 1);
}

/* A batch of texts, all with command cmd[i]. */
static int batch(struct fl_pipeline *pl, const enum fl_flow_cmd *cmd, const char *const *texts,
		 size_t n, char *err, size_t errlen)
{
	struct fl_flow_spec *specs = aligned_alloc(FL_CACHE_LINE, n * sizeof(*specs));
	size_t i;
	int r;

	assert_non_null(specs);
	for (i = 0; i < n; i++) {
		struct fl_flow_spec *s = parse(pl, cmd[i], texts[i]);

		specs[i] = *s; /* moves the actions */
		free(s);
	}
	r = fl_pipeline_flow_mod(pl, specs, n, err, errlen);
	for (i = 0; i < n; i++)
		fl_flow_spec_uninit(&specs[i]);
	free(specs);
	return r;
}

/* The same, with the last spec's table turned into 255 (all tables). */
static int batch_all_tables(struct fl_pipeline *pl, const enum fl_flow_cmd *cmd,
			    const char *const *texts, size_t n, char *err, size_t errlen)
{
	struct fl_flow_spec *specs = aligned_alloc(FL_CACHE_LINE, n * sizeof(*specs));
	size_t i;
	int r;

	assert_non_null(specs);
	for (i = 0; i < n; i++) {
		struct fl_flow_spec *s = parse(pl, cmd[i], texts[i]);

		specs[i] = *s;
		free(s);
	}
	specs[n - 1].table_id = FL_TABLE_ALL;
	r = fl_pipeline_flow_mod(pl, specs, n, err, errlen);
	for (i = 0; i < n; i++)
		fl_flow_spec_uninit(&specs[i]);
	free(specs);
	return r;
}

/* Dump as lines "packets,bytes text" (canonical flow text), joined by '\n'. */
struct dump_buf {
	char text[8192];
	size_t len;
	bool stats;
};

static void dump_cb(const struct fl_rule_info *info, void *arg)
{
	struct dump_buf *d = arg;
	char line[1024];

	fl_flow_format(info->spec, line, sizeof(line));
	if (d->stats)
		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len,
					   "%s%llu,%llu %s", d->len ? "\n" : "",
					   (unsigned long long)info->packets,
					   (unsigned long long)info->bytes, line);
	else
		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s%s",
					   d->len ? "\n" : "", line);
}

static const char *dump(struct fl_pipeline *pl, bool stats)
{
	static struct dump_buf d;

	memset(&d, 0, sizeof(d));
	d.stats = stats;
	fl_pipeline_dump(pl, NULL, fl_time_ns(), dump_cb, &d);
	return d.text;
}

static void mac(uint8_t *m, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)(v >> (40 - 8 * i));
}

static void key_eth(struct fl_key *k, uint32_t in_port, uint64_t src, uint64_t dst, uint16_t type)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	mac(k->dl_src, src);
	mac(k->dl_dst, dst);
	k->dl_type = fl_htons(type);
}

static void key_ip4(struct fl_key *k, uint32_t in_port, uint32_t src, uint32_t dst, uint8_t proto,
		    uint16_t sport, uint16_t dport)
{
	key_eth(k, in_port, 0x020000000001ull, 0x020000000002ull, FL_ETH_TYPE_IPV4);
	k->nw_src = fl_htonl(src);
	k->nw_dst = fl_htonl(dst);
	k->nw_proto = proto;
	k->nw_ttl = 64;
	k->tp_src = fl_htons(sport);
	k->tp_dst = fl_htons(dport);
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Translate; datapath actions as text in a static buffer. */
static const char *xl_res(struct fl_pipeline *pl, const struct fl_key *k,
			  struct fl_xlate_result *res)
{
	static char buf[2048];

	assert_int_equal(fl_pipeline_translate(pl, k, res, NULL), 0);
	assert_non_null(res->actions);
	fl_dp_actions_format(res->actions, buf, sizeof(buf));
	return buf;
}

static const char *xl(struct fl_pipeline *pl, const struct fl_key *k)
{
	struct fl_xlate_result res;
	const char *s = xl_res(pl, k, &res);

	fl_dp_actions_unref(res.actions);
	return s;
}

static const char *xl_trace(struct fl_pipeline *pl, const struct fl_key *k)
{
	static char buf[1 << 16];
	struct fl_xlate_result res;
	struct fl_trace t;

	fl_trace_init(&t, buf, sizeof(buf));
	assert_int_equal(fl_pipeline_translate(pl, k, &res, &t), 0);
	fl_dp_actions_unref(res.actions);
	return buf;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not in:\n%s", needle, hay);
}

/* ---- flow-mod semantics ---- */

static void add_and_replace(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;
	uint64_t v0 = fl_pipeline_version(pl), v1;

	(void)state;
	key_ip4(&k, 1, IP(1, 1, 1, 1), IP(10, 1, 2, 3), FL_IPPROTO_TCP, 1000, 80);
	assert_string_equal(xl(pl, &k), "drop");
	add(pl, "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:2");
	v1 = fl_pipeline_version(pl);
	assert_true(v1 > v0);
	assert_string_equal(xl_res(pl, &k, &res), "output:2");
	assert_int_equal(res.n_rules, 1);
	fl_rule_account(res.rules[0], 5, 500, fl_time_ns());
	fl_dp_actions_unref(res.actions);

	/* Identical match and priority: replaced, counters carried over. */
	add(pl, "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:3");
	assert_true(fl_pipeline_version(pl) > v1);
	assert_string_equal(xl(pl, &k), "output:3");
	assert_string_equal(dump(pl, true), "5,500 priority=100,ip,nw_dst=10.0.0.0/8 actions=output:3");

	/* reset_counts: counters start again. */
	add(pl, "reset_counts,priority=100,ip,nw_dst=10.0.0.0/8 actions=output:4");
	assert_string_equal(dump(pl, true),
			    "0,0 reset_counts priority=100,ip,nw_dst=10.0.0.0/8 actions=output:4");

	/* Another priority is another rule. */
	add(pl, "priority=200,ip,nw_dst=10.0.0.0/8 actions=output:1");
	k.in_port = 5;
	assert_string_equal(xl(pl, &k), "output:1");
	assert_string_equal(dump(pl, false),
			    "priority=200,ip,nw_dst=10.0.0.0/8 actions=output:1\n"
			    "reset_counts priority=100,ip,nw_dst=10.0.0.0/8 actions=output:4");
	fl_pipeline_destroy(pl);
}

static void check_overlap(void **state)
{
	struct fl_pipeline *pl = mk();
	uint64_t v;
	char err[512];

	(void)state;
	add(pl, "priority=10,ip,nw_dst=10.0.0.0/8 actions=output:1");
	v = fl_pipeline_version(pl);
	assert_int_equal(fm_err(pl, FL_FLOW_ADD,
				"check_overlap,priority=10,ip,nw_dst=10.1.0.0/16 actions=output:2",
				err, sizeof(err)),
			 -EEXIST);
	assert_string_equal(err, "flow 1: overlaps 'priority=10,ip,nw_dst=10.0.0.0/8 "
				 "actions=output:1' in table 0 (same priority, check_overlap)");
	assert_int_equal(fl_pipeline_version(pl), v);
	/* An identical flow overlaps too. */
	assert_int_equal(fm_err(pl, FL_FLOW_ADD,
				"check_overlap,priority=10,ip,nw_dst=10.0.0.0/8 actions=output:2",
				err, sizeof(err)),
			 -EEXIST);
	/* Other priority, disjoint match, other table: fine. */
	add(pl, "check_overlap,priority=11,ip,nw_dst=10.1.0.0/16 actions=output:2");
	add(pl, "check_overlap,priority=10,ip,nw_dst=11.0.0.0/8 actions=output:2");
	add(pl, "check_overlap,priority=10,arp actions=output:2");
	add(pl, "table=1,check_overlap,priority=10,ip actions=output:2");
	assert_int_equal(fl_pipeline_dump(pl, NULL, 0, dump_cb, &(struct dump_buf){ 0 }), 5);
	fl_pipeline_destroy(pl);
}

static void modify_loose_and_strict(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_key k;
	uint64_t v;

	(void)state;
	add(pl, "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:1");
	add(pl, "priority=200,ip,nw_dst=10.1.0.0/16 actions=output:1");
	add(pl, "priority=300,arp actions=output:1");
	add(pl, "table=1,priority=100,ip,nw_dst=10.2.0.0/16 actions=output:1");

	/* Loose, table 0: every ip rule at least as specific as nw_dst=10/8. */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "table=0,ip,nw_dst=10.0.0.0/8 actions=output:2"), 2);
	assert_string_equal(dump(pl, false),
			    "priority=300,arp actions=output:1\n"
			    "priority=200,ip,nw_dst=10.1.0.0/16 actions=output:2\n"
			    "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:2\n"
			    "table=1, priority=100,ip,nw_dst=10.2.0.0/16 actions=output:1");
	/* All tables (the default of mod-flows). */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "ip actions=output:3"), 3);
	key_ip4(&k, 1, 0, IP(10, 1, 0, 1), 6, 1, 2);
	assert_string_equal(xl(pl, &k), "output:3");
	/* Strict: only the exact match and priority. */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY_STRICT,
			    "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:4"), 1);
	assert_int_equal(fm(pl, FL_FLOW_MODIFY_STRICT,
			    "priority=101,ip,nw_dst=10.0.0.0/8 actions=output:4"), 0);
	assert_string_equal(dump(pl, false),
			    "priority=300,arp actions=output:1\n"
			    "priority=200,ip,nw_dst=10.1.0.0/16 actions=output:3\n"
			    "priority=100,ip,nw_dst=10.0.0.0/8 actions=output:4\n"
			    "table=1, priority=100,ip,nw_dst=10.2.0.0/16 actions=output:3");
	/* Matching nothing adds nothing and publishes nothing. */
	v = fl_pipeline_version(pl);
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "ipv6 actions=output:1"), 0);
	assert_int_equal(fl_pipeline_version(pl), v);
	assert_int_equal(fl_pipeline_dump(pl, NULL, 0, dump_cb, &(struct dump_buf){ 0 }), 4);
	fl_pipeline_destroy(pl);
}

static void modify_counters_cookie_timeouts(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "cookie=0x5,idle_timeout=30,priority=5,ip actions=output:1");
	key_ip4(&k, 1, 0, 0, 6, 1, 2);
	xl_res(pl, &k, &res);
	fl_rule_account(res.rules[0], 3, 300, fl_time_ns());
	fl_dp_actions_unref(res.actions);
	/* Counters, cookie and timeouts stay. */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "ip actions=output:2"), 1);
	assert_string_equal(dump(pl, true),
			    "3,300 cookie=0x5, idle_timeout=30, priority=5,ip actions=output:2");
	/* A cookie without a mask is the new cookie (ovs-ofctl mod-flows). */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "cookie=0x7,ip actions=output:3"), 1);
	assert_string_equal(dump(pl, true),
			    "3,300 cookie=0x7, idle_timeout=30, priority=5,ip actions=output:3");
	/* A cookie with a mask filters. */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "cookie=0x5/0xff,ip actions=output:4"), 0);
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "cookie=0x7/0xff,ip actions=output:4"), 1);
	/* reset_counts on modify. */
	assert_int_equal(fm(pl, FL_FLOW_MODIFY, "reset_counts,ip actions=output:1"), 1);
	assert_string_equal(dump(pl, true),
			    "0,0 cookie=0x7, idle_timeout=30, priority=5,ip actions=output:1");
	fl_pipeline_destroy(pl);
}

static void delete_filters(void **state)
{
	struct fl_pipeline *pl = mk();

	(void)state;
	add(pl, "cookie=0x11,priority=1,ip actions=output:1");
	add(pl, "cookie=0x12,priority=2,ip,nw_src=1.0.0.0/8 actions=output:2");
	add(pl, "cookie=0x21,priority=3,tcp actions=output:2,output:3");
	add(pl, "cookie=0x22,priority=4,arp actions=NORMAL");
	add(pl, "table=2,cookie=0x31,priority=5,ip actions=output:3");

	/* out_port: rules that output to port 2. */
	assert_int_equal(fm(pl, FL_FLOW_DELETE, "out_port=2,ip"), 2);
	assert_string_equal(dump(pl, false),
			    "cookie=0x22, priority=4,arp actions=NORMAL\n"
			    "cookie=0x11, priority=1,ip actions=output:1\n"
			    "cookie=0x31, table=2, priority=5,ip actions=output:3");
	add(pl, "cookie=0x12,priority=2,ip,nw_src=1.0.0.0/8 actions=output:2");
	/* Cookie mask: 0x1X. */
	assert_int_equal(fm(pl, FL_FLOW_DELETE, "cookie=0x10/0xf0"), 2);
	assert_int_equal(fm(pl, FL_FLOW_DELETE, "out_port=NORMAL"), 1);
	/* Strict needs the exact priority; loose ignores it. */
	assert_int_equal(fm(pl, FL_FLOW_DELETE_STRICT, "table=2,priority=6,ip"), 0);
	assert_int_equal(fm(pl, FL_FLOW_DELETE_STRICT, "table=2,priority=5,ip"), 1);
	assert_string_equal(dump(pl, false), "");
	/* table=255 (the default) deletes everywhere. */
	add(pl, "table=0,actions=output:1");
	add(pl, "table=7,actions=output:1");
	add(pl, "table=254,actions=output:1");
	assert_int_equal(fm(pl, FL_FLOW_DELETE, "table=7"), 1);
	assert_int_equal(fm(pl, FL_FLOW_DELETE, ""), 2);
	assert_string_equal(dump(pl, false), "");
	fl_pipeline_destroy(pl);
}

static void batch_all_or_nothing(void **state)
{
	struct fl_pipeline *pl = mk();
	static const enum fl_flow_cmd adds[3] = { FL_FLOW_ADD, FL_FLOW_ADD, FL_FLOW_ADD };
	static const enum fl_flow_cmd mixed[3] = { FL_FLOW_DELETE, FL_FLOW_ADD, FL_FLOW_MODIFY };
	const char *bad_check[3] = { "priority=1,ip actions=output:1",
				     "priority=2,ipv6 actions=set_field:5->ipv6_label,output:1",
				     "priority=3,ip actions=output:1" };
	const char *bad_apply[3] = { "priority=1,ip actions=output:1",
				     "priority=2,tcp actions=output:2",
				     "check_overlap,priority=1,ip,nw_dst=1.2.3.4 actions=output:3" };
	const char *bad_modify[3] = { "table=1", "priority=9,arp actions=output:1",
				      "table=0,actions=mod_dl_src:02:00:00:00:00:09,goto_table:1" };
	char err[512], before[8192];
	uint64_t v;

	(void)state;
	add(pl, "table=1,priority=7,ip actions=output:4");
	add(pl, "table=3,priority=7,ip actions=output:4");
	snprintf(before, sizeof(before), "%s", dump(pl, false));
	v = fl_pipeline_version(pl);

	assert_int_equal(batch(pl, adds, bad_check, 3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "flow 2: set_field: the datapath cannot rewrite ipv6_label");
	assert_string_equal(dump(pl, false), before);
	/* Fails while applying, after flow 1 and 2 went in: both undone. */
	assert_int_equal(batch(pl, adds, bad_apply, 3, err, sizeof(err)), -EEXIST);
	assert_contains(err, "flow 3: overlaps 'priority=1,ip actions=output:1'");
	assert_string_equal(dump(pl, false), before);
	/* A delete and an add undone by a modify whose goto does not fit the
	 * rule in table 3 (table=255 and goto_table: the text syntax cannot
	 * say it, an OpenFlow message can). */
	assert_int_equal(batch_all_tables(pl, mixed, bad_modify, 3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "flow 3: goto_table:1 must go to a later table than this "
				 "flow's table 3");
	assert_string_equal(dump(pl, false), before);
	assert_int_equal(fl_pipeline_version(pl), v);

	/* The same batch without the bad part applies in one version. */
	bad_check[1] = "priority=2,ip actions=dec_ttl,output:1";
	assert_int_equal(batch(pl, adds, bad_check, 3, err, sizeof(err)), 3);
	assert_int_equal(fl_pipeline_version(pl), v + 1);
	fl_pipeline_destroy(pl);
}

/* Flows text, parsed and applied a line at a time: a bad line (parse or
 * apply) undoes the lines before it, names its line, and publishes
 * nothing; a good text is one version. */
static void text_all_or_nothing(void **state)
{
	struct fl_pipeline *pl = mk();
	static const char *const bad[] = {
		/* parse error on line 4, after three lines were applied */
		"priority=5,ip actions=output:1\n# comment\n\npriority=6,tcp actions=output:2\n"
		"priority=7,ip,nw_dst=1.2.3.4 actions=output:3\npriority=8,frob=1 actions=drop\n",
		/* apply error (overlap) on line 3 */
		"priority=5,ip actions=output:1\npriority=6,tcp actions=output:2\n"
		"check_overlap,priority=5,ip,nw_src=1.0.0.0/8 actions=drop\n",
		/* check error (goto backwards) on line 2 */
		"table=2,priority=5,ip actions=output:1\ntable=2,actions=goto_table:1\n",
	};
	static const char *const where[] = {
		"line 6: flow: unknown field 'frob' at column 12",
		"flows.txt:3: overlaps 'priority=5,ip actions=output:1' in table 0",
		"line 2: flow: goto_table:1 must go to a later table",
	};
	char err[512], before[8192];
	uint64_t v;
	unsigned i;

	(void)state;
	add(pl, "priority=5,ip actions=output:4");
	snprintf(before, sizeof(before), "%s", dump(pl, false));
	v = fl_pipeline_version(pl);
	for (i = 0; i < 3; i++) {
		int r = fl_pipeline_flow_mod_text(pl, bad[i], i == 1 ? "flows.txt" : NULL,
						  FL_FLOW_ADD, err, sizeof(err));

		assert_true(r < 0);
		assert_contains(err, where[i]);
		assert_string_equal(dump(pl, false), before);
		assert_int_equal(fl_pipeline_version(pl), v);
	}
	/* Later lines see earlier ones: add then delete leaves nothing new. */
	assert_int_equal(fl_pipeline_flow_mod_text(pl, "priority=9,udp actions=output:1\n"
						       "priority=10,udp,tp_dst=53 actions=output:2\n",
						   NULL, FL_FLOW_ADD, err, sizeof(err)), 2);
	assert_int_equal(fl_pipeline_version(pl), v + 1);
	assert_int_equal(fl_pipeline_flow_mod_text(pl, "udp\n", NULL, FL_FLOW_DELETE, err,
						   sizeof(err)), 2);
	assert_string_equal(dump(pl, false), before);
	/* Nothing but comments: no change, no new version. */
	v = fl_pipeline_version(pl);
	assert_int_equal(fl_pipeline_flow_mod_text(pl, "# nothing\n\n", NULL, FL_FLOW_ADD, err,
						   sizeof(err)), 0);
	assert_int_equal(fl_pipeline_version(pl), v);
	fl_pipeline_destroy(pl);
}

static void batch_sees_itself(void **state)
{
	struct fl_pipeline *pl = mk();
	static const enum fl_flow_cmd cmds[4] = { FL_FLOW_ADD, FL_FLOW_ADD, FL_FLOW_MODIFY_STRICT,
						   FL_FLOW_DELETE_STRICT };
	const char *texts[4] = { "priority=1,ip actions=output:1", "priority=1,ip actions=output:2",
				 "priority=1,ip actions=output:3", "priority=1,ip" };
	struct fl_key k;
	char err[256];

	(void)state;
	add(pl, "priority=0 actions=output:4");
	key_ip4(&k, 1, 0, 0, 6, 1, 2);
	/* add, replace, modify, delete: 4 changes, nothing of ip left. */
	assert_int_equal(batch(pl, cmds, texts, 4, err, sizeof(err)), 4);
	assert_string_equal(dump(pl, false), "priority=0 actions=output:4");
	assert_string_equal(xl(pl, &k), "output:4");
	assert_int_equal(batch(pl, cmds, texts, 3, err, sizeof(err)), 3);
	assert_string_equal(xl(pl, &k), "output:3");
	fl_pipeline_destroy(pl);
}

static void refused_specs(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_flow_spec *s;
	char err[512];

	(void)state;
	assert_int_equal(fm_err(pl, FL_FLOW_ADD, "arp actions=set_field:1.2.3.4->nw_src,output:1",
				err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "flow 1: set_field: the datapath cannot rewrite ARP addresses "
				 "(nw_src on ARP)");
	assert_int_equal(fm_err(pl, FL_FLOW_ADD, "ipv6 actions=set_field:0x5->ipv6_label",
				err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "flow 1: set_field: the datapath cannot rewrite ipv6_label");
	assert_int_equal(fm_err(pl, FL_FLOW_ADD, "sctp actions=mod_tp_dst:5", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "flow 1: set_field: the datapath cannot rewrite SCTP ports");
	/* Outputs to ports that do not exist yet are fine (as OVS). */
	add(pl, "actions=output:77");
	/* Adding to "all tables" is not a thing. */
	s = parse(pl, FL_FLOW_ADD, "actions=output:1");
	s->table_id = FL_TABLE_ALL;
	assert_int_equal(fl_pipeline_flow_mod(pl, s, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "flow 1: table 255 is not a table (0..254)");
	spec_free(s);
	fl_pipeline_destroy(pl);
}

static void timeouts(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;
	uint64_t t0 = fl_time_ns(), v;

	(void)state;
	add(pl, "hard_timeout=10,priority=1,ip actions=output:1");
	add(pl, "idle_timeout=10,priority=2,tcp actions=output:2");
	add(pl, "idle_timeout=5,hard_timeout=100,priority=3,udp actions=output:3");
	add(pl, "priority=0 actions=output:4");
	key_ip4(&k, 1, 0, 0, FL_IPPROTO_TCP, 1, 2);
	xl_res(pl, &k, &res);
	fl_rule_account(res.rules[0], 1, 60, t0 + 8 * NS);
	fl_dp_actions_unref(res.actions);

	assert_int_equal(fl_pipeline_expire(pl, t0 + 4 * NS), 0);
	v = fl_pipeline_version(pl);
	/* udp idles out at 5 s. */
	assert_int_equal(fl_pipeline_expire(pl, t0 + 6 * NS), 1);
	assert_true(fl_pipeline_version(pl) > v);
	/* ip's hard timeout at 10 s; tcp was used at 8 s. */
	assert_int_equal(fl_pipeline_expire(pl, fl_time_ns() + 10 * NS), 1);
	assert_string_equal(dump(pl, false), "idle_timeout=10, priority=2,tcp actions=output:2\n"
					     "priority=0 actions=output:4");
	assert_int_equal(fl_pipeline_expire(pl, t0 + 17 * NS), 0);
	assert_int_equal(fl_pipeline_expire(pl, fl_time_ns() + 18 * NS), 1);
	assert_string_equal(dump(pl, false), "priority=0 actions=output:4");
	assert_string_equal(xl(pl, &k), "output:4");
	fl_pipeline_destroy(pl);
}

static void dump_filter_and_stats(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_flow_spec *f;
	struct dump_buf d;
	struct fl_pipeline_stats st;

	(void)state;
	add(pl, "cookie=0x1,priority=1,ip actions=output:1");
	add(pl, "cookie=0x2,priority=2,tcp actions=output:2");
	add(pl, "table=1,cookie=0x2,priority=2,tcp actions=output:3");
	f = parse(pl, FL_FLOW_DELETE, "table=0,tcp");
	memset(&d, 0, sizeof(d));
	assert_int_equal(fl_pipeline_dump(pl, f, 0, dump_cb, &d), 1);
	assert_string_equal(d.text, "cookie=0x2, priority=2,tcp actions=output:2");
	spec_free(f);
	f = parse(pl, FL_FLOW_DELETE, "cookie=0x2/0xffffffffffffffff,out_port=3");
	memset(&d, 0, sizeof(d));
	assert_int_equal(fl_pipeline_dump(pl, f, 0, dump_cb, &d), 1);
	assert_string_equal(d.text, "cookie=0x2, table=1, priority=2,tcp actions=output:3");
	spec_free(f);
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.n_rules, 3);
	assert_int_equal(st.version, fl_pipeline_version(pl));
	fl_pipeline_destroy(pl);
}

static void ports_and_names(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_key k;
	uint64_t v;

	(void)state;
	assert_int_equal(fl_pipeline_port_add(pl, 1, "x"), -EEXIST);
	assert_int_equal(fl_pipeline_port_add(pl, 9, "p1"), -EEXIST);
	assert_int_equal(fl_pipeline_port_add(pl, 9, "LOCAL"), -EINVAL);
	assert_int_equal(fl_pipeline_port_add(pl, 9, "12"), -EINVAL);
	assert_int_equal(fl_pipeline_port_add(pl, FL_PORT_MAX + 1, "big"), -EINVAL);
	v = fl_pipeline_version(pl);
	assert_int_equal(fl_pipeline_port_add(pl, 9, "eth9"), 0);
	assert_true(fl_pipeline_version(pl) > v);
	add(pl, "in_port=eth9 actions=output:p2");
	assert_string_equal(dump(pl, false), "in_port=9 actions=output:2");
	key_eth(&k, 9, 1, 2, 0x1234);
	assert_string_equal(xl(pl, &k), "output:2");
	assert_int_equal(fl_pipeline_port_del(pl, 9), 0);
	assert_int_equal(fl_pipeline_port_del(pl, 9), -ENOENT);
	fl_pipeline_destroy(pl);
}

/* ---- translation ---- */

static void xlate_outputs(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "in_port=1 actions=output:1,output:2,IN_PORT,output:LOCAL,output:77");
	add(pl, "in_port=2 actions=FLOOD");
	add(pl, "in_port=3 actions=ALL");
	key_eth(&k, 1, 1, 2, 0x1234);
	assert_string_equal(xl_res(pl, &k, &res), "output:2,output:1,output:4294967294,output:77");
	assert_int_equal(res.actions->n_outputs, 4);
	assert_int_equal(res.wc.in_port, UINT32_MAX);
	assert_int_equal(res.wc.dl_type, 0);
	fl_dp_actions_unref(res.actions);
	k.in_port = 2;
	assert_string_equal(xl(pl, &k), "output:1,output:3,output:4");
	k.in_port = 3;
	assert_string_equal(xl(pl, &k), "output:1,output:2,output:4");
	/* Flooding off on port 4: FLOOD skips it, ALL does not. */
	assert_int_equal(fl_pipeline_port_set_flood(pl, 4, false), 0);
	k.in_port = 2;
	assert_string_equal(xl(pl, &k), "output:1,output:3");
	k.in_port = 3;
	assert_string_equal(xl(pl, &k), "output:1,output:2,output:4");
	/* No rule: drop, and the megaflow says why with in_port only. */
	k.in_port = 4;
	assert_string_equal(xl_res(pl, &k, &res), "drop");
	assert_int_equal(res.actions->n_outputs, 0);
	assert_int_equal(res.wc.in_port, UINT32_MAX);
	fl_dp_actions_unref(res.actions);
	fl_pipeline_destroy(pl);
}

static void xlate_rewrites(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "priority=10,ip actions=mod_dl_src:02:00:00:00:00:aa,"
		"set_field:02:00:00:00:00:bb->dl_dst,mod_nw_dst:10.9.9.9,mod_nw_tos:8,output:2,"
		"mod_dl_src:02:00:00:00:00:cc");
	add(pl, "priority=20,tcp actions=mod_tp_dst:8080,load:0x5->NXM_OF_TCP_SRC[0..7],"
		"load:0xa->NXM_OF_IP_SRC[0..7],output:1");
	add(pl, "priority=20,udp actions=output:1,mod_nw_dst:1.1.1.1,output:2,"
		"mod_nw_dst:2.2.2.2,set_field:3->ip_ecn,output:3");
	add(pl, "priority=10,ipv6 actions=set_field:2001:db8::1->ipv6_dst,set_field:0x2e->ip_dscp,"
		"output:1");
	add(pl, "priority=20,tcp6 actions=mod_tp_src:7,output:1");

	key_ip4(&k, 1, IP(1, 2, 3, 4), IP(5, 6, 7, 8), FL_IPPROTO_ICMP, 0, 0);
	assert_string_equal(xl_res(pl, &k, &res),
			    "set_eth(src=02:00:00:00:00:aa,dst=02:00:00:00:00:bb),"
			    "set_ipv4(dst=10.9.9.9,tos=0x08/0xfc),output:2");
	/* The rewritten fields need no match; the header and checksum do. */
	assert_int_equal(res.wc.nw_dst, 0);
	assert_int_equal(res.wc.nw_tos, 0);
	assert_int_equal(res.wc.dl_src[0], 0);
	assert_int_equal(res.wc.nw_proto, 0xff);
	assert_int_equal(res.wc.dl_type, 0xffff);
	assert_int_equal(res.actions->acts[1].ipv4.proto, FL_IPPROTO_ICMP);
	fl_dp_actions_unref(res.actions);

	key_ip4(&k, 4, IP(1, 2, 3, 4), IP(5, 6, 7, 8), FL_IPPROTO_TCP, 1000, 80);
	assert_string_equal(xl_res(pl, &k, &res),
			    "set_ipv4(src=0.0.0.10/0.0.0.255),set_l4(src=5/0x00ff,dst=8080/0xffff),"
			    "output:1");
	assert_int_equal(res.wc.tp_src, 0);
	assert_int_equal(res.wc.nw_frag, 0xff);
	fl_dp_actions_unref(res.actions);
	/* A later fragment has no ports to rewrite. */
	k.nw_frag = FL_FRAG_ANY | FL_FRAG_LATER;
	assert_string_equal(xl(pl, &k), "set_ipv4(src=0.0.0.10/0.0.0.255),output:1");

	key_ip4(&k, 4, IP(1, 2, 3, 4), IP(5, 6, 7, 8), FL_IPPROTO_UDP, 1000, 53);
	assert_string_equal(xl(pl, &k), "output:1,set_ipv4(dst=1.1.1.1),output:2,"
					"set_ipv4(dst=2.2.2.2,tos=0x03/0x03),output:3");

	key_eth(&k, 4, 1, 2, FL_ETH_TYPE_IPV6);
	k.nw_proto = FL_IPPROTO_UDP;
	assert_string_equal(xl(pl, &k),
			    "set_ipv6(dst=2001:db8:0:0:0:0:0:1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,"
			    "tclass=0xb8/0xfc),output:1");
	k.nw_proto = FL_IPPROTO_TCP;
	assert_string_equal(xl(pl, &k), "set_l4(src=7/0xffff),output:1");
	fl_pipeline_destroy(pl);
}

static void xlate_vlan(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k, t;

	(void)state;
	add(pl, "in_port=1 actions=push_vlan:0x8100,set_field:10->vlan_vid,output:2");
	add(pl, "in_port=2 actions=mod_vlan_vid:5,output:1");
	add(pl, "in_port=3 actions=mod_vlan_pcp:3,output:1");
	add(pl, "in_port=4 actions=strip_vlan,output:1");
	add(pl, "in_port=5 actions=push_vlan:0x8100,pop_vlan,output:1");
	add(pl, "in_port=6 actions=set_field:10->vlan_vid,output:1");
	add(pl, "in_port=7 actions=load:0->NXM_OF_VLAN_TCI[],output:1");
	add(pl, "in_port=8 actions=set_field:0x1064->vlan_tci,output:1");
	add(pl, "in_port=9 actions=output:1,push_vlan:0x88a8,output:2,pop_vlan,pop_vlan,output:3");
	add(pl, "in_port=10 actions=pop_vlan,goto_table:1");
	add(pl, "table=1,dl_vlan=20 actions=output:2");
	add(pl, "table=1,priority=0 actions=output:3");

	key_eth(&k, 0, 1, 2, 0x1234);
	t = k;
	t.vlan_tci = fl_htons(FL_VLAN_PRESENT | 7);

	k.in_port = t.in_port = 1;
	assert_string_equal(xl(pl, &k), "push_vlan(tpid=0x8100,tci=0x000a),output:2");
	k.in_port = t.in_port = 2;
	assert_string_equal(xl(pl, &k), "push_vlan(tpid=0x8100,tci=0x0005),output:1");
	assert_string_equal(xl(pl, &t), "set_vlan(tci=0x0005/0x0fff),output:1");
	k.in_port = t.in_port = 3;
	assert_string_equal(xl(pl, &k), "push_vlan(tpid=0x8100,tci=0x6000),output:1");
	assert_string_equal(xl(pl, &t), "set_vlan(tci=0x6000/0xe000),output:1");
	k.in_port = t.in_port = 4;
	assert_string_equal(xl_res(pl, &k, &res), "output:1");
	assert_int_equal(res.wc.vlan_tci, fl_htons(FL_VLAN_PRESENT));
	fl_dp_actions_unref(res.actions);
	assert_string_equal(xl(pl, &t), "pop_vlan,output:1");
	k.in_port = t.in_port = 5;
	assert_string_equal(xl(pl, &k), "output:1");
	k.in_port = t.in_port = 6;
	assert_string_equal(xl(pl, &k), "output:1");
	assert_string_equal(xl(pl, &t), "set_vlan(tci=0x000a/0x0fff),output:1");
	k.in_port = t.in_port = 7;
	assert_string_equal(xl(pl, &k), "output:1");
	assert_string_equal(xl(pl, &t), "pop_vlan,output:1");
	k.in_port = t.in_port = 8;
	assert_string_equal(xl(pl, &k), "push_vlan(tpid=0x8100,tci=0x0064),output:1");
	assert_string_equal(xl(pl, &t), "set_vlan(tci=0x0064/0xefff),output:1");
	k.in_port = t.in_port = 9;
	assert_string_equal(xl(pl, &t),
			    "output:1,push_vlan(tpid=0x88a8,tci=0x0000),output:2,pop_vlan,pop_vlan,"
			    "output:3");
	assert_string_equal(xl(pl, &k),
			    "output:1,push_vlan(tpid=0x88a8,tci=0x0000),output:2,pop_vlan,output:3");

	/* After a pop the inner tag is matched: the megaflow pins vlan2_tci. */
	t.in_port = 10;
	t.vlan2_tci = fl_htons(FL_VLAN_PRESENT | 20);
	assert_string_equal(xl_res(pl, &t, &res), "pop_vlan,output:2");
	assert_int_equal(fl_ntohs(res.wc.vlan2_tci) & 0x1fff, 0x1fff);
	assert_int_equal(fl_ntohs(res.wc.vlan_tci), FL_VLAN_PRESENT);
	fl_dp_actions_unref(res.actions);
	t.vlan2_tci = fl_htons(FL_VLAN_PRESENT | 21);
	assert_string_equal(xl(pl, &t), "pop_vlan,output:3");
	fl_pipeline_destroy(pl);
}

static void xlate_dec_ttl(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_pipeline_stats st;
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "in_port=1,ip actions=dec_ttl,output:2");
	add(pl, "in_port=2,ip actions=output:1,dec_ttl,output:3");
	add(pl, "in_port=3,ip actions=dec_ttl,dec_ttl,output:1");
	add(pl, "in_port=4 actions=dec_ttl,output:1");
	add(pl, "in_port=1,ipv6 actions=output:3,dec_ttl");

	key_ip4(&k, 1, 1, 2, FL_IPPROTO_UDP, 1, 2);
	assert_string_equal(xl_res(pl, &k, &res), "dec_ttl,output:2");
	/* Only "is TTL above 1" is in the megaflow. */
	assert_int_equal(res.wc.nw_ttl, 0xfe);
	fl_dp_actions_unref(res.actions);
	k.nw_ttl = 2;
	assert_string_equal(xl(pl, &k), "dec_ttl,output:2");
	k.nw_ttl = 1;
	assert_string_equal(xl(pl, &k), "drop");
	assert_contains(xl_trace(pl, &k), "TTL 1: expired, packet dropped");
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.xlate_ttl_expired, 2);

	k.in_port = 2;
	assert_string_equal(xl(pl, &k), "output:1");
	k.in_port = 3;
	k.nw_ttl = 3;
	assert_string_equal(xl_res(pl, &k, &res), "dec_ttl,dec_ttl,output:1");
	/* The second check reads a decremented TTL: all of it. */
	assert_int_equal(res.wc.nw_ttl, 0xff);
	fl_dp_actions_unref(res.actions);
	k.nw_ttl = 2;
	assert_string_equal(xl(pl, &k), "drop");
	/* Not IP: nothing to decrement. */
	key_eth(&k, 4, 1, 2, FL_ETH_TYPE_ARP);
	assert_string_equal(xl(pl, &k), "output:1");
	/* Trailing rewrites are cut. */
	key_eth(&k, 1, 1, 2, FL_ETH_TYPE_IPV6);
	k.nw_ttl = 9;
	assert_string_equal(xl(pl, &k), "output:3");
	fl_pipeline_destroy(pl);
}

static void xlate_goto_resubmit(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_pipeline_stats st;
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "in_port=1 actions=load:1->NXM_NX_REG0[],goto_table:2");
	add(pl, "table=2,reg0=1 actions=output:3");
	add(pl, "in_port=2 actions=resubmit(,1),output:4");
	add(pl, "table=1,in_port=2 actions=output:3");
	add(pl, "in_port=3 actions=resubmit(4,1)");
	add(pl, "table=1,in_port=4 actions=output:3,output:4,output:1");
	add(pl, "in_port=4 actions=resubmit(,9),output:1,goto_table:5");
	add(pl, "table=5,actions=resubmit(,5)");
	add(pl, "in_port=5 actions=set_field:0x5->metadata,resubmit(6,1)");
	add(pl, "table=1,in_port=6,metadata=0x5 actions=output:2");

	key_eth(&k, 1, 1, 2, 0x1234);
	assert_string_equal(xl_res(pl, &k, &res), "output:3");
	assert_int_equal(res.n_rules, 2);
	assert_int_equal(res.wc.regs[0], 0); /* a constant of this megaflow */
	fl_dp_actions_unref(res.actions);
	k.in_port = 2;
	assert_string_equal(xl(pl, &k), "output:3,output:4");
	/* resubmit(4,1): in_port 4 for the lookup, and for the in_port check. */
	k.in_port = 3;
	assert_string_equal(xl_res(pl, &k, &res), "output:3,output:1");
	assert_int_equal(res.wc.in_port, UINT32_MAX);
	fl_dp_actions_unref(res.actions);
	/* A resubmit loop: the whole result drops, counted. */
	k.in_port = 4;
	assert_string_equal(xl(pl, &k), "drop");
	assert_contains(xl_trace(pl, &k), "error: resubmit nesting deeper than 64 -> drop");
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.xlate_errors, 2);
	/* Table 1 matches in_port 6 and metadata 5, both constants here. */
	k.in_port = 5;
	assert_string_equal(xl_res(pl, &k, &res), "output:2");
	assert_int_equal(res.wc.metadata, 0);
	fl_dp_actions_unref(res.actions);
	fl_pipeline_destroy(pl);
}

static void xlate_resubmit_fanout(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_pipeline_stats st;
	struct fl_key k;
	char text[128];
	unsigned t;

	(void)state;
	/* 2^14 resubmits, each level shallow: the count limit catches it. */
	for (t = 0; t < 14; t++) {
		snprintf(text, sizeof(text), "table=%u,actions=resubmit(,%u),resubmit(,%u)", t, t + 1,
			 t + 1);
		add(pl, text);
	}
	add(pl, "table=14,actions=output:1");
	key_eth(&k, 2, 1, 2, 0x1234);
	assert_string_equal(xl(pl, &k), "drop");
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.xlate_errors, 1);
	fl_pipeline_destroy(pl);
}

static void xlate_miss_policies(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_key k;

	(void)state;
	add(pl, "actions=goto_table:1");
	add(pl, "table=2,in_port=1 actions=output:2");
	key_eth(&k, 1, 0x020000000001ull, 0x020000000009ull, 0x1234);
	assert_string_equal(xl(pl, &k), "drop");
	assert_int_equal(fl_pipeline_set_miss(pl, 1, FL_MISS_CONTINUE), 0);
	assert_int_equal(fl_pipeline_get_miss(pl, 1), FL_MISS_CONTINUE);
	assert_string_equal(xl(pl, &k), "output:2");
	k.in_port = 2;
	assert_string_equal(xl(pl, &k), "drop");
	assert_int_equal(fl_pipeline_set_miss(pl, 2, FL_MISS_NORMAL), 0);
	assert_string_equal(xl(pl, &k), "output:1,output:3,output:4");
	assert_int_equal(fl_pipeline_set_miss(pl, 255, FL_MISS_NORMAL), -EINVAL);
	/* CONTROLLER: nothing sent, counted, the rest goes on. */
	add(pl, "table=2,in_port=3 actions=CONTROLLER:100,output:2");
	k.in_port = 3;
	assert_string_equal(xl(pl, &k), "output:2");
	assert_contains(xl_trace(pl, &k), "controller: not supported yet");
	fl_pipeline_destroy(pl);
}

static void xlate_move(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	struct fl_key k;

	(void)state;
	add(pl, "in_port=1 actions=move:NXM_OF_ETH_SRC[0..7]->NXM_NX_REG1[0..7],resubmit(,1)");
	add(pl, "table=1,reg1=0x22 actions=output:2");
	add(pl, "in_port=2 actions=move:NXM_NX_REG0[0..15]->NXM_OF_ETH_DST[0..15],output:1");
	key_eth(&k, 1, 0x020000000022ull, 2, 0x1234);
	assert_string_equal(xl_res(pl, &k, &res), "output:2");
	/* Only the moved byte of dl_src, and none of reg1. */
	assert_int_equal(res.wc.dl_src[5], 0xff);
	assert_int_equal(res.wc.dl_src[4], 0);
	/* reg1 bits the move did not write are the packet's own. */
	assert_int_equal(res.wc.regs[1], 0xffffff00);
	fl_dp_actions_unref(res.actions);
	k.in_port = 2;
	k.regs[0] = 0x1234;
	assert_string_equal(xl_res(pl, &k, &res),
			    "set_eth(dst=00:00:00:00:12:34/00:00:00:00:ff:ff),output:1");
	assert_int_equal(res.wc.regs[0], 0xffff);
	fl_dp_actions_unref(res.actions);
	fl_pipeline_destroy(pl);
}

static void xlate_trace_text(void **state)
{
	struct fl_pipeline *pl = mk();
	char text[256];
	const char *t;
	struct fl_key k;

	(void)state;
	add(pl, "priority=100,ip,nw_dst=10.0.0.0/8 actions=dec_ttl,goto_table:1");
	add(pl, "table=1,priority=5,ip actions=output:2");
	add(pl, "table=1,priority=9,tcp actions=resubmit(,2)");
	key_ip4(&k, 1, IP(1, 1, 1, 1), IP(10, 1, 1, 1), FL_IPPROTO_UDP, 1, 2);
	t = xl_trace(pl, &k);
	assert_string_equal(t,
			    "table 0: rule 'priority=100,ip,nw_dst=10.0.0.0/8 actions=dec_ttl,"
			    "goto_table:1' (cookie 0x0)\n"
			    "  dec_ttl\n"
			    "  goto_table:1\n"
			    "table 1: rule 'priority=5,ip actions=output:2' (cookie 0x0)\n"
			    "  output:2\n"
			    "datapath actions: dec_ttl,output:2\n"
			    "megaflow: in_port=1,udp,nw_dst=10.0.0.0/8,nw_ttl=0x40/0xfe\n");
	/* A trace buffer too small truncates the text, not the translation. */
	{
		struct fl_xlate_result res;
		struct fl_trace tr;
		char small[16];

		fl_trace_init(&tr, small, sizeof(small));
		assert_int_equal(fl_pipeline_translate(pl, &k, &res, &tr), 0);
		assert_string_equal(small, "table 0: rule '");
		fl_dp_actions_format(res.actions, text, sizeof(text));
		assert_string_equal(text, "dec_ttl,output:2");
		fl_dp_actions_unref(res.actions);
	}
	k.nw_proto = FL_IPPROTO_TCP;
	t = xl_trace(pl, &k);
	assert_contains(t, "table 1: rule 'priority=9,tcp actions=resubmit(,2)' (cookie 0x0)\n"
			   "  resubmit(,2)\n"
			   "  table 2: miss -> drop\n"
			   "datapath actions: drop\n");
	fl_pipeline_destroy(pl);
}

/* ---- NORMAL ---- */

#define MAC_A 0x020000000aaaull
#define MAC_B 0x020000000bbbull
#define MAC_BCAST 0xffffffffffffull

static void normal_learning(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_pipeline_stats st;
	struct fl_xlate_result res;
	struct fl_key k;
	uint64_t v;

	(void)state;
	add(pl, "actions=NORMAL");
	/* A -> B from port 1: A learned, B unknown: flood. */
	key_eth(&k, 1, MAC_A, MAC_B, FL_ETH_TYPE_IPV4);
	v = fl_pipeline_version(pl);
	assert_string_equal(xl_res(pl, &k, &res), "output:2,output:3,output:4");
	assert_true(fl_pipeline_version(pl) > v);
	assert_true(res.version < fl_pipeline_version(pl)); /* stale: re-translate */
	assert_true(res.has_mac);
	assert_int_equal(res.mac.port, 1);
	assert_int_equal(res.mac.vlan, 0);
	assert_memory_equal(res.wc.dl_src, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(res.wc.dl_dst, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(res.wc.in_port, UINT32_MAX);
	assert_int_equal(res.wc.vlan_tci, fl_htons(FL_VLAN_PRESENT));
	assert_int_equal(res.wc.nw_src, 0);
	fl_dp_actions_unref(res.actions);
	/* Nothing new: the version stays. */
	v = fl_pipeline_version(pl);
	assert_string_equal(xl(pl, &k), "output:2,output:3,output:4");
	assert_int_equal(fl_pipeline_version(pl), v);
	assert_contains(xl_trace(pl, &k), "normal: known 02:00:00:00:0a:aa@vlan 0 on port 1; "
					  "dst unknown -> flood");

	/* B -> A from port 3: unicast to 1. */
	key_eth(&k, 3, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	assert_string_equal(xl(pl, &k), "output:1");
	/* A -> B now unicast too. */
	key_eth(&k, 1, MAC_A, MAC_B, FL_ETH_TYPE_IPV4);
	assert_string_equal(xl(pl, &k), "output:3");
	/* Broadcast floods. */
	key_eth(&k, 1, MAC_A, MAC_BCAST, FL_ETH_TYPE_ARP);
	assert_string_equal(xl(pl, &k), "output:2,output:3,output:4");
	/* B on the same port as A: dropped. */
	key_eth(&k, 3, MAC_B, MAC_A, FL_ETH_TYPE_IPV4);
	k.in_port = 1;
	assert_string_equal(xl(pl, &k), "drop"); /* B moved to 1, A is on 1 */
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.mac_learned, 2);
	assert_int_equal(st.mac_moved, 1);
	assert_int_equal(st.mac_entries, 2);
	/* Tagged: another VLAN, another entry. */
	key_eth(&k, 2, MAC_A, MAC_B, FL_ETH_TYPE_IPV4);
	k.vlan_tci = fl_htons(FL_VLAN_PRESENT | 10);
	v = fl_pipeline_version(pl);
	assert_string_equal(xl_res(pl, &k, &res), "output:1,output:3,output:4");
	assert_true(fl_pipeline_version(pl) > v);
	assert_int_equal(res.mac.vlan, 10);
	assert_int_equal(res.wc.vlan_tci, fl_htons(0x1fff));
	fl_dp_actions_unref(res.actions);
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.mac_entries, 3);
	fl_pipeline_destroy(pl);
}

static void normal_move_and_aging(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_pipeline_stats st;
	struct fl_xlate_result res;
	struct fl_key k;
	uint64_t v, t0 = fl_time_ns();

	(void)state;
	assert_int_equal(fl_pipeline_set_miss(pl, 0, FL_MISS_NORMAL), 0);
	key_eth(&k, 2, MAC_B, MAC_A, 0x1234);
	xl(pl, &k);
	key_eth(&k, 1, MAC_A, MAC_B, 0x1234);
	xl_res(pl, &k, &res);
	assert_string_equal(xl(pl, &k), "output:2");
	/* B moves to port 4: a new version, A -> B follows. */
	key_eth(&k, 4, MAC_B, MAC_A, 0x1234);
	v = fl_pipeline_version(pl);
	assert_string_equal(xl(pl, &k), "output:1");
	assert_true(fl_pipeline_version(pl) > v);
	key_eth(&k, 1, MAC_A, MAC_B, 0x1234);
	assert_string_equal(xl(pl, &k), "output:4");

	/* Aging: A is kept alive by the datapath's touches, B is not. */
	fl_pipeline_mac_touch(pl, &res.mac, t0 + 200 * NS);
	fl_dp_actions_unref(res.actions);
	v = fl_pipeline_version(pl);
	assert_int_equal(fl_pipeline_expire(pl, fl_time_ns() + 301 * NS), 0);
	assert_true(fl_pipeline_version(pl) > v);
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.mac_expired, 1);
	assert_int_equal(st.mac_entries, 1);
	assert_string_equal(xl(pl, &k), "output:2,output:3,output:4");
	/* A port that goes away takes its addresses with it. */
	key_eth(&k, 4, MAC_B, MAC_A, 0x1234);
	assert_string_equal(xl(pl, &k), "output:1");
	assert_int_equal(fl_pipeline_port_del(pl, 1), 0);
	assert_string_equal(xl(pl, &k), "output:2,output:3");
	fl_pipeline_destroy(pl);
}

static void normal_table_limit(void **state)
{
	struct fl_pipeline_params params = { .mac_table_size = 4, .mac_aging_s = 10 };
	struct fl_pipeline *pl = fl_pipeline_create(&params);
	struct fl_pipeline_stats st;
	struct fl_key k;
	unsigned i;

	(void)state;
	assert_int_equal(fl_pipeline_port_add(pl, 1, NULL), 0);
	assert_int_equal(fl_pipeline_port_add(pl, 2, NULL), 0);
	add(pl, "actions=NORMAL");
	for (i = 0; i < 10; i++) {
		key_eth(&k, 1 + i % 2, 0x020000000100ull + i, MAC_BCAST, 0x1234);
		xl(pl, &k);
	}
	fl_pipeline_get_stats(pl, &st);
	assert_int_equal(st.mac_entries, 4);
	assert_int_equal(st.mac_evicted, 6);
	/* The oldest went first: 0x100 unknown, 0x109 known. */
	key_eth(&k, 2, MAC_A, 0x020000000100ull, 0x1234);
	assert_string_equal(xl(pl, &k), "output:1");
	key_eth(&k, 1, MAC_A, 0x020000000109ull, 0x1234);
	assert_string_equal(xl(pl, &k), "output:2");
	/* Multicast sources are not learned. */
	key_eth(&k, 1, 0x030000000001ull, MAC_BCAST, 0x1234);
	assert_string_equal(xl(pl, &k), "output:2");
	assert_contains(xl_trace(pl, &k), "multicast source 03:00:00:00:00:01 not learned");
	fl_pipeline_destroy(pl);
}

/* ---- the megaflow invariant ---- */

static const uint64_t prop_macs[] = { 0x020000000001ull, 0x020000000002ull, 0x020000000003ull,
				      0x0a0000000004ull, 0xffffffffffffull, 0x01005e000001ull };
static const char *const prop_mac_text[] = { "02:00:00:00:00:01", "02:00:00:00:00:02",
					     "02:00:00:00:00:03", "0a:00:00:00:00:04",
					     "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01" };

enum prop_proto { P_ANY, P_IP, P_TCP, P_UDP, P_ICMP, P_IPV6, P_TCP6, P_UDP6, P_ARP, P_N };
static const char *const prop_proto_text[P_N] = { "", "ip", "tcp", "udp", "icmp",
						  "ipv6", "tcp6", "udp6", "arp" };

struct sbuf {
	char s[1024];
	size_t n;
};

static void sput(struct sbuf *b, const char *fmt, ...) FL_PRINTF(2, 3);
static void sput(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	b->n += (size_t)vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
}

static void prop_match(struct sbuf *b, enum prop_proto p)
{
	bool ip4 = p == P_IP || p == P_TCP || p == P_UDP || p == P_ICMP;
	bool ip6 = p == P_IPV6 || p == P_TCP6 || p == P_UDP6;

	if (p != P_ANY)
		sput(b, ",%s", prop_proto_text[p]);
	if (!rnd(4))
		sput(b, ",in_port=%u", 1 + rnd(5));
	if (!rnd(6))
		sput(b, ",dl_src=%s", prop_mac_text[rnd(6)]);
	if (!rnd(6))
		sput(b, rnd(2) ? ",dl_dst=%s" : ",dl_dst=%s/01:00:00:00:00:00", prop_mac_text[rnd(6)]);
	switch (rnd(12)) {
	case 0:
		sput(b, ",dl_vlan=%u", 10 + 10 * rnd(2));
		break;
	case 1:
		sput(b, ",vlan_tci=0x%04x/0x1000", rnd(2) ? 0x1000 : 0);
		break;
	case 2:
		sput(b, ",dl_vlan_pcp=%u", rnd(2) * 3);
		break;
	}
	if (!rnd(6))
		sput(b, ",reg0=%u", rnd(3));
	if (!rnd(8))
		sput(b, ",metadata=0x%x", rnd(3));
	if (ip4) {
		if (!rnd(3))
			sput(b, ",nw_dst=10.%u.0.0/%u", rnd(3), 8 + 8 * rnd(3));
		if (!rnd(4))
			sput(b, ",nw_src=192.168.%u.%u", rnd(2), rnd(3));
		if (!rnd(8))
			sput(b, ",nw_ttl=%u", rnd(4));
		if (!rnd(8))
			sput(b, ",nw_tos=%u", 4 * rnd(3));
	}
	if (ip6 && !rnd(3))
		sput(b, ",ipv6_dst=2001:db8::%x/%u", rnd(3), 64 + 64 * rnd(2));
	if ((p == P_TCP || p == P_UDP || p == P_TCP6 || p == P_UDP6) && !rnd(3))
		sput(b, rnd(2) ? ",tp_dst=%u" : ",tp_dst=%u/0xfff0", 80 + 16 * rnd(3));
	if (p == P_ARP && !rnd(2))
		sput(b, ",arp_op=%u", 1 + rnd(2));
}

static void prop_action(struct sbuf *b, enum prop_proto p, unsigned table, unsigned n_tables)
{
	bool ip4 = p == P_IP || p == P_TCP || p == P_UDP || p == P_ICMP;
	bool ip6 = p == P_IPV6 || p == P_TCP6 || p == P_UDP6;
	bool l4 = p == P_TCP || p == P_UDP || p == P_TCP6 || p == P_UDP6;

	switch (rnd(30)) {
	case 0: case 1: case 2:
		sput(b, "output:%u", 1 + rnd(5));
		break;
	case 3:
		sput(b, "%s", (const char *[]){ "IN_PORT", "FLOOD", "ALL", "CONTROLLER:64" }[rnd(4)]);
		break;
	case 4:
		sput(b, "NORMAL");
		break;
	case 5:
		sput(b, "mod_dl_src:%s", prop_mac_text[rnd(4)]);
		break;
	case 6:
		sput(b, "set_field:%s->dl_dst", prop_mac_text[rnd(6)]);
		break;
	case 7:
		if (ip4)
			sput(b, rnd(2) ? "mod_nw_dst:10.%u.0.1" : "load:0x%x->NXM_OF_IP_SRC[0..7]",
			     rnd(3));
		else if (ip6)
			sput(b, "set_field:2001:db8::%x->ipv6_src", rnd(3));
		else
			sput(b, "note:01");
		break;
	case 8:
		if (ip4 || ip6)
			sput(b, rnd(2) ? "mod_nw_tos:%u" : "set_field:%u->ip_ecn", rnd(2) ? 4 : 2);
		else
			sput(b, "pop_vlan");
		break;
	case 9:
		if (l4)
			sput(b, rnd(2) ? "mod_tp_dst:%u" : "load:0x%x->NXM_OF_TCP_SRC[0..3]",
			     p == P_TCP || p == P_TCP6 ? 8 + rnd(3) : 1 + rnd(3));
		else
			sput(b, "push_vlan:0x8100");
		break;
	case 10:
		sput(b, ip4 || ip6 ? "dec_ttl" : "strip_vlan");
		break;
	case 11:
		sput(b, rnd(2) ? "push_vlan:0x%x" : "pop_vlan", rnd(2) ? 0x8100 : 0x88a8);
		break;
	case 12:
		sput(b, "mod_vlan_vid:%u", 10 + 10 * rnd(2));
		break;
	case 13:
		sput(b, "mod_vlan_pcp:%u", rnd(8));
		break;
	case 14:
		sput(b, "set_field:%u->vlan_vid", 5 * rnd(5));
		break;
	case 15:
		sput(b, "%s", (const char *[]){ "load:0->NXM_OF_VLAN_TCI[]",
					       "set_field:0x1014->vlan_tci",
					       "set_field:0x1000/0x1000->vlan_tci",
					       "load:1->NXM_OF_VLAN_TCI[12]",
					       "load:0->NXM_OF_VLAN_TCI[12]",
					       "set_field:0x3/0x3->vlan_tci" }[rnd(6)]);
		break;
	case 16:
		sput(b, "load:%u->NXM_NX_REG0[]", rnd(3));
		break;
	case 17:
		sput(b, "%s", (const char *[]){
				      "move:NXM_OF_ETH_SRC[0..3]->NXM_NX_REG0[0..3]",
				      "move:NXM_OF_VLAN_TCI[0..11]->NXM_NX_REG0[0..11]",
				      "move:NXM_NX_REG0[0..7]->NXM_OF_ETH_DST[0..7]",
				      "move:NXM_NX_REG1[0..11]->NXM_OF_VLAN_TCI[0..11]",
				      "move:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15]",
				      "move:NXM_NX_REG0[0..1]->OXM_OF_METADATA[0..1]" }[rnd(6)]);
		break;
	case 18:
		sput(b, "set_field:0x%x->metadata", rnd(3));
		break;
	case 19:
		if (ip4)
			sput(b, "move:NXM_OF_IP_SRC[0..7]->NXM_OF_IP_DST[8..15]");
		else
			sput(b, "set_field:%u->dl_vlan", rnd(30));
		break;
	case 20: case 21:
		sput(b, "resubmit(,%u)", rnd(n_tables));
		break;
	case 22:
		sput(b, "resubmit:%u", 1 + rnd(5));
		break;
	case 23:
		if (l4 && (p == P_UDP || p == P_UDP6))
			sput(b, "set_field:%u->udp_dst", 53 + rnd(2));
		else
			sput(b, "output:%u", 1 + rnd(4));
		break;
	case 24:
		sput(b, ip4 || ip6 ? "dec_ttl,dec_ttl" : "output:%u", 1 + rnd(4));
		break;
	case 25:
		sput(b, l4 ? "mod_tp_src:%u" : "output:%u", 1 + rnd(4));
		break;
	case 26:
		sput(b, "move:NXM_NX_REG0[0..7]->NXM_OF_ETH_DST[0..7]");
		break;
	default:
		if (table + 1 < n_tables && rnd(2))
			sput(b, "load:1->NXM_NX_REG0[%u]", rnd(2));
		else
			sput(b, "output:%u", 1 + rnd(4));
		break;
	}
}

/* A random rule; false if the pipeline refused it (rare). */
static bool prop_rule(struct fl_pipeline *pl, unsigned table, unsigned n_tables, unsigned prio)
{
	static const enum prop_proto protos[] = { P_ANY, P_ANY, P_IP, P_IP, P_TCP, P_TCP,
						  P_UDP, P_UDP, P_ICMP, P_IPV6, P_TCP6, P_UDP6,
						  P_ARP };
	enum prop_proto p = protos[rnd(FL_ARRAY_SIZE(protos))];
	unsigned n_acts = rnd(5), i;
	struct fl_flow_spec *s;
	struct sbuf b = { .n = 0 };
	char err[512];
	int r;

	sput(&b, "table=%u,priority=%u", table, prio);
	prop_match(&b, p);
	sput(&b, " actions=");
	for (i = 0; i < n_acts; i++) {
		if (i)
			sput(&b, ",");
		prop_action(&b, p, table, n_tables);
	}
	if (table + 1 < n_tables && !rnd(3))
		sput(&b, "%sgoto_table:%u", n_acts ? "," : "", table + 1 + rnd(n_tables - table - 1));
	else if (rnd(3))
		sput(&b, "%soutput:%u", n_acts ? "," : "", 1 + rnd(5));
	else if (!n_acts)
		sput(&b, "drop");
	s = aligned_alloc(FL_CACHE_LINE, sizeof(*s));
	assert_non_null(s);
	if (fl_flow_parse(b.s, FL_FLOW_ADD, fl_pipeline_port_resolver(pl), s, err, sizeof(err))) {
		free(s);
		return false;
	}
	r = fl_pipeline_flow_mod(pl, s, 1, err, sizeof(err));
	spec_free(s);
	return r == 1;
}

static void prop_key(struct fl_key *k)
{
	static const uint16_t types[] = { FL_ETH_TYPE_IPV4, FL_ETH_TYPE_IPV4, FL_ETH_TYPE_IPV4,
					  FL_ETH_TYPE_IPV4, FL_ETH_TYPE_IPV6, FL_ETH_TYPE_IPV6,
					  FL_ETH_TYPE_ARP, 0x1234 };
	static const uint8_t protos[] = { FL_IPPROTO_TCP, FL_IPPROTO_TCP, FL_IPPROTO_UDP,
					  FL_IPPROTO_UDP, FL_IPPROTO_ICMP, 47 };
	unsigned r;

	memset(k, 0, sizeof(*k));
	k->in_port = 1 + rnd(5);
	mac(k->dl_src, prop_macs[rnd(6)]);
	mac(k->dl_dst, prop_macs[rnd(6)]);
	k->dl_type = fl_htons(types[rnd(FL_ARRAY_SIZE(types))]);
	r = rnd(4);
	if (r >= 2) {
		k->vlan_tci = fl_htons((uint16_t)(FL_VLAN_PRESENT | (rnd(2) ? 10 + 10 * rnd(2) : rnd(4096)) |
						  rnd(8) << FL_VLAN_PCP_SHIFT));
		k->vlan_tpid = fl_htons(FL_ETH_TYPE_VLAN);
		if (r == 3)
			k->vlan2_tci = fl_htons((uint16_t)(FL_VLAN_PRESENT | (10 + 10 * rnd(2))));
	}
	if (!rnd(4))
		k->regs[0] = rnd(2) ? rnd(3) : (uint32_t)rng();
	if (!rnd(4))
		k->regs[1] = (uint32_t)rng();
	if (!rnd(5))
		k->metadata = rnd(3);
	if (k->dl_type == fl_htons(FL_ETH_TYPE_IPV4) || k->dl_type == fl_htons(FL_ETH_TYPE_IPV6)) {
		k->nw_proto = protos[rnd(FL_ARRAY_SIZE(protos))];
		k->nw_ttl = (uint8_t)(rnd(3) ? rnd(5) : rnd(2) ? 64 : rng());
		k->nw_tos = (uint8_t)(4 * rnd(3) + rnd(4));
		k->nw_src = fl_htonl(IP(192, 168, rnd(2), rnd(3)));
		k->nw_dst = fl_htonl(IP(10, rnd(3), rnd(2), rnd(3)));
		k->ipv6_dst[0] = 0x20;
		k->ipv6_dst[1] = 0x01;
		k->ipv6_dst[2] = 0x0d;
		k->ipv6_dst[3] = 0xb8;
		k->ipv6_dst[15] = (uint8_t)rnd(3);
		if (!rnd(3))
			k->nw_frag = FL_FRAG_ANY | (rnd(3) ? FL_FRAG_LATER : 0);
		k->tp_src = fl_htons((uint16_t)rng());
		k->tp_dst = fl_htons((uint16_t)(80 + 16 * rnd(3) + rnd(20)));
	} else if (k->dl_type == fl_htons(FL_ETH_TYPE_ARP)) {
		k->nw_proto = (uint8_t)(1 + rnd(2));
	}
}

/* Q: P's bits under wc, random bits elsewhere. */
static void prop_neighbour(const struct fl_key *p, const struct fl_key *wc, struct fl_key *q)
{
	const uint64_t *pw = fl_key_words(p), *ww = fl_key_words(wc);
	uint64_t *qw = (uint64_t *)(void *)q;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		qw[i] = (pw[i] & ww[i]) | (rng() & ~ww[i]);
	/* Half the time only a few random bits differ, which probes the
	 * edges of wc harder than noise everywhere. */
	if (rnd(2)) {
		memcpy(q, p, sizeof(*q));
		for (i = 0; i < 1 + rnd(4); i++) {
			unsigned w = rnd(FL_KEY_WORDS);
			uint64_t bit = 1ull << rnd(64);

			qw[w] ^= bit & ~ww[w];
		}
	}
}

static void prop_report(struct fl_pipeline *pl, const struct fl_key *p, const struct fl_key *q,
			const struct fl_xlate_result *rp, const struct fl_xlate_result *rq)
{
	static char tp[1 << 16], tq[1 << 16], kp[2048], kq[2048], ap[1024], aq[1024];

	fl_key_format(p, kp, sizeof(kp));
	fl_key_format(q, kq, sizeof(kq));
	fl_dp_actions_format(rp->actions, ap, sizeof(ap));
	fl_dp_actions_format(rq->actions, aq, sizeof(aq));
	snprintf(tp, sizeof(tp), "%s", xl_trace(pl, p));
	snprintf(tq, sizeof(tq), "%s", xl_trace(pl, q));
	fail_msg("megaflow invariant broken\nP %s\n  -> %s\nQ %s\n  -> %s\ntrace P:\n%s\ntrace Q:\n%s",
		 kp, ap, kq, aq, tp, tq);
}

static void megaflow_invariant(void **state)
{
	const unsigned n_sets = 40 * SCALE, n_p = 100, n_q = 12, n_tables = 4;
	unsigned set, i, j, t, refused = 0, total = 0;
	unsigned long cases = 0, narrowed = 0, kinds[FL_DPACT_DEC_TTL + 1] = { 0 };

	(void)state;
	rng_seed(20240607);
	for (set = 0; set < n_sets; set++) {
		struct fl_pipeline *pl = mk();

		for (t = 0; t < n_tables; t++) {
			unsigned n_rules = 4 + rnd(16), prio0 = rnd(100);

			/* Distinct priorities in a table: rules of equal
			 * priority that overlap have no defined winner. */
			for (i = 0; i < n_rules; i++) {
				total++;
				if (!prop_rule(pl, t, n_tables, prio0 + 3 * i + rnd(3)))
					refused++;
			}
			fl_pipeline_set_miss(pl, t, (enum fl_table_miss)rnd(3));
		}
		for (i = 0; i < n_p; i++) {
			struct fl_xlate_result rp, rq;
			struct fl_key p, q;

			prop_key(&p);
			assert_int_equal(fl_pipeline_translate(pl, &p, &rp, NULL), 0);
			/* NORMAL may have learned from P: translate again so
			 * P's own result reflects the table Qs will see. */
			fl_dp_actions_unref(rp.actions);
			assert_int_equal(fl_pipeline_translate(pl, &p, &rp, NULL), 0);
			for (j = 0; j < n_q; j++) {
				prop_neighbour(&p, &rp.wc, &q);
				assert_int_equal(fl_pipeline_translate(pl, &q, &rq, NULL), 0);
				if (!fl_dp_actions_equal(rp.actions, rq.actions))
					prop_report(pl, &p, &q, &rp, &rq);
				fl_dp_actions_unref(rq.actions);
				cases++;
			}
			if (memcmp(&rp.wc, &(struct fl_key){ 0 }, sizeof(rp.wc)))
				narrowed++;
			for (t = 0; t < rp.actions->n; t++)
				kinds[rp.actions->acts[t].type]++;
			fl_dp_actions_unref(rp.actions);
		}
		fl_pipeline_destroy(pl);
	}
	print_message("megaflow invariant: %lu cases over %u rule sets, %u of %u random rules "
		      "refused\n", cases, n_sets, refused, total);
	print_message("  datapath actions met: output %lu, set_eth %lu, set_ipv4 %lu, set_ipv6 %lu, "
		      "set_l4 %lu, push_vlan %lu, pop_vlan %lu, set_vlan %lu, dec_ttl %lu\n",
		      kinds[FL_DPACT_OUTPUT], kinds[FL_DPACT_SET_ETH], kinds[FL_DPACT_SET_IPV4],
		      kinds[FL_DPACT_SET_IPV6], kinds[FL_DPACT_SET_L4], kinds[FL_DPACT_PUSH_VLAN],
		      kinds[FL_DPACT_POP_VLAN], kinds[FL_DPACT_SET_VLAN], kinds[FL_DPACT_DEC_TTL]);
	assert_true(refused * 10 < total);
	assert_true(narrowed > 0);
	for (t = FL_DPACT_OUTPUT; t <= FL_DPACT_DEC_TTL; t++)
		assert_true(kinds[t] > 0);
}

/* After each flow-mod the version moved and translation follows the rules. */
static void versions_follow_flow_mods(void **state)
{
	struct fl_pipeline *pl = mk();
	struct fl_xlate_result res;
	char text[128];
	struct fl_key k;
	uint64_t v = fl_pipeline_version(pl), nv;
	unsigned i;

	(void)state;
	key_ip4(&k, 1, 1, IP(10, 0, 0, 1), FL_IPPROTO_TCP, 1, 80);
	for (i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "priority=%u,tcp actions=output:%u", 100 + i, 1 + i % 4);
		add(pl, text);
		nv = fl_pipeline_version(pl);
		assert_true(nv > v);
		v = nv;
		snprintf(text, sizeof(text), "output:%u", 1 + i % 4 == 1 ? 0 : 1 + i % 4);
		xl_res(pl, &k, &res);
		assert_int_equal(res.version, v);
		if (i % 4 == 0)
			assert_string_equal(xl(pl, &k), "drop"); /* output to in_port */
		else
			assert_string_equal(xl(pl, &k), text);
		fl_dp_actions_unref(res.actions);
	}
	assert_int_equal(fm(pl, FL_FLOW_DELETE, "tcp"), 50);
	assert_true(fl_pipeline_version(pl) > v);
	assert_string_equal(xl(pl, &k), "drop");
	fl_pipeline_destroy(pl);
}

/* ---- concurrency ---- */

struct conc {
	struct fl_pipeline *pl;
	int stop;
	unsigned long translations;
	int bad;
};

static void *conc_worker(void *arg)
{
	struct conc *c = arg;
	struct fl_xlate_result res;
	struct fl_key k;
	uint64_t seed = 99, x, last_version = 0;
	unsigned i;

	urcu_qsbr_register_thread();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		key_ip4(&k, 1, 0, 0, FL_IPPROTO_TCP, 0, 0);
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		x = seed >> 16;
		k.in_port = 1 + (uint32_t)(x % 4);
		k.nw_dst = fl_htonl(IP(10, (x >> 8) % 4, 0, 1));
		k.tp_dst = fl_htons((uint16_t)(x >> 20) % 8);
		mac(k.dl_src, 0x020000000000ull | (x >> 32) % 16);
		if (fl_pipeline_translate(c->pl, &k, &res, NULL) != 0 || !res.actions) {
			c->bad++;
		} else {
			unsigned outs = 0;

			/* Well formed: known action kinds, outputs to ports that
			 * exist, the count right, versions never going back. */
			for (i = 0; i < res.actions->n; i++) {
				const struct fl_dpact *a = &res.actions->acts[i];

				if (a->type < FL_DPACT_OUTPUT || a->type > FL_DPACT_DEC_TTL)
					c->bad++;
				if (a->type == FL_DPACT_OUTPUT) {
					outs++;
					if (a->output.port < 1 ||
					    (a->output.port > 4 && a->output.port != 9))
						c->bad++;
				}
			}
			if (outs != res.actions->n_outputs || res.version < last_version ||
			    res.n_rules > FL_XLATE_MAX_RULES)
				c->bad++;
			last_version = res.version;
			for (i = 0; i < res.n_rules; i++)
				fl_rule_account(res.rules[i], 1, 64, fl_time_ns());
			fl_dp_actions_unref(res.actions);
		}
		__atomic_fetch_add(&c->translations, 1, __ATOMIC_RELAXED);
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void concurrent_translation(void **state)
{
	struct conc c = { .pl = mk() };
	pthread_t th;
	char text[160];
	unsigned i;

	(void)state;
	rng_seed(7);
	add(c.pl, "priority=0 actions=NORMAL");
	assert_int_equal(pthread_create(&th, NULL, conc_worker, &c), 0);
	for (i = 0; i < 300u * SCALE; i++) {
		unsigned d = rnd(4), p = 1 + rnd(4);

		/* The second half as a registered, online control thread:
		 * synchronize_rcu must not wait for the caller itself. */
		if (i == 150u * SCALE)
			urcu_qsbr_register_thread();
		if (i > 150u * SCALE)
			urcu_qsbr_quiescent_state();

		switch (rnd(5)) {
		case 0:
		case 1:
			snprintf(text, sizeof(text),
				 "priority=%u,tcp,nw_dst=10.%u.0.0/16 actions=dec_ttl,resubmit(,1),"
				 "output:%u",
				 10 + rnd(20), d, p);
			fm(c.pl, FL_FLOW_ADD, text);
			snprintf(text, sizeof(text), "table=1,priority=%u,tcp,tp_dst=%u "
				 "actions=mod_tp_dst:9,push_vlan:0x8100,output:%u", rnd(9), rnd(8), p);
			fm(c.pl, FL_FLOW_ADD, text);
			break;
		case 2:
			snprintf(text, sizeof(text), "tcp,nw_dst=10.%u.0.0/16", d);
			fm(c.pl, FL_FLOW_DELETE, text);
			break;
		case 3:
			snprintf(text, sizeof(text), "table=1 actions=output:%u", p);
			fm(c.pl, FL_FLOW_MODIFY, text);
			break;
		default:
			fl_pipeline_expire(c.pl, fl_time_ns());
			if (!rnd(10)) {
				fl_pipeline_port_add(c.pl, 9, "p9");
				fl_pipeline_port_del(c.pl, 9);
			}
			break;
		}
	}
	urcu_qsbr_unregister_thread();
	/* Let the worker see the final state at least once. */
	while (__atomic_load_n(&c.translations, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_int_equal(c.bad, 0);
	print_message("concurrent: %lu translations during %u flow-mod rounds\n", c.translations,
		      300u * SCALE);
	fl_pipeline_destroy(c.pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_and_replace),
		cmocka_unit_test(check_overlap),
		cmocka_unit_test(modify_loose_and_strict),
		cmocka_unit_test(modify_counters_cookie_timeouts),
		cmocka_unit_test(delete_filters),
		cmocka_unit_test(batch_all_or_nothing),
		cmocka_unit_test(batch_sees_itself),
		cmocka_unit_test(text_all_or_nothing),
		cmocka_unit_test(refused_specs),
		cmocka_unit_test(timeouts),
		cmocka_unit_test(dump_filter_and_stats),
		cmocka_unit_test(ports_and_names),
		cmocka_unit_test(xlate_outputs),
		cmocka_unit_test(xlate_rewrites),
		cmocka_unit_test(xlate_vlan),
		cmocka_unit_test(xlate_dec_ttl),
		cmocka_unit_test(xlate_goto_resubmit),
		cmocka_unit_test(xlate_resubmit_fanout),
		cmocka_unit_test(xlate_miss_policies),
		cmocka_unit_test(xlate_move),
		cmocka_unit_test(xlate_trace_text),
		cmocka_unit_test(normal_learning),
		cmocka_unit_test(normal_move_and_aging),
		cmocka_unit_test(normal_table_limit),
		cmocka_unit_test(megaflow_invariant),
		cmocka_unit_test(versions_follow_flow_mods),
		cmocka_unit_test(concurrent_translation),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	urcu_qsbr_barrier();
	return rc;
}
