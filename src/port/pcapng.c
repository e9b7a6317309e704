/* pcapng and pcap reading with the interface of every packet (pcapng.h).
 *
 * The file is read block by block into one growing buffer: a block's
 * leading length is checked (at least 12 bytes, a multiple of 4, at most
 * FL_PCAPNG_MAX_BLOCK) before anything is allocated for it, the whole block
 * is read, and its trailing length must repeat the leading one; only then is
 * the body looked at, and every field read from it is bounds-checked against
 * the body length. The format is the IETF draft "PCAP Next Generation
 * (pcapng) Capture File Format" (draft-ietf-opsawg-pcapng); classic pcap is
 * draft-ietf-opsawg-pcap.
 */
#include "port/pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "core/compiler.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_OPB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define TYPE_UNKNOWN 0xffffffffu /* a block cut short before its type */
#define SHB_BOM 0x1a2b3c4du
#define SHB_MIN_LEN 28u   /* header, BOM, versions, section length, trailer */
#define PCAP_HDR_LEN 24u
#define PCAP_REC_LEN 16u
#define NS_PER_S 1000000000ull

#define OPT_ENDOFOPT 0
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

struct fl_pcapng {
	FILE *fp;               /* file source, or NULL */
	const uint8_t *mem;     /* memory source */
	size_t mem_len, mem_pos;
	uint8_t pending[4];     /* magic read at open, handed out again first */
	unsigned n_pending;
	char label[192];
	bool ng;
	bool swap;              /* the section (or pcap file) is in the other byte order */
	bool nano;              /* pcap: nanosecond timestamps */
	uint32_t linktype;      /* pcap: from the file header */
	uint64_t offset;        /* bytes consumed */
	uint64_t block_no;      /* blocks (records) consumed */
	uint32_t sections;      /* Section Header Blocks seen */
	struct fl_pcapng_iface *ifaces;
	unsigned n_ifaces, cap_ifaces;
	uint8_t *buf;           /* the current block or record */
	size_t buf_cap;
	/* where the block being read starts, for messages */
	uint64_t cur_offset, cur_no;
	uint32_t cur_type;
	int error;              /* sticky: the first error, 0 if none */
	char msg[640];
};

static uint16_t g16(const struct fl_pcapng *r, const uint8_t *p)
{
	uint16_t v = fl_get_u16(p);

	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t g32(const struct fl_pcapng *r, const uint8_t *p)
{
	uint32_t v = fl_get_u32(p);

	return r->swap ? __builtin_bswap32(v) : v;
}

static const char *block_name(uint32_t type)
{
	switch (type) {
	case BT_SHB:
		return "section header";
	case BT_IDB:
		return "interface description";
	case BT_OPB:
		return "packet (obsolete)";
	case BT_SPB:
		return "simple packet";
	case BT_EPB:
		return "enhanced packet";
	default:
		return NULL;
	}
}

/* Record an error (the first one sticks) with the place it was found. */
static int fail(struct fl_pcapng *r, int ret, bool where, const char *fmt, ...) FL_PRINTF(4, 5);
static int fail(struct fl_pcapng *r, int ret, bool where, const char *fmt, ...)
{
	char what[256];
	const char *name;
	va_list ap;

	if (r->error)
		return r->error;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!where) {
		snprintf(r->msg, sizeof(r->msg), "'%s': %s", r->label, what);
	} else if (!r->ng) {
		snprintf(r->msg, sizeof(r->msg), "'%s': record %llu at offset %llu: %s", r->label,
			 (unsigned long long)r->cur_no, (unsigned long long)r->cur_offset, what);
	} else if (r->cur_type == TYPE_UNKNOWN) {
		snprintf(r->msg, sizeof(r->msg), "'%s': block %llu at offset %llu: %s", r->label,
			 (unsigned long long)r->cur_no, (unsigned long long)r->cur_offset, what);
	} else if ((name = block_name(r->cur_type)) != NULL) {
		snprintf(r->msg, sizeof(r->msg), "'%s': block %llu (%s) at offset %llu: %s",
			 r->label, (unsigned long long)r->cur_no, name,
			 (unsigned long long)r->cur_offset, what);
	} else {
		snprintf(r->msg, sizeof(r->msg), "'%s': block %llu (type 0x%08x) at offset %llu: %s",
			 r->label, (unsigned long long)r->cur_no, r->cur_type,
			 (unsigned long long)r->cur_offset, what);
	}
	r->error = ret;
	return ret;
}

