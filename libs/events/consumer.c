/* Idempotent consumers; see events/consumer.h. */
#include "events/consumer.h"

#include "consumer-int.h"
#include "core/cause.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "worker.h"

#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int events_consumer_config_from_env(struct events_consumer_config *cfg, const char *default_group,
                                    char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long session, retry, stats, commit, retention, prune, batch;
        if (cfg_string("KAFKA_BROKERS", "127.0.0.1:9092", &cfg->brokers, &e) < 0 ||
            cfg_string("BOOKSTORE_CONSUMER_GROUP", default_group, &cfg->group_id, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_SESSION_TIMEOUT_MS", 10000, 1000, 300000, &session, &e) <
                    0 ||
            cfg_int("BOOKSTORE_CONSUMER_RETRY_MS", 500, 10, 60000, &retry, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_STATS_MS", 1000, 100, 600000, &stats, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_COMMIT_MS", 1000, 10, 600000, &commit, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_DEDUP_RETENTION_MS", 7L * 86400000, 1000, 365L * 86400000,
                    &retention, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_PRUNE_INTERVAL_MS", 60000, 10, 86400000, &prune, &e) < 0 ||
            cfg_int("BOOKSTORE_CONSUMER_BATCH", 100, 1, CONSUMER_BATCH_MAX, &batch, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (!*cfg->group_id || strlen(cfg->group_id) > 128) {
                snprintf(err, err_len, "BOOKSTORE_CONSUMER_GROUP must be 1 to 128 characters");
                return -EINVAL;
        }
        cfg->session_timeout_ms = (int)session;
        cfg->retry_pause_ms = (int)retry;
        cfg->stats_interval_ms = (int)stats;
        cfg->commit_interval_ms = (int)commit;
        cfg->dedup_retention_ms = retention;
        cfg->prune_interval_ms = prune;
        cfg->batch = (int)batch;
        return 0;
}

/* ---- statistics: consumer lag ------------------------------------------ */

/* librdkafka's statistics JSON, per partition this member fetches: what is
 * left to process is the partition's end (last stable offset) less the
 * offset stored after processing -- or, before this process stored one, the
 * group's committed offset, or with neither the low watermark (a group
 * without a commit starts at the earliest message). */
static int64_t offset_of(json_t *partition, const char *key)
{
        json_t *v = json_object_get(partition, key);
        return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static int64_t partition_lag(json_t *p)
{
        int64_t end = offset_of(p, "ls_offset"), from = offset_of(p, "stored_offset");
        if (end < 0)
                end = offset_of(p, "hi_offset");
        if (from < 0)
                from = offset_of(p, "committed_offset");
        if (from < 0)
                from = offset_of(p, "lo_offset");
        return end < 0 || from < 0 ? -1 : end > from ? end - from : 0;
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        (void)rk;
        struct events_consumer *c = opaque;
        json_t *root = json_loadb(json, len, 0, NULL);
        json_t *topics = json_object_get(root, "topics"), *topic;
        const char *name;
        int64_t lag = 0;
        bool known = false;
        json_object_foreach(topics, name, topic)
        {
                json_t *partitions = json_object_get(topic, "partitions"), *p;
                const char *id;
                json_object_foreach(partitions, id, p)
                {
                        const char *state = json_string_value(json_object_get(p, "fetch_state"));
                        if (strcmp(id, "-1") == 0 || !state || strcmp(state, "active") != 0)
                                continue; /* not fetched by this member (or internal) */
                        int64_t l = partition_lag(p);
                        if (l >= 0) {
                                lag += l;
                                known = true;
                        }
                }
        }
        json_decref(root);
        atomic_store(&c->lag, known ? lag : -1);
        return 0; /* librdkafka frees json */
}

static void store_offset(struct events_consumer *c, const rd_kafka_message_t *m)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)->offset =
                m->offset + 1;            /* the next one to read */
        rd_kafka_offsets_store(c->rk, l); /* fails only if the partition was revoked meanwhile */
        rd_kafka_topic_partition_list_destroy(l);
}

static void report_error(struct events_consumer *c, const rd_kafka_message_t *m)
{
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->err == c->last_error)
                return;
        c->last_error = m->err;
        log_msg(LOG_WARN, "kafka consumer error", "{s:s, s:s}", "group", c->group_id, "error",
                rd_kafka_message_errstr(m));
}

/* One message at a time, as long as it takes; false when stopping left it
 * unapplied (its offset is not stored: redelivered after the restart). */
static bool handle_until_done(struct events_consumer *c, const rd_kafka_message_t *m)
{
        int attempts = 0, r;
        bool failing = false;
        while ((r = consumer_handle_one(c, m, &attempts)) < 0) {
                if (!failing)
                        log_msg(LOG_WARN, "cannot apply an event now; retrying",
                                "{s:s, s:s, s:I, s:s, s:s}", "group", c->group_id, "topic",
                                rd_kafka_topic_name(m->rkt), "offset", (json_int_t)m->offset,
                                "error", strerror(-r), "cause", cause_get());
                failing = true;
                if (events_stopper_pause(&c->stop, c->cfg.retry_pause_ms))
                        return false;
        }
        return true;
}

static void *consumer_main(void *arg)
{
        struct events_consumer *c = arg;
        rd_kafka_message_t *batch[CONSUMER_BATCH_MAX];
        while (!events_stopper_stopping(&c->stop)) {
                size_t n = 0;
                rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 200);
                /* under a backlog, what is fetched already joins one transaction */
                while (m && !m->err) {
                        batch[n++] = m;
                        m = n < (size_t)c->cfg.batch ? rd_kafka_consumer_poll(c->rk, 0) : NULL;
                }
                if (m) {
                        report_error(c, m);
                        rd_kafka_message_destroy(m);
                } else if (n) {
                        c->last_error = RD_KAFKA_RESP_ERR_NO_ERROR;
                }
                bool together = n > 1 && consumer_handle_batch(c, batch, n) == 0, stopped = false;
                for (size_t i = 0; i < n; i++) {
                        stopped = stopped || (!together && !handle_until_done(c, batch[i]));
                        if (!stopped) /* in order: a stored offset covers what came before */
                                store_offset(c, batch[i]);
                        rd_kafka_message_destroy(batch[i]);
                }
        }
        return NULL;
}

