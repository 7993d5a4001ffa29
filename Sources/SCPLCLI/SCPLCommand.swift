import ArgumentParser
import Foundation
import Data
import NN
import SCPL
import Torch

/// The `scpl` tool: its commands live in this library so tests can parse and run them; the
/// executable target is one line that calls `SCPLCommand.start()`.
public struct SCPLCommand: ParsableCommand {
  /// A command with every option at its default; ArgumentParser fills them in as it parses.
  public init() {}

  /// Runs the tool for this process's command line (after choosing BLAS kernels and the host
  /// memory allocator, which must happen before libtorch allocates).
  public static func start() {
    // Line by line whatever standard output is: a log file, a pipe or `tee` sees each line as it
    // is printed, not when a 4 KiB buffer fills or the process ends.
    setvbuf(stdout, nil, _IOLBF, 0)
    Engine.prepareProcess()
    if CommandLine.arguments.dropFirst().first == "--version" {
      print(versionText)
      return
    }
    main(nil)
  }

  /// `scpl --version`: this tool, the libtorch it runs on, its BLAS, and the GPUs it can use.
  static var versionText: String {
    let gpus = (try? Device.cudaDeviceCount).map(String.init) ?? "unknown (the CUDA runtime did not answer)"
    return """
      scpl-swift 0.1.0
      libtorch \(EngineInfo.libtorchVersion)
      BLAS: \(EngineInfo.blas)
      CUDA: \(EngineInfo.cudaCompiled ? "compiled in, \(gpus) GPU(s) visible" : "not compiled in (a CPU build of libtorch)")
      host memory: \(EngineInfo.hostMemory)
      crash reports: \(ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"].map { "SWIFT_BACKTRACE=\($0)" } ?? "Swift's defaults (never interactive off a terminal)")
      """
  }

  /// The command's name, summary and subcommands (`train` when none is named).
  public static let configuration = CommandConfiguration(
    commandName: "scpl",
    abstract: "Train and measure networks with Supervised Contrastive Parallel Learning and its baselines.",
    subcommands: [
      Train.self, Launch.self, Eval.self, Bench.self, Simulate.self, Report.self, Summary.self, Datasets.self,
      SelfTest.self
    ],
    defaultSubcommand: Train.self
  )
}

// The closed sets of options are read by ArgumentParser straight into their enums; an unknown
// value is refused with the list of choices before any command runs.
extension ModelKind: ExpressibleByArgument {}
extension MethodKind: ExpressibleByArgument {}
extension DatasetName: ExpressibleByArgument {}
extension LearningRateScheduleKind: ExpressibleByArgument {}
extension NonFinitePolicy: ExpressibleByArgument {}
extension PipelineKind: ExpressibleByArgument {}
extension ProjectionKind: ExpressibleByArgument {}
extension PredictorKind: ExpressibleByArgument {}
extension Augmentation: ExpressibleByArgument {}
extension SupervisedContrastiveLoss.Divisor: ExpressibleByArgument {}
extension ResNet18.Shortcut: ExpressibleByArgument {}
extension LocalObjectiveKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
