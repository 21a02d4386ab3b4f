/* The outbox relay; see events/relay.h. */
#include "events/relay.h"

#include "core/cause.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/random.h"
#include "worker.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A row of a round: produced and waiting for its report, acknowledged,
 * failed, or held back (an earlier row of its key did not go out). */
enum {
        STATE_IN_FLIGHT = 0,
        STATE_SENT = 1,
        STATE_FAILED = -1,
        STATE_HELD = -2,
        RETRY_PAUSE_MS = 500
};

struct row {
        int64_t seq;
        char topic[129], key[129];
        void *value;
        size_t value_len;
        int state;
};

struct events_relay {
        struct db_pool *db;
        struct events_relay_config cfg;
        rd_kafka_t *rk;
        pthread_t thread;
        bool started;
        struct events_stopper stop;
        char owner[33]; /* this relay's name on the lease */
        _Atomic int64_t backlog, oldest_unsent_ms;
        _Atomic uint64_t published, failed_rounds;
        atomic_bool leader;
};

int events_relay_config_from_env(struct events_relay_config *cfg, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long batch, idle, retention, prune, timeout, lease;
        if (cfg_string("KAFKA_BROKERS", "127.0.0.1:9092", &cfg->brokers, &e) < 0 ||
            cfg_int("BOOKSTORE_OUTBOX_BATCH", 100, 1, 10000, &batch, &e) < 0 ||
            cfg_int("BOOKSTORE_OUTBOX_POLL_MS", 200, 1, 60000, &idle, &e) < 0 ||
            cfg_int("BOOKSTORE_OUTBOX_RETENTION_MS", 86400000, 0, 31L * 86400000, &retention, &e) <
                    0 ||
            cfg_int("BOOKSTORE_OUTBOX_PRUNE_INTERVAL_MS", 60000, 10, 86400000, &prune, &e) < 0 ||
            cfg_int("BOOKSTORE_OUTBOX_MESSAGE_TIMEOUT_MS", 10000, 100, 600000, &timeout, &e) < 0 ||
            cfg_int("BOOKSTORE_OUTBOX_LEASE_MS", 30000, 1000, 3600000, &lease, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        cfg->batch = (int)batch;
        cfg->idle_poll_ms = (int)idle;
        cfg->retention_ms = retention;
        cfg->prune_interval_ms = prune;
        cfg->message_timeout_ms = timeout;
        cfg->lease_ms = lease;
        if (lease <= timeout) {
                snprintf(err, err_len,
                         "BOOKSTORE_OUTBOX_LEASE_MS (%ld) must be longer than "
                         "BOOKSTORE_OUTBOX_MESSAGE_TIMEOUT_MS (%ld): a round must end inside "
                         "the lease",
                         lease, timeout);
                return -EINVAL;
        }
        return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        (void)rk;
        (void)opaque;
        struct row *r = m->_private;
        r->state = m->err ? STATE_FAILED : STATE_SENT;
}

struct batch {
        struct row *rows;
        size_t n, cap;
};

static int row_cb(const struct db_row *dbr, void *userdata)
{
        struct batch *b = userdata;
        if (b->n == b->cap)
                return 0;
        struct row *r = &b->rows[b->n];
        size_t len = 0;
        const char *value = db_row_text(dbr, 3, &len);
        r->value = malloc(len ? len : 1);
        if (!r->value)
                return -ENOMEM;
        memcpy(r->value, value, len);
        r->value_len = len;
        r->seq = db_row_int64(dbr, 0);
        snprintf(r->topic, sizeof(r->topic), "%s", db_row_text(dbr, 1, NULL));
        snprintf(r->key, sizeof(r->key), "%s", db_row_text(dbr, 2, NULL));
        r->state = STATE_IN_FLIGHT;
        b->n++;
        return 0;
}

struct backlog {
        int64_t count, oldest;
};

static int backlog_cb(const struct db_row *r, void *userdata)
{
        struct backlog *b = userdata;
        b->count = db_row_int64(r, 0);
        b->oldest = db_row_is_null(r, 1) ? 0 : db_row_int64(r, 1);
        return 0;
}

static void update_backlog(struct events_relay *r)
{
        struct backlog b = {0};
        if (db_pool_query(r->db,
                          "SELECT COUNT(*), MIN(created_ms) FROM outbox WHERE sent_ms IS NULL",
                          NULL, 0, backlog_cb, &b) < 0)
                return;
        atomic_store(&r->backlog, b.count);
        atomic_store(&r->oldest_unsent_ms, b.oldest ? clock_realtime_ms() - b.oldest : 0);
}

/* Marks the acknowledged rows sent, in one statement. */
static int mark_sent(struct events_relay *r, const struct batch *b, size_t n_sent)
{
        if (n_sent == 0)
                return 0;
        size_t len = 64 + n_sent * 3;
        char *sql = malloc(len);
        struct db_value *v = calloc(n_sent + 1, sizeof(*v));
        int e = -ENOMEM;
        if (sql && v) {
                size_t off =
                        (size_t)snprintf(sql, len, "UPDATE outbox SET sent_ms = ? WHERE seq IN (");
                v[0] = db_int(clock_realtime_ms());
                size_t k = 1;
                for (size_t i = 0; i < b->n; i++)
                        if (b->rows[i].state == STATE_SENT) {
                                off += (size_t)snprintf(sql + off, len - off, k > 1 ? ",?" : "?");
                                v[k++] = db_int(b->rows[i].seq);
                        }
                snprintf(sql + off, len - off, ")");
                e = db_pool_exec(r->db, sql, v, k, NULL, NULL);
        }
        free(sql);
        free(v);
        return e;
}

/* Whether an earlier row of this round with the same key did not go out
 * (failed, or was held back itself). */
static bool key_held(const struct batch *b, size_t upto, const char *key)
{
        for (size_t i = 0; i < upto; i++)
                if (b->rows[i].state != STATE_SENT && b->rows[i].state != STATE_IN_FLIGHT &&
                    !strcmp(b->rows[i].key, key))
                        return true;
        return false;
}

/* Produces the round's rows from `first` on in seq order; a row whose key
 * has an earlier row the producer refused is held back, not produced. How
 * many were produced. */
static size_t produce_rows(struct events_relay *r, struct batch *b, size_t first)
{
        size_t produced = 0;
        for (size_t i = first; i < b->n; i++) {
                struct row *row = &b->rows[i];
                if (key_held(b, i, row->key)) {
                        row->state = STATE_HELD;
                        continue;
                }
                rd_kafka_resp_err_t err;
                while ((err = rd_kafka_producev(r->rk, RD_KAFKA_V_TOPIC(row->topic),
                                                RD_KAFKA_V_KEY(row->key, strlen(row->key)),
                                                RD_KAFKA_V_VALUE(row->value, row->value_len),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                RD_KAFKA_V_OPAQUE(row), RD_KAFKA_V_END)) ==
                       RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(r->rk, 100);
                if (err) {
                        row->state = STATE_FAILED;
                        log_msg(LOG_WARN, "outbox relay: row refused; later rows of its key wait",
                                "{s:I, s:s, s:s}", "seq", (json_int_t)row->seq, "key", row->key,
                                "error", rd_kafka_err2str(err));
                } else {
                        produced++;
                }
        }
        return produced;
}

enum { MAX_PAGES = 50 };

/* The round's rows: a page of up to `batch` unsent rows, and while a whole
 * page is held back behind refused rows of its keys (a poison row with a
 * hundred of its key waiting), the next page -- other keys go on. */
static int fetch_and_produce(struct events_relay *r, struct batch *b)
{
        int64_t after = 0;
        for (int page = 0; page < MAX_PAGES; page++) {
                size_t first = b->n, want = (size_t)r->cfg.batch;
                struct row *rows = realloc(b->rows, (b->n + want) * sizeof(*rows));
                if (!rows)
                        return -ENOMEM;
                memset(rows + b->n, 0, want * sizeof(*rows));
                b->rows = rows;
                b->cap = b->n + want;
                struct db_value v[] = {db_int(after), db_int((int64_t)want)};
                int e = db_pool_query(r->db,
                                      "SELECT seq, topic, msg_key, value FROM outbox WHERE "
                                      "sent_ms IS NULL AND seq > ? ORDER BY seq LIMIT ?",
                                      v, 2, row_cb, b);
                if (e < 0)
                        return e;
                size_t got = b->n - first;
                if (produce_rows(r, b, first) > 0 || got < want)
                        return 0; /* progress, or no more rows */
                after = b->rows[b->n - 1].seq;
        }
        return 0;
}

/* After the reports: a row acknowledged behind one of its key that failed
 * asynchronously is not marked sent either, so it goes out again after that
 * one (consumers skip the duplicate). */
static void hold_behind_failures(struct batch *b)
{
        for (size_t i = 0; i < b->n; i++)
                if (b->rows[i].state == STATE_SENT && key_held(b, i, b->rows[i].key))
                        b->rows[i].state = STATE_HELD;
}

/* One round: up to `batch` unsent rows produced in order and waited for.
 * Returns how many were sent, or a negative errno. */
static int relay_round(struct events_relay *r)
{
        if (!r->rk)
                return -EAGAIN;
        struct batch b = {0};
        int e = fetch_and_produce(r, &b);
        /* every produced row gets its report within message.timeout.ms */
        for (bool waiting = true; e == 0 && waiting;) {
                rd_kafka_poll(r->rk, 100);
                waiting = false;
                for (size_t i = 0; i < b.n && !waiting; i++)
                        waiting = b.rows[i].state == STATE_IN_FLIGHT;
        }
        hold_behind_failures(&b);
        size_t sent = 0, failed = 0;
        for (size_t i = 0; i < b.n; i++) {
                sent += b.rows[i].state == STATE_SENT;
                failed += b.rows[i].state != STATE_SENT;
        }
        if (e == 0)
                e = mark_sent(r, &b, sent);
        if (e == 0) {
                atomic_fetch_add(&r->published, sent);
                if (failed)
                        atomic_fetch_add(&r->failed_rounds, 1);
        }
        for (size_t i = 0; i < b.n; i++)
                free(b.rows[i].value);
        free(b.rows);
        if (e < 0)
                return e;
        return failed ? -EAGAIN : (int)sent;
}

/* The outbox lease (one row in outbox_relay_lease, on the database's clock):
 * only its holder publishes, so replicas never publish a row twice or two
 * rows of one key out of order. Taken when free or expired, renewed every
 * round; `renewals` changes on every renewal so the update always counts. */
static bool hold_lease(struct events_relay *r)
{
        struct db_value v[] = {db_text(r->owner), db_int(r->cfg.lease_ms), db_text(r->owner)};
        uint64_t affected = 0;
        int e = db_pool_exec(r->db,
                             "UPDATE outbox_relay_lease SET owner = ?, lease_until = " DB_NOW_MS
                             " + ?, renewals = renewals + 1 WHERE id = 1 AND (owner = ? OR "
                             "lease_until < " DB_NOW_MS ")",
                             v, 3, &affected, NULL);
        bool held = e == 0 && affected == 1;
        if (held != atomic_load(&r->leader))
                log_msg(LOG_INFO,
                        held ? "outbox relay: publishing (lease taken)"
                             : "outbox relay: standing by (another replica publishes)",
                        "{s:s}", "relay", r->owner);
        atomic_store(&r->leader, held);
        return held;
}

static void release_lease(struct events_relay *r)
{
        struct db_value v = db_text(r->owner);
        db_pool_exec(r->db,
                     "UPDATE outbox_relay_lease SET lease_until = 0 WHERE id = 1 AND owner = ?", &v,
                     1, NULL, NULL);
        atomic_store(&r->leader, false);
}

static void prune(struct events_relay *r)
{
        struct db_value v = db_int(clock_realtime_ms() - r->cfg.retention_ms);
        uint64_t n = 0;
        if (db_pool_exec(r->db,
                         "DELETE FROM outbox WHERE sent_ms IS NOT NULL AND sent_ms < ? LIMIT 10000",
                         &v, 1, &n, NULL) == 0 &&
            n)
                log_msg(LOG_INFO, "outbox pruned", "{s:I}", "rows", (json_int_t)n);
}

/* The idempotent producer (acks=all, ordered per partition, no duplicates
 * from its own retries) with the gapless guarantee: an error that could
 * leave a gap in a partition stops the producer (a fatal error) instead of
 * letting later messages of that partition through. */
static int new_producer(struct events_relay *r, char *err, size_t err_len)
{
        char timeout[32], kerr[256] = "";
        snprintf(timeout, sizeof(timeout), "%lld", (long long)r->cfg.message_timeout_ms);
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        const char *settings[][2] = {
                {"bootstrap.servers", r->cfg.brokers}, {"enable.idempotence", "true"},
                {"enable.gapless.guarantee", "true"},  {"acks", "all"},
                {"message.timeout.ms", timeout},       {"linger.ms", "5"},
                {"partitioner", "murmur2_random"}, /* the Java client's: keys land alike */
        };
        for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
                if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], kerr, sizeof(kerr)) !=
                    RD_KAFKA_CONF_OK) {
                        snprintf(err, err_len, "kafka setting %s: %s", settings[i][0], kerr);
                        rd_kafka_conf_destroy(conf);
                        return -EINVAL;
                }
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_conf_set_log_cb(conf, events_kafka_log);
        r->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
        if (!r->rk) {
                snprintf(err, err_len, "kafka producer: %s", kerr);
                rd_kafka_conf_destroy(conf);
                return -EINVAL;
        }
        return 0;
}

