import Torch

/// What one component hands to the next: the main tensor (a feature map B×C×H×W or a sequence
/// B×T×D) plus what some model families carry along with it.
public struct Activation: @unchecked Sendable {
  /// The main tensor: a feature map B×C×H×W, a sequence B×T×D, or the raw inputs before the first component.
  public var tensor: Tensor
  /// Text models: bool B×T, true where the token is real (id ≠ 0). Computed once from the ids and
  /// passed unchanged through every component.
  public var mask: Tensor?
  /// LSTM models: the final (h, c) of the previous bi-LSTM, each 2×B×H; the next one starts there.
  public var state: (h: Tensor, c: Tensor)?
  /// Associated Learning: the label path t_{i−1} (B×label_dim) travelling beside the features.
  public var labelPath: Tensor?
  /// Whatever else a network sends to the next component, by name: a skip connection that
  /// crosses a boundary, an attention mask of its own. Each is B×… (batch first, so micro-batches
  /// cut it with the rest) and travels like the main tensor: detached between the components of
  /// a local method, handed to the next device (a transfer span, the streams ordered), cut into
  /// micro-batches, sent to the next rank; under BP's pipelines its gradient flows back across
  /// devices as the main tensor's does.
  public var extras: [String: Tensor]

  /// An activation of `tensor` with whatever else it carries.
  public init(
    _ tensor: Tensor, mask: Tensor? = nil, state: (h: Tensor, c: Tensor)? = nil, labelPath: Tensor? = nil,
    extras: [String: Tensor] = [:]
  ) {
    self.tensor = tensor
    self.mask = mask
    self.state = state
    self.labelPath = labelPath
    self.extras = extras
  }

  /// The extras' names in a fixed order (sorted), as messages and micro-batches list them.
  public var extraNames: [String] { extras.keys.sorted() }

  /// This activation with `tensor` as its main tensor and everything else carried on: what
  /// a component that transforms only the main tensor returns.
  public func replacing(_ tensor: Tensor) -> Activation {
    var y = self
    y.tensor = tensor
    return y
  }

  /// An activation from its `slots` and its extras' tensors in `extraNames` order; nil without
  /// the main tensor or with a count that does not match.
  public init?(slots: [Tensor?], extras: [Tensor] = [], named names: [String] = []) {
    guard slots.count == 5, let main = slots[0], extras.count == names.count else { return nil }
    self.init(
      main, mask: slots[1], state: slots[2].flatMap { h in slots[3].map { (h: h, c: $0) } }, labelPath: slots[4],
      extras: Dictionary(zip(names, extras), uniquingKeysWith: { a, _ in a }))
  }

  /// Every tensor of a fixed kind it carries, in a fixed order — the main tensor, the mask, the
  /// state's h and c, the label path — nil where it carries none (what `init(slots:)` reads back).
  public var slots: [Tensor?] { [tensor, mask, state?.h, state?.c, labelPath] }

  /// The extras' tensors in `extraNames` order.
  public var extraTensors: [Tensor] { extraNames.map { extras[$0]! } }

  /// The batch size: the main tensor's first dimension.
  public var batchSize: Int { tensor.shape[0] }

  /// The same values cut off from autograd: what crosses a component boundary in local learning.
  public func detached() throws -> Activation {
    Activation(
      try tensor.detached(), mask: mask,
      state: try state.map { (try $0.h.detached(), try $0.c.detached()) },
      labelPath: try labelPath?.detached(), extras: try extras.mapValues { try $0.detached() })
  }

  /// The same activation on another device (a real copy when the device differs).
  public func to(_ device: Device) throws -> Activation { try mapTensors { try $0.to(device) } }

  /// `f` applied to every tensor it carries: the main tensor, the mask, the state, the label path.
  public func mapTensors(_ f: (Tensor) throws -> Tensor) rethrows -> Activation {
    Activation(
      try f(tensor), mask: try mask.map(f), state: try state.map { (try f($0.h), try f($0.c)) },
      labelPath: try labelPath.map(f), extras: try extras.mapValues(f))
  }
}
