// Intra-op thread control. libtorch here is built on OpenMP: at::set_num_threads stores a
// process-wide default *and* calls omp_set_num_threads, whose effect (the nthreads ICV) belongs
// to the calling thread only. A thread's first parallel op lazily re-applies the process-wide
// default, which would overwrite an earlier per-thread choice, so ct_set_num_threads forces that
// lazy initialisation first. The result: each OS thread (pipeline worker) keeps its own count.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <omp.h>


extern "C" {

int ct_set_num_threads(int n) {
  CT_STATUS_BODY({
    if (n < 1) throw std::invalid_argument("the thread count must be at least 1, got " + std::to_string(n));
    (void)at::get_num_threads();  // runs this thread's lazy init now, not after our setting
    at::set_num_threads(n);
  })
}

int ct_get_num_threads(void) { return at::get_num_threads(); }

const char *ct_blas_core_name(void) {
  // libtorch reaches OpenBLAS through libblas.so.3; ask the loaded library, if it is OpenBLAS.
  using CoreName = char *(*)();
  auto f = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return f ? f() : "";
}

int ct_measure_parallel_width(void) {
  // libtorch's parallel regions (compiled by gcc against libgomp) ask for omp_get_max_threads()
  // threads, read from the calling thread's ICV. We can't open a region ourselves: Swift's clang
  // would emit calls into LLVM's libomp, which is not the runtime libtorch uses.
  (void)at::get_num_threads();
  return omp_get_max_threads();
}

}  // extern "C"
