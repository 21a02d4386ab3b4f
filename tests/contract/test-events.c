/* libs/events against a real MariaDB and a Kafka-protocol peer (librdkafka's
 * mock cluster, in this process): the outbox takes events inside the
 * caller's transaction, and the relay publishes exactly the committed ones,
 * keyed, in order per key, keeps retrying while the brokers are down, then
 * delivers everything once, and prunes what was sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "contract-db.h"
#include "core/clock.h"
#include "events/consumer.h"
#include "events/envelope.h"
#include "events/outbox.h"
#include "events/relay.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BROKERS = 3, PARTITIONS = 3 };

static struct db_pool *pool;
static char schema[64];
static rd_kafka_t *mock_host;
static rd_kafka_mock_cluster_t *mock;
static int topic_no;

static int setup(void **state)
{
        char err[256];
        if (contract_schema_open("bookstore_e", events_migrations, events_migrations_count, schema,
                                 &pool) < 0)
                return -1;
        /* the cluster lives in this process; clients reach it over TCP */
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        mock_host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        mock = mock_host ? rd_kafka_mock_cluster_new(mock_host, BROKERS) : NULL;
        return mock ? 0 : -1;
}

static int teardown(void **state)
{
        contract_schema_drop(pool, schema);
        rd_kafka_mock_cluster_destroy(mock);
        rd_kafka_destroy(mock_host);
        return 0;
}

/* A fresh topic per test, so each test reads only its own messages. */
static const char *new_topic(void)
{
        static char name[64];
        snprintf(name, sizeof(name), "bookstore.test%d", ++topic_no);
        assert_int_equal(rd_kafka_mock_topic_create(mock, name, PARTITIONS, 1), 0);
        return name;
}

static void append(const char *topic, const char *key, int n, bool commit, char ids[][40])
{
        struct db_conn *conn;
        assert_int_equal(db_acquire(pool, &conn), 0);
        assert_int_equal(db_begin(conn), 0);
        for (int i = 0; i < n; i++) {
                char value[96];
                snprintf(ids[i], 40, "%08x-%04x-4000-8000-%012x", (unsigned)getpid(),
                         (unsigned)(topic_no & 0xffff), (unsigned)rand());
                snprintf(value, sizeof(value), "%s|%s|%d", ids[i], key, i);
                struct events_record r = {.event_id = ids[i],
                                          .topic = topic,
                                          .key = key,
                                          .value = value,
                                          .value_len = strlen(value),
                                          .created_ms = clock_realtime_ms()};
                assert_int_equal(events_outbox_append(conn, &r), 0);
        }
        assert_int_equal(commit ? db_commit(conn) : db_rollback(conn), 0);
        db_release(conn);
}

/* One row of `len` bytes (its id first, then filler), in a transaction of its own. */
static void append_sized(const char *topic, const char *key, int idx, size_t len, char id[40])
{
        char *value = malloc(len + 1);
        assert_non_null(value);
        snprintf(id, 40, "%08x-%04x-4000-8000-%012x", (unsigned)getpid(),
                 (unsigned)(topic_no & 0xffff), (unsigned)rand());
        int n = snprintf(value, len + 1, "%s|%s|%d|", id, key, idx);
        memset(value + n, 'x', len - (size_t)n);
        struct events_record r = {.event_id = id,
                                  .topic = topic,
                                  .key = key,
                                  .value = value,
                                  .value_len = len,
                                  .created_ms = clock_realtime_ms()};
        struct db_conn *conn;
        assert_int_equal(db_acquire(pool, &conn), 0);
        assert_int_equal(db_begin(conn), 0);
        assert_int_equal(events_outbox_append(conn, &r), 0);
        assert_int_equal(db_commit(conn), 0);
        db_release(conn);
        free(value);
}

struct seen {
        char values[256][96]; /* the first 95 bytes of each */
        int n;
};

/* Everything on the topic so far (assigned partitions, no group to join). */
static void consume_all(const char *topic, struct seen *out)
{
        char err[256];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mock), err,
                          sizeof(err));
        rd_kafka_conf_set(conf, "group.id", "test-reader", err, sizeof(err));
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
        rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        assert_non_null(c);
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        assert_int_equal(rd_kafka_assign(c, parts), 0);
        rd_kafka_topic_partition_list_destroy(parts);
        out->n = 0;
        int64_t quiet_until = clock_monotonic_ms() + 3000;
        while (clock_monotonic_ms() < quiet_until) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
                if (!m)
                        continue;
                if (!m->err && out->n < 256) {
                        snprintf(out->values[out->n++], 96, "%.*s", (int)m->len,
                                 (const char *)m->payload);
                        quiet_until = clock_monotonic_ms() + 1000;
                }
                rd_kafka_message_destroy(m);
        }
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
}

