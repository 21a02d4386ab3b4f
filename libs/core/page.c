/* See core/page.h. */
#include "core/page.h"

#include "core/ids.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

size_t page_size_clamp(int32_t requested, size_t def, size_t max)
{
        return requested <= 0 ? def : (size_t)requested > max ? max : (size_t)requested;
}

int page_token_parse(const char *token, char prefix, int64_t *ret_seq)
{
        *ret_seq = 0;
        if (!token || !*token)
                return 0;
        char *end;
        long long seq = token[0] == prefix ? strtoll(token + 1, &end, 10) : -1;
        if (seq < 0 || *end || end == token + 1)
                return -1;
        *ret_seq = seq;
        return 0;
}

void page_token_format(char prefix, int64_t seq, char out[32])
{
        snprintf(out, 32, "%c%lld", prefix, (long long)seq);
}

int page_token_parse_key(const char *token, char prefix, char out[PAGE_KEY_MAX])
{
        out[0] = '\0';
        if (!token || !*token)
                return 0;
        if (token[0] != prefix || !id_valid(token + 1, PAGE_KEY_MAX - 1))
                return -1;
        snprintf(out, PAGE_KEY_MAX, "%s", token + 1);
        return 0;
}

void page_token_format_key(char prefix, const char *key, char out[PAGE_KEY_MAX + 1])
{
        snprintf(out, PAGE_KEY_MAX + 1, "%c%s", prefix, key);
}

int page_token_parse_pair(const char *token, char prefix, int64_t *ret_rank, int64_t *ret_seq)
{
        *ret_rank = *ret_seq = 0;
        if (!token || !*token)
                return 0;
        if (token[0] != prefix || !isdigit((unsigned char)token[1]))
                return -1; /* strtoll would take spaces and signs */
        char *mid, *end;
        long long rank = strtoll(token + 1, &mid, 10);
        if (*mid != '.' || !isdigit((unsigned char)mid[1]))
                return -1;
        long long seq = strtoll(mid + 1, &end, 10);
        if (*end || rank == LLONG_MAX || seq == LLONG_MAX)
                return -1;
        *ret_rank = rank;
        *ret_seq = seq;
        return 0;
}

void page_token_format_pair(char prefix, int64_t rank, int64_t seq, char out[48])
{
        snprintf(out, 48, "%c%lld.%lld", prefix, (long long)rank, (long long)seq);
}
