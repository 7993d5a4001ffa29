import Foundation

/// File checks shared by the text-set loaders; every error names the path.
enum TextSetFiles {
  static func requireDirectory(_ url: URL, _ what: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
      throw DataError("the \(what) directory \(url.path) does not exist")
    }
    guard isDirectory.boolValue else {
      throw DataError("\(url.path) is a file; the \(what) directory was expected there")
    }
  }

  static func requireFile(_ url: URL, _ what: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
      throw DataError("\(url.path) does not exist: the \(what) file was expected there")
    }
  }

  /// The entries of `directory` in a stable order ("2.txt" before "10.txt").
  static func sortedContents(_ directory: URL) throws -> [URL] {
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
      throw DataError("cannot list \(directory.path): \(error.localizedDescription)")
    }
    return names.filter { !$0.hasPrefix(".") }
      .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
      .map { directory.appendingPathComponent($0) }
  }

  static func isDirectory(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
  }

  /// The `.txt` files of `directory`, sorted; an error if there are none.
  static func textFiles(_ directory: URL, _ what: String) throws -> [URL] {
    try requireDirectory(directory, what)
    let files = try sortedContents(directory).filter { $0.pathExtension == "txt" && !isDirectory($0) }
    guard !files.isEmpty else {
      throw DataError("\(directory.path) holds no .txt files: the \(what) documents were expected there")
    }
    return files
  }

  /// A CSV of the `label,field,…` kind used by AG's News and DBpedia (Zhang et al. 2015): no
  /// header, one field per entry of `columns`, label 1…classCount (→ 0…classCount−1). A header row (first
  /// field naming a class or label column, as some re-publications add) is skipped.
  static func readClassCSV(
    _ url: URL, columns: [String], classCount: Int, into texts: inout LabeledTexts,
    text: ([String]) -> String
  ) throws {
    try requireFile(url, "CSV")
    let records = try CSV.read(url)
    let fieldCount = columns.count
    for (k, record) in records.enumerated() {
      guard record.fields.count == fieldCount else {
        throw DataError(
          "\(url.path): line \(record.line): \(record.fields.count) fields, expected \(fieldCount) (\(columns.joined(separator: ", ")))"
        )
      }
      let raw = record.fields[0].trimmingCharacters(in: .whitespaces)
      if k == 0, Int(raw) == nil, raw.lowercased().contains("class") || raw.lowercased().contains("label") { continue }
      guard let label = Int(raw), label >= 1, label <= classCount else {
        throw DataError("\(url.path): line \(record.line): the class \"\(raw)\" is not a number 1–\(classCount)")
      }
      texts.append(text(record.fields), label: label - 1)
    }
    guard texts.count > 0 else { throw DataError("\(url.path) holds no documents") }
  }
}