/* A producer stopped by a fatal error is replaced; what it did not deliver
 * is still unsent in the outbox. */
static void renew_fatal_producer(struct events_relay *r)
{
        char why[256] = "";
        if (!r->rk || rd_kafka_fatal_error(r->rk, why, sizeof(why)) == RD_KAFKA_RESP_ERR_NO_ERROR)
                return;
        log_msg(LOG_WARN, "outbox relay: producer stopped; starting a new one", "{s:s}", "error",
                why);
        rd_kafka_destroy(r->rk);
        r->rk = NULL;
        char err[256];
        if (new_producer(r, err, sizeof(err)) < 0)
                log_msg(LOG_ERROR, "outbox relay: no producer", "{s:s}", "error", err);
}

static void *relay_main(void *arg)
{
        struct events_relay *r = arg;
        int64_t next_prune = clock_monotonic_ms() + r->cfg.prune_interval_ms;
        bool failing = false;
        for (;;) {
                if (!hold_lease(r)) { /* standing by: ready to take over */
                        update_backlog(r);
                        if (events_stopper_pause(&r->stop, r->cfg.idle_poll_ms))
                                break;
                        continue;
                }
                renew_fatal_producer(r);
                int n = relay_round(r);
                if (n >= 0 && n < r->cfg.batch) { /* everything unsent went out */
                        atomic_store(&r->backlog, 0);
                        atomic_store(&r->oldest_unsent_ms, 0);
                } else { /* a full round or a failed one: count what is left */
                        update_backlog(r);
                }
                if (n < 0 && !failing)
                        log_msg(LOG_WARN, "outbox relay: cannot publish now; retrying",
                                "{s:s, s:s}", "error",
                                n == -EAGAIN ? "delivery failed" : strerror(-n), "cause",
                                n == -EAGAIN ? "" : cause_get());
                if (n >= 0 && failing)
                        log_msg(LOG_INFO, "outbox relay: publishing again", NULL);
                failing = n < 0;
                if (clock_monotonic_ms() >= next_prune) {
                        prune(r);
                        next_prune = clock_monotonic_ms() + r->cfg.prune_interval_ms;
                }
                int wait = n < 0 ? RETRY_PAUSE_MS : n == r->cfg.batch ? 0 : r->cfg.idle_poll_ms;
                if (wait ? events_stopper_pause(&r->stop, wait) : events_stopper_stopping(&r->stop))
                        break;
        }
        release_lease(r); /* a clean stop hands over at once */
        return NULL;
}

