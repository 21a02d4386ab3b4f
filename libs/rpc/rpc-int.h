/* Private to libs/rpc: the structures shared by the server, call, stream,
 * health and reflection files. Only libs/rpc includes grpc headers. */
#pragma once

#include "core/arena.h"
#include "rpc/client.h"
#include "rpc/rpc.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>

enum rpc_tag_kind {
        RPC_TAG_NEW_CALL,    /* a posted request was matched (or failed at shutdown) */
        RPC_TAG_CALL_DONE,   /* a unary/rejected call's final batch completed */
        RPC_TAG_CALL_CLOSED, /* a unary call's client went away, or the call ended */
        RPC_TAG_STREAM_OP,   /* an operation on a streaming call's own queue */
};

struct rpc_tag {
        enum rpc_tag_kind kind;
};

struct rpc_method {
        char *path; /* "/pkg.Svc/Method" */
        const ProtobufCMethodDescriptor *desc;
        rpc_unary_fn unary;
        rpc_stream_fn stream;
        size_t max_request_bytes; /* 0: the server's */
        unsigned roles;           /* read by the guard */
        int active_streams;       /* of this method; guarded by the server's streams_lock */
        void *service_ctx;
        void *registered; /* grpc_server_register_method handle */
};

/* A completion queue and its bookkeeping; `workers / queues` threads poll
 * each queue (grpc allows several pollers), so a blocking handler holds one
 * thread, not every call that arrives on its queue. */
struct rpc_queue {
        struct rpc_server *server;
        grpc_completion_queue *cq;
        /* Operations that will produce an event on cq (posted requests, final
         * batches). Whoever brings the count to zero once the server is
         * stopping shuts cq down, so nothing is ever posted to a closed queue.
         * Lock-free: every new operation is started while an event of the
         * same queue is being handled, so the count cannot reach zero while
         * an operation could still be added. */
        atomic_long outstanding;
        atomic_bool closed;
        /* the replies queue: operations are started on it from the other
         * queues' workers, so it may close only once they have all stopped */
        bool closes_last;
};

/* A request kept posted with the core; method NULL means the generic request
 * that catches unknown methods. */
struct rpc_pending {
        struct rpc_tag tag;
        struct rpc_queue *queue;
        struct rpc_method *method;
        grpc_call *call;
        gpr_timespec deadline;
        grpc_metadata_array metadata;
        grpc_byte_buffer *payload;
        grpc_call_details details;
        grpc_completion_queue *stream_cq; /* streaming methods: the call's own queue */
};

struct rpc_health;
struct rpc_reflection;
struct rpc_probes;

struct rpc_server {
        struct rpc_server_config cfg;
        char *listen_addr;
        grpc_server *server;
        grpc_completion_queue *shutdown_cq;
        int port;
        bool started;

        struct rpc_method *methods;
        size_t n_methods;
        char **service_names;
        size_t n_services;

        struct rpc_interceptor *interceptors;
        size_t n_interceptors;

        /* cfg.queues for the services, then health's, then the replies
         * queue: every unary call is bound to it, so its final batch and the
         * notice that its client went away are taken in by threads of their
         * own (one per four workers), however long the handlers wait */
        struct rpc_queue *queues;
        int n_queues;
        pthread_t *threads;
        int n_threads_started;

        atomic_bool stopping;        /* shutdown began: streams end, nothing is reposted */
        atomic_bool cancelled_all;   /* grace period over */
        atomic_bool workers_stopped; /* every queue's worker but the replies one joined */

        pthread_mutex_t streams_lock;
        pthread_cond_t streams_done;
        int active_streams;
        /* streams without a token, per peer address (guarded by streams_lock) */
        struct rpc_peer_streams {
                char address[48];
                int n;
        } * anonymous;
        size_t n_anonymous, cap_anonymous;

