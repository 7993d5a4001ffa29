import Torch

/// Layers applied in order. Children are named by index alone, as nn.Sequential's: `0.weight`.
public final class Sequential: Module, UnaryLayer, @unchecked Sendable {
  public let layers: [any UnaryLayer]
  override public var stateKeys: [String: String] { ["layers": ""] }

  public init(_ layers: [any UnaryLayer]) {
    self.layers = layers
    super.init()
  }

  public convenience init(@SequentialBuilder _ build: () throws -> [any UnaryLayer]) rethrows {
    self.init(try build())
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    var h = x
    for layer in layers { h = try layer(h) }
    return h
  }
}

@resultBuilder
public enum SequentialBuilder {
  public static func buildExpression(_ layer: any UnaryLayer) -> [any UnaryLayer] { [layer] }
  public static func buildExpression(_ layers: [any UnaryLayer]) -> [any UnaryLayer] { layers }
  public static func buildBlock(_ parts: [any UnaryLayer]...) -> [any UnaryLayer] { parts.flatMap { $0 } }
  public static func buildOptional(_ part: [any UnaryLayer]?) -> [any UnaryLayer] { part ?? [] }
  public static func buildEither(first: [any UnaryLayer]) -> [any UnaryLayer] { first }
  public static func buildEither(second: [any UnaryLayer]) -> [any UnaryLayer] { second }
  public static func buildArray(_ parts: [[any UnaryLayer]]) -> [any UnaryLayer] { parts.flatMap { $0 } }
}
