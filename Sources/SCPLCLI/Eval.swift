import ArgumentParser
import Foundation
import SCPL
import Torch

/// `scpl eval`: a saved model's accuracy on a data set's test split, with every head's for the
/// methods that have them (Early Exit, AL).
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Evaluate a checkpoint on a data set's test split: its accuracy, and each component head's for Early Exit and AL.")

  @Option(help: "A checkpoint file (a run folder's checkpoints/run<R>-epoch<E>.safetensors), or a run folder (its newest valid checkpoint).")
  var checkpoint: String
  @Option(help: "Data set to evaluate on (default: the run's; another one must have the same input shape and classes, and for text the run's own vocabulary, so only the run's).")
  var dataset: DatasetName?
  @Option(help: "Where that data set's files are (default: as `scpl datasets` lists).") var dataDir: String?
  @Option(help: "Use only the first N test samples (default: all).") var limitTest: Int?
  @Option(help: "Samples per evaluation batch (default: the run's --test-batch-size).") var batchSize: Int?

  func run() throws { print(try evaluate().text) }

  /// The accuracies, and what `run` prints.
  func evaluate() throws -> (result: Evaluation.Result, text: String) {
    let (folder, file, name) = try Self.open(URL(fileURLWithPath: checkpoint))
    let configURL = folder.appendingPathComponent("config.json")
    guard let bytes = try? Data(contentsOf: configURL) else {
      throw RunFolderError("\(configURL.path) is missing: a checkpoint is evaluated with the configuration of the run that wrote it")
    }
    var config = try TrainConfig.decodeChecked(from: bytes, path: configURL.path)
    if let dataset, dataset != config.dataset {
      guard try DatasetCatalog.entry(config.dataset).family != .text else {
        throw ConfigError("the checkpoint's model reads \(config.dataset)'s vocabulary; a text model can only be evaluated on the data set it was trained on")
      }
      config.dataset = dataset
      config.dataDir = dataDir
    } else if let dataDir {
      config.dataDir = dataDir
    }
    config.limitTest = limitTest
    let data = try DatasetCatalog.load(config)
    let method: any TrainingMethod
    do {
      let model = try ModelFactory.build(config, sampleShape: data.sampleShape, classCount: data.classCount, wordVectors: data.wordVectors)
      method = try Methods.make(config.method, model: model, options: config.methodOptions)
      try method.loadStateDict(Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
    } catch {
      throw ConfigError("the checkpoint \(name) (\(config.model) · \(config.method)) does not fit \(data.testName) (samples \(data.sampleShape), \(data.classCount) classes): \(error)")
    }
    let result = try Evaluation.run(method, on: data.test, batchSize: batchSize ?? config.testBatchSize)
    var lines = ["checkpoint: \(name) (\(config.model) · \(config.method), run \(file.metadata["run"] ?? "?"), epoch \(file.metadata["epoch"] ?? "?"))",
                 String(format: "test accuracy: %.2f%% on %d samples of %@", 100 * result.accuracy, data.test.count, data.testName)]
    lines += result.headAccuracies.enumerated().map { String(format: "  head %d: %.2f%%", $0.offset + 1, 100 * $0.element) }
    return (result, lines.joined(separator: "\n"))
  }

  /// The run folder, the checkpoint and its path, from a checkpoint file or a run folder.
  static func open(_ url: URL) throws -> (folder: URL, file: SafeTensors.File, name: String) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw RunFolderError("\(url.path) does not exist")
    }
    if isFolder.boolValue {
      guard let (entry, file) = Checkpoints(runFolder: url).newestValid(warn: { print($0) }) else {
        throw RunFolderError("\(url.path) holds no valid checkpoint (checkpoints/run<R>-epoch<E>.safetensors)")
      }
      return (url, file, entry.url.path)
    }
    // checkpoints/<file> inside a run folder.
    return (url.deletingLastPathComponent().deletingLastPathComponent(), try SafeTensors.load(from: url), url.path)
  }
}
