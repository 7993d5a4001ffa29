import NN
import Torch

/// How a flat list of layers is cut into components (`StagedModel.cutting`).
public enum LayerCut: Sendable, Equatable {
  /// `components` groups whose layer counts differ by at most one, larger groups first.
  case even(components: Int)
  /// Layer counts per component, in order (torchgpipe's `balance`): `[2, 3, 2]`.
  case balance([Int])
  /// `components` contiguous groups whose measured time is as even as contiguous cuts allow:
  /// each layer's forward and backward on a batch of `probeBatch` zero samples (eval mode, one
  /// warm-up, the median of three), grouped by `Grouping.balanced` (torchgpipe's
  /// `balance_by_time`). A measurement: two runs may cut differently where times are close.
  case measuredTime(components: Int, probeBatch: Int = 8)

  /// The groups of layer indices for `layers` on samples of `sampleShape`.
  public func groups(_ layers: [any UnaryLayer], sampleShape: [Int]) throws -> [[Int]] {
    let n = layers.count
    switch self {
    case .even(let k):
      guard (1...Swift.max(1, n)).contains(k), n > 0 else {
        throw TorchError("\(n) layer(s) can be cut into 1…\(n) components, not \(k)")
      }
      return Grouping.even(Array(0..<n), into: k)
    case .balance(let counts):
      guard counts.allSatisfy({ $0 >= 1 }), counts.reduce(0, +) == n else {
        throw TorchError(
          "balance \(counts) must give every component at least one layer and add up to the \(n) layer(s)")
      }
      var start = 0
      return counts.map { c in
        defer { start += c }
        return Array(start..<(start + c))
      }
    case .measuredTime(let k, let batch):
      guard batch >= 1 else { throw TorchError("the probe batch needs at least one sample, got \(batch)") }
      return try Grouping.balanced(
        costs: try Self.layerSeconds(layers, sampleShape: sampleShape, batch: batch), into: k)
    }
  }

  /// Each layer's forward + backward seconds, in eval mode with its gradients dropped afterwards,
  /// so the measurement changes no weight or statistic.
  static func layerSeconds(_ layers: [any UnaryLayer], sampleShape: [Int], batch: Int) throws -> [Double] {
    var x = try Tensor.zeros([batch] + sampleShape)
    var seconds: [Double] = []
    for (i, layer) in layers.enumerated() {
      let input = x
      var output = input
      let times = try layer.inMode(training: false) {
        try Stopwatch.measure(repeats: 3, warmup: 1) {
          let leaf = try input.detached().requiringGrad()
          output = try layer(leaf)
          try output.sum().backward()
        }
      }
      try layer.zeroGrad()
      guard output.shape.first == batch else {
        throw TorchError("layer \(i + 1) (\(type(of: layer))) changed the batch size of its input")
      }
      seconds.append(times.median)
      x = try output.detached()
    }
    return seconds
  }
}

extension StagedModel {
  /// A vision network from a flat list of layers, cut into components by `cut`: each component a
  /// `VisionComponent` of its layers (its features the flattened output, or what `features`
  /// makes of it), and the classifier `classifier(width)` over the last one's features, `width`
  /// found by a probe forward.
  public static func cutting(
    _ layers: [any UnaryLayer], _ cut: LayerCut, name: String, sampleShape: [Int], classCount: Int,
    features: ((Tensor) throws -> Tensor)? = nil, classifier: (_ featureWidth: Int) throws -> Sequential
  ) throws -> StagedModel {
    let groups = try cut.groups(layers, sampleShape: sampleShape)
    let components = groups.map { g in VisionComponent(g.map { layers[$0] }, features: features) }
    let width = try withNoGrad { () -> Int in
      var x = try Activation(Tensor.zeros([2] + sampleShape))
      for c in components { x = try c.inMode(training: false) { try c(x) } }
      return try components[components.count - 1].features(x).shape[1]
    }
    return try StagedModel(
      name: name, family: .vision, components: components, classifier: classifier(width), classCount: classCount,
      sampleShape: sampleShape)
  }
}
