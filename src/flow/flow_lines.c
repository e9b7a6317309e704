/* Many flows: text with one flow per line, parsed one line at a time.
 *
 * The streaming form (fl_flow_parse_each) is what big rule sets go
 * through: each spec is handed on as soon as it is parsed, so loading a
 * file costs one spec and one line buffer, not a 448-byte spec per line
 * held until the end (45 MB for 100,000 rules, all of it page faults).
 * The array form is built on it for callers that want every spec first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "flow/flow.h"
#include "flow/flow_private.h"

/* A copy of one line for the parser to cut up, reused from line to line. */
struct line_buf {
	char *s;
	size_t cap;
};

static char *line_copy(struct line_buf *lb, const char *text, size_t len)
{
	if (len + 1 > lb->cap) {
		size_t cap = lb->cap ? lb->cap : 256;
		char *s;

		while (cap < len + 1)
			cap *= 2;
		s = realloc(lb->s, cap);
		if (!s)
			return NULL;
		lb->s = s;
		lb->cap = cap;
	}
	memcpy(lb->s, text, len);
	lb->s[len] = '\0';
	return lb->s;
}

long fl_flow_parse_each(const char *text, const char *path, enum fl_flow_cmd cmd,
			const struct fl_port_resolver *res, fl_flow_spec_fn fn, void *ctx,
			char *err, size_t errlen)
{
	struct line_buf lb = {NULL, 0};
	struct fl_flow_spec spec;
	size_t lineno = 0;
	long n = 0;
	char msg[1024];
	int r = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");
		const char *s = text + strspn(text, " \t\r");
		char *line;

		lineno++;
		if (*s == '#' || s >= text + len) {
			text += len + (text[len] != '\0');
			continue;
		}
		line = line_copy(&lb, text, len);
		text += len + (text[len] != '\0');
		if (!line) {
			snprintf(msg, sizeof(msg), "flow: out of memory");
			r = -ENOMEM;
			break;
		}
		r = fl_flow_parse_buf(line, cmd, res, &spec, msg, sizeof(msg));
		if (r)
			break;
		msg[0] = '\0';
		r = fn(ctx, &spec, msg, sizeof(msg));
		fl_flow_spec_uninit(&spec);
		if (r)
			break;
		n++;
	}
	free(lb.s);
	if (!r)
		return n;
	if (path)
		snprintf(err, errlen, "%s:%zu: %s", path, lineno, msg);
	else
		snprintf(err, errlen, "line %zu: %s", lineno, msg);
	return r;
}

/* --- into an array --- */

int fl_flow_specs_append(struct fl_flow_specs *a, struct fl_flow_spec *spec)
{
	if (a->n == a->cap) {
		/* aligned: realloc() would not keep the alignment */
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct fl_flow_spec *ns = aligned_alloc(FL_CACHE_LINE, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		if (a->n)
			memcpy(ns, a->v, a->n * sizeof(*ns));
		free(a->v);
		a->v = ns;
		a->cap = cap;
	}
	/* the array takes the actions; the caller's spec is left empty */
	a->v[a->n++] = *spec;
	fl_ofpacts_init(&spec->actions);
	return 0;
}

static int append_spec(void *ctx, struct fl_flow_spec *spec, char *err, size_t errlen)
{
	if (fl_flow_specs_append(ctx, spec) == 0)
		return 0;
	snprintf(err, errlen, "flow: out of memory");
	return -ENOMEM;
}

void fl_flow_specs_free(struct fl_flow_spec *specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fl_flow_spec_uninit(&specs[i]);
	free(specs);
}

static int parse_lines(const char *text, const char *path, enum fl_flow_cmd cmd,
		       const struct fl_port_resolver *res, struct fl_flow_spec **specs,
		       size_t *n, char *err, size_t errlen)
{
	struct fl_flow_specs a = {NULL, 0, 0};
	long r = fl_flow_parse_each(text, path, cmd, res, append_spec, &a, err, errlen);

	if (r < 0) {
		fl_flow_specs_free(a.v, a.n);
		return (int)r;
	}
	*specs = a.v;
	*n = a.n;
	return 0;
}

int fl_flow_parse_text(const char *text, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		       struct fl_flow_spec **specs, size_t *n, char *err, size_t errlen)
{
	*specs = NULL;
	*n = 0;
	return parse_lines(text, NULL, cmd, res, specs, n, err, errlen);
}

char *fl_flow_read_file(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf = fl_read_file(path, &len);

	if (!buf) {
		int e = errno;

		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return buf;
}

int fl_flow_parse_file(const char *path, enum fl_flow_cmd cmd, const struct fl_port_resolver *res,
		       struct fl_flow_spec **specs, size_t *n, char *err, size_t errlen)
{
	char *buf;
	int r;

	*specs = NULL;
	*n = 0;
	buf = fl_flow_read_file(path, err, errlen);
	if (!buf)
		return -errno;
	r = parse_lines(buf, path, cmd, res, specs, n, err, errlen);
	free(buf);
	return r;
}
