// Strict safetensors reader/writer. The header is read and every entry checked
// (dtype, shape, byte range, overlaps) against the file's size before any tensor
// data is allocated or read.
#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "checked_size.h"
#include "file_io.h"
#include "size_limits.h"
#include "layer_weights.h"
#include "message_text.h"
#include "strict_json.h"

namespace convforge {

namespace {

using json = nlohmann::json;

uint64_t read_u64_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

struct Entry {
    std::string name;
    WeightTensor tensor;  // bytes not yet read
    uint64_t begin, end;  // within the data section
};

Entry parse_entry(const std::string &name, const json &entry, const std::string &where, uint64_t data_size) {
    const std::string at = where + ": tensor " + excerpt(name);
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
        throw Error(at + " needs dtype, shape and data_offsets");
    for (const auto &item : entry.items()) {
        if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets")
            throw Error(at + ": unknown field " + excerpt(item.key()));
    }
    Entry e{name, {}, 0, 0};
    const json &dtype = entry["dtype"], &shape = entry["shape"], &offs = entry["data_offsets"];
    if (!dtype.is_string()) throw Error(at + ": dtype is " + json_excerpt(dtype) + ", not a string");
    e.tensor.dtype = dtype.get<std::string>();
    const size_t elem = dtype_size(e.tensor.dtype);
    if (elem == 0) throw Error(at + ": dtype " + excerpt(e.tensor.dtype) + " is not supported (F32, I8, I64)");
    if (!shape.is_array()) throw Error(at + ": shape is " + json_excerpt(shape) + ", not an array");
    if (shape.size() > limits::kMaxTensorRank)
        throw Error(at + ": rank " + std::to_string(shape.size()) + " is more than the " +
                    std::to_string(limits::kMaxTensorRank) + " supported");
    for (const auto &d : shape) {
        if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t(INT64_MAX))
            throw Error(at + ": shape entry " + json_excerpt(d) + " is not a non-negative integer");
        e.tensor.shape.push_back(d.get<int64_t>());
    }
    const int64_t bytes = checked_mul(element_count(e.tensor.shape, at), int64_t(elem), at + " byte count");
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
        throw Error(at + ": data_offsets must be two non-negative integers");
    e.begin = offs[0].get<uint64_t>();
    e.end = offs[1].get<uint64_t>();
    if (e.begin > e.end)
        throw Error(at + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] are reversed");
    if (e.end > data_size)
        throw Error(at + ": data_offsets end " + std::to_string(e.end) + " lies past the end of the data (" +
                    std::to_string(data_size) + " bytes)");
    if (e.end - e.begin != uint64_t(bytes))
        throw Error(at + ": " + std::to_string(e.end - e.begin) + " bytes do not match dtype " + e.tensor.dtype +
                    " and shape " + shape_text(e.tensor.shape) + " (" + std::to_string(bytes) + " bytes)");
    return e;
}

}  // namespace

size_t dtype_size(const std::string &dtype) {
    if (dtype == "F32") return 4;
    if (dtype == "I8") return 1;
    if (dtype == "I64") return 8;
    return 0;
}

std::vector<float> WeightTensor::as_float() const {
    if (dtype != "F32") throw Error("tensor of dtype " + dtype + " read as F32");
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
}

WeightMap load_safetensors(const std::string &path) {
    const InputFile file(path, "weights file");
    const std::string &where = file.name();
    if (file.size() < 8)
        throw Error(where + ": file is " + std::to_string(file.size()) +
                    " bytes, too short for a safetensors header length");
    uint8_t length_bytes[8];
    file.read_at(0, length_bytes, 8);
    const uint64_t header_len = read_u64_le(length_bytes);
    if (header_len > file.size() - 8)
        throw Error(where + ": header length " + std::to_string(header_len) +
                    " at byte offset 0 runs past the end of the file (" + std::to_string(file.size()) + " bytes)");
    if (header_len > limits::kMaxSafetensorsHeaderBytes)
        throw Error(where + ": header length " + std::to_string(header_len) + " is more than the " +
                    std::to_string(limits::kMaxSafetensorsHeaderBytes) + " bytes a safetensors header may have");
    std::string header_text(size_t(header_len), '\0');
    file.read_at(8, header_text.data(), header_text.size());
    const json header = parse_json_strict(header_text, where + ": header (bytes 8.." + std::to_string(8 + header_len) + ")");
    if (!header.is_object()) throw Error(where + ": header is not a JSON object");

    const uint64_t data_start = 8 + header_len, data_size = file.size() - data_start;
    std::vector<Entry> entries;
    for (const auto &[name, entry] : header.items()) {
        if (name == "__metadata__") {  // optional: null, or a map of strings to strings
            bool strings = entry.is_object() || entry.is_null();
            for (const auto &item : entry.items()) strings = strings && item.value().is_string();
            if (!strings) throw Error(where + ": __metadata__ must be an object of strings");
            continue;
        }
        entries.push_back(parse_entry(name, entry, where, data_size));
    }
    // Empty tensors occupy no bytes and overlap nothing.
    std::vector<const Entry *> by_offset;
    for (const Entry &e : entries) {
        if (e.end > e.begin) by_offset.push_back(&e);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const Entry *a, const Entry *b) { return std::pair(a->begin, a->end) < std::pair(b->begin, b->end); });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        if (by_offset[i]->begin < by_offset[i - 1]->end)
            throw Error(where + ": tensors " + excerpt(by_offset[i - 1]->name) + " and " + excerpt(by_offset[i]->name) +
                        " overlap at data byte " + std::to_string(by_offset[i]->begin));
    }
    uint64_t total = 0;  // cannot wrap: the ranges lie inside the file and do not overlap
    for (const Entry &e : entries) total += e.end - e.begin;
    if (total > uint64_t(limits::kMaxLayerBytes))
        throw Error(where + ": holds " + std::to_string(total) + " bytes of tensors, more than the " +
                    std::to_string(limits::kMaxLayerBytes) + " a layer's weights may have (8 GiB)");
    WeightMap weights;
    for (Entry &e : entries) {
        e.tensor.bytes = file.read_range(data_start + e.begin, size_t(e.end - e.begin));
        weights.emplace(e.name, std::move(e.tensor));
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
    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception &) {  // a key that is not UTF-8
        throw Error("weights '" + path_text(path) + "': a tensor name is not valid UTF-8");
    }
    text.append((8 - text.size() % 8) % 8, ' ');
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = uint8_t((uint64_t(text.size()) >> (8 * i)) & 0xff);
    std::vector<ByteSpan> pieces = {{length, 8}, {text.data(), text.size()}};
    for (const auto &[name, t] : weights) pieces.push_back({t.bytes.data(), t.bytes.size()});
    write_file_atomically(path, pieces, "weights file");
}

}  // namespace convforge
