/* Where log lines go: stderr, written at once, or queued for a background
 * writer that writes them in batches (see log_start_background_writer in
 * core/log.h). Two locks: queue_lock guards the queued bytes, write_lock
 * makes this process's writes to stderr one at a time and in order. */
#include "core/log.h"
#include "log-sink.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
        QUEUE_BYTES = 128 << 10, /* a few milliseconds of access lines at full load */
        LINGER_NS = 1000 * 1000, /* gathered for 1 ms after the first line arrives */
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued_cond = PTHREAD_COND_INITIALIZER;
static char queue_a[QUEUE_BYTES], queue_b[QUEUE_BYTES];
static char *queued = queue_a; /* guarded by queue_lock */
static size_t queued_len;
static bool writer_idle;
static char *draining = queue_b; /* guarded by write_lock */
static bool background;          /* set once at start-up */
static size_t atomic_write_bytes = PIPE_BUF;

/* Writes whole lines in chunks a write(2) puts down whole: at most PIPE_BUF
 * bytes into a pipe (a container's stderr), so another writer to the same
 * pipe (the grpc core's own messages) never lands inside a line; a file
 * takes larger ones. A longer line is written on its own. */
static void write_lines(const char *p, size_t n)
{
        size_t most = atomic_write_bytes;
        while (n > 0) {
                size_t chunk = n;
                if (chunk > most) {
                        const char *nl = memrchr(p, '\n', most);
                        if (!nl)
                                nl = memchr(p + most, '\n', n - most);
                        chunk = nl ? (size_t)(nl - p) + 1 : n;
                }
                ssize_t w = write(STDERR_FILENO, p, chunk);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* stderr is gone: nothing better to do with the lines */
                p += w;
                n -= (size_t)w;
        }
}

/* Writes what is queued, in order. Holds write_lock. */
static void drain_queue(void)
{
        pthread_mutex_lock(&queue_lock);
        char *full = queued;
        size_t len = queued_len;
        queued = draining;
        queued_len = 0;
        pthread_mutex_unlock(&queue_lock);
        draining = full;
        write_lines(full, len);
}

static void write_now(const char *line, size_t len)
{
        pthread_mutex_lock(&write_lock);
        if (background)
                drain_queue();
        write_lines(line, len);
        pthread_mutex_unlock(&write_lock);
}

void log_sink_write(const char *line, size_t len, enum log_level level)
{
        if (!background || level >= LOG_WARN) {
                write_now(line, len);
                return;
        }
        pthread_mutex_lock(&queue_lock);
        bool fits = queued_len + len <= QUEUE_BYTES;
        if (fits) {
                memcpy(queued + queued_len, line, len);
                queued_len += len;
                if (writer_idle) {
                        writer_idle = false;
                        pthread_cond_signal(&queued_cond);
                }
        }
        pthread_mutex_unlock(&queue_lock);
        if (!fits) /* the writer fell behind: this thread writes, after the queue */
                write_now(line, len);
}

static void *writer_main(void *arg)
{
        (void)arg;
        for (;;) {
                pthread_mutex_lock(&queue_lock);
                while (queued_len == 0) {
                        writer_idle = true;
                        pthread_cond_wait(&queued_cond, &queue_lock);
                }
                writer_idle = false;
                pthread_mutex_unlock(&queue_lock);
                struct timespec linger = {.tv_nsec = LINGER_NS};
                nanosleep(&linger, NULL);
                log_flush();
        }
        return NULL;
}

void log_flush(void)
{
        if (!background)
                return;
        pthread_mutex_lock(&write_lock);
        drain_queue();
        pthread_mutex_unlock(&write_lock);
}

int log_start_background_writer(void)
{
        if (background)
                return 0;
        struct stat st;
        if (fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode))
                atomic_write_bytes = 64 << 10;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* the writer takes no signals: a SIGTERM meant for the process's own
         * handling (rpc_wait_for_signal) must not kill it through this thread */
        sigset_t all, before;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &before);
        int r = pthread_create(&t, &attr, writer_main, NULL);
        pthread_sigmask(SIG_SETMASK, &before, NULL);
        pthread_attr_destroy(&attr);
        if (r != 0)
                return -r;
        background = true;
        atexit(log_flush);
        return 0;
}
