import CTorch
import Foundation

/// A group of processes joined through torch's c10d: a TCPStore rendezvous (rank 0 hosts it) and
/// a Gloo process group over it, for CPU tensors. Every operation waits at most `timeout` and
/// throws with the rank it talked to: a timeout, a peer that died (its connection closed), a
/// wrong shape. Nothing here opens a socket of its own; c10d does all the networking.
public final class ProcessGroup: @unchecked Sendable {
  private let handle: ct_process_group
  /// This process's rank, 0 ..< `worldSize`.
  public let rank: Int
  /// The number of processes in the job.
  public let worldSize: Int
  /// How long any one operation may wait.
  public let timeout: Double
  /// The host that rank 0's store listens on.
  public let masterAddress: String
  /// The TCP port of rank 0's store.
  public let masterPort: Int
  /// The receives being waited on, so that `abandonReceives` can end them.
  private let receives = PendingReceives()

  /// Joins the job: rank 0 hosts the store at port `masterPort` and waits for the others; rank
  /// k > 0 connects to `masterAddress:masterPort`. With `storeFile` (every rank on this host),
  /// the ranks meet in that file instead and no port is opened for it. `keyPrefix` keeps this
  /// job's keys apart in the store. Waits at most `timeout` seconds for everyone.
  public init(
    rank: Int, worldSize: Int, masterAddress: String, masterPort: Int, storeFile: String? = nil,
    keyPrefix: String = "scpl/", timeout: Double
  ) throws {
    guard worldSize >= 1, (0..<worldSize).contains(rank) else {
      throw TorchError("rank \(rank) is not in a job of \(worldSize) process(es) (RANK must be 0…WORLD_SIZE−1)")
    }
    guard (1...65535).contains(masterPort) else {
      throw TorchError("the master port \(masterPort) is not a TCP port (1…65535)")
    }
    // As Python does for every torch process: Gloo writes with `writev`, which has no
    // MSG_NOSIGNAL, so a peer that dies while this rank is writing to it would raise SIGPIPE,
    // whose default action ends this process without a word (no error naming the lost rank, no
    // "failed" in the run folder). Ignored, the write fails with EPIPE and Gloo reports it.
    signal(SIGPIPE, SIG_IGN)
    guard
      let h = ct_process_group_new(
        masterAddress, Int32(masterPort), storeFile, keyPrefix, Int32(rank), Int32(worldSize),
        Int64(timeout * 1000))
    else {
      let cause = TorchError.last("c10d").message
      let role =
        storeFile != nil
        ? "rank \(rank) could not meet the other ranks in \(storeFile!) within \(Self.seconds(timeout))"
        : rank == 0
          ? "rank 0 could not host the rendezvous on port \(masterPort) or not every one of the \(worldSize) ranks joined within \(Self.seconds(timeout))"
          : "rank \(rank) could not join the rendezvous at \(masterAddress):\(masterPort) within \(Self.seconds(timeout))"
      throw TorchError("\(role): \(cause)")
    }
    handle = h
    self.rank = rank
    self.worldSize = worldSize
    self.timeout = timeout
    self.masterAddress = masterAddress
    self.masterPort = masterPort
  }

  /// A group made by `subgroup`: its handle, with this process's rank in it.
  private init(
    subgroup handle: ct_process_group, rank: Int, worldSize: Int, timeout: Double, masterAddress: String,
    masterPort: Int
  ) {
    self.handle = handle
    self.rank = rank
    self.worldSize = worldSize
    self.timeout = timeout
    self.masterAddress = masterAddress
    self.masterPort = masterPort
  }

  deinit { ct_process_group_free(handle) }

  /// A group of some of this job's ranks, for collectives (and sends) among them only: `ranks`
  /// are ranks of this group, distinct, and this process's rank among them; in the subgroup,
  /// `ranks[i]` is rank i. Every member calls it with the same `name` and `ranks` (non-members do
  /// not), and the members meet in this group's store under `name`, as torch's `new_group` does;
  /// the subgroup's connections use this group's network interface. Waits at most `timeout`
  /// seconds for the other members. Several subgroups may be made and used at once (one per
  /// pipeline stage among replicas, say); each is independent of this group once made.
  public func subgroup(_ name: String, ranks: [Int]) throws -> ProcessGroup {
    guard !ranks.isEmpty, Set(ranks).count == ranks.count, ranks.allSatisfy({ (0..<worldSize).contains($0) }) else {
      throw TorchError("the group \(name) needs distinct ranks of 0…\(worldSize - 1), got \(ranks)")
    }
    guard let index = ranks.firstIndex(of: rank) else {
      throw TorchError("rank \(rank) is not among the ranks \(ranks) of the group \(name)")
    }
    let h = ranks.map(Int32.init).withUnsafeBufferPointer {
      ct_process_group_subgroup(handle, name, $0.baseAddress, Int32(ranks.count), Int64(timeout * 1000))
    }
    guard let h else {
      throw TorchError(
        "rank \(rank) could not form the group \(name) with ranks \(ranks) within \(Self.seconds(timeout)): \(TorchError.last("c10d").message)"
      )
    }
    return ProcessGroup(
      subgroup: h, rank: index, worldSize: ranks.count, timeout: timeout, masterAddress: masterAddress,
      masterPort: masterPort)
  }

