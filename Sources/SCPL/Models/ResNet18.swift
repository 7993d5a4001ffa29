import NN
import Torch

/// The reference's ResNet-18 variant (`resnet18_SCPL_m` in `model/vision_multi.py`): a 3×3
/// conv–BN–LeakyReLU stem without max-pool, eight BasicBlocks in four stages (64, 128, 256, 512;
/// stride 2 at the start of stages 2–4), the global average pool inside the last component (so its
/// local loss sees 512-d vectors, as `vision_multi.py`), and a linear classifier.
///
/// Units: [stem + block1] [block2] … [block8 + pool]. K = 4 uses the paper's stages
/// (C1 = stem + blocks 1–2, C2 = blocks 3–4, …); other K (1…8) split the units evenly in order.
public enum ResNet18 {
  /// The kernel of the projection shortcut's convolution: 3×3 (the default) or 1×1.
  public enum Shortcut: String, Sendable, CaseIterable { case conv3x3 = "3x3", conv1x1 = "1x1" }

  /// The ResNet-18 for samples of `sampleShape` (C×H×W, at least 8×8) and `classes` classes, cut into
  /// `components` (1…8), its channel counts scaled by `width`, with `shortcut`'s projection kernel.
  public static func build(
    sampleShape: [Int], classes: Int, components: Int = 4, width: Double = 1.0,
    shortcut: Shortcut = .conv3x3
  ) throws -> StagedModel {
    guard sampleShape.count == 3 else {
      throw TorchError("ResNet-18 needs C×H×W images, got sample shape \(sampleShape)")
    }
    guard sampleShape[1] >= 8, sampleShape[2] >= 8 else {
      throw TorchError("ResNet-18 halves the image three times and needs at least 8×8 inputs, got \(sampleShape)")
    }
    let c = { scaled($0, width) }
    let k = shortcut == .conv3x3 ? 3 : 1
    let stem = try convBNAct(sampleShape[0], c(64), activation: LeakyReLU())
    let blocks: [any UnaryLayer] = [
      try BasicBlock(c(64), c(64), stride: 1, shortcutKernel: k),
      try BasicBlock(c(64), c(64), stride: 1, shortcutKernel: k),
      try BasicBlock(c(64), c(128), stride: 2, shortcutKernel: k),
      try BasicBlock(c(128), c(128), stride: 1, shortcutKernel: k),
      try BasicBlock(c(128), c(256), stride: 2, shortcutKernel: k),
      try BasicBlock(c(256), c(256), stride: 1, shortcutKernel: k),
      try BasicBlock(c(256), c(512), stride: 2, shortcutKernel: k),
      try BasicBlock(c(512), c(512), stride: 1, shortcutKernel: k)
    ]
    var units: [[any UnaryLayer]] = blocks.map { [$0] }
    units[0] = stem + units[0]
    units[7] += [try AdaptiveAvgPool2d(1)]
    let builder = VisionModelBuilder(name: "resnet18", units: units)
    return try builder.build(
      components: components,
      classifier: { dim in
        try Sequential {
          Flatten(); try Linear(dim, classes)
        }
      }, classCount: classes, sampleShape: sampleShape)
  }
}
