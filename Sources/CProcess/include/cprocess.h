// Process calls Swift cannot make directly: prctl(2) is variadic, and a signal handler that
// forwards a signal must touch only async-signal-safe state.
#ifndef BNCONVERT_CPROCESS_H
#define BNCONVERT_CPROCESS_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when its parent dies (Linux
/// PR_SET_PDEATHSIG), and unblocks the cancel signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT).
/// Returns 0 on success, -1 with errno set where it is unavailable.
int cprocess_die_with_parent(int signal);

/// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT that forward the signal to
/// `child` and remember it, and unblocks them; the parent keeps running so it can wait for
/// the child and clean up.
void cprocess_forward_signals_to(pid_t child);

/// The last signal forwarded by those handlers, or 0.
int cprocess_forwarded_signal(void);

/// Arranges that a SIGBUS (a memory-mapped file shrank under the reader) writes `message` to
/// stderr and ends the process with `status`, instead of a crash. `message` is copied.
void cprocess_on_bus_error(const char *message, int status);

#endif
