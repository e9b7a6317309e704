/* Tests of port/pcapng: the capture reader behind `flowlane replay`.
 *
 * Captures are built here, byte by byte, in either byte order: classic pcap
 * (micro- and nanosecond), pcapng with several interfaces and sections,
 * every packet block kind, options, blocks to skip. Each packet's interface,
 * section, timestamp (in every resolution the format allows), lengths and
 * bytes are checked. Malformed files must fail with a message naming the
 * block, its number and its offset; and every prefix of a valid file must
 * end either cleanly at a block boundary or in an error, never past the
 * buffer (the buffer is exactly the prefix, so ASan sees any overread).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "port/pcapng.h"

#define NS 1000000000ull

/* --- a capture builder --- */

struct cap {
	uint8_t d[8192];
	size_t n;
	bool be; /* the current section's byte order */
};

static void put(struct cap *c, uint64_t v, unsigned size)
{
	unsigned i;

	assert_true(c->n + size <= sizeof(c->d));
	for (i = 0; i < size; i++)
		c->d[c->n + i] = (uint8_t)(v >> 8 * (c->be ? size - 1 - i : i));
	c->n += size;
}

static void put_bytes(struct cap *c, const void *p, size_t len)
{
	assert_true(c->n + len <= sizeof(c->d));
	if (len)
		memcpy(c->d + c->n, p, len);
	c->n += len;
}

static void pad4(struct cap *c)
{
	while (c->n % 4)
		c->d[c->n++] = 0;
}

static size_t block_begin(struct cap *c, uint32_t type)
{
	size_t at = c->n;

	put(c, type, 4);
	put(c, 0, 4); /* length, patched by block_end */
	return at;
}

static void block_end(struct cap *c, size_t at)
{
	size_t end;
	uint32_t len;

	pad4(c);
	len = (uint32_t)(c->n - at + 4);
	put(c, len, 4);
	end = c->n;
	c->n = at + 4;
	put(c, len, 4);
	c->n = end;
}

static void option(struct cap *c, uint16_t code, const void *val, uint16_t len)
{
	put(c, code, 2);
	put(c, len, 2);
	put_bytes(c, val, len);
	pad4(c);
}

static void shb(struct cap *c, bool be)
{
	size_t at;

	c->be = be;
	at = block_begin(c, 0x0a0d0d0a);
	put(c, 0x1a2b3c4d, 4);
	put(c, 1, 2);
	put(c, 0, 2);
	put(c, UINT64_MAX, 8); /* section length unknown */
	block_end(c, at);
}

static void idb(struct cap *c, uint16_t linktype, uint32_t snaplen, const char *name, int tsresol,
		int64_t tsoffset)
{
	size_t at = block_begin(c, 1);
	uint8_t off[8];
	unsigned i;

	put(c, linktype, 2);
	put(c, 0, 2);
	put(c, snaplen, 4);
	if (name)
		option(c, 2, name, (uint16_t)strlen(name));
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;

		option(c, 9, &r, 1);
	}
	if (tsoffset) {
		for (i = 0; i < 8; i++)
			off[i] = (uint8_t)((uint64_t)tsoffset >> 8 * (c->be ? 7 - i : i));
		option(c, 14, off, 8);
	}
	option(c, 0, NULL, 0);
	block_end(c, at);
}

static void epb(struct cap *c, uint32_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
		uint32_t len)
{
	size_t at = block_begin(c, 6);

	put(c, iface, 4);
	put(c, ts >> 32, 4);
	put(c, ts & 0xffffffffu, 4);
	put(c, caplen, 4);
	put(c, len, 4);
	put_bytes(c, data, caplen);
	block_end(c, at);
}

static void opb(struct cap *c, uint16_t iface, uint64_t ts, const uint8_t *data, uint32_t len)
{
	size_t at = block_begin(c, 2);

	put(c, iface, 2);
	put(c, 0, 2);
	put(c, ts >> 32, 4);
	put(c, ts & 0xffffffffu, 4);
	put(c, len, 4);
	put(c, len, 4);
	put_bytes(c, data, len);
	block_end(c, at);
}

static void spb(struct cap *c, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	size_t at = block_begin(c, 3);

	put(c, len, 4);
	put_bytes(c, data, caplen);
	block_end(c, at);
}

static void other_block(struct cap *c, uint32_t type, unsigned body)
{
	size_t at = block_begin(c, type);
	unsigned i;

	for (i = 0; i < body; i++)
		put(c, i, 1);
	block_end(c, at);
}

