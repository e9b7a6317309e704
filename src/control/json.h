/* JSON for the control socket and the state file: a strict parser into a
 * small tree, and a writer into a growing buffer.
 *
 * The parser accepts exactly RFC 8259 JSON and says what is wrong and where
 * ("json: expected ',' or '}' after an object member at offset 17"):
 * no comments, no trailing commas, no single quotes, no leading zeros, no
 * NaN/Infinity, no raw control characters in strings, UTF-8 checked (no
 * overlong forms, no surrogates), \u escapes paired. It also refuses what
 * the control protocol never means and a careless reader could get wrong:
 * duplicate object keys, "\u0000" (strings are C strings), nesting deeper
 * than FL_JSON_MAX_DEPTH, numbers longer than FL_JSON_MAX_NUMBER
 * characters. Numbers keep their exact integer value when they have one
 * (cookies and counters are 64-bit).
 *
 * The writer inserts commas and colons itself: a caller only says
 * begin/end, key, value. Memory failure is sticky and reported once at the
 * end (fl_jw_failed), so building a reply needs no error check per call.
 */
#ifndef FL_CONTROL_JSON_H
#define FL_CONTROL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_JSON_MAX_DEPTH 64
#define FL_JSON_MAX_NUMBER 64

enum fl_json_type {
	FL_JSON_NULL,
	FL_JSON_BOOL,
	FL_JSON_NUMBER,
	FL_JSON_STRING,
	FL_JSON_ARRAY,
	FL_JSON_OBJECT,
};

/* fl_json.num.flags: which exact integer forms the number has. */
#define FL_JSON_NUM_U64 0x1u /* an integer 0..UINT64_MAX: num.u */
#define FL_JSON_NUM_I64 0x2u /* an integer INT64_MIN..INT64_MAX: num.i */

struct fl_json_member;

struct fl_json {
	enum fl_json_type type;
	union {
		bool b;
		struct {
			double d;   /* always set (rounded for big integers) */
			uint64_t u;
			int64_t i;
			unsigned flags;
		} num;
		struct {
			char *s;    /* NUL-terminated; never contains NUL */
			size_t len;
		} str;
		struct {
			struct fl_json **v;
			size_t n;
		} arr;
		struct {
			struct fl_json_member *m; /* in document order */
			size_t n;
		} obj;
	};
};

struct fl_json_member {
	char *key;
	struct fl_json *value;
};

/* Parse text[0..len) as one JSON value (whitespace around it allowed,
 * nothing else). 0 with *out set (free with fl_json_free), or -EINVAL with
 * "json: WHAT at offset N" in err and the offset in *err_off (may be NULL),
 * or -ENOMEM. */
int fl_json_parse(const char *text, size_t len, struct fl_json **out, size_t *err_off,
		  char *err, size_t errlen);
void fl_json_free(struct fl_json *v);

/* Lookups that tolerate NULL and wrong types (they return NULL / false). */
const struct fl_json *fl_json_get(const struct fl_json *obj, const char *key);
const char *fl_json_str(const struct fl_json *v);
bool fl_json_u64(const struct fl_json *v, uint64_t *out);
bool fl_json_bool(const struct fl_json *v, bool *out);
const char *fl_json_type_name(enum fl_json_type t);

/* --- writer --- */

struct fl_jw {
	char *buf;        /* NUL-terminated text so far (NULL until the first write) */
	size_t len, cap;
	bool failed;      /* out of memory at some point: the text is incomplete */
	bool pretty;      /* newlines and two-space indents */
	bool after_key;   /* the next value completes a member */
	unsigned depth;
	uint64_t nonempty; /* bit d: the container at depth d has an item */
};

void fl_jw_init(struct fl_jw *w, bool pretty);
void fl_jw_free(struct fl_jw *w);
void fl_jw_reset(struct fl_jw *w); /* empty again, buffer kept */
static inline bool fl_jw_failed(const struct fl_jw *w)
{
	return w->failed;
}

void fl_jw_obj(struct fl_jw *w);
void fl_jw_obj_end(struct fl_jw *w);
void fl_jw_arr(struct fl_jw *w);
void fl_jw_arr_end(struct fl_jw *w);
void fl_jw_key(struct fl_jw *w, const char *key);
void fl_jw_str(struct fl_jw *w, const char *s);
void fl_jw_strn(struct fl_jw *w, const char *s, size_t len);
void fl_jw_u64(struct fl_jw *w, uint64_t v);
void fl_jw_i64(struct fl_jw *w, int64_t v);
void fl_jw_double(struct fl_jw *w, double v); /* null when not finite */
void fl_jw_bool(struct fl_jw *w, bool v);
void fl_jw_null(struct fl_jw *w);
/* A parsed value, written back (round trips exactly for what the parser
 * produces, numbers by their exact integer form when they have one). */
void fl_jw_value(struct fl_jw *w, const struct fl_json *v);
/* Raw text the caller vouches is one JSON value. */
void fl_jw_raw(struct fl_jw *w, const char *json, size_t len);

/* key + value in one call */
static inline void fl_jw_kstr(struct fl_jw *w, const char *k, const char *s)
{
	fl_jw_key(w, k);
	fl_jw_str(w, s);
}

static inline void fl_jw_ku64(struct fl_jw *w, const char *k, uint64_t v)
{
	fl_jw_key(w, k);
	fl_jw_u64(w, v);
}

static inline void fl_jw_kbool(struct fl_jw *w, const char *k, bool v)
{
	fl_jw_key(w, k);
	fl_jw_bool(w, v);
}

static inline void fl_jw_kdouble(struct fl_jw *w, const char *k, double v)
{
	fl_jw_key(w, k);
	fl_jw_double(w, v);
}

#endif
