// libFuzzer target: the safetensors reader, then the weight check of a layer that
// could use what was read. Only convforge::Error may come out; anything else
// (another exception, a crash, a sanitizer report) is a finding.
#include "convforge/convforge.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace convforge;
    static const LayerSpec spec = parse_layer_spec(
        R"({"variant":"conv","in_channels":2,"out_channels":3,"kernel_size":3,"bias":true,"epilogue":{"batchnorm":true}})");
    try {
        const WeightMap weights = load_safetensors(fuzzing::input_file(data, size));
        prepare_layer(spec, weights);
    } catch (const Error &) {
    }
    return 0;
}
