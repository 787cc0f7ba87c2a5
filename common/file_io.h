// File access shared by every reader and writer. Reads know a file's size before
// they allocate for it; writes are all-or-nothing and never follow or replace
// anything but a regular file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convforge {

// A regular file opened for reading; `what` names it in errors ("weights file").
class InputFile {
public:
    InputFile(const std::string &path, const char *what);
    ~InputFile();
    InputFile(const InputFile &) = delete;
    InputFile &operator=(const InputFile &) = delete;

    uint64_t size() const { return size_; }
    // Exactly `count` bytes at `offset`; a range past the end is an error, checked
    // before anything is allocated.
    void read_at(uint64_t offset, void *dest, size_t count) const;
    std::vector<uint8_t> read_range(uint64_t offset, size_t count) const;
    // "<what> '<path>'", for error messages.
    const std::string &name() const { return name_; }

private:
    void check_range(uint64_t offset, uint64_t count) const;  // throws naming the file

    int fd_ = -1;
    uint64_t size_ = 0;
    std::string name_;
};

// The whole of a small text file; a file larger than `max_bytes` is an error.
std::string read_text_file(const std::string &path, const char *what, size_t max_bytes);

// Writes `pieces`, one after the other, to a new, uniquely named file beside `path` (created exclusively,
// never through a link), then renames it onto `path`. `path` must be a regular file
// or absent, and its directory must exist. On any failure nothing is left behind.
struct ByteSpan {
    const void *data;
    size_t size;
};
void write_file_atomically(const std::string &path, const std::vector<ByteSpan> &pieces, const char *what);

// The directory a file at `path` would be written in, which must exist and be a
// directory; throws naming `path` otherwise.
std::string existing_parent_directory(const std::string &path, const char *what);

// ".BASE.convforge-SUFFIX" in `path`'s directory (BASE its file name, cut at 64
// bytes): the hidden name of a helper file a writer of `path` keeps beside it.
std::string hidden_path_beside(const std::string &path, const std::string &suffix);

// Throws naming `path` unless it is a regular file or absent (a link there is not
// followed). Returns the permission bits of the file there, -1 when there is none.
int require_replaceable(const std::string &path, const char *what);

// Renames the finished file `staged` onto `path` under the same rule: `path` must
// be a regular file or absent. Throws naming `path` otherwise.
void install_file(const std::string &staged, const std::string &path, const char *what);

}  // namespace convforge
