import Torch

/// 2-D max pooling without padding over B×C×H×W (or C×H×W) inputs; the reference's "MP" is
/// `MaxPool2d(2)`.
public final class MaxPool2d: Module, UnaryLayer, @unchecked Sendable {
  /// Window height and width.
  public let kernelSize: (Int, Int)
  /// Vertical and horizontal step between windows.
  public let stride: (Int, Int)

  /// `stride` defaults to the kernel size, as in PyTorch, so windows do not overlap.
  public init(_ kernelSize: Int, stride: Int? = nil) throws {
    let s = stride ?? kernelSize
    guard kernelSize > 0, s > 0 else {
      throw TorchError("MaxPool2d(kernel \(kernelSize), stride \(s)): sizes must be positive")
    }
    self.kernelSize = (kernelSize, kernelSize)
    self.stride = (s, s)
    super.init()
  }

  /// Maps B×C×H×W to B×C×H'×W' (or C×H×W to C×H'×W'), H' = (H − kernel)/stride + 1 rounded down,
  /// likewise W'. Throws for other ranks or inputs smaller than the kernel.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let k = kernelSize
    guard x.rank == 4 || x.rank == 3, x.size(-2) >= k.0, x.size(-1) >= k.1 else {
      throw TorchError(
        "MaxPool2d(kernel \(k.0)) expects B×C×H×W (or C×H×W) inputs with H ≥ \(k.0) and W ≥ \(k.1), got shape \(x.shape)"
      )
    }
    return try Functional.maxPool2d(x, kernel: kernelSize, stride: stride)
  }
}
