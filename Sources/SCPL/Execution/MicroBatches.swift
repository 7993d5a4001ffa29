import Torch

/// How `--micro-batches M` cuts a mini-batch of n rows for gpipe and scpl-gpipe: into min(M, n)
/// consecutive pieces along the batch axis whose sizes differ by at most one, the larger first
/// (10 rows in 4: 3, 3, 2, 2). Unlike libtorch's `chunk`, which can return fewer pieces (6 rows
/// in 4: 2, 2, 2), this gives exactly M micro-batches whenever n ≥ M; a short last batch of an
/// epoch gets one row per micro-batch.
enum MicroBatches {
  /// The one check of `--micro-batches`: at least 1, and at most the batch size when it is known.
  static func check(_ m: Int, batchSize: Int? = nil) throws {
    if let batchSize, !(1...Swift.max(1, batchSize)).contains(m) {
      throw PipelineError("--micro-batches must be between 1 and the batch size \(batchSize), got \(m)")
    }
    guard m >= 1 else { throw PipelineError("--micro-batches must be at least 1, got \(m)") }
  }

  static func sizes(rows n: Int, count m: Int) -> [Int] {
    let k = Swift.max(1, Swift.min(m, n))
    let (base, extra) = (n / k, n % k)
    return (0..<k).map { base + ($0 < extra ? 1 : 0) }
  }
}

extension Tensor {
  /// Consecutive pieces of the given sizes along `axis` (views; one piece is `self`).
  func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
    guard sizes.count > 1 else { return [self] }
    var start = 0
    return try sizes.map { n in
      defer { start += n }
      return try slice(axis: axis, start: start, end: start + n)
    }
  }
}

extension Activation {
  /// The activation cut into micro-batches of the given sizes: the tensor, the mask and the label
  /// path along axis 0, the LSTM state (2×B×H) along axis 1.
  func split(sizes: [Int]) throws -> [Activation] {
    guard sizes.count > 1 else { return [self] }
    let tensors = try tensor.split(sizes: sizes)
    let masks = try mask.map { try $0.split(sizes: sizes) }
    let hs = try state.map { try $0.h.split(sizes: sizes, axis: 1) }
    let cs = try state.map { try $0.c.split(sizes: sizes, axis: 1) }
    let paths = try labelPath.map { try $0.split(sizes: sizes) }
    let extraParts = try extras.mapValues { try $0.split(sizes: sizes) }
    return sizes.indices.map { i in
      Activation(
        tensors[i], mask: masks?[i], state: hs.map { ($0[i], cs![i]) }, labelPath: paths?[i],
        extras: extraParts.mapValues { $0[i] })
    }
  }

  /// Micro-batches joined back along the batch axis (the inverse of `split`), keeping each
  /// piece's autograd graph: a loss on the result back-propagates into every piece's forward.
  static func concatenated(_ parts: [Activation]) throws -> Activation {
    guard let first = parts.first else { throw PipelineError("no micro-batches to concatenate") }
    guard parts.count > 1 else { return first }
    func joined(_ name: String, _ pick: (Activation) -> Tensor?, axis: Int = 0) throws -> Tensor? {
      let pieces = parts.compactMap(pick)
      if pieces.isEmpty { return nil }
      guard pieces.count == parts.count else {
        throw PipelineError("only \(pieces.count) of \(parts.count) micro-batches carry a \(name)")
      }
      return try Tensor.cat(pieces, axis: axis)
    }
    let h = try joined("state", { $0.state?.h }, axis: 1), c = try joined("state", { $0.state?.c }, axis: 1)
    var extras: [String: Tensor] = [:]
    for name in first.extraNames { extras[name] = try joined("'\(name)'", { $0.extras[name] }) }
    return Activation(
      try Tensor.cat(parts.map(\.tensor)), mask: try joined("mask", \.mask),
      state: h.map { ($0, c!) }, labelPath: try joined("label path", \.labelPath), extras: extras)
  }

  /// The floating-point tensors gradients can flow through, by slot: tensor, state h, state c,
  /// label path, then the extras by name (nil where absent or not floating point, e.g. token ids).
  var gradientSlots: [Tensor?] {
    ([tensor, state?.h, state?.c, labelPath] + extraTensors.map { $0 }).map { t in
      t.flatMap { $0.dtype.isFloatingPoint ? $0 : nil }
    }
  }

  /// Where a stage's backward starts when its output fed a later stage: each of the output's
  /// `gradientSlots` that records gradients, with the gradient the later stage computed for it
  /// (`gradients`, by slot; a slot without one is left out).
  func backwardRoots(_ gradients: [Tensor?]) -> (roots: [Tensor], gradients: [Tensor]) {
    var roots: [Tensor] = [], given: [Tensor] = []
    for (root, gradient) in zip(gradientSlots, gradients) {
      guard let root, root.requiresGrad, let gradient else { continue }
      roots.append(root)
      given.append(gradient)
    }
    return (roots, given)
  }

  /// A device's input cut off from the previous device's graph, its floating-point tensors made
  /// fresh leaves that record gradients: after this device's backward, their `grad`s (by slot,
  /// `gradientSlots`) are what the previous device back-propagates from.
  func gradientLeaves() throws -> Activation {
    func leaf(_ t: Tensor) throws -> Tensor {
      t.dtype.isFloatingPoint ? try t.detached().requiringGrad() : try t.detached()
    }
    return Activation(
      try leaf(tensor), mask: mask, state: try state.map { (try leaf($0.h), try leaf($0.c)) },
      labelPath: try labelPath.map(leaf), extras: try extras.mapValues(leaf))
  }
}
