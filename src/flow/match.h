/* A match: a flow key value and a mask of the bits that matter.
 *
 * Every matching structure in flowlane — OpenFlow rules in the classifier,
 * megaflows in the datapath cache — is a (value, mask) pair over the same
 * 24-word struct fl_key (proto/key.h). A key k matches when
 * (k & mask) == value, word by word. The invariant value == value & mask
 * holds for every match built through this API (fl_match_normalize), so two
 * matches are the same match exactly when their bytes are equal.
 */
#ifndef FL_FLOW_MATCH_H
#define FL_FLOW_MATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proto/key.h"

struct fl_match {
	struct fl_key value;
	struct fl_key mask;
};

/* Matches every packet. */
static inline void fl_match_init_catchall(struct fl_match *m)
{
	memset(m, 0, sizeof(*m));
}

/* Clear value bits outside the mask. */
static inline void fl_match_normalize(struct fl_match *m)
{
	uint64_t *v = (uint64_t *)(void *)&m->value;
	const uint64_t *k = fl_key_words(&m->mask);
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		v[i] &= k[i];
}

static inline bool fl_match_matches(const struct fl_match *m, const struct fl_key *key)
{
	const uint64_t *v = fl_key_words(&m->value), *k = fl_key_words(&m->mask);
	const uint64_t *p = fl_key_words(key);
	uint64_t diff = 0;
	unsigned i;

	for (i = 0; i < FL_KEY_WORDS; i++)
		diff |= (p[i] & k[i]) ^ v[i];
	return diff == 0;
}

static inline bool fl_match_equal(const struct fl_match *a, const struct fl_match *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

#endif
