/* libFuzzer target for the parser: any byte string is a frame.
 *
 * The frame is copied to the end of a heap allocation of exactly its size
 * (behind its struct fl_pkt), so ASan reports any read past pkt->len. Each
 * input is parsed with fl_parse(), then again with fl_parse_batch() together
 * with two shorter cuts of itself (each in its own exact allocation), and
 * every key is formatted with fl_key_format(). The sanitizers are the
 * oracle, and one more: fl_parse_batch() has a fast path of its own for the
 * common frames, so its key and header offsets for the whole input must be
 * fl_parse()'s, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "proto/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fl_pkt *fuzz_pkt(const uint8_t *data, size_t len, uint32_t in_port)
{
	struct fl_pkt *pkt;
	void *mem;

	if (posix_memalign(&mem, FL_CACHE_LINE, sizeof(*pkt) + len))
		return NULL;
	pkt = mem;
	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	pkt->data_off = sizeof(*pkt);
	pkt->len = (uint16_t)len;
	pkt->in_port = in_port;
	if (len)
		memcpy(fl_pkt_data(pkt), data, len);
	return pkt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_key keys[3], one;
	static struct fl_parse_stats stats;
	struct fl_pkt *pkts[3];
	char text[1024];
	unsigned i, n = 0;
	uint16_t ofs[4];

	if (size > FL_PKT_DATAROOM)
		size = FL_PKT_DATAROOM;
	pkts[n] = fuzz_pkt(data, size, 1);
	if (pkts[n])
		n++;
	if (!n)
		return 0;
	fl_parse(pkts[0], &one);
	fl_key_format(&one, text, sizeof(text));
	ofs[0] = pkts[0]->l2_5_ofs;
	ofs[1] = pkts[0]->l3_ofs;
	ofs[2] = pkts[0]->l4_ofs;
	ofs[3] = pkts[0]->l7_ofs;

	if (size > 0 && (pkts[n] = fuzz_pkt(data, size - 1, 2)) != NULL)
		n++;
	if ((pkts[n] = fuzz_pkt(data, size / 2, 3)) != NULL)
		n++;
	fl_parse_batch(pkts, n, keys, &stats);
	if (memcmp(&keys[0], &one, sizeof(one)) || pkts[0]->l2_5_ofs != ofs[0] ||
	    pkts[0]->l3_ofs != ofs[1] || pkts[0]->l4_ofs != ofs[2] || pkts[0]->l7_ofs != ofs[3])
		abort();
	for (i = 0; i < n; i++) {
		fl_key_format(&keys[i], text, sizeof(text));
		free(pkts[i]);
	}
	return 0;
}
