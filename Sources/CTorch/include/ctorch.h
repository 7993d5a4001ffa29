// ctorch.h — the plain C face of libtorch used by the Swift `Torch` module.
//
// Rules of this boundary (docs/design.md, "The C boundary"):
//  * Tensors are opaque handles (`ct_tensor`) that own one at::Tensor each. A handle returned by
//    any function here is new and must be released exactly once with ct_free.
//  * Shapes and options are int64_t / double / int. No C++ type is visible.
//  * No C++ exception crosses this line. Every entry point catches, stores libtorch's message in a
//    thread-local slot (read it with ct_last_error) and returns a failure value: NULL for functions
//    that return a handle, -1 for functions that return a status, NAN / 0 where documented.
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_s *ct_tensor;

// ---------------------------------------------------------------- errors (errors.cpp)
/// The message of the last failure on the calling thread ("" if none).
const char *ct_last_error(void);
void ct_clear_error(void);

// ---------------------------------------------------------------- dtypes and devices
enum {
  CT_FLOAT32 = 0,
  CT_FLOAT64 = 1,
  CT_INT64 = 2,
  CT_BOOL = 3,
  CT_UINT8 = 4,
  CT_INT32 = 5,
};
enum { CT_CPU = 0, CT_CUDA = 1 };

// ---------------------------------------------------------------- creation (tensor_create.cpp)
void ct_free(ct_tensor t);
ct_tensor ct_zeros(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ct_tensor ct_ones(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ct_tensor ct_full(const int64_t *shape, int ndim, double value, int dtype, int device_type,
                  int device_index);
ct_tensor ct_randn(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ct_tensor ct_rand(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int device_type,
                     int device_index);
ct_tensor ct_randperm(int64_t n, int device_type, int device_index);
ct_tensor ct_arange(double start, double end, double step, int dtype, int device_type,
                    int device_index);
ct_tensor ct_eye(int64_t n, int dtype, int device_type, int device_index);
ct_tensor ct_scalar_tensor(double value, int dtype, int device_type, int device_index);
/// Copies `ndim`-shaped data of `dtype` from host memory into a new CPU tensor.
ct_tensor ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype);
int ct_manual_seed(uint64_t seed);

// ---------------------------------------------------------------- generators (random.cpp)
/// A CPU random generator of its own (not libtorch's global one), freed with ct_generator_free.
typedef struct ct_generator_s *ct_generator;
ct_generator ct_generator_new(uint64_t seed);
void ct_generator_free(ct_generator g);
/// Its state as a new uint8 tensor; set_state restores one (-1 and an error if it does not fit).
ct_tensor ct_generator_get_state(ct_generator g);
int ct_generator_set_state(ct_generator g, ct_tensor state);
/// Dropout on the calling thread draws from `g` from now on (NULL: the global generator again).
/// The generator must outlive that use.
void ct_use_generator_on_this_thread(ct_generator g);

// ---------------------------------------------------------------- metadata and conversion
int ct_ndim(ct_tensor t);
/// Writes ct_ndim(t) sizes into `out`.
void ct_shape(ct_tensor t, int64_t *out);
int64_t ct_numel(ct_tensor t);
int ct_dtype(ct_tensor t);
int ct_device_type(ct_tensor t);
int ct_device_index(ct_tensor t);
int ct_is_contiguous(ct_tensor t);
ct_tensor ct_to_dtype(ct_tensor t, int dtype);
ct_tensor ct_to_device(ct_tensor t, int device_type, int device_index, int non_blocking);
ct_tensor ct_contiguous(ct_tensor t);
ct_tensor ct_clone(ct_tensor t);
/// Copies the elements (row-major) into `dst`, which holds `bytes` bytes. Returns 0 or -1.
int ct_copy_to_host(ct_tensor t, void *dst, size_t bytes);
/// The value of a one-element tensor. Returns NAN and sets the error on failure.
double ct_item_double(ct_tensor t);
int ct_cuda_is_available(void);
/// The libtorch version CTorch was built against ("1.13.0", "2.13.0"); engine.cpp.
const char *ct_libtorch_version(void);
/// 1 when libtorch's matrix products run on MKL (PyTorch's wheels), 0 otherwise (Debian: libblas).
int ct_has_mkl(void);
/// 1 when the linked libtorch has CUDA compiled in (libtorch_cuda), whatever GPUs there are.
int ct_cuda_compiled(void);
int ct_cuda_device_count(void);
/// Exact float32 on GPUs (no TF32, deterministic cuDNN) when `exact` is 1; libtorch's defaults
/// when 0. Returns 0 or -1.
int ct_set_exact_gpu_math(int exact);

// ---------------------------------------------------------------- CUDA streams (streams.cpp)
/// One CUDA stream of a GPU (from libtorch's stream pool), freed with ct_stream_free. Every call
/// fails (-1, error set) on a libtorch without CUDA.
typedef struct ct_stream_s *ct_stream;
int ct_stream_from_pool(int device_index, ct_stream *out);
void ct_stream_free(ct_stream s);
/// Makes `s` the calling thread's current stream on its GPU.
int ct_stream_make_current(ct_stream s);
/// Waits until the work queued on `s` is done.
int ct_stream_synchronize(ct_stream s);
/// Marks `t`'s memory as used by `s` (torch's record_stream); a no-op for a CPU tensor.
int ct_stream_record_tensor(ct_stream s, ct_tensor t);
int64_t ct_stream_id(ct_stream s);

// ---------------------------------------------------------------- GPU memory (gpu_memory.cpp)
/// 1 when this libtorch exposes the CUDA caching allocator's statistics (2.x), else 0.
int ct_gpu_memory_stats_available(void);
/// The peak of bytes allocated on GPU `device_index` since the last reset. Returns 0 or -1.
int ct_gpu_peak_allocated_bytes(int device_index, int64_t *out);
int ct_gpu_reset_peak(int device_index);

// ---------------------------------------------------------------- math (tensor_math.cpp)
typedef enum {
  CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_MATMUL,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR, CT_REMAINDER,
} ct_binary_op;
typedef enum {
  CT_NEG, CT_EXP, CT_LOG, CT_SQRT, CT_RSQRT, CT_ABS, CT_RELU, CT_SIGMOID, CT_TANH, CT_SIGN,
  CT_FLOOR, CT_CEIL, CT_ROUND, CT_SQUARE, CT_LOGICAL_NOT, CT_SIN, CT_COS, CT_RECIPROCAL,
} ct_unary_op;

ct_tensor ct_binary(int op, ct_tensor a, ct_tensor b);
ct_tensor ct_binary_scalar(int op, ct_tensor a, double s);
/// `s op a` for the non-commutative ops (SUB, DIV, POW).
ct_tensor ct_scalar_binary(int op, double s, ct_tensor a);
ct_tensor ct_unary(int op, ct_tensor a);
ct_tensor ct_clamp(ct_tensor a, double min, double max, int has_min, int has_max);
ct_tensor ct_where(ct_tensor cond, ct_tensor a, ct_tensor b);
ct_tensor ct_masked_fill(ct_tensor a, ct_tensor mask, double value);
ct_tensor ct_leaky_relu(ct_tensor a, double slope);

// In-place updates (used by optimizers and initialisers; run them under no-grad).
int ct_binary_(int op, ct_tensor a, ct_tensor b);
int ct_binary_scalar_(int op, ct_tensor a, double s);
/// a += alpha * b
int ct_add_scaled_(ct_tensor a, ct_tensor b, double alpha);
/// a += value * b * c
int ct_addcmul_(ct_tensor a, ct_tensor b, ct_tensor c, double value);
/// a += value * b / c
int ct_addcdiv_(ct_tensor a, ct_tensor b, ct_tensor c, double value);
int ct_copy_(ct_tensor dst, ct_tensor src);
int ct_fill_(ct_tensor a, double value);
int ct_uniform_(ct_tensor a, double low, double high);
int ct_normal_(ct_tensor a, double mean, double std);

// Reductions. `dims == NULL`/`ndims == 0` reduces over every axis.
ct_tensor ct_sum(ct_tensor a, const int64_t *dims, int ndims, int keepdim);
ct_tensor ct_mean(ct_tensor a, const int64_t *dims, int ndims, int keepdim);
ct_tensor ct_var(ct_tensor a, const int64_t *dims, int ndims, int unbiased, int keepdim);
ct_tensor ct_std(ct_tensor a, const int64_t *dims, int ndims, int unbiased, int keepdim);
ct_tensor ct_logsumexp(ct_tensor a, const int64_t *dims, int ndims, int keepdim);
ct_tensor ct_max_all(ct_tensor a);
ct_tensor ct_min_all(ct_tensor a);
/// Values and indices of the maximum along `dim`: writes two handles into `out`.
int ct_max_dim(ct_tensor a, int64_t dim, int keepdim, ct_tensor *out);
ct_tensor ct_argmax(ct_tensor a, int64_t dim, int keepdim);
ct_tensor ct_norm(ct_tensor a, double p, const int64_t *dims, int ndims, int keepdim);

// Shape and indexing.
ct_tensor ct_reshape(ct_tensor a, const int64_t *shape, int ndim);
ct_tensor ct_view(ct_tensor a, const int64_t *shape, int ndim);
ct_tensor ct_permute(ct_tensor a, const int64_t *dims, int ndim);
ct_tensor ct_transpose(ct_tensor a, int64_t dim0, int64_t dim1);
ct_tensor ct_slice(ct_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
ct_tensor ct_select(ct_tensor a, int64_t dim, int64_t index);
ct_tensor ct_index_select(ct_tensor a, int64_t dim, ct_tensor index);
ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim);
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim);
/// Splits into at most `chunks` pieces; writes up to `capacity` handles, returns the count or -1.
int ct_chunk(ct_tensor a, int64_t chunks, int64_t dim, ct_tensor *out, int capacity);
ct_tensor ct_squeeze(ct_tensor a, int64_t dim);
ct_tensor ct_unsqueeze(ct_tensor a, int64_t dim);
ct_tensor ct_expand(ct_tensor a, const int64_t *shape, int ndim);
ct_tensor ct_flatten(ct_tensor a, int64_t start_dim, int64_t end_dim);
ct_tensor ct_repeat(ct_tensor a, const int64_t *repeats, int ndim);
ct_tensor ct_flip(ct_tensor a, const int64_t *dims, int ndims);
ct_tensor ct_gather(ct_tensor a, int64_t dim, ct_tensor index);
ct_tensor ct_scatter(ct_tensor a, int64_t dim, ct_tensor index, ct_tensor src);
ct_tensor ct_scatter_value(ct_tensor a, int64_t dim, ct_tensor index, double value);
ct_tensor ct_one_hot(ct_tensor labels, int64_t num_classes);
ct_tensor ct_constant_pad(ct_tensor a, const int64_t *pad, int npad, double value);

// ---------------------------------------------------------------- nn ops (nn_ops.cpp)
/// `bias` may be NULL.
ct_tensor ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias);
ct_tensor ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                    const int64_t *padding, const int64_t *dilation, int64_t groups);
ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride,
                        const int64_t *padding);
ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride,
                        const int64_t *padding);
ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *output_size);
/// Bilinear resize of an N×C×H×W float tensor to out_h×out_w (align_corners false). With
/// `antialias` the kernel widens when shrinking, as PIL's bilinear filter does.
ct_tensor ct_interpolate_bilinear(ct_tensor x, int64_t out_h, int64_t out_w, int antialias);
/// weight/bias/running stats may be NULL. In training the running stats are updated in place.
ct_tensor ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean,
                        ct_tensor running_var, int training, double momentum, double eps);
