#include "console.h"
#include "system_setup.h"
#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* %XX back into bytes; -1 on a broken escape or a NUL byte. */
static int decode(const char *text, size_t length, char *out, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '%') {
            int high = i + 2 < length ? hex_digit(text[i + 1]) : -1;
            int low = high >= 0 ? hex_digit(text[i + 2]) : -1;
            if (low < 0 || (high == 0 && low == 0))
                return -1;
            c = (char)(high * 16 + low);
            i += 2;
        }
        if (used + 1 >= size)
            return -1;
        out[used++] = c;
    }
    out[used] = '\0';
    return 0;
}

/* "DEVICE:TARGET[:ro]" */
static int parse_one(const char *word, int is_volume, struct guest_mount *mount)
{
    memset(mount, 0, sizeof *mount);
    mount->is_volume = is_volume;
    const char *colon = strchr(word, ':');
    if (!colon || colon == word || (size_t)(colon - word) >= sizeof mount->device)
        return -1;
    memcpy(mount->device, word, (size_t)(colon - word));
    const char *target = colon + 1;
    size_t length = strlen(target);
    const char *option = strchr(target, ':');
    if (option) {
        if (strcmp(option, ":ro") != 0)
            return -1;
        mount->read_only = 1;
        length = (size_t)(option - target);
    }
    if (decode(target, length, mount->target, sizeof mount->target) < 0 || mount->target[0] != '/')
        return -1;
    return 0;
}

int guest_mounts_parse(const char *cmdline, struct guest_mounts *out, char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    static const struct {
        const char *key;
        int is_volume;
    } kinds[] = {{"uk.vol=", 1}, {"uk.share=", 0}};
    /* Words in the line's order, whichever kind: that is the mounting order. */
    for (const char *p = cmdline; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        size_t word = strcspn(p, " \n");
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            size_t n = strlen(kinds[k].key);
            if (word < n || strncmp(p, kinds[k].key, n) != 0)
                continue;
            char value[1200];
            snprintf(value, sizeof value, "%.*s", (int)(word - n), p + n);
            if (out->count == MAX_GUEST_MOUNTS) {
                snprintf(error, size, "more than %d mounts on the kernel command line", MAX_GUEST_MOUNTS);
                return -1;
            }
            if (parse_one(value, kinds[k].is_volume, &out->items[out->count]) < 0) {
                snprintf(error, size, "malformed %.*s", (int)(word > 200 ? 200 : word), p);
                return -1;
            }
            out->count++;
        }
        p += word;
    }
    return 0;
}

/* The block device whose virtio serial is `serial`, as "/dev/vdX". */
static int find_disk(const char *serial, char *path, size_t size)
{
    DIR *block = opendir("/sys/block");
    if (!block)
        return -1;
    int found = -1;
    for (struct dirent *entry; found < 0 && (entry = readdir(block));) {
        if (entry->d_name[0] == '.')
            continue;
        char file[320], text[64] = "";
        snprintf(file, sizeof file, "/sys/block/%s/serial", entry->d_name);
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0)
            continue;
        text[n] = '\0';
        text[strcspn(text, "\n")] = '\0';
        if (strcmp(text, serial) == 0) {
            snprintf(path, size, "/dev/%s", entry->d_name);
            found = 0;
        }
    }
    closedir(block);
    return found;
}

static int attach_one(struct guest_mount *m, char *error, size_t size)
{
    if (make_dirs(m->target, 0755) < 0)
        return failed(error, size, "cannot create the mount point %s", m->target);
    unsigned long flags = m->read_only ? MS_RDONLY : 0;
    if (m->is_volume) {
        char disk[300];
        if (find_disk(m->device, disk, sizeof disk) < 0) {
            errno = ENODEV;
            return failed(error, size, "no disk with the serial %s for %s", m->device, m->target);
        }
        if (mount(disk, m->target, "ext4", flags, NULL) < 0)
            return failed(error, size, "cannot mount the volume on %s (%s, ext4)", m->target, disk);
    } else {
        /* cache=none: the host may change the folder at any time, so nothing is kept. */
        if (mount(m->device, m->target, "9p", flags, "trans=virtio,version=9p2000.L,msize=262144,cache=none") < 0)
            return failed(error, size, "cannot mount the host folder on %s (9P tag %s)", m->target, m->device);
    }
    m->mounted = 1;
    return 0;
}

int guest_mounts_attach(struct guest_mounts *mounts, char *error, size_t size)
{
    for (size_t i = 0; i < mounts->count; i++)
        if (attach_one(&mounts->items[i], error, size) < 0)
            return -1;
    return 0;
}

void guest_mounts_detach(const struct guest_mounts *mounts)
{
    for (size_t i = mounts->count; i-- > 0;) {
        const struct guest_mount *m = &mounts->items[i];
        if (!m->mounted)
            continue;
        /* Unmounting ext4 writes its journal out and marks it clean; one that cannot be
         * unmounted (a process the kill missed) is at least made read-only, which does
         * the same. */
        if (umount2(m->target, 0) < 0 && mount(NULL, m->target, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
            console_say("cannot unmount %s: %s", m->target, strerror(errno));
    }
}
