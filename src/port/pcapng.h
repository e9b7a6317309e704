/* A capture reader that says which interface each packet came from.
 *
 * libpcap reads pcapng but hides a packet's interface, and the replay tool
 * needs it: the interface decides the packet's in_port. This reader takes
 * both formats and gives, per packet, (section, interface index, timestamp
 * in ns, captured length, original length, data):
 *
 *   pcapng   every section (a new Section Header Block starts one; each has
 *            its own byte order and its own interface numbering); Interface
 *            Description Blocks with link type, snaplen and the options
 *            if_name, if_tsresol, if_tsoffset; Enhanced, Simple and the
 *            obsolete Packet Blocks; any other block is skipped by its length.
 *   pcap     micro- or nanosecond magic, either byte order; one interface
 *            (index 0) with the header's link type.
 *
 * A malformed file is an error naming the file, the block (number from 1 and
 * type) and its byte offset: a bad or truncated block, a trailing length that
 * differs from the leading one, an option running past its block, a packet on
 * an interface its section never described, a packet whose interface is not
 * Ethernet. After an error every call returns it again.
 *
 * Reads are streaming (one block in memory at a time, at most
 * FL_PCAPNG_MAX_BLOCK bytes), so a capture of any size costs a bounded
 * amount of memory. Not thread-safe; one reader per thread.
 */
#ifndef FL_PORT_PCAPNG_H
#define FL_PORT_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_PCAPNG_MAX_BLOCK (16u << 20)     /* bytes of one block (libpcap: 16 MiB) */
#define FL_PCAPNG_MAX_CAPLEN (256u * 1024)  /* bytes of one packet (libpcap's snaplen limit) */
#define FL_PCAPNG_MAX_IFACES 65536u         /* interfaces of one section */
#define FL_PCAPNG_IFNAME_MAX 64u            /* if_name bytes kept, with the NUL */
#define FL_PCAPNG_LINKTYPE_ETHERNET 1u

struct fl_pcapng_iface {
	uint32_t linktype;
	uint32_t snaplen;                 /* 0: no limit */
	char name[FL_PCAPNG_IFNAME_MAX];  /* if_name, "" when absent */
	uint8_t tsresol;                  /* if_tsresol as written (default 6: microseconds) */
	int64_t tsoffset_s;               /* if_tsoffset, seconds */
};

struct fl_pcapng_pkt {
	const uint8_t *data; /* caplen bytes, valid until the next call */
	uint32_t caplen;     /* bytes captured */
	uint32_t len;        /* bytes on the wire (caplen < len: cut short) */
	uint32_t iface;      /* index in its section; 0 for pcap */
	uint32_t section;    /* 0 for the first section (and for pcap) */
	uint64_t ts_ns;      /* capture time; 0 when the block has none (SPB) */
	uint64_t block_no;   /* block (pcapng) or record (pcap) number, from 1 */
	uint64_t offset;     /* byte offset of that block or record */
};

struct fl_pcapng;

/* Open a capture file and read its first header (pcap file header, or the
 * first Section Header Block). NULL with errno set and a message in err. */
struct fl_pcapng *fl_pcapng_open(const char *path, char *err, size_t errlen);
/* The same over bytes in memory (tests, fuzzing); `label` names it in
 * messages. The bytes must outlive the reader. */
struct fl_pcapng *fl_pcapng_open_mem(const void *data, size_t len, const char *label, char *err,
				     size_t errlen);
void fl_pcapng_close(struct fl_pcapng *r);

/* The next packet: 1, 0 at the end of the file, or a negative errno
 * (-EINVAL malformed, -ENOTSUP not Ethernet, -EIO read error, -ENOMEM) with
 * a message in err. Blocks that are not packets are consumed on the way. */
int fl_pcapng_next(struct fl_pcapng *r, struct fl_pcapng_pkt *pkt, char *err, size_t errlen);

/* Whether the file is pcapng (false: classic pcap). */
bool fl_pcapng_is_ng(const struct fl_pcapng *r);
/* The section being read (0 for the first; what the next packet's section
 * is unless a new section header comes first). */
uint32_t fl_pcapng_section(const struct fl_pcapng *r);
/* Interfaces the current section has described so far, and one of them
 * (NULL if idx is out of range). Valid until the next fl_pcapng_next. */
unsigned fl_pcapng_n_ifaces(const struct fl_pcapng *r);
const struct fl_pcapng_iface *fl_pcapng_iface(const struct fl_pcapng *r, uint32_t idx);

#endif
