/* Cryptographically strong randomness from the kernel (getrandom), for the
 * adapters behind the services' id/randomness ports. Aborts if the kernel's
 * source fails: there is no safe way to continue without it. Thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

void random_bytes(void *buf, size_t len);
/* A time-ordered UUID (version 7, RFC 9562) in its 36-character text form:
 * the Unix time in milliseconds, then 74 random bits. Rows keyed by these
 * are inserted at the right edge of their index, not on a random page: an
 * InnoDB table of random (version 4) keys needs its whole index in memory to
 * stay fast, one of these only the recent end. Unguessable still; it tells
 * when the thing was made (as its created_at does). */
void random_uuid7(char out[37], int64_t unix_ms);
/* 2 * bytes lowercase hex digits and a NUL. */
void random_hex(char *out, size_t bytes);
/* A W3C trace id (32 lowercase hex digits, never all zero, and a NUL) from
 * a per-thread generator seeded by the kernel: unique in practice, cheap
 * enough for every call, not secret (it travels in headers and logs). */
void random_trace_id(char out[33]);
