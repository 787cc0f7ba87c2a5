#include "block_cache.h"

#include <map>
#include <mutex>
#include <unordered_map>

#include "HalideRuntime.h"

namespace convforge {

namespace {

constexpr size_t kCachedMinBytes = size_t(256) << 10;  // smaller blocks stay on the heap
constexpr size_t kCachedMaxTotal = size_t(512) << 20;  // bytes kept for reuse at most

class BlockCache {
public:
    // Blocks parked in the cache at exit go back to the heap, so a leak checker
    // sees nothing left over from a correct run. Halide's own allocator takes over
    // again: a block still live is freed by it correctly (it came from it), and
    // nothing reaches this destroyed object.
    ~BlockCache() {
        halide_set_custom_malloc(halide_default_malloc);
        halide_set_custom_free(halide_default_free);
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto &[size, block] : free_blocks_) halide_default_free(nullptr, block);
        free_blocks_.clear();
    }

    void *allocate(void *user_context, size_t size) {
        if (size < kCachedMinBytes) return halide_default_malloc(user_context, size);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // The smallest cached block that fits, if it wastes at most half of itself.
            auto it = free_blocks_.lower_bound(size);
            if (it != free_blocks_.end() && it->first <= 2 * size) {
                void *block = it->second;
                cached_bytes_ -= it->first;
                free_blocks_.erase(it);
                return block;
            }
        }
        void *block = halide_default_malloc(user_context, size);
        if (block) {
            std::lock_guard<std::mutex> lock(mutex_);
            block_sizes_[block] = size;
        }
        return block;
    }

    void release(void *user_context, void *ptr) {
        if (!ptr) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = block_sizes_.find(ptr);
            if (it != block_sizes_.end()) {
                if (cached_bytes_ + it->second <= kCachedMaxTotal) {
                    free_blocks_.emplace(it->second, ptr);
                    cached_bytes_ += it->second;
                    return;
                }
                block_sizes_.erase(it);
            }
        }
        halide_default_free(user_context, ptr);
    }

private:
    std::mutex mutex_;
    std::multimap<size_t, void *> free_blocks_;       // size -> block, ready for reuse
    std::unordered_map<void *, size_t> block_sizes_;  // every live or cached large block
    size_t cached_bytes_ = 0;
};

BlockCache cache;

void *cached_malloc(void *user_context, size_t size) { return cache.allocate(user_context, size); }
void cached_free(void *user_context, void *ptr) { cache.release(user_context, ptr); }

}  // namespace

void install_block_cache() {
    static std::once_flag once;
    std::call_once(once, [] {
        halide_set_custom_malloc(cached_malloc);
        halide_set_custom_free(cached_free);
    });
}

}  // namespace convforge
