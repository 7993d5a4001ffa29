import Foundation
import NN
import Torch

/// The async pipeline across the ranks of a c10d job (`--distributed`): rank r holds devices
/// r·L … r·L+L−1.
/// Rank 0 runs the epoch loop of `AsyncPipelineExecutor` unchanged, its last hand-off a send
/// down the chain; the other ranks run `serve()`, which takes what arrives from the rank above
/// and does with it what rank 0's `trainEpoch`, `predict` and checkpoints ask, through the same
/// `process`. Rank 0 hears the other ranks' outcomes through a `ResultListener`.
extension AsyncPipelineExecutor {
  var link: RankLink? { boundary?.link }
  /// Devices per rank (all of them without a boundary).
  var devicesPerRank: Int { boundary?.devicesPerRank ?? group.count }
  /// The rank device d belongs to.
  func rank(ofDevice d: Int) -> Int { boundary?.rank(ofDevice: d) ?? 0 }
  /// The devices of rank r, in pipeline order.
  func devices(ofRank r: Int) -> Range<Int> { boundary?.devices(ofRank: r) ?? 0..<group.count }
  /// Whether device d works in this process: every device without a boundary, this rank's with one.
  func isHere(_ d: Int) -> Bool { boundary?.isHere(d) ?? true }

  /// Ranks other than 0: serves this run's share (this rank's components) until rank 0 ends the
  /// run. Throws when the rank above or rank 0 is lost, naming it.
  func serve() throws {
    guard let boundary, !boundary.link.isFirst else { throw PipelineError("serve() runs on the ranks other than 0") }
    let link = boundary.link
    let r = link.rank
    let mine = devices(ofRank: r), first = devices(ofRank: r).lowerBound
    /// Waits until every job queued on this rank's devices so far has run, in pipeline order
    /// (a device's jobs only hand on to later devices, so each is drained after its feeders).
    func drain() throws { for d in mine { try group.workers[d].run {} } }
    var epoch = Epoch(sendingOutcomes: boundary.outcomeSender())
    var modes: TrainingModes?
    func forward(_ m: RankLink.Down) throws { if !link.isLast { try link.sendDown(m) } }
    while true {
      let m = try link.receiveFromAbove()
      switch m {
      case .beginEpoch:
        group.beginEpoch(training: local)
        epoch = Epoch(sendingOutcomes: boundary.outcomeSender())
        try forward(m)
      case .batch(let message):
        let e = epoch
        try group.workers[first].submit(onCancel: { e.fail($0, batch: message.batch) }) { [self] in
          do {
            process(
              try arrived(message, onDevice: first, batch: message.batch, timeline: group.timeline), onDevice: first, e)
          } catch {
            e.fail(error, batch: message.batch)
          }
        }
      case .endEpoch:
        try drain()  // every batch before it has left this rank
        group.timeline.finish()
        if link.isLast { try link.sendUp(.epochEnded) } else { try link.sendDown(.endEpoch) }
      case .beginPrediction(let shared):
        modes = local.modules.map(\.1).trainingModes()
        local.train(false)
        try loadSharedState(shared, aboveRank: r)
        try forward(.beginPrediction(shared: shared + sharedState(ofRank: r)))
      case .prediction(let t, let partial):
        try group.workers[first].submit { [self] in
          do {
            let out = try predictShares(
              try arrived(partial, onDevice: first, batch: t, timeline: nil), onDevices: mine, batch: t)
            if link.isLast {
              try link.sendUp(.prediction(batch: t, try out.finished(on: .cpu)))
            } else {
              try link.sendDown(.prediction(batch: t, out))
            }
          } catch {
            try? link.sendUp(.dropped(batch: t, failure: "rank \(r): \(error)"))
          }
        }
      case .endPrediction:
        try drain()
        modes?.restore()
        if link.isLast { try link.sendUp(.predictionEnded) } else { try link.sendDown(.endPrediction) }
      case .sendState:
        try link.sendUp(.state(rank: r, try componentState(ofRank: r)))
        try forward(m)
      case .loadState(let named):
        try loadComponentState(named, ofRank: r)
        try forward(m)
      case .sendTimeline:
        try link.sendUp(
          .timeline(rank: r, group.timeline.spans.filter { mine.contains($0.device) }, clock: Stopwatch.now()))
        try forward(m)
      case .endRun:
        try forward(m)
        return
      case .beginRun, .endJob:
        throw PipelineError("rank \(r) received the start or end of a job in the middle of a run")
      }
    }
  }

  /// What came from the rank above (on the CPU: Gloo carries CPU tensors) on device d's
  /// tensors: a transfer span on a GPU, nothing to do on a CPU worker.
  private func arrived<T: DeviceMovable>(_ value: T, onDevice d: Int, batch t: Int, timeline: Timeline?) throws -> T {
    let here = group.tensorDevice(d)
    guard here != .cpu else { return value }
    let share = timeline == nil ? group.predictionShare(d, batch: t) : group.share(d, batch: t)
    return try share.run("moving what rank \(rank(ofDevice: d) - 1) sent") {
      try share.measure(.transfer) { try value.moved(to: here) }
    }
  }

