/* Clock and ids from the operating system; see catalog-system.h. */
#include "catalog-system.h"

#include "core/random.h"

#include <time.h>

static int64_t system_now_s(void *self)
{
        return (int64_t)time(NULL);
}

static void system_new_id(void *self, char out[37])
{
        random_uuid4(out);
}

static const struct catalog_env_ops system_ops = {.now_s = system_now_s, .new_id = system_new_id};

struct catalog_env catalog_env_system(void)
{
        return (struct catalog_env){.ops = &system_ops};
}
