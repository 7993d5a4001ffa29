// Shared helpers of the CTorch implementation files. Not part of the public header.
#pragma once
// libtorch's headers come in with -I (pkg-config's only include flag SwiftPM accepts), not as
// system headers, so their C++20-isms would warn under C++17 in every file. Each .cpp includes
// this header first.
#pragma clang diagnostic ignored "-Wc++20-extensions"
#include <ATen/ATen.h>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "ctorch.h"

struct ct_tensor_s {
  at::Tensor t;
};

namespace ctorch {

void set_error(const char *message);

inline ct_tensor wrap(at::Tensor t) { return new ct_tensor_s{std::move(t)}; }

// Hands several results to `out` at once: every handle, or — if making one throws — none, the
// ones already made freed, so a failure part-way leaks nothing.
inline void wrap_all(std::vector<at::Tensor> ts, ct_tensor *out) {
  std::vector<std::unique_ptr<ct_tensor_s>> made;
  made.reserve(ts.size());
  for (auto &t : ts) made.emplace_back(new ct_tensor_s{std::move(t)});
  for (size_t i = 0; i < made.size(); i++) out[i] = made[i].release();
}

inline at::ScalarType scalar_type(int dtype) {
  switch (dtype) {
    case CT_FLOAT32: return at::kFloat;
    case CT_FLOAT64: return at::kDouble;
    case CT_INT64: return at::kLong;
    case CT_BOOL: return at::kBool;
    case CT_UINT8: return at::kByte;
    case CT_INT32: return at::kInt;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

inline int dtype_code(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return CT_FLOAT32;
    case at::kDouble: return CT_FLOAT64;
    case at::kLong: return CT_INT64;
    case at::kBool: return CT_BOOL;
    case at::kByte: return CT_UINT8;
    case at::kInt: return CT_INT32;
    default: return -1;
  }
}

inline at::Device device(int type, int index) {
  if (type == CT_CPU) return at::Device(at::kCPU);
  if (type == CT_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  throw std::invalid_argument("unknown device type " + std::to_string(type));
}

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

inline at::IntArrayRef ints(const int64_t *p, int n) {
  return at::IntArrayRef(p, static_cast<size_t>(n));
}

// An optional tensor argument: NULL means "absent".
inline c10::optional<at::Tensor> opt(ct_tensor t) {
  if (t == nullptr) return c10::nullopt;
  return t->t;
}

// The generator dropout draws from on the calling thread (random.cpp); null: the global one.
at::Generator *thread_generator();

inline at::Tensor ref(ct_tensor t) {
  if (t == nullptr) throw std::invalid_argument("a required tensor argument is null");
  return t->t;
}

}  // namespace ctorch

// Every entry point body runs inside one of these. They turn any exception into a recorded
// message plus the function's failure value, so nothing propagates into Swift.
#define CT_TENSOR_BODY(...)                                   \
  try {                                                        \
    return ctorch::wrap(__VA_ARGS__);                               \
  } catch (const std::exception &e) {                          \
    ctorch::set_error(e.what());                               \
  } catch (...) {                                              \
    ctorch::set_error("unknown C++ exception in libtorch");    \
  }                                                            \
  return nullptr;

#define CT_STATUS_BODY(...)                                  \
  try {                                                        \
    __VA_ARGS__;                                                   \
    return 0;                                                  \
  } catch (const std::exception &e) {                          \
    ctorch::set_error(e.what());                               \
  } catch (...) {                                              \
    ctorch::set_error("unknown C++ exception in libtorch");    \
  }                                                            \
  return -1;