  /// The shares of a prediction of `devices` (one rank's, called on the first one's worker):
  /// each device's components on its own worker, without gradients, the activation handed from
  /// device to device.
  private func predictShares(_ x: PartialPrediction, onDevices devices: Range<Int>, batch t: Int) throws
    -> PartialPrediction
  {
    try devices.reduce(x) { x, d in
      let share = group.predictionShare(d, batch: t)
      let work = { [self] () throws -> PartialPrediction in
        let y = try withNoGrad {
          try share.throughComponents(x) { k, x in
            try share.run("component \(k + 1)") { try local.predict(component: k, x, via: share.componentHandOff) }
          }
        }
        return d + 1 < devices.upperBound ? try share.handOff(y, to: d + 1) : y
      }
      return d == devices.lowerBound ? try work() : try group.workers[d].run(work)
    }
  }

  func shutdown() {
    if !shutDown, let link, link.isFirst, !link.isLast { try? link.sendDown(.endRun) }
    shutDown = true
    group.shutdown()
  }

  // MARK: Prediction across ranks

  func predict<S: Sequence>(
    _ inputs: S, exiting: ExitPolicy?, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    guard let link, !link.isLast else { return try group.predict(method, inputs, exiting: exiting, onBatch: onBatch) }
    guard exiting == nil else {
      throw PipelineError("adaptive inference runs in one process; evaluate the run's checkpoint with scpl eval")
    }
    // Safe to switch: no job is in flight (see `DeviceGroup.beginEpoch`).
    try local.inMode(training: false) { try predictAcrossRanks(link, inputs, onBatch: onBatch) }
  }

  private func predictAcrossRanks<S: Sequence>(
    _ link: RankLink, _ inputs: S, onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    let results = BlockingQueue<RankPrediction>(capacity: Int.max)
    let counted = LockedValue(0)  // predictions settled
    try link.sendDown(.beginPrediction(shared: try sharedState(ofRank: 0)))
    let listener = ResultListener(link: link, isComplete: { n in counted.withLock { $0 == n } }) { up in
      switch up {
      case .prediction(let t, let p): try results.put(.prediction(t, p))
      case .dropped(let t, let failure):
        try results.put(.failed(t, TorchError(failure ?? "batch \(t) was not predicted")))
      case .predictionEnded: return true
      default: throw PipelineError("rank 0 received a training result during a prediction")
      }
      counted.withLock { $0 += 1 }
      return false
    } lost: {
      try? results.put(.aborted($0))
    }

    var inOrder = InOrder<RankPrediction>()
    var fed = 0
    var failure: Error?
    func take(_ r: RankPrediction) {
      switch r {
      case .prediction(let t, _), .failed(let t, _):
        inOrder.add(t, r) { _, next in
          guard failure == nil else { return }
          switch next {
          case .prediction(let t, let p): do { try onBatch(t, p) } catch { failure = error }
          case .failed(_, let e): failure = e
          case .aborted: break
          }
        }
      case .aborted(let e): if failure == nil { failure = e }
      }
    }
    var iterator = inputs.makeIterator()
    while failure == nil, let x = iterator.next() {
      let t = fed
      do {
        try group.workers[0].submit { [self] in
          do {
            let first = try group.preparing(t) { PartialPrediction(try local.model.firstActivation(x.to($0))) }
            try link.sendDown(.prediction(batch: t, try predictShares(first, onDevices: devices(ofRank: 0), batch: t)))
          } catch {
            counted.withLock { $0 += 1 }
            try? results.put(.failed(t, error))
          }
        }
      } catch {
        failure = error
        break
      }
      fed += 1
      while let r = results.tryTake() { take(r) }
    }
    listener.expect(fed)
    _ = try? group.workers[0].submit { try link.sendDown(.endPrediction) }
    while inOrder.delivered < fed, let r = results.take() {
      if case .aborted = r { take(r); break }
      take(r)
    }
    listener.join()
    if let failure { throw failure }
  }

  // MARK: State across ranks (checkpoints, resume)

  /// The components rank r trains.
  func components(ofRank r: Int) -> [Int] { devices(ofRank: r).flatMap { group.placement.components[$0] } }

  /// The state of rank r's components, named as a checkpoint names it: each module's
  /// parameters and buffers under its `statePrefixes` name, the stage's optimizer as
  /// `optimizer<k+1>.`, the random generator as `rng.component<k>`.
  func componentState(ofRank r: Int) throws -> [(String, Tensor)] {
    let prefixes = local.statePrefixes()
    var out: [(String, Tensor)] = []
    for k in components(ofRank: r) {
      let stage = local.stages[k]
      out += try moduleState(stage.modules, component: k, prefixes)
      out += try stage.optimizer.stateDict().map { ("optimizer\(k + 1).\($0.0)", $0.1) }
      out.append(("rng.component\(k)", try group.generators[k].state()))
    }
    return out
  }