        /* finished calls kept for the next ones, arenas reset: a call in
         * the steady state allocates neither its struct nor its first chunk */
        pthread_mutex_t spare_lock;
        struct rpc_call *spare_calls;
        int n_spare_calls;

        struct rpc_health *health;
        struct rpc_reflection *reflection;
        struct rpc_probes *probes;
        struct rpc_call_observer observer;
};

struct rpc_stream {
        struct rpc_call *call;
        struct rpc_tag tag_read, tag_write, tag_status, tag_close;
        grpc_completion_queue *cq;
        struct arena *msg_arena; /* reset on every read */
        ProtobufCAllocator msg_allocator;
        bool initial_metadata_sent;
        bool closed;    /* RECV_CLOSE_ON_SERVER completed */
        bool read_done; /* the read in progress completed (success or not) */
        int close_cancelled;
        bool read_failed;
};

struct rpc_call {
        struct rpc_tag tag; /* RPC_TAG_CALL_DONE, for unary and rejected calls */
        struct rpc_server *server;
        struct rpc_method *method; /* NULL for unknown methods */
        struct rpc_queue *queue;
        grpc_call *call;
        grpc_metadata_array metadata;
        grpc_byte_buffer *payload;
        const char *path;
        char *peer; /* computed on first use */
        char trace_id[33];
        int64_t deadline_ms; /* monotonic; INT64_MAX when none */
        int64_t start_us;
        bool observed; /* the observer saw the handler start */

        struct arena *arena;
        ProtobufCAllocator allocator;
        bool alloc_failed;       /* decoding the request ran out */
        bool reply_alloc_failed; /* rpc_call_alloc/strdup returned NULL */

        int status;
        const char *status_message;
        const void *principal;
        size_t next_interceptor;

        /* unary reply */
        ProtobufCMessage *response;
        grpc_byte_buffer *response_buffer;
        grpc_slice status_details;
        int close_cancelled;
        /* unary calls: RECV_CLOSE_ON_SERVER posted by the first rpc_call_cancelled() */
        struct rpc_tag tag_close; /* RPC_TAG_CALL_CLOSED */
        bool close_posted;
        atomic_bool client_gone; /* that close came: close_cancelled may be read */
        atomic_int refs;         /* the final batch's, and the posted close's */

        struct rpc_stream *stream;   /* streaming calls only */
        struct rpc_call *next_spare; /* in the server's spare_calls */
        bool counted_anonymous;      /* a stream counted against its peer's anonymous budget */
};

/* rpc-server.c: whether a new stream may start (and counts it); the reason
 * it may not into why. streams_release gives the counts back. */
bool rpc_streams_admit(struct rpc_server *s, struct rpc_call *c, char *why, size_t why_len);
void rpc_streams_release(struct rpc_server *s, struct rpc_call *c);

/* rpc-server.c: shuts a queue down, drains it and destroys it. */
void rpc_cq_destroy(grpc_completion_queue *cq);

/* rpc-server.c: call before starting an operation that completes on q->cq;
 * false when the queue is closing (then do not start it). */
bool rpc_queue_begin_op(struct rpc_queue *q);
void rpc_queue_end_op(struct rpc_queue *q);

/* rpc-call.c */
struct rpc_call *rpc_call_from_pending(struct rpc_pending *p);
void rpc_call_free(struct rpc_call *c);
/* Frees the spare calls; at rpc_server_free. */
void rpc_call_spares_free(struct rpc_server *s);
/* Runs the interceptors and handler with the observer and the trace context. */
int rpc_call_run_handler(struct rpc_call *c);
void rpc_call_run_unary(struct rpc_call *c);
void rpc_call_reject(struct rpc_call *c, int code, const char *message);
void rpc_call_on_done(struct rpc_call *c); /* the final batch completed: release */
void rpc_call_on_closed(struct rpc_call *c);
void rpc_call_log(struct rpc_call *c);
/* Decodes bytes as desc into the given allocator; on failure records status. */
int rpc_call_decode(struct rpc_call *c, const ProtobufCMessageDescriptor *desc,
                    ProtobufCAllocator *allocator, grpc_byte_buffer *payload,
                    ProtobufCMessage **ret_msg);
