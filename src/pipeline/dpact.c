/* Datapath action lists: allocation, reference counting, comparison and
 * text form. Execution is datapath/execute.c. */
#include "pipeline/dpact.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fl_dp_actions *fl_dp_actions_alloc(unsigned n)
{
	struct fl_dp_actions *a = calloc(1, sizeof(*a) + (size_t)n * sizeof(a->acts[0]));

	if (!a)
		return NULL;
	atomic_init(&a->refcnt, 1);
	a->n = (uint16_t)n;
	return a;
}

void fl_dp_actions_unref(struct fl_dp_actions *a)
{
	if (a && atomic_fetch_sub_explicit(&a->refcnt, 1, memory_order_acq_rel) == 1)
		free(a);
}

bool fl_dp_actions_equal(const struct fl_dp_actions *a, const struct fl_dp_actions *b)
{
	return a->n == b->n && memcmp(a->acts, b->acts, a->n * sizeof(a->acts[0])) == 0;
}

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) FL_PRINTF(2, 3);

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void put_mac(struct out *o, const char *name, const uint8_t *v, const uint8_t *m)
{
	static const uint8_t ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (all_zero(m, 6))
		return;
	put(o, "%s=%02x:%02x:%02x:%02x:%02x:%02x", name, v[0], v[1], v[2], v[3], v[4], v[5]);
	if (memcmp(m, ones, 6))
		put(o, "/%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	put(o, ",");
}

static void put_ip4(struct out *o, const char *name, fl_be32 v, fl_be32 m)
{
	uint32_t h = fl_ntohl(v), hm = fl_ntohl(m);

	if (!m)
		return;
	put(o, "%s=%u.%u.%u.%u", name, h >> 24, (h >> 16) & 255, (h >> 8) & 255, h & 255);
	if (hm != UINT32_MAX)
		put(o, "/%u.%u.%u.%u", hm >> 24, (hm >> 16) & 255, (hm >> 8) & 255, hm & 255);
	put(o, ",");
}

static void put_ip6(struct out *o, const char *name, const uint8_t *v, const uint8_t *m)
{
	unsigned i;

	if (all_zero(m, 16))
		return;
	put(o, "%s=", name);
	for (i = 0; i < 16; i += 2)
		put(o, "%s%x", i ? ":" : "", (unsigned)(v[i] << 8 | v[i + 1]));
	put(o, "/");
	for (i = 0; i < 16; i += 2)
		put(o, "%s%x", i ? ":" : "", (unsigned)(m[i] << 8 | m[i + 1]));
	put(o, ",");
}

/* Close a "set_x(" group: drop the trailing comma, add ")". */
static void close_group(struct out *o)
{
	if (o->len && o->len <= o->size && o->buf[o->len - 1] == ',')
		o->len--;
	put(o, "),");
}

int fl_dp_actions_format(const struct fl_dp_actions *a, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	unsigned i;

	if (size)
		buf[0] = '\0';
	if (a->n == 0)
		put(&o, "drop,");
	for (i = 0; i < a->n; i++) {
		const struct fl_dpact *x = &a->acts[i];

		switch ((enum fl_dpact_type)x->type) {
		case FL_DPACT_OUTPUT:
			put(&o, "output:%" PRIu32 ",", x->output.port);
			break;
		case FL_DPACT_SET_ETH:
			put(&o, "set_eth(");
			put_mac(&o, "src", x->eth.src, x->eth.src_mask);
			put_mac(&o, "dst", x->eth.dst, x->eth.dst_mask);
			close_group(&o);
			break;
		case FL_DPACT_SET_IPV4:
			put(&o, "set_ipv4(");
			put_ip4(&o, "src", x->ipv4.src, x->ipv4.src_mask);
			put_ip4(&o, "dst", x->ipv4.dst, x->ipv4.dst_mask);
			if (x->ipv4.tos_mask)
				put(&o, "tos=0x%02x/0x%02x,", x->ipv4.tos, x->ipv4.tos_mask);
			if (x->ipv4.ttl_mask)
				put(&o, "ttl=%u,", x->ipv4.ttl);
			close_group(&o);
			break;
		case FL_DPACT_SET_IPV6:
			put(&o, "set_ipv6(");
			put_ip6(&o, "src", x->ipv6.src, x->ipv6.src_mask);
			put_ip6(&o, "dst", x->ipv6.dst, x->ipv6.dst_mask);
			if (x->ipv6.tclass_mask)
				put(&o, "tclass=0x%02x/0x%02x,", x->ipv6.tclass, x->ipv6.tclass_mask);
			if (x->ipv6.hlimit_mask)
				put(&o, "hlimit=%u,", x->ipv6.hlimit);
			close_group(&o);
			break;
		case FL_DPACT_SET_L4:
			put(&o, "set_l4(");
			if (x->l4.src_mask)
				put(&o, "src=%u/0x%04x,", fl_ntohs(x->l4.src), fl_ntohs(x->l4.src_mask));
			if (x->l4.dst_mask)
				put(&o, "dst=%u/0x%04x,", fl_ntohs(x->l4.dst), fl_ntohs(x->l4.dst_mask));
			close_group(&o);
			break;
		case FL_DPACT_PUSH_VLAN:
			put(&o, "push_vlan(tpid=0x%04x,tci=0x%04x),", fl_ntohs(x->vlan.tpid),
			    fl_ntohs(x->vlan.tci));
			break;
		case FL_DPACT_POP_VLAN:
			put(&o, "pop_vlan,");
			break;
		case FL_DPACT_SET_VLAN:
			put(&o, "set_vlan(tci=0x%04x/0x%04x),", fl_ntohs(x->vlan.tci),
			    fl_ntohs(x->vlan.tci_mask));
			break;
		case FL_DPACT_DEC_TTL:
			put(&o, "dec_ttl,");
			break;
		default:
			put(&o, "unknown(%u),", x->type);
			break;
		}
	}
	if (o.len && o.len <= o.size)
		buf[--o.len] = '\0'; /* trailing comma */
	else if (o.len)
		o.len--;
	return (int)o.len;
}
