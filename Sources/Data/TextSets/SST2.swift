import Foundation

/// The Stanford Sentiment Treebank, binary (Socher et al. 2013), in GLUE's published layout: a
/// directory with `train.tsv` (67 349 sentences) and `dev.tsv` (872), each with the header
/// `sentence<TAB>label` and label 0 (negative) or 1 (positive). GLUE's `test.tsv` has no labels,
/// so the dev set is the test set, as in the reference. The files are not quoted (sentences keep
/// their `"` characters), so each line is split at its tab and nothing else.
public enum SST2 {
  /// The class names by label: 0 negative, 1 positive.
  public static let classNames = ["negative", "positive"]
  /// The reference README's max_len.
  public static let defaultMaxLength = 15

  /// Reads `train.tsv` as the training split and `dev.tsv` as the test split from `directory`.
  public static func load(directory: URL) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "SST-2")
    return TextCorpus(
      name: "sst2", classNames: classNames,
      train: try readTSV(directory.appendingPathComponent("train.tsv")),
      test: try readTSV(directory.appendingPathComponent("dev.tsv")),
      splitSeed: nil, defaultMaxLength: defaultMaxLength)
  }

  static func readTSV(_ url: URL) throws -> LabeledTexts {
    try TextSetFiles.requireFile(url, "SST-2 TSV")
    let lines = TextDecoding.lines(try TextDecoding.readFile(url))
    guard let header = lines.first else {
      throw DataError("\(url.path) is empty: expected the header sentence<TAB>label")
    }
    let headerFields = TextDecoding.split(header, on: "\t").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard headerFields == ["sentence", "label"] else {
      throw DataError("\(url.path): line 1: the header is \(headerFields), expected sentence<TAB>label")
    }
    var texts = LabeledTexts()
    for (k, line) in lines.enumerated().dropFirst() {
      let fields = TextDecoding.split(line, on: "\t")
      guard fields.count == 2 else {
        throw DataError(
          "\(url.path): line \(k + 1): \(fields.count) tab-separated fields, expected 2 (sentence, label)")
      }
      guard let label = Int(fields[1].trimmingCharacters(in: .whitespaces)), label == 0 || label == 1 else {
        throw DataError("\(url.path): line \(k + 1): the label \"\(fields[1])\" is not 0 or 1")
      }
      texts.append(fields[0], label: label)
    }
    guard texts.count > 0 else { throw DataError("\(url.path) holds no sentences") }
    return texts
  }
}
