/* Keyset pagination, the same in every listing: a page token is a letter
 * naming the listing and the sequence number of the last row returned
 * (e.g. "o42"), or for listings keyed by an id, the letter and the last id
 * (e.g. "p8c1f..."); a page is fetched with one row more than its size,
 * which tells whether another page follows. Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* requested <= 0: def; above max: max. */
size_t page_size_clamp(int32_t requested, size_t def, size_t max);
/* 0 with *ret_seq (0 for a NULL or empty token), or -1 when the token is
 * not "<prefix><number >= 0>". */
int page_token_parse(const char *token, char prefix, int64_t *ret_seq);
/* The token that continues after the row with sequence number seq. */
void page_token_format(char prefix, int64_t seq, char out[32]);

enum { PAGE_KEY_MAX = 64 };
/* Keyed listings: 0 with the last key in out ("" for a NULL or empty token),
 * or -1 when the token is not "<prefix><id>" (core/ids.h's shape, at most
 * PAGE_KEY_MAX - 1 bytes). */
int page_token_parse_key(const char *token, char prefix, char out[PAGE_KEY_MAX]);
/* The token that continues after the row with this key. */
void page_token_format_key(char prefix, const char *key, char out[PAGE_KEY_MAX + 1]);

/* Listings ordered by a rank and then the sequence number (e.g. reviews by
 * helpful marks): "<prefix><rank>.<seq>", both >= 0. 0 with both (0 and 0
 * for a NULL or empty token), or -1 for anything else. */
int page_token_parse_pair(const char *token, char prefix, int64_t *ret_rank, int64_t *ret_seq);
void page_token_format_pair(char prefix, int64_t rank, int64_t seq, char out[48]);
