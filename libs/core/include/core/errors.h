/* Domain error tables, one shape for every service. A service lists its
 * expected outcomes once, as an X-macro of (code, kind, message) rows with
 * codes after its FIRST; ERROR_TABLE turns the list into its table and both
 * lookups. The convention (dbus-broker's): a use case returns 0, a positive
 * code from its table (a documented "no" a caller can act on), or a negative
 * errno (infrastructure; rpc_error_errno answers it and logs its cause). The
 * gRPC adapter maps kinds to statuses in one place (rpc_fail). Pure. */
#pragma once

#include <stddef.h>

/* What kind of "no" an outcome is. */
enum error_kind {
        ERROR_INVALID,         /* bad input: INVALID_ARGUMENT */
        ERROR_NOT_FOUND,       /* NOT_FOUND */
        ERROR_CONFLICT,        /* it exists already: ALREADY_EXISTS */
        ERROR_PRECONDITION,    /* the state does not allow it: FAILED_PRECONDITION */
        ERROR_DENIED,          /* PERMISSION_DENIED */
        ERROR_UNAUTHENTICATED, /* UNAUTHENTICATED */
        ERROR_EXHAUSTED,       /* a limit: RESOURCE_EXHAUSTED */
        ERROR_DEADLINE,        /* the caller's deadline passed: DEADLINE_EXCEEDED */
        ERROR_UNAVAILABLE,     /* a dependency said no for now: UNAVAILABLE */
};

struct error_entry {
        int kind;            /* an enum error_kind */
        const char *message; /* NULL in unused slots */
};

/* The entry for code, or NULL when code is not in the table. */
const struct error_entry *error_find(const struct error_entry *table, size_t n, int first,
                                     int code);

struct error_table {
        const struct error_entry *entries;
        size_t n;
        int first;
};

/* In a service's .c, with ROW defined as
 *   #define ROW(code, kind, msg) [code - FIRST] = {kind, msg},
 * ERROR_TABLE(prefix, FIRST, LIST(ROW)) defines `const struct error_table
 * prefix##_errors`, prefix##_error_message(code) (NULL when unknown) and
 * prefix##_error_kind(code, &kind) (-1 when unknown). */
#define ERROR_TABLE(prefix, FIRST, ROWS)                                                           \
        static const struct error_entry prefix##_error_entries[] = {ROWS};                         \
        const struct error_table prefix##_errors = {                                               \
                prefix##_error_entries,                                                            \
                sizeof(prefix##_error_entries) / sizeof(prefix##_error_entries[0]), FIRST};        \
        const char *prefix##_error_message(int code)                                               \
        {                                                                                          \
                const struct error_entry *e =                                                      \
                        error_find(prefix##_errors.entries, prefix##_errors.n, FIRST, code);       \
                return e ? e->message : NULL;                                                      \
        }                                                                                          \
        int prefix##_error_kind(int code, enum error_kind *ret_kind)                               \
        {                                                                                          \
                const struct error_entry *e =                                                      \
                        error_find(prefix##_errors.entries, prefix##_errors.n, FIRST, code);       \
                if (!e)                                                                            \
                        return -1;                                                                 \
                *ret_kind = (enum error_kind)e->kind;                                              \
                return 0;                                                                          \
        }

/* The declarations ERROR_TABLE defines, for the service's errors header. */
#define ERROR_TABLE_DECLARE(prefix)                                                                \
        extern const struct error_table prefix##_errors;                                           \
        const char *prefix##_error_message(int code);                                              \
        int prefix##_error_kind(int code, enum error_kind *ret_kind)