static void prune(struct events_consumer *c)
{
        struct db_value v[] = {db_text(c->group_id),
                               db_int(clock_realtime_ms() - c->cfg.dedup_retention_ms)};
        uint64_t n = 0;
        if (db_pool_exec(c->db,
                         "DELETE FROM processed_events WHERE consumer = ? AND processed_ms < ? "
                         "LIMIT 10000",
                         v, 2, &n, NULL) == 0 &&
            n)
                log_msg(LOG_INFO, "processed events pruned", "{s:s, s:I}", "group", c->group_id,
                        "rows", (json_int_t)n);
}

/* Housekeeping on a thread of its own: librdkafka's main queue --
 * statistics (the lag), errors -- so the lag stays current while the
 * consumer thread waits on a slow or failing database; and pruning. */
static void *housekeeping_main(void *arg)
{
        struct events_consumer *c = arg;
        int64_t next_prune = clock_monotonic_ms() + c->cfg.prune_interval_ms;
        while (!events_stopper_stopping(&c->stop)) {
                rd_kafka_poll(c->rk, 200);
                if (clock_monotonic_ms() >= next_prune) {
                        prune(c);
                        next_prune = clock_monotonic_ms() + c->cfg.prune_interval_ms;
                }
        }
        return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

static int configure(struct events_consumer *c, rd_kafka_conf_t *conf, char *err, size_t err_len)
{
        char session[32], stats[32], commit[32], kerr[256] = "";
        snprintf(session, sizeof(session), "%d", c->cfg.session_timeout_ms);
        snprintf(stats, sizeof(stats), "%d", c->cfg.stats_interval_ms);
        snprintf(commit, sizeof(commit), "%d", c->cfg.commit_interval_ms);
        const char *settings[][2] = {
                {"bootstrap.servers", c->cfg.brokers},
                {"group.id", c->group_id},
                {"enable.auto.commit", "true"},        /* commits what was stored... */
                {"enable.auto.offset.store", "false"}, /* ...and we store after applying */
                {"auto.commit.interval.ms", commit},
                {"auto.offset.reset", "earliest"}, /* a new group reads the topic's history */
                {"session.timeout.ms", session},
                {"heartbeat.interval.ms", "1000"},
                {"statistics.interval.ms", stats},
                {"topic.metadata.refresh.interval.ms", "10000"}, /* new partitions, soon */
                {"partition.assignment.strategy", "range,roundrobin"},
        };
        for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
                if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], kerr, sizeof(kerr)) !=
                    RD_KAFKA_CONF_OK) {
                        snprintf(err, err_len, "kafka setting %s: %s", settings[i][0], kerr);
                        return -EINVAL;
                }
        rd_kafka_conf_set_opaque(conf, c);
        rd_kafka_conf_set_stats_cb(conf, on_stats);
        rd_kafka_conf_set_log_cb(conf, events_kafka_log);
        return 0;
}