/* Read up to n bytes; fewer only at the end of the source (or on a read
 * error, which is then recorded). */
static size_t src_read(struct fl_pcapng *r, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t got = 0, k;

	while (r->n_pending && got < n) {
		d[got++] = r->pending[0];
		memmove(r->pending, r->pending + 1, --r->n_pending);
	}
	if (got == n)
		return got;
	if (r->fp) {
		k = fread(d + got, 1, n - got, r->fp);
		if (k < n - got && ferror(r->fp))
			fail(r, -EIO, false, "read error at offset %llu: %s",
			     (unsigned long long)(r->offset + got + k), strerror(errno ? errno : EIO));
		return got + k;
	}
	k = FL_MIN(n - got, r->mem_len - r->mem_pos);
	if (k)
		memcpy(d + got, r->mem + r->mem_pos, k);
	r->mem_pos += k;
	return got + k;
}

static int reserve(struct fl_pcapng *r, size_t n)
{
	uint8_t *b;

	if (n <= r->buf_cap)
		return 0;
	b = realloc(r->buf, n);
	if (!b)
		return fail(r, -ENOMEM, true, "out of memory for %zu bytes", n);
	r->buf = b;
	r->buf_cap = n;
	return 0;
}

/* --- pcapng --- */

/* Read the next block into r->buf; *body, *body_len: what lies between its
 * header and its trailing length. 1, 0 at the end of the file, or an error. */
static int read_block(struct fl_pcapng *r, uint32_t *type, const uint8_t **body,
		      uint32_t *body_len)
{
	uint8_t hdr[12];
	uint32_t len, bom, have = 8, trail;
	size_t got;
	int ret;

	r->cur_offset = r->offset;
	r->cur_no = r->block_no + 1;
	r->cur_type = TYPE_UNKNOWN;
	got = src_read(r, hdr, 8);
	if (r->error)
		return r->error;
	if (got == 0)
		return 0;
	if (got >= 4)
		r->cur_type = *type = (fl_get_u32(hdr) == BT_SHB) ? BT_SHB : g32(r, hdr);
	if (got < 8)
		return fail(r, -EINVAL, true, "truncated block header: %zu of 8 bytes", got);
	if (*type == BT_SHB) {
		/* a new section: its byte-order magic says how to read the length */
		got = src_read(r, hdr + 8, 4);
		if (got < 4)
			return r->error ? r->error
					: fail(r, -EINVAL, true, "truncated block: %zu of 12 bytes", 8 + got);
		bom = fl_get_u32(hdr + 8);
		if (bom == SHB_BOM)
			r->swap = false;
		else if (bom == __builtin_bswap32(SHB_BOM))
			r->swap = true;
		else
			return fail(r, -EINVAL, true, "bad byte-order magic 0x%08x", bom);
		have = 12;
	}
	len = g32(r, hdr + 4);
	if (len < 12 || len % 4 || len > FL_PCAPNG_MAX_BLOCK || (*type == BT_SHB && len < SHB_MIN_LEN))
		return fail(r, -EINVAL, true,
			    "bad block length %u (a multiple of 4, %u to %u bytes)", len,
			    *type == BT_SHB ? SHB_MIN_LEN : 12u, FL_PCAPNG_MAX_BLOCK);
	ret = reserve(r, len);
	if (ret < 0)
		return ret;
	memcpy(r->buf, hdr, have);
	got = src_read(r, r->buf + have, len - have);
	if (r->error)
		return r->error;
	if (got < len - have)
		return fail(r, -EINVAL, true, "truncated block: %zu of %u bytes", have + got, len);
	trail = g32(r, r->buf + len - 4);
	if (trail != len)
		return fail(r, -EINVAL, true, "trailing block length %u differs from the leading %u",
			    trail, len);
	r->offset += len;
	r->block_no++;
	*body = r->buf + 8;
	*body_len = len - 12;
	return 1;
}

