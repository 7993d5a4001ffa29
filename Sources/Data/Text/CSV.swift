import Foundation

/// One record of a CSV file: its fields and the line it starts on (1-based), for error messages.
public struct CSVRecord: Sendable, Equatable {
  /// The 1-based line the record starts on.
  public let line: Int
  /// The record's fields, unquoted.
  public let fields: [String]
  /// Creates a record from its starting line and fields.
  public init(line: Int, fields: [String]) {
    self.line = line
    self.fields = fields
  }
}

/// A small RFC 4180 reader: fields separated by commas (or another one-byte separator), records
/// by LF or CRLF; a field that starts with `"` is quoted and may hold separators, newlines and
/// doubled quotes (`""` → `"`). Like Python's csv module, a quote inside an unquoted field is an
/// ordinary character. Blank lines between records are skipped. Text after a closing quote other
/// than a separator or the end of the record is an error (the file is malformed and guessing would
/// silently merge fields), as is a quote that is never closed.
public enum CSV {
  /// Parses `text`; `source` names the file in errors.
  public static func parse(_ text: String, source: String, separator: UInt8 = UInt8(ascii: ",")) throws -> [CSVRecord] {
    let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    let bytes = Array(text.utf8)
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var line = 1
    var recordLine = 1
    var i = 0
    var fieldWasQuoted = false

    func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
    }
    func endRecord() {
      endField()
      // A line with nothing on it is not a record with one empty field.
      if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
        records.append(CSVRecord(line: recordLine, fields: fields))
      }
      fields.removeAll(keepingCapacity: true)
    }

    while i < bytes.count {
      // At the start of a field.
      if fields.isEmpty && field.isEmpty { recordLine = line }
      fieldWasQuoted = false
      if bytes[i] == quote {
        fieldWasQuoted = true
        let openedOn = line
        i += 1
        var closed = false
        while i < bytes.count {
          let b = bytes[i]
          if b == quote {
            if i + 1 < bytes.count && bytes[i + 1] == quote {
              field.append(quote)
              i += 2
              continue
            }
            closed = true
            i += 1
            break
          }
          if b == lf { line += 1 }
          field.append(b)
          i += 1
        }
        guard closed else {
          throw DataError(
            "\(source): line \(openedOn): a quoted field opened on this line is never closed (a quote inside a quoted field must be doubled)"
          )
        }
        // After the closing quote: a separator, the end of the record, or the end of the file.
        if i == bytes.count {
          endRecord()
          break
        }
        if bytes[i] == separator {
          endField()
          i += 1
          if i == bytes.count { endRecord() }  // "a,b," ends with an empty field
          continue
        }
        if bytes[i] == lf || (bytes[i] == cr && i + 1 < bytes.count && bytes[i + 1] == lf) {
          i += bytes[i] == cr ? 2 : 1
          line += 1
          endRecord()
          continue
        }
        let shown = String(decoding: [bytes[i]], as: UTF8.self)
        throw DataError(
          "\(source): line \(line): unexpected character \"\(shown)\" after the closing quote of field \(fields.count + 1) (a quote inside a quoted field must be doubled)"
        )
      }
      // An unquoted field runs to the next separator or line end.
      while i < bytes.count {
        let b = bytes[i]
        if b == separator {
          endField()
          i += 1
          if i == bytes.count { endRecord() }
          break
        }
        if b == lf {
          if field.last == cr { field.removeLast() }
          i += 1
          line += 1
          endRecord()
          break
        }
        field.append(b)
        i += 1
        if i == bytes.count { endRecord() }
      }
    }
    return records
  }

  /// Reads and parses a CSV file (text decoded leniently, see `TextDecoding`).
  public static func read(_ url: URL, separator: UInt8 = UInt8(ascii: ",")) throws -> [CSVRecord] {
    try parse(TextDecoding.readFile(url), source: url.path, separator: separator)
  }
}
