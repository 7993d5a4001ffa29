import Torch

/// What one component hands to the next: the main tensor (a feature map B×C×H×W or a sequence
/// B×T×D) plus what some model families carry along with it.
public struct Activation: @unchecked Sendable {
  public var tensor: Tensor
  /// Text models: bool B×T, true where the token is real (id ≠ 0). Computed once from the ids and
  /// passed unchanged through every component.
  public var mask: Tensor?
  /// LSTM models: the final (h, c) of the previous bi-LSTM, each 2×B×H; the next one starts there.
  public var state: (h: Tensor, c: Tensor)?
  /// Associated Learning: the label path t_{i−1} (B×label_dim) travelling beside the features.
  public var labelPath: Tensor?

  public init(_ tensor: Tensor, mask: Tensor? = nil, state: (h: Tensor, c: Tensor)? = nil, labelPath: Tensor? = nil) {
    self.tensor = tensor
    self.mask = mask
    self.state = state
    self.labelPath = labelPath
  }

  /// An activation from its `slots`; nil without the main tensor.
  public init?(slots: [Tensor?]) {
    guard slots.count == 5, let main = slots[0] else { return nil }
    self.init(
      main, mask: slots[1], state: slots[2].flatMap { h in slots[3].map { (h: h, c: $0) } }, labelPath: slots[4])
  }

  /// Every tensor it carries, in a fixed order — the main tensor, the mask, the state's h and c,
  /// the label path — nil where it carries none (what `init(slots:)` reads back).
  public var slots: [Tensor?] { [tensor, mask, state?.h, state?.c, labelPath] }

  public var batchSize: Int { tensor.shape[0] }

  /// The same values cut off from autograd: what crosses a component boundary in local learning.
  public func detached() throws -> Activation {
    Activation(
      try tensor.detached(), mask: mask,
      state: try state.map { (try $0.h.detached(), try $0.c.detached()) },
      labelPath: try labelPath?.detached())
  }

  /// The same activation on another device (a real copy when the device differs).
  public func to(_ device: Device) throws -> Activation { try mapTensors { try $0.to(device) } }

  /// `f` applied to every tensor it carries: the main tensor, the mask, the state, the label path.
  public func mapTensors(_ f: (Tensor) throws -> Tensor) rethrows -> Activation {
    Activation(
      try f(tensor), mask: try mask.map(f), state: try state.map { (try f($0.h), try f($0.c)) },
      labelPath: try labelPath.map(f))
  }
}
