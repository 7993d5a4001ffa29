import CTorch

/// Element types a tensor can hold.
public enum DType: Int32, Sendable, CustomStringConvertible, CaseIterable {
  case float32 = 0
  case float64 = 1
  case int64 = 2
  case bool = 3
  case uint8 = 4
  case int32 = 5

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32, .int32: return 4
    case .float64, .int64: return 8
    case .bool, .uint8: return 1
    }
  }

  /// Whether the type is float32 or float64.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// The type's name as PyTorch spells it (`float32`, `int64`…).
  public var description: String {
    switch self {
    case .float32: return "float32"
    case .float64: return "float64"
    case .int64: return "int64"
    case .bool: return "bool"
    case .uint8: return "uint8"
    case .int32: return "int32"
    }
  }
}

/// Swift scalar types that map one-to-one onto a `DType`.
public protocol TensorScalar: Sendable {
  static var dtype: DType { get }
}
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }
