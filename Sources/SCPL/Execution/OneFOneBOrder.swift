/// The order of work in the 1F1B family of pipeline schedules, shared by the executors and the
/// simulator: what each device does next, and one list of every device's steps in an order where
/// each step comes after every step it waits for (so jobs can be queued, or timed, in that order).
///
/// K devices, M micro-batches, v chunks per device: chunk c of device d is virtual stage
/// s = c·K + d, so a micro-batch goes round the devices v times.
public enum OneFOneBOrder {
  /// One step of one device: a micro-batch's (0-based) forward, backward (with `splitBackward`,
  /// the input-gradient pass B) or weight-gradient pass W, through one of its chunks.
  public enum Step: Equatable, Sendable {
    /// The forward of `micro` through chunk `chunk`.
    case forward(micro: Int, chunk: Int)
    /// The backward (or B pass) of `micro` through chunk `chunk`.
    case backward(micro: Int, chunk: Int)
    /// The W pass of `micro` through chunk `chunk` (ZB-H1 only).
    case weight(micro: Int, chunk: Int)

    /// The micro-batch the step works on.
    public var micro: Int {
      switch self {
      case .forward(let m, _), .backward(let m, _), .weight(let m, _): return m
      }
    }

    /// The virtual stage of the step on device `d` of `devices`.
    public func stage(device d: Int, devices: Int) -> Int {
      switch self {
      case .forward(_, let c), .backward(_, let c), .weight(_, let c): return c * devices + d
      }
    }
  }

  /// Device d's steps. 1F1B (`chunks` 1): K−1−d warm-up forwards, then one forward and one
  /// backward in turn, then the remaining backwards. Interleaved (`chunks` v > 1), as Megatron
  /// orders it: forwards go K micro-batches through chunk 0, the same K through chunk 1, …, then
  /// the next K (backwards through the chunks in reverse), after (K−d−1)·2 + (v−1)·K warm-up
  /// forwards; M must be a multiple of K. With `splitBackward` (ZB-H1) each backward is the B pass
  /// and device d keeps up to d W passes waiting, running the oldest whenever more wait, and the
  /// rest at the end: the later devices' W passes move out of the way of the gradients going back
  /// and fill their tail, and every device holds at most K micro-batches, 1F1B's peak on device 0.
  public static func steps(
    devices K: Int, device d: Int, microBatches M: Int, chunks v: Int = 1, splitBackward: Bool = false
  ) -> [Step] {
    let total = M * v
    func forward(_ i: Int) -> Step { .forward(micro: (i / (K * v)) * K + i % K, chunk: (i / K) % v) }
    func backward(_ i: Int) -> Step { .backward(micro: (i / (K * v)) * K + i % K, chunk: v - 1 - (i / K) % v) }
    let warmUp = min(total, v == 1 ? K - 1 - d : (K - d - 1) * 2 + (v - 1) * K)
    var out = (0..<warmUp).map(forward)
    var waiting: [Step] = []
    func backwardThenWeight(_ i: Int) {
      let b = backward(i)
      out.append(b)
      guard splitBackward, case .backward(let m, let c) = b else { return }
      waiting.append(.weight(micro: m, chunk: c))
      if waiting.count > d { out.append(waiting.removeFirst()) }
    }
    for i in 0..<(total - warmUp) {
      out.append(forward(warmUp + i))
      backwardThenWeight(i)
    }
    for i in (total - warmUp)..<total { backwardThenWeight(i) }
    return out + waiting
  }

  /// Every device's steps in one list, each after the steps it waits for: a forward after the
  /// previous stage's forward of its micro-batch, a backward after its own forward and the next
  /// stage's backward, a W pass after its backward. Each device's steps keep their order.
  public static func merged(devices K: Int, microBatches M: Int, chunks v: Int = 1, splitBackward: Bool = false)
    -> [(device: Int, step: Step)]
  {
    let lists = (0..<K).map { steps(devices: K, device: $0, microBatches: M, chunks: v, splitBackward: splitBackward) }
    let S = K * v
    var forwarded = Array(repeating: Set<Int>(), count: S)
    var backwarded = Array(repeating: Set<Int>(), count: S)
    var next = [Int](repeating: 0, count: K)
    var out: [(device: Int, step: Step)] = []
    let total = lists.map(\.count).reduce(0, +)
    while out.count < total {
      let before = out.count
      for d in 0..<K where next[d] < lists[d].count {
        let step = lists[d][next[d]]
        let (m, s) = (step.micro, step.stage(device: d, devices: K))
        switch step {
        case .forward:
          guard s == 0 || forwarded[s - 1].contains(m) else { continue }
          forwarded[s].insert(m)
        case .backward:
          guard forwarded[s].contains(m), s == S - 1 || backwarded[s + 1].contains(m) else { continue }
          backwarded[s].insert(m)
        case .weight:
          guard backwarded[s].contains(m) else { continue }
        }
        out.append((d, step))
        next[d] += 1
      }
      precondition(out.count > before, "the 1F1B step lists wait on each other: a schedule bug")
    }
    return out
  }
}
