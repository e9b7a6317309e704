/* Printing flows in canonical form: fl_flow_format() and fl_match_format().
 *
 * The rules are in flow.h. The match is printed from its value and mask, not
 * from how it was written: the protocol fields become a shorthand (tcp,
 * icmp6...), vlan_tci becomes dl_vlan / dl_vlan_pcp when those say exactly
 * the same thing, and fields that share storage are named by the protocol
 * (nw_src is arp_spa on ARP, arp_sha is nd_sll on IPv6, tp_src is icmp_type
 * on ICMP). So any two texts of one flow print the same, and the printed
 * text parses back to the same spec.
 */
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/flow_private.h"
#include "proto/headers.h"

struct mfmt {
	struct fl_sbuf s;
	const struct fl_match *m;
	bool any; /* an item was printed: the next one needs a comma */
};

static void item_start(struct mfmt *mf)
{
	if (mf->any)
		fl_sbuf_printf(&mf->s, ",");
	mf->any = true;
}

/* "name=value[/mask]" when the field's mask is not zero. */
static void put_field(struct mfmt *mf, enum fl_field_id id, const char *name)
{
	const struct fl_field *f = fl_field_by_id(id);
	union fl_field_value v, mask;
	size_t room;
	char *tail;

	fl_field_get_match(f, mf->m, &v, &mask);
	if (fl_field_value_is_zero(f, &mask))
		return;
	item_start(mf);
	fl_sbuf_printf(&mf->s, "%s=", name ? name : f->name);
	tail = fl_sbuf_tail(&mf->s, &room);
	fl_sbuf_advance(&mf->s, fl_field_format_value(f, &v, &mask, tail, room));
}

static bool exact16(fl_be16 mask)
{
	return mask == 0xffff;
}

/* The protocol shorthand for dl_type (and nw_proto), or NULL. *proto_done
 * says the shorthand also covered nw_proto. */
static const char *shorthand(const struct fl_match *m, bool *proto_done)
{
	uint16_t type = fl_ntohs(m->value.dl_type);
	bool proto = m->mask.nw_proto == 0xff;
	uint8_t p = m->value.nw_proto;

	*proto_done = false;
	if (!exact16(m->mask.dl_type))
		return NULL;
	if (type == FL_ETH_TYPE_IPV4 || type == FL_ETH_TYPE_IPV6) {
		bool v6 = type == FL_ETH_TYPE_IPV6;

		*proto_done = proto;
		if (proto && p == FL_IPPROTO_TCP)
			return v6 ? "tcp6" : "tcp";
		if (proto && p == FL_IPPROTO_UDP)
			return v6 ? "udp6" : "udp";
		if (proto && p == FL_FLOW_IPPROTO_SCTP)
			return v6 ? "sctp6" : "sctp";
		if (proto && !v6 && p == FL_IPPROTO_ICMP)
			return "icmp";
		if (proto && v6 && p == FL_IPPROTO_ICMPV6)
			return "icmp6";
		*proto_done = false;
		return v6 ? "ipv6" : "ip";
	}
	if (type == FL_ETH_TYPE_ARP)
		return "arp";
	if (type == FL_FLOW_ETH_TYPE_RARP)
		return "rarp";
	return NULL;
}

/* dl_vlan / dl_vlan_pcp when the mask is the present bit with whole VID
 * and/or PCP and the value says "present"; else vlan_tci=V[/M]. */
static void put_vlan(struct mfmt *mf)
{
	uint16_t v = fl_ntohs(mf->m->value.vlan_tci), m = fl_ntohs(mf->m->mask.vlan_tci);
	uint16_t vid_mask = m & FL_VLAN_VID_MASK, pcp_mask = m & (7u << FL_VLAN_PCP_SHIFT);

	if (!m)
		return;
	if ((m & FL_VLAN_PRESENT) && (v & FL_VLAN_PRESENT) &&
	    (!vid_mask || vid_mask == FL_VLAN_VID_MASK) &&
	    (!pcp_mask || pcp_mask == 7u << FL_VLAN_PCP_SHIFT) && (vid_mask || pcp_mask)) {
		if (vid_mask) {
			item_start(mf);
			fl_sbuf_printf(&mf->s, "dl_vlan=%u", v & FL_VLAN_VID_MASK);
		}
		if (pcp_mask) {
			item_start(mf);
			fl_sbuf_printf(&mf->s, "dl_vlan_pcp=%u", v >> FL_VLAN_PCP_SHIFT);
		}
		return;
	}
	put_field(mf, FL_FIELD_VLAN_TCI, NULL);
}

