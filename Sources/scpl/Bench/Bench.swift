import ArgumentParser
import Foundation
import SCPL

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure speed; every figure is printed and saved as JSON and Markdown.",
    subcommands: [Engine.self, TrainSteps.self]
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
