/* Parser: frame -> flow key and header offsets.
 *
 * fl_parse() reads a frame once, front to back, and never reads a byte past
 * pkt->len. It fills:
 *  - the key's L2..L4 fields (metadata words: in_port from pkt->in_port, the
 *    rest zero), per the conventions in proto/key.h;
 *  - pkt->l2_5_ofs, l3_ofs, l4_ofs, l7_ofs (FL_OFS_NONE where absent);
 *  - key->parse_err with the first problem found; everything after the
 *    broken header stays zero, so a table can match both the error and the
 *    fields that did parse.
 *
 * fl_parse_batch() is the form the datapath uses: it prefetches the frames'
 * headers, takes the common frames (untagged IPv4/IPv6 TCP/UDP) through a
 * fast path, the rest through fl_parse(), and counts errors by reason. Both
 * give the same keys and offsets for every frame; fl_parse() never takes the
 * fast path, so tests can compare the two.
 */
#ifndef FL_PROTO_PARSE_H
#define FL_PROTO_PARSE_H

#include <stdint.h>

#include "core/pkt.h"
#include "proto/key.h"

/* Counters of packets by parse result, owned by one thread. */
struct fl_parse_stats {
	uint64_t packets;
	uint64_t errors[FL_PARSE_ERR_MAX]; /* [FL_PARSE_ERR_NONE] stays 0 */
};

/* Parse one frame into *key. Returns key->parse_err. */
enum fl_parse_err fl_parse(struct fl_pkt *pkt, struct fl_key *key);

/* Parse n frames into keys[0..n-1], counting into *stats (may be NULL).
 * Returns the number of frames that had a parse error. */
unsigned fl_parse_batch(struct fl_pkt *const *pkts, unsigned n, struct fl_key *keys,
			struct fl_parse_stats *stats);

#endif
