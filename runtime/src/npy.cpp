// NPY v1.0 reader/writer for float32 NCHW tensors. Anything else is rejected by name.
#include <cstring>
#include <regex>

#include "convforge/convforge.h"
#include "file_io.h"

namespace convforge {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

std::string header_field(const std::string &header, const std::string &key, const std::string &path) {
    const std::regex re("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
    std::smatch m;
    if (!std::regex_search(header, m, re)) throw Error("npy '" + path + "': header has no '" + key + "' field");
    return m[1];
}

}  // namespace

Tensor load_npy(const std::string &path) {
    const std::vector<uint8_t> file = read_whole_file(path, "npy file");
    if (file.size() < 10 || std::memcmp(file.data(), kMagic, 6) != 0)
        throw Error("npy '" + path + "': not an NPY file (bad magic)");
    if (file[6] != 1 || file[7] != 0)
        throw Error("npy '" + path + "': version " + std::to_string(file[6]) + "." + std::to_string(file[7]) +
                    " is not supported (only 1.0)");
    const size_t header_len = file[8] | (size_t(file[9]) << 8);
    if (10 + header_len > file.size()) throw Error("npy '" + path + "': header is truncated");
    const std::string header(reinterpret_cast<const char *>(file.data()) + 10, header_len);

    const std::string descr = header_field(header, "descr", path);
    if (descr != "'<f4'") throw Error("npy '" + path + "': dtype " + descr + " is not supported (need '<f4' float32)");
    if (header_field(header, "fortran_order", path) != "False")
        throw Error("npy '" + path + "': Fortran order is not supported (need C order)");
    const std::string shape_text = header_field(header, "shape", path);

    Tensor t;
    const std::regex dim_re("\\d+");
    for (auto it = std::sregex_iterator(shape_text.begin(), shape_text.end(), dim_re); it != std::sregex_iterator(); ++it) {
        const std::string digits = it->str();
        if (digits.size() > 12) throw Error("npy '" + path + "': dimension " + digits + " is too large");
        t.shape.push_back(std::stoll(digits));
    }
    if (t.shape.size() != 4)
        throw Error("npy '" + path + "': rank " + std::to_string(t.shape.size()) + " is not supported (need rank 4, NCHW)");
    size_t count = 1;
    for (int64_t d : t.shape) {
        if (d > 0 && count > (size_t(1) << 40) / size_t(d)) throw Error("npy '" + path + "': shape is too large");
        count *= size_t(d);
    }
    const size_t data_offset = 10 + header_len;
    const size_t expected = count * sizeof(float);
    if (file.size() - data_offset != expected)
        throw Error("npy '" + path + "': data is " + std::to_string(file.size() - data_offset) + " bytes but shape " +
                    shape_text + " needs " + std::to_string(expected) + (file.size() - data_offset < expected ? " (truncated)" : ""));
    t.data.resize(count);
    std::memcpy(t.data.data(), file.data() + data_offset, expected);
    return t;
}

void save_npy(const std::string &path, const Tensor &t) {
    std::string shape = "(";
    size_t count = 1;
    for (size_t i = 0; i < t.shape.size(); ++i) {
        shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 || i + 1 < t.shape.size() ? "," : "");
        if (i + 1 < t.shape.size()) shape += " ";
        count *= size_t(t.shape[i]);
    }
    shape += ")";
    if (count != t.data.size()) throw Error("npy '" + path + "': tensor data does not match its shape");
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces so the data starts on a 64-byte boundary, header ends in '\n'.
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';

    std::vector<uint8_t> bytes(kMagic, kMagic + 6);
    bytes.push_back(1);
    bytes.push_back(0);
    bytes.push_back(uint8_t(header.size() & 0xff));
    bytes.push_back(uint8_t(header.size() >> 8));
    bytes.insert(bytes.end(), header.begin(), header.end());
    const auto *raw = reinterpret_cast<const uint8_t *>(t.data.data());
    bytes.insert(bytes.end(), raw, raw + t.data.size() * sizeof(float));
    write_file_atomically(path, bytes, "output file");
}

}  // namespace convforge
