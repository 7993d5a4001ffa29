import NN
import Torch

/// A per-component cost that `Placement.balanced` evens out across devices.
///
/// - `forwardTime`: each component's measured forward time on a small probe
///   batch (eval mode, no grad, one warm-up and the median of three runs on the calling thread).
///   It follows the compute: VGG's first component holds few parameters but works on the
///   largest feature maps. It is measured, so two runs can disagree where costs are close; that
///   changes speed, never results (every placement trains the same weights).
/// - `parameters`: trainable parameter count (the classifier counted with the last component).
///   Deterministic, but blind to feature-map sizes.
/// - `step-time` (what `Pipelines.make` uses unless told otherwise): each component's measured
///   forward *and* learning work on the probe batch — the forward, the method's local loss (for
///   BP a stand-in loss on the component's output) and its backward — which is what a device
///   spends per batch in a pipeline. A forward-only estimate misses that a component's learning
///   can cost far more than its forward (VGG's first SCPL component: a projection head over the
///   largest feature maps). Measured in eval mode with gradients dropped afterwards and no
///   optimizer step, so it changes no weight, statistic or random stream.
public enum CostEstimate: String, CaseIterable, Sendable {
  /// Each component's measured forward time.
  case forwardTime = "forward-time"
  /// Each component's trainable parameter count.
  case parameters
  /// Each component's measured forward and learning time (the default).
  case stepTime = "step-time"

  /// Reads a cost estimate's name (forward-time, parameters or step-time), ignoring case.
  public init(parsing text: String) throws {
    guard let e = CostEstimate(rawValue: text.lowercased()) else {
      throw PipelineError(
        "unknown cost estimate '\(text)': expected \(CostEstimate.allCases.map(\.rawValue).joined(separator: " or "))")
    }
    self = e
  }

  /// One cost per component of the method's model. `probe` is a batch of inputs (default: 8
  /// dummy samples).
  public func costs(of method: any TrainingMethod, probe: Tensor? = nil) throws -> [Double] {
    guard self == .stepTime else { return try costs(of: method.model, probe: probe) }
    return try Self.inEvalMode(method.modules.map(\.1)) { try measuredStepSeconds(method, probe: probe) }
  }

  /// One cost per component of `model` (`step-time` needs the method: use `costs(of: method)`).
  public func costs(of model: StagedModel, probe: Tensor? = nil) throws -> [Double] {
    switch self {
    case .parameters:
      return model.components.indices.map { Double(model.parameters(ofComponent: $0).reduce(0) { $0 + $1.count }) }
    case .forwardTime:
      return try Self.inEvalMode([model]) { try measuredForwardSeconds(model, probe: probe) }
    case .stepTime:
      throw PipelineError("the step-time cost estimate measures a method's learning steps: call costs(of: method)")
    }
  }

  /// Eval mode while `body` runs: the probe must not move BatchNorm's running statistics or draw
  /// dropout masks (either would change the training run).
  private static func inEvalMode<T>(_ roots: [Module], _ body: () throws -> T) rethrows -> T {
    try roots.inMode(training: false, body)
  }

  private static func probeInputs(_ model: StagedModel, _ probe: Tensor?) throws -> Tensor {
    try probe
      ?? (model.family == .vision
        ? Tensor.zeros([8] + model.sampleShape)
        : Tensor.ones([8, Swift.max(model.sampleShape.first ?? 8, 2)], dtype: .int64))
  }

  private func measuredStepSeconds(_ method: any TrainingMethod, probe: Tensor?) throws -> [Double] {
    let model = method.model
    let inputs = try Self.probeInputs(model, probe)
    let labels = try Tensor((0..<inputs.shape[0]).map { Int64($0 % model.classCount) })
    // The probe's gradients are dropped, so the first real step starts from what it would have.
    defer { for (_, m) in method.modules { try? m.zeroGrad() } }
    let local = method as? any LocalMethod
    var x = try local?.firstActivation(inputs: inputs, labels: labels) ?? model.firstActivation(inputs)
    var seconds: [Double] = []
    for k in model.components.indices {
      let input = x
      var output = input
      let times = try Stopwatch.measure(repeats: 3, warmup: 1) {
        let loss: Tensor
        if let stage = local?.stages[k] {
          output = try stage.forward(input)
          loss = try stage.loss(input: input, output: output, labels: labels)
        } else {
          // BP: the component's own backward, driven by a stand-in loss on its output (the
          // classifier's cross-entropy for the last component).
          let component = model.components[k]
          output = try component(input)
          let features = try component.features(output)
          loss =
            k == model.components.count - 1
            ? try crossEntropy(model.classifier(features), labels) : try features.mean()
        }
        try loss.backward()
      }
      seconds.append(times.median)
      x = try output.detached()
    }
    return seconds
  }

  private func measuredForwardSeconds(_ model: StagedModel, probe: Tensor?) throws -> [Double] {
    let inputs = try Self.probeInputs(model, probe)
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
