/* Every bad input to `hf2gguf convert` ends with a non-zero exit, one message
 * naming the file/tensor/key and what was expected, and no output or temp file. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "testutil.h"

typedef struct fixture {
    char *root;      /* temp dir */
    char model[4096];
    char out[4096];  /* empty output directory */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->root = tu_tmpdir();
    snprintf(f->model, sizeof f->model, "%s/model", f->root);
    snprintf(f->out, sizeof f->out, "%s/out", f->root);
    mkdir(f->out, 0755);
    char bin[4096], cmd[12288];
    snprintf(bin, sizeof bin, "%s", HF_BIN);
    snprintf(cmd, sizeof cmd, "'%s/mktiny' '%s' --layers 2 --embd 64 --heads 4 --kv-heads 2 --ff 96 --tokenizer-from '%s'",
             dirname(bin), f->model, tu_shared("models/stories260K-hf"));
    assert_int_equal(system(cmd), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tu_rmrf(f->root);
    free(f->root);
    free(f);
    return 0;
}

/* Runs convert into f->out and checks: exit 1, one stderr line holding every
 * expected word, and an empty output directory. */
static void expect_failure(fixture *f, const char *extra, const char *w1, const char *w2) {
    char *err = NULL;
    int rc = tu_run_cli(&err, "convert '%s' --outfile '%s/x.gguf' %s", f->model, f->out, extra ? extra : "");
    const char *e = err ? err : "";
    if (getenv("HF_SHOW_ERRORS")) fprintf(stderr, "    %s", e);
    if (rc != 1 || (w1 && !strstr(e, w1)) || (w2 && !strstr(e, w2))) fprintf(stderr, "rc %d, stderr: %s", rc, e);
    assert_int_equal(rc, 1);
    if (w1) assert_non_null(strstr(e, w1));
    if (w2) assert_non_null(strstr(e, w2));
    /* one message: a single line */
    const char *nl = strchr(e, '\n');
    assert_true(nl && nl[1] == '\0');
    assert_int_equal(tu_count_entries(f->out), 0);
    free(err);
}

static void write_text(const char *path, const char *text) { assert_int_equal(tu_write(path, text, strlen(text)), 0); }

/* Rewrites config.json with fn applied to its JSON. */
static void edit_config(fixture *f, void (*fn)(cJSON *)) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", f->model);
    size_t n;
    char *text = (char *)tu_read(path, &n);
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    fn(j);
    char *out = cJSON_Print(j);
    write_text(path, out);
    free(out);
    cJSON_Delete(j);
}