static void pcap_header(struct cap *c, bool be, bool nano, uint32_t linktype)
{
	c->be = be;
	put(c, nano ? 0xa1b23c4d : 0xa1b2c3d4, 4);
	put(c, 2, 2);
	put(c, 4, 2);
	put(c, 0, 4);
	put(c, 0, 4);
	put(c, 65535, 4);
	put(c, linktype, 4);
}

static void pcap_record(struct cap *c, uint32_t sec, uint32_t frac, const uint8_t *data,
			uint32_t caplen, uint32_t len)
{
	put(c, sec, 4);
	put(c, frac, 4);
	put(c, caplen, 4);
	put(c, len, 4);
	put_bytes(c, data, caplen);
}

/* A frame whose bytes say which one it is. */
static const uint8_t *frame(unsigned id)
{
	static uint8_t f[8][128];
	unsigned i;

	for (i = 0; i < sizeof(f[0]); i++)
		f[id][i] = (uint8_t)(id * 31 + i);
	return f[id];
}

/* --- reading helpers --- */

static struct fl_pcapng *open_cap(const struct cap *c, char *err, size_t errlen)
{
	return fl_pcapng_open_mem(c->d, c->n, "test", err, errlen);
}

static void expect_pkt(struct fl_pcapng *r, uint32_t section, uint32_t iface, uint64_t ts,
		       unsigned id, uint32_t caplen, uint32_t len)
{
	struct fl_pcapng_pkt p;
	char err[512] = "";

	assert_int_equal(fl_pcapng_next(r, &p, err, sizeof(err)), 1);
	assert_int_equal(p.section, section);
	assert_int_equal(p.iface, iface);
	assert_int_equal(p.ts_ns, ts);
	assert_int_equal(p.caplen, caplen);
	assert_int_equal(p.len, len);
	assert_memory_equal(p.data, frame(id), caplen);
}

static void expect_eof(struct fl_pcapng *r)
{
	struct fl_pcapng_pkt p;
	char err[512] = "";

	assert_int_equal(fl_pcapng_next(r, &p, err, sizeof(err)), 0);
	assert_int_equal(fl_pcapng_next(r, &p, err, sizeof(err)), 0);
}

/* Read to the end; the error (0 if none) and its message. */
static int read_all(const struct cap *c, char *err, size_t errlen, unsigned *n_pkts)
{
	struct fl_pcapng_pkt p;
	struct fl_pcapng *r;
	void *copy;
	int ret;

	/* an exact-size copy: ASan catches a read one byte past the end */
	copy = malloc(c->n ? c->n : 1);
	assert_non_null(copy);
	memcpy(copy, c->d, c->n);
	*n_pkts = 0;
	err[0] = '\0';
	r = fl_pcapng_open_mem(copy, c->n, "test", err, errlen);
	if (!r) {
		ret = -errno;
		free(copy);
		return ret;
	}
	while ((ret = fl_pcapng_next(r, &p, err, errlen)) == 1)
		(*n_pkts)++;
	fl_pcapng_close(r);
	free(copy);
	return ret;
}

static void expect_error(const struct cap *c, int want, const char *text)
{
	char err[1024];
	unsigned n;
	int ret = read_all(c, err, sizeof(err), &n);

	if (ret != want || !strstr(err, text))
		fail_msg("want error %d '%s', got %d '%s'", want, text, ret, err);
}

/* --- classic pcap --- */

static void test_pcap_microseconds_little_endian(void **state)
{
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512];

	(void)state;
	pcap_header(&c, false, false, 1);
	pcap_record(&c, 100, 250000, frame(0), 60, 60);
	pcap_record(&c, 101, 999999, frame(1), 40, 90); /* captured short */
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	assert_false(fl_pcapng_is_ng(r));
	assert_int_equal(fl_pcapng_n_ifaces(r), 1);
	assert_int_equal(fl_pcapng_iface(r, 0)->linktype, 1);
	assert_null(fl_pcapng_iface(r, 1));
	expect_pkt(r, 0, 0, 100 * NS + 250000000ull, 0, 60, 60);
	expect_pkt(r, 0, 0, 101 * NS + 999999000ull, 1, 40, 90);
	expect_eof(r);
	fl_pcapng_close(r);
}

static void test_pcap_nanoseconds_big_endian(void **state)
{
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512];

	(void)state;
	pcap_header(&c, true, true, 1);
	pcap_record(&c, 7, 123456789, frame(2), 64, 64);
	pcap_record(&c, 8, 0, frame(3), 0, 0); /* an empty frame is still a packet */
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	expect_pkt(r, 0, 0, 7 * NS + 123456789ull, 2, 64, 64);
	expect_pkt(r, 0, 0, 8 * NS, 3, 0, 0);
	expect_eof(r);
	fl_pcapng_close(r);
}

