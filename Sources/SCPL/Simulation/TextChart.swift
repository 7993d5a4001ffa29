import Foundation

extension ScheduleSimulator {
  /// A time for printing: whole numbers without decimals, others with up to three.
  public static func format(_ t: Double) -> String {
    if t == t.rounded(), Swift.abs(t) < 1e15 { return String(Int(t)) }
    var s = String(format: "%.3f", t)
    while s.hasSuffix("0") { s.removeLast() }
    // 510.9996 rounds to "511.000": no trailing point, which SVG's number syntax refuses (a
    // renderer then draws the rectangle at x = 0).
    if s.hasSuffix(".") { s.removeLast() }
    return s
  }

  /// The smallest of 1, 2, 5 × 10^k that is at least `x` (axis tick spacing).
  static func niceStep(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return 1 }
    let magnitude = pow(10, floor(log10(x)))
    return [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= x * (1 - 1e-12) } ?? 10 * magnitude
  }
}

extension ScheduleSimulator.Result {
  /// How many characters the chart is wide and how much time one character stands for: one
  /// character per time unit when every span starts and ends on a whole number and the total fits
  /// in `maxWidth`; otherwise `maxWidth` characters spread over the total.
  public func chartScale(maxWidth: Int = 100) -> (columns: Int, unit: Double) {
    let integral = spans.allSatisfy { $0.start == $0.start.rounded() && $0.end == $0.end.rounded() }
    if integral && total <= Double(maxWidth) { return (Int(total), 1) }
    let columns = max(1, maxWidth)
    return (columns, total / Double(columns))
  }

  /// The chart's rows: the devices, then, with replicas, each device's link (its all-reduces).
  public var rows: Int { replicas > 1 ? 2 * devices : devices }

  /// One device's row: a letter per column (F, L, B, U, T; '.' idle), each column showing the kind
  /// of work that fills most of its time slice.
  public func chartRow(device: Int, maxWidth: Int = 100) -> String {
    let (columns, unit) = chartScale(maxWidth: maxWidth)
    let mine = spans(device: device)
    return String(
      (0..<columns).map { c -> Character in
        let lo = Double(c) * unit, hi = Double(c + 1) * unit
        var best = ScheduleSimulator.Kind.idle, bestTime = 0.0
        for s in mine where s.kind != .idle {
          let overlap = min(hi, s.end) - max(lo, s.start)
          if overlap > bestTime { best = s.kind; bestTime = overlap }
        }
        return best.letter
      })
  }

  /// The plain-text Gantt chart: a title, a time ruler, one row per device, a legend and the total.
  public func textChart(maxWidth: Int = 100) -> String {
    let (columns, unit) = chartScale(maxWidth: maxWidth)
    let f = ScheduleSimulator.format
    let labels = (0..<rows).map { $0 < devices ? "GPU\($0)" : "link\($0 - devices)" }
    let pad = (labels.map(\.count).max() ?? 0) + 2
    // Round-numbered times at least ten columns apart, each written from its column onwards.
    var ruler = [Character](repeating: " ", count: columns + 12)
    let step = ScheduleSimulator.niceStep(10 * unit)
    var t = 0.0, free = 0
    while t < total {
      let c = Int((t / unit).rounded()), label = f(t)
      if c >= free && c + label.count <= ruler.count {
        for (i, ch) in label.enumerated() { ruler[c + i] = ch }
        free = c + label.count + 1
      }
      t += step
    }
    var lines = [title]
    while ruler.last == " " { ruler.removeLast() }
    lines.append(String(repeating: " ", count: pad) + String(ruler))
    for d in 0..<rows {
      lines.append(
        labels[d].padding(toLength: pad - 1, withPad: " ", startingAt: 0) + "|"
          + chartRow(device: d, maxWidth: maxWidth) + "|")
    }
    var legend =
      "F forward  L loss  B backward\(schedule == .zbH1 ? " (input gradient)  W weight gradient" : "")  U update  T transfer\(rows > devices ? "  A all-reduce" : "")  . idle"
    if unit != 1 { legend += "  (one character = \(f(unit)) time units)" }
    lines.append(legend)
    lines.append(totalLine)
    return lines.joined(separator: "\n") + "\n"
  }

  /// "gpipe on 4 devices: figure13 costs, 3 micro-batches, synchronous update".
  public var title: String {
    var parts = ["\(costsName) costs"]
    if schedule.usesMicroBatches || microBatches > 1 {
      parts.append(
        "\(microBatches) micro-batch\(microBatches == 1 ? "" : "es")"
          + (schedule.usesMicroBatches ? "" : " (run whole)"))
    }
    switch schedule {
    case .bp: break
    case .async: parts.append("\(batches) batch\(batches == 1 ? "" : "es"), each device updates on its own")
    default: parts.append("\(update.rawValue) update")
    }
    if replicas > 1 { parts.append("\(replicas) replicas") }
    return "\(schedule.rawValue) on \(devices) device\(devices == 1 ? "" : "s"): " + parts.joined(separator: ", ")
  }

  /// "total 31", or for async "total 171 for 8 batches, steady state 21 per batch".
  public var totalLine: String {
    let f = ScheduleSimulator.format
    if batches > 1 { return "total \(f(total)) for \(batches) batches, steady state \(f(perBatch)) per batch" }
    return "total \(f(total))"
  }
}

extension ScheduleSimulator {
  /// A table of every result's total, time per batch, and speed-up per batch over `baseline`
  /// (default: the nmp result among `results`; "-" when there is none).
  public static func summaryTable(_ results: [Result], baseline: Result? = nil) -> String {
    let base = (baseline ?? results.first { $0.schedule == .nmp })?.perBatch
    let header = ["schedule", "devices", "batches", "total", "per batch", "peak held", "vs nmp"]
    let rows = results.map { r -> [String] in
      let speedup = base.map { r.perBatch > 0 ? String(format: "%.2fx", $0 / r.perBatch) : "-" } ?? "-"
      return [
        r.schedule.rawValue, String(r.devices), String(r.batches), format(r.total), format(r.perBatch),
        String(r.peakInFlight), speedup
      ]
    }
    let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, s in
        i == 0
          ? s.padding(toLength: widths[i], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[i] - s.count) + s
      }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
  }
}