/* Rewrites model.safetensors' header with fn applied; data bytes are kept, or cut to `keep` bytes. */
static void edit_weights(fixture *f, void (*fn)(cJSON *), size_t keep) {
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", f->model);
    size_t n;
    uint8_t *b = tu_read(path, &n);
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | b[i];
    cJSON *j = cJSON_ParseWithLength((const char *)b + 8, (size_t)h);
    if (fn) fn(j);
    char *hdr = cJSON_PrintUnformatted(j);
    size_t hl = strlen(hdr), dl = n - 8 - (size_t)h;
    uint8_t *o = malloc(8 + hl + dl);
    for (int i = 0; i < 8; i++) o[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(o + 8, hdr, hl);
    memcpy(o + 8 + hl, b + 8 + h, dl);
    size_t total = 8 + hl + dl;
    assert_int_equal(tu_write(path, o, keep && keep < total ? keep : total), 0);
    free(o);
    free(hdr);
    free(b);
    cJSON_Delete(j);
}

static void missing_config_json(void **state) {
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", f->model);
    remove(path);
    expect_failure(f, NULL, "config.json", "missing");
}

static void malformed_config_json(void **state) {
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", f->model);
    write_text(path, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64,");
    expect_failure(f, NULL, "config.json", "malformed JSON");
}

static void drop_layers(cJSON *j) { cJSON_DeleteItemFromObject(j, "num_hidden_layers"); }
static void missing_config_key(void **state) {
    edit_config(*state, drop_layers);
    expect_failure(*state, NULL, "config.json", "'num_hidden_layers'");
}

static void string_heads(cJSON *j) { cJSON_ReplaceItemInObject(j, "num_attention_heads", cJSON_CreateString("4")); }
static void wrongly_typed_config_key(void **state) {
    edit_config(*state, string_heads);
    expect_failure(*state, NULL, "'num_attention_heads'", "found string");
}

static void unknown_arch(cJSON *j) {
    cJSON_ReplaceItemInObject(j, "architectures", cJSON_CreateStringArray((const char *[]){"FooForCausalLM"}, 1));
}
static void unknown_architecture(void **state) {
    edit_config(*state, unknown_arch);
    expect_failure(*state, NULL, "'FooForCausalLM' is not supported", "LlamaForCausalLM");
}

static void wider_ff(cJSON *j) { cJSON_ReplaceItemInObject(j, "intermediate_size", cJSON_CreateNumber(100)); }
static void shape_mismatch_against_config(void **state) {
    edit_config(*state, wider_ff);
    expect_failure(*state, NULL, "'model.layers.0.mlp.down_proj.weight' has shape [64, 96]", "implies [64, 100]");
}

static void claim_biases(cJSON *j) { cJSON_ReplaceItemInObject(j, "attention_bias", cJSON_CreateTrue()); }
static void bias_promised_by_config_is_missing(void **state) {
    edit_config(*state, claim_biases);
    expect_failure(*state, NULL, "missing tensor 'model.layers.0.self_attn.q_proj.bias'", "config.json");
}

static void drop_k_proj(cJSON *j) { cJSON_DeleteItemFromObject(j, "model.layers.1.self_attn.k_proj.weight"); }
static void missing_tensor(void **state) {
    edit_weights(*state, drop_k_proj, 0);
    expect_failure(*state, NULL, "missing tensor 'model.layers.1.self_attn.k_proj.weight'", NULL);
}

static void drop_all(cJSON *j) {
    while (j->child) cJSON_Delete(cJSON_DetachItemViaPointer(j, j->child));
}
static void checkpoint_without_tensors(void **state) {
    edit_weights(*state, drop_all, 0);
    expect_failure(*state, NULL, "missing tensor 'model.embed_tokens.weight'", "/model:");
}

static void extra_tensor_name(cJSON *j) {
    cJSON *t = cJSON_DetachItemFromObject(j, "model.norm.weight");
    cJSON_AddItemToObject(j, "model.vision_tower.weight", t);
}
static void unmappable_tensor(void **state) {
    edit_weights(*state, extra_tensor_name, 0);
    expect_failure(*state, NULL, "'model.vision_tower.weight'", "no GGUF name");
}

static void truncated_safetensors_header(void **state) {
    edit_weights(*state, NULL, 100); /* cut inside the JSON header */
    expect_failure(*state, NULL, "model.safetensors", "exceeds the file");
}

static void corrupt_header(cJSON *j) {
    cJSON *t = cJSON_GetObjectItem(j, "model.norm.weight");
    cJSON_ReplaceItemInObject(t, "shape", cJSON_CreateString("sixty-four"));
}
static void corrupt_safetensors_header(void **state) {
    edit_weights(*state, corrupt_header, 0);
    expect_failure(*state, NULL, "'model.norm.weight'", "\"shape\" must be an array");
}

static void far_offsets(cJSON *j) {
    cJSON *t = cJSON_GetObjectItem(j, "model.norm.weight");
    cJSON_ReplaceItemInObject(t, "data_offsets", cJSON_CreateIntArray((const int[]){1 << 30, (1 << 30) + 256}, 2));
}
static void out_of_range_offsets(void **state) {
    edit_weights(*state, far_offsets, 0);
    expect_failure(*state, NULL, "'model.norm.weight'", "outside the data section");
}

static void int64_dtype(cJSON *j) {
    cJSON *t = cJSON_GetObjectItem(j, "model.norm.weight");
    cJSON_ReplaceItemInObject(t, "dtype", cJSON_CreateString("I64"));
    cJSON_ReplaceItemInObject(t, "shape", cJSON_CreateIntArray((const int[]){32}, 1));
}
static void unsupported_dtype(void **state) {
    edit_weights(*state, int64_dtype, 0);
    expect_failure(*state, NULL, "'model.norm.weight'", "unsupported dtype \"I64\"");
}

static void unknown_tokenizer(void **state) {
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizer.model", f->model);
    remove(path);
    expect_failure(f, NULL, NULL, NULL);
}

static void unwritable_output_path(void **state) {
    fixture *f = *state;
    char *err = NULL;
    /* parent is a regular file: cannot be created even by root */
    char blocker[4200];
    snprintf(blocker, sizeof blocker, "%s/blocker", f->out);
    write_text(blocker, "x");
    int rc = tu_run_cli(&err, "convert '%s' --outfile '%s/x.gguf'", f->model, blocker);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "blocker/x.gguf"));
    assert_int_equal(tu_count_entries(f->out), 1);
    free(err);
    /* missing directory */
    rc = tu_run_cli(&err, "convert '%s' --outfile '%s/no/such/dir/x.gguf'", f->model, f->out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "no/such/dir/x.gguf"));
    assert_int_equal(tu_count_entries(f->out), 1);
    free(err);
}

