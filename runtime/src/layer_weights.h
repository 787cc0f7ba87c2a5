// The check that a weight file holds exactly the weights a layer expects
// (expected_weights(): official state_dict key names, shapes and dtypes).
#pragma once

#include <string>
#include <vector>

#include "convforge/convforge.h"
#include "variant.h"

namespace convforge {

// Bytes per element of a safetensors dtype convforge reads ("F32", "I8", "I64"); 0 otherwise.
size_t dtype_size(const std::string &dtype);

// Throws naming the key: missing, unknown, wrong dtype or wrong shape, a float
// not finite or an integer outside its range. Where the variant's weights come in
// several forms, the file's dtype of their first key picks the form.
// `*.num_batches_tracked` entries are accepted and ignored.
void check_weights(const LayerSpec &spec, const WeightMap &weights);

}  // namespace convforge
