/* Kernel randomness; see core/random.h. */
#include "core/random.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>

void random_bytes(void *buf, size_t len)
{
        unsigned char *p = buf;
        size_t got = 0;
        while (got < len) {
                ssize_t n = getrandom(p + got, len - got, 0);
                if (n <= 0)
                        abort();
                got += (size_t)n;
        }
}

void random_uuid7(char out[37], int64_t unix_ms)
{
        unsigned char b[16];
        random_bytes(b + 6, sizeof(b) - 6);
        uint64_t ms = unix_ms < 0 ? 0 : (uint64_t)unix_ms;
        for (int i = 5; i >= 0; i--, ms >>= 8)
                b[i] = (unsigned char)(ms & 0xff);
        b[6] = (b[6] & 0x0f) | 0x70;
        b[8] = (b[8] & 0x3f) | 0x80;
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

void random_hex(char *out, size_t bytes)
{
        static const char digits[] = "0123456789abcdef";
        unsigned char b[64];
        for (size_t done = 0; done < bytes;) {
                size_t chunk = bytes - done < sizeof(b) ? bytes - done : sizeof(b);
                random_bytes(b, chunk);
                for (size_t i = 0; i < chunk; i++) {
                        out[2 * (done + i)] = digits[b[i] >> 4];
                        out[2 * (done + i) + 1] = digits[b[i] & 15];
                }
                done += chunk;
        }
        out[2 * bytes] = '\0';
}

/* splitmix64 (Steele, Lea, Flood 2014): fast, well mixed, not for secrets */
static uint64_t splitmix64(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

void random_trace_id(char out[33])
{
        static _Thread_local uint64_t state;
        static _Thread_local bool seeded;
        static const char digits[] = "0123456789abcdef";
        if (!seeded) {
                random_bytes(&state, sizeof(state));
                seeded = true;
        }
        uint64_t v;
        do {
                for (int half = 0; half < 2; half++) {
                        v = splitmix64(&state);
                        for (int i = 0; i < 16; i++)
                                out[half * 16 + i] = digits[(v >> (4 * i)) & 15];
                }
        } while (!memcmp(out, "00000000000000000000000000000000", 32)); /* invalid in W3C */
        out[32] = '\0';
}