static int handle_shb(struct fl_pcapng *r, const uint8_t *b, uint32_t n)
{
	uint16_t major = g16(r, b + 4), minor = g16(r, b + 6);

	(void)n; /* read_block made sure of the fixed part (SHB_MIN_LEN) */
	if (major != 1)
		return fail(r, -EINVAL, true, "unsupported pcapng version %u.%u", major, minor);
	r->sections++;
	r->n_ifaces = 0; /* interface numbering starts over in every section */
	return 0;
}

static int parse_iface_options(struct fl_pcapng *r, const uint8_t *p, uint32_t n,
			       struct fl_pcapng_iface *ifc)
{
	while (n >= 4) {
		uint16_t code = g16(r, p), olen = g16(r, p + 2);
		uint32_t padded = ((uint32_t)olen + 3) & ~3u;
		size_t k;

		if (code == OPT_ENDOFOPT)
			break;
		if (padded > n - 4)
			return fail(r, -EINVAL, true, "option %u (length %u) runs past the end of the block",
				    code, olen);
		switch (code) {
		case OPT_IF_NAME:
			for (k = 0; k < olen && k < sizeof(ifc->name) - 1 && p[4 + k]; k++)
				ifc->name[k] = (char)p[4 + k];
			ifc->name[k] = '\0';
			break;
		case OPT_IF_TSRESOL:
			if (olen != 1)
				return fail(r, -EINVAL, true, "if_tsresol of length %u (want 1)", olen);
			ifc->tsresol = p[4];
			break;
		case OPT_IF_TSOFFSET:
			if (olen != 8)
				return fail(r, -EINVAL, true, "if_tsoffset of length %u (want 8)", olen);
			ifc->tsoffset_s = (int64_t)(r->swap ? __builtin_bswap64(fl_get_u64(p + 4))
							    : fl_get_u64(p + 4));
			break;
		default:
			break;
		}
		p += 4 + padded;
		n -= 4 + padded;
	}
	return 0;
}

static int handle_idb(struct fl_pcapng *r, const uint8_t *b, uint32_t n)
{
	struct fl_pcapng_iface ifc = {.tsresol = 6};
	int ret;

	if (n < 8)
		return fail(r, -EINVAL, true, "body of %u bytes, shorter than the 8 it needs", n);
	ifc.linktype = g16(r, b);
	ifc.snaplen = g32(r, b + 4);
	ret = parse_iface_options(r, b + 8, n - 8, &ifc);
	if (ret < 0)
		return ret;
	if (r->n_ifaces == FL_PCAPNG_MAX_IFACES)
		return fail(r, -EINVAL, true, "more than %u interfaces in one section",
			    FL_PCAPNG_MAX_IFACES);
	if (r->n_ifaces == r->cap_ifaces) {
		unsigned cap = r->cap_ifaces ? 2 * r->cap_ifaces : 8;
		struct fl_pcapng_iface *a = realloc(r->ifaces, cap * sizeof(*a));

		if (!a)
			return fail(r, -ENOMEM, true, "out of memory for %u interfaces", cap);
		r->ifaces = a;
		r->cap_ifaces = cap;
	}
	r->ifaces[r->n_ifaces++] = ifc;
	return 0;
}

