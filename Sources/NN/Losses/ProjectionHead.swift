import Foundation
import Torch

/// The projection head types (the names of the reference's `--proj_type`; `make_projector` in `loss_fn.py`).
public enum ProjectionKind: String, Sendable, CaseIterable, CustomStringConvertible {
  /// Features are only flattened (and L2-normalised by the loss).
  case identity
  /// Linear(in → out).
  case linear
  /// Linear(in → hid) → ReLU → Linear(hid → out).
  case mlp
  /// Linear(in → hid, no bias) → BatchNorm1d(hid) → ReLU → Linear(hid → out).
  case mlpBN = "mlp-bn"

  /// Parses a long name (identity, linear, mlp, mlp-bn) or the reference's short one (i, l, m, mb),
  /// ignoring case and surrounding spaces.
  public init(parsing text: String) throws {
    let key = text.trimmingCharacters(in: .whitespaces).lowercased()
    switch key {
    case "identity", "i": self = .identity
    case "linear", "l": self = .linear
    case "mlp", "m": self = .mlp
    case "mlp-bn", "mb": self = .mlpBN
    default:
      throw TorchError(
        "unknown projection head '\(text)': expected one of identity (i), linear (l), mlp (m), mlp-bn (mb)")
    }
  }

  /// The long name, as the raw value (`mlp-bn` for `mlpBN`).
  public var description: String { rawValue }
}

/// Hidden and output widths of a projection head (the reference's defaults in `loss_fn.py`).
public struct ProjectionDimensions: Sendable, Equatable {
  /// Width of the hidden layer of the `mlp` and `mlp-bn` heads.
  public var hidden: Int
  /// Width of the output of every head but the identity.
  public var output: Int
  /// Widths `hidden` and `output`.
  public init(hidden: Int, output: Int) { self.hidden = hidden; self.output = output }

  /// Vision heads: Linear(dim, 512)–ReLU–Linear(512, 1024), `l` = Linear(dim, 1024).
  public static let vision = ProjectionDimensions(hidden: 512, output: 1024)
  /// NLP heads: hid = out = 300.
  public static let nlp = ProjectionDimensions(hidden: 300, output: 300)
}

/// A projection head g (the reference's `Vision_Projector` / `NLP_Projector`). It flattens B×…
/// inputs to B×D first, so a component can hand it its feature map directly.
public final class ProjectionHead: Module, UnaryLayer, @unchecked Sendable {
  /// Which of the head types this is.
  public let kind: ProjectionKind
  /// Width D of the flattened input features.
  public let inFeatures: Int
  /// The width of the head's output (inFeatures for the identity head).
  public let outFeatures: Int
  /// The head's layers after flattening; empty for the identity head.
  public let body: Sequential

  /// A head of `kind` over features `inFeatures` wide, with widths from `dimensions` (unused by the
  /// identity head). Throws unless the widths it uses are positive.
  public init(
    _ kind: ProjectionKind, inFeatures: Int, dimensions: ProjectionDimensions = .vision,
    dtype: DType = .float32
  ) throws {
    guard inFeatures > 0 else {
      throw TorchError("ProjectionHead(\(kind)): the input width must be positive, got \(inFeatures)")
    }
    if kind != .identity {
      guard dimensions.output > 0, dimensions.hidden > 0 else {
        throw TorchError(
          "ProjectionHead(\(kind)): hidden and output widths must be positive, got hidden \(dimensions.hidden), output \(dimensions.output)"
        )
      }
    }
    self.kind = kind
    self.inFeatures = inFeatures
    let (hid, out) = (dimensions.hidden, dimensions.output)
    switch kind {
    case .identity:
      outFeatures = inFeatures
      body = Sequential([])
    case .linear:
      outFeatures = out
      body = Sequential([try Linear(inFeatures, out, dtype: dtype)])
    case .mlp:
      outFeatures = out
      body = Sequential([try Linear(inFeatures, hid, dtype: dtype), ReLU(), try Linear(hid, out, dtype: dtype)])
    case .mlpBN:
      outFeatures = out
      // No bias before BatchNorm: its mean subtraction would cancel it.
      body = Sequential([
        try Linear(inFeatures, hid, bias: false, dtype: dtype), try BatchNorm1d(hid, dtype: dtype),
        ReLU(), try Linear(hid, out, dtype: dtype)
      ])
    }
    super.init()
  }

  /// Flattens B×… to B×inFeatures and maps it to B×outFeatures. Throws for a rank below 2 or when the
  /// flattened width is not `inFeatures`.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    guard x.rank >= 2 else {
      throw TorchError("ProjectionHead(\(kind)) expects a batch B×… of features, got shape \(x.shape)")
    }
    let flat = x.rank == 2 ? x : try x.flattened(startAxis: 1)
    guard flat.shape[1] == inFeatures else {
      throw TorchError(
        "ProjectionHead(\(kind), in \(inFeatures)) got features of shape \(x.shape), which flatten to \(flat.shape[1]) per sample"
      )
    }
    return try body(flat)
  }
}
