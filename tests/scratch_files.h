// A fresh directory per test, and byte-level builders for the file formats, so
// tests can write valid files and corrupt them precisely.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace convforge::testing {

namespace fs = std::filesystem;

class ScratchFiles : public ::testing::Test {
protected:
    fs::path dir;
    void SetUp() override {
        dir = fs::temp_directory_path() / ("convforge_test_files_" + std::to_string(::getpid()));
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string write(const std::string &name, const std::string &bytes) {
        const std::string path = (dir / name).string();
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }
    // A valid safetensors file, with room to corrupt its header.
    static std::string safetensors_bytes(const std::string &header, size_t data_bytes) {
        std::string out(8, '\0');
        for (int i = 0; i < 8; ++i) out[i] = char((header.size() >> (8 * i)) & 0xff);
        return out + header + std::string(data_bytes, '\x01');
    }
    static std::string npy_bytes(const std::string &dict, size_t data_bytes) {
        std::string header = dict;
        header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
        header += '\n';
        std::string out = "\x93NUMPY";
        out += '\x01';
        out += '\x00';
        out += char(header.size() & 0xff);
        out += char(header.size() >> 8);
        return out + header + std::string(data_bytes, '\0');
    }
};

}  // namespace convforge::testing
