/* Payment events; see payment-events.h. */
#include "payment-events.h"

#include "events/envelope.h"

#include <errno.h>

int payment_event(const struct payment *p, int64_t now_ms, uint8_t buf[PAYMENT_EVENT_MAX],
                  char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Common__V1__Money amount;
        bookstore__common__v1__money__init(&amount);
        amount.currency_code = (char *)p->amount.currency;
        amount.units = p->amount.units;
        amount.nanos = p->amount.nanos;
        Bookstore__Events__V1__PaymentAuthorized authorized;
        Bookstore__Events__V1__PaymentCaptured captured;
        Bookstore__Events__V1__PaymentVoided voided;
        Bookstore__Events__V1__PaymentRefunded refunded;
        Bookstore__Events__V1__PaymentDeclined declined;
        switch (p->status) {
        case PAYMENT_AUTHORIZED:
                bookstore__events__v1__payment_authorized__init(&authorized);
                authorized.payment_id = (char *)p->id;
                authorized.order_id = (char *)p->order_id;
                authorized.amount = &amount;
                env.type = "payment.authorized";
                env.payload_case =
                        BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_PAYMENT_AUTHORIZED;
                env.payment_authorized = &authorized;
                break;
        case PAYMENT_CAPTURED:
                bookstore__events__v1__payment_captured__init(&captured);
                captured.payment_id = (char *)p->id;
                captured.order_id = (char *)p->order_id;
                captured.amount = &amount;
                env.type = "payment.captured";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_PAYMENT_CAPTURED;
                env.payment_captured = &captured;
                break;
        case PAYMENT_VOIDED:
                bookstore__events__v1__payment_voided__init(&voided);
                voided.payment_id = (char *)p->id;
                voided.order_id = (char *)p->order_id;
                env.type = "payment.voided";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_PAYMENT_VOIDED;
                env.payment_voided = &voided;
                break;
        case PAYMENT_REFUNDED:
                bookstore__events__v1__payment_refunded__init(&refunded);
                refunded.payment_id = (char *)p->id;
                refunded.order_id = (char *)p->order_id;
                refunded.amount = &amount;
                env.type = "payment.refunded";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_PAYMENT_REFUNDED;
                env.payment_refunded = &refunded;
                break;
        case PAYMENT_DECLINED:
                bookstore__events__v1__payment_declined__init(&declined);
                declined.order_id = (char *)p->order_id;
                declined.reason = (char *)p->decline_reason;
                env.type = "payment.declined";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_PAYMENT_DECLINED;
                env.payment_declined = &declined;
                break;
        default:
                return 0;
        }
        return events_envelope_pack(&env, "bookstore.payment", "payment", p->id, now_ms, buf,
                                    PAYMENT_EVENT_MAX, event_id, ret);
}
