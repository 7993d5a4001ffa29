import Foundation

extension ScheduleSimulator {
  /// The costs of every stage, and optionally the micro-batch count they were measured for: what a
  /// costs file holds and what a named cost set is.
  ///
  /// File format (JSON); missing cost keys count as 0, unknown keys are errors:
  ///
  ///     {"stages": [{"forward": 1, "loss": 3, "backward": 4, "update": 3, "transfer": 0, "allreduce": 0}, ...],
  ///      "microBatches": 3}
  public struct CostModel: Equatable, Sendable {
    /// The cost set's name, for reports: "figure13", "uniform", or a file's "name" (else its base name).
    public var name: String
    /// One entry per stage.
    public var stages: [StageCosts]
    /// The micro-batch count the costs were measured for, if any (a `Setup` uses it unless told otherwise).
    public var microBatches: Int?

    /// A cost set called `name` of `stages`, measured for `microBatches` if given.
    public init(name: String, stages: [StageCosts], microBatches: Int? = nil) {
      self.name = name
      self.stages = stages
      self.microBatches = microBatches
    }

    /// `StageCosts.unit` on every one of `stages` stages.
    public static func uniform(stages: Int) -> CostModel {
      CostModel(name: "uniform", stages: Array(repeating: .unit, count: max(stages, 0)))
    }

    /// The paper's Figure 13 (appendix A.5) as reconstructed here: 4 GPUs, 3 micro-batches; forward
    /// 1 per micro-batch on any layer, loss 3 per mini-batch, backward 4/4/2/1 per micro-batch on
    /// layers 1…4, update 3, no transfer cost.
    public static let figure13 = CostModel(
      name: "figure13",
      stages: [4.0, 4, 2, 1].map { StageCosts(forward: 1, loss: 3, backward: $0, update: 3, transfer: 0) },
      microBatches: 3)

    /// The built-in cost sets by name.
    public static let named: [String: CostModel] = ["figure13": figure13]

    /// A built-in set by name, or else the JSON file at that path.
    public static func load(_ nameOrPath: String) throws -> CostModel {
      if let set = named[nameOrPath] { return set }
      let url = URL(fileURLWithPath: nameOrPath)
      let data: Data
      do {
        data = try Data(contentsOf: url)
      } catch {
        let names = named.keys.sorted().joined(separator: ", ")
        throw SimulationError.badCostsFile(
          path: nameOrPath, reason: "it is neither a readable file nor a built-in cost set (\(names))")
      }
      return try parse(data, path: nameOrPath)
    }

    /// Parses the JSON format above; `path` only names the source in error messages.
    public static func parse(_ data: Data, path: String) throws -> CostModel {
      func fail(_ reason: String) -> SimulationError { .badCostsFile(path: path, reason: reason) }
      let top: Any
      do {
        top = try JSONSerialization.jsonObject(with: data)
      } catch {
        throw fail("it is not valid JSON")
      }
      guard let object = top as? [String: Any] else {
        throw fail("the top level must be an object with a \"stages\" array")
      }
      if let extra = object.keys.sorted().first(where: { !["stages", "microBatches", "name"].contains($0) }) {
        throw fail("unknown key '\(extra)' at the top level (expected stages, microBatches, name)")
      }
      guard let list = object["stages"] as? [Any], !list.isEmpty else {
        throw fail("\"stages\" must be a non-empty array of objects")
      }
      var stages: [StageCosts] = []
      for (i, item) in list.enumerated() {
        guard let entry = item as? [String: Any] else { throw fail("stage \(i) is not an object") }
        if let extra = entry.keys.sorted().first(where: { !StageCosts.keys.contains($0) }) {
          throw fail("stage \(i) has unknown key '\(extra)' (expected \(StageCosts.keys.joined(separator: ", ")))")
        }
        var v: [Double] = []
        for key in StageCosts.keys {
          guard let raw = entry[key] else { v.append(0); continue }
          guard !isJSONBoolean(raw), let number = (raw as? NSNumber)?.doubleValue, number.isFinite, number >= 0 else {
            throw fail("stage \(i) \(key) must be a non-negative number")
          }
          v.append(number)
        }
        stages.append(
          StageCosts(forward: v[0], loss: v[1], backward: v[2], update: v[3], transfer: v[4], allreduce: v[5]))
      }
      var micro: Int?
      if let raw = object["microBatches"] {
        guard !isJSONBoolean(raw), let n = raw as? Int, n >= 1 else {
          throw fail("\"microBatches\" must be a positive integer")
        }
        micro = n
      }
      let name = (object["name"] as? String) ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
      return CostModel(name: name, stages: stages, microBatches: micro)
    }

    /// This model in the file format.
    public func json() throws -> Data {
      var object: [String: Any] = [
        "name": name,
        "stages": stages.map { s in Dictionary(uniqueKeysWithValues: zip(StageCosts.keys, s.values)) }
      ]
      if let m = microBatches { object["microBatches"] = m }
      return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
  }
}

/// JSONSerialization gives true/false as an NSNumber subclass that also casts to numbers; tell
/// them apart by class so that `"forward": true` is an error rather than a cost of 1.
private func isJSONBoolean(_ value: Any) -> Bool {
  String(describing: type(of: value)).contains("Boolean") || type(of: value) == Bool.self
}
