// The readers take paths, so each fuzz input is written to an in-memory file and
// read back through its /proc path: the fuzzer drives exactly the code a user's
// file does, open and fstat included.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace convforge::fuzzing {

inline const std::string &input_file(const uint8_t *data, size_t size) {
    static const int fd = ::memfd_create("convforge-fuzz", MFD_CLOEXEC);
    static const std::string path = "/proc/self/fd/" + std::to_string(fd);
    if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != ssize_t(size)) {
        std::perror("fuzz input file");
        std::abort();
    }
    return path;
}

}  // namespace convforge::fuzzing