static void test_pcap_errors(void **state)
{
	struct cap c = {0};

	(void)state;
	pcap_header(&c, false, false, 113); /* Linux cooked capture */
	expect_error(&c, -ENOTSUP, "'test': link type 113: only Ethernet (1) is supported");

	memset(&c, 0, sizeof(c));
	pcap_header(&c, false, false, 1);
	c.n = 20;
	expect_error(&c, -EINVAL, "truncated pcap file header (20 of 24 bytes)");

	memset(&c, 0, sizeof(c));
	pcap_header(&c, false, false, 1);
	pcap_record(&c, 1, 0, frame(0), 60, 60);
	pcap_record(&c, 1, 0, frame(1), 60, 60);
	c.n -= 1;
	expect_error(&c, -EINVAL, "'test': record 2 at offset 100: truncated record: 59 of 60 bytes");

	memset(&c, 0, sizeof(c));
	pcap_header(&c, false, false, 1);
	pcap_record(&c, 1, 0, frame(0), 60, 60);
	c.n -= 60 + 5;
	expect_error(&c, -EINVAL, "record 1 at offset 24: truncated record header (11 of 16 bytes)");

	memset(&c, 0, sizeof(c));
	pcap_header(&c, false, false, 1);
	pcap_record(&c, 1, 0, frame(0), 60, 50);
	expect_error(&c, -EINVAL, "record 1 at offset 24: captured length 60 exceeds the original length 50");

	memset(&c, 0, sizeof(c));
	pcap_header(&c, false, false, 1);
	put(&c, 1, 4);
	put(&c, 0, 4);
	put(&c, FL_PCAPNG_MAX_CAPLEN + 1, 4);
	put(&c, FL_PCAPNG_MAX_CAPLEN + 1, 4);
	expect_error(&c, -EINVAL, "captured length 262145 exceeds the limit of 262144");

	memset(&c, 0, sizeof(c));
	expect_error(&c, -EINVAL, "'test': empty file");
	put(&c, 0xa1b2, 2);
	expect_error(&c, -EINVAL, "truncated file header (2 of 4 bytes)");
	memset(&c, 0, sizeof(c));
	put_bytes(&c, "GET / HTTP/1.1", 14);
	expect_error(&c, -EINVAL, "not a pcap or pcapng file");
}

/* --- pcapng --- */

static void test_pcapng_interfaces_and_timestamps(void **state)
{
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512];

	(void)state;
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);      /* default: microseconds */
	idb(&c, 1, 0, "eth1", 9, 0);       /* nanoseconds */
	idb(&c, 1, 0, NULL, 0x80 | 10, 0); /* 2^-10 s, no name */
	idb(&c, 1, 0, "ms", 3, 1000);      /* milliseconds, 1000 s later */
	epb(&c, 0, 5000001ull, frame(0), 60, 60);
	epb(&c, 1, 7 * NS + 5, frame(1), 64, 64);
	epb(&c, 2, 3 * 1024 + 512, frame(2), 70, 70);
	epb(&c, 3, 2500, frame(3), 50, 80);
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	assert_true(fl_pcapng_is_ng(r));
	expect_pkt(r, 0, 0, 5 * NS + 1000, 0, 60, 60);
	expect_pkt(r, 0, 1, 7 * NS + 5, 1, 64, 64);
	expect_pkt(r, 0, 2, 3 * NS + NS / 2, 2, 70, 70);
	expect_pkt(r, 0, 3, 1002 * NS + NS / 2, 3, 50, 80);
	assert_int_equal(fl_pcapng_n_ifaces(r), 4);
	assert_string_equal(fl_pcapng_iface(r, 0)->name, "eth0");
	assert_string_equal(fl_pcapng_iface(r, 1)->name, "eth1");
	assert_string_equal(fl_pcapng_iface(r, 2)->name, "");
	assert_int_equal(fl_pcapng_iface(r, 3)->tsoffset_s, 1000);
	expect_eof(r);
	fl_pcapng_close(r);
}

