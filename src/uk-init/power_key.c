#include "power_key.h"

#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define MAX_INPUT_DEVICES 8

/* <linux/input.h>'s event as a 64-bit kernel writes it (musl ships no kernel headers):
 * a timestamp, then type, code and value. */
struct input_event {
    long seconds, microseconds;
    unsigned short type, code;
    int value;
};
#define EV_KEY 1
#define KEY_POWER 116

static _Noreturn void watch(struct pollfd *devices, int count)
{
    for (;;) {
        if (poll(devices, (nfds_t)count, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        for (int i = 0; i < count; i++) {
            if (!(devices[i].revents & POLLIN))
                continue;
            struct input_event events[16];
            ssize_t got = read(devices[i].fd, events, sizeof events);
            for (ssize_t e = 0; got > 0 && e < got / (ssize_t)sizeof events[0]; e++)
                if (events[e].type == EV_KEY && events[e].code == KEY_POWER && events[e].value == 1)
                    kill(1, POWER_BUTTON_SIGNAL);
        }
    }
}

pid_t power_key_start(void)
{
    struct pollfd devices[MAX_INPUT_DEVICES];
    int count = 0;
    for (int n = 0; n < MAX_INPUT_DEVICES; n++) {
        char path[32];
        snprintf(path, sizeof path, "/dev/input/event%d", n);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            devices[count++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    if (count == 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0)
        watch(devices, count);
    for (int i = 0; i < count; i++)
        close(devices[i].fd);
    return pid;
}
