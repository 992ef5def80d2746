#include "cprocess.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static const int cancel_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* A process may start with these blocked (a parent's spawn can pass its mask on); a blocked
   cancel would be held until the work is done. */
static void unblock_cancel_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof cancel_signals / sizeof cancel_signals[0]; i++) sigaddset(&set, cancel_signals[i]);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int cprocess_die_with_parent(int signal) {
    unblock_cancel_signals();
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
#else
    (void)signal;
    return -1;
#endif
}

static volatile sig_atomic_t forward_child = 0;
static volatile sig_atomic_t forwarded = 0;

static void forward(int signal) {
    forwarded = signal;
    if (forward_child > 0) kill((pid_t)forward_child, signal);
}

void cprocess_forward_signals_to(pid_t child) {
    forward_child = child;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof cancel_signals / sizeof cancel_signals[0]; i++) sigaction(cancel_signals[i], &action, NULL);
    unblock_cancel_signals();
}

int cprocess_forwarded_signal(void) { return forwarded; }

static char bus_message[4096];
static size_t bus_message_length = 0;
static int bus_status = 2;

static void on_bus_error(int signal) {
    (void)signal;
    if (bus_message_length > 0) {
        ssize_t ignored = write(2, bus_message, bus_message_length);
        (void)ignored;
    }
    _exit(bus_status);
}

void cprocess_on_bus_error(const char *message, int status) {
    size_t length = strlen(message);
    if (length >= sizeof bus_message) length = sizeof bus_message - 1;
    memcpy(bus_message, message, length);
    bus_message_length = length;
    bus_status = status;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_bus_error;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}
