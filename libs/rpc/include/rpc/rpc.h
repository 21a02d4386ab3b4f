/* libs/rpc: a gRPC server runtime on the grpc C core, driven by protobuf-c
 * service descriptors.
 *
 * Ownership: the server owns every call; handlers borrow the call and its
 * arena until they return. Requests are decoded into the call's arena and
 * responses are built there (rpc_call_allocator() / rpc_call_alloc()).
 *
 * Threading: unary handlers run on the server's worker threads (several at
 * once, so handlers must be thread-safe; a handler may block, e.g. on a
 * database, holding only its own thread); each streaming call runs on a thread
 * of its own for as long as the handler runs. Interceptors run on the same
 * thread as the handler they wrap.
 *
 * This header does not include grpc headers: services see only this API, so a
 * grpc core upgrade touches libs/rpc alone. */
#pragma once

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC status codes (same numbers as grpc_status_code). */
enum rpc_code {
        RPC_OK = 0,
        RPC_CANCELLED = 1,
        RPC_UNKNOWN = 2,
        RPC_INVALID_ARGUMENT = 3,
        RPC_DEADLINE_EXCEEDED = 4,
        RPC_NOT_FOUND = 5,
        RPC_ALREADY_EXISTS = 6,
        RPC_PERMISSION_DENIED = 7,
        RPC_RESOURCE_EXHAUSTED = 8,
        RPC_FAILED_PRECONDITION = 9,
        RPC_ABORTED = 10,
        RPC_OUT_OF_RANGE = 11,
        RPC_UNIMPLEMENTED = 12,
        RPC_INTERNAL = 13,
        RPC_UNAVAILABLE = 14,
        RPC_DATA_LOSS = 15,
        RPC_UNAUTHENTICATED = 16,
};

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for anything out of range. */
const char *rpc_code_name(int code);

struct rpc_server;
struct rpc_call;
struct rpc_stream;

/* ---- handlers ---------------------------------------------------------- */

/* A unary handler: returns RPC_OK with *ret_resp set (allocated in the call's
 * arena), or an error code, normally through rpc_error(). */
typedef int (*rpc_unary_fn)(struct rpc_call *call, const ProtobufCMessage *req,
                            ProtobufCMessage **ret_resp);
/* A streaming handler (server-streaming or bidirectional): reads with
 * rpc_stream_read(), writes with rpc_stream_write(), returns the final status. */
typedef int (*rpc_stream_fn)(struct rpc_call *call, struct rpc_stream *stream);

/* One entry per implemented method, matched by name against the service
 * descriptor; exactly one of unary/stream is set. protobuf-c does not record
 * streaming in descriptors, so the implementation says which it is. Methods of
 * the descriptor without an entry answer UNIMPLEMENTED. */
struct rpc_method_impl {
        const char *name; /* e.g. "GetBook" */
        rpc_unary_fn unary;
        rpc_stream_fn stream;
        /* Largest request this method takes (0: the server's max_message_bytes):
         * public methods decode without a token, so theirs are kept small. */
        size_t max_request_bytes;
        /* Who may call it: opaque here, read by libs/auth's guard (AUTH_PUBLIC, or
         * ROLE_* bits). 0 is nobody: a method without its roles is refused, and
         * rpc_server_unguarded_method finds it at start. */
        unsigned roles;
};
/* The limit the public methods (served without a token) use: every one of
 * their requests is a few ids, a filter and a page token. */
enum { RPC_PUBLIC_REQUEST_BYTES = 4096 };

/* ---- interceptors ------------------------------------------------------ */

/* An interceptor wraps everything after it in the chain: it may inspect the
 * call, reject it by returning rpc_error(...) without proceeding, or call
 * rpc_call_proceed() and look at the outcome. Must return the final status. */
struct rpc_interceptor {
        const char *name;
        int (*intercept)(struct rpc_call *call, void *userdata);
        void *userdata;
};

/* Runs the next interceptor, or the handler at the end of the chain. */
int rpc_call_proceed(struct rpc_call *call);

/* ---- server ------------------------------------------------------------ */

