/// interleaved-1f1b's rules, checked before anything runs (by the run's config and by
/// `Pipelines.make`): K devices with v chunks each cut the network into K·v stages, each of at
/// least one component, and micro-batches go round the devices in groups of K.
enum Interleaving {
  static func check(chunksPerDevice v: Int, devices K: Int, microBatches M: Int, components C: Int) throws {
    guard v >= 1 else { throw PipelineError("--chunks-per-device must be at least 1, got \(v)") }
    guard K * v <= C else {
      throw PipelineError(
        "interleaved-1f1b with \(v) chunks on each of \(K) device(s) cuts the network into \(K * v) stages, but it has \(C) component(s) and every stage needs one: use --components \(K * v) or more, or fewer chunks or devices"
      )
    }
    guard M % K == 0 else {
      throw PipelineError(
        "interleaved-1f1b sends micro-batches round the \(K) devices in groups of \(K), so --micro-batches must be a multiple of \(K), got \(M)"
      )
    }
  }

  /// Refuses a placement that does not place `components` components on the K·v stages.
  static func check(_ placement: Placement, components C: Int, devices K: Int, chunksPerDevice v: Int) throws {
    guard placement.deviceCount == K * v else {
      throw PipelineError(
        "--placement \(placement) places components on \(placement.deviceCount) stage(s), but interleaved-1f1b with \(v) chunks on each of \(K) device(s) has \(K * v) stages (0…\(K * v - 1)); stage s runs on device s mod \(K)"
      )
    }
    try placement.check(componentCount: C, deviceCount: K * v)
  }
}