  /// Loads the entries of `named` that belong to rank r's components (`componentState`).
  func loadComponentState(_ named: [(String, Tensor)], ofRank r: Int) throws {
    let all = Dictionary(named, uniquingKeysWith: { a, _ in a })
    let prefixes = local.statePrefixes()
    for k in components(ofRank: r) {
      let stage = local.stages[k]
      try loadModuleState(all, into: stage.modules, component: k, prefixes, purpose: "for rank \(r)")
      try stage.optimizer.loadStateDict(all.entries(under: "optimizer\(k + 1)."))
      guard let rng = all["rng.component\(k)"] else {
        throw PipelineError("no random state for component \(k + 1) of rank \(r)")
      }
      try group.generators[k].setState(rng)
    }
  }

  /// The state of the modules of rank r's components that later components' prediction shares
  /// apply (`TrainingMethod.readByLaterPredictions`), named as a checkpoint names them.
  func sharedState(ofRank r: Int) throws -> [(String, Tensor)] {
    let prefixes = local.statePrefixes()
    return try components(ofRank: r).flatMap { k in
      try moduleState(local.readByLaterPredictions(component: k), component: k, prefixes)
    }
  }

  /// Loads what the ranks above rank r shared (`sharedState`) into this process's copies of
  /// those modules, which their own ranks trained.
  func loadSharedState(_ named: [(String, Tensor)], aboveRank r: Int) throws {
    let all = Dictionary(named, uniquingKeysWith: { a, _ in a })
    let prefixes = local.statePrefixes()
    for k in (0..<r).flatMap(components(ofRank:)) {
      try loadModuleState(
        all, into: local.readByLaterPredictions(component: k), component: k, prefixes, purpose: "shared for prediction")
    }
  }

  /// `modules`' parameters and buffers (modules of component k), each under its checkpoint name.
  private func moduleState(_ modules: [Module], component k: Int, _ prefixes: [ObjectIdentifier: String]) throws
    -> [(String, Tensor)]
  {
    try modules.flatMap { m in
      let prefix = try statePrefix(of: m, in: prefixes, component: k)
      return m.stateDict().map { (prefix + $0.0, $0.1) }
    }
  }

  /// Loads each of `modules` (modules of component k) from the entries of `all` under its
  /// checkpoint name; an error names the module and `purpose`.
  private func loadModuleState(
    _ all: [String: Tensor], into modules: [Module], component k: Int, _ prefixes: [ObjectIdentifier: String],
    purpose: String
  ) throws {
    for m in modules {
      let prefix = try statePrefix(of: m, in: prefixes, component: k)
      try inContext("loading component \(k + 1)'s \(prefix.dropLast()) \(purpose)") {
        try m.loadStateDict(all.entries(under: prefix))
      }
    }
  }

  private func statePrefix(of m: Module, in prefixes: [ObjectIdentifier: String], component k: Int) throws -> String {
    guard let prefix = prefixes[ObjectIdentifier(m)] else {
      throw PipelineError("a module of component \(k + 1) is not among the method's modules")
    }
    return prefix
  }

  func gatherState() throws {
    guard let link, link.isFirst, !link.isLast else { return }
    try link.sendDown(.sendState)
    for _ in 1..<link.worldSize {
      guard case .state(let rank, let named) = try link.receiveUp() else {
        throw PipelineError("rank 0 expected the ranks' state and received something else")
      }
      try loadComponentState(named, ofRank: rank)
    }
  }

  /// Brings the other ranks' spans of the last epoch into this timeline (rank 0, after an
  /// epoch), so the trace, the timeline picture and the busy fractions cover every device.
  ///
  /// The ranks of one host share its monotonic clock. On several hosts the clocks differ: a
  /// rank's reading at its reply, taken between rank 0's request (t0) and the reply's arrival
  /// (t1), should fall in [t0, t1]; when it does not, that rank's spans are shifted to put its
  /// reading at the middle of [t0, t1] — at most half the round trip off.
  func gatherTimeline() throws {
    guard let link, link.isFirst, !link.isLast else { return }
    let t0 = Stopwatch.now()
    try link.sendDown(.sendTimeline)
    for _ in 1..<link.worldSize {
      guard case .timeline(_, let spans, let clock) = try link.receiveUp() else {
        throw PipelineError("rank 0 expected the ranks' timelines and received something else")
      }
      let t1 = Stopwatch.now()
      let shift = (t0...t1).contains(clock) ? 0 : (t0 + t1) / 2 - clock
      group.timeline.record(
        spans.filter { !isHere($0.device) && $0.device < group.count }.map { s in
          var s = s
          s.start += shift
          s.end += shift
          return s
        })
    }
  }

  func scatterState() throws {
    guard let link, link.isFirst, !link.isLast else { return }
    try link.sendDown(.loadState(try (1..<link.worldSize).flatMap { try componentState(ofRank: $0) }))
  }
}

/// A batch's prediction as it comes back to rank 0: done, failed, or the other ranks lost.
enum RankPrediction {
  case prediction(Int, Prediction)
  case failed(Int, Error)
  case aborted(Error)
}
