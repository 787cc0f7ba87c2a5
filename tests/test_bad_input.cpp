// Every bad input VARIANTS.md names gets an Error whose message names the problem.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "HalideRuntime.h"
#include "convforge_conv_dense_identity.h"
#include "expect_error.h"
#include "scratch_files.h"
#include "naive_reference.h"

namespace convforge {
namespace {

namespace fs = std::filesystem;

using testing::expect_error;

// --- layer spec ---

TEST(BadSpec, UnknownField) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"kernal":3})"); },
                 {"unknown field", "kernal"});
}
TEST(BadSpec, DuplicateField) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"in_channels":8,"out_channels":4,"kernel_size":3})"); },
                 {"duplicate field", "in_channels"});
}
TEST(BadSpec, FloatWhereIntegerNeeded) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3.0})"); },
                 {"kernel_size", "integer"});
}
TEST(BadSpec, NaN) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":NaN})"); },
                 {"invalid JSON"});
}
TEST(BadSpec, MissingRequiredField) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"kernel_size":3})"); }, {"out_channels"});
}
TEST(BadSpec, UnknownVariant) {
    expect_error([] { parse_layer_spec(R"({"variant":"convv","in_channels":4,"out_channels":4,"kernel_size":3})"); },
                 {"unknown variant", "convv"});
}
TEST(BadSpec, VariantNotInThisBuildNamesTheKnownOnes) {
    std::string known;
    for (const std::string &name : variant_names()) known += (known.empty() ? "" : ", ") + name;
    const std::string listed = "(known: " + known + ")";
    expect_error([] { parse_layer_spec(R"({"variant":"saconv2","in_channels":4,"out_channels":4,"kernel_size":3})"); },
                 {"saconv2", listed.c_str()});
}
TEST(BadSpec, HandBuiltVariantFieldsAreChecked) {
    LayerSpec s = parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3})");
    s.params["d_mul"] = 9;
    expect_error([&] { prepare_layer(s, testing::random_weights_for(s, 1)); }, {"variant 'conv' has no field 'd_mul'"});
    s.variant = "doconv";
    s.params["d_mul"] = 9.5;
    expect_error([&] { output_shape(s, {1, 4, 8, 8}); }, {"'d_mul'", "not an integer"});
    s.variant = "nosuchvariant";
    expect_error([&] { output_shape(s, {1, 4, 8, 8}); }, {"unknown variant 'nosuchvariant'"});
}
TEST(BadSpec, BooleanGivenAsNumber) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"bias":1})"); },
                 {"bias", "true or false"});
}
TEST(BadSpec, NegativePadding) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"padding":-1})"); },
                 {"padding", ">= 0"});
}
TEST(BadSpec, GroupsDoNotDivideChannels) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":6,"out_channels":4,"kernel_size":3,"groups":4})"); },
                 {"divisible by groups"});
}
TEST(BadSpec, NonPositiveStride) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"stride":0})"); },
                 {"stride"});
}
TEST(BadSpec, BadActivation) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"epilogue":{"activation":"gelu"}})"); },
                 {"activation", "gelu"});
}
TEST(BadSpec, UnknownEpilogueField) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"epilogue":{"batchnrom":true}})"); },
                 {"unknown field", "batchnrom"});
}
TEST(BadSpec, NotAnObject) {
    expect_error([] { parse_layer_spec("[1, 2]"); }, {"JSON object"});
}

// --- weights ---

LayerSpec small_conv(bool batchnorm = false) {
    return parse_layer_spec(std::string(R"({"variant":"conv","in_channels":4,"out_channels":6,"kernel_size":3,"bias":true)") +
                            (batchnorm ? R"(,"epilogue":{"batchnorm":true}})" : "}"));
}

TEST(BadWeights, MissingKey) {
    const LayerSpec s = small_conv();
    WeightMap w = testing::random_weights_for(s, 1);
    w.erase("bias");
    expect_error([&] { prepare_layer(s, w); }, {"missing key", "'bias'"});
}
TEST(BadWeights, ExtraKey) {
    const LayerSpec s = small_conv();
    WeightMap w = testing::random_weights_for(s, 1);
    w["weight_diff"] = w["weight"];
    expect_error([&] { prepare_layer(s, w); }, {"unexpected key", "weight_diff"});
}
TEST(BadWeights, WrongShape) {
    const LayerSpec s = small_conv();
    WeightMap w = testing::random_weights_for(s, 1);
    w["weight"].shape = {6, 4, 9};
    expect_error([&] { prepare_layer(s, w); }, {"'weight'", "[6, 4, 9]", "[6, 4, 3, 3]"});
}
TEST(BadWeights, WrongDtype) {
    const LayerSpec s = small_conv();
    WeightMap w = testing::random_weights_for(s, 1);
    w["bias"].dtype = "I64";
    w["bias"].bytes.resize(6 * 8);
    expect_error([&] { prepare_layer(s, w); }, {"'bias'", "I64", "F32"});
}
TEST(BadWeights, NumBatchesTrackedIsIgnored) {
    const LayerSpec s = small_conv(true);
    WeightMap w = testing::random_weights_for(s, 1);
    WeightTensor tracked;
    tracked.dtype = "I64";
    tracked.bytes.resize(8);
    w["bn.num_batches_tracked"] = tracked;
    EXPECT_NO_THROW(prepare_layer(s, w));
}

