/* Identity's domain event for the outbox: user.registered when an account is
 * created (self-registration, by an admin, or the first admin). Topic
 * "bookstore.user", key and aggregate id: the user id. */
#pragma once

#include "events/outbox.h"
#include "identity-store.h"

enum { IDENTITY_EVENT_MAX = 2048 };

int identity_event_registered(const struct identity_user *u, int64_t now_ms, uint8_t *buf,
                              char event_id[37], struct events_record *ret);