/* Timestamp units of an interface -> ns since the epoch, saturating. */
static uint64_t ts_ns(const struct fl_pcapng_iface *ifc, uint64_t t)
{
	static const uint64_t pow10[] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull,
					 1000000ull, 10000000ull, 100000000ull, 1000000000ull};
	unsigned e = ifc->tsresol & 0x7f;
	unsigned __int128 v;
	__int128 s;

	if (ifc->tsresol & 0x80) {
		v = ((unsigned __int128)t * NS_PER_S) >> e; /* units of 2^-e s */
	} else if (e <= 9) {
		v = (unsigned __int128)t * pow10[9 - e]; /* units of 10^-e s */
	} else {
		v = t;
		for (e -= 9; e && v; e--)
			v /= 10;
	}
	s = (__int128)v + (__int128)ifc->tsoffset_s * (__int128)NS_PER_S;
	if (s < 0)
		return 0;
	return s > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)s;
}

/* Fill *pkt from a packet block's fields, after checking them. */
static int emit(struct fl_pcapng *r, struct fl_pcapng_pkt *pkt, uint32_t iface, bool has_ts,
		uint64_t t, uint32_t caplen, uint32_t len, const uint8_t *data)
{
	const struct fl_pcapng_iface *ifc;

	if (iface >= r->n_ifaces)
		return fail(r, -EINVAL, true,
			    "packet on interface %u, which section %u has not described (%u interface%s)",
			    iface, r->sections - 1, r->n_ifaces, r->n_ifaces == 1 ? "" : "s");
	ifc = &r->ifaces[iface];
	if (ifc->linktype != FL_PCAPNG_LINKTYPE_ETHERNET)
		return fail(r, -ENOTSUP, true,
			    "packet on interface %u with link type %u: only Ethernet (1) is supported",
			    iface, ifc->linktype);
	if (caplen > len)
		return fail(r, -EINVAL, true, "captured length %u exceeds the original length %u",
			    caplen, len);
	pkt->data = data;
	pkt->caplen = caplen;
	pkt->len = len;
	pkt->iface = iface;
	pkt->section = r->sections - 1;
	pkt->ts_ns = has_ts ? ts_ns(ifc, t) : 0;
	pkt->block_no = r->cur_no;
	pkt->offset = r->cur_offset;
	return 1;
}

/* EPB: iface(4) ts_hi(4) ts_lo(4) caplen(4) len(4) data options
 * OPB: iface(2) drops(2) ts_hi(4) ts_lo(4) caplen(4) len(4) data options */
static int handle_pb(struct fl_pcapng *r, uint32_t type, const uint8_t *b, uint32_t n,
		     struct fl_pcapng_pkt *pkt)
{
	uint32_t iface, caplen;
	uint64_t t;

	if (n < 20)
		return fail(r, -EINVAL, true, "body of %u bytes, shorter than the 20 it needs", n);
	iface = type == BT_EPB ? g32(r, b) : g16(r, b);
	t = (uint64_t)g32(r, b + 4) << 32 | g32(r, b + 8);
	caplen = g32(r, b + 12);
	if (caplen > n - 20)
		return fail(r, -EINVAL, true,
			    "captured length %u runs past the end of the block (%u bytes left)",
			    caplen, n - 20);
	return emit(r, pkt, iface, true, t, caplen, g32(r, b + 16), b + 20);
}

/* SPB: len(4) data; captured: min(len, snaplen of interface 0). */
static int handle_spb(struct fl_pcapng *r, const uint8_t *b, uint32_t n,
		      struct fl_pcapng_pkt *pkt)
{
	uint32_t len, caplen;

	if (n < 4)
		return fail(r, -EINVAL, true, "body of %u bytes, shorter than the 4 it needs", n);
	if (!r->n_ifaces)
		return fail(r, -EINVAL, true, "simple packet before any interface description");
	len = caplen = g32(r, b);
	if (r->ifaces[0].snaplen && r->ifaces[0].snaplen < caplen)
		caplen = r->ifaces[0].snaplen;
	if (caplen > n - 4)
		return fail(r, -EINVAL, true,
			    "packet of %u bytes runs past the end of the block (%u bytes left)",
			    caplen, n - 4);
	return emit(r, pkt, 0, false, 0, caplen, len, b + 4);
}

