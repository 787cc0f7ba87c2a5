// A python3 process (Debian's, with python3-torch) kept for a whole benchmark run:
// the benchmark writes one request line, the script answers one line. Scripts
// time their own work, so the pipe's latency is never counted.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>

namespace convforge {

class PythonWorker {
public:
    // Starts `python3 -c script` and says "hello"; the script answers "ready".
    explicit PythonWorker(const char *script);
    ~PythonWorker();
    PythonWorker(const PythonWorker &) = delete;
    PythonWorker &operator=(const PythonWorker &) = delete;

    bool ok() const { return ok_; }
    // One line out, one line back (without its newline); throws when the
    // worker has stopped.
    std::string request(const std::string &line);

private:
    pid_t pid_ = -1;
    FILE *to_ = nullptr, *from_ = nullptr;
    bool ok_ = false;
};

}  // namespace convforge
