/* Port commands: add-port, del-port, show, dump-ports.
 *
 * The control module keeps the list of configured ports itself (name,
 * number, spec) besides the switch's open ports, for one reason: a port
 * restored from the state file whose backend cannot open yet (its
 * interface is not there) must stay configured, be saved again, and open
 * when it can. Everything is checked against that list before the switch
 * is asked, so a refused add-port changes nothing.
 */
#include "control/control_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/time.h"

#define FL_LOG_MODULE "control"

struct ctl_port *ctl_port_find(struct fl_control *ctl, const char *name_or_no)
{
	char *end;
	unsigned long no = strtoul(name_or_no, &end, 10);
	unsigned i;

	for (i = 0; i < ctl->n_ports; i++)
		if (!strcmp(ctl->ports[i].name, name_or_no))
			return &ctl->ports[i];
	if (name_or_no[0] >= '0' && name_or_no[0] <= '9' && !*end)
		for (i = 0; i < ctl->n_ports; i++)
			if (ctl->ports[i].port_no == no)
				return &ctl->ports[i];
	return NULL;
}

/* Names end up in flow text (output:NAME) and in NAME@NUM arguments: keep
 * them to characters neither syntax gives a meaning. */
static int check_name(const char *name, char *err, size_t errlen)
{
	size_t i, n = strlen(name);
	bool digits = true;

	if (n == 0 || n >= FL_PORT_NAME_MAX) {
		snprintf(err, errlen, "port name '%s': must be 1 to %u characters", name,
			 FL_PORT_NAME_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.')) {
			snprintf(err, errlen, "port name '%s': only letters, digits, '_', '-' and "
				 "'.' are allowed", name);
			return -EINVAL;
		}
		digits &= ch >= '0' && ch <= '9';
	}
	if (digits) {
		snprintf(err, errlen, "port name '%s': a number would read as a port number",
			 name);
		return -EINVAL;
	}
	return 0;
}

static uint32_t next_free_no(const struct fl_control *ctl)
{
	uint32_t no;
	unsigned i;

	for (no = 1; no < FL_DP_PORT_NO_MAX; no++) {
		for (i = 0; i < ctl->n_ports; i++)
			if (ctl->ports[i].port_no == no)
				break;
		if (i == ctl->n_ports)
			return no;
	}
	return 0;
}

