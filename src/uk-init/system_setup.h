/* Turns the booted read-only root into the world the program expects. Each function
 * returns 0, or -1 after writing one line saying what failed into error. */
#ifndef UK_INIT_SYSTEM_SETUP_H
#define UK_INIT_SYSTEM_SETUP_H

#include "manifest.h"

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p; existing folders are fine. */
int make_dirs(const char *path, mode_t mode);

/* Unless readonly_root, puts a writable overlay (tmpfs upper, writable_mib large or, when
 * 0, tmpfs's default of half the memory) over the squashfs root and makes it /. Then
 * mounts /proc, /sys, /dev, /dev/shm, /tmp and /run. */
int setup_root(int readonly_root, unsigned writable_mib, char *error, size_t error_size);

/* The kernel settings every guest gets (/proc must be mounted). */
int setup_sysctls(char *error, size_t error_size);

/* The mounts the manifest lists, in order; missing targets are created when possible. */
int setup_mounts(const struct manifest *manifest, char *error, size_t error_size);

int setup_hostname(const char *hostname, char *error, size_t error_size);

/* Brings lo up; the kernel gives it 127.0.0.1 and ::1. */
int setup_loopback(char *error, size_t error_size);

#endif
