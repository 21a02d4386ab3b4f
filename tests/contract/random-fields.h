/* Random field values for the stores' round-trip property tests: every
 * store saves a random valid record and loads it back, on memory and on
 * MariaDB, and compares it field by field. Values reach the edges: empty
 * and full-length strings, multi-byte UTF-8 cut only at character
 * boundaries, quotes, backslashes and control characters, the largest and
 * smallest integers. Deterministic per seed (splitmix64), so a failing seed
 * prints and replays. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rnd {
        uint64_t state;
};

static inline uint64_t rnd_next(struct rnd *r)
{
        uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* In [lo, hi]. */
static inline int64_t rnd_range(struct rnd *r, int64_t lo, int64_t hi)
{
        uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
        return span ? (int64_t)((uint64_t)lo + rnd_next(r) % span) : (int64_t)rnd_next(r);
}

static inline bool rnd_bool(struct rnd *r)
{
        return rnd_next(r) & 1;
}

/* Any int64, often an edge. */
static inline int64_t rnd_int64(struct rnd *r)
{
        switch (rnd_next(r) % 6) {
        case 0:
                return INT64_MAX;
        case 1:
                return INT64_MIN;
        case 2:
                return 0;
        case 3:
                return rnd_range(r, -1000, 1000);
        default:
                return (int64_t)rnd_next(r);
        }
}

static inline int32_t rnd_int32(struct rnd *r)
{
        switch (rnd_next(r) % 4) {
        case 0:
                return INT32_MAX;
        case 1:
                return INT32_MIN;
        default:
                return (int32_t)rnd_next(r);
        }
}

/* A time in ms since the epoch, up to the year 9999, often an edge. */
static inline int64_t rnd_time_ms(struct rnd *r)
{
        switch (rnd_next(r) % 4) {
        case 0:
                return 0;
        case 1:
                return 253402300799999;
        default:
                return rnd_range(r, 1, 253402300799999);
        }
}

/* A length for a field that holds at most max bytes: empty, full or between. */
static inline size_t rnd_len(struct rnd *r, size_t max)
{
        switch (rnd_next(r) % 4) {
        case 0:
                return 0;
        case 1:
                return max;
        default:
                return (size_t)rnd_range(r, 0, (int64_t)max);
        }
}

/* Printable ASCII (the ascii columns), exactly len bytes, NUL-terminated. */
static inline void rnd_ascii(struct rnd *r, char *out, size_t len)
{
        for (size_t i = 0; i < len; i++)
                out[i] = (char)rnd_range(r, 0x21, 0x7e);
        out[len] = '\0';
}

/* Valid UTF-8 of at most len bytes (characters of 1 to 4 bytes, never cut),
 * with quotes, backslashes and control characters among them. */
static inline void rnd_utf8(struct rnd *r, char *out, size_t len)
{
        static const char *const pieces[] = {"a",
                                             "Z",
                                             "7",
                                             " ",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\t",
                                             "/",
                                             "\x01",
                                             "\xc3\xa9",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x93\x9a",
                                             "{",
                                             "'",
                                             "%"};
        size_t n = 0;
        while (n < len) {
                const char *p = pieces[rnd_next(r) % (sizeof(pieces) / sizeof(pieces[0]))];
                size_t k = strlen(p);
                if (n + k > len)
                        p = "x", k = 1;
                memcpy(out + n, p, k);
                n += k;
        }
        out[n] = '\0';
}

/* Printable ASCII of a random length that starts with tag (a unique key
 * stays unique whatever the rest is). */
static inline void rnd_ascii_tagged(struct rnd *r, char *out, size_t cap, const char *tag)
{
        size_t t = strlen(tag), len = rnd_len(r, cap - 1);
        rnd_ascii(r, out, len < t ? t : len);
        memcpy(out, tag, t);
}

/* Valid UTF-8 of at most max_chars characters and cap - 1 bytes, for a
 * column that counts characters (VARCHAR(n) in utf8mb4). */
static inline void rnd_utf8_chars(struct rnd *r, char *out, size_t cap, size_t max_chars)
{
        rnd_utf8(r, out, rnd_len(r, cap - 1));
        size_t chars = 0, i = 0;
        for (; out[i]; i++)
                if (((unsigned char)out[i] & 0xc0) != 0x80 && ++chars > max_chars)
                        break;
        out[i] = '\0';
}

/* Fills a char array field with UTF-8 (or ASCII) of a random length. */
#define RND_TEXT(r, field)              rnd_utf8((r), (field), rnd_len((r), sizeof(field) - 1))
#define RND_ASCII(r, field)             rnd_ascii((r), (field), rnd_len((r), sizeof(field) - 1))
#define RND_ASCII_TAGGED(r, field, tag) rnd_ascii_tagged((r), (field), sizeof(field), (tag))