static int next_ng(struct fl_pcapng *r, struct fl_pcapng_pkt *pkt)
{
	const uint8_t *b;
	uint32_t type = 0, n;
	int ret;

	for (;;) {
		ret = read_block(r, &type, &b, &n);
		if (ret <= 0)
			return ret;
		switch (type) {
		case BT_SHB:
			ret = handle_shb(r, b, n);
			break;
		case BT_IDB:
			ret = handle_idb(r, b, n);
			break;
		case BT_EPB:
		case BT_OPB:
			return handle_pb(r, type, b, n, pkt);
		case BT_SPB:
			return handle_spb(r, b, n, pkt);
		default:
			ret = 0; /* name resolution, statistics, custom...: not ours */
			break;
		}
		if (ret < 0)
			return ret;
	}
}

/* --- classic pcap --- */

static int open_pcap(struct fl_pcapng *r, uint32_t magic)
{
	uint8_t h[PCAP_HDR_LEN];
	size_t got;
	uint16_t major;

	r->swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	r->nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
	got = src_read(r, h, sizeof(h));
	if (r->error)
		return r->error;
	if (got < sizeof(h))
		return fail(r, -EINVAL, false, "truncated pcap file header (%zu of %u bytes)", got,
			    PCAP_HDR_LEN);
	r->offset = PCAP_HDR_LEN;
	major = g16(r, h + 4);
	if (major != 2)
		return fail(r, -EINVAL, false, "unsupported pcap version %u.%u", major,
			    g16(r, h + 6));
	/* the upper bits of the link type field carry FCS information */
	r->linktype = g32(r, h + 20) & 0xffffu;
	if (r->linktype != FL_PCAPNG_LINKTYPE_ETHERNET)
		return fail(r, -ENOTSUP, false, "link type %u: only Ethernet (1) is supported",
			    r->linktype);
	r->n_ifaces = 1;
	r->cap_ifaces = 1;
	r->ifaces = calloc(1, sizeof(*r->ifaces));
	if (!r->ifaces)
		return fail(r, -ENOMEM, false, "out of memory");
	r->ifaces[0].linktype = r->linktype;
	r->ifaces[0].snaplen = g32(r, h + 16);
	r->ifaces[0].tsresol = r->nano ? 9 : 6;
	r->sections = 1;
	return 0;
}

static int next_pcap(struct fl_pcapng *r, struct fl_pcapng_pkt *pkt)
{
	uint8_t h[PCAP_REC_LEN];
	uint32_t caplen, len, frac;
	size_t got;
	int ret;

	r->cur_offset = r->offset;
	r->cur_no = r->block_no + 1;
	got = src_read(r, h, sizeof(h));
	if (r->error)
		return r->error;
	if (got == 0)
		return 0;
	if (got < sizeof(h))
		return fail(r, -EINVAL, true, "truncated record header (%zu of %u bytes)", got,
			    PCAP_REC_LEN);
	caplen = g32(r, h + 8);
	len = g32(r, h + 12);
	if (caplen > FL_PCAPNG_MAX_CAPLEN)
		return fail(r, -EINVAL, true, "captured length %u exceeds the limit of %u", caplen,
			    FL_PCAPNG_MAX_CAPLEN);
	ret = reserve(r, FL_MAX(caplen, 1u));
	if (ret < 0)
		return ret;
	got = src_read(r, r->buf, caplen);
	if (r->error)
		return r->error;
	if (got < caplen)
		return fail(r, -EINVAL, true, "truncated record: %zu of %u bytes of packet data", got,
			    caplen);
	r->offset += PCAP_REC_LEN + caplen;
	r->block_no++;
	frac = g32(r, h + 4);
	return emit(r, pkt, 0, true,
		    (uint64_t)g32(r, h) * (r->nano ? NS_PER_S : 1000000u) + frac, caplen, len,
		    r->buf);
}

