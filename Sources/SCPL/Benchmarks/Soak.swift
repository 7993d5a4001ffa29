import Data
import Foundation
import Torch

/// A long run of training steps that watches for leaks and slow-downs (`scpl bench soak`,
/// `make soak`): resident memory and the median step time, window by window.
public enum Soak {
  /// One window of a soak run: memory and step time at its end.
  public struct Window: Codable, Sendable {
    /// Steps done at the end of the window.
    public var step: Int
    /// The process's resident memory at the end of the window, in MiB.
    public var residentMiB: Double
    /// Median interval between consecutive batches leaving the executor, in the window.
    public var medianStepSeconds: Double
  }

  /// Trains `config`'s method under its pipeline on `data`, epoch after epoch, for `steps` steps,
  /// and records a window every `every` steps (`report` sees each as it closes).
  public static func run(
    _ config: TrainConfig, data: LoadedData, steps: Int, every: Int,
    report: (Window) -> Void = { _ in }
  ) throws -> [Window] {
    let setup = try RunSetup(config, data: data, seed: config.seed, loaderThreads: 1)
    let (loader, executor) = (setup.loader, setup.executor)
    defer { executor.shutdown() }
    var windows: [Window] = []
    var intervals: [Double] = []
    var done = 0
    var last = Stopwatch.now()
    var epoch = 0
    struct Enough: Error {}
    while done < steps {
      epoch += 1
      let feed = BatchFeed(loader.epoch(epoch))
      do {
        try executor.trainEpoch(feed) { _ in
          let now = Stopwatch.now()
          intervals.append(now - last)
          last = now
          done += 1
          if done % every == 0 {
            let window = Window(
              step: done, residentMiB: Double(try HostMemory.residentBytes()) / 1_048_576,
              medianStepSeconds: intervals.median)
            windows.append(window)
            report(window)
            intervals.removeAll(keepingCapacity: true)
          }
          if done >= steps { throw Enough() }
        }
      } catch is Enough {}
      try feed.rethrow()
    }
    return windows
  }

  /// What the windows say after the first `warmup` of them: resident memory's growth from the
  /// first window after warm-up to the largest after it, and the last window's median step time
  /// over the first's after warm-up.
  public struct Verdict: Sendable {
    /// Resident memory's growth after warm-up, in MiB: the largest window's minus the first's.
    public let growthMiB: Double
    /// The last window's median step time over the first's after warm-up.
    public let stepTimeRatio: Double

    /// Judges `windows` after dropping the first `warmup`; throws if fewer than two are left.
    public init(_ windows: [Window], warmup: Int) throws {
      let settled = Array(windows.dropFirst(warmup))
      guard let first = settled.first, let last = settled.last, settled.count >= 2 else {
        throw ConfigError(
          "a soak needs at least two windows after the \(warmup) of warm-up, got \(settled.count): run more --steps or report more often"
        )
      }
      growthMiB = settled.map(\.residentMiB).max()! - first.residentMiB
      stepTimeRatio = last.medianStepSeconds / first.medianStepSeconds
    }

    /// The sentences of the bounds it breaks (empty: it passes).
    public func failures(maxGrowthMiB: Double, maxStepTimeRatio: Double) -> [String] {
      var out: [String] = []
      if growthMiB > maxGrowthMiB {
        out.append(
          String(
            format:
              "resident memory grew by %.1f MiB after warm-up (bound %.0f MiB): something keeps tensors, queue entries or cache blocks",
            growthMiB, maxGrowthMiB))
      }
      if stepTimeRatio > maxStepTimeRatio {
        out.append(
          String(
            format: "the median step time drifted to %.2f× its first value after warm-up (bound %.2f×)", stepTimeRatio,
            maxStepTimeRatio))
      }
      return out
    }
  }
}
