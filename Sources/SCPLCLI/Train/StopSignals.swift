import Dispatch
import Foundation
import SCPL

/// SIGINT and SIGTERM during `scpl train`: the first asks the trainer to stop after the step in
/// flight (the run folder keeps its newest checkpoint, summary.json says
/// interrupted, and the process exits with 128 + the signal's number); a second one exits at once.
/// `scpl launch` handles them through the same `handle(first:second:)`.
enum StopSignals {
  static let handled: [(number: Int32, name: String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")]
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  private static let received = StopRequest()

  static func install(for request: StopRequest) {
    announcing { name in
      request.request(name)
      return "stopping after the current step (send it again to stop at once)"
    }
  }

  /// Ranks other than 0 of a distributed run: rank 0 decides when the run stops (Ctrl-C reaches
  /// every rank of `scpl launch` at once, and rank 0 then drains the pipeline and writes a
  /// checkpoint, which needs the other ranks), so the first signal only says so.
  static func installForServingRank(_ rank: Int) {
    announcing { _ in "rank \(rank) goes on until rank 0 stops the run (send it again to stop this rank at once)" }
  }

  /// The first SIGINT or SIGTERM runs `first` and prints its answer; a second says so and exits
  /// at once.
  static func announcing(_ first: @escaping @Sendable (_ signal: String) -> String) {
    handle(first: { FileHandle.standardError.write(Data("\n\($0): \(first($0))\n".utf8)) },
           second: { FileHandle.standardError.write(Data("\n\($0) again: stopping now\n".utf8)) })
  }

  /// The first SIGINT or SIGTERM runs `first`; a second runs `second`, then the process exits
  /// with 128 + its number.
  static func handle(first: @escaping @Sendable (_ signal: String) -> Void, second: @escaping @Sendable (_ signal: String) -> Void) {
    for (number, name) in handled {
      signal(number, SIG_IGN)  // delivered to the dispatch source instead
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if received.signalName != nil {
          second(name)
          exit(128 + number)
        }
        received.request(name)
        first(name)
      }
      source.resume()
      sources.append(source)
    }
  }

  /// The exit status for a run stopped by `name`: 128 + its number, as a shell reports it.
  static func exitStatus(_ name: String?) -> Int32 {
    128 + (handled.first { $0.name == name }?.number ?? SIGINT)
  }
}