int events_relay_start(struct events_relay **ret, struct db_pool *db,
                       const struct events_relay_config *cfg, char *err, size_t err_len)
{
        struct events_relay *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->db = db;
        r->cfg = *cfg;
        random_hex(r->owner, 16);
        events_stopper_init(&r->stop);
        int e = new_producer(r, err, err_len);
        if (e < 0) {
                events_relay_stop(r);
                return e;
        }
        if (pthread_create(&r->thread, NULL, relay_main, r)) {
                events_relay_stop(r);
                return -EAGAIN;
        }
        r->started = true;
        *ret = r;
        return 0;
}

void events_relay_stop(struct events_relay *r)
{
        if (!r)
                return;
        events_stopper_stop(&r->stop);
        if (r->started)
                pthread_join(r->thread, NULL);
        if (r->rk) {
                rd_kafka_flush(r->rk, 2000);
                rd_kafka_destroy(r->rk);
        }
        events_stopper_destroy(&r->stop);
        free(r);
}

void events_relay_stats(struct events_relay *r, struct events_relay_stats *ret)
{
        ret->backlog = atomic_load(&r->backlog);
        ret->oldest_unsent_ms = atomic_load(&r->oldest_unsent_ms);
        ret->published = atomic_load(&r->published);
        ret->failed_rounds = atomic_load(&r->failed_rounds);
        ret->leader = atomic_load(&r->leader);
}
