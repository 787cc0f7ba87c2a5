// `emit` writes into a directory the user owns, so it writes as a transaction:
// everything is compiled into a private staging directory inside --out, and only
// commit() moves the staged files into place. Nothing else under --out is touched;
// a failure (or a destructor without commit) removes the staging directory and
// every directory the transaction itself created, leaving --out as it was. So does
// a fatal signal (cleanup_on_signal.h); one arriving during commit() takes effect
// when commit() has finished or rolled back.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "cleanup_on_signal.h"

namespace convforge {

class OutputTransaction {
public:
    // Creates `out_dir` and its missing parents, remembering which it created.
    explicit OutputTransaction(const std::string &out_dir);
    ~OutputTransaction();
    OutputTransaction(const OutputTransaction &) = delete;
    OutputTransaction &operator=(const OutputTransaction &) = delete;

    // The staging directory for files bound for out_dir/<sub> ("" = out_dir itself).
    std::string staging_dir(const std::string &sub);
    // A directory inside the staging directory that commit() does not install: for
    // the compiler's own temporaries.
    std::string private_dir();

    // Checks every destination first (a directory or nothing for each folder, a
    // regular file or nothing for each file), then moves the staged files into
    // place. A move failing part-way puts back the files already replaced. Returns
    // the paths written.
    std::vector<std::string> commit();

private:
    std::vector<std::string> commit_staged();
    void make_directory(const std::string &path);  // records it for roll_back
    // Unless committed: undoes the moves made and removes the directories created.
    // Always: removes the staging directory.
    void roll_back();

    struct Move {
        std::string from, to;
        std::string backup;  // a link to the file `to` replaced, "" when there was none
        dev_t device;        // identity of the installed file, so a roll-back
        ino_t inode;         // touches nothing another process put there since
    };

    std::string out_dir_, staging_;
    std::vector<std::string> created_dirs_;  // parents first
    cleanup::OnSignal staging_on_signal_;
    std::vector<cleanup::OnSignal> created_on_signal_;
    std::vector<Move> moved_;
    bool committed_ = false;
};

}  // namespace convforge
