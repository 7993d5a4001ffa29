// torch's c10d for processes: a TCPStore rendezvous and a Gloo process group over it, with
// point-to-point sends and a few collectives. Every call waits with a timeout and reports
// failures (a timeout, a peer that closed its connection, a port in use) through the error slot.
//
// The same source builds against Debian's libtorch 1.13 (ProcessGroupGloo is a ProcessGroup)
// and PyTorch's 2.x (it is a Backend): both have the members used here. ProcessGroupGloo.hpp
// includes gloo's own headers; PyTorch's wheels ship none, so every build takes Debian's
// (libgloo-dev). Only pointers to gloo types cross this file, and every gloo function called is
// inside libtorch_cpu, so the headers' version only has to declare those types.
// ProcessGroupGloo.hpp declares its class only where libtorch was built with Gloo, as both are.
#define USE_C10D_GLOO 1
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>


using namespace ctorch;
using std::chrono::milliseconds;

struct ct_process_group_s {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  // The network device the group's connections use; its subgroups use it too.
  std::shared_ptr<::gloo::transport::Device> device;
  // Where this job's keys go in the store (subgroups rendezvous under it).
  std::string key_prefix;
};

struct ct_work_s {
  c10::intrusive_ptr<c10d::Work> work;
  bool is_receive;
};

namespace {

// The local address this host's kernel would send from to reach `master` (a UDP socket's
// connect sends nothing; it only picks the route), or "" when there is none or it is a loopback
// address. On a host with several interfaces (or in a network namespace, where the host's name
// resolves to an address the namespace does not have) this is the interface the other ranks
// can reach, which the host's name need not be.
std::string address_towards(const std::string &master) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo *found = nullptr;
  if (getaddrinfo(master.c_str(), "9", &hints, &found) != 0 || !found) return "";
  std::string local;
  const int fd = socket(found->ai_family, SOCK_DGRAM, 0);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
    sockaddr_storage self{};
    socklen_t length = sizeof self;
    char text[INET6_ADDRSTRLEN] = {0};
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&self), &length) == 0 &&
        getnameinfo(reinterpret_cast<sockaddr *>(&self), length, text, sizeof text, nullptr, 0, NI_NUMERICHOST) == 0) {
      local = text;
    }
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  const bool loopback = local.rfind("127.", 0) == 0 || local == "::1";
  return loopback ? "" : local;
}

