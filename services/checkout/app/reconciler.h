/* The reconciler: compares what order, payment and inventory say about each
 * order (their listings, read through the views port) with the rules of
 * domain/reconcile.h, records every divergence it finds (one row per order
 * and kind: opened, seen again, closed when repaired or gone), repairs the
 * kinds that have a safe repair, and reports each pass to the observer.
 *
 * What a pass looks at: every record any participant changed within
 * cfg.reconcile_window_ms, every hold of any age (AUTHORIZED or AUTHORIZING
 * payments, RESERVED reservations), and every divergence still open. An
 * order a saga is moving, or one changed within cfg.reconcile_grace_ms, is
 * left for a later pass. Passes do not overlap; a timer thread runs one
 * every cfg.reconcile_interval_ms (0: only on request). */
#pragma once

#include "checkout-app.h"

struct reconciler;

int reconciler_start(struct reconciler **ret, struct checkout_app *app);
void reconciler_stop(struct reconciler *r); /* accepts NULL */
/* One pass now (waits for one under way to end first). */
int reconciler_run(struct reconciler *r, struct checkout_reconcile_report *ret);