ct_tensor ct_layer_norm(ct_tensor x, const int64_t *normalized_shape, int ndim, ct_tensor weight,
                        ct_tensor bias, double eps);
ct_tensor ct_dropout(ct_tensor x, double p, int training);
ct_tensor ct_embedding(ct_tensor weight, ct_tensor indices);
/// ATen's fused LSTM. `params` is the flat list in ATen order (w_ih, w_hh, b_ih, b_hh per layer
/// and direction). Writes output, h_n and c_n into `out`.
int ct_lstm(ct_tensor input, ct_tensor h0, ct_tensor c0, const ct_tensor *params, int nparams,
            int has_biases, int64_t num_layers, double dropout, int training, int bidirectional,
            int batch_first, ct_tensor *out);
ct_tensor ct_softmax(ct_tensor x, int64_t dim);
ct_tensor ct_log_softmax(ct_tensor x, int64_t dim);
enum { CT_REDUCTION_NONE = 0, CT_REDUCTION_MEAN = 1, CT_REDUCTION_SUM = 2 };
ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction,
                           double label_smoothing);
ct_tensor ct_mse_loss(ct_tensor a, ct_tensor b, int reduction);
/// x / max(||x||_p along dim, eps), as torch.nn.functional.normalize.
ct_tensor ct_normalize(ct_tensor x, double p, int64_t dim, double eps);

