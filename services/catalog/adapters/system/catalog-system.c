/* Clock and ids from the operating system; see catalog-system.h. */
#include "catalog-system.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

static int64_t system_now_s(void *self)
{
        return (int64_t)time(NULL);
}

static void system_new_id(void *self, char out[37])
{
        unsigned char b[16];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
                if (n > 0)
                        got += (size_t)n;
                else
                        abort(); /* the kernel's random source failing is not recoverable */
        }
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

static const struct catalog_env_ops system_ops = {.now_s = system_now_s, .new_id = system_new_id};

struct catalog_env catalog_env_system(void)
{
        return (struct catalog_env){.ops = &system_ops};
}