/* A full disk, simulated with a file-size limit (EFBIG, SIGXFSZ ignored): the write
 * fails part-way and the temp file must be removed. */
static void full_output_device(void **state) {
    fixture *f = *state;
    char cmd[16384], errpath[4200];
    snprintf(errpath, sizeof errpath, "%s/err.txt", f->root);
    snprintf(cmd, sizeof cmd, "trap '' XFSZ; ulimit -f 16; '%s' convert '%s' --outtype f32 --outfile '%s/x.gguf' 2>'%s'",
             HF_BIN, f->model, f->out, errpath);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    size_t n;
    char *err = (char *)tu_read(errpath, &n);
    assert_non_null(strstr(err, "x.gguf"));
    assert_non_null(strstr(err, "write failed"));
    assert_int_equal(tu_count_entries(f->out), 0);
    free(err);
}

static void bad_command_line(void **state) {
    fixture *f = *state;
    char *err = NULL;
    assert_int_equal(tu_run_cli(&err, "convert '%s' --outtype q4_k --outfile '%s/x.gguf'", f->model, f->out), 2);
    assert_non_null(strstr(err, "f32, f16, bf16, q8_0 or auto"));
    assert_int_equal(tu_count_entries(f->out), 0);
    free(err);
    assert_int_equal(tu_run_cli(&err, "convert"), 2);
    free(err);
    assert_int_equal(tu_run_cli(&err, "convert '%s' --qkv-bias separate", f->model), 2);
    assert_non_null(strstr(err, "--fuse-qkv"));
    free(err);
    assert_int_equal(tu_run_cli(&err, "convert '%s' --threads 0", f->model), 2);
    free(err);
    assert_int_equal(tu_run_cli(&err, "convert --help >/dev/null"), 0);
    free(err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(missing_config_json),       T(malformed_config_json),      T(missing_config_key),
        T(wrongly_typed_config_key),  T(unknown_architecture),       T(shape_mismatch_against_config),
        T(missing_tensor),            T(bias_promised_by_config_is_missing), T(checkpoint_without_tensors),
        T(unmappable_tensor),          T(truncated_safetensors_header),
        T(corrupt_safetensors_header), T(out_of_range_offsets),      T(unsupported_dtype),
        T(unknown_tokenizer),         T(unwritable_output_path),     T(full_output_device),
        T(bad_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
