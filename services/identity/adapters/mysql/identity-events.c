/* Identity events; see identity-events.h. */
#include "identity-events.h"

#include "events/envelope.h"
#include "identity-rules.h"

int identity_event_registered(const struct identity_user *u, int64_t now_ms, uint8_t *buf,
                              char event_id[37], struct events_record *ret)
{
        Bookstore__Events__V1__EventEnvelope env;
        bookstore__events__v1__event_envelope__init(&env);
        Bookstore__Events__V1__UserRegistered registered;
        bookstore__events__v1__user_registered__init(&registered);
        registered.user_id = (char *)u->id;
        registered.email = (char *)u->email;
        registered.role = (char *)role_name(u->role);
        env.type = "user.registered";
        env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_USER_REGISTERED;
        env.user_registered = &registered;
        return events_envelope_pack(&env, "bookstore.user", "user", u->id, now_ms, buf,
                                    IDENTITY_EVENT_MAX, event_id, ret);
}
