/* A tiny static program the guest tests run as the VM's one program. The first
 * argument picks what it does:
 *   exit N      print argv and $UK_PROBE, then exit with status N
 *   kill-self   print, then kill itself with SIGKILL
 *   wait-term   print "probe: waiting", then exit 0 on SIGTERM, printing a line first
 *   ignore-term print "probe: waiting", ignore SIGTERM and wait forever
 *   check-guest print what uk-init set up (hostname, writable root, /tmp, /proc, lo,
 *               overcommit)
 *   sleep MS    print the wall-clock time, sleep MS milliseconds, print how long that
 *               took by the guest's monotonic clock
 *   hello PORT  listen on TCP PORT; every connection gets "hello\n" and is closed at once
 *   write-console BYTES
 *               print BYTES bytes of text on the console, then exit 0
 *   counter PORT FILE
 *               listen on TCP PORT; every connection adds one to the count in FILE
 *               (written and fsync'd before the answer) and gets the new count
 *   files ACTION...
 *               read=PATH prints "probe: PATH says TEXT"; write=PATH=TEXT writes TEXT
 *               and fsyncs it; a failure prints "probe: cannot ACTION PATH: ERROR" and
 *               makes the exit status 1
 *   io DIR [MIB] [WRITES]
 *               in DIR: write MIB MiB (default 64) in 1 MiB blocks and fsync, read it back
 *               (its cached pages dropped first), then WRITES (default 200) 4 KiB writes
 *               at random places, each fsync'd; prints the rates (bench/volume-io)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void print_invocation(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        printf("probe: argv[%d]=%s\n", i, argv[i]);
    const char *value = getenv("UK_PROBE");
    printf("probe: UK_PROBE=%s\n", value ? value : "(unset)");
    fflush(stdout);
}

static int check(const char *what, int ok)
{
    printf("probe: %s %s\n", what, ok ? "ok" : "FAILED");
    return ok;
}

static int writable(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    int ok = fputs("x", f) >= 0;
    return fclose(f) == 0 && ok;
}

static int file_says(const char *path, const char *expected)
{
    char text[64] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(text, sizeof text, f) && strcmp(text, expected) == 0;
    fclose(f);
    return ok;
}

static int check_guest(void)
{
    char name[128] = "";
    gethostname(name, sizeof name);
    printf("probe: hostname=%s\n", name);
    int ok = 1;
    ok &= check("writable-root", writable("/probe-was-here"));
    ok &= check("writable-tmp", writable("/tmp/probe"));
    ok &= check("writable-dev-shm", writable("/dev/shm/probe"));
    ok &= check("proc", access("/proc/self/status", R_OK) == 0);
    ok &= check("sys", access("/sys/kernel", F_OK) == 0);
    ok &= check("dev-null", writable("/dev/null"));
    ok &= check("dev-fd", access("/dev/fd/1", F_OK) == 0);
    ok &= check("writable-run", writable("/run/probe"));
    ok &= check("overcommit", file_says("/proc/sys/vm/overcommit_memory", "1\n"));
    FILE *resolv = fopen("/etc/resolv.conf", "r");
    char line[128];
    while (resolv && fgets(line, sizeof line, resolv))
        printf("probe: resolv.conf: %s", line);
    if (resolv)
        fclose(resolv);
    fflush(stdout);
    return ok ? 0 : 1;
}

static int listen_on(int port);

/* A server that answers and hangs up before the client says anything. */
static int hello(int port)
{
    int s = listen_on(port);
    if (s < 0)
        return 1;
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        (void)!write(c, "hello\n", 6);
        close(c);
    }
}

static int listen_on(int port)
{
    /* IPv6 and IPv4 both, as servers commonly listen. */
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1, zero = 0;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 address = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
    if (s < 0 || bind(s, (struct sockaddr *)&address, sizeof address) < 0 || listen(s, 16) < 0) {
        perror("probe: listen");
        return -1;
    }
    printf("probe: listening on %d\n", port);
    fflush(stdout);
    return s;
}

/* Writes text to path and makes it durable: what a database does before it answers. */
static int write_synced(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return ok ? 0 : -1;
}

static int counter(int port, const char *file)
{
    int s = listen_on(port);
    if (s < 0)
        return 1;
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        long count = 0;
        FILE *f = fopen(file, "r");
        if (f) {
            if (fscanf(f, "%ld", &count) != 1)
                count = 0;
            fclose(f);
        }
        char text[32];
        snprintf(text, sizeof text, "%ld\n", count + 1);
        if (write_synced(file, text) < 0)
            snprintf(text, sizeof text, "error %d\n", errno);
        (void)!write(c, text, strlen(text));
        close(c);
    }
}

