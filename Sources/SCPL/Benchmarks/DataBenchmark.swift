import Data
import Foundation
import NN
import Torch

/// How fast the loader prepares batches: samples per second and time per batch for Fashion-MNIST
/// with the SCPL default (strong) augmentation at 0, 1 and 2 loader threads, against the time of
/// one training step of the small ConvNet on such a batch. The goal is a loader at least 3× faster
/// than the step that consumes its batches. `scpl bench data` runs it.
public enum DataBenchmark {
  /// What the loader benchmark measures and on what.
  public struct Options {
    /// Where the Fashion-MNIST files are.
    public var dataDirectory = FashionMNIST.defaultDirectory
    /// Images per batch.
    public var batchSize = 128
    /// Batches timed per configuration (capped by the epoch's length).
    public var batches = 100
    /// The loader thread counts to time, each a configuration.
    public var workerCounts = [0, 1, 2]
    /// The augmentations to time, each a configuration.
    public var augmentations: [Augmentation] = [.strong]
    /// Use only the first this many training images (nil: all).
    public var limitTrain: Int? = nil
    /// Also time random images shaped like CIFAR (3×32×32), so the full RGB jitter (saturation,
    /// hue, grayscale) is measured even where no CIFAR copy is installed.
    public var cifarShaped = true
    /// Seed for the loader's shuffling and the random CIFAR-shaped images.
    public var seed: UInt64 = 1
    /// Also time a VGG (width 0.125) SCPL step on a strong batch, with `stepThreads` intra-op threads.
    public var trainingStep = true
    /// Intra-op threads for the training step (all the machine's processors by default).
    public var stepThreads = ProcessInfo.processInfo.activeProcessorCount
    /// The defaults: batch 128, 0, 1 and 2 loader threads, strong augmentation.
    public init() {}
  }

  /// Times the loader for each data set, augmentation and thread count, logging each result through `log`,
  /// and returns the table; with `trainingStep`, also one training step for comparison.
  public static func run(_ options: Options = Options(), log: (String) -> Void = { print($0) }) throws -> BenchReport {
    var report = BenchReport(
      title: "Loader speed (batch \(options.batchSize), libtorch \(EngineInfo.libtorchVersion))",
      columns: [
        "data", "augmentation", "loader_threads", "batches", "rows_per_batch",
        "samples_per_s", "ms_per_batch"
      ])
    let images = try FashionMNIST.images(.train, directory: options.dataDirectory).prefix(options.limitTrain)
    var sources: [(name: String, augmentation: String, source: any BatchSource)] =
      options.augmentations.map {
        ("fashion-mnist/train (\(images.count))", $0.rawValue, images.with(augmentation: $0))
      }
    if options.cifarShaped {
      let cifar = try randomCIFARShaped(count: 10_000, seed: options.seed)
      sources += options.augmentations.map {
        ("random 3×32×32 (\(cifar.count))", $0.rawValue, cifar.with(augmentation: $0))
      }
    }
    sources += try textSources(options)

    var strongLoaderSeconds: Double?
    // The consumer thread makes the batches itself at 0 loader threads; one intra-op thread keeps
    // that row comparable to a single worker.
    try Threads.setThreadCount(1)
    for (name, augmentation, source) in sources {
      for workers in options.workerCounts {
        let loader = try DataLoader(
          source, batchSize: options.batchSize, seed: options.seed, workerThreads: workers,
          prefetch: max(2, 2 * workers))
        let m = try measure(loader, batches: options.batches)
        let perBatch = m.seconds / Double(m.batches)
        log(
          String(
            format: "%@  %@  %d loader thread(s): %.0f samples/s, %.2f ms per batch of %d (%d rows), %d batches",
            name, augmentation, workers, Double(m.samples) / m.seconds, 1e3 * perBatch, options.batchSize,
            m.rows, m.batches))
        report.add([
          "data": .text(name), "augmentation": .text(augmentation), "loader_threads": .integer(workers),
          "batches": .integer(m.batches), "rows_per_batch": .integer(m.rows),
          "samples_per_s": .number(Double(m.samples) / m.seconds), "ms_per_batch": .number(1e3 * perBatch)
        ])
        if augmentation == Augmentation.strong.rawValue && name.hasPrefix("fashion-mnist") && workers == 1 {
          strongLoaderSeconds = perBatch
        }
      }
    }

    report.notes = [
      "samples_per_s counts source images (a strong batch of 128 images has 256 rows: weak and strong views).",
      "0 loader threads: the consumer makes each batch when asked, with 1 intra-op thread; n ≥ 1: n worker threads, 1 intra-op thread each, prefetch 2n.",
      "The consumer does no work between batches, so these are the loader's own rates."
    ]
    if options.trainingStep, let loaderSeconds = strongLoaderSeconds {
      try Threads.setThreadCount(options.stepThreads)
      let step = try trainingStepSeconds(images.with(augmentation: .strong), batchSize: options.batchSize)
      log(
        String(
          format:
            "training step (VGG width 0.125 SCPL, %d rows, %d intra-op threads): %.2f ms; one loader thread is %.1f× faster (target ≥ 3×)",
          2 * options.batchSize, options.stepThreads, 1e3 * step, step / loaderSeconds))
      report.add([
        "data": .text("training step: VGG (width 0.125) SCPL"), "augmentation": .text("strong"),
        "loader_threads": .integer(0), "rows_per_batch": .integer(2 * options.batchSize),
        "ms_per_batch": .number(1e3 * step)
      ])
      report.notes.append(
        String(
          format:
            "Target: the loader ≥ 3× faster than a training step. A VGG (width 0.125) SCPL step on a strong batch takes %.2f ms at %d intra-op threads; one loader thread makes a batch in %.2f ms: %.1f×.",
          1e3 * step, options.stepThreads, 1e3 * loaderSeconds, step / loaderSeconds))
    }
    return report
  }

