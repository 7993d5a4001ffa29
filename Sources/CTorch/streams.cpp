// CUDA streams for the device workers, through c10's device-generic guard interface: no CUDA
// header is needed, so this file compiles against every libtorch (a CPU build included), and on a
// CUDA build libtorch_cuda supplies the implementation it registered at load time. On a CPU build
// every call fails with libtorch's own sentence ("… not linked with support for cuda devices").
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <c10/core/Stream.h>
#include <c10/core/impl/VirtualGuardImpl.h>


using namespace ctorch;

struct ct_stream_s {
  c10::Stream stream;
};

namespace {
c10::impl::VirtualGuardImpl cuda_guard() { return c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA); }
}  // namespace

extern "C" {

int ct_stream_from_pool(int device_index, ct_stream *out) {
  CT_STATUS_BODY({
    auto device = c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device_index));
    *out = new ct_stream_s{cuda_guard().getStreamFromGlobalPool(device, /*isHighPriority=*/false)};
  })
}

void ct_stream_free(ct_stream s) { delete s; }

int ct_stream_make_current(ct_stream s) {
  // The current stream is per thread and per device: from now on, kernels this thread launches on
  // the stream's GPU go to this stream.
  CT_STATUS_BODY({ (void)cuda_guard().exchangeStream(s->stream); })
}

int ct_stream_synchronize(ct_stream s) {
  CT_STATUS_BODY({ s->stream.synchronize(); })
}

int ct_stream_record_tensor(ct_stream s, ct_tensor t) {
  // Tells the caching allocator that `s` uses the tensor's memory, so that when the tensor is
  // freed (on whichever stream allocated it) the block is not reused before `s`'s work queued by
  // then is done — torch's Tensor.record_stream.
  CT_STATUS_BODY({
    const auto &tensor = t->t;
    if (tensor.defined() && tensor.is_cuda() && tensor.storage()) cuda_guard().recordDataPtrOnStream(tensor.storage().data_ptr(), s->stream);
  })
}

int64_t ct_stream_id(ct_stream s) { return static_cast<int64_t>(s->stream.id()); }

}  // extern "C"
