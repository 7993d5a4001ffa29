import Foundation
import Torch

/// An optimizer over a fixed list of parameters (PyTorch's single parameter group).
///
/// Updates happen in place under `withNoGrad`, so every module holding a parameter sees them.
/// Parameters whose gradient is absent at a step are skipped, as in PyTorch.
///
/// State dicts name tensors by the parameter's position in the list:
/// `state.<index>.<key>` (e.g. `state.3.exp_avg`), plus `param_groups.0.lr`; they save through
/// SafeTensors, and loading one replaces the whole state.
public protocol Optimizer: AnyObject {
  /// The parameters updated, in the order that indexes the state dict.
  var parameters: [Tensor] { get }
  /// The learning rate the next `step` uses; a schedule sets it with `apply(_:epoch:step:)`.
  var learningRate: Double { get set }
  /// Applies one update from the parameters' current gradients.
  func step() throws
  /// Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
  func zeroGrad() throws
  /// The optimizer's state. The tensors are the live buffers; save or copy them before stepping on.
  func stateDict() throws -> [(String, Tensor)]
  /// Replaces the state with copies of `state`'s tensors. Everything is checked before anything
  /// changes: unknown names, indices past the parameter list, incomplete entries, wrong shapes.
  func loadStateDict(_ state: [String: Tensor]) throws
  /// Whether `step` refuses an update whose gradients are not all finite, and how many it refused.
  var nonFinite: NonFiniteUpdates { get }
}

/// The `--on-nan skip-batch` policy of one optimizer: with `skip` on, a step whose gradients hold
/// a NaN or an infinity applies nothing (parameters, moments and step counts stay as they were),
/// drops the gradients and is counted in `skipped`. Off (the default), `step` checks nothing and
/// costs nothing more. Read `skipped` between epochs; the optimizer's worker writes it.
///
/// A batch also changes buffers in its forward (BatchNorm's running statistics). `protect` names
/// the buffers the optimizer's modules keep: a refused step puts them back as they were after the
/// last accepted one, so a NaN batch leaves no trace there either.
public final class NonFiniteUpdates: @unchecked Sendable {
  /// Whether `step` refuses updates whose gradients are not all finite; off by default.
  public var skip = false
  /// How many steps have been refused so far.
  public private(set) var skipped = 0
  private var buffers: [Tensor] = []
  private var lastGood: [Tensor] = []

  /// A policy with `skip` off, nothing refused and no buffers protected.
  public init() {}

  /// Keeps a copy of `buffers` (their values now) to restore on a refused step.
  public func protect(_ buffers: [Tensor]) throws {
    self.buffers = buffers
    lastGood = try buffers.map { try $0.clone() }
  }

  /// True (and the gradients dropped, the protected buffers restored, the step counted) when
  /// `skip` is on and some gradient of `parameters` is not finite: the caller then applies nothing.
  func refuses(_ parameters: [Tensor]) throws -> Bool {
    guard skip else { return false }
    // A NaN or an infinity anywhere makes a gradient's sum non-finite.
    let finite = try parameters.allSatisfy { p in try p.grad.map { try $0.sum().item().isFinite } ?? true }
    try withNoGrad {
      for (live, saved) in zip(buffers, lastGood) { try finite ? saved.copy_(live) : live.copy_(saved) }
    }
    if finite { return false }
    for p in parameters { try p.zeroGrad() }
    skipped += 1
    return true
  }
}

extension Optimizer {
  /// Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
  public func zeroGrad() throws {
    for p in parameters { try p.zeroGrad() }
  }

  /// Writes `stateDict()` to a safetensors file at `url`, with `metadata` as its string metadata.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try SafeTensors.save(stateDict(), to: url, metadata: metadata)
  }

  /// Reads a safetensors file at `url` and loads its tensors with `loadStateDict(_:)`.
  public func load(from url: URL) throws {
    let file = try SafeTensors.load(from: url)
    try loadStateDict(Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
  }
}

/// Checks and layout of optimizer state dicts shared by the optimizers.
enum OptimizerState {
  static let learningRateKey = "param_groups.0.lr"

  /// Rejects parameter lists an optimizer cannot serve.
  static func checkParameters(_ parameters: [Tensor], _ optimizer: String) throws {
    guard !parameters.isEmpty else { throw TorchError("\(optimizer) got an empty parameter list") }
    var seen = Set<ObjectIdentifier>()
    for (i, p) in parameters.enumerated() {
      guard p.dtype.isFloatingPoint else {
        throw TorchError("\(optimizer): parameter \(i) is \(p.dtype); only floating-point tensors can be optimized")
      }
      // A parameter listed twice would be updated twice per step.
      guard seen.insert(ObjectIdentifier(p)).inserted else {
        throw TorchError("\(optimizer): parameter \(i) appears more than once in the parameter list")
      }
    }
  }

