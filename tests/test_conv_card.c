/* Unit tests of the README.md front matter reader (src/convert/conv_card.c): where the
 * front matter is, PyYAML's typing of scalars, gguf-py's textual fixes, and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "convert/conv_internal.h"

static card_val *parse_ok(const char *text) {
    card_val *v = NULL;
    hf_err err;
    hf_status s = conv_card_parse(text, strlen(text), "README.md", &v, &err);
    if (s != HF_OK) fail_msg("unexpected error: %s", err.msg);
    return v;
}

static const char *parse_err(const char *text, size_t len, hf_err *err) {
    card_val *v = NULL;
    hf_status s = conv_card_parse(text, len, "dir/README.md", &v, err);
    assert_int_equal(s, HF_ERR_FORMAT);
    assert_null(v);
    return err->msg;
}

static void test_no_front_matter(void **state) {
    (void)state;
    assert_null(parse_ok(""));
    assert_null(parse_ok("# Title\n---\nlicense: mit\n---\n"));
    assert_null(parse_ok("--- \nlicense: mit\n---\n"));           /* first line must be exactly --- */
    assert_null(parse_ok("\xef\xbb\xbf---\nlicense: mit\n---\n")); /* a BOM is part of the first line */
    assert_null(parse_ok("---\n---\nbody\n"));                     /* empty: None, ignored */
    assert_null(parse_ok("---\n- a\n- b\n---\n"));                  /* a list, not a mapping */
    assert_null(parse_ok("---\njust a string\n---\n"));
}

static void test_strings_and_lists(void **state) {
    (void)state;
    card_val *c = parse_ok("---\nlicense: apache-2.0\nlanguage:\n- en\n- fr\ntags: [chat, 'x']\n---\n# body: 1\n");
    assert_non_null(c);
    const card_val *v = conv_card_get(c, "license");
    assert_int_equal(v->type, CARD_STR);
    assert_string_equal(v->text, "apache-2.0");
    assert_int_equal(v->line, 2);
    v = conv_card_get(c, "language");
    assert_int_equal(v->type, CARD_SEQ);
    assert_int_equal(v->n, 2);
    assert_string_equal(v->items[1]->text, "fr");
    v = conv_card_get(c, "tags");
    assert_int_equal(v->n, 2);
    assert_null(conv_card_get(c, "body")); /* after the closing --- */
    conv_card_free(c);
}

static void test_scalar_types(void **state) {
    (void)state;
    card_val *c = parse_ok("---\na: 42\nb: 0x1F\nc: 1_000\nd: 1.5\ne: 1e5\nf: yes\ng: Off\nh: ~\ni:\n"
                           "j: '42'\nk: 2024-01-31\nl: .inf\nm: 010\nn: 1:30\no: !!str 7\n---\n");
    const card_val *v;
    assert_int_equal((v = conv_card_get(c, "a"))->type, CARD_INT);
    assert_int_equal(v->i, 42);
    assert_int_equal(conv_card_get(c, "b")->i, 31);
    assert_int_equal(conv_card_get(c, "c")->i, 1000);
    assert_int_equal(conv_card_get(c, "d")->type, CARD_FLOAT);
    assert_int_equal(conv_card_get(c, "e")->type, CARD_STR); /* PyYAML's float needs a '.' */
    assert_int_equal((v = conv_card_get(c, "f"))->type, CARD_BOOL);
    assert_true(v->b);
    assert_int_equal((v = conv_card_get(c, "g"))->type, CARD_BOOL);
    assert_false(v->b);
    assert_int_equal(conv_card_get(c, "h")->type, CARD_NULL);
    assert_int_equal(conv_card_get(c, "i")->type, CARD_NULL);
    assert_int_equal(conv_card_get(c, "j")->type, CARD_STR);
    assert_int_equal(conv_card_get(c, "k")->type, CARD_OTHER);
    assert_int_equal(conv_card_get(c, "l")->type, CARD_FLOAT);
    assert_int_equal(conv_card_get(c, "m")->i, 8); /* YAML 1.1 octal */
    assert_int_equal(conv_card_get(c, "n")->i, 90);
    assert_int_equal(conv_card_get(c, "o")->type, CARD_STR);
    assert_false(conv_card_truthy(conv_card_get(c, "h")));
    assert_true(conv_card_truthy(conv_card_get(c, "a")));
    conv_card_free(c);
}

