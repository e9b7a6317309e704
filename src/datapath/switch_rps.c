/* Software steering (RPS) between the switch's workers: one SPSC ring per
 * ordered pair of workers, set up and torn down by the control thread. A
 * port with fewer rx queues than there are workers is then spread over all
 * of them by RSS hash, so each flow is handled by one worker. */
#include "datapath/switch.h"

#include <stdlib.h>

#include "core/log.h"
#include "datapath/switch_private.h"
#include "datapath/worker_private.h"

#define FL_LOG_MODULE "switch"
#define CALL_TIMEOUT_MS 5000u

static void do_set_rps(struct fl_worker *w, void *arg)
{
	fl_worker_set_rps(w, arg);
}

/* Turn steering off on every worker, then return what is still in the
 * rings to the pool and free them. */
void fl_switch__rps_free(struct fl_switch *sw)
{
	struct fl_pool_cache cache;
	unsigned i, j;

	if (!sw->rps_n)
		return;
	for (i = 0; i < sw->n_workers; i++)
		fl_switch_call(sw, i, do_set_rps, NULL, CALL_TIMEOUT_MS);
	fl_pool_cache_init(&cache, sw->dp->pool, 0);
	for (i = 0; i < sw->rps_n; i++) {
		for (j = 0; j < sw->rps_n; j++) {
			struct fl_pkt *pkts[32];
			unsigned n;

			if (!sw->rps_ring[i][j])
				continue;
			while ((n = fl_ring_dequeue_burst(sw->rps_ring[i][j], (void **)pkts, 32)))
				fl_pool_put_bulk(&cache, pkts, n);
			fl_ring_destroy(sw->rps_ring[i][j]);
			sw->rps_ring[i][j] = NULL;
		}
	}
	fl_pool_cache_flush(&cache);
	sw->rps_n = 0;
}

void fl_switch__rps_configure(struct fl_switch *sw)
{
	unsigned n = sw->n_workers, i, j;

	fl_switch__rps_free(sw);
	if (n < 2 || sw->params.no_rps || n > FL_RPS_MAX_WORKERS)
		return;
	if (!sw->toeplitz) {
		sw->toeplitz = malloc(sizeof(*sw->toeplitz));
		if (!sw->toeplitz)
			goto nomem;
		fl_toeplitz_init(sw->toeplitz, fl_toeplitz_default_key, false);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j) {
				sw->rps_ring[i][j] = fl_ring_create(FL_RPS_RING_SIZE, FL_RING_SPSC);
				if (!sw->rps_ring[i][j])
					goto nomem;
			}
	sw->rps_n = n;
	for (i = 0; i < n; i++) {
		struct fl_rps r = {.n_workers = n, .self = i, .toeplitz = sw->toeplitz};

		for (j = 0; j < n; j++) {
			r.out[j] = sw->rps_ring[i][j];
			r.in[j] = sw->rps_ring[j][i];
			r.peer[j] = sw->workers[j].w;
		}
		fl_switch_call(sw, i, do_set_rps, &r, CALL_TIMEOUT_MS);
	}
	return;
nomem:
	FL_LOG(FL_LOG_WARN, "no memory for steering rings: single-queue ports stay on one worker");
	sw->rps_n = n;
	fl_switch__rps_free(sw);
}
