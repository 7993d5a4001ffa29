import Foundation

/// The process's resource counters (getrusage), for what a benchmark's timed steps cost the
/// operating system: minor page faults (pages mapped in, each zeroed by the kernel) and system
/// time. Whole-process counts: every device worker and intra-op thread is included.
public struct ProcessUsage: Equatable, Sendable {
  /// Minor page faults.
  public var minorPageFaults: Int
  /// Seconds spent in the kernel on the process's behalf.
  public var systemSeconds: Double

  /// The counters as they stand now, since the process started.
  public static func now() -> ProcessUsage {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return ProcessUsage(minorPageFaults: usage.ru_minflt, systemSeconds: seconds(usage.ru_stime))
  }

  /// What happened between `earlier` and this reading.
  public func since(_ earlier: ProcessUsage) -> ProcessUsage {
    ProcessUsage(
      minorPageFaults: minorPageFaults - earlier.minorPageFaults, systemSeconds: systemSeconds - earlier.systemSeconds)
  }
}
