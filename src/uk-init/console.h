/* uk-init's own lines on the guest console, each prefixed "uk-init: ". */
#ifndef UK_INIT_CONSOLE_H
#define UK_INIT_CONSOLE_H

#include <stddef.h>

/* Makes sure fds 0, 1 and 2 are the console (the kernel normally hands them over). */
void console_attach(void);

/* Prints one line "uk-init: <message>" in a single write, so it never interleaves with
 * the program's output mid-line. */
void console_say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Waits until everything written to the console has left the UART: the host reads the
 * exit status line from there, and power-off must not cut it short. */
void console_drain(void);

/* Writes "<message>: <strerror(errno)>" into error (size bytes) and returns -1: how the
 * setup steps report a failed system call to whoever prints it. */
int failed(char *error, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

#endif
