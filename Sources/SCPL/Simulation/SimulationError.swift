import Foundation

/// Everything that can be wrong with a simulation's input, each said in one sentence.
public enum SimulationError: Error, Equatable, CustomStringConvertible, LocalizedError {
  case unknownSchedule(String)
  case stagesOutOfRange(Int)
  case microBatchesOutOfRange(Int)
  case batchesOutOfRange(Int)
  case unknownUpdatePolicy(String)
  case badCostsFile(path: String, reason: String)
  case stageCountMismatch(path: String, inFile: Int, requested: Int)
  case badTrace(path: String, reason: String)
  case costsAndTrace(costs: String, trace: String)

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
    }
  }

  public var errorDescription: String? { description }
}