static struct events_relay *start_relay(int64_t retention_ms)
{
        struct events_relay_config cfg = {.brokers = rd_kafka_mock_cluster_bootstraps(mock),
                                          .batch = 7, /* several rounds per test */
                                          .idle_poll_ms = 20,
                                          .retention_ms = retention_ms,
                                          .prune_interval_ms = 50,
                                          .message_timeout_ms = 1000,
                                          .lease_ms = 3000};
        struct events_relay *r;
        char err[256];
        assert_int_equal(events_relay_start(&r, pool, &cfg, err, sizeof(err)), 0);
        return r;
}

/* Outbox rows matching a condition. */
static int64_t count(const char *where)
{
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM outbox WHERE %s", where);
        int64_t n = contract_scalar(pool, sql, NULL);
        assert_true(n != INT64_MIN);
        return n;
}

static void wait_for_backlog_zero(struct events_relay *r)
{
        struct events_relay_stats st = {.backlog = -1};
        for (int i = 0; i < 300 && (st.backlog != 0 || count("sent_ms IS NULL") != 0); i++) {
                usleep(50000);
                events_relay_stats(r, &st);
        }
        assert_int_equal(count("sent_ms IS NULL"), 0);
}

/* The values of one key, in the order they were read. */
static int key_order(const struct seen *s, const char *key, int *out)
{
        int n = 0;
        for (int i = 0; i < s->n; i++) {
                char k[32];
                int idx;
                if (sscanf(strchr(s->values[i], '|') + 1, "%31[^|]|%d", k, &idx) == 2 &&
                    !strcmp(k, key))
                        out[n++] = idx;
        }
        return n;
}

static bool seen_id(const struct seen *s, const char *id)
{
        int hits = 0;
        for (int i = 0; i < s->n; i++)
                hits += !strncmp(s->values[i], id, strlen(id));
        assert_true(hits <= 1); /* never twice */
        return hits == 1;
}

static void committed_events_are_published_once_in_key_order(void **state)
{
        const char *topic = new_topic();
        char a[10][40], b[10][40], c[10][40], lost[5][40];
        append(topic, "order-a", 10, true, a);
        append(topic, "order-b", 10, true, b);
        append(topic, "order-x", 5, false, lost); /* rolled back: never an event */
        append(topic, "order-c", 10, true, c);
        struct events_relay *r = start_relay(86400000);
        wait_for_backlog_zero(r);
        struct events_relay_stats st;
        events_relay_stats(r, &st);
        assert_int_equal(st.published, 30);
        events_relay_stop(r);
        struct seen *s = calloc(1, sizeof(*s));
        consume_all(topic, s);
        assert_int_equal(s->n, 30);
        for (int i = 0; i < 10; i++)
                assert_true(seen_id(s, a[i]) && seen_id(s, b[i]) && seen_id(s, c[i]));
        for (int i = 0; i < 5; i++)
                assert_false(seen_id(s, lost[i]));
        const char *keys[] = {"order-a", "order-b", "order-c"};
        for (int k = 0; k < 3; k++) { /* one key, one partition, in order */
                int order[32];
                assert_int_equal(key_order(s, keys[k], order), 10);
                for (int i = 0; i < 10; i++)
                        assert_int_equal(order[i], i);
        }
        free(s);
}

