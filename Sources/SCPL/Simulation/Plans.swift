extension ScheduleSimulator.Schedule {
  /// This schedule written out as data: every job, on which device, waiting for which others.
  /// Forward, backward and transfer jobs cost M times the per-micro-batch cost when they carry the
  /// whole mini-batch; loss and update jobs cost the per-mini-batch figure.
  public func plan(_ setup: ScheduleSimulator.Setup) -> [ScheduleSimulator.Job] {
    var p = PlanBuilder(setup)
    switch self {
    case .bp: p.backprop()
    case .nmp: p.naiveModelParallel()
    case .overlap: p.overlap()
    case .async: p.asynchronous()
    case .gpipe: p.gpipe()
    case .scplGPipe: p.scplGPipe()
    case .oneFOneB: p.interleaved(chunks: 1, splitBackward: false)
    case .interleaved1F1B: p.interleaved(chunks: setup.chunksPerDevice, splitBackward: false)
    case .zbH1: p.interleaved(chunks: 1, splitBackward: true)
    }
    return p.jobs
  }
}

extension ScheduleSimulator {
  /// Device d's link to the other replicas (`Setup.replicas`) is simulated as device
  /// `linkDevice + d`, a row of its own, so that an all-reduce overlaps the device's compute but
  /// not the device's other all-reduces (one link each, as one NCCL or Gloo stream per device).
  /// `run` renumbers these rows to follow the compute devices.
  static let linkDevice = 1_000_000
}

/// Appends the jobs of each schedule; `add` returns the new job's index so later jobs can wait
/// for it. Stage k runs on device k except in bp.
private struct PlanBuilder {
  typealias Job = ScheduleSimulator.Job
  let c: [StageCosts]
  let K: Int
  let M: Int
  let N: Int
  let policy: ScheduleSimulator.UpdatePolicy
  /// Replicas of the pipeline (1: no all-reduce).
  let R: Int
  var jobs: [Job] = []

  init(_ s: ScheduleSimulator.Setup) {
    c = s.stages
    K = s.stages.count
    M = s.microBatches
    N = s.batches
    policy = s.update
    R = s.replicas
  }

  var whole: Double { Double(M) }

  @discardableResult
  mutating func add(
    _ kind: ScheduleSimulator.Kind, stage k: Int, device: Int? = nil, micro: Int? = nil,
    batch: Int = 1, _ duration: Double, after: [Int?] = []
  ) -> Int {
    jobs.append(
      Job(
        device: device ?? k, stage: k, kind: kind, microBatch: micro, batch: batch,
        duration: duration, after: after.compactMap { $0 }))
    return jobs.count - 1
  }

  /// Stage k sends its output to stage k+1; the returned job is what k+1's forward waits for.
  mutating func sendForward(stage k: Int, micro: Int? = nil, batch: Int = 1) -> Int? {
    guard k < K - 1 else { return nil }
    return add(.transfer, stage: k, micro: micro, batch: batch, c[k].transfer * (micro == nil ? whole : 1))
  }

  /// Stage k sends the gradient of stage k−1's output back to it (same size as the activation).
  mutating func sendBackward(stage k: Int, micro: Int? = nil) -> Int? {
    guard k > 0 else { return nil }
    return add(.transfer, stage: k, micro: micro, c[k - 1].transfer * (micro == nil ? whole : 1))
  }

  /// With replicas, the all-reduce of `stage`'s gradients (cost `cost`: the stage's, or a
  /// device's under interleaved-1f1b) on device `device`'s link, once job `after` (its last
  /// backward) is done; nil with one replica.
  mutating func allReduce(stage: Int, device: Int, batch: Int = 1, cost: Double, after: Int) -> Int? {
    guard R > 1 else { return nil }
    return add(
      .allreduce, stage: stage, device: ScheduleSimulator.linkDevice + device, batch: batch,
      cost * 2 * Double(R - 1) / Double(R), after: [after])
  }

  /// One update per stage, each after every device's last job (synchronous) or only after its own
  /// device's earlier jobs (per stage; the device order already says that). With replicas, each
  /// stage's gradients are first all-reduced, starting when its last backward ends (so a stage's
  /// all-reduce overlaps the backwards of the stages before it, as DDP's buckets overlap the
  /// backward), and its update waits for its all-reduce. `byDevice` (interleaved-1f1b, whose
  /// stages are virtual): update k is device k's, and the all-reduce of device k's chunks starts
  /// after the device's last backward.
  mutating func updates(byDevice: Bool = false) {
    var reduced: [Int?] = Array(repeating: nil, count: K)
    if R > 1 {
      var lastBackward: [Int: Int] = [:]  // stage (or device) → its last backward
      for (i, j) in jobs.enumerated() where j.kind == .backward || j.kind == .weight {
        lastBackward[byDevice ? j.device : j.stage] = i
      }
      // In the order the backwards end, which is the order one link (bp's) takes them in.
      for (k, b) in lastBackward.sorted(by: { $0.value < $1.value }) {
        reduced[k] = allReduce(stage: jobs[b].stage, device: jobs[b].device, cost: c[k].allreduce, after: b)
      }
    }
    var last: [Int: Int] = [:]
    for (i, j) in jobs.enumerated() { last[j.device] = i }
    let barrier: [Int?] = policy == .synchronous ? Array(last.values) : []
    let onDevice0 = jobs.allSatisfy { $0.device == 0 || $0.device >= ScheduleSimulator.linkDevice }
    for k in 0..<K {
      add(.update, stage: k, device: onDevice0 ? 0 : k, c[k].update, after: barrier + [reduced[k]])
    }
  }

