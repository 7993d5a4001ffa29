import CTorch

/// Calls `body` with the shape as a C array of Int64.
@inline(__always)
func withShape<R>(_ shape: [Int], _ body: (UnsafePointer<Int64>?, Int32) throws -> R) rethrows -> R {
  let s = shape.map(Int64.init)
  return try s.withUnsafeBufferPointer { try body($0.baseAddress, Int32(s.count)) }
}

func validate(shape: [Int], _ op: String) throws {
  if let bad = shape.first(where: { $0 < 0 }) {
    throw TorchError("\(op): negative size \(bad) in shape \(shape)")
  }
}

extension Tensor {
  /// A tensor of `shape` filled with zeros; throws on a negative size.
  public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    try validate(shape: shape, "zeros")
    let d = device.code
    return try withShape(shape) { try wrap(ct_zeros($0, $1, dtype.rawValue, d.type, d.index), "zeros(\(shape))") }
  }

  /// A tensor of `shape` filled with ones; throws on a negative size.
  public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    try validate(shape: shape, "ones")
    let d = device.code
    return try withShape(shape) { try wrap(ct_ones($0, $1, dtype.rawValue, d.type, d.index), "ones(\(shape))") }
  }

  /// A tensor of `shape` with every element `value`; throws on a negative size.
  public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) throws
    -> Tensor
  {
    try validate(shape: shape, "full")
    let d = device.code
    return try withShape(shape) {
      try wrap(ct_full($0, $1, value, dtype.rawValue, d.type, d.index), "full(\(shape))")
    }
  }

  /// Samples from N(0, 1), using libtorch's global generator (see `Torch.manualSeed`).
  public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    try validate(shape: shape, "randn")
    let d = device.code
    return try withShape(shape) { try wrap(ct_randn($0, $1, dtype.rawValue, d.type, d.index), "randn(\(shape))") }
  }

  /// Samples from U[0, 1).
  public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    try validate(shape: shape, "rand")
    let d = device.code
    return try withShape(shape) { try wrap(ct_rand($0, $1, dtype.rawValue, d.type, d.index), "rand(\(shape))") }
  }

  /// Integers uniform in `low ..< high` (int64).
  public static func randint(_ low: Int, _ high: Int, _ shape: [Int], device: Device = .cpu) throws -> Tensor {
    try validate(shape: shape, "randint")
    let d = device.code
    return try withShape(shape) {
      try wrap(ct_randint(Int64(low), Int64(high), $0, $1, d.type, d.index), "randint(\(low), \(high))")
    }
  }

  /// A random permutation of 0 ..< n (int64).
  public static func randperm(_ n: Int, device: Device = .cpu) throws -> Tensor {
    let d = device.code
    return try wrap(ct_randperm(Int64(n), d.type, d.index), "randperm(\(n))")
  }

  /// The 1-D sequence `start`, `start + step`, … up to but excluding `end` (int64 by default).
  public static func arange(
    _ start: Double, _ end: Double, step: Double = 1, dtype: DType = .int64, device: Device = .cpu
  ) throws -> Tensor {
    let d = device.code
    return try wrap(ct_arange(start, end, step, dtype.rawValue, d.type, d.index), "arange(\(start), \(end), \(step))")
  }

  /// The 1-D sequence 0 ..< `end` (int64 by default).
  public static func arange(_ end: Int, dtype: DType = .int64, device: Device = .cpu) throws -> Tensor {
    try arange(0, Double(end), dtype: dtype, device: device)
  }

  /// The n×n identity matrix.
  public static func eye(_ n: Int, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    let d = device.code
    return try wrap(ct_eye(Int64(n), dtype.rawValue, d.type, d.index), "eye(\(n))")
  }

  /// A zero-dimensional tensor holding `value`.
  public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
    let d = device.code
    return try wrap(ct_scalar_tensor(value, dtype.rawValue, d.type, d.index), "scalar(\(value))")
  }

  /// A tensor holding a copy of `values`, laid out row-major in `shape` (default: 1-D).
  public convenience init<T: TensorScalar>(_ values: [T], shape: [Int]? = nil) throws {
    let shape = shape ?? [values.count]
    try validate(shape: shape, "Tensor(values:shape:)")
    let expected = shape.reduce(1, *)
    guard expected == values.count else {
      throw TorchError(
        "Tensor(values:shape:): \(values.count) values do not fill shape \(shape) (\(expected) elements)")
    }
    let handle = values.withUnsafeBytes { raw in
      withShape(shape) { ct_from_data(raw.baseAddress, $0, $1, T.dtype.rawValue) }
    }
    guard let handle else { throw TorchError.last("Tensor(values:shape:)") }
    self.init(owning: handle)
  }

  /// A tensor built from raw little-endian bytes (the safetensors payload layout).
  public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
    try validate(shape: shape, "Tensor(bytes:)")
    let expected = shape.reduce(1, *) * dtype.byteSize
    guard bytes.count == expected else {
      throw TorchError("Tensor(bytes:): \(bytes.count) bytes given, shape \(shape) of \(dtype) needs \(expected)")
    }
    let handle = withShape(shape) { ct_from_data(bytes.baseAddress, $0, $1, dtype.rawValue) }
    guard let handle else { throw TorchError.last("Tensor(bytes:)") }
    self.init(owning: handle)
  }

  /// Zeros of `t`'s shape, dtype and device.
  public static func zeros(like t: Tensor) throws -> Tensor { try zeros(t.shape, dtype: t.dtype, device: t.device) }
  /// Ones of `t`'s shape, dtype and device.
  public static func ones(like t: Tensor) throws -> Tensor { try ones(t.shape, dtype: t.dtype, device: t.device) }
}

/// Process-wide settings of the engine.
public enum Torch {
  /// Seeds libtorch's global generators (CPU and every GPU).
  public static func manualSeed(_ seed: UInt64) throws { try check(ct_manual_seed(seed), "manualSeed(\(seed))") }
}
