import Foundation
import Torch

/// One device's worker: a dedicated OS thread that runs the jobs of its bounded inbox one after
/// another, in order.
///
/// It is a Foundation `Thread`, not a Swift task: libtorch calls block for as long as the
/// kernels run, and the intra-op thread count that `Threads.setThreadCount` sets belongs to the
/// calling OS thread (docs/threads.md). The worker sets it first thing, so every op it runs uses
/// exactly `threads` cores' worth of OpenMP threads. A GPU worker also makes a CUDA stream of its
/// own current on its thread, so its kernels queue apart from every other worker's.
///
/// A job's value or error comes back through its `Pending`; nothing is lost and nothing crashes
/// the worker. `shutdown()` cancels the jobs still queued, lets the running one finish, and joins
/// the thread. Submitting from a worker to *itself* while its inbox is full would wait forever;
/// executors only ever submit downstream.
public final class DeviceWorker: @unchecked Sendable {
  /// The device's position in the run's device list.
  public let index: Int
  /// The device the worker computes on.
  public let device: ComputeDevice
  /// libtorch intra-op threads the worker's thread uses.
  public let threads: Int
  /// The worker's CUDA stream (a GPU device's; nil on a CPU worker).
  public let stream: CUDAStream?

  private struct Job {
    let run: () -> Void
    let cancel: (Error) -> Void
  }

  private let inbox: BlockingQueue<Job>
  private let finished = Pending<Void>()
  /// Fulfilled by the first `shutdown()`, once its queued jobs are cancelled and its inbox closed.
  private let shutDownAsked = Pending<Void>()
  private var thread: Thread!
  private let stateLock = NSLock()
  private var shutDown = false

  /// Starts the worker. Throws (after joining the thread) when the thread count cannot be set.
  /// `stream`: the GPU worker's stream (default: a new one from libtorch's pool). `elsewhere`:
  /// streams of other GPUs the worker's thread also makes current there (`DeviceGroup`), so work
  /// it issues on another GPU (BP's backward and update reach every GPU) queues behind that
  /// GPU's own worker instead of on a stream nobody waits for; the thread holds them.
  public init(
    index: Int, device: ComputeDevice, threads: Int = 1, queueDepth: Int = 2, stream: CUDAStream? = nil,
    elsewhere: [CUDAStream] = []
  ) throws {
    guard threads >= 1 else { throw PipelineError("device \(index) needs at least 1 intra-op thread, got \(threads)") }
    guard queueDepth >= 1 else { throw PipelineError("the queue depth must be at least 1, got \(queueDepth)") }
    self.index = index
    self.device = device
    self.threads = threads
    inbox = BlockingQueue(capacity: queueDepth)
    do {
      self.stream = try stream ?? device.gpu.map { try CUDAStream(gpu: $0) }
    } catch {
      throw PipelineError("device \(index) (\(device)) could not get a CUDA stream: \(error)")
    }
    let started = Pending<Void>()
    // The thread holds the inbox and the `finished` flag, never the worker, so dropping the last
    // reference to a worker still reaches `deinit`, which shuts it down.
    thread = Thread { [inbox, finished, stream = self.stream] in
      Thread.current.name = "scpl-device\(index)"  // Linux keeps 15 characters; shows in gdb and top -H
      started.fulfil(
        Result {
          try Threads.setThreadCount(threads)
          try stream?.makeCurrent()
          for other in elsewhere { try other.makeCurrent() }
        })
      while let job = inbox.take() { job.run() }
      finished.fulfil(.success(()))
    }
    thread.stackSize = 16 << 20  // like a main thread: deep module trees recurse in Swift
    thread.start()
    if case .failure(let error) = started.outcome() {
      shutdown()
      throw PipelineError(
        "device \(index) (\(device)) could not start (\(threads) intra-op thread(s)\(self.stream == nil ? "" : ", its CUDA stream")): \(error)"
      )
    }
  }

  deinit { shutdown() }

  /// Queues `body`, waiting while the inbox is full. Throws if the worker has been shut down.
  /// If `shutdown()` cancels the job before it runs, its `Pending` fails and `onCancel` is
  /// called (on the thread calling `shutdown`), so a pipeline that waits for every batch hears
  /// about this one too.
  @discardableResult
  public func submit<T>(onCancel: ((Error) -> Void)? = nil, _ body: @escaping () throws -> T) throws -> Pending<T> {
    let pending = Pending<T>()
    let job = Job(
      run: { pending.fulfil(Result { try body() }) },
      cancel: {
        pending.fulfil(.failure($0)); onCancel?($0)
      })
    do {
      try inbox.put(job)
    } catch {
      throw PipelineError("device \(index) (\(device)) has been shut down and takes no more work")
    }
    return pending
  }

  /// Runs `body` on the worker and returns its value (rethrowing its error). Called from the
  /// worker's own thread it runs inline rather than waiting for itself.
  public func run<T>(_ body: @escaping () throws -> T) throws -> T {
    if Thread.current === thread { return try body() }
    return try submit(body).wait()
  }

  /// Cancels queued jobs (their `Pending`s throw), waits for the running one and joins the
  /// thread. Idempotent; producers blocked on a full inbox are woken with an error.
  public func shutdown() {
    stateLock.lock()
    let first = !shutDown
    shutDown = true
    stateLock.unlock()
    if first {
      let error = PipelineError("device \(index) (\(device)) was shut down before this job ran")
      for job in inbox.close(discardingPending: true) { job.cancel(error) }
      shutDownAsked.fulfil(.success(()))
    }
    if Thread.current !== thread { _ = finished.outcome() }
  }

  /// Waits (at most `seconds`) until `shutdown()` has been asked and has closed the inbox; true if
  /// it has. Lets a job that must not finish before a shutdown wait for that event.
  func waitUntilShutDown(seconds: Double) -> Bool { shutDownAsked.wait(seconds: seconds) }

  /// True once the thread has left its loop (after `shutdown`).
  public var hasExited: Bool { finished.isDone }

  /// Waits (at most `seconds`) until `n` producers are blocked on this worker's full inbox.
  func waitForProducers(_ n: Int, seconds: Double) -> Bool { inbox.waitForProducers(n, seconds: seconds) }

}
