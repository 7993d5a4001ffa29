// Creating tensors, reading their metadata, converting and copying them to the host.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <ATen/Context.h>
#include <cmath>
#include <cstring>


using namespace ctorch;

extern "C" {

void ct_free(ct_tensor t) { delete t; }

ct_tensor ct_zeros(const int64_t *shape, int ndim, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::zeros(ints(shape, ndim), options(dtype, dt, di)))
}
ct_tensor ct_ones(const int64_t *shape, int ndim, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::ones(ints(shape, ndim), options(dtype, dt, di)))
}
ct_tensor ct_full(const int64_t *shape, int ndim, double value, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::full(ints(shape, ndim), value, options(dtype, dt, di)))
}
ct_tensor ct_randn(const int64_t *shape, int ndim, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::randn(ints(shape, ndim), options(dtype, dt, di)))
}
ct_tensor ct_rand(const int64_t *shape, int ndim, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::rand(ints(shape, ndim), options(dtype, dt, di)))
}
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int dt, int di) {
  CT_TENSOR_BODY(at::randint(low, high, ints(shape, ndim), options(CT_INT64, dt, di)))
}
ct_tensor ct_randperm(int64_t n, int dt, int di) {
  CT_TENSOR_BODY(at::randperm(n, options(CT_INT64, dt, di)))
}
ct_tensor ct_arange(double start, double end, double step, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::arange(start, end, step, options(dtype, dt, di)))
}
ct_tensor ct_eye(int64_t n, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::eye(n, options(dtype, dt, di)))
}
ct_tensor ct_scalar_tensor(double value, int dtype, int dt, int di) {
  CT_TENSOR_BODY(at::scalar_tensor(value, options(dtype, dt, di)))
}
ct_tensor ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype) {
  try {
    at::Tensor t = at::empty(ints(shape, ndim), options(dtype, CT_CPU, 0));
    size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
    if (bytes > 0) std::memcpy(t.data_ptr(), data, bytes);
    return wrap(t);
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}
int ct_manual_seed(uint64_t seed) { CT_STATUS_BODY({ at::manual_seed(seed); }) }

int ct_ndim(ct_tensor t) { return static_cast<int>(t->t.dim()); }
void ct_shape(ct_tensor t, int64_t *out) {
  auto s = t->t.sizes();
  for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
}
int64_t ct_numel(ct_tensor t) { return t->t.numel(); }
int ct_dtype(ct_tensor t) { return dtype_code(t->t.scalar_type()); }
int ct_device_type(ct_tensor t) { return t->t.device().is_cuda() ? CT_CUDA : CT_CPU; }
int ct_device_index(ct_tensor t) { return t->t.device().has_index() ? t->t.device().index() : 0; }
int ct_is_contiguous(ct_tensor t) { return t->t.is_contiguous() ? 1 : 0; }

ct_tensor ct_to_dtype(ct_tensor t, int dtype) { CT_TENSOR_BODY(ref(t).to(scalar_type(dtype))) }
ct_tensor ct_to_device(ct_tensor t, int dt, int di, int non_blocking) {
  CT_TENSOR_BODY(ref(t).to(device(dt, di), non_blocking != 0))
}
ct_tensor ct_contiguous(ct_tensor t) { CT_TENSOR_BODY(ref(t).contiguous()) }
ct_tensor ct_clone(ct_tensor t) { CT_TENSOR_BODY(ref(t).clone()) }

int ct_copy_to_host(ct_tensor t, void *dst, size_t bytes) {
  CT_STATUS_BODY({
    at::Tensor c = ref(t).detach().to(at::kCPU).contiguous();
    size_t need = static_cast<size_t>(c.numel()) * c.element_size();
    if (need != bytes)
      throw std::invalid_argument("ct_copy_to_host: destination holds " + std::to_string(bytes) +
                                  " bytes but the tensor has " + std::to_string(need));
    if (need > 0) std::memcpy(dst, c.data_ptr(), need);
  })
}

double ct_item_double(ct_tensor t) {
  try {
    return ref(t).item<double>();
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return NAN;
}

int ct_cuda_is_available(void) { return at::hasCUDA() ? 1 : 0; }
int ct_cuda_device_count(void) {
  try {
    return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0;
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception while counting GPUs");
  }
  return -1;
}

}  // extern "C"
