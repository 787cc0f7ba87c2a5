// libFuzzer target: the layer spec parser (from its file, as the CLI reads it),
// then the output shape of a fixed input under the parsed spec.
#include "convforge/convforge.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace convforge;
    try {
        const LayerSpec spec = load_layer_spec(fuzzing::input_file(data, size));
        output_shape(spec, {2, spec.in_channels, 17, 13});
    } catch (const Error &) {
    }
    return 0;
}