static void test_pcapng_sections_both_byte_orders(void **state)
{
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512];

	(void)state;
	shb(&c, false);
	idb(&c, 1, 0, "a", 9, 0);
	idb(&c, 1, 0, "b", 9, 0);
	epb(&c, 1, 10, frame(0), 60, 60);
	shb(&c, true); /* big-endian; numbering starts over */
	idb(&c, 1, 0, "b", 9, 0);
	epb(&c, 0, 20, frame(1), 61, 61);
	shb(&c, false);
	idb(&c, 1, 0, "c", 9, 0);
	idb(&c, 1, 0, "d", 9, 0);
	idb(&c, 1, 0, "e", 9, 0);
	epb(&c, 2, 30, frame(2), 62, 62);
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	expect_pkt(r, 0, 1, 10, 0, 60, 60);
	assert_int_equal(fl_pcapng_section(r), 0);
	expect_pkt(r, 1, 0, 20, 1, 61, 61);
	assert_int_equal(fl_pcapng_n_ifaces(r), 1);
	assert_string_equal(fl_pcapng_iface(r, 0)->name, "b");
	expect_pkt(r, 2, 2, 30, 2, 62, 62);
	assert_string_equal(fl_pcapng_iface(r, 2)->name, "e");
	expect_eof(r);
	fl_pcapng_close(r);
}

static void test_pcapng_simple_obsolete_and_skipped_blocks(void **state)
{
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512];

	(void)state;
	shb(&c, true);
	other_block(&c, 4, 12);          /* name resolution */
	idb(&c, 1, 64, "eth0", -1, 0);   /* snaplen 64 */
	idb(&c, 1, 0, "eth1", -1, 0);
	other_block(&c, 5, 20);          /* interface statistics */
	spb(&c, frame(0), 60, 60);       /* under the snaplen */
	spb(&c, frame(1), 64, 100);      /* cut by the snaplen */
	other_block(&c, 0x40000bad, 3);  /* custom, copyable */
	opb(&c, 1, 2000000, frame(2), 66);
	other_block(&c, 0x0a, 8);        /* decryption secrets */
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	expect_pkt(r, 0, 0, 0, 0, 60, 60); /* SPB: no timestamp */
	expect_pkt(r, 0, 0, 0, 1, 64, 100);
	expect_pkt(r, 0, 1, 2 * NS, 2, 66, 66);
	expect_eof(r);
	fl_pcapng_close(r);
}

static void test_pcapng_errors(void **state)
{
	struct cap c = {0};
	size_t at;

	(void)state;
	/* a block length that is not a multiple of 4 */
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	at = block_begin(&c, 6);
	block_end(&c, at);
	c.d[at + 4] = 13;
	expect_error(&c, -EINVAL, "'test': block 3 (enhanced packet) at offset 60: bad block length 13");

	/* shorter than a block can be */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	put(&c, 0x0bad, 4);
	put(&c, 8, 4);
	put(&c, 8, 4);
	expect_error(&c, -EINVAL, "block 2 (type 0x00000bad) at offset 28: bad block length 8");

	/* longer than the limit: refused before anything is allocated */
	memset(&c, 0, sizeof(c));
	shb(&c, true);
	put(&c, 6, 4);
	put(&c, FL_PCAPNG_MAX_BLOCK + 4, 4);
	expect_error(&c, -EINVAL, "bad block length 16777220");

	/* the trailing length differs */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	epb(&c, 0, 1, frame(0), 60, 60);
	c.d[c.n - 4] = 0x55;
	expect_error(&c, -EINVAL,
		     "block 3 (enhanced packet) at offset 60: trailing block length 85 differs "
		     "from the leading 92");

	/* a packet on an interface the section never described */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	epb(&c, 0, 1, frame(0), 60, 60);
	shb(&c, true);
	idb(&c, 1, 0, "eth0", -1, 0);
	epb(&c, 1, 1, frame(0), 60, 60);
	expect_error(&c, -EINVAL,
		     "block 6 (enhanced packet) at offset 212: packet on interface 1, which "
		     "section 1 has not described (1 interface)");

	/* not Ethernet */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	idb(&c, 113, 0, "any", -1, 0);
	epb(&c, 0, 1, frame(0), 60, 60);
	epb(&c, 1, 1, frame(0), 60, 60);
	expect_error(&c, -ENOTSUP, "packet on interface 1 with link type 113");

	/* an option that runs past its block */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	at = block_begin(&c, 1);
	put(&c, 1, 2);
	put(&c, 0, 2);
	put(&c, 0, 4);
	put(&c, 2, 2);
	put(&c, 200, 2);
	block_end(&c, at);
	expect_error(&c, -EINVAL,
		     "block 2 (interface description) at offset 28: option 2 (length 200) runs past");

	/* an if_tsresol of the wrong length */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	at = block_begin(&c, 1);
	put(&c, 1, 4);
	put(&c, 0, 4);
	option(&c, 9, "ab", 2);
	block_end(&c, at);
	expect_error(&c, -EINVAL, "if_tsresol of length 2 (want 1)");

	/* captured length past the block */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	epb(&c, 0, 1, frame(0), 60, 60);
	c.d[c.n - 60 - 4 - 8] = 61; /* caplen, little-endian, low byte */
	expect_error(&c, -EINVAL, "captured length 61 runs past the end of the block (60 bytes left)");

	/* a simple packet before any interface */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	spb(&c, frame(0), 60, 60);
	expect_error(&c, -EINVAL, "block 2 (simple packet) at offset 28: simple packet before any");

	/* a section header in neither byte order */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	c.d[8] = 0x11;
	expect_error(&c, -EINVAL, "block 1 (section header) at offset 0: bad byte-order magic");

	/* a pcapng version this reader does not know */
	memset(&c, 0, sizeof(c));
	shb(&c, false);
	c.d[12] = 2;
	expect_error(&c, -EINVAL, "unsupported pcapng version 2.0");
}

