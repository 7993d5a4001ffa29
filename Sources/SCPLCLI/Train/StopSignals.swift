import Dispatch
import Foundation
import SCPL

/// SIGINT and SIGTERM during `scpl train`: the first asks the trainer to stop after the step in
/// flight (the run folder keeps its newest checkpoint, summary.json says
/// interrupted, and the process exits with 128 + the signal's number); a second one exits at once.
enum StopSignals {
  static let handled: [(number: Int32, name: String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")]
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
  private static let received = StopRequest()

  static func install(for request: StopRequest) {
    for (number, name) in handled {
      signal(number, SIG_IGN)  // delivered to the dispatch source instead
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if received.signalName != nil {
          FileHandle.standardError.write(Data("\n\(name) again: stopping now\n".utf8))
          exit(128 + number)
        }
        received.request(name)
        request.request(name)
        FileHandle.standardError.write(Data("\n\(name): stopping after the current step (send it again to stop at once)\n".utf8))
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
