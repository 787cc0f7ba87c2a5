// Keeps the large scratch buffers kernels allocate (the padded input) for reuse
// across calls: freeing them to the OS and faulting fresh pages in on every call
// cost about a tenth of a small layer's time.
#pragma once

namespace convforge {

// Installs the cache as Halide's allocator; idempotent and thread-safe.
void install_block_cache();

}  // namespace convforge
