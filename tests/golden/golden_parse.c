/* Golden tests of the parser: frame hex in, flow key text out.
 *
 * Every NAME.hex in the case directory is a frame (hex digits; whitespace and
 * '#' comments to the end of a line are ignored). The runner parses it with
 * fl_parse() and compares fl_key_format() of the key with the one line in
 * NAME.key. Each frame sits at the very end of an allocation of exactly its
 * length, so under ASan a read past the frame fails the test. All frames are
 * then parsed again in one fl_parse_batch() call, whose keys must be the same.
 *
 *   golden_parse [--update] [DIR]
 *
 * DIR defaults to $FL_SRCDIR/tests/golden/parse. --update (re)writes every
 * .key file from the parser's output: add a case by adding NAME.hex, run
 * --update, and review the new NAME.key before committing it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/hex.h"
#include "core/pkt.h"
#include "proto/parse.h"

#define GOLDEN_MAX_FRAME 2048
#define GOLDEN_MAX_TEXT 1024

struct golden_case {
	char name[256];
	struct fl_pkt *pkt; /* metadata and frame in one allocation of exactly their size */
	struct fl_key key;
};

/* Hex text to bytes; returns the length or -1 with a message. */
static long parse_hex(const char *path, const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, line = 1;

	for (const char *s = text; *s; s++) {
		int v;

		if (*s == '#') {
			while (s[1] && s[1] != '\n')
				s++;
			continue;
		}
		if (*s == '\n')
			line++;
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			continue;
		v = fl_hex_digit(*s);
		if (v < 0) {
			fprintf(stderr, "%s:%d: '%c' is not a hex digit\n", path, line, *s);
			return -1;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap) {
			fprintf(stderr, "%s: frame longer than %zu bytes\n", path, cap);
			return -1;
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "%s: odd number of hex digits\n", path);
		return -1;
	}
	return (long)n;
}

/* A packet whose frame ends exactly where its allocation ends. */
static struct fl_pkt *pkt_alloc_exact(const uint8_t *frame, size_t len)
{
	void *mem;
	struct fl_pkt *pkt;

	if (posix_memalign(&mem, FL_CACHE_LINE, sizeof(*pkt) + len))
		return NULL;
	pkt = mem;
	memset(pkt, 0, sizeof(*pkt));
	fl_pkt_reset(pkt);
	pkt->data_off = sizeof(*pkt);
	pkt->len = (uint16_t)len;
	pkt->in_port = 1;
	memcpy(fl_pkt_data(pkt), frame, len);
	return pkt;
}

static int has_suffix(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && !strcmp(d->d_name + n - 4, ".hex");
}

/* Show where two key texts part: the differing field on each side. */
static void print_diff(const char *name, const char *want, const char *got)
{
	size_t i = 0, start;

	while (want[i] && want[i] == got[i])
		i++;
	start = i;
	while (start > 0 && want[start - 1] != ',')
		start--;
	printf("FAIL %s\n  - %s\n  + %s\n", name, want, got);
	printf("    first difference at column %zu: -%.*s  +%.*s\n", i + 1,
	       (int)strcspn(want + start, ","), want + start, (int)strcspn(got + start, ","),
	       got + start);
}

static bool check_case(const char *dir, struct golden_case *c, bool update)
{
	char path[4096], got[GOLDEN_MAX_TEXT];
	char *want;
	size_t len;
	FILE *f;

	fl_parse(c->pkt, &c->key);
	if (fl_key_format(&c->key, got, sizeof(got)) >= (int)sizeof(got)) {
		printf("FAIL %s: key text longer than %d bytes\n", c->name, GOLDEN_MAX_TEXT);
		return false;
	}
	if (snprintf(path, sizeof(path), "%s/%s.key", dir, c->name) >= (int)sizeof(path)) {
		printf("FAIL %s: path too long\n", c->name);
		return false;
	}
	if (update) {
		f = fopen(path, "w");
		if (!f || fprintf(f, "%s\n", got) < 0 || fclose(f)) {
			printf("FAIL %s: cannot write %s: %s\n", c->name, path, strerror(errno));
			return false;
		}
		return true;
	}
	want = fl_read_file(path, &len);
	if (!want) {
		printf("FAIL %s: no %s (run with --update, then review it)\n", c->name, path);
		return false;
	}
	while (len && (want[len - 1] == '\n' || want[len - 1] == '\r'))
		want[--len] = '\0';
	if (strcmp(want, got)) {
		print_diff(c->name, want, got);
		free(want);
		return false;
	}
	free(want);
	return true;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *srcdir = getenv("FL_SRCDIR");
	char default_dir[4096];
	struct dirent **ents;
	struct golden_case *cases;
	struct fl_pkt **pkts;
	struct fl_key *keys;
	bool update = false;
	unsigned failed = 0, i;
	int n;

	for (i = 1; i < (unsigned)argc; i++) {
		if (!strcmp(argv[i], "--update"))
			update = true;
		else
			dir = argv[i];
	}
	if (!dir) {
		if (!srcdir) {
			fprintf(stderr, "usage: %s [--update] [DIR] (or set FL_SRCDIR)\n", argv[0]);
			return 2;
		}
		snprintf(default_dir, sizeof(default_dir), "%s/tests/golden/parse", srcdir);
		dir = default_dir;
	}
	n = scandir(dir, &ents, has_suffix, alphasort);
	if (n <= 0) {
		fprintf(stderr, "%s: no .hex cases (%s)\n", dir, n < 0 ? strerror(errno) : "empty");
		return 1;
	}
	cases = calloc((size_t)n, sizeof(*cases));
	pkts = calloc((size_t)n, sizeof(*pkts));
	keys = aligned_alloc(FL_CACHE_LINE, (size_t)n * sizeof(*keys));
	if (!cases || !pkts || !keys)
		return 1;

	for (i = 0; i < (unsigned)n; i++) {
		struct golden_case *c = &cases[i];
		uint8_t frame[GOLDEN_MAX_FRAME];
		char path[4096], *text;
		size_t tlen;
		long flen;

		snprintf(c->name, sizeof(c->name), "%.*s", (int)strlen(ents[i]->d_name) - 4,
			 ents[i]->d_name);
		if (snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) >= (int)sizeof(path))
			path[0] = '\0';
		text = fl_read_file(path, &tlen);
		flen = text ? parse_hex(path, text, frame, sizeof(frame)) : -1;
		free(text);
		c->pkt = flen >= 0 ? pkt_alloc_exact(frame, (size_t)flen) : NULL;
		if (!c->pkt) {
			printf("FAIL %s: cannot read %s\n", c->name, path);
			return 1;
		}
		pkts[i] = c->pkt;
		if (!check_case(dir, c, update))
			failed++;
	}

	/* The batch form must give the same keys as one-by-one parsing. */
	fl_parse_batch(pkts, (unsigned)n, keys, NULL);
	for (i = 0; i < (unsigned)n; i++) {
		if (memcmp(&keys[i], &cases[i].key, sizeof(keys[i]))) {
			printf("FAIL %s: fl_parse_batch key differs from fl_parse\n", cases[i].name);
			failed++;
		}
	}

	printf("golden parse: %d cases, %u failed%s\n", n, failed, update ? " (updated)" : "");
	for (i = 0; i < (unsigned)n; i++) {
		free(cases[i].pkt);
		free(ents[i]);
	}
	free(ents);
	free(cases);
	free(pkts);
	free(keys);
	return failed ? 1 : 0;
}
