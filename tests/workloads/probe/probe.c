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
 */
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

/* A server that answers and hangs up before the client says anything. */
static int hello(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (s < 0 || bind(s, (struct sockaddr *)&address, sizeof address) < 0 || listen(s, 16) < 0) {
        perror("probe: listen");
        return 1;
    }
    printf("probe: listening on %d\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        (void)!write(c, "hello\n", 6);
        close(c);
    }
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
    fprintf(stderr, "probe: unknown mode %s\n", mode);
    return 2;
}