grpc_byte_buffer *rpc_encode(const ProtobufCMessage *msg);

/* rpc-stream.c */
void rpc_stream_start(struct rpc_call *c, grpc_completion_queue *cq);
/* Answers a stream that was not admitted with RESOURCE_EXHAUSTED and why, on
 * its own queue cq (a streaming call's operations complete there, not on the
 * workers' queues), and frees it. */
void rpc_stream_refuse(struct rpc_call *c, grpc_completion_queue *cq, const char *why);

/* rpc-validate.c */
/* Checks the wire bytes of a request (guided by desc) before decoding: 0,
 * RPC_WIRE_MALFORMED (not protobuf, or message fields nested deeper than
 * max_depth), or RPC_WIRE_NUL (a string field holds a NUL byte; path gets
 * its dotted name). */
enum { RPC_WIRE_MALFORMED = -1, RPC_WIRE_NUL = -2 };
int rpc_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   int max_depth, char *path, size_t cap);
/* NULL when every string field (recursively) is valid UTF-8; else the dotted
 * path of the first bad field, written into buf. */
const char *rpc_find_invalid_utf8(const ProtobufCMessage *msg, char *buf, size_t len);
/* The runtime's checks and decoding of one request's bytes, in the order a
 * served call runs them: size, wire shape and depth, NULs, protobuf-c
 * decoding with the allocator (max_bytes: the method's limit, at most the
 * server's) (*alloc_failed, set by it, tells memory from
 * malformed input), UTF-8. RPC_OK with *ret_msg (in the allocator's memory),
 * or the status to answer and its message in why. The fuzz target drives
 * exactly this. */
int rpc_request_decode(const struct rpc_server_config *cfg, size_t max_bytes,
                       const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *allocator,
                       const bool *alloc_failed, const uint8_t *data, size_t len,
                       ProtobufCMessage **ret_msg, char *why, size_t why_len);

/* rpc-health.c / rpc-reflection.c */
void rpc_health_free(struct rpc_health *h);
int rpc_health_probes_start(struct rpc_server *s);
void rpc_health_probes_stop(struct rpc_server *s);
void rpc_health_probes_free(struct rpc_probes *pr);
void rpc_reflection_free(struct rpc_reflection *r);

/* Lower-case grpc status name, for logs. */
const char *rpc_code_name(int code);

/* Milliseconds left of the deadline of the call this thread is serving (0
 * once passed), or -1 when it serves none or the call has no deadline. The
 * client caps the calls it makes with it: a deadline propagates. */
int64_t rpc_deadline_inherited_ms(void);

/* ---- the client's calls (rpc-client.c, rpc-client-stream.c) ---------- */

/* A call made on its channel with its metadata (the caller's, plus the
 * trace this thread works for) and deadline (its own, never past the one
 * this thread's call inherited), on a pluck queue of its own. */
struct rpc_client_started {
        grpc_call *call;
        grpc_completion_queue *cq;
        grpc_metadata *md; /* to send with GRPC_OP_SEND_INITIAL_METADATA */
        size_t n_md;
};
/* 0: started; 1: not started, *ret_status says why (the inherited deadline
 * passed); a negative errno. */
int rpc_client_begin(struct rpc_client *c, const struct rpc_client_call *call,
                     struct rpc_client_started *ret, struct rpc_client_status *ret_status);
void rpc_client_end(struct rpc_client_started *s);
/* A received message's bytes, copied out (free() them); bb is destroyed
 * (NULL: no message, 0 bytes). 0 or -ENOMEM. */
int rpc_byte_buffer_take(grpc_byte_buffer *bb, void **ret_bytes, size_t *ret_len);
/* UNAVAILABLE whose request certainly never left this process. */
bool rpc_client_never_connected(int code, const char *details);