// --- input ---

TEST(BadInput, ChannelsDifferFromSpec) {
    const LayerSpec s = small_conv();
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    expect_error([&] { run_layer(p, testing::random_input({1, 5, 8, 8}, 2)); }, {"5 channels", "in_channels is 4"});
}
TEST(BadInput, TooSmallForKernel) {
    LayerSpec s = small_conv();
    s.padding = 0;
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    expect_error([&] { run_layer(p, testing::random_input({1, 4, 2, 5}, 2)); }, {"too small", "empty output"});
}

TEST(BadInput, EmptyDimension) {
    const LayerSpec s = small_conv();
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    Tensor x;
    x.shape = {1, 4, 0, 8};
    expect_error([&] { run_layer(p, x); }, {"dimension 2", "is 0"});
}

// A kernel's own checks (Halide errors) come back as Error, never an abort.
TEST(KernelErrors, DenseKernelRefusesGroupedLayer) {
    const LayerSpec s = parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":6,"kernel_size":3,"groups":2})");
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    expect_error([&] { run_layer_with(p, testing::random_input({1, 4, 8, 8}, 2),
                                      CONVFORGE_EMITTED_KERNEL(convforge_conv_dense_identity)); },
                 {"kernel failed", "arguments differ"});
}

// A kernel whose arguments are not the layer's (another variant's, say) is refused
// by name before it runs: the runtime reads the kernel's own metadata.
namespace other_kernel {
int calls = 0;
int argv(void **) { return ++calls, 0; }
halide_filter_argument_t arguments[3];
halide_filter_metadata_t metadata_value;
const halide_filter_metadata_t *metadata() { return &metadata_value; }
void describe(const char *second_name, int second_dimensions) {
    const halide_type_t f32(halide_type_float, 32);
    arguments[0] = {"input", halide_argument_kind_input_buffer, 4, f32, nullptr, nullptr, nullptr, nullptr, nullptr};
    arguments[1] = {second_name, halide_argument_kind_input_buffer, second_dimensions, f32, nullptr, nullptr, nullptr,
                    nullptr, nullptr};
    arguments[2] = {"output$1", halide_argument_kind_output_buffer, 4, f32, nullptr, nullptr, nullptr, nullptr, nullptr};
    metadata_value = {halide_filter_metadata_t::VERSION, 3, arguments, "x86-64-linux", "other_kernel"};
}
}  // namespace other_kernel

TEST(KernelErrors, KernelOfAnotherVariantIsRefusedByItsArguments) {
    const LayerSpec s = small_conv();
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    const EmittedKernel kernel{other_kernel::argv, other_kernel::metadata};
    const Tensor x = testing::random_input({1, 4, 8, 8}, 2);
    other_kernel::describe("switch_weights", 4);
    expect_error([&] { run_layer_with(p, x, kernel); },
                 {"kernel 'other_kernel' takes an argument 'switch_weights' this layer does not supply"});
    other_kernel::describe("weights", 4);  // the layer's weights are rank 5
    expect_error([&] { run_layer_with(p, x, kernel); }, {"argument 'weights' is not a weight buffer of type float32 and rank 5"});
    other_kernel::describe("weights", 5);  // and the layer supplies bias, stride, ... too
    expect_error([&] { run_layer_with(p, x, kernel); }, {"takes no argument 'bias'"});
    EXPECT_EQ(other_kernel::calls, 0);
}

// --- files ---

using BadFiles = testing::ScratchFiles;

