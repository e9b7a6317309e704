/* The pcap port: replay a capture file, record what is sent.
 *
 *   pcap:FILE                  read FILE once, streaming, then eof
 *   pcap:FILE,loop=N|inf       load FILE into memory, play it N times (or forever)
 *   pcap:FILE,tx=OUT           ... and write what the port sends to OUT
 *   pcap:tx=OUT                transmit only (rx is at eof from the first poll)
 *
 * FILE may be pcap (micro- or nanosecond, either byte order) or pcapng with
 * Ethernet link type; libpcap reads both. Read once streams records through
 * libpcap and stamps each frame with its capture time. Loop mode is the
 * benchmark source: the file becomes one array of records at open and rx
 * copies each into a fresh buffer, as a NIC DMA-writes into a fresh buffer —
 * no libpcap call and no branch per packet beyond the copy loop. Timestamps
 * grow across passes (each pass is shifted by the length of the file).
 *
 * A record captured short of its wire length counts as a malformed rx drop,
 * one longer than a buffer's data room as too_big; both are skipped. A frame
 * that finds no buffer is consumed and counted no_buffer, as a NIC drops it.
 * Header problems (and, in loop mode, a truncated body) fail the open with a
 * message naming the file; in read-once mode a record cut short mid-stream
 * sets port->error, counts an rx_error and ends the stream.
 *
 * OUT is written with nanosecond timestamps (the frame's timestamp, or the
 * current time when it has none) and flushed at close. A port without tx=
 * takes what it is sent and discards it, as null: does (and gen: too).
 */
#include "port/port.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/byteorder.h"
#include "core/log.h"

#define FL_LOG_MODULE "port_pcap"
#define NS_PER_S 1000000000ull

/* Loop mode: one record of the in-memory file, 16-byte aligned. */
struct pcap_rec {
	uint64_t ts;   /* capture time, ns */
	uint32_t len;  /* frame bytes */
	uint32_t size; /* bytes from this record to the next */
	uint8_t data[];
};

_Static_assert(sizeof(struct pcap_rec) == 16, "record header keeps data 16-byte aligned");

/* Zeroed bytes after the last record: rx copies whole 64-byte blocks. */
#define REC_SLACK 64u
_Static_assert(FL_PKT_DATAROOM % 64 == 0, "frames are copied in 64-byte blocks");

struct pcap_priv {
	pcap_t *rx;           /* read once: the open stream; NULL when done */
	uint8_t *recs;        /* loop mode: records back to back, NULL otherwise */
	size_t recs_len;
	uint64_t n_recs;      /* records in one pass */
	uint64_t rec_idx;     /* records consumed in the current pass */
	size_t cur;           /* offset of the next record */
	uint64_t passes_left; /* UINT64_MAX: forever */
	uint64_t ts_offset;   /* added to the recorded time in the current pass */
	uint64_t ts_span;     /* shift from one pass to the next */
	uint64_t skipped_malformed, skipped_too_big; /* per pass */
	pcap_t *tx_dead;      /* describes OUT to libpcap */
	pcap_dumper_t *dumper;
	char rx_path[FL_PORT_SPEC_MAX];
	char tx_path[FL_PORT_SPEC_MAX];
};

static const uint32_t pcap_magics[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1};
#define PCAPNG_MAGIC 0x0a0d0d0au
#define PCAP_FILE_HDR_LEN 24u

/* Check what libpcap would only describe vaguely: missing, empty, not a
 * capture at all, header cut short. */
