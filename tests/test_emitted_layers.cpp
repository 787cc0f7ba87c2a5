// Kernels emitted for one layer spec at build time (convforge_add_layer_library),
// run through the runtime against the naive reference, and refusing other layers.
#include <gtest/gtest.h>

#include "emitted_condconv_dense_layer.h"
#include "emitted_condconv_grouped_layer.h"
#include "emitted_condconv_per_image_layer.h"
#include "emitted_dense_chunked_layer.h"
#include "emitted_dense_layer.h"
#include "emitted_odconv_dense_layer.h"
#include "emitted_odconv_depthwise_layer.h"
#include "emitted_odconv_per_image_layer.h"
#include "emitted_dense_one_pass_layer.h"
#include "emitted_dsconv_int_grouped_layer.h"
#include "emitted_dsconv_exact_layer.h"
#include "emitted_dsconv_exact_chunked_layer.h"
#include "emitted_dsconv_exact_grouped_layer.h"
#include "emitted_dsconv_int_layer.h"
#include "emitted_dsconv_int_per_image_layer.h"
#include "emitted_dsconv_int_grouped_per_image_layer.h"
#include "emitted_saconv_chunked_layer.h"
#include "emitted_saconv_one_pass_layer.h"
#include "emitted_saconv_per_image_layer.h"
#include "emitted_saconv_s2_per_image_layer.h"
#include "emitted_saconv_winograd_chunked_layer.h"
#include "emitted_saconv_winograd_dilated_layer.h"
#include "emitted_saconv_winograd_large_chunked_layer.h"
#include "emitted_saconv_winograd_layer.h"
#include "emitted_spconv_s1_layer.h"
#include "emitted_spconv_s2_layer.h"
#include "emitted_spconv_s2_per_image_layer.h"
#include "emitted_wide_groups_layer.h"
#include "naive_reference.h"

#ifndef CONVFORGE_TEST_LAYERS
#error "CONVFORGE_TEST_LAYERS must name tests/layers"
#endif

