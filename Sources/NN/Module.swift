import Foundation
import Torch

/// A tensor a module keeps but does not learn (BatchNorm's running statistics). It is saved in the
/// state dict but never handed to an optimizer.
public final class Buffer: @unchecked Sendable {
  /// The stored tensor; loading a state dict copies into it in place.
  public let value: Tensor
  /// Wraps `value` as a buffer.
  public init(_ value: Tensor) { self.value = value }
}

/// The base of every layer and model, in the style of mlx-swift: a plain class whose stored
/// properties *are* its structure. Walking them by reflection finds
///  - `Tensor` properties: parameters (trainable when they require grad);
///  - `Buffer` properties: buffers;
///  - `Module` properties and arrays of modules: children, named by property (and index);
/// optionals of these count when set. Nothing is registered by hand, so a parameter can't be
/// forgotten. Names are dotted paths in PyTorch's convention, so a state dict loads into the same
/// network written in PyTorch: a property's name in snake case (`runningMean` → `running_mean`),
/// unless `stateKeys` gives it another key; arrays by index (`components.0.conv1.weight`).
///
/// The keys are part of the checkpoint format: renaming a property renames its key, which
/// ModuleTests pins.
///
/// Declare structure with `let` so the objects optimizers hold stay the ones the module uses;
/// loading a state dict copies values into them in place.
open class Module: @unchecked Sendable {
  /// Whether this module is in training mode; set for a whole tree with `train(_:)` or `eval()`.
  public private(set) var isTraining = true

  /// Creates a module in training mode.
  public init() {}

  // MARK: reflection

  /// Direct children with their names, in declaration order (superclass properties first).
  public func namedChildren() -> [(String, Module)] {
    var out: [(String, Module)] = []
    forEachProperty { name, value in
      if let m = value as? Module { out.append((name, m)) }
    }
    return out
  }

  /// This module's own parameters (not its children's).
  public func ownParameters() -> [(String, Tensor)] {
    var out: [(String, Tensor)] = []
    forEachProperty { name, value in
      if let t = value as? Tensor { out.append((name, t)) }
    }
    return out
  }

  /// This module's own buffers (not its children's), with their state-dict names.
  public func ownBuffers() -> [(String, Buffer)] {
    var out: [(String, Buffer)] = []
    forEachProperty { name, value in
      if let b = value as? Buffer { out.append((name, b)) }
    }
    return out
  }

  /// State-dict keys that differ from the snake-case property name, by property name. An empty
  /// key puts an array's elements directly under this module (`0.weight`, as nn.Sequential).
  open var stateKeys: [String: String] { [:] }

