import NN
import Torch

/// Which kind of input a model reads.
public enum ModelFamily: String, Sendable {
  /// Float samples of a fixed shape (`sampleShape`): images, or any float tensor a program's own network reads.
  case vision
  /// Int64 token ids, B×T.
  case text
}

/// A network cut into components, with the classifier belonging to the last one.
public final class StagedModel: Module, @unchecked Sendable {
  /// The model's name, for messages ("vgg", "lstm", …).
  public let name: String
  /// Which kind of input the model reads.
  public let family: ModelFamily
  /// The components, in order; the first reads the inputs.
  public let components: [any Component]
  /// The classifier, on the last component's features.
  public let classifier: Sequential
  /// Per component, the width of `features` (found by a probe forward at construction).
  public private(set) var featureDims: [Int] = []
  /// Per component, the shape of one sample's output (without the batch axis).
  public private(set) var outputShapes: [[Int]] = []
  /// How many classes the classifier scores.
  public let classCount: Int
  /// The shape of one input sample (C×H×W, or [T] for text where T is a placeholder length).
  public let sampleShape: [Int]

  /// Checks that there is at least one component, then probes the model with two dummy samples of
  /// `sampleShape`, throwing with the failing component's number if they do not fit.
  public init(
    name: String, family: ModelFamily, components: [any Component], classifier: Sequential,
    classCount: Int, sampleShape: [Int]
  ) throws {
    guard !components.isEmpty else { throw TorchError("\(name): a model needs at least one component") }
    self.name = name
    self.family = family
    self.components = components
    self.classifier = classifier
    self.classCount = classCount
    self.sampleShape = sampleShape
    super.init()
    try probe()
  }

  /// Runs two dummy samples through the model in eval mode, to learn each component's output
  /// and feature sizes (the projection heads are sized from them) and to fail early, with the
  /// component's name, if the input shape does not fit.
  private func probe() throws {
    try inMode(training: false) {
      try withNoGrad {
        var x = try Activation(
          family == .vision
            ? Tensor.zeros([2] + sampleShape)
            : Tensor.ones([2, Swift.max(sampleShape.first ?? 4, 2)], dtype: .int64))
        for (k, c) in components.enumerated() {
          do {
            x = try c(x)
            outputShapes.append(Array(x.tensor.shape.dropFirst()))
            featureDims.append(try c.features(x).shape[1])
          } catch {
            throw TorchError(
              "\(name) does not fit inputs of shape \(sampleShape): component \(k + 1) of \(components.count) fails: \(error)"
            )
          }
        }
        do { _ = try classifier(components.last!.features(x)) } catch {
          throw TorchError("\(name): the classifier does not fit the last component's features: \(error)")
        }
      }
    }
  }

  /// The whole network's logits (BP's forward; evaluation for the local methods).
  public func callAsFunction(_ inputs: Tensor) throws -> Tensor {
    var x = try firstActivation(inputs)
    for c in components { x = try c(x) }
    return try logits(lastOutput: x)
  }

  /// The classifier on the last component's output: the network's head, wherever a schedule
  /// computes it.
  public func logits(lastOutput x: Activation) throws -> Tensor {
    try classifier(components[components.count - 1].features(x))
  }

  /// Wraps raw inputs as the first component's activation.
  public func firstActivation(_ inputs: Tensor) throws -> Activation {
    switch family {
    case .vision:
      guard inputs.rank == sampleShape.count + 1, Array(inputs.shape.dropFirst()) == sampleShape else {
        throw TorchError(
          "\(name) expects inputs of shape B×\(sampleShape.map(String.init).joined(separator: "×")), got \(inputs.shape)"
        )
      }
      return Activation(inputs)
    case .text:
      guard inputs.rank == 2, inputs.dtype == .int64 else {
        throw TorchError("\(name) expects int64 token ids of shape B×T, got \(inputs.dtype) \(inputs.shape)")
      }
      return Activation(inputs)
    }
  }

  /// Parameters of component k (and, for the last one, the classifier's).
  public func parameters(ofComponent k: Int) -> [Tensor] {
    components[k].trainableParameters() + (k == components.count - 1 ? classifier.trainableParameters() : [])
  }
}
