// The readers are bounded in depth, length and time, strict about what they
// accept, and quote only bounded excerpts of what they reject.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "../schedules/schedule_database.h"
#include "expect_error.h"
#include "naive_reference.h"
#include "scratch_files.h"

namespace convforge {
namespace {

using testing::expect_error;
using Parsers = testing::ScratchFiles;
namespace fs = std::filesystem;

const std::string kGoodDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }";

// The message of the Error `body` throws ("" when it throws none).
template <typename Body>
std::string error_of(Body body) {
    try {
        body();
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

// --- NPY headers ---

// Legal: the v1.0 header may be up to 65,535 bytes (a regex once overflowed the stack here).
TEST_F(Parsers, NpyLongHeaderLoads) {
    for (const size_t padding : {30000, 65400}) {
        std::string dict = kGoodDict;
        dict.insert(dict.size() - 1, std::string(padding, ' '));
        std::string bytes = npy_bytes(dict, 0);
        for (int i = 0; i < 24; ++i) {
            const float v = 0.5f * float(i) - 3.0f;
            bytes.append(reinterpret_cast<const char *>(&v), 4);
        }
        const Tensor t = load_npy(write("long.npy", bytes));
        EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 2, 3, 4}));
        ASSERT_EQ(t.data.size(), 24u);
        EXPECT_EQ(t.data[23], 8.5f);
    }
}

TEST_F(Parsers, NpyHeaderIsStrict) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4, 9, 11), }", "negative dimension"},
        {"{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), }", "repeats the key 'descr'"},
        {"['descr', '<f4', 'fortran_order', False, 'shape', (1, 2, 3, 4)]", "expected '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4), 'extra': 1}", "unknown key 'extra'"},
        {"{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
        {kGoodDict + " junk", "unexpected text after"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (1, 2, 3, 4), }", "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1, 1, 1), }", "larger than 2^30"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (24), }", "not a tuple"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (1, 2, 3, 4), }", "expected ',' or '}'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4", "expected ',' or ')'"},
    };
    for (const auto &[dict, fragment] : cases) {
        const std::string message = error_of([&] { load_npy(write("x.npy", npy_bytes(dict, 24 * 4))); });
        EXPECT_NE(message.find(fragment), std::string::npos) << dict << " -> " << message;
    }
}

TEST_F(Parsers, NpyHugeClaimedShapeIsRefusedBeforeAllocating) {
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 65536, 65536), }";
    expect_error([&] { load_npy(write("x.npy", npy_bytes(dict, 16))); }, {"more than", "a kernel buffer may hold"});
}

// --- JSON: specs and safetensors headers ---

TEST_F(Parsers, JsonFollowedByNulAndJunkIsRefused) {
    const std::string spec = R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3})";
    expect_error([&] { parse_layer_spec(spec + std::string("\0junk", 5)); }, {"NUL byte at offset"});
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("w.safetensors", safetensors_bytes(header + std::string("\0junk", 5), 4))); },
                 {"NUL byte at offset"});
}

TEST_F(Parsers, DeeplyNestedJsonIsRefusedWithoutRecursing) {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    expect_error([&] {
        parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":)" + deep + "}");
    }, {"nested deeper than"});
    const std::string header = R"({"w":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("w.safetensors", safetensors_bytes(header, 4))); }, {"nested deeper than"});
}

// A million-byte array of objects: linear work (a callback-driven parse once took
// quadratic time here). The suite's ctest timeout is what fails a slow parse.
TEST_F(Parsers, LongArraysOfObjectsParseInLinearTime) {
    std::string objects = "[{}";
    while (objects.size() < (1 << 20) - 200) objects += ",{}";
    objects += "]";
    expect_error([&] {
        parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":)" + objects + "}");
    }, {"kernel_size", "must be a JSON integer, got an array of"});
    std::string many = "[0";
    for (int i = 0; i < 5'000'000; ++i) many += ",0";
    expect_error([&] { parse_layer_spec(many + "]"); }, {"more than 4000000 values"});
}

