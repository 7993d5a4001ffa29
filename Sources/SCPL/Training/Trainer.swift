import Data
import Foundation
import NN
import Torch

/// Runs a resolved config: `times` runs (seeds seed, seed+1, …), each for `epochs` epochs,
/// writing metrics as it goes and the summary at the end.
public final class Trainer {
  /// The resolved options of the run.
  public let config: TrainConfig
  /// The data to train and test on.
  public let data: LoadedData
  /// The run folder the trainer writes to.
  public let folder: RunFolder
  /// Receives human-readable progress (the CLI prints it).
  public var log: (String) -> Void = { print($0) }
  /// The progress line printed during each epoch.
  public var progress = ProgressLine()
  /// Background threads preparing batches (each with one intra-op thread).
  public var loaderThreads = 1
  /// Where an interrupted run left off (`scpl train --resume`); nil trains from scratch.
  public var resume: ResumePoint?
  /// Rank 0 of a distributed run (`scpl train --distributed`): the pipeline's devices are all
  /// ranks', in rank order.
  public var link: RankLink?
  /// A leader of a distributed job of replicas (`DistributedReplicas`): this process trains its
  /// replica (`link` is its chain, nil when the replica is this rank alone), agreeing with the
  /// other leaders before each batch and averaging each step's losses with theirs.
  public var replicas: DistributedReplicas?
  /// Builds each run's network (the built-in model `config.model` names unless set).
  public var buildModel: ModelBuilder = ModelFactory.build
  /// Changes the method's options the config gives (`TrainConfig.methodOptions`) before each run
  /// builds its method: a program's own objective or optimizer.
  public var adjustMethodOptions: (inout MethodOptions) -> Void = { _ in }
  /// The placement the last run trained with (set once its executor is made).
  public private(set) var placement: Placement?
  /// Stops the session after this many epochs, as an interruption would (after the checkpoint),
  /// by throwing `Interrupted`. Tests use it to prove that resuming changes nothing.
  public var interruptAfterEpochs: Int?
  /// Stops the session after this many steps, as a signal would (the pipeline drains, a
  /// checkpoint of that step is written, `run()` throws `Interrupted`). Tests only.
  public var interruptAfterSteps: Int?
  private var stepsThisSession = 0
  /// The session stopped before its end (a signal, or a test's limit); the folder keeps its newest checkpoint.
  public struct Interrupted: Error, CustomStringConvertible {
    /// Why it stopped, as a sentence.
    public var reason = "interrupted"
    /// The reason.
    public var description: String { reason }
  }

  /// A loss that became NaN or infinite: which one, when, and what usually causes it. The run
  /// stops; its folder keeps the run's newest checkpoint.
  public struct Diverged: Error, CustomStringConvertible {
    /// The name of the loss that was not finite.
    public let loss: String
    /// The value it took: NaN or ±infinity.
    public let value: Double
    /// The epoch it happened in, 1-based.
    public let epoch: Int
    /// The step of that epoch, 1-based.
    public let step: Int
    /// The epoch of the run's newest checkpoint (0: none).
    public let checkpointEpoch: Int
    /// The learning method, which decides the likely causes named.
    public let method: MethodKind

    /// The sentence to show: what diverged, where, what is kept and the usual causes.
    public var description: String {
      let kept =
        checkpointEpoch > 0
        ? "the checkpoint of epoch \(checkpointEpoch) is kept" : "no epoch was complete, so there is no checkpoint"
      // BP's one loss is the cross-entropy; every local method's losses include a contrastive
      // (or, for AL, a label-space) objective, which a low temperature can also blow up.
      let causes =
        method == .bp
        ? "a learning rate too high for this model (try a smaller --lr)"
        : "a learning rate too high (try a smaller --lr) or, for a contrastive loss, a temperature too low (try a larger --temperature)"
      return
        "training diverged: the loss \(loss) became \(value) at epoch \(epoch), step \(step); \(kept). Usual causes: \(causes)"
    }
  }

  /// Set from a signal handler (`requestStop`): the epoch stops after the step in flight, the
  /// run folder keeps its newest checkpoint, and `run()` throws `Interrupted`.
  public let stopRequest = StopRequest()

