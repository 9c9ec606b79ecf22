#include "supervisor.h"

#include "agent.h"
#include "power_key.h"
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOT_STARTED 127

/* What the child reports through a close-on-exec pipe when it cannot exec. */
enum start_stage { STAGE_RLIMIT, STAGE_CWD, STAGE_USER, STAGE_EXEC };

struct start_failure {
    int stage;
    int error;
    int detail;
};

static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* For ENOENT on a file that exists: the interpreter it names is what is missing. Reads
 * the #! line or the ELF PT_INTERP segment into out. */
static int find_interpreter(const char *path, char *out, size_t size)
{
    unsigned char head[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, head, sizeof head);
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        close(fd);
        size_t i = 2, j = 0;
        while (i < (size_t)n && (head[i] == ' ' || head[i] == '\t'))
            i++;
        while (i < (size_t)n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && j + 1 < size)
            out[j++] = (char)head[i++];
        out[j] = '\0';
        return j ? 0 : -1;
    }
    /* ELF64 little-endian: e_phoff at 32, e_phentsize at 54, e_phnum at 56. */
    if (n < 64 || memcmp(head, "\177ELF", 4) != 0 || head[4] != 2) {
        close(fd);
        return -1;
    }
    uint64_t phoff;
    uint16_t phentsize, phnum;
    memcpy(&phoff, head + 32, 8);
    memcpy(&phentsize, head + 54, 2);
    memcpy(&phnum, head + 56, 2);
    int found = -1;
    for (uint16_t i = 0; i < phnum && found < 0; i++) {
        unsigned char ph[56];
        if (phentsize < sizeof ph || pread(fd, ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)) != sizeof ph)
            break;
        uint32_t type;
        uint64_t offset, filesz;
        memcpy(&type, ph, 4);
        memcpy(&offset, ph + 8, 8);
        memcpy(&filesz, ph + 32, 8);
        if (type != 3 /* PT_INTERP */)
            continue;
        if (filesz == 0 || filesz >= size || pread(fd, out, filesz, (off_t)offset) != (ssize_t)filesz)
            break;
        out[filesz - 1] = '\0';
        found = 0;
    }
    close(fd);
    return found;
}

static void explain_failure(const struct manifest *m, const struct start_failure *f)
{
    const char *program = m->program;
    switch (f->stage) {
    case STAGE_RLIMIT:
        console_say("cannot start %s: cannot apply resource limit %d of the manifest: %s", program, f->detail,
                    strerror(f->error));
        return;
    case STAGE_CWD:
        console_say("cannot start %s: working directory %s: %s", program, m->cwd, strerror(f->error));
        return;
    case STAGE_USER:
        console_say("cannot start %s as user %u, group %u: %s", program, m->uid, m->gid, strerror(f->error));
        return;
    }
    struct stat st;
    char interpreter[256];
    switch (f->error) {
    case ENOENT:
        if (stat(program, &st) < 0)
            console_say("cannot start %s: no such file in the image (check Program in the config)", program);
        else if (find_interpreter(program, interpreter, sizeof interpreter) == 0)
            console_say("cannot start %s: its interpreter %s is not in the image", program, interpreter);
        else
            console_say("cannot start %s: a file it needs to start is missing", program);
        return;
    case EACCES:
        console_say("cannot start %s: permission denied (is it a regular file with execute permission?)", program);
        return;
    case ENOEXEC:
        console_say("cannot start %s: not an executable this kernel runs (expected an ELF of the guest's "
                    "architecture or a #! script)",
                    program);
        return;
    default:
        console_say("cannot start %s: %s", program, strerror(f->error));
    }
}

static void run_child(const struct manifest *m, int report_fd)
{
    struct start_failure failure = {STAGE_EXEC, 0, 0};
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Its own session and process group, as the leader of everything it starts. */
    setsid();
    for (size_t i = 0; i < m->rlimit_count; i++) {
        if (setrlimit(m->rlimits[i].resource, &m->rlimits[i].limit) < 0) {
            failure = (struct start_failure){STAGE_RLIMIT, errno, m->rlimits[i].resource};
            goto report;
        }
    }
    if (chdir(m->cwd) < 0) {
        failure = (struct start_failure){STAGE_CWD, errno, 0};
        goto report;
    }
    /* The image's user: no supplementary groups, the group first (setuid drops the right
     * to change it). */
    if ((m->uid || m->gid) &&
        (setgroups(0, NULL) < 0 || setgid((gid_t)m->gid) < 0 || setuid((uid_t)m->uid) < 0)) {
        failure = (struct start_failure){STAGE_USER, errno, 0};
        goto report;
    }
    execve(m->program, m->argv, m->envp);
    failure.error = errno;
report:
    (void)!write(report_fd, &failure, sizeof failure);
    _exit(NOT_STARTED);
}

static int status_of(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return NOT_STARTED;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int supervise(const struct manifest *m)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        console_say("cannot start %s: %s", m->program, strerror(errno));
        return NOT_STARTED;
    }
    pid_t child = fork();
    if (child < 0) {
        console_say("cannot start %s: %s", m->program, strerror(errno));
        return NOT_STARTED;
    }
    if (child == 0)
        run_child(m, report[1]);
    close(report[1]);

    struct start_failure failure;
    ssize_t got;
    while ((got = read(report[0], &failure, sizeof failure)) < 0 && errno == EINTR)
        ;
    close(report[0]);
    int started = got != (ssize_t)sizeof failure;
    if (!started)
        explain_failure(m, &failure);
    else
        agent_start();
    power_key_start();

    sigset_t all;
    sigfillset(&all);
    double deadline = 0; /* when a stop request runs out of patience; 0: none pending */
    for (;;) {
        struct timespec timeout, *wait_for = NULL;
        if (deadline > 0) {
            double left = deadline - now_seconds();
            if (left < 0)
                left = 0;
            timeout.tv_sec = (time_t)left;
            timeout.tv_nsec = (long)((left - (double)timeout.tv_sec) * 1e9);
            wait_for = &timeout;
        }
        siginfo_t info;
        int sig = sigtimedwait(&all, &info, wait_for);
        if (sig < 0) {
            if (errno == EAGAIN) {
                console_say("%s did not exit within %u s of the stop request; killing it", m->program,
                            m->stop_grace_seconds);
                kill(child, SIGKILL);
                deadline = 0;
            }
            continue;
        }
        if (sig == SIGCHLD) {
            int wait_status;
            pid_t pid;
            /* Reaps orphans too: as PID 1 every one of them ends up here. */
            while ((pid = waitpid(-1, &wait_status, WNOHANG)) > 0)
                if (pid == child)
                    return started ? status_of(wait_status) : NOT_STARTED;
            continue;
        }
        if (sig == POWER_BUTTON_SIGNAL) {
            kill(child, SIGTERM);
            if (deadline == 0)
                deadline = now_seconds() + m->stop_grace_seconds;
            continue;
        }
        for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
            if (sig == forwarded_signals[i])
                kill(child, sig);
    }
}
