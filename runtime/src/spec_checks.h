// The checks a layer spec passes, whether it was parsed from JSON or built in code
// and handed to prepare_layer.
#pragma once

#include <string>

#include "convforge/convforge.h"

namespace convforge {

// Field ranges, divisibility, the variant's own rules and the size limits; throws
// Error prefixed with `origin`.
void check_layer_spec(const LayerSpec &spec, const std::string &origin);

}  // namespace convforge
