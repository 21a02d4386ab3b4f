/* See payment-token.h. */
#include "core/payment-token.h"

#include <ctype.h>
#include <string.h>

enum payment_token_verdict payment_token_check(const char *token)
{
        if (!token)
                return PAYMENT_TOKEN_INVALID;
        /* digits separated by spaces or dashes still form a card number */
        int run = 0;
        for (const char *p = token; *p; p++) {
                if (isdigit((unsigned char)*p))
                        run++;
                else if (*p != ' ' && *p != '-')
                        run = 0;
                if (run >= 12)
                        return PAYMENT_TOKEN_CARD_NUMBER;
        }
        size_t n = strlen(token);
        if (n < 3 || n > 64)
                return PAYMENT_TOKEN_INVALID;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)token[i]) && token[i] != '_')
                        return PAYMENT_TOKEN_INVALID;
        return PAYMENT_TOKEN_OK;
}
