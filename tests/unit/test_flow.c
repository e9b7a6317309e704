/* Unit tests of the flow syntax (flow/field.h, flow/ofpact.h, flow/flow.h).
 *
 *  - the field table: ids, unique names, containers inside struct fl_key,
 *    writability and OXM headers as OpenFlow 1.3 defines them;
 *  - bit-exact field access (host/network order, subfields, load and move);
 *  - every field and every action parses and prints back in canonical form;
 *  - masks (CIDR, dotted, arbitrary), prerequisites, ports by name;
 *  - parsed matches match the keys the packet parser would build;
 *  - each class of bad input gives its exact message and column;
 *  - command kinds, flow files, untrusted action lists, snprintf semantics;
 *  - a property test: random valid specs print, parse back equal, and print
 *    the same text again (fixed seed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>

#include "flow/flow.h"
#include "proto/headers.h"

#include "flow_random.h"

/* --- helpers --- */

static int lookup_port(void *aux, const char *name, uint32_t *port)
{
	static const struct {
		const char *name;
		uint32_t port;
	} ports[] = { { "eth0", 1 }, { "eth1", 2 }, { "tap-vm1", 10 }, { "10g0", 7 } };
	size_t i;

	(void)aux;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (!strcmp(name, ports[i].name)) {
			*port = ports[i].port;
			return 0;
		}
	}
	return -1;
}

static const struct fl_port_resolver resolver = { lookup_port, NULL };

static struct fl_flow_spec *spec_new(void)
{
	struct fl_flow_spec *s = aligned_alloc(FL_CACHE_LINE, sizeof(*s));

	assert_non_null(s);
	return s;
}

/* Parse text as cmd; format; compare with want; parse the output again and
 * check it is the same spec and prints the same. */
static void check_rt(enum fl_flow_cmd cmd, const char *text, const char *want)
{
	struct fl_flow_spec *a = spec_new(), *b = spec_new();
	char err[512], out[2048], out2[2048];

	if (fl_flow_parse(text, cmd, &resolver, a, err, sizeof(err)))
		fail_msg("parse '%s': %s", text, err);
	fl_flow_format(a, out, sizeof(out));
	if (strcmp(out, want))
		fail_msg("'%s'\n  want '%s'\n   got '%s'", text, want, out);
	if (fl_flow_parse(out, cmd, &resolver, b, err, sizeof(err)))
		fail_msg("reparse '%s': %s", out, err);
	assert_true(fl_flow_spec_equal(a, b));
	fl_flow_format(b, out2, sizeof(out2));
	assert_string_equal(out, out2);
	fl_flow_spec_uninit(a);
	fl_flow_spec_uninit(b);
	free(a);
	free(b);
}

#define RT(text, want) check_rt(FL_FLOW_ADD, text, want)

static void check_err(enum fl_flow_cmd cmd, const char *text, const char *want)
{
	struct fl_flow_spec *s = spec_new();
	char err[512];

	if (!fl_flow_parse(text, cmd, &resolver, s, err, sizeof(err)))
		fail_msg("'%s' parsed, want error '%s'", text, want);
	if (strcmp(err, want))
		fail_msg("'%s'\n  want '%s'\n   got '%s'", text, want, err);
	free(s);
}

#define ERR(text, want) check_err(FL_FLOW_ADD, text, want)

static void parse_match(const char *text, struct fl_match *m)
{
	struct fl_flow_spec *s = spec_new();
	char err[512];

	if (fl_flow_parse(text, FL_FLOW_DELETE, &resolver, s, err, sizeof(err)))
		fail_msg("parse '%s': %s", text, err);
	*m = s->match;
	fl_flow_spec_uninit(s);
	free(s);
}

/* --- the field table --- */

static void test_field_table(void **state)
{
	unsigned i, j, k;

	(void)state;
	for (i = 0; i < FL_FIELD_N; i++) {
		const struct fl_field *f = fl_field_by_id((enum fl_field_id)i);
		const char *names[3 + FL_FIELD_MAX_NAMES];
		unsigned n = 0;

		assert_int_equal(f->id, i);
		assert_non_null(f->name);
		assert_true(f->n_bits > 0 && fl_field_nbytes(f) <= FL_FIELD_MAX_BYTES);
		assert_true(f->ofs + f->size <= sizeof(struct fl_key));
		assert_true(f->shift + f->n_bits <= f->size * 8u);
		names[n++] = f->name;
		if (f->nxm_name)
			names[n++] = f->nxm_name;
		if (f->oxm_name)
			names[n++] = f->oxm_name;
		for (j = 0; j < FL_FIELD_MAX_NAMES && f->aliases[j]; j++)
			names[n++] = f->aliases[j];
		/* Every name finds this field and no other. */
		for (j = 0; j < n; j++)
			assert_ptr_equal(fl_field_by_name(names[j]), f);
		for (k = 0; k < i; k++)
			assert_string_not_equal(fl_field_by_id((enum fl_field_id)k)->name, f->name);
	}
	assert_null(fl_field_by_name("nw_dstt"));
	assert_null(fl_field_by_id(FL_FIELD_N));

	/* Not writable, as OpenFlow has it. */
	assert_false(fl_field_by_name("in_port")->flags & FL_FIELD_F_WRITABLE);
	assert_false(fl_field_by_name("dl_type")->flags & FL_FIELD_F_WRITABLE);
	assert_false(fl_field_by_name("nw_proto")->flags & FL_FIELD_F_WRITABLE);
	assert_false(fl_field_by_name("nw_frag")->flags & FL_FIELD_F_WRITABLE);
	assert_true(fl_field_by_name("reg5")->flags & FL_FIELD_F_WRITABLE);
	assert_true(fl_field_by_name("metadata")->flags & FL_FIELD_F_WRITABLE);
	assert_true(fl_field_by_name("dl_src")->flags & FL_FIELD_F_WRITABLE);

	/* OXM headers (REFERENCE.md 9.1) and aliases. */
	assert_int_equal(fl_field_by_name("in_port")->oxm, 0x80000004u);
	assert_int_equal(fl_field_by_name("dl_type")->oxm, 0x80000a02u);
	assert_int_equal(fl_field_by_name("nw_dst")->oxm, 0x80001804u);
	assert_int_equal(fl_field_by_name("nw_dst")->oxm | FL_OXM_HASMASK, 0x80001904u);
	assert_int_equal(fl_field_by_name("ipv6_src")->oxm, FL_OXM_HEADER(0x8000, 26, 16));
	assert_int_equal(fl_field_by_name("tun_id")->oxm, FL_OXM_HEADER(0x8000, 38, 8));
	assert_int_equal(fl_field_by_name("NXM_NX_REG3")->nxm, 0x00010604u);
	assert_ptr_equal(fl_field_by_name("eth_src"), fl_field_by_id(FL_FIELD_DL_SRC));
	assert_ptr_equal(fl_field_by_name("ip_dst"), fl_field_by_id(FL_FIELD_NW_DST));
	assert_ptr_equal(fl_field_by_name("NXM_OF_ETH_SRC"), fl_field_by_id(FL_FIELD_DL_SRC));
	assert_ptr_equal(fl_field_by_name("OXM_OF_ETH_SRC"), fl_field_by_id(FL_FIELD_DL_SRC));
	assert_ptr_equal(fl_field_by_name("NXM_NX_REG0"), fl_field_by_id(FL_FIELD_REG0));
	assert_string_equal(fl_field_prereq_text(fl_field_by_name("nw_src")),
			    "'ip' or 'dl_type=0x0800'");
}

/* --- access --- */

