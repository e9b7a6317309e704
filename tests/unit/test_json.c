/* Tests of the control module's JSON parser and writer.
 *
 * Every class of malformed input is checked for its message and the exact
 * byte offset the parser blames, because both are what a user of the
 * control socket sees. Round trips go both ways: documents written by hand
 * parse to the expected tree and print back to the same compact text, and
 * random trees (seeded) written by the writer parse back to equal trees.
 * Inputs are copied into heap buffers of exactly their length, so reading
 * past the end is caught by AddressSanitizer in the sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "control/json.h"
#include "test_rng.h"

static char err[256];
static size_t err_off;

/* Parse `text` (its strlen bytes, from an exact-size heap copy). */
static int parse_len(const char *text, size_t len, struct fl_json **out)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len);
	err[0] = '\0';
	err_off = (size_t)-1;
	ret = fl_json_parse(copy, len, out, &err_off, err, sizeof(err));
	free(copy);
	return ret;
}

static struct fl_json *parse_ok(const char *text)
{
	struct fl_json *v = NULL;

	if (parse_len(text, strlen(text), &v))
		fail_msg("'%s' did not parse: %s", text, err);
	return v;
}

/* Compact text of a value. */
static char *print(const struct fl_json *v)
{
	static struct fl_jw w;

	fl_jw_free(&w);
	fl_jw_init(&w, false);
	fl_jw_value(&w, v);
	assert_false(fl_jw_failed(&w));
	return w.buf;
}

static void roundtrips_as(const char *in, const char *out)
{
	struct fl_json *v = parse_ok(in);

	assert_string_equal(print(v), out);
	fl_json_free(v);
}

static void scalars_parse_with_exact_integers(void **state)
{
	struct fl_json *v;
	uint64_t u;
	bool b;

	(void)state;
	v = parse_ok("18446744073709551615");
	assert_true(fl_json_u64(v, &u));
	assert_true(u == UINT64_MAX);
	assert_false(v->num.flags & FL_JSON_NUM_I64);
	fl_json_free(v);

	v = parse_ok("-9223372036854775808");
	assert_int_equal(v->num.flags, FL_JSON_NUM_I64);
	assert_true(v->num.i == INT64_MIN);
	assert_false(fl_json_u64(v, &u));
	fl_json_free(v);

	v = parse_ok(" 1.5e3 ");
	assert_int_equal(v->num.flags, 0);
	assert_true(v->num.d == 1500.0);
	assert_false(fl_json_u64(v, &u));
	fl_json_free(v);

	v = parse_ok("18446744073709551616"); /* 2^64: a number, but no exact integer */
	assert_int_equal(v->num.flags, 0);
	assert_true(v->num.d == 18446744073709551616.0);
	fl_json_free(v);

	v = parse_ok("\ttrue\r\n");
	assert_true(fl_json_bool(v, &b) && b);
	fl_json_free(v);
	v = parse_ok("null");
	assert_int_equal(v->type, FL_JSON_NULL);
	assert_false(fl_json_bool(v, &b));
	fl_json_free(v);
}

static void objects_and_arrays_keep_order_and_lookups_check_types(void **state)
{
	struct fl_json *v = parse_ok("{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"ip actions=drop\","
				     "\"n\":[1,2,{}],\"x\":false}}");
	const struct fl_json *args = fl_json_get(v, "args");
	uint64_t u;

	(void)state;
	assert_string_equal(fl_json_str(fl_json_get(v, "cmd")), "add-flow");
	assert_non_null(args);
	assert_int_equal(args->obj.n, 3);
	assert_string_equal(args->obj.m[0].key, "flow");
	assert_string_equal(args->obj.m[2].key, "x");
	assert_null(fl_json_str(fl_json_get(args, "n")));       /* an array, not a string */
	assert_false(fl_json_u64(fl_json_get(args, "flow"), &u));
	assert_null(fl_json_get(args, "missing"));
	assert_null(fl_json_get(fl_json_get(args, "n"), "flow")); /* not an object */
	assert_null(fl_json_get(NULL, "x"));
	assert_int_equal(fl_json_get(args, "n")->arr.n, 3);
	assert_string_equal(print(v), "{\"cmd\":\"add-flow\",\"args\":{\"flow\":\"ip actions=drop\","
				      "\"n\":[1,2,{}],\"x\":false}}");
	fl_json_free(v);
}

