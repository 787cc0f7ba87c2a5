// What an interrupted command must not leave behind. Each temporary a command
// makes (a hidden output file, a scratch or staging directory, a directory it
// created for its output) and each child process it starts is registered here
// while it exists. On SIGINT, SIGTERM, SIGHUP or SIGPIPE the handlers the CLI
// installs kill the children (their whole process groups) and wait for them,
// remove the registered paths, then die of the same signal (exit status 128+N).
// Only SIGKILL (or a power loss) can still leave something (docs/limits.md).
//
// The handler calls only async-signal-safe system calls: the registry is a fixed
// table of paths filled in advance (no allocation), and a directory tree is
// removed with openat/getdents64/unlinkat. A signal that arrives while some
// thread is between creating a temporary and registering it, or inside another
// DeferSignals section (emit moving its files into place), is acted on when the
// last such section ends, so the table the handler reads is never half-written.
// Without install_signal_handlers() (an application linking the runtime) the
// registry is bookkeeping only.
#pragma once

#include <string>

#include <signal.h>
#include <sys/types.h>

namespace convforge::cleanup {

// Installs the handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE, leaving alone a
// signal the process was started with ignored (nohup, a background job).
void install_signal_handlers();

// Signals arriving while one of these exists (in any thread) take effect when the
// last one ends. Keep the sections short: a file system call or two.
class DeferSignals {
public:
    DeferSignals();
    ~DeferSignals();
    DeferSignals(const DeferSignals &) = delete;
    DeferSignals &operator=(const DeferSignals &) = delete;
};

enum class Removal {
    File,            // unlinked
    Tree,            // a directory, removed with everything in it (links not followed)
    EmptyDirectory,  // rmdir'ed if empty, after every File and Tree, deepest first
};

// A path removed on a fatal signal while registered (the table holds 64; a path
// that does not fit, or of PATH_MAX bytes or more, is not registered). Register
// it right after creating it, inside a DeferSignals section; release it after
// removing it (or when it is no longer temporary).
class OnSignal {
public:
    OnSignal() = default;
    OnSignal(const std::string &path, Removal how);
    ~OnSignal() { release(); }
    OnSignal(OnSignal &&other) noexcept : slot_(other.slot_) { other.slot_ = -1; }
    OnSignal &operator=(OnSignal &&other) noexcept;
    OnSignal(const OnSignal &) = delete;
    OnSignal &operator=(const OnSignal &) = delete;
    void release();

private:
    int slot_ = -1;
};

// A child process, leader of its own process group: on a fatal signal the group
// is sent SIGKILL and the child waited for, before any path is removed (so
// nothing it writes reappears in a removed directory).
class ChildOnSignal {
public:
    explicit ChildOnSignal(pid_t pid);
    ~ChildOnSignal();
    ChildOnSignal(const ChildOnSignal &) = delete;
    ChildOnSignal &operator=(const ChildOnSignal &) = delete;
    // Before the child is reaped: its pid (and process group) may then be reused.
    // Wait for its exit with waitid(..., WNOWAIT), release, then reap it.
    void release();

private:
    int slot_ = -1;
};

// Removes `path` and everything under it without following links, as the handler
// does (async-signal-safe). Returns whether nothing is left there.
bool remove_tree(const char *path);

// In a child between fork and exec: the handlers back to SIG_DFL, so a signal
// there does not run the parent's cleanup.
void reset_signal_handlers_in_child();

// The signals the handlers take, for blocking them around fork.
void handled_signals(sigset_t *set);

}  // namespace convforge::cleanup
