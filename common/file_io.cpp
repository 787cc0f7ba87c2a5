#include "file_io.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup_on_signal.h"
#include "convforge/convforge.h"
#include "message_text.h"

namespace convforge {

namespace {

std::string describe(const std::string &path, const char *what) {
    return std::string(what) + " '" + path_text(path) + "'";
}

std::string system_error() { return std::strerror(errno); }

const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISFIFO(mode)) return "a pipe";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

std::string parent_directory(const std::string &path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// Unpredictable where the system offers randomness; unique names come from O_EXCL
// either way.
uint64_t name_seed() {
    uint64_t seed = uint64_t(::getpid()) << 32 ^ uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    try {
        seed ^= std::random_device{}();
    } catch (const std::exception &) {
    }
    return seed;
}

// A new file beside `path`, created exclusively (O_EXCL never follows a link), with
// the permissions an ordinary new file gets (0666 less the umask), and registered
// in `on_signal` for removal should a signal end the process before it is renamed.
int create_unique_beside(const std::string &path, std::string &temp_path, cleanup::OnSignal &on_signal,
                         const char *what) {
    const std::string dir = parent_directory(path);
    static thread_local std::mt19937_64 rng(name_seed());
    for (int attempt = 0; attempt < 100; ++attempt) {
        char suffix[17];
        std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
        temp_path = hidden_path_beside(path, suffix);
        const cleanup::DeferSignals defer;
        const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) {
            on_signal = cleanup::OnSignal(temp_path, cleanup::Removal::File);
            return fd;
        }
        if (errno != EEXIST) throw Error(describe(path, what) + " cannot be written: " + system_error());
    }
    throw Error(describe(path, what) + ": no unique temporary name found in '" + path_text(dir) + "'");
}

}  // namespace

std::string existing_parent_directory(const std::string &path, const char *what) {
    if (path.empty() || path.back() == '/') throw Error(describe(path, what) + " is not a file path");
    const std::string dir = parent_directory(path);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
        throw Error(describe(path, what) + ": directory '" + path_text(dir) + "' does not exist");
    if (!S_ISDIR(st.st_mode)) throw Error(describe(path, what) + ": '" + path_text(dir) + "' is not a directory");
    return dir;
}

std::string hidden_path_beside(const std::string &path, const std::string &suffix) {
    const std::string base = path.substr(path.find_last_of('/') + 1);
    return parent_directory(path) + "/." + base.substr(0, 64) + ".convforge-" + suffix;
}

// An existing `path` that is not a regular file is never replaced: a planted link
// or a device node stays as it is.
int require_replaceable(const std::string &path, const char *what) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return -1;
        throw Error(describe(path, what) + ": " + system_error());
    }
    if (!S_ISREG(st.st_mode))
        throw Error(describe(path, what) + " exists and is " + file_kind(st.st_mode) + "; refusing to replace it");
    return int(st.st_mode & 0777);  // not setuid/setgid: a rewrite clears those
}

InputFile::InputFile(const std::string &path, const char *what) : name_(describe(path, what)) {
    // Refused before opening where possible: opening a device can have side effects.
    struct stat before;
    if (::stat(path.c_str(), &before) == 0 && !S_ISREG(before.st_mode))
        throw Error(name_ + " is " + file_kind(before.st_mode) + ", not a regular file");
    // O_NONBLOCK: a pipe does not wait for a writer; O_NOCTTY: a terminal is not adopted.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd_ < 0) throw Error(name_ + " cannot be opened: " + system_error());
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
        const std::string err = system_error();
        ::close(fd_);
        throw Error(name_ + " cannot be read: " + err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd_);
        throw Error(name_ + " is " + file_kind(st.st_mode) + ", not a regular file");
    }
    size_ = uint64_t(st.st_size);
}

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

void InputFile::check_range(uint64_t offset, uint64_t count) const {
    if (offset > size_ || count > size_ - offset)
        throw Error(name_ + ": bytes " + std::to_string(offset) + " to " + std::to_string(offset) + " + " +
                    std::to_string(count) + " lie past the end of the file (" + std::to_string(size_) + " bytes)");
}

void InputFile::read_at(uint64_t offset, void *dest, size_t count) const {
    check_range(offset, count);
    auto *out = static_cast<uint8_t *>(dest);
    while (count > 0) {
        const ssize_t got = ::pread(fd_, out, count, off_t(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw Error(name_ + ": read failed: " + system_error());
        if (got == 0) throw Error(name_ + ": file shrank while being read");
        out += got;
        offset += uint64_t(got);
        count -= size_t(got);
    }
}

std::vector<uint8_t> InputFile::read_range(uint64_t offset, size_t count) const {
    check_range(offset, count);  // before allocating
    std::vector<uint8_t> bytes(count);
    read_at(offset, bytes.data(), count);
    return bytes;
}

std::string read_text_file(const std::string &path, const char *what, size_t max_bytes) {
    const InputFile file(path, what);
    if (file.size() > max_bytes)
        throw Error(file.name() + " is " + std::to_string(file.size()) + " bytes, more than the " +
                    std::to_string(max_bytes) + " accepted");
    std::string text(size_t(file.size()), '\0');
    file.read_at(0, text.data(), text.size());
    return text;
}

void write_file_atomically(const std::string &path, const std::vector<ByteSpan> &pieces, const char *what) {
    existing_parent_directory(path, what);
    const int earlier_mode = require_replaceable(path, what);
    std::string temp;
    cleanup::OnSignal on_signal;  // released once the file is renamed or removed
    int fd = create_unique_beside(path, temp, on_signal, what);
    try {
        // A replaced file keeps its permissions, as an in-place rewrite would.
        if (earlier_mode >= 0 && ::fchmod(fd, mode_t(earlier_mode)) != 0)
            throw Error(describe(path, what) + " cannot be written: " + system_error());
        for (const ByteSpan &piece : pieces) {
            const auto *at = static_cast<const uint8_t *>(piece.data);
            size_t left = piece.size;
            while (left > 0) {
                const ssize_t put = ::write(fd, at, left);
                if (put < 0 && errno == EINTR) continue;
                if (put <= 0) throw Error(describe(path, what) + ": write failed: " + system_error());
                at += put;
                left -= size_t(put);
            }
        }
        const bool synced = ::fsync(fd) == 0;
        const bool closed = ::close(fd) == 0;
        fd = -1;
        if (!synced || !closed) throw Error(describe(path, what) + ": write failed: " + system_error());
        install_file(temp, path, what);
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
}

void install_file(const std::string &staged, const std::string &path, const char *what) {
    require_replaceable(path, what);
    if (::rename(staged.c_str(), path.c_str()) != 0)
        throw Error(describe(path, what) + " cannot be replaced: " + system_error());
}

}  // namespace convforge
