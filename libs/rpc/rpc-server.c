/* Server lifecycle: registration, workers with their own completion queues,
 * keeping requests posted, graceful stop. See rpc/rpc.h. */
#include "rpc-int.h"

#include "core/grow.h"

#include "core/log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rpc_call_observer with_defaults(struct rpc_call_observer o);

int rpc_server_new(struct rpc_server **ret_server, const struct rpc_server_config *cfg)
{
        if (!cfg->listen_addr || cfg->workers < 1 || cfg->queues < 1 ||
            cfg->queues > cfg->workers || cfg->requests_per_method < 1)
                return -EINVAL;
        struct rpc_server *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->cfg = *cfg;
        s->listen_addr = strdup(cfg->listen_addr);
        s->cfg.listen_addr = s->listen_addr;
        s->observer = with_defaults((struct rpc_call_observer){0});
        pthread_mutex_init(&s->streams_lock, NULL);
        pthread_cond_init(&s->streams_done, NULL);
        pthread_mutex_init(&s->spare_lock, NULL);
        if (!s->listen_addr) {
                rpc_server_free(s);
                return -ENOMEM;
        }
        grpc_init();
        *ret_server = s;
        return 0;
}

void rpc_server_free(struct rpc_server *s)
{
        if (!s)
                return;
        if (s->server)
                grpc_server_destroy(s->server);
        if (s->queues) {
                for (int i = 0; i < s->n_queues; i++) {
                        if (s->queues[i].cq)
                                grpc_completion_queue_destroy(s->queues[i].cq);
                }
                free(s->queues);
        }
        free(s->threads);
        if (s->shutdown_cq)
                grpc_completion_queue_destroy(s->shutdown_cq);
        for (size_t i = 0; i < s->n_methods; i++)
                free(s->methods[i].path);
        free(s->methods);
        for (size_t i = 0; i < s->n_services; i++)
                free(s->service_names[i]);
        free(s->service_names);
        free(s->interceptors);
        rpc_health_probes_free(s->probes);
        rpc_health_free(s->health);
        rpc_reflection_free(s->reflection);
        free(s->anonymous);
        pthread_mutex_destroy(&s->streams_lock);
        pthread_cond_destroy(&s->streams_done);
        rpc_call_spares_free(s);
        pthread_mutex_destroy(&s->spare_lock);
        free(s->listen_addr);
        free(s);
        grpc_shutdown();
}

static const struct rpc_method_impl *find_impl(const struct rpc_method_impl *impls, size_t n,
                                               const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(impls[i].name, name))
                        return &impls[i];
        return NULL;
}

int rpc_server_add_service(struct rpc_server *s, const ProtobufCServiceDescriptor *desc,
                           const char *name, const struct rpc_method_impl *impls, size_t n_impls,
                           void *service_ctx)
{
        if (s->started)
                return -EBUSY;
        if (!name)
                name = desc->name;
        for (size_t i = 0; i < n_impls; i++) {
                bool known = false;
                for (unsigned m = 0; m < desc->n_methods; m++)
                        known |= !strcmp(desc->methods[m].name, impls[i].name);
                if (!known || !impls[i].unary == !impls[i].stream)
                        return -EINVAL; /* a typo in a handler table must not go unnoticed */
        }
        char **names = realloc(s->service_names, (s->n_services + 1) * sizeof(*names));
        if (!names)
                return -ENOMEM;
        s->service_names = names;
        struct rpc_method *methods =
                realloc(s->methods, (s->n_methods + desc->n_methods) * sizeof(*methods));
        if (!methods)
                return -ENOMEM;
        s->methods = methods;
        if (!(s->service_names[s->n_services] = strdup(name)))
                return -ENOMEM;
        s->n_services++;
        for (unsigned m = 0; m < desc->n_methods; m++) {
                const ProtobufCMethodDescriptor *md = &desc->methods[m];
                const struct rpc_method_impl *impl = find_impl(impls, n_impls, md->name);
                struct rpc_method *rm = &s->methods[s->n_methods];
                *rm = (struct rpc_method){
                        .desc = md,
                        .unary = impl ? impl->unary : NULL,
                        .stream = impl ? impl->stream : NULL,
                        .max_request_bytes = impl ? impl->max_request_bytes : 0,
                        .roles = impl ? impl->roles : 0,
                        .service_ctx = service_ctx,
                };
                if (asprintf(&rm->path, "/%s/%s", name, md->name) < 0)
                        return -ENOMEM;
                s->n_methods++;
        }
        if (s->health) /* services added after enable_health start SERVING too */
                return rpc_health_set(s, name, true);
        return 0;
}

