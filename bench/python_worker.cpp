#include "python_worker.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace convforge {

PythonWorker::PythonWorker(const char *script) {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
    std::fflush(nullptr);  // the child must not repeat unflushed output
    pid_ = fork();
    if (pid_ == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        // PyTorch's libgomp threads would otherwise spin for milliseconds after
        // each call, holding a core the convforge kernel timed next needs (on 2
        // cores its second thread got none: batch 1 ran no faster on 2 threads).
        setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        execl("/usr/bin/python3", "python3", "-c", script, (char *)nullptr);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    to_ = fdopen(to_child[1], "w");
    from_ = fdopen(from_child[0], "r");
    try {
        ok_ = request("hello") == "ready";
    } catch (const std::exception &) {
        ok_ = false;
    }
}

PythonWorker::~PythonWorker() {
    if (to_) fclose(to_);
    if (from_) fclose(from_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
}

std::string PythonWorker::request(const std::string &line) {
    std::fprintf(to_, "%s\n", line.c_str());
    std::fflush(to_);
    char reply[4096];
    if (!std::fgets(reply, sizeof reply, from_)) throw std::runtime_error("the python3 worker stopped");
    std::string text = reply;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

}  // namespace convforge