static void strings_decode_escapes_and_utf8(void **state)
{
	struct fl_json *v;

	(void)state;
	v = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\xc3\xa9\"");
	assert_string_equal(v->str.s, "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9");
	assert_int_equal(v->str.len, strlen(v->str.s));
	/* printed back: escapes where needed, UTF-8 as is, '/' unescaped */
	assert_string_equal(print(v),
			    "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\"");
	fl_json_free(v);
	roundtrips_as("\"\\u0001\\u001f\"", "\"\\u0001\\u001f\"");
	roundtrips_as("\"\"", "\"\"");
}

struct bad {
	const char *text;
	size_t offset;
	const char *msg;
};

static void every_malformed_class_is_named_with_its_offset(void **state)
{
	static const struct bad cases[] = {
		{"", 0, "empty input"},
		{"   ", 3, "empty input"},
		{"{", 1, "unexpected end of input, expected a string key"},
		{"[1,2", 4, "unexpected end of input, expected ',' or ']' in an array"},
		{"[1 2]", 3, "unexpected '2', expected ',' or ']' in an array"},
		{"[1,]", 3, "trailing comma in an array"},
		{"{\"a\":1,}", 7, "trailing comma in an object"},
		{"{\"a\" 1}", 5, "unexpected '1', expected ':' after an object key"},
		{"{\"a\":1 \"b\":2}", 7, "unexpected '\"', expected ',' or '}' in an object"},
		{"{a:1}", 1, "unexpected 'a', expected a string key"},
		{"{'a':1}", 1, "unexpected ''', expected a string key"},
		{"{\"a\":1,\"b\":2,\"a\":3}", 0, "duplicate key \"a\""},
		{"[1] x", 4, "unexpected 'x', expected the end after the value"},
		{"{} {}", 3, "unexpected '{', expected the end"},
		{"tru", 0, "invalid literal (expected 'true')"},
		{"nul", 0, "invalid literal (expected 'null')"},
		{"falsey", 5, "unexpected 'y', expected the end"},
		{"NaN", 0, "unexpected 'N', expected a value"},
		{"-Infinity", 1, "expected a digit after '-'"},
		{"+1", 0, "unexpected '+', expected a value"},
		{"01", 0, "leading zero in number"},
		{"-012", 1, "leading zero in number"},
		{"1.", 2, "expected a digit after '.'"},
		{".5", 0, "unexpected '.', expected a value"},
		{"1e", 2, "expected a digit in the exponent"},
		{"1e+", 3, "expected a digit in the exponent"},
		{"0x10", 1, "unexpected 'x', expected the end"},
		{"\"abc", 0, "unterminated string"},
		{"\"ab\\", 0, "unterminated string"},
		{"[\"a\nb\"]", 3, "raw control character 0x0a in string"},
		{"\"\\x\"", 1, "invalid escape '\\x'"},
		{"\"\\u12g4\"", 1, "expected 4 hex digits after \\u"},
		{"\"\\u12\"", 1, "expected 4 hex digits after \\u"},
		{"\"\\ud800\"", 1, "unpaired surrogate \\ud800"},
		{"\"\\ud800\\u0041\"", 1, "unpaired surrogate \\ud800"},
		{"\"\\udc00\"", 1, "unpaired surrogate \\udc00"},
		{"\"a\\u0000\"", 2, "\\u0000 (NUL) is not allowed"},
		{"\"\xff\"", 1, "invalid UTF-8 in string"},
		{"\"\xc0\xaf\"", 1, "invalid UTF-8 in string"},          /* overlong '/' */
		{"\"\xe0\x80\xaf\"", 1, "invalid UTF-8 in string"},      /* overlong */
		{"\"\xed\xa0\x80\"", 1, "invalid UTF-8 in string"},      /* a surrogate */
		{"\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8 in string"},  /* above U+10FFFF */
		{"\"\xe2\x82\"", 1, "invalid UTF-8 in string"},          /* cut short */
		{"\x01", 0, "unexpected byte 0x01, expected a value"},
		{"[1,\x80]", 3, "unexpected byte 0x80, expected a value"},
		{"1234567890123456789012345678901234567890123456789012345678901234567890", 0,
		 "number longer than 64 characters"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_json *v = (struct fl_json *)1;

		if (parse_len(cases[i].text, strlen(cases[i].text), &v) != -EINVAL)
			fail_msg("case %zu '%s' parsed", i, cases[i].text);
		assert_null(v);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu '%s': message '%s' lacks '%s'", i, cases[i].text, err,
				 cases[i].msg);
		if (err_off != cases[i].offset)
			fail_msg("case %zu '%s': offset %zu, want %zu (%s)", i, cases[i].text,
				 err_off, cases[i].offset, err);
		assert_non_null(strstr(err, "at offset"));
		assert_int_equal(strncmp(err, "json: ", 6), 0);
	}
}