TEST_F(BadFiles, SafetensorsHeaderLengthPastEnd) {
    std::string bytes = safetensors_bytes("{}", 0);
    bytes[0] = char(200);
    expect_error([&] { load_safetensors(write("a.safetensors", bytes)); }, {"header length 200", "byte offset 0"});
}
TEST_F(BadFiles, SafetensorsTooShort) {
    expect_error([&] { load_safetensors(write("a.safetensors", "abc")); }, {"too short"});
}
TEST_F(BadFiles, SafetensorsHeaderNotJson) {
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes("{not json", 0))); }, {"invalid JSON"});
}
TEST_F(BadFiles, SafetensorsDuplicateKey) {
    const std::string h = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(h, 8))); }, {"duplicate field 'w'"});
}
TEST_F(BadFiles, SafetensorsHeaderNotObject) {
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes("[1]", 0))); }, {"not a JSON object"});
}
TEST_F(BadFiles, SafetensorsBytesDoNotMatchShape) {
    const std::string h = R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(h, 20))); }, {"'w'", "20 bytes", "24 bytes"});
}
TEST_F(BadFiles, SafetensorsRangePastData) {
    const std::string h = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(h, 4))); }, {"'w'", "past the end"});
}
TEST_F(BadFiles, SafetensorsOverlap) {
    const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(h, 12))); }, {"overlap", "'a'", "'b'"});
}
TEST_F(BadFiles, SafetensorsUnsupportedDtype) {
    const std::string h = R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(h, 4))); }, {"'w'", "F16"});
}
TEST_F(BadFiles, SafetensorsTruncatedData) {
    const LayerSpec s = small_conv();
    const std::string path = (dir / "w.safetensors").string();
    save_safetensors(path, testing::random_weights_for(s, 1));
    fs::resize_file(path, fs::file_size(path) - 3);
    expect_error([&] { load_safetensors(path); }, {"past the end"});
}
TEST_F(BadFiles, SafetensorsMissingFile) {
    expect_error([&] { load_safetensors((dir / "nope.safetensors").string()); }, {"cannot be opened", "nope.safetensors"});
}
TEST_F(BadFiles, SafetensorsRoundTrip) {
    const LayerSpec s = small_conv(true);
    const WeightMap w = testing::random_weights_for(s, 3);
    const std::string path = (dir / "w.safetensors").string();
    save_safetensors(path, w);
    const WeightMap back = load_safetensors(path);
    ASSERT_EQ(back.size(), w.size());
    for (const auto &[k, t] : w) {
        EXPECT_EQ(back.at(k).shape, t.shape) << k;
        EXPECT_EQ(back.at(k).bytes, t.bytes) << k;
    }
}

TEST_F(BadFiles, NpyWrongDtype) {
    expect_error([&] { load_npy(write("x.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }", 8))); },
                 {"'<f8'"});
}
TEST_F(BadFiles, NpyFortranOrder) {
    expect_error([&] { load_npy(write("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 1, 1), }", 4))); },
                 {"Fortran"});
}
TEST_F(BadFiles, NpyWrongRank) {
    expect_error([&] { load_npy(write("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24))); },
                 {"rank 2"});
}
TEST_F(BadFiles, NpyTruncated) {
    expect_error([&] { load_npy(write("x.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), }", 20))); },
                 {"truncated"});
}
TEST_F(BadFiles, NpyBadMagic) {
    expect_error([&] { load_npy(write("x.npy", "PK\x03\x04 this is a zip")); }, {"bad magic"});
}
TEST_F(BadFiles, NpyRoundTrip) {
    const Tensor t = testing::random_input({2, 3, 4, 5}, 9);
    const std::string path = (dir / "t.npy").string();
    save_npy(path, t);
    const Tensor back = load_npy(path);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.data, t.data);
}
// Random byte flips and truncations of valid files: every load either succeeds or
// throws Error; nothing crashes (the suite also runs under qemu and sanitizers).
TEST_F(BadFiles, CorruptedFilesNeverCrash) {
    const LayerSpec s = small_conv(true);
    const std::string st_path = (dir / "w.safetensors").string(), npy_path = (dir / "x.npy").string();
    save_safetensors(st_path, testing::random_weights_for(s, 5));
    save_npy(npy_path, testing::random_input({1, 4, 5, 6}, 6));
    std::mt19937 rng(2026);
    int rejected = 0;
    for (const std::string &path : {st_path, npy_path}) {
        std::ifstream in(path, std::ios::binary);
        const std::string original((std::istreambuf_iterator<char>(in)), {});
        for (int trial = 0; trial < 300; ++trial) {
            std::string bytes = original;
            if (trial % 3 == 0) {
                bytes.resize(rng() % bytes.size());
            } else {
                // Flip bytes near the front (headers) more often than in the data.
                const size_t span = trial % 3 == 1 ? std::min<size_t>(bytes.size(), 160) : bytes.size();
                for (int flips = 1 + int(rng() % 4); flips > 0; --flips) bytes[rng() % span] = char(rng());
            }
            const std::string mutated = write("mutated.bin", bytes);
            try {
                if (path == st_path) {
                    prepare_layer(s, load_safetensors(mutated));
                } else {
                    load_npy(mutated);
                }
            } catch (const Error &) {
                ++rejected;
            }
        }
    }
    EXPECT_GT(rejected, 200);  // most mutations must be caught, not silently accepted
}

TEST_F(BadFiles, OutputDirectoryMissing) {
    const std::string path = (dir / "missing" / "y.npy").string();
    expect_error([&] { save_npy(path, testing::random_input({1, 1, 1, 1}, 0)); }, {"does not exist"});
    EXPECT_FALSE(fs::exists(dir / "missing"));
}

}  // namespace
}  // namespace convforge
