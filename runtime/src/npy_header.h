// The header of an NPY v1.0 file: a Python dict literal with exactly the keys
// 'descr', 'fortran_order' and 'shape'. Parsed in one bounded left-to-right pass
// (no regex, no recursion), as strictly as numpy reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convforge {

struct NpyHeader {
    std::string descr;  // e.g. "<f4"
    bool fortran_order = false;
    std::vector<int64_t> shape;
};

// Throws Error("<where>: header ...") naming what is wrong.
NpyHeader parse_npy_header(const std::string &text, const std::string &where);

}  // namespace convforge
