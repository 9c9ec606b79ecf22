#include "agent.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define USER_HZ 100.0 /* the unit of /proc/stat and /proc/PID/stat on every Linux */

struct text {
    char *at;
    size_t size;
    size_t used;
    int overflow;
};

static void put(struct text *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->at + t->used, t->size - t->used, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= t->size - t->used)
        t->overflow = 1;
    else
        t->used += (size_t)n;
}

/* A small /proc (or /sys) file whole, NUL-terminated; empty when it cannot be read. */
static void read_proc(const char *proc, const char *name, char *out, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", proc, name);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t used = 0;
    ssize_t n;
    while (used + 1 < size && (n = read(fd, out + used, size - 1 - used)) > 0)
        used += (size_t)n;
    out[used] = '\0';
    close(fd);
}

/* "Key:   123 kB" in /proc/meminfo or /proc/PID/status; 0 when absent. */
static unsigned long long field_kib(const char *text, const char *key)
{
    size_t length = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, length) == 0 && line[length] == ':')
            return strtoull(line + length + 1, NULL, 10);
    return 0;
}

static void add_cpu(const char *proc, struct text *t)
{
    char stat[8192];
    read_proc(proc, "stat", stat, sizeof stat);
    unsigned long long v[10] = {0};
    int cpus = 0;
    if (strncmp(stat, "cpu ", 4) == 0)
        sscanf(stat + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7], &v[8], &v[9]);
    for (const char *line = stat; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, "cpu", 3) == 0 && isdigit((unsigned char)line[3]))
            cpus++;
    /* user nice system idle iowait irq softirq steal: guest time is inside user already. */
    double busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / USER_HZ;
    double idle = (double)(v[3] + v[4]) / USER_HZ;
    char loadavg[256];
    read_proc(proc, "loadavg", loadavg, sizeof loadavg);
    double load[3] = {0, 0, 0};
    sscanf(loadavg, "%lf %lf %lf", &load[0], &load[1], &load[2]);
    put(t, ",\"cpu\":{\"count\":%d,\"busy_s\":%.2f,\"idle_s\":%.2f,\"load\":[%.2f,%.2f,%.2f]}", cpus, busy, idle,
        load[0], load[1], load[2]);
}

/* The kernel's own text, data and bss, from the "Kernel ..." ranges of /proc/iomem. */
static unsigned long long kernel_image_kib(const char *proc)
{
    char iomem[8192];
    read_proc(proc, "iomem", iomem, sizeof iomem);
    unsigned long long bytes = 0;
    for (const char *line = iomem; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        unsigned long long start, end;
        char name[32];
        if (sscanf(line, " %llx-%llx : %31[^\n]", &start, &end, name) == 3 && strncmp(name, "Kernel ", 7) == 0 &&
            end >= start)
            bytes += end - start + 1;
    }
    return bytes / 1024;
}

static void add_memory(const char *proc, struct text *t)
{
    char meminfo[8192];
    read_proc(proc, "meminfo", meminfo, sizeof meminfo);
    unsigned long long total = field_kib(meminfo, "MemTotal"), free_kib = field_kib(meminfo, "MemFree");
    unsigned long long cache = field_kib(meminfo, "Buffers") + field_kib(meminfo, "Cached");
    unsigned long long used = total > free_kib + cache ? total - free_kib - cache : 0;
    put(t, ",\"memory\":{\"total_kib\":%llu,\"used_kib\":%llu,\"free_kib\":%llu,\"available_kib\":%llu,"
           "\"page_cache_kib\":%llu,\"shmem_kib\":%llu,\"anon_kib\":%llu,\"slab_reclaimable_kib\":%llu,"
           "\"slab_unreclaimable_kib\":%llu,\"kernel_stack_kib\":%llu,\"page_tables_kib\":%llu,\"percpu_kib\":%llu,"
           "\"kernel_image_kib\":%llu}",
        total, used, free_kib, field_kib(meminfo, "MemAvailable"), cache, field_kib(meminfo, "Shmem"),
        field_kib(meminfo, "AnonPages"), field_kib(meminfo, "SReclaimable"), field_kib(meminfo, "SUnreclaim"),
        field_kib(meminfo, "KernelStack"), field_kib(meminfo, "PageTables"), field_kib(meminfo, "Percpu"),
        kernel_image_kib(proc));
}

static void add_network(const char *proc, struct text *t)
{
    char dev[8192];
    read_proc(proc, "net/dev", dev, sizeof dev);
    unsigned long long rx = 0, tx = 0, rx_packets = 0, tx_packets = 0;
    for (const char *line = dev; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *colon = strchr(line, ':');
        const char *end = strchr(line, '\n');
        if (!colon || (end && colon > end))
            continue;
        const char *name = line;
        while (*name == ' ')
            name++;
        if (strncmp(name, "lo:", 3) == 0)
            continue;
        unsigned long long f[10] = {0};
        /* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets */
        if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4],
                   &f[5], &f[6], &f[7], &f[8], &f[9]) == 10) {
            rx += f[0], rx_packets += f[1], tx += f[8], tx_packets += f[9];
        }
    }
    put(t, ",\"network\":{\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"rx_packets\":%llu,\"tx_packets\":%llu}", rx, tx,
        rx_packets, tx_packets);
}