static void test_gguf_py_fixes(void **state) {
    (void)state;
    /* "- no" is quoted (the Norway problem), tabs become two spaces. */
    card_val *c = parse_ok("---\nlanguage:\n- en\n- no\ntags:\n\t- a\n\t- b\n---\n");
    const card_val *v = conv_card_get(c, "language");
    assert_int_equal(v->items[1]->type, CARD_STR);
    assert_string_equal(v->items[1]->text, "no");
    assert_int_equal(conv_card_get(c, "tags")->n, 2);
    conv_card_free(c);
    /* ...but not inside a flow list. */
    c = parse_ok("---\nlanguage: [en, no]\n---\n");
    assert_int_equal(conv_card_get(c, "language")->items[1]->type, CARD_BOOL);
    conv_card_free(c);
}

static void test_line_endings_aliases_repeats(void **state) {
    (void)state;
    card_val *c = parse_ok("---\r\nlicense: mit\r\nlicense: other\r\nb: &x {k: v}\r\nc: *x\r\n<<: *x\r\n---\r\n");
    assert_string_equal(conv_card_get(c, "license")->text, "other"); /* last repeat wins */
    assert_string_equal(conv_card_get(conv_card_get(c, "c"), "k")->text, "v");
    assert_string_equal(conv_card_get(c, "k")->text, "v"); /* merge key */
    conv_card_free(c);
    /* Without a closing ---, the rest of the file is the front matter (as gguf-py). */
    c = parse_ok("---\nlicense: mit\n");
    assert_string_equal(conv_card_get(c, "license")->text, "mit");
    conv_card_free(c);
}

static void test_malformed(void **state) {
    (void)state;
    hf_err err;
    /* "Billion laughs": aliases nested 6 deep expand to 10^6 nodes, past the expansion guard. */
    const char *laughs = "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
                         "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                         "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                         "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                         "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\n";
    const char *lmsg = parse_err(laughs, strlen(laughs), &err);
    assert_non_null(strstr(lmsg, "dir/README.md: YAML front matter too large"));
    const char *bad = "---\nlicense: mit\ntags: [a, \"b\nx: 1\n---\n";
    const char *msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "dir/README.md: malformed YAML front matter: line"));
    assert_non_null(strstr(msg, "quoted scalar"));
    bad = "---\nlicense: mit\n  bad: indent\n---\n";
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "line 3"));
    bad = "---\na: *nope\n---\n";
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "undefined alias"));
    bad = "---\na: 1\n--- \nb: 2\n---\n"; /* "--- " does not close: a second document */
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "single document"));
    bad = "---\n? [a]\n: 1\n---\n";
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "unhashable"));
    bad = "---\nlicense: mit\n---\n\xc3\x28\n";
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "dir/README.md: not valid UTF-8 (byte offset 21)"));
    bad = "---\na: \xed\xa0\x80\n---\n"; /* a surrogate */
    msg = parse_err(bad, strlen(bad), &err);
    assert_non_null(strstr(msg, "not valid UTF-8"));
}

static void test_load_missing(void **state) {
    (void)state;
    card_val *c = (card_val *)1;
    char path[4096];
    hf_err err;
    assert_int_equal(conv_card_load("/nonexistent-dir-for-card-test", &c, path, sizeof path, &err), HF_OK);
    assert_null(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_front_matter),   cmocka_unit_test(test_strings_and_lists),
        cmocka_unit_test(test_scalar_types),      cmocka_unit_test(test_gguf_py_fixes),
        cmocka_unit_test(test_line_endings_aliases_repeats), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_load_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
