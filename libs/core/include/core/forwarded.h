/* Who the client is behind proxies: one rule for the gateway (HTTP
 * X-Forwarded-For) and identity (the same header as gRPC metadata). A
 * connection from a trusted proxy names the client in X-Forwarded-For; the
 * client is the right-most entry that is not itself a trusted proxy (every
 * proxy appends the address it saw, so entries left of the last trusted one
 * are the client's own words). From anyone else the header is ignored, so a
 * client cannot pick its own address. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* ip (ip_len bytes) is in list: addresses and CIDR blocks ("10.42.0.0/16",
 * "::1", "fd00::/8"), separated by commas or spaces. */
bool forwarded_trusted(const char *list, const char *ip, size_t ip_len);
/* The client's address into out: direct, or what a trusted direct peer's
 * X-Forwarded-For value (xff; NULL: none) says. When every entry is a
 * trusted proxy, the left-most. */
void forwarded_client(const char *direct, const char *xff, const char *trusted, char *out,
                      size_t len);