static int files(int argc, char **argv)
{
    int status = 0;
    for (int i = 0; i < argc; i++) {
        char action[1024];
        snprintf(action, sizeof action, "%s", argv[i]);
        char *path = strchr(action, '=');
        if (!path)
            continue;
        *path++ = '\0';
        if (strcmp(action, "read") == 0) {
            char text[256] = "";
            int fd = open(path, O_RDONLY);
            ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
            if (n < 0) {
                printf("probe: cannot read %s: %s\n", path, strerror(errno));
                status = 1;
            } else {
                text[n] = '\0';
                text[strcspn(text, "\n")] = '\0';
                printf("probe: %s says %s\n", path, text);
            }
            if (fd >= 0)
                close(fd);
        } else if (strcmp(action, "write") == 0) {
            char *text = strchr(path, '=');
            if (text)
                *text++ = '\0';
            if (write_synced(path, text ? text : "") < 0) {
                printf("probe: cannot write %s: %s\n", path, strerror(errno));
                status = 1;
            } else {
                printf("probe: wrote %s\n", path);
            }
        }
        fflush(stdout);
    }
    return status;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int io(const char *dir, long mib, long writes)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/uk-io-bench.bin", dir);
    static char block[1 << 20];
    memset(block, 'u', sizeof block);
    struct timespec start;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("probe: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < mib; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) {
            printf("probe: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    if (fsync(fd) < 0) {
        printf("probe: cannot fsync %s: %s\n", path, strerror(errno));
        return 1;
    }
    double write_s = seconds_since(&start);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* read from the disk, not the page cache */
    clock_gettime(CLOCK_MONOTONIC, &start);
    long read_bytes = 0;
    for (ssize_t n; (n = pread(fd, block, sizeof block, read_bytes)) > 0;)
        read_bytes += n;
    double read_s = seconds_since(&start);
    srand(1);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < writes; i++) {
        off_t at = (off_t)(rand() % (mib * 256)) * 4096;
        if (pwrite(fd, block, 4096, at) != 4096 || fsync(fd) < 0) {
            printf("probe: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    double random_s = seconds_since(&start);
    close(fd);
    unlink(path);
    printf("probe: io seq_write_mib_s=%.1f seq_read_mib_s=%.1f random_4k_fsync_per_s=%.1f\n", (double)mib / write_s,
           (double)read_bytes / (1 << 20) / read_s, (double)writes / random_s);
    return 0;
}

static int write_console(long bytes)
{
    char line[101];
    memset(line, 'x', 100);
    line[100] = '\n';
    for (long done = 0; done < bytes; done += 101)
        fwrite(line, 1, sizeof line, stdout);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    print_invocation(argc, argv);
    const char *mode = argc > 1 ? argv[1] : "exit";
    if (strcmp(mode, "exit") == 0)
        return argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(mode, "kill-self") == 0) {
        kill(getpid(), SIGKILL);
        return 1;
    }
    if (strcmp(mode, "wait-term") == 0) {
        sigset_t set;
        int sig;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        printf("probe: waiting\n");
        fflush(stdout);
        sigwait(&set, &sig);
        printf("probe: got SIGTERM\n");
        return 0;
    }
    if (strcmp(mode, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
        printf("probe: waiting\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (strcmp(mode, "sleep") == 0 && argc > 2) {
        long ms = atol(argv[2]);
        struct timespec wall, start, end, pause = {ms / 1000, (ms % 1000) * 1000000L};
        clock_gettime(CLOCK_REALTIME, &wall);
        printf("probe: realtime=%lld\n", (long long)wall.tv_sec);
        printf("probe: sleeping\n");
        fflush(stdout);
        clock_gettime(CLOCK_MONOTONIC, &start);
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &end);
        long long slept = (end.tv_sec - start.tv_sec) * 1000LL + (end.tv_nsec - start.tv_nsec) / 1000000L;
        printf("probe: slept monotonic_ms=%lld\n", slept);
        return 0;
    }
    if (strcmp(mode, "check-guest") == 0)
        return check_guest();
    if (strcmp(mode, "hello") == 0 && argc > 2)
        return hello(atoi(argv[2]));
    if (strcmp(mode, "write-console") == 0 && argc > 2)
        return write_console(atol(argv[2]));
    if (strcmp(mode, "counter") == 0 && argc > 3)
        return counter(atoi(argv[2]), argv[3]);
    if (strcmp(mode, "files") == 0)
        return files(argc - 2, argv + 2);
    if (strcmp(mode, "io") == 0 && argc > 2)
        return io(argv[2], argc > 3 ? atol(argv[3]) : 64, argc > 4 ? atol(argv[4]) : 200);
    fprintf(stderr, "probe: unknown mode %s\n", mode);
    return 2;
}