struct rpc_server_config {
        const char *listen_addr;  /* "0.0.0.0:50051"; port 0 picks a free one */
        int workers;              /* threads that poll the queues and run unary handlers */
        int queues;               /* completion queues (1..workers), shared round-robin */
        int requests_per_method;  /* calls kept posted per method and queue */
        size_t max_message_bytes; /* larger requests -> RESOURCE_EXHAUSTED */
        size_t arena_max_bytes;   /* per-call memory cap (request + response) */
        int max_nesting_depth;    /* deeper messages -> INVALID_ARGUMENT */
        int shutdown_grace_ms;    /* in-flight calls get this long after SIGTERM */
        int max_streams;          /* concurrent streams of each streaming method; more ->
                                     RESOURCE_EXHAUSTED */
        int max_anonymous_streams_per_peer; /* streams without a token from one address (health
                                               Watch aside); 0: no limit */
        int64_t stream_idle_ms; /* a stream whose client sends nothing for this long while the
                                   handler waits to read is closed (0: never) */
        int64_t max_call_ms;    /* a unary call without a deadline gets this one, so no
                                   handler waits for ever on a worker (0: none) */
        bool access_log;        /* one JSON line per call on stderr */
};

/* Defaults, then environment overrides: the listen address from addr_env, the
 * rest from BOOKSTORE_RPC_* (see README). On bad configuration returns -EINVAL
 * with a message naming the variable in err. */
int rpc_server_config_from_env(struct rpc_server_config *cfg, const char *addr_env,
                               const char *default_addr, char *err, size_t err_len);

int rpc_server_new(struct rpc_server **ret_server, const struct rpc_server_config *cfg);
/* Accepts NULL. Call after rpc_server_stop() (or instead of start). */
void rpc_server_free(struct rpc_server *s);

/* Registers a service before start. name may override the descriptor's full
 * name (used to serve grpc.reflection.v1alpha with the wire-identical v1
 * messages). service_ctx is handed to handlers via rpc_call_service_ctx(). */
int rpc_server_add_service(struct rpc_server *s, const ProtobufCServiceDescriptor *desc,
                           const char *name, const struct rpc_method_impl *impls, size_t n_impls,
                           void *service_ctx);
/* Appends an interceptor; they run in the order added. Before start. */
int rpc_server_add_interceptor(struct rpc_server *s, const struct rpc_interceptor *ic);

/* Adds grpc.health.v1.Health (every registered service starts SERVING). */
int rpc_server_enable_health(struct rpc_server *s);
/* Sets a service's health; "" is the whole server. Thread-safe, any time. */
int rpc_health_set(struct rpc_server *s, const char *service, bool serving);

/* Probes a dependency every interval_ms from start to stop and sets the
 * health of `service` (and of the whole server, "") from the result: probe
 * returns 0 when healthy. E.g. a database ping, so a service reports
 * NOT_SERVING while its database is unreachable and SERVING once it is back.
 * Transitions are logged. Before start; needs rpc_server_enable_health. */
typedef int (*rpc_health_probe_fn)(void *userdata);
int rpc_server_add_health_probe(struct rpc_server *s, const char *service,
                                rpc_health_probe_fn probe, void *userdata, int interval_ms);

/* Adds grpc.reflection.v1 and v1alpha, answering from a serialized
 * FileDescriptorSet that includes imports (the blob must outlive the server). */
int rpc_server_enable_reflection(struct rpc_server *s, const uint8_t *descriptor_set, size_t len);

/* Watches every call, e.g. for metrics. started() when a handler begins;
 * finished() when a call ends, with its method path ("" for unknown
 * methods), status, duration, and whether started() was called for it.
 * Both run on the call's thread and must be quick and thread-safe. */
struct rpc_call_observer {
        void (*started)(void *userdata, const char *method);
        void (*finished)(void *userdata, const char *method, int code, double seconds, bool ran);
        void *userdata;
};
/* Before start. */
int rpc_server_set_observer(struct rpc_server *s, const struct rpc_call_observer *observer);

/* The first implemented method of the registered services (health and
 * reflection aside) that names no roles, or NULL when every one does. */
const char *rpc_server_unguarded_method(const struct rpc_server *s);

/* Binds and starts the workers. Fails (-EADDRINUSE) when the port is taken:
 * SO_REUSEPORT is off. */
int rpc_server_start(struct rpc_server *s);
/* The bound port (useful with port 0). */
int rpc_server_port(const struct rpc_server *s);
/* Graceful stop: no new calls; in-flight calls get the grace period, then are
 * cancelled; returns once every worker and stream has finished. */
void rpc_server_stop(struct rpc_server *s);

/* A service's main loop: starts the server, prints "listening on port N" on
 * stdout (for scripts), waits for SIGTERM/SIGINT, stops gracefully. Returns
 * 0, or a negative errno when the server could not start (with a message
 * in err). Call rpc_block_signals() first thing in main(). */
int rpc_server_run(struct rpc_server *s, char *err, size_t err_len);

/* Blocks SIGINT and SIGTERM in the calling thread (call before creating any
 * thread, so grpc's threads inherit the mask) and returns after either
 * arrives, with its number. */
void rpc_block_signals(void);
int rpc_wait_for_signal(void);