// ---------------------------------------------------------------- autograd (autograd.cpp)
int ct_set_requires_grad(ct_tensor t, int requires_grad);
int ct_requires_grad(ct_tensor t);
int ct_is_leaf(ct_tensor t);
/// Writes the gradient (or NULL when there is none) into `out`. Returns 0 or -1.
int ct_grad(ct_tensor t, ct_tensor *out);
/// Drops the accumulated gradient (PyTorch's `set_to_none`).
int ct_zero_grad(ct_tensor t);
/// `grad` may be NULL for a scalar `t`.
int ct_backward(ct_tensor t, ct_tensor grad, int retain_graph);
/// One backward pass from several roots at once, each seeded with its gradient
/// (torch.autograd.backward(tensors, grads)); the graph is freed.
int ct_backward_many(const ct_tensor *tensors, const ct_tensor *grads, int n);
/// torch::autograd::backward from n roots seeded with grads, accumulating only into the n_inputs
/// tensors `inputs` (their .grad), keeping the graph when retain_graph is 1: zero bubble's split
/// of a backward into the input-gradient pass and the weight-gradient pass.
int ct_backward_to(const ct_tensor *tensors, const ct_tensor *grads, int n, const ct_tensor *inputs, int n_inputs,
                   int retain_graph);
ct_tensor ct_detach(ct_tensor t);
/// Points `t` at `src`'s storage, keeping t's identity and requires-grad flag (PyTorch's
/// `param.data = src`); used to move parameters between devices.
int ct_set_data(ct_tensor t, ct_tensor src);
/// Grad mode is thread-local in libtorch: this affects the calling thread only.
void ct_set_grad_enabled(int enabled);
int ct_is_grad_enabled(void);

