/* testsvc: composition root of the test-only service. Configuration comes
 * from the environment (BOOKSTORE_TESTSVC_ADDR and BOOKSTORE_RPC_*). Prints
 * "listening on port N" to stdout once it serves, for test harnesses. */
#include "testsvc.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>

extern const unsigned char bookstore_testing_descriptors[];
extern const size_t bookstore_testing_descriptors_len;

int main(void)
{
        log_set_service("testsvc");
        rpc_block_signals();

        struct rpc_server_config cfg;
        char err[256];
        if (rpc_server_config_from_env(&cfg, "BOOKSTORE_TESTSVC_ADDR", "127.0.0.1:0", err,
                                       sizeof(err)) < 0) {
                log_msg(LOG_ERROR, "invalid configuration", "{s:s}", "error", err);
                fprintf(stderr, "testsvc: %s\n", err);
                return 2;
        }
        struct rpc_server *server = NULL;
        int r = rpc_server_new(&server, &cfg);
        if (r == 0)
                r = testsvc_register(server);
        if (r == 0)
                r = rpc_server_enable_health(server);
        if (r == 0)
                r = rpc_server_enable_reflection(server, bookstore_testing_descriptors,
                                                 bookstore_testing_descriptors_len);
        if (r < 0) {
                log_msg(LOG_ERROR, "could not set up the server", "{s:s}", "error", strerror(-r));
                rpc_server_free(server);
                return 1;
        }
        r = rpc_server_start(server);
        if (r < 0) {
                log_msg(LOG_ERROR, "could not listen", "{s:s, s:s}", "addr", cfg.listen_addr,
                        "error", strerror(-r));
                fprintf(stderr, "testsvc: cannot listen on %s: %s\n", cfg.listen_addr, strerror(-r));
                rpc_server_free(server);
                return 1;
        }
        printf("listening on port %d\n", rpc_server_port(server));
        fflush(stdout);
        log_msg(LOG_INFO, "serving", "{s:s, s:i, s:i}", "addr", cfg.listen_addr, "port",
                rpc_server_port(server), "workers", cfg.workers);

        int sig = rpc_wait_for_signal();
        log_msg(LOG_INFO, "stopping", "{s:i, s:i}", "signal", sig, "grace_ms",
                cfg.shutdown_grace_ms);
        rpc_server_stop(server);
        rpc_server_free(server);
        log_msg(LOG_INFO, "stopped", NULL);
        return 0;
}
