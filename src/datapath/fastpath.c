/* The way of a packet through a worker: parse, EMC, megaflow cache, upcall,
 * then actions executed per group of packets that share a megaflow.
 *
 *   keys          <- fl_parse_batch                         (per packet)
 *   repeats       <- a packet equal to the one before shares its lookup
 *   EMC           <- emc_hash and fl_emc_lookup_batch_map on the others,
 *                    while the EMC pays (adapt_emc)
 *   megaflows     <- fl_mf_lookup_batch on the EMC misses   (key & mask)
 *   stale?        <- entry version != pipeline version: re-translate first
 *   upcall        <- fl_pipeline_translate on the rest, install megaflow + EMC
 *   groups        <- packets by megaflow (a burst that hit one megaflow is
 *                    one group as it is); account; fl_execute per group
 *
 * Consistency: the pipeline version is read once per batch, after rx. A
 * megaflow translated under an older version is re-translated before its
 * actions are used, so a packet received after a flow-mod returned is never
 * handled by the rules it replaced (DESIGN.md, Consistency).
 *
 * Nothing here allocates or locks on a cache hit; an upcall translates (the
 * pipeline may take its MAC-learning lock) and installs a megaflow from the
 * cache's preallocated entries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "datapath/execute.h"
#include "datapath/worker_private.h"
#include "flow/keyops.h"

/* The EMC's hash, computed only for the packets the EMC looks up (and
 * stored in their pkt->flow_hash): CRC32C over the key words a packet can
 * set — in_port and recirculation, tunnel, L2, addresses, the IP protocol
 * word, ports — in three independent lanes. Registers, metadata and
 * conntrack words are zero in a freshly parsed key, and equal keys hash
 * equal whatever words are left out, so this is a valid exact-match hash
 * at about half the cost of fl_key_hash over all 24 words (the whole fast
 * path went from 491 to 453 instructions per packet under callgrind, one
 * flow, gen -> null). */
static inline uint32_t emc_hash(const struct fl_key *key)
{
	const uint64_t *k = fl_key_words(key);
	uint64_t a = 0xffffffffu, b = FL_KEY_LANE_SEED1, c = FL_KEY_LANE_SEED2;

	a = fl_key_crc_step(a, k[0]);
	b = fl_key_crc_step(b, k[9]);
	c = fl_key_crc_step(c, k[12]);
	a = fl_key_crc_step(a, k[22]);
	b = fl_key_crc_step(b, k[10]);
	c = fl_key_crc_step(c, k[17]);
	a = fl_key_crc_step(a, k[11]);
	b = fl_key_crc_step(b, k[13] ^ k[15]);
	c = fl_key_crc_step(c, k[14] ^ k[16]);
	a = fl_key_crc_step(a, k[7] ^ k[8] ^ k[23]);
	a = fl_key_crc_step(a, b | c << 32);
	return ~(uint32_t)a;
}

struct group {
	struct fl_mf_entry *flow;
	unsigned n;
	uint64_t bytes;
	struct fl_pkt *pkts[FL_BATCH_MAX];
};

/* Remember the MAC address NORMAL learned from this megaflow's packets, so
 * hits can keep it from aging out (refresh_learning). */
static void set_learning(struct fl_mf_entry *e, const struct fl_xlate_result *res, uint64_t now)
{
	if (!res->has_mac) {
		e->learn_port = 0;
		return;
	}
	memcpy(e->learn_mac, res->mac.mac, 6);
	e->learn_vlan = res->mac.vlan;
	e->learn_port = res->mac.port;
	e->learn_touched_s = (uint32_t)(now / 1000000000u);
}

/* Packets keep hitting a megaflow NORMAL made: tell the MAC table its
 * source is alive, at most once a second per megaflow (the table's lock is
 * never taken per packet). Without this a busy host's entry would age out
 * after 300 s and every worker would re-translate its flows. */
