// Element-wise math, in-place updates, reductions, shape and indexing ops.
#include "internal.h"

using namespace ctorch;

namespace {

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_MATMUL: return at::matmul(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
  }
  throw std::invalid_argument("unknown binary op " + std::to_string(op));
}

at::Tensor binary_scalar(int op, const at::Tensor &a, const at::Scalar &s) {
  switch (op) {
    case CT_ADD: return at::add(a, s);
    case CT_SUB: return at::sub(a, s);
    case CT_MUL: return at::mul(a, s);
    case CT_DIV: return at::div(a, s);
    case CT_POW: return at::pow(a, s);
    case CT_MAXIMUM: return at::clamp_min(a, s);
    case CT_MINIMUM: return at::clamp_max(a, s);
    case CT_EQ: return at::eq(a, s);
    case CT_NE: return at::ne(a, s);
    case CT_LT: return at::lt(a, s);
    case CT_LE: return at::le(a, s);
    case CT_GT: return at::gt(a, s);
    case CT_GE: return at::ge(a, s);
    case CT_REMAINDER: return at::remainder(a, s);
  }
  throw std::invalid_argument("binary op " + std::to_string(op) + " has no scalar form");
}

at::Tensor unary(int op, const at::Tensor &a) {
  switch (op) {
    case CT_NEG: return at::neg(a);
    case CT_EXP: return at::exp(a);
    case CT_LOG: return at::log(a);
    case CT_SQRT: return at::sqrt(a);
    case CT_RSQRT: return at::rsqrt(a);
    case CT_ABS: return at::abs(a);
    case CT_RELU: return at::relu(a);
    case CT_SIGMOID: return at::sigmoid(a);
    case CT_TANH: return at::tanh(a);
    case CT_SIGN: return at::sign(a);
    case CT_FLOOR: return at::floor(a);
    case CT_CEIL: return at::ceil(a);
    case CT_ROUND: return at::round(a);
    case CT_SQUARE: return at::square(a);
    case CT_LOGICAL_NOT: return at::logical_not(a);
    case CT_SIN: return at::sin(a);
    case CT_COS: return at::cos(a);
    case CT_RECIPROCAL: return at::reciprocal(a);
  }
  throw std::invalid_argument("unknown unary op " + std::to_string(op));
}

at::OptionalIntArrayRef dims_or_all(const int64_t *dims, int n) {
  if (dims == nullptr || n == 0) return c10::nullopt;
  return ints(dims, n);
}

}  // namespace

extern "C" {

ct_tensor ct_binary(int op, ct_tensor a, ct_tensor b) { CT_TENSOR_BODY(binary(op, ref(a), ref(b))) }
ct_tensor ct_binary_scalar(int op, ct_tensor a, double s) {
  CT_TENSOR_BODY(binary_scalar(op, ref(a), at::Scalar(s)))
}
ct_tensor ct_scalar_binary(int op, double s, ct_tensor a) {
  CT_TENSOR_BODY(([&]() -> at::Tensor {
    const at::Tensor &x = ref(a);
    switch (op) {
      case CT_SUB: return at::rsub(x, s);
      case CT_DIV: return at::mul(at::reciprocal(x), s);
      case CT_POW: return at::pow(at::Scalar(s), x);
      default: return binary_scalar(op, x, at::Scalar(s));
    }
  }()))
}
ct_tensor ct_unary(int op, ct_tensor a) { CT_TENSOR_BODY(unary(op, ref(a))) }
ct_tensor ct_clamp(ct_tensor a, double mn, double mx, int has_min, int has_max) {
  CT_TENSOR_BODY(at::clamp(ref(a), has_min ? c10::optional<at::Scalar>(mn) : c10::nullopt,
                           has_max ? c10::optional<at::Scalar>(mx) : c10::nullopt))
}
ct_tensor ct_where(ct_tensor c, ct_tensor a, ct_tensor b) {
  CT_TENSOR_BODY(at::where(ref(c), ref(a), ref(b)))
}
ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double value) {
  CT_TENSOR_BODY(ref(a).masked_fill(ref(mask), value))
}
ct_tensor ct_leaky_relu(ct_tensor a, double slope) { CT_TENSOR_BODY(at::leaky_relu(ref(a), slope)) }

