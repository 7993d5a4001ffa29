import Foundation
import Torch

/// What device d keeps of one micro-batch's forward under gpipe and scpl-gpipe; `handoff` is
/// the detached output on the next device (nil on the last device).
protocol MicroBatchForward {
  var handoff: Activation? { get }
}

extension DeviceGroup {
  /// GPipe's pipelined forwards, shared by gpipe and scpl-gpipe: for each micro-batch m in order
  /// and each device d, one job on device d's worker that takes micro-batch m from device d−1's
  /// job (device 0 from `input(m)`) and runs `forward` with device d's share of it. Device d goes
  /// on with m+1 while d+1 runs m. Right after device d's last micro-batch is queued,
  /// `queuedAll(d, jobs)` may queue what device d does next (scpl-gpipe's learning), so that it
  /// is not held up behind later devices' forwards. A job only waits for one on an earlier
  /// device, queued before it, so nothing waits in a cycle.
  ///
  /// With `boundary` only this rank's devices get jobs; the first of them takes each
  /// micro-batch from the rank above (`ProcessBoundary.receiveForward`), and `forward` sends its
  /// output down when the next device is another rank's.
  func pipelinedForwards<F: MicroBatchForward>(
    _ jobs: JobSet, batch t: Int, microBatches count: Int, boundary: ProcessBoundary? = nil,
    input: @escaping (_ m: Int) throws -> Activation,
    queuedAll: (_ d: Int, _ deviceJobs: [Pending<F>]) throws -> Void = { _, _ in },
    _ forward: @escaping (_ share: DeviceShare, _ received: Activation) throws -> F
  ) throws {
    let mine = boundary?.devicesHere ?? 0..<self.count
    var rows: [[Pending<F>]] = []
    for m in 0..<count {
      var row: [Pending<F>] = []
      for d in mine {
        let previous = row.last, share = share(d, batch: t, microBatch: m, of: count)
        row.append(
          try jobs.submit(workers[d]) {
            let received =
              try d == 0
              ? input(m) : previous.map { try $0.wait().handoff! } ?? boundary!.receiveForward(for: share)
            return try forward(share, received)
          })
        if m == count - 1 { try queuedAll(d, rows.map { $0[d - mine.lowerBound] } + [row[d - mine.lowerBound]]) }
      }
      rows.append(row)
    }
  }
}
