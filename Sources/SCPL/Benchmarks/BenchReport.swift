import Foundation

/// A benchmark's results: rows of named values, saved as JSON (an array of objects) and as a
/// Markdown table, so every figure quoted in the docs comes from a file a command wrote.
public struct BenchReport {
  public enum Value: Encodable, CustomStringConvertible {
    case text(String)
    case number(Double)
    case integer(Int)
    case numbers([Double])
    /// No value: JSON null, "–" in Markdown.
    case null

    public func encode(to encoder: Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .text(let s): try c.encode(s)
      case .number(let d): if d.isFinite { try c.encode(d) } else { try c.encodeNil() }  // no number is not 0
      case .integer(let i): try c.encode(i)
      case .numbers(let a): try c.encode(a)
      case .null: try c.encodeNil()
      }
    }

    public var description: String {
      switch self {
      case .text(let s): return s
      case .integer(let i): return String(i)
      case .number(let d): return BenchReport.format(d)
      case .numbers(let a): return a.map(BenchReport.format).joined(separator: " / ")
      case .null: return "–"
      }
    }
  }

  public let title: String
  public let columns: [String]
  public private(set) var rows: [[String: Value]] = []
  public var notes: [String] = []

  public init(title: String, columns: [String]) {
    self.title = title
    self.columns = columns
  }

  public mutating func add(_ row: [String: Value]) { rows.append(row) }

  static func format(_ d: Double) -> String {
    if d == 0 { return "0" }
    let a = Swift.abs(d)
    if a >= 100 { return String(format: "%.1f", d) }
    if a >= 1 { return String(format: "%.2f", d) }
    if a >= 1e-3 { return String(format: "%.4f", d) }
    return String(format: "%.3e", d)
  }

  public var markdown: String {
    var lines = [
      "## \(title)", "", "| " + columns.joined(separator: " | ") + " |",
      "|" + columns.map { _ in "---" }.joined(separator: "|") + "|"
    ]
    for row in rows { lines.append("| " + columns.map { row[$0]?.description ?? "" }.joined(separator: " | ") + " |") }
    if !notes.isEmpty { lines += [""] + notes.map { "- \($0)" } }
    return lines.joined(separator: "\n") + "\n"
  }

  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(rows)
  }

  /// Writes `<stem>.json` and `<stem>.md` into `directory` (created if needed), atomically.
  public func save(to directory: URL, stem: String) throws -> [URL] {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let jsonURL = directory.appendingPathComponent("\(stem).json")
    let mdURL = directory.appendingPathComponent("\(stem).md")
    try json().write(to: jsonURL, options: .atomic)
    try Data(markdown.utf8).write(to: mdURL, options: .atomic)
    return [jsonURL, mdURL]
  }
}
