import ArgumentParser
import Torch
import Foundation
import SCPL

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Turn run folders into the paper's kind of table (Markdown): methods × models, mean ± std of best test accuracy.")

  @Argument(help: "Run folders (each with a summary.json).") var runs: [String]
  @Option(
    help:
      "Also draw the folders' learning curves (test accuracy and last-component loss per epoch, mean over runs) into this SVG file."
  )
  var plot: String?

  func run() throws {
    var finished: [(path: String, summary: RunSummary)] = []
    for path in runs {
      let url = URL(fileURLWithPath: path).appendingPathComponent("summary.json")
      let bytes: [UInt8]
      do { bytes = try RegularFile.read(url, what: "run summary", atMost: 1 << 26) } catch {
        throw RunFolderError("\(error): is \(path) a run folder?")
      }
      let summary: RunSummary
      do { summary = try JSONDecoder().decode(RunSummary.self, from: Data(bytes)) } catch {
        throw RunFolderError("\(url.path) is not a run summary: \(error)")
      }
      // A run that has not finished has no result to report (its mean would read as 0.00).
      guard summary.state == nil || summary.state == .finished, !summary.runs.isEmpty else {
        let state = summary.state?.rawValue ?? "without runs"
        FileHandle.standardError.write(
          Data(
            "warning: leaving out \(path): its run is \(state)\(summary.stoppedBecause.map { " (\($0))" } ?? ""), not finished\n"
              .utf8))
        continue
      }
      finished.append((path, summary))
    }
    guard !finished.isEmpty else {
      throw RunFolderError("none of the \(runs.count) folder(s) holds a finished run, so there is nothing to report")
    }
    let summaries = finished.map(\.summary)
    print(ResultsTable.markdown(summaries))
    if let plot {
      var folders: [(label: String, records: [EpochRecord])] = []
      for (path, s) in finished {
        let url = URL(fileURLWithPath: path).appendingPathComponent("metrics.jsonl")
        let records = try EpochRecord.readLines(url)
        folders.append(("\(s.method) · \(s.model) · \(s.dataset)", records))
      }
      let svg = Curves.comparison(
        folders, title: "Learning curves: " + Set(summaries.map(\.dataset)).sorted().joined(separator: ", "))
      do { try DurableFile.write(Array(svg.utf8), to: URL(fileURLWithPath: plot)) } catch {
        throw RunFolderError("cannot write the plot --plot \(plot): \(error)")
      }
      print("learning curves: \(plot)")
    }
  }
}

struct Summary: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a model's components: parameter counts and output shapes.")

  @Option(help: "The network.") var model: ModelKind = .vgg
  @Option(help: "Data set whose input shape and classes to use.") var dataset: DatasetName = .fashionMNIST
  @Option(help: "Number of components.") var components = 4
  @Option(help: "Channel multiplier.") var width = 1.0

  func run() throws {
    var p = PartialTrainConfig()
    p.model = model; p.dataset = dataset; p.components = components; p.width = width; p.method = .bp; p.limitTrain = 2;
    p.limitTest = 1
    let entry = try DatasetCatalog.entry(dataset)
    let m: StagedModel
    if entry.isPresent() {
      let data = try DatasetCatalog.load(try p.resolved())
      let config = try p.resolved(fitting: data)
      m = try ModelFactory.build(
        config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
    } else {
      // The shape and classes are known without the files; text models get the paper's 300-d
      // word vectors over the full --vocab-size (a real run's vocabulary can be smaller).
      let config = try p.resolved()
      let vectors = entry.family == .text ? try Tensor.zeros([config.vocabSize, 300]) : nil
      m = try ModelFactory.build(
        config, sampleShape: entry.sampleShape, classCount: entry.classCount, wordVectors: vectors)
      print(
        "(\(dataset) is not installed at \(entry.location().path); its shape \(entry.sampleShape.map(String.init).joined(separator: "×")) and \(entry.classCount) classes come from the catalog\(entry.family == .text ? ", with 300-d word vectors for \(config.vocabSize) words" : ""))\n"
      )
    }
    print(ModelSummary.markdown(m))
  }
}
