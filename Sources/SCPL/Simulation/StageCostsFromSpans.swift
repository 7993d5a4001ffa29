extension StageCosts {
  /// Per-device costs from what our executors recorded: the one mapping from a `Timeline`'s spans
  /// to simulator costs, used both by `TrainingBenchmark`'s prediction and by the Chrome-trace
  /// reader, so that a trace fed to `scpl simulate --from-trace` predicts what the benchmark did.
  ///
  /// Device d becomes stage d, with its span time summed per kind and divided by `batches`:
  ///
  /// - forward ← forward spans;
  /// - backward ← learn spans, less the all-reduces inside them. A local stage's learn is its
  ///   loss, backward and update timed as one, so they are charged to the backward and
  ///   loss = update = 0;
  /// - allreduce ← allreduce spans (a replica's gradients averaged with the others', `--replicas`),
  ///   per batch;
  /// - update ← step spans (gpipe's one optimizer step per batch, or the `off` executor's whole
  ///   step, which has no finer split);
  /// - transfer ← transfer spans;
  /// - wait spans are not work and cost nothing.
  ///
  /// forward, backward and transfer are then divided by `microBatches` (the simulator's costs for
  /// them are per micro-batch). Times keep the spans' unit. Spans on devices outside
  /// `0..<devices` are ignored.
  public static func fromSpans(_ spans: [Span], devices: Int, batches: Int, microBatches: Int = 1) -> [StageCosts] {
    var sums = Array(repeating: [SpanKind: Double](), count: Swift.max(devices, 0))
    for s in spans where sums.indices.contains(s.device) {
      sums[s.device][s.kind, default: 0] += s.duration
    }
    let n = Double(Swift.max(batches, 1)), m = Double(Swift.max(microBatches, 1))
    return sums.map { total in
      StageCosts(
        forward: (total[.forward] ?? 0) / n / m, loss: 0,
        backward: ((total[.learn] ?? 0) - (total[.allreduce] ?? 0)) / n / m, update: (total[.step] ?? 0) / n,
        transfer: (total[.transfer] ?? 0) / n / m, allreduce: (total[.allreduce] ?? 0) / n)
    }
  }
}