TEST_F(Parsers, LongNamesAreQuotedAsBoundedExcerpts) {
    const std::string long_name(10 << 20, 'k');
    const std::string header = R"({"weight":{"dtype":"F32","shape":[1,1,1,1],"data_offsets":[0,4]},")" + long_name +
                               R"(":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
    const LayerSpec s = parse_layer_spec(R"({"variant":"conv","in_channels":1,"out_channels":1,"kernel_size":1})");
    const std::string path = write("w.safetensors", safetensors_bytes(header, 8));
    const std::string message = error_of([&] { prepare_layer(s, load_safetensors(path)); });
    EXPECT_NE(message.find("unexpected key 'kkkk"), std::string::npos) << message.substr(0, 200);
    EXPECT_NE(message.find("(10485760 bytes)"), std::string::npos) << message.substr(0, 200);
    EXPECT_LT(message.size(), 400u);

    const std::string variant = error_of([&] {
        parse_layer_spec(R"({"variant":")" + long_name + R"(","in_channels":1,"out_channels":1,"kernel_size":1})");
    });
    EXPECT_NE(variant.find("unknown variant"), std::string::npos);
    EXPECT_LT(variant.size(), 400u);
    const std::string value = error_of([&] {
        parse_layer_spec(R"({"variant":"conv","in_channels":")" + long_name + R"(","out_channels":1,"kernel_size":1})");
    });
    EXPECT_NE(value.find("must be a JSON integer"), std::string::npos);
    EXPECT_LT(value.size(), 400u);
}

TEST_F(Parsers, JsonErrorsQuoteTheirTokenEscapedAndBounded) {
    // DEL is legal inside a JSON string; the invalid byte after it ends the parse.
    const std::string short_token = error_of([&] { parse_layer_spec(R"({"variant":"a)" "\x7f\xff\"}"); });
    EXPECT_NE(short_token.find("a\\x7f\xff"), std::string::npos) << short_token;
    EXPECT_EQ(short_token.find('\x7f'), std::string::npos);
    const std::string long_token =
        error_of([&] { parse_layer_spec(std::string(R"({"variant":")") + std::string(5000, 'v') + "\xff\"}"); });
    EXPECT_NE(long_token.find("invalid JSON"), std::string::npos) << long_token;
    EXPECT_LT(long_token.size(), 600u);
}

TEST_F(Parsers, PathsInMessagesStayOnOneBoundedLine) {
    const std::string message = error_of([] { load_npy("/nonexistent/line\nbreak.npy"); });
    EXPECT_NE(message.find("/nonexistent/line\\x0abreak.npy"), std::string::npos) << message;
    const std::string long_path = "/nonexistent/" + std::string(3000, 'd') + "/tail.npy";
    const std::string long_message = error_of([&] { load_npy(long_path); });
    EXPECT_NE(long_message.find("...(3022 bytes)..."), std::string::npos) << long_message;
    EXPECT_NE(long_message.find("/tail.npy"), std::string::npos);
    EXPECT_LT(long_message.size(), 600u);
}

// --- file sizes and kinds ---

TEST_F(Parsers, DevicesPipesAndDirectoriesAreNotRead) {
    expect_error([] { load_safetensors("/dev/zero"); }, {"'/dev/zero' is a device, not a regular file"});
    expect_error([] { load_npy("/dev/zero"); }, {"is a device"});
    expect_error([] { load_layer_spec("/dev/zero"); }, {"is a device"});
    expect_error([&] { load_npy(dir.string()); }, {"is a directory"});
    const std::string fifo = (dir / "pipe").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    expect_error([&] { load_safetensors(fifo); }, {"is a pipe"});  // and does not block waiting for a writer
}

TEST_F(Parsers, ClaimedSizesAreCheckedAgainstTheFile) {
    std::string bytes = safetensors_bytes("{}", 0);
    for (int i = 0; i < 8; ++i) bytes[i] = char(0xff);
    expect_error([&] { load_safetensors(write("a.safetensors", bytes)); }, {"header length 18446744073709551615", "runs past"});
    const std::string huge = R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("b.safetensors", safetensors_bytes(huge, 4))); }, {"'w'", "overflows"});
    const std::string past = R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})";
    expect_error([&] { load_safetensors(write("c.safetensors", safetensors_bytes(past, 4))); }, {"'w'", "past the end"});
}

TEST_F(Parsers, SafetensorsHeaderLongerThanTheFormatAllows) {
    // A sparse file: large on paper, nothing to write.
    std::string bytes = safetensors_bytes("{}", 0);
    const uint64_t claimed = 150'000'000;
    for (int i = 0; i < 8; ++i) bytes[i] = char((claimed >> (8 * i)) & 0xff);
    const std::string path = write("big.safetensors", bytes);
    fs::resize_file(path, 200'000'000);
    expect_error([&] { load_safetensors(path); }, {"header length 150000000", "more than the 100000000"});
}

