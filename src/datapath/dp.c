/* The datapath object: the pool, the ports and the pipeline.
 * Workers that move packets between them are in worker.c and fastpath.c. */
#include "datapath/dp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_DP_DEFAULT_BUFS 16384u
#define FL_DP_DEFAULT_BIG_BUFS 128u
#define FL_DP_DEFAULT_MF_LIMIT 200000u
#define FL_DP_DEFAULT_MF_IDLE_MS 10000u

static void fill_defaults(struct fl_dp_params *p)
{
	if (!p->n_bufs)
		p->n_bufs = FL_DP_DEFAULT_BUFS;
	if (!p->n_big_bufs)
		p->n_big_bufs = FL_DP_DEFAULT_BIG_BUFS;
	if (!p->emc_entries)
		p->emc_entries = FL_EMC_DEFAULT_ENTRIES;
	if (!p->emc_inv_prob)
		p->emc_inv_prob = FL_EMC_DEFAULT_INV_PROB;
	if (!p->mf_limit)
		p->mf_limit = FL_DP_DEFAULT_MF_LIMIT;
	if (!p->mf_idle_ms)
		p->mf_idle_ms = FL_DP_DEFAULT_MF_IDLE_MS;
}

struct fl_dp *fl_dp_create(const struct fl_dp_params *params)
{
	struct fl_pool_params pp = {.name = "dp"};
	struct fl_dp *dp;
	unsigned i;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	if (params)
		dp->params = *params;
	fill_defaults(&dp->params);
	pp.n_bufs = dp->params.n_bufs;
	pp.huge = dp->params.huge;
	dp->slot_of_no = malloc(FL_DP_PORT_NO_MAX * sizeof(dp->slot_of_no[0]));
	if (!dp->slot_of_no)
		goto err_free_dp;
	for (i = 0; i < FL_DP_PORT_NO_MAX; i++)
		dp->slot_of_no[i] = FL_DP_NO_PORT;
	dp->pool = fl_pool_create(&pp);
	if (!dp->pool)
		goto err_free_map;
	dp->big_pool = fl_pool_create(&(struct fl_pool_params){
		.name = "dp-big", .n_bufs = dp->params.n_big_bufs, .huge = FL_POOL_HUGE_NEVER,
		.big = true});
	if (!dp->big_pool)
		goto err_free_pool;
	fl_pool_attach_big(dp->pool, dp->big_pool);
	dp->pl = fl_pipeline_create(&(struct fl_pipeline_params){
		.mac_aging_s = dp->params.mac_aging_s,
	});
	if (!dp->pl)
		goto err_free_pool;
	return dp;

err_free_pool:
	fl_pool_destroy(dp->big_pool);
	fl_pool_destroy(dp->pool);
err_free_map:
	free(dp->slot_of_no);
err_free_dp:
	free(dp);
	return NULL;
}

void fl_dp_destroy(struct fl_dp *dp)
{
	unsigned i;

	if (!dp)
		return;
	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i])
			fl_port_close(dp->ports[i]);
	fl_pipeline_destroy(dp->pl);
	fl_pool_destroy(dp->big_pool);
	fl_pool_destroy(dp->pool);
	free(dp->slot_of_no);
	free(dp);
}

static uint32_t next_free_port_no(const struct fl_dp *dp)
{
	uint32_t no;

	for (no = 1; no < FL_DP_PORT_NO_MAX; no++)
		if (dp->slot_of_no[no] == FL_DP_NO_PORT)
			return no;
	return 0;
}

