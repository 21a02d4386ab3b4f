/* The standard process metrics, read from /proc/self at scrape time. */
#include "metrics/metrics.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double boot_time_s(void)
{
        FILE *f = fopen("/proc/stat", "r");
        char line[256];
        double btime = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %lf", &btime) == 1)
                        break;
        if (f)
                fclose(f);
        return btime;
}

static void collect_process(void *userdata, struct metrics_writer *w)
{
        (void)userdata;
        unsigned long utime = 0, stime = 0, vsize = 0;
        long rss = 0;
        unsigned long long start = 0;
        char buf[1024];
        FILE *f = fopen("/proc/self/stat", "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
                fclose(f);
        buf[n] = '\0';
        const char *after_comm = strrchr(buf, ')'); /* the command name may hold spaces */
        if (after_comm)
                sscanf(after_comm + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
                       "%*d %llu %lu %ld",
                       &utime, &stime, &start, &vsize, &rss);
        double hz = (double)sysconf(_SC_CLK_TCK);
        double page = (double)sysconf(_SC_PAGESIZE);
        int fds = 0;
        DIR *d = opendir("/proc/self/fd");
        for (struct dirent *e; d && (e = readdir(d));)
                fds += e->d_name[0] != '.';
        if (d)
                closedir(d);
        fds -= d ? 1 : 0; /* the directory's own descriptor */
        metrics_write_family(w, "process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.", "counter");
        metrics_write_sample(w, "process_cpu_seconds_total", "", (double)(utime + stime) / hz);
        metrics_write_family(w, "process_resident_memory_bytes", "Resident memory size in bytes.",
                             "gauge");
        metrics_write_sample(w, "process_resident_memory_bytes", "", (double)rss * page);
        metrics_write_family(w, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             "gauge");
        metrics_write_sample(w, "process_virtual_memory_bytes", "", (double)vsize);
        metrics_write_family(w, "process_open_fds", "Number of open file descriptors.", "gauge");
        metrics_write_sample(w, "process_open_fds", "", fds);
        metrics_write_family(w, "process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.", "gauge");
        metrics_write_sample(w, "process_start_time_seconds", "",
                             boot_time_s() + (double)start / hz);
}

int metrics_add_process_collector(struct metrics *m)
{
        return metrics_add_collector(m, collect_process, NULL);
}