  /// The newest checkpoint of an interrupted run folder, and the epoch records it covers.
  public struct ResumePoint {
    /// 0-based.
    public var run: Int
    /// Epochs the checkpoint has complete.
    public var epoch: Int
    /// The checkpoint's tensors by name: the modules', the optimizers' and the random states.
    public var state: [String: Tensor]
    /// The epoch records up to the checkpoint.
    public var records: [EpochRecord]
    /// A checkpoint in the middle of epoch `epoch + 1`: how far that epoch had come.
    public var progress: EpochProgress?

    /// Reads the newest valid checkpoint of `folder` (a corrupt or half-written newer one is
    /// skipped, and `warn` says so) and the epoch records up to it: those the checkpoint carries,
    /// or metrics.jsonl's for a checkpoint without them.
    public static func load(_ folder: URL, warn: (String) -> Void = { print($0) }) throws -> ResumePoint {
      let checkpoints = Checkpoints(runFolder: folder)
      guard let (entry, file) = try checkpoints.newestValid(warn: warn) else {
        throw RunFolderError(
          "\(folder.path) holds no valid checkpoint to resume from (\(checkpoints.url.path)/run<R>-epoch<E>.safetensors)"
        )
      }
      var records =
        try file.metadata["metrics"].map { try EpochRecord.parseLines($0, source: "\(entry.url.path) (metrics)") }
        ?? EpochRecord.readLines(folder.appendingPathComponent("metrics.jsonl"), missingIsEmpty: true)
      // Keep what the checkpoint covers: an epoch whose metrics were written but whose checkpoint
      // was not is trained again.
      records = records.filter { $0.run < entry.run - 1 || ($0.run == entry.run - 1 && $0.epoch <= entry.epoch) }
      var progress: EpochProgress?
      if entry.step > 0 {
        guard let text = file.metadata["epoch_progress"] else {
          throw RunFolderError(
            "\(entry.url.path) is a checkpoint within an epoch but does not say how far the epoch had come (epoch_progress)"
          )
        }
        progress = try JSONDecoder().decode(EpochProgress.self, from: Data(text.utf8))
      }
      return ResumePoint(
        run: entry.run - 1, epoch: entry.epoch,
        state: Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }),
        records: records, progress: progress)
    }
  }

  private var epochsThisSession = 0
  /// The epoch of the current run's newest checkpoint (0: none yet).
  private var lastCheckpointEpoch = 0

  /// A trainer of `config` on `data`, writing to `folder`.
  public init(config: TrainConfig, data: LoadedData, folder: RunFolder) {
    self.config = config
    self.data = data
    self.folder = folder
  }

  /// Trains every run, writing summary.json as running, then finished, interrupted or failed; returns the
  /// final summary. Throws `Interrupted` when stopped, `Diverged` when a loss is not finite under `--on-nan stop`.
  public func run() throws -> RunSummary {
    try folder.writeJSON("summary.json", summary(.running))
    // The final summary and the mark that the session ended, with no `abandon` in between.
    func end(_ final: RunSummary) throws {
      try folder.exclusively {
        try folder.writeJSON("summary.json", final)
        state.withLock { $0.ended = true }
      }
    }
    do {
      let finished = try trainRuns()
      try end(finished)
      return finished
    } catch let stop as Interrupted {
      try? end(summary(.interrupted, stop.reason))
      throw stop
    } catch {
      try? end(summary(.failed, "\(error)"))
      throw error
    }
  }

  /// The summary of the runs finished so far, in `state`.
  private func summary(_ runState: RunState, _ because: String? = nil) -> RunSummary {
    var s = RunSummary(
      model: config.model.rawValue, method: config.method.rawValue, dataset: config.dataset.rawValue,
      epochs: config.epochs, components: config.components, runs: state.withLock { $0.runs })
    s.state = runState
    s.stoppedBecause = because
    s.replicas = config.replicaCount
    s.globalBatchSize = config.replicaCount * config.batchSize
    return s
  }

  /// What a signal's thread may read while training goes on: the runs finished, whether the
  /// session has ended.
  private struct SharedState {
    var runs: [RunSummary.Run] = []
    var ended = false
  }
  private let state = LockedValue(SharedState())

  /// Ends the session at once, from any thread, for a process about to exit (a second SIGINT or
  /// SIGTERM): summary.json says `interrupted` with `reason` and how `--resume` would continue,
  /// and no later write of the trainer's takes effect. Nothing is drained and no checkpoint is
  /// written; the folder keeps the newest one on disk. A session that has already ended (its
  /// summary written: finished, stopped by the first signal, or failed) keeps its summary.
  /// Returns the sentence to show.
  public func abandon(because reason: String) -> String {
    // A checkpoint being written as this runs may still land (whole: `DurableFile`), so the
    // sentence names none.
    let kept =
      Checkpoints(runFolder: folder.url).list().isEmpty
      ? "no checkpoint had been written yet"
      : "`scpl train --resume \(folder.url.path)` continues from the newest checkpoint in its checkpoints/"
    let sentence = "\(reason); \(kept)"
    folder.endWith {
      guard !state.withLock({ $0.ended }) else { return }
      // The process ends next: a failed write has no one left to tell but the terminal.
      try? folder.writeJSON("summary.json", summary(.interrupted, sentence))
    }
    return sentence
  }

  private func trainRuns() throws -> RunSummary {
    var runs: [RunSummary.Run] = []
    func finished(_ run: RunSummary.Run) {
      runs.append(run)
      state.withLock { $0.runs = runs }
    }
    var curves: [EpochRecord] = []
    for record in resume?.records ?? [] { try folder.appendMetrics(record) }
    for r in 0..<config.times {
      let seed = config.seed &+ UInt64(r)
      if let p = resume, r < p.run || (r == p.run && p.epoch >= config.epochs) {
        let done = p.records.filter { $0.run == r }
        finished(try Self.summarise(done, seed: seed))
        curves += done
        continue
      }
      let (run, records) = try trainOnce(run: r, seed: seed, from: resume?.run == r ? resume : nil)
      finished(run)
      curves += records
      try folder.write(
        "curves.svg",
        Data(Curves.svg(records: curves, title: "\(config.model) · \(config.method) · \(config.dataset)").utf8))
    }
    return summary(.finished)  // of the runs `finished` recorded
  }

  func trainOnce(run: Int, seed: UInt64, from resumePoint: ResumePoint? = nil) throws -> (RunSummary.Run, [EpochRecord])
  {
    if link != nil, let growAt = config.growAt {
      // The other ranks build their components in their own processes and would not see them join.
      throw ConfigError("--grow-at \(growAt) runs in one process; train without --distributed")
    }
    if let replicas, replicas.replicas != config.replicaCount {
      throw ConfigError(
        "the job has \(replicas.replicas) replicas, but the run asks for --replicas \(config.replicaCount)")
    }
    var methodOptions = config.methodOptions
    adjustMethodOptions(&methodOptions)
    let setup = try RunSetup(
      config, data: data, seed: seed, loaderThreads: loaderThreads, link: link, buildModel: buildModel,
      methodOptions: methodOptions, replicas: replicas)
    let (model, method, loader, executor) = (setup.model, setup.method, setup.loader, setup.executor)
    let replicaMethods = (executor as? ReplicatedExecutor)?.methods ?? [method]
    defer { executor.shutdown() }
    placement = executor.placement
    let stepsPerEpoch = loader.batchCount
    let schedule = try config.schedule(stepsPerEpoch: stepsPerEpoch)
    if run == 0 {
      log(
        "model: \(model.name), \(model.components.count) components, \(model.parameterCount) parameters; method: \(method.kind.rawValue); pipeline: \(executor.kind.rawValue) on \(executor.devices) (placement \(executor.placement), \(config.threadsPerDevice) thread(s) per device)\(config.replicaCount > 1 ? "; \(config.replicaCount) replicas of it, a global batch of \(config.replicaCount * config.batchSize)" : "")"
      )
    }
    var records: [EpochRecord] = []
    lastCheckpointEpoch = 0
    var step = 0
    var firstEpoch = 1
    if let p = resumePoint {
      try method.loadStateDict(p.state)
      for (i, o) in method.optimizers.enumerated() {
        let prefix = "optimizer\(i + 1)."
        try o.loadStateDict(p.state.entries(under: prefix))
      }
      if let progress = p.progress, progress.replicaCount != config.replicaCount {
        throw ConfigError(
          "the newest checkpoint is within epoch \(p.epoch + 1), written by \(progress.replicaCount) replica(s); resume it with --replicas \(progress.replicaCount) (another number of replicas resumes from a checkpoint at an epoch's end)"
        )
      }
      records = p.records.filter { $0.run == run }
      step = p.epoch * stepsPerEpoch + (p.progress?.step ?? 0)
      firstEpoch = p.epoch + 1
      lastCheckpointEpoch = p.epoch
      // Each component's dropout stream continues where the checkpoint left it.
      for (k, generator) in executor.generators.enumerated() {
        guard let state = p.state["rng.component\(k)"] else {
          throw RunFolderError(
            "the checkpoint has no random state for component \(k + 1) (rng.component\(k)); it was written by an older scpl"
          )
        }
        try generator.setState(state)
      }
      try executor.scatterState()  // the other ranks' components, in a distributed run
      log(
        "resuming run \(run + 1) after epoch \(p.epoch)\(p.progress.map { " and \($0.step) step(s) of epoch \(p.epoch + 1)" } ?? "")"
      )
    }
    let events = try TensorBoardEvents(
      folder: config.times == 1 ? folder.url : folder.url.appendingPathComponent("run-\(run + 1)"))
    let skipping = config.onNan == .skipBatch
    for method in replicaMethods {
      for o in method.optimizers { o.nonFinite.skip = skipping }
      guard skipping else { continue }
      // Each optimizer guards the buffers of the modules it trains: a local stage's, or BP's all.
      let groups: [(any Optimizer, [Module])] =
        (method as? any LocalMethod).map { $0.stages.map { ($0.optimizer, $0.modules) } }
        ?? [(method.optimizers[0], method.modules.map(\.1))]
      for (o, modules) in groups { try o.nonFinite.protect(modules.flatMap { $0.namedBuffers().map(\.1.value) }) }
    }
    func refused() -> Int { method.optimizers.reduce(0) { $0 + $1.nonFinite.skipped } }
    var busy: [Double] = []
    try GPUMemoryPeaks.reset(executor.devices.devices)
    let growing = method as? any GrowingMethod
    for epoch in firstEpoch...config.epochs {
      // Only the components that have joined train and predict (safe to set: no job is in flight).
      let active = config.growAt?.activeComponents(inEpoch: epoch) ?? method.model.components.count
      growing?.active.count = active
      // Per loss: the sum over samples and the samples counted (a non-finite loss of a skipped
      // batch is left out of its epoch mean); a resumed epoch starts from its checkpoint's.
      var sofar =
        (epoch == firstEpoch ? resumePoint?.progress : nil)
        ?? EpochProgress(lossCount: method.lossNames.count, replicas: config.replicaCount)
      let refusedBefore = refused() - sofar.skipped
      func lossMeans() -> [Double] { zip(sofar.lossSums, sofar.lossSamples).map { $1 > 0 ? $0 / Double($1) : .nan } }
      let lr = try schedule.learningRate(epoch: epoch, step: step - sofar.step)
      let resumedAt = sofar.step
      let feed = BatchFeed(loader.epoch(epoch, from: resumedAt))
      let (wall, seenBefore) = (Stopwatch.now(), sofar.seen)
      // The epoch runs in segments that each end with the pipeline drained: at every
      // --checkpoint-every-steps step (a checkpoint follows) and when a signal asks to stop.
      while sofar.step < stepsPerEpoch, stopRequest.signalName == nil {
        let segmentStart = sofar.step
        var count = Swift.min(
          stepsPerEpoch - segmentStart, config.checkpointEverySteps.map { $0 - segmentStart % $0 } ?? Int.max)
        if let limit = interruptAfterSteps {
          guard stepsThisSession < limit else { stopRequest.request("interruptAfterSteps"); break }
          count = Swift.min(count, limit - stepsThisSession)
        }
        // Every batch's rate, applied by the executor on the worker that runs each update.
        let rates = try EpochLearningRates(schedule, epoch: epoch, firstStep: step, batches: count)
        let segmentRun: EpochSummary
        // Replicas across processes: every leader feeds a batch only if none wants to stop, so
        // they all feed the same batches; a divergence waits for that vote (`diverged`).
        var diverged: Diverged?
        var voteFailure: Error?
        let feedNoMore = { [stopRequest, replicas] () -> Bool in
          guard let replicas else { return stopRequest.signalName != nil }
          guard voteFailure == nil else { return true }
          do {
            guard try replicas.agreeToStop(stopRequest.signalName != nil || diverged != nil) else { return false }
            stopRequest.request(stopRequest.signalName ?? "a stop on another replica")
          } catch {
            voteFailure = error
          }
          return true
        }
        /// What a step's losses do (averaged over the replicas first, with replicas): the epoch's
        /// sums, TensorBoard, the progress line; a loss that is not finite stops the run.
        func account(_ result: StepResult) throws {
          let t = segmentStart + result.batch  // the batch's index in the epoch
          // A component that has not joined yet has no loss (NaN), as a skipped batch's.
          if !skipping, let k = result.losses.prefix(active).firstIndex(where: { !$0.isFinite }) {
            let error = Diverged(
              loss: method.lossNames[k], value: result.losses[k], epoch: epoch, step: t + 1,
              checkpointEpoch: lastCheckpointEpoch, method: config.method)
            guard replicas != nil else { throw error }
            if diverged == nil { diverged = error }
          }
          guard diverged == nil else { return }
          // Every replica's batch counts (a replica's share of the global batch, in a process of one).
          let n = feed.sizes[t - resumedAt] * (replicas?.replicas ?? 1)
          for (i, l) in result.losses.enumerated() where l.isFinite {
            sofar.lossSums[i] += l * Double(n)
            sofar.lossSamples[i] += n
          }
          sofar.seen += n
          sofar.step = t + 1
          step += 1
          stepsThisSession += 1
          try events.add(
            zip(method.lossNames, result.losses).prefix(active).map { ("train/loss/\($0)", $1) } + [
              ("train/learning_rate", rates.rate(batch: result.batch))
            ],
            step: step)
          let done = Double(t + 1) / Double(stepsPerEpoch)
          let elapsed = Stopwatch.now() - wall
          let remaining = elapsed / Double(t + 1 - resumedAt) * Double(stepsPerEpoch - t - 1)
          progress.update(
            fraction: done,
            String(
              format: "run %d/%d epoch %d/%d  %3.0f%%  loss %@  lr %.3g  %.0f samples/s  elapsed %@  ETA %@", run + 1,
              config.times,
              epoch, config.epochs, 100 * done, Self.format(lossMeans()), rates.rate(batch: result.batch),
              Double(sofar.seen - seenBefore) / elapsed, ProgressLine.duration(elapsed),
              ProgressLine.duration(remaining)))
        }
        // With replicas, each step's losses are averaged on a thread of their own (`StepLossMeans`).
        let stepMeans = replicas.map(StepLossMeans.init)
        defer { stepMeans?.abandon() }
        do {
          segmentRun = try executor.trainEpoch(feed.next(count, unless: feedNoMore), rates: rates) { outcome in
            guard let stepMeans else { return try account(outcome) }
            stepMeans.post(outcome)
            for mean in stepMeans.ready() { try account(mean) }
          }
          // The means of the last steps, once every leader has posted them.
          for mean in try stepMeans?.finish() ?? [] { try account(mean) }
        } catch let error where link != nil && !(error is Diverged) && !(error is Interrupted) {
          // A distributed run: say where the run stood when a rank was lost.
          throw RunFolderError(
            "epoch \(epoch) stopped after \(sofar.step) of \(stepsPerEpoch) steps: \(error); \(lastCheckpointEpoch > 0 ? "the checkpoint of epoch \(lastCheckpointEpoch) is kept" : "no epoch of this run had a checkpoint yet")"
          )
        }
        try feed.rethrow()
        if let voteFailure { throw voteFailure }
        if let diverged { throw diverged }
        sofar.seconds += segmentRun.seconds
        sofar.skipped = refused() - refusedBefore
        if let limit = interruptAfterSteps, stepsThisSession >= limit { stopRequest.request("interruptAfterSteps") }
        let stopping = stopRequest.signalName != nil
        if sofar.step < stepsPerEpoch, sofar.step > segmentStart, config.checkpointEverySteps != nil || stopping {
          try saveCheckpoint(
            method, executor: executor, run: run, epoch: epoch - 1, step: sofar.step, progress: sofar, seed: seed)
        }
      }
      if let signal = stopRequest.signalName, sofar.step < stepsPerEpoch {
        let kept =
          sofar.step > 0
          ? "the folder keeps a checkpoint of that step"
          : lastCheckpointEpoch > 0 ? "the folder keeps the checkpoint of epoch \(lastCheckpointEpoch)" : nil
        throw Interrupted(
          reason:
            "stopped by \(signal) in epoch \(epoch), after step \(sofar.step) of \(stepsPerEpoch); \(kept.map { "\($0), from which `scpl train --resume \(folder.url.path)` continues" } ?? "no step of this run had a checkpoint yet")"
        )
      }
      let stepSeconds = sofar.seconds
      try executor.gatherTimeline()  // the other ranks' spans, in a distributed run
      busy = executor.timeline.busyFractions()
      if config.profile && epoch == config.epochs && run == 0 {
        try ChromeTrace.write(executor.timeline, to: folder.url.appendingPathComponent("trace.json"))
        try folder.write(
          "timeline.svg",
          Data(
            TimelineSVG.svg(
              executor.timeline, title: "\(config.model) · \(config.method) · \(executor.kind.rawValue), epoch \(epoch)"
            ).utf8))
      }
      // Through the placement, on the executor's workers; trainEpoch has drained the pipeline.
      let test = try Evaluation.run(executor, on: data.test, batchSize: config.testBatchSize)
      let train = try Evaluation.run(executor, on: data.trainProbe, batchSize: config.testBatchSize)
      let record = EpochRecord(
        run: run, seed: seed, epoch: epoch, lr: lr,
        // A loss whose every batch was skipped has no mean (and JSON no NaN): left out.
        losses: Dictionary(uniqueKeysWithValues: zip(method.lossNames, lossMeans()).filter { $0.1.isFinite }),
        trainAccuracy: train.accuracy, testAccuracy: test.accuracy, componentTestAccuracy: test.headAccuracies,
        epochSeconds: stepSeconds, trainSamplesPerSecond: Double(sofar.seen) / stepSeconds,
        skippedUpdates: skipping ? refused() - refusedBefore : nil, activeComponents: config.growAt.map { _ in active })
      records.append(record)
      if let n = record.skippedUpdates, n > 0 {
        log("epoch \(epoch): \(n) update(s) skipped because a loss or gradient was not finite (--on-nan skip-batch)")
      }
      try folder.appendMetrics(record)
      try events.add(Self.epochScalars(record, busy: busy, devices: executor.devices.devices), step: step)
      if epoch % config.checkpointEvery == 0 || epoch == config.epochs {
        try saveCheckpoint(method, executor: executor, run: run, epoch: epoch, seed: seed)
        lastCheckpointEpoch = epoch
      }
      epochsThisSession += 1
      if let limit = interruptAfterEpochs, epochsThisSession >= limit { throw Interrupted() }
      if let signal = stopRequest.signalName, epoch < config.epochs || run + 1 < config.times {
        throw Interrupted(
          reason:
            "stopped by \(signal) at the end of epoch \(epoch); the folder keeps its checkpoint, from which `scpl train --resume \(folder.url.path)` continues"
        )
      }
      progress.finish(
        String(
          format:
            "run %d/%d epoch %d/%d  lr %.3g  loss %@  train acc %.2f%%  test acc %.2f%%%@  %.0f samples/s  %.1f s",
          run + 1, config.times, epoch, config.epochs, lr, Self.format(lossMeans()),
          100 * train.accuracy, 100 * test.accuracy,
          test.headAccuracies.isEmpty
            ? ""
            : " (heads " + test.headAccuracies.map { String(format: "%.1f", 100 * $0) }.joined(separator: "/") + ")",
          record.trainSamplesPerSecond, stepSeconds))
    }
    var summary = try Self.summarise(records, seed: seed)
    summary.deviceBusyFraction = busy
    if let peaks = try GPUMemoryPeaks.read(executor.devices.devices) {
      summary.peakGPUMemoryBytes = peaks
      log("peak GPU memory: \(GPUMemoryPeaks.describe(peaks, devices: executor.devices.devices))")
    }
    if config.probe {
      // The probe reads every component here: bring the other ranks' state, then release them.
      try executor.gatherState()
      executor.shutdown()
      log("probing each component's features with a linear classifier …")
      summary.componentProbeAccuracy = try LinearProbe.accuracies(method, train: data.trainProbe, test: data.test)
    }
    return (summary, records)
  }

  /// A run's summary from its epoch records (best = highest test accuracy, first epoch on ties).
  static func summarise(_ records: [EpochRecord], seed: UInt64) throws -> RunSummary.Run {
    guard let last = records.last else {
      throw RunFolderError(
        "no epoch of the run with seed \(seed) has metrics (metrics.jsonl is missing or empty), so it cannot be summarised; start the run again"
      )
    }
    let best = records.reduce(records[0]) { $1.testAccuracy > $0.testAccuracy ? $1 : $0 }
    return RunSummary.Run(
      seed: seed, testAccuracy: last.testAccuracy, bestTestAccuracy: best.testAccuracy, bestEpoch: best.epoch,
      componentTestAccuracy: last.componentTestAccuracy, epochSeconds: records.map(\.epochSeconds),
      trainSamplesPerSecond: records.map(\.trainSamplesPerSecond).reduce(0, +) / Double(records.count))
  }

  /// A checkpoint of run `run` (0-based) after `epoch` (`Checkpoints`): every parameter and
  /// buffer of the method's modules, every optimizer's state, each component's random state
  /// (`rng.component<k>`), and the epoch records so far.
  /// Within an epoch (`step` > 0): after `epoch` complete epochs and `step` steps of the next,
  /// with that epoch's `progress` so far.
  func saveCheckpoint(
    _ method: any TrainingMethod, executor: any PipelineExecutor, run: Int, epoch: Int, step: Int = 0,
    progress: EpochProgress? = nil, seed: UInt64
  ) throws {
    // Another replica's leader writes none: its replica equals replica 0's, whose checkpoint
    // rank 0 writes (and a resume hands to the others: `DistributedReplicas.shareResume`).
    guard (replicas?.replica ?? 0) == 0 else { return }
    let generators = executor.generators
    try executor.gatherState()  // the other ranks' components, in a distributed run
    var tensors = method.stateDict()
    for (i, o) in method.optimizers.enumerated() {
      tensors += try o.stateDict().map { ("optimizer\(i + 1).\($0.0)", $0.1) }
    }
    tensors += try generators.enumerated().map { ("rng.component\($0.offset)", try $0.element.state()) }
    var metadata = try RunIdentity(runID: folder.runID, config: config).checkpointMetadata()
    metadata.merge([
      "seed": String(seed), "model": config.model.rawValue, "method": config.method.rawValue,
      "dataset": config.dataset.rawValue, "metrics": folder.metricsText
    ]) { _, new in new }
    if let progress { metadata["epoch_progress"] = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self) }
    try Checkpoints(runFolder: folder.url).save(
      tensors, run: run + 1, epoch: epoch, step: step, metadata: metadata, keep: config.keepCheckpoints)
  }

  /// An epoch's figures for TensorBoard, tagged as `tensorboard --logdir` groups them.
  static func epochScalars(_ r: EpochRecord, busy: [Double], devices: [ComputeDevice]) -> [(tag: String, value: Double)]
  {
    var scalars: [(tag: String, value: Double)] = [
      ("accuracy/test", r.testAccuracy), ("accuracy/train", r.trainAccuracy)
    ]
    scalars += r.componentTestAccuracy.enumerated().map { ("accuracy/test_head_\($0 + 1)", $1) }
    scalars += r.losses.sorted { $0.key < $1.key }.map { ("epoch/loss/\($0.key)", $0.value) }
    scalars += [
      ("epoch/samples_per_second", r.trainSamplesPerSecond), ("epoch/seconds", r.epochSeconds),
      ("epoch/number", Double(r.epoch))
    ]
    scalars += r.skippedUpdates.map { [("epoch/skipped_updates", Double($0))] } ?? []
    scalars += zip(devices, busy).map { ("busy/\($0)", $1) }
    return scalars
  }

  /// How far an epoch has come: its steps done and the sums its record is made of. A checkpoint
  /// within an epoch keeps it, so the resumed epoch's record equals the uninterrupted one's.
  public struct EpochProgress: Codable, Sendable {
    /// Steps of the epoch done.
    public var step = 0
    /// Per loss, the sum over samples of the batch losses (batch mean × batch size).
    public var lossSums: [Double]
    /// Per loss, the samples its sum counts (batches with a non-finite loss are left out).
    public var lossSamples: [Int]
    /// Training samples seen in the epoch.
    public var seen = 0
    /// Step time of the epoch so far, in seconds.
    public var seconds = 0.0
    /// Updates refused in the epoch because a loss or gradient was not finite.
    public var skipped = 0
    /// The replicas whose steps `step` counts (nil in checkpoints written before replicas: 1).
    public var replicas: Int?

    /// The replicas whose steps `step` counts.
    public var replicaCount: Int { replicas ?? 1 }

    init(lossCount: Int, replicas: Int) {
      lossSums = Array(repeating: 0, count: lossCount)
      lossSamples = Array(repeating: 0, count: lossCount)
      self.replicas = replicas
    }
  }

  static func format(_ losses: [Double]) -> String { losses.map { String(format: "%.3f", $0) }.joined(separator: "/") }
}
