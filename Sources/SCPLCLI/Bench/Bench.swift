import ArgumentParser
import Data
import Foundation
import SCPL

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure speed; every figure is printed and saved as JSON and Markdown.",
    subcommands: [TrainSteps.self, Engine.self, DataLoading.self, SoakRun.self, Distributed.self],
    defaultSubcommand: TrainSteps.self
  )
}

extension Bench {
  struct Engine: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "GFLOP/s of matmul, conv2d and the LSTM op at 1 and 2 threads, and the Swift→C cost per op.")

    @Option(help: "Directory for engine.json and engine.md.")
    var out = "bench-results"

    @Option(help: "Comma-separated intra-op thread counts to measure.")
    var threads = "1,2"

    @Option(help: "Timed repetitions per measurement (the median is reported).")
    var repeats = 5

    func run() throws {
      var options = EngineBenchmark.Options()
      options.repeats = repeats
      options.threadCounts = try threads.split(separator: ",").map {
        guard let n = Int($0.trimmingCharacters(in: .whitespaces)), n > 0 else {
          throw ValidationError("--threads takes positive integers separated by commas, got '\(threads)'")
        }
        return n
      }
      let report = try EngineBenchmark.run(options)
      let files = try report.save(to: URL(fileURLWithPath: out), stem: "engine")
      print("\n" + report.markdown)
      print("saved \(files.map(\.path).joined(separator: " and "))")
    }
  }
}

extension Bench {
  struct DataLoading: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "data",
      abstract:
        "Samples/s of the loader: Fashion-MNIST with strong augmentation at 0, 1 and 2 loader threads, against a training step."
    )

    @Option(help: "Directory for data.json and data.md.")
    var out = "bench-results"

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var dataDir = FashionMNIST.defaultDirectory.path

    @Option(help: "Comma-separated loader thread counts to measure (0 = make batches on the consumer's thread).")
    var loaderThreads = "0,1,2"

    @Option(help: "Comma-separated augmentations to measure: none, basic, strong.")
    var augmentations = "strong"

    @Option(help: "Images per batch (a strong batch has twice as many rows).")
    var batchSize = 128

    @Option(help: "Batches timed per configuration.")
    var batches = 100

    @Option(help: "Use only the first N training images.")
    var limitTrain: Int?

    @Flag(help: "Skip timing the reference training step.")
    var noTrainingStep = false

    @Flag(help: "Skip the random CIFAR-shaped (3×32×32) images.")
    var noCifarShaped = false

    @Option(help: "Intra-op threads of the reference training step (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
      var options = DataBenchmark.Options()
      options.dataDirectory = URL(fileURLWithPath: dataDir)
      options.batchSize = batchSize
      options.batches = batches
      options.limitTrain = limitTrain
      options.trainingStep = !noTrainingStep
      options.stepThreads = threads
      options.cifarShaped = !noCifarShaped
      options.workerCounts = try loaderThreads.split(separator: ",").map {
        guard let n = Int($0.trimmingCharacters(in: .whitespaces)), n >= 0 else {
          throw ValidationError("--loader-threads takes integers ≥ 0 separated by commas, got '\(loaderThreads)'")
        }
        return n
      }
      options.augmentations = try augmentations.split(separator: ",").map {
        guard let a = Augmentation(rawValue: $0.trimmingCharacters(in: .whitespaces)) else {
          throw ValidationError(
            "--augmentations takes none, basic or strong separated by commas, got '\(augmentations)'")
        }
        return a
      }
      guard batchSize >= 1, batches >= 1, threads >= 1 else {
        throw ValidationError("--batch-size, --batches and --threads must be at least 1")
      }
      let report = try DataBenchmark.run(options)
      let files = try report.save(to: URL(fileURLWithPath: out), stem: "data")
      print("\n" + report.markdown)
      print("saved \(files.map(\.path).joined(separator: " and "))")
    }
  }
}
