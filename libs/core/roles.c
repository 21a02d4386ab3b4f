/* Role names; see core/roles.h. */
#include "core/roles.h"

#include <string.h>

static const char *const names[] = {"CUSTOMER", "SELLER", "ADMIN", "SERVICE"};

const char *role_name(unsigned role)
{
        for (unsigned i = 0; i < 4; i++)
                if (role == 1u << i)
                        return names[i];
        return NULL;
}

int role_parse(const char *name, unsigned *ret_role)
{
        for (unsigned i = 0; i < 4; i++)
                if (!strcmp(name, names[i])) {
                        *ret_role = 1u << i;
                        return 0;
                }
        return -1;
}