  mutating func backprop() {
    for k in 0..<K { add(.forward, stage: k, device: 0, c[k].forward * whole) }
    add(.loss, stage: K - 1, device: 0, c[K - 1].loss)
    for k in (0..<K).reversed() { add(.backward, stage: k, device: 0, c[k].backward * whole) }
    updates()
  }

  mutating func naiveModelParallel() {
    var input: Int?
    for k in 0..<K {
      add(.forward, stage: k, c[k].forward * whole, after: [input])
      input = sendForward(stage: k)
    }
    add(.loss, stage: K - 1, c[K - 1].loss)
    var gradient: Int?
    for k in (0..<K).reversed() {
      add(.backward, stage: k, c[k].backward * whole, after: [gradient])
      gradient = sendBackward(stage: k)
    }
    updates()
  }

  mutating func overlap() {
    var input: Int?
    for k in 0..<K {
      add(.forward, stage: k, c[k].forward * whole, after: [input])
      input = sendForward(stage: k)
      add(.loss, stage: k, c[k].loss)
      add(.backward, stage: k, c[k].backward * whole)
    }
    updates()
  }

  mutating func asynchronous() {
    for t in 1...N {
      var input: Int?
      for k in 0..<K {
        add(.forward, stage: k, batch: t, c[k].forward * whole, after: [input])
        input = sendForward(stage: k, batch: t)
        add(.loss, stage: k, batch: t, c[k].loss)
        let b = add(.backward, stage: k, batch: t, c[k].backward * whole)
        let reduced = allReduce(stage: k, device: k, batch: t, cost: c[k].allreduce, after: b)
        add(.update, stage: k, batch: t, c[k].update, after: [reduced])
      }
    }
  }

  /// GPipe's forward: stage k runs micro-batch m once it has finished m−1 (device order) and
  /// micro-batch m has arrived from stage k−1.
  mutating func pipelinedForward() {
    var input = [Int?](repeating: nil, count: M + 1)
    for k in 0..<K {
      for m in 1...M {
        add(.forward, stage: k, micro: m, c[k].forward, after: [input[m]])
        input[m] = sendForward(stage: k, micro: m)
      }
    }
  }

  mutating func gpipe() {
    pipelinedForward()
    add(.loss, stage: K - 1, c[K - 1].loss)
    var gradient = [Int?](repeating: nil, count: M + 1)
    for k in (0..<K).reversed() {
      for m in stride(from: M, through: 1, by: -1) {
        add(.backward, stage: k, micro: m, c[k].backward, after: [gradient[m]])
        gradient[m] = sendBackward(stage: k, micro: m)
      }
    }
    updates()
  }

  mutating func scplGPipe() {
    pipelinedForward()
    for k in 0..<K {
      add(.loss, stage: k, c[k].loss)
      for m in stride(from: M, through: 1, by: -1) { add(.backward, stage: k, micro: m, c[k].backward) }
    }
    updates()
  }

  /// The 1F1B family as jobs, in `OneFOneBOrder.merged`'s order. Virtual stage s = chunk·K +
  /// device costs 1/v of its device's stage; a forward waits for the previous virtual stage's
  /// transfer of the same micro-batch, the last stage computes each micro-batch's loss (1/M of
  /// the mini-batch's) right after its forward, and a backward (B) waits for the next stage's
  /// gradient; under `splitBackward` B and W each cost half the backward. Then the updates.
  mutating func interleaved(chunks v: Int, splitBackward: Bool) {
    let S = K * v
    var sent: [[Int: Int]] = Array(repeating: [:], count: S)  // stage → micro → its forward's send job
    var gradient: [[Int: Int]] = Array(repeating: [:], count: S)  // stage → micro → its backward's send job
    let backwardShare = (splitBackward ? 0.5 : 1) / Double(v)
    for (d, step) in OneFOneBOrder.merged(devices: K, microBatches: M, chunks: v, splitBackward: splitBackward) {
      let (m, s) = (step.micro, step.stage(device: d, devices: K))
      switch step {
      case .forward:
        let j = add(
          .forward, stage: s, device: d, micro: m + 1, c[d].forward / Double(v), after: [s == 0 ? nil : sent[s - 1][m]])
        if s < S - 1 {
          sent[s][m] = add(.transfer, stage: s, device: d, micro: m + 1, c[d].transfer, after: [j])
        } else {
          add(.loss, stage: s, device: d, micro: m + 1, c[d].loss / Double(M))
        }
      case .backward:
        let j = add(
          .backward, stage: s, device: d, micro: m + 1, c[d].backward * backwardShare,
          after: [s == S - 1 ? nil : gradient[s + 1][m]])
        if s > 0 {
          gradient[s][m] = add(.transfer, stage: s, device: d, micro: m + 1, c[(s - 1) % K].transfer, after: [j])
        }
      case .weight:
        add(.weight, stage: s, device: d, micro: m + 1, c[d].backward * backwardShare)
      }
    }
    updates(byDevice: true)
  }
}
