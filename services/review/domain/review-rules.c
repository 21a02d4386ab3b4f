/* See review-rules.h. */
#include "review-rules.h"

#include "core/utf8.h"
#include "review-errors.h"

#include <string.h>

#define ROW(code, kind, msg) [code - RE_FIRST] = {kind, msg},
ERROR_TABLE(review, RE_FIRST, REVIEW_ERRORS(ROW))
#undef ROW

bool review_rating_ok(int rating)
{
        return rating >= 1 && rating <= RATING_STARS;
}

static bool blank(const char *s)
{
        for (; *s; s++)
                if (*s != ' ' && *s != '\n' && *s != '\t')
                        return false;
        return true;
}

bool review_text_ok(const char *text)
{
        return utf8_text_ok(text, 1, REVIEW_TEXT_MAX_CHARS, true) && !blank(text);
}

int review_counted(const struct review *r)
{
        return r && !r->hidden ? r->rating : 0;
}

bool review_is_author(const struct review *r, const struct review_caller *c)
{
        return c->subject && *c->subject && !strcmp(r->customer_id, c->subject);
}

bool review_visible_to(const struct review *r, const struct review_caller *c)
{
        return !r->hidden || (c->role & ROLE_ADMIN) || review_is_author(r, c);
}

void review_redact_for(struct review *r, const struct review_caller *c)
{
        if (!(c->role & ROLE_ADMIN) && !review_is_author(r, c))
                r->hidden_reason[0] = '\0';
}
