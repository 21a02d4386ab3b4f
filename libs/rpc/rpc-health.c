/* grpc.health.v1.Health: Check and Watch over a per-service status table that
 * the service updates (e.g. NOT_SERVING while its database is unreachable). */
#include "rpc-int.h"

#include "grpc/health/v1/health.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef Grpc__Health__V1__HealthCheckResponse__ServingStatus serving_status;

enum { WATCH_POLL_MS = 100 };

struct rpc_health_entry {
        char *name;
        bool serving;
};

struct rpc_health {
        pthread_mutex_t lock;
        struct rpc_health_entry *entries;
        size_t n;
        struct rpc_server *server;
};

void rpc_health_free(struct rpc_health *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n; i++)
                free(h->entries[i].name);
        free(h->entries);
        pthread_mutex_destroy(&h->lock);
        free(h);
}

static struct rpc_health_entry *find_entry(struct rpc_health *h, const char *name)
{
        for (size_t i = 0; i < h->n; i++)
                if (!strcmp(h->entries[i].name, name))
                        return &h->entries[i];
        return NULL;
}

/* Unknown services (in Watch) get SERVICE_UNKNOWN; the lock is taken here. */
static serving_status status_of(struct rpc_health *h, const char *name, bool *known)
{
        pthread_mutex_lock(&h->lock);
        const struct rpc_health_entry *e = find_entry(h, name);
        *known = e != NULL;
        serving_status st =
                !e ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN
                : e->serving ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                             : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
        pthread_mutex_unlock(&h->lock);
        return st;
}

int rpc_health_set(struct rpc_server *s, const char *service, bool serving)
{
        struct rpc_health *h = s->health;
        if (!h)
                return -ENOENT;
        int r = 0;
        pthread_mutex_lock(&h->lock);
        struct rpc_health_entry *e = find_entry(h, service);
        if (e) {
                e->serving = serving;
        } else {
                struct rpc_health_entry *list = realloc(h->entries, (h->n + 1) * sizeof(*list));
                char *name = strdup(service);
                if (list)
                        h->entries = list;
                if (!list || !name) {
                        free(name);
                        r = -ENOMEM;
                } else {
                        h->entries[h->n++] =
                                (struct rpc_health_entry){.name = name, .serving = serving};
                }
        }
        pthread_mutex_unlock(&h->lock);
        return r;
}

static int health_check(struct rpc_call *call, const ProtobufCMessage *req,
                        ProtobufCMessage **ret_resp)
{
        const Grpc__Health__V1__HealthCheckRequest *r = (const void *)req;
        bool known;
        serving_status st = status_of(rpc_call_service_ctx(call), r->service, &known);
        if (!known)
                return rpc_error(call, RPC_NOT_FOUND, "unknown service '%s'", r->service);
        Grpc__Health__V1__HealthCheckResponse *resp = rpc_call_alloc(call, sizeof(*resp));
        if (!resp)
                return rpc_out_of_memory(call);
        grpc__health__v1__health_check_response__init(resp);
        resp->status = st;
        *ret_resp = &resp->base;
        return RPC_OK;
}

/* Sends the status now and on every change until the client goes away or the
 * server stops (then NOT_SERVING is sent last, as the C++ server does). */
static int health_watch(struct rpc_call *call, struct rpc_stream *stream)
{
        struct rpc_health *h = rpc_call_service_ctx(call);
        ProtobufCMessage *msg;
        int r = rpc_stream_read(stream, &msg);
        if (r <= 0)
                return r == 0 ? rpc_error(call, RPC_INVALID_ARGUMENT, "missing HealthCheckRequest")
                              : -r;
        char *service =
                rpc_call_strdup(call, ((Grpc__Health__V1__HealthCheckRequest *)msg)->service);
        if (!service)
                return rpc_out_of_memory(call);
        int last = -1;
        for (;;) {
                bool known;
                serving_status st = status_of(h, service, &known);
                bool stopping = atomic_load(&h->server->stopping);
                if (stopping)
                        st = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
                if ((int)st != last) {
                        Grpc__Health__V1__HealthCheckResponse resp;
                        grpc__health__v1__health_check_response__init(&resp);
                        resp.status = st;
                        if (rpc_stream_write(stream, &resp.base) < 0)
                                return RPC_CANCELLED;
                        last = (int)st;
                }
                if (stopping)
                        return RPC_OK;
                if (rpc_stream_wait_cancelled(stream, WATCH_POLL_MS) &&
                    !atomic_load(&h->server->stopping))
                        return rpc_error(call, RPC_CANCELLED, "watch ended");
        }
}

static const struct rpc_method_impl health_methods[] = {
        {.name = "Check", .unary = health_check},
        {.name = "Watch", .stream = health_watch},
};

int rpc_server_enable_health(struct rpc_server *s)
{
        if (s->health)
                return -EEXIST;
        struct rpc_health *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        pthread_mutex_init(&h->lock, NULL);
        h->server = s;
        s->health = h;
        int r = rpc_server_add_service(s, &grpc__health__v1__health__descriptor, NULL,
                                       health_methods, 2, h);
        if (r < 0)
                return r;
        /* the whole server, and every service registered so far */
        r = rpc_health_set(s, "", true);
        for (size_t i = 0; r == 0 && i < s->n_services; i++)
                r = rpc_health_set(s, s->service_names[i], true);
        return r;
}
