// Neural-network ops: layers' functional forms and losses.
#include "internal.h"

using namespace ctorch;

extern "C" {

ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b) {
  CT_TENSOR_BODY(at::linear(ref(x), ref(w), opt(b)))
}
ct_tensor ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride,
                    const int64_t *padding, const int64_t *dilation, int64_t groups) {
  CT_TENSOR_BODY(at::conv2d(ref(x), ref(w), opt(b), ints(stride, 2), ints(padding, 2),
                            ints(dilation, 2), groups))
}
ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p) {
  CT_TENSOR_BODY(at::max_pool2d(ref(x), ints(k, 2), ints(s, 2), ints(p, 2)))
}
ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p) {
  CT_TENSOR_BODY(at::avg_pool2d(ref(x), ints(k, 2), ints(s, 2), ints(p, 2)))
}
ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *o) {
  CT_TENSOR_BODY(at::adaptive_avg_pool2d(ref(x), ints(o, 2)))
}
ct_tensor ct_interpolate_bilinear(ct_tensor x, int64_t out_h, int64_t out_w, int antialias) {
  const int64_t size[2] = {out_h, out_w};
  // _upsample_bilinear2d_aa is ATen's port of PIL's resampling (triangle filter stretched by the
  // scale when shrinking, weights renormalised at the borders); upsample_bilinear2d samples 4 taps.
  CT_TENSOR_BODY(antialias != 0 ? at::_upsample_bilinear2d_aa(ref(x), ints(size, 2), false)
                                : at::upsample_bilinear2d(ref(x), ints(size, 2), false))
}
ct_tensor ct_batch_norm(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor rm, ct_tensor rv,
                        int training, double momentum, double eps) {
  CT_TENSOR_BODY(at::batch_norm(ref(x), opt(w), opt(b), opt(rm), opt(rv), training != 0, momentum,
                                eps, /*cudnn_enabled=*/true))
}
ct_tensor ct_layer_norm(ct_tensor x, const int64_t *shape, int n, ct_tensor w, ct_tensor b,
                        double eps) {
  CT_TENSOR_BODY(at::layer_norm(ref(x), ints(shape, n), opt(w), opt(b), eps))
}
ct_tensor ct_dropout(ct_tensor x, double p, int training) {
  // ATen's own formula (input * bernoulli(1 − p) / (1 − p)), drawn from the calling thread's
  // generator when it has one. That generator is a CPU one: CUDA tensors keep the global stream.
  CT_TENSOR_BODY([&] {
    at::Tensor input = ref(x);
    at::Generator *g = thread_generator();
    if (g == nullptr || training == 0 || p == 0 || p == 1 || !input.device().is_cpu()) {
      return at::dropout(input, p, training != 0);
    }
    at::Tensor noise = at::empty_like(input).bernoulli_(1 - p, *g);
    return input * noise.div_(1 - p);
  }())
}
ct_tensor ct_embedding(ct_tensor w, ct_tensor idx) { CT_TENSOR_BODY(at::embedding(ref(w), ref(idx))) }

int ct_lstm(ct_tensor input, ct_tensor h0, ct_tensor c0, const ct_tensor *params, int nparams,
            int has_biases, int64_t num_layers, double dropout, int training, int bidirectional,
            int batch_first, ct_tensor *out) {
  CT_STATUS_BODY({
    std::vector<at::Tensor> ps;
    ps.reserve(nparams);
    for (int i = 0; i < nparams; i++) ps.push_back(ref(params[i]));
    std::vector<at::Tensor> hx{ref(h0), ref(c0)};
    auto r = at::lstm(ref(input), hx, ps, has_biases != 0, num_layers, dropout, training != 0,
                      bidirectional != 0, batch_first != 0);
    wrap_all({std::get<0>(r), std::get<1>(r), std::get<2>(r)}, out);
  })
}

ct_tensor ct_softmax(ct_tensor x, int64_t dim) { CT_TENSOR_BODY(at::softmax(ref(x), dim)) }
ct_tensor ct_log_softmax(ct_tensor x, int64_t dim) { CT_TENSOR_BODY(at::log_softmax(ref(x), dim)) }

static int64_t reduction(int r) {
  switch (r) {
    case CT_REDUCTION_NONE: return at::Reduction::None;
    case CT_REDUCTION_MEAN: return at::Reduction::Mean;
    case CT_REDUCTION_SUM: return at::Reduction::Sum;
  }
  throw std::invalid_argument("unknown reduction " + std::to_string(r));
}

ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int r, double smoothing) {
  CT_TENSOR_BODY(at::cross_entropy_loss(ref(logits), ref(target), c10::nullopt, reduction(r),
                                        /*ignore_index=*/-100, smoothing))
}
ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int r) {
  CT_TENSOR_BODY(at::mse_loss(ref(a), ref(b), reduction(r)))
}
ct_tensor ct_normalize(ct_tensor x, double p, int64_t dim, double eps) {
  CT_TENSOR_BODY(([&]() {
    const at::Tensor &t = ref(x);
    at::Tensor n = at::linalg_vector_norm(t, p, at::IntArrayRef{dim}, true).clamp_min(eps);
    return t / n.expand_as(t);
  }()))
}

}  // extern "C"
