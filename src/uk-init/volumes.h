/* Volumes and host folders, mounted before the program starts and unmounted after it
 * ends, so that a graceful stop leaves every volume clean. uk passes them on the kernel
 * command line, one word each, in mounting order:
 *
 *   uk.vol=SERIAL:TARGET[:ro]    ext4 on the virtio disk whose serial is SERIAL
 *   uk.share=TAG:TARGET[:ro]     a host folder over 9P (virtio), by its mount tag
 *
 * TARGET is %-encoded (uk encodes every byte outside [A-Za-z0-9/._-]). */
#ifndef UK_INIT_VOLUMES_H
#define UK_INIT_VOLUMES_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stddef.h>

#define MAX_GUEST_MOUNTS 32

struct guest_mount {
    int is_volume; /* else a host folder */
    char device[32];
    char target[1024];
    int read_only;
    int mounted; /* set by guest_mounts_attach */
};

struct guest_mounts {
    struct guest_mount items[MAX_GUEST_MOUNTS];
    size_t count;
};

/* Reads the mounts from a command line's text. On a malformed word returns -1 and
 * writes one line saying which into error. */
int guest_mounts_parse(const char *cmdline, struct guest_mounts *out, char *error, size_t error_size);

/* Mounts them in order, creating missing mount points. */
int guest_mounts_attach(struct guest_mounts *mounts, char *error, size_t error_size);

/* Unmounts those attach mounted, the last first; says on the console what it could not. */
void guest_mounts_detach(const struct guest_mounts *mounts);

#ifdef __cplusplus
}
#endif

#endif
