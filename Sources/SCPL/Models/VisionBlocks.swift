import NN
import Torch

/// Channel count after applying the width multiplier (at least one channel).
func scaled(_ channels: Int, _ width: Double) -> Int { Swift.max(1, Int((Double(channels) * width).rounded())) }

/// conv3×3 (no bias) → BatchNorm → activation: the reference's conv–BN–activation unit (`utils/vision.py`).
func convBNAct(_ a: Int, _ b: Int, stride: Int = 1, activation: (any UnaryLayer)?) throws -> [any UnaryLayer] {
  var layers: [any UnaryLayer] = [
    try Conv2d(a, b, kernelSize: 3, stride: stride, padding: 1, bias: false), try BatchNorm2d(b)
  ]
  if let activation { layers.append(activation) }
  return layers
}

/// The reference ResNet-18's `BasicBlock` (`model/vision_single.py`): LeakyReLU throughout,
/// identity shortcut when the stride is 1, else a projection (3×3 conv + BN by default, 1×1 as an
/// option).
public final class BasicBlock: Module, UnaryLayer, @unchecked Sendable {
  /// Two 3×3 conv–BN units, the first with LeakyReLU.
  public let main: Sequential
  /// The projection (conv + BN) when the stride or the channel count changes; nil for the identity.
  public let shortcut: Sequential?

  /// A block from `a` to `b` channels at `stride`, with a `shortcutKernel`×`shortcutKernel` projection if needed.
  public init(_ a: Int, _ b: Int, stride: Int, shortcutKernel: Int = 3) throws {
    main = Sequential(try convBNAct(a, b, stride: stride, activation: LeakyReLU()) + convBNAct(b, b, activation: nil))
    if stride != 1 || a != b {
      shortcut = Sequential([
        try Conv2d(
          a, b, kernelSize: shortcutKernel, stride: stride,
          padding: shortcutKernel / 2, bias: false), try BatchNorm2d(b)
      ])
    } else {
      shortcut = nil
    }
    super.init()
  }

  /// The main path plus the shortcut, through LeakyReLU (slope 0.01).
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    try (main(x) + (shortcut.map { try $0(x) } ?? x)).leakyRelu(slope: 0.01)
  }
}

/// Builds a vision model from named units (a unit: the layers that stay together) and a
/// grouping into components.
struct VisionModelBuilder {
  let name: String
  /// Cut evenly, larger groups first (`Grouping.even`): for K = 4 that is the paper's grouping
  /// of each model (ModelParameterCountTests pins it).
  let units: [[any UnaryLayer]]

  func build(
    components k: Int, classifier: (_ featureDim: Int) throws -> Sequential, classCount: Int,
    sampleShape: [Int]
  ) throws -> StagedModel {
    guard k >= 1, k <= units.count else {
      throw TorchError("\(name) can be cut into 1…\(units.count) components, not \(k)")
    }
    let unitGroups = Grouping.even(Array(units.indices), into: k)
    let counts = unitGroups.map { g in g.reduce(0) { $0 + units[$1].count } }
    return try StagedModel.cutting(
      units.flatMap { $0 }, .balance(counts), name: name, sampleShape: sampleShape, classCount: classCount,
      classifier: classifier)
  }
}