TEST_F(Parsers, WeightsFileHoldingMoreThanALayerMay) {
    const uint64_t bytes = 9ull << 30;  // a sparse file: large on paper only
    const std::string header = R"({"w":{"dtype":"I8","shape":[)" + std::to_string(bytes) + R"(],"data_offsets":[0,)" +
                               std::to_string(bytes) + "]}}";
    const std::string path = write("huge.safetensors", safetensors_bytes(header, 0));
    fs::resize_file(path, 8 + header.size() + bytes);
    expect_error([&] { load_safetensors(path); }, {"9663676416 bytes of tensors", "8 GiB"});
}

TEST_F(Parsers, SpecFileLargerThanASpecMayBe) {
    const std::string path = write("big.json", "{}");
    fs::resize_file(path, 2 << 20);
    expect_error([&] { load_layer_spec(path); }, {"2097152 bytes", "more than"});
}

TEST_F(Parsers, SafetensorsEntriesAreStrict) {
    const std::string extra = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"offsetz":1}})";
    expect_error([&] { load_safetensors(write("a.safetensors", safetensors_bytes(extra, 4))); }, {"unknown field 'offsetz'"});
    const std::string meta = R"({"__metadata__":{"format":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("b.safetensors", safetensors_bytes(meta, 4))); }, {"__metadata__"});
    const std::string rank = R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})";
    expect_error([&] { load_safetensors(write("c.safetensors", safetensors_bytes(rank, 4))); }, {"rank 9"});
}

TEST_F(Parsers, EmptyTensorsOverlapNothing) {
    const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                          R"("f":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]}})";
    const WeightMap w = load_safetensors(write("a.safetensors", safetensors_bytes(h, 8)));
    EXPECT_EQ(w.at("a").bytes.size(), 8u);
    EXPECT_TRUE(w.at("e").bytes.empty());
    EXPECT_EQ(w.at("f").shape, (std::vector<int64_t>{2, 0}));
}

// --- schedule database ---

TEST(ScheduleDatabaseParser, IsStrict) {
    const std::string rec = R"({"target":"x86-64-avx2","variant":"conv","shape_class":"dense","knobs":{"tile_x":3}})";
    EXPECT_EQ(ScheduleDatabase::parse(R"({"records":[)" + rec + "]}", "db").records().size(), 1u);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"records":[)" + rec + "," + rec + "]}", "repeats the key"},
        {R"({"records":[{"target":"x","variant":"conv","shape_class":"dense","knobs":{"tile_x":-1}}]})", "from 0 to 4096"},
        {R"({"records":[{"target":"x","variant":"conv","shape_class":"dense","knobs":{"tile_x":3.5}}]})", "from 0 to 4096"},
        {R"({"records":[{"target":"x","variant":"conv","shape_class":"dense","knobs":{},"note":""}]})", "unknown field 'note'"},
        {R"({"records":[{"variant":"conv","shape_class":"dense","knobs":{}}]})", "missing field 'target'"},
        {R"({"records":{}})", "'records', is an array"},
        {R"({"records":[],"extra":1})", "'records', is an array"},
        {R"({"records":[7]})", "record 0 is 7, not an object"},
        // A knob name that would smuggle another knob (or target section) into the generator's knob text.
        {R"({"records":[{"target":"x","variant":"conv","shape_class":"dense","knobs":{"tile_x:100000,tile_y":3}}]})",
         "is not a name of lowercase letters"},
        {R"({"records":[{"target":"x86;cuda@tile_x:9","variant":"conv","shape_class":"dense","knobs":{}}]})",
         "field 'target'"},
        {"{\"records\":[{\"target\":\"x\",\"variant\":\"conv\",\"shape_class\":\"dense\",\"knobs\":{},"
         "\"measured\":\"\\u001b[2J\"}]}", "field 'measured' must be one line"},
    };
    for (const auto &[text, fragment] : cases) {
        const std::string message = error_of([&] { ScheduleDatabase::parse(text, "db"); });
        EXPECT_NE(message.find(fragment), std::string::npos) << text << " -> " << message;
    }
}

