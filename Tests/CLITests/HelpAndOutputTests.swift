import ArgumentParser
import Foundation
import XCTest
@testable import SCPL
@testable import SCPLCLI

/// What a newcomer reads: every command a help text names exists and answers `--help`, every
/// option of `scpl train` states its default, `scpl datasets` lists every data set, `scpl summary`
/// works without a data set's files, and output reaches a pipe line by line.
final class HelpAndOutputTests: XCTestCase {
  func testEveryCommandNamedInAnyHelpExistsAndAnswersHelp() throws {
    let top = SCPLCommand.helpMessage(columns: 400)
    let subcommands = SCPLCommand.configuration.subcommands
    let commands = subcommands.map { $0.configuration.commandName ?? $0._commandName }
    XCTAssertEqual(
      Set(commands), ["train", "launch", "eval", "bench", "simulate", "report", "summary", "datasets", "selftest"])
    var texts = [top]
    for (name, type) in zip(commands, subcommands) {
      XCTAssertTrue(top.contains("\n  \(name) "), "`scpl --help` lists \(name)")
      // `scpl <name> --help` parses (help is not an error) ...
      do { _ = try SCPLCommand.parseAsRoot([name, "--help"]) } catch {
        XCTAssertEqual(
          SCPLCommand.exitCode(for: error), .success, "`scpl \(name) --help`: \(SCPLCommand.message(for: error))")
      }
      // ... and prints the command's own help.
      let text = SCPLCommand.helpMessage(for: type, columns: 400)
      XCTAssertTrue(text.contains("USAGE: scpl \(name)"), text)
      texts.append(text)
    }
    // Every `scpl <word>` a help text mentions is a command.
    for text in texts {
      let mentioned = text.components(separatedBy: "`scpl ").dropFirst().compactMap {
        $0.split(whereSeparator: { !$0.isLetter && $0 != "-" }).first
      }
      for word in mentioned {
        XCTAssertTrue(commands.contains(String(word)), "a help text names `scpl \(word)`, which is not a command")
      }
      for file in referencedFiles(text) {
        XCTAssertFalse(file.hasPrefix(".."), "help refers to \(file), outside the repository")
        XCTAssertTrue(
          FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(file).path),
          "help refers to \(file), which the repository does not have")
      }
    }
  }

  /// The checkout these tests come from (Tests/CLITests/<this file> is three levels down).
  let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The relative paths of documents and scripts a text names (docs/pipelines.md,
  /// scripts/bootstrap.sh, a parent folder's file): words with a slash ending in .md, .sh, .py
  /// or .swift, and any word that climbs out with "../" (not a usage line's "...").
  func referencedFiles(_ text: String) -> [String] {
    text.split(whereSeparator: { $0.isWhitespace || "`'\"(),;:".contains($0) })
      // a sentence's full stop is not part of the path
      .map { word in String(word.reversed().drop { $0 == "." }.reversed()) }
      .filter { word in
        word.hasPrefix("../")
          || (word.contains("/") && !word.hasPrefix("/")
            && [".md", ".sh", ".py", ".swift"].contains { word.hasSuffix($0) })
      }
  }

  /// The check above sees what it should: a path outside the repository, a missing document.
  func testReferencedFilesAreFoundInAText() {
    XCTAssertEqual(
      referencedFiles("see `docs/pipelines.md`, and ../notes/x.md (or scripts/bootstrap.sh). [<command> ...]"),
      ["docs/pipelines.md", "../notes/x.md", "scripts/bootstrap.sh"])
    XCTAssertTrue(
      FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent("docs/pipelines.md").path))
  }

  /// Each option of `scpl train` that is a setting says its default (or what it depends on); the
  /// flags are off unless given.
  func testEveryTrainOptionStatesItsDefault() throws {
    let lines = Train.helpMessage(columns: 400).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    for key in TrainConfig.CodingKeys.allCases where !["profile", "recompute", "probe"].contains(key.stringValue) {
      // The option's entry: its line and the wrapped lines after it, up to the next option.
      let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("--\(key.stringValue) ") }, "--\(key.stringValue)")
      let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("-") } ?? lines.endIndex
      let entry = lines[start..<end].joined(separator: " ")
      XCTAssertTrue(entry.lowercased().contains("default"), "--\(key.stringValue) does not state its default: \(entry)")
    }
  }

  func testDatasetsListsEveryDataSetWithItsFacts() throws {
    let table = Datasets.table()
    for name in DatasetName.allCases { XCTAssertTrue(table.contains("| \(name.rawValue) |"), name.rawValue) }
    XCTAssertTrue(
      table.contains("| fashion-mnist | vision | 1×28×28 | 10 | yes | /usr/share/datasets/fashion-mnist |"), table)
    XCTAssertTrue(table.contains("| cifar100 | vision | 3×32×32 | 100 |"), table)
    XCTAssertTrue(table.contains("| bbc-news | text | 400 tokens (--max-len) | 5 | yes |"), table)
    let elsewhere = Datasets.table(dataDir: "/nonexistent")
    XCTAssertTrue(elsewhere.contains("| fashion-mnist | vision | 1×28×28 | 10 | no | /nonexistent |"), elsewhere)
  }

  /// The paper's CIFAR and AG's News models, whose files are not installed here.
  func testSummaryNeedsNoDataFiles() throws {
    XCTAssertFalse(try DatasetCatalog.entry(.cifar10).isPresent())
    var vgg = try Summary.parse(["--model", "vgg", "--dataset", "cifar10"])
    try vgg.run()
    var lstm = try Summary.parse(["--model", "lstm", "--dataset", "ag-news"])
    try lstm.run()
  }

  /// `scpl train` with its standard output on a pipe: the `data:` line arrives while the process
  /// is still training, not when it exits (a block-buffered stdout would hold it back).
  func testOutputOnAPipeArrivesLineByLine() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipe-run-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let (process, pipe) = try startScpl([
      "train", "--model", "vgg", "--method", "bp", "--dataset", "fashion-mnist", "--width", "0.125",
      "--limit-train", "3000", "--limit-test", "500", "--epochs", "1", "--threads", "1", "--out", dir.path
    ])
    defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
    let text = read(pipe, until: "\n", seconds: 60)
    XCTAssertTrue(text.hasPrefix("data: "), "first output: \(text)")
    XCTAssertTrue(process.isRunning, "the first line came only when the process ended")
    XCTAssertFalse(text.contains("epoch 1/1"), "the first line came with the end of the epoch")
  }
}
