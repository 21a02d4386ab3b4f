/* Id shape; see core/ids.h. */
#include "core/ids.h"

bool id_valid(const char *id, size_t max_len)
{
        if (!id || !*id)
                return false;
        size_t n = 0;
        for (; id[n]; n++)
                if (n == max_len || (unsigned char)id[n] < 0x21 || (unsigned char)id[n] > 0x7e)
                        return false;
        return true;
}
