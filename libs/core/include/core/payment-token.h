/* The one rule for a payment token, wherever one arrives (PlaceOrder in
 * checkout, AuthorizePayment in payment): a token the provider gave the
 * client, never card data. Refused at the door, so a card number is never
 * stored anywhere (a saga's input, a payment row, a log line). */
#pragma once

enum payment_token_verdict {
        PAYMENT_TOKEN_OK,
        PAYMENT_TOKEN_CARD_NUMBER, /* holds a run of 12+ digits, spaces and dashes between
                                      them allowed: a PAN */
        PAYMENT_TOKEN_INVALID,     /* not 3..64 of [A-Za-z0-9_] */
};

enum payment_token_verdict payment_token_check(const char *token);
