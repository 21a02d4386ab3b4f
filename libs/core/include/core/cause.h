/* What the server said when infrastructure failed, per thread: libs/db and
 * libs/kv record it ("mariadb 1146: Table 'x.books' doesn't exist", "redis:
 * Connection refused") where they turn a failure into an errno, and whoever
 * logs that errno later (rpc_error_errno) adds it as "cause", so an error
 * line names what really failed instead of "Input/output error". Server
 * texts carry no credentials (passwords and tokens are never sent in SQL or
 * Redis errors); each is cut at CAUSE_MAX bytes. A served call starts with
 * none. */
#pragma once

enum { CAUSE_MAX = 240 };

/* Records the cause with the line that saw it ("... (libs/db/db-pool.c:140)"),
 * error_origin-style, so a logged failure says where it came from. */
#define cause_set(...) cause_set_at(__FILE__, __LINE__, __VA_ARGS__)
void cause_set_at(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The last cause on this thread, "" when none. */
const char *cause_get(void);
void cause_clear(void);