static void test_field_access(void **state)
{
	struct fl_key k;
	union fl_field_value v, m;
	const struct fl_field *f;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.vlan_tci = fl_htons(0xa000 | FL_VLAN_PRESENT | 100); /* pcp 5 */
	k.nw_tos = 0xb9;                                         /* dscp 46, ecn 1 */
	k.tp_src = fl_htons(135);
	k.regs[2] = 0x12345678;
	k.metadata = 0x1122334455667788ull;
	k.in_port = FL_PORT_LOCAL;
	k.ipv6_label = fl_htonl(0x12345);

	fl_field_get(fl_field_by_name("dl_vlan"), &k, &v);
	assert_int_equal(v.b[0] << 8 | v.b[1], 100);
	fl_field_get(fl_field_by_name("dl_vlan_pcp"), &k, &v);
	assert_int_equal(v.b[0], 5);
	fl_field_get(fl_field_by_name("vlan_vid"), &k, &v);
	assert_int_equal(v.b[0] << 8 | v.b[1], 0x1064);
	fl_field_get(fl_field_by_name("ip_dscp"), &k, &v);
	assert_int_equal(v.b[0], 46);
	fl_field_get(fl_field_by_name("nw_ecn"), &k, &v);
	assert_int_equal(v.b[0], 1);
	fl_field_get(fl_field_by_name("icmpv6_type"), &k, &v);
	assert_int_equal(v.b[0], 135);
	f = fl_field_by_name("reg2");
	fl_field_get(f, &k, &v);
	assert_int_equal(fl_field_value_to_u64(f, &v), 0x12345678);
	assert_int_equal(v.b[0], 0x12); /* values are big-endian numbers */
	f = fl_field_by_name("metadata");
	fl_field_get(f, &k, &v);
	assert_true(fl_field_value_to_u64(f, &v) == 0x1122334455667788ull);
	f = fl_field_by_name("in_port");
	fl_field_get(f, &k, &v);
	assert_int_equal(fl_field_value_to_u64(f, &v), FL_PORT_LOCAL);
	f = fl_field_by_name("ipv6_label");
	assert_int_equal(fl_field_nbytes(f), 3);
	fl_field_get(f, &k, &v);
	assert_int_equal(fl_field_value_to_u64(f, &v), 0x12345);

	/* Writes touch only the field's bits. */
	f = fl_field_by_name("dl_vlan");
	fl_field_value_from_u64(f, 0xabc, &v);
	fl_field_set(f, &k, &v);
	assert_int_equal(fl_ntohs(k.vlan_tci), 0xa000 | FL_VLAN_PRESENT | 0xabc);
	f = fl_field_by_name("ip_dscp");
	fl_field_value_from_u64(f, 10, &v);
	fl_field_set(f, &k, &v);
	assert_int_equal(k.nw_tos, 10 << 2 | 1);
	f = fl_field_by_name("reg2");
	fl_field_value_from_u64(f, 0xffff0000u, &v);
	fl_field_value_from_u64(f, 0x00ffff00u, &m);
	fl_field_set_masked(f, &k, &v, &m);
	assert_int_equal(k.regs[2], 0x12ff0078);
	f = fl_field_by_name("dl_src");
	memcpy(v.b, "\x00\x11\x22\x33\x44\x55", 6);
	memcpy(m.b, "\xff\xff\xff\x00\x00\x00", 6);
	fl_field_set_masked(f, &k, &v, &m);
	assert_memory_equal(k.dl_src, "\x00\x11\x22\x00\x00\x00", 6);
	assert_true(fl_field_value_fits(fl_field_by_name("dl_vlan"), &(union fl_field_value){ .b = { 0x0f, 0xff } }));
	assert_false(fl_field_value_fits(fl_field_by_name("dl_vlan"), &(union fl_field_value){ .b = { 0x10, 0 } }));
}

