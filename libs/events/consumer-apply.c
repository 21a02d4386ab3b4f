/* Applying events; see consumer-int.h. */
#include "consumer-int.h"

#include "core/clock.h"
#include "core/log.h"
#include "events/envelope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool transient(int e)
{
        return e == -EDEADLK || e == -ETIMEDOUT || e == -ECONNRESET || e == -ECONNREFUSED ||
               e == -EAGAIN || e == -ENOMEM ||
               e == -EINPROGRESS; /* a COMMIT without an answer: the de-duplication row
                                     tells on the next try whether it was applied */
}

static const struct events_handler *handler_for(struct events_consumer *c, const char *type)
{
        for (size_t i = 0; i < c->n_handlers; i++)
                if (strcmp(c->handlers[i].type, type) == 0)
                        return &c->handlers[i];
        return NULL;
}

struct apply {
        struct events_consumer *c;
        const struct events_handler *h;
        const Bookstore__Events__V1__EventEnvelope *env;
        const rd_kafka_message_t *m;
        bool duplicate; /* processed before: nothing was done */
        char why[256];
};

static int next_offset_cb(const struct db_row *row, void *userdata)
{
        *(int64_t *)userdata = db_row_int64(row, 0);
        return 0;
}

/* Whether the message lies before this consumer's position in its partition
 * (the next offset to apply, kept in the database with every effect):
 * offsets replayed from earlier -- the group's committed offsets lost or
 * reset, auto.offset.reset=earliest reading history -- are recognised by
 * position, however long ago, and not only while their processed_events
 * rows last. The row is locked: two replicas overlapping in a rebalance
 * apply a message once. */
static int before_position(struct db_conn *conn, const struct apply *a, bool *ret)
{
        struct db_value v[] = {db_text(a->c->group_id), db_text(rd_kafka_topic_name(a->m->rkt)),
                               db_int(a->m->partition)};
        int64_t next = -1;
        int r = db_query(conn,
                         "SELECT next_offset FROM consumer_positions WHERE consumer = ? AND "
                         "topic = ? AND kafka_partition = ? FOR UPDATE",
                         v, 3, next_offset_cb, &next);
        *ret = r == 0 && a->m->offset < next;
        return r;
}

static int advance_position(struct db_conn *conn, const struct apply *a)
{
        struct db_value v[] = {db_text(a->c->group_id), db_text(rd_kafka_topic_name(a->m->rkt)),
                               db_int(a->m->partition), db_int(a->m->offset + 1)};
        return db_exec(conn,
                       "INSERT INTO consumer_positions (consumer, topic, kafka_partition, "
                       "next_offset) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE next_offset = "
                       "GREATEST(next_offset, VALUES(next_offset))",
                       v, 4, NULL, NULL);
}

/* In one transaction: skip what lies before the position, mark the event
 * processed (a republished copy at a later offset has the same event id),
 * apply it, move the position past it. */
static int apply_in_transaction(struct db_conn *conn, void *arg)
{
        struct apply *a = arg;
        int r = before_position(conn, a, &a->duplicate);
        if (r < 0 || a->duplicate)
                return r < 0 ? r : -EEXIST;
        struct db_value v[] = {db_text(a->c->group_id), db_text(a->env->event_id),
                               db_int(clock_realtime_ms())};
        r = db_exec(conn,
                    "INSERT INTO processed_events (consumer, event_id, processed_ms) "
                    "VALUES (?, ?, ?)",
                    v, 3, NULL, NULL);
        a->duplicate = r == -EEXIST; /* (a handler's own -EEXIST is a failure like any other) */
        if (r == 0)
                r = a->h->fn(conn, a->env, a->h->userdata, a->why, sizeof(a->why));
        return r < 0 ? r : advance_position(conn, a);
}

static int park(struct events_consumer *c, const rd_kafka_message_t *m, const char *event_id,
                const char *reason)
{
        log_msg(LOG_ERROR, "event parked: cannot apply it", "{s:s, s:s, s:i, s:I, s:s?, s:s}",
                "group", c->group_id, "topic", rd_kafka_topic_name(m->rkt), "partition",
                (int)m->partition, "offset", (json_int_t)m->offset, "event_id", event_id, "reason",
                reason);
        struct db_value v[] = {db_text(c->group_id),
                               db_text(rd_kafka_topic_name(m->rkt)),
                               db_int(m->partition),
                               db_int(m->offset),
                               event_id ? db_text(event_id) : db_null(),
                               db_text(reason),
                               db_blob(m->payload ? m->payload : "", m->len),
                               db_int(clock_realtime_ms())};
        int r = db_pool_exec(c->db,
                             "INSERT INTO parked_events (consumer, topic, kafka_partition, "
                             "kafka_offset, event_id, reason, value, parked_ms) "
                             "VALUES (?, ?, ?, ?, ?, LEFT(?, 512), ?, ?)",
                             v, 8, NULL, NULL);
        if (r == -EEXIST) /* parked before a crash, offset not yet committed */
                r = 0;
        if (r == 0)
                atomic_fetch_add(&c->parked, 1);
        return r;
}

