// The schedules' declared knob spaces: what a record may hold, the fallback
// values inside them, and the schedule database shipped with convforge within
// them on every target key.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "conv_contract.h"
#include "../schedules/knob_space_registry.h"
#include "../schedules/schedule_database.h"

#ifndef CONVFORGE_SCHEDULE_DB
#error "CONVFORGE_SCHEDULE_DB must name schedules/database.json"
#endif

namespace convforge {
namespace {

std::string error_of(const std::function<void()> &body) {
    try {
        body();
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    return "";
}

TargetFacts facts_of(const std::string &key) {
    TargetFacts facts{};
    EXPECT_TRUE(target_facts_for_key(key, facts)) << key;
    return facts;
}

TEST(KnobSpace, ResolveRefusesWhatTheDeclarationsDoNotAllow) {
    const KnobSpace dense = knob_space("conv", facts_of("x86-64-avx2"), "dense");
    EXPECT_NE(error_of([&] { dense.resolve({{"tile_q", 3}}); }).find("unknown knob 'tile_q'"), std::string::npos);
    EXPECT_NE(error_of([&] { dense.resolve({{"tile_x", 9}}); }).find("knob 'tile_x' is 9, not one of its declared values"),
              std::string::npos);
    // 4 x 3 x 2 accumulators + 4 + 1 = 29 > AVX2's 16 registers; AVX-512 has 32.
    EXPECT_NE(error_of([&] { dense.resolve({{"channel_vectors", 4}, {"tile_x", 3}, {"tile_y", 2}}); }).find("break the rule"),
              std::string::npos);
    EXPECT_EQ(knob_space("conv", facts_of("x86-64-avx512"), "dense")
                  .resolve({{"channel_vectors", 2}, {"tile_x", 3}, {"tile_y", 4}})
                  .at("tile_y"),
              4);
    // 0 is a value only where a knob declares it.
    EXPECT_NE(error_of([&] { dense.resolve({{"tile_x", 0}}); }).find("knob 'tile_x' is 0, not one of its declared values"),
              std::string::npos);
    // 3 vectors of 16 lanes do not divide a 64-channel packed block.
    EXPECT_NE(error_of([&] {
                  knob_space("conv", facts_of("x86-64-avx512"), "dense").resolve({{"channel_vectors", 3}, {"tile_x", 1}, {"tile_y", 1}});
              }).find("packed alignment"),
              std::string::npos);
}

// A record tuned before the chunk knobs existed ran the unchunked nest, and still
// does, though AVX-512's fallback (no record) is chunked; SAConv's one-pass records
// of that time keep the rules.
TEST(KnobSpace, RecordsOlderThanAKnobKeepTheirNest) {
    const KnobSpace dense = knob_space("conv", facts_of("x86-64-avx512"), "dense");
    EXPECT_GT(dense.defaults().at("input_channel_chunk"), 0);
    const KnobValues old = dense.resolve({{"channel_vectors", 2}, {"tile_x", 7}, {"tile_y", 2}});
    EXPECT_EQ(old.at("input_channel_chunk"), 0);
    EXPECT_EQ(old.at("task_tile_rows"), 0);
    EXPECT_EQ(dense.resolve({}).at("input_channel_chunk"), dense.defaults().at("input_channel_chunk"));
    const KnobSpace saconv = knob_space("saconv", facts_of("x86-64-avx512"), "dense");
    EXPECT_EQ(error_of([&] { saconv.resolve({{"branch_passes", 1}, {"channel_vectors", 2}, {"tile_x", 7}, {"tile_y", 2}}); }),
              "");
    EXPECT_EQ(saconv.resolve({{"input_channel_chunk", 32}, {"task_tile_rows", 8}}).at("large_branch_chunk"), 0);
}

// The large branch's own chunk exists only where the reduction is chunked.
TEST(KnobSpace, LargeBranchChunkNeedsAChunkedReduction) {
    const KnobSpace saconv = knob_space("saconv", facts_of("x86-64-avx512"), "dense");
    EXPECT_EQ(error_of([&] { saconv.resolve({{"input_channel_chunk", 32}, {"large_branch_chunk", 16}}); }), "");
    EXPECT_NE(error_of([&] {
                  saconv.resolve({{"input_channel_chunk", 0}, {"task_tile_rows", 0}, {"large_branch_chunk", 16}});
              }).find("large_branch_chunk is 0 unless input_channel_chunk > 0"),
              std::string::npos);
}

// A dynamic convolution mixes each image's kernel at a level that is one image's:
// a chunked task, or the loop over images; the batch-wide unchunked nest has none.
TEST(KnobSpace, DynamicConvsNeedALevelThatIsOneImages) {
    for (const char *variant : {"condconv", "odconv"}) {
        const KnobSpace dense = knob_space(variant, facts_of("x86-64-avx512"), "dense");
        const KnobValues unchunked = {{"input_channel_chunk", 0}, {"task_tile_rows", 0}};
        KnobValues per_image = unchunked;
        per_image["image_at_a_time"] = 1;
        EXPECT_EQ(error_of([&] { dense.resolve(per_image); }), "") << variant;
        KnobValues batch_wide = unchunked;
        batch_wide["image_at_a_time"] = 0;
        EXPECT_NE(error_of([&] { dense.resolve(batch_wide); }).find("input_channel_chunk > 0 or image_at_a_time = 1"),
                  std::string::npos)
            << variant;
    }
}

TEST(KnobSpace, FallbacksLieInEverySpaceAndPointsKeepTheRules) {
    for (const std::string &variant : knob_space_variants())
        for (const std::string &shape_class : knob_space_shape_classes(variant))
            for (const std::string &key : database_keys()) {
                const KnobSpace space = knob_space(variant, facts_of(key), shape_class);
                const std::string where = variant + " " + shape_class + " on " + key;
                EXPECT_EQ(error_of([&] { space.resolve({}); }), "") << where;
                // Visited, not held: SAConv's dense spaces are half a million points.
                const KnobValues defaults = space.defaults();
                uint64_t points = 0;
                bool defaults_among_them = false;
                space.for_each_point([&](const KnobValues &p) {
                    ++points;
                    defaults_among_them = defaults_among_them || p == defaults;
                    EXPECT_EQ(error_of([&] { space.resolve(p); }), "") << where;
                });
                EXPECT_GT(points, 1u) << where;
                EXPECT_LE(points, space.size()) << where;
                EXPECT_EQ(points, space.point_count()) << where;
                EXPECT_TRUE(defaults_among_them) << where;
            }
}

// points() (the tuner's list) is the walk for_each_point makes; the walk checks
// each rule as soon as the knobs it reads are set, so it must keep exactly the
// assignments a check of whole assignments keeps.
TEST(KnobSpace, PointsAreTheAssignmentsThatKeepTheRules) {
    // Every variant but SAConv, whose dense space has 9.8 million assignments.
    for (const std::string &variant : {"conv", "condconv", "odconv", "dsconv", "dsconv_exact", "spconv"}) {
        for (const std::string &shape_class : knob_space_shape_classes(variant)) {
            const KnobSpace space = knob_space(variant, facts_of("x86-64-avx2"), shape_class);
            std::vector<KnobValues> whole;  // every assignment, each rule checked on it whole
            KnobValues current;
            std::function<void(size_t)> walk = [&](size_t i) {
                if (i == space.knobs().size()) {
                    for (const KnobRule &r : space.rules())
                        if (!r.holds(current)) return;
                    whole.push_back(current);
                    return;
                }
                for (int v : space.knobs()[i].candidates) {
                    current[space.knobs()[i].name] = v;
                    walk(i + 1);
                }
            };
            walk(0);
            EXPECT_EQ(space.points(), whole) << variant << " " << shape_class;
        }
    }
}

// The runtime's size checks count a kernel's buffers with the slack these bounds
// allow (common/conv_contract.h): a candidate past them would let a layer
// through the checks and fail inside the kernel.
TEST(KnobSpace, TilesStayWithinTheBoundsTheSizeChecksAssume) {
    // Per knob, the most it may be, in the lanes of the target's vectors it is counted in.
    const std::map<std::string, std::pair<int, bool>> most = {
        {"tile_x", {kMaxTileColumns, false}},
        {"tile_y", {kMaxTileRows, false}},
        {"winograd_tile_x", {kMaxWinogradTileColumns / 2, false}},  // 2 x 2 outputs a tile
        {"winograd_tile_y", {kMaxTileRows / 2, false}},
        {"grouped_vectors", {kMaxGroupedColumns, true}},
        {"channel_vectors", {kPackedChannelAlignment, true}}};
    std::set<std::string> seen;
    for (const std::string &variant : knob_space_variants())
        for (const std::string &shape_class : knob_space_shape_classes(variant))
            for (const std::string &key : database_keys()) {
                const TargetFacts facts = facts_of(key);
                EXPECT_LE(facts.vector_floats, kMaxVectorFloats) << key;
                const KnobSpace space = knob_space(variant, facts, shape_class);
                for (const Knob &k : space.knobs()) {
                    const auto bound = most.find(k.name);
                    if (bound == most.end()) continue;
                    seen.insert(k.name);
                    const int largest = *std::max_element(k.candidates.begin(), k.candidates.end());
                    const auto [limit, in_vectors] = bound->second;
                    EXPECT_LE(in_vectors ? largest * facts.vector_floats : largest, limit)
                        << variant << " " << k.name << " on " << key;
                }
            }
    // A renamed knob would otherwise go unchecked.
    for (const auto &[name, _] : most) EXPECT_TRUE(seen.count(name)) << "no space declares " << name;
}

TEST(KnobSpace, ShippedRecordsLieInTheirSpaces) {
    const ScheduleDatabase db = ScheduleDatabase::load(CONVFORGE_SCHEDULE_DB);
    ASSERT_FALSE(db.records().empty());
    for (const ScheduleRecord &r : db.records()) {
        TargetFacts facts;
        ASSERT_TRUE(target_facts_for_key(r.target, facts)) << r.target;
        EXPECT_EQ(error_of([&] { knob_space(r.variant, facts, r.shape_class).resolve(r.knobs); }), "")
            << r.target << "/" << r.variant << "/" << r.shape_class;
    }
}

TEST(KnobSpace, UnknownVariantOrShapeClass) {
    EXPECT_NE(error_of([] { knob_space("nosuchvariant", facts_of("x86-64-avx2"), "dense"); }).find("variant 'nosuchvariant'"),
              std::string::npos);
    EXPECT_NE(error_of([] { knob_space("conv", facts_of("x86-64-avx2"), "sparse"); }).find("shape class 'sparse'"),
              std::string::npos);
    // A key that shares another's space is named itself, with its own classes.
    const std::string exact = error_of([] { knob_space("dsconv_exact", facts_of("x86-64-avx2"), "sparse"); });
    EXPECT_EQ(exact.rfind("dsconv_exact has no shape class 'sparse' (known: ", 0), 0u) << exact;
    EXPECT_NE(exact.find("dense"), std::string::npos) << exact;
}

TEST(KnobSpace, KnobTextIsStrict) {
    EXPECT_EQ(parse_knob_text("tile_x:3,tile_y:2"), (KnobValues{{"tile_x", 3}, {"tile_y", 2}}));
    EXPECT_NE(error_of([] { parse_knob_text("tile_x:3,tile_x:4"); }).find("given twice"), std::string::npos);
    EXPECT_NE(error_of([] { parse_knob_text("tile_x=3"); }).find("not name:value"), std::string::npos);
    EXPECT_NE(error_of([] { parse_knob_text("tile_x:-1"); }).find("non-negative integer"), std::string::npos);
    EXPECT_NE(error_of([] { parse_knob_text("tile_x:3x"); }).find("non-negative integer"), std::string::npos);
}

}  // namespace
}  // namespace convforge