static void format_match(struct mfmt *mf, uint16_t priority)
{
	const struct fl_match *m = mf->m;
	uint16_t type = exact16(m->mask.dl_type) ? fl_ntohs(m->value.dl_type) : 0;
	bool arp = type == FL_ETH_TYPE_ARP || type == FL_FLOW_ETH_TYPE_RARP;
	bool ip6 = type == FL_ETH_TYPE_IPV6, proto_done;
	bool proto = m->mask.nw_proto == 0xff;
	const char *sh;
	unsigned i;

	if (priority != FL_PRIORITY_DEFAULT) {
		item_start(mf);
		fl_sbuf_printf(&mf->s, "priority=%u", priority);
	}
	put_field(mf, FL_FIELD_RECIRC_ID, NULL);
	put_field(mf, FL_FIELD_CT_STATE, NULL);
	put_field(mf, FL_FIELD_CT_ZONE, NULL);
	put_field(mf, FL_FIELD_CT_MARK, NULL);
	for (i = 0; i < 8; i++)
		put_field(mf, (enum fl_field_id)(FL_FIELD_REG0 + i), NULL);
	put_field(mf, FL_FIELD_TUN_ID, NULL);
	put_field(mf, FL_FIELD_TUN_SRC, NULL);
	put_field(mf, FL_FIELD_TUN_DST, NULL);
	put_field(mf, FL_FIELD_METADATA, NULL);
	put_field(mf, FL_FIELD_IN_PORT, NULL);

	sh = shorthand(m, &proto_done);
	if (sh) {
		item_start(mf);
		fl_sbuf_printf(&mf->s, "%s", sh);
	} else {
		put_field(mf, FL_FIELD_DL_TYPE, NULL);
	}
	put_vlan(mf);
	put_field(mf, FL_FIELD_DL_SRC, NULL);
	put_field(mf, FL_FIELD_DL_DST, NULL);

	put_field(mf, FL_FIELD_IPV6_SRC, NULL);
	put_field(mf, FL_FIELD_IPV6_DST, NULL);
	put_field(mf, FL_FIELD_IPV6_LABEL, NULL);
	put_field(mf, FL_FIELD_NW_SRC, arp ? "arp_spa" : NULL);
	put_field(mf, FL_FIELD_NW_DST, arp ? "arp_tpa" : NULL);
	if (!proto_done)
		put_field(mf, FL_FIELD_NW_PROTO, arp ? "arp_op" : NULL);
	if (!ip6) {
		put_field(mf, FL_FIELD_ARP_SHA, NULL);
		put_field(mf, FL_FIELD_ARP_THA, NULL);
	}

	put_field(mf, FL_FIELD_NW_TOS, NULL);
	put_field(mf, FL_FIELD_NW_ECN, NULL);
	put_field(mf, FL_FIELD_NW_TTL, NULL);
	put_field(mf, FL_FIELD_NW_FRAG, NULL);

	if (type == FL_ETH_TYPE_IPV4 && proto && m->value.nw_proto == FL_IPPROTO_ICMP) {
		put_field(mf, FL_FIELD_ICMP_TYPE, NULL);
		put_field(mf, FL_FIELD_ICMP_CODE, NULL);
	} else if (ip6 && proto && m->value.nw_proto == FL_IPPROTO_ICMPV6) {
		put_field(mf, FL_FIELD_ICMPV6_TYPE, NULL);
		put_field(mf, FL_FIELD_ICMPV6_CODE, NULL);
	} else {
		put_field(mf, FL_FIELD_TP_SRC, NULL);
		put_field(mf, FL_FIELD_TP_DST, NULL);
	}
	put_field(mf, FL_FIELD_ND_TARGET, NULL);
	if (ip6) {
		put_field(mf, FL_FIELD_ND_SLL, NULL);
		put_field(mf, FL_FIELD_ND_TLL, NULL);
	}
	put_field(mf, FL_FIELD_TCP_FLAGS, NULL);
}