static int check_file(const char *path, char *err, size_t errlen)
{
	uint8_t hdr[PCAP_FILE_HDR_LEN];
	uint32_t magic;
	size_t n, i;
	FILE *fp;
	int ret;

	fp = fopen(path, "rb");
	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "pcap: cannot open '%s': %s", path, strerror(-ret));
		return ret;
	}
	n = fread(hdr, 1, sizeof(hdr), fp);
	ret = ferror(fp) ? -(errno ? errno : EIO) : 0;
	fclose(fp);
	if (ret < 0) {
		snprintf(err, errlen, "pcap: cannot read '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (n == 0) {
		snprintf(err, errlen, "pcap: '%s' is empty", path);
		return -EINVAL;
	}
	if (n < 4) {
		snprintf(err, errlen, "pcap: '%s': truncated file header (%zu bytes)", path, n);
		return -EINVAL;
	}
	magic = fl_get_u32(hdr);
	if (magic == PCAPNG_MAGIC)
		return 0;
	for (i = 0; i < FL_ARRAY_SIZE(pcap_magics); i++)
		if (magic == pcap_magics[i])
			break;
	if (i == FL_ARRAY_SIZE(pcap_magics)) {
		snprintf(err, errlen, "pcap: '%s' is not a pcap or pcapng file", path);
		return -EINVAL;
	}
	if (n < PCAP_FILE_HDR_LEN) {
		snprintf(err, errlen, "pcap: '%s': truncated file header (%zu of %u bytes)", path,
			 n, PCAP_FILE_HDR_LEN);
		return -EINVAL;
	}
	return 0;
}

static int open_reader(const char *path, pcap_t **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *h;
	int ret, dlt;

	ret = check_file(path, err, errlen);
	if (ret < 0)
		return ret;
	/* nanosecond precision: libpcap scales microsecond files up */
	h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!h) {
		snprintf(err, errlen, "pcap: '%s': %s", path, ebuf);
		return -EINVAL;
	}
	dlt = pcap_datalink(h);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen, "pcap: '%s': link type %d (%s) not supported, only EN10MB",
			 path, dlt, name ? name : "unknown");
		pcap_close(h);
		return -ENOTSUP;
	}
	*out = h;
	return 0;
}

static uint64_t hdr_ns(const struct pcap_pkthdr *h)
{
	/* the handle is nanosecond precision: tv_usec holds nanoseconds */
	return (uint64_t)h->ts.tv_sec * NS_PER_S + (uint64_t)h->ts.tv_usec;
}

/* Loop mode: read the whole file into p->recs. */
static int load_records(struct pcap_priv *p, pcap_t *h, char *err, size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t min_ts = UINT64_MAX, max_ts = 0, n_read = 0;
	size_t cap = 0, need;
	int ret;

	while ((ret = pcap_next_ex(h, &hdr, &data)) == 1) {
		struct pcap_rec *rec;

		n_read++;
		if (hdr->caplen < hdr->len) {
			p->skipped_malformed++;
			continue;
		}
		if (hdr->caplen > FL_PKT_DATAROOM) {
			p->skipped_too_big++;
			continue;
		}
		need = (sizeof(*rec) + hdr->caplen + 15) & ~(size_t)15;
		if (p->recs_len + need > cap) {
			size_t ncap = cap ? cap * 2 : 64 * 1024;
			uint8_t *n = realloc(p->recs, ncap);

			if (!n) {
				snprintf(err, errlen, "pcap: '%s': out of memory loading %zu bytes",
					 p->rx_path, ncap);
				return -ENOMEM;
			}
			p->recs = n;
			cap = ncap;
		}
		rec = (struct pcap_rec *)(p->recs + p->recs_len);
		rec->ts = hdr_ns(hdr);
		rec->len = hdr->caplen;
		rec->size = (uint32_t)need;
		memcpy(rec->data, data, hdr->caplen);
		p->recs_len += need;
		p->n_recs++;
		min_ts = FL_MIN(min_ts, rec->ts);
		max_ts = FL_MAX(max_ts, rec->ts);
	}
	if (ret != PCAP_ERROR_BREAK) {
		snprintf(err, errlen, "pcap: '%s': record %llu: %s", p->rx_path,
			 (unsigned long long)n_read + 1, pcap_geterr(h));
		return -EINVAL;
	}
	/* rx copies in 64-byte blocks (copy_frame): keep that much zeroed slack
	 * after the last record; an empty (or all-skipped) file still gets a
	 * valid array this way */
	if (cap - p->recs_len < REC_SLACK) {
		uint8_t *n = realloc(p->recs, p->recs_len + REC_SLACK);

		if (!n) {
			snprintf(err, errlen, "pcap: '%s': out of memory", p->rx_path);
			return -ENOMEM;
		}
		p->recs = n;
	}
	memset(p->recs + p->recs_len, 0, REC_SLACK);
	/* the next pass starts one mean gap (1 us for a single record) after the
	 * latest record, so timestamps keep growing from pass to pass */
	if (p->n_recs)
		p->ts_span = max_ts - min_ts +
			     (p->n_recs > 1 ? (max_ts - min_ts) / (p->n_recs - 1) : 1000);
	return 0;
}

