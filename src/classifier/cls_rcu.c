/* Retiring memory: free what a reader may still hold after a grace period.
 *
 * The writer retires pointers into a batch as it unlinks them (old tables,
 * trie nodes, emptied subtables, old subtable vectors) and hands the batch
 * over at the end of an operation once it holds 512 pointers or 1 MiB, or
 * when forced (publish, prefix reconfiguration, destroy). One grace period
 * then covers the whole batch, so a stream of removals does not pay one each.
 *
 * How the batch waits depends on the calling thread, because liburcu only
 * lets a registered, online QSBR thread use call_rcu:
 *  - registered and online: call_rcu, the writer does not block;
 *  - otherwise (an unregistered control thread, or one that went offline):
 *    synchronize_rcu, then free. The writer blocks for one grace period per
 *    batch (about one poll loop of the slowest online worker).
 * Either way the classifier itself never reports a quiescent state.
 */
#include <stdlib.h>

#include <urcu/urcu-qsbr.h>

#include "classifier/classifier_private.h"

#define CLS_GARBAGE_PTRS 512
#define CLS_GARBAGE_BYTES (1u << 20)

struct cls_garbage {
	struct rcu_head rcu;
	unsigned n, cap;
	size_t bytes;
	void *ptrs[];
};

static void garbage_free(struct cls_garbage *g)
{
	unsigned i;

	for (i = 0; i < g->n; i++)
		free(g->ptrs[i]);
	free(g);
}

static void garbage_free_cb(struct rcu_head *head)
{
	garbage_free(caa_container_of(head, struct cls_garbage, rcu));
}

static void garbage_hand_over(struct cls_garbage *g)
{
	if (urcu_qsbr_read_ongoing()) {
		urcu_qsbr_call_rcu(&g->rcu, garbage_free_cb);
	} else {
		urcu_qsbr_synchronize_rcu();
		garbage_free(g);
	}
}

void cls_retire(struct fl_classifier *cls, void *p, size_t bytes)
{
	struct cls_garbage *g = cls->garbage, *ng;
	unsigned cap;

	if (!p)
		return;
	if (g && g->n == g->cap) {
		if (g->cap >= CLS_GARBAGE_PTRS) {
			cls->garbage = NULL;
			garbage_hand_over(g);
			g = NULL;
		}
	}
	if (!g || g->n == g->cap) {
		cap = g ? g->cap * 2 : 16;
		ng = realloc(g, sizeof(*ng) + cap * sizeof(void *));
		if (!ng) {
			/* No memory to remember it: wait here instead. */
			urcu_qsbr_synchronize_rcu();
			free(p);
			return;
		}
		if (!g) {
			ng->n = 0;
			ng->bytes = 0;
		}
		ng->cap = cap;
		cls->garbage = g = ng;
	}
	g->ptrs[g->n++] = p;
	g->bytes += bytes;
}

void cls_retire_flush(struct fl_classifier *cls, bool force)
{
	struct cls_garbage *g = cls->garbage;

	if (!g || (!force && g->n < CLS_GARBAGE_PTRS && g->bytes < CLS_GARBAGE_BYTES))
		return;
	cls->garbage = NULL;
	garbage_hand_over(g);
}
