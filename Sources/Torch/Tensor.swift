import CTorch

/// An n-dimensional array living in libtorch. The class owns exactly one shim handle and frees it
/// when the last Swift reference goes away, so tensors are managed like any Swift object.
///
/// Tensors are immutable from Swift's point of view except through the in-place methods whose
/// names end in an underscore (`add_`, `copy_`…), which optimizers and initialisers use.
/// A tensor may be handed to another thread (`Sendable`); libtorch tensors are safe to read
/// concurrently, and this project never mutates one tensor from two threads at once.
public final class Tensor: @unchecked Sendable {
  let handle: ct_tensor

  init(owning handle: ct_tensor) { self.handle = handle }
  deinit { ct_free(handle) }

  /// The number of axes.
  public var rank: Int { Int(ct_ndim(handle)) }

  /// The size of each axis (empty for a zero-dimensional tensor).
  public var shape: [Int] {
    let n = rank
    if n == 0 { return [] }
    var out = [Int64](repeating: 0, count: n)
    ct_shape(handle, &out)
    return out.map(Int.init)
  }

  /// The size of axis `axis` (negative counts from the end).
  public func size(_ axis: Int) -> Int {
    let s = shape
    return s[axis < 0 ? axis + s.count : axis]
  }

  /// The number of elements.
  public var count: Int { Int(ct_numel(handle)) }

  /// The element type.
  public var dtype: DType {
    guard let d = DType(rawValue: ct_dtype(handle)) else {
      fatalError("tensor holds a dtype this module does not model")
    }
    return d
  }

  /// Where the storage lives: the CPU or a GPU.
  public var device: Device {
    ct_device_type(handle) == CT_CUDA_CODE ? .cuda(Int(ct_device_index(handle))) : .cpu
  }

  /// Whether the elements are laid out row-major with no gaps (`contiguous()` makes them so).
  public var isContiguous: Bool { ct_is_contiguous(handle) != 0 }

  /// Reads every element (row-major) into a Swift array of the tensor's own element type.
  public func toArray<T: TensorScalar>(_: T.Type = T.self) throws -> [T] {
    guard dtype == T.dtype else {
      throw TorchError("toArray(\(T.self)) on a \(dtype) tensor: convert it with .to(.\(T.dtype)) first")
    }
    let n = count
    if n == 0 { return [] }
    return try [T](unsafeUninitializedCapacity: n) { buffer, initialized in
      let status = ct_copy_to_host(handle, UnsafeMutableRawPointer(buffer.baseAddress!), n * T.dtype.byteSize)
      try check(status, "copy to host")
      initialized = n
    }
  }

  /// Raw little-endian bytes of the elements, row-major (for serialisation).
  public func bytes() throws -> [UInt8] {
    let n = count * dtype.byteSize
    if n == 0 { return [] }
    return try [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
      try check(ct_copy_to_host(handle, UnsafeMutableRawPointer(buffer.baseAddress!), n), "copy to host")
      initialized = n
    }
  }

  /// The value of a one-element tensor as a Double.
  public func item() throws -> Double {
    // NaN is both a value and the failure signal: clear the slot first, so that only this call's
    // own error can be reported.
    ct_clear_error()
    let v = ct_item_double(handle)
    if v.isNaN {
      let message = String(cString: ct_last_error())
      if !message.isEmpty { ct_clear_error(); throw TorchError("item(): \(message)") }
    }
    return v
  }

  /// The value of a one-element tensor, converted to an Int (truncated toward zero).
  public func itemInt() throws -> Int { Int(try item()) }

  /// The elements converted to `dtype` (`self` when already of that type).
  public func to(_ dtype: DType) throws -> Tensor {
    if dtype == self.dtype { return self }
    return try wrap(ct_to_dtype(handle, dtype.rawValue), "to(\(dtype))")
  }

  /// A copy on `device` (`self` when already there); `nonBlocking` lets the copy run
  /// asynchronously where libtorch can, as PyTorch's `non_blocking`.
  public func to(_ device: Device, nonBlocking: Bool = false) throws -> Tensor {
    if device == self.device { return self }
    let c = device.code
    return try wrap(ct_to_device(handle, c.type, c.index, nonBlocking ? 1 : 0), "to(\(device))")
  }

  /// The same values laid out row-major with no gaps (this tensor's storage when already so).
  public func contiguous() throws -> Tensor { try wrap(ct_contiguous(handle), "contiguous") }

  /// A copy with its own storage (autograd-tracked like PyTorch's clone).
  public func clone() throws -> Tensor { try wrap(ct_clone(handle), "clone") }
}

extension Tensor: CustomStringConvertible {
  /// The shape, dtype and device, with the values when there are at most 16.
  public var description: String {
    var text = "Tensor(shape: \(shape), dtype: \(dtype), device: \(device)"
    if count <= 16, let values = try? to(.float64).toArray(Double.self) {
      text += ", values: \(values)"
    }
    return text + ")"
  }
}
