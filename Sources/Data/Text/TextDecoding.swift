import Foundation

/// Turning the bytes of a text file into a String without ever failing on bad bytes.
///
/// Published corpora are not always clean UTF-8 (one BBC News article holds a lone Latin-1 "£",
/// byte 0xA3). Each byte that is not part of a valid UTF-8 sequence is read as the Latin-1
/// character of the same value, so "\xA315.8m" becomes "£15.8m" — the writer's intent — instead
/// of a replacement character or a dropped byte. Valid UTF-8 around it is untouched.
public enum TextDecoding {
  /// The bytes as text: UTF-8 where valid, Latin-1 for each invalid byte; a leading UTF-8 byte
  /// order mark is dropped.
  public static func lenient<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let array = Array(bytes)
    let start = array.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    let slice = array[start...]
    if let valid = String(validating: slice, as: UTF8.self) { return valid }
    var scalars = String.UnicodeScalarView()
    var iterator = slice.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var position = start
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        scalars.append(Unicode.UTF8.decode(encoded))
        position += encoded.count
      case .error(let length):
        for b in array[position..<(position + length)] { scalars.append(Unicode.Scalar(b)) }
        position += length
      case .emptyInput:
        return String(scalars)
      }
    }
  }

  /// Reads a whole file as text (see `lenient`). The error names the file.
  public static func readFile(_ url: URL) throws -> String {
    guard FileManager.default.fileExists(atPath: url.path) else { throw DataError("\(url.path) does not exist") }
    do {
      return lenient(try Data(contentsOf: url))
    } catch {
      throw DataError("cannot read \(url.path): \(error.localizedDescription)")
    }
  }

  /// The pieces of `text` between occurrences of `separator`, split by Unicode scalar (Swift's
  /// Character-level split would not cut "\r\n", one grapheme, at "\n").
  public static func split(_ text: String, on separator: Unicode.Scalar) -> [String] {
    text.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false).map { String(Substring($0)) }
  }

  /// The lines of `text` (LF or CRLF endings); a final line ending does not add an empty line.
  public static func lines(_ text: String) -> [String] {
    var lines = split(text, on: "\n").map {
      $0.unicodeScalars.last == "\r" ? String(Substring($0.unicodeScalars.dropLast())) : $0
    }
    if lines.last == "" { lines.removeLast() }
    return lines
  }
}