const char *rpc_server_unguarded_method(const struct rpc_server *s)
{
        for (size_t i = 0; i < s->n_methods; i++) {
                const struct rpc_method *m = &s->methods[i];
                if ((m->unary || m->stream) && !m->roles && strncmp(m->path, "/grpc.", 6))
                        return m->path;
        }
        return NULL;
}

int rpc_server_add_interceptor(struct rpc_server *s, const struct rpc_interceptor *ic)
{
        if (s->started)
                return -EBUSY;
        struct rpc_interceptor *list =
                realloc(s->interceptors, (s->n_interceptors + 1) * sizeof(*list));
        if (!list)
                return -ENOMEM;
        list[s->n_interceptors++] = *ic;
        s->interceptors = list;
        return 0;
}

/* ---- posting requests -------------------------------------------------- */

void rpc_cq_destroy(grpc_completion_queue *cq)
{
        grpc_completion_queue_shutdown(cq);
        while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
                ;
        grpc_completion_queue_destroy(cq);
}

bool rpc_queue_begin_op(struct rpc_queue *q)
{
        if (atomic_load(&q->closed))
                return false;
        atomic_fetch_add(&q->outstanding, 1);
        return true;
}

static void queue_close(struct rpc_queue *q)
{
        if (!atomic_exchange(&q->closed, true))
                grpc_completion_queue_shutdown(q->cq);
}

/* An event was consumed (or an operation not started after all). Once the
 * server is stopping and nothing is outstanding, nothing more can arrive:
 * close the queue so the worker's next() returns GRPC_QUEUE_SHUTDOWN. */
void rpc_queue_end_op(struct rpc_queue *q)
{
        struct rpc_server *s = q->server;
        /* the count first, then the flag: rpc_server_stop sets the flag, then
         * reads the count, so one of the two sees the other */
        if (atomic_fetch_sub(&q->outstanding, 1) == 1 &&
            atomic_load(q->closes_last ? &s->workers_stopped : &s->stopping))
                queue_close(q);
}

static struct rpc_queue *replies_queue(struct rpc_server *s)
{
        return &s->queues[s->n_queues - 1];
}

/* Threads polling the replies queue: one per four workers. Every unary call
 * ends there (its release, the close notice); a single one fell behind eight
 * busy workers on two cores and finished calls piled up in memory. */
static int replies_threads(const struct rpc_server *s)
{
        return (s->cfg.workers + 3) / 4;
}

/* The queue a new call's operations complete on: a stream's own, the
 * replies queue for a registered unary method, else (an unknown method,
 * answered at once) the queue it arrived on. */
static struct rpc_queue *bound_queue(const struct rpc_pending *p)
{
        return p->method && !p->method->stream ? replies_queue(p->queue->server) : p->queue;
}

static void pending_free(struct rpc_pending *p)
{
        grpc_metadata_array_destroy(&p->metadata);
        if (!p->method)
                grpc_call_details_destroy(&p->details);
        if (p->stream_cq) {
                rpc_cq_destroy(p->stream_cq);
        }
        free(p);
}

/* Posts p (fresh or reused) with the core; frees it when that is no longer
 * possible because the server is stopping. */
static void pending_post(struct rpc_pending *p)
{
        struct rpc_queue *q = p->queue;
        struct rpc_server *s = q->server;
        p->tag.kind = RPC_TAG_NEW_CALL;
        p->call = NULL;
        p->payload = NULL;
        grpc_metadata_array_init(&p->metadata);
        bool streaming = p->method && p->method->stream;
        if (streaming)
                p->stream_cq = grpc_completion_queue_create_for_next(NULL);
        else if (!p->method)
                grpc_call_details_init(&p->details);

        grpc_call_error err = GRPC_CALL_ERROR;
        if (!atomic_load(&s->stopping) && rpc_queue_begin_op(q)) {
                grpc_completion_queue *bound = streaming ? p->stream_cq : bound_queue(p)->cq;
                if (p->method)
                        err = grpc_server_request_registered_call(
                                s->server, p->method->registered, &p->call, &p->deadline,
                                &p->metadata, streaming ? NULL : &p->payload, bound, q->cq, p);
                else
                        err = grpc_server_request_call(s->server, &p->call, &p->details,
                                                       &p->metadata, bound, q->cq, p);
                if (err != GRPC_CALL_OK)
                        rpc_queue_end_op(q);
        }
        if (err != GRPC_CALL_OK)
                pending_free(p);
}