  static func learningRateEntry(_ lr: Double) throws -> (String, Tensor) {
    (learningRateKey, try Tensor.scalar(lr, dtype: .float64))
  }

  /// Splits `state.<index>.<key>` entries by parameter index, checking that every name is known,
  /// every index is in range and every present index has exactly `keys`.
  static func parse(
    _ state: [String: Tensor], parameterCount: Int, keys: Set<String>,
    optimizer: String
  ) throws -> (perParameter: [Int: [String: Tensor]], learningRate: Double?) {
    var perParameter: [Int: [String: Tensor]] = [:]
    var learningRate: Double?
    var problems: [String] = []
    for (name, tensor) in state.sorted(by: { $0.key < $1.key }) {
      if name == learningRateKey {
        guard tensor.count == 1 else {
          problems.append("\(name) must hold one value, has shape \(tensor.shape)"); continue
        }
        learningRate = try tensor.to(.float64).item()
        continue
      }
      let parts = name.split(separator: ".", omittingEmptySubsequences: false)
      guard parts.count == 3, parts[0] == "state", let index = Int(parts[1]), keys.contains(String(parts[2])) else {
        problems.append(
          "unexpected entry \(name) (expected state.<index>.{\(keys.sorted().joined(separator: ","))} or \(learningRateKey))"
        )
        continue
      }
      guard (0..<parameterCount).contains(index) else {
        problems.append("\(name) refers to parameter \(index), but there are \(parameterCount) parameters")
        continue
      }
      perParameter[index, default: [:]][String(parts[2])] = tensor
    }
    for (index, entry) in perParameter.sorted(by: { $0.key < $1.key }) {
      let missing = keys.subtracting(entry.keys).sorted()
      if !missing.isEmpty {
        problems.append("state.\(index) lacks \(missing.joined(separator: ", "))")
      }
    }
    guard problems.isEmpty else {
      throw TorchError("cannot load \(optimizer) state dict: \(problems.joined(separator: "; "))")
    }
    return (perParameter, learningRate)
  }

  /// A private copy of a saved buffer, checked against its parameter and placed like it.
  static func buffer(_ saved: Tensor, like p: Tensor, name: String, optimizer: String) throws -> Tensor {
    guard saved.shape == p.shape else {
      throw TorchError(
        "cannot load \(optimizer) state dict: \(name) has shape \(saved.shape) but its parameter has shape \(p.shape)")
    }
    // clone(): `to` returns the same tensor when nothing changes, and a buffer shared with
    // another optimizer would be updated by both.
    return try withNoGrad { try saved.to(p.dtype).to(p.device).clone() }
  }

  /// The state of an optimizer whose only per-parameter state is one buffer (SGD's momentum,
  /// LARS's μ): the learning rate and `state.<i>.<key>` for each parameter that has one.
  static func bufferEntries(_ buffers: [Tensor?], key: String, learningRate: Double) throws -> [(String, Tensor)] {
    [try learningRateEntry(learningRate)]
      + buffers.enumerated().compactMap { i, buffer in buffer.map { ("state.\(i).\(key)", $0) } }
  }

  /// Reads `bufferEntries`' state back: a buffer per parameter (nil where none was saved), each
  /// checked against its parameter and copied, and the learning rate if saved.
  static func loadBuffers(_ state: [String: Tensor], like parameters: [Tensor], key: String, optimizer: String)
    throws -> (buffers: [Tensor?], learningRate: Double?)
  {
    let parsed = try parse(state, parameterCount: parameters.count, keys: [key], optimizer: optimizer)
    var buffers = [Tensor?](repeating: nil, count: parameters.count)
    for (i, entry) in parsed.perParameter {
      buffers[i] = try buffer(entry[key]!, like: parameters[i], name: "state.\(i).\(key)", optimizer: optimizer)
    }
    return (buffers, parsed.learningRate)
  }

  /// A saved step count, which must be a non-negative integer.
  static func stepCount(_ saved: Tensor, name: String, optimizer: String) throws -> Int {
    guard saved.count == 1 else {
      throw TorchError("cannot load \(optimizer) state dict: \(name) must hold one value, has shape \(saved.shape)")
    }
    let value = try saved.to(.float64).item()
    guard value >= 0, value == value.rounded(), value < 1e15 else {
      throw TorchError("cannot load \(optimizer) state dict: \(name) = \(value) is not a step count")
    }
    return Int(value)
  }
}

extension Optimizer {
  /// One optimisation step on `loss`: clears the gradients, back-propagates, updates the
  /// parameters; returns the loss value. Every learning method's step is this.
  @discardableResult
  public func minimize(_ loss: Tensor) throws -> Double {
    try zeroGrad()
    try loss.backward()
    try step()
    return try loss.item()
  }
}
