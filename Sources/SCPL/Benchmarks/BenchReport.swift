import Foundation

/// A benchmark's results: rows of named values, saved as JSON (an array of objects) and as a
/// Markdown table, so every figure quoted in the docs comes from a file a command wrote.
public struct BenchReport {
  /// One cell of a report: text, a number, an integer, a list of numbers, or nothing.
  public enum Value: Encodable, CustomStringConvertible {
    /// Text, as it is.
    case text(String)
    /// A number, rounded in Markdown; JSON null if not finite.
    case number(Double)
    /// A whole number.
    case integer(Int)
    /// A list of numbers (e.g. one per device).
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

    /// The cell as Markdown shows it: numbers rounded to a few significant digits, lists joined by " / ".
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

  /// The heading of the Markdown table.
  public let title: String
  /// The columns, in order; they name the keys of each row.
  public let columns: [String]
  /// The rows added so far, each keyed by column name.
  public private(set) var rows: [[String: Value]] = []
  /// Lines listed under the Markdown table.
  public var notes: [String] = []

  /// An empty report with `title` and `columns`.
  public init(title: String, columns: [String]) {
    self.title = title
    self.columns = columns
  }

  /// Appends `row`, its values keyed by column name.
  public mutating func add(_ row: [String: Value]) { rows.append(row) }

  static func format(_ d: Double) -> String {
    if d == 0 { return "0" }
    let a = Swift.abs(d)
    if a >= 100 { return String(format: "%.1f", d) }
    if a >= 1 { return String(format: "%.2f", d) }
    if a >= 1e-3 { return String(format: "%.4f", d) }
    return String(format: "%.3e", d)
  }

  /// The report as a Markdown section: a heading, the table, and the notes as a list.
  public var markdown: String {
    var lines = [
      "## \(title)", "", "| " + columns.joined(separator: " | ") + " |",
      "|" + columns.map { _ in "---" }.joined(separator: "|") + "|"
    ]
    for row in rows { lines.append("| " + columns.map { row[$0]?.description ?? "" }.joined(separator: " | ") + " |") }
    if !notes.isEmpty { lines += [""] + notes.map { "- \($0)" } }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The rows as pretty-printed JSON with sorted keys, an array of objects.
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
