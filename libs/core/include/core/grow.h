/* Room for one more element in a growing array: doubles *cap (from 8) when
 * n has reached it. The memory adapters keep their rows this way. Pure; the
 * caller holds whatever lock guards the array. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* array_ptr is the address of the array's pointer (e.g. &m->rows; read and
 * written through memcpy, so any object pointer type works). 0, or -ENOMEM
 * with the array as it was. */
static inline int grow_for_one(void *array_ptr, size_t *cap, size_t n, size_t elem_size)
{
        if (n < *cap)
                return 0;
        size_t want = *cap ? *cap * 2 : 8;
        void *items;
        memcpy(&items, array_ptr, sizeof(items));
        if (!(items = realloc(items, want * elem_size)))
                return -ENOMEM;
        memcpy(array_ptr, &items, sizeof(items));
        *cap = want;
        return 0;
}
