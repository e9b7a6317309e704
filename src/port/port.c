/* The port layer: spec parsing, the backend array, open/close and the
 * helpers every caller needs (stats, link state, wait fd, eof).
 *
 * Everything here is control path. A spec "TYPE:ARGS" is parsed in one place
 * (fl_port_parse_spec), checked against the backend's option keys plus the
 * generic "mtu", and handed to the backend's open. The backends (port_*.c)
 * never see an option they did not declare, so they only check values.
 */
#include "port/port.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_PORT_MTU_DEFAULT 1500u
#define FL_PORT_MTU_MIN 68u /* the IPv4 minimum */
/* the largest L3 payload a buffer holds after Ethernet and one VLAN tag */
#define FL_PORT_MTU_MAX (FL_PKT_DATAROOM - 18u)

/* Order is the order of "known:" lists in error messages and of --help. */
static const struct fl_port_ops *const backends[] = {
	&fl_port_pcap_ops,
	&fl_port_gen_ops,
	&fl_port_null_ops,
	&fl_port_ring_ops,
	&fl_port_tap_ops,
	&fl_port_afpacket_ops,
#ifdef FL_HAVE_AFXDP
	&fl_port_afxdp_ops,
#endif
};

/* Backends meson left out of this build, and why: a spec naming one gets the
 * reason rather than "unknown port type". NULL if `type` is not one. */
static const char *not_built(const char *type)
{
#ifndef FL_HAVE_AFXDP
	if (!strcmp(type, "afxdp"))
		return "not built (libxdp missing at build time)";
#endif
	(void)type;
	return NULL;
}

static const char *const drop_names[] = {
#define FL_PORT_DROP_NAME(name, key, text) key,
	FL_PORT_DROPS(FL_PORT_DROP_NAME)
#undef FL_PORT_DROP_NAME
};

static const char *const drop_texts[] = {
#define FL_PORT_DROP_TEXT(name, key, text) text,
	FL_PORT_DROPS(FL_PORT_DROP_TEXT)
#undef FL_PORT_DROP_TEXT
};

const char *fl_port_drop_name(enum fl_port_drop d)
{
	return (unsigned)d < FL_PORT_DROP_MAX ? drop_names[d] : "unknown";
}

const char *fl_port_drop_text(enum fl_port_drop d)
{
	return (unsigned)d < FL_PORT_DROP_MAX ? drop_texts[d] : "unknown drop reason";
}

static void FL_PRINTF(3, 4) set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Store one "key=value" or bare item of `spec`; [item, end) is non-empty. */
static int parse_item(const char *spec, const char *item, const char *end,
		      struct fl_port_args *args, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', (size_t)(end - item));
	size_t klen = eq ? (size_t)(eq - item) : 0;
	const char *val = eq ? eq + 1 : item;
	size_t vlen = (size_t)(end - val);
	unsigned i;

	if (eq && klen == 0) {
		set_err(err, errlen, "port spec '%s': option '%.*s' has no name", spec,
			(int)(end - item), item);
		return -EINVAL;
	}
	if (!eq && args->n > 0) {
		set_err(err, errlen,
			"port spec '%s': unexpected value '%.*s' (only the first argument may "
			"omit 'key=')", spec, (int)vlen, val);
		return -EINVAL;
	}
	if (klen >= sizeof(args->kv[0].key)) {
		set_err(err, errlen, "port spec '%s': option name '%.*s' too long", spec,
			(int)klen, item);
		return -EINVAL;
	}
	for (i = 0; i < args->n; i++) {
		if (strlen(args->kv[i].key) == klen && !memcmp(args->kv[i].key, item, klen)) {
			set_err(err, errlen, "port spec '%s': option '%.*s' given twice", spec,
				(int)klen, item);
			return -EINVAL;
		}
	}
	if (args->n == FL_PORT_MAX_ARGS) {
		set_err(err, errlen, "port spec '%s': too many options (at most %u)", spec,
			FL_PORT_MAX_ARGS);
		return -EINVAL;
	}
	memcpy(args->kv[args->n].key, item, klen);
	args->kv[args->n].key[klen] = '\0';
	/* vlen < FL_PORT_SPEC_MAX: the whole spec was checked to fit */
	memcpy(args->kv[args->n].value, val, vlen);
	args->kv[args->n].value[vlen] = '\0';
	args->n++;
	return 0;
}

