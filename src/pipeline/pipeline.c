/* The pipeline object: tables, versions, ports, miss policies, statistics,
 * and when removed rules are freed.
 *
 * Freeing. A rule that a flow-mod replaced or deleted is first a zombie: it
 * stays in its classifier, invisible from the new version on, because
 * translations that started at the old version may still look it up. One
 * grace period after the publication, no such translation runs any more;
 * the zombie is then taken out of the classifier (fl_cls_remove) and
 * becomes garbage — lookups already running at the new version may still be
 * walking over it — and garbage is freed after the next grace period. Both
 * steps ride on one synchronize_rcu() per replacing or deleting flow-mod
 * (fl_pl_collect): the grace period that frees the last batch's garbage is
 * the one that turns this batch's zombies into garbage. fl_pipeline_expire()
 * frees leftover garbage, so it never waits longer than about a second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include "pipeline/pipeline_private.h"

/* --- versions --- */

uint64_t fl_pipeline_version(const struct fl_pipeline *pl)
{
	return __atomic_load_n(&pl->version, __ATOMIC_ACQUIRE);
}

void fl_pl_bump(struct fl_pipeline *pl)
{
	/* Release: what changed before (a rule's remove_version, the
	 * rules_version, a port list, a MAC entry) is visible to a reader that
	 * acquires the new number. */
	__atomic_fetch_add(&pl->version, 1, __ATOMIC_RELEASE);
}

void fl_pl_publish(struct fl_pipeline *pl, uint64_t rules_version)
{
	/* Pairs with the acquire in fl_pl_rules_version(): a translation that
	 * sees the new number sees every rule inserted or marked for it. */
	__atomic_store_n(&pl->rules_version, rules_version, __ATOMIC_RELEASE);
	fl_pl_bump(pl);
}

/* --- rules --- */

void fl_pl_rule_free(struct fl_rule *rule)
{
	fl_ofpacts_uninit(&rule->actions);
	free(rule);
}

void fl_pl_timeout_link(struct fl_pipeline *pl, struct fl_rule *rule)
{
	if (!rule->idle_timeout && !rule->hard_timeout)
		return;
	rule->to_prev = NULL;
	rule->to_next = pl->timeouts;
	if (pl->timeouts)
		pl->timeouts->to_prev = rule;
	pl->timeouts = rule;
	rule->has_timeout_link = true;
}

void fl_pl_timeout_unlink(struct fl_pipeline *pl, struct fl_rule *rule)
{
	if (!rule->has_timeout_link)
		return;
	if (rule->to_prev)
		rule->to_prev->to_next = rule->to_next;
	else
		pl->timeouts = rule->to_next;
	if (rule->to_next)
		rule->to_next->to_prev = rule->to_prev;
	rule->has_timeout_link = false;
}

void fl_rule_account(struct fl_rule *rule, uint64_t packets, uint64_t bytes, uint64_t now_ns)
{
	__atomic_fetch_add(&rule->stats.packets, packets, __ATOMIC_RELAXED);
	__atomic_fetch_add(&rule->stats.bytes, bytes, __ATOMIC_RELAXED);
	/* Several workers may store; a slightly older time winning a race only
	 * makes the idle timeout fire a batch later. Skip the store (and the
	 * cache line bounce) when the time did not move. */
	if (__atomic_load_n(&rule->stats.used_ns, __ATOMIC_RELAXED) < now_ns)
		__atomic_store_n(&rule->stats.used_ns, now_ns, __ATOMIC_RELAXED);
}

/* Hand a dying rule's late counts (those added after its successor copied
 * them) to the successor. Runs after a grace period: no worker can add to
 * the dying rule any more. */
static void hand_over_counts(struct fl_rule *rule)
{
	struct fl_rule *s = rule->successor;
	uint64_t p, b;

	if (!s)
		return;
	p = __atomic_load_n(&rule->stats.packets, __ATOMIC_RELAXED) - rule->handed_packets;
	b = __atomic_load_n(&rule->stats.bytes, __ATOMIC_RELAXED) - rule->handed_bytes;
	if (p || b) {
		__atomic_fetch_add(&s->stats.packets, p, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->stats.bytes, b, __ATOMIC_RELAXED);
	}
}