/* --- common --- */

static struct fl_pcapng *reader_open(struct fl_pcapng *r, char *err, size_t errlen)
{
	uint8_t m[4];
	uint32_t magic;
	size_t got;
	int ret;

	got = src_read(r, m, 4);
	if (r->error)
		goto fail;
	if (got < 4) {
		if (got)
			fail(r, -EINVAL, false, "truncated file header (%zu of 4 bytes)", got);
		else
			fail(r, -EINVAL, false, "empty file");
		goto fail;
	}
	magic = fl_get_u32(m);
	memcpy(r->pending, m, 4);
	r->n_pending = 4;
	if (magic == BT_SHB) {
		const uint8_t *b;
		uint32_t type = 0, n;

		/* the first section header is read now, so a broken one fails the open */
		r->ng = true;
		ret = read_block(r, &type, &b, &n);
		if (ret > 0)
			ret = handle_shb(r, b, n);
		if (ret < 0)
			goto fail;
		return r;
	}
	if (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u || magic == 0xa1b23c4du ||
	    magic == 0x4d3cb2a1u) {
		if (open_pcap(r, magic) < 0)
			goto fail;
		return r;
	}
	fail(r, -EINVAL, false, "not a pcap or pcapng file (magic 0x%08x)", magic);
fail:
	snprintf(err, errlen, "%s", r->msg);
	ret = r->error;
	fl_pcapng_close(r);
	errno = -ret;
	return NULL;
}

static struct fl_pcapng *reader_alloc(const char *label, char *err, size_t errlen)
{
	struct fl_pcapng *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "'%s': out of memory", label);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(r->label, sizeof(r->label), "%s", label);
	return r;
}

struct fl_pcapng *fl_pcapng_open(const char *path, char *err, size_t errlen)
{
	struct fl_pcapng *r = reader_alloc(path, err, errlen);
	int e;

	if (!r)
		return NULL;
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		e = errno;
		snprintf(err, errlen, "'%s': cannot open: %s", path, strerror(e));
		fl_pcapng_close(r);
		errno = e;
		return NULL;
	}
	return reader_open(r, err, errlen);
}

struct fl_pcapng *fl_pcapng_open_mem(const void *data, size_t len, const char *label, char *err,
				     size_t errlen)
{
	struct fl_pcapng *r = reader_alloc(label, err, errlen);

	if (!r)
		return NULL;
	r->mem = data;
	r->mem_len = len;
	return reader_open(r, err, errlen);
}

void fl_pcapng_close(struct fl_pcapng *r)
{
	if (!r)
		return;
	if (r->fp)
		fclose(r->fp);
	free(r->buf);
	free(r->ifaces);
	free(r);
}

int fl_pcapng_next(struct fl_pcapng *r, struct fl_pcapng_pkt *pkt, char *err, size_t errlen)
{
	int ret = 0;

	if (!r->error)
		ret = r->ng ? next_ng(r, pkt) : next_pcap(r, pkt);
	if (r->error) {
		snprintf(err, errlen, "%s", r->msg);
		return r->error;
	}
	return ret;
}

bool fl_pcapng_is_ng(const struct fl_pcapng *r)
{
	return r->ng;
}

uint32_t fl_pcapng_section(const struct fl_pcapng *r)
{
	return r->sections ? r->sections - 1 : 0;
}

unsigned fl_pcapng_n_ifaces(const struct fl_pcapng *r)
{
	return r->n_ifaces;
}

const struct fl_pcapng_iface *fl_pcapng_iface(const struct fl_pcapng *r, uint32_t idx)
{
	return idx < r->n_ifaces ? &r->ifaces[idx] : NULL;
}
