// NPY v1.0 reader/writer for float32 NCHW tensors. Anything else is rejected by name.
#include <cstring>

#include "convforge/convforge.h"
#include "checked_size.h"
#include "file_io.h"
#include "message_text.h"
#include "npy_header.h"

namespace convforge {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kPreambleBytes = 10;  // magic, version, 2-byte header length

}  // namespace

Tensor load_npy(const std::string &path) {
    const InputFile file(path, "npy file");
    const std::string &where = file.name();
    if (file.size() < kPreambleBytes) throw Error(where + ": not an NPY file (" + std::to_string(file.size()) + " bytes)");
    uint8_t pre[kPreambleBytes];
    file.read_at(0, pre, kPreambleBytes);
    if (std::memcmp(pre, kMagic, 6) != 0) throw Error(where + ": not an NPY file (bad magic)");
    if (pre[6] != 1 || pre[7] != 0)
        throw Error(where + ": version " + std::to_string(pre[6]) + "." + std::to_string(pre[7]) +
                    " is not supported (only 1.0)");
    const size_t header_len = pre[8] | (size_t(pre[9]) << 8);
    if (kPreambleBytes + header_len > file.size()) throw Error(where + ": header is truncated");
    std::string header_text(header_len, '\0');
    file.read_at(kPreambleBytes, header_text.data(), header_len);
    const NpyHeader header = parse_npy_header(header_text, where);

    if (header.descr != "<f4")
        throw Error(where + ": dtype " + excerpt(header.descr) + " is not supported (need '<f4' float32)");
    if (header.fortran_order) throw Error(where + ": Fortran order is not supported (need C order)");
    if (header.shape.size() != 4)
        throw Error(where + ": rank " + std::to_string(header.shape.size()) + " is not supported (need rank 4, NCHW)");
    Tensor t;
    t.shape = header.shape;
    const int64_t count = kernel_tensor_floats(t.shape, where + ": tensor");
    const uint64_t data_offset = kPreambleBytes + header_len, data_bytes = file.size() - data_offset;
    const uint64_t expected = uint64_t(count) * sizeof(float);
    if (data_bytes != expected)
        throw Error(where + ": data is " + std::to_string(data_bytes) + " bytes but shape " + shape_text(t.shape) +
                    " needs " + std::to_string(expected) + (data_bytes < expected ? " (truncated)" : ""));
    t.data.resize(size_t(count));
    file.read_at(data_offset, t.data.data(), size_t(expected));
    return t;
}

void save_npy(const std::string &path, const Tensor &t) {
    const std::string where = "npy '" + path_text(path) + "'";
    const int64_t count = element_count(t.shape, where + ": tensor");
    if (size_t(count) != t.data.size()) throw Error(where + ": tensor data does not match its shape");
    std::string shape = "(";
    for (size_t i = 0; i < t.shape.size(); ++i) {
        shape += std::to_string(t.shape[i]) + (t.shape.size() == 1 || i + 1 < t.shape.size() ? "," : "");
        if (i + 1 < t.shape.size()) shape += " ";
    }
    shape += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces so the data starts on a 64-byte boundary, header ends in '\n'.
    const size_t unpadded = kPreambleBytes + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';

    std::string preamble(kMagic, 6);
    preamble += {'\x01', '\x00', char(header.size() & 0xff), char(header.size() >> 8)};
    write_file_atomically(path,
                          {{preamble.data(), preamble.size()}, {header.data(), header.size()},
                           {t.data.data(), t.data.size() * sizeof(float)}},
                          "output file");
}

}  // namespace convforge
