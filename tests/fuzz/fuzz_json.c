/* libFuzzer target for the control module's JSON parser and writer, and
 * the state file reader on top of them: any byte string is a request line
 * or a state file.
 *
 * The bytes are copied into a heap buffer of exactly their length (not
 * NUL-terminated), so ASan reports any read past it. A document that
 * parses is written back; the written text must parse, and writing that
 * again must give the same text (abort() otherwise): the writer's output is
 * always valid strict JSON and its form is a fixed point. A failed parse
 * must name an offset inside the input. Last, the bytes are read as a state
 * file, and an accepted state is written and read back to the same JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/json.h"
#include "control/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void state_roundtrip(const char *text, size_t len)
{
	static struct fl_ctl_state st, again;
	struct fl_jw w1, w2;
	char err[512];

	fl_ctl_state_init(&st);
	if (fl_ctl_state_from_json(&st, text, len, err, sizeof(err)))
		return;
	fl_jw_init(&w1, true);
	fl_ctl_state_to_json(&st, &w1);
	fl_ctl_state_init(&again);
	if (w1.failed || fl_ctl_state_from_json(&again, w1.buf, w1.len, err, sizeof(err))) {
		fprintf(stderr, "written state does not read back: %s\n", err);
		abort();
	}
	fl_jw_init(&w2, true);
	fl_ctl_state_to_json(&again, &w2);
	if (w2.failed || w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len))
		abort();
	fl_jw_free(&w1);
	fl_jw_free(&w2);
	fl_ctl_state_clear(&st);
	fl_ctl_state_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_json *v = NULL, *back = NULL;
	struct fl_jw w1, w2;
	char err[256], *text;
	size_t off = (size_t)-1;

	if (size > (1u << 20))
		return 0;
	text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	if (fl_json_parse(text, size, &v, &off, err, sizeof(err))) {
		if (off > size || v)
			abort();
		goto state;
	}
	fl_jw_init(&w1, data[0] & 1);
	fl_jw_value(&w1, v);
	if (fl_jw_failed(&w1))
		goto out_w1;
	if (fl_json_parse(w1.buf, w1.len, &back, NULL, err, sizeof(err))) {
		fprintf(stderr, "written JSON does not parse: %s\n%s\n", err, w1.buf);
		abort();
	}
	fl_jw_init(&w2, data[0] & 1);
	fl_jw_value(&w2, back);
	if (!fl_jw_failed(&w2) && (w1.len != w2.len || memcmp(w1.buf, w2.buf, w1.len))) {
		fprintf(stderr, "not a fixed point:\n%s\n%s\n", w1.buf, w2.buf);
		abort();
	}
	fl_jw_free(&w2);
	fl_json_free(back);
out_w1:
	fl_jw_free(&w1);
	fl_json_free(v);
state:
	state_roundtrip(text, size);
	free(text);
	return 0;
}
