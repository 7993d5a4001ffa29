import NN
import Torch

/// Associated Learning (Kao & Chen 2021; Wu et al. 2022). Each component i has its forward
/// encoder f_i (the component), a label encoder g_i, a bridge b_i and a decoder h_i:
///
///   s_i = f_i(s_{i−1}),  t_i = g_i(t_{i−1}),  t_0 = one-hot(y)
///   bridge loss       ‖b_i(s_i) − t_i‖²   (t_i detached: trains f_i and b_i)
///   auto-encoder loss ‖h_i(t_i) − t_{i−1}‖²   (trains g_i and h_i)
///
/// with every input detached, so each component learns locally. Prediction runs f_1…f_L, the
/// last bridge, then the decoders h_L…h_1 back to class scores; a "shortcut" prediction at depth
/// d (b_d then h_d…h_1) gives each component's accuracy.
///
/// Sizes: vision as the reference's `ALComponent` (`utils/utils.py`): label width 500, g = Linear →
/// Sigmoid, b = Linear(→2500) → Sigmoid → Linear(→500) → Sigmoid, h = Linear → Sigmoid (the vanilla
/// ConvNet uses 300 and 1500). Text, after Wu et al. 2022's recurrent AL: label width 128 and a
/// bridge Linear(→256) → Sigmoid → Linear(→128) → Sigmoid. The model's own classifier is unused.
public final class AssociatedLearningMethod: LocalMethod {
  /// Always `.al`.
  public let kind = MethodKind.al
  /// The staged model whose components are the forward encoders f_i.
  public let model: StagedModel
  /// The label-side modules of each component, in component order.
  public let blocks: [ALBlock]
  /// One stage per component: its forward encoder and label block, with their own optimizer.
  public private(set) var stages: [any LocalStage] = []
  /// The model and every label block ("al1", "al2", …), for modes and checkpoints.
  public var modules: [(String, Module)] {
    [("model", model)] + blocks.enumerated().map { ("al\($0.offset + 1)", $0.element as Module) }
  }

  /// The label-side modules of one component.
  public final class ALBlock: Module, @unchecked Sendable {
    /// The label encoder g: the previous label code to this component's.
    public let encoder: Sequential  // g
    /// The bridge b: the component's features to its label code.
    public let bridge: Sequential  // b
    /// The decoder h: this component's label code back to the previous one.
    public let decoder: Sequential  // h

    init(featureDim: Int, labelIn: Int, labelWidth: Int, bridgeHidden: Int) throws {
      encoder = try Sequential {
        try Linear(labelIn, labelWidth); Sigmoid()
      }
      bridge = try Sequential {
        try Linear(featureDim, bridgeHidden); Sigmoid(); try Linear(bridgeHidden, labelWidth); Sigmoid()
      }
      decoder = try Sequential {
        try Linear(labelWidth, labelIn); Sigmoid()
      }
      super.init()
    }
  }

  /// The widths of the label-space blocks: the label code's width and the bridge's hidden width.
  public struct Sizes: Sendable, Equatable {
    /// The width of every label code t_i.
    public var labelWidth: Int
    /// The bridge's hidden width.
    public var bridgeHidden: Int
    /// Sizes with the given label-code and bridge-hidden widths.
    public init(labelWidth: Int, bridgeHidden: Int) {
      self.labelWidth = labelWidth
      self.bridgeHidden = bridgeHidden
    }
  }

  /// Builds each component's label block (sizes from `options.associatedLearning`, else the family's) and
  /// its stage, which trains the component and its block with one optimizer on the bridge and auto-encoder losses.
  public init(model: StagedModel, options: MethodOptions) throws {
    self.model = model
    let sizes =
      options.associatedLearning
      ?? (model.family == .text
        ? Sizes(labelWidth: 128, bridgeHidden: 256) : Sizes(labelWidth: 500, bridgeHidden: 2500))
    let (width, hidden) = (sizes.labelWidth, sizes.bridgeHidden)
    blocks = try model.featureDims.enumerated().map { i, dim in
      try ALBlock(featureDim: dim, labelIn: i == 0 ? model.classCount : width, labelWidth: width, bridgeHidden: hidden)
    }
    stages = try model.components.indices.map { k in
      let (component, block) = (model.components[k], blocks[k])
      return try ComponentStage(
        index: k, component: component, with: [block],
        parameters: component.trainableParameters() + block.trainableParameters(), learningRate: options.learningRate,
        optimizer: options.optimizer, averaging: options.gradientAveraging,
        forward: { input in
          guard let t = input.labelPath else {
            throw TorchError("Associated Learning: component \(k + 1) received no label path")
          }
          var y = try component(input)
          y.labelPath = try block.encoder(t)
          return y
        }
      ) { input, output, _ in
        guard let previous = input.labelPath, let t = output.labelPath else {
          throw TorchError("Associated Learning: component \(k + 1) lost its label path")
        }
        let bridge = try Functional.mseLoss(block.bridge(component.features(output)), t.detached())
        let autoencoder = try Functional.mseLoss(block.decoder(t), previous.detached())
        return try bridge + autoencoder
      }
    }
  }

  /// Block k's decoder: the shortcut predictions of components k, k+1, … walk back through it.
  public func readByLaterPredictions(component k: Int) -> [Module] { [blocks[k].decoder] }

  /// The model's first activation, with the labels one-hot encoded as the label path t_0.
  public func firstActivation(inputs: Tensor, labels: Tensor) throws -> Activation {
    var x = try model.firstActivation(inputs)
    x.labelPath = try labels.oneHot(classes: model.classCount).to(.float32).to(inputs.device)
    return x
  }

  /// The component, then the shortcut prediction at its depth d: b_d, then the decoders
  /// h_d … h_1. Block i lives with component i, so under a pipeline the decoder chain walks back
  /// over earlier devices: the label-space tensor is handed to each block's device before that
  /// block's decoder (nothing moves on one device) and computed there from this component's
  /// worker. The deepest shortcut is the final prediction.
  public func predict(component d: Int, _ x: PartialPrediction, via handOff: ComponentHandOff) throws
    -> PartialPrediction
  {
    var y = x
    let c = model.components[d]
    y.activation = try c(x.activation)
    var t = try blocks[d].bridge(c.features(y.activation))
    for i in stride(from: d, through: 0, by: -1) { t = try blocks[i].decoder(handOff(t, toComponent: i)) }
    y.heads.append(t)
    if d == model.components.count - 1 { y.final = t }
    return y
  }
}
