/* The checkout simulation: many seeded worlds, each a few customers checking
 * out against little stock while the network, the payment service and the
 * coordinator fail in every way sim-world.h lists; after the network heals
 * and everything settles, the invariants of sim-checks.h must hold.
 *
 *   sim-checkout                     BOOKSTORE_SIM_SEEDS seeds (10000) from
 *                                    BOOKSTORE_SIM_FIRST (1); scripted
 *                                    regressions first
 *   BOOKSTORE_SIM_SEED=n sim-checkout  one seed, with its event trace
 *   sim-checkout mysql               the same on the services' MariaDB stores
 *                                    (sim-db.h; scripts/deps.sh's server), every
 *                                    seed on emptied schemas
 *
 * A failing seed prints itself, what broke and the trace, and exits 1. The
 * last line reports the seeds run and seeds/s (bench/run-sim.sh reads it). */
#include "sim-checks.h"
#include "sim-db.h"

#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RUN_LIMIT_MS = 4 * 3600 * 1000 };

static const struct sim_faults every_fault = {
        .refuse = 40,
        .drop_request = 60,
        .drop_reply = 80,
        .late = 100,
        .duplicate = 60,
        .payment_crash = 60,
        .coordinator_crash = 50,
        .provider_outage = 200,
        .operator= 20,
        .commit_answer_lost = 20,
        .until_ms = 40000,
};

/* A seed's world: 1 to 3 books with little stock, 1 to 5 checkouts, a step
 * deadline of 1 to 15 s. */
static void populate(struct sim_world *w)
{
        /* short step deadlines make the saga give up while calls are still out */
        w->app.cfg.step_deadline_ms = 1000 + (int64_t)(sim_rand(w) % 14000);
        size_t books = (size_t)(sim_rand(w) % 3) + 1;
        for (size_t b = 0; b < books; b++) {
                char id[16];
                snprintf(id, sizeof(id), "book-%zu", b);
                sim_add_book(w, id, (int64_t)(sim_rand(w) % 7), (int64_t)(sim_rand(w) % 30) + 1);
        }
        size_t sagas = (size_t)(sim_rand(w) % 5) + 1;
        for (size_t i = 0; i < sagas; i++) {
                struct checkout_item items[2];
                size_t n = (size_t)(sim_rand(w) % (books < 2 ? 1 : 2)) + 1;
                size_t first = (size_t)(sim_rand(w) % books);
                for (size_t k = 0; k < n; k++) {
                        snprintf(items[k].book_id, sizeof(items[k].book_id), "book-%zu",
                                 (first + k) % books);
                        items[k].quantity = (int32_t)(sim_rand(w) % 3) + 1;
                }
                const char *token = sim_chance(w, 150) ? "tok_decline" : "tok_ok";
                char customer[16];
                snprintf(customer, sizeof(customer), "cust-%zu", i % 3);
                sim_place(w, customer, items, n, token);
        }
}

static struct sim_stats total;

static void add_stats(struct sim_world *w)
{
        struct checkout_saga *s = malloc(sizeof(*s));
        for (size_t i = 0; i < w->n_sagas && s; i++)
                if (w->sagas_real.ops->find(w->sagas_real.self, w->saga_ids[i], s) == 0) {
                        total.completed += s->state.status == SAGA_COMPLETED;
                        total.compensated += s->state.status == SAGA_COMPENSATED;
                }
        free(s);
        const struct sim_stats *a = &w->stats;
        total.calls += a->calls, total.refused += a->refused;
        total.requests_lost += a->requests_lost, total.replies_lost += a->replies_lost;
        total.late += a->late, total.duplicates += a->duplicates;
        total.payment_crashes += a->payment_crashes;
        total.coordinator_crashes += a->coordinator_crashes, total.nested += a->nested;
        total.operator_actions += a->operator_actions;
        total.operator_refusals += a->operator_refusals;
        total.commit_answers_lost += a->commit_answers_lost;
}

static int run_seed(unsigned long seed, bool trace_always)
{
        struct sim_world *w = malloc(sizeof(*w));
        if (!w || sim_world_init(w, seed, &every_fault) < 0) {
                fprintf(stderr, "sim: out of memory, or the MariaDB schemas cannot be emptied\n");
                free(w);
                return -1;
        }
        populate(w);
        char why[512] = "";
        int r = 0;
        if (!sim_run(w, RUN_LIMIT_MS)) {
                snprintf(why, sizeof(why), "did not settle within %d ms", RUN_LIMIT_MS);
                r = -1;
        }
        if (r == 0)
                r = sim_check(w, why, sizeof(why));
        if (r < 0 || trace_always)
                printf("%sseed %lu%s%s\n--- trace ---\n%s--- end of trace (replay: "
                       "BOOKSTORE_SIM_SEED=%lu) ---\n",
                       r < 0 ? "FAILED: " : "", seed, r < 0 ? ": " : "", why,
                       w->trace ? w->trace : "", seed);
        add_stats(w);
        sim_world_free(w);
        free(w);
        return r;
}

static unsigned long env_ulong(const char *name, unsigned long fallback)
{
        const char *v = getenv(name);
        return v && *v ? strtoul(v, NULL, 10) : fallback;
}

int sim_regressions(void); /* sim-regressions.c */

static int run(void)
{
        const char *one = getenv("BOOKSTORE_SIM_SEED");
        if (one && *one)
                return run_seed(strtoul(one, NULL, 10), true) < 0 ? 1 : 0;
        if (sim_regressions() < 0)
                return 1;
        unsigned long first = env_ulong("BOOKSTORE_SIM_FIRST", 1);
        unsigned long n = env_ulong("BOOKSTORE_SIM_SEEDS", 10000);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned long seed = first; seed < first + n; seed++)
                if (run_seed(seed, false) < 0)
                        return 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("sim: %ld sagas (%ld completed, %ld compensated), %ld participant calls: %ld "
               "refused, %ld requests lost, %ld replies lost, %ld late, %ld duplicated, %ld "
               "payment crashes, %ld slow provider calls with the world running meanwhile, %ld "
               "coordinator crashes, %ld operator actions during or between calls (%ld more "
               "refused), %ld saga writes committed with their answer lost\n",
               total.completed + total.compensated, total.completed, total.compensated, total.calls,
               total.refused, total.requests_lost, total.replies_lost, total.late, total.duplicates,
               total.payment_crashes, total.nested, total.coordinator_crashes,
               total.operator_actions, total.operator_refusals, total.commit_answers_lost);
        printf("sim: %lu seeds from %lu%s, every fault class, all invariants held; %.0f seeds/s\n",
               n, first, sim_databases ? " on MariaDB" : "", s > 0 ? (double)n / s : 0.0);
        return 0;
}

int main(int argc, char **argv)
{
        log_set_min_level(LOG_ERROR); /* the coordinator's warnings are the trace's business */
        if (argc < 2 || strcmp(argv[1], "mysql"))
                return run();
        static struct sim_db db;
        if (sim_db_open(&db) < 0) {
                fprintf(stderr, "sim: cannot open the MariaDB schemas (scripts/deps.sh start)\n");
                sim_db_close(&db);
                return 1;
        }
        sim_databases = &db;
        int r = run();
        sim_databases = NULL;
        sim_db_close(&db);
        return r;
}
