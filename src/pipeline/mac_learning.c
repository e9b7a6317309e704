/* The MAC learning table (mac_learning.h).
 *
 * Entries live in one array allocated at creation, found through a chained
 * hash table of 32-bit indices (twice as many buckets as entries, so chains
 * stay short), and kept on a list in order of last use: the head is the
 * least recently used entry, which is what eviction takes and where aging
 * starts — expiry stops at the first entry young enough, so it costs only
 * what it removes.
 */
#include "pipeline/mac_learning.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flow/field.h"

#define NIL UINT32_MAX

struct mac_entry {
	uint64_t key;     /* vlan << 48 | mac */
	uint64_t used_ns;
	uint32_t port;
	uint32_t hnext;   /* hash chain */
	uint32_t prev, next; /* use order; free list through next */
};

struct fl_mac_table {
	pthread_mutex_t lock;
	uint64_t aging_ns;
	unsigned max, n;
	uint32_t bucket_mask;
	uint32_t *buckets;
	struct mac_entry *e;
	uint32_t lru_head, lru_tail, free_head;
	uint64_t learned, moved, expired, evicted;
};

static uint64_t mac_key(uint16_t vlan, const uint8_t mac[6])
{
	uint64_t k = (uint64_t)(vlan & 0xfff) << 48;
	unsigned i;

	for (i = 0; i < 6; i++)
		k |= (uint64_t)mac[i] << (40 - 8 * i);
	return k;
}

static uint32_t bucket_of(const struct fl_mac_table *t, uint64_t key)
{
	/* Fibonacci hashing: the high bits of the product mix every key bit. */
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->bucket_mask;
}

struct fl_mac_table *fl_mac_create(unsigned max, unsigned aging_s)
{
	struct fl_mac_table *t;
	unsigned nb = 2, i;

	if (!max || max > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	while (nb < 2 * max)
		nb *= 2;
	t->buckets = malloc(nb * sizeof(*t->buckets));
	t->e = calloc(max, sizeof(*t->e));
	if (!t->buckets || !t->e)
		goto fail_arrays;
	if (pthread_mutex_init(&t->lock, NULL))
		goto fail_arrays;
	for (i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	for (i = 0; i < max; i++)
		t->e[i].next = i + 1 < max ? i + 1 : NIL;
	t->bucket_mask = nb - 1;
	t->max = max;
	t->aging_ns = (uint64_t)aging_s * 1000000000ull;
	t->lru_head = t->lru_tail = NIL;
	t->free_head = 0;
	return t;

fail_arrays:
	free(t->buckets);
	free(t->e);
	free(t);
fail:
	errno = ENOMEM;
	return NULL;
}

void fl_mac_destroy(struct fl_mac_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t->e);
	free(t);
}

static uint32_t find(const struct fl_mac_table *t, uint64_t key)
{
	uint32_t i;

	for (i = t->buckets[bucket_of(t, key)]; i != NIL; i = t->e[i].hnext)
		if (t->e[i].key == key)
			return i;
	return NIL;
}

static void lru_unlink(struct fl_mac_table *t, uint32_t i)
{
	struct mac_entry *x = &t->e[i];

	if (x->prev != NIL)
		t->e[x->prev].next = x->next;
	else
		t->lru_head = x->next;
	if (x->next != NIL)
		t->e[x->next].prev = x->prev;
	else
		t->lru_tail = x->prev;
}

static void lru_append(struct fl_mac_table *t, uint32_t i)
{
	struct mac_entry *x = &t->e[i];

	x->prev = t->lru_tail;
	x->next = NIL;
	if (t->lru_tail != NIL)
		t->e[t->lru_tail].next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

static void use(struct fl_mac_table *t, uint32_t i, uint64_t now_ns)
{
	/* Workers' clocks may hand in slightly older times; never go back. */
	if (now_ns > t->e[i].used_ns)
		t->e[i].used_ns = now_ns;
	lru_unlink(t, i);
	lru_append(t, i);
}

static void remove_entry(struct fl_mac_table *t, uint32_t i)
{
	uint32_t *p = &t->buckets[bucket_of(t, t->e[i].key)];

	while (*p != i)
		p = &t->e[*p].hnext;
	*p = t->e[i].hnext;
	lru_unlink(t, i);
	t->e[i].next = t->free_head;
	t->free_head = i;
	t->n--;
}

enum fl_mac_learn_result fl_mac_learn(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6],
				      uint32_t port, uint64_t now_ns)
{
	uint64_t key = mac_key(vlan, mac);
	enum fl_mac_learn_result r = FL_MAC_UNCHANGED;
	uint32_t i, b;

	pthread_mutex_lock(&t->lock);
	i = find(t, key);
	if (i != NIL) {
		if (t->e[i].port != port) {
			t->e[i].port = port;
			t->moved++;
			r = FL_MAC_MOVED;
		}
		use(t, i, now_ns);
		goto out;
	}
	if (t->free_head == NIL) {
		remove_entry(t, t->lru_head);
		t->evicted++;
	}
	i = t->free_head;
	t->free_head = t->e[i].next;
	b = bucket_of(t, key);
	t->e[i].key = key;
	t->e[i].port = port;
	t->e[i].used_ns = now_ns;
	t->e[i].hnext = t->buckets[b];
	t->buckets[b] = i;
	lru_append(t, i);
	t->n++;
	t->learned++;
	r = FL_MAC_LEARNED;
out:
	pthread_mutex_unlock(&t->lock);
	return r;
}

uint32_t fl_mac_lookup(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6])
{
	uint32_t i, port = FL_PORT_ANY;

	pthread_mutex_lock(&t->lock);
	i = find(t, mac_key(vlan, mac));
	if (i != NIL)
		port = t->e[i].port;
	pthread_mutex_unlock(&t->lock);
	return port;
}

bool fl_mac_touch(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6], uint32_t port,
		  uint64_t now_ns)
{
	bool ok = false;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	i = find(t, mac_key(vlan, mac));
	if (i != NIL && t->e[i].port == port) {
		use(t, i, now_ns);
		ok = true;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

unsigned fl_mac_expire(struct fl_mac_table *t, uint64_t now_ns)
{
	unsigned n = 0;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	while ((i = t->lru_head) != NIL && now_ns >= t->e[i].used_ns &&
	       now_ns - t->e[i].used_ns >= t->aging_ns) {
		remove_entry(t, i);
		n++;
	}
	t->expired += n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned fl_mac_flush_port(struct fl_mac_table *t, uint32_t port)
{
	uint32_t i, next;
	unsigned n = 0;

	pthread_mutex_lock(&t->lock);
	for (i = t->lru_head; i != NIL; i = next) {
		next = t->e[i].next;
		if (t->e[i].port == port) {
			remove_entry(t, i);
			n++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void fl_mac_get_stats(struct fl_mac_table *t, struct fl_mac_stats *st)
{
	pthread_mutex_lock(&t->lock);
	st->learned = t->learned;
	st->moved = t->moved;
	st->expired = t->expired;
	st->evicted = t->evicted;
	st->entries = t->n;
	pthread_mutex_unlock(&t->lock);
}
