/* hf2gguf: dispatch to subcommands. To add one, write cmd_<name>.c with an
 * `int cmd_<name>(int argc, char **argv)`, declare it in cli.h and add a row
 * to COMMANDS. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/outfile.h"
#include "cli/cli.h"
#include "cli_version.h" /* generated in the build directory (src/cli/version.h.in) */

static const cli_command COMMANDS[] = {
    {"convert", "convert a Hugging Face checkpoint directory to GGUF", cmd_convert},
    {"info", "print a GGUF file's header, KV pairs and tensors (--json: all of it)", cmd_info},
    {"diff", "compare two GGUF files (exit 0 identical, 1 different)", cmd_diff},
    {"fuse-qkv", "fuse each layer's attn_q/k/v into attn_qkv inside a GGUF", cmd_fuse_qkv},
    {"unfuse-qkv", "split each layer's attn_qkv into attn_q/k/v inside a GGUF", cmd_unfuse_qkv},
    {"run", "run a GGUF model on the CPU: prompt in, generated text out", cmd_run},
    {"synth", "write a random-weight Hugging Face checkpoint of a supported architecture", cmd_synth},
    {"bench", "measure prompt and generation speed of GGUF models (like llama-bench)", cmd_bench},
    {NULL, NULL, NULL},
};

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("hf2gguf: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *out) {
    fputs("usage: hf2gguf COMMAND [ARGS...]\n\ncommands:\n", out);
    /* Two spaces at least between a name and its summary: help2man (the man page) needs them. */
    int width = 0;
    for (const cli_command *c = COMMANDS; c->name; c++)
        if ((int)strlen(c->name) > width) width = (int)strlen(c->name);
    for (const cli_command *c = COMMANDS; c->name; c++) fprintf(out, "  %-*s  %s\n", width, c->name, c->summary);
    fputs("\noptions:\n"
          "  --help      print this help and exit\n"
          "  --version   print the version and git revision and exit\n"
          "\nRun 'hf2gguf COMMAND --help' for a command's options.\n",
          out);
}

/* A conversion interrupted by a signal leaves no temporary file: remove them, then die of
 * the signal as if unhandled (the exit status says which). */
static void remove_tmp_and_reraise(int sig) {
    hf_outfile_unlink_all_tmp();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_cleanup_handlers(void) {
    static const int SIGNALS[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_tmp_and_reraise;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGNALS[i], &sa, NULL);
    }
}

int main(int argc, char **argv) {
    install_cleanup_handlers();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("hf2gguf %s (git %s)\n", HF2GGUF_VERSION, HF2GGUF_GIT_REV);
        return 0;
    }
    for (const cli_command *c = COMMANDS; c->name; c++)
        if (!strcmp(argv[1], c->name)) return c->run(argc - 1, argv + 1);
    cli_error("unknown command '%s'", argv[1]);
    usage(stderr);
    return 2;
}
