import Foundation

/// When a sample stops at a component's predictor (`scpl eval --adaptive RULE`), decided per
/// sample from what the predictors so far said about it. The last component's prediction (the
/// network's own) takes every sample still going.
public enum ExitRule: Equatable, Sendable, CustomStringConvertible {
  /// `confidence:P`: exit at the first predictor whose largest softmax probability exceeds P —
  /// strictly, so 0 exits every sample at the first component and 1 none before the last (a
  /// float softmax can round to exactly 1).
  case confidence(Double)
  /// `patience:N`: exit once N consecutive predictors agree on the class (1: at the first).
  case patience(Int)
  /// `agreement:C`: exit once two adjacent predictors agree on the class and their logits'
  /// cosine similarity is at least C (DecoupleFlow's rule, here per sample).
  case agreement(Double)

  /// Reads `confidence:P`, `patience:N` or `agreement:C`; anything else is an error naming the forms.
  public init(parsing text: String) throws {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let forms = "confidence:P (P in [0, 1]), patience:N (N ≥ 1) or agreement:C (C in [-1, 1])"
    guard parts.count == 2 else { throw AdaptiveError("--adaptive '\(text)' is not a rule: use \(forms)") }
    let value = parts[1].trimmingCharacters(in: .whitespaces)
    switch parts[0].lowercased() {
    case "confidence":
      guard let p = Double(value), (0...1).contains(p) else {
        throw AdaptiveError("--adaptive confidence:P takes a probability in [0, 1], got '\(value)'")
      }
      self = .confidence(p)
    case "patience":
      guard let n = Int(value), n >= 1 else {
        throw AdaptiveError("--adaptive patience:N takes a count of at least 1, got '\(value)'")
      }
      self = .patience(n)
    case "agreement":
      guard let c = Double(value), (-1...1).contains(c) else {
        throw AdaptiveError("--adaptive agreement:C takes a cosine similarity in [-1, 1], got '\(value)'")
      }
      self = .agreement(c)
    default:
      throw AdaptiveError("--adaptive: unknown rule '\(parts[0])'; use \(forms)")
    }
  }

  /// The rule's name: confidence, patience or agreement.
  public var name: String {
    switch self {
    case .confidence: return "confidence"
    case .patience: return "patience"
    case .agreement: return "agreement"
    }
  }

  /// The rule's number: P, N or C.
  public var threshold: Double {
    switch self {
    case .confidence(let p): return p
    case .patience(let n): return Double(n)
    case .agreement(let c): return c
    }
  }

  /// The same rule with another number (a patience is rounded to a whole count).
  public func with(threshold t: Double) -> ExitRule {
    switch self {
    case .confidence: return .confidence(t)
    case .patience: return .patience(Swift.max(1, Int(t.rounded())))
    case .agreement: return .agreement(t)
    }
  }

  /// The numbers `--sweep` evaluates on a network of `components` components, from the one that
  /// exits most samples earliest to the one that exits fewest.
  public func sweep(components: Int) -> [Double] {
    switch self {
    case .confidence: return [0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1]
    case .patience: return (1...Swift.max(1, components)).map(Double.init)
    case .agreement: return [-1, 0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1]
    }
  }

  /// "confidence:0.9", as `--adaptive` takes it.
  public var description: String {
    switch self {
    case .patience(let n): return "patience:\(n)"
    default: return "\(name):\(Self.number(threshold))"
    }
  }

  /// A number as short as it reads back exactly ("0.9", "1").
  static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : "\(x)" }

  /// What the predictors said so far about the rows still going (component by component).
  struct State {
    /// Each row's previous predictor's logits (agreement) and class (patience, agreement).
    var previousLogits: [[Float]]
    var previousClass: [Int]
    /// How many consecutive predictors have agreed on each row's class (patience).
    var streak: [Int]

    init(rows: Int) {
      previousLogits = Array(repeating: [], count: rows)
      previousClass = Array(repeating: -1, count: rows)
      streak = Array(repeating: 0, count: rows)
    }

    /// Only the rows at `kept` go on.
    mutating func keep(_ kept: [Int]) {
      previousLogits = kept.map { previousLogits[$0] }
      previousClass = kept.map { previousClass[$0] }
      streak = kept.map { streak[$0] }
    }
  }

  /// Which rows exit at this predictor, from its logits (one row per sample still going), and
  /// the state updated for the next one.
  func exits(_ logits: [[Float]], _ state: inout State) -> [Bool] {
    logits.indices.map { r in
      let row = logits[r]
      let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
      defer {
        state.streak[r] = predicted == state.previousClass[r] ? state.streak[r] + 1 : 1
        state.previousClass[r] = predicted
        state.previousLogits[r] = row
      }
      switch self {
      case .confidence(let p):
        return Self.largestProbability(row) > p
      case .patience(let n):
        return (predicted == state.previousClass[r] ? state.streak[r] + 1 : 1) >= n
      case .agreement(let c):
        guard predicted == state.previousClass[r] else { return false }
        return Self.cosine(row, state.previousLogits[r]) >= c
      }
    }
  }

  /// The largest softmax probability of one row of logits, computed stably in Double.
  static func largestProbability(_ logits: [Float]) -> Double {
    guard let top = logits.max() else { return 0 }
    let sum = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
    return 1 / sum
  }

  /// The cosine similarity of two rows of logits (0 when either is all zeros).
  static func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
      dot += Double(x) * Double(y)
      na += Double(x) * Double(x)
      nb += Double(y) * Double(y)
    }
    return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
  }
}

/// A rule that cannot be read, or a network that cannot exit early (no prediction per
/// component), told as a sentence.
public struct AdaptiveError: Error, CustomStringConvertible, Sendable {
  /// What is wrong.
  public let message: String
  /// An error with the given message.
  public init(_ message: String) { self.message = message }
  /// The message, unchanged.
  public var description: String { message }
}
