/* See core/page.h. */
#include "core/page.h"

#include "core/ids.h"

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
