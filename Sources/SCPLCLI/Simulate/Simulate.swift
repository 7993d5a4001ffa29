import ArgumentParser
import Foundation
import SCPL

struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Simulate a training schedule from per-stage costs (no tensors): a text chart, the total, optional SVG and JSON.",
    discussion: """
      Forward, backward and transfer costs are per micro-batch; loss, update and allreduce per mini-batch. \
      Without --costs every stage costs forward 1, loss 1, backward 2, update 1, transfer 0. \
      With several schedules (a list, or all) it prints a table of totals and speed-ups per batch \
      over nmp instead of a chart. With --from-trace the costs are measured from a Chrome trace \
      written by `scpl train --profile` or `scpl bench --trace` (one stage per device, in \
      milliseconds; forward = a device's forwards per batch, backward = its learn steps per batch). \
      See docs/simulator.md.
      """)

  @Option(
    help:
      "bp, nmp, overlap, async, gpipe, scpl-gpipe, 1f1b, interleaved-1f1b, zb-h1, a comma-separated list of them, or all."
  )
  var schedule = "all"

  @Option(help: "Stages, one device each (default: the costs' stage count, else 4).")
  var stages: Int?

  @Option(help: "Micro-batches per mini-batch (default: the costs file's microBatches, else 1).")
  var microBatches: Int?

  @Option(help: "A costs JSON file, or a built-in set: figure13.")
  var costs: String?

  @Option(
    help: "Measure the costs from this Chrome trace (scpl train --profile, scpl bench --trace) instead of --costs.")
  var fromTrace: String?

  @Option(
    help:
      "With --from-trace: leave out the trace's first N batches (scpl bench's untimed warm-up, max(2, devices) by default)."
  )
  var skipBatches = 0

  @Option(
    help: "Mini-batches simulated by the async schedule (default: the trace's batch count with --from-trace, else 8).")
  var batches: Int?

  @Option(help: "synchronous (all devices update after every backward) or per-stage.")
  var update = "synchronous"

  @Option(help: "interleaved-1f1b: chunks of the network each device holds (default 2).")
  var chunksPerDevice = 2

  @Option(
    help:
      "Replicas of the pipeline (data parallelism over pipelines): with more than 1, each stage all-reduces its gradients (the costs' allreduce, times 2(R-1)/R) on its device's link before its update (default 1)."
  )
  var replicas = 1

  @Option(
    help: ArgumentHelp(
      "Each stage's all-reduce cost (sending its gradients once over a replica's link): one number for every stage, or one per stage, comma-separated; replaces the costs' allreduce (default: the costs', else 0).",
      valueName: "cost[,cost...]"))
  var allreduce: String?

  @Option(help: "Write an SVG chart to this path.")
  var svg: String?

  @Option(
    help:
      "Write the results as JSON to this path: {\"schedules\": [{schedule, total, per_batch, peak_in_flight, spans, …}]}."
  )
  var json: String?

  @Option(help: "Widest text chart, in characters.")
  var width = 100

  func run() throws {
    // Every input is checked before anything is simulated or written.
    guard width >= 1 else { throw ValidationError("--width must be at least 1, got \(width)") }
    let schedules = try ScheduleSimulator.Schedule.parseList(schedule)
    guard fromTrace != nil || skipBatches == 0 else {
      throw ValidationError("--skip-batches only applies with --from-trace")
    }
    let (model, resolved) = try ScheduleSimulator.Setup.resolve(
      costs: costs, trace: fromTrace, skipBatches: skipBatches, stages: stages, microBatches: microBatches,
      batches: batches, update: update)
    var setup = resolved
    setup.chunksPerDevice = chunksPerDevice
    setup.replicas = replicas
    if let allreduce {
      let values = allreduce.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard values.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }),
        values.count == 1 || values.count == setup.stages.count
      else {
        throw ValidationError(
          "--allreduce takes one non-negative number, or one per stage (\(setup.stages.count)), comma-separated; got \(allreduce)"
        )
      }
      for k in setup.stages.indices { setup.stages[k].allreduce = values.count == 1 ? values[0]! : values[k]! }
    }
    if replicas > 1, setup.stages.allSatisfy({ $0.allreduce == 0 }) {
      print("(every stage's allreduce cost is 0: the \(replicas) replicas' all-reduces cost nothing; set --allreduce)")
    }
    try setup.validate()
    if let fromTrace {
      print("costs from \(fromTrace) (ms per batch, per micro-batch for forward/backward/transfer):")
      for (d, c) in setup.stages.enumerated() {
        print(
          String(
            format: "  device %d: forward %.3f, backward (learn) %.3f, update (step) %.3f, transfer %.3f%@",
            d, c.forward, c.backward, c.update, c.transfer,
            c.allreduce > 0 ? String(format: ", all-reduce %.3f (in the learn spans)", c.allreduce) : ""))
      }
    }

    // "all" leaves out what cannot run on this setup (and says so); a schedule named is an error.
    let runnable = schedule.lowercased() == "all" ? schedules.filter { $0.applies(to: setup) } : schedules
    for skipped in schedules where !runnable.contains(skipped) {
      print(
        "(\(skipped.rawValue) left out: it needs --micro-batches to be a multiple of the \(setup.stages.count) stages)")
    }
    let results = try ScheduleSimulator.runAll(setup, costsName: model.name, schedules: runnable)
    if results.count == 1 {
      print(results[0].textChart(maxWidth: width), terminator: "")
    } else {
      let m = setup.microBatches
      print(
        "\(model.name) costs, \(setup.stages.count) stages, \(m) micro-batch\(m == 1 ? "" : "es"), "
          + "\(setup.update.rawValue) update"
          + (schedules.contains(.async) ? "; async over \(setup.batches) batches" : ""))
      let nmp = try results.first { $0.schedule == .nmp } ?? ScheduleSimulator.run(.nmp, setup)
      print(ScheduleSimulator.summaryTable(results, baseline: nmp), terminator: "")
    }
    if let svg {
      try Data(ScheduleSimulator.svg(results).utf8).write(to: URL(fileURLWithPath: svg), options: .atomic)
      print("wrote \(svg)")
    }
    if let json {
      struct Report: Encodable { let schedules: [ScheduleSimulator.Result] }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      try encoder.encode(Report(schedules: results)).write(to: URL(fileURLWithPath: json), options: .atomic)
      print("wrote \(json)")
    }
  }
}
