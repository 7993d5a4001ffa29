import Torch

extension DeviceGroup {
  /// Runs `method`'s prediction over batches through the placement: for each batch, stage s's
  /// device's worker runs the prediction shares (`TrainingMethod.predict(component:_:)`) of the
  /// stage's components and moves the activation to stage s+1's device (a real copy when the
  /// tensor device changes); the last stage brings the logits to the CPU. A stage is a device
  /// except under interleaved-1f1b, where the batch goes round the devices once per chunk. Eval mode for the whole call, no gradients on
  /// every worker (grad mode is per thread), the modules' mode restored at the end.
  ///
  /// The schedule is data, as in the GPipe executors: batch t is one job per stage, submitted
  /// at once, stage s's job waiting for stage s−1's. Workers take jobs in order, so device 0
  /// goes on with batch t+1 while device 1 runs batch t; a full inbox makes the feeding thread
  /// wait, which bounds the batches in flight. A job only ever waits on a job queued before it,
  /// so nothing can wait in a cycle.
  ///
  /// With `exiting`, each sample leaves at the component `ExitPolicy` says (the rest of the batch
  /// goes on, smaller, to the next component and device; a batch whose samples have all left
  /// does nothing on the later devices), and the prediction carries each sample's exit.
  ///
  /// `onBatch` gets each batch's prediction on the caller's thread, in batch order. After an
  /// error (in a job, or thrown by `onBatch`) no further batch is fed; the batches in flight
  /// finish, and the first error is rethrown.
  func predict<S: Sequence>(
    _ method: any TrainingMethod, _ inputs: S, exiting: ExitPolicy? = nil,
    onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    // Safe to switch: no job is in flight (see `beginEpoch`).
    try method.inMode(training: false) { try predictInEvalMode(method, inputs, exiting, onBatch: onBatch) }
  }

  private func predictInEvalMode<S: Sequence>(
    _ method: any TrainingMethod, _ inputs: S, _ exiting: ExitPolicy?,
    onBatch: (_ batch: Int, _ prediction: Prediction) throws -> Void
  ) throws
  where S.Element == Tensor {
    var inFlight: [(batch: Int, result: Pending<PartialPrediction>)] = []  // in batch order
    var failure: Error?

    // Hands on the finished batches at the front (waiting for each when `all`).
    func deliver(all: Bool) {
      while let first = inFlight.first, all || first.result.isDone {
        let (t, result) = inFlight.removeFirst()
        guard failure == nil else { _ = result.outcome(); continue }
        do {
          let prediction = try inContext("predicting batch \(t)") { try result.wait().finished(on: .cpu) }
          try onBatch(t, prediction)
        } catch {
          failure = error
        }
      }
    }

    var iterator = inputs.makeIterator()
    var t = 0
    while failure == nil, let x = iterator.next() {
      do { inFlight.append((t, try submitPrediction(method, t, x, exiting))) } catch { failure = error }
      t += 1
      deliver(all: false)
    }
    deliver(all: true)
    if let failure { throw failure }
  }

  /// Queues batch t's job of every stage; returns the last one's. If a submit fails (a worker
  /// shut down), waits for the jobs already queued before rethrowing, so none runs after return.
  private func submitPrediction(_ method: any TrainingMethod, _ t: Int, _ inputs: Tensor, _ exiting: ExitPolicy?)
    throws -> Pending<
      PartialPrediction
    >
  {
    let jobs = JobSet()
    var last: Pending<PartialPrediction>?
    do {
      for s in 0..<stageCount {
        let previous = last
        let share = predictionShare(s, batch: t)
        last = try jobs.submit(workers[share.device]) { [self] () throws -> PartialPrediction in
          let received =
            try previous?.wait()
            ?? preparing(t) {
              var x = PartialPrediction(try method.model.firstActivation(inputs.to($0)))
              x.progress = exiting.map { ExitProgress($0, rows: x.activation.batchSize) }
              return x
            }
          // Stage s's components' shares of the prediction, then the hand-off to stage s+1's device.
          return try withNoGrad {
            try share.handOff(
              share.throughComponents(received) { k, x in
                try share.run("component \(k + 1)") {
                  try method.predictAndExit(component: k, x, via: share.componentHandOff)
                }
              })
          }
        }
      }
    } catch {
      jobs.settle()
      throw error
    }
    return last!
  }
}

extension PartialPrediction: DeviceMovable {
  /// Only the activation travels; the heads' logits stay where they were computed.
  func moved(to device: Device) throws -> PartialPrediction {
    var x = self
    x.activation = try activation.to(device)
    return x
  }

  func copied() throws -> PartialPrediction {
    var x = self
    x.activation = try activation.copied()
    return x
  }

  var tensors: [Tensor] { activation.tensors }
}
