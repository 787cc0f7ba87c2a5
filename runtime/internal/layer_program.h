// What a prepared layer runs: kernel calls, each a list of named arguments, and
// the packed constants they read. A variant's prepare() builds it; run.cpp
// executes it for every variant alike, matching arguments to a kernel by the
// names in the kernel's own metadata, so the runtime never needs to know which
// variant a kernel belongs to.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace convforge {

// Bytes per element of the dtypes a program constant may have; 0 for any other.
inline size_t constant_dtype_bytes(const std::string &dtype) {
    return dtype == "F32" || dtype == "I32" ? 4 : dtype == "I8" ? 1 : 0;
}

// A constant the kernels read (packed weights, bias, scales, ...): its element
// type, as safetensors names it ("F32", "I8" or "I32"), and its bytes.
struct ProgramConstant {
    std::string dtype = "F32";
    std::vector<uint8_t> bytes;

    static ProgramConstant of_floats(const std::vector<float> &values) {
        ProgramConstant c;
        c.bytes.resize(values.size() * sizeof(float));
        if (!values.empty()) std::memcpy(c.bytes.data(), values.data(), c.bytes.size());
        return c;
    }
};

struct KernelArgument {
    enum class Kind {
        Input,     // the layer input, NCHW channels [channel_begin, + channel_count)
        Output,    // the layer output, likewise
        Constant,  // constants[constant], from element `offset` on, Halide `extents`
        Scalar,    // an int32 `value`
    };
    std::string name;  // the kernel argument's name
    Kind kind = Kind::Scalar;
    int channel_begin = 0, channel_count = 0;
    int constant = 0;
    size_t offset = 0;
    std::vector<int> extents;  // innermost first
    int value = 0;

    static KernelArgument input(std::string name, int channel_begin, int channel_count) {
        return channels(std::move(name), Kind::Input, channel_begin, channel_count);
    }
    static KernelArgument output(std::string name, int channel_begin, int channel_count) {
        return channels(std::move(name), Kind::Output, channel_begin, channel_count);
    }
    static KernelArgument constant_slice(std::string name, int constant, size_t offset, std::vector<int> extents) {
        KernelArgument a;
        a.name = std::move(name);
        a.kind = Kind::Constant;
        a.constant = constant;
        a.offset = offset;
        a.extents = std::move(extents);
        return a;
    }
    static KernelArgument scalar(std::string name, int value) {
        KernelArgument a;
        a.name = std::move(name);
        a.value = value;
        return a;
    }

private:
    static KernelArgument channels(std::string name, Kind kind, int begin, int count) {
        KernelArgument a;
        a.name = std::move(name);
        a.kind = kind;
        a.channel_begin = begin;
        a.channel_count = count;
        return a;
    }
};

struct KernelCall {
    std::string kernel;  // the built-in kernel's name (convforge_<generator>_<...>)
    std::vector<KernelArgument> args;
};

// prepare_layer checks a variant's program before any layer holds it (every
// slice inside its tensor, every constant slice inside its constant, argument
// names unique), so running it needs no further bounds checks.
struct LayerProgram {
    std::vector<ProgramConstant> constants;
    std::vector<KernelCall> calls;

    // Appends a constant; returns its index, as KernelArgument::constant_slice takes it.
    int add_constant(ProgramConstant c) {
        constants.push_back(std::move(c));
        return int(constants.size() - 1);
    }
};

}  // namespace convforge
