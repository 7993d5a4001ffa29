import Torch

/// Layers applied in order. Children are named by index alone, as nn.Sequential's: `0.weight`.
public final class Sequential: Module, UnaryLayer, @unchecked Sendable {
  /// The layers, applied first to last.
  public let layers: [any UnaryLayer]
  /// Puts the layers directly under this module, so their keys are `0.weight`, `1.bias`, ….
  override public var stateKeys: [String: String] { ["layers": ""] }

  /// Chains `layers` in the given order.
  public init(_ layers: [any UnaryLayer]) {
    self.layers = layers
    super.init()
  }

  /// Chains the layers a `SequentialBuilder` block lists, in order; rethrows what the block throws.
  public convenience init(@SequentialBuilder _ build: () throws -> [any UnaryLayer]) rethrows {
    self.init(try build())
  }

  /// Feeds `x` through every layer in turn and returns the last output.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = x
    for layer in layers { h = try layer(h) }
    return h
  }
}

/// Result builder for `Sequential`: collects layers, arrays of layers, `if`/`else` and `for` blocks
/// into one flat list.
@resultBuilder
public enum SequentialBuilder {
  /// A single layer as a one-element list.
  public static func buildExpression(_ layer: any UnaryLayer) -> [any UnaryLayer] { [layer] }
  /// An array of layers, spliced in as it is.
  public static func buildExpression(_ layers: [any UnaryLayer]) -> [any UnaryLayer] { layers }
  /// Concatenates the statements of a block in order.
  public static func buildBlock(_ parts: [any UnaryLayer]...) -> [any UnaryLayer] { parts.flatMap { $0 } }
  /// The layers of an `if` without `else` when it ran, and none otherwise.
  public static func buildOptional(_ part: [any UnaryLayer]?) -> [any UnaryLayer] { part ?? [] }
  /// The layers of the first branch of an `if`/`else` or `switch`.
  public static func buildEither(first: [any UnaryLayer]) -> [any UnaryLayer] { first }
  /// The layers of the second branch of an `if`/`else` or `switch`.
  public static func buildEither(second: [any UnaryLayer]) -> [any UnaryLayer] { second }
  /// Concatenates the layers of every iteration of a `for` loop.
  public static func buildArray(_ parts: [[any UnaryLayer]]) -> [any UnaryLayer] { parts.flatMap { $0 } }
}
