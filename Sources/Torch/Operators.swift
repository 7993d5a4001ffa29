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

  public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
  public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
  public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
  public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
  public static func + (a: Tensor, s: Double) throws -> Tensor { try a.binary(.add, s) }
  public static func - (a: Tensor, s: Double) throws -> Tensor { try a.binary(.sub, s) }
  public static func * (a: Tensor, s: Double) throws -> Tensor { try a.binary(.mul, s) }
  public static func / (a: Tensor, s: Double) throws -> Tensor { try a.binary(.div, s) }
  public static func + (s: Double, a: Tensor) throws -> Tensor { try a.binary(.add, s) }
  public static func * (s: Double, a: Tensor) throws -> Tensor { try a.binary(.mul, s) }
  public static func - (s: Double, a: Tensor) throws -> Tensor {
    try wrap(ct_scalar_binary(BinaryOp.sub.rawValue, s, a.handle), "scalar - tensor")
  }
  public static func / (s: Double, a: Tensor) throws -> Tensor {
    try wrap(ct_scalar_binary(BinaryOp.div.rawValue, s, a.handle), "scalar / tensor")
  }
  public static prefix func - (a: Tensor) throws -> Tensor { try a.unary(.neg) }

  /// Matrix product with NumPy/PyTorch broadcasting rules.
  public func matmul(_ other: Tensor) throws -> Tensor { try binary(.matmul, other) }
  public func pow(_ exponent: Double) throws -> Tensor { try binary(.pow, exponent) }
  public func pow(_ exponent: Tensor) throws -> Tensor { try binary(.pow, exponent) }
  public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
  public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
  public func remainder(_ s: Double) throws -> Tensor { try binary(.remainder, s) }

  // Comparisons return bool tensors. The dotted operators are the standard library's (SIMD)
  // comparison operators, as mlx-swift uses them; `==` keeps its Swift meaning.
  public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.eq, b) }
  public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.ne, b) }
  public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.lt, b) }
  public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.le, b) }
  public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.gt, b) }
  public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.ge, b) }
  public static func .== (a: Tensor, s: Double) throws -> Tensor { try a.binary(.eq, s) }
  public static func .!= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.ne, s) }
  public static func .< (a: Tensor, s: Double) throws -> Tensor { try a.binary(.lt, s) }
  public static func .<= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.le, s) }
  public static func .> (a: Tensor, s: Double) throws -> Tensor { try a.binary(.gt, s) }
  public static func .>= (a: Tensor, s: Double) throws -> Tensor { try a.binary(.ge, s) }
  public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(.logicalAnd, other) }
  public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(.logicalOr, other) }
  public func logicalNot() throws -> Tensor { try unary(.logicalNot) }

  public func exp() throws -> Tensor { try unary(.exp) }
  public func log() throws -> Tensor { try unary(.log) }
  public func sqrt() throws -> Tensor { try unary(.sqrt) }
  public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
  public func abs() throws -> Tensor { try unary(.abs) }
  public func relu() throws -> Tensor { try unary(.relu) }
  public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
  public func tanh() throws -> Tensor { try unary(.tanh) }
  public func sign() throws -> Tensor { try unary(.sign) }
  public func floor() throws -> Tensor { try unary(.floor) }
  public func ceil() throws -> Tensor { try unary(.ceil) }
  public func round() throws -> Tensor { try unary(.round) }
  public func square() throws -> Tensor { try unary(.square) }
  public func sin() throws -> Tensor { try unary(.sin) }
  public func cos() throws -> Tensor { try unary(.cos) }
  public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
  public func leakyRelu(slope: Double = 0.01) throws -> Tensor {
    try wrap(ct_leaky_relu(handle, slope), "leakyRelu")
  }

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
