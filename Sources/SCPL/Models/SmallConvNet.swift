import NN
import Torch

/// A small ConvNet for 1×28×28 images (the foundation demo): two conv–ReLU–max-pool stages and a
/// two-layer classifier. About 420 k parameters; one Fashion-MNIST epoch takes well under a
/// minute on two cores.
public final class SmallConvNet: Module, UnaryLayer, @unchecked Sendable {
  public let features: Sequential
  public let classifier: Sequential

  public init(inputShape: [Int] = [1, 28, 28], classes: Int = 10) throws {
    guard inputShape.count == 3, inputShape[1] % 4 == 0, inputShape[2] % 4 == 0 else {
      throw TorchError("SmallConvNet needs C×H×W inputs with H and W divisible by 4, got \(inputShape)")
    }
    features = try Sequential {
      try Conv2d(inputShape[0], 32, kernelSize: 3, padding: 1); ReLU(); try MaxPool2d(2)
      try Conv2d(32, 64, kernelSize: 3, padding: 1); ReLU(); try MaxPool2d(2)
      Flatten()
    }
    classifier = try Sequential {
      try Linear(64 * (inputShape[1] / 4) * (inputShape[2] / 4), 128); ReLU()
      try Linear(128, classes)
    }
    super.init()
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor { try classifier(features(x)) }
}
