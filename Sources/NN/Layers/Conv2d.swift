import Torch

/// 2-D convolution over B×C×H×W inputs.
public final class Conv2d: Module, UnaryLayer, @unchecked Sendable {
  /// out×in×kH×kW.
  public let weight: Tensor
  /// One value per output channel, or nil when the layer was made without bias.
  public let bias: Tensor?
  /// Channels C of the input.
  public let inChannels: Int
  /// Channels of the output (the number of filters).
  public let outChannels: Int
  /// Kernel height and width.
  public let kernelSize: (Int, Int)
  /// Vertical and horizontal stride.
  public let stride: (Int, Int)
  /// Zero padding added on each side of the height and width.
  public let padding: (Int, Int)

  /// A square `kernelSize` convolution with weights and bias drawn from U(−1/√fanIn, 1/√fanIn), PyTorch's
  /// default, fanIn = inChannels·kernelSize². Throws for non-positive sizes or negative padding.
  public init(
    _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    bias: Bool = true, dtype: DType = .float32
  ) throws {
    guard inChannels > 0, outChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
      throw TorchError(
        "Conv2d(\(inChannels), \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)): invalid sizes"
      )
    }
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = (kernelSize, kernelSize)
    self.stride = (stride, stride)
    self.padding = (padding, padding)
    let fanIn = inChannels * kernelSize * kernelSize
    weight = try Initialization.pytorchDefault(
      [outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, dtype: dtype
    ).asParameter()
    self.bias = bias ? try Initialization.pytorchDefault([outChannels], fanIn: fanIn, dtype: dtype).asParameter() : nil
    super.init()
  }

  /// Maps B×inChannels×H×W to B×outChannels×H'×W', H' = (H + 2·padding − kernel)/stride + 1 (rounded
  /// down), likewise W'. Throws for other shapes.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == inChannels else {
      throw TorchError("Conv2d(\(inChannels)→\(outChannels)) expects B×\(inChannels)×H×W inputs, got shape \(x.shape)")
    }
    return try Functional.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
  }
}