static void a_nul_byte_inside_the_buffer_is_an_error_not_the_end(void **state)
{
	struct fl_json *v;

	(void)state;
	assert_int_equal(parse_len("[1]\0", 4, &v), -EINVAL);
	assert_int_equal(err_off, 3);
	assert_int_equal(parse_len("\"a\0b\"", 5, &v), -EINVAL);
	assert_non_null(strstr(err, "control character 0x00"));
	/* a length that cuts the text short is honoured */
	assert_int_equal(parse_len("[1,2]", 4, &v), -EINVAL);
	assert_int_equal(err_off, 4);
}

static void nesting_is_limited(void **state)
{
	char deep[2 * FL_JSON_MAX_DEPTH + 3];
	struct fl_json *v;
	unsigned i;

	(void)state;
	for (i = 0; i < FL_JSON_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[FL_JSON_MAX_DEPTH + i] = ']';
	}
	deep[2 * FL_JSON_MAX_DEPTH] = '\0';
	v = parse_ok(deep);
	fl_json_free(v);

	memmove(deep + 1, deep, 2 * FL_JSON_MAX_DEPTH + 1);
	deep[0] = '[';
	deep[2 * FL_JSON_MAX_DEPTH + 1] = ']';
	deep[2 * FL_JSON_MAX_DEPTH + 2] = '\0';
	assert_int_equal(parse_len(deep, strlen(deep), &v), -EINVAL);
	assert_int_equal(err_off, FL_JSON_MAX_DEPTH);
	assert_non_null(strstr(err, "nesting deeper than 64 levels"));
}

static void writer_places_commas_and_escapes(void **state)
{
	struct fl_jw w;

	(void)state;
	fl_jw_init(&w, false);
	fl_jw_obj(&w);
	fl_jw_kstr(&w, "name", "p\"1\\\n");
	fl_jw_ku64(&w, "no", 7);
	fl_jw_key(&w, "list");
	fl_jw_arr(&w);
	fl_jw_i64(&w, -3);
	fl_jw_arr(&w);
	fl_jw_arr_end(&w);
	fl_jw_obj(&w);
	fl_jw_obj_end(&w);
	fl_jw_null(&w);
	fl_jw_double(&w, 0.25);
	fl_jw_double(&w, 1.0 / 0.0);
	fl_jw_arr_end(&w);
	fl_jw_kbool(&w, "ok", true);
	fl_jw_key(&w, "bad");
	fl_jw_strn(&w, "a\xff\0z", 4);
	fl_jw_obj_end(&w);
	assert_false(fl_jw_failed(&w));
	assert_string_equal(w.buf, "{\"name\":\"p\\\"1\\\\\\n\",\"no\":7,\"list\":[-3,[],{},null,"
				   "0.25,null],\"ok\":true,\"bad\":\"a\xef\xbf\xbd\xef\xbf\xbdz\"}");
	roundtrips_as(w.buf, w.buf);

	fl_jw_reset(&w);
	w.pretty = true;
	fl_jw_obj(&w);
	fl_jw_key(&w, "a");
	fl_jw_arr(&w);
	fl_jw_u64(&w, 1);
	fl_jw_u64(&w, 2);
	fl_jw_arr_end(&w);
	fl_jw_key(&w, "e");
	fl_jw_arr(&w);
	fl_jw_arr_end(&w);
	fl_jw_obj_end(&w);
	assert_string_equal(w.buf, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": []\n}");
	fl_jw_free(&w);
}

/* --- random trees: written, parsed back, compared --- */

static struct fl_json *random_tree(unsigned depth)
{
	struct fl_json *v = calloc(1, sizeof(*v));
	unsigned kind = rnd(depth ? 6 : 4), i, n;