static int open_writer(struct pcap_priv *p, char *err, size_t errlen)
{
	FILE *fp;
	int ret;

	p->tx_dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
							  PCAP_TSTAMP_PRECISION_NANO);
	if (!p->tx_dead) {
		snprintf(err, errlen, "pcap: out of memory");
		return -ENOMEM;
	}
	fp = fopen(p->tx_path, "wb");
	if (!fp) {
		ret = -errno;
		snprintf(err, errlen, "pcap: cannot create '%s': %s", p->tx_path, strerror(-ret));
		goto err_close_dead;
	}
	p->dumper = pcap_dump_fopen(p->tx_dead, fp);
	if (!p->dumper) {
		ret = -EIO;
		snprintf(err, errlen, "pcap: cannot write '%s': %s", p->tx_path,
			 pcap_geterr(p->tx_dead));
		goto err_fclose;
	}
	return 0;

err_fclose:
	fclose(fp);
err_close_dead:
	pcap_close(p->tx_dead);
	p->tx_dead = NULL;
	return ret;
}

static void free_reader(struct pcap_priv *p)
{
	if (p->rx)
		pcap_close(p->rx);
	p->rx = NULL;
	free(p->recs);
	p->recs = NULL;
}

static int pcap_port_open(struct fl_port *port, const struct fl_port_args *args, char *err,
			  size_t errlen)
{
	struct pcap_priv *p = port->priv;
	const char *file = fl_port_arg(args, ""), *tx = fl_port_arg(args, "tx");
	const char *loop = fl_port_arg(args, "loop");
	pcap_t *h;
	int ret;

	if (loop && !file) {
		snprintf(err, errlen, "pcap: loop= needs a file to read");
		return -EINVAL;
	}
	if (!file && !tx) {
		snprintf(err, errlen, "port spec '%s': missing file", port->spec);
		return -EINVAL;
	}
	if (file && tx && !strcmp(file, tx)) {
		snprintf(err, errlen, "pcap: '%s' cannot be both read and written", file);
		return -EINVAL;
	}
	if (loop && !strcmp(loop, "inf")) {
		p->passes_left = UINT64_MAX;
	} else if (loop) {
		ret = fl_port_arg_u64(args, "loop", 1, 1, UINT64_MAX - 1, &p->passes_left, err,
				      errlen);
		if (ret < 0)
			return ret;
	}
	snprintf(p->rx_path, sizeof(p->rx_path), "%s", file ? file : "");
	snprintf(p->tx_path, sizeof(p->tx_path), "%s", tx ? tx : "");

	if (file) {
		ret = open_reader(file, &h, err, errlen);
		if (ret < 0)
			return ret;
		if (loop) {
			ret = load_records(p, h, err, errlen);
			pcap_close(h);
			if (ret < 0)
				goto err_free_reader;
		} else {
			p->rx = h;
		}
	}
	if (tx) {
		ret = open_writer(p, err, errlen);
		if (ret < 0)
			goto err_free_reader;
	}
	return 0;

err_free_reader:
	free_reader(p);
	return ret;
}

static void pcap_port_close(struct fl_port *port)
{
	struct pcap_priv *p = port->priv;

	free_reader(p);
	if (p->dumper)
		pcap_dump_close(p->dumper); /* flushes and closes OUT */
	if (p->tx_dead)
		pcap_close(p->tx_dead);
}

