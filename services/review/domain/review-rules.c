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
        return rating >= 1 && rating <= REVIEW_STARS;
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

void review_summary_move(struct review_summary *s, int before, int after)
{
        if (before == after)
                return;
        if (before >= 1 && before <= REVIEW_STARS) {
                s->stars[before - 1]--;
                s->count--;
        }
        if (after >= 1 && after <= REVIEW_STARS) {
                s->stars[after - 1]++;
                s->count++;
        }
        s->version++;
}

double review_summary_average(const struct review_summary *s)
{
        if (s->count <= 0)
                return 0;
        int64_t sum = 0;
        for (int i = 0; i < REVIEW_STARS; i++)
                sum += (i + 1) * s->stars[i];
        return (double)sum / (double)s->count;
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
