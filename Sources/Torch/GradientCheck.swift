/// Compares autograd gradients with central finite differences, like torch.autograd.gradcheck.
///
/// `f` maps the inputs to a tensor; the check differentiates the scalar `sum(f(x) · w)` for a fixed
/// random weighting `w`, so every output element matters. Use float64 inputs.
public enum GradientCheck {
  /// The outcome of a check: the worst relative error and how many elements it covered.
  public struct Result: CustomStringConvertible {
    /// The largest |analytic − numeric| / max(1, |numeric|) over every checked element.
    public var maxError: Double
    /// How many input elements were perturbed.
    public var checkedElements: Int
    /// The error and the element count, in one line.
    public var description: String { "max error \(maxError) over \(checkedElements) elements" }
  }

  /// Compares the gradient autograd gives `f`'s scalar output with central differences of step
  /// `epsilon`. `inputs` are the leaf tensors (float64) to differentiate (they are set to require
  /// grad); at most `maxElementsPerInput` elements of each are checked, spread evenly.
  public static func run(
    inputs: [Tensor], epsilon: Double = 1e-6, maxElementsPerInput: Int = 24,
    _ f: () throws -> Tensor
  ) throws -> Result {
    for x in inputs where x.dtype != .float64 {
      throw TorchError("GradientCheck needs float64 inputs, got \(x.dtype) of shape \(x.shape)")
    }
    for x in inputs { try x.requiringGrad(); try x.zeroGrad() }
    let probe = try f()
    let weights = try Tensor.rand(probe.shape, dtype: .float64) + 0.5
    func objective() throws -> Double { try (f() * weights).sum().item() }
    try (probe * weights).sum().backward()
    var worst = 0.0
    var checked = 0
    for x in inputs {
      let analytic = try (x.grad ?? Tensor.zeros(like: x)).reshaped([-1]).toArray(Double.self)
      let flat = try x.view([-1])
      let n = x.count
      let stride = Swift.max(1, n / maxElementsPerInput)
      for i in Swift.stride(from: 0, to: n, by: stride) {
        let element = try flat.slice(axis: 0, start: i, end: i + 1)
        let original = try element.item()
        try withNoGrad { try element.fill_(original + epsilon) }
        let plus = try withNoGrad { try objective() }
        try withNoGrad { try element.fill_(original - epsilon) }
        let minus = try withNoGrad { try objective() }
        try withNoGrad { try element.fill_(original) }
        let numeric = (plus - minus) / (2 * epsilon)
        worst = Swift.max(worst, Swift.abs(analytic[i] - numeric) / Swift.max(1, Swift.abs(numeric)))
        checked += 1
      }
    }
    return Result(maxError: worst, checkedElements: checked)
  }
}
