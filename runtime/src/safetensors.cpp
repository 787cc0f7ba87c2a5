// Strict safetensors reader/writer: every byte range is checked before it is used.
#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "file_io.h"
#include "shape_text.h"
#include "strict_json.h"

namespace convforge {

namespace {

using json = nlohmann::json;

size_t dtype_size(const std::string &dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "I8") return 1;
    if (dtype == "I64") return 8;
    return 0;
}

uint64_t read_u64_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

}  // namespace

std::vector<float> WeightTensor::as_float() const {
    if (dtype != "F32") throw Error("tensor of dtype " + dtype + " read as F32");
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
}

WeightMap load_safetensors(const std::string &path) {
    const std::vector<uint8_t> file = read_whole_file(path, "weights file");
    const std::string where = "weights '" + path + "'";
    if (file.size() < 8) throw Error(where + ": file is " + std::to_string(file.size()) + " bytes, too short for a safetensors header length");
    const uint64_t header_len = read_u64_le(file.data());
    if (header_len > file.size() - 8)
        throw Error(where + ": header length " + std::to_string(header_len) + " at byte offset 0 runs past the end of the file (" +
                    std::to_string(file.size()) + " bytes)");
    const std::string header_text(reinterpret_cast<const char *>(file.data()) + 8, header_len);
    const json header = parse_json_strict(header_text, where + ": header (bytes 8.." + std::to_string(8 + header_len) + ")");
    if (!header.is_object()) throw Error(where + ": header is not a JSON object");

    const size_t data_start = 8 + header_len;
    const size_t data_size = file.size() - data_start;
    WeightMap weights;
    std::vector<std::pair<uint64_t, std::pair<uint64_t, std::string>>> ranges;
    for (const auto &[name, entry] : header.items()) {
        if (name == "__metadata__") continue;
        const std::string at = where + ": tensor '" + name + "'";
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
            throw Error(at + " needs dtype, shape and data_offsets");
        if (!entry["dtype"].is_string()) throw Error(at + ": dtype is not a string");
        WeightTensor t;
        t.dtype = entry["dtype"].get<std::string>();
        const size_t elem = dtype_size(t.dtype);
        if (elem == 0) throw Error(at + ": dtype " + t.dtype + " is not supported (F32, I8, I64)");
        if (!entry["shape"].is_array()) throw Error(at + ": shape is not an array");
        uint64_t count = 1;
        for (const auto &d : entry["shape"]) {
            if (!d.is_number_unsigned()) throw Error(at + ": shape entry " + d.dump() + " is not a non-negative integer");
            const uint64_t dim = d.get<uint64_t>();
            if (dim > 0 && count > (uint64_t(1) << 40) / dim) throw Error(at + ": shape is too large");
            count *= dim;
            t.shape.push_back(int64_t(dim));
        }
        const json &offs = entry["data_offsets"];
        if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
            throw Error(at + ": data_offsets must be two non-negative integers");
        const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
        if (begin > end) throw Error(at + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] are reversed");
        if (end > data_size)
            throw Error(at + ": data_offsets end " + std::to_string(end) + " (byte offset " + std::to_string(data_start + end) +
                        ") lies past the end of the file (" + std::to_string(file.size()) + " bytes)");
        if (end - begin != count * elem)
            throw Error(at + ": " + std::to_string(end - begin) + " bytes do not match dtype " + t.dtype + " and shape " +
                        shape_text(t.shape) + " (" + std::to_string(count * elem) + " bytes)");
        t.bytes.assign(file.begin() + long(data_start + begin), file.begin() + long(data_start + end));
        ranges.push_back({begin, {end, name}});
        weights.emplace(name, std::move(t));
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first < ranges[i - 1].second.first)
            throw Error(where + ": tensors '" + ranges[i - 1].second.second + "' and '" + ranges[i].second.second +
                        "' overlap at data byte " + std::to_string(ranges[i].first));
    }
    return weights;
}

void save_safetensors(const std::string &path, const WeightMap &weights) {
    json header = json::object();
    uint64_t offset = 0;
    for (const auto &[name, t] : weights) {
        header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
        offset += t.bytes.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<uint8_t> bytes(8 + text.size() + offset);
    for (int i = 0; i < 8; ++i) bytes[i] = uint8_t((uint64_t(text.size()) >> (8 * i)) & 0xff);
    std::memcpy(bytes.data() + 8, text.data(), text.size());
    size_t at = 8 + text.size();
    for (const auto &[name, t] : weights) {
        std::memcpy(bytes.data() + at, t.bytes.data(), t.bytes.size());
        at += t.bytes.size();
    }
    write_file_atomically(path, bytes, "weights file");
}

}  // namespace convforge
