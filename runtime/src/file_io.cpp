#include "file_io.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "convforge/convforge.h"

namespace convforge {

std::vector<uint8_t> read_whole_file(const std::string &path, const char *what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Error(std::string(what) + " '" + path + "' is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(std::string(what) + " '" + path + "' cannot be opened");
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_file_atomically(const std::string &path, const std::vector<uint8_t> &bytes, const char *what) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error(std::string(what) + " '" + path + "': directory '" + dir.string() + "' does not exist");
    const std::string tmp = path + ".tmp-convforge";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(std::string(what) + " '" + path + "' cannot be written");
        out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::remove(tmp.c_str());
            throw Error(std::string(what) + " '" + path + "': write failed");
        }
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error(std::string(what) + " '" + path + "': " + ec.message());
    }
}

}  // namespace convforge