/* ---- the call context -------------------------------------------------- */

const char *rpc_call_method(const struct rpc_call *call); /* "/pkg.Svc/Method" */
const char *rpc_call_peer(struct rpc_call *call);         /* "ipv4:127.0.0.1:1234" */
/* The roles of the method's table entry (rpc_method_impl.roles); 0 for unknown methods. */
unsigned rpc_call_method_roles(const struct rpc_call *call);
/* The peer's address alone: "127.0.0.1", "::1" ("unknown" when there is none). */
const char *rpc_call_peer_address(struct rpc_call *call);
/* First value of a metadata key (lower case), copied into the arena; NULL when absent. */
const char *rpc_call_metadata(struct rpc_call *call, const char *key);
/* Milliseconds left before the deadline, or -1 when the client set none. */
int64_t rpc_call_deadline_remaining_ms(const struct rpc_call *call);
/* True once the deadline passed, the client cancelled, or the server's grace
 * period ran out. Long handlers should check it, from the handler's thread;
 * a unary call learns of a cancel only from its first check on (that check
 * asks the core to report it). */
bool rpc_call_cancelled(struct rpc_call *call);
/* The trace id of the call: from its `traceparent`, or a new one when none
 * (or an invalid one) was sent. */
const char *rpc_call_trace_id(const struct rpc_call *call);
/* The trace a thread works for: set by the runtime while a handler runs (and
 * by other threads doing work for a trace, e.g. a saga runner), so calls made
 * with rpc/client.h carry it on as `traceparent` and log lines show it. */
void rpc_trace_enter(const char *trace_id);
void rpc_trace_leave(void);
const char *rpc_trace_current(void); /* "" when none */
void *rpc_call_service_ctx(const struct rpc_call *call);

/* The authenticated principal slot, filled by an auth interceptor. */
void rpc_call_set_principal(struct rpc_call *call, const void *principal);
const void *rpc_call_principal(const struct rpc_call *call);

/* The answer to a failed allocation: RESOURCE_EXHAUSTED, "out of memory". */
int rpc_out_of_memory(struct rpc_call *call);

/* Memory that lives until the call ends: zeroed; NULL past the cap
 * (BOOKSTORE_RPC_ARENA_MAX_BYTES). The call remembers the first NULL: a
 * unary handler that then returns RPC_OK is answered RESOURCE_EXHAUSTED
 * instead, and rpc_stream_write refuses, so a reply builder need only check
 * the pointers it dereferences (strings may be left NULL). strdup(NULL) is
 * NULL and no failure. */
void *rpc_call_alloc(struct rpc_call *call, size_t size);
char *rpc_call_strdup(struct rpc_call *call, const char *s);
ProtobufCAllocator *rpc_call_allocator(struct rpc_call *call);

/* Records the status message and returns code, so handlers can write
 * `return rpc_error(call, RPC_NOT_FOUND, "book %s not found", id);` */
int rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* For a failed dependency (negative errno from an adapter): logs it with the
 * method, and answers UNAVAILABLE with unavailable_message when retrying may
 * help (connection refused or lost, timeout, access refused by a peer,
 * busy, deadlock), UNKNOWN for -EINPROGRESS (a commit whose outcome is
 * unknown, libs/db's DB_OUTCOME_UNKNOWN), INTERNAL "internal error" otherwise. */
int rpc_error_errno(struct rpc_call *call, int err, const char *unavailable_message);
/* Answers a use case's result that is not OK: a positive code of the
 * service's table with the status of its kind and its message (or detail,
 * when given), anything else as rpc_error_errno does. */
struct error_table;
int rpc_fail(struct rpc_call *call, const struct error_table *errors, int r, const char *detail,
             const char *unavailable_message);

/* The message recorded with the last rpc_error() (or by the runtime), "" if none. */
const char *rpc_call_status_message(const struct rpc_call *call);

/* ---- streams ----------------------------------------------------------- */

/* Reads the next client message: 1 and *ret_msg (valid until the next read),
 * 0 at the client's end of stream, or an rpc_code < 0 negated (e.g.
 * -RPC_CANCELLED, -RPC_INVALID_ARGUMENT) on failure, with the status message set. */
int rpc_stream_read(struct rpc_stream *s, ProtobufCMessage **ret_msg);
/* Sends one message: 0, or -RPC_CANCELLED when the call is gone. */
int rpc_stream_write(struct rpc_stream *s, const ProtobufCMessage *msg);
/* Sleeps up to timeout_ms; returns true early if the call was cancelled or
 * the server is stopping (the stream should end). */
bool rpc_stream_wait_cancelled(struct rpc_stream *s, int timeout_ms);
