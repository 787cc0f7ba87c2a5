// What a prepared layer runs: kernel calls, each a list of named arguments, and
// the packed constants they read. A variant's prepare() builds it; run.cpp
// executes it for every variant alike, matching arguments to a kernel by the
// names in the kernel's own metadata, so the runtime never needs to know which
// variant a kernel belongs to.
#pragma once

#include <string>
#include <vector>

namespace convforge {

struct KernelArgument {
    enum class Kind {
        Input,     // the layer input, NCHW channels [channel_begin, + channel_count)
        Output,    // the layer output, likewise
        Constant,  // constants[constant], from `offset` floats on, Halide `extents`
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

struct LayerProgram {
    std::vector<std::vector<float>> constants;
    std::vector<KernelCall> calls;
};

}  // namespace convforge