// The network device Gloo's connections use: the interface GLOO_SOCKET_IFNAME names (as in
// PyTorch), the loopback device when the master is on this host's loopback, otherwise the
// address this host sends from towards the master, and only when there is none the address
// this host's name resolves to (torch's default, falling back to loopback).
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &master) {
  if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (master == "127.0.0.1" || master == "localhost" || master == "::1") {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  if (const std::string local = address_towards(master); !local.empty()) {
    return c10d::ProcessGroupGloo::createDeviceForHostname(local);
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// A Gloo group of `size` ranks meeting in `store` on `device`, this process being `rank`; its
// operations time out after `timeout_ms`.
c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo_group(const c10::intrusive_ptr<c10d::Store> &store, int rank, int size,
                                                       std::shared_ptr<::gloo::transport::Device> device,
                                                       int64_t timeout_ms) {
  auto options = c10d::ProcessGroupGloo::Options::create(milliseconds(timeout_ms));
  options->devices.push_back(std::move(device));
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}

ct_work make_work(c10::intrusive_ptr<c10d::Work> w, bool is_receive = false) { return new ct_work_s{std::move(w), is_receive}; }

}  // namespace

extern "C" {

ct_process_group ct_process_group_new(const char *master_addr, int master_port, const char *store_file, const char *key_prefix,
                                      int rank, int world_size, int64_t timeout_ms) {
  try {
    c10::intrusive_ptr<c10d::Store> store;
    if (store_file && *store_file) {
      store = c10::make_intrusive<c10d::FileStore>(std::string(store_file), world_size);
      store->setTimeout(milliseconds(timeout_ms));
    } else {
      c10d::TCPStoreOptions options;
      options.port = static_cast<std::uint16_t>(master_port);
      options.isServer = rank == 0;
      options.numWorkers = static_cast<std::size_t>(world_size);
      options.waitWorkers = true;
      options.timeout = milliseconds(timeout_ms);
      store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), options);
    }
    // c10d's store admits anyone who reaches the port. Before Gloo connects anything, a process
    // claims its rank (a second claim is refused) and checks the job's world size, so a stray or
    // misconfigured process fails here instead of disturbing the ranks' connections.
    const std::string where = store_file && *store_file ? std::string(store_file) : std::string(master_addr) + ":" + std::to_string(master_port);
    const std::string prefix = key_prefix ? key_prefix : "";
    if (rank == 0) {
      const std::string size = std::to_string(world_size);
      store->set(prefix + "world_size", std::vector<uint8_t>(size.begin(), size.end()));
    }
    if (store->add(prefix + "rank/" + std::to_string(rank), 1) > 1) {
      throw std::runtime_error("rank " + std::to_string(rank) + " of the job at " + where + " is already taken by another process");
    }
    const auto size = store->get(prefix + "world_size");
    if (std::string(size.begin(), size.end()) != std::to_string(world_size)) {
      throw std::runtime_error("the job at " + where + " has WORLD_SIZE=" + std::string(size.begin(), size.end()) +
                               ", but this process was started with WORLD_SIZE=" + std::to_string(world_size));
    }
    auto device = gloo_device(master_addr);
    auto group = gloo_group(store, rank, world_size, device, timeout_ms);
    return new ct_process_group_s{store, group, device, prefix};
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in c10d");
  }
  return nullptr;
}

void ct_process_group_free(ct_process_group g) { delete g; }

ct_process_group ct_process_group_subgroup(ct_process_group parent, const char *name, const int *ranks, int count,
                                           int64_t timeout_ms) {
  try {
    const int me = parent->group->getRank();
    int index = -1;
    for (int i = 0; i < count; ++i) {
      if (ranks[i] == me) index = i;
    }
    if (index < 0) throw std::runtime_error("rank " + std::to_string(me) + " is not a member of the group " + name);
    // The members meet in the job's store under a prefix of the group's own, as torch's new_group does.
    const std::string prefix = parent->key_prefix + "group/" + name + "/";
    auto store = c10::make_intrusive<c10d::PrefixStore>(prefix, parent->store);
    auto group = gloo_group(store, index, count, parent->device, timeout_ms);
    return new ct_process_group_s{parent->store, group, parent->device, prefix};
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception in c10d");
  }
  return nullptr;
}

ct_work ct_pg_isend(ct_process_group g, ct_tensor t, int dst, int tag) {
  try {
    std::vector<at::Tensor> ts{ref(t)};
    return make_work(g->group->send(ts, dst, tag));
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}

ct_work ct_pg_irecv(ct_process_group g, ct_tensor t, int src, int tag) {
  try {
    std::vector<at::Tensor> ts{ref(t)};
    return make_work(src < 0 ? g->group->recvAnysource(ts, tag) : g->group->recv(ts, src, tag), true);
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}

ct_work ct_pg_iall_reduce_sum(ct_process_group g, ct_tensor t) {
  try {
    std::vector<at::Tensor> ts{ref(t)};
    return make_work(g->group->allreduce(ts));
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}

ct_work ct_pg_ibroadcast(ct_process_group g, ct_tensor t, int root) {
  try {
    std::vector<at::Tensor> ts{ref(t)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    return make_work(g->group->broadcast(ts, options));
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}

ct_work ct_pg_ibarrier(ct_process_group g) {
  try {
    return make_work(g->group->barrier());
  } catch (const std::exception &e) {
    set_error(e.what());
  }
  return nullptr;
}

int ct_work_wait(ct_work w, int64_t timeout_ms, int *source_rank) {
  CT_STATUS_BODY({
    // Gloo's works throw on a timeout or a failed peer; `false` means ct_work_abort ended it.
    if (!w->work->wait(milliseconds(timeout_ms))) throw std::runtime_error("the operation was abandoned");
    // Only a receive knows its source (others throw when asked).
    if (source_rank) *source_rank = w->is_receive ? w->work->sourceRank() : -1;
  })
}

// Gloo's sends and receives abort through their buffer (abortWaitSend/abortWaitRecv), which
// is safe from another thread and leaves a flag that a wait not yet started honours. The
// buffer stays registered with Gloo's context only through a non-owning pointer, so freeing
// the work afterwards is safe even if a message later arrives for it.
int ct_work_abort(ct_work w) {
  CT_STATUS_BODY({ w->work->abort(); })
}

void ct_work_free(ct_work w) { delete w; }

}  // extern "C"
