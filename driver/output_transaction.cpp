#include "output_transaction.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/src/file_io.h"

namespace convforge {

namespace {

namespace fs = std::filesystem;

enum class Kind { Missing, Directory, RegularFile, Other };

Kind kind_of(const std::string &path) {  // never follows a link
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Kind::Missing;
        throw std::runtime_error("'" + path + "': " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return Kind::Directory;
    if (S_ISREG(st.st_mode)) return Kind::RegularFile;
    return Kind::Other;
}

}  // namespace

OutputTransaction::OutputTransaction(const std::string &out_dir) : out_dir_(out_dir) {
    std::vector<std::string> missing;  // out_dir first, then its missing parents
    for (fs::path p = fs::path(out_dir).lexically_normal(); !p.empty(); p = p.parent_path()) {
        std::error_code ec;
        const auto status = fs::status(p, ec);  // follows links: a linked --out is the user's choice
        if (fs::is_directory(status)) break;
        if (fs::exists(status)) throw std::runtime_error("--out '" + out_dir + "': '" + p.string() + "' is not a directory");
        missing.push_back(p.string());
        if (p == p.parent_path()) break;
    }
    try {
        for (auto it = missing.rbegin(); it != missing.rend(); ++it) make_directory(*it);
        std::string pattern = (fs::path(out_dir) / ".convforge-staging-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a staging directory in '" + out_dir + "': " + std::strerror(errno));
        staging_ = pattern;
    } catch (...) {
        roll_back();
        throw;
    }
}

OutputTransaction::~OutputTransaction() { roll_back(); }

void OutputTransaction::roll_back() {
    std::error_code ignored;
    if (!staging_.empty()) fs::remove_all(staging_, ignored);
    staging_.clear();
    if (committed_) return;
    // Deepest first; a directory that is not empty (something else wrote there) stays.
    for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) ::rmdir(it->c_str());
    created_dirs_.clear();
}

void OutputTransaction::make_directory(const std::string &path) {
    if (::mkdir(path.c_str(), 0777) != 0)
        throw std::runtime_error("cannot create output directory '" + path + "': " + std::strerror(errno));
    created_dirs_.push_back(path);
}

std::string OutputTransaction::staging_dir(const std::string &sub) {
    const fs::path dir = sub.empty() ? fs::path(staging_) : fs::path(staging_) / sub;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create staging directory '" + dir.string() + "': " + ec.message());
    return dir.string();
}

std::vector<std::string> OutputTransaction::commit() {
    struct Move {
        std::string from, to;
    };
    std::vector<Move> moves;
    std::vector<std::string> folders;  // destination folders other than out_dir
    for (const auto &entry : fs::directory_iterator(staging_)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory()) {
            const std::string folder = (fs::path(out_dir_) / name).string();
            folders.push_back(folder);
            for (const auto &file : fs::directory_iterator(entry.path()))
                moves.push_back({file.path().string(), (fs::path(folder) / file.path().filename()).string()});
        } else {
            moves.push_back({entry.path().string(), (fs::path(out_dir_) / name).string()});
        }
    }
    for (const std::string &folder : folders) {
        const Kind k = kind_of(folder);
        if (k != Kind::Missing && k != Kind::Directory)
            throw std::runtime_error("'" + folder + "' exists and is not a directory; refusing to replace it");
    }
    for (const Move &m : moves) {
        const Kind k = kind_of(m.to);
        if (k != Kind::Missing && k != Kind::RegularFile)
            throw std::runtime_error("'" + m.to + "' exists and is not a regular file; refusing to replace it");
    }
    for (const std::string &folder : folders) {
        if (kind_of(folder) == Kind::Missing) make_directory(folder);
    }
    std::vector<std::string> written;
    for (const Move &m : moves) {
        install_file(m.from, m.to, "output file");
        written.push_back(m.to);
    }
    committed_ = true;
    return written;
}

}  // namespace convforge
