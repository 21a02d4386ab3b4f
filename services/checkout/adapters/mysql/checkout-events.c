/* Saga events; see checkout-events.h. */
#include "checkout-events.h"

#include "events/envelope.h"

int checkout_event(const struct checkout_saga *s, int64_t now_ms, uint8_t *buf, char event_id[37],
                   struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__SagaCompleted completed;
        Bookstore__Events__V1__SagaCompensated compensated;
        if (s->state.status == SAGA_COMPLETED) {
                bookstore__events__v1__saga_completed__init(&completed);
                completed.saga_id = (char *)s->id;
                completed.order_id = (char *)s->order_id;
                completed.kind =
                        s->kind == CHECKOUT_KIND_CANCELLATION ? "cancellation" : "checkout";
                env.type = "saga.completed";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_SAGA_COMPLETED;
                env.saga_completed = &completed;
        } else if (s->state.status == SAGA_COMPENSATED) {
                bookstore__events__v1__saga_compensated__init(&compensated);
                compensated.saga_id = (char *)s->id;
                compensated.order_id = (char *)s->order_id;
                compensated.reason = (char *)s->state.failure_reason;
                env.type = "saga.compensated";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_SAGA_COMPENSATED;
                env.saga_compensated = &compensated;
        } else {
                return 0;
        }
        return events_envelope_pack(&env, "bookstore.saga", "saga", s->id, now_ms, buf,
                                    CHECKOUT_EVENT_MAX, event_id, ret);
}

int checkout_operator_event(const struct checkout_saga *s, const struct checkout_action *a,
                            uint8_t *buf, char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__SagaOperatorAction action;
        bookstore__events__v1__saga_operator_action__init(&action);
        action.saga_id = (char *)s->id;
        action.order_id = (char *)s->order_id;
        action.action = (char *)saga_op_name(a->op);
        action.actor = (char *)a->actor;
        action.reason = (char *)a->reason;
        action.from_status = (char *)saga_status_name(a->from);
        action.to_status = (char *)saga_status_name(a->to);
        action.step = (char *)a->step;
        env.type = "saga.operator_action";
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_SAGA_OPERATOR_ACTION;
        env.saga_operator_action = &action;
        return events_envelope_pack(&env, "bookstore.saga", "saga", s->id, a->at_ms, buf,
                                    CHECKOUT_EVENT_MAX, event_id, ret);
}
