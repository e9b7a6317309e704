/* libFuzzer target for the flow syntax: any byte string is flow text.
 *
 * The first byte picks the flow-mod command (byte % 5) and whether the rest
 * is one flow (fl_flow_parse) or a flows file (fl_flow_parse_text); the rest
 * is copied into a heap string of exactly its length plus the NUL, so ASan
 * reports any read past it. A flow that parses is printed, and the printed
 * text must parse back to an equal spec that prints the same (abort()
 * otherwise): the round trip is the oracle, with the sanitizers. The printer
 * also runs on small buffers (truncation). Last, the bytes are checked as an
 * untrusted action list (fl_ofpacts_check), and printed when accepted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TEXT_MAX 65536

static int lookup_port(void *aux, const char *name, uint32_t *port)
{
	(void)aux;
	if (!strcmp(name, "eth0")) {
		*port = 1;
		return 0;
	}
	if (!strcmp(name, "vm-1")) {
		*port = 10;
		return 0;
	}
	return -1;
}

static const struct fl_port_resolver resolver = { lookup_port, NULL };

static void roundtrip(const struct fl_flow_spec *spec, char *out, char *out2)
{
	static struct fl_flow_spec again;
	char err[512], small[16];
	int n;

	n = fl_flow_format(spec, out, FUZZ_TEXT_MAX);
	if (n >= FUZZ_TEXT_MAX)
		return;
	if (fl_flow_format(spec, small, sizeof(small)) != n)
		abort();
	if (fl_flow_parse(out, (enum fl_flow_cmd)spec->command, &resolver, &again, err,
			  sizeof(err))) {
		fprintf(stderr, "canonical text does not parse:\n  %s\n  %s\n", out, err);
		abort();
	}
	fl_flow_format(&again, out2, FUZZ_TEXT_MAX);
	if (!fl_flow_spec_equal(spec, &again) || strcmp(out, out2)) {
		fprintf(stderr, "round trip differs:\n  %s\n  %s\n", out, out2);
		abort();
	}
	fl_flow_spec_uninit(&again);
}

static void check_actions(const uint8_t *data, size_t size)
{
	static uint64_t buf[FUZZ_TEXT_MAX / 8];
	static struct fl_match m;
	char msg[256], *text;
	size_t len = size & ~(size_t)7;

	if (len > sizeof(buf))
		len = sizeof(buf);
	memcpy(buf, data, len);
	fl_match_init_catchall(&m);
	if (fl_ofpacts_check((const struct fl_ofpact *)(const void *)buf, len, &m, 0, msg,
			     sizeof(msg)))
		return;
	text = malloc(FUZZ_TEXT_MAX);
	if (text)
		fl_ofpacts_format((const struct fl_ofpact *)(const void *)buf, len, text,
				  FUZZ_TEXT_MAX);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_flow_spec spec;
	struct fl_flow_spec *specs;
	enum fl_flow_cmd cmd;
	char err[1024], *text, *out, *out2;
	size_t n, i;
	bool file;

	if (size < 1 || size > FUZZ_TEXT_MAX)
		return 0;
	cmd = (enum fl_flow_cmd)(data[0] % 5);
	file = (data[0] / 5) % 2;
	text = malloc(size);
	out = malloc(FUZZ_TEXT_MAX);
	out2 = malloc(FUZZ_TEXT_MAX);
	if (!text || !out || !out2)
		goto out;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	if (!file) {
		if (!fl_flow_parse(text, cmd, &resolver, &spec, err, sizeof(err))) {
			roundtrip(&spec, out, out2);
			fl_match_format(&spec.match, spec.priority, out, 64);
			fl_flow_spec_uninit(&spec);
		}
	} else if (!fl_flow_parse_text(text, cmd, &resolver, &specs, &n, err, sizeof(err))) {
		for (i = 0; i < n; i++)
			roundtrip(&specs[i], out, out2);
		fl_flow_specs_free(specs, n);
	}
	check_actions(data + 1, size - 1);
out:
	free(text);
	free(out);
	free(out2);
	return 0;
}