  static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }

  /// Ends every receive this process waits on, now and later, with `cause` as its error: for a
  /// rank that is stopping because the job is broken (a send to a rank failed), so that a wait
  /// for what will never come ends now rather than at the timeout. Sends still work (to tell
  /// the ranks that are alive to leave).
  public func abandonReceives(because cause: Error) { receives.abandon(because: cause) }

  /// Waits (at most `seconds`) until `count` receives of this process are being waited on (in
  /// `Work.wait`); false when they were not. For a thread that must act while a receive is under
  /// way, such as a test of `abandonReceives`, without guessing how long that takes to begin.
  public func waitUntilReceiving(_ count: Int = 1, seconds: Double) -> Bool {
    receives.waitUntilWaiting(count, before: Date().addingTimeInterval(seconds))
  }

  /// A pending operation; `wait()` it once.
  public final class Work: @unchecked Sendable {
    private let handle: ct_work
    private let what: String
    private let timeout: Double
    /// Tensors the operation reads or writes, kept alive until it is done.
    private let tensors: [Tensor]
    /// A receive's registry, which may abandon its wait.
    private let receives: PendingReceives?

    fileprivate init(
      _ handle: ct_work?, _ what: String, timeout: Double, tensors: [Tensor], receives: PendingReceives? = nil
    ) throws {
      guard let handle else { throw TorchError.last(what) }
      self.handle = handle
      self.what = what
      self.timeout = timeout
      self.tensors = tensors
      self.receives = receives
    }

    deinit { ct_work_free(handle) }

    /// Waits until the operation is done; returns the rank a receive came from.
    @discardableResult
    public func wait() throws -> Int {
      try receives?.begin(self)
      defer { receives?.end(self) }
      var source: Int32 = -1
      do {
        try check(
          ct_work_wait(handle, Int64(timeout * 1000), &source),
          "\(what) (waited at most \(ProcessGroup.seconds(timeout)))")
      } catch {
        throw receives?.cause ?? error  // abandoned: the reason the process stopped waiting
      }
      return Int(source)
    }

    /// Ends the operation now, done or not: a wait on it, begun or not, throws. For a process
    /// that gives up on a peer (a send no one will take, a receive that will never come); the
    /// work may be freed afterwards whatever arrives later.
    public func abort() { _ = ct_work_abort(handle) }
  }

  /// The receives being waited on, and whether they were abandoned (and why).
  fileprivate final class PendingReceives: @unchecked Sendable {
    /// Guards the fields; broadcast when a wait begins (`waitUntilWaiting`).
    private let lock = NSCondition()
    private var waiting: [ObjectIdentifier: Work] = [:]
    private var abandonedBecause: Error?

    var cause: Error? { lock.lock(); defer { lock.unlock() }; return abandonedBecause }

    func begin(_ w: Work) throws {
      lock.lock(); defer { lock.unlock() }
      if let abandonedBecause { throw abandonedBecause }
      waiting[ObjectIdentifier(w)] = w
      lock.broadcast()
    }

    /// Whether `count` receives were being waited on before `deadline`.
    func waitUntilWaiting(_ count: Int, before deadline: Date) -> Bool {
      lock.lock(); defer { lock.unlock() }
      while waiting.count < count { guard lock.wait(until: deadline) else { return waiting.count >= count } }
      return true
    }

    func end(_ w: Work) { lock.lock(); waiting[ObjectIdentifier(w)] = nil; lock.unlock() }

    func abandon(because cause: Error) {
      lock.lock()
      if abandonedBecause == nil { abandonedBecause = cause }
      let pending = Array(waiting.values)
      lock.unlock()
      for w in pending { w.abort() }  // a wait not yet begun throws in `begin`; one under way ends now
    }
  }

  // Gloo sends a tensor's bytes as they are: only dense, contiguous CPU tensors go over the wire.
  private func wire(_ t: Tensor) throws -> Tensor {
    guard t.device == .cpu else {
      throw TorchError("c10d's Gloo group sends CPU tensors; move \(t.shape) from \(t.device) first")
    }
    return try t.contiguous()
  }

  /// Starts sending `t` (a CPU tensor) to rank `dst` under `tag`; `wait()` on the result before
  /// changing `t`.
  public func send(_ t: Tensor, to dst: Int, tag: Int) throws -> Work {
    let t = try wire(t)
    return try Work(
      ct_pg_isend(handle, t.handle, Int32(dst), Int32(tag)), "sending a tensor of shape \(t.shape) to rank \(dst)",
      timeout: timeout,
      tensors: [t])
  }

  /// Receives into `t` (its shape and dtype must be the sent tensor's) from rank `src`, or from
  /// whichever rank sends first when `src` is nil (`wait()` tells which).
  public func receive(into t: Tensor, from src: Int?, tag: Int) throws -> Work {
    try Work(
      ct_pg_irecv(handle, t.handle, Int32(src ?? -1), Int32(tag)),
      "receiving a tensor of shape \(t.shape) from \(src.map { "rank \($0)" } ?? "any rank")", timeout: timeout,
      tensors: [t],
      receives: receives)
  }

  /// Sums `t` over every rank, in place.
  public func allReduceSum(_ t: Tensor) throws {
    try Work(ct_pg_iall_reduce_sum(handle, t.handle), "all-reduce", timeout: timeout, tensors: [t]).wait()
  }

  /// Rank `root`'s `t` into every rank's `t`.
  public func broadcast(_ t: Tensor, from root: Int) throws {
    try Work(
      ct_pg_ibroadcast(handle, t.handle, Int32(root)), "broadcast from rank \(root)", timeout: timeout, tensors: [t]
    ).wait()
  }

  /// Waits until every rank has reached the barrier (at most `timeout`).
  public func barrier() throws { try Work(ct_pg_ibarrier(handle), "barrier", timeout: timeout, tensors: []).wait() }

  /// Rank `root`'s bytes, on every rank (the others pass anything, e.g. []).
  public func broadcastBytes(_ bytes: [UInt8], from root: Int) throws -> [UInt8] {
    let length = try Tensor([Int64(rank == root ? bytes.count : 0)])
    try broadcast(length, from: root)
    let n = Int(try length.toArray(Int64.self)[0])
    guard n > 0 else { return [] }
    let t = rank == root ? try Tensor(bytes) : try Tensor.zeros([n], dtype: .uint8)
    try broadcast(t, from: root)
    return try t.toArray(UInt8.self)
  }

  // MARK: Tensors with their shapes

  /// How many tensors one `sendTensors` carries at most, and their rank.
  public static let maxTensors = 16, maxDimensions = 8
  private static let slot = 2 + maxDimensions  // dtype (−1: absent), rank, dimensions

  /// Sends tensors of any shape and dtype (nil: an absent optional) as one message: a fixed-size
  /// header of their shapes, then each tensor. `receiveTensors` on the other side rebuilds them.
  public func sendTensors(_ tensors: [Tensor?], to dst: Int, tag: Int) throws {
    for w in try postTensors(tensors, to: dst, tag: tag) { try w.wait() }
  }

  /// Starts sending `tensors` as `sendTensors` does and returns at once: the message goes out
  /// while the caller goes on, and each returned `Work` must be waited for before the tensors
  /// change. A rank that sends to a rank which sends back before it receives (a pipeline's
  /// activations down and gradients up) cannot wait in its send. Messages posted to one rank
  /// under one tag arrive in the order posted; post one message at a time per rank and tag.
  public func postTensors(_ tensors: [Tensor?], to dst: Int, tag: Int) throws -> [Work] {
    guard tensors.count <= Self.maxTensors else {
      throw TorchError("a message holds at most \(Self.maxTensors) tensors, not \(tensors.count)")
    }
    var header = Array(repeating: Int64(0), count: 1 + Self.maxTensors * Self.slot)
    header[0] = Int64(tensors.count)
    for (i, t) in tensors.enumerated() {
      let base = 1 + i * Self.slot
      guard let t else { header[base] = -1; continue }
      guard t.shape.count <= Self.maxDimensions else {
        throw TorchError("a tensor of \(t.shape.count) dimensions cannot be sent (at most \(Self.maxDimensions))")
      }
      header[base] = Int64(t.dtype.rawValue)
      header[base + 1] = Int64(t.shape.count)
      for (j, n) in t.shape.enumerated() { header[base + 2 + j] = Int64(n) }
    }
    var pending = [try send(Tensor(header), to: dst, tag: tag)]
    for t in tensors.compactMap({ $0 }) where t.shape.reduce(1, *) > 0 {
      pending.append(try send(t, to: dst, tag: tag))
    }
    return pending
  }

  /// The next message `sendTensors` sent under `tag` from rank `src` (from any rank when nil):
  /// the sender's rank and its tensors.
  public func receiveTensors(from src: Int?, tag: Int) throws -> (source: Int, tensors: [Tensor?]) {
    let header = try Tensor.zeros([1 + Self.maxTensors * Self.slot], dtype: .int64)
    let source = try receive(into: header, from: src, tag: tag).wait()
    let h: [Int64] = try header.toArray()
    guard (0...Int64(Self.maxTensors)).contains(h[0]) else {
      throw TorchError("a message from rank \(source) announced \(h[0]) tensors: not a message of scpl's")
    }
    var tensors: [Tensor?] = []
    for i in 0..<Int(h[0]) {
      let base = 1 + i * Self.slot
      guard h[base] >= 0 else { tensors.append(nil); continue }
      guard let dtype = DType(rawValue: Int32(h[base])), (0...Int64(Self.maxDimensions)).contains(h[base + 1]) else {
        throw TorchError("a message from rank \(source) has an unknown dtype or rank: not a message of scpl's")
      }
      let shape = (0..<Int(h[base + 1])).map { Int(h[base + 2 + $0]) }
      let t = try Tensor.zeros(shape, dtype: dtype)
      if shape.reduce(1, *) > 0 { try receive(into: t, from: source, tag: tag).wait() }
      tensors.append(t)
    }
    return (source, tensors)
  }
}