void fl_pl_collect(struct fl_pipeline *pl, bool zombies_only)
{
	struct fl_rule *r, *next, *zombies;

	if (!pl->zombies && (zombies_only || !pl->garbage))
		return;
	urcu_qsbr_synchronize_rcu();
	for (r = pl->garbage; r; r = next) {
		next = r->gc_next;
		fl_pl_rule_free(r);
	}
	/* Successors are handed counts before anything of this batch is freed:
	 * a successor may itself be a zombie of the same batch. */
	zombies = pl->zombies;
	for (r = zombies; r; r = r->gc_next)
		hand_over_counts(r);
	for (r = zombies; r; r = r->gc_next) {
		r->successor = NULL;
		fl_cls_remove(pl->tables[r->table_id].cls, &r->cr);
	}
	pl->garbage = zombies;
	pl->zombies = NULL;
}

/* --- tables --- */

struct fl_classifier *fl_pl_table_cls(struct fl_pipeline *pl, unsigned table, bool create)
{
	struct fl_pl_table *t = &pl->tables[table];
	struct fl_classifier *cls;

	if (t->cls || !create)
		return t->cls;
	cls = fl_cls_create();
	if (cls) /* pairs with the acquire load in translation */
		__atomic_store_n(&t->cls, cls, __ATOMIC_RELEASE);
	return cls;
}

int fl_pipeline_set_miss(struct fl_pipeline *pl, unsigned table, enum fl_table_miss miss)
{
	if (table > FL_TABLE_MAX || (unsigned)miss > FL_MISS_NORMAL)
		return -EINVAL;
	if (__atomic_load_n(&pl->tables[table].miss, __ATOMIC_RELAXED) == (unsigned)miss)
		return 0;
	__atomic_store_n(&pl->tables[table].miss, (unsigned)miss, __ATOMIC_RELAXED);
	fl_pl_bump(pl);
	return 0;
}

enum fl_table_miss fl_pipeline_get_miss(const struct fl_pipeline *pl, unsigned table)
{
	if (table > FL_TABLE_MAX)
		return FL_MISS_DROP;
	return (enum fl_table_miss)__atomic_load_n(&pl->tables[table].miss, __ATOMIC_RELAXED);
}

/* --- ports --- */

static const struct fl_pl_ports *ports_writer(const struct fl_pipeline *pl)
{
	return pl->ports; /* the writer owns the pointer */
}

static const struct fl_pl_port *port_by_no(const struct fl_pl_ports *ps, uint32_t no)
{
	unsigned i;

	for (i = 0; i < ps->n; i++)
		if (ps->ports[i].no == no)
			return &ps->ports[i];
	return NULL;
}

static const struct fl_pl_port *port_by_name(const struct fl_pl_ports *ps, const char *name)
{
	unsigned i;

	for (i = 0; i < ps->n; i++)
		if (ps->ports[i].name[0] && !strcmp(ps->ports[i].name, name))
			return &ps->ports[i];
	return NULL;
}

static int resolve(void *aux, const char *name, uint32_t *port)
{
	const struct fl_pl_port *p = port_by_name(ports_writer(aux), name);

	if (!p)
		return -ENOENT;
	*port = p->no;
	return 0;
}

const struct fl_port_resolver *fl_pipeline_port_resolver(const struct fl_pipeline *pl)
{
	return &pl->resolver;
}

static struct fl_pl_ports *ports_alloc(unsigned n)
{
	struct fl_pl_ports *ps = calloc(1, sizeof(*ps) + (size_t)n * sizeof(ps->ports[0]));

	if (ps)
		ps->n = n;
	return ps;
}

/* Publish a new port list, bump the version, free the old list after a
 * grace period (port changes are rare: waiting here is simplest). */
