import NN
import Torch

/// The reference's vanilla ConvNet (`model/vanillaCNN.py`): eight 3×3 convs with bias and ReLU, no
/// BatchNorm, stride 2 in the 4th and 8th, then Flatten → Linear(→1500) → Sigmoid →
/// Linear(→classes).
///
/// Units: one per conv. K = 4 pairs them as the paper (C1 = convs 1–2, …); other K (1…8) split
/// the units evenly in order.
public enum ConvNet {
  /// The ConvNet for samples of `sampleShape` (C×H×W, at least 4×4) and `classes` classes, cut into `components`
  /// (1…8), its channel counts scaled by `width`.
  public static func build(sampleShape: [Int], classes: Int, components: Int = 4, width: Double = 1.0) throws
    -> StagedModel
  {
    guard sampleShape.count == 3 else {
      throw TorchError("ConvNet needs C×H×W images, got sample shape \(sampleShape)")
    }
    guard sampleShape[1] >= 4, sampleShape[2] >= 4 else {
      throw TorchError("ConvNet halves the image twice and needs at least 4×4 inputs, got \(sampleShape)")
    }
    let c = { scaled($0, width) }
    let plan: [(Int, Int, Int)] = [
      (sampleShape[0], c(32), 1), (c(32), c(32), 1), (c(32), c(32), 1), (c(32), c(32), 2),
      (c(32), c(64), 1), (c(64), c(64), 1), (c(64), c(64), 1), (c(64), c(64), 2)
    ]
    let units: [[any UnaryLayer]] = try plan.map { a, b, s in
      [try Conv2d(a, b, kernelSize: 3, stride: s, padding: 1, bias: true), ReLU()]
    }
    let builder = VisionModelBuilder(name: "convnet", units: units)
    return try builder.build(
      components: components,
      classifier: { dim in
        try Sequential {
          Flatten(); try Linear(dim, 1500); Sigmoid(); try Linear(1500, classes)
        }
      }, classCount: classes, sampleShape: sampleShape)
  }
}
