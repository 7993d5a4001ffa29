import Foundation

/// Everything that can be wrong with a simulation's input, each said in one sentence.
public enum SimulationError: Error, Equatable, CustomStringConvertible, LocalizedError {
  /// A schedule name that is not one.
  case unknownSchedule(String)
  /// A stage count below 1.
  case stagesOutOfRange(Int)
  /// A micro-batch count below 1.
  case microBatchesOutOfRange(Int)
  /// A batch count below 1.
  case batchesOutOfRange(Int)
  /// An update policy name that is not one.
  case unknownUpdatePolicy(String)
  /// A costs file or name that cannot be used, and why.
  case badCostsFile(path: String, reason: String)
  /// Costs for another number of stages than the one asked for.
  case stageCountMismatch(path: String, inFile: Int, requested: Int)
  /// A trace that cannot be read as stage costs, and why.
  case badTrace(path: String, reason: String)
  /// Both a costs file and a trace were given.
  case costsAndTrace(costs: String, trace: String)
  /// A chunks-per-device count below 1.
  case chunksOutOfRange(Int)
  /// Fewer than one replica.
  case replicasOutOfRange(Int)
  /// Interleaved 1F1B with a micro-batch count that is not a multiple of the device count.
  case interleavedMicroBatches(microBatches: Int, devices: Int)

  /// The error's sentence.
  public var description: String {
    switch self {
    case .unknownSchedule(let name):
      let names = ScheduleSimulator.Schedule.allCases.map(\.rawValue).joined(separator: ", ")
      return "Unknown schedule '\(name)'; choose one of \(names) or all."
    case .stagesOutOfRange(let k):
      return "The number of stages must be at least 1, got \(k)."
    case .microBatchesOutOfRange(let m):
      return "The number of micro-batches must be at least 1, got \(m)."
    case .batchesOutOfRange(let n):
      return "The number of batches must be at least 1, got \(n)."
    case .unknownUpdatePolicy(let name):
      let names = ScheduleSimulator.UpdatePolicy.allCases.map(\.rawValue).joined(separator: ", ")
      return "Unknown update policy '\(name)'; choose one of \(names)."
    case .badCostsFile(let path, let reason):
      return "The costs file \(path) cannot be used: \(reason)."
    case .stageCountMismatch(let path, let inFile, let requested):
      return "The costs in \(path) describe \(inFile) stage(s) but --stages asks for \(requested)."
    case .badTrace(let path, let reason):
      return "The trace \(path) cannot be read as stage costs: \(reason)."
    case .costsAndTrace(let costs, let trace):
      return "Give the costs either as --costs (\(costs)) or as --from-trace (\(trace)), not both."
    case .chunksOutOfRange(let v):
      return "The number of chunks per device must be at least 1, got \(v)."
    case .replicasOutOfRange(let r):
      return "The number of replicas must be at least 1, got \(r)."
    case .interleavedMicroBatches(let m, let k):
      return
        "interleaved-1f1b sends micro-batches round the \(k) devices in groups of \(k), so --micro-batches must be a multiple of \(k), got \(m)."
    }
  }

  /// The same sentence as `description`.
  public var errorDescription: String? { description }
}
