import ArgumentParser
import Foundation
import SCPL
import Torch

/// `scpl selftest`: every schedule, on the devices it is given, against the same schedule on CPU
/// workers (`DeviceSelfTest`). The check to run first on a new GPU machine.
struct SelfTest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "selftest",
    abstract:
      "Check that every schedule trains the right weights on these devices (GPUs: --cuda), against the same schedule on CPU workers.",
    discussion: """
      Each schedule (BP: off, nmp, gpipe; SCPL: off, overlap, async, scpl-gpipe) trains 3 steps of a small VGG and \
      a small LSTM on fixed random batches, on the devices under test and on as many CPU workers, and the weights and \
      losses must agree within the tolerance (relative to each tensor's largest value). Exits non-zero if one does not.
      """)

  @Flag(
    help:
      "Test the GPUs: cuda:0 alone, two lanes of cuda:0 (cuda:0x2: two streams of one GPU), and cuda:0,cuda:1 when there are two GPUs."
  )
  var cuda = false
  @Option(
    help:
      "Test these device sets instead, separated by ';' (e.g. 'cuda:0;cuda:0x2'). Default without --cuda: 'cpu:0;cpu:0,cpu:1'."
  )
  var devices: String?
  @Option(
    help:
      "Largest relative difference allowed (default 1e-3: GPUs differ from the CPU by summation order, about 1e-6 per operation)."
  )
  var tolerance = DeviceSelfTest.defaultTolerance
  @Option(help: "Write the outcomes as JSON to this file.") var json: String?

  func run() throws {
    let sets = try deviceSets()
    print(
      "scpl selftest: libtorch \(Engine.libtorchVersion), \(Engine.cudaCompiled ? "CUDA compiled in, \(try Device.cudaDeviceCount) GPU(s)" : "no CUDA"); tolerance \(tolerance)"
    )
    var outcomes: [DeviceSelfTest.Outcome] = []
    for spec in sets {
      outcomes += try DeviceSelfTest.run(on: spec, tolerance: tolerance) { o in
        let what = [(o.devices, 16), (o.model, 5), (o.method, 5), (o.pipeline, 11)].map {
          $0.padding(toLength: $1, withPad: " ", startingAt: 0)
        }.joined()
        print(
          (o.passed ? "ok    " : "FAIL  ") + what
            + String(
              format: "weights %.2e  losses %.2e  %5.1f s", o.maxWeightDifference, o.maxLossDifference, o.seconds)
            + (o.identical ? "  bit for bit" : ""))
      }
    }
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(outcomes).write(to: URL(fileURLWithPath: json), options: .atomic)
    }
    let failed = outcomes.filter { !$0.passed }
    guard failed.isEmpty else {
      throw PipelineError(
        "\(failed.count) of \(outcomes.count) checks differ from the CPU reference by more than \(tolerance): \(failed.map { "\($0.model) \($0.method) \($0.pipeline) on \($0.devices)" }.joined(separator: "; "))"
      )
    }
    print("all \(outcomes.count) checks agree with the CPU reference")
  }

  func deviceSets() throws -> [DeviceSpec] {
    if let devices {
      return try devices.split(separator: ";").map { try DeviceSpec(parsing: String($0)) }
    }
    guard cuda else { return [try .cpuWorkers(1), try .cpuWorkers(2)] }
    let gpus = try Device.cudaDeviceCount
    guard gpus > 0 else {
      throw ConfigError(
        "--cuda: this libtorch \(Engine.cudaCompiled ? "sees no GPU" : "has no CUDA (a CPU build)"); `scpl --version` says what it runs on, docs/gpu.md how to build with CUDA"
      )
    }
    return try ["cuda:0", "cuda:0x2"].map { try DeviceSpec(parsing: $0) }
      + (gpus > 1 ? [try DeviceSpec(parsing: "cuda:0,cuda:1")] : [])
  }
}
