// SIGINT, SIGTERM and SIGHUP reach uk only where it can stop cleanly. main() blocks them
// first thing; long operations ask stop_requested() at safe points (between files of an
// image, before renaming it into place) and the VM runner reads them from a signalfd. A
// Ctrl-C therefore never leaves a half-written image or a stray QEMU behind.
#pragma once

namespace uk {

void defer_stop_signals();

// True when one of them is pending (it stays pending for whoever handles it next).
bool stop_requested();

} // namespace uk