static int pending_new(struct rpc_queue *q, struct rpc_method *m)
{
        struct rpc_pending *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->queue = q;
        p->method = m;
        pending_post(p);
        return 0;
}

/* Health's unary Check runs on the queue of its own (Watch is a stream: a
 * thread of its own anyway). */
static bool on_infrastructure_queue(const struct rpc_method *m)
{
        return m->unary && !strncmp(m->path, "/grpc.health.v1.Health/", 23);
}

static struct rpc_peer_streams *anonymous_of(struct rpc_server *s, const char *address, bool create)
{
        for (size_t i = 0; i < s->n_anonymous; i++)
                if (!strcmp(s->anonymous[i].address, address))
                        return &s->anonymous[i];
        if (!create || grow_for_one(&s->anonymous, &s->cap_anonymous, s->n_anonymous,
                                    sizeof(*s->anonymous)) < 0)
                return NULL;
        struct rpc_peer_streams *p = &s->anonymous[s->n_anonymous++];
        snprintf(p->address, sizeof(p->address), "%s", address);
        p->n = 0;
        return p;
}

/* Each streaming method has its own budget, so idle reflection streams
 * cannot shut out WatchSaga or health Watch; streams without a token from
 * one address have a budget too (health Watch aside: it is infrastructure). */
bool rpc_streams_admit(struct rpc_server *s, struct rpc_call *c, char *why, size_t why_len)
{
        bool anonymous = !rpc_call_metadata(c, "authorization") &&
                         strncmp(c->path, "/grpc.health.v1.Health/", 23) &&
                         s->cfg.max_anonymous_streams_per_peer > 0;
        const char *address = anonymous ? rpc_call_peer_address(c) : NULL;
        bool ok = true;
        pthread_mutex_lock(&s->streams_lock);
        struct rpc_peer_streams *peer = anonymous ? anonymous_of(s, address, true) : NULL;
        if (c->method->active_streams >= s->cfg.max_streams) {
                snprintf(why, why_len, "too many concurrent %s streams; retry later", c->path);
                ok = false;
        } else if (anonymous && (!peer || peer->n >= s->cfg.max_anonymous_streams_per_peer)) {
                snprintf(why, why_len,
                         "too many streams without a token from your address (at most %d); "
                         "close some or send a token",
                         s->cfg.max_anonymous_streams_per_peer);
                ok = false;
        }
        if (ok) {
                c->method->active_streams++;
                s->active_streams++;
                if (peer) {
                        peer->n++;
                        c->counted_anonymous = true;
                }
        }
        pthread_mutex_unlock(&s->streams_lock);
        return ok;
}

void rpc_streams_release(struct rpc_server *s, struct rpc_call *c)
{
        pthread_mutex_lock(&s->streams_lock);
        c->method->active_streams--;
        s->active_streams--;
        struct rpc_peer_streams *peer =
                c->counted_anonymous ? anonymous_of(s, rpc_call_peer_address(c), false) : NULL;
        if (peer && --peer->n == 0) /* forget the address: the table holds active ones only */
                *peer = s->anonymous[--s->n_anonymous];
        pthread_cond_broadcast(&s->streams_done);
        pthread_mutex_unlock(&s->streams_lock);
}