static void refresh_learning(struct fl_worker *w, struct fl_mf_entry *e, uint64_t now)
{
	uint32_t now_s = (uint32_t)(now / 1000000000u);
	struct fl_mac_ref ref;

	if (FL_LIKELY(!e->learn_port || e->learn_touched_s == now_s))
		return;
	e->learn_touched_s = now_s;
	memcpy(ref.mac, e->learn_mac, 6);
	ref.vlan = e->learn_vlan;
	ref.port = e->learn_port;
	fl_pipeline_mac_touch(w->dp->pl, &ref, now);
}

static void execute_uncached(struct fl_worker *w, struct fl_dp_actions *acts, struct fl_pkt *pkt)
{
	fl_execute(&w->tx, &w->cache, &w->stats.exec, acts, &pkt, 1);
	fl_dp_actions_unref(acts);
}

/* Install the translation of keys[i] as a megaflow; NULL if it is not
 * cacheable or the cache is full (then the packet was executed here). */
static struct fl_mf_entry *install(struct fl_worker *w, struct fl_pkt **pkts, unsigned i,
				   struct fl_xlate_result *res, uint64_t now)
{
	struct fl_match m;
	struct fl_mf_entry *e;

	if (!res->cacheable) {
		fl_counter_inc(&w->stats.uncached);
		execute_uncached(w, res->actions, pkts[i]);
		return NULL;
	}
	m.mask = res->wc;
	fl_key_and(&w->keys[i], &res->wc, &m.value);
	e = fl_mf_insert(w->mf, &m, res->actions, res->version, (void *const *)res->rules,
			 res->n_rules, now);
	if (!e) {
		fl_counter_inc(&w->stats.mf_install_failed);
		execute_uncached(w, res->actions, pkts[i]);
		return NULL;
	}
	set_learning(e, res, now);
	return e;
}

/* Forget `old` for packets i.. of the batch: they look it up again. */
static void drop_flow_refs(struct fl_mf_entry **flows, unsigned i, unsigned n,
			   const struct fl_mf_entry *old, uint32_t *miss)
{
	for (; i < n; i++) {
		if (flows[i] == old) {
			flows[i] = NULL;
			*miss |= 1u << i;
		}
	}
}

/* flows[i] was translated under an older version: translate again and keep
 * the entry when the mask is the same, else replace it by a new megaflow. */
static void revalidate(struct fl_worker *w, struct fl_pkt **pkts, struct fl_mf_entry **flows,
		       unsigned i, unsigned n, uint32_t *miss, uint64_t now)
{
	struct fl_mf_entry *old = flows[i];
	struct fl_xlate_result res;
	struct fl_match m;

	fl_counter_inc(&w->stats.revalidations);
	if (fl_pipeline_translate(w->dp->pl, &w->keys[i], &res, NULL) < 0) {
		drop_flow_refs(flows, i, n, old, miss);
		return;
	}
	fl_mf_entry_get_match(old, &m);
	if (res.cacheable && memcmp(&m.mask, &res.wc, sizeof(res.wc)) == 0) {
		fl_mf_replace(w->mf, old, res.actions, res.version, (void *const *)res.rules,
			      res.n_rules);
		set_learning(old, &res, now);
		return;
	}
	/* the new translation looks at other bits: the old megaflow may cover
	 * packets it no longer should, so it goes, and its other packets of this
	 * batch are looked up again */
	drop_flow_refs(flows, i + 1, n, old, miss);
	fl_mf_remove(w->mf, old);
	flows[i] = install(w, pkts, i, &res, now);
}

/* A packet no cache knew: translate it, install the result, and execute it
 * at once with the actions of its own translation. Executing it here rather
 * with its group keeps OpenFlow's in-order semantics when a later packet of
 * the same batch re-translates the same megaflow under a newer version (a
 * MAC learned in between): this packet still gets what was true when it
 * arrived. It hashes the key for the EMC again: a repeat has no hash of its
 * own, and next to a translation the hash costs nothing. */