static void brokers_down_then_up_delivers_everything_once(void **state)
{
        const char *topic = new_topic();
        for (int32_t id = 1; id <= BROKERS; id++)
                rd_kafka_mock_broker_set_down(mock, id);
        struct events_relay *r = start_relay(86400000);
        char ids[20][40];
        append(topic, "book-1", 20, true, ids);
        /* rounds fail while nobody answers; the lag shows as rounds go by (each
         * waits up to the message timeout, so poll rather than sleep a fixed time) */
        struct events_relay_stats st = {0};
        for (int i = 0; i < 200 && (st.failed_rounds < 1 || st.oldest_unsent_ms < 1000); i++) {
                usleep(50000);
                events_relay_stats(r, &st);
        }
        assert_true(st.failed_rounds >= 1);
        assert_true(st.oldest_unsent_ms >= 1000);
        assert_int_equal(st.backlog, 20);
        assert_int_equal(st.published, 0);
        assert_int_equal(count("sent_ms IS NULL"), 20);
        for (int32_t id = 1; id <= BROKERS; id++)
                rd_kafka_mock_broker_set_up(mock, id);
        wait_for_backlog_zero(r);
        events_relay_stop(r);
        struct seen *s = calloc(1, sizeof(*s));
        consume_all(topic, s);
        assert_int_equal(s->n, 20);
        for (int i = 0; i < 20; i++)
                assert_true(seen_id(s, ids[i]));
        free(s);
}

static void sent_rows_are_pruned_after_the_retention(void **state)
{
        const char *topic = new_topic();
        char ids[5][40];
        append(topic, "user-1", 5, true, ids);
        struct events_relay *r = start_relay(0);
        for (int i = 0; i < 200 && count("1 = 1") != 0; i++)
                usleep(20000);
        assert_int_equal(count("1 = 1"), 0); /* published, then deleted */
        struct events_relay_stats st;
        events_relay_stats(r, &st);
        assert_true(st.published >= 5);
        events_relay_stop(r);
}

static int64_t unsent_of(const char *key)
{
        char where[96];
        snprintf(where, sizeof(where), "sent_ms IS NULL AND msg_key = '%s'", key);
        return count(where);
}

/* A row Kafka refuses (larger than message.max.bytes) fails alone in its
 * batch; the rows after it with the same key must wait for it, or they
 * would reach consumers before it. Other keys go on. Once an operator
 * removes the row, the key moves again, in order. */
static void a_failed_row_holds_back_the_rest_of_its_key(void **state)
{
        const char *topic = new_topic();
        char a[4][40], b[2][40];
        append_sized(topic, "order-a", 0, 64, a[0]);
        append_sized(topic, "order-a", 1, 2 << 20, a[1]); /* refused by the producer */
        append_sized(topic, "order-b", 0, 64, b[0]);
        append_sized(topic, "order-a", 2, 64, a[2]);
        append_sized(topic, "order-b", 1, 64, b[1]);
        append_sized(topic, "order-a", 3, 64, a[3]);
        struct events_relay *r = start_relay(86400000);
        for (int i = 0; i < 200 && unsent_of("order-b") != 0; i++)
                usleep(20000);
        assert_int_equal(unsent_of("order-b"), 0);
        usleep(300000); /* a few more rounds: the key stays held */
        assert_int_equal(unsent_of("order-a"), 3);
        assert_int_equal(contract_exec(pool, "DELETE FROM outbox WHERE LENGTH(value) > 1000000"),
                         0);
        wait_for_backlog_zero(r);
        events_relay_stop(r);
        struct seen *s = calloc(1, sizeof(*s));
        consume_all(topic, s);
        assert_int_equal(s->n, 5);
        int order[8];
        assert_int_equal(key_order(s, "order-a", order), 3);
        assert_int_equal(order[0], 0);
        assert_int_equal(order[1], 2);
        assert_int_equal(order[2], 3);
        assert_int_equal(key_order(s, "order-b", order), 2);
        free(s);
}

/* A poison row with more of its key waiting than a round reads: every round
 * used to read the same held rows and nothing else went out. The relay pages
 * past a page held whole, so other keys go on. */
static void a_poison_row_with_a_full_page_behind_it_holds_only_its_key(void **state)
{
        const char *topic = new_topic();
        char held[12][40], other[3][40];
        append_sized(topic, "order-p", 0, 2 << 20, held[0]); /* refused by the producer */
        for (int i = 1; i < 12; i++)                         /* more than a round's 7 */
                append_sized(topic, "order-p", i, 64, held[i]);
        for (int i = 0; i < 3; i++)
                append_sized(topic, "order-q", i, 64, other[i]);
        struct events_relay *r = start_relay(86400000);
        for (int i = 0; i < 200 && unsent_of("order-q") != 0; i++)
                usleep(20000);
        assert_int_equal(unsent_of("order-q"), 0);
        assert_int_equal(unsent_of("order-p"), 12);
        assert_int_equal(contract_exec(pool, "DELETE FROM outbox WHERE LENGTH(value) > 1000000"),
                         0);
        wait_for_backlog_zero(r);
        events_relay_stop(r);
}

