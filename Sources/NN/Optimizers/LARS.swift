import Torch

/// LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg 2017), in the form VICReg's
/// and DeInfoReg's reference code train with:
///
///     d ← ∇θ + λθ
///     d ← d · η‖θ‖/‖d‖          (when both norms are positive; else d is left as it is)
///     μ ← m·μ + d               (μ starts at 0)
///     θ ← θ − lr·μ
///
/// With `exemptVectors` (the reference's `exclude_bias_and_norm`), one-dimensional parameters —
/// biases and normalisation weights — take neither the weight decay nor the adaptation.
public final class LARS: Optimizer {
  /// The parameters updated, in the order that indexes the state dict.
  public let parameters: [Tensor]
  /// The learning rate lr of the next step.
  public var learningRate: Double
  /// m, the momentum coefficient.
  public let momentum: Double
  /// λ, the weight decay added to the gradient before adaptation.
  public let weightDecay: Double
  /// The trust coefficient η.
  public let eta: Double
  /// Whether one-dimensional parameters skip the weight decay and the adaptation.
  public let exemptVectors: Bool

  /// Momentum buffers, indexed like `parameters`; nil until the parameter's first update.
  private(set) var momentumBuffers: [Tensor?]

  /// LARS over `parameters`. Throws for an empty, non-floating-point or repeated parameter list, a
  /// negative or non-finite lr, momentum or weight decay, or η not positive and finite.
  public init(
    _ parameters: [Tensor], lr: Double, momentum: Double = 0.9, weightDecay: Double = 0, eta: Double = 0.001,
    exemptVectors: Bool = true
  ) throws {
    try OptimizerState.checkParameters(parameters, "LARS")
    guard lr >= 0, lr.isFinite else { throw TorchError("LARS: invalid learning rate \(lr) (must be ≥ 0)") }
    guard momentum >= 0, momentum.isFinite else { throw TorchError("LARS: invalid momentum \(momentum) (must be ≥ 0)") }
    guard weightDecay >= 0, weightDecay.isFinite else {
      throw TorchError("LARS: invalid weight decay \(weightDecay) (must be ≥ 0)")
    }
    guard eta > 0, eta.isFinite else { throw TorchError("LARS: invalid trust coefficient η \(eta) (must be > 0)") }
    self.parameters = parameters
    learningRate = lr
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.eta = eta
    self.exemptVectors = exemptVectors
    momentumBuffers = Array(repeating: nil, count: parameters.count)
  }

  /// The non-finite-gradient policy `step` applies.
  public let nonFinite = NonFiniteUpdates()

  /// Updates every parameter that has a gradient, as in the formula above.
  public func step() throws {
    if try nonFinite.refuses(parameters) { return }
    try withNoGrad {
      for (i, p) in parameters.enumerated() {
        guard let grad = try p.grad else { continue }
        var d = grad
        if !(exemptVectors && p.shape.count == 1) {
          if weightDecay != 0 { d = try d + p * weightDecay }
          let (parameterNorm, updateNorm) = (try p.norm().item(), try d.norm().item())
          if parameterNorm > 0 && updateNorm > 0 { d = try d * (eta * parameterNorm / updateNorm) }
        }
        let buffer = try momentumBuffers[i] ?? Tensor.zeros(like: p)
        try buffer.mul_(momentum)
        try buffer.add_(d, alpha: 1)
        momentumBuffers[i] = buffer
        try p.add_(buffer, alpha: -learningRate)
      }
    }
  }

  /// The learning rate and `state.<i>.mu`, the momentum buffer of each updated parameter.
  public func stateDict() throws -> [(String, Tensor)] {
    try OptimizerState.bufferEntries(momentumBuffers, key: "mu", learningRate: learningRate)
  }

  /// Replaces the momentum buffers (and the learning rate if saved) with copies of `state`'s; throws,
  /// changing nothing, for unknown entries or wrong shapes.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    let loaded = try OptimizerState.loadBuffers(state, like: parameters, key: "mu", optimizer: "LARS")
    momentumBuffers = loaded.buffers
    if let lr = loaded.learningRate { learningRate = lr }
  }
}