static void upcall(struct fl_worker *w, struct fl_pkt **pkts, struct fl_mf_entry **flows,
		   unsigned i, uint64_t version, uint64_t now)
{
	struct fl_xlate_result res;
	struct fl_dp_actions *acts;
	struct fl_mf_entry *e;
	unsigned r;

	/* an earlier upcall of this batch may have installed what covers it */
	e = fl_mf_lookup(w->mf, &w->keys[i]);
	if (e && e->version == version) {
		__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
		flows[i] = e;
		if (w->emc_active)
			fl_emc_insert(w->emc, &w->keys[i], emc_hash(&w->keys[i]), e);
		return;
	}
	fl_counter_inc(&w->stats.upcalls);
	flows[i] = NULL; /* executed here, not with a group */
	if (fl_pipeline_translate(w->dp->pl, &w->keys[i], &res, NULL) < 0) {
		fl_counter_inc(&w->stats.upcall_failed);
		fl_pool_put(&w->cache, pkts[i]);
		return;
	}
	acts = res.actions;
	fl_dp_actions_ref(acts); /* one for the cache, one for executing here */
	e = install(w, pkts, i, &res, now);
	if (!e) {
		fl_dp_actions_unref(acts); /* install executed it uncached */
		return;
	}
	if (w->emc_active)
		fl_emc_insert(w->emc, &w->keys[i], emc_hash(&w->keys[i]), e);
	fl_mf_entry_account(e, 1, pkts[i]->len, now);
	for (r = 0; r < e->n_rules; r++)
		fl_rule_account(e->rules[r], 1, pkts[i]->len, now);
	fl_execute(&w->tx, &w->cache, &w->stats.exec, acts, &pkts[i], 1);
	fl_dp_actions_unref(acts);
}

/* Account a group's hits to its megaflow and rules, then run its actions. */
static void execute_group(struct fl_worker *w, struct fl_mf_entry *e, struct fl_pkt **pkts,
			  unsigned n, uint64_t bytes, uint64_t now)
{
	unsigned r;

	fl_mf_entry_account(e, n, bytes, now);
	for (r = 0; r < e->n_rules; r++)
		fl_rule_account(e->rules[r], n, bytes, now);
	refresh_learning(w, e, now);
	fl_execute(&w->tx, &w->cache, &w->stats.exec, e->actions, pkts, n);
}

static void execute_groups(struct fl_worker *w, struct fl_pkt **pkts, struct fl_mf_entry **flows,
			   unsigned n, uint64_t now)
{
	struct group groups[FL_BATCH_MAX];
	struct fl_mf_entry *e = flows[0];
	unsigned n_groups = 0, i, g;
	uint64_t bytes = 0;
	bool one = e != NULL;

	/* The whole burst hit one megaflow (one busy flow, or many flows that
	 * one rule treats alike): it is one group as it stands, in pkts. One
	 * branch-free pass finds out and counts its bytes. */
	for (i = 0; i < n; i++) {
		one &= flows[i] == e;
		bytes += pkts[i]->len;
	}
	if (FL_LIKELY(one)) {
		execute_group(w, e, pkts, n, bytes, now);
		return;
	}
	for (i = 0; i < n; i++) {
		e = flows[i];
		if (!e)
			continue; /* executed uncached, or dropped */
		g = n_groups;
		if (n_groups && groups[n_groups - 1].flow == e) {
			g = n_groups - 1; /* the common case: a run of one flow */
		} else {
			for (g = 0; g < n_groups; g++)
				if (groups[g].flow == e)
					break;
		}
		if (g == n_groups) {
			groups[g].flow = e;
			groups[g].n = 0;
			groups[g].bytes = 0;
			n_groups++;
		}
		groups[g].pkts[groups[g].n++] = pkts[i];
		groups[g].bytes += pkts[i]->len;
	}
	for (g = 0; g < n_groups; g++)
		execute_group(w, groups[g].flow, groups[g].pkts, groups[g].n, groups[g].bytes, now);
}

/* The megaflow cache for the leaders in *miss. Many flows that one rule
 * treats alike share one megaflow (a port forward, an L2 switch with few
 * hosts, an ACL's default), so the first leader is looked up alone and the
 * others are first matched against the entry it found: a masked compare
 * with the mask and value in registers instead of a hash, a bucket probe
 * and a compare per subtable. Megaflows never overlap, so a live entry that
 * matches is the answer. The rest go through the batch lookup. Measured
 * with callgrind, gen -> null, 10,000 flows, 1 rule: the megaflow stage went
 * from ~130 to ~40 instructions per packet; where nothing shares, each
 * leader pays ~30 more. (Hits found this way probe no subtable, which is
 * what adapt_emc() should see.) */
