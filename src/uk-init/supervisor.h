/* Starts the program and stays with it until it exits. */
#ifndef UK_INIT_SUPERVISOR_H
#define UK_INIT_SUPERVISOR_H

#include "manifest.h"

/* The kernel's tiny ACPI power button driver sends this signal to PID 1 when the host
 * presses the power button (QMP system_powerdown, used by `uk instance stop`). It must match
 * CONFIG_ACPI_TINY_POWER_BUTTON_SIGNAL in src/kernel-prebuilt/uk.config. */
#define POWER_BUTTON_SIGNAL 38

/* The status a shell would report: the exit code, 128 + the signal that killed the
 * program, or 127 when it could not be started (after saying why on the console).
 * Expects every signal to be blocked in the caller. */
int supervise(const struct manifest *manifest);

#endif
