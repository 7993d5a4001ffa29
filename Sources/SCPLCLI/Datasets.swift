import ArgumentParser
import Foundation
import SCPL

/// `scpl datasets`: every data set `--dataset` takes, what it holds, where it is read from,
/// whether it is there, and how to get it.
struct Datasets: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "List the data sets: family, sample shape, classes, where each is read from, whether it is present and how to get it."
  )

  @Option(help: "Check this directory instead of each data set's default place (as `scpl train --data-dir`).")
  var dataDir: String?

  func run() throws {
    print(Self.table(dataDir: dataDir))
  }

  static func table(dataDir: String? = nil) -> String {
    var lines = [
      "| data set | family | sample | classes | present | read from | how to get it |", "|---|---|---|---|---|---|---|"
    ]
    for e in DatasetCatalog.entries {
      let shape =
        e.family == .text
        ? "\(e.sampleShape[0]) tokens (--max-len)" : e.sampleShape.map(String.init).joined(separator: "×")
      lines.append(
        "| \(e.name) | \(e.family.rawValue) | \(shape) | \(e.classCount) | \(e.isPresent(dataDir: dataDir) ? "yes" : "no") | \(e.location(dataDir: dataDir).path) | \(e.howToGet) |"
      )
    }
    return lines.joined(separator: "\n") + "\n\n"
      + DatasetCatalog.entries.map { "- \($0.name): \($0.summary)" }.joined(separator: "\n")
  }
}
