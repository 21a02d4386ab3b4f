/* The saga runner: threads that drive sagas step by step. Each state is
 * written to the store (under this coordinator's lease) before a participant
 * is called and again with the answer; a saga waiting for a retry's backoff
 * waits in the queue, not on a thread. A scanner picks up unfinished sagas
 * (at start, and periodically: those of a crashed replica once its lease ran
 * out), and counts the sagas that are not over for the observer (the
 * census). Only the runner and operator actions write a saga after it was
 * created. */
#pragma once

#include "checkout-app.h"

int saga_runner_start(struct saga_runner **ret, struct checkout_app *app);
/* Stops between steps; what was not finished resumes at the next start. */
void saga_runner_stop(struct saga_runner *r);
/* Runs a saga this coordinator holds the lease of (no-op when already running). */
int saga_runner_submit(struct saga_runner *r, const struct checkout_saga *s);
/* An operator changed the saga in the store and released its lease: the
 * job driving it here (if any) claims it again at once, else it is claimed
 * and queued now. */
void saga_runner_wake(struct saga_runner *r, const char *id);
