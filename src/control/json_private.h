/* Inside the JSON module: the parser's state and error reporting, shared by
 * json.c (values, numbers, containers) and json_string.c (strings), and the
 * UTF-8 check the writer uses too. */
#ifndef FL_CONTROL_JSON_PRIVATE_H
#define FL_CONTROL_JSON_PRIVATE_H

#include <stddef.h>

#include "control/json.h"
#include "core/compiler.h"

struct json_parser {
	const char *start, *p, *end;
	unsigned depth;
	int ret;           /* first error: -EINVAL or -ENOMEM */
	size_t *err_off;
	char *err;
	size_t errlen;
};

/* Record "json: WHAT at offset N" (N = at - start); return -EINVAL. */
int json_fail(struct json_parser *ps, const char *at, const char *fmt, ...) FL_PRINTF(3, 4);
int json_oom(struct json_parser *ps); /* -ENOMEM, at the current offset */

/* A string at ps->p (on its opening quote), decoded into a new
 * NUL-terminated buffer. 0, or the error (recorded in ps). */
int json_parse_string(struct json_parser *ps, char **out, size_t *outlen);

/* Bytes of the well-formed UTF-8 sequence at p (lead byte >= 0x80, avail
 * bytes readable), or 0: no overlong forms, no surrogates, <= U+10FFFF. */
unsigned json_utf8_len(const unsigned char *p, size_t avail);

#endif
