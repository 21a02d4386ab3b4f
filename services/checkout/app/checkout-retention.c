/* Retention of the coordinator's records; see checkout-app.h
 * (checkout_retain). */
#include "checkout-app.h"

#include "core/log.h"

enum { ROUNDS = 100, PER_ROUND = 100 }; /* at most 10,000 sagas per run */

int checkout_retain(struct checkout_app *app)
{
        int64_t now = core_env_now_ms(&app->env);
        const struct checkout_config *cfg = &app->cfg;
        struct checkout_retention r = {
                .finished_before_ms = cfg->retention_ms > 0 ? now - cfg->retention_ms : 0,
                .journal_head = cfg->journal_keep / 2,
                .journal_tail = cfg->journal_keep - cfg->journal_keep / 2,
                .max_sagas = PER_ROUND,
        };
        struct checkout_pruned total = {0}, round;
        int e = 0;
        for (int i = 0; i < ROUNDS && e == 0; i++) {
                if ((e = app->store.ops->prune(app->store.self, &r, &round)) < 0 ||
                    round.sagas + round.attempts == 0)
                        break;
                total.sagas += round.sagas;
                total.attempts += round.attempts;
        }
        int64_t divergences = 0;
        if (e == 0 && cfg->retention_ms > 0 && app->divergences.ops)
                e = app->divergences.ops->prune(app->divergences.self, now - cfg->retention_ms,
                                                &divergences);
        if (total.sagas + total.attempts + divergences > 0)
                log_msg(LOG_INFO, "retention: old records let go", "{s:I, s:I, s:I}", "sagas",
                        (json_int_t)total.sagas, "journal_attempts", (json_int_t)total.attempts,
                        "divergences", (json_int_t)divergences);
        return e;
}
