#include "block_cache.h"

#include <map>
#include <mutex>
#include <unordered_map>

#include "HalideRuntime.h"

namespace convforge {

namespace {

constexpr size_t kCachedMinBytes = size_t(256) << 10;  // smaller blocks stay on the heap
constexpr size_t kCachedMaxTotal = size_t(512) << 20;  // bytes kept for reuse at most

std::mutex cache_mutex;
std::multimap<size_t, void *> free_blocks;       // size -> block, ready for reuse
std::unordered_map<void *, size_t> block_sizes;  // every live or cached large block
size_t cached_bytes = 0;

void *cached_malloc(void *user_context, size_t size) {
    if (size < kCachedMinBytes) return halide_default_malloc(user_context, size);
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        // The smallest cached block that fits, if it wastes at most half of itself.
        auto it = free_blocks.lower_bound(size);
        if (it != free_blocks.end() && it->first <= 2 * size) {
            void *block = it->second;
            cached_bytes -= it->first;
            free_blocks.erase(it);
            return block;
        }
    }
    void *block = halide_default_malloc(user_context, size);
    if (block) {
        std::lock_guard<std::mutex> lock(cache_mutex);
        block_sizes[block] = size;
    }
    return block;
}

void cached_free(void *user_context, void *ptr) {
    if (!ptr) return;
    {
        std::lock_guard<std::mutex> lock(cache_mutex);
        auto it = block_sizes.find(ptr);
        if (it != block_sizes.end()) {
            if (cached_bytes + it->second <= kCachedMaxTotal) {
                free_blocks.emplace(it->second, ptr);
                cached_bytes += it->second;
                return;
            }
            block_sizes.erase(it);
        }
    }
    halide_default_free(user_context, ptr);
}

}  // namespace

void install_block_cache() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_custom_malloc(cached_malloc);
        halide_set_custom_free(cached_free);
    });
}

}  // namespace convforge
