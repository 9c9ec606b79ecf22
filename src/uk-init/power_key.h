/* The power button as a key: on QEMU's arm64 virt machine `system_powerdown` presses
 * KEY_POWER on a GPIO line (gpio-keys), where x86's ACPI button signals PID 1 itself. */
#pragma once

#include <sys/types.h>

/* Forks a watcher that reads the input devices and, on a press of KEY_POWER, sends PID 1
 * the signal the ACPI button would (POWER_BUTTON_SIGNAL), so one stop path serves both.
 * Returns its PID, or -1 where there is no input device (x86 guests). */
pid_t power_key_start(void);
