import Foundation
import NN
import Torch

/// An executor whose pipeline may span the ranks of a c10d job (`--distributed`): rank r holds
/// devices r·L … r·L+L−1. Rank 0 runs the executor's epoch loop; the other ranks run `serve()`,
/// which takes what arrives from the rank above and does with it what rank 0's `trainEpoch`,
/// `predict`, checkpoints and trace ask. Training is the executor's own (`serveTraining`: the
/// async pipeline's batches, a batch-by-batch schedule's steps); prediction, state and the
/// timeline are the same for every schedule and live here.
protocol RankedExecutor: DeviceGroupExecutor {
  /// Set when the pipeline's devices span the ranks of a job.
  var boundary: ProcessBoundary? { get }
  /// Whether `shutdown()` has run (rank 0 then tells the other ranks the run is over once).
  var shutDown: Bool { get set }
  /// On a rank other than 0: one of rank 0's training messages (`beginEpoch`, `endEpoch`, and
  /// the schedule's own), which the executor handles and passes on down the chain.
  func serveTraining(_ m: RankLink.Down) throws
}

extension RankedExecutor {
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
    var modes: TrainingModes?
    func forward(_ m: RankLink.Down) throws { if !link.isLast { try link.sendDown(m) } }
    while true {
      let m = try link.receiveFromAbove()
      switch m {
      case .beginEpoch, .batch, .step, .endEpoch:
        try serveTraining(m)
      case .beginPrediction(let shared):
        modes = method.modules.map(\.1).trainingModes()
        method.train(false)
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
        try drainDevices(ofRank: r)
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

  /// Waits until every job queued on rank r's devices so far has run, in pipeline order (a
  /// device's jobs only hand on to later devices, so each is drained after its feeders).
  func drainDevices(ofRank r: Int) throws { for d in devices(ofRank: r) { try group.workers[d].run {} } }

  /// What came from the rank above (on the CPU: Gloo carries CPU tensors) on device d's
  /// tensors: a transfer span on a GPU, nothing to do on a CPU worker.
  func arrived<T: DeviceMovable>(_ value: T, onDevice d: Int, batch t: Int, timeline: Timeline?) throws -> T {
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
            try share.run("component \(k + 1)") { try method.predict(component: k, x, via: share.componentHandOff) }
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
    if group.stageCount != group.count {
      // interleaved-1f1b: its stages wrap round the devices, and so round the ranks, while a
      // prediction goes down the chain once. Rank 0 brings every rank's state home and predicts
      // through the whole placement itself, the other ranks' devices being its CPU stand-ins.
      try gatherState()
      return try group.predict(method, inputs, exiting: nil, onBatch: onBatch)
    }
    // Safe to switch: no job is in flight (see `DeviceGroup.beginEpoch`).
    try method.inMode(training: false) { try predictAcrossRanks(link, inputs, onBatch: onBatch) }
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
            let first = try group.preparing(t) { PartialPrediction(try method.model.firstActivation(x.to($0))) }
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

  /// The components rank r trains: those of the stages on its devices (under interleaved-1f1b
  /// a device holds several stages), in component order.
  func components(ofRank r: Int) -> [Int] {
    (0..<group.stageCount).filter { rank(ofDevice: group.device(ofStage: $0)) == r }
      .flatMap { group.placement.components[$0] }.sorted()
  }

  /// The state of rank r's components, named as a checkpoint names it: each module's
  /// parameters and buffers under its `statePrefixes` name, the optimizer state of their
  /// parameters (`optimizerState`), the random generator as `rng.component<k>`.
  func componentState(ofRank r: Int) throws -> [(String, Tensor)] {
    let prefixes = method.statePrefixes(), ks = components(ofRank: r)
    var out: [(String, Tensor)] = []
    for k in ks {
      out += try moduleState(modules(ofComponent: k), component: k, prefixes)
      out.append(("rng.component\(k)", try group.generators[k].state()))
    }
    return out + (try optimizerState(ofComponents: ks))
  }

  /// Loads the entries of `named` that belong to rank r's components (`componentState`).
  func loadComponentState(_ named: [(String, Tensor)], ofRank r: Int) throws {
    let all = Dictionary(named, uniquingKeysWith: { a, _ in a })
    let prefixes = method.statePrefixes(), ks = components(ofRank: r)
    for k in ks {
      try loadModuleState(all, into: modules(ofComponent: k), component: k, prefixes, purpose: "for rank \(r)")
      guard let rng = all["rng.component\(k)"] else {
        throw PipelineError("no random state for component \(k + 1) of rank \(r)")
      }
      try group.generators[k].setState(rng)
    }
    try loadOptimizerState(all, ofComponents: ks)
  }

  /// The modules of component k whose state a checkpoint holds: a local stage's (component,
  /// local heads, objective), or BP's component (with the classifier, for the last).
  private func modules(ofComponent k: Int) -> [Module] {
    if let local = method as? any LocalMethod { return local.stages[k].modules }
    let model = method.model
    return [model.components[k]] + (k == model.components.count - 1 ? [model.classifier] : [])
  }

  /// The optimizer state of components `ks`, named as a checkpoint names it: each local stage's
  /// optimizer as `optimizer<k+1>.`; of BP's one optimizer (`optimizer1.`), the entries of the
  /// parameters these components hold (`state.<i>.…`) and its learning rate.
  private func optimizerState(ofComponents ks: [Int]) throws -> [(String, Tensor)] {
    if let local = method as? any LocalMethod {
      return try ks.flatMap { k in try local.stages[k].optimizer.stateDict().map { ("optimizer\(k + 1).\($0.0)", $0.1) }
      }
    }
    let owned = parameterIndices(ofComponents: ks)
    return try method.optimizers[0].stateDict().filter { isOwned($0.0, owned) }.map { ("optimizer1.\($0.0)", $0.1) }
  }

  /// Loads what `optimizerState` names from `all`. BP's one optimizer keeps the state of the
  /// other components' parameters (rank 0's gather merges each rank's into its own).
  private func loadOptimizerState(_ all: [String: Tensor], ofComponents ks: [Int]) throws {
    if let local = method as? any LocalMethod {
      for k in ks { try local.stages[k].optimizer.loadStateDict(all.entries(under: "optimizer\(k + 1).")) }
      return
    }
    let optimizer = method.optimizers[0], owned = parameterIndices(ofComponents: ks)
    var merged = Dictionary(
      try optimizer.stateDict().filter { !$0.0.hasPrefix("state.") || !isOwned($0.0, owned) },
      uniquingKeysWith: { a, _ in a })
    for (name, tensor) in all.entries(under: "optimizer1.") where isOwned(name, owned) { merged[name] = tensor }
    try optimizer.loadStateDict(merged)
  }

  /// The indices, in BP's optimizer, of the parameters of components `ks`.
  private func parameterIndices(ofComponents ks: [Int]) -> Set<Int> {
    let mine = Set(ks.flatMap { method.model.parameters(ofComponent: $0) }.map(ObjectIdentifier.init))
    let parameters = method.optimizers[0].parameters
    return Set(parameters.indices.filter { mine.contains(ObjectIdentifier(parameters[$0])) })
  }

  /// Whether an optimizer entry (`state.<i>.<key>`, or a setting such as the learning rate)
  /// belongs to the parameters `owned`: a parameter's if its index is owned, a setting always.
  private func isOwned(_ name: String, _ owned: Set<Int>) -> Bool {
    let parts = name.split(separator: ".")
    guard parts.first == "state", parts.count >= 2, let i = Int(parts[1]) else { return true }
    return owned.contains(i)
  }

  /// The state of the modules of rank r's components that later components' prediction shares
  /// apply (`TrainingMethod.readByLaterPredictions`), named as a checkpoint names them.
  func sharedState(ofRank r: Int) throws -> [(String, Tensor)] {
    let prefixes = method.statePrefixes()
    return try components(ofRank: r).flatMap { k in
      try moduleState(method.readByLaterPredictions(component: k), component: k, prefixes)
    }
  }

  /// Loads what the ranks above rank r shared (`sharedState`) into this process's copies of
  /// those modules, which their own ranks trained.
  func loadSharedState(_ named: [(String, Tensor)], aboveRank r: Int) throws {
    let all = Dictionary(named, uniquingKeysWith: { a, _ in a })
    let prefixes = method.statePrefixes()
    for k in (0..<r).flatMap(components(ofRank:)) {
      try loadModuleState(
        all, into: method.readByLaterPredictions(component: k), component: k, prefixes, purpose: "shared for prediction"
      )
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
