/* libFuzzer target for the capture reader (port/pcapng): any byte string is
 * a capture file, pcap or pcapng.
 *
 * The input is copied into a heap allocation of exactly its size, so ASan
 * reports any read past the end; every packet's bytes are read (summed) and
 * every interface the reader describes is looked at. Nothing is asserted
 * beyond what the header promises (caplen bytes of data, an interface index
 * the section described): the sanitizers are the oracle.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "port/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the sum goes, so the reads are not optimised away. */
volatile uint32_t fuzz_pcapng_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_pcapng_pkt pkt;
	struct fl_pcapng *r;
	char err[1024];
	uint8_t *copy;
	unsigned n = 0, i;
	uint32_t sum = 0;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	r = fl_pcapng_open_mem(copy, size, "fuzz", err, sizeof(err));
	if (r) {
		/* bounded: a 1 MiB input holds at most ~87k blocks of 12 bytes */
		while (n++ < 1000000 && fl_pcapng_next(r, &pkt, err, sizeof(err)) == 1) {
			const struct fl_pcapng_iface *ifc = fl_pcapng_iface(r, pkt.iface);

			if (!ifc || ifc->linktype != FL_PCAPNG_LINKTYPE_ETHERNET || pkt.caplen > pkt.len)
				abort(); /* the reader promised both */
			for (i = 0; i < pkt.caplen; i++)
				sum += pkt.data[i];
			sum += (uint32_t)pkt.ts_ns + ifc->name[0];
		}
		for (i = 0; i < fl_pcapng_n_ifaces(r); i++)
			sum += fl_pcapng_iface(r, i)->snaplen;
		fl_pcapng_close(r);
	}
	fuzz_pcapng_sink = sum;
	free(copy);
	return 0;
}