static unsigned mf_lookup(struct fl_worker *w, unsigned n, struct fl_mf_entry **flows,
			  uint32_t *miss)
{
	unsigned first = (unsigned)__builtin_ctz(*miss), hits = 0;
	uint32_t rest = *miss & (*miss - 1), same;
	struct fl_mf_entry *e;
	struct fl_match m;

	e = fl_mf_lookup(w->mf, &w->keys[first]);
	flows[first] = e;
	if (e) {
		hits++;
		*miss = rest;
		if (rest) {
			fl_mf_entry_get_match(e, &m);
			same = fl_keys_match_map(w->keys, rest, &m.mask, &m.value);
			for (rest &= ~same; same; same &= same - 1)
				flows[__builtin_ctz(same)] = e;
			hits += (unsigned)__builtin_popcount(*miss & ~rest);
			*miss = rest;
		}
	}
	if (rest) {
		uint32_t map = rest;

		hits += fl_mf_lookup_batch(w->mf, w->keys, n, flows, &map);
		*miss = (*miss & ~rest) | map;
	}
	return hits;
}

void fl_fastpath_process(struct fl_worker *w, struct fl_pkt **pkts, unsigned n)
{
	struct fl_mf_entry *flows[FL_BATCH_MAX];
	uint32_t hashes[FL_BATCH_MAX];
	uint32_t all = n == 32 ? UINT32_MAX : (1u << n) - 1, miss, emc_miss, dups, m;
	uint64_t now = fl_time_ns(), version;
	unsigned i, hits;
	bool stale;

	fl_parse_batch(pkts, n, w->keys, &w->stats.parse);
	/* A packet of the same flow as the one before it (a burst of one
	 * connection, the usual case on a busy link) shares its lookup; only
	 * the others ("leaders") go to the caches. */
	dups = fl_keys_repeat_map(w->keys, n);
	miss = all & ~dups;
	version = fl_pipeline_version(w->dp->pl);

	if (w->emc_active) {
		/* only the EMC needs the full-key hash: the megaflow cache hashes
		 * each subtable's words itself */
		for (m = miss; m; m &= m - 1) {
			i = (unsigned)__builtin_ctz(m);
			hashes[i] = emc_hash(&w->keys[i]);
			pkts[i]->flow_hash = hashes[i];
		}
		hits = fl_emc_lookup_batch_map(w->emc, w->keys, hashes, n, flows, &miss);
		fl_counter_add(&w->stats.emc_hits, hits);
	}
	emc_miss = miss;
	if (miss) {
		hits = mf_lookup(w, n, flows, &miss);
		fl_counter_add(&w->stats.mf_hits, hits);
	}
	/* mark what this batch uses before any insert may evict; a repeat
	 * shares its leader's entry, so the leaders say it all */
	stale = false;
	for (m = all & ~dups; m; m &= m - 1) {
		struct fl_mf_entry *e;

		i = (unsigned)__builtin_ctz(m);
		e = flows[i];
		if (e) {
			__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
			stale |= e->version != version;
		}
	}
	/* repeats take their leader's result (in order, so runs chain) */
	for (m = dups; m; m &= m - 1) {
		i = (unsigned)__builtin_ctz(m);
		flows[i] = flows[i - 1];
	}
	/* a repeat of a leader that missed misses too: the leader's upcall will
	 * install what it then finds */
	for (m = miss ? dups : 0; m; m &= m - 1) {
		i = (unsigned)__builtin_ctz(m);
		if (!flows[i])
			miss |= 1u << i;
	}
	fl_counter_add(&w->stats.batched_dups, (unsigned)__builtin_popcount(dups));
	for (i = 0; FL_UNLIKELY(stale) && i < n; i++) {
		if (flows[i] && flows[i]->version != version)
			revalidate(w, pkts, flows, i, n, &miss, now);
	}
	if (w->emc_active) {
		uint32_t mf_hits = emc_miss & ~miss;

		while (mf_hits) {
			i = (unsigned)__builtin_ctz(mf_hits);
			mf_hits &= mf_hits - 1;
			if (flows[i])
				fl_emc_insert(w->emc, &w->keys[i], hashes[i], flows[i]);
		}
	}
	while (miss) {
		i = (unsigned)__builtin_ctz(miss);
		miss &= miss - 1;
		upcall(w, pkts, flows, i, version, now);
		/* a translation may itself publish a version (NORMAL learned a MAC):
		 * what the next miss finds installed must be as new as that, or a
		 * packet right behind a learning one would still be flooded */
		version = fl_pipeline_version(w->dp->pl);
	}
	execute_groups(w, pkts, flows, n, now);
}

