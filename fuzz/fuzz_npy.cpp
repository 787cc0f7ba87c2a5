// libFuzzer target: the NPY reader, then the layer input checks of what it read.
#include "convforge/convforge.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace convforge;
    static const LayerSpec spec =
        parse_layer_spec(R"({"variant":"conv","in_channels":3,"out_channels":4,"kernel_size":3,"stride":2})");
    try {
        const Tensor t = load_npy(fuzzing::input_file(data, size));
        output_shape(spec, t.shape);
    } catch (const Error &) {
    }
    return 0;
}