struct writer {
        const char *topic;
        char ids[3][20][40];
};

/* Three keys, twenty events each, written a few at a time. */
static void *write_events(void *arg)
{
        struct writer *w = arg;
        const char *keys[] = {"cart-1", "cart-2", "cart-3"};
        for (int i = 0; i < 20; i++) {
                for (int k = 0; k < 3; k++)
                        append_sized(w->topic, keys[k], i, 80, w->ids[k][i]);
                usleep(30000);
        }
        return NULL;
}

/* Three replicas run a relay over one outbox: exactly one publishes at a
 * time (a lease), so each event is on the topic once and per key in order,
 * through a broker outage and the publishing replica stopping midway. */
static void three_relays_publish_each_event_once_in_key_order(void **state)
{
        const char *topic = new_topic();
        struct events_relay *relays[3];
        for (int i = 0; i < 3; i++)
                relays[i] = start_relay(86400000);
        struct writer *w = calloc(1, sizeof(*w));
        w->topic = topic;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, write_events, w), 0);
        usleep(300000);
        for (int32_t id = 1; id <= BROKERS; id++)
                rd_kafka_mock_broker_set_down(mock, id);
        usleep(700000);
        for (int32_t id = 1; id <= BROKERS; id++)
                rd_kafka_mock_broker_set_up(mock, id);
        /* the replica publishing now stops (its lease goes with it) */
        int leaders = 0, leader = -1;
        for (int i = 0; i < 3; i++) {
                struct events_relay_stats st;
                events_relay_stats(relays[i], &st);
                if (st.leader) {
                        leaders++;
                        leader = i;
                }
        }
        assert_int_equal(leaders, 1);
        events_relay_stop(relays[leader]);
        relays[leader] = NULL;
        bool taken_over = false;
        for (int n = 0; n < 200 && !taken_over; n++) {
                usleep(20000);
                for (int i = 0; i < 3; i++) {
                        struct events_relay_stats st;
                        if (relays[i]) {
                                events_relay_stats(relays[i], &st);
                                taken_over = taken_over || st.leader;
                        }
                }
        }
        assert_true(taken_over); /* the stopped one handed its lease over */
        pthread_join(t, NULL);
        for (int i = 0; i < 3; i++)
                if (relays[i]) {
                        wait_for_backlog_zero(relays[i]);
                        break;
                }
        for (int i = 0; i < 3; i++)
                events_relay_stop(relays[i]);
        struct seen *s = calloc(1, sizeof(*s));
        consume_all(topic, s);
        assert_int_equal(s->n, 60);
        const char *keys[] = {"cart-1", "cart-2", "cart-3"};
        for (int k = 0; k < 3; k++) {
                int order[64];
                assert_int_equal(key_order(s, keys[k], order), 20);
                for (int i = 0; i < 20; i++) {
                        assert_int_equal(order[i], i);
                        assert_true(seen_id(s, w->ids[k][i]));
                }
        }
        free(s);
        free(w);
}

/* The publishing replica dies without handing its lease over (SIGKILL, a
 * lost node): the others stand by until the lease runs out on the database's
 * clock, then one takes over and everything goes out. */
static void a_dead_publishers_lease_is_taken_over_when_it_runs_out(void **state)
{
        const char *topic = new_topic();
        assert_int_equal(contract_exec(pool, "UPDATE outbox_relay_lease SET owner = 'dead-relay', "
                                             "lease_until = " DB_NOW_MS " + 1500 WHERE id = 1"),
                         0);
        char ids[5][40];
        append(topic, "order-d", 5, true, ids);
        struct events_relay *r = start_relay(86400000);
        usleep(700000);
        struct events_relay_stats st;
        events_relay_stats(r, &st);
        assert_false(st.leader); /* the dead one's lease still runs */
        assert_int_equal(st.published, 0);
        assert_int_equal(count("sent_ms IS NULL"), 5);
        wait_for_backlog_zero(r);
        events_relay_stats(r, &st);
        assert_true(st.leader);
        events_relay_stop(r);
        struct seen *s = calloc(1, sizeof(*s));
        consume_all(topic, s);
        assert_int_equal(s->n, 5);
        free(s);
}

