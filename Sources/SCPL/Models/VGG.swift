import NN
import Torch

/// The reference's "VGG8" (`model/VGG.py`, `model/vision_multi.py`): six conv–BN–ReLU layers and
/// four max-pools, then Flatten → Linear(→2500) → Sigmoid → Linear(→classes).
///
/// Units (one per conv, a max-pool attached where the paper has one):
/// [128] [256 MP] [256] [512 MP] [512 MP] [512 MP]. K = 4 uses the paper's components
/// C1 = units 1–2, C2 = 3–4, C3 = 5, C4 = 6; other K (1…6) split the units evenly in order.
public enum VGG {
  /// The VGG for samples of `sampleShape` (C×H×W, at least 16×16) and `classes` classes, cut into `components`
  /// (1…6), its channel counts scaled by `width`.
  public static func build(sampleShape: [Int], classes: Int, components: Int = 4, width: Double = 1.0) throws
    -> StagedModel
  {
    guard sampleShape.count == 3 else { throw TorchError("VGG needs C×H×W images, got sample shape \(sampleShape)") }
    guard sampleShape[1] >= 16, sampleShape[2] >= 16 else {
      throw TorchError("VGG halves the image four times and needs at least 16×16 inputs, got \(sampleShape)")
    }
    let c = { scaled($0, width) }
    let pool = { () throws -> any UnaryLayer in try MaxPool2d(2) }
    let units: [[any UnaryLayer]] = [
      try convBNAct(sampleShape[0], c(128), activation: ReLU()),
      try convBNAct(c(128), c(256), activation: ReLU()) + [pool()],
      try convBNAct(c(256), c(256), activation: ReLU()),
      try convBNAct(c(256), c(512), activation: ReLU()) + [pool()],
      try convBNAct(c(512), c(512), activation: ReLU()) + [pool()],
      try convBNAct(c(512), c(512), activation: ReLU()) + [pool()]
    ]
    let builder = VisionModelBuilder(name: "vgg", units: units)
    return try builder.build(
      components: components,
      classifier: { dim in
        try Sequential {
          Flatten(); try Linear(dim, 2500); Sigmoid(); try Linear(2500, classes)
        }
      }, classCount: classes, sampleShape: sampleShape)
  }
}