static void set_eof(struct fl_port *port, unsigned queue)
{
	__atomic_store_n(&port->rxq[queue].eof, true, __ATOMIC_RELAXED);
}

/* Loop mode: a pass is over; count the records it skipped and start the next. */
static void end_pass(struct fl_port *port, unsigned queue, struct pcap_priv *p)
{
	fl_port_count_rx_drop(port, queue, FL_PORT_DROP_MALFORMED, p->skipped_malformed);
	fl_port_count_rx_drop(port, queue, FL_PORT_DROP_TOO_BIG, p->skipped_too_big);
	p->rec_idx = 0;
	p->cur = 0;
	p->ts_offset += p->ts_span;
	if (p->n_recs == 0)
		p->passes_left = 0; /* nothing can ever come out */
	else if (p->passes_left != UINT64_MAX)
		p->passes_left--;
	if (p->passes_left == 0)
		set_eof(port, queue);
}

/* Copy a frame in whole 64-byte blocks, inline (a call to memcpy costs
 * more than the copy of a 64-byte frame). The over-read stays inside the
 * record array (the next record, or the slack after the last one) and the
 * over-write inside the buffer's data room, a multiple of 64 bytes. */
static FL_ALWAYS_INLINE void copy_frame(uint8_t *dst, const uint8_t *src, unsigned len)
{
	unsigned o;

	memcpy(dst, src, 64);
	for (o = 64; FL_UNLIKELY(o < len); o += 64)
		memcpy(dst + o, src + o, 64);
}

/* Copy the next `k` records (all in the current pass) into pkts. */
static void copy_run(struct pcap_priv *p, struct fl_pkt **pkts, unsigned k)
{
	const uint8_t *base = p->recs;
	size_t cur = p->cur;
	unsigned i;

	for (i = 0; i < k; i++) {
		const struct pcap_rec *r = (const struct pcap_rec *)(base + cur);
		struct fl_pkt *pkt = pkts[i];

		/* a prefetch past the end of the array is harmless: it never faults */
		FL_PREFETCH(base + cur + r->size);
		copy_frame(fl_pkt_data(pkt), r->data, r->len);
		pkt->len = (uint16_t)r->len;
		pkt->timestamp = r->ts + p->ts_offset;
		cur += r->size;
	}
	p->cur = cur;
}

static void skip_run(struct pcap_priv *p, unsigned k)
{
	unsigned i;

	for (i = 0; i < k; i++)
		p->cur += ((const struct pcap_rec *)(p->recs + p->cur))->size;
}

/* Consume up to k records across pass boundaries, into pkts or (NULL) into
 * the void. Returns how many; fewer than k only when the last pass ends. */
static unsigned loop_advance(struct fl_port *port, unsigned queue, struct pcap_priv *p,
			     struct fl_pkt **pkts, unsigned k)
{
	unsigned done = 0, take;

	while (done < k && p->passes_left) {
		take = (unsigned)FL_MIN((uint64_t)(k - done), p->n_recs - p->rec_idx);
		if (pkts)
			copy_run(p, pkts + done, take);
		else
			skip_run(p, take);
		done += take;
		p->rec_idx += take;
		if (p->rec_idx == p->n_recs)
			end_pass(port, queue, p);
	}
	return done;
}

static unsigned rx_loop(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			struct fl_pkt **pkts, unsigned n)
{
	struct pcap_priv *p = port->priv;
	unsigned got, k;

	if (!p->passes_left)
		return 0;
	got = fl_pool_get_burst(cache, pkts, n);
	k = loop_advance(port, queue, p, pkts, got);
	if (FL_UNLIKELY(k < got))
		fl_pool_put_bulk(cache, pkts + k, got - k);
	if (FL_UNLIKELY(got < n && k == got))
		fl_port_count_rx_drop(port, queue, FL_PORT_DROP_NO_BUFFER,
				      loop_advance(port, queue, p, NULL, n - got));
	return k;
}