static int subscribe(struct events_consumer *c, const char *const *topics, size_t n, char *err,
                     size_t err_len)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
        for (size_t i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) {
                snprintf(err, err_len, "kafka subscribe: %s", rd_kafka_err2str(e));
                return -EINVAL;
        }
        return 0;
}

/* The default of the optional `committed` hook, so callers need not check. */
static void committed_nothing(const Bookstore__Events__V1__EventEnvelope *event, void *userdata)
{
}

int events_consumer_start(struct events_consumer **ret, struct db_pool *db,
                          const struct events_consumer_config *cfg, const char *const *topics,
                          size_t n_topics, const struct events_handler *handlers, size_t n_handlers,
                          char *err, size_t err_len)
{
        struct events_consumer *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->db = db;
        c->cfg = *cfg;
        snprintf(c->group_id, sizeof(c->group_id), "%s", cfg->group_id);
        c->handlers = calloc(n_handlers ? n_handlers : 1, sizeof(*c->handlers));
        if (!c->handlers) {
                free(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_handlers; i++) {
                c->handlers[i] = handlers[i];
                if (!c->handlers[i].committed)
                        c->handlers[i].committed = committed_nothing;
        }
        c->n_handlers = n_handlers;
        atomic_store(&c->lag, -1);
        events_stopper_init(&c->stop);
        char kerr[256] = "";
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        int r = configure(c, conf, err, err_len);
        if (r == 0 && !(c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr)))) {
                snprintf(err, err_len, "kafka consumer: %s", kerr);
                r = -EINVAL;
        }
        if (r < 0) {
                rd_kafka_conf_destroy(conf);
                events_consumer_stop(c);
                return r;
        }
        if ((r = subscribe(c, topics, n_topics, err, err_len)) < 0) {
                events_consumer_stop(c);
                return r;
        }
        if (pthread_create(&c->housekeeping, NULL, housekeeping_main, c)) {
                events_consumer_stop(c);
                return -EAGAIN;
        }
        c->housekeeping_started = true;
        if (pthread_create(&c->thread, NULL, consumer_main, c)) {
                events_consumer_stop(c);
                return -EAGAIN;
        }
        c->started = true;
        *ret = c;
        return 0;
}

void events_consumer_stop(struct events_consumer *c)
{
        if (!c)
                return;
        events_stopper_stop(&c->stop);
        if (c->started)
                pthread_join(c->thread, NULL);
        if (c->housekeeping_started)
                pthread_join(c->housekeeping, NULL);
        if (c->rk) {
                rd_kafka_consumer_close(c->rk); /* commits stored offsets, leaves the group */
                rd_kafka_destroy(c->rk);
        }
        events_stopper_destroy(&c->stop);
        free(c->handlers);
        free(c);
}

void events_consumer_stats(struct events_consumer *c, struct events_consumer_stats *ret)
{
        ret->group_id = c->group_id;
        ret->lag = atomic_load(&c->lag);
        ret->applied = atomic_load(&c->applied);
        ret->duplicates = atomic_load(&c->duplicates);
        ret->ignored = atomic_load(&c->ignored);
        ret->parked = atomic_load(&c->parked);
}
