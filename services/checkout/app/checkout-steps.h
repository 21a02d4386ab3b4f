/* What each step of the sagas does: the binding of the step names in the
 * saga definitions (domain/saga.c) to participant calls. Adding a step is an
 * entry in a definition and an entry here; checkout_steps_check refuses to
 * start with a name left unbound. */
#pragma once

#include "checkout-app.h"

/* 0, or -EINVAL naming (in err) a step or compensation with no binding. */
int checkout_steps_check(char *err, size_t err_len);
/* Performs the named action for the saga; may fill in its order id and total. */
void checkout_step_run(struct checkout_app *app, struct checkout_saga *s, const char *name,
                       const struct checkout_call *call, struct checkout_reply *ret);