int consumer_handle_one(struct events_consumer *c, const rd_kafka_message_t *m, int *attempts)
{
        char why[256] = "";
        Bookstore__Events__V1__EventEnvelope *env =
                events_envelope_decode(m->payload, m->len, why, sizeof(why));
        if (!env)
                return park(c, m, NULL, why);
        int r = 0;
        const struct events_handler *h = handler_for(c, env->type);
        if (!h) {
                atomic_fetch_add(&c->ignored, 1);
                goto out;
        }
        struct apply a = {.c = c, .h = h, .env = env, .m = m};
        log_set_trace_id(env->trace_id); /* the handler's log lines join the event's trace */
        r = db_pool_in_transaction(c->db, apply_in_transaction, &a);
        log_set_trace_id(NULL);
        if (r == 0) {
                atomic_fetch_add(&c->applied, 1);
                h->committed(env, h->userdata);
        } else if (a.duplicate) {
                atomic_fetch_add(&c->duplicates, 1);
                r = 0;
        } else if (!transient(r) && ++*attempts >= PERMANENT_ATTEMPTS) {
                char reason[320];
                snprintf(reason, sizeof(reason), "%s: %s", env->type,
                         *a.why ? a.why : strerror(-r));
                r = park(c, m, env->event_id, reason);
        }
out:
        bookstore__events__v1__event_envelope__free_unpacked(env, NULL);
        return r;
}

struct batch_item {
        const rd_kafka_message_t *m;
        Bookstore__Events__V1__EventEnvelope *env;
        const struct events_handler *h; /* NULL: no handler, skipped */
        bool duplicate;
};

struct batch {
        struct events_consumer *c;
        struct batch_item *items;
        size_t n;
};

static int apply_batch(struct db_conn *conn, void *arg)
{
        struct batch *b = arg;
        for (size_t i = 0; i < b->n; i++) {
                struct batch_item *it = &b->items[i];
                if (!it->h)
                        continue;
                struct apply a = {.c = b->c, .h = it->h, .env = it->env, .m = it->m};
                it->duplicate = false; /* the batch may run again after a lost connection */
                log_set_trace_id(it->env->trace_id);
                int r = apply_in_transaction(conn, &a);
                log_set_trace_id(NULL);
                /* a duplicate's insert failed alone: the transaction goes on */
                if (r < 0 && !(it->duplicate = a.duplicate))
                        return r;
        }
        return 0;
}

int consumer_handle_batch(struct events_consumer *c, rd_kafka_message_t *const *m, size_t n)
{
        struct batch_item *items = calloc(n, sizeof(*items));
        if (!items)
                return -ENOMEM;
        struct batch b = {.c = c, .items = items, .n = n};
        int r = 0;
        bool any = false;
        char why[256];
        for (size_t i = 0; i < n && r == 0; i++) {
                items[i].m = m[i];
                items[i].env = events_envelope_decode(m[i]->payload, m[i]->len, why, sizeof(why));
                if (!items[i].env)
                        r = -EINVAL; /* parked on the way one at a time */
                else if ((items[i].h = handler_for(c, items[i].env->type)))
                        any = true;
        }
        if (r == 0 && any)
                r = db_pool_in_transaction(c->db, apply_batch, &b);
        for (size_t i = 0; i < n; i++) {
                if (r == 0) {
                        const struct batch_item *it = &items[i];
                        atomic_fetch_add(!it->h          ? &c->ignored
                                         : it->duplicate ? &c->duplicates
                                                         : &c->applied,
                                         1);
                        if (it->h && !it->duplicate)
                                it->h->committed(it->env, it->h->userdata);
                }
                if (items[i].env)
                        bookstore__events__v1__event_envelope__free_unpacked(items[i].env, NULL);
        }
        free(items);
        return r;
}