static unsigned rx_once(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			struct fl_pkt **pkts, unsigned n)
{
	struct pcap_priv *p = port->priv;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned got, k = 0, i;
	int ret;

	if (!p->rx) {
		set_eof(port, queue);
		return 0;
	}
	got = fl_pool_get_burst(cache, pkts, n);
	for (i = 0; i < n; i++) {
		ret = pcap_next_ex(p->rx, &hdr, &data);
		if (ret != 1) {
			if (ret != PCAP_ERROR_BREAK) {
				snprintf(port->error, sizeof(port->error), "pcap: '%.120s': %.120s",
					 p->rx_path, pcap_geterr(p->rx));
				fl_port_count_rx_drop(port, queue, FL_PORT_DROP_RX_ERROR, 1);
				FL_LOG(FL_LOG_ERR, "%s: %s", port->name, port->error);
			}
			/* the file is done with: let it go now, not at close */
			pcap_close(p->rx);
			p->rx = NULL;
			set_eof(port, queue);
			break;
		}
		if (hdr->caplen < hdr->len) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_MALFORMED, 1);
		} else if (hdr->caplen > FL_PKT_DATAROOM) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_TOO_BIG, 1);
		} else if (k == got) {
			fl_port_count_rx_drop(port, queue, FL_PORT_DROP_NO_BUFFER, 1);
		} else {
			memcpy(fl_pkt_data(pkts[k]), data, hdr->caplen);
			pkts[k]->len = (uint16_t)hdr->caplen;
			pkts[k]->timestamp = hdr_ns(hdr);
			k++;
		}
	}
	if (k < got)
		fl_pool_put_bulk(cache, pkts + k, got - k);
	return k;
}

static unsigned pcap_rx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	struct pcap_priv *p = port->priv;

	if (p->recs)
		return rx_loop(port, queue, cache, pkts, n);
	return rx_once(port, queue, cache, pkts, n);
}

static unsigned pcap_tx_burst(struct fl_port *port, unsigned queue, struct fl_pool_cache *cache,
			      struct fl_pkt **pkts, unsigned n)
{
	struct pcap_priv *p = port->priv;
	struct pcap_pkthdr h;
	uint64_t now = 0, ts;
	struct timespec tp;
	unsigned i;

	(void)queue;
	if (!p->dumper)
		goto out_free;
	for (i = 0; i < n; i++) {
		ts = pkts[i]->timestamp;
		if (!ts) {
			if (!now) {
				clock_gettime(CLOCK_REALTIME, &tp);
				now = (uint64_t)tp.tv_sec * NS_PER_S + (uint64_t)tp.tv_nsec;
			}
			ts = now;
		}
		h.ts.tv_sec = (time_t)(ts / NS_PER_S);
		h.ts.tv_usec = (suseconds_t)(ts % NS_PER_S); /* ns: the dumper is nanosecond */
		h.caplen = h.len = pkts[i]->len;
		pcap_dump((u_char *)p->dumper, &h, fl_pkt_cdata(pkts[i]));
	}
	if (FL_UNLIKELY(ferror(pcap_dump_file(p->dumper))) && !port->error[0]) {
		snprintf(port->error, sizeof(port->error), "pcap: writing '%.200s' failed",
			 p->tx_path);
		FL_LOG(FL_LOG_ERR, "%s: %s", port->name, port->error);
	}
out_free:
	fl_pool_put_bulk(cache, pkts, n);
	return n;
}

static const char *const pcap_keys[] = {"", "loop", "tx", NULL};

const struct fl_port_ops fl_port_pcap_ops = {
	.type = "pcap",
	.usage = "pcap:FILE[,loop=N|inf][,tx=OUT] or pcap:tx=OUT",
	.keys = pcap_keys,
	.priv_size = sizeof(struct pcap_priv),
	.open = pcap_port_open,
	.close = pcap_port_close,
	.rx_burst = pcap_rx_burst,
	.tx_burst = pcap_tx_burst,
};