// ---------------------------------------------------------------- threads (threads.cpp)
/// Sets the intra-op thread count of the calling thread (OpenMP ICV; see docs/threads.md).
int ct_set_num_threads(int n);
int ct_get_num_threads(void);
/// The kernel family OpenBLAS chose at load ("SkylakeX", "Haswell", "Prescott"...), or "" when the
/// loaded BLAS is not OpenBLAS.
const char *ct_blas_core_name(void);
/// The OpenMP thread count libtorch's next parallel region on the calling thread will request
/// (libgomp's per-thread nthreads ICV; used by tests to prove the per-thread scope).
int ct_measure_parallel_width(void);

// ---------------------------------------------------------------- benchmarks (bench.cpp)
/// Runs `iterations` additions of two one-element float tensors entirely in C++ and returns the
/// seconds taken: the baseline against which `scpl bench engine` measures the Swift boundary.
double ct_bench_native_add_seconds(int64_t iterations);


// ---------------------------------------------------------------- processes (distributed.cpp)
/// A Gloo process group of torch's c10d over a TCPStore: rank 0 hosts the store on
/// `master_port` and waits up to `timeout_ms` for every rank; the others connect to
/// `master_addr`. With `store_file` (one host only), a c10d FileStore at that path replaces the
/// TCPStore: no port is opened for the rendezvous. The ranks' claims go under `key_prefix` in
/// the store.
/// NULL with the error set on failure (a port in use, an unreachable master, a timeout, a rank
/// already taken). Freed with ct_process_group_free.
typedef struct ct_process_group_s *ct_process_group;
ct_process_group ct_process_group_new(const char *master_addr, int master_port, const char *store_file, const char *key_prefix,
                                      int rank, int world_size, int64_t timeout_ms);
void ct_process_group_free(ct_process_group g);
/// A Gloo group of `count` of the job's ranks (`ranks`, distinct, in order: ranks[i] is the
/// subgroup's rank i), meeting in `parent`'s store under `name`: every member calls it with the
/// same name and ranks (non-members do not), waiting up to `timeout_ms` for the others. For
/// collectives among some ranks only. NULL with the error set on failure. Freed with
/// ct_process_group_free (independently of `parent`).
ct_process_group ct_process_group_subgroup(ct_process_group parent, const char *name, const int *ranks, int count,
                                           int64_t timeout_ms);
/// A pending operation; wait for it with ct_work_wait, then free it.
typedef struct ct_work_s *ct_work;
/// Sends the (contiguous CPU) tensor to rank `dst` under `tag`.
ct_work ct_pg_isend(ct_process_group g, ct_tensor t, int dst, int tag);
/// Receives into the tensor (its shape and dtype must match the sent one) from rank `src`, or
/// from any rank when `src` < 0.
ct_work ct_pg_irecv(ct_process_group g, ct_tensor t, int src, int tag);
/// Sums the tensor over every rank, in place.
ct_work ct_pg_iall_reduce_sum(ct_process_group g, ct_tensor t);
/// Rank `root`'s tensor into every rank's, in place.
ct_work ct_pg_ibroadcast(ct_process_group g, ct_tensor t, int root);
ct_work ct_pg_ibarrier(ct_process_group g);
/// Waits up to `timeout_ms`; 0 when done (a receive's source rank in `source_rank`, if given),
/// -1 with the error set on a timeout or a failed peer.
int ct_work_wait(ct_work w, int64_t timeout_ms, int *source_rank);
/// Ends a send's or receive's ct_work_wait now, on any thread (that wait then fails with "the
/// operation was abandoned"); before the wait starts, the wait ends at once. -1 with the error
/// set for an operation that cannot be abandoned (a collective).
int ct_work_abort(ct_work w);
void ct_work_free(ct_work w);

#ifdef __cplusplus
}
#endif
#endif
