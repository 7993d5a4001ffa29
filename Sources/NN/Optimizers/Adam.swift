import Foundation
import Torch

/// Adam exactly as PyTorch 1.13's (single-tensor path, amsgrad and maximize off):
///
///     g ← ∇θ + λθ                     (L2 weight decay folded into the gradient, not AdamW)
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///     θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
///
/// t counts the steps *this parameter* has taken: a parameter without a gradient at some step is
/// skipped and its count does not advance. State is created at a parameter's first update.
public final class Adam: Optimizer {
  /// The parameters updated, in the order that indexes the state dict.
  public let parameters: [Tensor]
  /// The learning rate lr of the next step.
  public var learningRate: Double
  /// (β₁, β₂), the decay rates of the first and second moment estimates.
  public let betas: (Double, Double)
  /// ε, added to the bias-corrected √v in the denominator.
  public let eps: Double
  /// λ, the L2 penalty folded into the gradient.
  public let weightDecay: Double

  struct State {
    var expAvg: Tensor
    var expAvgSq: Tensor
    var step: Int
  }
  /// Indexed like `parameters`; nil until the parameter's first update.
  private(set) var states: [State?]

  /// Adam over `parameters` with PyTorch's defaults. Throws for an empty, non-floating-point or repeated
  /// parameter list, a negative lr, eps or weight decay, or betas outside [0, 1).
  public init(
    _ parameters: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0
  ) throws {
    try OptimizerState.checkParameters(parameters, "Adam")
    // PyTorch's own argument checks.
    guard lr >= 0 else { throw TorchError("Adam: invalid learning rate \(lr) (must be ≥ 0)") }
    guard eps >= 0 else { throw TorchError("Adam: invalid epsilon \(eps) (must be ≥ 0)") }
    guard (0..<1).contains(betas.0) else { throw TorchError("Adam: invalid beta1 \(betas.0) (must be in [0, 1))") }
    guard (0..<1).contains(betas.1) else { throw TorchError("Adam: invalid beta2 \(betas.1) (must be in [0, 1))") }
    guard weightDecay >= 0 else { throw TorchError("Adam: invalid weight decay \(weightDecay) (must be ≥ 0)") }
    self.parameters = parameters
    learningRate = lr
    self.betas = betas
    self.eps = eps
    self.weightDecay = weightDecay
    states = Array(repeating: nil, count: parameters.count)
  }

  /// The non-finite-gradient policy `step` applies.
  public let nonFinite = NonFiniteUpdates()

  /// Updates every parameter that has a gradient, as in the formula above.
  public func step() throws {
    if try nonFinite.refuses(parameters) { return }
    let (beta1, beta2) = betas
    try withNoGrad {
      for (i, p) in parameters.enumerated() {
        guard let grad = try p.grad else { continue }
        let g = weightDecay != 0 ? try grad + p * weightDecay : grad
        var state = try states[i] ?? State(expAvg: Tensor.zeros(like: p), expAvgSq: Tensor.zeros(like: p), step: 0)
        state.step += 1
        states[i] = state
        try state.expAvg.mul_(beta1)
        try state.expAvg.add_(g, alpha: 1 - beta1)
        try state.expAvgSq.mul_(beta2)
        try state.expAvgSq.addcmul_(g, g, value: 1 - beta2)
        let t = Double(state.step)
        let biasCorrection1 = 1 - Foundation.pow(beta1, t)
        let biasCorrection2 = 1 - Foundation.pow(beta2, t)
        let stepSize = learningRate / biasCorrection1
        let denominator = try state.expAvgSq.sqrt() / biasCorrection2.squareRoot() + eps
        try p.addcdiv_(state.expAvg, denominator, value: -stepSize)
      }
    }
  }

  static let keys: Set<String> = ["exp_avg", "exp_avg_sq", "step"]

  /// The learning rate and, per updated parameter, `state.<i>.exp_avg`, `exp_avg_sq` and `step`.
  public func stateDict() throws -> [(String, Tensor)] {
    var out = [try OptimizerState.learningRateEntry(learningRate)]
    for (i, state) in states.enumerated() {
      guard let state else { continue }
      out.append(("state.\(i).exp_avg", state.expAvg))
      out.append(("state.\(i).exp_avg_sq", state.expAvgSq))
      // float64 holds every step count exactly (PyTorch keeps a float32 tensor).
      out.append(("state.\(i).step", try Tensor.scalar(Double(state.step), dtype: .float64)))
    }
    return out
  }

  /// Replaces the moments and step counts (and the learning rate if saved) with copies of `state`'s;
  /// throws, changing nothing, for unknown or incomplete entries or wrong shapes.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    let parsed = try OptimizerState.parse(state, parameterCount: parameters.count, keys: Self.keys, optimizer: "Adam")
    var loaded = [State?](repeating: nil, count: parameters.count)
    for (i, entry) in parsed.perParameter {
      let p = parameters[i]
      loaded[i] = State(
        expAvg: try OptimizerState.buffer(entry["exp_avg"]!, like: p, name: "state.\(i).exp_avg", optimizer: "Adam"),
        expAvgSq: try OptimizerState.buffer(
          entry["exp_avg_sq"]!, like: p, name: "state.\(i).exp_avg_sq", optimizer: "Adam"),
        step: try OptimizerState.stepCount(entry["step"]!, name: "state.\(i).step", optimizer: "Adam"))
    }
    states = loaded
    if let lr = parsed.learningRate { learningRate = lr }
  }
}
