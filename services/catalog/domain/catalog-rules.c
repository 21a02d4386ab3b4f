/* Catalog rules; see catalog-rules.h. */
#include "core/errors.h"
#include "catalog-rules.h"

#include "catalog-errors.h"
#include "core/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define ROW(code, kind, msg) [code - CE_FIRST] = {kind, msg},
ERROR_TABLE(catalog, CE_FIRST, CATALOG_ERRORS(ROW))
#undef ROW

static bool blank(const char *s)
{
        for (; *s; s++)
                if (!isspace((unsigned char)*s))
                        return false;
        return true;
}

int catalog_normalize_isbn13(const char *in, char out[14])
{
        size_t n = 0;
        for (; *in; in++) {
                if (*in == '-' || *in == ' ')
                        continue;
                if (!isdigit((unsigned char)*in) || n == 13)
                        return CE_ISBN_INVALID;
                out[n++] = *in;
        }
        if (n != 13)
                return CE_ISBN_INVALID;
        out[13] = '\0';
        int sum = 0;
        for (int i = 0; i < 12; i++)
                sum += (out[i] - '0') * (i % 2 ? 3 : 1);
        return (10 - sum % 10) % 10 == out[12] - '0' ? CE_OK : CE_ISBN_INVALID;
}

int catalog_check_title(const char *title)
{
        return utf8_text_ok(title, 1, 300, false) && !blank(title) ? CE_OK : CE_TITLE_INVALID;
}

int catalog_join_authors(const char *const *names, size_t n, char *out, size_t out_len)
{
        if (n == 0 || n > CATALOG_MAX_AUTHORS)
                return CE_AUTHORS_INVALID;
        size_t used = 0;
        for (size_t i = 0; i < n; i++) {
                if (!utf8_text_ok(names[i], 1, 200, false) || blank(names[i]))
                        return CE_AUTHORS_INVALID;
                int w = snprintf(out + used, out_len - used, "%s%s", i ? "\x1f" : "", names[i]);
                if (w < 0 || (size_t)w >= out_len - used)
                        return CE_AUTHORS_INVALID;
                used += (size_t)w;
        }
        return CE_OK;
}

int catalog_check_description(const char *description)
{
        return utf8_text_ok(description, 0, 2000, true) ? CE_OK : CE_DESCRIPTION_INVALID;
}

int catalog_check_price(const struct catalog_money *m)
{
        if (strlen(m->currency) != 3 || !isupper((unsigned char)m->currency[0]) ||
            !isupper((unsigned char)m->currency[1]) || !isupper((unsigned char)m->currency[2]))
                return CE_PRICE_INVALID;
        if (m->units < 0 || m->nanos < 0 || m->nanos > 999999999 ||
            (m->units == 0 && m->nanos == 0) || m->units >= CATALOG_MAX_PRICE_UNITS)
                return CE_PRICE_INVALID;
        return CE_OK;
}

int catalog_check_category_name(const char *name)
{
        return utf8_text_ok(name, 1, 100, false) && !blank(name) ? CE_OK : CE_CATEGORY_NAME_INVALID;
}

static const char *const status_names[] = {
        [BOOK_REGISTERED] = "BOOK_STATUS_REGISTERED",
        [BOOK_ON_SALE] = "BOOK_STATUS_ON_SALE",
        [BOOK_SOLD_OUT] = "BOOK_STATUS_SOLD_OUT",
        [BOOK_UNLISTED] = "BOOK_STATUS_UNLISTED",
};

const char *catalog_status_name(enum catalog_status s)
{
        return s >= BOOK_REGISTERED && s <= BOOK_UNLISTED ? status_names[s]
                                                          : "BOOK_STATUS_UNSPECIFIED";
}

/* REGISTERED -> ON_SALE <-> SOLD_OUT; any -> UNLISTED (which is final). A
 * switch with no default: -Wswitch (an error here) rejects a status without
 * its case. */
static unsigned allowed_moves(enum catalog_status from)
{
        switch (from) {
        case BOOK_REGISTERED:
                return 1u << BOOK_ON_SALE | 1u << BOOK_UNLISTED;
        case BOOK_ON_SALE:
                return 1u << BOOK_SOLD_OUT | 1u << BOOK_UNLISTED;
        case BOOK_SOLD_OUT:
                return 1u << BOOK_ON_SALE | 1u << BOOK_UNLISTED;
        case BOOK_UNLISTED:
                return 0;
        }
        return 0;
}

int catalog_check_transition(enum catalog_status from, enum catalog_status to, char *explain,
                             size_t explain_len)
{
        if (from < BOOK_REGISTERED || from > BOOK_UNLISTED)
                return CE_STATUS_INVALID;
        if (to >= BOOK_REGISTERED && to <= BOOK_UNLISTED && (allowed_moves(from) & 1u << to))
                return CE_OK;
        int n = snprintf(explain, explain_len, "%s -> %s is not allowed; from %s ",
                         catalog_status_name(from), catalog_status_name(to),
                         catalog_status_name(from));
        if (!allowed_moves(from)) {
                snprintf(explain + n, explain_len - (size_t)n,
                         "no change is allowed (it is final)");
                return CE_TRANSITION;
        }
        snprintf(explain + n, explain_len - (size_t)n, "the allowed changes are:");
        for (int s = BOOK_REGISTERED; s <= BOOK_UNLISTED; s++)
                if (allowed_moves(from) & 1u << s)
                        snprintf(explain + strlen(explain), explain_len - strlen(explain), " %s",
                                 catalog_status_name((enum catalog_status)s));
        return CE_TRANSITION;
}

bool catalog_can_edit(const struct catalog_book *b, const struct catalog_caller *c)
{
        return (c->role & ROLE_ADMIN) ||
               ((c->role & ROLE_SELLER) && c->subject && !strcmp(c->subject, b->seller_id));
}

bool catalog_can_view(const struct catalog_book *b, const struct catalog_caller *c)
{
        return b->status == BOOK_ON_SALE || b->status == BOOK_SOLD_OUT || catalog_can_edit(b, c);
}