static void test_subfields(void **state)
{
	struct fl_subfield sf, sf2;
	struct fl_key k;
	union fl_field_value bits;
	const char *end;
	char msg[256], buf[64];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(fl_subfield_parse("NXM_NX_REG0[0..15]", &sf, &end, msg, sizeof(msg)), 0);
	assert_int_equal(sf.ofs, 0);
	assert_int_equal(sf.n_bits, 16);
	assert_string_equal(end, "");
	memset(&bits, 0, sizeof(bits));
	bits.b[0] = 0xbe;
	bits.b[1] = 0xef;
	fl_subfield_write(&sf, &k, &bits);
	assert_int_equal(k.regs[0], 0xbeef);

	assert_int_equal(fl_subfield_parse("reg1[8..23]", &sf2, &end, msg, sizeof(msg)), 0);
	fl_subfield_read(&sf, &k, &bits); /* move reg0[0..15] -> reg1[8..23] */
	fl_subfield_write(&sf2, &k, &bits);
	assert_int_equal(k.regs[1], 0xbeef00);

	assert_int_equal(fl_subfield_parse("NXM_OF_VLAN_TCI[0..11]->x", &sf, &end, msg, sizeof(msg)), 0);
	assert_string_equal(end, "->x");
	fl_subfield_format(&sf, buf, sizeof(buf));
	assert_string_equal(buf, "NXM_OF_VLAN_TCI[0..11]");
	assert_int_equal(fl_subfield_parse("eth_dst[]", &sf, &end, msg, sizeof(msg)), 0);
	fl_subfield_format(&sf, buf, sizeof(buf));
	assert_string_equal(buf, "NXM_OF_ETH_DST[]");
	assert_int_equal(fl_subfield_parse("dl_vlan[3]", &sf, &end, msg, sizeof(msg)), 0);
	fl_subfield_format(&sf, buf, sizeof(buf));
	assert_string_equal(buf, "dl_vlan[3]");

	/* MAC bit 0 is the lsb of the last byte. */
	assert_int_equal(fl_subfield_parse("dl_dst[40..47]", &sf, &end, msg, sizeof(msg)), 0);
	bits.b[0] = 0x01;
	fl_subfield_write(&sf, &k, &bits);
	assert_int_equal(k.dl_dst[0], 0x01);

	assert_int_equal(fl_subfield_parse("reg0[0..32]", &sf, &end, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "bits 0..32 are outside reg0 (32 bits)");
	assert_int_equal(fl_subfield_parse("reg0[5..2]", &sf, &end, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "bad bit range '[5..2]' for reg0 (want [start..end], [bit] or [])");
	assert_int_equal(fl_subfield_parse("regx[]", &sf, &end, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "unknown field 'regx'");
}

/* --- every field --- */

static void test_match_fields(void **state)
{
	(void)state;
	RT("in_port=1,actions=drop", "in_port=1 actions=drop");
	RT("in_port=LOCAL,actions=drop", "in_port=LOCAL actions=drop");
	RT("recirc_id=5,actions=drop", "recirc_id=0x5 actions=drop");
	RT("metadata=0x1/0xff,actions=drop", "metadata=0x1/0xff actions=drop");
	RT("metadata=0x123,actions=drop", "metadata=0x123 actions=drop");
	RT("reg0=5,reg7=0x10/0xf0,actions=drop", "reg0=0x5,reg7=0x10/0xf0 actions=drop");
	RT("reg1=1,reg2=2,reg3=3,reg4=4,reg5=5,reg6=6,actions=drop",
	   "reg1=0x1,reg2=0x2,reg3=0x3,reg4=0x4,reg5=0x5,reg6=0x6 actions=drop");
	RT("ct_state=+trk-new,ct_zone=5,ct_mark=0x1/0x3,actions=drop",
	   "ct_state=-new+trk,ct_zone=5,ct_mark=0x1/0x3 actions=drop");
	RT("tun_id=0x64,tun_src=192.168.0.1,tun_dst=10.0.0.0/8,actions=drop",
	   "tun_id=0x64,tun_src=192.168.0.1,tun_dst=10.0.0.0/8 actions=drop");
	RT("tunnel_id=0x1/0x1,actions=drop", "tun_id=0x1/0x1 actions=drop");
	RT("dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,actions=drop",
	   "dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb actions=drop");
	RT("eth_src=0:1:2:3:4:5,actions=drop", "dl_src=00:01:02:03:04:05 actions=drop");
	RT("dl_type=0x88cc,actions=drop", "dl_type=0x88cc actions=drop");
	RT("dl_type=0x0800,actions=drop", "ip actions=drop");
	RT("eth_type=0x86dd,actions=drop", "ipv6 actions=drop");
	RT("dl_type=0x800,nw_proto=6,actions=drop", "tcp actions=drop");
	RT("dl_vlan=100,actions=drop", "dl_vlan=100 actions=drop");
	RT("dl_vlan_pcp=3,actions=drop", "dl_vlan_pcp=3 actions=drop");
	RT("vlan_pcp=7,dl_vlan=4095,actions=drop", "dl_vlan=4095,dl_vlan_pcp=7 actions=drop");
	RT("dl_vlan=0xffff,actions=drop", "vlan_tci=0x0000 actions=drop");
	RT("vlan_tci=0x1064/0x1fff,actions=drop", "dl_vlan=100 actions=drop");
	RT("vlan_tci=0x1000/0x1000,actions=drop", "vlan_tci=0x1000/0x1000 actions=drop");
	RT("vlan_tci=0x5064,actions=drop", "dl_vlan=100,dl_vlan_pcp=2 actions=drop");
	RT("vlan_tci=0x0064,actions=drop", "vlan_tci=0x0064 actions=drop");
	RT("vlan_vid=0x1064,actions=drop", "dl_vlan=100 actions=drop");
	RT("ip,nw_src=10.0.0.1,nw_dst=192.168.1.0/24,actions=drop",
	   "ip,nw_src=10.0.0.1,nw_dst=192.168.1.0/24 actions=drop");
	RT("ip,ip_src=10.0.0.1,ip_dst=10.0.0.2,actions=drop",
	   "ip,nw_src=10.0.0.1,nw_dst=10.0.0.2 actions=drop");
	RT("ip,nw_proto=47,actions=drop", "ip,nw_proto=47 actions=drop");
	RT("ipv6,ip_proto=50,actions=drop", "ipv6,nw_proto=50 actions=drop");
	RT("ip,nw_tos=184,actions=drop", "ip,nw_tos=184 actions=drop");
	RT("ip,ip_dscp=46,actions=drop", "ip,nw_tos=184 actions=drop");
	RT("ip,nw_ecn=3,actions=drop", "ip,nw_ecn=3 actions=drop");
	RT("ip,nw_tos=0x28,ip_ecn=1,actions=drop", "ip,nw_tos=40,nw_ecn=1 actions=drop");
	RT("ipv6,nw_ttl=64,actions=drop", "ipv6,nw_ttl=64 actions=drop");
	RT("ip,nw_frag=no,actions=drop", "ip,nw_frag=no actions=drop");
	RT("ip,nw_frag=yes,actions=drop", "ip,nw_frag=yes actions=drop");
	RT("ip,nw_frag=first,actions=drop", "ip,nw_frag=first actions=drop");
	RT("ip,nw_frag=later,actions=drop", "ip,nw_frag=later actions=drop");
	RT("ip,nw_frag=not_later,actions=drop", "ip,nw_frag=not_later actions=drop");
	RT("ip,nw_frag=0x2/0x2,actions=drop", "ip,nw_frag=0x2/0x2 actions=drop");
	RT("tcp,tp_src=80,tp_dst=0x1000/0xf000,actions=drop",
	   "tcp,tp_src=80,tp_dst=0x1000/0xf000 actions=drop");
	RT("udp6,tp_dst=53,actions=drop", "udp6,tp_dst=53 actions=drop");
	RT("tcp,tcp_src=1,tcp_dst=2,actions=drop", "tcp,tp_src=1,tp_dst=2 actions=drop");
	RT("udp,udp_src=1,udp_dst=2,actions=drop", "udp,tp_src=1,tp_dst=2 actions=drop");
	RT("sctp,sctp_src=1,sctp_dst=2,actions=drop", "sctp,tp_src=1,tp_dst=2 actions=drop");
	RT("sctp6,actions=drop", "sctp6 actions=drop");
	RT("tcp,tcp_flags=+syn-ack,actions=drop", "tcp,tcp_flags=+syn-ack actions=drop");
	RT("tcp,tcp_flags=0x002/0x012,actions=drop", "tcp,tcp_flags=+syn-ack actions=drop");
	RT("tcp6,tcp_flags=0x800/0x800,actions=drop", "tcp6,tcp_flags=0x800/0x800 actions=drop");
	RT("tcp,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns,actions=drop",
	   "tcp,tcp_flags=+fin+syn+rst+psh+ack+urg+ece+cwr+ns actions=drop");
	RT("icmp,icmp_type=8,icmp_code=0,actions=drop", "icmp,icmp_type=8,icmp_code=0 actions=drop");
	RT("icmp6,icmpv6_type=128,icmpv6_code=0,actions=drop",
	   "icmp6,icmpv6_type=128,icmpv6_code=0 actions=drop");
	RT("icmp6,icmp_type=1,actions=drop", "icmp6,icmpv6_type=1 actions=drop");
	RT("ipv6,ipv6_src=2001:db8::/32,ipv6_dst=::1,actions=drop",
	   "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=::1 actions=drop");
	RT("ipv6,ipv6_label=0x12345,actions=drop", "ipv6,ipv6_label=0x12345 actions=drop");
	RT("ipv6,ipv6_label=0x5/0xf,actions=drop", "ipv6,ipv6_label=0x00005/0x0000f actions=drop");
	RT("icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=00:11:22:33:44:55,actions=drop",
	   "icmp6,icmpv6_type=135,nd_target=fe80::1,nd_sll=00:11:22:33:44:55 actions=drop");
	RT("icmp6,icmpv6_type=136,nd_target=fe80::/10,nd_tll=00:11:22:33:44:55,actions=drop",
	   "icmp6,icmpv6_type=136,nd_target=fe80::/10,nd_tll=00:11:22:33:44:55 actions=drop");
	RT("arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8,actions=drop",
	   "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8,arp_op=1 actions=drop");
	RT("arp,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00,actions=drop",
	   "arp,arp_sha=00:11:22:33:44:55,arp_tha=00:00:00:00:00:00 actions=drop");
	/* ovs-ofctl's nw_* on ARP are the arp_* fields. */
	RT("arp,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=2,actions=drop",
	   "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=2 actions=drop");
	RT("rarp,arp_op=3,actions=drop", "rarp,arp_op=3 actions=drop");
	/* Order of the text does not matter; repeats that agree are fine. */
	RT("tp_dst=80,nw_dst=10.0.0.0/8,tcp,priority=100,table=1,actions=output:2",
	   "table=1, priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80 actions=output:2");
	RT("ip,ip,tcp,nw_proto=6,dl_vlan=5,vlan_tci=0x1005/0x1fff,actions=drop",
	   "tcp,dl_vlan=5 actions=drop");
}

static void test_masks(void **state)
{
	(void)state;
	RT("ip,nw_src=10.0.0.0/8,actions=drop", "ip,nw_src=10.0.0.0/8 actions=drop");
	RT("ip,nw_src=10.0.0.0/255.0.0.0,actions=drop", "ip,nw_src=10.0.0.0/8 actions=drop");
	RT("ip,nw_src=10.1.2.3/8,actions=drop", "ip,nw_src=10.0.0.0/8 actions=drop");
	RT("ip,nw_src=10.1.2.3/32,actions=drop", "ip,nw_src=10.1.2.3 actions=drop");
	RT("ip,nw_src=10.1.2.3/255.255.255.255,actions=drop", "ip,nw_src=10.1.2.3 actions=drop");
	RT("ip,nw_src=0.0.0.0/0,actions=drop", "ip actions=drop");
	RT("ip,nw_dst=10.0.3.4/255.0.255.0,actions=drop",
	   "ip,nw_dst=10.0.3.0/255.0.255.0 actions=drop");
	RT("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
	   "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=drop");
	RT("dl_src=00:11:22:33:44:55/ff:ff:ff:00:00:00,actions=drop",
	   "dl_src=00:11:22:00:00:00/ff:ff:ff:00:00:00 actions=drop");
	RT("dl_src=00:11:22:33:44:55/ff:ff:ff:ff:ff:ff,actions=drop",
	   "dl_src=00:11:22:33:44:55 actions=drop");
	RT("ipv6,ipv6_src=2001:db8::1/64,actions=drop", "ipv6,ipv6_src=2001:db8::/64 actions=drop");
	RT("ipv6,ipv6_dst=2001:db8::1/ffff:0:ffff::,actions=drop",
	   "ipv6,ipv6_dst=2001::/ffff:0:ffff:: actions=drop");
	RT("ipv6,ipv6_src=::/0,actions=drop", "ipv6 actions=drop");
	RT("tcp,tp_src=0x50/0xff,actions=drop", "tcp,tp_src=0x0050/0x00ff actions=drop");
	RT("reg0=0x5/0x5,actions=drop", "reg0=0x5/0x5 actions=drop");
	RT("reg0=0xf0/0xf,actions=drop", "reg0=0x0/0xf actions=drop");
	RT("metadata=0xffffffffffffffff,actions=drop", "metadata=0xffffffffffffffff actions=drop");
	RT("tcp,tcp_flags=+syn,actions=drop", "tcp,tcp_flags=+syn actions=drop");
	RT("tcp,tcp_flags=0x012,actions=drop", "tcp,tcp_flags=0x012 actions=drop");
}

static void test_prereqs(void **state)
{
	(void)state;
	ERR("nw_src=10.0.0.1,actions=drop",
	    "flow: 'nw_src' needs 'ip' or 'dl_type=0x0800' (prerequisites not met) at column 1");
	ERR("ipv6,ip_dst=1.2.3.4,actions=drop",
	    "flow: 'ip_dst' needs 'ip' or 'dl_type=0x0800' (prerequisites not met) at column 6");
	ERR("ip,tp_dst=80,actions=drop",
	    "flow: 'tp_dst' needs 'tcp', 'udp', 'sctp', 'tcp6', 'udp6' or 'sctp6' (prerequisites not met) at column 4");
	ERR("udp,tcp_dst=80,actions=drop",
	    "flow: 'tcp_dst' needs 'tcp' or 'tcp6' (prerequisites not met) at column 5");
	ERR("udp,tcp_flags=+syn,actions=drop",
	    "flow: 'tcp_flags' needs 'tcp' or 'tcp6' (prerequisites not met) at column 5");
	ERR("tcp,icmp_type=3,actions=drop",
	    "flow: 'icmp_type' needs 'icmp' or 'icmp6' (prerequisites not met) at column 5");
	ERR("icmp,icmpv6_type=3,actions=drop",
	    "flow: 'icmpv6_type' needs 'icmp6' (prerequisites not met) at column 6");
	ERR("icmp6,nd_target=::1,actions=drop",
	    "flow: 'nd_target' needs 'icmp6,icmp_type=135' or 'icmp6,icmp_type=136' (prerequisites not met) at column 7");
	ERR("icmp6,icmp_type=136,nd_sll=00:00:00:00:00:01,actions=drop",
	    "flow: 'nd_sll' needs 'icmp6,icmp_type=135' (prerequisites not met) at column 21");
	ERR("icmp6,icmp_type=135,nd_tll=00:00:00:00:00:01,actions=drop",
	    "flow: 'nd_tll' needs 'icmp6,icmp_type=136' (prerequisites not met) at column 21");
	ERR("ip,arp_spa=1.2.3.4,actions=drop",
	    "flow: 'arp_spa' needs 'arp', 'rarp' or 'dl_type=0x0806' (prerequisites not met) at column 4");
	ERR("ip,ipv6_label=1,actions=drop",
	    "flow: 'ipv6_label' needs 'ipv6' or 'dl_type=0x86dd' (prerequisites not met) at column 4");
	ERR("nw_ttl=1,actions=drop",
	    "flow: 'nw_ttl' needs 'ip' or 'ipv6' (prerequisites not met) at column 1");
	ERR("dl_type=0x0800/0xff00,nw_src=1.2.3.4,actions=drop",
	    "flow: dl_type cannot be masked ('0x0800/0xff00') at column 9");
	/* The first offending token in text order. */
	ERR("tp_src=1,nw_src=1.2.3.4,actions=drop",
	    "flow: 'tp_src' needs 'tcp', 'udp', 'sctp', 'tcp6', 'udp6' or 'sctp6' (prerequisites not met) at column 1");
	RT("tp_src=1,udp,actions=drop", "udp,tp_src=1 actions=drop");
	RT("nd_target=::1,icmp6,icmp_type=135,actions=drop",
	   "icmp6,icmpv6_type=135,nd_target=::1 actions=drop");
}

static void test_ports(void **state)
{
	(void)state;
	RT("in_port=eth1,actions=output:eth0", "in_port=2 actions=output:1");
	RT("in_port=10g0,actions=tap-vm1", "in_port=7 actions=output:10");
	RT("in_port=0x10,actions=eth0,eth1", "in_port=16 actions=output:1,output:2");
	RT("in_port=local,actions=in_port", "in_port=LOCAL actions=IN_PORT");
	RT("actions=NORMAL,FLOOD,ALL,LOCAL,IN_PORT,CONTROLLER",
	   "actions=NORMAL,FLOOD,ALL,LOCAL,IN_PORT,CONTROLLER:65535");
	RT("actions=output:NORMAL,output:flood,output:in_port,output:controller,output:4294967040",
	   "actions=NORMAL,FLOOD,IN_PORT,CONTROLLER:65535,output:4294967040");
	RT("actions=output:0xfffffffe", "actions=LOCAL");
	check_rt(FL_FLOW_DELETE, "out_port=eth1", "out_port=2");
	check_rt(FL_FLOW_DELETE, "out_port=LOCAL", "out_port=LOCAL");
	check_rt(FL_FLOW_DELETE, "out_port=NONE", "");
	ERR("in_port=eth9,actions=drop", "flow: unknown port 'eth9' for in_port at column 9");
	ERR("in_port=4294967041,actions=drop", "flow: bad port '4294967041' for in_port at column 9");
	ERR("in_port=ANY,actions=drop", "flow: in_port cannot be ANY at column 9");
	ERR("actions=output:eth9", "flow: unknown port 'eth9' for output at column 16");
	ERR("actions=eth9", "flow: unknown action 'eth9' at column 9");
	ERR("actions=output:ANY",
	    "flow: output: port 4294967295 is not a port to output to at column 9");
	ERR("actions=output:TABLE",
	    "flow: output: port 4294967289 is not a port to output to at column 9");
	/* Without a resolver only numbers and reserved names. */
	{
		struct fl_flow_spec *s = spec_new();
		char err[256];

		assert_int_equal(fl_flow_parse("in_port=eth0,actions=drop", FL_FLOW_ADD, NULL, s, err,
					       sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "flow: unknown port 'eth0' for in_port at column 9");
		free(s);
	}
}

/* Parsed matches match what the packet parser puts in a key. */
static void test_match_semantics(void **state)
{
	struct fl_match m;
	struct fl_key k;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.in_port = 3;
	k.dl_type = fl_htons(FL_ETH_TYPE_IPV4);
	k.nw_proto = FL_IPPROTO_TCP;
	k.nw_dst = fl_htonl(0x0a010203);
	k.tp_dst = fl_htons(80);
	k.tcp_flags = fl_htons(FL_TCP_SYN);
	k.vlan_tci = fl_htons(FL_VLAN_PRESENT | 100);
	k.regs[0] = 0x1234;
	k.metadata = 0x77;

	parse_match("in_port=3,tcp,nw_dst=10.0.0.0/8,tp_dst=80,tcp_flags=+syn-ack", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("dl_vlan=100,reg0=0x34/0xff,metadata=0x7/0xf", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("dl_vlan=101", &m);
	assert_false(fl_match_matches(&m, &k));
	parse_match("dl_vlan=0xffff", &m);
	assert_false(fl_match_matches(&m, &k));
	parse_match("tcp,tp_dst=0x0040/0xffc0", &m); /* 64..127 */
	assert_true(fl_match_matches(&m, &k));
	parse_match("tcp,tcp_flags=+ack", &m);
	assert_false(fl_match_matches(&m, &k));
	k.vlan_tci = 0;
	parse_match("dl_vlan=0xffff", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("vlan_tci=0x1000/0x1000", &m);
	assert_false(fl_match_matches(&m, &k));

	memset(&k, 0, sizeof(k));
	k.dl_type = fl_htons(FL_ETH_TYPE_IPV6);
	k.nw_proto = FL_IPPROTO_ICMPV6;
	k.tp_src = fl_htons(FL_ND_NEIGHBOR_SOLICIT);
	k.arp_sha[5] = 9;
	k.nd_target[0] = 0xfe;
	k.nd_target[1] = 0x80;
	k.nd_target[15] = 1;
	k.nw_tos = 46 << 2 | 2;
	parse_match("icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=00:00:00:00:00:09", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("ipv6,ip_dscp=46,nw_ecn=2", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("ipv6,nw_tos=184", &m);
	assert_true(fl_match_matches(&m, &k));
	parse_match("ipv6,nw_ecn=1", &m);
	assert_false(fl_match_matches(&m, &k));
}

/* --- actions --- */

static void test_actions(void **state)
{
	(void)state;
	RT("actions=output:1,2,eth0", "actions=output:1,output:2,output:1");
	RT("actions=", "actions=drop");
	RT("actions=drop", "actions=drop");
	RT("actions=DROP", "actions=drop");
	RT("actions=normal", "actions=NORMAL");
	RT("actions=flood,all,local,in_port", "actions=FLOOD,ALL,LOCAL,IN_PORT");
	RT("actions=controller", "actions=CONTROLLER:65535");
	RT("actions=controller:128", "actions=CONTROLLER:128");
	RT("actions=controller(max_len=64)", "actions=CONTROLLER:64");
	RT("actions=controller(reason=no_match)", "actions=controller(reason=no_match)");
	RT("actions=controller(reason=invalid_ttl,max_len=0)",
	   "actions=controller(reason=invalid_ttl,max_len=0)");
	RT("actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:aa:bb",
	   "actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:aa:bb");
	RT("ip,actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:184,mod_nw_ecn:1,mod_nw_ttl:9",
	   "ip actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:184,mod_nw_ecn:1,mod_nw_ttl:9");
	RT("udp,actions=mod_tp_src:1,mod_tp_dst:0x35", "udp actions=mod_tp_src:1,mod_tp_dst:53");
	RT("actions=mod_vlan_vid:100,mod_vlan_pcp:3,push_vlan:0x8100,push_vlan:0x88a8,pop_vlan,strip_vlan,dec_ttl",
	   "actions=mod_vlan_vid:100,mod_vlan_pcp:3,push_vlan:0x8100,push_vlan:0x88a8,pop_vlan,strip_vlan,dec_ttl");
	RT("actions=set_field:00:11:22:33:44:55->eth_src",
	   "actions=set_field:00:11:22:33:44:55->dl_src");
	RT("ip,actions=set_field:10.0.0.1->ip_dst", "ip actions=set_field:10.0.0.1->nw_dst");
	RT("ip,actions=set_field:10.0.0.1/255.0.0.255->nw_src",
	   "ip actions=set_field:10.0.0.1/255.0.0.255->nw_src");
	RT("actions=set_field:0x5/0xf->reg1,set_field:7->reg2",
	   "actions=set_field:0x5/0xf->reg1,set_field:0x7->reg2");
	RT("actions=set_field:100->dl_vlan,set_field:0x1064->vlan_vid,set_field:5->vlan_pcp",
	   "actions=set_field:100->dl_vlan,set_field:0x1064->vlan_vid,set_field:5->dl_vlan_pcp");
	RT("ipv6,actions=set_field:2001:db8::1->ipv6_src,set_field:0x12345->ipv6_label",
	   "ipv6 actions=set_field:2001:db8::1->ipv6_src,set_field:0x12345->ipv6_label");
	RT("actions=set_field:0x1->metadata,set_field:0x99->tun_id,set_field:1.1.1.1->tun_dst",
	   "actions=set_field:0x1->metadata,set_field:0x99->tun_id,set_field:1.1.1.1->tun_dst");
	RT("ip,actions=set_field:184->nw_tos,set_field:46->ip_dscp,set_field:64->nw_ttl",
	   "ip actions=set_field:184->nw_tos,set_field:46->ip_dscp,set_field:64->nw_ttl");
	RT("icmp,actions=set_field:3->icmp_type,set_field:1->icmp_code",
	   "icmp actions=set_field:3->icmp_type,set_field:1->icmp_code");
	RT("arp,actions=set_field:2->arp_op,set_field:1.2.3.4->arp_spa,set_field:00:00:00:00:00:01->arp_tha",
	   "arp actions=set_field:2->arp_op,set_field:1.2.3.4->arp_spa,set_field:00:00:00:00:00:01->arp_tha");
	RT("tcp,actions=set_field:80->tcp_dst", "tcp actions=set_field:80->tcp_dst");
	RT("icmp6,icmp_type=135,actions=set_field:::1->nd_target,set_field:00:00:00:00:00:01->nd_sll",
	   "icmp6,icmpv6_type=135 actions=set_field:::1->nd_target,set_field:00:00:00:00:00:01->nd_sll");
	RT("actions=load:0x1->NXM_NX_REG0[0..15]", "actions=load:0x1->NXM_NX_REG0[0..15]");
	RT("actions=load:5->reg1[]", "actions=load:0x5->NXM_NX_REG1[]");
	RT("actions=load:1->reg1[31]", "actions=load:0x1->NXM_NX_REG1[31]");
	RT("actions=load:0x001122334455->NXM_OF_ETH_DST[]",
	   "actions=load:0x1122334455->NXM_OF_ETH_DST[]");
	RT("actions=load:1->OXM_OF_METADATA[63]", "actions=load:0x1->metadata[63]");
	RT("actions=load:0xfff->NXM_OF_VLAN_TCI[0..11]", "actions=load:0xfff->NXM_OF_VLAN_TCI[0..11]");
	RT("ipv6,actions=load:0x20010db8000000000000000000000001->NXM_NX_IPV6_SRC[]",
	   "ipv6 actions=load:0x20010db8000000000000000000000001->NXM_NX_IPV6_SRC[]");
	RT("actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
	   "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]");
	RT("actions=move:reg0[0..7]->reg1[8..15]",
	   "actions=move:NXM_NX_REG0[0..7]->NXM_NX_REG1[8..15]");
	RT("ip,actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG2[],move:in_port[]->reg3[]",
	   "ip actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG2[],move:NXM_OF_IN_PORT[]->NXM_NX_REG3[]");
	RT("actions=resubmit:3,resubmit(,2),resubmit(1,2),resubmit(eth1),resubmit(IN_PORT,5)",
	   "actions=resubmit:3,resubmit(,2),resubmit(1,2),resubmit:2,resubmit(,5)");
	RT("actions=resubmit:in_port", "actions=resubmit:IN_PORT");
	RT("actions=note:de.ad.be.ef,note:0102,note:", "actions=note:de.ad.be.ef,note:01.02,note:");
	RT("table=3,actions=output:1,goto_table:4", "table=3, actions=output:1,goto_table:4");
	RT("actions=goto_table:254", "actions=goto_table:254");
	RT("actions=output:1 output:2, output:3", "actions=output:1,output:2,output:3");
}

static void test_action_errors(void **state)
{
	(void)state;
	ERR("actions=foo", "flow: unknown action 'foo' at column 9");
	ERR("actions=foo:1", "flow: unknown action 'foo' at column 9");
	ERR("ip,actions=set_field:6->nw_proto", "flow: set_field: nw_proto is read-only at column 12");
	ERR("actions=set_field:1->in_port", "flow: set_field: in_port is read-only at column 9");
	ERR("actions=set_field:0x800->dl_type", "flow: set_field: dl_type is read-only at column 9");
	ERR("actions=load:1->NXM_NX_IP_TTL[]",
	    "flow: load: nw_ttl needs 'ip' or 'ipv6' (prerequisites not met) at column 9");
	ERR("ip,actions=load:1->NXM_NX_IP_FRAG[]", "flow: load: nw_frag is read-only at column 12");
	ERR("actions=set_field:1.2.3.4->nw_src",
	    "flow: set_field: nw_src needs 'ip' or 'dl_type=0x0800' (prerequisites not met) at column 9");
	ERR("ip,actions=mod_tp_src:1",
	    "flow: mod: tp_src needs 'tcp', 'udp', 'sctp', 'tcp6', 'udp6' or 'sctp6' (prerequisites not met) at column 12");
	ERR("actions=set_field:4096->dl_vlan",
	    "flow: value '4096' is too large for dl_vlan (12 bits) at column 19");
	ERR("actions=set_field:1->nosuch", "flow: unknown field 'nosuch' at column 22");
	ERR("actions=set_field:1", "flow: set_field needs 'source->destination' at column 9");
	ERR("ip,actions=set_field:1/2->nw_ttl", "flow: nw_ttl cannot be masked ('1/2') at column 22");
	ERR("actions=load:0x1ffff->NXM_NX_REG0[0..15]",
	    "flow: value '0x1ffff' is too large for NXM_NX_REG0[0..15] (16 bits) at column 14");
	ERR("actions=load:x->reg0[]", "flow: bad value 'x' for load at column 14");
	ERR("actions=load:1->reg0[1..40]", "flow: bits 1..40 are outside reg0 (32 bits) at column 17");
	ERR("actions=load:1->reg0[]x", "flow: unexpected 'x' after a field in load at column 23");
	ERR("actions=move:NXM_NX_REG0[0..15]->NXM_NX_REG1[0..7]",
	    "flow: move: source NXM_NX_REG0[0..15] is 16 bits but destination NXM_NX_REG1[0..7] is 8 bits at column 9");
	ERR("actions=move:reg0[]->NXM_OF_IN_PORT[]", "flow: move: in_port is read-only at column 9");
	ERR("actions=goto_table:0", "flow: goto_table:0 must go to a later table than this flow's table 0 at column 9");
	ERR("table=5,actions=goto_table:2",
	    "flow: goto_table:2 must go to a later table than this flow's table 5 at column 17");
	ERR("actions=goto_table:2,output:1", "flow: goto_table must be the last action at column 9");
	ERR("actions=goto_table:255", "flow: value '255' is too large for goto_table (max 254) at column 20");
	check_err(FL_FLOW_MODIFY, "actions=goto_table:3",
		  "flow: goto_table:3 needs the flow's table (table=N) to go forward from at column 9");
	ERR("actions=drop,output:1", "flow: 'drop' must be the only action at column 9");
	ERR("actions=output:1,drop", "flow: 'drop' must be the only action at column 18");
	ERR("actions=drop:1", "flow: drop takes no argument at column 9");
	ERR("actions=output", "flow: output needs an argument (output:...) at column 9");
	ERR("actions=output(1)", "flow: output takes output:PORT at column 9");
	ERR("actions=mod_vlan_vid:4096",
	    "flow: value '4096' is too large for mod_vlan_vid (max 4095) at column 22");
	ERR("actions=mod_vlan_pcp:8", "flow: value '8' is too large for mod_vlan_pcp (max 7) at column 22");
	ERR("actions=push_vlan:0x800",
	    "flow: push_vlan: 0x0800 is not 0x8100 or 0x88a8 at column 9");
	ERR("actions=dec_ttl(1)", "flow: dec_ttl takes no argument at column 9");
	ERR("actions=resubmit(,)", "flow: resubmit needs a port or a table at column 9");
	ERR("actions=resubmit(1,2,3)", "flow: resubmit takes (port,table) at column 20");
	ERR("actions=resubmit(,255)", "flow: table '255' is too large for resubmit (max 254) at column 19");
	ERR("actions=note:123", "flow: bad note '123' (want hex bytes, '.' between them allowed) at column 14");
	ERR("actions=controller(reason=bogus)",
	    "flow: unknown controller reason 'bogus' (action, no_match, invalid_ttl) at column 27");
	ERR("actions=controller(id=1)", "flow: unknown controller option 'id' at column 20");
	ERR("actions=controller:70000",
	    "flow: max_len '70000' is too large for controller (max 65535) at column 20");
	ERR("actions=resubmit((1)", "flow: unbalanced parentheses in 'resubmit((1)' at column 9");
	ERR("actions=output:1)", "flow: unexpected ')' at column 17");
	ERR("ip,actions=mod_nw_tos:3",
	    "flow: value '3' for nw_tos has its low 2 bits set (they are not part of the field) at column 23");
}

static void test_match_errors(void **state)
{
	(void)state;
	ERR("priority=100,nw_dstt=1,actions=drop", "flow: unknown field 'nw_dstt' at column 14");
	ERR(",nw_dst=10.0.0.256,actions=drop",
	    "flow: bad IPv4 address '10.0.0.256' for nw_dst at column 9");
	ERR("ip,nw_dst=10.0.0,actions=drop", "flow: bad IPv4 address '10.0.0' for nw_dst at column 11");
	ERR("ip,nw_dst=1.2.3.4/33,actions=drop", "flow: bad mask '33' for nw_dst at column 11");
	ERR("ip,nw_dst=1.2.3.4/255.0.0,actions=drop",
	    "flow: bad mask '255.0.0' for nw_dst at column 11");
	ERR("dl_src=00:11:22:33:44,actions=drop",
	    "flow: bad MAC address '00:11:22:33:44' for dl_src at column 8");
	ERR("dl_src=00:11:22:33:44:5g,actions=drop",
	    "flow: bad MAC address '00:11:22:33:44:5g' for dl_src at column 8");
	ERR("ipv6,ipv6_src=2001:db8::g,actions=drop",
	    "flow: bad IPv6 address '2001:db8::g' for ipv6_src at column 15");
	ERR("ipv6,ipv6_src=::/129,actions=drop", "flow: bad mask '129' for ipv6_src at column 15");
	ERR("tcp,tp_dst=65536,actions=drop",
	    "flow: value '65536' is too large for tp_dst (16 bits) at column 12");
	ERR("tcp,tp_dst=http,actions=drop", "flow: bad value 'http' for tp_dst at column 12");
	ERR("tcp,tp_dst=010x,actions=drop", "flow: bad value '010x' for tp_dst at column 12");
	ERR("ip,nw_proto=6/255,actions=drop", "flow: nw_proto cannot be masked ('6/255') at column 13");
	ERR("ip,nw_ttl=256,actions=drop", "flow: value '256' is too large for nw_ttl (8 bits) at column 11");
	ERR("ip,nw_tos=3,actions=drop",
	    "flow: value '3' for nw_tos has its low 2 bits set (they are not part of the field) at column 11");
	ERR("ip,nw_frag=maybe,actions=drop", "flow: bad value 'maybe' for nw_frag at column 12");
	ERR("tcp,tcp_flags=+syn+bogus,actions=drop",
	    "flow: unknown flag 'bogus' for tcp_flags at column 15");
	ERR("tcp,tcp_flags=+syn-syn,actions=drop",
	    "flow: flag 'syn' given twice for tcp_flags at column 15");
	ERR("dl_vlan=4096,actions=drop",
	    "flow: value '4096' is too large for dl_vlan (0..4095, or 0xffff for no tag) at column 9");
	ERR("dl_vlan=5/5,actions=drop", "flow: dl_vlan cannot be masked ('5/5') at column 9");
	ERR("dl_vlan_pcp=8,actions=drop",
	    "flow: value '8' is too large for dl_vlan_pcp (3 bits) at column 13");
	ERR("dl_vlan=0xffff,dl_vlan_pcp=1,actions=drop",
	    "flow: 'dl_vlan_pcp=1' conflicts with an earlier value of vlan_tci at column 16");
	ERR("tcp,udp,actions=drop", "flow: 'udp' conflicts with an earlier value of nw_proto at column 5");
	ERR("ip,arp,actions=drop", "flow: 'arp' conflicts with an earlier value of dl_type at column 4");
	ERR("tcp,nw_proto=17,actions=drop",
	    "flow: 'nw_proto=17' conflicts with an earlier value of nw_proto at column 5");
	ERR("reg0=1,reg0=2,actions=drop", "flow: 'reg0=2' conflicts with an earlier value of reg0 at column 8");
	ERR("nw_src,actions=drop", "flow: missing value for nw_src (nw_src=...) at column 1");
	ERR("nw_src=,actions=drop", "flow: missing value for nw_src at column 1");
	ERR("bogus,actions=drop", "flow: unknown keyword 'bogus' at column 1");
	ERR("ip actions", "flow: missing '=' after 'actions' at column 4");
	ERR("", "flow: missing actions (add needs 'actions=...')");
	ERR("ip", "flow: missing actions (add needs 'actions=...')");
	ERR("priority=65536,actions=drop",
	    "flow: value '65536' is too large for priority (max 65535) at column 10");
	ERR("priority=1,priority=2,actions=drop", "flow: 'priority' given twice at column 12");
	ERR("table=x,actions=drop", "flow: bad value 'x' for table at column 7");
	ERR("table=255,actions=drop", "flow: table 255 is not a table to add to (0..254) at column 7");
	ERR("cookie=0x1/0xff,actions=drop", "flow: cookie mask is not allowed in add at column 1");
	ERR("cookie=0x10000000000000000,actions=drop",
	    "flow: value '0x10000000000000000' is too large for cookie (max 18446744073709551615) at column 8");
	ERR("out_port=1,actions=drop", "flow: 'out_port' is not allowed in add at column 1");
	ERR("send_flow_rem,send_flow_rem,actions=drop", "flow: 'send_flow_rem' given twice at column 15");
}

static void test_commands(void **state)
{
	struct fl_flow_spec *s = spec_new();
	char err[256];

	(void)state;
	RT("cookie=0x5,actions=drop", "cookie=0x5, actions=drop");
	RT("idle_timeout=10,hard_timeout=20,send_flow_rem,check_overlap,reset_counts,"
	   "no_packet_counts,no_byte_counts,priority=5,ip,actions=drop",
	   "idle_timeout=10, hard_timeout=20, send_flow_rem check_overlap reset_counts "
	   "no_packet_counts no_byte_counts priority=5,ip actions=drop");
	RT("send_flow_rem actions=drop", "send_flow_rem actions=drop");
	RT("table=0,priority=32768,cookie=0,actions=drop", "actions=drop");
	RT("table=7,actions=drop", "table=7, actions=drop");
	RT("priority=0,actions=drop", "priority=0 actions=drop");

	check_rt(FL_FLOW_MODIFY, "cookie=0x1/0xff,table=0,ip,actions=drop",
		 "cookie=0x1/0xff, table=0, ip actions=drop");
	check_rt(FL_FLOW_MODIFY, "cookie=0x7,ip,actions=drop", "cookie=0x7, ip actions=drop");
	check_rt(FL_FLOW_MODIFY_STRICT, "priority=7,ip,out_port=3,actions=output:1",
		 "out_port=3, priority=7,ip actions=output:1");
	check_rt(FL_FLOW_DELETE, "", "");
	check_rt(FL_FLOW_DELETE, "table=3,cookie=0x13/0xf0,out_port=2,tcp",
		 "cookie=0x10/0xf0, table=3, out_port=2, tcp");
	check_rt(FL_FLOW_DELETE, "table=255,ip", "ip");
	check_rt(FL_FLOW_DELETE_STRICT, "priority=5,ip", "priority=5,ip");
	check_rt(FL_FLOW_DELETE_STRICT, "table=0", "table=0");

	check_err(FL_FLOW_MODIFY, "ip", "flow: missing actions (modify needs 'actions=...')");
	check_err(FL_FLOW_DELETE, "ip,actions=drop", "flow: actions are not allowed in delete at column 4");
	check_err(FL_FLOW_DELETE, "priority=5,ip", "flow: 'priority' is not allowed in delete at column 1");
	check_err(FL_FLOW_DELETE_STRICT, "idle_timeout=5",
		  "flow: 'idle_timeout' is not allowed in strict delete at column 1");
	check_err(FL_FLOW_DELETE, "check_overlap", "flow: 'check_overlap' is not allowed in delete at column 1");
	check_err(FL_FLOW_DELETE, "cookie=5",
		  "flow: cookie without a mask is not allowed in delete (use cookie=V/M) at column 1");
	check_err((enum fl_flow_cmd)9, "", "flow: unknown command 9");

	/* What the text gave, whatever the value. */
	assert_int_equal(fl_flow_parse("priority=32768,table=0,cookie=0,actions=drop", FL_FLOW_ADD,
				       NULL, s, err, sizeof(err)),
			 0);
	assert_int_equal(s->given, FL_FLOW_GIVEN_PRIORITY | FL_FLOW_GIVEN_TABLE |
					   FL_FLOW_GIVEN_COOKIE | FL_FLOW_GIVEN_ACTIONS);
	assert_int_equal(s->table_id, 0);
	assert_int_equal(s->priority, FL_PRIORITY_DEFAULT);
	assert_int_equal(s->out_port, FL_PORT_ANY);
	fl_flow_spec_uninit(s);
	assert_int_equal(fl_flow_parse("", FL_FLOW_DELETE, NULL, s, err, sizeof(err)), 0);
	assert_int_equal(s->table_id, FL_TABLE_ALL);
	assert_int_equal(s->given, 0);
	assert_string_equal(fl_flow_cmd_name(FL_FLOW_MODIFY_STRICT), "strict modify");
	fl_flow_spec_uninit(s);
	free(s);
}

static void test_match_format_alone(void **state)
{
	struct fl_match m;
	char buf[256];

	(void)state;
	fl_match_init_catchall(&m);
	assert_int_equal(fl_match_format(&m, FL_PRIORITY_DEFAULT, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(fl_match_format(&m, 10, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "priority=10");
	parse_match("udp,in_port=1,nw_src=1.2.3.4", &m);
	fl_match_format(&m, FL_PRIORITY_DEFAULT, buf, sizeof(buf));
	assert_string_equal(buf, "in_port=1,udp,nw_src=1.2.3.4");
}

/* --- files --- */

/* Streaming: each flow reaches the callback as it is parsed, in order;
 * the callback's error stops the parse and gets the line number. */
struct seen {
	unsigned n, stop_at;
	uint16_t prio[8];
};

static int see_flow(void *ctx, struct fl_flow_spec *spec, char *err, size_t errlen)
{
	struct seen *s = ctx;

	if (++s->n == s->stop_at) {
		snprintf(err, errlen, "no room for priority %u", spec->priority);
		return -ENOSPC;
	}
	if (s->n <= 8)
		s->prio[s->n - 1] = spec->priority;
	if (s->n == 2) { /* taking the actions is allowed */
		fl_ofpacts_uninit(&spec->actions);
		fl_ofpacts_init(&spec->actions);
	}
	return 0;
}

static void test_flow_parse_each(void **state)
{
	const char *text = "priority=1,actions=drop\n# two\n\npriority=2,ip,actions=output:1\n"
			   "priority=3,actions=output:2\n";
	struct seen s = {0, 0, {0}};
	char err[256];

	(void)state;
	assert_int_equal(fl_flow_parse_each(text, NULL, FL_FLOW_ADD, NULL, see_flow, &s, err,
					    sizeof(err)), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.prio[0], 1);
	assert_int_equal(s.prio[1], 2);
	assert_int_equal(s.prio[2], 3);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(fl_flow_parse_each(text, "f.flows", FL_FLOW_ADD, NULL, see_flow, &s, err,
					    sizeof(err)), -ENOSPC);
	assert_string_equal(err, "f.flows:4: no room for priority 2");
	assert_int_equal(s.n, 2);

	/* A bad line: the flows before it were handed on, none after. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(fl_flow_parse_each("priority=1,actions=drop\nbad\npriority=3,actions=drop\n",
					    NULL, FL_FLOW_ADD, NULL, see_flow, &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 2: flow: unknown keyword 'bad' at column 1");
	assert_int_equal(s.n, 1);
}

static void test_flow_files(void **state)
{
	struct fl_flow_spec *specs;
	char err[512], out[256], path[] = "/tmp/test_flow_XXXXXX", want[600];
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(fl_flow_parse_text("# comment\n\n  table=1, ip actions=drop\n\t# indented\n"
					    "tcp,tp_dst=80,actions=output:1\r\n   \n",
					    FL_FLOW_ADD, NULL, &specs, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal((uintptr_t)specs % FL_CACHE_LINE, 0);
	fl_flow_format(&specs[0], out, sizeof(out));
	assert_string_equal(out, "table=1, ip actions=drop");
	fl_flow_format(&specs[1], out, sizeof(out));
	assert_string_equal(out, "tcp,tp_dst=80 actions=output:1");
	fl_flow_specs_free(specs, n);

	assert_int_equal(fl_flow_parse_text("# none\n\n", FL_FLOW_ADD, NULL, &specs, &n, err,
					    sizeof(err)),
			 0);
	assert_int_equal(n, 0);
	assert_null(specs);

	/* All or nothing, with the line number. */
	assert_int_equal(fl_flow_parse_text("ip,actions=drop\n\nip,nw_src=1,actions=drop\n", FL_FLOW_ADD,
					    NULL, &specs, &n, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 3: flow: bad IPv4 address '1' for nw_src at column 11");
	assert_null(specs);
	assert_int_equal(n, 0);

	/* Many lines (the array grows). */
	{
		char *text = malloc(100 * 40);
		size_t i, len = 0;

		assert_non_null(text);
		for (i = 0; i < 100; i++)
			len += (size_t)sprintf(text + len, "priority=%zu,actions=output:%zu\n", i, i + 1);
		assert_int_equal(fl_flow_parse_text(text, FL_FLOW_ADD, NULL, &specs, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 100);
		assert_int_equal(specs[99].priority, 99);
		fl_flow_specs_free(specs, n);
		free(text);
	}

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_true(write(fd, "ip,actions=drop\nfoo\n", 20) == 20);
	close(fd);
	assert_int_equal(fl_flow_parse_file(path, FL_FLOW_ADD, NULL, &specs, &n, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:2: flow: unknown keyword 'foo' at column 1", path);
	assert_string_equal(err, want);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_true(write(fd, "ip,actions=drop\n", 16) == 16);
	close(fd);
	assert_int_equal(fl_flow_parse_file(path, FL_FLOW_ADD, NULL, &specs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	fl_flow_specs_free(specs, n);
	unlink(path);
	assert_int_equal(fl_flow_parse_file(path, FL_FLOW_ADD, NULL, &specs, &n, err, sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
}

/* --- action lists from untrusted sources --- */

static void test_ofpacts_check(void **state)
{
	uint64_t buf[16];
	struct fl_ofpact *a = (struct fl_ofpact *)(void *)buf;
	struct fl_ofpact_set_field *sf = (struct fl_ofpact_set_field *)(void *)buf;
	struct fl_ofpacts acts, copy;
	struct fl_match m;
	char msg[256];

	(void)state;
	fl_match_init_catchall(&m);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(fl_ofpacts_check(a, 0, &m, 0, msg, sizeof(msg)), 0);

	a->type = FL_OFPACT_OUTPUT;
	a->len = 0; /* would loop forever if trusted */
	assert_int_equal(fl_ofpacts_check(a, 8, &m, 0, msg, sizeof(msg)), -EINVAL);
	a->len = 16;
	assert_int_equal(fl_ofpacts_check(a, 8, &m, 0, msg, sizeof(msg)), -EINVAL);
	a->len = 8;
	assert_int_equal(fl_ofpacts_check(a, 8, &m, 0, msg, sizeof(msg)), 0);
	assert_int_equal(fl_ofpacts_check(a, 12, &m, 0, msg, sizeof(msg)), -EINVAL);
	a->type = 99;
	assert_int_equal(fl_ofpacts_check(a, 8, &m, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "action 99 has a bad length 8");

	a->type = FL_OFPACT_SET_FIELD;
	assert_int_equal(fl_ofpacts_check(a, 8, &m, 0, msg, sizeof(msg)), -EINVAL);
	a->len = sizeof(*sf);
	sf->field = 200;
	assert_int_equal(fl_ofpacts_check(a, a->len, &m, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "set_field: unknown field 200");
	sf->field = FL_FIELD_DL_VLAN;
	sf->value.b[0] = 0x10;
	sf->mask.b[0] = 0x1f;
	assert_int_equal(fl_ofpacts_check(a, a->len, &m, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "set_field: value too wide for dl_vlan (12 bits)");
	sf->value.b[0] = 0x01;
	sf->mask.b[0] = 0x00;
	assert_int_equal(fl_ofpacts_check(a, a->len, &m, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "set_field: value outside its mask");
	sf->mask.b[0] = 0x0f;
	assert_int_equal(fl_ofpacts_check(a, a->len, &m, 0, msg, sizeof(msg)), 0);

	/* Built lists, copied and compared. */
	fl_ofpacts_init(&acts);
	((struct fl_ofpact_goto_table *)fl_ofpacts_put(&acts, FL_OFPACT_GOTO_TABLE, 8))->table = 3;
	((struct fl_ofpact_output *)fl_ofpacts_put(&acts, FL_OFPACT_OUTPUT, 8))->port = 1;
	assert_int_equal(acts.len, 16);
	assert_int_equal(fl_ofpacts_check(acts.data, acts.len, &m, 0, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "goto_table must be the last action");
	assert_int_equal(fl_ofpacts_copy(&copy, &acts), 0);
	assert_true(fl_ofpacts_equal(&copy, &acts));
	fl_ofpacts_format(copy.data, copy.len, msg, sizeof(msg));
	assert_string_equal(msg, "goto_table:3,output:1");
	assert_null(fl_ofpacts_put(&acts, FL_OFPACT_NOTE, 70000));
	assert_int_equal(errno, E2BIG);
	fl_ofpacts_uninit(&copy);
	fl_ofpacts_uninit(&acts);
	assert_string_equal(fl_ofpact_type_name(FL_OFPACT_MOVE), "move");
}

/* Formatters write what fits and return the full length. */
static void test_format_truncation(void **state)
{
	struct fl_flow_spec *s = spec_new();
	char err[256], full[512], small[512];
	int n, i;

	(void)state;
	assert_int_equal(fl_flow_parse("cookie=0x5,table=2,idle_timeout=3,send_flow_rem,priority=9,"
				       "icmp6,icmp_type=135,nd_target=fe80::1,actions=output:1,"
				       "set_field:00:11:22:33:44:55->dl_src,note:01.02",
				       FL_FLOW_ADD, NULL, s, err, sizeof(err)),
			 0);
	n = fl_flow_format(s, full, sizeof(full));
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(fl_flow_format(s, NULL, 0), n);
	for (i = 1; i <= n + 1; i++) {
		memset(small, 'x', sizeof(small));
		assert_int_equal(fl_flow_format(s, small, (size_t)i), n);
		assert_int_equal(strlen(small), (size_t)i - 1);
		assert_memory_equal(small, full, (size_t)i - 1);
	}
	fl_flow_spec_uninit(s);
	free(s);
}

/* --- property: random valid specs round-trip (generator in flow_random.h) --- */

static void test_roundtrip_random(void **state)
{
	struct fl_flow_spec *a = spec_new(), *b = spec_new();
	char err[512], *out = malloc(16384), *out2 = malloc(16384);
	unsigned i, n_actions = 0;

	(void)state;
	assert_non_null(out);
	assert_non_null(out2);
	for (i = 0; i < 20000; i++) {
		rand_spec(a);
		n_actions += a->actions.len ? 1 : 0;
		assert_true(fl_flow_format(a, out, 16384) < 16384);
		if (fl_flow_parse(out, (enum fl_flow_cmd)a->command, NULL, b, err, sizeof(err)))
			fail_msg("case %u: '%s' does not parse: %s", i, out, err);
		if (!fl_flow_spec_equal(a, b)) {
			fl_flow_format(b, out2, 16384);
			fail_msg("case %u: '%s' parsed back as '%s'", i, out, out2);
		}
		fl_flow_format(b, out2, 16384);
		assert_string_equal(out, out2);
		fl_flow_spec_uninit(a);
		fl_flow_spec_uninit(b);
	}
	assert_true(n_actions > 5000); /* the generator does make actions */
	free(out);
	free(out2);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_field_access),
		cmocka_unit_test(test_subfields),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_prereqs),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_match_semantics),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_action_errors),
		cmocka_unit_test(test_match_errors),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_match_format_alone),
		cmocka_unit_test(test_flow_parse_each),
		cmocka_unit_test(test_flow_files),
		cmocka_unit_test(test_ofpacts_check),
		cmocka_unit_test(test_format_truncation),
		cmocka_unit_test(test_roundtrip_random),
	};

	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
