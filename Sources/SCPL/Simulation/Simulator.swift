extension ScheduleSimulator {
  /// The one function that does the work: when does each job of a plan start and end?
  ///
  /// Walk the plan in order; a job starts as soon as its device is free (the device's previous
  /// job has ended) and every job it waits for has ended, and it ends `duration` later. Because
  /// a job may only wait for earlier jobs, one pass is exact.
  public static func time(_ plan: [Job]) -> [(start: Double, end: Double)] {
    var deviceFree: [Int: Double] = [:]
    var times: [(start: Double, end: Double)] = []
    times.reserveCapacity(plan.count)
    for (i, job) in plan.enumerated() {
      precondition(job.after.allSatisfy { $0 < i }, "job \(i) waits for a later job")
      let inputsReady = job.after.map { times[$0].end }.max() ?? 0
      let start = max(deviceFree[job.device, default: 0], inputsReady)
      let end = start + job.duration
      times.append((start, end))
      deviceFree[job.device] = end
    }
    return times
  }

  /// Plans, times and summarises one schedule.
  public static func run(_ schedule: Schedule, _ setup: Setup, costsName: String = "custom") throws -> Result {
    try setup.validate()
    if !schedule.applies(to: setup) {
      throw SimulationError.interleavedMicroBatches(microBatches: setup.microBatches, devices: setup.stages.count)
    }
    let plan = schedule.plan(setup)
    let times = time(plan)
    let devices = schedule == .bp ? 1 : setup.stages.count
    // Device d's link (`linkDevice + d`) becomes row `devices + d`, after the compute devices.
    let links = setup.replicas > 1 ? devices : 0
    let work = zip(plan, times).map { job, t in
      Span(
        device: job.device >= linkDevice ? devices + job.device - linkDevice : job.device, stage: job.stage,
        kind: job.kind, microBatch: job.microBatch, batch: job.batch, start: t.start, end: t.end)
    }
    let total = times.map(\.end).max() ?? 0
    let batches = schedule == .async ? setup.batches : 1
    let held = peakInFlight(work)
    return Result(
      schedule: schedule, costsName: costsName, devices: devices, stages: setup.stages.count,
      microBatches: setup.microBatches, batches: batches, update: setup.update, replicas: setup.replicas,
      total: total,
      perBatch: steadyState(work, batches: batches, total: total),
      peakInFlight: held.max() ?? 0, peakInFlightPerStage: held,
      spans: withIdle(work.filter { $0.end > $0.start }, devices: devices + links, total: total))
  }

  /// Per stage (virtual stage under interleaved-1f1b), the most micro-batches (or mini-batches)
  /// whose activations it holds at once: from the start of its forward of one to the end of its
  /// last backward of it (the W pass under zb-h1, which still reads the saved activations).
  static func peakInFlight(_ work: [Span]) -> [Int] {
    struct Key: Hashable {
      let stage: Int, batch: Int, micro: Int
    }
    var from: [Key: Double] = [:], to: [Key: Double] = [:]
    for span in work {
      let key = Key(stage: span.stage, batch: span.batch, micro: span.microBatch ?? 0)
      switch span.kind {
      case .forward: from[key] = min(from[key] ?? span.start, span.start)
      case .backward, .weight: to[key] = max(to[key] ?? span.end, span.end)
      default: break
      }
    }
    let stages = (from.keys.map(\.stage).max() ?? -1) + 1
    return (0..<stages).map { stage in
      // Ends sort before starts at the same time: a micro-batch freed as another is taken in is
      // not held twice.
      var events: [(time: Double, change: Int)] = []
      for (key, start) in from where key.stage == stage {
        events.append((start, 1))
        events.append((to[key] ?? .infinity, -1))
      }
      events.sort { $0.time != $1.time ? $0.time < $1.time : $0.change < $1.change }
      var held = 0, peak = 0
      for e in events {
        held += e.change
        peak = max(peak, held)
      }
      return peak
    }
  }

  /// The given schedules on the same setup (default: every schedule that applies to it).
  public static func runAll(
    _ setup: Setup, costsName: String = "custom", schedules: [Schedule]? = nil
  ) throws -> [Result] {
    try (schedules ?? Schedule.allCases.filter { $0.applies(to: setup) }).map {
      try run($0, setup, costsName: costsName)
    }
  }

  /// With one batch, the total. With several, the time between the last two batches' completions,
  /// taken on the device where it is longest: in a pipeline of in-order devices that is exactly
  /// the slowest device's per-batch work (transfers included, since the sender does them).
  static func steadyState(_ work: [Span], batches n: Int, total: Double) -> Double {
    guard n > 1 else { return total }
    var done: [Int: [Int: Double]] = [:]  // device → batch → end of its last job
    for s in work { done[s.device, default: [:]][s.batch] = max(done[s.device]?[s.batch] ?? 0, s.end) }
    return done.values.map { ($0[n] ?? 0) - ($0[n - 1] ?? 0) }.max() ?? total
  }

  /// Sorts the work by device and start and fills every gap up to `total` with idle spans.
  static func withIdle(_ work: [Span], devices: Int, total: Double) -> [Span] {
    var out: [Span] = []
    for d in 0..<devices {
      var clock = 0.0
      for s in work.filter({ $0.device == d }).sorted(by: { $0.start < $1.start }) {
        if s.start > clock { out.append(.idle(device: d, from: clock, to: s.start)) }
        out.append(s)
        clock = max(clock, s.end)
      }
      if total > clock { out.append(.idle(device: d, from: clock, to: total)) }
    }
    return out
  }
}
