/* See forwarded.h. */
#include "core/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* addr (bytes of an IPv4 or IPv6 address) into out; its length, 0 if none. */
static size_t parse_ip(const char *text, size_t len, unsigned char out[16])
{
        char buf[64];
        if (len == 0 || len >= sizeof(buf))
                return 0;
        memcpy(buf, text, len);
        buf[len] = '\0';
        if (inet_pton(AF_INET, buf, out) == 1)
                return 4;
        return inet_pton(AF_INET6, buf, out) == 1 ? 16 : 0;
}

/* entry ("a.b.c.d", "a.b.c.d/n", IPv6 alike) contains ip. */
static bool entry_contains(const char *entry, size_t entry_len, const unsigned char *ip,
                           size_t ip_bytes)
{
        const char *slash = memchr(entry, '/', entry_len);
        unsigned char net[16];
        size_t net_bytes = parse_ip(entry, slash ? (size_t)(slash - entry) : entry_len, net);
        if (!net_bytes || net_bytes != ip_bytes)
                return false;
        long bits = (long)net_bytes * 8;
        if (slash) {
                char digits[8] = "";
                size_t n = entry_len - (size_t)(slash - entry) - 1;
                if (n == 0 || n >= sizeof(digits))
                        return false;
                memcpy(digits, slash + 1, n);
                char *end;
                bits = strtol(digits, &end, 10);
                if (*end || bits < 0 || bits > (long)net_bytes * 8)
                        return false;
        }
        for (long i = 0; i < bits; i++) {
                unsigned mask = 0x80u >> (i % 8);
                if ((net[i / 8] & mask) != (ip[i / 8] & mask))
                        return false;
        }
        return true;
}

bool forwarded_trusted(const char *list, const char *ip, size_t ip_len)
{
        unsigned char addr[16];
        size_t bytes = parse_ip(ip, ip_len, addr);
        if (!bytes)
                return false;
        for (const char *p = list; p && *p;) {
                size_t n = strcspn(p, ", ");
                if (n && entry_contains(p, n, addr, bytes))
                        return true;
                p += n;
                p += strspn(p, ", ");
        }
        return false;
}

void forwarded_client(const char *direct, const char *xff, const char *trusted, char *out,
                      size_t len)
{
        snprintf(out, len, "%s", direct ? direct : "");
        if (!xff || !trusted || !*trusted || !direct ||
            !forwarded_trusted(trusted, direct, strlen(direct)))
                return;
        const char *leftmost = NULL;
        size_t leftmost_len = 0;
        for (const char *end = xff + strlen(xff); end > xff;) {
                const char *start = end;
                while (start > xff && start[-1] != ',')
                        start--;
                const char *next = start > xff ? start - 1 : xff;
                while (start < end && *start == ' ')
                        start++;
                const char *stop = end;
                while (stop > start && stop[-1] == ' ')
                        stop--;
                if (stop > start) {
                        leftmost = start, leftmost_len = (size_t)(stop - start);
                        if (!forwarded_trusted(trusted, start, (size_t)(stop - start))) {
                                snprintf(out, len, "%.*s", (int)(stop - start), start);
                                return;
                        }
                }
                end = next;
        }
        if (leftmost) /* every entry a trusted proxy */
                snprintf(out, len, "%.*s", (int)leftmost_len, leftmost);
}