static void on_new_call(struct rpc_pending *p, bool success)
{
        char why[200];
        if (!success) { /* the server is shutting down */
                pending_free(p);
                return;
        }
        struct rpc_call *c = rpc_call_from_pending(p);
        if (c)
                c->queue = bound_queue(p);
        grpc_completion_queue *stream_cq = p->stream_cq;
        p->stream_cq = NULL;
        if (!p->method)
                grpc_call_details_destroy(&p->details);
        pending_post(p); /* keep the method's request count constant */

        if (!c) { /* out of memory: the call cannot even be answered */
                return;
        }
        if (!c->method) {
                rpc_call_reject(c, RPC_UNIMPLEMENTED,
                                "unknown method; list the services with server reflection");
        } else if (!c->method->unary && !c->method->stream) {
                rpc_call_reject(c, RPC_UNIMPLEMENTED, "method not implemented by this server");
        } else if (c->method->unary) {
                rpc_call_run_unary(c);
        } else if (!rpc_streams_admit(c->server, c, why, sizeof(why))) {
                rpc_stream_refuse(c, stream_cq, why);
                stream_cq = NULL;
        } else {
                rpc_stream_start(c, stream_cq);
                stream_cq = NULL;
        }
        if (stream_cq) {
                rpc_cq_destroy(stream_cq);
        }
}

static void *worker_main(void *arg)
{
        struct rpc_queue *q = arg;
        for (;;) {
                grpc_event ev =
                        grpc_completion_queue_next(q->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                        break;
                if (ev.type != GRPC_OP_COMPLETE)
                        continue;
                struct rpc_tag *tag = ev.tag;
                if (tag->kind == RPC_TAG_NEW_CALL)
                        on_new_call((struct rpc_pending *)tag, ev.success);
                else if (tag->kind == RPC_TAG_CALL_DONE)
                        rpc_call_on_done((struct rpc_call *)tag);
                else if (tag->kind == RPC_TAG_CALL_CLOSED)
                        rpc_call_on_closed(
                                (struct rpc_call *)((char *)tag -
                                                    offsetof(struct rpc_call, tag_close)));
                rpc_queue_end_op(q);
        }
        return NULL;
}

/* ---- start / stop ------------------------------------------------------ */

static grpc_server *create_core_server(const struct rpc_server_config *cfg)
{
        grpc_arg args[] = {
                {.type = GRPC_ARG_INTEGER,
                 .key = (char *)GRPC_ARG_ALLOW_REUSEPORT,
                 .value.integer = 0},
                {.type = GRPC_ARG_INTEGER,
                 .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                 .value.integer = (int)cfg->max_message_bytes},
        };
        grpc_channel_args channel_args = {.num_args = 2, .args = args};
        return grpc_server_create(&channel_args, NULL);
}

static void observe_nothing_started(void *userdata, const char *method)
{
}

static void observe_nothing_finished(void *userdata, const char *method, int code, double seconds,
                                     bool ran)
{
}

/* An observer's missing callbacks do nothing, so calls need no NULL checks. */
static struct rpc_call_observer with_defaults(struct rpc_call_observer o)
{
        if (!o.started)
                o.started = observe_nothing_started;
        if (!o.finished)
                o.finished = observe_nothing_finished;
        return o;
}

int rpc_server_set_observer(struct rpc_server *s, const struct rpc_call_observer *observer)
{
        if (s->started)
                return -EBUSY;
        s->observer = with_defaults(*observer);
        return 0;
}

int rpc_server_start(struct rpc_server *s)
{
        if (s->started)
                return -EBUSY;
        s->server = create_core_server(&s->cfg);
        if (!s->server)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_methods; i++) {
                struct rpc_method *m = &s->methods[i];
                m->registered = grpc_server_register_method(
                        s->server, m->path, NULL,
                        m->stream ? GRPC_SRM_PAYLOAD_NONE
                                  : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
                        0);
                if (!m->registered)
                        return -EEXIST; /* the same path registered twice */
        }
        /* the service queues, one more for health with a worker of its own
         * (however long handlers wait, a health check is answered) and the
         * replies queue with a thread of its own (see rpc-int.h) */
        s->n_queues = s->cfg.queues + 2;
        s->queues = calloc((size_t)s->n_queues, sizeof(*s->queues));
        s->threads = calloc((size_t)(s->cfg.workers + 1 + replies_threads(s)), sizeof(*s->threads));
        if (!s->queues || !s->threads)
                return -ENOMEM;
        for (int i = 0; i < s->n_queues; i++) {
                struct rpc_queue *q = &s->queues[i];
                q->server = s;
                q->cq = grpc_completion_queue_create_for_next(NULL);
                grpc_server_register_completion_queue(s->server, q->cq, NULL);
        }
        replies_queue(s)->closes_last = true;
        s->shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);

        grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
        s->port = grpc_server_add_http2_port(s->server, s->listen_addr, creds);
        grpc_server_credentials_release(creds);
        if (s->port == 0)
                return -EADDRINUSE;
        grpc_server_start(s->server);
        s->started = true;
        if (rpc_health_probes_start(s) < 0)
                return -EAGAIN;

        struct rpc_queue *infra = &s->queues[s->cfg.queues];
        for (int i = 0; i < s->cfg.queues; i++) {
                struct rpc_queue *q = &s->queues[i];
                for (size_t m = 0; m < s->n_methods; m++) {
                        if (on_infrastructure_queue(&s->methods[m]))
                                continue;
                        /* streams get few posted requests: each holds a queue of its own */
                        int n = s->methods[m].stream ? 2 : s->cfg.requests_per_method;
                        for (int k = 0; k < n; k++)
                                if (pending_new(q, &s->methods[m]) < 0)
                                        return -ENOMEM;
                }
                for (int k = 0; k < 2; k++)
                        if (pending_new(q, NULL) < 0)
                                return -ENOMEM;
        }
        for (size_t m = 0; m < s->n_methods; m++)
                for (int k = 0; k < 4 && on_infrastructure_queue(&s->methods[m]); k++)
                        if (pending_new(infra, &s->methods[m]) < 0)
                                return -ENOMEM;
        for (int i = 0; i < s->cfg.workers + 1 + replies_threads(s); i++) {
                struct rpc_queue *q = i < s->cfg.workers    ? &s->queues[i % s->cfg.queues]
                                      : i == s->cfg.workers ? infra
                                                            : replies_queue(s);
                if (pthread_create(&s->threads[i], NULL, worker_main, q) != 0)
                        return -EAGAIN;
                s->n_threads_started++;
        }
        return 0;
}