	assert_non_null(v);
	switch (kind) {
	case 0:
		v->type = rnd(2) ? FL_JSON_NULL : FL_JSON_BOOL;
		v->b = rnd(2);
		break;
	case 1:
		v->type = FL_JSON_NUMBER;
		v->num.u = rng() >> rnd(64);
		v->num.flags = FL_JSON_NUM_U64 | (v->num.u <= INT64_MAX ? FL_JSON_NUM_I64 : 0);
		v->num.i = (int64_t)v->num.u;
		v->num.d = (double)v->num.u;
		break;
	case 2:
		v->type = FL_JSON_NUMBER;
		v->num.i = -(int64_t)(rng() >> (1 + rnd(63))) - 1;
		v->num.flags = FL_JSON_NUM_I64;
		v->num.d = (double)v->num.i;
		break;
	case 3:
		v->type = FL_JSON_STRING;
		n = rnd(12);
		v->str.s = malloc(n * 4 + 1);
		assert_non_null(v->str.s);
		v->str.len = 0;
		for (i = 0; i < n; i++) {
			static const char *const pieces[] = {"a", "\"", "\\", "\n", "\x01", "/",
							     "\xc3\xa9", "\xe2\x82\xac",
							     "\xf0\x9f\x98\x80", " ", "\x7f"};
			const char *pc = pieces[rnd(11)];

			memcpy(v->str.s + v->str.len, pc, strlen(pc));
			v->str.len += strlen(pc);
		}
		v->str.s[v->str.len] = '\0';
		break;
	case 4:
		v->type = FL_JSON_ARRAY;
		v->arr.n = rnd(5);
		v->arr.v = calloc(v->arr.n + 1, sizeof(*v->arr.v));
		for (i = 0; i < v->arr.n; i++)
			v->arr.v[i] = random_tree(depth - 1);
		break;
	default:
		v->type = FL_JSON_OBJECT;
		v->obj.n = rnd(5);
		v->obj.m = calloc(v->obj.n + 1, sizeof(*v->obj.m));
		for (i = 0; i < v->obj.n; i++) {
			v->obj.m[i].key = malloc(16);
			snprintf(v->obj.m[i].key, 16, "k%u\xc3\xa9", i);
			v->obj.m[i].value = random_tree(depth - 1);
		}
		break;
	}
	return v;
}

static bool tree_equal(const struct fl_json *a, const struct fl_json *b)
{
	size_t i;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case FL_JSON_NULL:
		return true;
	case FL_JSON_BOOL:
		return a->b == b->b;
	case FL_JSON_NUMBER:
		return a->num.flags == b->num.flags && a->num.d == b->num.d &&
		       (!(a->num.flags & FL_JSON_NUM_U64) || a->num.u == b->num.u) &&
		       (!(a->num.flags & FL_JSON_NUM_I64) || a->num.i == b->num.i);
	case FL_JSON_STRING:
		return a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len);
	case FL_JSON_ARRAY:
		if (a->arr.n != b->arr.n)
			return false;
		for (i = 0; i < a->arr.n; i++)
			if (!tree_equal(a->arr.v[i], b->arr.v[i]))
				return false;
		return true;
	case FL_JSON_OBJECT:
		if (a->obj.n != b->obj.n)
			return false;
		for (i = 0; i < a->obj.n; i++)
			if (strcmp(a->obj.m[i].key, b->obj.m[i].key) ||
			    !tree_equal(a->obj.m[i].value, b->obj.m[i].value))
				return false;
		return true;
	}
	return false;
}

static void random_trees_round_trip_compact_and_pretty(void **state)
{
	unsigned i;

	(void)state;
	rng_seed(0x4a534f4e);
	for (i = 0; i < 2000; i++) {
		struct fl_json *t = random_tree(4), *back = NULL;
		struct fl_jw w;

		fl_jw_init(&w, i % 2);
		fl_jw_value(&w, t);
		assert_false(fl_jw_failed(&w));
		if (parse_len(w.buf, w.len, &back))
			fail_msg("tree %u: '%s' does not parse: %s", i, w.buf, err);
		if (!tree_equal(t, back))
			fail_msg("tree %u differs after '%s'", i, w.buf);
		fl_json_free(t);
		fl_json_free(back);
		fl_jw_free(&w);
	}
}

static void numbers_print_back_in_their_exact_form(void **state)
{
	(void)state;
	roundtrips_as("[0,-0,1,-1,18446744073709551615,-9223372036854775808,0.5,-2.5e-3,1e300]",
		      "[0,0,1,-1,18446744073709551615,-9223372036854775808,0.5,-0.0025000000000000001,"
		      "1.0000000000000001e+300]");
	roundtrips_as("1e999", "null"); /* out of double range: not a finite number */
	/* negative zero as a double prints as 0 (as "-0" it would read back as an integer) */
	roundtrips_as("[-0.0,-0e+38]", "[0,0]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scalars_parse_with_exact_integers),
		cmocka_unit_test(objects_and_arrays_keep_order_and_lookups_check_types),
		cmocka_unit_test(strings_decode_escapes_and_utf8),
		cmocka_unit_test(every_malformed_class_is_named_with_its_offset),
		cmocka_unit_test(a_nul_byte_inside_the_buffer_is_an_error_not_the_end),
		cmocka_unit_test(nesting_is_limited),
		cmocka_unit_test(writer_places_commas_and_escapes),
		cmocka_unit_test(random_trees_round_trip_compact_and_pretty),
		cmocka_unit_test(numbers_print_back_in_their_exact_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
