import Foundation

/// DBpedia ontology classification (Zhang, Zhao & LeCun 2015) in its published layout: a
/// directory with `train.csv` (560 000 rows) and `test.csv` (70 000), each row `class,title,
/// content` with class 1–14, quoted CSV, no header. The text is the content alone, the field the
/// reference used.
public enum DBpedia {
  /// The 14 ontology classes, indexed by label (class 1 in the files is label 0).
  public static let classNames = [
    "Company", "EducationalInstitution", "Artist", "Athlete", "OfficeHolder",
    "MeanOfTransportation", "Building", "NaturalPlace", "Village", "Animal",
    "Plant", "Album", "Film", "WrittenWork"
  ]
  /// The reference README's max_len.
  public static let defaultMaxLength = 400

  /// Reads `train.csv` and `test.csv` from `directory`; throws `DataError` naming the line of a malformed row.
  public static func load(directory: URL) throws -> TextCorpus {
    try TextSetFiles.requireDirectory(directory, "DBpedia")
    var train = LabeledTexts(), test = LabeledTexts()
    try TextSetFiles.readClassCSV(
      directory.appendingPathComponent("train.csv"), columns: ["class", "title", "content"], classCount: 14,
      into: &train
    ) { $0[2] }
    try TextSetFiles.readClassCSV(
      directory.appendingPathComponent("test.csv"), columns: ["class", "title", "content"], classCount: 14, into: &test
    ) { $0[2] }
    return TextCorpus(
      name: "dbpedia_14", classNames: classNames, train: train, test: test, splitSeed: nil,
      defaultMaxLength: defaultMaxLength)
  }
}
