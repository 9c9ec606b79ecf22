/* The stats agent: a process uk-init forks beside the program, answering the host's
 * "stats ID" requests on the second serial port (ttyS1, a Unix socket in the instance's
 * folder on the host) with one line of JSON read from /proc. `uk instance stats` asks; nothing
 * runs in the guest for it but this one sleeping process. docs/guest.md has the fields. */
#ifndef UK_INIT_AGENT_H
#define UK_INIT_AGENT_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGENT_TTY "ttyS1"

/* Forks the agent; -1 (and nothing running) when the VM has no second serial port. */
pid_t agent_start(void);

/* The answer to one request line, read from the proc file system at `proc` ("/proc" in
 * the guest): {"id": ..., "uptime_s": ..., ...}, or an {"error": ...} line for a request
 * it does not know. Returns its length, without a newline; -1 when `size` is too small. */
int agent_answer(const char *request, const char *proc, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif
