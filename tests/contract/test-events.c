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
#include "events/outbox.h"
#include "events/relay.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
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

struct seen {
        char values[256][96];
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
                                          .message_timeout_ms = 1000};
        struct events_relay *r;
        char err[256];
        assert_int_equal(events_relay_start(&r, pool, &cfg, err, sizeof(err)), 0);
        return r;
}

static int count_cb(const struct db_row *row, void *userdata)
{
        *(int64_t *)userdata = db_row_int64(row, 0);
        return 0;
}

/* Outbox rows matching a condition. */
static int64_t count(const char *where)
{
        char sql[128];
        int64_t n = -1;
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM outbox WHERE %s", where);
        assert_int_equal(db_pool_query(pool, sql, NULL, 0, count_cb, &n), 0);
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(committed_events_are_published_once_in_key_order),
                cmocka_unit_test(brokers_down_then_up_delivers_everything_once),
                cmocka_unit_test(sent_rows_are_pruned_after_the_retention),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
