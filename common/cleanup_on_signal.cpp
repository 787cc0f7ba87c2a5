#include "cleanup_on_signal.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace convforge::cleanup {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

enum class Kind { File, Tree, EmptyDirectory, Child };

struct Slot {
    std::atomic<bool> used{false};
    Kind kind = Kind::File;
    pid_t pid = 0;
    char path[PATH_MAX];
};
constexpr int kSlots = 64;
Slot g_slots[kSlots];

// The number of open DeferSignals sections, and two flags: a signal has arrived
// (kDying), and a thread is cleaning up (kCleaning: no section may start now). The
// table is only read once kCleaning is set, which needs the count at zero, so
// every registration (made inside a section) is complete by then.
constexpr unsigned kDying = 1u << 30, kCleaning = 1u << 31;
std::atomic<unsigned> g_state{0};
std::atomic<int> g_signal{0};

constexpr int kMaxDepth = 32;

struct Dirent64 {  // what getdents64 returns (glibc's wrapper is newer than some targets)
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
};

bool remove_tree_at(int dirfd, const char *name, int depth) {
    if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return true;  // a file or a link
    if (depth >= kMaxDepth) return false;
    // Entries removed while a directory is read may be skipped, and a child being
    // killed may still be writing: a few passes.
    for (int pass = 0; pass < 5; ++pass) {
        const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return errno == ENOENT;
        alignas(8) char buffer[2048];
        long got;
        while ((got = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
            for (long at = 0; at < got;) {
                const auto *entry = reinterpret_cast<const Dirent64 *>(buffer + at);
                at += entry->d_reclen;
                const char *n = entry->d_name;
                if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
                remove_tree_at(fd, n, depth + 1);
            }
        }
        ::close(fd);
        if (::unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return true;
        if (errno != ENOTEMPTY && errno != EEXIST) return false;
        const timespec wait{0, 10'000'000};
        ::nanosleep(&wait, nullptr);
    }
    return false;
}

// Kills the children, removes the paths, and dies of `sig`. Async-signal-safe.
[[noreturn]] void clean_up_and_die(int sig) {
    for (Slot &s : g_slots) {
        if (!s.used.load() || s.kind != Kind::Child) continue;
        ::kill(-s.pid, SIGKILL);  // its process group: a compiler's own children too
        ::kill(s.pid, SIGKILL);
    }
    for (Slot &s : g_slots) {
        if (s.used.load() && s.kind == Kind::Child) ::waitpid(s.pid, nullptr, 0);
    }
    for (Slot &s : g_slots) {
        if (!s.used.load()) continue;
        if (s.kind == Kind::File) ::unlink(s.path);
        if (s.kind == Kind::Tree) remove_tree_at(AT_FDCWD, s.path, 0);
    }
    // Directories to remove if empty, deepest (longest) first: a parent after its child.
    bool done[kSlots] = {};
    for (;;) {
        int deepest = -1;
        size_t length = 0;
        for (int i = 0; i < kSlots; ++i) {
            if (done[i] || !g_slots[i].used.load() || g_slots[i].kind != Kind::EmptyDirectory) continue;
            const size_t n = std::strlen(g_slots[i].path);
            if (deepest < 0 || n > length) deepest = i, length = n;
        }
        if (deepest < 0) break;
        done[deepest] = true;
        ::rmdir(g_slots[deepest].path);
    }
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    ::sigaction(sig, &default_action, nullptr);
    ::raise(sig);  // pending while blocked (inside the handler) ...
    sigset_t just_sig;
    sigemptyset(&just_sig);
    sigaddset(&just_sig, sig);
    ::pthread_sigmask(SIG_UNBLOCK, &just_sig, nullptr);  // ... and delivered here
    ::_exit(128 + sig);
}

void on_signal(int sig) {
    const int saved_errno = errno;
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);
    unsigned state = g_state.load();
    // The first signal decides: clean up now, or (sections open) when the last ends.
    while (!(state & (kDying | kCleaning))) {
        const unsigned next = (state != 0) ? (state | kDying) : (kDying | kCleaning);
        if (g_state.compare_exchange_weak(state, next)) {
            if (next & kCleaning) clean_up_and_die(g_signal.load());
            break;
        }
    }
    errno = saved_errno;
}

void enter_section() {
    unsigned state = g_state.load();
    for (;;) {
        if (state & kCleaning) {
            for (;;) ::pause();  // another thread is cleaning up; the process dies with it
        }
        if (g_state.compare_exchange_weak(state, state + 1)) return;
    }
}

void leave_section() {
    unsigned state = g_state.fetch_sub(1) - 1;
    // The last section to end after a signal cleans up for it.
    while (state == kDying) {
        if (g_state.compare_exchange_weak(state, kDying | kCleaning)) clean_up_and_die(g_signal.load());
    }
}

int claim(Kind kind, const char *path, pid_t pid) {
    if (path && std::strlen(path) >= PATH_MAX) return -1;
    for (int i = 0; i < kSlots; ++i) {
        bool free = false;
        if (!g_slots[i].used.compare_exchange_strong(free, true)) continue;
        g_slots[i].kind = kind;
        g_slots[i].pid = pid;
        g_slots[i].path[0] = '\0';
        if (path) std::strcpy(g_slots[i].path, path);
        return i;
    }
    return -1;
}

void free_slot(int &slot) {
    if (slot < 0) return;
    const DeferSignals defer;
    g_slots[slot].used.store(false);
    slot = -1;
}

}  // namespace

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    handled_signals(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (const int sig : kSignals) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        ::sigaction(sig, &action, nullptr);
    }
}

void handled_signals(sigset_t *set) {
    sigemptyset(set);
    for (const int sig : kSignals) sigaddset(set, sig);
}

void reset_signal_handlers_in_child() {
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    for (const int sig : kSignals) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == on_signal) ::sigaction(sig, &default_action, nullptr);
    }
}

DeferSignals::DeferSignals() { enter_section(); }
DeferSignals::~DeferSignals() { leave_section(); }

OnSignal::OnSignal(const std::string &path, Removal how) {
    const DeferSignals defer;
    slot_ = claim(how == Removal::File ? Kind::File : how == Removal::Tree ? Kind::Tree : Kind::EmptyDirectory,
                  path.c_str(), 0);
}

OnSignal &OnSignal::operator=(OnSignal &&other) noexcept {
    if (this != &other) {
        release();
        slot_ = other.slot_;
        other.slot_ = -1;
    }
    return *this;
}

void OnSignal::release() { free_slot(slot_); }

ChildOnSignal::ChildOnSignal(pid_t pid) {
    const DeferSignals defer;
    slot_ = claim(Kind::Child, nullptr, pid);
}

ChildOnSignal::~ChildOnSignal() { release(); }

void ChildOnSignal::release() { free_slot(slot_); }

bool remove_tree(const char *path) { return remove_tree_at(AT_FDCWD, path, 0); }

}  // namespace convforge::cleanup