  /// Uniformly random uint8 images N×3×32×32 with CIFAR-10's normalisation.
  static func randomCIFARShaped(count: Int, seed: UInt64) throws -> ImageDataset {
    var rng = SplitMix64(seed: seed)
    let pixels = (0..<(count * 3 * 32 * 32)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    return try ImageDataset(
      name: "random-cifar-shaped", images: Tensor(pixels, shape: [count, 3, 32, 32]),
      labels: Tensor((0..<count).map { Int64($0 % 10) }), classCount: 10, normalization: .cifar10)
  }

  /// Text data sets to time beside Fashion-MNIST: tokenized BBC News from the data cache (cleaned,
  /// encoded, padded per batch to its longest document, at most 400 tokens).
  static func textSources(_ options: Options) throws -> [(name: String, augmentation: String, source: any BatchSource)]
  {
    let prepared = try TextPipeline.prepare(try TextSet.bbcNews.load())
    return [("bbc-news/train", "tokens (max \(prepared.maxLength))", prepared.train)]
  }

  struct Measurement {
    let batches: Int
    let rows: Int
    let samples: Int
    let seconds: Double
  }

  /// Times the first `batches` batches of epoch 0, from starting the epoch (threads included) to
  /// receiving the last; one untimed batch first warms libtorch's allocator and kernels.
  static func measure(_ loader: DataLoader, batches: Int) throws -> Measurement {
    _ = try loader.batch(epoch: 1, index: 0)
    let wanted = min(batches, loader.batchCount)
    let start = Stopwatch.now()
    let epoch = loader.epoch(0)
    var taken = 0, rows = 0, samples = 0
    while taken < wanted, let batch = try epoch.next() {
      // Samples are source items; a strong batch has two rows per item.
      samples += min(loader.batchSize, loader.source.count - taken * loader.batchSize)
      rows = max(rows, batch.inputs.size(0))
      taken += 1
    }
    let seconds = Stopwatch.now() - start
    epoch.cancel()
    return Measurement(batches: taken, rows: rows, samples: samples, seconds: seconds)
  }

  /// Median seconds of one SCPL training step (every component's forward, local loss, backward
  /// and Adam update) of the default demo model, a VGG at width 0.125, on one batch.
  static func trainingStepSeconds(_ data: ImageDataset, batchSize: Int) throws -> Double {
    let model = try VGG.build(sampleShape: data.sampleShape, classes: data.classCount, width: 0.125)
    let method = try SCPLMethod(model: model, options: MethodOptions())
    let batch = try DataLoader(data, batchSize: batchSize, seed: 1).batch(epoch: 0, index: 0)
    let times = try Stopwatch.measure(repeats: 10, warmup: 2) {
      _ = try method.trainStep(inputs: batch.inputs, labels: batch.labels)
    }
    return times.median
  }
}
