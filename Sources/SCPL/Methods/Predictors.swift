import NN
import Torch

/// The classifier each component carries beside its local objective (`--predictors`; DASCPL's
/// `pred_type` i|l|m): it reads the component's features and predicts the class, so every
/// component is a model of its own, and inference can stop at any of them
/// (`AdaptiveInference`).
public enum PredictorKind: String, Sendable, CaseIterable {
  /// One linear map from the features to the classes (a linear probe trained with the network).
  case identity
  /// Two linear maps through `hidden` units, nothing between them (DASCPL's linear predictor).
  case linear
  /// Two linear maps with a ReLU between them.
  case mlp

  /// A predictor over `width`-wide features for `classes` classes, `hidden` units wide inside.
  public func make(width: Int, hidden: Int, classes: Int) throws -> Sequential {
    switch self {
    case .identity: return try Sequential { try Linear(width, classes) }
    case .linear:
      return try Sequential {
        try Linear(width, hidden); try Linear(hidden, classes)
      }
    case .mlp:
      return try Sequential {
        try Linear(width, hidden); ReLU(); try Linear(hidden, classes)
      }
    }
  }
}

extension Tensor {
  /// The same values, whose gradient reaches this tensor's graph scaled by `weight`: 0 cuts the
  /// graph (`detached()`), 1 leaves it as it is. What a predictor's cross-entropy sends back into
  /// its component (`--predictor-weight`): the predictor itself learns from the full gradient.
  public func scalingGradient(by weight: Double) throws -> Tensor {
    if weight == 1 { return self }
    let cut = try detached()
    if weight == 0 { return cut }
    // cut + w·(x − cut): x − cut is exactly 0, so the value is x's bit for bit; its gradient is w.
    return try cut + (self - cut) * weight
  }
}
