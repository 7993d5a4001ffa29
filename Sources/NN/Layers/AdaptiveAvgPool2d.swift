import Torch

/// Averages B×C×H×W (or C×H×W) inputs down to a fixed H'×W' whatever the input size, with
/// PyTorch's window rule (windows may overlap when H is not a multiple of H').
public final class AdaptiveAvgPool2d: Module, UnaryLayer, @unchecked Sendable {
  /// The output height and width (H', W').
  public let outputSize: (Int, Int)

  /// A square `outputSize`×`outputSize` output; throws unless it is positive.
  public convenience init(_ outputSize: Int) throws { try self.init((outputSize, outputSize)) }

  /// An output of `outputSize` (height, width); throws unless both are positive.
  public init(_ outputSize: (Int, Int)) throws {
    guard outputSize.0 > 0, outputSize.1 > 0 else {
      throw TorchError("AdaptiveAvgPool2d(\(outputSize.0)×\(outputSize.1)): the output size must be positive")
    }
    self.outputSize = outputSize
    super.init()
  }

  /// Maps B×C×H×W to B×C×H'×W' (or C×H×W to C×H'×W'); throws for other ranks or an empty H or W.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    // Each output cell must average at least one input cell; libtorch would otherwise return NaN.
    guard x.rank == 4 || x.rank == 3, x.size(-2) >= 1, x.size(-1) >= 1 else {
      throw TorchError(
        "AdaptiveAvgPool2d(\(outputSize.0)×\(outputSize.1)) expects non-empty B×C×H×W (or C×H×W) inputs, got shape \(x.shape)"
      )
    }
    return try Functional.adaptiveAvgPool2d(x, outputSize: outputSize)
  }
}
