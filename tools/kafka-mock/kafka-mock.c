/* A Kafka-protocol broker for the local run and tests: librdkafka's mock
 * cluster (rdkafka_mock.h) in a process of its own. Prints
 * "kafka-mock: bootstrap HOST:PORT,..." on stdout, then serves until SIGTERM or
 * SIGINT. SIGUSR1 takes every broker down, SIGUSR2 brings them back (for
 * drills: "the broker is stopped for a while"), each acknowledged with a line
 * "kafka-mock: brokers down|up" on stdout once done.
 * The bookstore's topics are created up front (3 partitions each), as an
 * operator would on a real cluster: a consumer that subscribes before the
 * first event was produced then finds its topic at once.
 *   kafka-mock [BROKERS]        (default 1) */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
        int brokers = argc > 1 ? atoi(argv[1]) : 1;
        if (brokers < 1 || brokers > 16) {
                fprintf(stderr, "usage: kafka-mock [BROKERS 1..16]\n");
                return 2;
        }
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &set, NULL); /* before librdkafka starts its threads */
        char err[256];
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
        rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_mock_cluster_new(rk, brokers) : NULL;
        if (!mc) {
                fprintf(stderr, "kafka-mock: cannot start: %s\n", rk ? "mock cluster" : err);
                return 1;
        }
        static const char *const topics[] = {
                "bookstore.user",  "bookstore.book", "bookstore.stock", "bookstore.payment",
                "bookstore.order", "bookstore.saga", "bookstore.review"};
        for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
                if (rd_kafka_mock_topic_create(mc, topics[i], 3, brokers < 3 ? brokers : 3)) {
                        fprintf(stderr, "kafka-mock: cannot create topic %s\n", topics[i]);
                        return 1;
                }
        printf("kafka-mock: bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        for (;;) {
                int sig = 0;
                sigwait(&set, &sig);
                if (sig == SIGTERM || sig == SIGINT)
                        break;
                for (int32_t id = 1; id <= brokers; id++)
                        if (sig == SIGUSR1)
                                rd_kafka_mock_broker_set_down(mc, id);
                        else
                                rd_kafka_mock_broker_set_up(mc, id);
                /* on stdout: a caller waits for this line before relying on the change */
                printf("kafka-mock: brokers %s\n", sig == SIGUSR1 ? "down" : "up");
                fflush(stdout);
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
