// A native baseline for the boundary-overhead benchmark.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <chrono>


extern "C" double ct_bench_native_add_seconds(int64_t iterations) {
  try {
    at::Tensor a = at::ones({1});
    at::Tensor b = at::ones({1});
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; i++) {
      // A heap-allocated result, as the shim returns, so both sides pay for the same allocation.
      ct_tensor r = ctorch::wrap(at::add(a, b));
      delete r;
    }
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
    return d.count();
  } catch (const std::exception &e) {
    ctorch::set_error(e.what());
    return -1;
  }
}
