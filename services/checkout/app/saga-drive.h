/* Driving one saga, one command at a time, with no threads and no clock of
 * its own: the runner (saga-runner.h) calls it from its threads with real
 * time; the simulation (tests/sim-checkout.c) from one thread with a
 * simulated clock. Each call does one thing: writes the state, gives up a
 * step past its deadline, or runs one participant call and folds its answer
 * in. The state before a call is on disk before the call is made; an answer
 * is written together with the start of the next step, and each call goes to
 * the saga's journal with that write. A write refused because the lease was
 * released (an operator acted) claims the saga again and goes on from the
 * stored state; refused because another coordinator holds it, drops it. */
#pragma once

#include "checkout-app.h"

#include <stdbool.h>
#include <stdint.h>

/* A write of the job's whose commit went unanswered: what it wrote. */
struct saga_job_unsettled {
        bool pending;
        struct saga_state state;
        int64_t updated_ms;
        char order_id[64];
};

struct saga_job {
        struct checkout_saga saga;
        bool waited; /* the next command's backoff is over */
        bool dirty;  /* state the store has not seen yet */
        bool reload; /* the stored saga changed under us (an operator): claim it again first */
        /* when this coordinator last looked at the saga, and at which step (saga-drive.c:
           account); tick_ms 0: not since it claimed the saga */
        int64_t tick_ms;
        size_t tick_step;
        enum saga_command_kind tick_kind;
        /* attempts made since the last save, written with the next one */
        struct checkout_attempt attempts[CHECKOUT_MAX_PENDING_ATTEMPTS];
        size_t n_attempts;
        struct saga_job_unsettled unsettled; /* settled before the next write (saga-drive.c) */
};

enum saga_drive_result {
        SAGA_DRIVE_AGAIN, /* call again now */
        SAGA_DRIVE_WAIT,  /* call again after *ret_wait_ms */
        SAGA_DRIVE_DONE,  /* final, or another coordinator took it: drop the job */
};

enum saga_drive_result saga_drive(struct checkout_app *app, struct saga_job *job,
                                  int64_t *ret_wait_ms);
/* Before dropping a job on shutdown: writes what the store has not seen (else
 * the answer is asked again after the restart). */
void saga_drive_stop(struct checkout_app *app, struct saga_job *job);
/* Claims an unfinished saga for this coordinator and loads it ready to be
 * driven (a step in flight when its last owner stopped may have acted).
 * job is zeroed, or one being driven: its attempts not yet in the journal
 * are kept for the next write. */
int saga_drive_claim(struct checkout_app *app, const char *id, struct saga_job *job);
