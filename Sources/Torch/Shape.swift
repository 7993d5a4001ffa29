import CTorch

/// Reshaping, slicing, joining and indexing.
extension Tensor {
  /// The same elements in shape `shape` (one size may be -1, inferred): a view when the layout
  /// allows, otherwise a copy.
  public func reshaped(_ shape: [Int]) throws -> Tensor {
    try withShape(shape) { try wrap(ct_reshape(handle, $0, $1), "reshape \(self.shape) to \(shape)") }
  }
  /// A view sharing storage (fails on non-contiguous layouts where `reshaped` would copy).
  public func view(_ shape: [Int]) throws -> Tensor {
    try withShape(shape) { try wrap(ct_view(handle, $0, $1), "view \(self.shape) as \(shape)") }
  }
  /// The axes reordered so that axis i of the result is axis `axes[i]` of this tensor (a view).
  public func permuted(_ axes: [Int]) throws -> Tensor {
    try withShape(axes) { try wrap(ct_permute(handle, $0, $1), "permute \(shape) by \(axes)") }
  }
  /// Axes `a` and `b` swapped (a view).
  public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
    try wrap(ct_transpose(handle, Int64(a), Int64(b)), "transpose \(a),\(b) of \(shape)")
  }
  /// Elements `start ..< end` (by `step`) along `axis`; `end` nil = to the end.
  public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
    try wrap(
      ct_slice(handle, Int64(axis), Int64(start), Int64(end ?? Int(Int64.max)), Int64(step)),
      "slice \(start)..<\(end.map(String.init) ?? "end") along \(axis) of \(shape)")
  }
  /// Removes `axis` by picking index `index` on it.
  public func select(axis: Int, index: Int) throws -> Tensor {
    try wrap(ct_select(handle, Int64(axis), Int64(index)), "select \(index) along \(axis) of \(shape)")
  }
  /// `t[i]` picks row i of the first axis.
  public subscript(_ index: Int) -> Tensor {
    get throws { try select(axis: 0, index: index) }
  }
  /// The entries at int64 `indices` along `axis`, in that order (a copy).
  public func indexSelect(axis: Int, _ indices: Tensor) throws -> Tensor {
    try wrap(ct_index_select(handle, Int64(axis), indices.handle), "indexSelect along \(axis) of \(shape)")
  }

  /// The tensors joined along their existing axis `axis`; the other sizes must match.
  public static func cat(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    let hs: [ct_tensor?] = tensors.map { $0.handle }
    return try withExtendedLifetime(tensors) {
      try wrap(ct_cat(hs, Int32(hs.count), Int64(axis)), "cat of \(tensors.map(\.shape)) along \(axis)")
    }
  }
  /// The tensors, all of one shape, joined along a new axis inserted at `axis`.
  public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    let hs: [ct_tensor?] = tensors.map { $0.handle }
    return try withExtendedLifetime(tensors) {
      try wrap(ct_stack(hs, Int32(hs.count), Int64(axis)), "stack of \(tensors.map(\.shape)) along \(axis)")
    }
  }
  /// Splits into `chunks` nearly equal pieces along `axis` (fewer when the axis is short).
  public func chunked(_ chunks: Int, axis: Int = 0) throws -> [Tensor] {
    guard chunks > 0 else { throw TorchError("chunked: the number of chunks must be positive, got \(chunks)") }
    var out = [ct_tensor?](repeating: nil, count: chunks)
    let n = ct_chunk(handle, Int64(chunks), Int64(axis), &out, Int32(chunks))
    if n < 0 { throw TorchError.last("chunk \(shape) into \(chunks) along \(axis)") }
    return (0..<Int(n)).map { Tensor(owning: out[$0]!) }
  }

  /// Axis `axis` removed when its size is 1; the same shape otherwise (a view).
  public func squeezed(axis: Int) throws -> Tensor {
    try wrap(ct_squeeze(handle, Int64(axis)), "squeeze \(axis) of \(shape)")
  }
  /// A new axis of size 1 inserted at `axis` (a view).
  public func unsqueezed(axis: Int) throws -> Tensor {
    try wrap(ct_unsqueeze(handle, Int64(axis)), "unsqueeze \(axis) of \(shape)")
  }
  /// A view broadcasting size-1 axes to `shape` without copying (-1 keeps an axis's size).
  public func expanded(to shape: [Int]) throws -> Tensor {
    try withShape(shape) { try wrap(ct_expand(handle, $0, $1), "expand \(self.shape) to \(shape)") }
  }
  /// Axes `startAxis` through `endAxis` merged into one (negative axes count from the end).
  public func flattened(startAxis: Int = 0, endAxis: Int = -1) throws -> Tensor {
    try wrap(ct_flatten(handle, Int64(startAxis), Int64(endAxis)), "flatten \(shape)")
  }
  /// The tensor tiled `repeats[i]` times along each axis i (`torch.Tensor.repeat`; a copy).
  public func repeated(_ repeats: [Int]) throws -> Tensor {
    try withShape(repeats) { try wrap(ct_repeat(handle, $0, $1), "repeat \(shape) by \(repeats)") }
  }
  /// The order of elements reversed along each of `axes` (a copy).
  public func flipped(axes: [Int]) throws -> Tensor {
    try withShape(axes) { try wrap(ct_flip(handle, $0, $1), "flip \(shape) along \(axes)") }
  }
  /// Values picked along `axis` at the int64 positions in `index` (`torch.gather`); the result
  /// has `index`'s shape.
  public func gather(axis: Int, _ index: Tensor) throws -> Tensor {
    try wrap(ct_gather(handle, Int64(axis), index.handle), "gather along \(axis) of \(shape)")
  }
  /// A copy with `source` written at `index` along `axis`.
  public func scatter(axis: Int, _ index: Tensor, _ source: Tensor) throws -> Tensor {
    try wrap(ct_scatter(handle, Int64(axis), index.handle, source.handle), "scatter along \(axis) of \(shape)")
  }
  /// A copy with `value` written at `index` along `axis`.
  public func scatter(axis: Int, _ index: Tensor, value: Double) throws -> Tensor {
    try wrap(ct_scatter_value(handle, Int64(axis), index.handle, value), "scatter along \(axis) of \(shape)")
  }
  /// Int64 labels → int64 one-hot rows with `classes` columns.
  public func oneHot(classes: Int) throws -> Tensor {
    try wrap(ct_one_hot(handle, Int64(classes)), "oneHot(\(classes)) of \(shape)")
  }
  /// Constant padding; `pad` lists (before, after) pairs starting from the last axis, as
  /// torch.nn.functional.pad.
  public func padded(_ pad: [Int], value: Double = 0) throws -> Tensor {
    try withShape(pad) { try wrap(ct_constant_pad(handle, $0, $1, value), "pad \(shape) by \(pad)") }
  }
}