/* The consumer's handler: one row per application, no key (so an event
 * applied twice shows as two rows). */
static int count_effect(struct db_conn *conn, const Bookstore__Events__V1__EventEnvelope *event,
                        void *userdata, char *why, size_t why_len)
{
        struct db_value v = db_text(event->event_id);
        return db_exec(conn, "INSERT INTO effects (event_id) VALUES (?)", &v, 1, NULL, NULL);
}

/* A consumer's COMMIT is applied and its answer lost: the retry finds the
 * event processed, and each event has its effect exactly once. */
static void a_consumers_commit_whose_answer_was_lost_applies_each_event_once(void **state)
{
        const char *topic = new_topic();
        assert_int_equal(
                contract_exec(pool, "CREATE TABLE effects (event_id VARCHAR(64) NOT NULL)"), 0);
        enum { EVENTS = 6 };
        for (int i = 0; i < EVENTS; i++) {
                Bookstore__Events__V1__EventEnvelope env;
                bookstore__events__v1__event_envelope__init(&env);
                Bookstore__Events__V1__StockDepleted depleted;
                bookstore__events__v1__stock_depleted__init(&depleted);
                depleted.book_id = "book-lost-commit";
                env.type = "stock.depleted";
                env.payload_case = BOOKSTORE__EVENTS__V1__EVENT_ENVELOPE__PAYLOAD_STOCK_DEPLETED;
                env.stock_depleted = &depleted;
                uint8_t buf[1024];
                char id[37];
                struct events_record rec;
                assert_true(events_envelope_pack(&env, topic, "book", "book-lost-commit",
                                                 clock_realtime_ms(), buf, sizeof(buf), id,
                                                 &rec) > 0);
                struct db_conn *conn;
                assert_int_equal(db_acquire(pool, &conn), 0);
                assert_int_equal(db_begin(conn), 0);
                assert_int_equal(events_outbox_append(conn, &rec), 0);
                assert_int_equal(db_commit(conn), 0);
                db_release(conn);
        }
        struct events_relay *relay = start_relay(86400000);
        wait_for_backlog_zero(relay);
        events_relay_stop(relay);

        char group[64], err[256];
        snprintf(group, sizeof(group), "lost-commit-%d", (int)getpid());
        struct events_consumer_config cfg = {.brokers = rd_kafka_mock_cluster_bootstraps(mock),
                                             .group_id = group,
                                             .session_timeout_ms = 6000,
                                             .retry_pause_ms = 50,
                                             .stats_interval_ms = 1000,
                                             .commit_interval_ms = 200,
                                             .dedup_retention_ms = 86400000,
                                             .prune_interval_ms = 60000,
                                             .batch = 1};
        const struct events_handler handler = {.type = "stock.depleted", .fn = count_effect};
        const char *topics[] = {topic};
        db_pool_lose_commit_answers(pool, 2); /* the first two events' commits */
        struct events_consumer *c;
        assert_int_equal(
                events_consumer_start(&c, pool, &cfg, topics, 1, &handler, 1, err, sizeof(err)), 0);
        struct events_consumer_stats st = {0};
        for (int i = 0; i < 300 && st.applied + st.duplicates < EVENTS + 2; i++) {
                usleep(50000);
                events_consumer_stats(c, &st);
        }
        events_consumer_stop(c);
        assert_int_equal(contract_scalar(pool, "SELECT COUNT(*) FROM effects", NULL), EVENTS);
        assert_int_equal(
                contract_scalar(pool, "SELECT COUNT(DISTINCT event_id) FROM effects", NULL),
                EVENTS);
        assert_true(st.duplicates >= 2); /* the retries found them applied */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(committed_events_are_published_once_in_key_order),
                cmocka_unit_test(brokers_down_then_up_delivers_everything_once),
                cmocka_unit_test(sent_rows_are_pruned_after_the_retention),
                cmocka_unit_test(a_failed_row_holds_back_the_rest_of_its_key),
                cmocka_unit_test(a_poison_row_with_a_full_page_behind_it_holds_only_its_key),
                cmocka_unit_test(three_relays_publish_each_event_once_in_key_order),
                cmocka_unit_test(a_dead_publishers_lease_is_taken_over_when_it_runs_out),
                cmocka_unit_test(a_consumers_commit_whose_answer_was_lost_applies_each_event_once),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
