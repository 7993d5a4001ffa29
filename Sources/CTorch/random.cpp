// Random generators a thread can own, so that dropout on one worker draws from its own stream:
// what a worker draws then depends only on the work it ran, not on how threads interleave, and
// its state can be saved in a checkpoint and restored (an exact resume).
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <ATen/CPUGeneratorImpl.h>

#include <mutex>


using namespace ctorch;

struct ct_generator_s {
  at::Generator g;
};

namespace ctorch {
// The calling thread's generator for dropout (null: libtorch's global one).
thread_local at::Generator *current_generator = nullptr;
at::Generator *thread_generator() { return current_generator; }
}  // namespace ctorch

extern "C" {

ct_generator ct_generator_new(uint64_t seed) {
  try {
    return new ct_generator_s{at::make_generator<at::CPUGeneratorImpl>(seed)};
  } catch (const std::exception &e) {
    ctorch::set_error(e.what());
    return nullptr;
  }
}

void ct_generator_free(ct_generator g) { delete g; }

ct_tensor ct_generator_get_state(ct_generator g) {
  CT_TENSOR_BODY([g] {
    std::lock_guard<std::mutex> lock(g->g.mutex());
    return g->g.get_state();
  }())
}

int ct_generator_set_state(ct_generator g, ct_tensor state) {
  CT_STATUS_BODY({
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_state(ref(state));
  })
}

void ct_use_generator_on_this_thread(ct_generator g) { ctorch::current_generator = g ? &g->g : nullptr; }

}  // extern "C"