int fl_port_parse_spec(const char *spec, struct fl_port_args *args, char *err, size_t errlen)
{
	const char *colon, *item, *end;
	size_t tlen;
	int ret;

	memset(args, 0, offsetof(struct fl_port_args, kv));
	if (!spec || !*spec) {
		set_err(err, errlen, "empty port spec (expected TYPE:ARGS)");
		return -EINVAL;
	}
	if (strlen(spec) >= FL_PORT_SPEC_MAX) {
		set_err(err, errlen, "port spec '%.32s...' too long (at most %u characters)", spec,
			FL_PORT_SPEC_MAX - 1);
		return -EINVAL;
	}
	/* "null" alone is "null:" — a type that needs no arguments reads naturally */
	colon = strchr(spec, ':');
	tlen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (tlen == 0) {
		set_err(err, errlen, "port spec '%s': missing type before ':'", spec);
		return -EINVAL;
	}
	if (tlen >= sizeof(args->type)) {
		set_err(err, errlen, "port spec '%s': type '%.*s' too long", spec, (int)tlen, spec);
		return -EINVAL;
	}
	memcpy(args->type, spec, tlen);
	args->type[tlen] = '\0';
	if (!colon || !colon[1])
		return 0;

	for (item = colon + 1;; item = end + 1) {
		end = strchr(item, ',');
		if (!end)
			end = item + strlen(item);
		if (end == item) {
			set_err(err, errlen, "port spec '%s': empty option at column %zu", spec,
				(size_t)(item - spec) + 1);
			return -EINVAL;
		}
		ret = parse_item(spec, item, end, args, err, errlen);
		if (ret < 0)
			return ret;
		if (!*end)
			return 0;
	}
}

const char *fl_port_arg(const struct fl_port_args *args, const char *key)
{
	unsigned i;

	for (i = 0; i < args->n; i++)
		if (!strcmp(args->kv[i].key, key))
			return args->kv[i].value;
	return NULL;
}