/* vda, sdb, xvdc, nvme0n1: whole disks, not their partitions. */
static int whole_disk(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return 0;
    if (strncmp(name, "vd", 2) == 0 || strncmp(name, "sd", 2) == 0 || strncmp(name, "xvd", 3) == 0)
        return isalpha((unsigned char)name[n - 1]);
    return strncmp(name, "nvme", 4) == 0 && strchr(name + 4, 'p') == NULL;
}

static void add_disks(const char *proc, struct text *t)
{
    char stats[8192];
    read_proc(proc, "diskstats", stats, sizeof stats);
    unsigned long long reads = 0, read_sectors = 0, writes = 0, written_sectors = 0;
    for (const char *line = stats; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char name[64];
        unsigned long long f[7];
        /* major minor name reads merged sectors ms writes merged sectors */
        if (sscanf(line, "%*u %*u %63s %llu %llu %llu %llu %llu %llu %llu", name, &f[0], &f[1], &f[2], &f[3], &f[4],
                   &f[5], &f[6]) == 8 &&
            whole_disk(name)) {
            reads += f[0], read_sectors += f[2], writes += f[4], written_sectors += f[6];
        }
    }
    put(t, ",\"disk\":{\"reads\":%llu,\"read_bytes\":%llu,\"writes\":%llu,\"written_bytes\":%llu}", reads,
        read_sectors * 512, writes, written_sectors * 512);
}

/* Every process but uk-init and this agent: the program and whatever it started. */
static void add_program(const char *proc, struct text *t)
{
    DIR *dir = opendir(proc);
    unsigned long long rss = 0, rss_anon = 0, rss_file = 0;
    double cpu = 0;
    int processes = 0;
    long self = (long)getpid();
    struct dirent *entry;
    while (dir && (entry = readdir(dir)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 1 || pid == self)
            continue;
        char name[64], text[4096];
        snprintf(name, sizeof name, "%ld/status", pid);
        read_proc(proc, name, text, sizeof text);
        if (!strstr(text, "VmRSS:")) /* a kernel thread */
            continue;
        processes++;
        rss += field_kib(text, "VmRSS");
        rss_anon += field_kib(text, "RssAnon");
        rss_file += field_kib(text, "RssFile");
        snprintf(name, sizeof name, "%ld/stat", pid);
        read_proc(proc, name, text, sizeof text);
        const char *after = strrchr(text, ')');
        unsigned long long utime = 0, stime = 0;
        /* after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (after)
            sscanf(after + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime);
        cpu += (double)(utime + stime) / USER_HZ;
    }
    if (dir)
        closedir(dir);
    put(t, ",\"program\":{\"processes\":%d,\"rss_kib\":%llu,\"rss_anon_kib\":%llu,\"rss_file_kib\":%llu,"
           "\"cpu_s\":%.2f}",
        processes, rss, rss_anon, rss_file, cpu);
}

int agent_answer(const char *request, const char *proc, char *out, size_t size)
{
    struct text t = {out, size, 0, 0};
    if (size == 0)
        return -1;
    out[0] = '\0';
    unsigned long long id = 0;
    char extra;
    if (sscanf(request, "stats %llu %c", &id, &extra) != 1) {
        put(&t, "{\"error\":\"unknown request; expected: stats ID\"}");
        return t.overflow ? -1 : (int)t.used;
    }
    char uptime[128];
    read_proc(proc, "uptime", uptime, sizeof uptime);
    double up = 0;
    sscanf(uptime, "%lf", &up);
    put(&t, "{\"id\":%llu,\"uptime_s\":%.2f", id, up);
    add_cpu(proc, &t);
    add_memory(proc, &t);
    add_network(proc, &t);
    add_disks(proc, &t);
    add_program(proc, &t);
    put(&t, "}");
    return t.overflow ? -1 : (int)t.used;
}

static void write_all(int fd, const char *bytes, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, bytes, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        bytes += n;
        size -= (size_t)n;
    }
}

static _Noreturn void serve(int fd)
{
    char line[256];
    size_t used = 0;
    static char answer[8192];
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sleep(1); /* a serial port does not end; this only guards against a spin */
            continue;
        }
        if (c == '\r')
            continue;
        if (c != '\n') {
            if (used + 1 < sizeof line)
                line[used++] = c;
            continue;
        }
        line[used] = '\0';
        used = 0;
        int length = agent_answer(line, "/proc", answer, sizeof answer - 1);
        if (length < 0)
            length = snprintf(answer, sizeof answer - 1, "{\"error\":\"the answer does not fit\"}");
        answer[length++] = '\n';
        write_all(fd, answer, (size_t)length);
    }
}

pid_t agent_start(void)
{
    /* The kernel keeps a ttyS1 whether or not a UART answered at its address; its type
     * is 0 (PORT_UNKNOWN) when none did. */
    char type[16];
    read_proc("/sys/class/tty", AGENT_TTY "/type", type, sizeof type);
    if (atoi(type) == 0)
        return -1;
    int fd = open("/dev/" AGENT_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Bytes as they come: no echo, no line editing, no newline translation. */
    struct termios raw;
    if (tcgetattr(fd, &raw) == 0) {
        cfmakeraw(&raw);
        tcsetattr(fd, TCSANOW, &raw);
    }
    pid_t pid = fork();
    if (pid == 0)
        serve(fd);
    close(fd);
    return pid;
}
