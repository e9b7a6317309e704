/* The null port: `null:` — a sink that never delivers.
 *
 * rx returns nothing and reports eof at once: a source that will never
 * deliver must not keep a run that waits for its inputs to end alive;
 * tx takes every frame and frees it at once. It stands in for a port whose
 * traffic nobody needs (the far side of a benchmark, a black hole in tests)
 * and measures the cost of the datapath with a free output.
 */
#include "port/port.h"

static int null_open(struct fl_port *port, const struct fl_port_args *args, char *err,
		     size_t errlen)
{
	(void)port;
	(void)args;
	(void)err;
	(void)errlen;
	return 0;
}

static void null_close(struct fl_port *port)
{
	(void)port;
}

static unsigned null_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	(void)cache;
	(void)pkts;
	(void)n;
	__atomic_store_n(&port->rxq[queue].eof, true, __ATOMIC_RELAXED);
	return 0;
}

static unsigned null_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	(void)port;
	(void)queue;
	fl_pool_put_bulk(cache, pkts, n);
	return n;
}

static const char *const null_keys[] = {NULL};

const struct fl_port_ops fl_port_null_ops = {
	.type = "null",
	.usage = "null:",
	.keys = null_keys,
	.open = null_open,
	.close = null_close,
	.rx_burst = null_rx_burst,
	.tx_burst = null_tx_burst,
};