int ctl_port_add(struct fl_control *ctl, const char *name, uint32_t port_no, const char *spec,
		 bool keep_if_fails, char *err, size_t errlen)
{
	struct ctl_port *p;
	unsigned i;
	int ret;

	ret = check_name(name, err, errlen);
	if (ret)
		return ret;
	if (!spec[0] || strlen(spec) >= FL_PORT_SPEC_MAX) {
		snprintf(err, errlen, "port %s: the spec must be 1 to %u characters", name,
			 FL_PORT_SPEC_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < ctl->n_ports; i++) {
		if (!strcmp(ctl->ports[i].name, name)) {
			snprintf(err, errlen, "port %s exists (number %u, %s)", name,
				 ctl->ports[i].port_no, ctl->ports[i].spec);
			return -EEXIST;
		}
		if (port_no && ctl->ports[i].port_no == port_no) {
			snprintf(err, errlen, "port %s: number %u is taken by port %s", name, port_no,
				 ctl->ports[i].name);
			return -EEXIST;
		}
	}
	if (ctl->n_ports == FL_DP_MAX_PORTS) {
		snprintf(err, errlen, "port %s: too many ports (at most %u)", name, FL_DP_MAX_PORTS);
		return -ENOSPC;
	}
	if (!port_no)
		port_no = next_free_no(ctl);
	if (port_no < 1 || port_no >= FL_DP_PORT_NO_MAX) {
		snprintf(err, errlen, "port %s: port number must be 1 to %u", name,
			 FL_DP_PORT_NO_MAX - 1);
		return -EINVAL;
	}
	p = &ctl->ports[ctl->n_ports];
	memset(p, 0, sizeof(*p));
	ret = fl_switch_add_port(ctl->sw, name, port_no, spec, p->error, sizeof(p->error));
	if (ret < 0 && !keep_if_fails) {
		snprintf(err, errlen, "%s", p->error);
		return ret;
	}
	if (ret < 0) {
		FL_LOG(FL_LOG_WARN, "port %s (%u) %s: cannot open it now, will retry: %s", name,
		       port_no, spec, p->error);
		p->next_try_ns = fl_time_ns() + CTL_RETRY_PORT_NS;
	}
	p->open = ret == 0;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	p->port_no = port_no;
	ctl->n_ports++;
	return 0;
}

void ctl_ports_retry(struct fl_control *ctl, uint64_t now_ns)
{
	unsigned i;

	for (i = 0; i < ctl->n_ports; i++) {
		struct ctl_port *p = &ctl->ports[i];

		if (p->open || now_ns < p->next_try_ns)
			continue;
		if (fl_switch_add_port(ctl->sw, p->name, p->port_no, p->spec, p->error,
				       sizeof(p->error)) == 0) {
			p->open = true;
			p->error[0] = '\0';
			FL_LOG(FL_LOG_INFO, "port %s (%u) opened", p->name, p->port_no);
		} else {
			p->next_try_ns = now_ns + CTL_RETRY_PORT_NS;
		}
	}
}

int ctl_cmd_add_port(struct ctl_call *c)
{
	const char *name, *spec;
	uint64_t no = 0;
	int ret;

	if (ctl_arg_str(c, "name", true, &name) || ctl_arg_str(c, "spec", true, &spec) ||
	    ctl_arg_u64(c, "port_no", false, 1, FL_DP_PORT_NO_MAX - 1, &no))
		return -EINVAL;
	ret = ctl_port_add(c->ctl, name, (uint32_t)no, spec, false, c->err, sizeof(c->err));
	if (ret < 0)
		return ret;
	c->changed = true;
	fl_jw_kstr(c->res, "name", name);
	fl_jw_ku64(c->res, "port_no", c->ctl->ports[c->ctl->n_ports - 1].port_no);
	return 0;
}

int ctl_cmd_del_port(struct ctl_call *c)
{
	struct fl_control *ctl = c->ctl;
	struct ctl_port *p;
	const char *name;
	int ret;

	if (ctl_arg_str(c, "port", true, &name))
		return -EINVAL;
	p = ctl_port_find(ctl, name);
	if (!p)
		return ctl_fail(c, -ENOENT, "no port '%s'", name);
	ctl_capture_port_gone(ctl, p->name);
	if (p->open) {
		ret = fl_switch_del_port(ctl->sw, p->name, c->err, sizeof(c->err));
		if (ret < 0)
			return ret;
	}
	fl_jw_kstr(c->res, "name", p->name);
	fl_jw_ku64(c->res, "port_no", p->port_no);
	memmove(p, p + 1, (size_t)(&ctl->ports[ctl->n_ports] - (p + 1)) * sizeof(*p));
	ctl->n_ports--;
	c->changed = true;
	return 0;
}

/* The switch's view of a configured port; false if it is not open. */
static bool port_info(struct fl_control *ctl, const struct ctl_port *p,
		      struct fl_switch_port_info *info)
{
	unsigned i, n = fl_switch_n_ports(ctl->sw);

	if (!p->open)
		return false;
	for (i = 0; i < n; i++)
		if (fl_switch_port_info(ctl->sw, i, info) == 0 && !strcmp(info->name, p->name))
			return true;
	return false;
}

static void drops_json(struct fl_jw *w, const char *key, const uint64_t *drops)
{
	unsigned d;

	fl_jw_key(w, key);
	fl_jw_obj(w);
	for (d = 0; d < FL_PORT_DROP_MAX; d++)
		fl_jw_ku64(w, fl_port_drop_name(d), drops[d]);
	fl_jw_obj_end(w);
}

static void port_json(struct fl_jw *w, const struct ctl_port *p,
		      const struct fl_switch_port_info *info, bool open, bool details)
{
	unsigned q;

	fl_jw_obj(w);
	fl_jw_kstr(w, "name", p->name);
	fl_jw_ku64(w, "port_no", p->port_no);
	fl_jw_kbool(w, "open", open);
	fl_jw_kbool(w, "up", open && info->up);
	if (details) {
		fl_jw_kstr(w, "spec", p->spec);
		fl_jw_kstr(w, "type", open ? info->type : "");
		fl_jw_kstr(w, "error", open ? info->error : p->error);
	}
	if (!open) {
		fl_jw_obj_end(w);
		return;
	}
	if (details) {
		fl_jw_ku64(w, "mtu", info->mtu);
		fl_jw_ku64(w, "link_changes", info->link_changes);
		fl_jw_ku64(w, "n_rxq", info->n_rxq);
		fl_jw_ku64(w, "n_txq", info->n_txq);
		fl_jw_key(w, "rxq_workers");
		fl_jw_arr(w);
		for (q = 0; q < info->n_rxq && q < FL_PORT_MAX_QUEUES; q++)
			fl_jw_u64(w, info->rxq_worker[q]);
		fl_jw_arr_end(w);
		fl_jw_obj_end(w);
		return;
	}
	fl_jw_ku64(w, "rx_packets", info->stats.rx_packets);
	fl_jw_ku64(w, "rx_bytes", info->stats.rx_bytes);
	fl_jw_ku64(w, "tx_packets", info->stats.tx_packets);
	fl_jw_ku64(w, "tx_bytes", info->stats.tx_bytes);
	drops_json(w, "rx_drops", info->stats.rx_drops);
	drops_json(w, "tx_drops", info->stats.tx_drops);
	fl_jw_obj_end(w);
}

int ctl_cmd_show(struct ctl_call *c)
{
	struct fl_control *ctl = c->ctl;
	struct fl_switch_port_info info;
	struct fl_pipeline_stats ps;
	unsigned i, n = fl_switch_n_workers(ctl->sw);

	fl_jw_key(c->res, "ports");
	fl_jw_arr(c->res);
	for (i = 0; i < ctl->n_ports; i++) {
		bool open = port_info(ctl, &ctl->ports[i], &info);

		port_json(c->res, &ctl->ports[i], &info, open, true);
	}
	fl_jw_arr_end(c->res);
	fl_jw_key(c->res, "workers");
	fl_jw_arr(c->res);
	for (i = 0; i < n; i++) {
		struct fl_switch_worker_info wi;

		if (fl_switch_worker_info(ctl->sw, i, &wi))
			continue;
		fl_jw_obj(c->res);
		fl_jw_ku64(c->res, "id", wi.id);
		fl_jw_key(c->res, "cpu");
		fl_jw_i64(c->res, wi.cpu);
		fl_jw_ku64(c->res, "rxqs", wi.n_rxqs);
		fl_jw_ku64(c->res, "packets", wi.stats.packets);
		fl_jw_ku64(c->res, "loops", wi.stats.loops);
		fl_jw_ku64(c->res, "idle_loops", wi.stats.idle_loops);
		fl_jw_ku64(c->res, "sleeps", wi.stats.sleeps);
		fl_jw_ku64(c->res, "polls_cut_short", wi.stats.polls_cut_short);
		fl_jw_ku64(c->res, "busy_cycles", wi.stats.busy_cycles);
		fl_jw_obj_end(c->res);
	}
	fl_jw_arr_end(c->res);
	fl_pipeline_get_stats(fl_switch_pipeline(ctl->sw), &ps);
	fl_jw_key(c->res, "pipeline");
	fl_jw_obj(c->res);
	fl_jw_ku64(c->res, "version", ps.version);
	fl_jw_ku64(c->res, "rules", ps.n_rules);
	fl_jw_ku64(c->res, "mac_entries", ps.mac_entries);
	fl_jw_obj_end(c->res);
	return 0;
}

int ctl_cmd_dump_ports(struct ctl_call *c)
{
	struct fl_control *ctl = c->ctl;
	struct fl_switch_port_info info;
	const char *only = NULL;
	struct ctl_port *one = NULL;
	unsigned i;

	if (ctl_arg_str(c, "port", false, &only))
		return -EINVAL;
	if (only && !(one = ctl_port_find(ctl, only)))
		return ctl_fail(c, -ENOENT, "no port '%s'", only);
	fl_jw_key(c->res, "ports");
	fl_jw_arr(c->res);
	for (i = 0; i < ctl->n_ports; i++) {
		bool open;

		if (one && one != &ctl->ports[i])
			continue;
		open = port_info(ctl, &ctl->ports[i], &info);
		port_json(c->res, &ctl->ports[i], &info, open, false);
	}
	fl_jw_arr_end(c->res);
	return 0;
}
