// A caching allocator for libtorch's CPU tensors (see Torch/HostMemory.swift for why).
//
// Blocks of 128 KiB and more (glibc's default mmap threshold: smaller ones it always serves from
// its heap and reuses from its bins) are rounded up — to whole 64 KiB below 1 MiB, to whole MiB
// above — and, when freed, kept in a free list by size instead of going back to glibc; the next
// request of the same rounded size gets one back with its pages already mapped. Smaller blocks
// go straight to c10::alloc_cpu / free_cpu. Cached bytes are bounded by a limit; a block that would
// exceed it is freed. The context of every DataPtr is its data pointer, so raw_allocate and
// raw_deallocate work as with libtorch's default allocator.
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "internal.h"

namespace {

constexpr size_t kMiB = size_t(1) << 20;
constexpr size_t kMinCached = size_t(128) << 10;
constexpr size_t kSmallRounding = size_t(64) << 10;

// The size a cacheable request is served with: few distinct sizes, at most 50% larger.
size_t rounded(size_t n) {
  size_t unit = n < kMiB ? kSmallRounding : kMiB;
  return (n + unit - 1) / unit * unit;
}

class CachingHostAllocator final : public c10::Allocator {
 public:
  // Never destroyed: tensors that outlive static destruction still free through it.
  static CachingHostAllocator &instance() {
    static auto *allocator = new CachingHostAllocator();
    return *allocator;
  }

  c10::DataPtr allocate(size_t n) const override {
    void *p = instance().take(n);
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  void set_limit(size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    limit_ = bytes;
    trim_locked(limit_);
  }

  void empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    trim_locked(0);
  }

  ct_host_cache_stats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {int64_t(cached_bytes_), int64_t(free_.size()), int64_t(live_bytes_), hits_, misses_, int64_t(limit_)};
  }

 private:
  static void release(void *p) { instance().give_back(p); }

  void *take(size_t n) {
    if (n < kMinCached) return c10::alloc_cpu(n);
    size_t size = rounded(n);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end()) {
        void *p = it->second;
        free_.erase(it);
        cached_bytes_ -= size;
        live_.emplace(p, size);
        live_bytes_ += size;
        hits_ += 1;
        return p;
      }
      misses_ += 1;
    }
    void *p = c10::alloc_cpu(size);  // throws c10::Error when out of memory
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      live_.emplace(p, size);
    } catch (...) {  // the map could not grow: hand the block back rather than lose it
      c10::free_cpu(p);
      throw;
    }
    live_bytes_ += size;
    return p;
  }

  void give_back(void *p) {
    if (p == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(p);
      if (it != live_.end()) {
        size_t size = it->second;
        live_.erase(it);
        live_bytes_ -= size;
        if (cached_bytes_ + size <= limit_) {
          free_.emplace(size, p);
          cached_bytes_ += size;
          return;
        }
      }
    }
    c10::free_cpu(p);  // a small block, or a large one the limit has no room for
  }

  void trim_locked(size_t target) {
    // Largest blocks first: fewest frees to get under the target.
    while (cached_bytes_ > target && !free_.empty()) {
      auto last = std::prev(free_.end());
      cached_bytes_ -= last->first;
      c10::free_cpu(last->second);
      free_.erase(last);
    }
  }

  std::mutex mutex_;
  std::unordered_map<void *, size_t> live_;  // large blocks in use -> rounded size
  std::multimap<size_t, void *> free_;       // cached blocks by rounded size
  size_t cached_bytes_ = 0, live_bytes_ = 0, limit_ = 0;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace

extern "C" {

int ct_host_cache_enable(int64_t limit_bytes) {
  CT_STATUS_BODY({
    if (limit_bytes < 0) throw std::invalid_argument("the host cache limit must be at least 0 bytes, got " + std::to_string(limit_bytes));
    auto &cache = CachingHostAllocator::instance();
    cache.set_limit(size_t(limit_bytes));
    // Priority 1 outranks the default allocator's registration (priority 0).
    c10::SetCPUAllocator(&cache, 1);
  })
}

void ct_host_cache_disable(void) {
  c10::SetCPUAllocator(c10::GetDefaultCPUAllocator(), 1);
  // Blocks in use still come back through the cache's deleter; with the limit at 0 they are freed.
  CachingHostAllocator::instance().set_limit(0);
}

int ct_host_cache_is_enabled(void) { return c10::GetCPUAllocator() == &CachingHostAllocator::instance(); }

void ct_host_cache_empty(void) { CachingHostAllocator::instance().empty(); }

ct_host_cache_stats ct_host_cache_get_stats(void) { return CachingHostAllocator::instance().stats(); }

}  // extern "C"