/* The EMC only pays when a megaflow lookup is dear: with one or two
 * subtables a megaflow hit touches one compact entry, while an EMC hit
 * compares a 192-byte key from a table that no longer fits in cache once
 * there are thousands of flows. Measured with flowlane, gen -> null, one
 * rule: 10,000 flows 22.0 Mpps with the EMC, 38.0 without; 100,000 flows
 * 23.0 and 33.3; 1 flow about equal. So the worker watches how many
 * subtables its megaflow hits probe and uses the EMC only above ~1.5 (with
 * hysteresis), as an ACL with many masks needs. The hits are the worker's
 * (mf_lookup's shared-entry hits probe no subtable), the probes the
 * cache's. */
static void adapt_emc(struct fl_worker *w)
{
	struct fl_mf_stats st;
	uint64_t hits, probed, all_hits;
	double avg;

	if (!w->emc)
		return;
	fl_mf_get_stats(w->mf, &st);
	all_hits = fl_counter_read(&w->stats.mf_hits);
	hits = all_hits - w->mf_hits_mark;
	probed = st.subtables_probed - w->mf_probed_mark;
	if (hits < 4096)
		return; /* too few to judge: keep the marks, decide later */
	w->mf_hits_mark = all_hits;
	w->mf_probed_mark = st.subtables_probed;
	avg = (double)probed / (double)hits;
	w->emc_active = avg > (w->emc_active ? 1.3 : 1.6);
}

void fl_fastpath_maintain(struct fl_worker *w, uint64_t now_ns)
{
	adapt_emc(w);
	if (now_ns < w->next_sweep_ns)
		return;
	w->next_sweep_ns = now_ns + 100ull * 1000 * 1000;
	fl_mf_sweep(w->mf, now_ns, (uint64_t)w->dp->params.mf_idle_ms * 1000 * 1000, 4096);
}

static void trace_line(struct fl_trace *t, const char *fmt, ...) FL_PRINTF(2, 3);

static void trace_line(struct fl_trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!t || t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->size ? t->len + (size_t)n : t->size - 1;
}

int fl_worker_trace(struct fl_worker *w, const struct fl_key *key, struct fl_trace *trace)
{
	struct fl_xlate_result res;
	struct fl_mf_entry *e = NULL;
	uint32_t hash = emc_hash(key);
	char acts[512];
	int err;

	if (w->emc)
		e = fl_emc_lookup(w->emc, key, hash);
	if (e) {
		trace_line(trace, "cache: EMC hit");
	} else {
		e = fl_mf_lookup(w->mf, key);
		trace_line(trace, e ? "cache: megaflow hit" : "cache: miss (upcall to the pipeline)");
	}
	if (e) {
		fl_dp_actions_format(e->actions, acts, sizeof(acts));
		trace_line(trace, " (cached actions %s%s)\n", acts,
			   e->version != fl_pipeline_version(w->dp->pl)
				   ? ", stale: the next packet re-translates"
				   : "");
	} else {
		trace_line(trace, "\n");
	}
	err = fl_pipeline_translate(w->dp->pl, key, &res, trace);
	if (err < 0)
		return err;
	fl_dp_actions_unref(res.actions);
	return 0;
}
