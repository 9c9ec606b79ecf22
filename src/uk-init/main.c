/* uk-init: PID 1 of every uk guest. docs/guest.md describes what it does and the one
 * line it always ends with, "uk-init: exit status N", which uk run turns into its own
 * exit status. */
#include "console.h"
#include "manifest.h"
#include "network.h"
#include "supervisor.h"
#include "system_setup.h"
#include "volumes.h"
#include "cmdline.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOT_STARTED 127

/* Volumes stay mounted until everything the program started has ended. */
static struct guest_mounts volumes;

static int read_volumes(char *error, size_t size)
{
    static char cmdline[4096];
    if (cmdline_read(cmdline, sizeof cmdline) < 0)
        return failed(error, size, "cannot read /proc/cmdline");
    return guest_mounts_parse(cmdline, &volumes, error, size);
}

static int prepare_and_run(void)
{
    char error[512];
    struct manifest manifest;
    if (manifest_load(MANIFEST_PATH, &manifest, error, sizeof error) < 0) {
        console_say("bad manifest %s: %s", MANIFEST_PATH, error);
        return NOT_STARTED;
    }
    int status = NOT_STARTED;
    if (setup_root(manifest.readonly_root, manifest.writable_root_mib, error, sizeof error) < 0 ||
        setup_sysctls(error, sizeof error) < 0 || setup_mounts(&manifest, error, sizeof error) < 0 ||
        read_volumes(error, sizeof error) < 0 || guest_mounts_attach(&volumes, error, sizeof error) < 0 ||
        setup_hostname(manifest.hostname, error, sizeof error) < 0 || setup_loopback(error, sizeof error) < 0 ||
        setup_network(error, sizeof error) < 0)
        console_say("cannot prepare the guest for %s: %s", manifest.program, error);
    else
        status = supervise(&manifest);
    manifest_free(&manifest);
    return status;
}

/* Whatever the program left running goes with it, as when a container's main process
 * exits; volumes are unmounted (clean, their journals written out) and everything else
 * flushed before the machine goes away. */
static void end_everything(void)
{
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    guest_mounts_detach(&volumes);
    sync();
}

static _Noreturn void power_off(void)
{
    console_drain();
    reboot(RB_POWER_OFF);
    /* Without ACPI power-off (a kernel given with --kernel, say) a reset ends QEMU,
     * which uk starts with -no-reboot. */
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

/* "uk-probe" on the kernel's command line (which passes words it does not know to init
 * as arguments) asks only for proof that the guest reaches user space: uk boots its
 * kernel this way to find out whether the host's KVM can run it (docs/decisions.md). */
static int probing(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "uk-probe") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (getpid() != 1) {
        fprintf(stderr, "uk-init: this is the init of a uk guest and only runs as PID 1\n");
        return 2;
    }
    if (probing(argc, argv)) {
        console_attach();
        console_say("probe passed");
        power_off();
    }
    /* Signals are taken synchronously by the supervisor; none may kill PID 1. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    console_attach();

    int status = prepare_and_run();
    end_everything();
    console_say("exit status %d", status);
    power_off();
}
