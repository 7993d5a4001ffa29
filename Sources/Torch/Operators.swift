import CTorch

/// Element-wise arithmetic with broadcasting. Every operator throws (a shape mismatch carries
/// libtorch's message); Swift's single `try` covers a whole expression: `try (a + b) * c`.
enum BinaryOp: Int32 {
  case add = 0, sub, mul, div, pow, maximum, minimum, matmul
  case eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, remainder
}

enum UnaryOp: Int32 {
  case neg = 0, exp, log, sqrt, rsqrt, abs, relu, sigmoid, tanh, sign
  case floor, ceil, round, square, logicalNot, sin, cos, reciprocal
}

extension Tensor {
  func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
    try wrap(ct_binary(op.rawValue, handle, other.handle), "\(op) of \(shape) and \(other.shape)")
  }
  func binary(_ op: BinaryOp, _ s: Double) throws -> Tensor {
    try wrap(ct_binary_scalar(op.rawValue, handle, s), "\(op) of \(shape) and a scalar")
  }
  func unary(_ op: UnaryOp) throws -> Tensor {
    try wrap(ct_unary(op.rawValue, handle), "\(op) of \(shape)")
  }

  /// Element-wise sum, broadcasting the shapes.
  public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
  /// Element-wise difference, broadcasting the shapes.
  public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
  /// Element-wise product, broadcasting the shapes.
  public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
  /// Element-wise quotient, broadcasting the shapes (true division, as `torch.div`).
  public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
  /// `s` added to every element.
  public static func + (a: Tensor, s: Double) throws -> Tensor { try a.binary(.add, s) }
  /// `s` subtracted from every element.
  public static func - (a: Tensor, s: Double) throws -> Tensor { try a.binary(.sub, s) }
  /// Every element times `s`.
  public static func * (a: Tensor, s: Double) throws -> Tensor { try a.binary(.mul, s) }
  /// Every element divided by `s`.
  public static func / (a: Tensor, s: Double) throws -> Tensor { try a.binary(.div, s) }
  /// `s` added to every element.
  public static func + (s: Double, a: Tensor) throws -> Tensor { try a.binary(.add, s) }
  /// Every element times `s`.
  public static func * (s: Double, a: Tensor) throws -> Tensor { try a.binary(.mul, s) }
  /// `s` minus each element.
  public static func - (s: Double, a: Tensor) throws -> Tensor {
    try wrap(ct_scalar_binary(BinaryOp.sub.rawValue, s, a.handle), "scalar - tensor")
  }
  /// `s` divided by each element (computed as `s` times the reciprocal).
  public static func / (s: Double, a: Tensor) throws -> Tensor {
    try wrap(ct_scalar_binary(BinaryOp.div.rawValue, s, a.handle), "scalar / tensor")
  }
  /// Element-wise negation.
  public static prefix func - (a: Tensor) throws -> Tensor { try a.unary(.neg) }

  /// Matrix product with NumPy/PyTorch broadcasting rules.
  public func matmul(_ other: Tensor) throws -> Tensor { try binary(.matmul, other) }
  /// Each element raised to the power `exponent`.
  public func pow(_ exponent: Double) throws -> Tensor { try binary(.pow, exponent) }
  /// Each element raised to the matching element of `exponent` (broadcast).
  public func pow(_ exponent: Tensor) throws -> Tensor { try binary(.pow, exponent) }
  /// The larger of each pair of elements (broadcast).
  public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
  /// The smaller of each pair of elements (broadcast).
  public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
  /// Each element modulo `s`, with the sign of `s` (Python's `%`, `torch.remainder`).
  public func remainder(_ s: Double) throws -> Tensor { try binary(.remainder, s) }

  // Comparisons return bool tensors. The dotted operators are the standard library's (SIMD)
  // comparison operators, as mlx-swift uses them; `==` keeps its Swift meaning.
  /// A bool tensor, true where `a`'s element is equal to `b`'s (broadcast).
  public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.eq, b) }
  /// A bool tensor, true where `a`'s element is not equal to `b`'s (broadcast).
  public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.ne, b) }
  /// A bool tensor, true where `a`'s element is less than `b`'s (broadcast).
  public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.lt, b) }
  /// A bool tensor, true where `a`'s element is at most `b`'s (broadcast).
  public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.le, b) }
  /// A bool tensor, true where `a`'s element is greater than `b`'s (broadcast).
  public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.gt, b) }
  /// A bool tensor, true where `a`'s element is at least `b`'s (broadcast).
  public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.ge, b) }
  /// A bool tensor, true where an element is equal to `s`.
  public static func .== (a: Tensor, s: Double) throws -> Tensor { try a.binary(.eq, s) }
  /// A bool tensor, true where an element is not equal to `s`.
  public static func .!= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.ne, s) }
  /// A bool tensor, true where an element is less than `s`.
  public static func .< (a: Tensor, s: Double) throws -> Tensor { try a.binary(.lt, s) }
  /// A bool tensor, true where an element is at most `s`.
  public static func .<= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.le, s) }
  /// A bool tensor, true where an element is greater than `s`.
  public static func .> (a: Tensor, s: Double) throws -> Tensor { try a.binary(.gt, s) }
  /// A bool tensor, true where an element is at least `s`.
  public static func .>= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.ge, s) }
  /// Element-wise logical AND (nonzero is true), as a bool tensor (broadcast).
  public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(.logicalAnd, other) }
  /// Element-wise logical OR (nonzero is true), as a bool tensor (broadcast).
  public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(.logicalOr, other) }
  /// Element-wise logical NOT (zero becomes true), as a bool tensor.
  public func logicalNot() throws -> Tensor { try unary(.logicalNot) }

  /// Element-wise eˣ.
  public func exp() throws -> Tensor { try unary(.exp) }
  /// Element-wise natural logarithm.
  public func log() throws -> Tensor { try unary(.log) }
  /// Element-wise square root.
  public func sqrt() throws -> Tensor { try unary(.sqrt) }
  /// Element-wise reciprocal square root, 1 / √x.
  public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
  /// Element-wise absolute value.
  public func abs() throws -> Tensor { try unary(.abs) }
  /// Element-wise max(x, 0).
  public func relu() throws -> Tensor { try unary(.relu) }
  /// Element-wise logistic sigmoid, 1 / (1 + e⁻ˣ).
  public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
  /// Element-wise hyperbolic tangent.
  public func tanh() throws -> Tensor { try unary(.tanh) }
  /// Element-wise sign: −1, 0 or 1.
  public func sign() throws -> Tensor { try unary(.sign) }
  /// Each element rounded down to an integer value.
  public func floor() throws -> Tensor { try unary(.floor) }
  /// Each element rounded up to an integer value.
  public func ceil() throws -> Tensor { try unary(.ceil) }
  /// Each element rounded to the nearest integer value, halves to even (as `torch.round`).
  public func round() throws -> Tensor { try unary(.round) }
  /// Element-wise x².
  public func square() throws -> Tensor { try unary(.square) }
  /// Element-wise sine (radians).
  public func sin() throws -> Tensor { try unary(.sin) }
  /// Element-wise cosine (radians).
  public func cos() throws -> Tensor { try unary(.cos) }
  /// Element-wise 1 / x.
  public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
  /// Element-wise x where x > 0, `slope` · x elsewhere.
  public func leakyRelu(slope: Double = 0.01) throws -> Tensor {
    try wrap(ct_leaky_relu(handle, slope), "leakyRelu")
  }

  /// Each element limited to `min ... max`; a nil bound is not applied.
  public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
    try wrap(ct_clamp(handle, min ?? 0, max ?? 0, min == nil ? 0 : 1, max == nil ? 0 : 1), "clamp")
  }

  /// Elements of `a` where `condition` is true, of `b` elsewhere.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    try wrap(ct_where(condition.handle, a.handle, b.handle), "where")
  }

  /// A copy with `value` wherever `mask` (bool, broadcastable) is true.
  public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
    try wrap(ct_masked_fill(handle, mask.handle, value), "maskedFill of \(shape) with mask \(mask.shape)")
  }
}