int rpc_server_port(const struct rpc_server *s)
{
        return s->port;
}

void rpc_server_stop(struct rpc_server *s)
{
        if (!s->started)
                return;
        atomic_store(&s->stopping, true);
        rpc_health_probes_stop(s);
        int tag;
        grpc_server_shutdown_and_notify(s->server, s->shutdown_cq, &tag);
        gpr_timespec grace =
                gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                             gpr_time_from_millis(s->cfg.shutdown_grace_ms, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_pluck(s->shutdown_cq, &tag, grace, NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
                log_msg(LOG_WARN, "grace period over, cancelling calls still running", "{s:i}",
                        "grace_ms", s->cfg.shutdown_grace_ms);
                atomic_store(&s->cancelled_all, true);
                grpc_server_cancel_all_calls(s->server);
                grpc_completion_queue_pluck(s->shutdown_cq, &tag,
                                            gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        }
        /* Every posted request has now failed or matched a call, so each
         * queue's outstanding count only goes down; a queue already idle at
         * zero is closed here, the others close when their last event is
         * consumed. */
        for (int i = 0; i < s->n_queues - 1; i++) {
                struct rpc_queue *q = &s->queues[i];
                if (atomic_load(&q->outstanding) == 0)
                        queue_close(q);
        }
        /* the replies threads last: the other workers start their operations */
        int first_replies = s->cfg.workers + 1;
        for (int i = 0; i < s->n_threads_started && i < first_replies; i++)
                pthread_join(s->threads[i], NULL);
        atomic_store(&s->workers_stopped, true);
        if (atomic_load(&replies_queue(s)->outstanding) == 0)
                queue_close(replies_queue(s));
        for (int i = first_replies; i < s->n_threads_started; i++)
                pthread_join(s->threads[i], NULL);
        pthread_mutex_lock(&s->streams_lock);
        while (s->active_streams > 0)
                pthread_cond_wait(&s->streams_done, &s->streams_lock);
        pthread_mutex_unlock(&s->streams_lock);
        grpc_completion_queue_shutdown(s->shutdown_cq);
        grpc_completion_queue_pluck(s->shutdown_cq, NULL, gpr_inf_past(GPR_CLOCK_REALTIME), NULL);
        s->started = false;
}
