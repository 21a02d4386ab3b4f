/* Cryptographically strong randomness from the kernel (getrandom), for the
 * adapters behind the services' id/randomness ports. Aborts if the kernel's
 * source fails: there is no safe way to continue without it. Thread-safe. */
#pragma once

#include <stddef.h>

void random_bytes(void *buf, size_t len);
/* A random (version 4, RFC 4122) UUID in its 36-character text form. */
void random_uuid4(char out[37]);
/* 2 * bytes lowercase hex digits and a NUL. */
void random_hex(char *out, size_t bytes);
/* A W3C trace id (32 lowercase hex digits, never all zero, and a NUL) from
 * a per-thread generator seeded by the kernel: unique in practice, cheap
 * enough for every call, not secret (it travels in headers and logs). */
void random_trace_id(char out[33]);