static void ports_replace(struct fl_pipeline *pl, struct fl_pl_ports *ps)
{
	struct fl_pl_ports *old = pl->ports;

	/* Release: pairs with the acquire load in translation. */
	__atomic_store_n(&pl->ports, ps, __ATOMIC_RELEASE);
	fl_pl_bump(pl);
	urcu_qsbr_synchronize_rcu();
	free(old);
}

int fl_pipeline_port_add(struct fl_pipeline *pl, uint32_t port_no, const char *name)
{
	const struct fl_pl_ports *old = ports_writer(pl);
	struct fl_pl_ports *ps;
	uint32_t dummy;
	unsigned i, j;

	if (port_no > FL_PORT_MAX)
		return -EINVAL;
	if (name && (!name[0] || strlen(name) >= FL_PIPELINE_PORT_NAME_MAX ||
		     fl_port_parse(name, NULL, &dummy) != -ENOENT))
		return -EINVAL;
	if (port_by_no(old, port_no) || (name && port_by_name(old, name)))
		return -EEXIST;
	ps = ports_alloc(old->n + 1);
	if (!ps)
		return -ENOMEM;
	for (i = 0, j = 0; i < old->n && old->ports[i].no < port_no; i++)
		ps->ports[j++] = old->ports[i];
	ps->ports[j].no = port_no;
	if (name)
		snprintf(ps->ports[j].name, sizeof(ps->ports[j].name), "%s", name);
	j++;
	for (; i < old->n; i++)
		ps->ports[j++] = old->ports[i];
	ports_replace(pl, ps);
	return 0;
}

int fl_pipeline_port_del(struct fl_pipeline *pl, uint32_t port_no)
{
	const struct fl_pl_ports *old = ports_writer(pl);
	struct fl_pl_ports *ps;
	unsigned i, j;

	if (!port_by_no(old, port_no))
		return -ENOENT;
	ps = ports_alloc(old->n - 1);
	if (!ps)
		return -ENOMEM;
	for (i = 0, j = 0; i < old->n; i++)
		if (old->ports[i].no != port_no)
			ps->ports[j++] = old->ports[i];
	/* Forget the addresses behind the port before publishing, so the new
	 * version floods to them instead of sending to a port that is gone. */
	fl_mac_flush_port(pl->mac, port_no);
	ports_replace(pl, ps);
	return 0;
}

int fl_pipeline_port_set_flood(struct fl_pipeline *pl, uint32_t port_no, bool flood)
{
	const struct fl_pl_ports *old = ports_writer(pl);
	const struct fl_pl_port *p = port_by_no(old, port_no);
	struct fl_pl_ports *ps;

	if (!p)
		return -ENOENT;
	if (p->no_flood == !flood)
		return 0;
	ps = ports_alloc(old->n);
	if (!ps)
		return -ENOMEM;
	memcpy(ps->ports, old->ports, old->n * sizeof(old->ports[0]));
	ps->ports[p - old->ports].no_flood = !flood;
	ports_replace(pl, ps);
	return 0;
}

/* --- life --- */

struct fl_pipeline *fl_pipeline_create(const struct fl_pipeline_params *params)
{
	unsigned mac_size = params && params->mac_table_size ? params->mac_table_size
							      : FL_MAC_TABLE_DEFAULT;
	unsigned aging = params && params->mac_aging_s ? params->mac_aging_s : FL_MAC_AGING_DEFAULT;
	struct fl_pipeline *pl;
	int err = ENOMEM;

	pl = aligned_alloc(FL_CACHE_LINE, sizeof(*pl));
	if (!pl)
		goto fail;
	memset(pl, 0, sizeof(*pl));
	pl->ports = ports_alloc(0);
	if (!pl->ports)
		goto fail_ports;
	pl->mac = fl_mac_create(mac_size, aging);
	if (!pl->mac) {
		err = errno;
		goto fail_mac;
	}
	pl->resolver.lookup = resolve;
	pl->resolver.aux = pl;
	/* Version 0 is what a datapath that never translated holds; start above
	 * it so every megaflow is newer than "nothing". */
	pl->version = 1;
	pl->rules_version = 1;
	return pl;

fail_mac:
	free(pl->ports);
fail_ports:
	free(pl);
fail:
	errno = err;
	return NULL;
}