namespace convforge {
namespace {

void expect_matches_reference(const std::string &spec_file, const EmittedKernel &kernel, std::vector<int64_t> shape) {
    const LayerSpec s = load_layer_spec(std::string(CONVFORGE_TEST_LAYERS) + "/" + spec_file);
    const WeightMap w = testing::random_weights_for(s, 77);
    const Tensor x = testing::random_input(shape, 78);
    const PreparedLayer layer = prepare_layer(s, w);
    EXPECT_EQ(testing::compare(run_layer_with(layer, x, kernel), testing::naive_forward(s, w, x)), "");
}

TEST(EmittedLayer, DenseMatchesReference) { expect_matches_reference("dense.json", CONVFORGE_EMITTED_KERNEL(emitted_dense_layer), {2, 12, 17, 19}); }

TEST(EmittedLayer, WideGroupsMatchReference) {
    expect_matches_reference("wide_groups.json", CONVFORGE_EMITTED_KERNEL(emitted_wide_groups_layer), {2, 32, 13, 11});
}

TEST(EmittedLayer, DenseInOnePassMatchesReference) {
    expect_matches_reference("dense.json", CONVFORGE_EMITTED_KERNEL(emitted_dense_one_pass_layer), {2, 12, 17, 19});
}

TEST(EmittedLayer, SaconvInOnePassMatchesReference) {
    expect_matches_reference("saconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_one_pass_layer),
                             {2, 24, 13, 11});
}

// 17 x 19 at stride 2 is 9 x 10 output: register tiles of 3 x 2 and bands of 2
// tile rows leave partial tiles and a partial band.
TEST(EmittedLayer, DenseInChunksMatchesReference) {
    expect_matches_reference("dense.json", CONVFORGE_EMITTED_KERNEL(emitted_dense_chunked_layer), {2, 12, 17, 19});
}

TEST(EmittedLayer, SaconvInChunksMatchesReference) {
    expect_matches_reference("saconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_chunked_layer),
                             {2, 24, 13, 11});
}

// 13 x 11 and 8 x 9 leave partial Winograd tiles and register tiles (at dilation 3
// and 6, partial blocks of 6 and 12 columns); 40 output channels a partial channel tile.
TEST(EmittedLayer, SaconvWinogradMatchesReference) {
    for (const std::vector<int64_t> &shape : {std::vector<int64_t>{2, 24, 13, 11}, {3, 24, 8, 9}}) {
        expect_matches_reference("saconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_winograd_layer), shape);
        expect_matches_reference("saconv_dilated.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_winograd_dilated_layer),
                                 shape);
        expect_matches_reference("saconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_winograd_chunked_layer),
                                 shape);
        expect_matches_reference("saconv_dense.json",
                                 CONVFORGE_EMITTED_KERNEL(emitted_saconv_winograd_large_chunked_layer), shape);
    }
}

// One image at a time: 13 x 11 images are smaller than the weights (the
// channel-tile loop outermost within an image), 31 x 29 larger (inside each row
// task); at stride 2 both leave partial register tiles.
TEST(EmittedLayer, SaconvPerImageMatchesReference) {
    for (const std::vector<int64_t> &shape : {std::vector<int64_t>{3, 24, 13, 11}, {2, 24, 31, 29}}) {
        expect_matches_reference("saconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_per_image_layer), shape);
        expect_matches_reference("saconv_s2.json", CONVFORGE_EMITTED_KERNEL(emitted_saconv_s2_per_image_layer), shape);
    }
}

// Batches of 3 whose images route differently; 13 x 11 leaves partial register
// tiles, 40 channels a partial channel tile.
TEST(EmittedLayer, CondconvMatchesReference) {
    expect_matches_reference("condconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_condconv_dense_layer),
                             {3, 24, 13, 11});
    expect_matches_reference("condconv_grouped.json", CONVFORGE_EMITTED_KERNEL(emitted_condconv_grouped_layer),
                             {3, 24, 13, 11});
}

// One image at a time: each image's whole kernel is mixed at the loop over images
// (per_image_db.json), so every image must still get its own.
TEST(EmittedLayer, DynamicConvsOneImageAtATimeMatchReference) {
    expect_matches_reference("condconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_condconv_per_image_layer),
                             {3, 24, 13, 11});
    expect_matches_reference("odconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_odconv_per_image_layer),
                             {3, 24, 13, 11});
}

TEST(EmittedLayer, OdconvMatchesReference) {
    expect_matches_reference("odconv_dense.json", CONVFORGE_EMITTED_KERNEL(emitted_odconv_dense_layer), {3, 24, 13, 11});
    expect_matches_reference("odconv_depthwise.json", CONVFORGE_EMITTED_KERNEL(emitted_odconv_depthwise_layer),
                             {3, 24, 13, 11});
}

// DSConv's integer mode emitted for one layer: the block size and geometry fixed,
// ragged blocks padded to 4 channels, a grouped layer as one call per group.
TEST(EmittedLayer, DsconvIntegerModeMatchesReference) {
    expect_matches_reference("dsconv_int.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_int_layer), {2, 20, 9, 11});
    expect_matches_reference("dsconv_int_grouped.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_int_grouped_layer),
                             {3, 16, 13, 10});
}

// The same one image at a time: each image's pixel passes, then its row tasks.
TEST(EmittedLayer, DsconvIntegerModeImageAtATimeMatchesReference) {
    expect_matches_reference("dsconv_int.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_int_per_image_layer),
                             {2, 20, 9, 11});
    expect_matches_reference("dsconv_int_grouped.json",
                             CONVFORGE_EMITTED_KERNEL(emitted_dsconv_int_grouped_per_image_layer), {3, 16, 13, 10});
}

// DSConv's exact mode emitted for one layer: the levels expanded in the kernel,
// ragged blocks, the shifts and BatchNorm folded; a grouped layer on the grouped path.
TEST(EmittedLayer, DsconvExactModeMatchesReference) {
    expect_matches_reference("dsconv_exact.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_exact_layer), {2, 20, 9, 11});
    expect_matches_reference("dsconv_exact_grouped.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_exact_grouped_layer),
                             {3, 12, 13, 10});
}

// The same reduced in chunks of 8 channels (edges inside blocks of 6), each chunk
// of the kernel expanded in the task that reads it.
TEST(EmittedLayer, DsconvExactModeChunkedMatchesReference) {
    expect_matches_reference("dsconv_exact.json", CONVFORGE_EMITTED_KERNEL(emitted_dsconv_exact_chunked_layer),
                             {2, 20, 9, 11});
}

// 20 output channels in groups of 10: register tiles straddle the groups and the
// last channel; 13 x 11 leaves partial pixel tiles.
TEST(EmittedLayer, SpconvMatchesReference) {
    expect_matches_reference("spconv_s1.json", CONVFORGE_EMITTED_KERNEL(emitted_spconv_s1_layer), {2, 24, 13, 11});
    expect_matches_reference("spconv_s2.json", CONVFORGE_EMITTED_KERNEL(emitted_spconv_s2_layer), {3, 16, 14, 10});
    expect_matches_reference("spconv_s2.json", CONVFORGE_EMITTED_KERNEL(emitted_spconv_s2_per_image_layer),
                             {3, 16, 14, 10});
}

// Another ratio moves the split: the emitted kernel refuses it, here already at
// Halide's bounds check of the smaller gwc weights (before the geometry check).
TEST(EmittedLayer, SpconvRefusesAnotherSplit) {
    LayerSpec other = load_layer_spec(std::string(CONVFORGE_TEST_LAYERS) + "/spconv_s1.json");
    other.params["ratio"] = 0.25;
    const PreparedLayer layer = prepare_layer(other, testing::random_weights_for(other, 81));
    try {
        run_layer_with(layer, testing::random_input({1, 24, 9, 9}, 82), CONVFORGE_EMITTED_KERNEL(emitted_spconv_s1_layer));
        ADD_FAILURE() << "the kernel ran a split it was not emitted for";
    } catch (const Error &e) {
        const std::string message = e.what();
        EXPECT_TRUE(message.find("arguments differ") != std::string::npos ||
                    message.find("Input buffer weights is accessed") != std::string::npos)
            << message;
    }
}

TEST(EmittedLayer, RefusesAnotherLayer) {
    const LayerSpec s = load_layer_spec(std::string(CONVFORGE_TEST_LAYERS) + "/dense.json");
    LayerSpec other = s;
    other.stride = 1;
    const PreparedLayer layer = prepare_layer(other, testing::random_weights_for(other, 79));
    try {
        run_layer_with(layer, testing::random_input({1, 12, 9, 9}, 80), CONVFORGE_EMITTED_KERNEL(emitted_dense_layer));
        ADD_FAILURE() << "the kernel ran a layer it was not emitted for";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("arguments differ"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace convforge
