/* The saga's stored documents, one codec for every saga store. A saga row
 * keeps a few columns (ids, status, order, total, times) and two JSON
 * documents: the state (the engine's state but its status, with each step's
 * log) and the input (items, address, payment token, reason). The MariaDB
 * store writes these documents; the memory store keeps only what they carry
 * too, so the simulation loses whatever MariaDB would lose
 * (tests/test-checkout-roundtrip.c holds both stores to every field). */
#pragma once

#include "checkout-ports.h"

/* Malloc'ed JSON text; NULL when out of memory. */
char *checkout_codec_state(const struct checkout_saga *s);
char *checkout_codec_input(const struct checkout_saga *s);
/* Replace s->state (all but its status, a column) and s->log, or s's input
 * fields, with what the document says; -EIO when it is not one. */
int checkout_codec_read_state(const char *doc, struct checkout_saga *s);
int checkout_codec_read_input(const char *doc, struct checkout_saga *s);
