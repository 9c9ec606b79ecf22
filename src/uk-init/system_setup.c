#include "console.h"
#include "system_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int make_dirs(const char *path, mode_t mode)
{
    char buffer[4096];
    size_t n = strlen(path);
    if (n >= sizeof buffer) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buffer, path, n + 1);
    for (char *p = buffer + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buffer, mode) < 0 && errno != EEXIST)
                return -1;
            *p = saved;
            if (saved == '\0')
                return 0;
        }
    }
}

static int is_mount_point(const char *path)
{
    struct stat here, parent;
    char up[4096];
    snprintf(up, sizeof up, "%s/..", path);
    return stat(path, &here) == 0 && stat(up, &parent) == 0 && here.st_dev != parent.st_dev;
}

static int mount_at(const char *source, const char *target, const char *type, unsigned long flags,
                    const char *data, int create, char *error, size_t size)
{
    if (create && make_dirs(target, 0755) < 0)
        return failed(error, size, "cannot create mount point %s", target);
    if (mount(source, target, type, flags, data) < 0)
        return failed(error, size, "cannot mount %s (%s) on %s", source, type, target);
    return 0;
}

/* The squashfs root stays read-only underneath; a tmpfs on top takes the writes, as a
 * container's writable layer does. /tmp is only a scratch mount point here: the new root
 * gets its own /tmp afterwards. The overlay is moved over / and entered with chroot, as
 * switch_root does: pivot_root would need the old root unmounted afterwards, and that
 * unmount waits for an RCU grace period (tens of ms at HZ=100 under emulation). The old
 * root stays mounted underneath anyway: it is the overlay's lower layer. */
static int make_root_writable(unsigned writable_mib, char *error, size_t size)
{
    static const char *const scratch = "/tmp";
    char options[64] = "mode=0755";
    if (writable_mib)
        snprintf(options, sizeof options, "mode=0755,size=%um", writable_mib);
    if (mount_at("uk-rw", scratch, "tmpfs", MS_NOSUID | MS_NODEV, options, 0, error, size) < 0)
        return -1;
    if (mkdir("/tmp/upper", 0755) < 0 || mkdir("/tmp/work", 0755) < 0 || mkdir("/tmp/root", 0755) < 0)
        return failed(error, size, "cannot prepare the writable layer in tmpfs");
    if (mount_at("overlay", "/tmp/root", "overlay", 0, "lowerdir=/,upperdir=/tmp/upper,workdir=/tmp/work", 0,
                 error, size) < 0)
        return -1;
    if (chdir("/tmp/root") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return failed(error, size, "cannot switch to the writable root");
    return 0;
}

int setup_root(int readonly_root, unsigned writable_mib, char *error, size_t size)
{
    if (!readonly_root && make_root_writable(writable_mib, error, size) < 0)
        return -1;
    int create = !readonly_root;
    const unsigned long hardened = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (mount_at("proc", "/proc", "proc", hardened, NULL, create, error, size) < 0 ||
        mount_at("sysfs", "/sys", "sysfs", hardened, NULL, create, error, size) < 0)
        return -1;
    /* With a read-only root the kernel has already put devtmpfs on /dev. */
    if (!is_mount_point("/dev") &&
        mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", create, error, size) < 0)
        return -1;
    if (mount_at("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 1, error, size) < 0 ||
        mount_at("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", create, error, size) < 0 ||
        mount_at("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", create, error, size) < 0)
        return -1;
    /* What programs expect beside the device nodes, as every container runtime provides. */
    static const char *const links[][2] = {
        {"/proc/self/fd", "/dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
            return failed(error, size, "cannot create %s", links[i][1]);
    return 0;
}

/* Written here rather than given as sysctl.* on the kernel command line: the kernel
 * applies those through a private /proc mount whose unmount waits for an RCU grace
 * period, 25 ms of every boot under emulation. */
int setup_sysctls(char *error, size_t size)
{
    static const struct {
        const char *path;
        const char *value;
    } settings[] = {
        /* The Go runtime reserves large heap arenas; below 48 MiB of memory the default
         * heuristic refuses them. */
        {"/proc/sys/vm/overcommit_memory", "1"},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        int fd = open(settings[i].path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(settings[i].value);
        int written = fd >= 0 && write(fd, settings[i].value, n) == (ssize_t)n;
        if (fd >= 0)
            close(fd);
        if (!written)
            return failed(error, size, "cannot set %s to %s", settings[i].path, settings[i].value);
    }
    return 0;
}

static const struct {
    const char *name;
    unsigned long set;
    unsigned long clear;
} mount_flags[] = {
    {"defaults", 0, 0},
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"noatime", MS_NOATIME, 0},
    {"nodiratime", MS_NODIRATIME, 0},
    {"relatime", MS_RELATIME, 0},
    {"strictatime", MS_STRICTATIME, 0},
    {"bind", MS_BIND, 0},
};

/* Splits mount(8)-style options into mount(2) flags and the file system's own data. */
static void split_options(const char *options, unsigned long *flags, char *data, size_t data_size)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", options);
    *flags = 0;
    data[0] = '\0';
    char *saveptr = NULL;
    for (char *opt = strtok_r(copy, ",", &saveptr); opt; opt = strtok_r(NULL, ",", &saveptr)) {
        size_t i = 0, n = sizeof mount_flags / sizeof mount_flags[0];
        while (i < n && strcmp(mount_flags[i].name, opt) != 0)
            i++;
        if (i < n) {
            *flags = (*flags | mount_flags[i].set) & ~mount_flags[i].clear;
            continue;
        }
        size_t used = strlen(data);
        snprintf(data + used, data_size - used, "%s%s", used ? "," : "", opt);
    }
}

int setup_mounts(const struct manifest *manifest, char *error, size_t size)
{
    for (size_t i = 0; i < manifest->mount_count; i++) {
        const struct mount_entry *m = &manifest->mounts[i];
        unsigned long flags;
        char data[1024];
        split_options(m->options, &flags, data, sizeof data);
        if (mount_at(m->source, m->target, m->type, flags, data[0] ? data : NULL, 1, error, size) < 0)
            return -1;
    }
    return 0;
}

int setup_hostname(const char *hostname, char *error, size_t size)
{
    if (sethostname(hostname, strlen(hostname)) < 0)
        return failed(error, size, "cannot set the hostname to %s", hostname);
    return 0;
}

int setup_loopback(char *error, size_t size)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return failed(error, size, "cannot open a socket to configure lo");
    struct ifreq request;
    memset(&request, 0, sizeof request);
    snprintf(request.ifr_name, sizeof request.ifr_name, "lo");
    int result = 0;
    if (ioctl(s, SIOCGIFFLAGS, &request) < 0) {
        result = failed(error, size, "cannot read the flags of lo");
    } else {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &request) < 0)
            result = failed(error, size, "cannot bring lo up");
    }
    close(s);
    return result;
}
