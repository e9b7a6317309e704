/* Datapath action execution, a group of packets at a time (execute.h). */
#include "datapath/execute.h"

#include "core/counter.h"
#include "proto/rewrite.h"

/* A copy of pkt in a fresh buffer: frame, offsets and offload metadata. */
static struct fl_pkt *clone_pkt(struct fl_pool_cache *cache, const struct fl_pkt *pkt)
{
	struct fl_pkt *copy;

	if (FL_UNLIKELY(pkt->big)) {
		/* a super-frame needs a big buffer as well */
		copy = fl_pool_cache_get_big(cache);
		if (!copy)
			return NULL;
	} else if (fl_pool_get_burst(cache, &copy, 1) != 1) {
		return NULL;
	}
	copy->data_off = pkt->data_off;
	copy->len = pkt->len;
	memcpy(fl_pkt_data(copy), fl_pkt_cdata(pkt), pkt->len);
	copy->in_port = pkt->in_port;
	copy->rss_hash = pkt->rss_hash;
	copy->ol_flags = pkt->ol_flags;
	copy->l2_5_ofs = pkt->l2_5_ofs;
	copy->l3_ofs = pkt->l3_ofs;
	copy->l4_ofs = pkt->l4_ofs;
	copy->l7_ofs = pkt->l7_ofs;
	copy->queue = pkt->queue;
	copy->timestamp = pkt->timestamp;
	copy->flow_hash = pkt->flow_hash;
	copy->gso_size = pkt->gso_size;
	copy->csum_start = pkt->csum_start;
	copy->csum_offset = pkt->csum_offset;
	return copy;
}

static void output(struct fl_txbufs *tx, struct fl_pool_cache *cache, struct fl_exec_stats *st,
		   uint32_t port_no, struct fl_pkt **pkts, unsigned n, bool last)
{
	unsigned slot = fl_dp_slot_of(tx->dp, port_no), i, k = 0;
	struct fl_pkt *copies[FL_BATCH_MAX];

	if (FL_UNLIKELY(slot == FL_DP_NO_PORT)) {
		fl_counter_add(&st->no_port, n);
		if (last)
			fl_pool_put_bulk(cache, pkts, n);
		return;
	}
	if (last) {
		fl_txbufs_add_burst(tx, cache, slot, pkts, n);
		return;
	}
	for (i = 0; i < n; i++) {
		copies[k] = clone_pkt(cache, pkts[i]);
		if (FL_LIKELY(copies[k] != NULL))
			k++;
	}
	if (k < n)
		fl_counter_add(&st->clone_failed, n - k);
	fl_counter_add(&st->copies, k);
	fl_txbufs_add_burst(tx, cache, slot, copies, k);
}

/* Apply one rewrite to every packet; a packet it cannot apply to is dropped
 * (the megaflow promised the header: counted as bad_header). Returns the
 * packets kept, compacted to the front. */
static unsigned rewrite(struct fl_pool_cache *cache, struct fl_exec_stats *st,
			const struct fl_dpact *a, struct fl_pkt **pkts, unsigned n)
{
	unsigned i, kept = 0;

	for (i = 0; i < n; i++) {
		struct fl_pkt *pkt = pkts[i];
		int err;

		switch ((enum fl_dpact_type)a->type) {
		case FL_DPACT_SET_ETH:
			err = fl_rewrite_eth(pkt, a->eth.src, a->eth.src_mask, a->eth.dst,
					     a->eth.dst_mask);
			break;
		case FL_DPACT_SET_IPV4:
			err = fl_rewrite_ipv4(pkt, a->ipv4.proto, a->ipv4.src, a->ipv4.src_mask,
					      a->ipv4.dst, a->ipv4.dst_mask, a->ipv4.tos,
					      a->ipv4.tos_mask, a->ipv4.ttl, a->ipv4.ttl_mask);
			break;
		case FL_DPACT_SET_IPV6:
			err = fl_rewrite_ipv6(pkt, a->ipv6.proto, a->ipv6.src, a->ipv6.src_mask,
					      a->ipv6.dst, a->ipv6.dst_mask, a->ipv6.tclass,
					      a->ipv6.tclass_mask, a->ipv6.hlimit, a->ipv6.hlimit_mask);
			break;
		case FL_DPACT_SET_L4:
			err = fl_rewrite_l4_ports(pkt, a->l4.proto, a->l4.src, a->l4.src_mask,
						  a->l4.dst, a->l4.dst_mask);
			break;
		case FL_DPACT_PUSH_VLAN:
			err = fl_vlan_push(pkt, a->vlan.tpid, a->vlan.tci);
			break;
		case FL_DPACT_POP_VLAN:
			err = fl_vlan_pop(pkt);
			break;
		case FL_DPACT_SET_VLAN:
			err = fl_vlan_set_tci(pkt, a->vlan.tci, a->vlan.tci_mask);
			break;
		case FL_DPACT_DEC_TTL:
			err = fl_rewrite_dec_ttl(pkt);
			break;
		default:
			err = -1;
			break;
		}
		if (FL_LIKELY(err == 0)) {
			pkts[kept++] = pkt;
		} else {
			fl_counter_inc(&st->bad_header);
			fl_pool_put(cache, pkt);
		}
	}
	return kept;
}

void fl_execute(struct fl_txbufs *tx, struct fl_pool_cache *cache, struct fl_exec_stats *st,
		const struct fl_dp_actions *acts, struct fl_pkt **pkts, unsigned n)
{
	unsigned i, outputs_left = acts->n_outputs;

	if (outputs_left == 0) {
		fl_counter_add(&st->dropped_by_actions, n);
		fl_pool_put_bulk(cache, pkts, n);
		return;
	}
	for (i = 0; i < acts->n && n > 0; i++) {
		const struct fl_dpact *a = &acts->acts[i];

		if (a->type == FL_DPACT_OUTPUT) {
			outputs_left--;
			output(tx, cache, st, a->output.port, pkts, n, outputs_left == 0);
			if (outputs_left == 0)
				return; /* translation drops actions after the last output */
		} else {
			n = rewrite(cache, st, a, pkts, n);
		}
	}
}