int ct_binary_(int op, ct_tensor a, ct_tensor b) {
  CT_STATUS_BODY({
    at::Tensor x = ref(a);
    switch (op) {
      case CT_ADD: x.add_(ref(b)); break;
      case CT_SUB: x.sub_(ref(b)); break;
      case CT_MUL: x.mul_(ref(b)); break;
      case CT_DIV: x.div_(ref(b)); break;
      default: throw std::invalid_argument("binary op " + std::to_string(op) + " has no in-place form");
    }
  })
}
int ct_binary_scalar_(int op, ct_tensor a, double s) {
  CT_STATUS_BODY({
    at::Tensor x = ref(a);
    switch (op) {
      case CT_ADD: x.add_(s); break;
      case CT_SUB: x.sub_(s); break;
      case CT_MUL: x.mul_(s); break;
      case CT_DIV: x.div_(s); break;
      default: throw std::invalid_argument("binary op " + std::to_string(op) + " has no in-place form");
    }
  })
}
int ct_add_scaled_(ct_tensor a, ct_tensor b, double alpha) {
  CT_STATUS_BODY({ ref(a).add_(ref(b), alpha); })
}
int ct_addcmul_(ct_tensor a, ct_tensor b, ct_tensor c, double value) {
  CT_STATUS_BODY({ ref(a).addcmul_(ref(b), ref(c), value); })
}
int ct_addcdiv_(ct_tensor a, ct_tensor b, ct_tensor c, double value) {
  CT_STATUS_BODY({ ref(a).addcdiv_(ref(b), ref(c), value); })
}
int ct_copy_(ct_tensor dst, ct_tensor src) { CT_STATUS_BODY({ ref(dst).copy_(ref(src)); }) }
int ct_fill_(ct_tensor a, double value) { CT_STATUS_BODY({ ref(a).fill_(value); }) }
int ct_uniform_(ct_tensor a, double low, double high) {
  CT_STATUS_BODY({ ref(a).uniform_(low, high); })
}
int ct_normal_(ct_tensor a, double mean, double std) {
  CT_STATUS_BODY({ ref(a).normal_(mean, std); })
}

ct_tensor ct_sum(ct_tensor a, const int64_t *dims, int n, int keepdim) {
  CT_TENSOR_BODY(n == 0 ? at::sum(ref(a)) : at::sum(ref(a), ints(dims, n), keepdim != 0))
}
ct_tensor ct_mean(ct_tensor a, const int64_t *dims, int n, int keepdim) {
  CT_TENSOR_BODY(n == 0 ? at::mean(ref(a)) : at::mean(ref(a), ints(dims, n), keepdim != 0))
}
ct_tensor ct_var(ct_tensor a, const int64_t *dims, int n, int unbiased, int keepdim) {
  CT_TENSOR_BODY(at::var(ref(a), dims_or_all(dims, n), unbiased != 0, keepdim != 0))
}
ct_tensor ct_std(ct_tensor a, const int64_t *dims, int n, int unbiased, int keepdim) {
  CT_TENSOR_BODY(at::std(ref(a), dims_or_all(dims, n), unbiased != 0, keepdim != 0))
}
ct_tensor ct_logsumexp(ct_tensor a, const int64_t *dims, int n, int keepdim) {
  CT_TENSOR_BODY(([&]() -> at::Tensor {
    if (n > 0) return at::logsumexp(ref(a), ints(dims, n), keepdim != 0);
    return at::logsumexp(ref(a).reshape({-1}), {0}, false);
  }()))
}
ct_tensor ct_max_all(ct_tensor a) { CT_TENSOR_BODY(at::max(ref(a))) }
ct_tensor ct_min_all(ct_tensor a) { CT_TENSOR_BODY(at::min(ref(a))) }
int ct_max_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *out) {
  CT_STATUS_BODY({
    auto r = at::max(ref(a), dim, keepdim != 0);
    wrap_all({std::get<0>(r), std::get<1>(r)}, out);
  })
}
ct_tensor ct_argmax(ct_tensor a, int64_t dim, int keepdim) {
  CT_TENSOR_BODY(at::argmax(ref(a), dim, keepdim != 0))
}
ct_tensor ct_norm(ct_tensor a, double p, const int64_t *dims, int n, int keepdim) {
  CT_TENSOR_BODY(at::linalg_vector_norm(ref(a), p, dims_or_all(dims, n), keepdim != 0))
}