int fl_port_parse_u64(const char *type, const char *key, const char *value, uint64_t min,
		      uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0, mult = 1;
	const char *p = value;

	if (!*p) {
		set_err(err, errlen, "%s: option %s: empty value", type, key);
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto too_big;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p != value && (*p == 'k' || *p == 'K'))
		mult = 1000, p++;
	else if (p != value && *p == 'M')
		mult = 1000 * 1000, p++;
	else if (p != value && *p == 'G')
		mult = 1000 * 1000 * 1000, p++;
	if (p == value || *p) {
		set_err(err, errlen, "%s: option %s: '%s' is not a number", type, key, value);
		return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		goto too_big;
	v *= mult;
	if (v < min) {
		set_err(err, errlen, "%s: option %s: %s is below the minimum %" PRIu64, type, key,
			value, min);
		return -EINVAL;
	}
	if (v > max)
		goto too_big;
	*out = v;
	return 0;

too_big:
	set_err(err, errlen, "%s: option %s: %s is above the maximum %" PRIu64, type, key, value,
		max);
	return -EINVAL;
}

int fl_port_arg_u64(const struct fl_port_args *args, const char *key, uint64_t def,
		    uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const char *v = fl_port_arg(args, key);

	if (!v) {
		*out = def;
		return 0;
	}
	return fl_port_parse_u64(args->type, key, v, min, max, out, err, errlen);
}

const struct fl_port_ops *fl_port_backend(const char *type)
{
	unsigned i;

	for (i = 0; i < FL_ARRAY_SIZE(backends); i++)
		if (!strcmp(backends[i]->type, type))
			return backends[i];
	return NULL;
}

const struct fl_port_ops *const *fl_port_backends(unsigned *n)
{
	*n = FL_ARRAY_SIZE(backends);
	return backends;
}

static bool ops_has_key(const struct fl_port_ops *ops, const char *key)
{
	const char *const *k;

	if (!strcmp(key, "mtu"))
		return true;
	for (k = ops->keys; k && *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

/* Every option must be one the backend declared (or the generic mtu). The
 * "known:" list names the backend's own options, which is what a misspelling
 * is usually of; mtu is named only for a backend that has none. */
static int check_keys(const struct fl_port_ops *ops, const struct fl_port_args *args,
		      char *err, size_t errlen)
{
	const char *const *k;
	size_t len = 0;
	unsigned i;

	for (i = 0; i < args->n && ops_has_key(ops, args->kv[i].key); i++)
		;
	if (i == args->n)
		return 0;
	if (!args->kv[i].key[0]) {
		set_err(err, errlen, "%s: unexpected value '%s' (usage: %s)", ops->type,
			args->kv[i].value, ops->usage);
		return -EINVAL;
	}
	len = (size_t)snprintf(err, errlen, "%s: unknown option '%s' (known:", ops->type,
			       args->kv[i].key);
	for (k = ops->keys; k && *k && len < errlen; k++)
		if (**k)
			len += (size_t)snprintf(err + len, errlen - len, "%s %s",
						len && err[len - 1] == ':' ? "" : ",", *k);
	if (len < errlen)
		snprintf(err + len, errlen - len, "%s)", err[len - 1] == ':' ? " mtu" : "");
	return -EINVAL;
}

static void *alloc_aligned(size_t size)
{
	size_t rounded = (size + FL_CACHE_LINE - 1) & ~(size_t)(FL_CACHE_LINE - 1);
	void *p = aligned_alloc(FL_CACHE_LINE, rounded ? rounded : FL_CACHE_LINE);

	if (p)
		memset(p, 0, rounded ? rounded : FL_CACHE_LINE);
	return p;
}

static const char *known_types(char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < FL_ARRAY_SIZE(backends) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					backends[i]->type);
	return buf;
}

struct fl_port *fl_port_open(const char *name, uint32_t port_no, const char *spec,
			     struct fl_pool *pool, char *err, size_t errlen)
{
	const struct fl_port_ops *ops;
	struct fl_port_args *args;
	struct fl_port *port;
	char msg[512], types[128];
	uint64_t mtu;
	int ret;

	if (!name || !*name || strlen(name) >= FL_PORT_NAME_MAX) {
		set_err(err, errlen, "port name '%s' must be 1 to %u characters", name ? name : "",
			FL_PORT_NAME_MAX - 1);
		errno = EINVAL;
		return NULL;
	}
	/* args is 8 KiB: too much for the stack of a control thread's callers */
	args = malloc(sizeof(*args));
	if (!args) {
		set_err(err, errlen, "%s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	ret = fl_port_parse_spec(spec, args, msg, sizeof(msg));
	if (ret < 0)
		goto err_free_args;
	ops = fl_port_backend(args->type);
	if (!ops && not_built(args->type)) {
		snprintf(msg, sizeof(msg), "%s: %s", args->type, not_built(args->type));
		ret = -ENOTSUP;
		goto err_free_args;
	}
	if (!ops) {
		snprintf(msg, sizeof(msg), "unknown port type '%s' (known: %s)", args->type,
			 known_types(types, sizeof(types)));
		ret = -EINVAL;
		goto err_free_args;
	}
	ret = check_keys(ops, args, msg, sizeof(msg));
	if (ret < 0)
		goto err_free_args;
	ret = fl_port_arg_u64(args, "mtu", FL_PORT_MTU_DEFAULT, FL_PORT_MTU_MIN, FL_PORT_MTU_MAX,
			      &mtu, msg, sizeof(msg));
	if (ret < 0)
		goto err_free_args;

	ret = -ENOMEM;
	snprintf(msg, sizeof(msg), "out of memory");
	port = alloc_aligned(sizeof(*port));
	if (!port)
		goto err_free_args;
	snprintf(port->name, sizeof(port->name), "%s", name);
	snprintf(port->spec, sizeof(port->spec), "%s", spec);
	port->port_no = port_no;
	port->ops = ops;
	port->pool = pool;
	port->mtu = (uint16_t)mtu;
	port->n_rxq = 1;
	port->n_txq = 1;
	if (ops->priv_size) {
		port->priv = alloc_aligned(ops->priv_size);
		if (!port->priv)
			goto err_free_port;
	}

	msg[0] = '\0';
	ret = ops->open(port, args, msg, sizeof(msg));
	if (ret < 0) {
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s: %s", ops->type, strerror(-ret));
		goto err_free_priv;
	}
	if (port->n_rxq < 1 || port->n_rxq > FL_PORT_MAX_QUEUES || port->n_txq < 1 ||
	    port->n_txq > FL_PORT_MAX_QUEUES) {
		snprintf(msg, sizeof(msg), "%s: backend asked for %u rx and %u tx queues (1 to %u)",
			 ops->type, port->n_rxq, port->n_txq, FL_PORT_MAX_QUEUES);
		ret = -EINVAL;
		goto err_close_backend;
	}
	/* the backend decides the queue counts, so the arrays come after open */
	ret = -ENOMEM;
	snprintf(msg, sizeof(msg), "out of memory");
	port->rxq = alloc_aligned(port->n_rxq * sizeof(*port->rxq));
	if (!port->rxq)
		goto err_close_backend;
	port->txq = alloc_aligned(port->n_txq * sizeof(*port->txq));
	if (!port->txq)
		goto err_free_rxq;
	free(args);
	return port;

err_free_rxq:
	free(port->rxq);
err_close_backend:
	ops->close(port);
err_free_priv:
	free(port->priv);
err_free_port:
	free(port);
err_free_args:
	free(args);
	set_err(err, errlen, "%s: %s", name, msg);
	errno = -ret;
	return NULL;
}

void fl_port_close(struct fl_port *port)
{
	if (!port)
		return;
	port->ops->close(port);
	free(port->txq);
	free(port->rxq);
	free(port->priv);
	free(port);
}

void fl_port_get_stats(struct fl_port *port, struct fl_port_stats *st)
{
	unsigned q, d;

	memset(st, 0, sizeof(*st));
	for (q = 0; q < port->n_rxq; q++) {
		const struct fl_port_qstats *qs = &port->rxq[q].stats;

		st->rx_packets += fl_counter_read(&qs->packets);
		st->rx_bytes += fl_counter_read(&qs->bytes);
		for (d = 0; d < FL_PORT_DROP_MAX; d++)
			st->rx_drops[d] += fl_counter_read(&qs->drops[d]);
	}
	for (q = 0; q < port->n_txq; q++) {
		const struct fl_port_qstats *qs = &port->txq[q].stats;

		st->tx_packets += fl_counter_read(&qs->packets);
		st->tx_bytes += fl_counter_read(&qs->bytes);
		for (d = 0; d < FL_PORT_DROP_MAX; d++)
			st->tx_drops[d] += fl_counter_read(&qs->drops[d]);
	}
	if (port->ops->stats)
		port->ops->stats(port, st);
}

bool fl_port_link_up(struct fl_port *port)
{
	return port->ops->link_up ? port->ops->link_up(port) : true;
}

int fl_port_wait_fd(struct fl_port *port, unsigned queue)
{
	return port->ops->wait_fd ? port->ops->wait_fd(port, queue) : -1;
}

bool fl_port_rx_eof(const struct fl_port *port)
{
	unsigned q;

	for (q = 0; q < port->n_rxq; q++)
		if (!__atomic_load_n(&port->rxq[q].eof, __ATOMIC_RELAXED))
			return false;
	return true;
}
