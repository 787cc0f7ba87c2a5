// Runs a DO-Conv layer through the kernel this application emitted for itself
// (doconv_layer.h), checks it against the expected output, and shows that the
// kernel refuses arguments of another layer. Nothing here is DO-Conv's: the same
// code runs a layer of any variant, given its spec, weights and emitted kernel.
//
// usage: layer_app layer.json DATA_DIR   (DATA_DIR holds weights.safetensors,
//        input.npy and expected.npy, e.g. from reference/make_golden.py --spec)
#include <cmath>
#include <cstdio>
#include <string>

#include "convforge/convforge.h"
#include "doconv_layer.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s layer.json DATA_DIR\n", argv[0]);
        return 2;
    }
    const std::string data = argv[2];
    try {
        const convforge::LayerSpec spec = convforge::load_layer_spec(argv[1]);
        const convforge::WeightMap weights = convforge::load_safetensors(data + "/weights.safetensors");
        const convforge::PreparedLayer layer = convforge::prepare_layer(spec, weights);  // checks, folds, packs
        const convforge::EmittedKernel kernel = CONVFORGE_EMITTED_KERNEL(doconv_layer);
        const convforge::Tensor x = convforge::load_npy(data + "/input.npy");
        const convforge::Tensor y = convforge::run_layer_with(layer, x, kernel);
        const convforge::Tensor expected = convforge::load_npy(data + "/expected.npy");

        double worst = 0;
        for (size_t i = 0; i < y.data.size(); ++i) {
            const double excess = std::fabs(y.data[i] - expected.data[i]) - (1e-4 + 1e-4 * std::fabs(expected.data[i]));
            worst = std::max(worst, excess);
        }
        std::printf("layer_app: %zu outputs, %s\n", y.data.size(), worst <= 0 ? "all within tolerance" : "MISMATCH");
        if (y.shape != expected.shape || worst > 0) return 1;

        // The emitted kernel is specialized to layer.json: other geometry is refused.
        convforge::LayerSpec other = spec;
        other.stride = 2;
        try {
            convforge::run_layer_with(convforge::prepare_layer(other, weights), x, kernel);
            std::printf("layer_app: kernel accepted a stride it was not emitted for\n");
            return 1;
        } catch (const convforge::Error &e) {
            std::printf("layer_app: refused other geometry as expected: %s\n", e.what());
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "layer_app: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
