/* The roles of the system, as bits so a policy can allow a set of them: one
 * definition for the token guard (libs/auth) and every service's domain, so
 * no service keeps a copy that could drift from the token's numbering. */
#pragma once

enum role {
        ROLE_CUSTOMER = 1u << 0,
        ROLE_SELLER = 1u << 1,
        ROLE_ADMIN = 1u << 2,
        ROLE_SERVICE = 1u << 3, /* other bookstore services */
};
#define ROLE_ANY (ROLE_CUSTOMER | ROLE_SELLER | ROLE_ADMIN | ROLE_SERVICE)

/* "CUSTOMER", "SELLER", "ADMIN", "SERVICE" (the token's and the database's
 * spelling); NULL for anything but one role. */
const char *role_name(unsigned role);
/* 0 and *ret_role for one of those names; -1 otherwise. */
int role_parse(const char *name, unsigned *ret_role);
