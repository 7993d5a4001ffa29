import Foundation

/// The jobs of one step, submitted through it: `settle()` waits for every one, so that whatever
/// failed, no job of the step still runs once the step returns (`defer { jobs.settle() }`).
final class JobSet {
  private var submitted: [() -> Void] = []

  func submit<T>(_ worker: DeviceWorker, _ body: @escaping () throws -> T) throws -> Pending<T> {
    let job = try worker.submit(body)
    submitted.append { _ = job.outcome() }
    return job
  }

  func settle() {
    for wait in submitted { wait() }
  }
}
