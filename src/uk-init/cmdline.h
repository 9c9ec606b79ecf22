/* The kernel's command line, where uk passes what it decides per run (uk.ip=, uk.vol=,
 * ...: docs/guest.md lists them), since the image is the same for every run. */
#ifndef UK_INIT_CMDLINE_H
#define UK_INIT_CMDLINE_H

#include <stddef.h>

/* Reads /proc/cmdline into text (NUL-terminated). Returns 0, or -1 when it cannot. */
int cmdline_read(char *text, size_t size);

#endif