static void test_pcapng_error_is_sticky(void **state)
{
	struct fl_pcapng_pkt p;
	struct cap c = {0};
	struct fl_pcapng *r;
	char err[512], err2[512];

	(void)state;
	shb(&c, false);
	idb(&c, 1, 0, "eth0", -1, 0);
	epb(&c, 0, 1, frame(0), 60, 60);
	epb(&c, 3, 1, frame(1), 60, 60);
	epb(&c, 0, 1, frame(2), 60, 60);
	r = open_cap(&c, err, sizeof(err));
	assert_non_null(r);
	expect_pkt(r, 0, 0, 1000, 0, 60, 60);
	assert_int_equal(fl_pcapng_next(r, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_pcapng_next(r, &p, err2, sizeof(err2)), -EINVAL);
	assert_string_equal(err, err2);
	fl_pcapng_close(r);
}

/* Every prefix of a valid file: a clean end exactly at a block boundary
 * (with the packets before it), an error anywhere else; never a read past
 * the prefix (the buffer read_all hands the reader is exactly its size). */
static void test_every_truncation(void **state)
{
	struct {
		size_t end;    /* a block ends here */
		unsigned pkts; /* packets in the file up to here */
	} b[8];
	struct cap full = {0}, c;
	unsigned n, n_b = 0, i;
	char err[1024];
	size_t len;
	int ret;

	(void)state;
#define MARK(pkts_) (b[n_b].end = full.n, b[n_b].pkts = (pkts_), n_b++)
	shb(&full, false);
	MARK(0);
	idb(&full, 1, 0, "eth0", 9, 0);
	MARK(0);
	epb(&full, 0, 1, frame(0), 61, 61);
	MARK(1);
	shb(&full, true);
	MARK(1);
	idb(&full, 1, 50, "eth1", 0x83, 0);
	MARK(1);
	spb(&full, frame(1), 50, 70);
	MARK(2);
	opb(&full, 0, 9, frame(2), 33);
	MARK(3);
#undef MARK
	for (len = 0; len <= full.n; len++) {
		c = full;
		c.n = len;
		ret = read_all(&c, err, sizeof(err), &n);
		for (i = 0; i < n_b && b[i].end != len; i++)
			;
		if (i < n_b) {
			if (ret != 0 || n != b[i].pkts)
				fail_msg("cut at %zu (a block boundary): %d, %u packets: %s", len, ret, n,
					 err);
		} else if (ret >= 0) {
			fail_msg("cut at %zu (inside a block): read without an error", len);
		} else if (!strstr(err, "'test': ")) {
			fail_msg("cut at %zu: message '%s' names no file", len, err);
		}
	}
}

static void test_open_file(void **state)
{
	char path[] = "/tmp/test_pcapng.XXXXXX", err[512];
	struct cap c = {0};
	struct fl_pcapng *r;
	int fd;

	(void)state;
	pcap_header(&c, false, true, 1);
	pcap_record(&c, 3, 4, frame(4), 60, 60);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, c.d, c.n), (ssize_t)c.n);
	close(fd);
	r = fl_pcapng_open(path, err, sizeof(err));
	assert_non_null(r);
	expect_pkt(r, 0, 0, 3 * NS + 4, 4, 60, 60);
	expect_eof(r);
	fl_pcapng_close(r);
	unlink(path);

	r = fl_pcapng_open(path, err, sizeof(err));
	assert_null(r);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot open: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_microseconds_little_endian),
		cmocka_unit_test(test_pcap_nanoseconds_big_endian),
		cmocka_unit_test(test_pcap_errors),
		cmocka_unit_test(test_pcapng_interfaces_and_timestamps),
		cmocka_unit_test(test_pcapng_sections_both_byte_orders),
		cmocka_unit_test(test_pcapng_simple_obsolete_and_skipped_blocks),
		cmocka_unit_test(test_pcapng_errors),
		cmocka_unit_test(test_pcapng_error_is_sticky),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_open_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
