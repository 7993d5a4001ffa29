import ArgumentParser
import Data
import Foundation
import SCPL

extension Bench {
  /// `scpl bench soak` (`make soak`): thousands of steps of SCPL under the async pipeline on small
  /// real inputs, watching resident memory and the step time for leaks and drift.
  struct SoakRun: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "soak",
      abstract: "Train thousands of steps and fail if resident memory grows or the step time drifts after warm-up.",
      discussion: """
        Trains --method under --pipeline over --devices on the first --limit-train images of Fashion-MNIST \
        (epoch after epoch) for --steps steps, and every --every steps prints the resident memory and the \
        median step time of the last window. After the first --warmup windows it fails (exit status 1, with \
        the reason) if resident memory grew by more than --max-growth-mib or the last window's median step \
        time is more than --max-drift times the first's. docs/reliability.md explains the bounds.
        """)

    @Option(help: "Training steps in all.") var steps = 3000
    @Option(help: "Steps per window (one line each).") var every = 250
    @Option(help: "Windows of warm-up before the bounds apply.") var warmup = 2
    @Option(help: "Most resident-memory growth allowed after warm-up, in MiB.") var maxGrowthMib = 64.0
    @Option(help: "Most the median step time may grow after warm-up, as a ratio.") var maxDrift = 1.5
    @Option(help: "The network.") var model: ModelKind = .vgg
    @Option(help: "The method.") var method: MethodKind = .scpl
    @Option(help: "The pipeline.") var pipeline: PipelineKind = .async
    @Option(help: "Devices (a count, or cpu:0,cpu:1,…).") var devices = "2"
    @Option(help: "Channel width multiplier.") var width = 0.0625
    @Option(help: "Samples per batch.") var batchSize = 32
    @Option(help: "Training images used (the epoch's length).") var limitTrain = 2048

    func run() throws {
      var p = PartialTrainConfig()
      p.model = model; p.method = method; p.dataset = .fashionMNIST; p.pipeline = pipeline;
      p.devices = try DeviceSpec(parsing: devices)
      p.width = width; p.batchSize = batchSize; p.limitTrain = limitTrain; p.limitTest = 1; p.aug = Augmentation.none
      p.lrSchedule = .constant
      let config = try p.resolved()
      let data = try DatasetCatalog.load(config)
      print(
        "soak: \(model) · \(method) · \(pipeline) on \(devices) device(s), batch \(batchSize), \(steps) steps on \(limitTrain) images"
      )
      print("| step | resident MiB | median step ms |")
      print("|---|---|---|")
      let windows = try Soak.run(config, data: data, steps: steps, every: every) { w in
        print(String(format: "| %d | %.1f | %.2f |", w.step, w.residentMiB, 1000 * w.medianStepSeconds))
      }
      let verdict = try Soak.Verdict(windows, warmup: warmup)
      print(
        String(
          format:
            "after %d window(s) of warm-up: resident memory grew %.1f MiB (bound %.0f), step time ×%.2f (bound ×%.2f)",
          warmup, verdict.growthMiB, maxGrowthMib, verdict.stepTimeRatio, maxDrift))
      let failures = verdict.failures(maxGrowthMiB: maxGrowthMib, maxStepTimeRatio: maxDrift)
      if !failures.isEmpty {
        for f in failures { print("soak failed: \(f)") }
        throw ExitCode(1)
      }
      print("soak passed")
    }
  }
}
