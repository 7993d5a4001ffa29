import Foundation

/// A text classification data set of a user's own: a CSV (comma-separated) or TSV (tab-separated)
/// file with a header row and one document per row, read by its text column and its label column
/// (both named in the header). The labels are the class names as written ("sports", "4", "pos");
/// the class indices follow their sorted order, numerically when every label is an integer
/// ("2" before "10"), as torchvision's ImageFolder sorts its class folders.
///
/// With a test file, the test rows use the training file's classes (a label the training file
/// lacks is an error naming the row); without one, a seeded stratified 80/20 split of the training
/// file is the test set (`StratifiedSplit`, the seed recorded with the run).
public struct LabeledTextFile: Sendable {
  /// The header name of the column holding the documents.
  public var textColumn: String
  /// The header name of the column holding the labels.
  public var labelColumn: String

  /// Reads columns `textColumn` and `labelColumn` (header names, matched exactly).
  public init(textColumn: String = "text", labelColumn: String = "label") {
    self.textColumn = textColumn
    self.labelColumn = labelColumn
  }

  /// The separator a file's name implies: a tab for `.tsv` and `.tab`, else a comma.
  public static func separator(of url: URL) -> UInt8 {
    ["tsv", "tab"].contains(url.pathExtension.lowercased()) ? UInt8(ascii: "\t") : UInt8(ascii: ",")
  }

  /// The documents and their labels as written, in file order.
  public func rows(of url: URL) throws -> (texts: [String], labels: [String]) {
    try TextSetFiles.requireFile(url, "labelled text")
    let records = try CSV.read(url, separator: Self.separator(of: url))
    guard let header = records.first else {
      throw DataError("\(url.path) is empty: expected a header row naming the columns \(textColumn) and \(labelColumn)")
    }
    guard let text = header.fields.firstIndex(of: textColumn), let label = header.fields.firstIndex(of: labelColumn)
    else {
      throw DataError(
        "\(url.path): line \(header.line): the header \(header.fields) lacks the text column '\(textColumn)' or the label column '\(labelColumn)'"
      )
    }
    var texts: [String] = []
    var labels: [String] = []
    for record in records.dropFirst() {
      guard record.fields.count == header.fields.count else {
        throw DataError(
          "\(url.path): line \(record.line): \(record.fields.count) fields, expected \(header.fields.count) (\(header.fields.joined(separator: ", ")))"
        )
      }
      let name = record.fields[label].trimmingCharacters(in: .whitespaces)
      guard !name.isEmpty else { throw DataError("\(url.path): line \(record.line): the label is empty") }
      texts.append(record.fields[text])
      labels.append(name)
    }
    guard !texts.isEmpty else { throw DataError("\(url.path) has a header but no rows") }
    return (texts, labels)
  }

  /// Class names in index order: sorted, numerically when all are integers.
  public static func classNames(_ labels: [String]) -> [String] {
    let distinct = Set(labels)
    if distinct.allSatisfy({ Int($0) != nil }) { return distinct.sorted { Int($0)! < Int($1)! } }
    return distinct.sorted()
  }

  /// The corpus of `train` (and `test`, or a stratified split of `train` seeded by `splitSeed`).
  /// `name` names the corpus in the run's records; `defaultMaxLength` is the truncation length
  /// unless the run sets `--max-len`.
  public func corpus(
    train: URL, test: URL? = nil, name: String, splitSeed: UInt64 = StratifiedSplit.defaultSeed,
    defaultMaxLength: Int = 128
  ) throws -> TextCorpus {
    let trainRows = try rows(of: train)
    let classNames = Self.classNames(trainRows.labels)
    guard classNames.count >= 2 else {
      throw DataError(
        "\(train.path): every row has the label '\(classNames[0])'; a classifier needs at least 2 classes")
    }
    let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
    let all = LabeledTexts(texts: trainRows.texts, labels: trainRows.labels.map { index[$0]! })
    guard let test else {
      return try TextCorpus(
        name: name, classNames: classNames, all: all, splitSeed: splitSeed, defaultMaxLength: defaultMaxLength)
    }
    let testRows = try rows(of: test)
    var testTexts = LabeledTexts()
    for (k, (text, label)) in zip(testRows.texts, testRows.labels).enumerated() {
      guard let id = index[label] else {
        throw DataError(
          "\(test.path): row \(k + 1): the label '\(label)' is not among the \(classNames.count) classes of \(train.path)"
        )
      }
      testTexts.append(text, label: id)
    }
    return TextCorpus(
      name: name, classNames: classNames, train: all, test: testTexts, splitSeed: nil,
      defaultMaxLength: defaultMaxLength)
  }
}