ct_tensor ct_reshape(ct_tensor a, const int64_t *s, int n) { CT_TENSOR_BODY(ref(a).reshape(ints(s, n))) }
ct_tensor ct_view(ct_tensor a, const int64_t *s, int n) { CT_TENSOR_BODY(ref(a).view(ints(s, n))) }
ct_tensor ct_permute(ct_tensor a, const int64_t *d, int n) { CT_TENSOR_BODY(ref(a).permute(ints(d, n))) }
ct_tensor ct_transpose(ct_tensor a, int64_t d0, int64_t d1) { CT_TENSOR_BODY(ref(a).transpose(d0, d1)) }
ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  CT_TENSOR_BODY(ref(a).slice(dim, start, end, step))
}
ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index) { CT_TENSOR_BODY(ref(a).select(dim, index)) }
ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor index) {
  CT_TENSOR_BODY(at::index_select(ref(a), dim, ref(index)))
}
static std::vector<at::Tensor> list(const ct_tensor *ts, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(ref(ts[i]));
  return v;
}
ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim) { CT_TENSOR_BODY(at::cat(list(ts, n), dim)) }
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim) { CT_TENSOR_BODY(at::stack(list(ts, n), dim)) }
int ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out, int capacity) {
  try {
    auto parts = at::chunk(ref(a), chunks, dim);
    if (static_cast<int>(parts.size()) > capacity)
      throw std::invalid_argument("ct_chunk: more pieces than the output array holds");
    int n = static_cast<int>(parts.size());
    wrap_all(std::move(parts), out);
    return n;
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in libtorch");
  }
  return -1;
}
ct_tensor ct_squeeze(ct_tensor a, int64_t dim) { CT_TENSOR_BODY(ref(a).squeeze(dim)) }
ct_tensor ct_unsqueeze(ct_tensor a, int64_t dim) { CT_TENSOR_BODY(ref(a).unsqueeze(dim)) }
ct_tensor ct_expand(ct_tensor a, const int64_t *s, int n) { CT_TENSOR_BODY(ref(a).expand(ints(s, n))) }
ct_tensor ct_flatten(ct_tensor a, int64_t s, int64_t e) { CT_TENSOR_BODY(ref(a).flatten(s, e)) }
ct_tensor ct_repeat(ct_tensor a, const int64_t *r, int n) { CT_TENSOR_BODY(ref(a).repeat(ints(r, n))) }
ct_tensor ct_flip(ct_tensor a, const int64_t *d, int n) { CT_TENSOR_BODY(at::flip(ref(a), ints(d, n))) }
ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor index) {
  CT_TENSOR_BODY(at::gather(ref(a), dim, ref(index)))
}
ct_tensor ct_scatter(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src) {
  CT_TENSOR_BODY(at::scatter(ref(a), dim, ref(index), ref(src)))
}
ct_tensor ct_scatter_value(ct_tensor a, int64_t dim, ct_tensor index, double value) {
  CT_TENSOR_BODY(at::scatter(ref(a), dim, ref(index), value))
}
ct_tensor ct_one_hot(ct_tensor labels, int64_t num_classes) {
  CT_TENSOR_BODY(at::one_hot(ref(labels), num_classes))
}
ct_tensor ct_constant_pad(ct_tensor a, const int64_t *pad, int n, double value) {
  CT_TENSOR_BODY(at::constant_pad_nd(ref(a), ints(pad, n), value))
}

}  // extern "C"