int fl_dp_add_port(struct fl_dp *dp, const char *name, uint32_t port_no, const char *spec,
		   char *err, size_t errlen)
{
	struct fl_port *port;
	unsigned i, slot = dp->n_ports;

	for (i = 0; i < dp->n_ports; i++)
		if (!dp->ports[i] && slot == dp->n_ports)
			slot = i; /* a slot a deleted port left */
	if (slot == FL_DP_MAX_PORTS) {
		snprintf(err, errlen, "port %s: too many ports (at most %u)", name,
			 FL_DP_MAX_PORTS);
		return -ENOSPC;
	}
	if (!name[0] || strlen(name) >= FL_PORT_NAME_MAX) {
		snprintf(err, errlen, "port name '%s': must be 1 to %u characters", name,
			 FL_PORT_NAME_MAX - 1);
		return -EINVAL;
	}
	for (i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i] && strcmp(dp->ports[i]->name, name) == 0) {
			snprintf(err, errlen, "port %s: a port of that name exists", name);
			return -EEXIST;
		}
	}
	if (port_no == 0)
		port_no = next_free_port_no(dp);
	if (port_no == 0 || port_no >= FL_DP_PORT_NO_MAX) {
		snprintf(err, errlen, "port %s: port number must be 1 to %u", name,
			 FL_DP_PORT_NO_MAX - 1);
		return -EINVAL;
	}
	if (dp->slot_of_no[port_no] != FL_DP_NO_PORT) {
		snprintf(err, errlen, "port %s: port number %u is taken by %s", name, port_no,
			 dp->ports[dp->slot_of_no[port_no]]->name);
		return -EEXIST;
	}
	port = fl_port_open(name, port_no, spec, dp->pool, err, errlen);
	if (!port)
		return errno ? -errno : -EINVAL;
	if (fl_pipeline_port_add(dp->pl, port_no, name) < 0) {
		snprintf(err, errlen, "port %s: the pipeline refused port %u", name, port_no);
		fl_port_close(port);
		return -EINVAL;
	}
	/* workers of a running switch read these: the port before its number */
	__atomic_store_n(&dp->ports[slot], port, __ATOMIC_RELEASE);
	__atomic_store_n(&dp->slot_of_no[port_no], (uint16_t)slot, __ATOMIC_RELEASE);
	if (slot == dp->n_ports)
		dp->n_ports++;
	return 0;
}

void fl_dp_unmap_port(struct fl_dp *dp, struct fl_port *port)
{
	__atomic_store_n(&dp->slot_of_no[port->port_no], FL_DP_NO_PORT, __ATOMIC_RELEASE);
	fl_pipeline_port_del(dp->pl, port->port_no);
}

void fl_dp_close_port(struct fl_dp *dp, struct fl_port *port)
{
	unsigned i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i] == port)
			__atomic_store_n(&dp->ports[i], NULL, __ATOMIC_RELEASE);
	while (dp->n_ports && !dp->ports[dp->n_ports - 1])
		dp->n_ports--;
	fl_port_close(port);
}

struct fl_port *fl_dp_find_port(const struct fl_dp *dp, const char *name_or_no)
{
	char *end;
	unsigned long no;
	unsigned i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i] && strcmp(dp->ports[i]->name, name_or_no) == 0)
			return dp->ports[i];
	no = strtoul(name_or_no, &end, 10);
	if (*name_or_no && !*end && no < FL_DP_PORT_NO_MAX &&
	    dp->slot_of_no[no] != FL_DP_NO_PORT)
		return dp->ports[dp->slot_of_no[no]];
	return NULL;
}

int fl_dp_map(struct fl_dp *dp, const struct fl_port *in, const struct fl_port *out)
{
	char flow[96], err[256];

	if (out)
		snprintf(flow, sizeof(flow), "in_port=%u,actions=output:%u", in->port_no,
			 out->port_no);
	else
		snprintf(flow, sizeof(flow), "in_port=%u,actions=drop", in->port_no);
	return fl_dp_add_flows(dp, flow, err, sizeof(err));
}

int fl_dp_add_flows(struct fl_dp *dp, const char *text, char *err, size_t errlen)
{
	int ret = fl_pipeline_flow_mod_text(dp->pl, text, NULL, FL_FLOW_ADD, err, errlen);

	return ret < 0 ? ret : 0;
}
