import Foundation

/// AG's News topic classification (Zhang, Zhao & LeCun 2015) in its published layout: a
/// directory with `train.csv` (120 000 rows) and `test.csv` (7 600), each row `class,title,
/// description` with class 1–4, quoted CSV, no header. The text is title and description joined
/// by a space, as HuggingFace's `ag_news` (which the reference used) builds it.
public enum AGNews {
  /// The four topics, indexed by label (class 1 in the files is label 0).
  public static let classNames = ["World", "Sports", "Business", "Sci/Tech"]
  /// The reference README's max_len.
  public static let defaultMaxLength = 60

  /// Reads `train.csv` and `test.csv` from `directory`; throws `DataError` naming the line of a malformed row.
  public static func load(directory: URL) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "AG's News")
    var train = LabeledTexts(), test = LabeledTexts()
    try TextSetFiles.readClassCSV(
      directory.appendingPathComponent("train.csv"), columns: ["class", "title", "description"], classCount: 4,
      into: &train
    ) { "\($0[1]) \($0[2])" }
    try TextSetFiles.readClassCSV(
      directory.appendingPathComponent("test.csv"), columns: ["class", "title", "description"], classCount: 4,
      into: &test
    ) { "\($0[1]) \($0[2])" }
    return TextCorpus(
      name: "ag_news", classNames: classNames, train: train, test: test, splitSeed: nil,
      defaultMaxLength: defaultMaxLength)
  }
}