// A tuned record (every field `convforge tune` writes) survives save and load,
// and lookups prefer the exact workload over the whole shape class.
TEST_F(Parsers, ScheduleDatabaseRoundTripAndLookup) {
    ScheduleDatabase db = ScheduleDatabase::parse(
        R"({"records":[{"target":"x86-64-avx2","variant":"conv","shape_class":"dense","knobs":{"tile_x":3}}]})", "db");
    ScheduleRecord tuned;
    tuned.target = "x86-64-avx2";
    tuned.variant = "conv";
    tuned.shape_class = "dense";
    tuned.workload = "c64-o64-k3-s1-p1-d1-g1";
    tuned.knobs = {{"channel_vectors", 2}, {"tile_x", 3}, {"tile_y", 4}};
    tuned.measured = "convforge tune, 2 threads, batch 8 56x56: 5.1 ms";
    tuned.hardware = "AMD EPYC (avx2 fma), 2 CPUs";
    tuned.version = "0.1";
    tuned.date = "2026-12-01";
    tuned.batch = 8, tuned.height = 56, tuned.width = 56, tuned.threads = 2;
    tuned.median_ms = 5.1, tuned.gflops = 181.5, tuned.default_ms = 6.25;
    db.put(tuned);
    const std::string path = (dir / "db.json").string();
    db.save(path);
    const ScheduleDatabase back = ScheduleDatabase::load(path);
    ASSERT_EQ(back.records().size(), 2u);
    const ScheduleRecord *exact = back.find("x86-64-avx2", "conv", "dense", tuned.workload);
    ASSERT_NE(exact, nullptr);
    EXPECT_EQ(exact->knobs, tuned.knobs);
    EXPECT_EQ(exact->hardware, tuned.hardware);
    EXPECT_EQ(exact->date, tuned.date);
    EXPECT_EQ(exact->batch, 8);
    EXPECT_EQ(exact->threads, 2);
    EXPECT_DOUBLE_EQ(exact->median_ms, 5.1);
    EXPECT_DOUBLE_EQ(exact->default_ms, 6.25);
    const ScheduleRecord *other = back.find("x86-64-avx2", "conv", "dense", "c32-o32-k3-s1-p1-d1-g1");
    ASSERT_NE(other, nullptr);
    EXPECT_TRUE(other->workload.empty()) << "another layer falls back to the shape-class record";
    EXPECT_EQ(back.find("x86-64-avx512", "conv", "dense", tuned.workload), nullptr);
    tuned.knobs["tile_y"] = 2;
    db.put(tuned);  // the same key replaces, never duplicates
    EXPECT_EQ(db.records().size(), 2u);
    EXPECT_NE(error_of([&] {
                  ScheduleDatabase::parse(R"({"records":[{"target":"x","variant":"conv","shape_class":"dense","knobs":{},)"
                                          R"("median_ms":-1}]})",
                                          "db");
              }).find("'median_ms' must be a number from 0"),
              std::string::npos);
}

// One layer tuned at several batch and input sizes keeps one record per size;
// emit's hint (--estimate N,H,W) picks the nearest in work, no hint the largest.
TEST(ScheduleDatabaseLookup, PicksTheRecordTunedNearestTheRunSize) {
    ScheduleDatabase db;
    ScheduleRecord r;
    r.target = "x86-64-avx512", r.variant = "conv", r.shape_class = "dense", r.workload = "c64-o64-k3-s1-p1-d1-g1";
    for (int batch : {1, 8}) {
        r.batch = batch, r.height = r.width = 56;
        r.knobs = {{"tile_x", batch}};
        db.put(r);
    }
    ASSERT_EQ(db.records().size(), 2u) << "records of the same layer at other sizes are kept apart";
    auto tile_for = [&](RunSize size) {
        const ScheduleRecord *found = db.find(r.target, r.variant, r.shape_class, r.workload, size);
        return found ? found->knobs.at("tile_x") : -1;
    };
    EXPECT_EQ(tile_for({1, 56, 56}), 1);
    EXPECT_EQ(tile_for({8, 56, 56}), 8);
    EXPECT_EQ(tile_for({6, 56, 56}), 8);
    EXPECT_EQ(tile_for({2, 56, 56}), 1);
    EXPECT_EQ(tile_for({1, 160, 160}), 8) << "nearest in batch x height x width";
    EXPECT_EQ(tile_for({}), 8) << "with no size: the record tuned on the most work";
    // The same size again replaces; the database text keeps both sizes and reads back.
    r.knobs = {{"tile_x", 3}};
    db.put(r);
    EXPECT_EQ(db.records().size(), 2u);
    EXPECT_EQ(tile_for({8, 56, 56}), 3);
}

}  // namespace
}  // namespace convforge
