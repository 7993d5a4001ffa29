import NN
import Torch

/// A per-component cost that `Placement.balanced` evens out across devices.
///
/// - `forwardTime` (the default): each component's measured forward time on a small probe
///   batch (eval mode, no grad, one warm-up and the median of three runs on the calling thread).
///   It follows the compute: VGG's first component holds few parameters but works on the
///   largest feature maps. It is measured, so two runs can disagree where costs are close; that
///   changes speed, never results (every placement trains the same weights).
/// - `parameters`: trainable parameter count (the classifier counted with the last component).
///   Deterministic, but blind to feature-map sizes.
public enum CostEstimate: String, CaseIterable, Sendable {
  case forwardTime = "forward-time"
  case parameters

  public init(parsing text: String) throws {
    guard let e = CostEstimate(rawValue: text.lowercased()) else {
      throw PipelineError("unknown cost estimate '\(text)': expected \(CostEstimate.allCases.map(\.rawValue).joined(separator: " or "))")
    }
    self = e
  }

  /// One cost per component of `model`. `probe` is a batch of inputs (default: 8 dummy samples).
  public func costs(of model: StagedModel, probe: Tensor? = nil) throws -> [Double] {
    switch self {
    case .parameters:
      return model.components.indices.map { Double(model.parameters(ofComponent: $0).reduce(0) { $0 + $1.count }) }
    case .forwardTime:
      return try measuredForwardSeconds(model, probe: probe)
    }
  }

  private func measuredForwardSeconds(_ model: StagedModel, probe: Tensor?) throws -> [Double] {
    let inputs = try probe ?? (model.family == .vision
      ? Tensor.zeros([8] + model.sampleShape)
      : Tensor.ones([8, Swift.max(model.sampleShape.first ?? 8, 2)], dtype: .int64))
    // Eval mode: the probe must not move BatchNorm's running statistics (that would change the
    // training run). Modes are restored parents first: `train(_:)` recurses, and each child then
    // puts back its own recorded mode.
    let modes = model.namedModules().map { ($0.1, $0.1.isTraining) }
    model.eval()
    defer { for (m, on) in modes { m.train(on) } }
    return try withNoGrad {
      var x = try model.firstActivation(inputs)
      var seconds: [Double] = []
      for c in model.components {
        let input = x
        let times = try Stopwatch.measure(repeats: 3, warmup: 1) { x = try c(input) }
        seconds.append(times.median)
      }
      return seconds
    }
  }
}
