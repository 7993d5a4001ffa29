// Autograd: requires-grad flags, gradients, backward, detach and the thread-local grad mode.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>


using namespace ctorch;

extern "C" {

int ct_set_requires_grad(ct_tensor t, int rg) { CT_STATUS_BODY({ ref(t).requires_grad_(rg != 0); }) }
int ct_requires_grad(ct_tensor t) { return t->t.requires_grad() ? 1 : 0; }
int ct_is_leaf(ct_tensor t) { return t->t.is_leaf() ? 1 : 0; }
int ct_grad(ct_tensor t, ct_tensor *out) {
  CT_STATUS_BODY({
    const at::Tensor &g = ref(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  })
}
int ct_zero_grad(ct_tensor t) {
  CT_STATUS_BODY({
    at::Tensor x = ref(t);
    if (x.grad().defined()) x.mutable_grad().reset();
  })
}
int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph) {
  CT_STATUS_BODY({
    at::Tensor g = grad ? grad->t : at::Tensor();
    ref(t).backward(g, retain_graph ? c10::optional<bool>(true) : c10::nullopt, false);
  })
}
int ct_backward_many(const ct_tensor *ts, const ct_tensor *grads, int n) {
  CT_STATUS_BODY({
    std::vector<at::Tensor> roots, gs;
    for (int i = 0; i < n; i++) {
      roots.push_back(ref(ts[i]));
      gs.push_back(ref(grads[i]));
    }
    torch::autograd::backward(roots, gs);
  })
}
int ct_backward_to(const ct_tensor *ts, const ct_tensor *grads, int n, const ct_tensor *inputs, int n_inputs,
                   int retain_graph) {
  CT_STATUS_BODY({
    std::vector<at::Tensor> roots, gs, to;
    for (int i = 0; i < n; i++) {
      roots.push_back(ref(ts[i]));
      gs.push_back(ref(grads[i]));
    }
    for (int i = 0; i < n_inputs; i++) to.push_back(ref(inputs[i]));
    torch::autograd::backward(roots, gs, retain_graph != 0, false, to);
  })
}
ct_tensor ct_detach(ct_tensor t) { CT_TENSOR_BODY(ref(t).detach()) }
int ct_set_data(ct_tensor t, ct_tensor src) { CT_STATUS_BODY({ ref(t).set_data(ref(src)); }) }
void ct_set_grad_enabled(int enabled) { at::GradMode::set_enabled(enabled != 0); }
int ct_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }

}  // extern "C"
