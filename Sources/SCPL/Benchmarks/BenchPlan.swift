import Foundation

/// What `scpl bench` will time, resolved from its options and checked before anything runs: the
/// method:pipeline runs, the ones left out with the reason, and the batch sizes. Every run is
/// timed at every batch size.
public struct BenchPlan: Equatable, Sendable {
  /// One method run under one pipeline schedule, written "method:pipeline".
  public struct Run: Hashable, Sendable, CustomStringConvertible {
    /// The training method.
    public var method: MethodKind
    /// The pipeline schedule it runs under.
    public var pipeline: PipelineKind

    /// The run of `method` under `pipeline`.
    public init(_ method: MethodKind, _ pipeline: PipelineKind) {
      self.method = method
      self.pipeline = pipeline
    }

    /// "scpl:async", the form `--runs` takes.
    public var description: String { "\(method.rawValue):\(pipeline.rawValue)" }
  }

  /// A run left out of the plan, with the reason it cannot run.
  public struct Skip: Equatable, Sendable {
    /// The run left out.
    public var run: Run
    /// `PipelineKind.check`'s sentence.
    public var reason: String
  }

  /// The runs to time, in order.
  public var runs: [Run]
  /// The runs of the cross product that cannot run on the benchmark's devices.
  public var skipped: [Skip]
  /// The batch sizes every run is timed at.
  public var batchSizes: [Int]

  /// The devices a run of `pipeline` gets in a benchmark over `devices`: all of them, except for
  /// `off`, the sequential reference, which runs on one device with all their threads.
  public static func deviceCount(_ pipeline: PipelineKind, benchDevices devices: Int) -> Int {
    pipeline == .off ? 1 : devices
  }

  /// Why `run` cannot be timed on `devices` devices (nil: it can). The rule is the one
  /// `Pipelines.make` enforces, `PipelineKind.check`, so the bench never skips what would run or
  /// tries what would be refused.
  public static func reasonNotToRun(_ run: Run, devices: Int) -> String? {
    do {
      try run.pipeline.check(method: run.method, deviceCount: deviceCount(run.pipeline, benchDevices: devices))
      return nil
    } catch {
      return "\(error)"
    }
  }

  /// Every method with every pipeline, in that order (methods outer), split into the runs that
  /// apply and the ones skipped.
  public static func crossing(methods: [MethodKind], pipelines: [PipelineKind], devices: Int) -> (
    runs: [Run], skipped: [Skip]
  ) {
    var runs: [Run] = [], skipped: [Skip] = []
    for m in methods {
      for p in pipelines {
        let run = Run(m, p)
        if let reason = reasonNotToRun(run, devices: devices) {
          skipped.append(Skip(run: run, reason: reason))
        } else {
          runs.append(run)
        }
      }
    }
    return (runs, skipped)
  }

  /// From the command line: `methods` × `pipelines` (defaults bp,scpl × nmp,overlap,async), or
  /// `runs` as method:pipeline pairs — not both — and `batchSizes`, all comma-separated. A pair
  /// named in `runs` that cannot run is an error (it was asked for by name); a cross-product pair
  /// that cannot run is skipped. If nothing is left to run, that is an error too.
  public static func parse(methods: String?, pipelines: String?, runs: String?, batchSizes: String, devices: Int) throws
    -> BenchPlan
  {
    guard devices >= 1 else { throw PipelineError("a benchmark needs at least one device, got \(devices)") }
    let sizes = try items(batchSizes, option: "--batch-sizes").map { text -> Int in
      guard let n = Int(text), n >= 1 else {
        throw PipelineError("--batch-sizes: '\(text)' is not a batch size (a whole number of at least 1)")
      }
      return n
    }
    if let runs {
      guard methods == nil, pipelines == nil else {
        throw PipelineError(
          "--runs names method:pipeline pairs itself; give either --runs or --methods/--pipelines, not both")
      }
      let pairs = try items(runs, option: "--runs").map { item -> Run in
        let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
          throw PipelineError("--runs: '\(item)' is not method:pipeline (e.g. scpl:async)")
        }
        let run = Run(
          try kind(parts[0], "--runs", MethodKind.init(parsing:)),
          try kind(parts[1], "--runs", PipelineKind.init(parsing:)))
        if let reason = reasonNotToRun(run, devices: devices) {
          throw PipelineError("--runs: \(run) cannot run: \(reason)")
        }
        return run
      }
      return BenchPlan(runs: pairs, skipped: [], batchSizes: sizes)
    }
    let methodKinds = try items(methods ?? "bp,scpl", option: "--methods").map {
      try kind($0, "--methods", MethodKind.init(parsing:))
    }
    let pipelineKinds = try items(pipelines ?? "nmp,overlap,async", option: "--pipelines").map {
      try kind($0, "--pipelines", PipelineKind.init(parsing:))
    }
    let (chosen, skipped) = crossing(methods: methodKinds, pipelines: pipelineKinds, devices: devices)
    guard !chosen.isEmpty else {
      throw PipelineError(
        "no pair of --methods and --pipelines can run: "
          + skipped.map { "\($0.run): \($0.reason)" }.joined(separator: "; "))
    }
    return BenchPlan(runs: chosen, skipped: skipped, batchSizes: sizes)
  }

  /// The comma-separated items of an option, trimmed; an empty list, an empty item or a repeated
  /// one is an error naming the option.
  static func items(_ text: String, option: String) throws -> [String] {
    let list = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard list.contains(where: { !$0.isEmpty }) else {
      throw PipelineError("\(option) is empty: give at least one value")
    }
    if list.contains("") {
      throw PipelineError("\(option) '\(text)' has an empty item (two commas in a row, or one at an end)")
    }
    var seen = Set<String>()
    for item in list where !seen.insert(item.lowercased()).inserted {
      throw PipelineError("\(option) lists '\(item)' more than once")
    }
    return list
  }

  /// Parses one name, prefixing the parser's sentence with the option it came from.
  static func kind<K>(_ text: String, _ option: String, _ parse: (String) throws -> K) throws -> K {
    do { return try parse(text) } catch { throw PipelineError("\(option): \(error)") }
  }
}
