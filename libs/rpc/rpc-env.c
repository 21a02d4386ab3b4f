/* Server configuration from the environment, and signal handling for main(). */
#include "rpc-int.h"

#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int rpc_server_config_from_env(struct rpc_server_config *cfg, const char *addr_env,
                               const char *default_addr, char *err, size_t err_len)
{
        struct cfg_error e = {{0}};
        long workers, queues, per_method, depth, grace, streams, max_call, anon, idle;
        size_t max_msg, arena_max;
        bool access_log;
        const char *addr;
        if (cfg_string(addr_env, default_addr, &addr, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_WORKERS", 8, 1, 256, &workers, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_QUEUES", 1, 1, 256, &queues, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_REQUESTS_PER_METHOD", 16, 1, 1024, &per_method, &e) < 0 ||
            cfg_size("BOOKSTORE_RPC_MAX_MESSAGE_BYTES", 64 << 10, 1024, 1 << 30, &max_msg, &e) <
                    0 ||
            cfg_size("BOOKSTORE_RPC_ARENA_MAX_BYTES", 8 << 20, 64 << 10, (size_t)4 << 30,
                     &arena_max, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_MAX_NESTING_DEPTH", 64, 1, 1000, &depth, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_SHUTDOWN_GRACE_MS", 10000, 0, 3600000, &grace, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_MAX_STREAMS", 256, 1, 100000, &streams, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_MAX_CALL_MS", 30000, 0, 3600000, &max_call, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_MAX_ANONYMOUS_STREAMS_PER_PEER", 8, 0, 100000, &anon, &e) < 0 ||
            cfg_int("BOOKSTORE_RPC_STREAM_IDLE_MS", 60000, 0, 86400000, &idle, &e) < 0 ||
            cfg_bool("BOOKSTORE_ACCESS_LOG", true, &access_log, &e) < 0) {
                snprintf(err, err_len, "%s", e.message);
                return -EINVAL;
        }
        if (queues > workers) {
                snprintf(err, err_len,
                         "BOOKSTORE_RPC_QUEUES: expected at most BOOKSTORE_RPC_WORKERS (%ld), got "
                         "'%ld'",
                         workers, queues);
                return -EINVAL;
        }
        *cfg = (struct rpc_server_config){
                .listen_addr = addr,
                .workers = (int)workers,
                .queues = (int)queues,
                .requests_per_method = (int)per_method,
                .max_message_bytes = max_msg,
                .arena_max_bytes = arena_max,
                .max_nesting_depth = (int)depth,
                .shutdown_grace_ms = (int)grace,
                .max_streams = (int)streams,
                .max_call_ms = max_call,
                .max_anonymous_streams_per_peer = (int)anon,
                .stream_idle_ms = idle,
                .access_log = access_log,
        };
        return 0;
}

static sigset_t stop_signals(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        return set;
}

void rpc_block_signals(void)
{
        sigset_t set = stop_signals();
        pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int rpc_wait_for_signal(void)
{
        sigset_t set = stop_signals();
        int sig = 0;
        while (sigwait(&set, &sig) != 0)
                ;
        return sig;
}

int rpc_server_run(struct rpc_server *s, char *err, size_t err_len)
{
        int r = rpc_server_start(s);
        if (r < 0) {
                snprintf(err, err_len, "cannot listen on %s: %s", s->cfg.listen_addr, strerror(-r));
                rpc_server_stop(s);
                return r;
        }
        printf("listening on port %d\n", rpc_server_port(s));
        fflush(stdout);
        log_msg(LOG_INFO, "serving", "{s:s, s:i, s:i}", "addr", s->cfg.listen_addr, "port",
                rpc_server_port(s), "workers", s->cfg.workers);
        int sig = rpc_wait_for_signal();
        log_msg(LOG_INFO, "stopping", "{s:i, s:i}", "signal", sig, "grace_ms",
                s->cfg.shutdown_grace_ms);
        rpc_server_stop(s);
        return 0;
}
