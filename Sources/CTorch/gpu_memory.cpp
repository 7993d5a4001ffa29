// Peak GPU memory per device, from libtorch's CUDA caching allocator. libtorch 2.x exposes its
// statistics through the device-generic c10::CachingDeviceAllocator (no CUDA header needed);
// 1.13 has no such interface (its statistics need the CUDA headers, and Debian's 1.13 is a CPU
// build anyway), so there the calls say the statistics are not available.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#if __has_include(<c10/core/CachingDeviceAllocator.h>)
#include <c10/core/CachingDeviceAllocator.h>
#define CT_HAS_DEVICE_ALLOCATOR_STATS 1
#endif

#ifndef CT_HAS_DEVICE_ALLOCATOR_STATS
static const char *no_statistics =
    "this libtorch (1.x) does not expose the CUDA allocator's statistics; build against libtorch 2.x";
#endif

extern "C" {

int ct_gpu_memory_stats_available(void) {
#ifdef CT_HAS_DEVICE_ALLOCATOR_STATS
  return 1;
#else
  return 0;
#endif
}

int ct_gpu_peak_allocated_bytes(int device_index, int64_t *out) {
  CT_STATUS_BODY({
#ifdef CT_HAS_DEVICE_ALLOCATOR_STATS
    auto stats = c10::getDeviceAllocator(c10::DeviceType::CUDA)->getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
    *out = stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
#else
    (void)device_index;
    (void)out;
    throw std::runtime_error(no_statistics);
#endif
  })
}

int ct_gpu_reset_peak(int device_index) {
  CT_STATUS_BODY({
#ifdef CT_HAS_DEVICE_ALLOCATOR_STATS
    c10::getDeviceAllocator(c10::DeviceType::CUDA)->resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
#else
    (void)device_index;
    throw std::runtime_error(no_statistics);
#endif
  })
}

}  // extern "C"
