/* Runs fuzz inputs without libFuzzer, so every corpus runs in `meson test`
 * (under ASan+UBSan in CI): fuzz-driver [--mutate-seconds N] FILE-or-DIR...
 * Every input is replayed; with --mutate-seconds, inputs made from them
 * (bit flips, byte changes, insertions, deletions, repeats, splices) run
 * for N more seconds, from a fixed seed so a failure replays exactly
 * (BOOKSTORE_FUZZ_SEED picks another). Built with -Dfuzzing=true (clang),
 * the same targets link against libFuzzer instead. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX_INPUT = 1 << 20, FUZZ_MAX_INPUTS = 4096, FUZZ_MAX_MUTATED = 4096 };

struct input {
        uint8_t *data;
        size_t len;
};

static struct input inputs[FUZZ_MAX_INPUTS];
static size_t n_inputs;

static int load_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f) {
                perror(path);
                return -1;
        }
        uint8_t *buf = malloc(FUZZ_MAX_INPUT);
        size_t n = buf ? fread(buf, 1, FUZZ_MAX_INPUT, f) : 0;
        fclose(f);
        if (!buf || n_inputs == FUZZ_MAX_INPUTS) {
                free(buf);
                return -1;
        }
        inputs[n_inputs++] = (struct input){.data = buf, .len = n};
        return 0;
}

static int load(const char *arg)
{
        struct stat st;
        if (stat(arg, &st) < 0) {
                perror(arg);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return load_file(arg);
        DIR *d = opendir(arg);
        struct dirent *e;
        int r = 0;
        while (r == 0 && d && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", arg, e->d_name);
                r = load_file(path);
        }
        if (d)
                closedir(d);
        return r;
}

static uint64_t rng;

static uint64_t roll(uint64_t n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return n ? rng % n : 0;
}

/* One mutation of `in` into out (at most FUZZ_MAX_MUTATED bytes); its length. */
static size_t mutate(const struct input *in, uint8_t *out)
{
        size_t len = in->len < FUZZ_MAX_MUTATED ? in->len : FUZZ_MAX_MUTATED;
        memcpy(out, in->data, len);
        for (int k = 0, edits = 1 + (int)roll(4); k < edits; k++) {
                size_t at = roll(len + 1);
                switch (roll(7)) {
                case 0: /* flip a bit */
                        if (len)
                                out[roll(len)] ^= (uint8_t)(1u << roll(8));
                        break;
                case 1: /* a byte from the edges of the ranges protobuf cares about */
                        if (len) {
                                static const uint8_t edge[] = {0x00, 0x01, 0x7f, 0x80, 0xff,
                                                               0x0a, 0x12, 0x1a, 0x22, 0xc0};
                                out[roll(len)] = edge[roll(sizeof(edge))];
                        }
                        break;
                case 2: /* insert a byte */
                        if (len < FUZZ_MAX_MUTATED) {
                                memmove(out + at + 1, out + at, len - at);
                                out[at] = (uint8_t)roll(256);
                                len++;
                        }
                        break;
                case 3: /* delete a run */
                        if (at < len) {
                                size_t n = 1 + roll(len - at);
                                memmove(out + at, out + at + n, len - at - n);
                                len -= n;
                        }
                        break;
                case 4: /* repeat a run */
                        if (at < len) {
                                size_t n = 1 + roll(len - at < 64 ? len - at : 64);
                                if (len + n <= FUZZ_MAX_MUTATED) {
                                        memmove(out + at + n, out + at, len - at);
                                        len += n;
                                }
                        }
                        break;
                case 5: { /* splice in another input's tail */
                        const struct input *o = &inputs[roll(n_inputs)];
                        size_t from = roll(o->len + 1), n = o->len - from;
                        if (at + n > FUZZ_MAX_MUTATED)
                                n = FUZZ_MAX_MUTATED - at;
                        memcpy(out + at, o->data + from, n);
                        len = at + n;
                        break;
                }
                default: /* another first byte (the targets' selector) */
                        if (len)
                                out[0] = (uint8_t)roll(256);
                }
        }
        return len;
}

int main(int argc, char **argv)
{
        double seconds = 0;
        int i = 1;
        if (argc > 2 && !strcmp(argv[1], "--mutate-seconds")) {
                seconds = atof(argv[2]);
                i = 3;
        }
        for (; i < argc; i++)
                if (load(argv[i]) < 0)
                        return 1;
        for (size_t k = 0; k < n_inputs; k++)
                LLVMFuzzerTestOneInput(inputs[k].data, inputs[k].len);
        printf("%zu inputs replayed\n", n_inputs);
        const char *seed = getenv("BOOKSTORE_FUZZ_SEED");
        rng = seed ? strtoull(seed, NULL, 10) : 0x9e3779b97f4a7c15ull;
        rng = rng ? rng : 1;
        uint8_t *buf = malloc(FUZZ_MAX_MUTATED);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        unsigned long runs = 0;
        for (bool more = seconds > 0 && n_inputs && buf; more; runs++) {
                size_t len = mutate(&inputs[roll(n_inputs)], buf);
                LLVMFuzzerTestOneInput(buf, len);
                clock_gettime(CLOCK_MONOTONIC, &now);
                more = (double)(now.tv_sec - start.tv_sec) +
                               (double)(now.tv_nsec - start.tv_nsec) / 1e9 <
                       seconds;
        }
        if (seconds > 0)
                printf("%lu mutated inputs in %.0f s (seed %s)\n", runs, seconds,
                       seed ? seed : "default");
        free(buf);
        for (size_t k = 0; k < n_inputs; k++)
                free(inputs[k].data);
        return n_inputs > 0 ? 0 : 1;
}
