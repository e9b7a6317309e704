/* flowlane run --trace: how the worker would handle one packet, given as
 * flow text or as the hex bytes of a frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/hex.h"
#include "datapath/dp.h"
#include "proto/parse.h"
#include "tools.h"

/* "00 11 22..." or "001122..." (spaces, colons and newlines ignored). */
static int hex_frame(const char *hex, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	for (; *hex; hex++) {
		int hi, lo;

		if (*hex == ' ' || *hex == ':' || *hex == '\n')
			continue;
		hi = fl_hex_digit(hex[0]);
		lo = hi < 0 ? -1 : fl_hex_digit(hex[1]);
		if (lo < 0 || n == cap)
			return -EINVAL;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		hex++;
	}
	*len = n;
	return n ? 0 : -EINVAL;
}

/* --trace: the key of the packet, then the worker's view of it. */
int fl_run_trace(struct fl_dp *dp, struct fl_worker *w, const char *packet, bool hex,
		 unsigned in_port)
{
	static char text[16384];
	struct fl_trace t = {text, sizeof(text), 0};
	struct fl_key key;
	char err[512], keytext[1024];

	if (hex) {
		struct fl_pkt *pkt;
		struct fl_pool_cache *cache = malloc(sizeof(*cache));
		size_t len;

		if (!cache)
			return -ENOMEM;
		fl_pool_cache_init(cache, dp->pool, 1);
		if (fl_pool_get_burst(cache, &pkt, 1) != 1 ||
		    hex_frame(packet, fl_pkt_data(pkt), FL_PKT_DATAROOM, &len)) {
			fprintf(stderr, "flowlane: --trace-hex: expected a frame as hex bytes\n");
			free(cache);
			return -EINVAL;
		}
		pkt->len = (uint16_t)len;
		pkt->in_port = in_port;
		fl_parse(pkt, &key);
		fl_pool_put(cache, pkt);
		fl_pool_cache_flush(cache);
		free(cache);
	} else {
		struct fl_flow_spec spec;

		if (fl_flow_parse(packet, FL_FLOW_DELETE, fl_pipeline_port_resolver(dp->pl), &spec,
				  err, sizeof(err)) < 0) {
			fprintf(stderr, "flowlane: --trace: %s\n", err);
			return -EINVAL;
		}
		key = spec.match.value;
		fl_flow_spec_uninit(&spec);
	}
	fl_key_format(&key, keytext, sizeof(keytext));
	fl_worker_trace(w, &key, &t);
	printf("trace: %s\n%s", keytext, text);
	return 0;
}

