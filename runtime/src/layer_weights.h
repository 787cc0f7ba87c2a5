// The weights each variant expects (official state_dict key names) and the check
// that a weight file holds exactly those.
#pragma once

#include <string>
#include <vector>

#include "convforge/convforge.h"

namespace convforge {

struct ExpectedTensor {
    std::string key;
    std::vector<int64_t> shape;
    std::string dtype = "F32";
    bool optional = false;  // may be absent (e.g. DO-Conv's d_diag, rebuilt when missing)
};

std::vector<ExpectedTensor> expected_weights(const LayerSpec &spec);

// Bytes per element of a safetensors dtype convforge reads ("F32", "I8", "I64"); 0 otherwise.
size_t dtype_size(const std::string &dtype);

// Throws naming the key: missing, unknown, wrong dtype or wrong shape.
// `*.num_batches_tracked` entries are accepted and ignored.
void check_weights(const LayerSpec &spec, const WeightMap &weights);

}  // namespace convforge