int fl_match_format(const struct fl_match *m, uint16_t priority, char *buf, size_t size)
{
	struct mfmt mf = { .m = m };

	fl_sbuf_init(&mf.s, buf, size);
	format_match(&mf, priority);
	return fl_sbuf_result(&mf.s);
}

/* Items of the flow line, each followed by a separator that is printed only
 * if something follows it. */
struct ffmt {
	struct fl_sbuf s;
	const char *pending;
};

static void flow_item_start(struct ffmt *ff, const char *sep_after)
{
	if (ff->pending)
		fl_sbuf_printf(&ff->s, "%s", ff->pending);
	ff->pending = sep_after;
}

static const struct {
	const char *name;
	uint16_t flag;
} flag_words[] = {
	{ "send_flow_rem", FL_FLOW_SEND_FLOW_REM },
	{ "check_overlap", FL_FLOW_CHECK_OVERLAP },
	{ "reset_counts", FL_FLOW_RESET_COUNTS },
	{ "no_packet_counts", FL_FLOW_NO_PKT_COUNTS },
	{ "no_byte_counts", FL_FLOW_NO_BYT_COUNTS },
};

int fl_flow_format(const struct fl_flow_spec *spec, char *buf, size_t size)
{
	struct ffmt ff = { .pending = NULL };
	uint8_t default_table = spec->command == FL_FLOW_ADD ? 0 : FL_TABLE_ALL;
	struct mfmt mf = { .m = &spec->match };
	char port[32], *tail;
	size_t i, room, before;
	const char *prev;

	fl_sbuf_init(&ff.s, buf, size);
	if (spec->cookie_mask) {
		flow_item_start(&ff, ", ");
		fl_sbuf_printf(&ff.s, "cookie=0x%llx/0x%llx", (unsigned long long)spec->cookie,
			       (unsigned long long)spec->cookie_mask);
	} else if (spec->cookie) {
		flow_item_start(&ff, ", ");
		fl_sbuf_printf(&ff.s, "cookie=0x%llx", (unsigned long long)spec->cookie);
	}
	if (spec->table_id != default_table) {
		flow_item_start(&ff, ", ");
		fl_sbuf_printf(&ff.s, "table=%u", spec->table_id);
	}
	if (spec->idle_timeout) {
		flow_item_start(&ff, ", ");
		fl_sbuf_printf(&ff.s, "idle_timeout=%u", spec->idle_timeout);
	}
	if (spec->hard_timeout) {
		flow_item_start(&ff, ", ");
		fl_sbuf_printf(&ff.s, "hard_timeout=%u", spec->hard_timeout);
	}
	for (i = 0; i < FL_ARRAY_SIZE(flag_words); i++) {
		if (spec->flags & flag_words[i].flag) {
			flow_item_start(&ff, " ");
			fl_sbuf_printf(&ff.s, "%s", flag_words[i].name);
		}
	}
	if (spec->out_port != FL_PORT_ANY) {
		flow_item_start(&ff, ", ");
		fl_port_format(spec->out_port, port, sizeof(port));
		fl_sbuf_printf(&ff.s, "out_port=%s", port);
	}

	/* The match goes straight into the line; if it is empty, take back
	 * the separator printed for it. */
	before = ff.s.len;
	prev = ff.pending;
	flow_item_start(&ff, " ");
	tail = fl_sbuf_tail(&ff.s, &room);
	fl_sbuf_init(&mf.s, tail, room);
	format_match(&mf, spec->priority);
	if (mf.s.len) {
		fl_sbuf_advance(&ff.s, fl_sbuf_result(&mf.s));
	} else {
		ff.pending = prev;
		ff.s.len = before;
		if (ff.s.len < ff.s.size)
			ff.s.buf[ff.s.len] = '\0';
	}

	if (spec->command == FL_FLOW_ADD || spec->command == FL_FLOW_MODIFY ||
	    spec->command == FL_FLOW_MODIFY_STRICT) {
		flow_item_start(&ff, NULL);
		fl_sbuf_printf(&ff.s, "actions=");
		tail = fl_sbuf_tail(&ff.s, &room);
		fl_sbuf_advance(&ff.s, fl_ofpacts_format(spec->actions.data, spec->actions.len,
							 tail, room));
	}
	return fl_sbuf_result(&ff.s);
}
