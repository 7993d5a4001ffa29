import Data
import Foundation
import NN
import Torch

/// `scpl eval --adaptive RULE [--sweep]`: one rule's adaptive evaluation, or a sweep of its
/// thresholds, beside the full network on the same test batches; as text, JSON and a chart of
/// accuracy against compute (adaptive.svg).
public struct AdaptiveReport: Sendable {
  /// The full network on the same batches.
  public var full: AdaptiveInference.Full
  /// The rule as asked.
  public var result: AdaptiveInference.Result
  /// With a sweep: the rule at each of its sweep's thresholds, from the earliest exits to the latest.
  public var points: [AdaptiveInference.Result]

  /// Evaluates `rule` (and, with `sweep`, each threshold of `rule.sweep(components:)`) on
  /// `source`, timing the full network first.
  /// `perBatch`: each decision per batch instead of per sample.
  /// With `executor`, every prediction runs through its placement (`AdaptiveInference`).
  public static func evaluate(
    _ method: any TrainingMethod, executor: (any PipelineExecutor)? = nil, on source: any BatchSource,
    batchSize: Int, rule: ExitRule, sweep: Bool, perBatch: Bool = false
  ) throws -> AdaptiveReport {
    let full = try AdaptiveInference.full(method, executor: executor, on: source, batchSize: batchSize)
    let result = try AdaptiveInference.run(
      method, executor: executor, on: source, batchSize: batchSize, rule: rule, full: full, perBatch: perBatch)
    let points =
      sweep
      ? try rule.sweep(components: method.model.components.count).map {
        try AdaptiveInference.run(
          method, executor: executor, on: source, batchSize: batchSize, rule: rule.with(threshold: $0), full: full,
          perBatch: perBatch)
      } : []
    return AdaptiveReport(full: full, result: result, points: points)
  }

  /// The lines `scpl eval --adaptive` prints.
  public var text: String {
    func line(_ r: AdaptiveInference.Result) -> String {
      String(
        format:
          "%@%@: accuracy %.2f%%, %.2f components per sample (exits %@), %.1f µs per sample, %.0f%% of the compute",
        r.rule.description, r.perBatch ? " per batch" : "", 100 * r.accuracy, r.meanComponents,
        r.exitsPerComponent.map(String.init).joined(separator: "/"), 1e6 * r.secondsPerSample,
        100 * r.computeFraction)
    }
    var lines = [
      String(
        format: "full network: accuracy %.2f%%, %d components, %.1f µs per sample", 100 * full.accuracy,
        full.componentSeconds.count, 1e6 * full.secondsPerSample),
      line(result)
    ]
    if !points.isEmpty { lines += ["sweep:"] + points.map { "  " + line($0) } }
    return lines.joined(separator: "\n")
  }

  /// The JSON `--json` writes: the rule's `accuracy`, `mean_components`, `seconds_per_sample`
  /// (and its exits per component, compute fraction, samples), the full network's, and with a
  /// sweep a `points` list of the same with each point's `threshold`.
  public func json() throws -> String {
    func object(_ r: AdaptiveInference.Result) -> [String: Any] {
      [
        "rule": r.rule.name, "threshold": r.rule.threshold, "exit_per": r.perBatch ? "batch" : "sample",
        "accuracy": r.accuracy, "mean_components": r.meanComponents,
        "seconds_per_sample": r.secondsPerSample, "exits_per_component": r.exitsPerComponent,
        "compute_fraction": r.computeFraction, "samples": r.samples
      ]
    }
    var top = object(result)
    top["full"] = [
      "accuracy": full.accuracy, "seconds_per_sample": full.secondsPerSample,
      "components": full.componentSeconds.count, "component_seconds_per_sample": full.componentSeconds
    ]
    if !points.isEmpty { top["points"] = points.map(object) }
    let data = try JSONSerialization.data(withJSONObject: top, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// adaptive.svg: the sweep's accuracy against the mean components per sample (left) and against
  /// the wall time per sample (right), each with the full network's point.
  public func svg(title: String) -> String {
    let sweep = points.isEmpty ? [result] : points
    let k = Double(full.componentSeconds.count)
    let accuracies = sweep.map(\.accuracy) + [full.accuracy]
    let lowest = Swift.max(0, floor((accuracies.min() ?? 0) * 10) / 10)
    func chart(_ name: String, _ x: String, _ value: (AdaptiveInference.Result) -> Double, fullX: Double) -> LineChart {
      LineChart(
        title: name, xLabel: x, yLabel: "test accuracy",
        series: [
          .init(
            name:
              "\(result.rule.name), \(sweep.count) threshold(s)",
            colour: LineChart.palette[0], points: sweep.map { (value($0), $0.accuracy) }),
          .init(name: "full network", colour: LineChart.palette[3], points: [(fullX, full.accuracy)])
        ], yRange: lowest...1, yPercent: true)
    }
    return LineChart.document(
      [
        chart("accuracy against components used", "mean components per sample", \.meanComponents, fullX: k),
        chart(
          "accuracy against time", "µs per sample", { 1e6 * $0.secondsPerSample }, fullX: 1e6 * full.secondsPerSample)
      ], title: title)
  }
}
