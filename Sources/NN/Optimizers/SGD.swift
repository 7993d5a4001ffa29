import Torch

/// Stochastic gradient descent as PyTorch 1.13's:
///
///     g ← ∇θ + λθ
///     b ← g at a parameter's first update, then b ← μb + (1−dampening)g      (when μ ≠ 0)
///     g ← g + μb with Nesterov, else g ← b
///     θ ← θ − lr·g
public final class SGD: Optimizer {
  /// The parameters updated, in the order that indexes the state dict.
  public let parameters: [Tensor]
  /// The learning rate lr of the next step.
  public var learningRate: Double
  /// μ, the momentum coefficient; 0 disables momentum.
  public let momentum: Double
  /// The dampening applied to the gradient in the momentum update.
  public let dampening: Double
  /// λ, the L2 penalty folded into the gradient.
  public let weightDecay: Double
  /// Whether to use Nesterov momentum.
  public let nesterov: Bool

  /// Momentum buffers, indexed like `parameters`; nil until the parameter's first update.
  private(set) var momentumBuffers: [Tensor?]

  /// SGD over `parameters`. Throws for an empty, non-floating-point or repeated parameter list, a
  /// negative lr, momentum or weight decay, or Nesterov without positive momentum and zero dampening.
  public init(
    _ parameters: [Tensor], lr: Double, momentum: Double = 0, dampening: Double = 0,
    weightDecay: Double = 0, nesterov: Bool = false
  ) throws {
    try OptimizerState.checkParameters(parameters, "SGD")
    guard lr >= 0 else { throw TorchError("SGD: invalid learning rate \(lr) (must be ≥ 0)") }
    guard momentum >= 0 else { throw TorchError("SGD: invalid momentum \(momentum) (must be ≥ 0)") }
    guard weightDecay >= 0 else { throw TorchError("SGD: invalid weight decay \(weightDecay) (must be ≥ 0)") }
    if nesterov && (momentum <= 0 || dampening != 0) {
      throw TorchError(
        "SGD: Nesterov momentum requires a positive momentum and zero dampening (got momentum \(momentum), dampening \(dampening))"
      )
    }
    self.parameters = parameters
    learningRate = lr
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
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
        var d = weightDecay != 0 ? try grad + p * weightDecay : grad
        if momentum != 0 {
          let buffer: Tensor
          if let existing = momentumBuffers[i] {
            buffer = existing
            try buffer.mul_(momentum)
            try buffer.add_(d, alpha: 1 - dampening)
          } else {
            // The first buffer is the gradient itself (no dampening), as PyTorch.
            buffer = try d.clone()
            momentumBuffers[i] = buffer
          }
          d = nesterov ? try d + buffer * momentum : buffer
        }
        try p.add_(d, alpha: -learningRate)
      }
    }
  }

  /// The learning rate and `state.<i>.momentum_buffer` for each parameter that has a momentum buffer.
  public func stateDict() throws -> [(String, Tensor)] {
    try OptimizerState.bufferEntries(momentumBuffers, key: "momentum_buffer", learningRate: learningRate)
  }

  /// Replaces the momentum buffers (and the learning rate if saved) with copies of `state`'s; throws,
  /// changing nothing, for unknown entries or wrong shapes.
  public func loadStateDict(_ state: [String: Tensor]) throws {
    let loaded = try OptimizerState.loadBuffers(state, like: parameters, key: "momentum_buffer", optimizer: "SGD")
    momentumBuffers = loaded.buffers
    if let lr = loaded.learningRate { learningRate = lr }
  }
}
