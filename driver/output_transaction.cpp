#include "output_transaction.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

#include "file_io.h"
#include "message_text.h"

namespace convforge {

namespace {

namespace fs = std::filesystem;

enum class Kind { Missing, Directory, RegularFile, Other };

Kind kind_of(const std::string &path) {  // never follows a link
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Kind::Missing;
        throw std::runtime_error("'" + path_text(path) + "': " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISREG(st.st_mode)) return Kind::RegularFile;
    return Kind::Other;
}

std::string system_error() { return std::strerror(errno); }

constexpr const char *kPrivate = ".private";  // see private_dir()

}  // namespace

OutputTransaction::OutputTransaction(const std::string &out_dir) : out_dir_(out_dir) {
    // out_dir and its missing parents, as written (no normalisation: "a/../b" must
    // mean what the file system says it means), deepest first.
    std::vector<std::string> missing;
    std::string p = out_dir;
    while (true) {
        while (p.size() > 1 && p.back() == '/') p.pop_back();
        struct stat st;
        if (::stat(p.c_str(), &st) == 0) {  // follows links: a linked --out is the user's choice
            if (!S_ISDIR(st.st_mode)) throw std::runtime_error("--out '" + path_text(out_dir) + "': '" + path_text(p) + "' is not a directory");
            break;
        }
        if (errno != ENOENT) throw std::runtime_error("--out '" + path_text(out_dir) + "': '" + path_text(p) + "': " + system_error());
        missing.push_back(p);
        const size_t slash = p.find_last_of('/');
        if (slash == std::string::npos) break;
        p = p.substr(0, slash == 0 ? 1 : slash);
    }
    try {
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) make_directory(*it);
        std::string pattern = (fs::path(out_dir) / ".convforge-staging-XXXXXX").string();
        const cleanup::DeferSignals defer;  // made and registered before a signal acts
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a staging directory in '" + path_text(out_dir) + "': " + system_error());
        staging_ = pattern;
        staging_on_signal_ = cleanup::OnSignal(staging_, cleanup::Removal::Tree);
    } catch (...) {
        roll_back();
        throw;
    }
}

OutputTransaction::~OutputTransaction() { roll_back(); }

void OutputTransaction::roll_back() {
    bool restored = true;
    if (!committed_) {
        // Undo the moves made so far, newest first: earlier files come back from
        // their backups, files that are new go. A file that is no longer the one
        // this transaction put there (another emit replaced it since) is left alone.
        for (auto it = moved_.rbegin(); it != moved_.rend(); ++it) {
            struct stat st;
            if (::lstat(it->to.c_str(), &st) != 0 || st.st_dev != it->device || st.st_ino != it->inode) continue;
            if (it->backup.empty()) {
                ::unlink(it->to.c_str());
            } else if (::rename(it->backup.c_str(), it->to.c_str()) != 0) {
                restored = false;
            }
        }
    }
    moved_.clear();
    std::error_code ignored;
    // A backup that could not be put back is the only copy of the user's file: keep it.
    if (!staging_.empty() && restored) fs::remove_all(staging_, ignored);
    staging_on_signal_.release();
    staging_.clear();
    // Deepest first; a directory that is not empty (something else wrote there) stays.
    if (!committed_)
        for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) ::rmdir(it->c_str());
    created_on_signal_.clear();
    created_dirs_.clear();
}

void OutputTransaction::make_directory(const std::string &path) {
    const cleanup::DeferSignals defer;  // made and registered before a signal acts
    if (::mkdir(path.c_str(), 0777) == 0) {
        created_dirs_.push_back(path);
        created_on_signal_.emplace_back(path, cleanup::Removal::EmptyDirectory);
        return;
    }
    // Another process may have made it just now: that is fine, and not ours to remove.
    struct stat st;
    if (errno == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    throw std::runtime_error("cannot create output directory '" + path_text(path) + "': " + system_error());
}

std::string OutputTransaction::staging_dir(const std::string &sub) {
    const fs::path dir = sub.empty() ? fs::path(staging_) : fs::path(staging_) / sub;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create staging directory '" + path_text(dir.string()) + "': " + ec.message());
    return dir.string();
}

std::string OutputTransaction::private_dir() { return staging_dir(kPrivate); }

std::vector<std::string> OutputTransaction::commit() {
    // A signal now would remove the staging directory with the backups of files
    // already replaced: it waits until the moves are done or undone.
    const cleanup::DeferSignals defer;
    try {
        return commit_staged();
    } catch (...) {
        roll_back();
        throw;
    }
}

std::vector<std::string> OutputTransaction::commit_staged() {
    struct Planned {
        std::string from, to;
    };
    std::vector<Planned> plan;
    std::vector<std::string> folders;  // destination folders other than out_dir
    for (const auto &entry : fs::directory_iterator(staging_)) {
        const std::string name = entry.path().filename().string();
        if (name == kPrivate) continue;
        if (entry.is_directory()) {
            const std::string folder = (fs::path(out_dir_) / name).string();
            folders.push_back(folder);
            for (const auto &file : fs::directory_iterator(entry.path()))
                plan.push_back({file.path().string(), (fs::path(folder) / file.path().filename()).string()});
        } else {
            plan.push_back({entry.path().string(), (fs::path(out_dir_) / name).string()});
        }
    }
    for (const std::string &folder : folders) {
        const Kind k = kind_of(folder);
        if (k != Kind::Missing && k != Kind::Directory)
            throw std::runtime_error("'" + path_text(folder) + "' exists and is not a directory; refusing to replace it");
    }
    for (const Planned &m : plan) require_replaceable(m.to, "output file");  // all checked before any move
    for (const std::string &folder : folders) {
        if (kind_of(folder) == Kind::Missing) make_directory(folder);
    }
    // Each earlier file is kept as a hard link in the staging directory until every
    // move has succeeded, so a failure part-way can put it back.
    const std::string backups = staging_dir(".backup");
    std::vector<std::string> written;
    for (size_t i = 0; i < plan.size(); ++i) {
        Move move{plan[i].from, plan[i].to, "", 0, 0};
        if (kind_of(move.to) == Kind::RegularFile) {
            move.backup = backups + "/" + std::to_string(i);
            // A hard link costs nothing; where links are refused (another owner's
            // file, a file system without them) a copy does the same job.
            std::error_code ec;
            if (::link(move.to.c_str(), move.backup.c_str()) != 0 && !fs::copy_file(move.to, move.backup, ec))
                throw std::runtime_error("cannot keep a backup of '" + path_text(move.to) + "': " + ec.message());
        }
        struct stat st;
        if (::lstat(move.from.c_str(), &st) != 0)
            throw std::runtime_error("staged file '" + path_text(move.from) + "' vanished: " + system_error());
        move.device = st.st_dev;
        move.inode = st.st_ino;
        install_file(move.from, move.to, "output file");
        moved_.push_back(move);
        written.push_back(move.to);
    }
    committed_ = true;
    roll_back();  // now only removes the staging directory, backups included
    return written;
}

}  // namespace convforge