  /// PyTorch's spelling of a Swift property name: `runningMean` → `running_mean`,
  /// `weightIHReverse` → `weight_ih_reverse`, `norm1` → `norm1`.
  public static func snakeCase(_ name: String) -> String {
    let chars = Array(name)
    var out = ""
    for (i, c) in chars.enumerated() {
      if c.isUppercase && i > 0 {
        let previous = chars[i - 1]
        let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
        if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out.append("_") }
      }
      out.append(contentsOf: c.lowercased())
    }
    return out
  }

  /// Calls `body` for every stored property that holds a Tensor, Buffer or Module, under its
  /// state-dict key, looking through optionals and collections (indexed names).
  private func forEachProperty(_ body: (String, Any) -> Void) {
    var mirrors: [Mirror] = []
    var m: Mirror? = Mirror(reflecting: self)
    while let current = m { mirrors.append(current); m = current.superclassMirror }
    let keys = stateKeys
    for mirror in mirrors.reversed() {
      for child in mirror.children {
        guard let label = child.label else { continue }
        visit(keys[label] ?? Self.snakeCase(label), child.value, body)
      }
    }
  }

  private func visit(_ name: String, _ value: Any, _ body: (String, Any) -> Void) {
    switch value {
    case is Tensor, is Buffer, is Module:
      body(name, value)
    default:
      let mirror = Mirror(reflecting: value)
      switch mirror.displayStyle {
      case .optional:
        if let wrapped = mirror.children.first { visit(name, wrapped.value, body) }
      case .collection:
        for (i, element) in mirror.children.enumerated() {
          visit(name.isEmpty ? "\(i)" : "\(name).\(i)", element.value, body)
        }
      default:
        break
      }
    }
  }

  /// Every module in the tree (self first) with its dotted path ("" for self).
  public func namedModules(prefix: String = "") -> [(String, Module)] {
    var out = [(prefix, self)]
    for (name, child) in namedChildren() {
      out += child.namedModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }
    return out
  }

  /// Every parameter in the tree with its dotted name. A tensor shared by two modules appears once.
  public func namedParameters() -> [(String, Tensor)] {
    var seen = Set<ObjectIdentifier>()
    var out: [(String, Tensor)] = []
    for (path, module) in namedModules() {
      for (name, t) in module.ownParameters() where seen.insert(ObjectIdentifier(t)).inserted {
        out.append((path.isEmpty ? name : "\(path).\(name)", t))
      }
    }
    return out
  }

  /// Every parameter in the tree, trainable or frozen, in the order of `namedParameters()`.
  public func parameters() -> [Tensor] { namedParameters().map(\.1) }

  /// The parameters an optimizer should update (those that require grad).
  public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

  /// Every buffer in the tree with its dotted name, in tree order.
  public func namedBuffers() -> [(String, Buffer)] {
    var out: [(String, Buffer)] = []
    for (path, module) in namedModules() {
      for (name, b) in module.ownBuffers() { out.append((path.isEmpty ? name : "\(path).\(name)", b)) }
    }
    return out
  }

  /// Number of scalar parameters (trainable or frozen).
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }
  /// Number of scalar parameters that require grad.
  public var trainableParameterCount: Int { trainableParameters().reduce(0) { $0 + $1.count } }

  // MARK: modes

  /// Switches training mode (dropout active, BatchNorm on batch statistics) for the whole tree.
  public func train(_ on: Bool = true) {
    for (_, m) in namedModules() { m.isTraining = on }
  }

  /// Switches the whole tree to evaluation mode; the same as `train(false)`.
  public func eval() { train(false) }

  /// Runs `body` with the whole tree in `training` mode, then puts every module's own mode back
  /// (probes and evaluation must leave a model as they found it).
  public func inMode<T>(training: Bool, _ body: () throws -> T) rethrows -> T {
    try [self].inMode(training: training, body)
  }

  /// Drops the gradients of every parameter.
  public func zeroGrad() throws {
    for p in parameters() { try p.zeroGrad() }
  }

  /// Moves every parameter and buffer to `device`, keeping their identities.
  public func move(to device: Device) throws {
    for p in parameters() where p.device != device { try p.setData(p.to(device)) }
    for (_, b) in namedBuffers() where b.value.device != device { try b.value.setData(b.value.to(device)) }
  }

  // MARK: state dict

  /// Parameters and buffers by dotted name, in tree order.
  public func stateDict() -> [(String, Tensor)] {
    namedParameters() + namedBuffers().map { ($0.0, $0.1.value) }
  }

  /// Copies values into the module's tensors in place. With `strict`, a missing or unexpected name
  /// or a shape mismatch is an error, reported before anything is changed.
  public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
    let mine = stateDict()
    var problems: [String] = []
    let names = Set(mine.map(\.0))
    if strict {
      let missing = mine.map(\.0).filter { state[$0] == nil }
      let unexpected = state.keys.filter { !names.contains($0) }.sorted()
      if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
      if !unexpected.isEmpty { problems.append("unexpected \(unexpected.joined(separator: ", "))") }
    }
    for (name, t) in mine {
      if let s = state[name], s.shape != t.shape {
        problems.append("\(name) has shape \(s.shape) in the state dict but \(t.shape) in the model")
      }
    }
    guard problems.isEmpty else {
      throw TorchError("cannot load state dict: \(problems.joined(separator: "; "))")
    }
    try withNoGrad {
      for (name, t) in mine {
        if let s = state[name] { try t.copy_(s.to(t.dtype).to(t.device)) }
      }
    }
  }

  /// Writes `stateDict()` to a safetensors file at `url`, with `metadata` as its string metadata.
  public func save(to url: URL, metadata: [String: String] = [:]) throws {
    try SafeTensors.save(stateDict(), to: url, metadata: metadata)
  }

  /// Reads a safetensors file at `url` and loads its tensors with `loadStateDict(_:strict:)`.
  public func load(from url: URL, strict: Bool = true) throws {
    let file = try SafeTensors.load(from: url)
    try loadStateDict(
      Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }), strict: strict)
  }
}

/// A module that maps one tensor to one tensor (most layers).
public protocol UnaryLayer: Module {
  /// Applies the layer to `x`.
  func callAsFunction(_ x: Tensor) throws -> Tensor
}

/// The mode of every module in some trees, recorded to be put back by `restore()`.
public struct TrainingModes {
  fileprivate let modes: [(Module, Bool)]

  /// Sets each recorded module back to its recorded mode (each one alone, not its subtree).
  public func restore() {
    for (m, on) in modes { m.setOwnMode(on) }
  }
}

extension Module {
  fileprivate func setOwnMode(_ on: Bool) { isTraining = on }
}

extension Sequence where Element == Module {
  /// Records the current mode of every module in these trees, for `TrainingModes.restore()`.
  public func trainingModes() -> TrainingModes {
    TrainingModes(modes: flatMap { $0.namedModules().map { ($0.1, $0.1.isTraining) } })
  }

  /// Runs `body` with every tree in `training` mode, then puts every module's own mode back.
  public func inMode<T>(training: Bool, _ body: () throws -> T) rethrows -> T {
    let modes = trainingModes()
    for m in self { m.train(training) }
    defer { modes.restore() }
    return try body()
  }
}
