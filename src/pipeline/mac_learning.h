/* The MAC learning table behind the NORMAL action: (VLAN, MAC) -> port.
 *
 * Bounded: at most `max` entries, allocated at creation; learning a new
 * address in a full table evicts the least recently used entry (counted).
 * Entries older than the aging time are removed by fl_mac_expire(), which
 * the control thread calls about once a second; lookups never look at ages,
 * so a translation depends only on what is in the table, and every change
 * that can alter a translation (learn, move, expire, flush) is reported to
 * the caller, which publishes a new pipeline version.
 *
 * Threads: workers learn and look up while translating (the upcall path),
 * the control thread expires and flushes, and the datapath refreshes ages
 * (fl_mac_touch, about once a second per megaflow). One mutex guards the
 * table; it is taken per call, never on the datapath's cached fast path.
 */
#ifndef FL_PIPELINE_MAC_LEARNING_H
#define FL_PIPELINE_MAC_LEARNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_mac_table;

enum fl_mac_learn_result {
	FL_MAC_UNCHANGED = 0, /* known on this port: age refreshed */
	FL_MAC_LEARNED,       /* new entry (maybe evicting the oldest) */
	FL_MAC_MOVED,         /* known on another port: now on this one */
};

struct fl_mac_stats {
	uint64_t learned, moved, expired, evicted;
	size_t entries;
};

/* NULL with errno = ENOMEM (or EINVAL for max == 0). */
struct fl_mac_table *fl_mac_create(unsigned max, unsigned aging_s);
void fl_mac_destroy(struct fl_mac_table *t);

enum fl_mac_learn_result fl_mac_learn(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6],
				      uint32_t port, uint64_t now_ns);
/* The port `mac` was learned on in `vlan`, or FL_PORT_ANY. */
uint32_t fl_mac_lookup(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6]);
/* Refresh the entry's age if it is still on `port`; false if not. */
bool fl_mac_touch(struct fl_mac_table *t, uint16_t vlan, const uint8_t mac[6], uint32_t port,
		  uint64_t now_ns);
/* Remove entries not used for the aging time; how many. */
unsigned fl_mac_expire(struct fl_mac_table *t, uint64_t now_ns);
/* Remove the entries on `port` (the port is gone); how many. */
unsigned fl_mac_flush_port(struct fl_mac_table *t, uint32_t port);
void fl_mac_get_stats(struct fl_mac_table *t, struct fl_mac_stats *st);

#endif
