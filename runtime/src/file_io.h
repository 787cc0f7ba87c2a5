// Whole-file reads and all-or-nothing writes shared by the NPY and safetensors code.
#pragma once

#include <string>
#include <vector>

namespace convforge {

std::vector<uint8_t> read_whole_file(const std::string &path, const char *what);
// Writes to a temporary file beside `path` and renames it into place; on any
// failure nothing is left behind. The directory must already exist.
void write_file_atomically(const std::string &path, const std::vector<uint8_t> &bytes, const char *what);

}  // namespace convforge
