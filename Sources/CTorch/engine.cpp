// Facts about the linked libtorch, for `scpl --version` and every benchmark's record.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <ATen/Context.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>

#include <string>


extern "C" {

// The version of the headers CTorch was compiled against (the same libtorch it links).
const char *ct_libtorch_version(void) { return TORCH_VERSION; }

int ct_has_mkl(void) { return at::globalContext().hasMKL() ? 1 : 0; }

int ct_cuda_compiled(void) {
  // The CUDA hooks are a stub unless libtorch_cuda is linked in; the stub cannot name a CUDA
  // runtime version.
  try {
    (void)at::detail::getCUDAHooks().versionCUDART();
    return 1;
  } catch (...) {
    return 0;
  }
}

// Exact float32 on GPUs: no TF32 in cuDNN convolutions or cuBLAS matrix products (cuDNN allows
// it by default), deterministic cuDNN algorithms, no autotuning; or libtorch's defaults again.
int ct_set_exact_gpu_math(int exact) {
  CT_STATUS_BODY({
    auto &ctx = at::globalContext();
    ctx.setAllowTF32CuDNN(!exact);
    ctx.setAllowTF32CuBLAS(false);
    ctx.setDeterministicCuDNN(exact != 0);
    ctx.setBenchmarkCuDNN(false);
  })
}

}  // extern "C"