void fl_pipeline_destroy(struct fl_pipeline *pl)
{
	struct fl_cls_cursor cur;
	struct fl_cls_rule *cr;
	struct fl_rule *r, *next, *dead;
	unsigned t;

	if (!pl)
		return;
	/* Nobody translates any more; wait for those who did. */
	urcu_qsbr_synchronize_rcu();
	for (r = pl->garbage; r; r = next) {
		next = r->gc_next;
		fl_pl_rule_free(r);
	}
	for (t = 0; t < FL_PIPELINE_TABLES; t++) {
		struct fl_classifier *cls = pl->tables[t].cls;

		if (!cls)
			continue;
		/* The classifier forgets its rules wholesale (fl_cls_destroy), so
		 * they are collected first and freed after it, instead of being
		 * removed one by one from tables and tries that are about to go:
		 * a third of the time of a 100k-rule install+teardown cycle. */
		dead = NULL;
		fl_cls_cursor_init(&cur, cls, NULL, 0, false, FL_CLS_VERSION_ANY);
		while ((cr = fl_cls_cursor_next(&cur)) != NULL) {
			r = fl_rule_from_cls(cr);
			r->gc_next = dead;
			dead = r;
		}
		fl_cls_destroy(cls);
		for (r = dead; r; r = next) {
			next = r->gc_next;
			fl_pl_rule_free(r);
		}
	}
	fl_mac_destroy(pl->mac);
	free(pl->ports);
	free(pl);
}

/* --- misc --- */

void fl_pipeline_mac_touch(struct fl_pipeline *pl, const struct fl_mac_ref *ref, uint64_t now_ns)
{
	fl_mac_touch(pl->mac, ref->vlan, ref->mac, ref->port, now_ns);
}

bool fl_pl_rule_outputs_to(const struct fl_rule *rule, uint32_t port)
{
	const struct fl_ofpact *a;

	FL_OFPACT_FOR_EACH(a, rule->actions.data, rule->actions.len) {
		if (a->type == FL_OFPACT_OUTPUT && FL_OFPACT_CAST(output, a)->port == port)
			return true;
		if (a->type == FL_OFPACT_CONTROLLER && port == FL_PORT_CONTROLLER)
			return true;
	}
	return false;
}

int fl_pl_rule_format(const struct fl_rule *rule, char *buf, size_t size)
{
	struct fl_match match;
	size_t used;
	int n, m;

	fl_cls_rule_get_match(&rule->cr, &match);
	n = fl_match_format(&match, (uint16_t)rule->cr.priority, buf, size);
	used = n < 0 ? 0 : (size_t)n;

	m = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, "%sactions=",
		     used ? " " : "");
	used += (size_t)(m > 0 ? m : 0);
	m = fl_ofpacts_format(rule->actions.data, rule->actions.len, used < size ? buf + used : NULL,
			      used < size ? size - used : 0);
	return (int)used + m;
}

void fl_pipeline_get_stats(const struct fl_pipeline *pl, struct fl_pipeline_stats *st)
{
	struct fl_mac_stats ms;

	memset(st, 0, sizeof(*st));
	st->version = fl_pipeline_version(pl);
	st->n_rules = pl->n_rules;
	st->translations = __atomic_load_n(&pl->translations, __ATOMIC_RELAXED);
	st->xlate_errors = __atomic_load_n(&pl->xlate_errors, __ATOMIC_RELAXED);
	st->xlate_controller = __atomic_load_n(&pl->xlate_controller, __ATOMIC_RELAXED);
	st->xlate_ttl_expired = __atomic_load_n(&pl->xlate_ttl_expired, __ATOMIC_RELAXED);
	fl_mac_get_stats(pl->mac, &ms);
	st->mac_learned = ms.learned;
	st->mac_moved = ms.moved;
	st->mac_expired = ms.expired;
	st->mac_evicted = ms.evicted;
	st->mac_entries = ms.entries;
}
