import Torch

/// 2-D convolution over B×C×H×W inputs.
public final class Conv2d: Module, UnaryLayer, @unchecked Sendable {
  public let weight: Tensor
  public let bias: Tensor?
  public let inChannels: Int
  public let outChannels: Int
  public let kernelSize: (Int, Int)
  public let stride: (Int, Int)
  public let padding: (Int, Int)

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

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4, x.shape[1] == inChannels else {
      throw TorchError("Conv2d(\(inChannels)→\(outChannels)) expects B×\(inChannels)×H×W inputs, got shape \(x.shape)")
    }
    return try Functional.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
  }
}
