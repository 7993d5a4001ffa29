import Dispatch
import Foundation
import SCPL

/// SIGINT and SIGTERM during `scpl train`: the first asks the trainer to stop after the step in
/// flight (the pipeline drains, a checkpoint of that step is written, summary.json says
/// interrupted, and the process exits with 128 + the signal's number); a second one ends the
/// process at once: summary.json says interrupted and why, then `_exit`, with no drain, no
/// checkpoint and no C++ destructor racing the workers still inside libtorch (`exit` would run
/// them, and did crash or hang). `scpl launch` handles them through the same `handle(first:second:)`.
///
/// `timeout` sends its signal twice (to the child, then to its process group), which counts as a
/// second signal: `timeout --foreground` signals only scpl and gets the first, resumable stop.
enum StopSignals {
  static let handled: [(number: Int32, name: String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")]
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  private static let received = StopRequest()

  static func install(for trainer: Trainer) {
    handle(
      first: { name in
        trainer.stopRequest.request(name)
        say("\n\(name): stopping after the current step (send it again to stop at once)\n")
      },
      second: { name in
        let sentence = trainer.abandon(because: "stopped at once by a second \(name)")
        say("\n\(name) again: \(sentence)\n")
      })
  }

  /// Ranks other than 0 of a distributed run: rank 0 decides when the run stops (Ctrl-C reaches
  /// every rank of `scpl launch` at once, and rank 0 then drains the pipeline and writes a
  /// checkpoint, which needs the other ranks), so the first signal only says so.
  static func installForServingRank(_ rank: Int) {
    handle(
      first: { name in
        say("\n\(name): rank \(rank) goes on until rank 0 stops the run (send it again to stop this rank at once)\n")
      },
      second: { name in say("\n\(name) again: rank \(rank) stops now\n") })
  }

  /// The first SIGINT or SIGTERM runs `first`; a second runs `second`, then the process ends
  /// with 128 + its number through `_exit` (no atexit handlers, no static destructors).
  static func handle(
    first: @escaping @Sendable (_ signal: String) -> Void, second: @escaping @Sendable (_ signal: String) -> Void
  ) {
    for (number, name) in handled {
      signal(number, SIG_IGN)  // delivered to the dispatch source instead
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        // Two signals that arrive before this handler runs come as one event of data 2.
        if received.signalName != nil || source.data > 1 {
          second(name)
          _exit(128 + number)  // stdout is line-buffered: what was printed whole is out
        }
        received.request(name)
        first(name)
      }
      source.resume()
      sources.append(source)
    }
  }

  /// Writes to standard error with one `write`, which no lock of the process can block.
  static func say(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
  }

  /// The exit status for a run stopped by `name`: 128 + its number, as a shell reports it.
  static func exitStatus(_ name: String?) -> Int32 {
    128 + (handled.first { $0.name == name }?.number ?? SIGINT)
  }
}
